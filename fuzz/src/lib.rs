//! What the fuzz targets check, kept apart from libFuzzer so that the
//! normal test suite can replay committed inputs on stable Rust
//! (`shared/tests/hostile_input.rs` includes this file) and write the seed
//! corpus.
//!
//! - [`check_protocol_decode`]: any bytes as a frame from a device and from
//!   the server: decoding never panics, and what decodes encodes again to
//!   a frame that decodes to the same message.
//! - [`check_ingest`]: a push of arbitrary change bytes against one of a
//!   few valid stored documents ([`base`]), in the input format of
//!   [`IngestInput`].
//! - [`check_edits`]: a push of real Automerge changes made by a small
//!   program of edits ([`Op`]) on one of those documents, so the fuzzer
//!   reaches validation and hydration with well-formed changes.
//!
//! After an ingest both check what the server relies on: the stored
//! document is untouched; a push refused as a whole stores nothing; an
//! accepted push keeps the document's header, validates, and loads again
//! from its stored changes and from a saved snapshot.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, Automerge, Change, ObjId, ObjType, ReadDoc, ScalarValue};
use serde_bytes::ByteBuf;

use odnowa_shared::document::{self, GENESIS_ACTOR, Header};
use odnowa_shared::ids::{DeviceId, DocId, OrgId, PersonId, SiteId, SpaceId, UserId};
use odnowa_shared::protocol::{self, DocPush};
use odnowa_shared::records::{
    CaseNotes, Catalogue, Contact, DaySession, Diagnosis, DomainAssessment, Goal, Person,
    Programme, RecordKind, Referral, ReferralTarget, Stamp, Workshop,
};
use odnowa_shared::sync::ingest::{Ingested, ingest};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_shared::validate::ValidationContext;

/// How many stored documents [`base`] offers.
pub const BASES: u8 = 9;

/// The team space of the base documents.
pub fn team() -> SpaceId {
    SpaceId(uuid::Uuid::from_u128(0x7ea3))
}

/// The device that wrote the base documents.
pub fn device() -> DeviceId {
    DeviceId(uuid::Uuid::from_u128(0xde71ce))
}

/// The validation context of the fuzzed server: the default services.
pub fn context() -> ValidationContext {
    let catalogue = Catalogue::with_default_services();
    ValidationContext::with_services(catalogue.services.keys().cloned())
}

fn date() -> Date {
    "2026-11-24".parse().expect("a fixed date")
}

/// [`make_base`], made once per process (fuzz targets run it per input).
pub fn base(which: u8) -> Automerge {
    static BASES_MADE: std::sync::OnceLock<Vec<Automerge>> = std::sync::OnceLock::new();
    let made = BASES_MADE.get_or_init(|| (0..BASES).map(make_base).collect());
    made[usize::from(which % BASES)].clone()
}

