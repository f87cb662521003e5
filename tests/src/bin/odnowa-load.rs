//! The load generator and the ingest bench: real `odnowa-sync` processes
//! on 127.0.0.1 (SQLite or PostgreSQL), simulated devices
//! (`odnowa_tests::sim`) that send real sync frames. Bounded in count and
//! time; stops by itself. Figures go to BENCHMARKS.md by hand.
//!
//! - `odnowa-load ingest`: one device uploads new documents (a fifth of
//!   them persons, the rest contacts naming them), then one small edit to
//!   each; prints accepted changes per second.
//! - `odnowa-load devices`: many devices at once, each recording and
//!   syncing live (`odnowa_tests::load`); prints throughput, exchange
//!   latency, propagation, the servers' CPU and memory, and errors; fails
//!   on any error or lost save.
//! - `odnowa-load kill-devices` / `kill-servers`: kill -9 loops
//!   (`odnowa_tests::durability`): the device engine's process, or the
//!   server's, killed at random moments and checked against what it had
//!   acknowledged; `device-worker` is the engine's process they kill.
//!
//! Build the server first, in the same profile:
//! `cargo build --release -p odnowa-sync-server -p odnowa-tests --bin odnowa-load`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use odnowa_shared::ids::PersonId;
use odnowa_shared::records::{Contact, Person};
use odnowa_shared::time::Timestamp;
use odnowa_tests::procs::{ServerProcess, odnowa_sync};
use odnowa_tests::sim::SimDevice;
use odnowa_tests::{Backend, TestDatabase};

#[derive(Parser)]
#[command(about = "Odnowa's load generator and ingest bench (loopback only)")]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Clone, Copy, ValueEnum)]
enum Db {
    Sqlite,
    Postgres,
}

