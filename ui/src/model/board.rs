//! The day room's board: the order of the cards and the present count.
//!
//! Cards are sorted by alias (diacritics-insensitive, so "Łucja" sits with
//! the L's) and never move when ticked: a tap must not shift the card the
//! next tap aims at.

use odnowa_shared::api::BoardEntry;
use odnowa_shared::search::fold;

/// The board in display order.
pub fn sorted(board: &[BoardEntry]) -> Vec<BoardEntry> {
    let mut cards = board.to_vec();
    cards.sort_by_cached_key(|entry| (fold(&entry.alias), entry.person));
    cards
}

/// The cards whose alias contains `query` (diacritics- and case-
/// insensitive: "lucj" finds "Łucja"); all of them for an empty query.
pub fn matching(cards: Vec<BoardEntry>, query: &str) -> Vec<BoardEntry> {
    let query = fold(query.trim());
    if query.is_empty() {
        return cards;
    }
    cards
        .into_iter()
        .filter(|entry| fold(&entry.alias).contains(&query))
        .collect()
}

/// How many are present now (checked in and not checked out).
pub fn present_count(board: &[BoardEntry]) -> usize {
    board
        .iter()
        .filter(|entry| entry.present && entry.check_out.is_none())
        .count()
}

#[cfg(test)]
mod tests {
    use odnowa_shared::time::Timestamp;

    use super::*;

    fn entry(n: u64, alias: &str, present: bool, out: bool) -> BoardEntry {
        BoardEntry {
            person: format!("00000000-0000-0000-0000-{n:012}")
                .parse()
                .expect("test id"),
            alias: alias.into(),
            present,
            check_in: present.then_some(Timestamp(1)),
            check_out: out.then_some(Timestamp(2)),
        }
    }

    #[test]
    fn cards_sort_by_alias_and_do_not_move_when_ticked() {
        let board = [
            entry(1, "Zosia", false, false),
            entry(2, "Łucja", true, false),
            entry(3, "ala", false, false),
            entry(4, "Kuba", true, true),
        ];
        let order: Vec<String> = sorted(&board).into_iter().map(|e| e.alias).collect();
        assert_eq!(order, ["ala", "Kuba", "Łucja", "Zosia"]);
        let mut ticked = board.clone();
        ticked[0].present = true;
        let again: Vec<String> = sorted(&ticked).into_iter().map(|e| e.alias).collect();
        assert_eq!(again, order);
        assert_eq!(present_count(&board), 1);
    }

    #[test]
    fn the_board_search_ignores_case_and_diacritics() {
        let board = sorted(&[
            entry(1, "Zosia", false, false),
            entry(2, "Łucja", true, false),
            entry(3, "Łukasz", false, false),
        ]);
        let found = |q: &str| -> Vec<String> {
            matching(board.clone(), q)
                .into_iter()
                .map(|e| e.alias)
                .collect()
        };
        assert_eq!(found("lucj"), ["Łucja"]);
        assert_eq!(found(" ŁU "), ["Łucja", "Łukasz"]);
        assert_eq!(found(""), ["Łucja", "Łukasz", "Zosia"]);
        assert!(found("x").is_empty());
    }
}