/// A valid stored document, always the same bytes: a person, a contact, a
/// day session (deterministic genesis, then ticks), a workshop, case notes
/// the catalogue (genesis, then the office's services), a diagnosis, a
/// programme and a referral to another organisation. `which` is taken
/// modulo [`BASES`].
pub fn make_base(which: u8) -> Automerge {
    let made = match which % BASES {
        0 => {
            let mut person = Person::new("Zbyszek", Timestamp(1));
            person.id = PersonId(uuid::Uuid::from_u128(0x9e75)).doc_id();
            person.birth_year = Some(1971);
            document::create(&person, device(), Timestamp(1))
        }
        1 => {
            let mut contact = Contact::new(team(), UserId(uuid::Uuid::from_u128(5)), Timestamp(2))
                .with_person(PersonId(uuid::Uuid::from_u128(0x9e75)))
                .with_service("food");
            contact.id = DocId(uuid::Uuid::from_u128(0xc0));
            contact.note = "kaszel od tygodnia".into();
            document::create(&contact, device(), Timestamp(2))
        }
        2 => {
            let value = DaySession::genesis_value(team(), SiteId(uuid::Uuid::from_u128(3)), date());
            document::genesis(&value).and_then(|mut doc| {
                let mut session = value;
                session.mark_present(
                    PersonId(uuid::Uuid::from_u128(0x9e75)),
                    UserId(uuid::Uuid::from_u128(5)),
                    Timestamp(3),
                );
                session.meals.add(2);
                document::write(&mut doc, &session, device(), Timestamp(3), "tick")?;
                Ok(doc)
            })
        }
        3 => {
            let mut workshop = Workshop::new(
                team(),
                SiteId(uuid::Uuid::from_u128(4)),
                date(),
                UserId(uuid::Uuid::from_u128(5)),
            );
            workshop.id = DocId(uuid::Uuid::from_u128(0x3015));
            workshop.theme = "motyw kurpiowski".into();
            document::create(&workshop, device(), Timestamp(4))
        }
        4 => {
            let mut notes = CaseNotes::new(
                team(),
                PersonId(uuid::Uuid::from_u128(0x9e75)),
                OrgId(uuid::Uuid::from_u128(6)),
            );
            notes.id = DocId(uuid::Uuid::from_u128(0xca5e));
            document::create(&notes, device(), Timestamp(5))
        }
        6 => {
            let mut diagnosis = Diagnosis::new(
                team(),
                PersonId(uuid::Uuid::from_u128(0x9e75)),
                OrgId(uuid::Uuid::from_u128(6)),
                date(),
                Timestamp(7),
            );
            diagnosis.id = DocId(uuid::Uuid::from_u128(0xd1a9));
            diagnosis.domains.insert(
                "housing".into(),
                DomainAssessment {
                    level: 1,
                    note: "śpi na działkach".into(),
                },
            );
            document::create(&diagnosis, device(), Timestamp(7))
        }
        7 => {
            let mut programme = Programme::new(
                team(),
                PersonId(uuid::Uuid::from_u128(0x9e75)),
                OrgId(uuid::Uuid::from_u128(6)),
                date(),
                Timestamp(8),
            );
            programme.id = DocId(uuid::Uuid::from_u128(0x1b3b));
            programme.goals.insert(
                "g1".into(),
                Goal {
                    text: "mieszkanie treningowe".into(),
                    created_at: Timestamp(8),
                },
            );
            document::create(&programme, device(), Timestamp(8))
        }
        8 => {
            let mut referral = Referral::new(
                PersonId(uuid::Uuid::from_u128(0x9e75)),
                "Zbyszek",
                OrgId(uuid::Uuid::from_u128(6)),
                team(),
                ReferralTarget::Org {
                    org: OrgId(uuid::Uuid::from_u128(7)),
                    service: Some("food".into()),
                },
                "nocleg na zimę",
                Stamp::by(Timestamp(9), UserId(uuid::Uuid::from_u128(5)), ""),
            );
            referral.id = DocId(uuid::Uuid::from_u128(0x4ef));
            document::create(&referral, device(), Timestamp(9))
        }
        _ => document::genesis(&Catalogue::genesis_value()).and_then(|mut doc| {
            let office = DeviceId::office(UserId(uuid::Uuid::from_u128(1)));
            document::write(
                &mut doc,
                &Catalogue::with_default_services(),
                office,
                Timestamp(6),
                "service",
            )?;
            Ok(doc)
        }),
    };
    // The base documents are fixed values known to be valid.
    made.unwrap_or_default()
}

fn header_of(doc: &Automerge) -> Option<Header> {
    document::header(doc).ok()
}

/// The input of [`check_ingest`], as bytes:
/// `[base] [lies] ([length: u16 BE] [change bytes])*`.
///
/// `lies` bits: 1 the push names another kind, 2 another space, 4 another
/// document, 8 the server holds no such document yet (a new record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestInput {
    pub base: u8,
    pub lies: u8,
    pub changes: Vec<Vec<u8>>,
}

