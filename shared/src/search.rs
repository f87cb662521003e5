//! Text matching for aliases: case- and diacritics-insensitive, so that
//! "zbyszek" finds "Źbyszek" and "Łukasz" is found by "lukasz"; and the
//! "this person may already exist" check ([`looks_alike`]) that the new
//! person form runs before it creates a duplicate.

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

/// Levenshtein distance between two strings, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// How many typos apart two folded aliases may be and still look alike:
/// one for short aliases (up to 5 characters), two for longer ones.
fn typo_budget(a: &str, b: &str) -> usize {
    if a.chars().count().min(b.chars().count()) <= 5 {
        1
    } else {
        2
    }
}

/// Whether a new person (`alias`, `birth_year`) looks like an existing one,
/// so that the form warns before it creates a duplicate.
///
/// The aliases, folded (case and diacritics ignored), must be equal, or one
/// a prefix of the other (at least 3 characters: "Zbysz" and "Zbyszek"), or
/// a typo or two apart ([`edit_distance`] ≤ 1, ≤ 2 from 6 characters on);
/// and when both birth years are known they must be at most one year apart
/// (a year is often guessed). A birth year known on one side only does not
/// rule anybody out.
pub fn looks_alike(
    alias: &str,
    birth_year: Option<i64>,
    other_alias: &str,
    other_birth_year: Option<i64>,
) -> bool {
    years_alike(birth_year, other_birth_year) && folded_alike(&fold(alias), &fold(other_alias))
}

/// The birth-year part of [`looks_alike`]: both known and more than a
/// year apart rules a pair out. With [`folded_alike`], for a search over
/// aliases folded once.
pub fn years_alike(birth_year: Option<i64>, other_birth_year: Option<i64>) -> bool {
    match (birth_year, other_birth_year) {
        (Some(a), Some(b)) => (a - b).abs() <= 1,
        _ => true,
    }
}

/// The alias part of [`looks_alike`], of two aliases already folded.
pub fn folded_alike(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.chars().count() >= PREFIX_CHARS && long.starts_with(short) {
        return true;
    }
    let budget = typo_budget(a, b);
    // Never fewer edits than the lengths differ: most pairs end here,
    // without the distance's table.
    if a.chars().count().abs_diff(b.chars().count()) > budget {
        return false;
    }
    edit_distance(a, b) <= budget
}

/// The shortest alias that counts as the start of a longer one.
const PREFIX_CHARS: usize = 3;

/// The pairs `(i, j)`, `i < j`, of `aliases` (folded, each once) that
/// [`folded_alike`] says look alike, found without comparing every alias
/// with every other: two aliases a typo or two apart become the same
/// string once up to as many characters are deleted from each (a
/// substitution is a deletion on both sides, an insertion one on the
/// other), so every alias is filed under the strings it gives with one
/// deletion (two from six characters on, where two typos are allowed) and
/// under its first three characters and more; only aliases filed under
/// one string are compared. A typo in the first letter ("zbyszek" /
/// "sbyszek", "ola" / "hola") is found like any other.
///
/// An alias longer than [`MAX_FILED_CHARS`] (an alias may have 120: its
/// two-deletion variants would be some 7,000 strings, so a device
/// registering many such persons could exhaust the server's memory) is
/// not filed under its variants but compared with every alias at most
/// two characters longer or shorter; such aliases are rare, and their
/// cost is time, not memory.
pub fn alike_pairs(aliases: &[&str]) -> Vec<(usize, usize)> {
    alike_pairs_filing(aliases, MAX_FILED_CHARS)
}

/// The longest alias [`alike_pairs`] files under its deletion variants.
pub const MAX_FILED_CHARS: usize = 24;

