//! The server side of a pull, without I/O.
//!
//! For each space a device may read, [`opening`] decides what its cursor
//! means (go on, start the space again for this device, or start a new
//! epoch for everyone because the feed went back), and a [`SpacePull`]
//! says which rows to read next ([`Read`]), takes them within the answer's
//! [`Budget`], and ends with the cursor to hand back and whether more is
//! waiting. The sync server performs the reads against its database; the
//! property test (`tests/convergence.rs`) performs them against its own
//! stored rows. A space is answered in two phases: a cursor that starts
//! over first receives each document's snapshot and the changes after it
//! (ordered by document id, resumable after any of them), then the feed of
//! accepted changes after the cursor, without the device's own.

use serde_bytes::ByteBuf;

use crate::ids::{DocId, SpaceId};
use crate::protocol::{DocUpdate, SnapshotPhase, SpaceCursor};
use crate::records::RecordKind;

/// Bytes counted per update besides its changes (ids, kind, framing).
pub const UPDATE_OVERHEAD: usize = 48;
/// Documents read per snapshot query.
pub const SNAPSHOT_PAGE_DOCS: u32 = 200;
/// Feed rows read per query.
pub const FEED_PAGE_ROWS: u32 = 2_000;

/// One accepted change of a space's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRow {
    pub seq: u64,
    pub doc: DocId,
    pub kind: RecordKind,
    pub generation: u32,
    pub bytes: Vec<u8>,
}

/// One document of a space for a device that starts the space afresh: its
/// last snapshot and the changes after it.
#[derive(Debug, Clone)]
pub struct SnapshotRow {
    pub doc: DocId,
    pub kind: RecordKind,
    pub generation: u32,
    pub snapshot: Option<Vec<u8>>,
    pub changes: Vec<Vec<u8>>,
}

/// What the server does with a cursor before answering from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opening {
    /// Answer from the cursor.
    Continue,
    /// Answer this device from the start of the space (snapshots first):
    /// its cursor is of another epoch, or ahead of the feed and not one
    /// this server handed out.
    StartOver,
    /// The device saw more than the feed holds, and this server told it
    /// so: the database went back to an older backup. Start a new epoch,
    /// so that every device pushes everything again, then start over.
    NewEpoch,
}

/// How a `cursor` is answered, given the feed's `epoch` and `last`
/// sequence number, and whether this server sealed the cursor.
pub fn opening(cursor: &SpaceCursor, epoch: u64, last: u64, issued: bool) -> Opening {
    let ahead = cursor.seq > last || cursor.snapshot.as_ref().is_some_and(|p| p.upto > last);
    if cursor.epoch != epoch {
        Opening::StartOver
    } else if !ahead {
        Opening::Continue
    } else if issued {
        Opening::NewEpoch
    } else {
        Opening::StartOver
    }
}

/// The bytes an answer may still carry. The first update always goes,
/// however large, so that an answer is never empty while rows wait.
#[derive(Debug, Clone)]
pub struct Budget {
    left: usize,
    taken_any: bool,
}

impl Budget {
    /// A budget of `bytes`.
    pub fn new(bytes: usize) -> Self {
        Budget {
            left: bytes,
            taken_any: false,
        }
    }

    /// Takes `size` bytes for an update; `false` (and nothing left) when
    /// they do not fit after something was taken.
    pub fn take(&mut self, size: usize) -> bool {
        if size > self.left && self.taken_any {
            self.left = 0;
            return false;
        }
        self.left = self.left.saturating_sub(size);
        self.taken_any = true;
        true
    }

    /// Whether nothing is left.
    pub fn is_spent(&self) -> bool {
        self.left == 0
    }
}

/// The next rows a [`SpacePull`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Up to `limit` documents of the space with ids after `after`, in id
    /// order, each with its last snapshot and the changes after it.
    Snapshots { after: Option<DocId>, limit: u32 },
    /// Up to `limit` feed rows of the space with `after < seq <= upto`, in
    /// order, without those the device itself pushed.
    Feed { after: u64, upto: u64, limit: u32 },
}

#[derive(Debug)]
enum Stage {
    Snapshots(SnapshotPhase),
    Feed,
    Done { more: bool },
}

/// The answer for one space, built from the rows its reads return.
#[derive(Debug)]
pub struct SpacePull {
    cursor: SpaceCursor,
    last: u64,
    stage: Stage,
}

