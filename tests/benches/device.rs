//! What a worker feels on the device, at a consortium's real size: the
//! engine without the Tauri shell (release build), a real sync server on
//! 127.0.0.1 with its SQLite file, real encrypted SQLite replicas.
//!
//! A filler device of organisation A registers 5,000 persons and enters
//! 20,000 contacts, 2,000 day-room sessions, 500 workshops, 1,000 needs
//! assessments, 500 programmes and 250 referrals (`ODNOWA_DEVICE_SCALE`
//! divides them all, e.g. 10 for a quick run), and uploads them. Then it
//! measures, each as p50/p99 over repeated runs:
//! - first sync of a new device of that team (a new tablet);
//! - cold start: opening the store, the PIN (Argon2id, named apart), the
//!   outreach home screen's data;
//! - a contact saved until durable (`synchronous = FULL`);
//! - alias search per keystroke, with diacritics, and the typo-tolerant
//!   duplicate check;
//! - the person's file;
//! - a tick on one tablet's day-room board (200 people) until the other
//!   tablet's engine holds it (live connections of both).
//!
//! Run: `cargo bench -p odnowa-tests --bench device`; on one core, as a
//! phone-class estimate: `taskset -c 0 cargo bench -p odnowa-tests --bench device`
//! (figures go to BENCHMARKS.md by hand).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use odnowa_app::engine::{Engine, SyncPolicy};
use odnowa_shared::api::{
    ContactDraft, DiagnosisDraft, DomainDraft, ProgrammeDraft, ReferralDraft,
};
use odnowa_shared::ids::{PersonId, SiteId};
use odnowa_shared::records::{
    Catalogue, CatalogueInstitution, CatalogueSite, Contact, DaySession, Person, Workshop,
};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_tests::{Backend, TEST_PIN, TestServer};

const ORG: &str = "Fundacja A";
const TEAM: &str = "Streetwork A";
const DAY_ROOMS: usize = 4;
const BOARD: usize = 200;

const NAMES: [&str; 40] = [
    "Zbyszek",
    "Łukasz",
    "Gosia",
    "Józek",
    "Kaśka",
    "Świętek",
    "Żaneta",
    "Bożena",
    "Wiesiek",
    "Halina",
    "Ryszard",
    "Grażyna",
    "Zenek",
    "Mietek",
    "Stefania",
    "Heniek",
    "Krysia",
    "Tadek",
    "Marian",
    "Jadwiga",
    "Czesiek",
    "Danuta",
    "Edek",
    "Irena",
    "Kazik",
    "Lucyna",
    "Olek",
    "Renata",
    "Staszek",
    "Teresa",
    "Waldek",
    "Zosia",
    "Bogdan",
    "Celina",
    "Dariusz",
    "Elżbieta",
    "Franek",
    "Genowefa",
    "Jurek",
    "Ludwik",
];

fn size(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("{name} must be a number, not {text:?}")),
        Err(_) => Ok(default),
    }
}

/// p50 and p99 of `samples` (nearest rank), in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64, usize) {
    samples.sort();
    let at = |p: f64| {
        let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1].as_secs_f64() * 1000.0
    };
    (at(0.50), at(0.99), samples.len())
}

fn print(name: &str, target: &str, samples: &mut [Duration]) {
    let (p50, p99, n) = percentiles(samples);
    println!("{name:<58} p50 {p50:>9.2} ms  p99 {p99:>9.2} ms  (n = {n}; target {target})");
}

fn alias(i: usize) -> String {
    format!(
        "{} {}.",
        NAMES[i % NAMES.len()],
        (b'A' + (i / NAMES.len() % 26) as u8) as char
    )
}

