//! Many simulated devices working at once against real server processes:
//! what `odnowa-load devices` runs, and what the CI test runs in small.
//!
//! The consortium: organisations of ten devices, each with a team space;
//! every device reads its team and the registry. Each device enrols with
//! a real code, syncs, holds a live WebSocket, and then, until the
//! deadline, records contacts at a field day's pace compressed (one every
//! `pace` on average, a new person in the registry with one in ten) and
//! answers every poke with an exchange, as the app does. At the end every
//! device syncs until nothing moves, and the run checks that every save the
//! server acknowledged is on the server and on every device that reads its
//! space.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use odnowa_shared::ids::{DocId, PersonId, SiteId, SpaceId};
use odnowa_shared::protocol::ServerMessage;
use odnowa_shared::records::{Contact, Person, RecordKind};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::exchange::SyncService;
use odnowa_sync_server::{Db, accounts, admin};

use crate::procs::ServerProcess;
use crate::sim::{Live, SimDevice};

/// Devices per organisation.
const TEAM: usize = 10;

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    pub devices: usize,
    /// Server instances over the database (two or more need PostgreSQL).
    pub instances: usize,
    /// How long devices record.
    pub run: Duration,
    /// The average wait between two contacts of one device.
    pub pace: Duration,
    pub cache_docs: usize,
    /// Bad requests a second from one hostile device of the first
    /// organisation (malformed and oversized frames, wrong tokens, writes
    /// to another organisation's space), in turn.
    pub bad_per_sec: f64,
    /// Attendance ticks each of an organisation's two day-room tablets
    /// makes at opening time (a third into the run), one every few
    /// hundred milliseconds, on the one session both open (0: none).
    pub opening_ticks: usize,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Figures {
    pub saves: u64,
    pub accepted_changes: u64,
    pub exchanges: u64,
    pub exchange_ms: Vec<f64>,
    pub propagation_ms: Vec<f64>,
    pub pokes: u64,
    /// Live updates taken, and those that did not follow the device's
    /// cursor (an exchange followed).
    pub live_updates: u64,
    pub live_gaps: u64,
    /// Attendance ticks made at opening time (among the saves).
    pub ticks: u64,
    /// Exchanges answered "not now, nothing lost" (documents contended,
    /// or an outage), tried again.
    pub busy: u64,
    pub errors: Vec<String>,
    /// Bad requests sent, and those refused as they should be.
    pub bad_sent: u64,
    pub bad_refused: u64,
    pub server_cpu: Duration,
    /// What the generator itself (this process) and PostgreSQL (every
    /// `postgres` process of the machine) spent meanwhile, on the same
    /// two cores.
    pub generator_cpu: Duration,
    pub database_cpu: Duration,
    pub server_rss_kib: Vec<u64>,
    pub elapsed: Duration,
}

/// The `q`-quantile of `values` (0 when empty).
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

impl Figures {
    /// The figures as lines for a person.
    pub fn report(&self, plan: &Plan) -> String {
        let secs = self.elapsed.as_secs_f64().max(0.001);
        format!(
            "{} devices, {} instance(s), {:.0} s: {} saves, {} changes accepted ({:.0}/s), {} exchanges\n\
             exchange latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms\n\
             propagation (save on one device to receipt on another) p50 {:.1} ms, p99 {:.1} ms over {} receipts\n\
             attendance ticks at opening {}, exchanges answered \"try again\" {}\n\
             live updates {} ({} not following the cursor), pokes {}\n\
             bad requests {} sent, {} refused as they should be\n\
             servers: CPU {:.1} s ({:.0} % of one core), RSS max {:.1} MiB\n\
             meanwhile the generator CPU {:.1} s, PostgreSQL CPU {:.1} s\n\
             errors: {}",
            plan.devices,
            plan.instances,
            secs,
            self.saves,
            self.accepted_changes,
            self.accepted_changes as f64 / secs,
            self.exchanges,
            quantile(&self.exchange_ms, 0.5),
            quantile(&self.exchange_ms, 0.95),
            quantile(&self.exchange_ms, 0.99),
            quantile(&self.propagation_ms, 0.5),
            quantile(&self.propagation_ms, 0.99),
            self.propagation_ms.len(),
            self.ticks,
            self.busy,
            self.live_updates,
            self.live_gaps,
            self.pokes,
            self.bad_sent,
            self.bad_refused,
            self.server_cpu.as_secs_f64(),
            100.0 * self.server_cpu.as_secs_f64() / secs,
            self.server_rss_kib.iter().max().copied().unwrap_or(0) as f64 / 1024.0,
            self.generator_cpu.as_secs_f64(),
            self.database_cpu.as_secs_f64(),
            self.errors.len(),
        )
    }
}

