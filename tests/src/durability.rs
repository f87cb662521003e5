//! kill -9 without loss: the device engine and the sync server killed with
//! SIGKILL at random moments while they save, sync and ingest, restarted,
//! and checked against what each had acknowledged before it died.
//!
//! - [`device_worker`] is the engine's process (`odnowa-load
//!   device-worker`): it opens the encrypted replica with the PIN, then
//!   records contacts, edits them and syncs, with the engine's background
//!   sync running, and prints a line after each step the engine
//!   acknowledged (`saved`, `edited`, `synced`). At start it prints what
//!   its replica holds.
//! - [`kill_devices`] runs that process again and again against a real
//!   `odnowa-sync` process, kills it at a random moment, and checks at the
//!   next start that every acknowledged save and edit is held; at the end
//!   that the server holds every record at the device's heads and that
//!   another device reads the same.
//! - [`kill_servers`] kills the server process at a random moment while a
//!   device uploads new records and edits, restarts it, and checks that
//!   every change the server acknowledged is stored; at the end that
//!   device and server converge.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use odnowa_app::engine::{Engine, SyncPolicy};
use odnowa_shared::api::Access;
use odnowa_shared::ids::{DocId, SpaceId};
use odnowa_shared::records::Contact;
use odnowa_shared::time::Timestamp;
use rand::{Rng, SeedableRng};

use crate::procs::{ServerProcess, odnowa_sync};
use crate::sim::SimDevice;

/// The space the kill loops record in.
pub const SPACE: &str = "Streetwork";
/// The PIN of the killed device.
pub const PIN: &str = "271828";

/// A note an edit writes: `<cycle>.<step>`, ordered as written.
fn note_of(cycle: u64, step: u64) -> String {
    format!("{cycle:08}.{step:08}")
}

/// The engine's process: opens (enrols on first start with `code`) the
/// replica in `dir`, prints `holds <id>=<note> …`, then saves, edits and
/// syncs until killed (or `steps` steps, then syncs until nothing is left
/// and prints `done`).
pub async fn device_worker(
    dir: &Path,
    server: &str,
    code: &str,
    cycle: u64,
    steps: Option<u64>,
) -> Result<()> {
    let policy = SyncPolicy {
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        idle_interval: Duration::from_secs(2),
    };
    let engine = Engine::open_with(dir, policy).await?;
    match engine.access() {
        Access::New => {
            engine.enrol(server, code, "kill-9", PIN).await?;
        }
        _ => engine.unlock(PIN).await?,
    }
    let space = engine
        .spaces()
        .await?
        .into_iter()
        .find(|s| s.name == SPACE)
        .map(|s| s.space);
    let space = match space {
        Some(space) => space,
        None => {
            engine.sync_now().await?;
            engine
                .spaces()
                .await?
                .into_iter()
                .find(|s| s.name == SPACE)
                .map(|s| s.space)
                .context("the device writes the kill loop's space")?
        }
    };
    let user = engine.identity().await.context("an identity")?.user;
    let held: Vec<Contact> = engine.list().await?;
    let mut line = String::from("holds");
    for contact in &held {
        line.push_str(&format!(" {}={}", contact.id, contact.note));
    }
    println!("{line}");
    let mut ids: Vec<DocId> = held.iter().map(|c| c.id).collect();
    let _background = engine.start();
    let mut rng = rand::rngs::StdRng::seed_from_u64(cycle);
    let mut step = 0;
    loop {
        step += 1;
        if steps.is_some_and(|n| step > n) {
            break;
        }
        let roll: f64 = rng.random();
        if roll < 0.55 || ids.is_empty() {
            let mut contact = Contact::new(space, user, Timestamp::now()).with_service("hot_drink");
            contact.anonymous_count = 1;
            contact.note = note_of(cycle, step);
            contact.place = format!("Punkt {}", step % 7);
            engine.save(&contact).await?;
            println!("saved {}={}", contact.id, contact.note);
            ids.push(contact.id);
        } else if roll < 0.85 {
            let id = ids[rng.random_range(0..ids.len())];
            let note = note_of(cycle, step);
            engine
                .update::<Contact>(id, |c| c.note = note.clone())
                .await?;
            println!("edited {id}={note}");
        } else {
            // Everything printed before this line is on the server once
            // it is printed.
            engine.sync_now().await?;
            println!("synced");
        }
    }
    for _ in 0..50 {
        engine.sync_now().await?;
        if engine.status().pending == 0 {
            break;
        }
    }
    let mut line = String::from("heads");
    for id in &ids {
        let heads = engine.heads(*id).await?;
        let heads: Vec<String> = heads.iter().map(|h| h.to_string()).collect();
        line.push_str(&format!(" {id}={}", heads.join("+")));
    }
    println!("{line}");
    println!("done");
    engine.close().await;
    Ok(())
}