impl IngestInput {
    /// Reads an input; bytes past the last whole change form one more.
    pub fn parse(data: &[u8]) -> IngestInput {
        let (base, lies) = (
            data.first().copied().unwrap_or(0),
            data.get(1).copied().unwrap_or(0),
        );
        let mut rest = data.get(2..).unwrap_or_default();
        let mut changes = Vec::new();
        while rest.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            let body = &rest[2..];
            let take = len.min(body.len());
            changes.push(body[..take].to_vec());
            rest = &body[take..];
        }
        IngestInput {
            base,
            lies,
            changes,
        }
    }

    /// The bytes that [`IngestInput::parse`] reads back as `self` (changes
    /// longer than 65,535 bytes are cut).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.base, self.lies];
        for change in &self.changes {
            let len = change.len().min(usize::from(u16::MAX));
            out.extend_from_slice(&(len as u16).to_be_bytes());
            out.extend_from_slice(&change[..len]);
        }
        out
    }
}

fn other_kind(kind: RecordKind) -> RecordKind {
    let all = RecordKind::ALL;
    let at = all.iter().position(|k| *k == kind).unwrap_or(0);
    all[(at + 1) % all.len()]
}

/// The push a device would send for `doc`, told with `lies`.
fn push_for(header: Header, lies: u8, changes: Vec<Vec<u8>>) -> DocPush {
    DocPush {
        doc: if lies & 4 != 0 {
            DocId(uuid::Uuid::from_u128(0xbad))
        } else {
            header.id
        },
        space: if lies & 2 != 0 {
            SpaceId::REGISTRY
        } else {
            header.space
        },
        kind: if lies & 1 != 0 {
            other_kind(header.kind)
        } else {
            header.kind
        },
        generation: 0,
        changes: changes.into_iter().map(ByteBuf::from).collect(),
    }
}

/// Any bytes as a frame: decoding never panics; a decoded message
/// round-trips.
pub fn check_protocol_decode(data: &[u8]) {
    if let Ok(message) = protocol::decode_client(data) {
        let again = protocol::encode(&message).map(|bytes| protocol::decode_client(&bytes));
        assert!(
            matches!(&again, Ok(Ok(m)) if *m == message),
            "a decoded client message does not round-trip: {again:?}"
        );
    }
    if let Ok(message) = protocol::decode_server(data) {
        let again = protocol::encode(&message).map(|bytes| protocol::decode_server(&bytes));
        // NaN-free by construction (no floats on the wire), so `==` holds.
        assert!(
            matches!(&again, Ok(Ok(m)) if *m == message),
            "a decoded server message does not round-trip: {again:?}"
        );
    }
}

/// A push of arbitrary change bytes against a stored document.
pub fn check_ingest(data: &[u8]) {
    let input = IngestInput::parse(data);
    let stored = base(input.base);
    let Some(header) = header_of(&stored) else {
        panic!("base document {} has no header", input.base);
    };
    let push = push_for(header, input.lies, input.changes);
    let current = (input.lies & 8 == 0).then_some(&stored);
    run_ingest(current, &stored, &push);
}

