//! Router tests: every scenario drives `app(...)` through
//! `tower::ServiceExt::oneshot` (no socket), once over a SQLite file in a
//! temporary directory and once over a fresh PostgreSQL database.
//!
//! PostgreSQL: `postgres://root@127.0.0.1:5432/postgres` unless
//! `ODNOWA_TEST_POSTGRES` says otherwise; each test creates a database
//! `odnowa_api_<hex>` and drops it at the end.

use std::sync::Arc;

use anyhow::{Context, Result, bail, ensure};
use automerge::transaction::Transactable;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use odnowa_shared::document;
use odnowa_shared::ids::{DeviceId, DocId, SpaceId, UserId};
use odnowa_shared::protocol::{
    self, ClientMessage, DocPush, ErrorCode, MAX_FRAME_BYTES, Refusal, RefusalCode, ServerMessage,
    SyncRequest, SyncResponse, WireError,
};
use odnowa_shared::protocol::{Enrol, Enrolled};
use odnowa_shared::records::{Contact, RecordKind};
use odnowa_shared::sync::replica::ReplicaDoc;
use odnowa_shared::time::Timestamp;
use odnowa_sync_server::{Db, Stopper, accounts, admin, app, auth, state};

const SPACE_A: &str = "Streetwork — Org A";
const SPACE_B: &str = "Day room — Org B";

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

fn postgres_admin_url() -> String {
    std::env::var("ODNOWA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".to_string())
}

/// A fresh database: a SQLite file in a temporary directory, or a
/// PostgreSQL database dropped (`WITH (FORCE)`) when this is dropped.
struct Scratch {
    url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl Scratch {
    async fn new(backend: Backend) -> Result<Scratch> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().context("a temporary directory")?;
                let url = format!("sqlite:{}", dir.path().join("server.sqlite").display());
                Ok(Scratch {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                })
            }
            Backend::Postgres => {
                let name = format!("odnowa_api_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin_url();
                let mut conn: sqlx::PgConnection = sqlx::Connection::connect(&admin)
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {admin}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("creating database {name}"))?;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Ok(Scratch {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    pg_name: Some(name),
                })
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop cannot await: drop the database from a thread of its own.
        let admin = postgres_admin_url();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(async move {
                let mut conn: sqlx::PgConnection = sqlx::Connection::connect(&admin).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                Ok::<_, sqlx::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop a test database: {dropped:?}");
        }
    }
}

/// One server over one fresh database, with two team spaces.
struct Env {
    db: Arc<Db>,
    app: Router,
    space_a: SpaceId,
    space_b: SpaceId,
    _stopper: Stopper,
    _scratch: Scratch,
}

/// An enrolled device.
#[derive(Debug, Clone)]
struct Device {
    device: DeviceId,
    user: UserId,
    token: String,
}

/// What the server holds that bad input must never touch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    changes: u64,
    quarantined: usize,
    devices: usize,
}

impl Env {
    async fn new(backend: Backend) -> Result<Env> {
        let scratch = Scratch::new(backend).await?;
        let db = Arc::new(
            Db::open(&scratch.url)
                .await
                .with_context(|| format!("opening {}", scratch.url))?,
        );
        let (app_state, stopper) = state(db.clone(), 64);
        let space_a = admin::create_space(&db, SPACE_A, None).await?;
        let space_b = admin::create_space(&db, SPACE_B, None).await?;
        Ok(Env {
            app: app(app_state, None),
            db,
            space_a,
            space_b,
            _stopper: stopper,
            _scratch: scratch,
        })
    }

    async fn call(&self, request: Request<Body>) -> Result<(StatusCode, Bytes)> {
        let response = self.app.clone().oneshot(request).await?;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok((status, body))
    }

    async fn get(&self, path: &str) -> Result<(StatusCode, Bytes)> {
        self.call(Request::get(path).body(Body::empty())?).await
    }

