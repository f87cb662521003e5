//! Privacy and security through real parts: real servers on 127.0.0.1 (SQLite
//! and PostgreSQL), real device engines with their SQLite files in
//! temporary directories, real WebSocket connections.
//!
//! - the device's data directory holds no plaintext of what was saved;
//! - the PIN opens the data, wrong PINs are counted and the tenth erases;
//! - inactivity locks, a poll with activity keeps open;
//! - a device that has not reached the server for too long hides records
//!   until it syncs;
//! - revocation (of a device, of a user) closes the live connection, the
//!   app locks its data, and it can only be erased and enrolled again;
//! - wrong enrolment codes are rate-limited, a used code is refused, and
//!   device tokens are stored only as hashes.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use odnowa_app::engine::{Engine, EngineError};
use odnowa_shared::api::{Access, CommandError, ContactDraft, ErrorKind, PersonDraft};
use odnowa_shared::document;
use odnowa_shared::ids::DeviceId;
use odnowa_shared::protocol::{self, DevicePolicy, ServerMessage};
use odnowa_shared::records::{Catalogue, Person};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::limits::EnrolLimits;
use odnowa_sync_server::{ServerConfig, accounts, admin};
use odnowa_tests::{Backend, TEST_PIN, TestDevice, TestServer, eventually, quick_policy};

const TEAM: &str = "Streetwork — Org A";
/// What must never be readable on the device's disk.
const ALIAS: &str = "Zdzisław Kominiarczyk";
const NOTE: &str = "śpi pod wiaduktem przy Kolejowej, kaszel od tygodnia";
/// A person a colleague records, which reaches the phone by the sync.
const COLLEAGUES: &str = "Bożydar Wiatrołomski";

fn kind_of(error: EngineError) -> ErrorKind {
    CommandError::from(error).kind
}

/// A server with a team space and the catalogue.
async fn server(backend: Backend, config: ServerConfig) -> Result<TestServer> {
    let server = TestServer::start_configured(backend, config, None).await?;
    admin::create_space(&server.db, TEAM, None).await?;
    server
        .write_catalogue(&Catalogue::with_default_services())
        .await?;
    Ok(server)
}

/// A device of a new user who writes the registry and the team space,
/// synced once.
async fn device_on(server: &TestServer, user: &str) -> Result<TestDevice> {
    server.device_on(user, &["registry", TEAM]).await
}

/// Saves a person called [`ALIAS`] and a contact with [`NOTE`].
async fn save_private_things(engine: &Engine) -> Result<()> {
    let person = engine
        .create_person(&PersonDraft {
            alias: ALIAS.into(),
            birth_year: Some(1971),
            gender: "m".into(),
            consent: None,
            distinct_from: Vec::new(),
        })
        .await?;
    engine
        .save_contact(&ContactDraft {
            persons: vec![person.id],
            services: vec!["food".into()],
            place: "Wiadukt, ul. Kolejowa".into(),
            note: NOTE.into(),
            follow_up_due: Some(Date::today()),
            ..ContactDraft::default()
        })
        .await?;
    Ok(())
}