/// Runs one ingest and checks what the server relies on.
fn run_ingest(current: Option<&Automerge>, stored: &Automerge, push: &DocPush) -> Ingested {
    let heads_before = stored.get_heads();
    let ctx = context();
    let outcome = ingest(current, push, &ctx);
    // The stored document is never touched.
    assert_eq!(
        stored.get_heads(),
        heads_before,
        "ingest changed the stored document"
    );

    let refused_whole = outcome.refused.iter().any(|r| r.change.is_none());
    if refused_whole {
        assert!(
            outcome.doc.is_none() && outcome.stored.is_empty(),
            "a push refused as a whole still stores changes: {:?}",
            outcome.refused
        );
    }
    for refusal in &outcome.refused {
        assert!(!refusal.reason.is_empty(), "a refusal without a reason");
        assert_eq!(refusal.doc, push.doc);
    }
    let Some(doc) = &outcome.doc else {
        assert!(
            outcome.stored.is_empty(),
            "changes to store without a document"
        );
        return outcome;
    };
    assert!(
        !outcome.stored.is_empty(),
        "a new document without new changes"
    );
    // The header is the pushed one, and the one stored before.
    let header = document::validate_document(doc, &ctx)
        .unwrap_or_else(|e| panic!("an accepted document does not validate: {e}"));
    assert_eq!(
        (header.kind, header.space, header.id),
        (push.kind, push.space, push.doc),
        "an accepted document's header differs from the push"
    );
    if let Some(before) = current.and_then(header_of) {
        assert_eq!(
            (before.kind, before.space, before.id),
            (header.kind, header.space, header.id),
            "an accepted push changed the header"
        );
    }
    // What the server stores loads again: the stored changes after the
    // document's own, and a saved snapshot.
    let mut reloaded = Automerge::new();
    let mut all: Vec<Change> = current.map(|d| d.get_changes(&[])).unwrap_or_default();
    for new in &outcome.stored {
        match Change::try_from(new.bytes.as_slice()) {
            Ok(change) => all.push(change),
            Err(e) => panic!("a stored change does not decode again: {e}"),
        }
    }
    if let Err(e) = reloaded.apply_changes(all) {
        panic!("the stored changes do not apply again: {e}");
    }
    assert_eq!(reloaded.get_heads(), doc.get_heads(), "a reload differs");
    match Automerge::load(&doc.save()) {
        Ok(snapshot) => {
            assert_eq!(snapshot.get_heads(), doc.get_heads(), "a snapshot differs");
            if let Err(e) = document::validate_document(&snapshot, &ctx) {
                panic!("an accepted document's snapshot does not validate: {e}");
            }
        }
        Err(e) => panic!("an accepted document's snapshot does not load: {e}"),
    }
    // What the server and the devices read of it does not panic.
    let _ = odnowa_shared::projection::project(header.kind, doc);
    let _ = document::history(doc);
    let _ = odnowa_shared::conflicts::conflicts(doc);
    outcome
}

/// Keys the edit programs use: the records' field names, and ids.
const KEYS: [&str; 40] = [
    "kind",
    "schema",
    "space",
    "id",
    "alias",
    "birth_year",
    "gender",
    "consent",
    "merged_into",
    "created_at",
    "created_by",
    "sites",
    "persons",
    "services",
    "attendance",
    "participants",
    "items",
    "note",
    "place",
    "at",
    "worker",
    "anonymous_count",
    "meals",
    "date",
    "site",
    "orgs",
    "name_pl",
    "name_en",
    "position",
    "hours",
    "role",
    "count",
    "entries",
    "person",
    "org",
    "present",
    "check_in",
    "food",
    "00000000-0000-0000-0000-000000009e75",
    "by:00000000-0000-0000-0000-000000de71ce",
];

/// Strings the edit programs put.
const STRINGS: [&str; 12] = [
    "",
    "person",
    "contact",
    "day_session",
    "workshop",
    "case_notes",
    "catalogue",
    "00000000-0000-0000-0000-000000007ea3",
    "6f646e6f-7761-4000-8000-726567697374",
    "2026-11-24",
    "food",
    "Zbyszek",
];

/// One edit of an edit program.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Put a scalar at `key` of the current object.
    Put {
        key: String,
        value: ScalarValue,
    },
    /// Make a new map, list or text at `key` and enter it.
    PutObject {
        key: String,
        kind: u8,
    },
    /// Enter the object at `key` (stays where it is if there is none).
    Enter {
        key: String,
    },
    /// Back to the root.
    Root,
    Delete {
        key: String,
    },
    Increment {
        key: String,
        by: i64,
    },
    /// Insert a scalar into the current list at `index`.
    Insert {
        index: usize,
        value: ScalarValue,
    },
    /// Splice text into the current text object.
    Splice {
        index: usize,
        delete: isize,
        text: String,
    },
    /// End the change; the next op starts another.
    Commit {
        time: i64,
    },
}

