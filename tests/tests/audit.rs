//! The audit log through real parts (SQLite and PostgreSQL): every change
//! the server accepts names its user, device, record, time and hash; reads
//! of a person's file in the office pages and of records opened on devices
//! (reported at the next sync) are logged; the office and coordinators
//! list the log per person and per user, from the office API and the CLI's
//! function, a coordinator only for their organisation.

use anyhow::{Context, Result, ensure};
use odnowa_shared::api::{ContactDraft, PersonDraft};
use odnowa_shared::office::{AuditEntry, OfficeErrorCode};
use odnowa_shared::records::{CaseEntry, CaseNotes};
use odnowa_shared::time::Timestamp;
use odnowa_sync_server::admin;
use odnowa_tests::office::{OfficeClient, refusal};
use odnowa_tests::{Backend, TestServer};
use reqwest::StatusCode;

const ORG_A: &str = "Stowarzyszenie Przystań";
const ORG_B: &str = "Spółdzielnia Odnowa";
const STREET_A: &str = "Streetwork — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";

fn has(entries: &[AuditEntry], action: &str, user: &str) -> bool {
    entries
        .iter()
        .any(|e| e.action == action && e.user_name.as_deref() == Some(user))
}

async fn every_change_and_read_is_listed_per_person_and_user(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    server
        .members(&[(ORG_A, &[STREET_A]), (ORG_B, &[STREET_B])])
        .await?;
    server.add_service("food", "Posiłek", "Food").await?;
    let ola = server.device_on("ola", &["registry", STREET_A]).await?;
    let jan = server.device_on("jan", &["registry", STREET_B]).await?;

    // Ola registers a person, meets them, writes case notes.
    let person = ola
        .engine
        .create_person(&PersonDraft {
            alias: "Wiesiek".into(),
            birth_year: Some(1968),
            gender: "male".into(),
            consent: None,
            distinct_from: Vec::new(),
        })
        .await?;
    let contact = ola
        .engine
        .save_contact(&ContactDraft {
            persons: vec![person.id],
            services: vec!["food".into()],
            note: "kaszel".into(),
            ..ContactDraft::default()
        })
        .await?;
    let street_a = server.db.space_by_name(STREET_A).await?;
    let mut notes = CaseNotes::new(street_a, person.id, server.db.org_by_name(ORG_A).await?);
    notes.entries.insert(
        "e1".into(),
        CaseEntry {
            at: Timestamp::now(),
            author: None,
            category: "note".into(),
            text: "ustalenia".into(),
            done: false,
        },
    );
    ola.engine.save(&notes).await?;
    ola.engine.sync_now().await?;
    // Jan, of the other organisation, opens the contact? He cannot: it is
    // not on his device. He syncs the registry only.
    jan.engine.sync_now().await?;
    ensure!(jan.engine.contact(contact.id).await.is_err());

    // Ola opens the contact on her phone; the read waits for the next sync.
    ola.engine.contact(contact.id).await?;
    ensure!(ola.engine.unreported_reads().await? == 1);
    ola.engine.sync_now().await?;
    ensure!(
        ola.engine.unreported_reads().await? == 0,
        "reported and forgotten"
    );

    // The office opens the person's timeline, then lists the person's log.
    let biuro = OfficeClient::user(&server, "biuro", "office", None).await?;
    biuro
        .get(&format!("/persons/{}/timeline", person.id))
        .await?
        .error_for_status()?;
    let log: Vec<AuditEntry> = biuro
        .get(&format!("/audit?person={}", person.id))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let ola_device = ola.engine.identity().await.context("enrolled")?.device;
    let changes: Vec<&AuditEntry> = log
        .iter()
        .filter(|e| e.action == "change" && e.user_name.as_deref() == Some("ola"))
        .collect();
    let docs: std::collections::BTreeSet<_> = changes.iter().filter_map(|e| e.doc).collect();
    ensure!(
        docs == [person.id.doc_id(), contact.id, notes.id]
            .into_iter()
            .collect(),
        "changes to the entry, the contact and the case notes: {docs:?}"
    );
    ensure!(changes.iter().all(|e| e.device == Some(ola_device)
        && e.device_name.as_deref() == Some("ola")
        && e.detail.len() == 64));
    let read = log
        .iter()
        .find(|e| e.action == "device_read")
        .context("the device's read")?;
    ensure!(read.doc == Some(contact.id) && read.user_name.as_deref() == Some("ola"));
    ensure!(read.detail.contains("opened on the device"));
    ensure!(has(&log, "view_timeline", "biuro"));
    ensure!(log.windows(2).all(|w| w[0].at >= w[1].at), "newest first");

    // The CLI's function lists the same, per person and per user.
    let by_cli = admin::audit(&server.db, Some(&person.id.to_string()), None, 500).await?;
    ensure!(by_cli.iter().filter(|e| e.action == "change").count() >= 3);
    let by_user = admin::audit(&server.db, None, Some("ola"), 500).await?;
    ensure!(
        by_user
            .iter()
            .all(|e| e.user_name.as_deref() == Some("ola"))
    );
    ensure!(has(&by_user, "device_read", "ola"));
    ensure!(
        admin::audit(&server.db, Some("nie-id"), None, 10)
            .await
            .is_err()
    );

    // A coordinator of A sees Ola's work; of B, nothing of A's users.
    let kasia = OfficeClient::user(&server, "kasia", "coordinator", Some(ORG_A)).await?;
    let piotr = OfficeClient::user(&server, "piotr", "coordinator", Some(ORG_B)).await?;
    let ola_user = server.db.user_by_name("ola").await?;
    let theirs: Vec<AuditEntry> = kasia
        .get(&format!("/audit?user={ola_user}"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(has(&theirs, "change", "ola"));
    let code = refusal(
        piotr.get(&format!("/audit?user={ola_user}")).await?,
        StatusCode::NOT_FOUND,
    )
    .await?;
    ensure!(code == OfficeErrorCode::NotFound);
    let about: Vec<AuditEntry> = piotr
        .get(&format!("/audit?person={}", person.id))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        about.iter().all(|e| e.user_name.as_deref() != Some("ola")),
        "another organisation's work is not listed"
    );
    refusal(biuro.get("/audit").await?, StatusCode::BAD_REQUEST).await?;
    refusal(biuro.get("/audit?person=x").await?, StatusCode::BAD_REQUEST).await?;
    // Listing the log is logged.
    ensure!(!server.db.audit_rows("view_audit").await?.is_empty());
    Ok(())
}

odnowa_tests::on_both_backends!(every_change_and_read_is_listed_per_person_and_user);
