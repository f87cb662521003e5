//! Records as Automerge documents: creation, deterministic genesis, typed
//! reads and writes, validation of a whole document, history.
//!
//! API boundary: nothing outside `shared` touches raw Automerge paths; the
//! device engine and the server go through these functions.

use automerge::transaction::CommitOptions;
use automerge::{ActorId, Automerge, ChangeHash, ReadDoc};
use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, DocId, SpaceId};
use crate::keep_conflicts::KeepConflicts;
use crate::records::{
    CaseNotes, Catalogue, Contact, DaySession, Person, Record, RecordKind, Workshop,
};
use crate::time::Timestamp;
use crate::validate::{ValidationContext, ValidationError};

/// The actor of every deterministic genesis change. No device ever writes
/// with it, so genesis changes never collide with real edits.
pub const GENESIS_ACTOR: [u8; 16] = *b"odnowa-genesis-0";

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("the document does not hold a valid {expected}: {detail}")]
    Shape { expected: String, detail: String },
    #[error("the document is a {found}, not a {expected}")]
    WrongKind {
        expected: RecordKind,
        found: RecordKind,
    },
    #[error("the document has no kind, schema, space or id at its root")]
    NoHeader,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("could not write the record: {0}")]
    Reconcile(String),
}

/// The fields every document carries at its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
}

/// The Automerge actor of a device: its id's bytes, so that history can say
/// which device (and so which user) made each change.
pub fn device_actor(device: DeviceId) -> ActorId {
    ActorId::from(device.0.as_bytes().as_slice())
}

/// The device that made a change, if its actor is a device id.
pub fn actor_device(actor: &ActorId) -> Option<DeviceId> {
    uuid::Uuid::from_slice(actor.to_bytes())
        .ok()
        .map(DeviceId)
        .filter(|_| actor.to_bytes() != GENESIS_ACTOR)
}

fn commit_options(at: Timestamp, message: &str) -> CommitOptions {
    CommitOptions::default()
        .with_time(at.0)
        .with_message(message.to_string())
}

fn reconcile_into<R: Record>(
    doc: &mut Automerge,
    record: &R,
    options: CommitOptions,
) -> Result<Option<ChangeHash>, DocError> {
    doc.transact_with(
        |_| options,
        |tx| {
            autosurgeon::reconcile(&mut KeepConflicts::new(tx), record)
                .map_err(|e| DocError::Reconcile(e.to_string()))
        },
    )
    .map(|success| success.hash)
    .map_err(|failure| failure.error)
}

/// A new document holding `record`, its first change made by `device`.
pub fn create<R: Record>(
    record: &R,
    device: DeviceId,
    at: Timestamp,
) -> Result<Automerge, DocError> {
    record.validate(&ValidationContext::default())?;
    let mut doc = Automerge::new().with_actor(device_actor(device));
    reconcile_into(&mut doc, record, commit_options(at, "create"))?;
    Ok(doc)
}

/// The deterministic genesis of a record that several devices may create
/// for the same real thing (a day room's session of one date, the
/// catalogue): a fixed actor, a fixed timestamp, no message, so every device
/// produces the same bytes and the same change hash, and every device's
/// edits build on that one change.
pub fn genesis<R: Record>(record: &R) -> Result<Automerge, DocError> {
    let mut doc = Automerge::new().with_actor(ActorId::from(GENESIS_ACTOR.as_slice()));
    reconcile_into(&mut doc, record, CommitOptions::default().with_time(0))?;
    Ok(doc)
}

/// Reads the header of a document.
pub fn header(doc: &Automerge) -> Result<Header, DocError> {
    let kind: RecordKind =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "kind").map_err(|_| DocError::NoHeader)?;
    let schema: u64 = autosurgeon::hydrate_prop(doc, automerge::ROOT, "schema")
        .map_err(|_| DocError::NoHeader)?;
    let space: SpaceId =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "space").map_err(|_| DocError::NoHeader)?;
    let id: DocId =
        autosurgeon::hydrate_prop(doc, automerge::ROOT, "id").map_err(|_| DocError::NoHeader)?;
    Ok(Header {
        kind,
        schema,
        space,
        id,
    })
}

/// Reads a typed record.
pub fn read<R: Record>(doc: &Automerge) -> Result<R, DocError> {
    let header = header(doc)?;
    if header.kind != R::KIND {
        return Err(DocError::WrongKind {
            expected: R::KIND,
            found: header.kind,
        });
    }
    autosurgeon::hydrate(doc).map_err(|e| DocError::Shape {
        expected: R::KIND.to_string(),
        detail: e.to_string(),
    })
}

/// Writes `record` into `doc` as one change by `device`; only the fields
/// that differ are written, so concurrent edits of other fields merge.
/// Returns `None` when nothing changed.
pub fn write<R: Record>(
    doc: &mut Automerge,
    record: &R,
    device: DeviceId,
    at: Timestamp,
    message: &str,
) -> Result<Option<ChangeHash>, DocError> {
    let before = header(doc)?;
    if before.kind != R::KIND || before.id != record.doc_id() || before.space != record.space() {
        return Err(DocError::WrongKind {
            expected: before.kind,
            found: R::KIND,
        });
    }
    record.validate(&ValidationContext::default())?;
    doc.set_actor(device_actor(device));
    reconcile_into(doc, record, commit_options(at, message))
}

