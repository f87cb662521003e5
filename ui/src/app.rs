//! The root component: owns the [`AppState`] reducer and lays out the shell
//! (header, then the current page).

use yew::prelude::*;

use crate::components::Header;
use crate::i18n::{Key, Lang, t};
use crate::pages::Home;
use crate::state::{Action, AppState};

/// Where the chosen language is remembered between launches.
const LANG_STORAGE_KEY: &str = "odnowa.lang";

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState {
        lang: remembered_lang().unwrap_or_default(),
    });
    let lang = state.lang;

    use_effect_with(lang, |&lang| apply_lang(lang));

    let on_lang = {
        let state = state.clone();
        Callback::from(move |lang: Lang| state.dispatch(Action::SetLang(lang)))
    };

    html! {
        <div class="app">
            <Header {lang} {on_lang} />
            <main class="app-main">
                <Home {lang} />
            </main>
        </div>
    }
}

fn remembered_lang() -> Option<Lang> {
    let storage = web_sys::window()?.local_storage().ok()??;
    Lang::from_code(&storage.get_item(LANG_STORAGE_KEY).ok()??)
}

/// Remembers `lang` and tells the document (screen readers, hyphenation,
/// the window title). Best effort: a browser without storage still works.
fn apply_lang(lang: Lang) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(Some(storage)) = window.local_storage() {
        // Private browsing may refuse to store; the choice then lasts a session.
        let _ = storage.set_item(LANG_STORAGE_KEY, lang.code());
    }
    if let Some(document) = window.document() {
        document.set_title(t(lang, Key::AppName));
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("lang", lang.code());
        }
    }
}