/// Every file under `dir` (the database, its write-ahead log, anything).
/// A file gone between the listing and the read is skipped: SQLite removes
/// its write-ahead log and shared-memory files when the last connection
/// closes, which may finish just after the engine says it closed (seen
/// once in CI as "No such file or directory"); what is gone holds nothing.
fn files_under(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            found.extend(files_under(&path)?);
        } else {
            match std::fs::read(&path) {
                Ok(bytes) => found.push((path.display().to_string(), bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(found)
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The texts that must not be on disk, as bytes, with the pieces a
/// compressor or a column encoder would keep together.
fn secrets(extra: &[&str]) -> Vec<Vec<u8>> {
    let mut texts = vec![ALIAS, "Kominiarczyk", NOTE, "wiaduktem", "Kolejowej"];
    texts.extend_from_slice(extra);
    texts.iter().map(|t| t.as_bytes().to_vec()).collect()
}

fn assert_no_plaintext(dir: &Path, extra: &[&str]) -> Result<()> {
    let files = files_under(dir)?;
    assert!(!files.is_empty(), "the data directory is empty");
    for (path, bytes) in &files {
        for secret in secrets(extra) {
            assert!(
                !contains(bytes, &secret),
                "{path} holds {:?} in plaintext",
                String::from_utf8_lossy(&secret)
            );
        }
    }
    Ok(())
}

async fn device_data_is_encrypted_at_rest(backend: Backend) -> Result<()> {
    let server = server(backend, ServerConfig::default()).await?;
    let phone = device_on(&server, "ola").await?;
    save_private_things(&phone.engine).await?;
    phone.engine.sync_now().await?;
    let token = phone.engine.identity().await.context("enrolled")?.token;
    // A colleague's record reaches the phone through the sync, which
    // stores it with its decoded view: sealed like the rest.
    let colleague = device_on(&server, "ewa").await?;
    colleague
        .engine
        .create_person(&PersonDraft {
            alias: COLLEAGUES.into(),
            birth_year: None,
            gender: String::new(),
            consent: None,
            distinct_from: Vec::new(),
        })
        .await?;
    colleague.engine.sync_now().await?;
    phone.engine.sync_now().await?;

    // The control: unencrypted, these texts would be there to find.
    let person = Person::new(ALIAS, Timestamp::now());
    let plain = document::create(
        &person,
        document::Author::from(DeviceId::random()),
        Timestamp(0),
    )?
    .save();
    assert!(contains(&plain, ALIAS.as_bytes()));

    let dir = phone.dir.path().to_path_buf();
    phone.engine.close().await;
    assert_no_plaintext(&dir, &[&token, "ola", COLLEAGUES])?;

    // Opened again: nothing readable before the PIN.
    let engine = Engine::open_with(&dir, quick_policy()).await?;
    assert_eq!(engine.access(), Access::Locked);
    assert_eq!(
        kind_of(engine.search_persons("zdz").await.expect_err("locked")),
        ErrorKind::Locked
    );
    assert!(engine.app_info().await?.identity.is_none());
    let wrong = engine.unlock("000000").await.expect_err("wrong pin");
    assert!(
        matches!(wrong, EngineError::WrongPin { attempts_left: 9 }),
        "{wrong}"
    );
    engine.unlock(TEST_PIN).await?;
    assert_eq!(engine.lock_view().await?.attempts_left, 10);
    let found = engine.search_persons("zdzislaw").await?;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].alias, ALIAS);
    let today = engine.contacts_on(Date::today()).await?;
    assert_eq!(today[0].note, NOTE);
    let theirs = engine.search_persons("bozydar").await?;
    assert_eq!(theirs.len(), 1, "the colleague's record reached the phone");
    // It syncs again with the token it unsealed.
    engine.sync_now().await?;
    engine.close().await;
    assert_no_plaintext(&dir, &[&token, COLLEAGUES])?;
    Ok(())
}

async fn ten_wrong_pins_erase_the_device(backend: Backend) -> Result<()> {
    let mut server = server(backend, ServerConfig::default()).await?;
    let phone = device_on(&server, "ola").await?;
    // Saved with the server down: these records would be lost.
    server.stop().await?;
    save_private_things(&phone.engine).await?;
    let dir = phone.dir.path().to_path_buf();
    phone.engine.close().await;

    let engine = Engine::open_with(&dir, quick_policy()).await?;
    // A PIN that no enrolment accepts (too short) spends no attempt.
    let slip = engine.unlock("12").await.expect_err("too short");
    assert!(
        matches!(slip, EngineError::WrongPin { attempts_left: 10 }),
        "{slip}"
    );
    for left in (1..10).rev() {
        let wrong = engine.unlock("999999").await.expect_err("wrong pin");
        assert!(
            matches!(wrong, EngineError::WrongPin { attempts_left } if attempts_left == left),
            "{wrong}"
        );
    }
    let view = engine.lock_view().await?;
    assert_eq!(view.attempts_left, 1);
    assert_eq!(view.unsynced, 2, "the warning counts the unsent records");
    // Closing the app between attempts gains nothing.
    engine.close().await;
    let engine = Engine::open_with(&dir, quick_policy()).await?;
    assert_eq!(engine.lock_view().await?.attempts_left, 1);
    let wiped = engine.unlock("999999").await.expect_err("tenth");
    assert!(matches!(wiped, EngineError::Wiped { lost: 2 }), "{wiped}");
    assert_eq!(kind_of(wiped), ErrorKind::Wiped);
    assert_eq!(engine.access(), Access::New);
    assert_eq!(engine.doc_count().await?, 0);
    assert_eq!(
        kind_of(engine.unlock(TEST_PIN).await.expect_err("nothing to open")),
        ErrorKind::NotEnrolled
    );
    engine.close().await;
    assert_no_plaintext(&dir, &[])?;
    Ok(())
}

async fn inactivity_locks_and_activity_keeps_it_open(backend: Backend) -> Result<()> {
    let config = ServerConfig {
        device: DevicePolicy {
            lock_secs: 2,
            stale_days: 14,
        },
        ..ServerConfig::default()
    };
    let server = server(backend, config).await?;
    let phone = device_on(&server, "ola").await?;
    let engine = &phone.engine;
    assert_eq!(
        engine.lock_view().await?.lock_secs,
        2,
        "the server's policy"
    );
    // Typing a long note calls no command; the polls say "active".
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let view = engine.sync_view_polled(true).await?;
        assert_eq!(view.access, Access::Open);
    }
    engine.search_persons("").await?;
    // Polls without a tap do not keep it open.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        engine.sync_view_polled(false).await?;
    }
    assert_eq!(engine.sync_view_polled(false).await?.access, Access::Locked);
    assert_eq!(
        kind_of(engine.search_persons("").await.expect_err("locked")),
        ErrorKind::Locked
    );
    // An "active" poll never opens a locked app.
    assert_eq!(engine.sync_view_polled(true).await?.access, Access::Locked);
    // Locked screens, but saved records still sync in the background.
    engine.sync_now().await?;
    engine.unlock(TEST_PIN).await?;
    engine.search_persons("").await?;
    engine.lock();
    assert_eq!(engine.access(), Access::Locked);
    Ok(())
}