/// When each new document was saved, by whom: propagation is measured
/// from here to another device's receipt.
type Saved = Arc<Mutex<HashMap<DocId, (Instant, usize)>>>;

/// What one device did.
#[derive(Default)]
struct DeviceRun {
    saves: u64,
    accepted: u64,
    exchanges: u64,
    exchange_ms: Vec<f64>,
    propagation_ms: Vec<f64>,
    pokes: u64,
    live_updates: u64,
    live_gaps: u64,
    ticks: u64,
    /// Each tick: the day session and the person marked present.
    ticked: Vec<(DocId, PersonId)>,
    busy: u64,
    errors: Vec<String>,
}

impl DeviceRun {
    /// Counts the propagation of `docs`, just received by device `index`,
    /// from their saves on other devices.
    fn received(&mut self, index: usize, docs: &[DocId], saved: &Saved) {
        let now = Instant::now();
        if let Ok(saved) = saved.lock() {
            for doc in docs {
                if let Some((at, by)) = saved.get(doc)
                    && *by != index
                {
                    self.propagation_ms
                        .push(now.duration_since(*at).as_secs_f64() * 1000.0);
                }
            }
        }
    }
}

/// Runs `plan` against fresh server processes on `db_url`.
pub async fn run(db_url: &str, plan: &Plan) -> Result<Figures> {
    ensure!(
        plan.instances == 1 || db_url.starts_with("postgres"),
        "several instances need PostgreSQL"
    );
    let db = Arc::new(Db::open(db_url).await?);
    let setup = SyncService::new(db.clone(), 10);
    setup
        .put_catalogue(
            &odnowa_sync_server::writer::OfficeAuthor::admin_cli(),
            &odnowa_shared::records::Catalogue::with_default_services(),
        )
        .await?;
    let orgs = plan.devices.div_ceil(TEAM);
    let mut codes = Vec::with_capacity(plan.devices);
    let mut sites = Vec::with_capacity(orgs);
    for org in 0..orgs {
        let name = format!("Organizacja {org}");
        let org_id = admin::create_member(&setup, &name).await?;
        // Its day room, where its tablets tick attendance.
        let site_name = format!("Świetlica {org}");
        let catalogue = setup
            .put_site(
                &odnowa_sync_server::writer::OfficeAuthor::admin_cli(),
                &odnowa_shared::office::SiteEdit {
                    id: None,
                    name: site_name.clone(),
                    site_kind: odnowa_shared::records::site_kind::DAY_ROOM.into(),
                    org: Some(org_id),
                },
            )
            .await?;
        let site = catalogue
            .sites
            .iter()
            .find(|(_, s)| s.name == site_name)
            .and_then(|(id, _)| id.parse::<SiteId>().ok())
            .context("the site just added")?;
        sites.push(site);
        let team = format!("Zespół {org}");
        admin::create_space(&db, &team, Some(&name)).await?;
        for d in 0..TEAM.min(plan.devices - org * TEAM) {
            let user = format!("pracownik {org}-{d}");
            accounts::create_user(
                &db,
                &user,
                Some(&name),
                "worker",
                &[],
                &[team.clone(), "registry".into()],
            )
            .await?;
            codes.push((org, accounts::enrol_code(&db, &user, 2).await?));
        }
    }
    // The hostile device: a worker of the first organisation.
    let hostile_code = if plan.bad_per_sec > 0.0 {
        accounts::create_user(
            &db,
            "intruz",
            Some("Organizacja 0"),
            "worker",
            &[],
            &["Zespół 0".into(), "registry".into()],
        )
        .await?;
        Some(accounts::enrol_code(&db, "intruz", 2).await?)
    } else {
        None
    };
    let cache = plan.cache_docs.to_string();
    let mut servers = Vec::with_capacity(plan.instances);
    for _ in 0..plan.instances {
        servers.push(ServerProcess::start(db_url, &["--cache-docs", &cache]).await?);
    }
    let urls: Vec<String> = servers.iter().map(ServerProcess::url).collect();

    // Enrol everybody before the clock starts, each device with one person
    // of the registry it met on an earlier day (a town's registry is not
    // empty in the morning; were it, every device's first contact would
    // register a new person, hundreds in the first seconds, each sent to
    // every device).
    let mut enrolled = Vec::with_capacity(plan.devices);
    for (i, (org, code)) in codes.iter().enumerate() {
        let url = &urls[i % urls.len()];
        let mut device = SimDevice::enrol(url, code, &format!("telefon {i}")).await?;
        let first = device.sync_http().await?;
        let team = first
            .iter()
            .flat_map(|e| e.spaces.iter())
            .find(|s| s.name == format!("Zespół {org}"))
            .map(|s| s.space)
            .context("a device reads its team")?;
        let met = device.create(&Person::new(&format!("Osoba {i}"), Timestamp::now()))?;
        device.sync_http().await?;
        enrolled.push((device, team, PersonId(met.0)));
    }
    // Then each takes the whole registry and opens its live connection,
    // with the exchange the app makes when one opens (its cursors known to
    // the server): phones connect through the day, not all in the same
    // second.
    let mut devices = Vec::with_capacity(plan.devices);
    for (mut device, team, met) in enrolled {
        device.sync_http().await?;
        let mut live = device.connect().await?;
        live.exchange(&mut device, &[], &mut Vec::new()).await?;
        devices.push((device, live, team, met));
    }
    // Another organisation's team, which the hostile device may not write.
    let foreign_team = devices
        .get(TEAM)
        .map(|(_, _, team, _)| *team)
        .or_else(|| devices.first().map(|(_, _, team, _)| *team));
    let hostile = match (&hostile_code, foreign_team) {
        (Some(code), Some(team)) => {
            let mut device = SimDevice::enrol(&urls[0], code, "intruz").await?;
            device.sync_http().await?;
            Some((device, team))
        }
        _ => None,
    };
    let saved: Saved = Arc::default();
    let cpu_before: Vec<Duration> = servers.iter().map(|s| s.cpu()).collect::<Result<_>>()?;
    let generator_before = crate::procs::cpu_time(std::process::id())?;
    let database_before = crate::procs::cpu_of_all("postgres");
    let started = Instant::now();
    let deadline = started + plan.run;
    let opening = started + plan.run / 3;
    let hostile = hostile.map(|(device, team)| {
        let url = urls[0].clone();
        let interval = Duration::from_secs_f64(1.0 / plan.bad_per_sec.max(0.01));
        let own_team = devices.first().map(|(_, _, t, _)| *t);
        tokio::spawn(bad_requests(
            url, device, team, own_team, interval, deadline,
        ))
    });
    let sampler = {
        let pids: Vec<u32> = servers.iter().filter_map(ServerProcess::pid).collect();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let rss: u64 = pids
                    .iter()
                    .filter_map(|pid| crate::procs::rss_kib(*pid).ok())
                    .sum();
                samples.push(rss);
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            samples
        })
    };
    let mut tasks = Vec::with_capacity(devices.len());
    for (i, (device, live, team, met)) in devices.into_iter().enumerate() {
        let saved = saved.clone();
        let pace = plan.pace;
        // The first two devices of each organisation are its day room's
        // tablets.
        let tablet = (i % TEAM < 2 && plan.opening_ticks > 0).then(|| Tablet {
            site: sites[i / TEAM],
            opening,
            ticks: plan.opening_ticks,
        });
        tasks.push(tokio::spawn(async move {
            let mut run = DeviceRun::default();
            let outcome = work(
                i, device, live, team, met, tablet, pace, deadline, saved, &mut run,
            )
            .await;
            (run, outcome)
        }));
    }
    let mut figures = Figures::default();
    let mut finished = Vec::with_capacity(tasks.len());
    let mut attendance: HashMap<DocId, HashSet<PersonId>> = HashMap::new();
    for task in tasks {
        let (run, outcome) = task.await?;
        figures.saves += run.saves;
        figures.accepted_changes += run.accepted;
        figures.exchanges += run.exchanges;
        figures.exchange_ms.extend(run.exchange_ms);
        figures.propagation_ms.extend(run.propagation_ms);
        figures.pokes += run.pokes;
        figures.live_updates += run.live_updates;
        figures.live_gaps += run.live_gaps;
        figures.ticks += run.ticks;
        for (session, person) in run.ticked {
            attendance.entry(session).or_default().insert(person);
        }
        figures.busy += run.busy;
        figures.errors.extend(run.errors);
        match outcome {
            Ok(device) => finished.push(device),
            Err(e) => figures.errors.push(format!("a device stopped: {e:#}")),
        }
    }
    if let Some(hostile) = hostile {
        let bad = hostile.await?;
        figures.bad_sent = bad.sent;
        figures.bad_refused = bad.refused;
        figures.errors.extend(bad.errors);
    }
    figures.elapsed = started.elapsed();
    figures.server_rss_kib = sampler.await?;
    for (server, before) in servers.iter().zip(cpu_before) {
        figures.server_cpu += server.cpu()? - before;
    }
    figures.generator_cpu =
        crate::procs::cpu_time(std::process::id())?.saturating_sub(generator_before);
    figures.database_cpu = crate::procs::cpu_since("postgres", &database_before);
    check_nothing_lost(&db, &mut finished, &mut figures).await?;
    check_attendance(&db, &attendance, &mut figures).await?;
    Ok(figures)
}