/// Reads bytes as an edit program, one op after another.
struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(*first)
    }

    fn int(&mut self) -> i64 {
        let mut bytes = [0u8; 8];
        for b in &mut bytes {
            *b = self.byte().unwrap_or(0);
        }
        i64::from_le_bytes(bytes)
    }

    fn key(&mut self) -> String {
        let pick = self.byte().unwrap_or(0);
        match KEYS.get(usize::from(pick)) {
            Some(key) => (*key).to_string(),
            None => self.text(),
        }
    }

    fn text(&mut self) -> String {
        let len = usize::from(self.byte().unwrap_or(0) % 48);
        let take = len.min(self.data.len());
        let (text, rest) = self.data.split_at(take);
        self.data = rest;
        String::from_utf8_lossy(text).into_owned()
    }

    fn scalar(&mut self) -> ScalarValue {
        match self.byte().unwrap_or(0) % 12 {
            0 => ScalarValue::Str(self.text().into()),
            1 => {
                let pick = usize::from(self.byte().unwrap_or(0)) % STRINGS.len();
                ScalarValue::Str(STRINGS[pick].into())
            }
            2 => ScalarValue::Int(self.int()),
            3 => ScalarValue::Uint(self.int() as u64),
            4 => ScalarValue::F64(f64::from_bits(self.int() as u64)),
            5 => ScalarValue::Boolean(self.byte().unwrap_or(0) & 1 == 1),
            6 => ScalarValue::Null,
            7 => ScalarValue::counter(self.int()),
            8 => ScalarValue::Timestamp(self.int()),
            9 => ScalarValue::Bytes(self.text().into_bytes()),
            10 => ScalarValue::Int(i64::from(self.byte().unwrap_or(0))),
            _ => ScalarValue::Uint(u64::from(self.byte().unwrap_or(0))),
        }
    }

    fn op(&mut self) -> Option<Op> {
        Some(match self.byte()? % 9 {
            0 => Op::Put {
                key: self.key(),
                value: self.scalar(),
            },
            1 => Op::PutObject {
                key: self.key(),
                kind: self.byte().unwrap_or(0),
            },
            2 => Op::Enter { key: self.key() },
            3 => Op::Root,
            4 => Op::Delete { key: self.key() },
            5 => Op::Increment {
                key: self.key(),
                by: self.int(),
            },
            6 => Op::Insert {
                index: usize::from(self.byte().unwrap_or(0)),
                value: self.scalar(),
            },
            7 => Op::Splice {
                index: usize::from(self.byte().unwrap_or(0)),
                delete: isize::from(self.byte().unwrap_or(0) as i8),
                text: self.text(),
            },
            _ => Op::Commit { time: self.int() },
        })
    }
}

/// The input of [`check_edits`]: `[base] [lies] [actor] op*`; `actor`
/// picks who makes the changes (0 the base's device, 1 the genesis actor,
/// 2 an office user, else another device).
#[derive(Debug, Clone, PartialEq)]
pub struct EditsInput {
    pub base: u8,
    pub lies: u8,
    pub actor: u8,
    pub ops: Vec<Op>,
}

impl EditsInput {
    /// Reads an input; at most 256 ops.
    pub fn parse(data: &[u8]) -> EditsInput {
        let mut reader = Reader { data };
        let base = reader.byte().unwrap_or(0);
        let lies = reader.byte().unwrap_or(0);
        let actor = reader.byte().unwrap_or(0);
        let mut ops = Vec::new();
        while ops.len() < 256 {
            match reader.op() {
                Some(op) => ops.push(op),
                None => break,
            }
        }
        EditsInput {
            base,
            lies,
            actor,
            ops,
        }
    }
}

fn actor(pick: u8) -> ActorId {
    match pick % 4 {
        0 => document::device_actor(device()),
        1 => ActorId::from(GENESIS_ACTOR.as_slice()),
        2 => document::device_actor(DeviceId::office(UserId(uuid::Uuid::from_u128(1)))),
        _ => document::device_actor(DeviceId(uuid::Uuid::from_u128(0xe71))),
    }
}