    async fn enrol_raw(&self, body: impl Into<Body>) -> Result<(StatusCode, serde_json::Value)> {
        let request = Request::post("/v1/enrol")
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.into())?;
        let (status, body) = self.call(request).await?;
        let json = serde_json::from_slice(&body)
            .with_context(|| format!("a JSON answer, got {:?}", String::from_utf8_lossy(&body)))?;
        Ok((status, json))
    }

    async fn enrol(&self, code: &str, name: &str) -> Result<(StatusCode, serde_json::Value)> {
        let body = serde_json::to_vec(&Enrol {
            code: code.to_string(),
            device_name: name.to_string(),
        })?;
        self.enrol_raw(body).await
    }

    /// A new user with these grants (space names) and one enrolled device.
    async fn device(&self, user: &str, read: &[&str], write: &[&str]) -> Result<Device> {
        let names = |spaces: &[&str]| spaces.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        accounts::create_user(&self.db, user, None, "worker", &names(read), &names(write)).await?;
        let code = accounts::enrol_code(&self.db, user, accounts::DEFAULT_CODE_HOURS).await?;
        let (status, body) = self.enrol(&code, &format!("phone of {user}")).await?;
        ensure!(status == StatusCode::OK, "enrolment: {status} {body}");
        let enrolled: Enrolled = serde_json::from_value(body)?;
        Ok(Device {
            device: enrolled.device,
            user: enrolled.user,
            token: enrolled.token,
        })
    }

    /// POST /v1/sync with `body`, with `token` as bearer if any.
    async fn sync_raw(&self, token: Option<&str>, body: Vec<u8>) -> Result<(StatusCode, Bytes)> {
        let mut request =
            Request::post("/v1/sync").header(header::CONTENT_TYPE, "application/octet-stream");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.call(request.body(Body::from(body))?).await
    }

    /// A sync exchange that must succeed.
    async fn sync(&self, device: &Device, request: SyncRequest) -> Result<SyncResponse> {
        let frame = protocol::encode(&ClientMessage::Sync(request))?;
        let (status, body) = self.sync_raw(Some(&device.token), frame).await?;
        let message = protocol::decode_server(&body)?;
        match (status, message) {
            (StatusCode::OK, ServerMessage::Sync(response)) => Ok(response),
            (status, other) => bail!("sync answered {status}: {other:?}"),
        }
    }

    /// Pushes documents; returns the refusals.
    async fn push(&self, device: &Device, pushes: Vec<DocPush>) -> Result<Vec<Refusal>> {
        let response = self
            .sync(
                device,
                SyncRequest {
                    request_id: 1,
                    pushes,
                    ..SyncRequest::default()
                },
            )
            .await?;
        Ok(response.refused)
    }

    async fn stored(&self) -> Result<Stored> {
        Ok(Stored {
            changes: self.db.change_count().await?,
            quarantined: admin::quarantine(&self.db, 10_000).await?.len(),
            devices: accounts::devices(&self.db).await?.len(),
        })
    }

    /// The newest quarantined push's code.
    async fn last_quarantined(&self) -> Result<(DocId, String)> {
        let newest = admin::quarantine(&self.db, 1).await?;
        let entry = newest.first().context("a quarantined push")?;
        Ok((entry.doc, entry.code.clone()))
    }
}

/// A valid contact in `space` (two anonymous people met), as `device`
/// holds it before pushing it (its changes made by that device).
fn contact(space: SpaceId, device: &Device) -> Result<ReplicaDoc> {
    let now = Timestamp(chrono::Utc::now().timestamp_millis());
    let mut record = Contact::new(space, device.user, now);
    record.anonymous_count = 2;
    record.place = "Dworzec PKP, peron 1".into();
    let doc = document::create(&record, device.device, now)?;
    let header = document::header(&doc)?;
    Ok(ReplicaDoc::local(header, 0, doc))
}

fn push_of(replica: &ReplicaDoc) -> Result<DocPush> {
    replica.push().context("a new document has changes to push")
}

/// The one refusal of a push, checked.
fn only_refusal(refused: &[Refusal], doc: DocId, code: RefusalCode) -> Result<()> {
    ensure!(refused.len() == 1, "one refusal expected: {refused:?}");
    let refusal = &refused[0];
    ensure!(
        refusal.doc == doc && refusal.code == code,
        "expected {code:?} for {doc}, got {refusal:?}"
    );
    ensure!(!refusal.reason.is_empty(), "a refusal says why");
    Ok(())
}

fn error_frame(body: &[u8]) -> Result<WireError> {
    match protocol::decode_server(body)
        .with_context(|| format!("an error frame, got {:?}", String::from_utf8_lossy(body)))?
    {
        ServerMessage::Error(e) => Ok(e),
        other => bail!("an error frame, got {other:?}"),
    }
}