/// A day-room tablet: at `opening` it ticks `ticks` arrivals on its
/// site's session of the day, one every few hundred milliseconds.
struct Tablet {
    site: SiteId,
    opening: Instant,
    ticks: usize,
}

/// The wait between two attendance ticks of one tablet at opening.
const TICK_GAP: Duration = Duration::from_millis(300);

/// One device's day: records at `pace` until `deadline`, about `met` and
/// the persons it registers (one contact in ten; a tablet ticks
/// attendance at opening too); takes the live updates the server pushes,
/// and exchanges after a poke or an update that does not follow its
/// cursor, as the app does.
#[allow(clippy::too_many_arguments)]
async fn work(
    index: usize,
    mut device: SimDevice,
    mut live: Live,
    team: SpaceId,
    // The person of the registry it knows from an earlier day.
    met: PersonId,
    mut tablet: Option<Tablet>,
    pace: Duration,
    deadline: Instant,
    saved: Saved,
    run: &mut DeviceRun,
) -> Result<(SimDevice, SpaceId)> {
    let mut persons: Vec<PersonId> = vec![met];
    // Spread the first saves over one pace.
    let mut next_save = Instant::now() + pace.mul_f64(rand_unit(index as u64 * 7919 + 1));
    let mut seed = index as u64 * 104_729 + 17;
    let mut pending: VecDeque<ServerMessage> = VecDeque::new();
    let mut exchange_due = false;
    while Instant::now() < deadline {
        if let Some(message) = pending.pop_front() {
            match message {
                ServerMessage::Poke(_) => {
                    run.pokes += 1;
                    exchange_due = true;
                }
                ServerMessage::Live(update) => {
                    run.live_updates += 1;
                    match device.take_live(update)? {
                        Some(docs) => run.received(index, &docs, &saved),
                        None => {
                            run.live_gaps += 1;
                            exchange_due = true;
                        }
                    }
                }
                other => run.errors.push(format!("an unasked message: {other:?}")),
            }
            continue;
        }
        if !exchange_due {
            let wait = next_save.saturating_duration_since(Instant::now());
            match tokio::time::timeout(wait, live.next()).await {
                Ok(Ok(Some(message))) => {
                    pending.push_back(message);
                    continue;
                }
                Ok(Ok(None)) => bail!("the server closed the live connection"),
                Ok(Err(e)) => bail!("the live connection failed: {e:#}"),
                Err(_) => {
                    let opened = tablet
                        .as_mut()
                        .filter(|t| t.ticks > 0 && Instant::now() >= t.opening);
                    if let Some(tablet) = opened {
                        let ticked = tick(&mut device, team, tablet.site, &mut persons, &mut seed)?;
                        run.ticked.push(ticked);
                        tablet.ticks -= 1;
                        run.ticks += 1;
                        run.saves += 1;
                        next_save = Instant::now() + TICK_GAP.mul_f64(0.5 + rand_unit(seed));
                    } else {
                        save(
                            index,
                            &mut device,
                            team,
                            &mut persons,
                            &mut seed,
                            run,
                            &saved,
                        )?;
                        next_save = Instant::now() + pace.mul_f64(0.5 + rand_unit(seed));
                    }
                    if let Some(tablet) = tablet.as_ref().filter(|t| t.ticks > 0) {
                        next_save = next_save.min(tablet.opening);
                    }
                }
            }
        }
        let docs = device.unconfirmed();
        let started = Instant::now();
        let mut meanwhile = Vec::new();
        let done = match live.exchange(&mut device, &docs, &mut meanwhile).await {
            Ok(done) => done,
            // "Not now, nothing lost": the app waits and tries again.
            Err(e) if crate::sim::ServerError::is_unavailable(&e) => {
                pending.extend(meanwhile);
                run.busy += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                exchange_due = true;
                continue;
            }
            Err(e) => return Err(e),
        };
        pending.extend(meanwhile);
        run.exchanges += 1;
        run.exchange_ms
            .push(started.elapsed().as_secs_f64() * 1000.0);
        run.accepted += done.stored.len() as u64;
        for refusal in &done.refused {
            run.errors
                .push(format!("refused: {:?} {}", refusal.code, refusal.reason));
        }
        run.received(index, &done.received, &saved);
        exchange_due = done.more;
    }
    Ok((device, team))
}

