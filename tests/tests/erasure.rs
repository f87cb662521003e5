//! Erasure of a person through real parts (SQLite and PostgreSQL, real
//! device engines over HTTP): a coordinator erases a person and their
//! merged duplicate; the server deletes their registry entries and case
//! notes with their history and rewrites the contacts naming them as a new
//! generation without notes; every device purges at its next sync and
//! confirms, and the office sees which have not; a device holding an older
//! generation with unsent edits discards it instead of merging it back,
//! and a contact it wrote offline about the person is rewritten too;
//! later pushes for the erased data are refused and not kept; reports
//! still count the contacts.

use anyhow::{Context, Result, ensure};
use reqwest::StatusCode;
use serde_json::json;

use odnowa_shared::api::{ContactDraft, PersonDraft};
use odnowa_shared::document;
use odnowa_shared::ids::{DeviceId, DocId, PersonId};
use odnowa_shared::office::{
    Erasure, ErasurePlan, Month, OfficeErrorCode, PersonSummary, Report, Timeline,
};
use odnowa_shared::protocol::{DocPush, RefusalCode, SyncRequest};
use odnowa_shared::records::{CaseEntry, CaseNotes, Contact, Person, Record};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::exchange::Peer;
use odnowa_tests::office::{OfficeClient, refusal};
use odnowa_tests::{Backend, TestDevice, TestServer};
use serde_bytes::ByteBuf;

const ORG_A: &str = "Stowarzyszenie Przystań";
const ORG_B: &str = "Spółdzielnia Odnowa";
const STREET_A: &str = "Streetwork — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";

/// Text that must be gone from everywhere after the erasure.
const ALIAS: &str = "Zenobiusz Erazmowicz";
const TWIN_ALIAS: &str = "Zenek Erazm";
const NOTE: &str = "NOTATKA-TAJNA śpi w altanie przy torach";
const FOLLOW_UP: &str = "FOLLOWUP-TAJNY zadzwonić do siostry";
const CASE_TEXT: &str = "CASENOTE-TAJNA leczenie odwykowe";
const LATE_NOTE: &str = "SPOZNIONA-TAJNA notatka z terenu";
const SECRETS: [&str; 6] = [ALIAS, TWIN_ALIAS, NOTE, FOLLOW_UP, CASE_TEXT, LATE_NOTE];

async fn person(device: &TestDevice, alias: &str) -> Result<PersonId> {
    Ok(device
        .engine
        .create_person(&PersonDraft {
            alias: alias.into(),
            birth_year: Some(1971),
            gender: "m".into(),
            consent: None,
            distinct_from: Vec::new(),
        })
        .await?
        .id)
}