/// What a kill loop did.
#[derive(Debug, Default)]
pub struct KillFigures {
    pub cycles: u64,
    /// Steps acknowledged before a kill (saves and edits of the device;
    /// changes the server acknowledged).
    pub acknowledged: u64,
    /// Exchanges cut by a kill (the server's loop only).
    pub kills_mid_exchange: u64,
    pub records: usize,
    pub took: Duration,
}

impl std::fmt::Display for KillFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} kill cycles in {:.1} s: {} acknowledged steps, {} records at the end, nothing lost",
            self.cycles,
            self.took.as_secs_f64(),
            self.acknowledged,
            self.records
        )?;
        if self.kills_mid_exchange > 0 {
            write!(f, " ({} kills mid-exchange)", self.kills_mid_exchange)?;
        }
        Ok(())
    }
}

/// Creates the kill loops' space and a worker writing it and the
/// registry on `db`; returns a one-time enrolment code.
fn prepare(db: &str, user: &str) -> Result<String> {
    odnowa_sync(db, &["admin", "create-space", SPACE])?;
    odnowa_sync(
        db,
        &[
            "admin",
            "create-user",
            user,
            "--write",
            SPACE,
            "--write",
            "registry",
        ],
    )?;
    odnowa_sync(db, &["admin", "enrol-code", user])
}

/// One run of the device's process, read line by line on a thread.
struct Worker {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Worker {
    fn start(
        exe: &Path,
        dir: &Path,
        server: &str,
        code: &str,
        cycle: u64,
        steps: Option<u64>,
    ) -> Result<Worker> {
        let mut command = Command::new(exe);
        command
            .arg("device-worker")
            .arg("--dir")
            .arg(dir)
            .args(["--server", server, "--code", code])
            .args(["--cycle", &cycle.to_string()]);
        if let Some(steps) = steps {
            command.args(["--steps", &steps.to_string()]);
        }
        let mut child = command
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let stdout = child.stdout.take().context("the worker's output")?;
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker { child, lines })
    }

    /// The next line within `wait`; `None` when the process ended.
    fn line(&self, wait: Duration) -> Result<Option<String>> {
        match self.lines.recv_timeout(wait) {
            Ok(line) => Ok(Some(line)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Ok(None),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                bail!("the device's process said nothing for {wait:?}")
            }
        }
    }

    fn kill(mut self) -> Result<Vec<String>> {
        self.child.kill()?;
        self.child.wait()?;
        // What it printed before it died.
        Ok(self.lines.try_iter().collect())
    }
}

/// `id=value` pairs of a `holds`/`heads` line.
fn pairs(line: &str, prefix: &str) -> Result<BTreeMap<DocId, String>> {
    let rest = line
        .strip_prefix(prefix)
        .with_context(|| format!("expected `{prefix} …`, got `{line}`"))?;
    rest.split_whitespace()
        .map(|pair| {
            let (id, value) = pair.split_once('=').context("id=value")?;
            Ok((id.parse()?, value.to_string()))
        })
        .collect()
}

/// What the device has acknowledged so far: each record's newest note
/// acknowledged (notes order as written).
#[derive(Default)]
struct Acknowledged {
    notes: BTreeMap<DocId, String>,
    steps: u64,
}

impl Acknowledged {
    fn take(&mut self, line: &str) -> Result<()> {
        let Some((what, pair)) = line.split_once(' ') else {
            return Ok(());
        };
        if what != "saved" && what != "edited" {
            return Ok(());
        }
        let (id, note) = pair.split_once('=').context("id=note")?;
        let id: DocId = id.parse()?;
        let newest = self.notes.entry(id).or_default();
        if note > newest.as_str() {
            *newest = note.to_string();
        }
        self.steps += 1;
        Ok(())
    }