fn json_error(body: &serde_json::Value) -> String {
    body["error"].as_str().unwrap_or_default().to_string()
}

// ---- scenarios ----

async fn health_names_the_backend(env: &Env, backend: Backend) -> Result<()> {
    let (status, body) = env.get("/health").await?;
    assert_eq!(status, StatusCode::OK);
    let health: serde_json::Value = serde_json::from_slice(&body)?;
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(health["status"], "ok");
    assert_eq!(health["backend"], expected);
    assert_eq!(health["protocol"], protocol::PROTOCOL_VERSION);
    Ok(())
}

async fn enrolment_refuses_bad_codes(env: &Env, _: Backend) -> Result<()> {
    let user =
        accounts::create_user(&env.db, "ala", None, "worker", &[], &[SPACE_A.into()]).await?;
    let before = env.stored().await?;

    // An unknown code.
    let (status, body) = env.enrol("ABCDE-FGHJK", "phone").await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(json_error(&body).contains("not valid"), "{body}");

    // An expired code.
    let now = chrono::Utc::now().timestamp_millis();
    env.db
        .create_enrol_code(user, &auth::hash_code("EXPRD-23456"), now, now - 1)
        .await?;
    let (status, body) = env.enrol("EXPRD-23456", "phone").await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(json_error(&body).contains("expired"), "{body}");

    // Malformed JSON, and JSON of the wrong shape.
    for bad in [
        &b"{\"code\": "[..],
        b"not json",
        b"{\"device_name\": \"x\"}",
        b"",
    ] {
        let (status, body) = env.enrol_raw(bad.to_vec()).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(json_error(&body).contains("code, device_name"), "{body}");
    }

    // An empty (or blank, or too long) device name: refused before the code
    // is spent.
    let code = accounts::enrol_code(&env.db, "ala", 1).await?;
    for name in ["", "   ", &"x".repeat(101)] {
        let (status, body) = env.enrol(&code, name).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(json_error(&body).contains("device name"), "{body}");
    }
    assert_eq!(
        env.stored().await?,
        before,
        "refused enrolments store nothing"
    );

    // The code still works once, and only once.
    let (status, body) = env.enrol(&code, "phone").await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first: Enrolled = serde_json::from_value(body)?;
    assert_eq!(first.user, user);
    let (status, body) = env.enrol(&code, "another phone").await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(json_error(&body).contains("already used"), "{body}");
    let devices = accounts::devices(&env.db).await?;
    assert_eq!(devices.len(), before.devices + 1);
    assert_eq!(devices[devices.len() - 1].device, first.device);
    Ok(())
}

async fn sync_needs_a_valid_token(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A]).await?;
    let replica = contact(env.space_a, &device)?;
    let frame = protocol::encode(&ClientMessage::Sync(SyncRequest {
        request_id: 1,
        pushes: vec![push_of(&replica)?],
        ..SyncRequest::default()
    }))?;
    let before = env.stored().await?;

    let (status, body) = env.sync_raw(None, frame.clone()).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let error = error_frame(&body)?;
    assert_eq!(error.code, ErrorCode::Unauthorized);
    assert!(error.message.contains("enrol"), "{error:?}");

    let (status, body) = env.sync_raw(Some("not-a-token"), frame.clone()).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_frame(&body)?.code, ErrorCode::Unauthorized);

    // A header that is not a bearer token.
    let request = Request::post("/v1/sync")
        .header(header::AUTHORIZATION, format!("Basic {}", device.token))
        .body(Body::from(frame.clone()))?;
    let (status, body) = env.call(request).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_frame(&body)?.code, ErrorCode::Unauthorized);

    // A revoked device is cut off at once.
    assert!(accounts::revoke(&env.db, device.device).await?);
    let (status, body) = env.sync_raw(Some(&device.token), frame).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let error = error_frame(&body)?;
    assert_eq!(error.code, ErrorCode::Revoked);
    assert!(error.message.contains("enrol it again"), "{error:?}");

    assert_eq!(
        env.stored().await?,
        before,
        "nothing stored without a token"
    );
    Ok(())
}

