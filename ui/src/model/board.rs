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
}