async fn a_stale_device_records_but_hides_what_others_recorded(backend: Backend) -> Result<()> {
    let server = server(backend, ServerConfig::default()).await?;
    let phone = device_on(&server, "ola").await?;
    let colleague = device_on(&server, "ewa").await?;
    save_private_things(&colleague.engine).await?;
    colleague.engine.sync_now().await?;
    phone.engine.sync_now().await?;
    assert_eq!(phone.engine.search_persons("zdz").await?.len(), 1);
    let theirs = colleague.engine.contacts_on(Date::today()).await?[0].id;
    let dir = phone.dir.path().to_path_buf();
    phone.engine.close().await;

    // Twenty days without the server (the default policy allows 14).
    let twenty_days_ago = Timestamp::now().0 - 20 * 86_400_000;
    let file = dir.join("odnowa.sqlite");
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite:{}",
        file.display()
    ))
    .await?;
    let updated = sqlx::query("UPDATE meta SET value = $1 WHERE key = 'last_contact'")
        .bind(twenty_days_ago.to_string())
        .execute(&mut conn)
        .await?
        .rows_affected();
    assert_eq!(updated, 1);
    sqlx::Connection::close(conn).await?;

    let engine = Engine::open_with(&dir, quick_policy()).await?;
    engine.unlock(TEST_PIN).await?;
    assert_eq!(engine.access(), Access::Stale);
    // What the colleague recorded is hidden…
    assert!(engine.search_persons("zdz").await?.is_empty());
    assert!(engine.contacts_on(Date::today()).await?.is_empty());
    let hidden = engine.contact(theirs).await.expect_err("stale");
    assert!(
        matches!(hidden, EngineError::Stale { days: 20 }),
        "{hidden}"
    );
    assert_eq!(kind_of(hidden), ErrorKind::Stale);
    assert!(engine.record_meta(theirs).await.is_err(), "its history too");
    // … while the worker goes on recording, and sees their own.
    save_private_things(&engine).await?;
    assert_eq!(engine.contacts_on(Date::today()).await?.len(), 1);
    assert_eq!(engine.search_persons("zdz").await?.len(), 1, "their own");
    assert!(engine.app_info().await?.identity.is_some());
    let view = engine.sync_now_view().await?;
    assert_eq!(view.access, Access::Open);
    assert_eq!(view.pending, 0, "what was recorded while stale was sent");
    assert_eq!(engine.search_persons("zdz").await?.len(), 2);
    assert_eq!(engine.contacts_on(Date::today()).await?.len(), 2);
    colleague.engine.sync_now().await?;
    assert_eq!(
        colleague.engine.contacts_on(Date::today()).await?.len(),
        2,
        "the colleague has what was recorded while stale"
    );
    Ok(())
}

