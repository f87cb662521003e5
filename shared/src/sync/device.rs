//! The device side of one exchange, without I/O.
//!
//! [`pushes`] chooses what a request carries; [`answer`] reads the
//! server's answer against the copies the device holds and returns the
//! [`Effects`]: which copies to store and which to delete, which spaces to
//! push again whole, the new cursors, the erasures to confirm, the edits an
//! erasure dropped, and whether another exchange must follow at once. The
//! device engine loads the copies ([`concerned`]), performs the effects in
//! one local transaction and decides nothing about sync of its own; the
//! property test (`tests/convergence.rs`) runs the same functions on its
//! replicas.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;

use super::replica::{ApplyError, CursorBook, ReplicaDoc};
use crate::ids::{DocId, SpaceId};
use crate::protocol::{
    DocPush, DocUpdate, LiveFit, LiveUpdate, MAX_FRAME_BYTES, Purge, RefusalCode, SyncResponse,
};

/// How many bytes of changes one request carries at most: a quarter of a
/// frame is left for cursors, reads, purges and framing.
pub const PUSH_BUDGET: usize = MAX_FRAME_BYTES * 3 / 4;

/// Bytes counted per pushed document besides its changes.
const PUSH_OVERHEAD: usize = 64;

/// Kept as the refusal of a record whose unsent edits an erasure dropped.
pub const REWRITTEN: &str = "this record was rewritten when a person's data was erased: \
     the changes not yet sent from this device were dropped";

/// One document as the device holds it.
#[derive(Debug, Clone)]
pub struct Held {
    pub replica: ReplicaDoc,
    /// Why the server refused the device's last push of it, if it did.
    pub refused: Option<String>,
}

/// The pushes of one request: each of `docs` that has changes the server
/// has not confirmed and was not refused (a refused copy waits for the
/// person's next edit of it), in the order given, within `budget` bytes of
/// changes (a single larger document still goes, alone). Also says whether
/// documents were left for a later request.
pub fn pushes<E>(
    docs: impl IntoIterator<Item = Result<Held, E>>,
    budget: usize,
) -> Result<(Vec<DocPush>, bool), E> {
    let mut used = 0usize;
    let mut pushes = Vec::new();
    for doc in docs {
        let doc = doc?;
        if doc.refused.is_some() {
            continue;
        }
        let Some(push) = doc.replica.push() else {
            continue;
        };
        let size = PUSH_OVERHEAD + push.changes.iter().map(|c| c.len()).sum::<usize>();
        if used + size > budget && !pushes.is_empty() {
            return Ok((pushes, true));
        }
        used += size;
        pushes.push(push);
    }
    Ok((pushes, false))
}

/// The documents an answer to a request with `pushes` concerns: the copies
/// of these (those the device holds) are what [`answer`] needs.
pub fn concerned(pushes: &[DocPush], response: &SyncResponse) -> BTreeSet<DocId> {
    pushes
        .iter()
        .map(|p| p.doc)
        .chain(response.purge.iter().map(|p| p.doc))
        .chain(response.updates.iter().map(|u| u.doc))
        .collect()
}

/// What the device does with an answer.
#[derive(Debug, Default)]
pub struct Effects {
    /// Copies to store, as they are now (new, changed, confirmed, refused).
    pub store: Vec<Held>,
    /// Copies to delete: erased, or of an older generation than the server
    /// keeps.
    pub delete: Vec<DocId>,
    /// Spaces whose feed the server restored from a backup: every copy in
    /// them is to be pushed again, earlier refusals forgotten (those in
    /// `store` already are marked so).
    pub unconfirm_spaces: Vec<SpaceId>,
    /// Spaces the device may no longer read (their cursors are dropped).
    pub no_longer_readable: Vec<SpaceId>,
    /// Erasures carried out, to confirm to the server in a later request
    /// (all that it asked, held here or not).
    pub purged: Vec<Purge>,
    /// Pushes the server refused, and why (the reasons joined).
    pub refused: Vec<(DocId, String)>,
    /// Records whose unsent edits an erasure's rewrite dropped.
    pub lost: Vec<DocId>,
    /// Records holding another device's change that the server lost (a
    /// restore from backup): the rest was confirmed; they are pushed again
    /// at later exchanges until that device has sent its change.
    pub waiting: Vec<DocId>,
    /// Another exchange is needed at once: a document must be pushed whole,
    /// or erasures confirmed.
    pub again: bool,
}

