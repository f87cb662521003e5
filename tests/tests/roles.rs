//! Roles mapped onto spaces, proved through a real server (SQLite and
//! PostgreSQL), real device engines and crafted requests:
//!
//! - field workers read and write only granted spaces inside their
//!   organisation; a grant across organisations is refused, and one slipped
//!   into the database by hand gives nothing;
//! - case notes reach only devices of the owning organisation, never the
//!   registry, and never the office pages;
//! - a coordinator reads and writes every space of their organisation,
//!   enrols its devices and revokes them from the office pages, and cannot
//!   touch another organisation's users or devices;
//! - an administrator holds no records and enrols no devices.

use anyhow::{Context, Result, bail, ensure};
use odnowa_app::engine::EngineError;
use odnowa_shared::document;
use odnowa_shared::ids::{DocId, SpaceId};
use odnowa_shared::office::{EnrolCode, OfficeErrorCode, QuarantinedPush, TeamMember};
use odnowa_shared::protocol::{
    self, ClientMessage, DocPush, Refusal, RefusalCode, ServerMessage, SyncRequest,
};
use odnowa_shared::records::{CaseEntry, CaseNotes, Person};
use odnowa_shared::sync::replica::ReplicaDoc;
use odnowa_shared::time::Timestamp;
use odnowa_sync_server::accounts;
use odnowa_tests::office::{OFFICE_PASSWORD as PASSWORD, OfficeClient, refusal};
use odnowa_tests::{Backend, TestDevice, TestServer};
use reqwest::StatusCode;
use serde_json::json;

const ORG_A: &str = "Stowarzyszenie Przystań";
const ORG_B: &str = "Spółdzielnia Odnowa";
const STREET_A: &str = "Streetwork — Przystań";
const DAY_A: &str = "Dzienny — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";
/// What only organisation A may ever read.
const NOTE: &str = "ustalenia z kuratorem, leczenie odwykowe od marca";

/// Two member organisations with their spaces.
async fn consortium(backend: Backend) -> Result<TestServer> {
    let server = TestServer::start(backend).await?;
    server
        .members(&[(ORG_A, &[STREET_A, DAY_A]), (ORG_B, &[STREET_B])])
        .await?;
    Ok(server)
}

/// A user of `org` with `role`, writing `spaces`, and their device (synced).
async fn member(
    server: &TestServer,
    name: &str,
    role: &str,
    org: &str,
    spaces: &[&str],
) -> Result<TestDevice> {
    let write: Vec<String> = spaces.iter().map(|s| s.to_string()).collect();
    accounts::create_user(&server.db, name, Some(org), role, &[], &write).await?;
    let code = accounts::enrol_code(&server.db, name, 24).await?;
    let device = TestDevice::enrol(&server.url(), &code, name).await?;
    device.engine.sync_now().await?;
    Ok(device)
}

/// The spaces a device was told it reads (name, writes), by name.
/// The team spaces and the registry a device reads (referral spaces,
/// which every worker of the two organisations reads, left out: see
/// [`referral_partners`]).
async fn space_names(device: &TestDevice) -> Result<Vec<(String, bool)>> {
    let mut spaces: Vec<(String, bool)> = device
        .engine
        .spaces()
        .await?
        .into_iter()
        .filter(|s| s.partner.is_none())
        .map(|s| (s.name, s.write))
        .collect();
    spaces.sort();
    Ok(spaces)
}

/// Sends `push` as the device's own request would, with its token.
async fn crafted_push(
    server: &TestServer,
    device: &TestDevice,
    push: DocPush,
) -> Result<Vec<Refusal>> {
    let token = device.engine.identity().await.context("enrolled")?.token;
    let frame = protocol::encode(&ClientMessage::Sync(SyncRequest {
        request_id: 7,
        cursors: Vec::new(),
        pushes: vec![push],
        max_response_bytes: 0,
        reads: Vec::new(),
        purged: Vec::new(),
    }))?;
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/sync", server.url()))
        .bearer_auth(token)
        .body(frame)
        .send()
        .await?;
    ensure!(answer.status().is_success(), "{}", answer.status());
    match protocol::decode_server(&answer.bytes().await?)? {
        ServerMessage::Sync(response) => Ok(response.refused),
        other => bail!("not a sync answer: {other:?}"),
    }
}

