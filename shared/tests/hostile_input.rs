//! Hostile input to the protocol decoder and to change ingestion, on
//! stable Rust, in the normal test suite.
//!
//! The checks are the fuzz targets' own (`fuzz/src/lib.rs`, included
//! here): every committed input under `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` is replayed through them, so a crash the
//! fuzzer once found stays fixed without nightly. Each crash also has a
//! test of its own below, named after what broke. `write_seed_corpus`
//! (ignored) writes the seeds of the corpus.

#[allow(dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod harness;

use std::path::{Path, PathBuf};

use harness::{IngestInput, base, check_edits, check_ingest, check_protocol_decode};
use odnowa_shared::document;
use odnowa_shared::ids::{DeviceId, PersonId, UserId};
use odnowa_shared::protocol::{self, DocUpdate, ServerMessage, SyncResponse, WireError};
use odnowa_shared::records::{
    CaseEntry, CaseNotes, Catalogue, Contact, DaySession, Diagnosis, DomainAssessment, Person,
    Programme, RecordKind, Referral, Stamp, Step, Workshop,
};
use odnowa_shared::time::Timestamp;
use serde_bytes::ByteBuf;

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 3] = [
    ("protocol_decode", check_protocol_decode),
    ("ingest", check_ingest),
    ("ingest_edits", check_edits),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file());
    files.sort();
    files
}

#[test]
fn every_committed_fuzz_input_passes_its_target() {
    let mut replayed = 0;
    for (target, check) in TARGETS {
        for folder in ["corpus", "regressions"] {
            for file in files_in(&fuzz_dir().join(folder).join(target)) {
                let bytes = std::fs::read(&file).expect("read a committed input");
                let outcome = std::panic::catch_unwind(|| check(&bytes));
                assert!(outcome.is_ok(), "{target} fails on {}", file.display());
                replayed += 1;
            }
        }
    }
    assert!(
        replayed > 20,
        "only {replayed} committed inputs: is fuzz/ there?"
    );
}

