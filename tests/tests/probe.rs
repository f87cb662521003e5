//! The outside probe, again: what a device or an office login of one member
//! organisation tried against another, through the real server on SQLite
//! and PostgreSQL, each shown refused with what is stored compared before
//! and after.
//!
//! - a cursor ahead of the feed that the server never issued: answered
//!   for that device alone, the epoch (and every other device) untouched;
//! - a day-room session at another organisation's site (whose id is the
//!   same for everybody): refused, and that organisation's own session
//!   still accepted;
//! - another organisation's registry entry: its consent withdrawn or given
//!   back, merged; an entry withheld from the organisation: refused;
//! - a coordinator erasing a person other organisations hold: refused,
//!   the plan says why;
//! - changes signed by another device, another device's author name, a
//!   false name; reads of records the device cannot read, or in the
//!   future: refused, not audited, or brought inside;
//! - office logins: limited per account and per address (429 with
//!   `Retry-After`), counted atomically under a flood;
//! - connections holding half-sent headers: closed, `/health` still
//!   answered; at most four live connections per device;
//! - enrolment: a code sent again is not a guess, guesses are counted
//!   atomically, the wait is said exactly;
//! - cross-site requests to the office: refused by type and origin;
//! - referrals: one forged in the other organisation's name, case notes
//!   put in the referral space, what the sender wrote changed by the
//!   receiver, an answer in another worker's name, a diagnosis shared
//!   without consent: each refused, nothing stored.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use automerge::transaction::Transactable;
use odnowa_shared::document;
use odnowa_shared::ids::{DeviceId, DocId, PersonId, SiteId, SpaceId};
use odnowa_shared::office::{ErasurePlan, OfficeErrorCode};
use odnowa_shared::protocol::{DocPush, ReadReport, RefusalCode, SpaceCursor, SyncRequest};
use odnowa_shared::records::{
    CaseNotes, Catalogue, CatalogueSite, Consent, Contact, DomainAssessment, Person, RecordKind,
    Referral, ReferralTarget, Stamp,
};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::ServerConfig;
use odnowa_sync_server::limits::{EnrolLimits, LoginLimits};
use odnowa_tests::craft::{self, changes_after, server_copy};
use odnowa_tests::office::{OFFICE_PASSWORD, OfficeClient, refusal};
use odnowa_tests::{Backend, TestDevice, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ORG_A: &str = "Stowarzyszenie Przystań";
const ORG_B: &str = "Spółdzielnia Odnowa";
const STREET_A: &str = "Streetwork — Przystań";
const STREET_B: &str = "Streetwork — Odnowa";

/// Two member organisations, each with a street team, a day room in the
/// catalogue, and one worker's phone (Ola of A, Jan of B), synced.
struct Two {
    server: TestServer,
    ola: TestDevice,
    jan: TestDevice,
    ola_device: DeviceId,
    ola_token: String,
    jan_device: DeviceId,
    street_a: SpaceId,
    street_b: SpaceId,
    site_a: SiteId,
    site_b: SiteId,
}

async fn two(backend: Backend, config: ServerConfig) -> Result<Two> {
    let server = TestServer::start_configured(backend, config, None).await?;
    server
        .members(&[(ORG_A, &[STREET_A]), (ORG_B, &[STREET_B])])
        .await?;
    let (org_a, org_b) = (
        server.db.org_by_name(ORG_A).await?,
        server.db.org_by_name(ORG_B).await?,
    );
    let (site_a, site_b) = (SiteId::random(), SiteId::random());
    // The members' names stay (the catalogue lists the organisations).
    let mut catalogue = server.sync.catalogue().await?;
    catalogue
        .services
        .extend(Catalogue::with_default_services().services);
    for (site, name, org) in [
        (site_a, "Świetlica Przystań", org_a),
        (site_b, "Świetlica Odnowa", org_b),
    ] {
        catalogue.sites.insert(
            site.to_string(),
            CatalogueSite {
                name: name.into(),
                site_kind: "day_room".into(),
                org: Some(org),
            },
        );
    }
    server.write_catalogue(&catalogue).await?;
    let ola = server.device_on("ola", &["registry", STREET_A]).await?;
    let jan = server.device_on("jan", &["registry", STREET_B]).await?;
    let ola_identity = ola.engine.identity().await.context("enrolled")?;
    let jan_identity = jan.engine.identity().await.context("enrolled")?;
    Ok(Two {
        street_a: server.db.space_by_name(STREET_A).await?,
        street_b: server.db.space_by_name(STREET_B).await?,
        site_a,
        site_b,
        ola_device: ola_identity.device,
        ola_token: ola_identity.token,
        jan_device: jan_identity.device,
        server,
        ola,
        jan,
    })
}

/// What a refused request must leave alone: every document's meta and
/// changes, the feeds' ends, the epoch.
#[derive(Debug, PartialEq)]
struct Stored {
    docs: Vec<(DocId, u64, Vec<Vec<u8>>)>,
    feeds: Vec<u64>,
    epoch: u64,
}

async fn stored(two: &Two) -> Result<Stored> {
    let db = &two.server.db;
    let mut docs = Vec::new();
    for (id, _) in db.doc_ids(None, 1000).await? {
        let doc = db.load_doc(id).await?.context("a listed document")?;
        docs.push((id, doc.meta.change_count, doc.changes));
    }
    Ok(Stored {
        docs,
        feeds: vec![
            db.last_seq(SpaceId::REGISTRY).await?,
            db.last_seq(two.street_a).await?,
            db.last_seq(two.street_b).await?,
            db.last_seq(SpaceId::between(
                db.org_by_name(ORG_A).await?,
                db.org_by_name(ORG_B).await?,
            ))
            .await?,
        ],
        epoch: db.epoch().await?,
    })
}

/// Pushes `crafted` as Ola's phone and checks it is refused with `code`
/// saying `text`, with nothing stored changed.
async fn refused_as(two: &Two, crafted: DocPush, code: RefusalCode, text: &str) -> Result<()> {
    let before = stored(two).await?;
    let doc = crafted.doc;
    let refused = craft::push(&two.server, &two.ola_token, crafted).await?;
    ensure!(refused.len() == 1, "{refused:?}");
    ensure!(
        refused[0].doc == doc && refused[0].code == code,
        "{refused:?}"
    );
    ensure!(
        refused[0].reason.contains(text),
        "{:?} should say {text:?}",
        refused[0].reason
    );
    ensure!(
        stored(two).await? == before,
        "a refused push changed what is stored"
    );
    let quarantined = two.server.db.list_quarantine(1).await?;
    ensure!(
        quarantined.first().is_some_and(|q| q.doc == doc
            && q.device == Some(two.ola_device)
            && q.reason == refused[0].reason),
        "quarantined with its reason"
    );
    Ok(())
}

/// A push of `edit` made to the server's copy of `doc` by `actor`.
async fn crafted<F>(
    two: &Two,
    doc: DocId,
    kind: RecordKind,
    space: SpaceId,
    actor: DeviceId,
    edit: F,
) -> Result<DocPush>
where
    F: FnOnce(&mut automerge::Automerge) -> Result<()>,
{
    let base = server_copy(&two.server, doc).await?;
    let mut edited = base.fork();
    edited.set_actor(document::device_actor(actor));
    edit(&mut edited)?;
    Ok(DocPush {
        doc,
        space,
        kind,
        generation: 0,
        changes: changes_after(&base, &edited),
    })
}

/// A person registered by Jan (organisation B), with B's consent.
async fn jans_person(two: &Two, alias: &str) -> Result<PersonId> {
    let view = two
        .jan
        .engine
        .create_person(&odnowa_shared::api::PersonDraft {
            alias: alias.into(),
            birth_year: Some(1970),
            gender: String::new(),
            consent: Some("services".into()),
            distinct_from: Vec::new(),
        })
        .await?;
    two.jan.engine.sync_now().await?;
    two.ola.engine.sync_now().await?;
    Ok(view.id)
}

async fn a_forged_cursor_changes_nothing_shared(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    let mut contact = Contact::new(
        two.street_b,
        two.server.db.user_by_name("jan").await?,
        Timestamp::now(),
    );
    contact.anonymous_count = 1;
    two.jan.engine.save(&contact).await?;
    two.jan.engine.sync_now().await?;
    let epoch = two.server.db.epoch().await?;
    let before = stored(&two).await?;
    for mac in [None, Some(serde_bytes::ByteBuf::from(vec![7u8; 16]))] {
        let answer = craft::exchange(
            &two.server,
            &two.ola_token,
            SyncRequest {
                request_id: 1,
                cursors: vec![SpaceCursor {
                    space: two.street_a,
                    epoch,
                    seq: 1 << 62,
                    snapshot: None,
                    mac,
                }],
                ..SyncRequest::default()
            },
        )
        .await?;
        let cursor = answer
            .cursors
            .iter()
            .find(|c| c.space == two.street_a)
            .context("a cursor for the space")?;
        ensure!(cursor.epoch == epoch, "the epoch stays");
        ensure!(
            cursor.seq <= before.feeds[1],
            "the device starts the space again"
        );
        ensure!(cursor.mac.is_some(), "every cursor handed out is sealed");
    }
    ensure!(stored(&two).await? == before, "nothing shared changed");
    // Nobody else starts over: Jan's phone pulls nothing and keeps its
    // record confirmed.
    let report = two.jan.engine.sync_now().await?;
    ensure!(report.pulled_updates == 0, "{report:?}");
    ensure!(two.jan.engine.is_confirmed(contact.id).await?);
    Ok(())
}

async fn sessions_live_only_at_the_organisations_sites(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    let date: Date = "2030-05-04".parse()?;
    let before = stored(&two).await?;
    // Ola opens a session of B's day room (a future date) in A's space.
    let taken = two
        .ola
        .engine
        .open_day_session(two.street_a, two.site_b, date)
        .await?;
    let report = two.ola.engine.sync_now().await?;
    ensure!(
        report
            .refused
            .iter()
            .any(|(doc, why)| *doc == taken.id && why.contains("another organisation")),
        "{report:?}"
    );
    // And a site that is in no catalogue.
    let nowhere = two
        .ola
        .engine
        .open_day_session(two.street_a, SiteId::random(), date)
        .await?;
    let report = two.ola.engine.sync_now().await?;
    ensure!(
        report
            .refused
            .iter()
            .any(|(doc, why)| *doc == nowhere.id && why.contains("not in the catalogue")),
        "{report:?}"
    );
    ensure!(stored(&two).await? == before, "nothing stored");
    // B's own session of that day is accepted; A's own site works for A.
    let own = two
        .jan
        .engine
        .open_day_session(two.street_b, two.site_b, date)
        .await?;
    ensure!(own.id == taken.id, "the same deterministic id");
    ensure!(two.jan.engine.sync_now().await?.refused.is_empty());
    ensure!(
        two.server
            .db
            .doc_meta(own.id)
            .await?
            .is_some_and(|m| m.space == two.street_b)
    );
    let home = two
        .ola
        .engine
        .open_day_session(two.street_a, two.site_a, date)
        .await?;
    let report = two.ola.engine.sync_now().await?;
    ensure!(
        !report.refused.iter().any(|(doc, _)| *doc == home.id),
        "{report:?}"
    );
    ensure!(two.server.db.doc_meta(home.id).await?.is_some());
    Ok(())
}

/// A change made by hand to a person's entry.
type PersonEdit = Box<dyn FnOnce(&mut Person)>;

async fn another_organisations_registry_entries_are_not_rewritten(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    let person = jans_person(&two, "Zenek").await?;
    let other = jans_person(&two, "Marian").await?;
    let doc = person.doc_id();
    let edit = |change: PersonEdit| {
        move |edited: &mut automerge::Automerge| -> Result<()> {
            let mut record: Person = document::read(edited)?;
            change(&mut record);
            let actor =
                document::actor_device(&edited.get_actor().clone()).context("a device actor")?;
            document::write(edited, &record, actor, Timestamp::now(), "crafted")?;
            Ok(())
        }
    };
    // B's consent withdrawn from A's phone; a consent of A's written over
    // B's; a merge (the office's).
    let ola_user = two.server.db.user_by_name("ola").await?;
    let org_a = two.server.db.org_by_name(ORG_A).await?;
    let refused_edits: [(PersonEdit, &str); 3] = [
        (
            Box::new(|p| {
                if let Some(consent) = p.consent.as_mut() {
                    consent.withdrawn_at = Some(Timestamp::now());
                }
            }),
            "recorded by another organisation",
        ),
        (
            Box::new(move |p| {
                p.consent = Some(Consent::given(
                    Timestamp::now(),
                    ola_user,
                    Some(org_a),
                    "services",
                ));
            }),
            "recorded by another organisation",
        ),
        (
            Box::new(move |p| p.merged_into = Some(other)),
            "merging persons is the consortium office's",
        ),
    ];
    for (change, why) in refused_edits {
        let push = crafted(
            &two,
            doc,
            RecordKind::Person,
            SpaceId::REGISTRY,
            two.ola_device,
            edit(change),
        )
        .await?;
        refused_as(&two, push, RefusalCode::NotWritable, why).await?;
    }
    // A correction of the birth year is a colleague's right.
    let push = crafted(
        &two,
        doc,
        RecordKind::Person,
        SpaceId::REGISTRY,
        two.ola_device,
        edit(Box::new(|p| {
            p.birth_year = Some(1971);
        })),
    )
    .await?;
    ensure!(
        craft::push(&two.server, &two.ola_token, push)
            .await?
            .is_empty()
    );

    // The person withdraws consent with B; A's copy (made before) cannot
    // bring the details back.
    let stale = server_copy(&two.server, doc).await?;
    two.jan.engine.withdraw_consent(person).await?;
    two.jan.engine.sync_now().await?;
    let mut edited = stale.fork();
    edited.set_actor(document::device_actor(two.ola_device));
    let mut record: Person = document::read(&edited)?;
    record.alias = "Zenon".into();
    document::write(
        &mut edited,
        &record,
        two.ola_device,
        Timestamp::now(),
        "crafted",
    )?;
    let push = DocPush {
        doc,
        space: SpaceId::REGISTRY,
        kind: RecordKind::Person,
        generation: 0,
        changes: changes_after(&stale, &edited),
    };
    refused_as(
        &two,
        push,
        RefusalCode::NotWritable,
        "withdrew their consent",
    )
    .await?;
    Ok(())
}

async fn a_coordinator_erases_only_what_their_organisation_holds(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    let kasia = OfficeClient::user(&two.server, "kasia", "coordinator", Some(ORG_A)).await?;
    // Jan registered the person; each organisation met them once.
    let person = jans_person(&two, "Heniek").await?;
    let jan_user = two.server.db.user_by_name("jan").await?;
    let ola_user = two.server.db.user_by_name("ola").await?;
    two.jan
        .engine
        .save(&Contact::new(two.street_b, jan_user, Timestamp::now()).with_person(person))
        .await?;
    two.jan.engine.sync_now().await?;
    let ours = Contact::new(two.street_a, ola_user, Timestamp::now()).with_person(person);
    two.ola.engine.save(&ours).await?;
    two.ola.engine.sync_now().await?;

    let plan: ErasurePlan = kasia
        .get(&format!("/persons/{person}/erasure"))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        plan.contacts == 1,
        "her organisation's contact only: {plan:?}"
    );
    ensure!(
        plan.held_elsewhere == 2,
        "B's entry and B's contact: {plan:?}"
    );
    let before = two.server.db.change_count().await?;
    let refused = kasia
        .post(
            &format!("/persons/{person}/erase"),
            json!({"reason": "wniosek 7/2026"}),
        )
        .await?;
    ensure!(refusal(refused, StatusCode::FORBIDDEN).await? == OfficeErrorCode::Forbidden);
    ensure!(two.server.db.person_erased(person).await? == Some(false));
    ensure!(
        two.server.db.change_count().await? == before,
        "nothing deleted or rewritten"
    );
    ensure!(
        two.server
            .db
            .audit_rows("office_refused")
            .await?
            .iter()
            .any(|(_, _, detail)| detail.contains(&person.to_string()))
    );

    // A person only A holds: Kasia erases them.
    let own = two
        .ola
        .engine
        .create_person(&odnowa_shared::api::PersonDraft {
            alias: "Tadek".into(),
            birth_year: None,
            gender: String::new(),
            consent: None,
            distinct_from: Vec::new(),
        })
        .await?;
    two.ola.engine.sync_now().await?;
    let plan: ErasurePlan = kasia
        .get(&format!("/persons/{}/erasure", own.id))
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(plan.held_elsewhere == 0, "{plan:?}");
    kasia
        .post(
            &format!("/persons/{}/erase", own.id),
            json!({"reason": "wniosek 8/2026"}),
        )
        .await?
        .error_for_status()?;
    ensure!(two.server.db.person_erased(own.id).await? == Some(true));
    Ok(())
}

