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
    CaseNotes, Catalogue, Contact, DaySession, Diagnosis, Person, Programme, Record, RecordKind,
    Referral, Workshop,
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

/// Who makes a change: the device (its Automerge actor) and, when known,
/// how people call it ("marta · Telefon Marty"). The name is written once
/// per device into the document it edits (see [`author_name`]), so history
/// and conflicts can say who, on every device, offline too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub device: DeviceId,
    pub name: Option<String>,
}

impl From<DeviceId> for Author {
    fn from(device: DeviceId) -> Self {
        Author { device, name: None }
    }
}

/// The root key under which a document keeps the name of one device's
/// author. Flat root keys, one per device: two devices adding themselves
/// at once never collide (a shared nested map created twice would).
fn author_key(device: DeviceId) -> String {
    format!("by:{device}")
}

/// How people call the author of a device's changes: the user's name and
/// the device's name, "marta · Telefon Marty". The device writes it beside
/// its changes; the server checks that a device writes only its own.
pub fn author_label(user_name: &str, device_name: &str) -> String {
    [user_name.trim(), device_name.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The devices whose author names `doc` records, with every value each
/// holds (concurrent values included), in key order.
pub fn author_names(doc: &Automerge) -> Vec<(String, Vec<String>)> {
    doc.keys(automerge::ROOT)
        .filter(|key| key.starts_with("by:"))
        .map(|key| {
            let values = doc
                .get_all(automerge::ROOT, key.as_str())
                .unwrap_or_default()
                .into_iter()
                .map(|(value, _)| match value {
                    automerge::Value::Scalar(scalar) => match scalar.as_ref() {
                        automerge::ScalarValue::Str(name) => name.to_string(),
                        other => format!("{other:?}"),
                    },
                    other => format!("{other:?}"),
                })
                .collect();
            (key, values)
        })
        .collect()
}

/// The device an author key (`by:<device>`) names.
pub fn author_key_device(key: &str) -> Option<DeviceId> {
    key.strip_prefix("by:")?.parse().ok()
}

/// The name `doc` records for the author of `device`'s changes.
pub fn author_name(doc: &Automerge, device: DeviceId) -> Option<String> {
    match doc.get(automerge::ROOT, author_key(device)).ok().flatten() {
        Some((automerge::Value::Scalar(value), _)) => match value.as_ref() {
            automerge::ScalarValue::Str(name) => Some(name.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn commit_options(at: Timestamp, message: &str) -> CommitOptions {
    CommitOptions::default()
        .with_time(at.0)
        .with_message(message.to_string())
}

fn reconcile_into<R: Record>(
    doc: &mut Automerge,
    record: &R,
    author: Option<&Author>,
    options: CommitOptions,
) -> Result<Option<ChangeHash>, DocError> {
    let sign = author.and_then(|author| {
        let name = author.name.as_deref()?.trim();
        let known = author_name(doc, author.device);
        (!name.is_empty() && known.as_deref() != Some(name))
            .then(|| (author_key(author.device), name.to_string()))
    });
    doc.transact_with(
        |_| options,
        |tx| {
            autosurgeon::reconcile(&mut KeepConflicts::new(tx), record)
                .map_err(|e| DocError::Reconcile(e.to_string()))?;
            if let Some((key, name)) = &sign {
                use automerge::transaction::Transactable;
                tx.put(automerge::ROOT, key.as_str(), name.as_str())?;
            }
            Ok::<_, DocError>(())
        },
    )
    .map(|success| success.hash)
    .map_err(|failure| failure.error)
}

/// A new document holding `record`, its first change made by `author`.
pub fn create<R: Record>(
    record: &R,
    author: impl Into<Author>,
    at: Timestamp,
) -> Result<Automerge, DocError> {
    let author = author.into();
    record.validate(&ValidationContext::default())?;
    let mut doc = Automerge::new().with_actor(device_actor(author.device));
    reconcile_into(
        &mut doc,
        record,
        Some(&author),
        commit_options(at, "create"),
    )?;
    Ok(doc)
}

/// A new document holding `record` with no history before it, its one
/// change made by `author` with `message` (an erasure rewrites a record as
/// a new generation this way).
pub fn rewrite<R: Record>(
    record: &R,
    author: impl Into<Author>,
    at: Timestamp,
    message: &str,
) -> Result<Automerge, DocError> {
    let author = author.into();
    let mut doc = Automerge::new().with_actor(device_actor(author.device));
    reconcile_into(&mut doc, record, Some(&author), commit_options(at, message))?;
    Ok(doc)
}

/// The deterministic genesis of a record that several devices may create
/// for the same real thing (a day room's session of one date, the
/// catalogue): a fixed actor, a fixed timestamp, no message, so every device
/// produces the same bytes and the same change hash, and every device's
/// edits build on that one change.
pub fn genesis<R: Record>(record: &R) -> Result<Automerge, DocError> {
    let mut doc = Automerge::new().with_actor(ActorId::from(GENESIS_ACTOR.as_slice()));
    reconcile_into(
        &mut doc,
        record,
        None,
        CommitOptions::default().with_time(0),
    )?;
    Ok(doc)
}

/// The hash of the deterministic genesis change of the record `doc` holds,
/// for the kinds that have one (a day session: from its space, site and
/// date; the catalogue). Only such a change may carry the genesis actor.
pub fn genesis_hash(doc: &Automerge) -> Option<ChangeHash> {
    let header = header(doc).ok()?;
    let made = match header.kind {
        RecordKind::DaySession => {
            let session: DaySession = read(doc).ok()?;
            genesis(&DaySession::genesis_value(
                header.space,
                session.site,
                session.date,
            ))
        }
        RecordKind::Catalogue => genesis(&Catalogue::genesis_value()),
        _ => return None,
    }
    .ok()?;
    made.get_heads().first().copied()
}

/// Reads the header of a document.
pub fn header(doc: &impl autosurgeon::ReadDoc) -> Result<Header, DocError> {
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
    // Each map read in one pass, not one seek per field.
    let doc = &crate::read_once::ReadOnce::new(doc);
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
    author: impl Into<Author>,
    at: Timestamp,
    message: &str,
) -> Result<Option<ChangeHash>, DocError> {
    let author = author.into();
    let before = header(doc)?;
    if before.kind != R::KIND || before.id != record.doc_id() || before.space != record.space() {
        return Err(DocError::WrongKind {
            expected: before.kind,
            found: R::KIND,
        });
    }
    record.validate(&ValidationContext::default())?;
    doc.set_actor(device_actor(author.device));
    reconcile_into(doc, record, Some(&author), commit_options(at, message))
}

/// A record of any kind, as read from its document.
// Held one per pushed document while it is judged: the size of the
// largest record does not matter next to its Automerge document.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum AnyRecord {
    Person(Person),
    CaseNotes(CaseNotes),
    Contact(Contact),
    DaySession(DaySession),
    Workshop(Workshop),
    Catalogue(Catalogue),
    Diagnosis(Diagnosis),
    Programme(Programme),
    Referral(Referral),
}

impl AnyRecord {
    /// The record `doc` holds, of the kind `header` (read from `doc` by
    /// [`header`]) names: a document is hydrated once for all the server
    /// asks of it (validation, projection, field rules).
    pub fn read(doc: &impl autosurgeon::ReadDoc, header: &Header) -> Result<AnyRecord, DocError> {
        fn typed<R: Record>(doc: &impl autosurgeon::ReadDoc) -> Result<R, DocError> {
            autosurgeon::hydrate(doc).map_err(|e| DocError::Shape {
                expected: R::KIND.to_string(),
                detail: e.to_string(),
            })
        }
        Ok(match header.kind {
            RecordKind::Person => AnyRecord::Person(typed(doc)?),
            RecordKind::CaseNotes => AnyRecord::CaseNotes(typed(doc)?),
            RecordKind::Contact => AnyRecord::Contact(typed(doc)?),
            RecordKind::DaySession => AnyRecord::DaySession(typed(doc)?),
            RecordKind::Workshop => AnyRecord::Workshop(typed(doc)?),
            RecordKind::Catalogue => AnyRecord::Catalogue(typed(doc)?),
            RecordKind::Diagnosis => AnyRecord::Diagnosis(typed(doc)?),
            RecordKind::Programme => AnyRecord::Programme(typed(doc)?),
            RecordKind::Referral => AnyRecord::Referral(typed(doc)?),
        })
    }

    /// Checks the record's content.
    pub fn validate(&self, ctx: &ValidationContext) -> Result<(), DocError> {
        match self {
            AnyRecord::Person(r) => r.validate(ctx)?,
            AnyRecord::CaseNotes(r) => r.validate(ctx)?,
            AnyRecord::Contact(r) => r.validate(ctx)?,
            AnyRecord::DaySession(r) => r.validate(ctx)?,
            AnyRecord::Workshop(r) => r.validate(ctx)?,
            AnyRecord::Catalogue(r) => r.validate(ctx)?,
            AnyRecord::Diagnosis(r) => r.validate(ctx)?,
            AnyRecord::Programme(r) => r.validate(ctx)?,
            AnyRecord::Referral(r) => r.validate(ctx)?,
        }
        Ok(())
    }
}

/// Reads `doc` as the record its header names, checks it, and returns the
/// header. This is what the server runs on every document a device changed.
pub fn validate_document(doc: &Automerge, ctx: &ValidationContext) -> Result<Header, DocError> {
    let header = header(doc)?;
    // A record written by a newer schema is still checked on the fields
    // this version knows; fields it does not know are left alone.
    AnyRecord::read(doc, &header)?.validate(ctx)?;
    Ok(header)
}

/// One change in a record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub hash: String,
    /// The device that made it; `None` for a genesis change.
    pub device: Option<DeviceId>,
    /// Who that device's author is, as the document records it.
    #[serde(default)]
    pub author: Option<String>,
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
            author: actor_device(&meta.actor).and_then(|device| author_name(doc, device)),
            at: Timestamp(meta.timestamp),
            message: meta.message.map(|m| m.to_string()).unwrap_or_default(),
        })
        .collect()
}

/// The name of the first device that changed `doc` (a genesis change
/// names nobody): who wrote the record first. One name is looked up, not
/// one per change as in [`history`].
pub fn first_author(doc: &Automerge) -> Option<String> {
    doc.get_changes_meta(&[])
        .into_iter()
        .find_map(|meta| actor_device(&meta.actor))
        .and_then(|device| author_name(doc, device))
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
    fn history_and_conflicts_name_the_author() {
        let (a, b) = (DeviceId::random(), DeviceId::random());
        let marta = Author {
            device: a,
            name: Some("marta · Telefon Marty".into()),
        };
        let mut doc_a = create(
            &Person::new("Zbyszek", Timestamp(0)),
            marta.clone(),
            Timestamp(1),
        )
        .expect("create");
        let mut doc_b = doc_a.fork();
        let mut person: Person = read(&doc_a).expect("read");
        person.alias = "Zbych".into();
        write(&mut doc_a, &person, marta, Timestamp(2), "edit").expect("write");
        let jan = Author {
            device: b,
            name: Some("jan · Tablet 2".into()),
        };
        person.alias = "Zbigniew".into();
        write(&mut doc_b, &person, jan, Timestamp(3), "edit").expect("write");
        doc_a.merge(&mut doc_b).expect("merge");

        let history = history(&doc_a);
        assert_eq!(history[0].author.as_deref(), Some("marta · Telefon Marty"));
        let mut authors: Vec<_> = crate::conflicts::conflicts(&doc_a)[0]
            .versions
            .iter()
            .map(|v| v.author.clone().unwrap_or_default())
            .collect();
        authors.sort();
        assert_eq!(authors, vec!["jan · Tablet 2", "marta · Telefon Marty"]);
        // The name is written once per device, with its first change.
        let (_, op) = doc_a
            .get(automerge::ROOT, author_key(a))
            .expect("get")
            .expect("a's name");
        let written_in = doc_a.hash_for_opid(&op).map(|h| h.to_string());
        assert_eq!(written_in.as_deref(), Some(history[0].hash.as_str()));
        // The record reads as before: the name is beside it, not in it.
        read::<Person>(&doc_a).expect("read");
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