/// A device's "last seen" is written by its first request, then once a
/// minute: not on every exchange.
async fn last_seen_is_written_once_a_minute(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A]).await?;
    let seen = async || -> Result<Option<i64>> {
        Ok(env
            .db
            .device_auth(device.device)
            .await?
            .context("the device")?
            .last_seen_at)
    };
    env.sync(&device, SyncRequest::default()).await?;
    let first = seen().await?.context("seen at its first request")?;
    // Stored as an hour ago: written anew. Then again, once the clock
    // would say "in an hour" (set back): written anew too.
    for moved in [-3_600_000, 3_600_000] {
        env.db.touch_device(device.device, first + moved).await?;
        env.sync(&device, SyncRequest::default()).await?;
        let now = seen().await?.context("seen")?;
        ensure!(
            (now - first).abs() < 60_000,
            "{moved}: {now} against {first}"
        );
    }
    // Within the minute: not written again.
    let kept = first - 30_000;
    env.db.touch_device(device.device, kept).await?;
    env.sync(&device, SyncRequest::default()).await?;
    assert_eq!(seen().await?, Some(kept));
    Ok(())
}

async fn malformed_frames_are_refused(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A]).await?;
    let token = Some(device.token.as_str());
    // Something stored that bad frames must leave alone.
    let replica = contact(env.space_a, &device)?;
    assert!(
        env.push(&device, vec![push_of(&replica)?])
            .await?
            .is_empty()
    );
    let before = env.stored().await?;

    let (status, body) = env.sync_raw(token, Vec::new()).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = error_frame(&body)?;
    assert_eq!(error.code, ErrorCode::BadFrame);
    assert!(error.message.contains("not an Odnowa frame"), "{error:?}");

    let (status, body) = env.sync_raw(token, b"GET / HTTP/1.1\r\n".to_vec()).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = error_frame(&body)?;
    assert_eq!(error.code, ErrorCode::BadFrame);
    assert!(error.message.contains("bad magic"), "{error:?}");

    let (status, body) = env.sync_raw(token, b"On\x00\x09....".to_vec()).await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = error_frame(&body)?;
    assert_eq!(error.code, ErrorCode::UnsupportedVersion);
    assert!(error.message.contains("update the app"), "{error:?}");

    // Garbage after a valid header; a frame of the right shape with wrong
    // field types; deep nesting.
    let mut garbage = b"On\x00\x01".to_vec();
    garbage.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    // {"Sync": {"i": "seven", "p": 3}}
    let wrong_types = b"On\x00\x01\xa1\x64Sync\xa2\x61i\x65seven\x61p\x03".to_vec();
    let mut nested = b"On\x00\x01".to_vec();
    nested.extend(std::iter::repeat_n(0x81u8, 100_000));
    nested.push(0);
    for bad in [b"On\x00\x01\xff\xff".to_vec(), garbage, wrong_types, nested] {
        let (status, body) = env.sync_raw(token, bad).await?;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let error = error_frame(&body)?;
        assert_eq!(error.code, ErrorCode::BadFrame);
        assert!(error.message.contains("malformed"), "{error:?}");
    }

    // Over 1 MiB: refused before it is decoded, with an error frame.
    let mut huge = protocol::encode(&ClientMessage::Sync(SyncRequest::default()))?;
    huge.resize(MAX_FRAME_BYTES + 1, 0);
    let (status, body) = env.sync_raw(token, huge).await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let error = error_frame(&body)?;
    assert_eq!(error.code, ErrorCode::TooLarge);
    assert!(error.message.contains("too large"), "{error:?}");

    assert_eq!(env.stored().await?, before, "bad frames touch nothing");
    Ok(())
}

async fn undecodable_changes_are_quarantined(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A]).await?;
    let replica = contact(env.space_a, &device)?;
    let mut push = push_of(&replica)?;
    push.changes = vec![
        serde_bytes::ByteBuf::from(b"not an automerge change".to_vec()),
        serde_bytes::ByteBuf::from(vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3]),
    ];
    let before = env.stored().await?;
    let refused = env.push(&device, vec![push]).await?;
    only_refusal(&refused, replica.id, RefusalCode::Undecodable)?;
    let after = env.stored().await?;
    assert_eq!(after.changes, before.changes, "nothing stored");
    assert_eq!(after.quarantined, before.quarantined + 1);
    assert_eq!(
        env.last_quarantined().await?,
        (replica.id, "Undecodable".into())
    );
    assert!(env.db.doc_meta(replica.id).await?.is_none());
    Ok(())
}