async fn authors_and_reads_are_bound_to_the_device(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    let ola_user = two.server.db.user_by_name("ola").await?;
    let mut contact = Contact::new(two.street_a, ola_user, Timestamp::now());
    contact.anonymous_count = 1;
    two.ola.engine.save(&contact).await?;
    two.ola.engine.sync_now().await?;
    let jan_user = two.server.db.user_by_name("jan").await?;
    let mut theirs = Contact::new(two.street_b, jan_user, Timestamp::now());
    theirs.anonymous_count = 2;
    two.jan.engine.save(&theirs).await?;
    two.jan.engine.sync_now().await?;

    // A change signed with Jan's device as its actor; Jan's author name
    // written by Ola's device; Ola's own device under a false name.
    let put = |key: String, value: &'static str| {
        move |edited: &mut automerge::Automerge| -> Result<()> {
            let mut tx = edited.transaction();
            tx.put(automerge::ROOT, key.as_str(), value)?;
            tx.commit();
            Ok(())
        }
    };
    for (actor, key, value, why) in [
        (
            two.jan_device,
            "note".to_string(),
            "ktoś inny",
            "another author",
        ),
        (
            two.ola_device,
            format!("by:{}", two.jan_device),
            "jan · telefon",
            "another device's author",
        ),
        (
            two.ola_device,
            format!("by:{}", two.ola_device),
            "outB",
            "belongs to",
        ),
    ] {
        let push = crafted(
            &two,
            contact.id,
            RecordKind::Contact,
            two.street_a,
            actor,
            put(key, value),
        )
        .await?;
        refused_as(&two, push, RefusalCode::ForeignAuthor, why).await?;
    }
    // Honest changes still go, signed with the name the server knows.
    two.ola
        .engine
        .update::<Contact>(contact.id, |c| c.note = "rozmowa".into())
        .await?;
    ensure!(two.ola.engine.sync_now().await?.refused.is_empty());
    let stored = server_copy(&two.server, contact.id).await?;
    ensure!(document::author_name(&stored, two.ola_device).as_deref() == Some("ola · ola"));

    // Reads: of a record the device cannot read (not audited), of its
    // own in the future and before it existed (brought inside).
    let reads_before = two.server.db.audit_rows("device_read").await?.len();
    craft::exchange(
        &two.server,
        &two.ola_token,
        SyncRequest {
            request_id: 2,
            reads: vec![
                ReadReport {
                    doc: theirs.id,
                    at: Timestamp::now(),
                },
                ReadReport {
                    doc: contact.id,
                    at: Timestamp(Timestamp::now().0 + 86_400_000),
                },
                ReadReport {
                    doc: contact.id,
                    at: Timestamp(0),
                },
            ],
            ..SyncRequest::default()
        },
    )
    .await?;
    let reads = two.server.db.audit_rows("device_read").await?;
    let new: Vec<_> = reads[reads_before..].iter().collect();
    ensure!(new.len() == 2, "{new:?}");
    ensure!(
        new.iter()
            .all(|(_, doc, _)| doc.as_deref() == Some(contact.id.to_string().as_str()))
    );
    ensure!(
        !new.iter().any(|(_, _, detail)| detail.contains("1970")),
        "{new:?}"
    );
    Ok(())
}

