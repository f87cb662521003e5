//! The office HTTP API against a real server on 127.0.0.1 with records
//! made on real devices: logins and sessions (wrong password, a field
//! user, expiry, logout), a coordinator limited to their organisation,
//! the records list and detail, a person's timeline (audited), duplicates
//! merged and unmerged, the report and its downloads. Every refusal is a
//! clear error and a row of the audit log. On SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use odnowa_shared::ids::{DocId, PersonId, SpaceId, UserId};
use odnowa_shared::office::{
    DuplicatePair, OfficeErrorCode, OfficeRole, OfficeUser, PersonSummary, RecordDetail,
    RecordPage, Report, ServiceEdit, Timeline,
};
use odnowa_shared::records::{Contact, Gender, Person};
use odnowa_shared::time::Timestamp;
use odnowa_sync_server::office::OfficeConfig;
use odnowa_sync_server::writer::OfficeAuthor;
use odnowa_sync_server::{accounts, admin};
use odnowa_tests::office::{OfficeClient as Office, refusal};
use odnowa_tests::{Backend, TestDevice, TestServer};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn refusals(server: &TestServer) -> Result<usize> {
    Ok(server.db.audit_rows("office_refused").await?.len())
}

async fn user_with_password(
    server: &TestServer,
    name: &str,
    role: &str,
    org: Option<&str>,
) -> Result<()> {
    accounts::create_user(&server.db, name, org, role, &[], &[]).await?;
    accounts::set_password(&server.db, name, PASSWORD).await?;
    Ok(())
}