/// [`alike_pairs`], filing aliases of at most `max_filed` characters.
fn alike_pairs_filing(aliases: &[&str], max_filed: usize) -> Vec<(usize, usize)> {
    use std::collections::{HashMap, HashSet};
    // Deletion variants (with the alias itself) → aliases.
    let mut variants: HashMap<String, Vec<usize>> = HashMap::new();
    // Starts of three characters or more → aliases.
    let mut starts: HashMap<&str, Vec<usize>> = HashMap::new();
    // Every alias by its length in characters; the long ones.
    let mut by_length: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut long = Vec::new();
    for (i, alias) in aliases.iter().enumerate() {
        if alias.is_empty() {
            continue;
        }
        let chars: Vec<char> = alias.chars().collect();
        by_length.entry(chars.len()).or_default().push(i);
        if chars.len() > max_filed {
            long.push((i, chars.len()));
        } else {
            let depth = if chars.len() >= 6 { 2 } else { 1 };
            for variant in deletions(&chars, depth) {
                variants.entry(variant).or_default().push(i);
            }
        }
        for (at, _) in alias.char_indices().skip(PREFIX_CHARS) {
            starts.entry(&alias[..at]).or_default().push(i);
        }
    }
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut pairs = Vec::new();
    let mut consider = |i: usize, j: usize, pairs: &mut Vec<(usize, usize)>| {
        let pair = (i.min(j), i.max(j));
        if i != j && seen.insert(pair) && folded_alike(aliases[pair.0], aliases[pair.1]) {
            pairs.push(pair);
        }
    };
    for filed in variants.values() {
        for (n, &i) in filed.iter().enumerate() {
            for &j in &filed[n + 1..] {
                consider(i, j, &mut pairs);
            }
        }
    }
    for (i, alias) in aliases.iter().enumerate() {
        if let Some(longer) = starts.get(alias) {
            for &j in longer {
                consider(i, j, &mut pairs);
            }
        }
    }
    // Two typos at most change the length by two at most.
    for (i, length) in long {
        for near in length.saturating_sub(2)..=length + 2 {
            for &j in by_length.get(&near).into_iter().flatten() {
                consider(i, j, &mut pairs);
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

/// `chars` and every string made of it by deleting up to `depth` of its
/// characters.
fn deletions(chars: &[char], depth: usize) -> std::collections::HashSet<String> {
    let mut all = std::collections::HashSet::new();
    let mut level: Vec<Vec<char>> = vec![chars.to_vec()];
    all.insert(chars.iter().collect::<String>());
    for _ in 0..depth {
        let mut next = Vec::new();
        for word in &level {
            for skip in 0..word.len() {
                let shorter: Vec<char> = word
                    .iter()
                    .enumerate()
                    .filter(|(at, _)| *at != skip)
                    .map(|(_, c)| *c)
                    .collect();
                if all.insert(shorter.iter().collect()) {
                    next.push(shorter);
                }
            }
        }
        level = next;
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(new: (&str, Option<i64>), existing: (&str, Option<i64>), expect: bool) {
        assert_eq!(
            looks_alike(new.0, new.1, existing.0, existing.1),
            expect,
            "{new:?} ~ {existing:?}"
        );
    }

    #[test]
    fn similar_persons() {
        // Same alias, whatever the case and diacritics.
        check(("Zbyszek", None), ("Zbyszek", None), true);
        check(("zbyszek", None), ("Źbyszek", Some(1970)), true);
        check(("ŁUKASZ", Some(1980)), ("Lukasz", Some(1980)), true);
        // A prefix of three characters or more.
        check(("Zbysz", None), ("Zbyszek", None), true);
        check(("Zb", None), ("Zbyszek", None), false);
        // Typos: one in a short alias, two in a longer one.
        check(("Gosia", None), ("Gisia", None), true);
        check(("Gosia", None), ("Gisua", None), false);
        check(("Zbyszek", None), ("Zbyszke", None), true);
        check(("Zbyszek", None), ("Zdzisiek", None), false);
        check(("Ala", None), ("Ola", None), true);
        check(("Ala", None), ("Ela", Some(2015)), true);
        // Birth years within one year, when both are known.
        check(("Zbyszek", Some(1970)), ("Zbyszek", Some(1971)), true);
        check(("Zbyszek", Some(1970)), ("Zbyszek", Some(1969)), true);
        check(("Zbyszek", Some(1970)), ("Zbyszek", Some(1972)), false);
        check(("Zbyszek", Some(1970)), ("Zbyszek", None), true);
        // Nothing looks like nothing.
        check(("", None), ("", None), false);
        check(("  ", None), ("Zbyszek", None), false);
    }

    #[test]
    fn a_typo_in_the_first_letter_is_found() {
        let aliases = [
            "zbyszek", "sbyszek", "ola", "hola", "marek", "zdzisiek", "zbysz",
        ];
        let pairs = alike_pairs(&aliases);
        for (a, b) in [
            ("zbyszek", "sbyszek"),
            ("ola", "hola"),
            ("zbysz", "zbyszek"),
        ] {
            let i = aliases.iter().position(|x| *x == a).expect("listed");
            let j = aliases.iter().position(|x| *x == b).expect("listed");
            assert!(
                pairs.contains(&(i.min(j), i.max(j))),
                "{a} / {b}: {pairs:?}"
            );
        }
        // "sbyszek" / "zbysz": neither a start of the other nor 1 apart.
        assert!(!pairs.contains(&(1, 6)), "{pairs:?}");
    }

    proptest::proptest! {
        /// The blocking finds exactly the pairs that comparing every alias
        /// with every other finds.
        #[test]
        fn blocking_finds_every_pair(
            aliases in proptest::collection::hash_set("[abłoz]{0,8}", 0..40)
        ) {
            let aliases: Vec<String> = aliases.into_iter().map(|a| fold(&a)).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let refs: Vec<&str> = aliases.iter().map(String::as_str).collect();
            let mut every = Vec::new();
            for i in 0..refs.len() {
                for j in i + 1..refs.len() {
                    if folded_alike(refs[i], refs[j]) {
                        every.push((i, j));
                    }
                }
            }
            proptest::prop_assert_eq!(alike_pairs(&refs), every.clone());
            // Long aliases compared by length instead of filed: the same.
            proptest::prop_assert_eq!(alike_pairs_filing(&refs, 4), every);
        }
    }

    #[test]
    fn edit_distances() {
        for (a, b, expect) in [
            ("", "", 0),
            ("abc", "", 3),
            ("kitten", "sitting", 3),
            ("zbyszek", "zbyszke", 2),
            ("łoś", "łos", 1),
        ] {
            assert_eq!(edit_distance(a, b), expect, "{a} / {b}");
            assert_eq!(edit_distance(b, a), expect, "{b} / {a}");
        }
    }

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