async fn office_logins_are_limited(backend: Backend) -> Result<()> {
    let config = ServerConfig {
        login: LoginLimits {
            per_account: 5,
            per_client: 12,
            window: Duration::from_secs(600),
        },
        ..ServerConfig::default()
    };
    let two = two(backend, config).await?;
    let biuro = OfficeClient::user(&two.server, "biuro", "office", None).await?;
    let mut guesser = OfficeClient::new(&two.server);
    for _ in 0..5 {
        let answer = guesser.login("biuro", "wrong").await?;
        ensure!(answer.status() == StatusCode::UNAUTHORIZED);
    }
    for password in ["wrong", OFFICE_PASSWORD] {
        let limited = guesser.login("biuro", password).await?;
        ensure!(
            limited.status() == StatusCode::TOO_MANY_REQUESTS,
            "{password}"
        );
        let wait: u64 = limited
            .headers()
            .get("retry-after")
            .context("Retry-After")?
            .to_str()?
            .parse()?;
        ensure!(wait > 0 && wait <= 600, "{wait}");
    }
    // The session logged in before lives on; another account logs in.
    ensure!(biuro.get("/me").await?.status() == StatusCode::OK);
    OfficeClient::user(&two.server, "kasia", "coordinator", Some(ORG_A)).await?;
    // A flood of guesses for twenty names at once: exactly what the
    // address has left is tried (12 - 5), the rest wait.
    let tries = (0..20).map(|n| {
        let mut client = OfficeClient::new(&two.server);
        async move {
            client
                .login(&format!("ktoś{n}"), "wrong")
                .await
                .map(|r| r.status())
        }
    });
    let statuses = futures_util::future::join_all(tries).await;
    let count = |status: StatusCode| {
        statuses
            .iter()
            .filter(|s| matches!(s, Ok(got) if *got == status))
            .count()
    };
    ensure!(count(StatusCode::UNAUTHORIZED) == 7, "{statuses:?}");
    ensure!(count(StatusCode::TOO_MANY_REQUESTS) == 13, "{statuses:?}");
    Ok(())
}

