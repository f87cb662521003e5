//! The server's database unreachable for a while (PostgreSQL behind a
//! relay that is switched off) and its disk full (SQLite on a small tmpfs,
//! then given room): devices are answered "unavailable" with a clear
//! sentence, keep working offline, try again by themselves, and lose
//! nothing. Real `odnowa-sync` processes, real device engines.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use odnowa_app::engine::EngineError;
use odnowa_shared::ids::{DocId, SpaceId};
use odnowa_shared::records::Contact;
use odnowa_shared::time::Timestamp;
use odnowa_tests::procs::{ServerProcess, odnowa_sync};
use odnowa_tests::proxy::Blackout;
use odnowa_tests::{Backend, TestDatabase, TestDevice};

const SPACE: &str = "Streetwork";

/// The space and a user writing it, on `db`; a one-time code.
fn prepare(db: &str, user: &str) -> Result<String> {
    odnowa_sync(db, &["admin", "create-space", SPACE])?;
    odnowa_sync(db, &["admin", "create-user", user, "--write", SPACE])?;
    odnowa_sync(db, &["admin", "enrol-code", user])
}

async fn space_of(device: &TestDevice) -> Result<SpaceId> {
    device
        .engine
        .spaces()
        .await?
        .into_iter()
        .find(|s| s.name == SPACE)
        .map(|s| s.space)
        .context("the device writes the space")
}

/// Saves `n` contacts with a note of `note_bytes` bytes; their ids.
async fn record(
    device: &TestDevice,
    space: SpaceId,
    n: usize,
    note_bytes: usize,
) -> Result<Vec<DocId>> {
    let user = device.engine.identity().await.context("enrolled")?.user;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let mut contact = Contact::new(space, user, Timestamp::now()).with_service("hot_drink");
        contact.anonymous_count = 1;
        contact.note = format!("{i} {}", "z".repeat(note_bytes));
        device.engine.save(&contact).await?;
        ids.push(contact.id);
    }
    Ok(ids)
}

