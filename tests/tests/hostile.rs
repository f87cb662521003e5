//! Hostile input through the real server, on SQLite and PostgreSQL: a
//! device with a valid token sends crafted requests over HTTP and the
//! WebSocket. Each is refused with a clear reason, nothing stored is
//! touched (documents, their changes, the feeds, devices), and a refused
//! push is kept in quarantine.
//!
//! - an oversized frame (over 1 MiB), on POST /v1/sync and on the
//!   WebSocket: 413 / an error frame, the connection kept (never decoded,
//!   so logged with the device, not quarantined); far over it (4 MiB) the
//!   WebSocket is closed unread;
//! - deeply nested CBOR: 400 with "malformed message" (likewise);
//! - change bytes that are not Automerge: `undecodable`, quarantined;
//! - a change that turns a person into a contact, or a push that moves it
//!   to another space: `header_changed` / `space_mismatch`, quarantined;
//! - a field worker's change to the catalogue: `not_writable`,
//!   quarantined;
//! - a replayed enrolment code: 403 "already used", no device made.

use anyhow::{Context, Result};
use automerge::transaction::Transactable;
use futures_util::{SinkExt, StreamExt};
use odnowa_shared::api::PersonDraft;
use odnowa_shared::document;
use odnowa_shared::ids::{DeviceId, DocId, SpaceId};
use odnowa_shared::protocol::{
    self, ClientMessage, DocPush, ErrorCode, MAX_FRAME_BYTES, Refusal, RefusalCode, ServerMessage,
    SyncRequest, WireError,
};
use odnowa_shared::records::{Catalogue, Person, RecordKind};
use odnowa_shared::time::Timestamp;
use odnowa_sync_server::store::DocMeta;
use odnowa_sync_server::{accounts, admin};
use odnowa_tests::craft::{self, changes_after};
use odnowa_tests::{Backend, TestDevice, TestServer};
use serde_bytes::ByteBuf;
use tokio_tungstenite::tungstenite;

const TEAM: &str = "Streetwork — Org A";

/// A server with a team space and the catalogue, and one field worker's
/// phone that has saved a person and synced.
struct World {
    server: TestServer,
    phone: TestDevice,
    device: DeviceId,
    token: String,
    person: DocId,
    team: SpaceId,
}

async fn world(backend: Backend) -> Result<World> {
    let server = TestServer::start(backend).await?;
    let team = admin::create_space(&server.db, TEAM, None).await?;
    server
        .write_catalogue(&Catalogue::with_default_services())
        .await?;
    let code = server
        .user_with_code("ola", &["registry", TEAM], &[])
        .await?;
    let phone = TestDevice::enrol(&server.url(), &code, "ola").await?;
    // A device learns the spaces it may write at its first sync.
    phone.engine.sync_now().await?;
    let person = phone
        .engine
        .create_person(&PersonDraft {
            alias: "Zbyszek".into(),
            birth_year: Some(1971),
            gender: "m".into(),
            consent: None,
            distinct_from: Vec::new(),
        })
        .await?;
    phone.engine.sync_now().await?;
    let identity = phone.engine.identity().await.context("enrolled")?;
    Ok(World {
        device: identity.device,
        token: identity.token,
        person: person.id.doc_id(),
        team,
        server,
        phone,
    })
}

/// Stops the server.
async fn done(world: World) -> Result<()> {
    let mut server = world.server;
    server.stop().await
}

/// One stored document: its meta, snapshot and changes.
type StoredRecord = (DocId, DocMeta, Option<Vec<u8>>, Vec<Vec<u8>>);

/// Everything stored that a refused request must leave alone: each
/// document's meta, snapshot and changes, the feeds' ends, the devices.
#[derive(Debug, PartialEq)]
struct Stored {
    changes: u64,
    docs: Vec<StoredRecord>,
    feeds: Vec<u64>,
    devices: Vec<(DeviceId, Option<i64>)>,
}