    /// Every acknowledged record is held, with its newest acknowledged
    /// note or a later one (a step under way when the kill came may have
    /// reached the disk without being acknowledged).
    fn check(&self, held: &BTreeMap<DocId, String>, cycle: u64) -> Result<()> {
        for (id, note) in &self.notes {
            match held.get(id) {
                None => bail!("cycle {cycle}: the acknowledged save of {id} is lost"),
                Some(h) if h.as_str() < note.as_str() => {
                    bail!("cycle {cycle}: {id} holds {h}, the acknowledged edit {note} is lost")
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}

/// Kills the device engine's process `cycles` times at random moments
/// (`seed`) while it saves and syncs against a real `odnowa-sync` on `db`;
/// `worker` is the `odnowa-load` binary.
pub async fn kill_devices(worker: &Path, db: &str, cycles: u64, seed: u64) -> Result<KillFigures> {
    let started = Instant::now();
    let code = prepare(db, "kill-device")?;
    let server = ServerProcess::start(db, &["--cache-docs", "100"]).await?;
    let dir = tempfile::tempdir()?;
    let data: PathBuf = dir.path().join("device");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut acknowledged = Acknowledged::default();
    let mut figures = KillFigures::default();
    let wait = Duration::from_secs(60);
    for cycle in 1..=cycles {
        let process = Worker::start(worker, &data, &server.url(), &code, cycle, None)?;
        let first = process
            .line(wait)?
            .context("the device's process ended at start")?;
        acknowledged.check(&pairs(&first, "holds")?, cycle)?;
        // Killed after a random number of acknowledged steps, or in the
        // middle of one: a random delay after the last line.
        let steps = rng.random_range(0..6u32);
        for _ in 0..steps {
            let line = process.line(wait)?.context("the device's process ended")?;
            acknowledged.take(&line)?;
        }
        std::thread::sleep(Duration::from_micros(rng.random_range(0..30_000)));
        for line in process.kill()? {
            acknowledged.take(&line)?;
        }
        figures.cycles = cycle;
    }
    // A last clean run: syncs until nothing is left and says its heads.
    let process = Worker::start(worker, &data, &server.url(), &code, cycles + 1, Some(0))?;
    let first = process.line(wait)?.context("the last run ended at start")?;
    acknowledged.check(&pairs(&first, "holds")?, cycles + 1)?;
    let heads_line = process
        .line(wait)?
        .context("the last run ended before its heads")?;
    let heads = pairs(&heads_line, "heads")?;
    if process.line(wait)?.as_deref() != Some("done") {
        bail!("the last run did not finish");
    }
    check_server(db, &heads).await?;
    figures.acknowledged = acknowledged.steps;
    figures.records = heads.len();
    figures.took = started.elapsed();
    Ok(figures)
}

/// The server on `db` holds every record of `heads` at exactly those
/// heads.
async fn check_server(db: &str, heads: &BTreeMap<DocId, String>) -> Result<()> {
    let store = std::sync::Arc::new(odnowa_sync_server::Db::open(db).await?);
    let service = odnowa_sync_server::exchange::SyncService::new(store, 10);
    for (id, expected) in heads {
        let (doc, _) = service
            .load_current(*id)
            .await?
            .with_context(|| format!("the server lost {id}"))?;
        let mut held: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
        held.sort();
        let mut want: Vec<String> = expected.split('+').map(str::to_string).collect();
        want.sort();
        if held != want {
            bail!("{id}: the server holds heads {held:?}, the device {want:?}");
        }
    }
    Ok(())
}

/// Kills the server process `cycles` times at random moments (`seed`)
/// while a device uploads new records and edits over HTTP; after each
/// restart every change the server acknowledged must be stored.
pub async fn kill_servers(db: &str, cycles: u64, seed: u64) -> Result<KillFigures> {
    let started = Instant::now();
    let code = prepare(db, "kill-server")?;
    let mut server = ServerProcess::start(db, &["--cache-docs", "100"]).await?;
    let mut device = SimDevice::enrol(&server.url(), &code, "kill-server").await?;
    let first = device.sync_http().await?;
    let space: SpaceId = first
        .iter()
        .flat_map(|e| e.spaces.iter())
        .find(|s| s.name == SPACE)
        .map(|s| s.space)
        .context("the device writes the kill loop's space")?;
    let store = odnowa_sync_server::Db::open(db).await?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut contacts: Vec<Contact> = Vec::new();
    // Each document's changes the server acknowledged (its change count
    // as the device knew it when the server said "stored").
    let mut acknowledged: HashMap<DocId, usize> = HashMap::new();
    let mut figures = KillFigures::default();
    for cycle in 1..=cycles {
        // New records and edits, pushed in several exchanges while the
        // server is killed after a random delay.
        for _ in 0..rng.random_range(20..120) {
            let mut contact =
                Contact::new(space, device.user, Timestamp::now()).with_service("hot_drink");
            contact.anonymous_count = 1;
            contact.note = note_of(cycle, contacts.len() as u64);
            device.create(&contact)?;
            contacts.push(contact);
        }
        for _ in 0..rng.random_range(0..40) {
            let i = rng.random_range(0..contacts.len());
            contacts[i].note = note_of(cycle, i as u64);
            contacts[i].place.push('.');
            device.edit(&contacts[i])?;
        }
        let kill_after = Duration::from_micros(rng.random_range(0..400_000));
        let pid = server.pid().context("the server runs")?;
        let killer = tokio::spawn(async move {
            tokio::time::sleep(kill_after).await;
            // SIGKILL by pid: the harness reaps it in `restart`.
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        });
        loop {
            // Ten records an exchange: many exchanges a cycle, so that
            // kills land before, between and inside them.
            let mut docs = device.unconfirmed();
            if docs.is_empty() {
                break;
            }
            docs.truncate(10);
            let counts: HashMap<DocId, usize> = docs
                .iter()
                .filter_map(|d| device.copy(*d).map(|doc| (*d, doc.get_changes(&[]).len())))
                .collect();
            match device.exchange_http(&docs).await {
                Ok(done) => {
                    for id in done.stored {
                        if let Some(n) = counts.get(&id) {
                            acknowledged.insert(id, *n);
                            figures.acknowledged += 1;
                        }
                    }
                }
                Err(_) => {
                    figures.kills_mid_exchange += 1;
                    break;
                }
            }
        }
        killer.await?;
        server.restart().await?;
        // Every acknowledged change is stored.
        let held = store
            .doc_metas(&acknowledged.keys().copied().collect::<Vec<_>>())
            .await?;
        for (id, n) in &acknowledged {
            let stored = held.get(id).map_or(0, |m| m.change_count) as usize;
            if stored < *n {
                bail!(
                    "cycle {cycle}: the server acknowledged {n} changes of {id} and holds {stored}"
                );
            }
        }
        figures.cycles = cycle;
    }
    // Everything goes up at last, and a second device reads the same.
    device.sync_http().await?;
    if !device.unconfirmed().is_empty() {
        bail!("{} records still unconfirmed", device.unconfirmed().len());
    }
    let ids: BTreeSet<DocId> = contacts.iter().map(|c| c.id).collect();
    let heads: BTreeMap<DocId, String> = ids
        .iter()
        .filter_map(|id| {
            device.copy(*id).map(|doc| {
                let heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
                (*id, heads.join("+"))
            })
        })
        .collect();
    if heads.len() != ids.len() {
        bail!("the device lost records of its own");
    }
    check_server(db, &heads).await?;
    let other_code = odnowa_sync(db, &["admin", "enrol-code", "kill-server"])?;
    let mut other = SimDevice::enrol(&server.url(), &other_code, "reader").await?;
    other.sync_http().await?;
    other.settle()?;
    for (id, want) in &heads {
        let doc = other
            .copy(*id)
            .with_context(|| format!("the reader lacks {id}"))?;
        let held: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
        let mut held = held;
        held.sort();
        let mut want: Vec<&str> = want.split('+').collect();
        want.sort();
        if held != want {
            bail!("the reader holds {id} at other heads than the writer");
        }
    }
    figures.records = heads.len();
    figures.took = started.elapsed();
    Ok(figures)
}