#[derive(Subcommand)]
enum Mode {
    /// One device's first upload of new documents, then an edit of each.
    Ingest {
        #[arg(long, value_enum, default_value = "sqlite")]
        db: Db,
        /// New documents to upload (at most 200,000).
        #[arg(long, default_value_t = 10_000)]
        docs: usize,
        /// Documents the server keeps in memory.
        #[arg(long, default_value_t = 1_000)]
        cache_docs: usize,
    },
    /// Many devices recording and syncing live at once.
    Devices {
        #[arg(long, value_enum, default_value = "postgres")]
        db: Db,
        /// Simulated devices (at most 2,000).
        #[arg(long, default_value_t = 500)]
        devices: usize,
        /// Server instances over the one database (2+: PostgreSQL).
        #[arg(long, default_value_t = 1)]
        instances: usize,
        /// Seconds of recording (at most 600).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Average seconds between two contacts of one device.
        #[arg(long, default_value_t = 4.0)]
        pace: f64,
        #[arg(long, default_value_t = 1_000)]
        cache_docs: usize,
        /// Bad requests a second from a hostile device (0: none).
        #[arg(long, default_value_t = 10.0)]
        bad_per_sec: f64,
        /// Attendance ticks each day-room tablet (two per organisation)
        /// makes at opening, a third into the run (0: none).
        #[arg(long, default_value_t = 8)]
        opening_ticks: usize,
    },
    /// Server memory with many documents stored and a bounded cache: idle
    /// with nothing stored, idle with `docs` stored, with the cache full,
    /// and under the devices' load on that database.
    Memory {
        #[arg(long, value_enum, default_value = "postgres")]
        db: Db,
        /// Documents stored (contacts; at most 200,000).
        #[arg(long, default_value_t = 100_000)]
        docs: usize,
        #[arg(long, default_value_t = 1_000)]
        cache_docs: usize,
        /// Devices of the load run on the same database (0: none).
        #[arg(long, default_value_t = 100)]
        devices: usize,
        /// Seconds of the load run.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    /// Kills the device engine's process with SIGKILL at random moments
    /// while it saves and syncs; checks nothing acknowledged is lost.
    KillDevices {
        #[arg(long, value_enum, default_value = "sqlite")]
        db: Db,
        /// Kill cycles (at most 10,000).
        #[arg(long, default_value_t = 1_000)]
        cycles: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Kills the server's process with SIGKILL at random moments while a
    /// device uploads; checks every acknowledged change is stored.
    KillServers {
        #[arg(long, value_enum, default_value = "sqlite")]
        db: Db,
        /// Kill cycles (at most 10,000).
        #[arg(long, default_value_t = 1_000)]
        cycles: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The device engine's process the kill loop kills (not for hand use).
    DeviceWorker {
        #[arg(long)]
        dir: std::path::PathBuf,
        #[arg(long)]
        server: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        cycle: u64,
        /// Stop after this many steps and sync (default: until killed).
        #[arg(long)]
        steps: Option<u64>,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Mode::Ingest {
            db,
            docs,
            cache_docs,
        } => ingest(db, docs.min(200_000), cache_docs).await,
        Mode::Memory {
            db,
            docs,
            cache_docs,
            devices,
            seconds,
        } => {
            memory(
                db,
                docs.clamp(1, 200_000),
                cache_docs,
                devices.min(2_000),
                seconds.clamp(1, 600),
            )
            .await
        }
        Mode::KillDevices { db, cycles, seed } => {
            let database = TestDatabase::new(backend(db)).await?;
            let worker = std::env::current_exe()?;
            let figures = odnowa_tests::durability::kill_devices(
                &worker,
                &database.url,
                cycles.clamp(1, 10_000),
                seed,
            )
            .await?;
            println!("device engine: {figures}");
            Ok(())
        }
        Mode::KillServers { db, cycles, seed } => {
            let database = TestDatabase::new(backend(db)).await?;
            let figures = odnowa_tests::durability::kill_servers(
                &database.url,
                cycles.clamp(1, 10_000),
                seed,
            )
            .await?;
            println!("server: {figures}");
            Ok(())
        }
        Mode::DeviceWorker {
            dir,
            server,
            code,
            cycle,
            steps,
        } => odnowa_tests::durability::device_worker(&dir, &server, &code, cycle, steps).await,
        Mode::Devices {
            db,
            devices,
            instances,
            seconds,
            pace,
            cache_docs,
            bad_per_sec,
            opening_ticks,
        } => {
            let plan = odnowa_tests::load::Plan {
                devices: devices.clamp(1, 2_000),
                instances: instances.clamp(1, 8),
                run: Duration::from_secs(seconds.clamp(1, 600)),
                pace: Duration::from_secs_f64(pace.clamp(0.05, 600.0)),
                cache_docs,
                bad_per_sec: bad_per_sec.clamp(0.0, 1_000.0),
                opening_ticks: opening_ticks.min(1_000),
            };
            let database = TestDatabase::new(backend(db)).await?;
            let figures = odnowa_tests::load::run(&database.url, &plan).await?;
            println!("{}", figures.report(&plan));
            for error in figures.errors.iter().take(20) {
                println!("  {error}");
            }
            if !figures.errors.is_empty() {
                bail!("{} errors", figures.errors.len());
            }
            Ok(())
        }
    }
}

fn backend(db: Db) -> Backend {
    match db {
        Db::Sqlite => Backend::Sqlite,
        Db::Postgres => Backend::Postgres,
    }
}

/// Creates the space `name` and a user `user` writing it and the
/// registry; returns a one-time code of the user.
fn worker(db: &str, space: &str, user: &str) -> Result<String> {
    odnowa_sync(
        db,
        &[
            "admin",
            "create-user",
            user,
            "--write",
            space,
            "--write",
            "registry",
        ],
    )?;
    odnowa_sync(db, &["admin", "enrol-code", user])
}

async fn ingest(db: Db, docs: usize, cache_docs: usize) -> Result<()> {
    let database = TestDatabase::new(backend(db)).await?;
    let url = database.url.clone();
    odnowa_sync(&url, &["admin", "create-space", "Streetwork"])?;
    let code = worker(&url, "Streetwork", "a")?;
    let server = ServerProcess::start(&url, &["--cache-docs", &cache_docs.to_string()]).await?;
    let idle_rss = server.rss_kib()?;
    let mut device = SimDevice::enrol(&server.url(), &code, "bench").await?;
    let first = device.sync_http().await?;
    let space = first
        .iter()
        .flat_map(|e| e.spaces.iter())
        .find(|s| s.name == "Streetwork")
        .map(|s| s.space)
        .context("the device reads Streetwork")?;

    // A fifth persons in the registry, the rest contacts naming them.
    let persons = (docs / 5).max(1);
    let worker = device.user;
    let mut person_ids: Vec<PersonId> = Vec::with_capacity(persons);
    for i in 0..persons {
        let mut person = Person::new(&format!("Osoba {i}"), Timestamp::now());
        person.birth_year = Some(1950 + (i % 50) as i64);
        device.create(&person)?;
        person_ids.push(PersonId(person.id.0));
    }
    let mut contacts = Vec::with_capacity(docs - persons);
    for i in 0..docs.saturating_sub(persons) {
        let mut contact = Contact::new(space, worker, Timestamp::now())
            .with_service("hot_drink")
            .with_person(person_ids[i % persons]);
        contact.place = format!("Punkt {}", i % 40);
        device.create(&contact)?;
        contacts.push(contact);
    }
    let started = Instant::now();
    let cpu_before = server.cpu()?;
    let upload = device.sync_http().await?;
    let took = started.elapsed();
    let cpu = server.cpu()? - cpu_before;
    let stored: usize = upload.iter().map(|e| e.stored.len()).sum();
    let refused: usize = upload.iter().map(|e| e.refused.len()).sum();
    if stored != docs || refused != 0 {
        bail!("{stored} of {docs} documents stored, {refused} refused");
    }
    report(
        "first upload of new documents",
        docs,
        upload.len(),
        took,
        cpu,
    );

    // One small edit of each contact (another place).
    for contact in &mut contacts {
        contact.place.push_str(" b");
        device.edit(&*contact)?;
    }
    let started = Instant::now();
    let cpu_before = server.cpu()?;
    let edits = device.sync_http().await?;
    let took = started.elapsed();
    let cpu = server.cpu()? - cpu_before;
    let stored: usize = edits.iter().map(|e| e.stored.len()).sum();
    if stored != contacts.len() {
        bail!("{stored} of {} edits stored", contacts.len());
    }
    report(
        "one edit of each stored contact",
        contacts.len(),
        edits.len(),
        took,
        cpu,
    );

    let held = odnowa_sync_server::Db::open(&url)
        .await?
        .change_count()
        .await?;
    let expected = (docs + contacts.len()) as u64;
    if held != expected {
        bail!("the server holds {held} changes, {expected} were acknowledged");
    }
    println!(
        "server: holds all {held} acknowledged changes; RSS {:.1} MiB idle at start, {:.1} MiB now (cache {cache_docs} documents)",
        idle_rss as f64 / 1024.0,
        server.rss_kib()? as f64 / 1024.0
    );
    Ok(())
}

/// See [`Mode::Memory`].
async fn memory(
    db: Db,
    docs: usize,
    cache_docs: usize,
    devices: usize,
    seconds: u64,
) -> Result<()> {
    let mib = |kib: u64| kib as f64 / 1024.0;
    let database = TestDatabase::new(backend(db)).await?;
    let url = database.url.clone();
    odnowa_sync(&url, &["admin", "create-space", "Archive"])?;
    let code = worker(&url, "Archive", "a")?;
    let args = ["--cache-docs".to_string(), cache_docs.to_string()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut server = ServerProcess::start(&url, &args).await?;
    let mut device = SimDevice::enrol(&server.url(), &code, "bench").await?;
    let first = device.sync_http().await?;
    let space = first
        .iter()
        .flat_map(|e| e.spaces.iter())
        .find(|s| s.name == "Archive")
        .map(|s| s.space)
        .context("the device reads Archive")?;
    let empty = server.rss_kib()?;
    println!("idle, nothing stored: RSS {:.1} MiB", mib(empty));
    // Uploaded in slices, so that the device's copies of one slice are
    // all it holds unsent.
    let mut contacts = Vec::with_capacity(docs);
    let started = Instant::now();
    while contacts.len() < docs {
        let slice = (docs - contacts.len()).min(10_000);
        for i in 0..slice {
            let mut contact =
                Contact::new(space, device.user, Timestamp::now()).with_service("hot_drink");
            contact.anonymous_count = 1;
            contact.place = format!("Punkt {}", (contacts.len() + i) % 40);
            device.create(&contact)?;
            contacts.push(contact);
        }
        device.sync_http().await?;
        if !device.unconfirmed().is_empty() {
            bail!("{} documents not stored", device.unconfirmed().len());
        }
    }
    println!(
        "uploaded {docs} documents in {:.1} s; RSS {:.1} MiB after the upload",
        started.elapsed().as_secs_f64(),
        mib(server.rss_kib()?)
    );
    server.restart().await?;
    let stored = server.rss_kib()?;
    // One edit of as many documents as the cache holds, none of them
    // cached after the restart: each is loaded and kept.
    for contact in contacts.iter_mut().take(cache_docs) {
        contact.place.push_str(" b");
        device.edit(&*contact)?;
    }
    device.sync_http().await?;
    let full = server.rss_kib()?;
    let cached = cache_docs.min(docs).max(1);
    println!(
        "idle, {docs} stored, nothing cached: RSS {:.1} MiB ({:.2} KiB per stored document above the empty server)",
        mib(stored),
        stored.saturating_sub(empty) as f64 / docs as f64
    );
    println!(
        "{cached} documents cached: RSS {:.1} MiB ({:.1} KiB per cached document)",
        mib(full),
        full.saturating_sub(stored) as f64 / cached as f64
    );
    // As many other documents again: the cache drops the first ones, and
    // the memory stays where it was.
    for contact in contacts.iter_mut().skip(cache_docs).take(cache_docs) {
        contact.place.push_str(" c");
        device.edit(&*contact)?;
    }
    device.sync_http().await?;
    println!(
        "{cached} other documents edited (the first ones leave the cache): RSS {:.1} MiB",
        mib(server.rss_kib()?)
    );
    drop(server);
    if devices > 0 {
        let plan = odnowa_tests::load::Plan {
            devices,
            instances: 1,
            run: Duration::from_secs(seconds),
            pace: Duration::from_secs(4),
            cache_docs,
            bad_per_sec: 0.0,
            opening_ticks: 0,
        };
        let figures = odnowa_tests::load::run(&url, &plan).await?;
        println!(
            "under load, {docs} documents stored:\n{}",
            figures.report(&plan)
        );
        if !figures.errors.is_empty() {
            bail!("{} errors", figures.errors.len());
        }
    }
    Ok(())
}

fn report(what: &str, changes: usize, exchanges: usize, took: Duration, cpu: Duration) {
    println!(
        "{what}: {changes} changes in {exchanges} exchanges, {:.2} s, {:.0} accepted changes/s; server CPU {:.2} s",
        took.as_secs_f64(),
        changes as f64 / took.as_secs_f64(),
        cpu.as_secs_f64()
    );
}