async fn stored(world: &World) -> Result<Stored> {
    let db = &world.server.db;
    let mut docs = Vec::new();
    for (id, _) in db.doc_ids(None, 1000).await? {
        let doc = db.load_doc(id).await?.context("a listed document")?;
        docs.push((id, doc.meta, doc.snapshot, doc.changes));
    }
    Ok(Stored {
        changes: db.change_count().await?,
        docs,
        feeds: vec![
            db.last_seq(SpaceId::REGISTRY).await?,
            db.last_seq(world.team).await?,
        ],
        devices: db
            .list_devices(None)
            .await?
            .into_iter()
            .map(|d| (d.device, d.revoked_at))
            .collect(),
    })
}

async fn quarantined(world: &World) -> Result<Vec<(DocId, Option<DeviceId>, String, String)>> {
    Ok(world
        .server
        .db
        .list_quarantine(100)
        .await?
        .into_iter()
        .map(|q| (q.doc, q.device, q.code, q.reason))
        .collect())
}

/// POSTs `body` to /v1/sync as the phone; the status and the decoded answer.
async fn post(world: &World, body: Vec<u8>) -> Result<(u16, ServerMessage)> {
    craft::post_frame(&world.server, &world.token, body).await
}

/// Pushes `push` as the phone; the refusals of the answer.
async fn push(world: &World, crafted: DocPush) -> Result<Vec<Refusal>> {
    craft::push(&world.server, &world.token, crafted).await
}

/// The server's copy of `doc`, to build crafted changes on.
async fn server_copy(world: &World, doc: DocId) -> Result<automerge::Automerge> {
    craft::server_copy(&world.server, doc).await
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next binary frame from the server, pings skipped.
async fn next_frame(socket: &mut Socket) -> Result<ServerMessage> {
    loop {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .context("no answer within 10 s")?;
        match next {
            Some(Ok(tungstenite::Message::Binary(bytes))) => {
                return Ok(protocol::decode_server(&bytes)?);
            }
            Some(Ok(tungstenite::Message::Close(frame))) => anyhow::bail!("closed: {frame:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => anyhow::bail!("the connection broke: {e}"),
            None => anyhow::bail!("the connection ended"),
        }
    }
}

fn expect_error(message: &ServerMessage, code: ErrorCode, text: &str) {
    match message {
        ServerMessage::Error(WireError { code: got, message }) => {
            assert_eq!(*got, code, "{message}");
            assert!(message.contains(text), "{message:?} should say {text:?}");
        }
        other => panic!("expected an error frame, got {other:?}"),
    }
}

/// Checks a refused push: one refusal with `code`, its reason saying
/// `text`, nothing stored changed, and one new quarantine row for it.
async fn check_refused(
    world: &World,
    before: &Stored,
    crafted: DocPush,
    code: RefusalCode,
    text: &str,
) -> Result<()> {
    let doc = crafted.doc;
    let held = quarantined(world).await?.len();
    let refused = push(world, crafted).await?;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(
        (refused[0].doc, refused[0].code),
        (doc, code),
        "{refused:?}"
    );
    assert!(
        refused[0].reason.contains(text),
        "{:?} should say {text:?}",
        refused[0].reason
    );
    assert_eq!(
        &stored(world).await?,
        before,
        "a refused push changed what is stored"
    );
    let now = quarantined(world).await?;
    assert_eq!(now.len(), held + 1, "one quarantine row per refused push");
    let (q_doc, q_device, q_code, q_reason) = &now[0];
    assert_eq!((*q_doc, *q_device), (doc, Some(world.device)));
    assert_eq!(q_code, &format!("{code:?}"));
    assert_eq!(q_reason, &refused[0].reason);
    Ok(())
}

async fn oversized_frames_are_refused(backend: Backend) -> Result<()> {
    let world = world(backend).await?;
    let before = stored(&world).await?;
    let held = quarantined(&world).await?;

    // Over HTTP: 413 with an error frame.
    let (status, answer) = post(&world, vec![0u8; MAX_FRAME_BYTES + 1]).await?;
    assert_eq!(status, 413);
    expect_error(&answer, ErrorCode::TooLarge, "too large");

    // Over the WebSocket: an error frame, then a close frame that says why.
    let url = format!("{}/v1/ws", world.server.url().replacen("http", "ws", 1));
    let mut request = tungstenite::client::IntoClientRequest::into_client_request(url)?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {}", world.token).parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(tungstenite::Message::Binary(
            vec![0u8; MAX_FRAME_BYTES + 1].into(),
        ))
        .await?;
    let answer = next_frame(&mut socket).await?;
    expect_error(&answer, ErrorCode::TooLarge, "too large");
    // The connection lives on: the next exchange is served.
    let frame = protocol::encode(&ClientMessage::Sync(SyncRequest::default()))?;
    socket
        .send(tungstenite::Message::Binary(frame.into()))
        .await?;
    assert!(matches!(
        next_frame(&mut socket).await?,
        ServerMessage::Sync(_)
    ));
    // Far over the limit, the socket is closed unread.
    let _ = socket
        .send(tungstenite::Message::Binary(
            vec![0u8; 4 * MAX_FRAME_BYTES].into(),
        ))
        .await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(Ok(_)) = socket.next().await {}
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server kept a 4 MiB message's connection"
    );

    assert_eq!(stored(&world).await?, before);
    assert_eq!(
        quarantined(&world).await?,
        held,
        "never decoded: not quarantined"
    );
    // The device itself is not harmed: it syncs as before.
    world.phone.engine.sync_now().await?;
    done(world).await
}

