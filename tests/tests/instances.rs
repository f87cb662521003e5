//! Two `odnowa-sync serve` processes on one PostgreSQL database, each
//! behind a loopback load balancer that prefers it and fails over to the
//! other, with real device engines on each: live pushes cross instances,
//! a stale cache is never built on, the catalogue, an erasure and a
//! revocation made through one instance hold on the other, and an
//! instance killed with SIGKILL mid-upload loses nothing.
//!
//! Needs the `odnowa-sync` binary of the same build (`cargo test
//! --workspace` builds it; alone: `cargo build -p odnowa-sync-server`).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use odnowa_app::engine::Background;
use odnowa_shared::ids::{PersonId, SpaceId};
use odnowa_shared::office::{EraseRequest, ServiceEdit, path};
use odnowa_shared::protocol::RefusalCode;
use odnowa_shared::records::{Catalogue, Contact, Person};
use odnowa_shared::time::Timestamp;
use odnowa_sync_server::exchange::SyncService;
use odnowa_sync_server::{Db, accounts, admin};
use odnowa_tests::office::{OFFICE_PASSWORD, OfficeClient};
use odnowa_tests::procs::ServerProcess;
use odnowa_tests::proxy::Balancer;
use odnowa_tests::sim::SimDevice;
use odnowa_tests::{Backend, TestDatabase, TestDevice, eventually};

struct World {
    _database: TestDatabase,
    db: Arc<Db>,
    a: ServerProcess,
    b: ServerProcess,
    /// Prefers A, falls over to B; and the other way round.
    to_a: Balancer,
    to_b: Balancer,
    team: SpaceId,
}

fn addr(server: &ServerProcess) -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], server.port))
}

async fn world() -> Result<World> {
    let database = TestDatabase::new(Backend::Postgres).await?;
    let db = Arc::new(Db::open(&database.url).await?);
    // The set-up an administrator does before the servers start.
    let setup = SyncService::new(db.clone(), 10);
    admin::create_member(&setup, "Ulica").await?;
    let team = admin::create_space(&db, "Streetwork", Some("Ulica")).await?;
    setup
        .put_catalogue(
            &odnowa_sync_server::writer::OfficeAuthor::admin_cli(),
            &Catalogue::with_default_services(),
        )
        .await?;
    accounts::create_user(&db, "biuro", None, "office", &[], &[]).await?;
    accounts::set_password(&db, "biuro", OFFICE_PASSWORD).await?;
    accounts::create_user(&db, "kierownik", Some("Ulica"), "coordinator", &[], &[]).await?;
    accounts::set_password(&db, "kierownik", OFFICE_PASSWORD).await?;
    let a = ServerProcess::start(&database.url, &["--cache-docs", "100"]).await?;
    let b = ServerProcess::start(&database.url, &["--cache-docs", "100"]).await?;
    let to_a = Balancer::start(vec![addr(&a), addr(&b)]).await?;
    let to_b = Balancer::start(vec![addr(&b), addr(&a)]).await?;
    Ok(World {
        _database: database,
        db,
        a,
        b,
        to_a,
        to_b,
        team,
    })
}

impl World {
    /// A worker of the team and a one-time code of theirs.
    async fn code(&self, name: &str) -> Result<String> {
        accounts::create_user(
            &self.db,
            name,
            Some("Ulica"),
            "worker",
            &[],
            &["Streetwork".into(), "registry".into()],
        )
        .await?;
        Ok(accounts::enrol_code(&self.db, name, 1).await?)
    }

    /// An engine enrolled through `balancer`, syncing in the background.
    async fn device(&self, name: &str, balancer: &Balancer) -> Result<(TestDevice, Background)> {
        let device = TestDevice::enrol(&balancer.url(), &self.code(name).await?, name).await?;
        device.engine.sync_now().await?;
        let background = device.engine.start();
        let engine = device.engine.clone();
        ensure!(
            eventually(20, || async { engine.status().live }).await,
            "{name} never went live"
        );
        Ok((device, background))
    }