/// Reads `response`, the server's answer to a request that carried
/// `pushes`, against `held` (the device's copies of the [`concerned`]
/// documents, as they are now: edits made while the request was on the way
/// are kept), and moves `book` to the new cursors.
///
/// - A push without refusals is confirmed. Of one refused change by
///   change (missing dependencies, another device's change), what the
///   server took is confirmed: with only missing dependencies (the server
///   lost changes it had confirmed) the copy is marked unconfirmed, to go
///   whole at once; with another device's change it waits for that device.
///   Any other refusal is kept with the copy, and reported.
/// - A push of another generation than the copy held now (replaced
///   meanwhile) says nothing about it.
/// - A purge deletes the copy of a generation it drops; unsent edits of a
///   copy that will be replaced by a new generation are reported lost.
/// - An update of the held generation is merged; of a newer one it
///   replaces the copy (unsent edits lost); of an older one it is stale and
///   ignored.
/// - A cursor of a new epoch marks its space to be pushed again whole.
pub fn answer(
    pushes: &[DocPush],
    response: &SyncResponse,
    mut held: BTreeMap<DocId, Held>,
    book: &mut CursorBook,
) -> Result<Effects, ApplyError> {
    let mut effects = Effects::default();
    let mut touched: BTreeSet<DocId> = BTreeSet::new();
    for push in pushes {
        let Some(copy) = held.get_mut(&push.doc) else {
            continue; // deleted meanwhile (a reset, or an erasure)
        };
        if copy.replica.generation != push.generation {
            continue; // replaced meanwhile by a new generation
        }
        let refusals: Vec<_> = response
            .refused
            .iter()
            .filter(|r| r.doc == push.doc)
            .collect();
        let per_change = refusals.iter().all(|r| {
            r.change.is_some()
                && matches!(
                    r.code,
                    RefusalCode::MissingDependencies | RefusalCode::ForeignAuthor
                )
        });
        if refusals.is_empty() || per_change {
            let refused: BTreeSet<ChangeHash> = refusals
                .iter()
                .filter_map(|r| r.change.as_ref())
                .map(super::from_wire_hash)
                .collect();
            let stored: Vec<ChangeHash> = push
                .changes
                .iter()
                .filter_map(|bytes| super::decode_change(bytes).ok())
                .map(|c| c.hash())
                .filter(|hash| !refused.contains(hash))
                .collect();
            copy.replica.confirm(&stored);
            copy.refused = None;
            if refusals
                .iter()
                .any(|r| r.code == RefusalCode::ForeignAuthor)
            {
                // Another device's change the server lost: it goes when
                // that device sends it; pushed again meanwhile.
                effects.waiting.push(push.doc);
            } else if !refusals.is_empty() {
                // The server lost changes it had confirmed.
                copy.replica.unconfirm();
                effects.again = true;
            }
        } else {
            let reason = refusals
                .iter()
                .map(|r| r.reason.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            effects.refused.push((push.doc, reason.clone()));
            copy.refused = Some(reason);
        }
        touched.insert(push.doc);
    }
    // Erasures first: an update in the same answer may bring the
    // document's new generation.
    let mut deleted: BTreeSet<DocId> = BTreeSet::new();
    for purge in &response.purge {
        let Some(copy) = held.get(&purge.doc) else {
            continue;
        };
        if purge.drops(copy.replica.generation) {
            if purge.keep_from.is_some() && !copy.replica.is_confirmed() {
                effects.lost.push(purge.doc);
            }
            held.remove(&purge.doc);
            touched.remove(&purge.doc);
            deleted.insert(purge.doc);
        }
    }
    if !response.purge.is_empty() {
        effects.purged = response.purge.clone();
        effects.again = true; // confirm them at once
    }
    merge_updates(
        &response.updates,
        &mut held,
        &mut effects,
        &mut touched,
        &mut deleted,
    )?;
    let cursors = book.update(response);
    for space in &cursors.epoch_changed {
        for copy in held.values_mut().filter(|c| c.replica.space == *space) {
            copy.replica.unconfirm();
            copy.refused = None;
        }
        effects.again = true;
    }
    effects.unconfirm_spaces = cursors.epoch_changed;
    effects.no_longer_readable = cursors.no_longer_readable;
    effects.delete = deleted.into_iter().collect();
    effects.store = touched
        .into_iter()
        .filter_map(|doc| held.remove(&doc))
        .collect();
    Ok(effects)
}

/// Merges the server's `updates` into `held`: an update of the held
/// generation is merged; of a newer one it replaces the copy (unsent edits
/// reported lost); of an older one it is stale and ignored.
fn merge_updates(
    updates: &[DocUpdate],
    held: &mut BTreeMap<DocId, Held>,
    effects: &mut Effects,
    touched: &mut BTreeSet<DocId>,
    deleted: &mut BTreeSet<DocId>,
) -> Result<(), ApplyError> {
    for update in updates {
        let copy = match held.remove(&update.doc) {
            Some(mut copy) if copy.replica.generation == update.generation => {
                copy.replica.apply(update)?;
                copy
            }
            // A copy newer than the update: the update is stale.
            Some(copy) if copy.replica.generation > update.generation => copy,
            // The server rewrote the record (an erasure): the older copy
            // goes, unsent edits with it.
            Some(old) => {
                let lost = !old.replica.is_confirmed();
                if lost {
                    effects.lost.push(update.doc);
                }
                Held {
                    replica: ReplicaDoc::from_update(update)?,
                    refused: lost.then(|| REWRITTEN.to_string()),
                }
            }
            None => Held {
                replica: ReplicaDoc::from_update(update)?,
                refused: effects
                    .lost
                    .contains(&update.doc)
                    .then(|| REWRITTEN.to_string()),
            },
        };
        deleted.remove(&update.doc);
        touched.insert(update.doc);
        held.insert(update.doc, copy);
    }
    Ok(())
}

/// What a device does with a [`LiveUpdate`].
#[derive(Debug)]
pub enum Live {
    /// It followed the cursor: these effects, as [`answer`]'s for the
    /// same updates, with the cursor moved in the book.
    Apply(Effects),
    /// The device holds all of it already.
    Held,
    /// It does not follow the device's cursor: exchange, as after a poke.
    Exchange,
}

/// Reads a [`LiveUpdate`] the server pushed on the live connection
/// against `held` (the device's copies of its [`live_concerned`]
/// documents) and `book`.
pub fn live(
    update: &LiveUpdate,
    mut held: BTreeMap<DocId, Held>,
    book: &mut CursorBook,
) -> Result<Live, ApplyError> {
    match update.fit(book.cursor(update.cursor.space)) {
        LiveFit::Follows => {}
        LiveFit::Held => return Ok(Live::Held),
        LiveFit::Gap => return Ok(Live::Exchange),
    }
    let mut effects = Effects::default();
    let mut touched = BTreeSet::new();
    let mut deleted = BTreeSet::new();
    merge_updates(
        &update.updates,
        &mut held,
        &mut effects,
        &mut touched,
        &mut deleted,
    )?;
    book.advance(update.cursor.clone());
    effects.store = touched
        .into_iter()
        .filter_map(|doc| held.remove(&doc))
        .collect();
    Ok(Live::Apply(effects))
}

/// The documents a [`LiveUpdate`] concerns (see [`concerned`]).
pub fn live_concerned(update: &LiveUpdate) -> BTreeSet<DocId> {
    update.updates.iter().map(|u| u.doc).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{self, create, read, write};
    use crate::ids::DeviceId;
    use crate::protocol::{DocUpdate, Refusal, SpaceAccess, SpaceCursor};
    use crate::records::Person;
    use crate::time::Timestamp;
    use serde_bytes::ByteBuf;

    fn person(device: DeviceId) -> Held {
        let doc = create(&Person::new("Ala", Timestamp(0)), device, Timestamp(0)).expect("create");
        let header = document::header(&doc).expect("header");
        Held {
            replica: ReplicaDoc::local(header, 0, doc),
            refused: None,
        }
    }

    fn held(copies: &[&Held]) -> BTreeMap<DocId, Held> {
        copies
            .iter()
            .map(|c| (c.replica.id, (*c).clone()))
            .collect()
    }

    fn edit(copy: &mut Held, device: DeviceId, alias: &str) {
        let mut p: Person = read(&copy.replica.doc).expect("read");
        p.alias = alias.into();
        write(&mut copy.replica.doc, &p, device, Timestamp(1), "edit").expect("write");
    }

    #[test]
    fn an_accepted_push_is_confirmed_and_a_refused_one_kept_with_its_reason() {
        let device = DeviceId::random();
        let (a, b) = (person(device), person(device));
        let pushed: Vec<DocPush> = [&a, &b].iter().filter_map(|c| c.replica.push()).collect();
        let response = SyncResponse {
            refused: vec![Refusal {
                doc: b.replica.id,
                change: None,
                code: RefusalCode::NotWritable,
                reason: "read only".into(),
            }],
            ..Default::default()
        };
        let mut book = CursorBook::default();
        let effects = answer(&pushed, &response, held(&[&a, &b]), &mut book).expect("answer");
        assert!(!effects.again);
        assert_eq!(effects.refused, vec![(b.replica.id, "read only".into())]);
        let stored: BTreeMap<DocId, &Held> =
            effects.store.iter().map(|c| (c.replica.id, c)).collect();
        assert!(stored[&a.replica.id].replica.is_confirmed());
        assert!(stored[&b.replica.id].replica.push().is_some());
        assert_eq!(stored[&b.replica.id].refused.as_deref(), Some("read only"));
    }

    #[test]
    fn missing_dependencies_send_the_whole_record_again_at_once() {
        let device = DeviceId::random();
        let mut a = person(device);
        a.replica.confirm(&a.replica.doc.get_heads());
        edit(&mut a, device, "Ala K.");
        let pushed = vec![a.replica.push().expect("pending")];
        assert_eq!(pushed[0].changes.len(), 1);
        let edit = crate::sync::decode_change(&pushed[0].changes[0]).expect("change");
        let response = SyncResponse {
            refused: vec![Refusal {
                doc: a.replica.id,
                change: Some(crate::sync::wire_hash(&edit.hash())),
                code: RefusalCode::MissingDependencies,
                reason: "missing".into(),
            }],
            ..Default::default()
        };
        let effects =
            answer(&pushed, &response, held(&[&a]), &mut CursorBook::default()).expect("answer");
        assert!(effects.again);
        assert!(effects.refused.is_empty());
        let push = effects.store[0].replica.push().expect("pending");
        assert_eq!(push.changes.len(), 2, "the genesis goes again too");
    }

    #[test]
    fn another_devices_change_waits_for_that_device() {
        let (mine, theirs) = (DeviceId::random(), DeviceId::random());
        let mut a = person(theirs);
        let genesis = a.replica.doc.get_heads();
        edit(&mut a, mine, "mine");
        let pushed = vec![a.replica.push().expect("pending")];
        assert_eq!(pushed[0].changes.len(), 2);
        let own = crate::sync::decode_change(&pushed[0].changes[1]).expect("change");
        // As the server answers: the other device's change, and the own
        // edit built on it.
        let response = SyncResponse {
            refused: vec![
                Refusal {
                    doc: a.replica.id,
                    change: Some(crate::sync::wire_hash(&genesis[0])),
                    code: RefusalCode::ForeignAuthor,
                    reason: "another author".into(),
                },
                Refusal {
                    doc: a.replica.id,
                    change: Some(crate::sync::wire_hash(&own.hash())),
                    code: RefusalCode::MissingDependencies,
                    reason: "builds on it".into(),
                },
            ],
            ..Default::default()
        };
        let effects =
            answer(&pushed, &response, held(&[&a]), &mut CursorBook::default()).expect("answer");
        assert!(!effects.again, "no exchange at once: it waits");
        assert!(effects.refused.is_empty());
        assert_eq!(effects.waiting, vec![a.replica.id]);
        assert!(effects.store[0].refused.is_none());
        let push = effects.store[0].replica.push().expect("still pending");
        assert_eq!(push.changes.len(), 2, "both go again at the next exchange");
    }

    #[test]
    fn an_edit_made_during_the_exchange_stays_unconfirmed() {
        let device = DeviceId::random();
        let mut a = person(device);
        let pushed = vec![a.replica.push().expect("pending")];
        edit(&mut a, device, "later");
        let effects = answer(
            &pushed,
            &SyncResponse::default(),
            held(&[&a]),
            &mut CursorBook::default(),
        )
        .expect("answer");
        let push = effects.store[0].replica.push().expect("the later edit");
        assert_eq!(push.changes.len(), 1);
    }

    #[test]
    fn a_purge_deletes_and_a_new_generation_replaces_dropping_unsent_edits() {
        let device = DeviceId::random();
        let mut a = person(device);
        a.replica.confirm(&a.replica.doc.get_heads());
        edit(&mut a, device, "unsent");
        let gone = person(device);
        // The server's rewrite: generation 1 of `a`.
        let mut rewritten = Held {
            replica: ReplicaDoc::local(
                document::header(&a.replica.doc).expect("header"),
                1,
                a.replica.doc.fork(),
            ),
            refused: None,
        };
        rewritten.replica.generation = 1;
        let response = SyncResponse {
            purge: vec![
                Purge {
                    doc: a.replica.id,
                    keep_from: Some(1),
                },
                Purge {
                    doc: gone.replica.id,
                    keep_from: None,
                },
            ],
            updates: vec![DocUpdate {
                doc: a.replica.id,
                space: a.replica.space,
                kind: a.replica.kind,
                generation: 1,
                snapshot: Some(ByteBuf::from(rewritten.replica.doc.save())),
                changes: vec![],
            }],
            ..Default::default()
        };
        let effects = answer(
            &[],
            &response,
            held(&[&a, &gone]),
            &mut CursorBook::default(),
        )
        .expect("answer");
        assert!(effects.again, "the purges are confirmed at once");
        assert_eq!(effects.delete, vec![gone.replica.id]);
        assert_eq!(effects.lost, vec![a.replica.id]);
        assert_eq!(effects.purged.len(), 2);
        assert_eq!(effects.store.len(), 1);
        assert_eq!(effects.store[0].replica.generation, 1);
        assert_eq!(effects.store[0].refused.as_deref(), Some(REWRITTEN));
        assert!(effects.store[0].replica.is_confirmed());
    }

    #[test]
    fn a_stale_update_of_an_older_generation_is_ignored() {
        let device = DeviceId::random();
        let mut a = person(device);
        a.replica.generation = 2;
        let heads = a.replica.doc.get_heads();
        let response = SyncResponse {
            updates: vec![DocUpdate {
                doc: a.replica.id,
                space: a.replica.space,
                kind: a.replica.kind,
                generation: 1,
                snapshot: None,
                changes: vec![ByteBuf::from(b"not even a change".to_vec())],
            }],
            ..Default::default()
        };
        let effects =
            answer(&[], &response, held(&[&a]), &mut CursorBook::default()).expect("answer");
        assert_eq!(effects.store[0].replica.doc.get_heads(), heads);
    }

    #[test]
    fn a_new_epoch_pushes_the_space_again() {
        let device = DeviceId::random();
        let mut a = person(device);
        a.replica.confirm(&a.replica.doc.get_heads());
        let space = a.replica.space;
        let mut book = CursorBook::from_cursors([SpaceCursor {
            space,
            epoch: 1,
            seq: 5,
            snapshot: None,
            mac: None,
        }]);
        let response = SyncResponse {
            cursors: vec![SpaceCursor {
                space,
                epoch: 2,
                seq: 0,
                snapshot: None,
                mac: None,
            }],
            spaces: vec![SpaceAccess {
                space,
                name: "registry".into(),
                write: true,
                partner: None,
            }],
            ..Default::default()
        };
        let effects = answer(&[], &response, held(&[&a]), &mut book).expect("answer");
        assert!(effects.again);
        assert_eq!(effects.unconfirm_spaces, vec![space]);
        assert_eq!(book.cursors()[0].epoch, 2);
    }

    #[test]
    fn a_live_update_is_taken_only_when_it_follows_the_cursor() {
        let theirs = person(DeviceId::random());
        let space = theirs.replica.space;
        let cursor = |epoch, seq| SpaceCursor {
            space,
            epoch,
            seq,
            snapshot: None,
            mac: None,
        };
        let update = LiveUpdate {
            after: 5,
            cursor: cursor(1, 6),
            updates: vec![DocUpdate {
                doc: theirs.replica.id,
                space,
                kind: theirs.replica.kind,
                generation: 0,
                snapshot: None,
                changes: theirs
                    .replica
                    .doc
                    .get_changes(&[])
                    .iter()
                    .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
                    .collect(),
            }],
        };
        let mut book = CursorBook::from_cursors([cursor(1, 5)]);
        let Live::Apply(effects) = live(&update, BTreeMap::new(), &mut book).expect("live") else {
            panic!("it follows the cursor");
        };
        assert_eq!(effects.store.len(), 1);
        assert_eq!(
            effects.store[0].replica.doc.get_heads(),
            theirs.replica.doc.get_heads()
        );
        assert_eq!(book.cursor(space).map(|c| c.seq), Some(6));
        // Again: held already.
        assert!(matches!(
            live(&update, BTreeMap::new(), &mut book),
            Ok(Live::Held)
        ));
        // Behind, in another epoch, never synced, or still in the
        // snapshots: an exchange, the cursor untouched.
        for held_cursor in [cursor(1, 4), cursor(2, 5)] {
            let mut book = CursorBook::from_cursors([held_cursor.clone()]);
            assert!(matches!(
                live(&update, BTreeMap::new(), &mut book),
                Ok(Live::Exchange)
            ));
            assert_eq!(book.cursor(space), Some(&held_cursor));
        }
        assert!(matches!(
            live(&update, BTreeMap::new(), &mut CursorBook::default()),
            Ok(Live::Exchange)
        ));
        let mut snapshots = cursor(1, 5);
        snapshots.snapshot = Some(crate::protocol::SnapshotPhase {
            after: None,
            upto: 5,
        });
        assert_eq!(update.fit(Some(&snapshots)), LiveFit::Gap);
    }
}