/// What the hostile device did.
#[derive(Default)]
struct Bad {
    sent: u64,
    refused: u64,
    errors: Vec<String>,
}

/// Until `deadline`, one bad request every `interval`, in turn: a frame
/// that is not one, a frame over the limit, a wrong token, a contact
/// pushed into `foreign` (another organisation's team, which the device
/// may not write; `own` is the one it may, `None` when the run has one
/// organisation and `foreign` is its own). Each must be refused as it
/// should be; anything else is an error of the run.
async fn bad_requests(
    url: String,
    mut device: SimDevice,
    foreign: SpaceId,
    own: Option<SpaceId>,
    interval: Duration,
    deadline: Instant,
) -> Bad {
    let mut bad = Bad::default();
    let http = reqwest::Client::new();
    let sync = format!("{url}{}/sync", odnowa_shared::protocol::ROUTE_PREFIX);
    let mut turn = 0u64;
    while Instant::now() + interval < deadline {
        tokio::time::sleep(interval).await;
        turn += 1;
        bad.sent += 1;
        let outcome: Result<bool> = async {
            Ok(match turn % 4 {
                0 => {
                    let junk: Vec<u8> = (0..600u32).map(|i| (i * 7919 % 251) as u8).collect();
                    let response = http
                        .post(&sync)
                        .bearer_auth(&device.token)
                        .body(junk)
                        .send()
                        .await?;
                    response.status() == reqwest::StatusCode::BAD_REQUEST
                }
                1 => {
                    let huge = vec![0u8; odnowa_shared::protocol::MAX_FRAME_BYTES + 1024];
                    let response = http
                        .post(&sync)
                        .bearer_auth(&device.token)
                        .body(huge)
                        .send()
                        .await?;
                    response.status() == reqwest::StatusCode::PAYLOAD_TOO_LARGE
                }
                2 => {
                    let response = http
                        .post(&sync)
                        .bearer_auth("odnowa-not-a-token")
                        .body(Vec::new())
                        .send()
                        .await?;
                    response.status() == reqwest::StatusCode::UNAUTHORIZED
                }
                _ => {
                    let mut contact = Contact::new(foreign, device.user, Timestamp::now())
                        .with_service("hot_drink");
                    contact.anonymous_count = 1;
                    let id = device.create(&contact)?;
                    let done = device.exchange_http(&[id]).await?;
                    let refused = done.refused.iter().any(|r| {
                        r.doc == id && r.code == odnowa_shared::protocol::RefusalCode::NotWritable
                    });
                    // With one organisation the foreign team is its own.
                    refused || own == Some(foreign)
                }
            })
        }
        .await;
        match outcome {
            Ok(true) => bad.refused += 1,
            Ok(false) => bad.errors.push(format!(
                "a bad request (kind {}) was not refused as it should be",
                turn % 4
            )),
            Err(e) => bad.errors.push(format!("a bad request failed: {e:#}")),
        }
    }
    bad
}