/// A push creating `record` as written by `device`.
async fn push_of<R: odnowa_shared::records::Record>(
    device: &TestDevice,
    record: &R,
) -> Result<DocPush> {
    let actor = device.engine.identity().await.context("enrolled")?.device;
    let doc = document::create(record, actor, Timestamp::now())?;
    ReplicaDoc::local(document::header(&doc)?, 0, doc)
        .push()
        .context("a new document has changes to push")
}

fn case_notes(space: SpaceId, person: &Person, org: odnowa_shared::ids::OrgId) -> CaseNotes {
    let mut notes = CaseNotes::new(space, person.person_id(), org);
    notes.entries.insert(
        "e1".into(),
        CaseEntry {
            at: Timestamp::now(),
            author: None,
            category: "note".into(),
            text: NOTE.into(),
            done: false,
        },
    );
    notes
}

/// Whether `refused` refuses `doc` as not writable, with a reason, and the
/// server kept it in quarantine.
async fn refused_and_quarantined(
    server: &TestServer,
    refused: &[Refusal],
    doc: DocId,
) -> Result<()> {
    ensure!(
        refused
            .iter()
            .any(|r| r.doc == doc && r.code == RefusalCode::NotWritable && !r.reason.is_empty()),
        "{refused:?}"
    );
    let quarantined = server.db.list_quarantine(100).await?;
    ensure!(
        quarantined.iter().any(|q| q.doc == doc),
        "not in quarantine"
    );
    ensure!(
        server.db.doc_meta(doc).await?.is_none(),
        "a refused record was stored"
    );
    Ok(())
}