/// A real edit of each base document, as a device would push it.
fn edited(which: u8) -> Vec<Vec<u8>> {
    let mut doc = base(which);
    let before = doc.get_heads();
    let device = DeviceId(uuid::Uuid::from_u128(0xe71));
    let at = Timestamp(100);
    let kind = document::header(&doc).expect("a base header").kind;
    let written = match kind {
        RecordKind::Person => {
            let mut person: Person = document::read(&doc).expect("read");
            person.alias = "Zbych".into();
            person.birth_year = Some(1972);
            document::write(&mut doc, &person, device, at, "edit")
        }
        RecordKind::Contact => {
            let mut contact: Contact = document::read(&doc).expect("read");
            contact.note = "lepiej, dostał śpiwór".into();
            contact = contact.with_service("hot_drink");
            document::write(&mut doc, &contact, device, at, "edit")
        }
        RecordKind::DaySession => {
            let mut session: DaySession = document::read(&doc).expect("read");
            session.mark_present(
                PersonId(uuid::Uuid::from_u128(0x0a1a)),
                UserId(uuid::Uuid::from_u128(5)),
                at,
            );
            session.meals.add(1);
            document::write(&mut doc, &session, device, at, "tick")
        }
        RecordKind::Workshop => {
            let mut workshop: Workshop = document::read(&doc).expect("read");
            workshop.materials = "stare swetry".into();
            document::write(&mut doc, &workshop, device, at, "edit")
        }
        RecordKind::CaseNotes => {
            let mut notes: CaseNotes = document::read(&doc).expect("read");
            notes.entries.insert(
                uuid::Uuid::from_u128(0xe1).to_string(),
                CaseEntry {
                    at,
                    author: None,
                    category: "need".into(),
                    text: "dowód osobisty".into(),
                    done: false,
                },
            );
            document::write(&mut doc, &notes, device, at, "note")
        }
        RecordKind::Diagnosis => {
            let mut diagnosis: Diagnosis = document::read(&doc).expect("read");
            diagnosis.wishes = "chce wrócić do córki".into();
            diagnosis.domains.insert(
                "income".into(),
                DomainAssessment {
                    level: 2,
                    note: String::new(),
                },
            );
            document::write(&mut doc, &diagnosis, device, at, "edit")
        }
        RecordKind::Programme => {
            let mut programme: Programme = document::read(&doc).expect("read");
            programme.steps.insert(
                "s1".into(),
                Step {
                    text: "dowód osobisty".into(),
                    due: Some("2026-12-01".parse().expect("date")),
                    carrier: "person".into(),
                    status: "planned".into(),
                    note: String::new(),
                    goal: Some("g1".into()),
                    created_at: at,
                    created_by: None,
                },
            );
            document::write(&mut doc, &programme, device, at, "step")
        }
        RecordKind::Referral => {
            let mut referral: Referral = document::read(&doc).expect("read");
            referral.accepted = Some(Stamp::by(at, UserId(uuid::Uuid::from_u128(8)), ""));
            document::write(&mut doc, &referral, device, at, "accept")
        }
        RecordKind::Catalogue => {
            let mut catalogue: Catalogue = document::read(&doc).expect("read");
            catalogue.put_service("laundry", "Pranie", "Laundry");
            document::write(&mut doc, &catalogue, device, at, "service")
        }
    };
    written.expect("a valid edit");
    doc.get_changes(&before)
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

fn whole(which: u8) -> Vec<Vec<u8>> {
    base(which)
        .get_changes(&[])
        .into_iter()
        .map(|c| c.raw_bytes().to_vec())
        .collect()
}

/// Edit programs for `ingest_edits` (see `harness::Op` for the bytes):
/// put an alias, put a kind, nest a map, increment a counter, splice.
fn programs() -> Vec<Vec<u8>> {
    vec![
        // person: put alias = "Zbyszek" (key 4, STRINGS[11])
        vec![0, 0, 3, 0, 4, 1, 11],
        // person: put kind = "contact" (key 0, STRINGS[2]) -- a kind change
        vec![0, 0, 0, 0, 0, 1, 2],
        // contact: enter persons (key 12), put a map under an id, put a bool
        vec![1, 0, 0, 2, 12, 1, 38, 0, 0, 35, 5, 1],
        // day session: increment meals (key 22) by 3
        vec![2, 0, 3, 5, 22, 3, 0, 0, 0, 0, 0, 0, 0],
        // workshop: new text at "theme", splice into it, commit, delete note
        vec![
            3, 0, 0, 1, 255, 5, b't', b'h', b'e', b'm', b'e', 2, 7, 0, 0, 3, b'a', b'b', b'c', 8,
            0, 0, 0, 0, 0, 0, 0, 1, 3, 4, 17,
        ],
        // catalogue by an office user: put a service name
        vec![
            5, 0, 2, 2, 13, 2, 37, 0, 26, 0, 5, b'O', b'b', b'i', b'a', b'd',
        ],
        // catalogue by a field device
        vec![5, 0, 3, 2, 13, 2, 37, 0, 27, 0, 4, b'F', b'o', b'o', b'd'],
        // a lying space, the genesis actor
        vec![2, 2, 1, 0, 20, 10, 7],
    ]
}

/// Writes the seed corpus of every target into `fuzz/corpus/`. Run when
/// the input formats or the base documents change:
/// `cargo test -p odnowa-shared --test hostile_input -- --ignored`.
#[test]
#[ignore = "writes the committed seed corpus"]
fn write_seed_corpus() {
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = fuzz_dir().join("corpus").join(target);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(name), bytes).expect("write");
    };
    for which in 0..harness::BASES {
        write(
            "protocol_decode",
            &format!("push-{which}"),
            &harness::seed_frame(which),
        );
        for (lies, changes, name) in [
            (0, edited(which), "edit"),
            (0, whole(which), "whole"),
            (8, whole(which), "new"),
            (1, edited(which), "lying-kind"),
            (2, edited(which), "lying-space"),
            (4, edited(which), "lying-doc"),
        ] {
            let input = IngestInput {
                base: which,
                lies,
                changes,
            };
            write("ingest", &format!("{name}-{which}"), &input.to_bytes());
        }
    }
    for (at, program) in programs().iter().enumerate() {
        write("ingest_edits", &format!("program-{at}"), program);
    }
    // Frames from the server: an answer with a snapshot and changes, a
    // poke, an error.
    let doc = base(2);
    let header = document::header(&doc).expect("header");
    let answer = ServerMessage::Sync(SyncResponse {
        request_id: 9,
        updates: vec![DocUpdate {
            doc: header.id,
            space: header.space,
            kind: header.kind,
            generation: 0,
            snapshot: Some(ByteBuf::from(doc.save())),
            changes: edited(2).into_iter().map(ByteBuf::from).collect(),
        }],
        more: true,
        total_docs: Some(3),
        policy: Some(protocol::DevicePolicy::default()),
        ..SyncResponse::default()
    });
    let frames = [
        ("answer", answer),
        (
            "poke",
            ServerMessage::Poke(protocol::Poke {
                spaces: vec![header.space],
            }),
        ),
        (
            "error",
            ServerMessage::Error(WireError {
                code: protocol::ErrorCode::Revoked,
                message: "this device was revoked".into(),
            }),
        ),
    ];
    for (name, message) in frames {
        write(
            "protocol_decode",
            name,
            &protocol::encode(&message).expect("encode"),
        );
    }
}

#[test]
fn the_seeds_reach_acceptance_and_refusal() {
    // An honest edit of each base is accepted; a lying one is refused.
    for which in 0..harness::BASES {
        let stored = base(which);
        let header = document::header(&stored).expect("header");
        let push = odnowa_shared::protocol::DocPush {
            doc: header.id,
            space: header.space,
            kind: header.kind,
            generation: 0,
            changes: edited(which).into_iter().map(ByteBuf::from).collect(),
        };
        let outcome =
            odnowa_shared::sync::ingest::ingest(Some(&stored), &push, &harness::context());
        assert!(outcome.refused.is_empty(), "{which}: {:?}", outcome.refused);
        let mut lying = push.clone();
        lying.kind = RecordKind::Workshop;
        if header.kind == RecordKind::Workshop {
            lying.kind = RecordKind::Person;
        }
        let outcome =
            odnowa_shared::sync::ingest::ingest(Some(&stored), &lying, &harness::context());
        assert!(outcome.doc.is_none() && !outcome.refused.is_empty());
    }
}