async fn pushes_outside_writable_spaces_are_refused(env: &Env, _: Backend) -> Result<()> {
    let writer = env.device("ala", &[], &[SPACE_A]).await?;
    let reader = env.device("ola", &[SPACE_A], &[]).await?;
    let before = env.stored().await?;

    // A space that does not exist.
    let unknown = contact(SpaceId::random(), &writer)?;
    let refused = env.push(&writer, vec![push_of(&unknown)?]).await?;
    only_refusal(&refused, unknown.id, RefusalCode::UnknownSpace)?;
    assert_eq!(
        env.last_quarantined().await?,
        (unknown.id, "UnknownSpace".into())
    );

    // A space the user may only read.
    let read_only = contact(env.space_a, &reader)?;
    let refused = env.push(&reader, vec![push_of(&read_only)?]).await?;
    only_refusal(&refused, read_only.id, RefusalCode::NotWritable)?;
    assert_eq!(
        env.last_quarantined().await?,
        (read_only.id, "NotWritable".into())
    );

    // A space the user has no grant on at all.
    let other = contact(env.space_b, &writer)?;
    let refused = env.push(&writer, vec![push_of(&other)?]).await?;
    only_refusal(&refused, other.id, RefusalCode::NotWritable)?;

    let after = env.stored().await?;
    assert_eq!(after.changes, before.changes, "nothing stored");
    assert_eq!(after.quarantined, before.quarantined + 3);
    Ok(())
}

async fn schema_violations_are_quarantined(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A]).await?;
    let mut replica = contact(env.space_a, &device)?;
    let mut tx = replica.doc.transaction();
    tx.put(automerge::ROOT, "anonymous_count", -5i64)?;
    tx.commit();
    let push = push_of(&replica)?;
    assert_eq!(push.changes.len(), 2);
    let before = env.stored().await?;
    let refused = env.push(&device, vec![push]).await?;
    only_refusal(&refused, replica.id, RefusalCode::SchemaViolation)?;
    assert!(refused[0].reason.contains("anonymous_count"), "{refused:?}");
    let after = env.stored().await?;
    assert_eq!(after.changes, before.changes, "nothing stored");
    assert_eq!(after.quarantined, before.quarantined + 1);
    assert_eq!(
        env.last_quarantined().await?,
        (replica.id, "SchemaViolation".into())
    );

    // A stored valid document is not touched by a bad change to it.
    let mut good = contact(env.space_a, &device)?;
    assert!(env.push(&device, vec![push_of(&good)?]).await?.is_empty());
    let heads = good.doc.get_heads();
    good.confirm(&heads);
    let mut tx = good.doc.transaction();
    tx.put(automerge::ROOT, "anonymous_count", -5i64)?;
    tx.commit();
    let stored_before = env.stored().await?;
    let refused = env.push(&device, vec![push_of(&good)?]).await?;
    only_refusal(&refused, good.id, RefusalCode::SchemaViolation)?;
    assert_eq!(env.stored().await?.changes, stored_before.changes);
    let meta = env.db.doc_meta(good.id).await?.context("stored")?;
    assert_eq!(meta.change_count, 1);
    Ok(())
}

async fn pushes_that_lie_about_their_header_are_refused(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A, SPACE_B]).await?;
    let replica = contact(env.space_a, &device)?;
    let before = env.stored().await?;

    let mut wrong_kind = push_of(&replica)?;
    wrong_kind.kind = RecordKind::Workshop;
    let refused = env.push(&device, vec![wrong_kind]).await?;
    only_refusal(&refused, replica.id, RefusalCode::HeaderChanged)?;

    let mut wrong_space = push_of(&replica)?;
    wrong_space.space = env.space_b;
    let refused = env.push(&device, vec![wrong_space]).await?;
    only_refusal(&refused, replica.id, RefusalCode::HeaderChanged)?;
    assert_eq!(
        env.last_quarantined().await?,
        (replica.id, "HeaderChanged".into())
    );

    let mut wrong_id = push_of(&replica)?;
    wrong_id.doc = DocId::random();
    let refused = env.push(&device, vec![wrong_id.clone()]).await?;
    only_refusal(&refused, wrong_id.doc, RefusalCode::HeaderChanged)?;

    let after = env.stored().await?;
    assert_eq!(after.changes, before.changes, "nothing stored");
    assert_eq!(after.quarantined, before.quarantined + 3);

    // The honest push still goes through afterwards.
    assert!(
        env.push(&device, vec![push_of(&replica)?])
            .await?
            .is_empty()
    );
    assert_eq!(env.stored().await?.changes, before.changes + 1);
    Ok(())
}

