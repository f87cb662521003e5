//! The server side of one pushed document, without I/O.
//!
//! [`ingest`] decodes the pushed changes, drops the ones the server already
//! holds (a push delivered twice stores nothing twice), orders the rest by
//! their dependencies, applies them to a copy of the document and checks
//! the result against its kind's schema. It returns the new document and
//! the changes to store, or refusals with reasons; the stored document is
//! never touched by a refused push.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, Automerge, Change, ChangeHash, ReadDoc};

use super::wire_hash;
use crate::document::{self, Header};
use crate::protocol::{DocPush, Refusal, RefusalCode};
use crate::validate::ValidationContext;

/// The most bytes of changes one push may carry for one document.
pub const MAX_PUSH_BYTES_PER_DOC: usize = 512 * 1024;

/// A change to store.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
    pub deps: Vec<ChangeHash>,
}

/// The outcome of one push.
#[derive(Debug, Default)]
pub struct Ingested {
    /// The document after the accepted changes; `None` when nothing new was
    /// accepted.
    pub doc: Option<Automerge>,
    /// New changes to store, in causal order.
    pub stored: Vec<NewChange>,
    /// Pushed changes the server already held.
    pub already_known: usize,
    pub refused: Vec<Refusal>,
    /// The document's header after the push.
    pub header: Option<Header>,
    /// The record the document holds after the push (read once, for
    /// whatever else the server asks of it).
    pub record: Option<document::AnyRecord>,
}

fn refuse_all(push: &DocPush, code: RefusalCode, reason: String) -> Ingested {
    Ingested {
        refused: vec![Refusal {
            doc: push.doc,
            change: None,
            code,
            reason,
        }],
        ..Ingested::default()
    }
}

/// Ingests `push` into `current` (the server's copy, `None` for a new
/// document), whoever made its changes. The server ingests with
/// [`ingest_by`]; this is for replaying stored changes and for tests.
pub fn ingest(current: Option<&Automerge>, push: &DocPush, ctx: &ValidationContext) -> Ingested {
    ingest_checked(current, push, ctx, None)
}

/// Ingests `push` as made by `author`: besides what [`ingest`] checks,
/// every new change must be `author.device`'s (its Automerge actor; the
/// genesis actor only for a record's deterministic genesis change), and
/// the push may write no author name but its own (`by:<device>`), which
/// must be `author.name` when that is given. A change of another actor is
/// refused alone as [`RefusalCode::ForeignAuthor`] (the changes built on it
/// as missing dependencies; the rest of the push goes); a false author
/// name refuses the whole push as [`RefusalCode::ForeignAuthor`].
pub fn ingest_by(
    current: Option<&Automerge>,
    push: &DocPush,
    ctx: &ValidationContext,
    author: &document::Author,
) -> Ingested {
    ingest_checked(current, push, ctx, Some(author))
}

/// Why a record is refused because it was erased.
pub const ERASED: &str =
    "this record was erased at a person's request: it cannot be changed or restored";

/// The refusal of a push for an erased record.
pub fn erased_refusal(doc: crate::ids::DocId) -> Refusal {
    Refusal {
        doc,
        change: None,
        code: RefusalCode::Erased,
        reason: ERASED.into(),
    }
}

/// What the server holds of a document a push is judged against.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub doc: &'a Automerge,
    pub space: crate::ids::SpaceId,
    pub generation: u32,
}

/// The server's judgement of one push, before the rules that need more
/// than the document (grants, field rules of the pusher's organisation):
/// the record stays in its space and its generation (a push built on
/// another generation than the stored one would merge back what an erasure
/// removed), an erased record is not created again (`erased`: whether the
/// server erased `push.doc`; asked only where nothing is stored), the kind
/// belongs in the space, and then [`ingest_by`].
pub fn admit(
    stored: Option<Stored<'_>>,
    erased: bool,
    push: &DocPush,
    ctx: &ValidationContext,
    author: &document::Author,
) -> Ingested {
    if let Some(refusal) = placement_refusal(stored, erased, push) {
        return Ingested {
            refused: vec![refusal],
            ..Ingested::default()
        };
    }
    ingest_by(stored.map(|s| s.doc), push, ctx, author)
}