async fn figures(office: &OfficeClient) -> Result<[i64; 4]> {
    let month = Month::of(Date::today());
    let report: Report = office
        .get(&format!("/report?period={month}"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let c = report.consortium;
    Ok([c.records, c.unique_persons, c.new_persons, c.minutes])
}

async fn erasures(office: &OfficeClient) -> Result<Vec<Erasure>> {
    Ok(office
        .get("/erasures")
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Every byte of the server's SQLite files, as text.
fn sqlite_bytes(server: &TestServer) -> Result<Option<String>> {
    let Some(path) = server.database.url.strip_prefix("sqlite:") else {
        return Ok(None);
    };
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        if std::path::Path::new(&file).exists() {
            all.extend(std::fs::read(&file)?);
        }
    }
    Ok(Some(String::from_utf8_lossy(&all).into_owned()))
}

async fn raw_push(server: &TestServer, peer: Peer, push: DocPush) -> Result<Vec<RefusalCode>> {
    let response = server
        .sync
        .exchange(
            peer,
            SyncRequest {
                request_id: 1,
                pushes: vec![push],
                ..SyncRequest::default()
            },
        )
        .await?;
    Ok(response.refused.iter().map(|r| r.code).collect())
}

fn push_of<R: Record>(record: &R, device: DeviceId, generation: u32) -> Result<DocPush> {
    let doc = document::create(record, device, Timestamp::now())?;
    Ok(DocPush {
        doc: record.doc_id(),
        space: record.space(),
        kind: R::KIND,
        generation,
        changes: doc
            .get_changes(&[])
            .into_iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    })
}

async fn an_erasure_reaches_every_device_and_never_comes_back(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    server
        .members(&[(ORG_A, &[STREET_A]), (ORG_B, &[STREET_B])])
        .await?;
    server.add_service("food", "Posiłek", "Food").await?;
    let street_a = server.db.space_by_name(STREET_A).await?;
    let ola = server.device_on("ola", &["registry", STREET_A]).await?;
    let ewa = server.device_on("ewa", &["registry", STREET_A]).await?;
    let jan = server.device_on("jan", &["registry", STREET_B]).await?;
    let biuro = OfficeClient::user(&server, "biuro", "office", None).await?;
    let koord = OfficeClient::user(&server, "koord", "coordinator", Some(ORG_A)).await?;

    // Ola registers the person twice (a duplicate the office merges),
    // meets them twice (once with somebody else), keeps case notes.
    let zenek = person(&ola, ALIAS).await?;
    let twin = person(&ola, TWIN_ALIAS).await?;
    let other = person(&ola, "Marian Kowal").await?;
    let alone = ola
        .engine
        .save_contact(&ContactDraft {
            persons: vec![zenek],
            services: vec!["food".into()],
            note: NOTE.into(),
            follow_up: FOLLOW_UP.into(),
            duration_min: Some(20),
            ..ContactDraft::default()
        })
        .await?;
    let together = ola
        .engine
        .save_contact(&ContactDraft {
            persons: vec![twin, other],
            services: vec!["food".into()],
            note: "rozmowa przy dworcu".into(),
            duration_min: Some(10),
            ..ContactDraft::default()
        })
        .await?;
    let mut notes = CaseNotes::new(street_a, zenek, server.db.org_by_name(ORG_A).await?);
    notes.entries.insert(
        "e1".into(),
        CaseEntry {
            at: Timestamp::now(),
            author: None,
            category: "note".into(),
            text: CASE_TEXT.into(),
            done: false,
        },
    );
    ola.engine.save(&notes).await?;
    ola.engine.sync_now().await?;
    let merged = biuro
        .post("/duplicates/merge", json!({"from": twin, "into": zenek}))
        .await?;
    ensure!(merged.status().is_success(), "merged: {}", merged.status());
    for device in [&ola, &ewa, &jan] {
        device.engine.sync_now().await?;
    }
    ensure!(ewa.engine.get::<CaseNotes>(notes.id).await?.is_some());
    ensure!(jan.engine.get::<Person>(zenek.doc_id()).await?.is_some());
    let before = figures(&biuro).await?;
    let with_late = [before[0] + 1, before[1], before[2], before[3] + 5];
    ensure!(
        before[0] == 2 && before[1] == 2,
        "two contacts, two persons: {before:?}"
    );

    // Ewa, offline, edits the contact: her copy is the old generation.
    ewa.engine
        .save_contact(&ContactDraft {
            id: Some(alone.id),
            persons: vec![zenek],
            services: vec!["food".into()],
            note: format!("{NOTE} — i jeszcze"),
            follow_up: FOLLOW_UP.into(),
            duration_min: Some(20),
            ..ContactDraft::default()
        })
        .await?;

    // The check below can see: before the erasure the text is there.
    if let Some(bytes) = sqlite_bytes(&server)? {
        for secret in [ALIAS, NOTE, CASE_TEXT] {
            ensure!(bytes.contains(secret), "{secret:?} is readable in the file");
        }
    }

    // ... and, still offline, meets the person again and writes about it.
    let late = ewa
        .engine
        .save_contact(&ContactDraft {
            persons: vec![zenek],
            services: vec!["food".into()],
            note: LATE_NOTE.into(),
            duration_min: Some(5),
            ..ContactDraft::default()
        })
        .await?;

    // What the erasure would do; bad requests change nothing.
    let plan: ErasurePlan = koord
        .get(&format!("/persons/{twin}/erasure"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        plan.persons.len() == 2 && plan.persons.contains(&zenek),
        "{plan:?}"
    );
    ensure!(plan.case_notes == 1 && plan.contacts == 2 && plan.other_records == 0);
    ensure!(
        !server.db.audit_rows("view_erasure_plan").await?.is_empty(),
        "looking at the plan is logged"
    );
    let no_reason = koord
        .post(&format!("/persons/{zenek}/erase"), json!({"reason": "  "}))
        .await?;
    ensure!(refusal(no_reason, StatusCode::BAD_REQUEST).await? == OfficeErrorCode::Invalid);
    let too_long = koord
        .post(
            &format!("/persons/{zenek}/erase"),
            json!({"reason": "x".repeat(501)}),
        )
        .await?;
    ensure!(refusal(too_long, StatusCode::BAD_REQUEST).await? == OfficeErrorCode::Invalid);
    let unknown = koord
        .post(
            &format!("/persons/{}/erase", PersonId::random()),
            json!({"reason": "wniosek 1"}),
        )
        .await?;
    ensure!(refusal(unknown, StatusCode::NOT_FOUND).await? == OfficeErrorCode::NotFound);
    let malformed = koord
        .post("/persons/nie-id/erase", json!({"reason": "wniosek 1"}))
        .await?;
    ensure!(refusal(malformed, StatusCode::BAD_REQUEST).await? == OfficeErrorCode::Invalid);
    let wrong_type = koord
        .post(&format!("/persons/{zenek}/erase"), json!({"reason": 14}))
        .await?;
    ensure!(refusal(wrong_type, StatusCode::BAD_REQUEST).await? == OfficeErrorCode::Invalid);
    ensure!(server.sync.load_current(zenek.doc_id()).await?.is_some());

    // The coordinator erases the person.
    let erasure: Erasure = koord
        .post(
            &format!("/persons/{zenek}/erase"),
            json!({"reason": "wniosek RODO 14/2026"}),
        )
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        erasure.deleted == 3 && erasure.rewritten == 2,
        "{erasure:?}"
    );
    let mut pending: Vec<&str> = erasure.pending.iter().map(|p| p.user.as_str()).collect();
    pending.sort();
    ensure!(
        pending == ["ewa", "ola"],
        "her organisation's devices: {pending:?}"
    );
    let twice = koord
        .post(
            &format!("/persons/{zenek}/erase"),
            json!({"reason": "wniosek RODO 14/2026"}),
        )
        .await?;
    ensure!(refusal(twice, StatusCode::BAD_REQUEST).await? == OfficeErrorCode::Invalid);

    // On the server: the entries and case notes are gone with their
    // history; the contacts are a new generation without the notes.
    for gone in [zenek.doc_id(), twin.doc_id(), notes.id] {
        ensure!(
            server.sync.load_current(gone).await?.is_none(),
            "{gone} deleted"
        );
    }
    for id in [alone.id, together.id] {
        let (doc, meta) = server
            .sync
            .load_current(id)
            .await?
            .context("the contact stays")?;
        ensure!(meta.generation == 1 && meta.change_count == 1, "{meta:?}");
        let contact: Contact = document::read(&doc)?;
        ensure!(contact.note.is_empty() && contact.follow_up.is_none());
        ensure!(document::history(&doc).len() == 1, "no history");
    }
    let (doc, _) = server.sync.load_current(alone.id).await?.context("kept")?;
    ensure!(
        document::read::<Contact>(&doc)?.person_ids() == vec![zenek],
        "the id stays"
    );
    let summaries = server.db.person_summaries(&[zenek, twin]).await?;
    ensure!(summaries.len() == 2, "the unnamed ids stay for the reports");
    ensure!(
        summaries
            .iter()
            .all(|p| p.erased && p.alias.is_empty() && p.birth_year.is_none())
    );
    let search: Vec<PersonSummary> = biuro.get("/persons?q=").await?.json().await?;
    ensure!(
        search.iter().all(|p| p.id != zenek && p.id != twin),
        "not listed"
    );
    let timeline: Timeline = biuro
        .get(&format!("/persons/{zenek}/timeline"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(timeline.person.erased && timeline.entries.len() == 2);
    ensure!(
        figures(&biuro).await? == before,
        "reports still count the contacts"
    );
    if let Some(bytes) = sqlite_bytes(&server)? {
        for secret in SECRETS {
            ensure!(
                !bytes.contains(secret),
                "{secret:?} is still in the SQLite files"
            );
        }
    }

    // Ola's phone purges at its next sync and confirms.
    ola.engine.sync_now().await?;
    ensure!(ola.engine.get::<Person>(zenek.doc_id()).await?.is_none());
    ensure!(ola.engine.get::<Person>(twin.doc_id()).await?.is_none());
    ensure!(ola.engine.get::<CaseNotes>(notes.id).await?.is_none());
    let seen = ola.engine.contact(alone.id).await?;
    ensure!(seen.note.is_empty() && seen.follow_up.is_empty());
    ensure!(ola.engine.search_persons("zeno").await?.is_empty());
    ensure!(
        ola.engine.get::<Person>(other.doc_id()).await?.is_some(),
        "others stay"
    );
    jan.engine.sync_now().await?;
    ensure!(jan.engine.get::<Person>(zenek.doc_id()).await?.is_none());
    let listed = erasures(&biuro).await?;
    let users: Vec<&str> = listed[0].pending.iter().map(|p| p.user.as_str()).collect();
    ensure!(
        users == ["ewa"],
        "only Ewa's tablet has not purged: {users:?}"
    );

    // Ewa's device comes back with her edit on the old generation: it is
    // refused, not merged, and not kept; her copy is replaced.
    ewa.engine.sync_now().await?;
    let replaced = ewa.engine.contact(alone.id).await?;
    ensure!(replaced.note.is_empty(), "the old generation was discarded");
    ensure!(ewa.engine.get::<CaseNotes>(notes.id).await?.is_none());
    ensure!(ewa.engine.get::<Person>(zenek.doc_id()).await?.is_none());
    // Her contact written after the erasure is kept, rewritten the same way.
    let (doc, meta) = server.sync.load_current(late.id).await?.context("kept")?;
    let stored: Contact = document::read(&doc)?;
    ensure!(meta.generation == 1 && stored.note.is_empty() && stored.person_ids() == [zenek]);
    ensure!(
        ewa.engine.contact(late.id).await?.note.is_empty(),
        "and on her tablet"
    );
    let (doc, _) = server.sync.load_current(alone.id).await?.context("kept")?;
    ensure!(
        document::read::<Contact>(&doc)?.note.is_empty(),
        "nothing merged back"
    );
    let quarantined = server.db.list_quarantine(50).await?;
    ensure!(
        quarantined.iter().all(|q| q.payload.is_empty()),
        "refused pushes of erased data are not kept"
    );
    // Ola's phone learns of the late rewrite at its next sync.
    let waiting: Vec<String> = erasures(&biuro).await?[0]
        .pending
        .iter()
        .map(|p| p.user.clone())
        .collect();
    ensure!(waiting == ["ola"], "{waiting:?}");
    ola.engine.sync_now().await?;
    ensure!(ola.engine.contact(late.id).await?.note.is_empty());
    ensure!(
        erasures(&biuro).await?[0].pending.is_empty(),
        "every device confirmed"
    );

    // Crafted pushes for the erased data, through the real exchange.
    let ewa_id = server.db.user_by_name("ewa").await?;
    let peer = Peer {
        device: DeviceId::random(),
        user: ewa_id,
    };
    let mut revived = Person::new(ALIAS, Timestamp::now());
    revived.id = zenek.doc_id();
    ensure!(
        raw_push(&server, peer, push_of(&revived, peer.device, 0)?).await? == [RefusalCode::Erased]
    );
    let mut new_notes = CaseNotes::new(street_a, zenek, server.db.org_by_name(ORG_A).await?);
    new_notes.entries = notes.entries.clone();
    ensure!(
        raw_push(&server, peer, push_of(&new_notes, peer.device, 0)?).await?
            == [RefusalCode::Erased]
    );
    let mut stale = Contact::new(street_a, ewa_id, Timestamp::now()).with_person(zenek);
    stale.id = alone.id;
    stale.note = NOTE.into();
    ensure!(
        raw_push(&server, peer, push_of(&stale, peer.device, 0)?).await?
            == [RefusalCode::OldGeneration]
    );
    ensure!(
        raw_push(&server, peer, push_of(&stale, peer.device, 7)?).await?
            == [RefusalCode::HeaderChanged]
    );
    let fresh_id = DocId::random();
    let mut forged = Contact::new(street_a, ewa_id, Timestamp::now()).with_person(other);
    forged.id = fresh_id;
    ensure!(
        raw_push(&server, peer, push_of(&forged, peer.device, 3)?).await?
            == [RefusalCode::HeaderChanged],
        "a new record starts at generation 0"
    );
    ensure!(server.sync.load_current(zenek.doc_id()).await?.is_none());
    ensure!(server.sync.load_current(new_notes.id).await?.is_none());
    ensure!(server.sync.load_current(fresh_id).await?.is_none());
    let (doc, _) = server.sync.load_current(alone.id).await?.context("kept")?;
    ensure!(document::read::<Contact>(&doc)?.note.is_empty());
    if let Some(bytes) = sqlite_bytes(&server)? {
        for secret in SECRETS {
            ensure!(
                !bytes.contains(secret),
                "{secret:?} came back into the SQLite files"
            );
        }
    }

    // The late contact counts too, with the same unnamed id; rebuilding
    // the projections keeps the ids and the figures.
    ensure!(
        figures(&biuro).await? == with_late,
        "{:?}",
        figures(&biuro).await?
    );
    odnowa_sync_server::projection::rebuild(server.sync.db()).await?;
    ensure!(figures(&biuro).await? == with_late, "after a rebuild too");
    ensure!(server.db.person_summaries(&[zenek]).await?[0].erased);
    Ok(())
}

odnowa_tests::on_both_backends!(an_erasure_reaches_every_device_and_never_comes_back);