/// Applies `ops` to `doc` as `actor`; returns the new changes.
pub fn apply_ops(doc: &mut Automerge, actor_id: ActorId, ops: &[Op]) -> Vec<Vec<u8>> {
    let before = doc.get_heads();
    doc.set_actor(actor_id);
    let mut time = 10;
    let mut start = 0;
    while start < ops.len() {
        let end = ops[start..]
            .iter()
            .position(|op| matches!(op, Op::Commit { .. }))
            .map_or(ops.len(), |at| start + at);
        let mut tx = doc.transaction();
        let mut here: ObjId = automerge::ROOT;
        for op in &ops[start..end] {
            edit(&mut tx, &mut here, op);
        }
        tx.commit_with(CommitOptions::default().with_time(time));
        if let Some(Op::Commit { time: next }) = ops.get(end) {
            // Within ±35 years of 1970: an extreme time overflows the
            // delta encoding of Automerge's own commit (a debug-build
            // panic in hexane, found by this target; fuzz/regressions/
            // ingest_edits/extreme-commit-time). Pushed bytes with any
            // time are the `ingest` target's job.
            time = next % (1 << 40);
        }
        start = end + 1;
    }
    doc.get_changes(&before)
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// One op inside a transaction; errors (a key on a list, an index out of
/// range) are what hostile devices send too, and are skipped.
fn edit(tx: &mut automerge::transaction::Transaction<'_>, here: &mut ObjId, op: &Op) {
    let is_seq = matches!(tx.object_type(&*here), Ok(ObjType::List | ObjType::Text));
    match op {
        Op::Put { key, value } if !is_seq => {
            let _ = tx.put(&*here, key.as_str(), value.clone());
        }
        Op::PutObject { key, kind } if !is_seq => {
            let kind = match kind % 3 {
                0 => ObjType::Map,
                1 => ObjType::List,
                _ => ObjType::Text,
            };
            if let Ok(made) = tx.put_object(&*here, key.as_str(), kind) {
                *here = made;
            }
        }
        Op::Enter { key } if !is_seq => {
            if let Ok(Some((automerge::Value::Object(_), id))) = tx.get(&*here, key.as_str()) {
                *here = id;
            }
        }
        Op::Root => *here = automerge::ROOT,
        Op::Delete { key } if !is_seq => {
            let _ = tx.delete(&*here, key.as_str());
        }
        Op::Increment { key, by } if !is_seq => {
            let _ = tx.increment(&*here, key.as_str(), *by);
        }
        Op::Insert { index, value } if is_seq => {
            let len = tx.length(&*here);
            let _ = tx.insert(&*here, (*index).min(len), value.clone());
        }
        Op::Splice {
            index,
            delete,
            text,
        } if is_seq => {
            let len = tx.length(&*here);
            let index = (*index).min(len);
            let delete = (*delete).clamp(0, (len - index) as isize);
            let _ = tx.splice_text(&*here, index, delete, text);
        }
        _ => {}
    }
}

/// A push of real changes made by an edit program on a stored document.
pub fn check_edits(data: &[u8]) {
    let input = EditsInput::parse(data);
    let stored = base(input.base);
    let Some(header) = header_of(&stored) else {
        panic!("base document {} has no header", input.base);
    };
    let mut edited = stored.fork();
    let changes = apply_ops(&mut edited, actor(input.actor), &input.ops);
    if changes.is_empty() {
        return;
    }
    let push = push_for(header, input.lies & 7, changes);
    let outcome = run_ingest(Some(&stored), &stored, &push);
    // An honest push of well-formed changes on a document the server holds
    // is either stored whole or refused whole.
    if input.lies & 7 == 0 && outcome.doc.is_some() {
        assert!(outcome.refused.is_empty(), "{:?}", outcome.refused);
    }
}

/// A valid frame for the seed corpus: a device's push of `base`'s changes.
pub fn seed_frame(which: u8) -> Vec<u8> {
    let doc = base(which);
    let header = header_of(&doc);
    let pushes = header
        .map(|header| {
            push_for(
                header,
                0,
                doc.get_changes(&[])
                    .into_iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect(),
            )
        })
        .into_iter()
        .collect();
    protocol::encode(&protocol::ClientMessage::Sync(protocol::SyncRequest {
        request_id: u64::from(which),
        cursors: vec![protocol::SpaceCursor::fresh(team())],
        pushes,
        max_response_bytes: 0,
        reads: vec![protocol::ReadReport {
            doc: DocId::catalogue(),
            at: odnowa_shared::time::Timestamp(0),
        }],
        purged: vec![protocol::Purge {
            doc: DocId::catalogue(),
            keep_from: Some(1),
        }],
    }))
    .unwrap_or_default()
}
