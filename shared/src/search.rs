//! Text matching for aliases: case- and diacritics-insensitive, so that
//! "zbyszek" finds "Źbyszek" and "Łukasz" is found by "lukasz".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for matching: lowercase, without diacritics (ł → l too).
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ł' => 'l',
            'ø' => 'o',
            'đ' => 'd',
            'ß' => 's',
            other => other,
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `query` matches `text` (folded substring).
pub fn matches(text: &str, query: &str) -> bool {
    fold(text).contains(&fold(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diacritics_and_case_do_not_matter() {
        for (text, query) in [
            ("Zbyszek", "Zbyszek"),
            ("Zbyszek", "zbyszek"),
            ("Źbyszek", "zbyszek"),
            ("Zbyszek", "Źbyszek"),
            ("Łukasz", "lukasz"),
            ("Gosia  z dworca", "gosia z"),
        ] {
            assert!(matches(text, query), "{text} ~ {query}");
        }
        assert!(!matches("Zbyszek", "Zenek"));
    }
}