/// Reads `doc` as the record its header names, checks it, and returns the
/// header. This is what the server runs on every document a device changed.
pub fn validate_document(doc: &Automerge, ctx: &ValidationContext) -> Result<Header, DocError> {
    fn check<R: Record>(doc: &Automerge, ctx: &ValidationContext) -> Result<(), DocError> {
        // A record written by a newer schema is still checked on the fields
        // this version knows; fields it does not know are left alone.
        let record: R = read(doc)?;
        record.validate(ctx)?;
        Ok(())
    }
    let header = header(doc)?;
    match header.kind {
        RecordKind::Person => check::<Person>(doc, ctx)?,
        RecordKind::CaseNotes => check::<CaseNotes>(doc, ctx)?,
        RecordKind::Contact => check::<Contact>(doc, ctx)?,
        RecordKind::DaySession => check::<DaySession>(doc, ctx)?,
        RecordKind::Workshop => check::<Workshop>(doc, ctx)?,
        RecordKind::Catalogue => check::<Catalogue>(doc, ctx)?,
    }
    Ok(header)
}

/// One change in a record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub hash: String,
    /// The device that made it; `None` for a genesis change.
    pub device: Option<DeviceId>,
    pub at: Timestamp,
    pub message: String,
}

/// The record's full history, oldest first: its own audit trail.
pub fn history(doc: &Automerge) -> Vec<HistoryEntry> {
    doc.get_changes_meta(&[])
        .into_iter()
        .map(|meta| HistoryEntry {
            hash: meta.hash.to_string(),
            device: actor_device(&meta.actor),
            at: Timestamp(meta.timestamp),
            message: meta.message.map(|m| m.to_string()).unwrap_or_default(),
        })
        .collect()
}

/// Whether `doc` has a value at `key` of the root (used for headers).
pub fn has_root_key(doc: &Automerge, key: &str) -> bool {
    doc.get(automerge::ROOT, key).ok().flatten().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PersonId, SiteId, UserId};
    use crate::time::Date;

    #[test]
    fn genesis_is_the_same_bytes_on_every_device() {
        let space = SpaceId::random();
        let site = SiteId::random();
        let date: Date = "2026-11-24".parse().expect("date");
        let a = genesis(&DaySession::genesis_value(space, site, date)).expect("genesis");
        let b = genesis(&DaySession::genesis_value(space, site, date)).expect("genesis");
        assert_eq!(a.save(), b.save());
        assert_eq!(a.get_heads(), b.get_heads());
    }

    #[test]
    fn two_tablets_ticking_the_same_session_merge_per_person() {
        let space = SpaceId::random();
        let site = SiteId::random();
        let date: Date = "2026-11-24".parse().expect("date");
        let value = DaySession::genesis_value(space, site, date);
        let mut tablet_a = genesis(&value).expect("genesis");
        let mut tablet_b = genesis(&value).expect("genesis");
        let (dev_a, dev_b) = (DeviceId::random(), DeviceId::random());
        let (ala, ola, ela) = (PersonId::random(), PersonId::random(), PersonId::random());
        let staff = UserId::random();

        let mut session: DaySession = read(&tablet_a).expect("read");
        session.mark_present(ala, staff, Timestamp(1));
        session.mark_present(ola, staff, Timestamp(2));
        session.meals.add(2);
        write(&mut tablet_a, &session, dev_a, Timestamp(3), "tick").expect("write");

        let mut session: DaySession = read(&tablet_b).expect("read");
        session.mark_present(ola, staff, Timestamp(4));
        session.mark_present(ela, staff, Timestamp(5));
        session.meals.add(3);
        write(&mut tablet_b, &session, dev_b, Timestamp(6), "tick").expect("write");

        tablet_a.merge(&mut tablet_b).expect("merge");
        let merged: DaySession = read(&tablet_a).expect("read");
        let mut present = merged.present();
        present.sort();
        let mut expect = vec![ala, ola, ela];
        expect.sort();
        assert_eq!(present, expect);
        assert_eq!(merged.meals.value(), 5);
    }

    #[test]
    fn writers_preserve_fields_they_do_not_know() {
        use automerge::transaction::Transactable;
        let person = Person::new("Zbyszek", Timestamp(0));
        let device = DeviceId::random();
        let mut doc = create(&person, device, Timestamp(0)).expect("create");
        // A newer app version adds a field.
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "nickname_history", "Zbych")
            .expect("put");
        tx.commit();
        let mut read_back: Person = read(&doc).expect("read");
        read_back.birth_year = Some(1971);
        write(&mut doc, &read_back, device, Timestamp(1), "edit").expect("write");
        assert!(has_root_key(&doc, "nickname_history"));
        assert_eq!(read::<Person>(&doc).expect("read").birth_year, Some(1971));
    }

    #[test]
    fn a_document_of_another_kind_is_refused() {
        let doc = create(
            &Person::new("Ala", Timestamp(0)),
            DeviceId::random(),
            Timestamp(0),
        )
        .expect("create");
        let err = read::<Contact>(&doc).expect_err("wrong kind");
        assert_eq!(err.to_string(), "the document is a person, not a contact");
    }

    #[test]
    fn history_names_the_device() {
        let device = DeviceId::random();
        let doc = create(&Person::new("Ala", Timestamp(0)), device, Timestamp(42)).expect("create");
        let history = history(&doc);
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].device, Some(device));
        assert_eq!(history[0].at, Timestamp(42));
        assert_eq!(history[0].message, "create");
    }
}