/// One save of device `index`: a contact, with a new person one time in
/// ten (and at the first).
fn save(
    index: usize,
    device: &mut SimDevice,
    team: SpaceId,
    persons: &mut Vec<PersonId>,
    seed: &mut u64,
    run: &mut DeviceRun,
    saved: &Saved,
) -> Result<()> {
    *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut docs = Vec::new();
    if persons.is_empty() || seed.is_multiple_of(10) {
        let person = Person::new(&format!("Osoba {index}-{}", run.saves), Timestamp::now());
        let id = device.create(&person)?;
        persons.push(PersonId(id.0));
        docs.push(id);
    }
    let person = persons[(*seed >> 8) as usize % persons.len()];
    let contact = Contact::new(team, device.user, Timestamp::now())
        .with_person(person)
        .with_service("hot_drink");
    docs.push(device.create(&contact)?);
    run.saves += 1;
    let now = Instant::now();
    if let Ok(mut saved) = saved.lock() {
        for doc in &docs {
            saved.insert(*doc, (now, index));
        }
    }
    Ok(())
}

/// One arrival ticked on the day session of `site` (a person of the
/// registry the tablet holds, not yet present; a new one when there is
/// none), as a day room's tablet does at opening: both tablets open the
/// same session, offline or not, and their ticks merge. Returns the
/// session and the person ticked.
fn tick(
    device: &mut SimDevice,
    team: SpaceId,
    site: SiteId,
    persons: &mut Vec<PersonId>,
    seed: &mut u64,
) -> Result<(DocId, PersonId)> {
    *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let mut session = device.open_session(team, site, Date::today())?;
    let known: Vec<PersonId> = device
        .docs
        .iter()
        .filter(|(_, held)| held.kind == RecordKind::Person)
        .map(|(id, _)| PersonId(id.0))
        .filter(|p| !session.attendance.contains_key(&p.to_string()))
        .collect();
    let person = match known.get((*seed >> 8) as usize % known.len().max(1)) {
        Some(person) => *person,
        None => {
            let person = Person::new("Osoba z dziennego pobytu", Timestamp::now());
            let id = device.create(&person)?;
            persons.push(PersonId(id.0));
            PersonId(id.0)
        }
    };
    session.mark_present(person, device.user, Timestamp::now());
    device.edit(&session)?;
    Ok((session.id, person))
}

