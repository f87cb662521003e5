//! Reconnect after offline: 10,000 documents, 100 changed on each side
//! (`ODNOWA_BENCH_DOCS`, `ODNOWA_BENCH_CHANGED`).
//!
//! Runs the real `odnowa-sync` binary (release build, SQLite file) as its own
//! process, and two device engines in this one: it lives in the tests crate,
//! which may depend on both sides. Prints exchanges, bytes each way and time
//! of each reconnect, and the server's resident memory per idle document;
//! then erases a person named in 500 of the contacts (at most the documents
//! left) and times the erasure and each device's purge. Run:
//! `cargo build --release -p odnowa-sync-server && cargo bench -p odnowa-tests --bench reconnect`
//! (figures go to BENCHMARKS.md by hand).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use odnowa_app::engine::{Engine, SyncPolicy};
use odnowa_shared::ids::SpaceId;
use odnowa_shared::records::{Contact, Person};
use odnowa_shared::time::Timestamp;
use odnowa_tests::procs::{ServerProcess, odnowa_sync};

const CACHE_DOCS: usize = 1_000;
const ERASED_CONTACTS: usize = 500;

/// A size from the environment, or its default.
fn size(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("{name} must be a number, not {text:?}")),
        Err(_) => Ok(default),
    }
}

async fn device(dir: &std::path::Path, url: &str, code: &str) -> Result<Engine> {
    let engine = Engine::open_with(dir, SyncPolicy::default()).await?;
    engine.enrol(url, code, "bench", "271828").await?;
    Ok(engine)
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

async fn reconnect(name: &str, engine: &Engine) -> Result<()> {
    let before = engine.stats();
    let started = Instant::now();
    let report = engine.sync_now().await?;
    let elapsed = started.elapsed();
    let after = engine.stats();
    println!(
        "{name}: {} exchange(s), pushed {} docs, pulled {} updates, up {}, down {}, {:.0} ms",
        after.exchanges - before.exchanges,
        report.pushed_docs,
        report.pulled_updates,
        kib(after.bytes_up - before.bytes_up),
        kib(after.bytes_down - before.bytes_down),
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let docs = size("ODNOWA_BENCH_DOCS", 10_000)?;
    let changed = size("ODNOWA_BENCH_CHANGED", 100)?.min(docs / 2);
    let erased_contacts = ERASED_CONTACTS.min(docs - 2 * changed);
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite:{}", dir.path().join("server.sqlite").display());
    odnowa_sync(&db, &["admin", "create-space", "Streetwork"])?;
    for user in ["a", "b"] {
        odnowa_sync(
            &db,
            &[
                "admin",
                "create-user",
                user,
                "--write",
                "Streetwork",
                "--write",
                "registry",
            ],
        )?;
    }
    let server = ServerProcess::start(&db, &["--cache-docs", &CACHE_DOCS.to_string()]).await?;
    let url = server.url();
    let idle_rss = server.rss_kib()?;
    let a = device(
        &dir.path().join("a"),
        &url,
        &odnowa_sync(&db, &["admin", "enrol-code", "a"])?,
    )
    .await?;
    let b = device(
        &dir.path().join("b"),
        &url,
        &odnowa_sync(&db, &["admin", "enrol-code", "b"])?,
    )
    .await?;
    a.sync_now().await?;
    let space = a
        .spaces()
        .await?
        .into_iter()
        .find(|s| s.name == "Streetwork")
        .map(|s| s.space)
        .unwrap_or_else(SpaceId::random);
    let worker = a.identity().await.context("enrolled")?.user;

    let contacts: Vec<Contact> = (0..docs)
        .map(|i| {
            let mut c = Contact::new(space, worker, Timestamp::now()).with_service("hot_drink");
            c.anonymous_count = 1 + (i % 3) as i64;
            c.place = format!("Punkt {}", i % 40);
            c
        })
        .collect();
    let started = Instant::now();
    a.save_all(&contacts).await?;
    println!(
        "created {docs} contacts on A in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let report = a.sync_now().await?;
    println!(
        "A first upload: {} exchanges, {:.1} s",
        report.exchanges,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let report = b.sync_now().await?;
    println!(
        "B first download (snapshots): {} exchanges, {} updates, {:.1} s",
        report.exchanges,
        report.pulled_updates,
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded_rss = server.rss_kib()?;
    println!(
        "server RSS: {} KiB idle before, {} KiB holding {docs} docs ({CACHE_DOCS} cached at most): {:.2} KiB per document",
        idle_rss,
        loaded_rss,
        (loaded_rss.saturating_sub(idle_rss)) as f64 / docs as f64
    );

    // Offline: `changed` changes on each side, on different documents.
    let mut edits_a = Vec::new();
    let mut edits_b = Vec::new();
    for (i, contact) in contacts.iter().enumerate().take(2 * changed) {
        let mut edited = contact.clone();
        edited.note = format!("zmiana offline {i}");
        if i % 2 == 0 {
            edits_a.push(edited)
        } else {
            edits_b.push(edited)
        }
    }
    a.save_all(&edits_a).await?;
    b.save_all(&edits_b).await?;
    let changed_a: u64 = futures_sum(&a, &edits_a).await?;
    let changed_b: u64 = futures_sum(&b, &edits_b).await?;
    println!(
        "offline changes: A {} docs ({}), B {} docs ({})",
        edits_a.len(),
        kib(changed_a),
        edits_b.len(),
        kib(changed_b)
    );
    reconnect(&format!("A reconnects (push {changed})"), &a).await?;
    reconnect(
        &format!("B reconnects (push {changed}, pull {changed})"),
        &b,
    )
    .await?;
    reconnect(&format!("A again (pull {changed})"), &a).await?;

    // Erasure: a person named in up to 500 contacts with notes, on both
    // devices.
    let person = Person::new("Osoba do wymazania", Timestamp::now());
    a.save(&person).await?;
    let named: Vec<Contact> = contacts
        .iter()
        .skip(2 * changed)
        .take(erased_contacts)
        .map(|c| {
            let mut c = c.clone().with_person(person.person_id());
            c.note = "notatka o osobie".into();
            c
        })
        .collect();
    a.save_all(&named).await?;
    a.sync_now().await?;
    b.sync_now().await?;
    let started = Instant::now();
    let said = odnowa_sync(
        &db,
        &[
            "admin",
            "erase",
            &person.person_id().to_string(),
            "--reason",
            "bench",
        ],
    )?;
    println!(
        "erasure of a person named in {erased_contacts} contacts (the CLI, a process of its own): {:.0} ms; {}",
        started.elapsed().as_secs_f64() * 1000.0,
        said.lines().last().unwrap_or_default()
    );
    reconnect("A purges", &a).await?;
    reconnect("B purges", &b).await?;
    let erasures = odnowa_sync(&db, &["admin", "erasures"])?;
    println!(
        "devices not purged afterwards: {}",
        erasures.matches("not purged").count()
    );
    Ok(())
}

async fn futures_sum(engine: &Engine, records: &[Contact]) -> Result<u64> {
    let mut total = 0;
    for record in records {
        total += engine.pending_bytes(record.id).await?;
    }
    Ok(total)
}