impl SpacePull {
    /// Starts answering `sent` as [`opening`] decided, with the feed at
    /// `epoch` (after any new epoch was started) and `last`; `budget` is
    /// what the answer has left.
    pub fn new(
        sent: SpaceCursor,
        opening: Opening,
        epoch: u64,
        last: u64,
        budget: &Budget,
    ) -> Self {
        let mut cursor = match opening {
            Opening::Continue => sent,
            Opening::StartOver | Opening::NewEpoch => SpaceCursor {
                space: sent.space,
                epoch,
                seq: 0,
                snapshot: Some(SnapshotPhase {
                    after: None,
                    upto: last,
                }),
                mac: None,
            },
        };
        let stage = if budget.is_spent() {
            Stage::Done { more: true }
        } else {
            match cursor.snapshot.take() {
                Some(phase) => Stage::Snapshots(phase),
                // At the feed's end already (a device kept current by
                // live updates): nothing to read.
                None if cursor.seq == last => Stage::Done { more: false },
                None => Stage::Feed,
            }
        };
        SpacePull {
            cursor,
            last,
            stage,
        }
    }

    /// The rows to read next, or `None` when the space is answered.
    pub fn next_read(&self) -> Option<Read> {
        match &self.stage {
            Stage::Snapshots(phase) => Some(Read::Snapshots {
                after: phase.after,
                limit: SNAPSHOT_PAGE_DOCS,
            }),
            Stage::Feed => Some(Read::Feed {
                after: self.cursor.seq,
                upto: self.last,
                limit: FEED_PAGE_ROWS,
            }),
            Stage::Done { .. } => None,
        }
    }

    /// Takes the rows a [`Read::Snapshots`] returned, leaving out the
    /// documents `withheld` names.
    pub fn take_snapshots(
        &mut self,
        rows: Vec<SnapshotRow>,
        withheld: impl Fn(DocId) -> bool,
        budget: &mut Budget,
        updates: &mut Vec<DocUpdate>,
    ) {
        let Stage::Snapshots(phase) = &mut self.stage else {
            return;
        };
        let full_page = rows.len() >= SNAPSHOT_PAGE_DOCS as usize;
        for row in rows {
            if withheld(row.doc) {
                phase.after = Some(row.doc);
                continue;
            }
            let size = UPDATE_OVERHEAD
                + row.snapshot.as_ref().map_or(0, Vec::len)
                + row.changes.iter().map(Vec::len).sum::<usize>();
            if !budget.take(size) {
                self.cursor.snapshot = Some(phase.clone());
                self.stage = Stage::Done { more: true };
                return;
            }
            phase.after = Some(row.doc);
            updates.push(DocUpdate {
                doc: row.doc,
                space: self.cursor.space,
                kind: row.kind,
                generation: row.generation,
                snapshot: row.snapshot.map(ByteBuf::from),
                changes: row.changes.into_iter().map(ByteBuf::from).collect(),
            });
        }
        if !full_page {
            self.cursor.seq = phase.upto;
            self.stage = Stage::Feed;
        }
    }

    /// Takes the rows a [`Read::Feed`] returned, leaving out the documents
    /// `withheld` names. Consecutive changes of one document travel in one
    /// update.
    pub fn take_feed(
        &mut self,
        rows: Vec<FeedRow>,
        withheld: impl Fn(DocId) -> bool,
        budget: &mut Budget,
        updates: &mut Vec<DocUpdate>,
    ) {
        if !matches!(self.stage, Stage::Feed) {
            return;
        }
        let full_page = rows.len() >= FEED_PAGE_ROWS as usize;
        for row in rows {
            if withheld(row.doc) {
                self.cursor.seq = row.seq;
                continue;
            }
            if !budget.take(UPDATE_OVERHEAD + row.bytes.len()) {
                self.stage = Stage::Done { more: true };
                return;
            }
            self.cursor.seq = row.seq;
            add_change(updates, self.cursor.space, row);
        }
        if !full_page {
            self.cursor.seq = self.last;
            self.stage = Stage::Done { more: false };
        }
    }

    /// The cursor to hand back (unsealed) and whether more is waiting.
    pub fn finish(self) -> (SpaceCursor, bool) {
        let more = match self.stage {
            Stage::Done { more } => more,
            // Stopped before the reads were done: more is waiting.
            Stage::Snapshots(phase) => {
                let mut cursor = self.cursor;
                cursor.snapshot = Some(phase);
                return (cursor, true);
            }
            Stage::Feed => true,
        };
        (self.cursor, more)
    }
}