async fn held_connections_are_closed_and_bounded(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    // 150 connections that send half a request and then nothing.
    let mut held = Vec::new();
    for _ in 0..150 {
        let mut socket = tokio::net::TcpStream::connect(two.server.addr).await?;
        socket
            .write_all(b"GET /health HTTP/1.1\r\nHost: odnowa\r\nX-Slow: ")
            .await?;
        held.push(socket);
    }
    let health = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?
        .get(format!("{}/health", two.server.url()))
        .send()
        .await?;
    ensure!(
        health.status() == StatusCode::OK,
        "the server still answers"
    );
    // The server closes every one of them (the headers' deadline is 10 s).
    let closed = futures_util::future::join_all(held.into_iter().map(|mut socket| async move {
        let mut buf = [0u8; 512];
        tokio::time::timeout(Duration::from_secs(40), async {
            loop {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => {}
                }
            }
        })
        .await
        .unwrap_or(false)
    }))
    .await;
    ensure!(
        closed.iter().all(|c| *c),
        "{} of 150 still open",
        closed.iter().filter(|c| !**c).count()
    );

    // A device token holds at most four live connections.
    let url = format!("{}/v1/ws", two.server.url().replacen("http", "ws", 1));
    let connect = || {
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                url.clone(),
            )?;
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {}", two.ola_token).parse()?,
        );
        anyhow::Ok(tokio_tungstenite::connect_async(request))
    };
    let mut live = Vec::new();
    for _ in 0..4 {
        live.push(connect()?.await?.0);
    }
    match connect()?.await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            ensure!(response.status() == StatusCode::TOO_MANY_REQUESTS);
        }
        other => anyhow::bail!(
            "a fifth live connection: {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    // One closed frees its place.
    drop(live.pop());
    let reopened = odnowa_tests::eventually(10, || async {
        match connect() {
            Ok(pending) => pending.await.is_ok(),
            Err(_) => false,
        }
    })
    .await;
    ensure!(reopened);
    Ok(())
}