    /// The office pages of `server`, logged in as `user`.
    async fn office(&self, server: &ServerProcess, user: &str) -> Result<OfficeClient> {
        let mut office = OfficeClient::at(&server.url());
        ensure!(
            office
                .login(user, OFFICE_PASSWORD)
                .await?
                .status()
                .is_success()
        );
        Ok(office)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_serve_one_database() -> Result<()> {
    let mut world = world().await?;
    let (ala, _ala_bg) = world.device("ala", &world.to_a).await?;
    let (bolek, _bolek_bg) = world.device("bolek", &world.to_b).await?;
    let worker = ala.engine.identity().await.context("enrolled")?.user;

    // 1. A save on A reaches the device on B live: the changes pushed on
    // its live connection (carried to B by A's notice), taken without an
    // exchange.
    let live_before = bolek.engine.stats().live_updates;
    let saved_at = Instant::now();
    let mut zenek = Person::new("Zenek", Timestamp::now());
    zenek.birth_year = Some(1970);
    ala.engine.save(&zenek).await?;
    let contact =
        Contact::new(world.team, worker, Timestamp::now()).with_person(PersonId(zenek.id.0));
    ala.engine.save(&contact).await?;
    ensure!(
        eventually(20, || async {
            matches!(bolek.engine.get::<Contact>(contact.id).await, Ok(Some(_)))
        })
        .await,
        "A's contact never reached the device on B"
    );
    println!(
        "a save on A reached the device on B in {} ms",
        saved_at.elapsed().as_millis()
    );
    ensure!(
        bolek.engine.stats().live_updates > live_before,
        "B's device took a live update: {:?}",
        bolek.engine.stats()
    );

    // 1b. A record too large for the notice to carry its changes (a note
    // of 9,000 characters that do not compress) is read back from the
    // feed on B, and reaches B's device live as well.
    let live_before = bolek.engine.stats().live_updates;
    let mut long =
        Contact::new(world.team, worker, Timestamp::now()).with_person(PersonId(zenek.id.0));
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    long.note = (0..9_000)
        .map(|_| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(b'!' + ((seed >> 33) % 94) as u8)
        })
        .collect();
    ala.engine.save(&long).await?;
    ensure!(
        eventually(20, || async {
            matches!(bolek.engine.get::<Contact>(long.id).await, Ok(Some(c)) if c.note == long.note)
        })
        .await,
        "A's long contact never reached the device on B"
    );
    ensure!(
        bolek.engine.stats().live_updates > live_before,
        "B's device took the long contact live: {:?}",
        bolek.engine.stats()
    );

    // 2. Both edit the same entry, each through its own instance, whose
    // caches hold the entry as it was: the copies converge, nothing of
    // either edit is lost.
    let mut on_a = zenek.clone();
    on_a.birth_year = Some(1971);
    ensure!(
        eventually(20, || async {
            matches!(bolek.engine.get::<Person>(zenek.id).await, Ok(Some(_)))
        })
        .await,
        "Zenek never reached the device on B"
    );
    let mut on_b = bolek
        .engine
        .get::<Person>(zenek.id)
        .await?
        .context("B's device holds Zenek")?;
    on_b.alias = "Zenek z mostu".into();
    ala.engine.save(&on_a).await?;
    bolek.engine.save(&on_b).await?;
    let edited_at = Instant::now();
    let converged = eventually(20, || async {
        let (Ok(Some(x)), Ok(Some(y))) = (
            ala.engine.get::<Person>(zenek.id).await,
            bolek.engine.get::<Person>(zenek.id).await,
        ) else {
            return false;
        };
        x.alias == "Zenek z mostu"
            && x.birth_year == Some(1971)
            && y.alias == x.alias
            && y.birth_year == x.birth_year
    })
    .await;
    if !converged {
        // What each side holds and how its sync stands, for the reader of
        // a failed run.
        let held = |p: Result<Option<Person>, _>| match p {
            Ok(Some(p)) => format!("alias {:?}, born {:?}", p.alias, p.birth_year),
            other => format!("{:?}", other.map(|p| p.map(|p| p.alias))),
        };
        anyhow::bail!(
            "the two edits did not converge in 20 s: A holds {}, B holds {}; \
             A's sync {:?} {:?}; B's sync {:?} {:?}",
            held(ala.engine.get::<Person>(zenek.id).await),
            held(bolek.engine.get::<Person>(zenek.id).await),
            ala.engine.status(),
            ala.engine.stats(),
            bolek.engine.status(),
            bolek.engine.stats(),
        );
    }
    println!(
        "the two edits converged {} ms after the second save",
        edited_at.elapsed().as_millis()
    );

    // 3. A service added through A's office pages is known to B at once:
    // B's cached catalogue is read again when A's change arrives.
    let edit = ServiceEdit {
        code: "pralnia".into(),
        name_pl: "Pralnia".into(),
        name_en: "Laundry".into(),
        org: None,
        retired: false,
        contract_from: None,
        contract_to: None,
        targets: Default::default(),
    };
    let office_a = world.office(&world.a, "biuro").await?;
    let put = office_a
        .put(path::CATALOGUE_SERVICE, serde_json::to_value(&edit)?)
        .await?;
    ensure!(put.status().is_success(), "{}", put.status());
    ensure!(
        eventually(20, || async {
            bolek
                .engine
                .catalogue_view()
                .await
                .is_ok_and(|c| c.services.iter().any(|s| s.code == "pralnia"))
        })
        .await,
        "the new service never reached the device on B"
    );
    let bolek_user = bolek.engine.identity().await.context("enrolled")?.user;
    let mut laundry =
        Contact::new(world.team, bolek_user, Timestamp::now()).with_service("pralnia");
    laundry.anonymous_count = 1;
    bolek.engine.save(&laundry).await?;
    ensure!(
        eventually(20, || async {
            matches!(ala.engine.get::<Contact>(laundry.id).await, Ok(Some(_)))
        })
        .await,
        "B refused (or never passed on) a contact with the service A's office added"
    );
    ensure!(bolek.engine.status().refused == 0);

    // 4. An erasure through B's office pages: A's devices purge, and a
    // copy A cached before it is never built on (a change made on the old
    // copy, sent to A, is refused as erased).
    let code = world.code("cezary").await?;
    let mut cezary = SimDevice::enrol(&world.a.url(), &code, "cezary").await?;
    cezary.sync_http().await?;
    ensure!(
        cezary.copy(zenek.id).is_some(),
        "the simulated device holds Zenek"
    );
    let office_b = world.office(&world.b, "biuro").await?;
    let erased = office_b
        .post(
            &path::erase(PersonId(zenek.id.0)),
            serde_json::to_value(EraseRequest {
                reason: "wniosek 7/2026".into(),
            })?,
        )
        .await?;
    ensure!(erased.status().is_success(), "{}", erased.status());
    ensure!(
        eventually(20, || async {
            matches!(ala.engine.get::<Person>(zenek.id).await, Ok(None))
                && matches!(bolek.engine.get::<Person>(zenek.id).await, Ok(None))
        })
        .await,
        "a device still holds the erased entry"
    );
    let mut stale = zenek.clone();
    stale.alias = "Zenek wraca".into();
    cezary.edit(&stale)?;
    let answer = cezary.exchange_http(&[zenek.id]).await?;
    ensure!(
        answer
            .refused
            .iter()
            .any(|r| r.doc == zenek.id && r.code == RefusalCode::Erased),
        "A took a change to an erased entry: {:?}",
        answer.refused
    );
    ensure!(
        world.db.doc_meta(zenek.id).await?.is_none(),
        "Zenek came back"
    );

    // 5. A revocation through A's office pages (the team's coordinator)
    // closes the live connection of the device on B.
    let coordinator = world.office(&world.a, "kierownik").await?;
    let revoked_at = Instant::now();
    let device = bolek.engine.identity().await.context("enrolled")?.device;
    let revoke = coordinator
        .post(&path::revoke(device), serde_json::json!({}))
        .await?;
    ensure!(revoke.status().is_success(), "{}", revoke.status());
    ensure!(
        eventually(10, || async { bolek.engine.status().revoked }).await,
        "the device on B never learnt it was revoked"
    );
    println!(
        "a revocation through A reached the device on B in {} ms",
        revoked_at.elapsed().as_millis()
    );
    ensure!(!bolek.engine.status().live);

    // 6. A killed with SIGKILL while A's device uploads: it goes on
    // through B, and the server and the other devices hold every save.
    let (dorota, _dorota_bg) = world.device("dorota", &world.to_b).await?;
    let many: Vec<Contact> = (0..3000)
        .map(|i| {
            let mut c =
                Contact::new(world.team, worker, Timestamp::now()).with_service("hot_drink");
            c.anonymous_count = 1 + i % 3;
            c
        })
        .collect();
    let before = world.db.space_doc_count(world.team).await?;
    ala.engine.save_all(&many).await?;
    // Killed as soon as the first of the upload's exchanges has been
    // stored: the next is on its way or being ingested.
    let started = eventually(30, || async {
        world.db.space_doc_count(world.team).await.unwrap_or(0) > before
    })
    .await;
    ensure!(started, "the upload never started");
    let held_at_kill = world.db.space_doc_count(world.team).await?;
    world.a.kill()?;
    println!("A killed with {held_at_kill} documents of the team stored");
    let everything = eventually(60, || async {
        ala.engine.status().pending == 0
            && world.db.space_doc_count(world.team).await.ok() == Some(before + many.len() as u64)
    })
    .await;
    ensure!(everything, "A's device did not finish through B");
    for contact in many.iter().step_by(97).chain(many.last()) {
        ensure!(
            eventually(30, || async {
                matches!(dorota.engine.get::<Contact>(contact.id).await, Ok(Some(_)))
            })
            .await,
            "a contact saved while A died never reached the device on B"
        );
    }
    ensure!(ala.engine.status().refused == 0);
    Ok(())
}