async fn revocation_cuts_off_and_locks_the_device(backend: Backend) -> Result<()> {
    let server = server(backend, ServerConfig::default()).await?;
    let phone = device_on(&server, "ola").await?;
    save_private_things(&phone.engine).await?;
    let _background = phone.engine.start();
    let engine = phone.engine.clone();
    assert!(
        eventually(10, || async {
            engine.status().live && engine.status().pending == 0
        })
        .await
    );

    let identity = engine.identity().await.context("enrolled")?;
    let (device, token) = (identity.device, identity.token);
    let revoked_at = Instant::now();
    assert!(accounts::revoke(&server.db, device).await?);
    assert!(
        eventually(10, || async { engine.access() == Access::Revoked }).await,
        "the device did not learn it was revoked"
    );
    println!(
        "revocation reached the live device in {} ms",
        revoked_at.elapsed().as_millis()
    );
    assert!(!engine.status().live);
    assert!(engine.status().revoked);
    for error in [
        engine.search_persons("").await.expect_err("revoked"),
        engine.unlock(TEST_PIN).await.expect_err("revoked"),
    ] {
        assert_eq!(kind_of(error), ErrorKind::Revoked);
    }
    // The key left memory: not even the engine's own reads work.
    assert!(matches!(
        engine.list::<Person>().await,
        Err(EngineError::Locked)
    ));
    // Every later request is refused with the reason the app shows.
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/sync", server.url()))
        .bearer_auth(&token)
        .body(vec![0u8; 16])
        .send()
        .await?;
    assert_eq!(answer.status(), 401);
    match protocol::decode_server(&answer.bytes().await?)? {
        ServerMessage::Error(e) => {
            assert_eq!(e.code, protocol::ErrorCode::Revoked);
            assert!(e.message.contains("revoked"), "{}", e.message);
        }
        other => anyhow::bail!("expected an error frame, got {other:?}"),
    }
    let refused = engine.sync_now().await.expect_err("revoked");
    assert!(matches!(refused, EngineError::Revoked), "{refused}");
    assert_eq!(
        refused.to_string(),
        "this device was revoked: enrol it again"
    );

    // It stays locked after a restart; erasing lets it enrol again.
    let dir = phone.dir.path().to_path_buf();
    engine.close().await;
    let engine = Engine::open_with(&dir, quick_policy()).await?;
    assert_eq!(engine.access(), Access::Revoked);
    engine.reset().await?;
    assert_eq!(engine.access(), Access::New);
    assert_eq!(engine.doc_count().await?, 0);
    let code = accounts::enrol_code(&server.db, "ola", 24).await?;
    engine.enrol(&server.url(), &code, "ola", "271828").await?;
    engine.sync_now().await?;
    assert_eq!(engine.search_persons("zdz").await?.len(), 1);
    Ok(())
}

async fn disabling_a_user_cuts_off_their_devices(backend: Backend) -> Result<()> {
    let server = server(backend, ServerConfig::default()).await?;
    let phone = device_on(&server, "ola").await?;
    let _background = phone.engine.start();
    let engine = phone.engine.clone();
    assert!(eventually(10, || async { engine.status().live }).await);
    assert!(accounts::disable_user(&server.db, "ola").await?);
    assert!(eventually(10, || async { engine.access() == Access::Revoked }).await);
    assert!(!accounts::disable_user(&server.db, "ola").await?);
    Ok(())
}