fn placement_refusal(stored: Option<Stored<'_>>, erased: bool, push: &DocPush) -> Option<Refusal> {
    let refusal = |code, reason: String| {
        Some(Refusal {
            doc: push.doc,
            change: None,
            code,
            reason,
        })
    };
    match stored {
        Some(s) if s.space != push.space => {
            return refusal(
                RefusalCode::SpaceMismatch,
                "this record belongs to another space".into(),
            );
        }
        Some(s) if push.generation < s.generation => {
            return refusal(
                RefusalCode::OldGeneration,
                format!(
                    "this record was rewritten when a person's data was erased (generation {}); \
                     this copy is older and was not merged: the device replaces it at its next sync",
                    s.generation
                ),
            );
        }
        Some(s) if push.generation > s.generation => {
            return refusal(
                RefusalCode::HeaderChanged,
                format!(
                    "this record has no generation {} on the server",
                    push.generation
                ),
            );
        }
        Some(_) => {}
        None if erased => return Some(erased_refusal(push.doc)),
        None if push.generation != 0 => {
            return refusal(
                RefusalCode::HeaderChanged,
                format!(
                    "a new record cannot start at generation {}",
                    push.generation
                ),
            );
        }
        None => {}
    }
    // Which kinds may live in which space (case notes never in the
    // registry, persons only there): after the space check, so a record
    // moved between spaces is named as such.
    crate::access::kind_refusal(push.kind, push.space)
        .and_then(|why| refusal(RefusalCode::NotWritable, why.into()))
}