/// Waits until the device has nothing left to send (its background sync
/// doing the work), at most `within`.
async fn drained(device: &TestDevice, within: Duration) -> Result<()> {
    let deadline = Instant::now() + within;
    while device.engine.status().pending > 0 {
        ensure!(
            Instant::now() < deadline,
            "{} records still unsent after {within:?}: {:?}",
            device.engine.status().pending,
            device.engine.status().last_error
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Every id of `ids` is on the server, read by a second device.
async fn all_on_server(server: &str, db: &str, user: &str, ids: &[DocId]) -> Result<()> {
    let code = odnowa_sync(db, &["admin", "enrol-code", user])?;
    let reader = TestDevice::enrol(server, &code, "reader").await?;
    reader.engine.sync_now().await?;
    for id in ids {
        let held: Option<Contact> = reader.engine.get(*id).await?;
        ensure!(held.is_some(), "the server lost {id}");
    }
    Ok(())
}

/// `postgres://user@host:port/db` with the host and port replaced by
/// `addr`; and the host and port it named.
fn through(url: &str, addr: SocketAddr) -> Result<(String, SocketAddr)> {
    let (scheme, rest) = url.split_once("://").context("a URL")?;
    let (authority, path) = rest.split_once('/').context("a database name")?;
    let (user, host) = authority
        .rsplit_once('@')
        .map_or((None, authority), |(u, h)| (Some(u), h));
    let target: SocketAddr = host
        .parse()
        .with_context(|| format!("{host} is not host:port"))?;
    let user = user.map(|u| format!("{u}@")).unwrap_or_default();
    Ok((format!("{scheme}://{user}{addr}/{path}"), target))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_unreachable_for_a_while_loses_nothing() -> Result<()> {
    let database = TestDatabase::new(Backend::Postgres).await?;
    let code = prepare(&database.url, "marta")?;
    let (_, postgres) = through(&database.url, "127.0.0.1:1".parse()?)?;
    let relay = Blackout::start(postgres).await?;
    let (via_relay, _) = through(&database.url, relay.addr)?;
    let server = ServerProcess::start(&via_relay, &[]).await?;
    let device = TestDevice::enrol(&server.url(), &code, "marta").await?;
    device.engine.sync_now().await?;
    let space = space_of(&device).await?;
    let _background = device.engine.start();
    let mut ids = record(&device, space, 5, 10).await?;
    drained(&device, Duration::from_secs(20)).await?;

    // The database goes away: the server answers "unavailable", the device
    // keeps recording.
    relay.set_down(true);
    ids.extend(record(&device, space, 20, 10).await?);
    match device.engine.sync_now().await {
        Err(EngineError::Offline(message)) => ensure!(
            message.contains("cannot reach its database") && message.contains("nothing was lost"),
            "an unclear message: {message}"
        ),
        other => bail!("a sync without a database: {other:?}"),
    }
    ensure!(
        device.engine.status().pending >= 20,
        "the records wait on the device"
    );
    // The process runs and says why it cannot serve: a load balancer's
    // health check takes it out of rotation meanwhile.
    let health = reqwest::get(format!("{}/health", server.url())).await?;
    ensure!(
        health.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE,
        "health during the outage: {}",
        health.status()
    );
    ensure!(health.text().await?.contains("cannot reach its database"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    ids.extend(record(&device, space, 5, 10).await?);

    // It comes back: the device's own retries send everything.
    relay.set_down(false);
    drained(&device, Duration::from_secs(60)).await?;
    all_on_server(&server.url(), &database.url, "marta", &ids).await?;
    Ok(())
}

/// A tmpfs of `mib` MiB at `dir` (root only, as CI runs).
fn mount_tmpfs(dir: &std::path::Path, mib: u32, remount: bool) -> Result<()> {
    let mut options = format!("size={mib}m");
    if remount {
        options = format!("remount,{options}");
    }
    let status = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &options,
            "odnowa-test",
            &dir.display().to_string(),
        ])
        .status()
        .context("running mount")?;
    ensure!(
        status.success(),
        "mount -t tmpfs failed ({status}): this test fills a real disk and needs root"
    );
    Ok(())
}

struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_disk_full_loses_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk)?;
    mount_tmpfs(&disk, 3, false)?;
    let mounted = Mounted(disk.clone());
    let db = format!("sqlite:{}", disk.join("server.sqlite").display());
    let code = prepare(&db, "marta")?;
    let server = ServerProcess::start(&db, &["--cache-docs", "100"]).await?;
    let device = TestDevice::enrol(&server.url(), &code, "marta").await?;
    device.engine.sync_now().await?;
    let space = space_of(&device).await?;

    // Records with long notes until the server's disk is full.
    let mut ids = Vec::new();
    let mut full = None;
    for _ in 0..200 {
        ids.extend(record(&device, space, 20, 4_000).await?);
        match device.engine.sync_now().await {
            Ok(_) => continue,
            Err(EngineError::Offline(message)) => {
                full = Some(message);
                break;
            }
            Err(other) => bail!("a sync to a full disk: {other}"),
        }
    }
    let message = full.context("the disk never filled")?;
    ensure!(
        message.contains("storage is full") && message.contains("nothing was lost"),
        "an unclear message: {message}"
    );
    ensure!(
        device.engine.status().pending > 0,
        "the records wait on the device"
    );
    // The device goes on recording; the server goes on answering.
    ids.extend(record(&device, space, 10, 100).await?);
    ensure!(device.engine.sync_now().await.is_err(), "still full");
    let health = reqwest::get(format!("{}/health", server.url())).await?;
    ensure!(health.status().is_success(), "the server itself still runs");

    // Room again: the device's background sync sends everything.
    mount_tmpfs(&disk, 64, true)?;
    let _background = device.engine.start();
    drained(&device, Duration::from_secs(60)).await?;
    all_on_server(&server.url(), &db, "marta", &ids).await?;
    drop(server);
    drop(mounted);
    Ok(())
}