async fn logins_sessions_and_refusals(backend: Backend) -> Result<()> {
    let config = OfficeConfig {
        idle: Duration::from_secs(2),
        ..OfficeConfig::default()
    };
    let server = TestServer::start_with(backend, config, None).await?;
    user_with_password(&server, "biuro", "office", None).await?;
    user_with_password(&server, "ola", "worker", None).await?;
    let mut office = Office::new(&server);

    // Wrong password, unknown user, no session: refused and logged.
    let before = refusals(&server).await?;
    let wrong = office.login("biuro", "not the password").await?;
    assert_eq!(
        refusal(wrong, StatusCode::UNAUTHORIZED).await?,
        OfficeErrorCode::BadLogin
    );
    let unknown = office.login("nobody", PASSWORD).await?;
    assert_eq!(
        refusal(unknown, StatusCode::UNAUTHORIZED).await?,
        OfficeErrorCode::BadLogin
    );
    let anonymous = office.get("/records").await?;
    assert_eq!(
        refusal(anonymous, StatusCode::UNAUTHORIZED).await?,
        OfficeErrorCode::NoSession
    );
    // A field worker has no office access, even with a password.
    let field = office.login("ola", PASSWORD).await?;
    assert_eq!(
        refusal(field, StatusCode::FORBIDDEN).await?,
        OfficeErrorCode::Forbidden
    );
    assert_eq!(refusals(&server).await?, before + 4);
    // Malformed and oversized logins are refused without a panic.
    let malformed = office
        .http
        .post(format!("{}/login", office.base))
        .header("content-type", "application/json")
        .body("{\"user\": 7")
        .send()
        .await?;
    assert_eq!(
        refusal(malformed, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );
    let huge = office
        .http
        .post(format!("{}/login", office.base))
        .header("content-type", "application/json")
        .body(vec![b'x'; 200 * 1024])
        .send()
        .await?;
    assert_eq!(
        refusal(huge, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );

    // A login, a call, a logout; the old cookie is then worthless.
    let ok = office.login("biuro", PASSWORD).await?;
    assert_eq!(ok.status(), StatusCode::OK);
    let me: OfficeUser = office.get("/me").await?.json().await?;
    assert_eq!((me.name.as_str(), me.role), ("biuro", OfficeRole::Office));
    assert_eq!(
        office.post("/logout", json!({})).await?.status(),
        StatusCode::NO_CONTENT
    );
    let after = office.get("/me").await?;
    assert_eq!(
        refusal(after, StatusCode::UNAUTHORIZED).await?,
        OfficeErrorCode::NoSession
    );

    // A session idle longer than the timeout has expired.
    office.login("biuro", PASSWORD).await?;
    assert_eq!(office.get("/me").await?.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let expired = office.get("/me").await?;
    assert_eq!(
        refusal(expired, StatusCode::UNAUTHORIZED).await?,
        OfficeErrorCode::NoSession
    );
    Ok(())
}

const STREET_A: &str = "Streetwork — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";

async fn device(
    server: &TestServer,
    user: &str,
    team: &str,
) -> Result<(TestDevice, UserId, SpaceId)> {
    let code = server
        .user_with_code(user, &["registry", team], &[])
        .await?;
    let device = TestDevice::enrol(&server.url(), &code, user).await?;
    device.engine.sync_now().await?;
    Ok((
        device,
        server.db.user_by_name(user).await?,
        server.db.space_by_name(team).await?,
    ))
}

async fn person(device: &TestDevice, alias: &str, born: i64) -> Result<PersonId> {
    let mut person = Person::new(alias, Timestamp::now());
    person.birth_year = Some(born);
    person.gender = Gender::new("male");
    device.engine.save(&person).await?;
    Ok(person.person_id())
}

async fn contact(
    device: &TestDevice,
    space: SpaceId,
    worker: UserId,
    person: PersonId,
    service: &str,
    place: &str,
) -> Result<DocId> {
    let mut contact = Contact::new(space, worker, Timestamp::now())
        .with_person(person)
        .with_service(service);
    contact.place = place.into();
    device.engine.save(&contact).await?;
    Ok(contact.id)
}

async fn the_office_reads_merges_and_reports(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    admin::create_member(&server.sync, "Przystań").await?;
    admin::create_member(&server.sync, "Odnowa").await?;
    admin::create_space(&server.db, STREET_A, Some("Przystań")).await?;
    admin::create_space(&server.db, STREET_B, Some("Odnowa")).await?;
    for (code, pl) in [("food", "Posiłek"), ("hot_drink", "Gorący napój")] {
        let edit = ServiceEdit {
            code: code.into(),
            name_pl: pl.into(),
            name_en: code.into(),
            org: None,
            retired: false,
            contract_from: None,
            contract_to: None,
            targets: BTreeMap::new(),
        };
        server
            .sync
            .put_service(&OfficeAuthor::admin_cli(), &edit)
            .await?;
    }
    user_with_password(&server, "biuro", "office", None).await?;
    user_with_password(&server, "koordynatorka", "coordinator", Some("Przystań")).await?;
    let (phone_a, ola, space_a) = device(&server, "ola", STREET_A).await?;
    let (phone_b, jan, space_b) = device(&server, "jan", STREET_B).await?;
    let zbyszek = person(&phone_a, "Zbyszek", 1970).await?;
    let zbyszek_twin = person(&phone_b, "Żbyszek", 1970).await?;
    let ania = person(&phone_b, "Ania", 1990).await?;
    let own = contact(&phone_a, space_a, ola, zbyszek, "food", "Dworzec PKP").await?;
    let other = contact(
        &phone_b,
        space_b,
        jan,
        zbyszek_twin,
        "hot_drink",
        "Dworzec PKP",
    )
    .await?;
    contact(&phone_b, space_b, jan, ania, "food", "Park Miejski").await?;
    phone_a.engine.sync_now().await?;
    phone_b.engine.sync_now().await?;

    // A coordinator sees their own organisation's records only.
    let mut coordinator = Office::new(&server);
    coordinator.login("koordynatorka", PASSWORD).await?;
    let page: RecordPage = coordinator.get("/records").await?.json().await?;
    assert_eq!(page.total, 1);
    assert_eq!(page.records[0].id, own);
    let detail = coordinator.get(&format!("/records/{own}")).await?;
    assert_eq!(detail.status(), StatusCode::OK);
    let before = refusals(&server).await?;
    // Another organisation's record is answered as a missing one.
    let crafted = coordinator.get(&format!("/records/{other}")).await?;
    assert_eq!(
        refusal(crafted, StatusCode::NOT_FOUND).await?,
        OfficeErrorCode::NotFound
    );
    let missing = coordinator
        .get(&format!("/records/{}", DocId::random()))
        .await?;
    assert_eq!(
        refusal(missing, StatusCode::NOT_FOUND).await?,
        OfficeErrorCode::NotFound
    );
    // A coordinator reads their own organisation's report, but never
    // freezes the consortium's.
    let report_refused = coordinator
        .post("/report/freeze", json!({"period": "2026-11"}))
        .await?;
    assert_eq!(
        refusal(report_refused, StatusCode::FORBIDDEN).await?,
        OfficeErrorCode::Forbidden
    );
    assert_eq!(refusals(&server).await?, before + 2);
    let logged = server.db.audit_rows("office_refused").await?;
    assert!(
        logged
            .iter()
            .any(|(_, _, detail)| detail.contains(&other.to_string())),
        "{logged:?}"
    );

    // The office sees everything, filters, opens records.
    let mut office = Office::new(&server);
    office.login("biuro", PASSWORD).await?;
    let all: RecordPage = office.get("/records").await?.json().await?;
    assert_eq!(all.total, 3);
    let food: RecordPage = office.get("/records?service=food").await?.json().await?;
    assert_eq!(food.total, 2);
    let org_b = server.db.org_by_name("Odnowa").await?;
    let of_b: RecordPage = office
        .get(&format!("/records?org={org_b}"))
        .await?
        .json()
        .await?;
    assert_eq!(of_b.total, 2);
    let by_ola: RecordPage = office
        .get(&format!("/records?worker={ola}"))
        .await?
        .json()
        .await?;
    assert_eq!(by_ola.total, 1);
    let detail: RecordDetail = office
        .get(&format!("/records/{other}"))
        .await?
        .json()
        .await?;
    assert_eq!(detail.summary.persons, ["Żbyszek"]);
    assert!(!detail.history.is_empty());
    let bad = office.get("/records/not-an-id").await?;
    assert_eq!(
        refusal(bad, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );
    let missing = office.get(&format!("/records/{}", DocId::random())).await?;
    assert_eq!(
        refusal(missing, StatusCode::NOT_FOUND).await?,
        OfficeErrorCode::NotFound
    );
    let bad_filter = office.get("/records?from=yesterday").await?;
    assert_eq!(
        refusal(bad_filter, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );

    // Finding a person ignores case and diacritics.
    let found: Vec<PersonSummary> = office.get("/persons?q=ZBYSZ").await?.json().await?;
    assert_eq!(found.len(), 2);

    // Duplicates: the two Zbyszeks, met at the same place.
    let pairs: Vec<DuplicatePair> = office.get("/duplicates").await?.json().await?;
    let pair = pairs.first().context("a duplicate pair")?;
    let ids = [pair.a.id, pair.b.id];
    assert!(
        ids.contains(&zbyszek) && ids.contains(&zbyszek_twin),
        "{pairs:?}"
    );
    assert!(
        pair.reasons
            .iter()
            .any(|r| matches!(r, odnowa_shared::office::DuplicateReason::SharedPlaces(p) if p == &["Dworzec PKP".to_string()])),
        "{:?}",
        pair.reasons
    );

    // Merge: the twin's records join Zbyszek's timeline; the view is audited.
    let merged: PersonSummary = office
        .post(
            "/duplicates/merge",
            json!({"from": zbyszek_twin, "into": zbyszek}),
        )
        .await?
        .json()
        .await?;
    assert_eq!(merged.merged_into, Some(zbyszek));
    let timeline: Timeline = office
        .get(&format!("/persons/{zbyszek}/timeline"))
        .await?
        .json()
        .await?;
    assert_eq!(timeline.entries.len(), 2);
    assert_eq!(timeline.merged.len(), 1);
    let views = server.db.audit_rows("view_timeline").await?;
    assert_eq!(views.len(), 1);
    assert_eq!(
        views[0].1.as_deref(),
        Some(zbyszek.doc_id().to_string().as_str())
    );
    let pairs: Vec<DuplicatePair> = office.get("/duplicates").await?.json().await?;
    assert!(pairs.is_empty(), "{pairs:?}");
    // The coordinator's view of the same timeline holds only their record.
    let theirs: Timeline = coordinator
        .get(&format!("/persons/{zbyszek}/timeline"))
        .await?
        .json()
        .await?;
    assert_eq!(theirs.entries.len(), 1);
    // A loop is refused; unmerge undoes it.
    let looped = office
        .post(
            "/duplicates/merge",
            json!({"from": zbyszek, "into": zbyszek_twin}),
        )
        .await?;
    assert_eq!(
        refusal(looped, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );
    let unmerged: PersonSummary = office
        .post("/duplicates/unmerge", json!({"person": zbyszek_twin}))
        .await?
        .json()
        .await?;
    assert_eq!(unmerged.merged_into, None);
    // Phones learn of the merge and its undoing at their next sync.
    phone_a.engine.sync_now().await?;
    let seen: Person = phone_a
        .engine
        .get(zbyszek_twin.doc_id())
        .await?
        .context("the twin on the phone")?;
    assert_eq!(seen.merged_into, None);

    // The report and its downloads.
    let month = odnowa_shared::office::Month::of(odnowa_shared::time::Date::today());
    let report: Report = office
        .get(&format!("/report?period={month}"))
        .await?
        .json()
        .await?;
    assert_eq!(report.consortium.records, 3);
    let xlsx = office.get(&format!("/report.xlsx?period={month}")).await?;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert_eq!(
        xlsx.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    assert_eq!(
        xlsx.headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some(format!("attachment; filename=\"raport-{month}.xlsx\"").as_str())
    );
    assert!(xlsx.bytes().await?.starts_with(b"PK"));
    let bad_period = office.get("/report?period=2026-13").await?;
    assert_eq!(
        refusal(bad_period, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );
    Ok(())
}

/// A fresh server with no office login: the login page offers setting up
/// the first administrator with the one-time code from the server's log;
/// a wrong code is refused and counted, the right one works once.
async fn the_first_administrator_is_set_up_once_with_the_code(backend: Backend) -> Result<()> {
    const CODE: &str = "ABCDE-FGHJK";
    let config = OfficeConfig {
        setup_code: Some(CODE.into()),
        ..OfficeConfig::default()
    };
    let server = TestServer::start_with(backend, config, None).await?;
    let mut office = Office::new(&server);
    let status: serde_json::Value = office.get("/setup").await?.json().await?;
    assert_eq!(status, serde_json::json!({"needed": true}));

    let setup = |code: &str, password: &str| serde_json::json!({"name": "biuro", "password": password, "code": code});
    let wrong = office
        .post("/setup", setup("ZZZZZ-ZZZZZ", PASSWORD))
        .await?;
    assert_eq!(
        refusal(wrong, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );
    let short = office.post("/setup", setup(CODE, "short")).await?;
    assert_eq!(
        refusal(short, StatusCode::BAD_REQUEST).await?,
        OfficeErrorCode::Invalid
    );
    // The code as a person types it: lower case, no dash.
    let done = office.post("/setup", setup("abcdefghjk", PASSWORD)).await?;
    assert_eq!(done.status(), StatusCode::OK);
    let cookie = done
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .context("a session cookie")?;
    let user: OfficeUser = done.json().await?;
    assert_eq!(user.role, OfficeRole::Office);
    assert_eq!(user.name, "biuro");
    // The answer's cookie is a working session: the dashboard opens.
    let dashboard = reqwest::Client::new()
        .get(format!("{}/office/api/dashboard", server.url()))
        .header("cookie", &cookie)
        .send()
        .await?;
    assert_eq!(dashboard.status(), StatusCode::OK);
    // The wrong code was logged as a refusal.
    assert!(
        server
            .db
            .audit_rows("office_refused")
            .await?
            .iter()
            .any(|(_, _, detail)| detail.contains("set-up")),
    );

    // Once only: the page no longer offers it, and the server refuses it.
    let status: serde_json::Value = office.get("/setup").await?.json().await?;
    assert_eq!(status, serde_json::json!({"needed": false}));
    let again = office.post("/setup", setup(CODE, PASSWORD)).await?;
    assert_eq!(
        refusal(again, StatusCode::FORBIDDEN).await?,
        OfficeErrorCode::Forbidden
    );
    let login = office.login("biuro", PASSWORD).await?;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(!server.db.audit_rows("office_setup").await?.is_empty());

    // A server started without a code never offers it.
    let plain = TestServer::start(backend).await?;
    let office = Office::new(&plain);
    let status: serde_json::Value = office.get("/setup").await?.json().await?;
    assert_eq!(status, serde_json::json!({"needed": false}));
    let refused = office.post("/setup", setup(CODE, PASSWORD)).await?;
    assert_eq!(
        refusal(refused, StatusCode::FORBIDDEN).await?,
        OfficeErrorCode::Forbidden
    );
    Ok(())
}

/// `serve --demo`: an empty database gets a demo consortium whose logins
/// work and whose pages show figures; a second fill writes nothing.
async fn a_demo_consortium_fills_the_pages(backend: Backend) -> Result<()> {
    use odnowa_sync_server::demo;
    let server = TestServer::start(backend).await?;
    let sync = odnowa_sync_server::exchange::SyncService::new(server.db.clone(), 64);
    let logins = demo::fill(&sync).await?;
    assert!(logins.iter().any(|l| l.role == "office"));
    assert_eq!(logins.iter().filter(|l| l.role == "coordinator").count(), 3);
    assert!(matches!(
        demo::fill(&sync).await,
        Err(demo::DemoError::NotEmpty)
    ));

    let mut office = Office::new(&server);
    let office_login = logins
        .iter()
        .find(|l| l.role == "office")
        .context("office")?;
    let ok = office
        .login(&office_login.name, demo::DEMO_PASSWORD)
        .await?;
    assert_eq!(ok.status(), StatusCode::OK);
    let month = odnowa_shared::office::Month::of(odnowa_shared::time::Date::today());
    let report: Report = office
        .get(&format!("/report?period={month}"))
        .await?
        .json()
        .await?;
    assert!(report.consortium.records > 20, "{:?}", report.consortium);
    assert!(report.consortium.unique_persons > 5);
    assert!(report.services.iter().any(|s| !s.targets.is_empty()));
    let persons: Vec<PersonSummary> = office.get("/persons?q=a").await?.json().await?;
    assert!(!persons.is_empty());
    // Every member's coordinator sees their own organisation's records.
    let coordinator = logins
        .iter()
        .find(|l| l.role == "coordinator")
        .context("a coordinator")?;
    let mut theirs = Office::new(&server);
    let ok = theirs.login(&coordinator.name, demo::DEMO_PASSWORD).await?;
    assert_eq!(ok.status(), StatusCode::OK);
    let page: RecordPage = theirs.get("/records").await?.json().await?;
    assert!(!page.records.is_empty());

    // Each coordinator gets the report and the dashboard of their own
    // organisation: the three add up to the consortium's records (every
    // record is one member's), each without the city's targets.
    let everyone = report.clone();
    let mut coordinators_records = 0;
    for coordinator in logins.iter().filter(|l| l.role == "coordinator") {
        let mut theirs = Office::new(&server);
        theirs.login(&coordinator.name, demo::DEMO_PASSWORD).await?;
        let report: Report = theirs
            .get(&format!("/report?period={month}"))
            .await?
            .json()
            .await?;
        assert!(report.consortium.records > 0, "{}", coordinator.name);
        let all = &everyone;
        assert!(report.consortium.records < all.consortium.records);
        assert!(report.services.iter().all(|s| s.targets.is_empty()));
        coordinators_records += report.consortium.records;
        let dashboard = theirs.get(&format!("/dashboard?month={month}")).await?;
        assert_eq!(dashboard.status(), StatusCode::OK);
        let frozen = theirs
            .post("/report/freeze", json!({"period": month.to_string()}))
            .await?;
        assert_eq!(
            refusal(frozen, StatusCode::FORBIDDEN).await?,
            OfficeErrorCode::Forbidden
        );
    }
    assert_eq!(coordinators_records, everyone.consortium.records);
    Ok(())
}

odnowa_tests::on_both_backends!(
    a_demo_consortium_fills_the_pages,
    the_first_administrator_is_set_up_once_with_the_code,
    logins_sessions_and_refusals,
    the_office_reads_merges_and_reports
);