fn ingest_checked(
    current: Option<&Automerge>,
    push: &DocPush,
    ctx: &ValidationContext,
    author: Option<&document::Author>,
) -> Ingested {
    let total: usize = push.changes.iter().map(|c| c.len()).sum();
    if total > MAX_PUSH_BYTES_PER_DOC {
        return refuse_all(
            push,
            RefusalCode::TooLarge,
            format!(
                "the changes to this record are {total} bytes, more than {MAX_PUSH_BYTES_PER_DOC}: \
                 split the record"
            ),
        );
    }
    // Decode.
    let mut decoded = Vec::with_capacity(push.changes.len());
    for bytes in &push.changes {
        match super::decode_change(bytes) {
            Ok(change) => decoded.push(change),
            Err(e) => {
                return refuse_all(
                    push,
                    RefusalCode::Undecodable,
                    format!("the bytes sent are not an Automerge change: {e}"),
                );
            }
        }
    }
    // Drop what the server already holds, and duplicates within the push.
    let mut outcome = Ingested::default();
    let holds =
        |h: &ChangeHash| current.is_some_and(|doc| doc.get_change_meta_by_hash(h).is_some());
    let mut seen = BTreeSet::new();
    let mut fresh = Vec::new();
    for change in decoded {
        let hash = change.hash();
        if holds(&hash) || !seen.insert(hash) {
            outcome.already_known += 1;
        } else {
            fresh.push(change);
        }
    }
    if fresh.is_empty() {
        return outcome;
    }
    // Order by dependencies; what still misses a dependency is refused.
    let mut available: BTreeSet<ChangeHash> = BTreeSet::new();
    let mut ordered: Vec<Change> = Vec::with_capacity(fresh.len());
    loop {
        let before = fresh.len();
        let mut rest = Vec::new();
        for change in fresh {
            if change
                .deps()
                .iter()
                .all(|d| available.contains(d) || holds(d))
            {
                available.insert(change.hash());
                ordered.push(change);
            } else {
                rest.push(change);
            }
        }
        fresh = rest;
        if fresh.is_empty() || fresh.len() == before {
            break;
        }
    }
    for change in &fresh {
        outcome.refused.push(Refusal {
            doc: push.doc,
            change: Some(wire_hash(&change.hash())),
            code: RefusalCode::MissingDependencies,
            reason: "this change depends on changes the server does not hold: \
                     the device sends the whole record again"
                .to_string(),
        });
    }
    if ordered.is_empty() {
        return outcome;
    }
    // A change's ops may only refer to authors the record already has, or
    // that this push brings: Automerge panics on any other
    // (fuzz/regressions/ingest/unknown-other-actor).
    // Each author's changes are numbered 1, 2, 3, ... (`seq`): Automerge
    // panics on a change out of that sequence
    // (fuzz/regressions/ingest/seq-out-of-order).
    let mut last_seq: BTreeMap<ActorId, u64> = BTreeMap::new();
    for meta in current
        .map(|doc| doc.get_changes_meta(&[]))
        .unwrap_or_default()
    {
        let seq = last_seq.entry(meta.actor.into_owned()).or_default();
        *seq = (*seq).max(meta.seq);
    }
    for change in &ordered {
        let seq = last_seq.entry(change.actor_id().clone()).or_default();
        if change.seq() != *seq + 1 {
            return refuse_all(
                push,
                RefusalCode::Undecodable,
                format!(
                    "a change is out of its author's sequence (number {}, expected {}): \
                     it was not made on this record",
                    change.seq(),
                    *seq + 1
                ),
            );
        }
        *seq += 1;
    }
    if ordered.iter().any(|c| {
        c.other_actor_ids()
            .iter()
            .any(|a| !last_seq.contains_key(a))
    }) {
        return refuse_all(
            push,
            RefusalCode::Undecodable,
            "a change refers to an author this record never had: it was not made on this record"
                .to_string(),
        );
    }
    // A device pushes only its own changes: one signed by another actor
    // is refused, with every change built on it; the rest of the push
    // goes. After a restore from backup, a device that holds another
    // device's change the server lost is told so per change, and pushes
    // it again until its own device has brought it back.
    if let Some(author) = author {
        let own = document::device_actor(author.device);
        let genesis = ActorId::from(document::GENESIS_ACTOR.as_slice());
        let mut dropped: BTreeSet<ChangeHash> = BTreeSet::new();
        let mut kept = Vec::with_capacity(ordered.len());
        for change in ordered {
            let actor = change.actor_id();
            let refusal = if *actor != own && *actor != genesis {
                Some((
                    RefusalCode::ForeignAuthor,
                    format!(
                        "a change is signed by another author ({actor}) than the device that \
                         sent it: a device pushes only its own changes"
                    ),
                ))
            } else if change.deps().iter().any(|d| dropped.contains(d)) {
                Some((
                    RefusalCode::MissingDependencies,
                    "this change builds on a change of another device that the server does \
                     not hold: it goes once that device has sent it"
                        .to_string(),
                ))
            } else {
                None
            };
            match refusal {
                Some((code, reason)) => {
                    dropped.insert(change.hash());
                    outcome.refused.push(Refusal {
                        doc: push.doc,
                        change: Some(wire_hash(&change.hash())),
                        code,
                        reason,
                    });
                }
                None => kept.push(change),
            }
        }
        ordered = kept;
        if ordered.is_empty() {
            return outcome;
        }
    }
    let genesis_changes: Vec<ChangeHash> = ordered
        .iter()
        .filter(|c| c.actor_id().to_bytes() == document::GENESIS_ACTOR)
        .map(|c| c.hash())
        .collect();
    // Apply to a copy and check the result.
    let mut doc = current.cloned().unwrap_or_default();
    let new_changes: Vec<NewChange> = ordered
        .iter()
        .map(|c| NewChange {
            hash: c.hash(),
            bytes: c.raw_bytes().to_vec(),
            deps: c.deps().to_vec(),
        })
        .collect();
    // Automerge trusts a decoded change more than hostile bytes deserve:
    // should applying one panic, the copy is thrown away and the push
    // refused, instead of the panic taking down the exchange (where
    // panics unwind: the server; a wasm device aborts either way).
    let applied =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| doc.apply_changes(ordered)));
    match applied {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            return refuse_all(
                push,
                RefusalCode::Undecodable,
                format!("the changes do not apply: {e}"),
            );
        }
        Err(_) => {
            return refuse_all(
                push,
                RefusalCode::Undecodable,
                "the changes do not apply: they are malformed".to_string(),
            );
        }
    }
    // What is stored must load again: the server saves snapshots of it.
    // Some forged changes apply but save as a document Automerge cannot
    // load ("mismatching heads"; fuzz/regressions/ingest/
    // snapshot-does-not-load), which would make the record unreadable.
    // Likewise from its changes alone, as the server loads a record it
    // has no snapshot of (fuzz/regressions/ingest/changes-do-not-reapply:
    // Automerge panicked there).
    // A new record was just made exactly that way (its changes applied
    // to an empty document, in the order it keeps them): replaying them
    // again would repeat the same work.
    let reloads = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let replays = match current {
            None => true,
            Some(_) => {
                let mut replayed = Automerge::new();
                replayed.apply_changes(doc.get_changes(&[]))?;
                replayed.get_heads() == doc.get_heads()
            }
        };
        let saved = Automerge::load(&doc.save())?;
        Ok::<_, automerge::AutomergeError>(replays && saved.get_heads() == doc.get_heads())
    }));
    if !matches!(reloads, Ok(Ok(true))) {
        return refuse_all(
            push,
            RefusalCode::Undecodable,
            "the changes are malformed: the record would not load again".to_string(),
        );
    }
    // The header first: a kind, space or id that changes is refused as
    // such, not as whatever schema the new kind would break.
    // Each map of the record read once for the header and the record
    // (`ReadOnce`), not once per field.
    let view = crate::read_once::ReadOnce::new(&doc);
    let header = match document::header(&view) {
        Ok(header) => header,
        Err(e) => {
            return refuse_all(
                push,
                RefusalCode::SchemaViolation,
                format!("the record would not be valid: {e}"),
            );
        }
    };
    if let Some(before) = current.and_then(|d| document::header(d).ok())
        && (before.kind, before.space, before.id) != (header.kind, header.space, header.id)
    {
        return refuse_all(
            push,
            RefusalCode::HeaderChanged,
            format!(
                "a record's kind, space and id never change (this push would make {} {} in \
                 space {} a {} {} in space {})",
                before.kind, before.id, before.space, header.kind, header.id, header.space
            ),
        );
    }
    if (header.kind, header.space, header.id) != (push.kind, push.space, push.doc) {
        return refuse_all(
            push,
            RefusalCode::HeaderChanged,
            format!(
                "the record's kind, space or id would change (pushed as {} {} in space {}, \
                 holds {} {} in space {})",
                push.kind, push.doc, push.space, header.kind, header.id, header.space
            ),
        );
    }
    let record = match document::AnyRecord::read(&view, &header) {
        Ok(record) => record,
        Err(e) => {
            return refuse_all(
                push,
                RefusalCode::SchemaViolation,
                format!("the record would not be valid: {e}"),
            );
        }
    };
    drop(view);
    if let Err(e) = record.validate(ctx) {
        return refuse_all(
            push,
            RefusalCode::SchemaViolation,
            format!("the record would not be valid: {e}"),
        );
    }
    if let Some(author) = author
        && let Some(why) = authorship_refusal(current, &doc, &genesis_changes, author)
    {
        return refuse_all(push, RefusalCode::ForeignAuthor, why);
    }
    outcome.doc = Some(doc);
    outcome.stored = new_changes;
    outcome.header = Some(header);
    outcome.record = Some(record);
    outcome
}