async fn field_roles_stay_inside_their_organisation(backend: Backend) -> Result<()> {
    let server = consortium(backend).await?;
    let org_a = server.db.org_by_name(ORG_A).await?;
    let street_a = server.db.space_by_name(STREET_A).await?;

    // The administrator's rules: known roles only, coordinators belong to
    // an organisation, no grant across organisations.
    let unknown = accounts::create_user(&server.db, "x", Some(ORG_A), "superuser", &[], &[]).await;
    ensure!(format!("{:?}", unknown.err()).contains("unknown role"));
    let orphan = accounts::create_user(&server.db, "y", None, "coordinator", &[], &[]).await;
    ensure!(format!("{:?}", orphan.err()).contains("--org"));
    let across = accounts::create_user(
        &server.db,
        "z",
        Some(ORG_B),
        "outreach",
        &[],
        &[STREET_A.into()],
    )
    .await;
    ensure!(
        format!("{:?}", across.err()).contains("another organisation"),
        "a grant across organisations"
    );
    ensure!(
        server.db.user_by_name("z").await.is_err(),
        "nothing was created"
    );

    let ola = member(&server, "ola", "outreach", ORG_A, &["registry", STREET_A]).await?;
    let ewa = member(&server, "ewa", "day_room", ORG_A, &["registry", DAY_A]).await?;
    let jan = member(&server, "jan", "outreach", ORG_B, &["registry", STREET_B]).await?;
    let refused = accounts::grant(&server.db, "jan", STREET_A, true).await;
    ensure!(format!("{:?}", refused.err()).contains("another organisation"));
    assert_eq!(
        space_names(&ola).await?,
        [(STREET_A.into(), true), ("registry".into(), true)]
    );
    assert_eq!(
        space_names(&ewa).await?,
        [(DAY_A.into(), true), ("registry".into(), true)]
    );
    // Both organisations' workers read and write their one referral
    // space, without a grant.
    let org_b = server.db.org_by_name(ORG_B).await?;
    for (device, other) in [(&ola, org_b), (&ewa, org_b), (&jan, org_a)] {
        let referral: Vec<_> = device
            .engine
            .spaces()
            .await?
            .into_iter()
            .filter(|s| s.partner.is_some())
            .map(|s| (s.space, s.partner, s.write))
            .collect();
        assert_eq!(
            referral,
            [(
                odnowa_shared::ids::SpaceId::between(org_a, org_b),
                Some(other),
                true
            )]
        );
    }

    // Ola writes a person and her organisation's case notes.
    let person = Person::new("Wiesiek spod mostu", Timestamp::now());
    ola.engine.save(&person).await?;
    let notes = case_notes(street_a, &person, org_a);
    ola.engine.save(&notes).await?;
    ola.engine.sync_now().await?;
    ensure!(server.db.doc_meta(notes.id).await?.is_some(), "stored");

    // A grant across organisations slipped into the database by hand
    // gives Jan nothing: he gets the person, never the case notes.
    let jan_user = server.db.user_by_name("jan").await?;
    server.db.grant(jan_user, street_a, true).await?;
    jan.engine.sync_now().await?;
    ensure!(jan.engine.get::<Person>(person.id).await?.is_some());
    ensure!(jan.engine.get::<CaseNotes>(notes.id).await?.is_none());
    ensure!(!space_names(&jan).await?.iter().any(|(n, _)| n == STREET_A));
    // ... and his crafted push into organisation A's space is refused.
    let forged = case_notes(street_a, &person, org_a);
    let refused = crafted_push(&server, &jan, push_of(&jan, &forged).await?).await?;
    refused_and_quarantined(&server, &refused, forged.id).await?;

    // Ewa, of organisation A but without the streetwork space, gets no
    // case notes either; the coordinator of A gets them.
    ewa.engine.sync_now().await?;
    ensure!(ewa.engine.get::<CaseNotes>(notes.id).await?.is_none());
    let kasia = member(&server, "kasia", "coordinator", ORG_A, &[]).await?;
    assert_eq!(
        space_names(&kasia).await?,
        [
            (DAY_A.into(), true),
            (STREET_A.into(), true),
            ("registry".into(), true)
        ]
    );
    let read = kasia
        .engine
        .get::<CaseNotes>(notes.id)
        .await?
        .context("the coordinator reads her organisation's case notes")?;
    ensure!(read.entries["e1"].text == NOTE);

    // Case notes never go to the registry; a person never to a team space
    // (the device's own checks refuse to write such records, so the pushes
    // are crafted: the same bytes sent into the other space).
    let notes_b = case_notes(street_a, &person, org_a);
    let mut push = push_of(&ola, &notes_b).await?;
    push.space = SpaceId::REGISTRY;
    let refused = crafted_push(&server, &ola, push).await?;
    refused_and_quarantined(&server, &refused, notes_b.id).await?;
    let misplaced = Person::new("Ktoś", Timestamp::now());
    let mut push = push_of(&ola, &misplaced).await?;
    push.space = street_a;
    let refused = crafted_push(&server, &ola, push).await?;
    refused_and_quarantined(&server, &refused, misplaced.id).await?;

    // Kasia lists her organisation's refused pushes, not Jan's.
    accounts::set_password(&server.db, "kasia", PASSWORD).await?;
    let mut office = OfficeClient::new(&server);
    ensure!(office.login("kasia", PASSWORD).await?.status().is_success());
    let refused: Vec<QuarantinedPush> = office
        .get("/quarantine")
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        refused.iter().any(|q| q.doc == notes_b.id
            && q.user_name.as_deref() == Some("ola")
            && !q.reason.is_empty()),
        "{refused:?}"
    );
    ensure!(
        !refused.iter().any(|q| q.doc == forged.id),
        "another organisation's"
    );

    // An administrator holds no records: no device for them.
    accounts::create_user(&server.db, "root", None, "admin", &[], &[]).await?;
    let code = accounts::enrol_code(&server.db, "root", 24).await;
    ensure!(format!("{:?}", code.err()).contains("enrols no devices"));
    let refused = accounts::grant(&server.db, "root", "registry", false).await;
    ensure!(refused.is_err());
    Ok(())
}