async fn deep_nesting_is_refused(backend: Backend) -> Result<()> {
    let world = world(backend).await?;
    let before = stored(&world).await?;
    let held = quarantined(&world).await?;
    let mut frame = b"On\x00\x01".to_vec();
    // {"Sync": [[[[...]]]]}: 200,000 arrays of one array.
    frame.extend_from_slice(&[0xa1, 0x64, b'S', b'y', b'n', b'c']);
    frame.extend(std::iter::repeat_n(0x81u8, 200_000));
    frame.push(0x00);
    let (status, answer) = post(&world, frame).await?;
    assert_eq!(status, 400);
    expect_error(&answer, ErrorCode::BadFrame, "malformed message");
    assert_eq!(stored(&world).await?, before);
    assert_eq!(
        quarantined(&world).await?,
        held,
        "never decoded: not quarantined"
    );
    done(world).await
}

async fn undecodable_changes_are_refused_and_quarantined(backend: Backend) -> Result<()> {
    let world = world(backend).await?;
    let before = stored(&world).await?;
    let crafted = DocPush {
        doc: world.person,
        space: SpaceId::REGISTRY,
        kind: RecordKind::Person,
        generation: 0,
        // Automerge's magic bytes, then nonsense.
        changes: vec![ByteBuf::from(vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 5])],
    };
    check_refused(
        &world,
        &before,
        crafted,
        RefusalCode::Undecodable,
        "not an Automerge change",
    )
    .await?;
    done(world).await
}

async fn a_document_whose_kind_or_space_changes_is_refused(backend: Backend) -> Result<()> {
    let world = world(backend).await?;
    let before = stored(&world).await?;
    let base = server_copy(&world, world.person).await?;

    // A real Automerge change that rewrites the person's kind.
    let mut edited = base.fork();
    edited.set_actor(document::device_actor(world.device));
    let mut tx = edited.transaction();
    tx.put(automerge::ROOT, "kind", "contact")?;
    tx.commit();
    for kind in [RecordKind::Person, RecordKind::Contact] {
        let crafted = DocPush {
            doc: world.person,
            space: SpaceId::REGISTRY,
            kind,
            generation: 0,
            changes: changes_after(&base, &edited),
        };
        check_refused(
            &world,
            &before,
            crafted,
            RefusalCode::HeaderChanged,
            "kind, space and id never change",
        )
        .await?;
    }

    // A push that moves the person into the team space.
    let mut edited = base.fork();
    edited.set_actor(document::device_actor(world.device));
    let mut tx = edited.transaction();
    tx.put(automerge::ROOT, "space", world.team.to_string())?;
    tx.commit();
    let crafted = DocPush {
        doc: world.person,
        space: world.team,
        kind: RecordKind::Person,
        generation: 0,
        changes: changes_after(&base, &edited),
    };
    check_refused(
        &world,
        &before,
        crafted,
        RefusalCode::SpaceMismatch,
        "another space",
    )
    .await?;
    done(world).await
}