/// Adds the change of feed `row` (of `space`) to `updates`: to the last
/// update when it is of the same document (consecutive changes of one
/// document travel in one update), else as a new update.
pub fn add_change(updates: &mut Vec<DocUpdate>, space: SpaceId, row: FeedRow) {
    match updates.last_mut() {
        Some(update) if update.doc == row.doc && update.snapshot.is_none() => {
            update.changes.push(ByteBuf::from(row.bytes));
        }
        _ => updates.push(DocUpdate {
            doc: row.doc,
            space,
            kind: row.kind,
            generation: row.generation,
            snapshot: None,
            changes: vec![ByteBuf::from(row.bytes)],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(epoch: u64, seq: u64) -> SpaceCursor {
        SpaceCursor {
            space: SpaceId::REGISTRY,
            epoch,
            seq,
            snapshot: None,
            mac: None,
        }
    }

    fn feed_row(seq: u64, doc: DocId, len: usize) -> FeedRow {
        FeedRow {
            seq,
            doc,
            kind: RecordKind::Person,
            generation: 0,
            bytes: vec![0; len],
        }
    }

    /// Runs a pull over `feed` (already filtered for the device) and
    /// `snapshots`, as a store would.
    fn run(
        pull: &mut SpacePull,
        snapshots: &[SnapshotRow],
        feed: &[FeedRow],
        budget: &mut Budget,
    ) -> Vec<DocUpdate> {
        let mut updates = Vec::new();
        while let Some(read) = pull.next_read() {
            match read {
                Read::Snapshots { after, limit } => {
                    let rows = snapshots
                        .iter()
                        .filter(|r| after.is_none_or(|a| r.doc > a))
                        .take(limit as usize)
                        .cloned()
                        .collect();
                    pull.take_snapshots(rows, |_| false, budget, &mut updates);
                }
                Read::Feed { after, upto, limit } => {
                    let rows = feed
                        .iter()
                        .filter(|r| r.seq > after && r.seq <= upto)
                        .take(limit as usize)
                        .cloned()
                        .collect();
                    pull.take_feed(rows, |_| false, budget, &mut updates);
                }
            }
        }
        updates
    }

    #[test]
    fn a_cursor_is_continued_restarted_or_starts_a_new_epoch() {
        assert_eq!(opening(&cursor(1, 5), 1, 5, false), Opening::Continue);
        assert_eq!(opening(&cursor(0, 0), 1, 5, false), Opening::StartOver);
        assert_eq!(opening(&cursor(1, 9), 1, 5, false), Opening::StartOver);
        assert_eq!(opening(&cursor(1, 9), 1, 5, true), Opening::NewEpoch);
    }

    #[test]
    fn the_feed_is_paged_by_the_budget_and_changes_of_a_document_travel_together() {
        let (a, b) = (DocId::random(), DocId::random());
        let feed = vec![
            feed_row(1, a, 100),
            feed_row(2, a, 100),
            feed_row(3, b, 100),
        ];
        let mut budget = Budget::new(2 * (UPDATE_OVERHEAD + 100));
        let mut pull = SpacePull::new(cursor(1, 0), Opening::Continue, 1, 3, &budget);
        let updates = run(&mut pull, &[], &feed, &mut budget);
        let (next, more) = pull.finish();
        assert!(more);
        assert_eq!(next.seq, 2);
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].changes.len(), 2);

        let mut budget = Budget::new(10); // smaller than one row: it goes anyway
        let mut pull = SpacePull::new(next, Opening::Continue, 1, 3, &budget);
        let updates = run(&mut pull, &[], &feed, &mut budget);
        assert_eq!(pull.finish(), (cursor(1, 3), false));
        assert_eq!(updates[0].doc, b);
    }

    #[test]
    fn starting_over_sends_snapshots_resumably_then_the_feed_after_them() {
        let mut docs: Vec<DocId> = (0..3).map(|_| DocId::random()).collect();
        docs.sort();
        let snapshots: Vec<SnapshotRow> = docs
            .iter()
            .map(|doc| SnapshotRow {
                doc: *doc,
                kind: RecordKind::Person,
                generation: 0,
                snapshot: Some(vec![1; 100]),
                changes: vec![],
            })
            .collect();
        let feed = vec![feed_row(7, docs[0], 10)];
        let mut budget = Budget::new(2 * (UPDATE_OVERHEAD + 100));
        let mut pull = SpacePull::new(cursor(0, 0), Opening::StartOver, 2, 6, &budget);
        let updates = run(&mut pull, &snapshots, &feed, &mut budget);
        let (next, more) = pull.finish();
        assert!(more);
        assert_eq!(updates.len(), 2);
        assert_eq!(next.epoch, 2);
        assert_eq!(next.snapshot.as_ref().and_then(|p| p.after), Some(docs[1]));

        let mut budget = Budget::new(1 << 20);
        let mut pull = SpacePull::new(next, Opening::Continue, 2, 7, &budget);
        let updates = run(&mut pull, &snapshots, &feed, &mut budget);
        let (last, more) = pull.finish();
        assert!(!more);
        assert_eq!(last.seq, 7);
        assert!(last.snapshot.is_none());
        let order: Vec<DocId> = updates.iter().map(|u| u.doc).collect();
        assert_eq!(
            order,
            vec![docs[2], docs[0]],
            "the rest, then the feed after upto 6"
        );
    }

    #[test]
    fn a_spent_budget_answers_nothing_and_keeps_the_cursor() {
        let budget = Budget::new(0);
        let pull = SpacePull::new(cursor(1, 2), Opening::Continue, 1, 5, &budget);
        assert_eq!(pull.next_read(), None);
        assert_eq!(pull.finish(), (cursor(1, 2), true));
    }
}