async fn open(dir: &std::path::Path) -> Result<Engine> {
    Ok(Engine::open_with(dir, SyncPolicy::default()).await?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let scale = size("ODNOWA_DEVICE_SCALE", 1)?.max(1);
    let runs = size("ODNOWA_DEVICE_RUNS", 200)?;
    let (persons, contacts, sessions, workshops) =
        (5_000 / scale, 20_000 / scale, 2_000 / scale, 500 / scale);
    let (diagnoses, programmes, referrals) = (1_000 / scale, 500 / scale, 250 / scale);
    println!(
        "device bench on {} cores: {persons} persons, {contacts} contacts, {sessions} sessions, \
         {workshops} workshops, {diagnoses} assessments, {programmes} programmes, {referrals} referrals",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    // --- the consortium -------------------------------------------------
    let server = TestServer::start(Backend::Sqlite).await?;
    server.members(&[(ORG, &[TEAM])]).await?;
    // The rooms are the member's own: the server keeps a site's sessions
    // in its organisation's spaces only.
    let org = Some(server.db.org_by_name(ORG).await?);
    let sites: Vec<SiteId> = (0..DAY_ROOMS).map(|_| SiteId::random()).collect();
    let workshop_room = SiteId::random();
    let mut catalogue = Catalogue::with_default_services();
    for (i, site) in sites.iter().enumerate() {
        catalogue.sites.insert(
            site.to_string(),
            CatalogueSite {
                name: format!("Świetlica {}", i + 1),
                site_kind: "day_room".into(),
                org,
            },
        );
    }
    catalogue.sites.insert(
        workshop_room.to_string(),
        CatalogueSite {
            name: "Pracownia".into(),
            site_kind: "workshop".into(),
            org,
        },
    );
    catalogue.institutions.insert(
        "mops".into(),
        CatalogueInstitution {
            name: "Miejski Ośrodek Pomocy Społecznej".into(),
            institution_kind: "social_assistance".into(),
            address: "ul. Szeroka 1".into(),
            phone: "12 000 00 00".into(),
            retired: false,
        },
    );
    server.write_catalogue(&catalogue).await?;
    let filler = server.device_on("biuro", &["registry", TEAM]).await?;
    let f = &filler.engine;
    let space = f
        .spaces()
        .await?
        .into_iter()
        .find(|s| s.name == TEAM)
        .map(|s| s.space)
        .context("the team space")?;
    let worker = f.identity().await.context("enrolled")?.user;

    // --- the replica ----------------------------------------------------
    let started = Instant::now();
    let now = Timestamp::now();
    let mut people: Vec<Person> = (0..persons)
        .map(|i| {
            let mut p = Person::new(&alias(i), now);
            p.birth_year = Some(1950 + (i % 50) as i64);
            p.created_by = Some(worker);
            p
        })
        .collect();
    // The first BOARD persons are registered at the first day room.
    for p in people.iter_mut().take(BOARD) {
        p.register_at(sites[0], Some(worker), now);
    }
    for chunk in people.chunks(500) {
        f.save_all(chunk).await?;
    }
    let ids: Vec<PersonId> = people.iter().map(|p| p.person_id()).collect();
    let minute = 60_000;
    let mut batch = Vec::with_capacity(500);
    for i in 0..contacts {
        // A contact every 13 minutes back from now: about half a year.
        let at = Timestamp(now.0 - (i as i64) * 13 * minute);
        let mut c = Contact::new(space, worker, at)
            .with_person(ids[(i * 7) % ids.len()])
            .with_service(if i % 2 == 0 { "food" } else { "hot_drink" });
        c.place = format!("Punkt {}", i % 40);
        if i % 5 == 0 {
            c.note = "Rozmowa o noclegowni, potrzebuje butów".into();
        }
        batch.push(c);
        if batch.len() == 500 {
            f.save_all(&batch).await?;
            batch.clear();
        }
    }
    f.save_all(&batch).await?;
    let today = Date::today();
    let mut day_sessions: Vec<DaySession> = Vec::new();
    for i in 0..sessions {
        let site = sites[i % DAY_ROOMS];
        let days_back = (i / DAY_ROOMS + 1) as u64;
        let date = Date(
            today
                .0
                .checked_sub_days(chrono::Days::new(days_back))
                .context("a date")?,
        );
        let mut session = f.open_day_session(space, site, date).await?;
        for k in 0..15 {
            session.mark_present(ids[(i * 15 + k) % BOARD.min(ids.len())], worker, now);
        }
        day_sessions.push(session);
        if day_sessions.len() == 100 {
            f.save_all(&day_sessions).await?;
            day_sessions.clear();
        }
    }
    f.save_all(&day_sessions).await?;
    let mut batch = Vec::new();
    for i in 0..workshops {
        let date = Date(
            today
                .0
                .checked_sub_days(chrono::Days::new(i as u64 / 2 + 1))
                .context("a date")?,
        );
        let mut w = Workshop::new(space, workshop_room, date, worker);
        w.theme = "Torby z banerów".into();
        for k in 0..6 {
            w.participants.insert(
                ids[(i * 6 + k) % ids.len()].to_string(),
                odnowa_shared::records::Participant {
                    hours: 3.0,
                    role: "participant".into(),
                },
            );
        }
        batch.push(w);
    }
    f.save_all(&batch).await?;
    let assessed_on = Date(
        today
            .0
            .checked_sub_days(chrono::Days::new(30))
            .context("a date")?,
    );
    for i in 0..diagnoses {
        f.save_diagnosis(&DiagnosisDraft {
            person: ids[i % ids.len()],
            assessed_on,
            domains: vec![
                DomainDraft {
                    code: "housing".into(),
                    level: 1 + (i % 4) as i64,
                    note: "śpi na dworcu".into(),
                },
                DomainDraft {
                    code: "income".into(),
                    level: 2,
                    note: String::new(),
                },
            ],
            wishes: "chce mieszkać z córką".into(),
            household: Vec::new(),
        })
        .await?;
    }
    for i in 0..programmes {
        f.open_programme(&ProgrammeDraft {
            person: ids[i % ids.len()],
            opened_on: assessed_on,
            goals: vec!["Mieszkanie treningowe".into()],
            agreed_on: Some(assessed_on),
        })
        .await?;
    }
    for i in 0..referrals {
        f.send_referral(&ReferralDraft {
            person: ids[i % ids.len()],
            to_org: None,
            service: None,
            institution: Some("mops".into()),
            reason: "Wniosek o zasiłek".into(),
            contact: None,
            share: false,
        })
        .await?;
    }
    let filled = f.doc_count().await?;
    println!(
        "filled the filler's replica: {filled} records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    for _ in 0..100 {
        f.sync_now().await?;
        if f.sync_view().await?.waiting.is_empty() {
            break;
        }
    }
    let view = f.sync_view().await?;
    println!(
        "uploaded in {:.1} s ({} refused, {} waiting)",
        started.elapsed().as_secs_f64(),
        view.refused,
        view.pending
    );
    anyhow::ensure!(view.refused == 0, "the server refused part of the replica");

    // --- first sync of a new tablet --------------------------------------
    let mut first_syncs = Vec::new();
    let mut tablet = None;
    for n in 0..3 {
        let code = server
            .user_with_code(&format!("tablet{n}"), &["registry", TEAM], &[])
            .await?;
        let dir = tempfile::tempdir()?;
        let engine = open(dir.path()).await?;
        engine
            .enrol(&server.url(), &code, "Tablet", TEST_PIN)
            .await?;
        let started = Instant::now();
        let report = engine.sync_now().await?;
        let took = started.elapsed();
        first_syncs.push(took);
        println!(
            "first sync {}: {} exchanges, {} records, {:.2} s",
            n + 1,
            report.exchanges,
            engine.doc_count().await?,
            took.as_secs_f64()
        );
        tablet = Some((engine, dir));
    }
    print("first sync of a new tablet", "< 10 s", &mut first_syncs);
    let (engine, dir) = tablet.context("a tablet")?;

    // --- the measured device: cold start ---------------------------------
    engine.close().await;
    drop(engine);
    // The first start after the first sync finds no decoded view on disk:
    // it decodes every record it shows and keeps their views (once).
    let started = Instant::now();
    let engine = open(dir.path()).await?;
    engine.unlock(TEST_PIN).await?;
    let unlocked = started.elapsed();
    engine.contacts_on(today).await?;
    engine.recent_persons(5).await?;
    engine.due().await?;
    println!(
        "first home screen after the first sync (every record decoded, its view kept): {:.0} ms \
         after the PIN (once)",
        (started.elapsed() - unlocked).as_secs_f64() * 1000.0
    );
    engine.close().await;
    drop(engine);
    let (mut opens, mut unlocks, mut homes, mut colds) = (vec![], vec![], vec![], vec![]);
    // Every other start reads a search and a file first: what the first
    // keystroke and the first file cost after the PIN (the views read
    // from disk, nothing in memory yet).
    let (mut cold_searches, mut cold_files) = (vec![], vec![]);
    for (n, &person) in ids.iter().cycle().take(12).enumerate() {
        let started = Instant::now();
        let engine = open(dir.path()).await?;
        let opened = started.elapsed();
        engine.unlock(TEST_PIN).await?;
        let unlocked = started.elapsed();
        if n % 2 == 1 {
            let at = Instant::now();
            engine.search_persons("źb").await?;
            cold_searches.push(at.elapsed());
            let at = Instant::now();
            engine.person_file(person).await?;
            cold_files.push(at.elapsed());
            engine.close().await;
            continue;
        }
        engine.contacts_on(today).await?;
        engine.recent_persons(5).await?;
        engine.due().await?;
        let home = started.elapsed();
        opens.push(opened);
        unlocks.push(unlocked - opened);
        homes.push(home - unlocked);
        colds.push(home - (unlocked - opened));
        engine.close().await;
    }
    print("cold start: open the store", "-", &mut opens);
    print(
        "cold start: unlock (Argon2id PIN derivation, named apart)",
        "-",
        &mut unlocks,
    );
    print(
        "cold start: outreach home data (today, recent, due)",
        "-",
        &mut homes,
    );
    print("cold start without the PIN derivation", "< 1 s", &mut colds);
    print(
        "first search after the PIN (the persons' views read)",
        "-",
        &mut cold_searches,
    );
    print(
        "first person's file after the PIN (every view read)",
        "-",
        &mut cold_files,
    );
    let engine = open(dir.path()).await?;
    engine.unlock(TEST_PIN).await?;
    // Warm once, as a worker's first screen after the PIN.
    engine.contacts_on(today).await?;

    // --- save a contact ----------------------------------------------------
    let mut saves = Vec::new();
    for i in 0..runs {
        let draft = ContactDraft {
            persons: vec![ids[i % ids.len()]],
            services: vec!["food".into(), "hot_drink".into()],
            place: "Dworzec PKP".into(),
            ..ContactDraft::default()
        };
        let started = Instant::now();
        engine.save_contact(&draft).await?;
        saves.push(started.elapsed());
    }
    print("a contact saved until durable", "p99 < 5 ms", &mut saves);
    // The first file after those saves reads the 200 new contacts into the
    // views (once); the figures below are the worker's next taps.
    let started = Instant::now();
    engine.person_file(ids[0]).await?;
    println!(
        "the first person's file after {runs} saves (their records decoded once): {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );

    // --- alias search -----------------------------------------------------
    let mut keystrokes = Vec::new();
    for _ in 0..(runs / 10).max(3) {
        for typed in ["ź", "źb", "źby", "źbys", "źbysz", "źbysze", "źbyszek"] {
            let started = Instant::now();
            let found = engine.search_persons(typed).await?;
            keystrokes.push(started.elapsed());
            anyhow::ensure!(!found.is_empty(), "{typed} found nobody");
        }
    }
    print(
        "alias search, per keystroke (\"ź\" … \"źbyszek\")",
        "< 20 ms",
        &mut keystrokes,
    );
    let mut typos = Vec::new();
    for _ in 0..(runs / 10).max(3) {
        let draft = odnowa_shared::api::PersonDraft {
            alias: "Zbyszke A.".into(),
            birth_year: None,
            gender: String::new(),
            consent: None,
            distinct_from: Vec::new(),
        };
        let started = Instant::now();
        let found = engine.similar_persons(&draft).await?;
        typos.push(started.elapsed());
        anyhow::ensure!(!found.is_empty(), "the typo found nobody");
    }
    print(
        "duplicate check with a typo (\"Zbyszke A.\")",
        "< 20 ms",
        &mut typos,
    );

    // --- the person's file ----------------------------------------------
    let mut files = Vec::new();
    for i in 0..(runs / 4).max(3) {
        let started = Instant::now();
        let file = engine.person_file(ids[i % 50]).await?;
        files.push(started.elapsed());
        anyhow::ensure!(!file.events.is_empty(), "an empty file");
    }
    print("the person's file", "< 50 ms", &mut files);
    engine.close().await;

    // --- the day-room board: a tick from one tablet to the other ---------
    let a = server.device_on("ewa", &["registry", TEAM]).await?;
    let b = server.device_on("jan", &["registry", TEAM]).await?;
    let session = a.engine.today_session(sites[0]).await?;
    a.engine.sync_now().await?;
    b.engine.sync_now().await?;
    b.engine.today_session(sites[0]).await?;
    let _live_a = a.engine.start();
    let _live_b = b.engine.start();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut ticks = Vec::new();
    for (i, &person) in ids.iter().take(BOARD).enumerate() {
        let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let started = Instant::now();
        from.engine.set_present(session.id, person, true).await?;
        loop {
            let seen = to
                .engine
                .get::<DaySession>(session.id)
                .await?
                .is_some_and(|s| s.present().contains(&person));
            if seen {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                // Said, not hidden: the figures above still stand.
                println!("tick {i} not seen on the other tablet within 10 s: stopping the ticks");
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if started.elapsed() > Duration::from_secs(10) {
            break;
        }
        ticks.push(started.elapsed());
    }
    if ticks.is_empty() {
        println!("a tick until the other tablet's engine holds it: not measured (none seen)");
        return Ok(());
    }
    print(
        "a tick until the other tablet's engine holds it",
        "< 1 s",
        &mut ticks,
    );
    let mut boards = Vec::new();
    for _ in 0..(runs / 4).max(3) {
        let started = Instant::now();
        let view = b.engine.today_session(sites[0]).await?;
        boards.push(started.elapsed());
        anyhow::ensure!(view.board.len() >= BOARD.min(ids.len()));
    }
    print("the board read on a tablet (200 people)", "-", &mut boards);
    Ok(())
}