async fn a_field_worker_cannot_change_the_catalogue(backend: Backend) -> Result<()> {
    let world = world(backend).await?;
    let before = stored(&world).await?;
    let base = server_copy(&world, DocId::catalogue()).await?;
    // A valid catalogue change, made on the worker's phone.
    let mut edited = base.fork();
    let mut catalogue: Catalogue = document::read(&edited)?;
    catalogue.put_service("massage", "Masaż", "Massage");
    document::write(
        &mut edited,
        &catalogue,
        world.device,
        Timestamp::now(),
        "service",
    )?;
    let crafted = DocPush {
        doc: DocId::catalogue(),
        space: SpaceId::REGISTRY,
        kind: RecordKind::Catalogue,
        generation: 0,
        changes: changes_after(&base, &edited),
    };
    check_refused(
        &world,
        &before,
        crafted.clone(),
        RefusalCode::NotWritable,
        "only the consortium office changes the catalogue",
    )
    .await?;
    // Nor by calling it something else.
    let disguised = DocPush {
        kind: RecordKind::Person,
        ..crafted
    };
    check_refused(
        &world,
        &before,
        disguised,
        RefusalCode::NotWritable,
        "only the consortium office",
    )
    .await?;
    // The phone's own catalogue is untouched too: it still lists no
    // massage after a sync.
    world.phone.engine.sync_now().await?;
    let seen: Catalogue = world
        .phone
        .engine
        .get(DocId::catalogue())
        .await?
        .context("the catalogue on the phone")?;
    assert!(!seen.services.contains_key("massage"));
    done(world).await
}

async fn a_replayed_enrolment_code_is_refused(backend: Backend) -> Result<()> {
    let world = world(backend).await?;
    let code = accounts::enrol_code(&world.server.db, "ola", 24).await?;
    let enrol = || {
        reqwest::Client::new()
            .post(format!("{}/v1/enrol", world.server.url()))
            .json(&serde_json::json!({ "code": code, "device_name": "tablet" }))
            .send()
    };
    assert_eq!(enrol().await?.status(), 200);
    let before = stored(&world).await?;
    let held = quarantined(&world).await?;
    let replayed = enrol().await?;
    assert_eq!(replayed.status(), 403);
    let body: serde_json::Value = replayed.json().await?;
    assert_eq!(
        body["error"],
        "this enrolment code was already used: ask for a new one"
    );
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(
        stored(&world).await?,
        before,
        "no device made, nothing changed"
    );
    assert_eq!(quarantined(&world).await?, held);
    done(world).await
}

/// The person pushed honestly after all of it is still accepted: hostile
/// input earlier does not poison the document.
async fn honest_pushes_still_work_after_hostile_ones(backend: Backend) -> Result<()> {
    let world = world(backend).await?;
    let _ = push(
        &world,
        DocPush {
            doc: world.person,
            space: SpaceId::REGISTRY,
            kind: RecordKind::Person,
            generation: 0,
            changes: vec![ByteBuf::from(vec![0u8; 64])],
        },
    )
    .await?;
    let mut person: Person = world
        .phone
        .engine
        .get(world.person)
        .await?
        .context("the person")?;
    person.birth_year = Some(1972);
    world.phone.engine.save(&person).await?;
    world.phone.engine.sync_now().await?;
    assert!(world.phone.engine.is_confirmed(world.person).await?);
    let (doc, _) = world
        .server
        .sync
        .load_current(world.person)
        .await?
        .context("stored")?;
    assert_eq!(document::read::<Person>(&doc)?.birth_year, Some(1972));
    done(world).await
}

odnowa_tests::on_both_backends!(
    oversized_frames_are_refused,
    deep_nesting_is_refused,
    undecodable_changes_are_refused_and_quarantined,
    a_document_whose_kind_or_space_changes_is_refused,
    a_field_worker_cannot_change_the_catalogue,
    a_replayed_enrolment_code_is_refused,
    honest_pushes_still_work_after_hostile_ones,
);