async fn enrolment_codes_are_rate_limited_and_work_once(backend: Backend) -> Result<()> {
    let config = ServerConfig {
        enrol: EnrolLimits {
            per_client: 3,
            window: Duration::from_secs(600),
        },
        ..ServerConfig::default()
    };
    let server = server(backend, config).await?;
    let code = server
        .user_with_code("ola", &["registry", TEAM], &[])
        .await?;
    let client = reqwest::Client::new();
    let enrol = |code: String| {
        client
            .post(format!("{}/v1/enrol", server.url()))
            .json(&serde_json::json!({ "code": code, "device_name": "telefon" }))
            .send()
    };
    for guess in ["AAAAA-AAAAA", "BBBBB-BBBBB", "CCCCC-CCCCC"] {
        assert_eq!(enrol(guess.into()).await?.status(), 403);
    }
    // Now even the right code waits: guessing is what is slowed down.
    let limited = enrol(code.clone()).await?;
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited
        .headers()
        .get("retry-after")
        .context("Retry-After")?
        .to_str()?
        .parse()?;
    assert!(wait > 0 && wait <= 600, "{wait}");
    let body: serde_json::Value = limited.json().await?;
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("too many wrong enrolment codes"),
        "{body}"
    );
    // The engine shows it as its own kind.
    let dir = tempfile::tempdir()?;
    let engine = Engine::open_with(dir.path(), quick_policy()).await?;
    let refused = engine
        .enrol(&server.url(), &code, "telefon", TEST_PIN)
        .await
        .expect_err("limited");
    assert_eq!(kind_of(refused), ErrorKind::TooManyAttempts);
    assert_eq!(engine.access(), Access::New);
    Ok(())
}

async fn a_code_works_once_and_tokens_are_stored_as_hashes(backend: Backend) -> Result<()> {
    let server = server(backend, ServerConfig::default()).await?;
    let code = server
        .user_with_code("ola", &["registry", TEAM], &[])
        .await?;
    let phone = TestDevice::enrol(&server.url(), &code, "ola").await?;
    let token = phone.engine.identity().await.context("enrolled")?.token;

    let dir = tempfile::tempdir()?;
    let second = Engine::open_with(dir.path(), quick_policy()).await?;
    let replayed = second
        .enrol(&server.url(), &code, "thief", TEST_PIN)
        .await
        .expect_err("used");
    assert!(replayed.to_string().contains("already used"), "{replayed}");
    assert_eq!(kind_of(replayed), ErrorKind::BadCode);
    let weak = second
        .enrol(&server.url(), "whatever", "x", "123")
        .await
        .expect_err("weak pin");
    assert_eq!(kind_of(weak), ErrorKind::Invalid);

    // The server keeps the token's hash, never the token.
    let devices = accounts::devices(&server.db).await?;
    assert_eq!(devices.len(), 1, "ola's phone alone");
    let hashes: Vec<String> = match backend {
        Backend::Sqlite => {
            let path = server
                .database
                .url
                .strip_prefix("sqlite:")
                .context("a SQLite url")?;
            for (file, bytes) in files_under(Path::new(path).parent().context("dir")?)? {
                assert!(
                    !contains(&bytes, token.as_bytes()),
                    "{file} holds the token"
                );
            }
            let mut conn =
                <sqlx::SqliteConnection as sqlx::Connection>::connect(&server.database.url).await?;
            sqlx::query_scalar("SELECT token_hash FROM devices")
                .fetch_all(&mut conn)
                .await?
        }
        Backend::Postgres => {
            let mut conn =
                <sqlx::PgConnection as sqlx::Connection>::connect(&server.database.url).await?;
            sqlx::query_scalar("SELECT token_hash FROM devices")
                .fetch_all(&mut conn)
                .await?
        }
    };
    assert_eq!(hashes.len(), 1);
    assert!(hashes.iter().all(|h| h.len() == 64 && !h.contains(&token)));
    assert!(hashes.contains(&sha256_hex(&token)));
    Ok(())
}

odnowa_tests::on_both_backends!(
    device_data_is_encrypted_at_rest,
    ten_wrong_pins_erase_the_device,
    inactivity_locks_and_activity_keeps_it_open,
    a_stale_device_records_but_hides_what_others_recorded,
    revocation_cuts_off_and_locks_the_device,
    disabling_a_user_cuts_off_their_devices,
    enrolment_codes_are_rate_limited_and_work_once,
    a_code_works_once_and_tokens_are_stored_as_hashes,
);