async fn enrolment_counts_only_guesses_and_says_when(backend: Backend) -> Result<()> {
    let config = ServerConfig {
        enrol: EnrolLimits {
            per_client: 5,
            window: Duration::from_secs(600),
        },
        ..ServerConfig::default()
    };
    let two = two(backend, config).await?;
    let client = reqwest::Client::new();
    let enrol = |code: String| {
        client
            .post(format!("{}/v1/enrol", two.server.url()))
            .json(&json!({ "code": code, "device_name": "telefon" }))
            .send()
    };
    let code = two
        .server
        .user_with_code("ewa", &["registry", STREET_A], &[])
        .await?;
    ensure!(enrol(code.clone()).await?.status() == StatusCode::OK);
    // The same code sent again twenty times at once (a retried request):
    // "already used", never a lock-out.
    let again = futures_util::future::join_all((0..20).map(|_| enrol(code.clone()))).await;
    for answer in again {
        ensure!(answer?.status() == StatusCode::FORBIDDEN);
    }
    let fresh = two
        .server
        .user_with_code("piotr", &["registry", STREET_A], &[])
        .await?;
    ensure!(
        enrol(fresh).await?.status() == StatusCode::OK,
        "not locked out"
    );
    // Twelve guesses at once: exactly five are counted and answered.
    let guesses =
        futures_util::future::join_all((0..12).map(|n| enrol(format!("AAAAA-AAA{:02}", n)))).await;
    let mut statuses = Vec::new();
    for answer in guesses {
        statuses.push(answer?.status());
    }
    ensure!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::FORBIDDEN)
            .count()
            == 5,
        "{statuses:?}"
    );
    ensure!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count()
            == 7,
        "{statuses:?}"
    );
    // Now a right code waits too, and is told exactly how long.
    let right = two
        .server
        .user_with_code("marta", &["registry", STREET_A], &[])
        .await?;
    let limited = enrol(right).await?;
    ensure!(limited.status() == StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited
        .headers()
        .get("retry-after")
        .context("Retry-After")?
        .to_str()?
        .parse()?;
    let body: serde_json::Value = limited.json().await?;
    ensure!(wait > 500 && wait <= 600, "{wait}");
    ensure!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("{wait} s")),
        "{body}"
    );
    Ok(())
}