/// After the run: each day session on the server lists exactly the
/// persons its tablets ticked (two tablets ticking one person make one
/// entry).
async fn check_attendance(
    db: &Db,
    ticked: &HashMap<DocId, HashSet<PersonId>>,
    figures: &mut Figures,
) -> Result<()> {
    for (session, persons) in ticked {
        let Some(stored) = db.load_doc(*session).await? else {
            figures
                .errors
                .push(format!("the day session {session} is not on the server"));
            continue;
        };
        let on_server: odnowa_shared::records::DaySession =
            odnowa_shared::document::read(&stored.document()?)?;
        let present: HashSet<String> = on_server.attendance.keys().cloned().collect();
        let expected: HashSet<String> = persons.iter().map(PersonId::to_string).collect();
        if present != expected {
            figures.errors.push(format!(
                "the day session {session} lists {} persons on the server, its tablets ticked {}",
                present.len(),
                expected.len()
            ));
        }
    }
    Ok(())
}

/// A number in [0, 1) from `seed` (no randomness crate needed).
fn rand_unit(seed: u64) -> f64 {
    let x = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// After the run: every device syncs until nothing moves; then every
/// acknowledged save is on the server with every change, and on every
/// device that reads its space.
async fn check_nothing_lost(
    db: &Db,
    devices: &mut [(SimDevice, SpaceId)],
    figures: &mut Figures,
) -> Result<()> {
    for _ in 0..3 {
        for (device, _) in devices.iter_mut() {
            device.sync_http().await?;
        }
    }
    for (device, _) in devices.iter_mut() {
        device.settle()?;
    }
    let mut lost = 0;
    let mut waiting = 0;
    for (device, _) in devices.iter() {
        waiting += device.unconfirmed().len();
        for (doc, held) in device.docs.iter().filter(|(_, held)| held.mine) {
            let Some(copy) = held.settled() else {
                lost += 1;
                continue;
            };
            let heads = copy.get_heads();
            let on_server = match db.load_doc(*doc).await? {
                Some(stored) => stored.document()?.get_heads() == heads,
                None => false,
            };
            if !on_server {
                lost += 1;
            }
            // Every device of the team holds it; a registry entry, all.
            for (other, other_team) in devices.iter() {
                let reads = held.space.is_registry() || *other_team == held.space;
                if reads && other.copy(*doc).map(|c| c.get_heads()) != Some(heads.clone()) {
                    lost += 1;
                }
            }
        }
    }
    if waiting > 0 {
        figures
            .errors
            .push(format!("{waiting} saves never acknowledged after the run"));
    }
    if lost > 0 {
        figures.errors.push(format!(
            "{lost} copies of acknowledged saves missing or different"
        ));
    }
    Ok(())
}
