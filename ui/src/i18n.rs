//! Every text the screens show, in Polish and English.
//!
//! Components never hold string literals: they ask [`t`] for a [`Key`] in the
//! current [`Lang`]. One table keeps the two languages side by side, so a
//! missing translation is a compile error, not a blank on a phone at night.

use std::fmt;

/// The interface language. Polish first: it is what the field workers speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Pl,
    En,
}

impl Lang {
    /// Every language, in the order the language switch shows them.
    pub const ALL: [Lang; 2] = [Lang::Pl, Lang::En];

    /// The BCP 47 code, for `<html lang>` and for remembering the choice.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
        }
    }

    /// The language for a code from [`Lang::code`]; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Declares [`Key`], [`Key::ALL`] and [`t`] from one table, so a key cannot
/// exist without both texts nor be left out of the list the tests walk.
macro_rules! translations {
    ($($(#[$doc:meta])* $key:ident => pl: $pl:literal, en: $en:literal;)+) => {
        /// One text of the interface.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key {
            $($(#[$doc])* $key,)+
        }

        impl Key {
            /// Every key, in table order.
            pub const ALL: &'static [Key] = &[$(Key::$key,)+];
        }

        /// The text of `key` in `lang`.
        pub fn t(lang: Lang, key: Key) -> &'static str {
            match key {
                $(Key::$key => match lang {
                    Lang::Pl => $pl,
                    Lang::En => $en,
                },)+
            }
        }
    };
}

translations! {
    /// The product name, in the header and the window title.
    AppName => pl: "Odnowa", en: "Odnowa";
    /// Accessible label of the language switch.
    LanguageSwitchLabel => pl: "Język", en: "Language";
    /// Name of Polish, written in the current language.
    LangPolish => pl: "Polski", en: "Polish";
    /// Name of English, written in the current language.
    LangEnglish => pl: "Angielski", en: "English";
    /// Heading of the home screen.
    HomeTitle => pl: "Start", en: "Home";
    /// Placeholder text of the home screen until the field screens exist.
    HomeIntro => pl: "Tu pojawią się kontakty, dzisiejsze zajęcia i warsztaty.",
                 en: "Contacts, today's sessions and workshops will appear here.";
    /// Label before the app version.
    AppVersionLabel => pl: "Wersja aplikacji", en: "App version";
    /// Shown instead of a value that is not available (for example the app
    /// version in a plain browser, outside the Tauri shell).
    NotAvailable => pl: "—", en: "—";
    /// Printed by the host build, which is not the app.
    HostBuildNotice => pl: "Interfejs Odnowy działa w przeglądarce: zbuduj go poleceniem `trunk build` w katalogu ui/.",
                       en: "The Odnowa interface runs in a browser: build it with `trunk build` in ui/.";
}

impl Lang {
    /// The name of this language, written in `lang`.
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Lang::Pl => t(lang, Key::LangPolish),
            Lang::En => t(lang, Key::LangEnglish),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_a_text_in_every_language() {
        for &key in Key::ALL {
            for lang in Lang::ALL {
                assert!(
                    !t(lang, key).trim().is_empty(),
                    "{key:?} has no text in {lang}"
                );
            }
        }
    }

    #[test]
    fn polish_is_the_default() {
        assert_eq!(Lang::default(), Lang::Pl);
    }

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("de"), None);
        assert_eq!(Lang::from_code(""), None);
    }

    #[test]
    fn texts_differ_between_languages_where_they_should() {
        // Proper names and symbols are the same in both languages; every
        // other text left equal is probably an untranslated copy.
        let same_on_purpose = [Key::AppName, Key::NotAvailable];
        for &key in Key::ALL {
            if !same_on_purpose.contains(&key) {
                assert_ne!(
                    t(Lang::Pl, key),
                    t(Lang::En, key),
                    "{key:?} is not translated"
                );
            }
        }
    }
}