async fn cross_site_office_requests_are_refused(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    let biuro = OfficeClient::user(&two.server, "biuro", "office", None).await?;
    let login = format!("{}/office/api/login", two.server.url());
    let creds = json!({"user": "biuro", "password": OFFICE_PASSWORD}).to_string();
    let http = reqwest::Client::new();
    let send =
        |content_type: &'static str, origin: Option<String>, fetch_site: Option<&'static str>| {
            let mut request = http
                .post(&login)
                .header("content-type", content_type)
                .body(creds.clone());
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            if let Some(site) = fetch_site {
                request = request.header("sec-fetch-site", site);
            }
            request.send()
        };
    let evil = Some("http://evil.example".to_string());
    for (content_type, origin, site) in [
        ("text/plain", evil.clone(), None),
        ("application/x-www-form-urlencoded", None, None),
        ("application/json", evil.clone(), None),
        ("application/json", None, Some("cross-site")),
        ("application/json", Some("null".to_string()), None),
    ] {
        let answer = send(content_type, origin.clone(), site).await?;
        ensure!(
            answer.headers().get("set-cookie").is_none(),
            "{content_type} {origin:?}: no session"
        );
        ensure!(
            refusal(answer, StatusCode::FORBIDDEN).await? == OfficeErrorCode::Forbidden,
            "{content_type} {origin:?} {site:?}"
        );
    }
    // The office's own pages.
    let own = send(
        "application/json",
        Some(two.server.url()),
        Some("same-origin"),
    )
    .await?;
    ensure!(own.status() == StatusCode::OK && own.headers().get("set-cookie").is_some());
    // A logged-in browser made to post elsewhere: refused, the session
    // lives on.
    let cookie = biuro.cookie().context("a session")?;
    let forged = http
        .post(format!("{}/office/api/logout", two.server.url()))
        .header("cookie", cookie)
        .header("content-type", "application/json")
        .header("origin", "http://evil.example")
        .body("{}")
        .send()
        .await?;
    ensure!(forged.status() == StatusCode::FORBIDDEN);
    ensure!(biuro.get("/me").await?.status() == StatusCode::OK);
    Ok(())
}