async fn a_document_never_changes_space(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A, SPACE_B]).await?;
    let first = contact(env.space_a, &device)?;
    assert!(env.push(&device, vec![push_of(&first)?]).await?.is_empty());
    let before = env.stored().await?;

    // Another document in space B that claims the same id.
    let now = Timestamp(chrono::Utc::now().timestamp_millis());
    let mut record = Contact::new(env.space_b, device.user, now);
    record.id = first.id;
    record.anonymous_count = 1;
    let doc = document::create(&record, device.device, now)?;
    let twin = ReplicaDoc::local(document::header(&doc)?, 0, doc);
    let refused = env.push(&device, vec![push_of(&twin)?]).await?;
    only_refusal(&refused, first.id, RefusalCode::SpaceMismatch)?;

    let after = env.stored().await?;
    assert_eq!(after.changes, before.changes, "nothing stored");
    assert_eq!(after.quarantined, before.quarantined + 1);
    assert_eq!(
        env.last_quarantined().await?,
        (first.id, "SpaceMismatch".into())
    );
    let meta = env.db.doc_meta(first.id).await?.context("stored")?;
    assert_eq!((meta.space, meta.change_count), (env.space_a, 1));
    Ok(())
}

async fn a_push_delivered_twice_is_stored_once(env: &Env, _: Backend) -> Result<()> {
    let device = env.device("ala", &[], &[SPACE_A]).await?;
    let replica = contact(env.space_a, &device)?;
    let push = push_of(&replica)?;
    let before = env.stored().await?;

    assert!(env.push(&device, vec![push.clone()]).await?.is_empty());
    let once = env.stored().await?;
    assert_eq!(once.changes, before.changes + 1);

    assert!(env.push(&device, vec![push.clone()]).await?.is_empty());
    // Twice within one request, too.
    assert!(
        env.push(&device, vec![push.clone(), push])
            .await?
            .is_empty()
    );
    assert_eq!(
        env.stored().await?,
        once,
        "stored once, nothing quarantined"
    );
    let meta = env.db.doc_meta(replica.id).await?.context("stored")?;
    assert_eq!(meta.change_count, 1);
    Ok(())
}

async fn pulls_respect_spaces(env: &Env, _: Backend) -> Result<()> {
    let writer = env.device("ala", &[], &[SPACE_A]).await?;
    let colleague = env.device("ola", &[], &[SPACE_A]).await?;
    let reader = env.device("ela", &[SPACE_A], &[]).await?;
    let outsider = env.device("iza", &[], &[SPACE_B]).await?;

    // The writer has synced the (empty) space before: it holds cursors.
    let first = env.sync(&writer, SyncRequest::default()).await?;
    assert!(first.updates.is_empty(), "{:?}", first.updates);
    let replica = contact(env.space_a, &writer)?;
    let pushed = env
        .sync(
            &writer,
            SyncRequest {
                request_id: 7,
                cursors: first.cursors,
                pushes: vec![push_of(&replica)?],
                ..SyncRequest::default()
            },
        )
        .await?;
    assert_eq!(pushed.request_id, 7);
    assert!(pushed.refused.is_empty(), "{:?}", pushed.refused);
    // A device never gets its own changes back from the feed.
    assert!(pushed.updates.is_empty(), "{:?}", pushed.updates);

    let expected: Contact = document::read(&replica.doc)?;
    for device in [&colleague, &reader] {
        let pulled = env.sync(device, SyncRequest::default()).await?;
        let updates: Vec<_> = pulled
            .updates
            .iter()
            .filter(|u| u.doc == replica.id)
            .collect();
        ensure!(updates.len() == 1, "one update: {:?}", pulled.updates);
        assert_eq!(updates[0].space, env.space_a);
        assert_eq!(updates[0].kind, RecordKind::Contact);
        let received = ReplicaDoc::from_update(updates[0])?;
        assert_eq!(document::read::<Contact>(&received.doc)?, expected);
        assert!(pulled.spaces.iter().any(|s| s.space == env.space_a));

        // With the new cursors, nothing more.
        let again = env
            .sync(
                device,
                SyncRequest {
                    request_id: 2,
                    cursors: pulled.cursors.clone(),
                    ..SyncRequest::default()
                },
            )
            .await?;
        assert!(again.updates.is_empty(), "{:?}", again.updates);
    }

    // Another space's device: never the document, even when it asks for
    // space A's feed by cursor.
    let pulled = env
        .sync(
            &outsider,
            SyncRequest {
                request_id: 3,
                cursors: vec![protocol::SpaceCursor::fresh(env.space_a)],
                ..SyncRequest::default()
            },
        )
        .await?;
    assert!(
        pulled.updates.iter().all(|u| u.doc != replica.id),
        "{:?}",
        pulled.updates
    );
    assert!(pulled.updates.iter().all(|u| u.space == env.space_b));
    assert!(pulled.cursors.iter().all(|c| c.space != env.space_a));
    assert_eq!(
        pulled.spaces.iter().map(|s| s.space).collect::<Vec<_>>(),
        vec![env.space_b]
    );
    Ok(())
}