/// Why `after` (made from `before` by a push of `author` that brought the
/// genesis-actor changes `genesis_changes`) names its authors falsely.
fn authorship_refusal(
    before: Option<&Automerge>,
    after: &Automerge,
    genesis_changes: &[ChangeHash],
    author: &document::Author,
) -> Option<String> {
    if !genesis_changes.is_empty() {
        let expected = document::genesis_hash(after);
        if genesis_changes.iter().any(|h| Some(*h) != expected) {
            return Some(
                "a change carries the genesis author but is not this record's genesis: \
                 a device pushes only its own changes"
                    .into(),
            );
        }
    }
    let names_before = before.map(document::author_names).unwrap_or_default();
    for (key, values) in document::author_names(after) {
        let old = names_before
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_slice());
        if old == Some(values.as_slice()) {
            continue;
        }
        if document::author_key_device(&key) != Some(author.device) {
            return Some(format!(
                "the push writes the name of another device's author ({key}): \
                 a device writes only its own"
            ));
        }
        if let Some(expected) = &author.name
            && document::author_name(after, author.device).as_deref() != Some(expected.as_str())
        {
            return Some(format!(
                "the push names its author {:?}, but this device belongs to {expected:?}",
                values.join(" / ")
            ));
        }
    }
    // A name removed is a name changed too.
    for (key, _) in names_before {
        if after
            .get(automerge::ROOT, key.as_str())
            .ok()
            .flatten()
            .is_none()
            && document::author_key_device(&key) != Some(author.device)
        {
            return Some(format!(
                "the push removes the name of another device's author ({key})"
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{create, read, write};
    use crate::ids::{DeviceId, SpaceId, UserId};
    use crate::records::{Contact, Person, RecordKind};
    use crate::sync::replica::ReplicaDoc;
    use crate::time::Timestamp;
    use serde_bytes::ByteBuf;

    fn person_replica() -> (ReplicaDoc, DeviceId) {
        let device = DeviceId::random();
        let doc = create(&Person::new("Ala", Timestamp(0)), device, Timestamp(0)).expect("create");
        let header = document::header(&doc).expect("header");
        (ReplicaDoc::local(header, 0, doc), device)
    }

    #[test]
    fn a_push_delivered_twice_is_stored_once() {
        let (replica, _) = person_replica();
        let push = replica.push().expect("push");
        let first = ingest(None, &push, &ValidationContext::default());
        assert!(first.refused.is_empty(), "{:?}", first.refused);
        assert_eq!(first.stored.len(), 1);
        let doc = first.doc.expect("doc");
        let second = ingest(Some(&doc), &push, &ValidationContext::default());
        assert!(second.stored.is_empty());
        assert_eq!(second.already_known, 1);
        assert!(second.doc.is_none());
    }

    #[test]
    fn garbage_is_refused_as_undecodable() {
        let (replica, _) = person_replica();
        let mut push = replica.push().expect("push");
        push.changes = vec![ByteBuf::from(vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3])];
        let outcome = ingest(None, &push, &ValidationContext::default());
        assert_eq!(outcome.refused[0].code, RefusalCode::Undecodable);
        assert!(outcome.doc.is_none());
    }

    #[test]
    fn a_change_without_its_dependencies_is_refused() {
        let (mut replica, device) = person_replica();
        let mut person: Person = read(&replica.doc).expect("read");
        person.birth_year = Some(1990);
        write(&mut replica.doc, &person, device, Timestamp(1), "edit").expect("write");
        let mut push = replica.push().expect("push");
        push.changes.remove(0); // the server never got the first change
        let outcome = ingest(None, &push, &ValidationContext::default());
        assert_eq!(outcome.refused.len(), 1);
        assert_eq!(outcome.refused[0].code, RefusalCode::MissingDependencies);
    }

    #[test]
    fn another_devices_change_is_refused_alone_with_what_builds_on_it() {
        let (mut replica, creator) = person_replica();
        let server = replica.doc.fork();
        replica.confirm(&server.get_heads());
        let other = DeviceId::random();
        // Own, then the other device's on top, then own again on top.
        let mut person: Person = read(&replica.doc).expect("read");
        person.gender = crate::records::Gender::new(crate::records::Gender::FEMALE);
        write(&mut replica.doc, &person, creator, Timestamp(1), "edit").expect("write");
        person.alias = "theirs".into();
        write(&mut replica.doc, &person, other, Timestamp(2), "edit").expect("write");
        person.birth_year = Some(1970);
        write(&mut replica.doc, &person, creator, Timestamp(3), "edit").expect("write");
        let push = replica.push().expect("push");
        assert_eq!(push.changes.len(), 3);
        let author = document::Author {
            device: creator,
            name: None,
        };
        let outcome = ingest_by(Some(&server), &push, &ValidationContext::default(), &author);
        let codes: Vec<RefusalCode> = outcome.refused.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            vec![RefusalCode::ForeignAuthor, RefusalCode::MissingDependencies]
        );
        assert!(outcome.refused.iter().all(|r| r.change.is_some()));
        assert_eq!(
            outcome.stored.len(),
            1,
            "the own change on the server's copy goes"
        );
        let stored: Person = read(outcome.doc.as_ref().expect("stored")).expect("read");
        assert_eq!(stored.gender.0, crate::records::Gender::FEMALE);
        assert_ne!(stored.alias, "theirs");
    }

    #[test]
    fn a_document_that_breaks_its_schema_is_refused() {
        use automerge::transaction::Transactable;
        let (mut replica, _) = person_replica();
        let mut tx = replica.doc.transaction();
        tx.put(automerge::ROOT, "alias", "").expect("put");
        tx.commit();
        let outcome = ingest(
            None,
            &replica.push().expect("push"),
            &ValidationContext::default(),
        );
        assert_eq!(outcome.refused[0].code, RefusalCode::SchemaViolation);
        assert_eq!(
            outcome.refused[0].reason,
            "the record would not be valid: alias is required"
        );
    }

    #[test]
    fn a_push_that_lies_about_its_space_or_kind_is_refused() {
        let (replica, _) = person_replica();
        let mut push = replica.push().expect("push");
        push.space = SpaceId::random();
        let outcome = ingest(None, &push, &ValidationContext::default());
        assert_eq!(outcome.refused[0].code, RefusalCode::HeaderChanged);

        let mut push = replica.push().expect("push");
        push.kind = RecordKind::Contact;
        let outcome = ingest(None, &push, &ValidationContext::default());
        assert_eq!(outcome.refused[0].code, RefusalCode::HeaderChanged);
    }

    /// Found by `cargo fuzz run ingest` (fuzz/regressions/ingest/
    /// unknown-other-actor): a change whose ops name an author the record
    /// never had made Automerge 0.12 panic in `apply_changes`.
    #[test]
    fn a_change_naming_an_unknown_author_is_refused_not_a_panic() {
        let (replica, _) = person_replica();
        let server_doc = replica.doc.clone();
        let creator = replica.doc.get_actor().to_bytes().to_vec();
        // Another device edits the same field: its change refers to the
        // creator's op, so the creator is among its other actors.
        let mut edited = replica.doc.fork();
        edited.set_actor(automerge::ActorId::from(
            uuid::Uuid::from_u128(0xe71).as_bytes(),
        ));
        let mut person: Person = read(&edited).expect("read");
        person.alias = "Zbych".into();
        write(
            &mut edited,
            &person,
            DeviceId(uuid::Uuid::from_u128(0xe71)),
            Timestamp(1),
            "edit",
        )
        .expect("write");
        let change = edited.get_changes(&server_doc.get_heads()).remove(0);
        assert_eq!(change.other_actor_ids()[0].to_bytes(), creator.as_slice());
        // Forge the bytes: the creator's id becomes one nobody has.
        let mut bytes = change.raw_bytes().to_vec();
        let at = bytes
            .windows(16)
            .position(|w| w == creator.as_slice())
            .expect("the creator's id in the change");
        bytes[at + 15] ^= 0x55;
        let push = DocPush {
            changes: vec![ByteBuf::from(bytes)],
            ..replica.push().expect("push")
        };
        let outcome = ingest(Some(&server_doc), &push, &ValidationContext::default());
        assert!(outcome.doc.is_none() && outcome.stored.is_empty());
        assert_eq!(outcome.refused.len(), 1, "{:?}", outcome.refused);
        assert_eq!(outcome.refused[0].code, RefusalCode::Undecodable);
        assert_eq!(
            outcome.refused[0].reason,
            "a change refers to an author this record never had: it was not made on this record"
        );
    }

    #[test]
    fn a_document_whose_kind_changes_is_refused() {
        use automerge::transaction::Transactable;
        let (mut replica, _) = person_replica();
        let first = ingest(
            None,
            &replica.push().expect("push"),
            &ValidationContext::default(),
        );
        let server_doc = first.doc.expect("doc");
        replica.confirm(&[first.stored[0].hash]);
        // Rewrite the person as a valid-looking contact.
        let contact = Contact::new(SpaceId::random(), UserId::random(), Timestamp(0));
        let mut tx = replica.doc.transaction();
        tx.put(automerge::ROOT, "kind", "contact").expect("put");
        tx.commit();
        let _ = contact;
        let outcome = ingest(
            Some(&server_doc),
            &replica.push().expect("push"),
            &ValidationContext::default(),
        );
        assert!(outcome.doc.is_none());
        assert!(!outcome.refused.is_empty());
    }
}