/// A new record of Ola's phone, as one push.
fn new_record<R: odnowa_shared::records::Record>(two: &Two, record: &R) -> Result<DocPush> {
    let doc = document::create(record, two.ola_device, Timestamp::now())?;
    let (kind, _) = record.header();
    Ok(DocPush {
        doc: record.doc_id(),
        space: record.space(),
        kind,
        generation: 0,
        changes: doc
            .get_changes(&[])
            .into_iter()
            .map(|c| serde_bytes::ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
    })
}

async fn referrals_cross_only_as_the_rules_allow(backend: Backend) -> Result<()> {
    let two = two(backend, ServerConfig::default()).await?;
    let person = jans_person(&two, "Zenek").await?;
    let db = &two.server.db;
    let (org_a, org_b) = (db.org_by_name(ORG_A).await?, db.org_by_name(ORG_B).await?);
    let (ola_user, jan_user) = (db.user_by_name("ola").await?, db.user_by_name("jan").await?);
    let pair = SpaceId::between(org_a, org_b);
    let referral = |from, to, by| {
        Referral::new(
            person,
            "Zenek",
            from,
            two.street_a,
            ReferralTarget::Org {
                org: to,
                service: None,
            },
            "nocleg",
            Stamp::by(Timestamp::now(), by, ""),
        )
    };
    // Forged in B's name, or signed as Jan.
    let forged = new_record(&two, &referral(org_b, org_a, ola_user))?;
    refused_as(&two, forged, RefusalCode::NotWritable, "own organisation").await?;
    let as_jan = new_record(&two, &referral(org_a, org_b, jan_user))?;
    refused_as(&two, as_jan, RefusalCode::NotWritable, "not another user").await?;
    // Case notes in the referral space, where B would read them.
    let mut notes = CaseNotes::new(pair, person, org_a);
    notes.entries.clear();
    let notes = new_record(&two, &notes)?;
    refused_as(&two, notes, RefusalCode::NotWritable, "nothing else").await?;
    // A diagnosis shared without the person's consent to it.
    let mut sharing = referral(org_a, org_b, ola_user);
    sharing.shared.diagnosis.insert(
        "housing".into(),
        DomainAssessment {
            level: 1,
            note: "śpi na dworcu".into(),
        },
    );
    let sharing = new_record(&two, &sharing)?;
    refused_as(&two, sharing, RefusalCode::NotWritable, "consent").await?;

    // Jan's real referral to A: Ola may answer it, not rewrite it, and
    // not in Jan's name.
    let sent = two
        .jan
        .engine
        .send_referral(&odnowa_shared::api::ReferralDraft {
            person,
            to_org: Some(org_a),
            service: None,
            institution: None,
            reason: "Potrzebuje lekarza".into(),
            contact: None,
            share: false,
        })
        .await?;
    two.jan.engine.sync_now().await?;
    two.ola.engine.sync_now().await?;
    let edit = |change: Box<dyn FnOnce(&mut Referral) + Send>| {
        move |edited: &mut automerge::Automerge| -> Result<()> {
            let mut record: Referral = document::read(edited)?;
            change(&mut record);
            let actor =
                document::actor_device(&edited.get_actor().clone()).context("a device actor")?;
            document::write(edited, &record, actor, Timestamp::now(), "crafted")?;
            Ok(())
        }
    };
    let reworded = crafted(
        &two,
        sent.id,
        RecordKind::Referral,
        pair,
        two.ola_device,
        edit(Box::new(|r| r.reason = "Nic pilnego".into())),
    )
    .await?;
    refused_as(
        &two,
        reworded,
        RefusalCode::NotWritable,
        "not changed after sending",
    )
    .await?;
    let in_jans_name = crafted(
        &two,
        sent.id,
        RecordKind::Referral,
        pair,
        two.ola_device,
        edit(Box::new(move |r| {
            r.accepted = Some(Stamp::by(Timestamp::now(), jan_user, ""));
        })),
    )
    .await?;
    refused_as(
        &two,
        in_jans_name,
        RefusalCode::NotWritable,
        "not another user",
    )
    .await?;
    // Done before accepted, written below the record layer (which would
    // refuse to write it): the server's validation refuses it.
    let done_first = crafted(
        &two,
        sent.id,
        RecordKind::Referral,
        pair,
        two.ola_device,
        move |edited: &mut automerge::Automerge| -> Result<()> {
            let mut tx = edited.transaction();
            let done = tx.put_object(automerge::ROOT, "done", automerge::ObjType::Map)?;
            tx.put(
                &done,
                "at",
                automerge::ScalarValue::Timestamp(Timestamp::now().0),
            )?;
            tx.put(&done, "by", ola_user.to_string())?;
            tx.put(&done, "note", "")?;
            tx.commit();
            Ok(())
        },
    )
    .await?;
    refused_as(
        &two,
        done_first,
        RefusalCode::SchemaViolation,
        "only after it was accepted",
    )
    .await?;
    let accepted = crafted(
        &two,
        sent.id,
        RecordKind::Referral,
        pair,
        two.ola_device,
        edit(Box::new(move |r| {
            r.accepted = Some(Stamp::by(Timestamp::now(), ola_user, ""));
        })),
    )
    .await?;
    ensure!(
        craft::push(&two.server, &two.ola_token, accepted)
            .await?
            .is_empty(),
        "Ola of A answers a referral to A"
    );
    Ok(())
}

odnowa_tests::on_both_backends!(
    a_forged_cursor_changes_nothing_shared,
    sessions_live_only_at_the_organisations_sites,
    another_organisations_registry_entries_are_not_rewritten,
    a_coordinator_erases_only_what_their_organisation_holds,
    authors_and_reads_are_bound_to_the_device,
    office_logins_are_limited,
    held_connections_are_closed_and_bounded,
    enrolment_counts_only_guesses_and_says_when,
    cross_site_office_requests_are_refused,
    referrals_cross_only_as_the_rules_allow,
);