/// An exchange reads on one pooled connection and gives it back before it
/// writes (pushes, the audit of reads, purge confirmations): many more
/// exchanges at once than the pool has connections (16 on PostgreSQL, 8
/// on SQLite) all answer. An exchange that held its connection while
/// waiting for a second would empty the pool, and the rest would wait out
/// its 10-second timeout and answer "unavailable".
async fn many_more_exchanges_at_once_than_connections_all_answer(
    env: &Env,
    _: Backend,
) -> Result<()> {
    const AT_ONCE: usize = 60;
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let devices = [
        env.device("ala", &[], &[SPACE_A]).await?,
        env.device("ola", &[], &[SPACE_A]).await?,
        env.device("ela", &[SPACE_A], &[SPACE_B]).await?,
    ];
    let first = contact(env.space_a, &devices[0])?;
    assert!(
        env.push(&devices[0], vec![push_of(&first)?])
            .await?
            .is_empty()
    );
    let before = env.db.change_count().await?;
    let mut pushed = Vec::new();
    let mut requests = Vec::new();
    for i in 0..AT_ONCE {
        let device = &devices[i % devices.len()];
        let mut request = SyncRequest {
            request_id: i as u64,
            ..SyncRequest::default()
        };
        match i % 3 {
            // A new record: the reader gives its connection back before
            // the push's transaction.
            0 => {
                let replica = contact(env.space_a, device)?;
                request.pushes.push(push_of(&replica)?);
                pushed.push(replica.id);
            }
            // A record opened: before the audit row.
            1 => request.reads.push(protocol::ReadReport {
                doc: first.id,
                at: Timestamp(chrono::Utc::now().timestamp_millis()),
            }),
            // A purge reported: before its confirmation.
            _ => request.purged.push(protocol::Purge {
                doc: DocId::random(),
                keep_from: None,
            }),
        }
        requests.push(env.sync(device, request));
    }
    let answers = futures_util::future::join_all(requests).await;
    for (i, answer) in answers.into_iter().enumerate() {
        let answer = answer.with_context(|| format!("exchange {i} of {AT_ONCE}"))?;
        assert_eq!(answer.request_id, i as u64);
        assert!(answer.refused.is_empty(), "{:?}", answer.refused);
    }
    assert_eq!(
        env.db.change_count().await?,
        before + pushed.len() as u64,
        "every new record stored"
    );
    for doc in pushed {
        ensure!(env.db.doc_meta(doc).await?.is_some(), "{doc} stored");
    }
    Ok(())
}

/// Runs each scenario once over SQLite and once over PostgreSQL.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    let env = super::Env::new(super::Backend::Sqlite).await?;
                    super::$name(&env, super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    let env = super::Env::new(super::Backend::Postgres).await?;
                    let result = super::$name(&env, super::Backend::Postgres).await;
                    env.db.close().await;
                    result
                }
            )*
        }
    };
}

on_both_backends!(
    health_names_the_backend,
    enrolment_refuses_bad_codes,
    sync_needs_a_valid_token,
    last_seen_is_written_once_a_minute,
    malformed_frames_are_refused,
    undecodable_changes_are_quarantined,
    pushes_outside_writable_spaces_are_refused,
    schema_violations_are_quarantined,
    pushes_that_lie_about_their_header_are_refused,
    a_document_never_changes_space,
    a_push_delivered_twice_is_stored_once,
    pulls_respect_spaces,
    many_more_exchanges_at_once_than_connections_all_answer,
);