async fn a_coordinator_manages_only_their_organisations_devices(backend: Backend) -> Result<()> {
    let server = consortium(backend).await?;
    let org_a = server.db.org_by_name(ORG_A).await?;
    let street_a = server.db.space_by_name(STREET_A).await?;
    let ola = member(&server, "ola", "outreach", ORG_A, &["registry", STREET_A]).await?;
    member(&server, "jan", "outreach", ORG_B, &["registry", STREET_B]).await?;
    let kasia = OfficeClient::user(&server, "kasia", "coordinator", Some(ORG_A)).await?;
    let piotr = OfficeClient::user(&server, "piotr", "coordinator", Some(ORG_B)).await?;
    let biuro = OfficeClient::user(&server, "biuro", "office", None).await?;

    // Kasia sees her organisation's users and their devices, nobody else's.
    let team: Vec<TeamMember> = kasia.get("/team").await?.error_for_status()?.json().await?;
    let names: Vec<&str> = team.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["kasia", "ola"]);
    let ola_user = team[1].id;
    let ola_device = ola.engine.identity().await.context("enrolled")?.device;
    assert_eq!(
        team[1].devices.iter().map(|d| d.id).collect::<Vec<_>>(),
        [ola_device]
    );

    // The office and the other coordinator may not manage them.
    let audited = server.db.audit_rows("office_refused").await?.len();
    ensure!(
        refusal(biuro.get("/team").await?, StatusCode::FORBIDDEN).await?
            == OfficeErrorCode::Forbidden
    );
    let code_path = format!("/team/{ola_user}/enrol-code");
    let revoke_path = format!("/devices/{ola_device}/revoke");
    // Another organisation's user or device is answered as a missing one
    // (its existence is not told); the office is refused for its role.
    for response in [
        piotr.post(&code_path, json!({})).await?,
        piotr.post(&revoke_path, json!({})).await?,
    ] {
        ensure!(refusal(response, StatusCode::NOT_FOUND).await? == OfficeErrorCode::NotFound);
    }
    ensure!(
        refusal(
            biuro.post(&revoke_path, json!({})).await?,
            StatusCode::FORBIDDEN
        )
        .await?
            == OfficeErrorCode::Forbidden
    );
    ensure!(server.db.audit_rows("office_refused").await?.len() == audited + 4);
    ola.engine
        .sync_now()
        .await
        .context("Ola's device still works")?;

    // Malformed and unknown ids.
    refusal(
        kasia.post("/team/nie-id/enrol-code", json!({})).await?,
        StatusCode::BAD_REQUEST,
    )
    .await?;
    let unknown = format!("/devices/{}/revoke", odnowa_shared::ids::DeviceId::random());
    refusal(
        kasia.post(&unknown, json!({})).await?,
        StatusCode::NOT_FOUND,
    )
    .await?;

    // Kasia enrols a second phone for Ola: it works once.
    let code: EnrolCode = kasia
        .post(&code_path, json!({}))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(code.user == ola_user);
    ensure!(code.expires_at.0 > Timestamp::now().0 + 23 * 3_600_000);
    let phone = TestDevice::enrol(&server.url(), &code.code, "drugi telefon Oli").await?;
    phone.engine.sync_now().await?;
    let again = TestDevice::enrol(&server.url(), &code.code, "trzeci").await;
    ensure!(again.is_err(), "a code works once");
    ensure!(!server.db.audit_rows("enrol_code").await?.is_empty());

    // Case notes are not shown in the office pages, to anyone.
    let person = Person::new("Wiesiek", Timestamp::now());
    phone.engine.save(&person).await?;
    let notes = case_notes(street_a, &person, org_a);
    phone.engine.save(&notes).await?;
    phone.engine.sync_now().await?;
    for client in [&kasia, &biuro] {
        let response = client.get(&format!("/records/{}", notes.id)).await?;
        ensure!(refusal(response, StatusCode::FORBIDDEN).await? == OfficeErrorCode::Forbidden);
    }

    // Kasia revokes the new phone: it is cut off, Ola's first is not.
    let phone_id = phone.engine.identity().await.context("enrolled")?.device;
    let answer = kasia
        .post(&format!("/devices/{phone_id}/revoke"), json!({}))
        .await?;
    ensure!(
        answer.status() == StatusCode::NO_CONTENT,
        "{}",
        answer.status()
    );
    let cut = phone.engine.sync_now().await.expect_err("revoked");
    ensure!(matches!(cut, EngineError::Revoked), "{cut}");
    ola.engine.sync_now().await?;
    ensure!(!server.db.audit_rows("revoke_device").await?.is_empty());
    let team: Vec<TeamMember> = kasia.get("/team").await?.error_for_status()?.json().await?;
    let revoked = team[1]
        .devices
        .iter()
        .find(|d| d.id == phone_id)
        .context("listed")?;
    ensure!(revoked.revoked_at.is_some());
    Ok(())
}

odnowa_tests::on_both_backends!(
    field_roles_stay_inside_their_organisation,
    a_coordinator_manages_only_their_organisations_devices,
);
