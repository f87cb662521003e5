//! Sync scenarios through a real server on 127.0.0.1 and real SQLite files
//! on the devices; every scenario runs on SQLite and on PostgreSQL.

use std::collections::BTreeSet;

use anyhow::Result;
use odnowa_shared::ids::{DocId, PersonId, SiteId, SpaceId};
use odnowa_shared::records::{Catalogue, CatalogueSite, Contact, DaySession, Gender, Person};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::admin;
use odnowa_tests::proxy::Proxy;
use odnowa_tests::{Backend, TestDevice, TestServer};

async fn team_space(server: &TestServer, name: &str) -> Result<SpaceId> {
    Ok(admin::create_space(&server.db, name, None).await?)
}

/// A day room in the catalogue, of no member organisation (like the team
/// spaces here): the server keeps a site's sessions to its organisation.
async fn day_room(server: &TestServer) -> Result<SiteId> {
    let site = SiteId::random();
    let mut catalogue = Catalogue::with_default_services();
    catalogue.sites.insert(
        site.to_string(),
        CatalogueSite {
            name: "Świetlica".into(),
            site_kind: "day_room".into(),
            org: None,
        },
    );
    server.write_catalogue(&catalogue).await?;
    Ok(site)
}

async fn device(server: &TestServer, user: &str, write: &[&str]) -> Result<TestDevice> {
    let code = server.user_with_code(user, write, &[]).await?;
    TestDevice::enrol(&server.url(), &code, user).await
}

/// Syncs every device in turn until a round changes nothing anywhere.
async fn sync_all(devices: &[&TestDevice]) -> Result<()> {
    for _ in 0..5 {
        let mut moved = 0;
        for device in devices {
            let report = device.engine.sync_now().await?;
            moved += report.pulled_updates + report.pushed_docs;
        }
        if moved == 0 {
            return Ok(());
        }
    }
    anyhow::bail!("devices did not become quiescent in 5 rounds")
}

async fn assert_same_docs(devices: &[&TestDevice], ids: &[DocId]) -> Result<()> {
    for id in ids {
        let first = devices[0].engine.heads(*id).await?;
        for device in &devices[1..] {
            assert_eq!(device.engine.heads(*id).await?, first, "heads of {id}");
        }
    }
    Ok(())
}

async fn three_devices_offline_converge(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    let team = team_space(&server, "Day room — Org B").await?;
    let phone = device(&server, "ola", &["Day room — Org B", "registry"]).await?;
    let tablet_a = device(&server, "ewa", &["Day room — Org B", "registry"]).await?;
    let tablet_b = device(&server, "jan", &["Day room — Org B", "registry"]).await?;
    let all = [&phone, &tablet_a, &tablet_b];

    // A person everybody knows, and four children registered in the room.
    let mut zbyszek = Person::new("Zbyszek", Timestamp::now());
    zbyszek.birth_year = Some(1970);
    phone.engine.save(&zbyszek).await?;
    let mut children = Vec::new();
    for alias in ["Ala", "Ola", "Ela", "Kuba"] {
        let child = Person::new(alias, Timestamp::now());
        tablet_a.engine.save(&child).await?;
        children.push(child.person_id());
    }
    sync_all(&all).await?;
    assert_eq!(tablet_b.engine.list::<Person>().await?.len(), 5);

    // Offline from here on.
    // Two devices edit the same person: different fields, and the same one.
    phone
        .engine
        .update::<Person>(zbyszek.id, |p| {
            p.birth_year = Some(1971);
            p.alias = "Zbych".into();
        })
        .await?;
    tablet_a
        .engine
        .update::<Person>(zbyszek.id, |p| {
            p.gender = Gender::new(Gender::MALE);
            p.alias = "Zbigniew".into();
        })
        .await?;

    // Two tablets open today's session of the same site, neither has seen
    // the other's, and tick different and overlapping children.
    let site = day_room(&server).await?;
    let today = Date::today();
    let session_a = tablet_a.engine.open_day_session(team, site, today).await?;
    let session_b = tablet_b.engine.open_day_session(team, site, today).await?;
    assert_eq!(session_a.id, session_b.id);
    tablet_a
        .engine
        .mark_present(session_a.id, children[0])
        .await?;
    tablet_a
        .engine
        .mark_present(session_a.id, children[1])
        .await?;
    tablet_b
        .engine
        .mark_present(session_b.id, children[1])
        .await?;
    tablet_b
        .engine
        .mark_present(session_b.id, children[2])
        .await?;
    tablet_a
        .engine
        .update::<DaySession>(session_a.id, |s| s.meals.add(2))
        .await?;
    tablet_b
        .engine
        .update::<DaySession>(session_b.id, |s| s.meals.add(3))
        .await?;

    // The phone adds contacts.
    let worker = phone.engine.identity().await.expect("enrolled").user;
    let mut contact_ids = Vec::new();
    for i in 0..3 {
        let mut contact = Contact::new(team, worker, Timestamp::now()).with_service("hot_drink");
        if i == 0 {
            contact = contact.with_person(zbyszek.person_id());
        } else {
            contact.anonymous_count = i;
        }
        phone.engine.save(&contact).await?;
        contact_ids.push(contact.id);
    }

    sync_all(&all).await?;

    let mut ids = vec![zbyszek.id, session_a.id];
    ids.extend(children.iter().map(|c| c.doc_id()));
    ids.extend(&contact_ids);
    assert_same_docs(&all, &ids).await?;

    // The same typed records everywhere.
    for device in &all[1..] {
        let mut mine = device.engine.list::<Contact>().await?;
        let mut theirs = phone.engine.list::<Contact>().await?;
        mine.sort_by_key(|c| c.id);
        theirs.sort_by_key(|c| c.id);
        assert_eq!(mine, theirs);
        assert_eq!(
            device.engine.get::<Person>(zbyszek.id).await?,
            phone.engine.get::<Person>(zbyszek.id).await?
        );
    }

    // One session for the site and day, holding every tick; meals add up.
    let sessions = tablet_b.engine.list::<DaySession>().await?;
    assert_eq!(sessions.len(), 1);
    let present: BTreeSet<PersonId> = sessions[0].present().into_iter().collect();
    assert_eq!(present, children[..3].iter().copied().collect());
    assert_eq!(sessions[0].meals.value(), 5);

    // Different fields merged; the same field kept both values.
    let merged: Person = phone.engine.get(zbyszek.id).await?.expect("person");
    assert_eq!(merged.birth_year, Some(1971));
    assert_eq!(merged.gender, Gender::new(Gender::MALE));
    let conflicts = tablet_b.engine.conflicts(zbyszek.id).await?;
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].path, vec!["alias".to_string()]);
    let values: BTreeSet<String> = conflicts[0]
        .versions
        .iter()
        .map(|v| v.value.clone())
        .collect();
    assert_eq!(
        values,
        BTreeSet::from(["Zbych".to_string(), "Zbigniew".to_string()])
    );

    // Every record is confirmed by the server on every device.
    for device in &all {
        for id in &ids {
            assert!(device.engine.is_confirmed(*id).await?, "{id} confirmed");
        }
    }
    Ok(())
}

async fn reconnect_costs_one_exchange(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    let team = team_space(&server, "Streetwork — Org A").await?;
    let a = device(&server, "marta", &["Streetwork — Org A"]).await?;
    let b = device(&server, "piotr", &["Streetwork — Org A"]).await?;
    let worker = a.engine.identity().await.expect("enrolled").user;
    let mut ids = Vec::new();
    for _ in 0..2_000 {
        let mut contact = Contact::new(team, worker, Timestamp::now());
        contact.anonymous_count = 1;
        contact.place = "Dworzec PKP".into();
        a.engine.save(&contact).await?;
        ids.push(contact.id);
    }
    a.engine.sync_now().await?;
    b.engine.sync_now().await?;
    assert_eq!(b.engine.doc_count().await?, 2_000);

    // B works offline on 20 of them.
    for id in ids.iter().step_by(100) {
        b.engine
            .update::<Contact>(*id, |c| c.note = "wrócił na noc do schroniska".into())
            .await?;
    }
    let pending = b.engine.status().pending;
    assert_eq!(pending, 20);
    let changed_bytes = pending_change_bytes(&b, &ids).await?;

    let before = b.engine.stats();
    b.engine.sync_now().await?;
    let after = b.engine.stats();
    assert_eq!(after.exchanges - before.exchanges, 1, "one exchange");
    let moved = (after.bytes_up - before.bytes_up) + (after.bytes_down - before.bytes_down);
    assert!(
        (moved as f64) <= 1.5 * changed_bytes as f64,
        "{moved} bytes moved for {changed_bytes} bytes of changes"
    );

    // A, which holds all 2,000, gets the 20 in one exchange too.
    let before = a.engine.stats();
    let report = a.engine.sync_now().await?;
    let after = a.engine.stats();
    assert_eq!(report.exchanges, 1);
    assert_eq!(report.pulled_updates, 20);
    let moved = (after.bytes_up - before.bytes_up) + (after.bytes_down - before.bytes_down);
    assert!(
        (moved as f64) <= 1.5 * changed_bytes as f64,
        "{moved} bytes pulled for {changed_bytes} bytes of changes"
    );
    let note = a
        .engine
        .get::<Contact>(ids[100])
        .await?
        .expect("contact")
        .note;
    assert_eq!(note, "wrócił na noc do schroniska");
    Ok(())
}

/// The raw size of the changes the device has not pushed yet.
async fn pending_change_bytes(device: &TestDevice, ids: &[DocId]) -> Result<u64> {
    let mut total = 0;
    for id in ids {
        if !device.engine.is_confirmed(*id).await? {
            total += device.engine.pending_bytes(*id).await?;
        }
    }
    Ok(total)
}

async fn faults_lose_and_duplicate_nothing(backend: Backend) -> Result<()> {
    let mut server = TestServer::start(backend).await?;
    let team = team_space(&server, "Streetwork — Org A").await?;
    let proxy = Proxy::start(server.addr).await?;
    let code = server
        .user_with_code("marta", &["Streetwork — Org A"], &[])
        .await?;
    let a = TestDevice::enrol(&proxy.url(), &code, "phone").await?;
    let b = device(&server, "piotr", &["Streetwork — Org A"]).await?;
    let worker = a.engine.identity().await.expect("enrolled").user;

    // 1. A sync interrupted mid-way: the server stores, the answer is lost.
    let mut first = Contact::new(team, worker, Timestamp::now());
    first.anonymous_count = 2;
    a.engine.save(&first).await?;
    proxy.set_cut(true);
    assert!(a.engine.sync_now().await.is_err(), "the answer was cut");
    assert!(!a.engine.is_confirmed(first.id).await?);
    let stored = server.db.change_count().await?;
    assert_eq!(stored, 1, "the server stored the change before the cut");
    proxy.set_cut(false);
    a.engine.sync_now().await?;
    assert!(a.engine.is_confirmed(first.id).await?);
    assert_eq!(
        server.db.change_count().await?,
        1,
        "the retry stored nothing twice"
    );

    // 2. The same push delivered twice (a raw replay of a request frame).
    let mut second = Contact::new(team, worker, Timestamp::now());
    second.anonymous_count = 1;
    a.engine.save(&second).await?;
    let frame = a.engine.outgoing_frame().await?;
    let token = a.engine.identity().await.expect("enrolled").token;
    for _ in 0..2 {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/sync", server.url()))
            .bearer_auth(&token)
            .body(frame.clone())
            .send()
            .await?;
        assert!(response.status().is_success());
        let body = response.bytes().await?;
        let odnowa_shared::protocol::ServerMessage::Sync(answer) =
            odnowa_shared::protocol::decode_server(&body)?
        else {
            anyhow::bail!("not a sync answer")
        };
        assert!(answer.refused.is_empty(), "{:?}", answer.refused);
    }
    assert_eq!(server.db.change_count().await?, 2);

    // 3. The server restarts between two syncs.
    let mut third = Contact::new(team, worker, Timestamp::now());
    third.anonymous_count = 3;
    a.engine.save(&third).await?;
    server.stop().await?;
    assert!(a.engine.sync_now().await.is_err(), "offline while stopped");
    let mut fourth = Contact::new(team, worker, Timestamp::now());
    fourth.anonymous_count = 4;
    a.engine.save(&fourth).await?;
    server.restart().await?;
    a.engine.sync_now().await?;
    b.engine.sync_now().await?;
    let mut seen: Vec<DocId> = b
        .engine
        .list::<Contact>()
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    seen.sort();
    let mut expect = vec![first.id, second.id, third.id, fourth.id];
    expect.sort();
    assert_eq!(seen, expect, "nothing lost");
    assert_eq!(server.db.change_count().await?, 4, "nothing duplicated");
    for id in &expect {
        assert!(a.engine.is_confirmed(*id).await?);
    }
    server.stop().await?;
    Ok(())
}

async fn spaces_are_enforced(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    let space_a = team_space(&server, "Streetwork — Org A").await?;
    let space_b = team_space(&server, "Day room — Org B").await?;
    let a = device(&server, "marta", &["Streetwork — Org A"]).await?;
    let b = device(&server, "ewa", &["Day room — Org B"]).await?;
    let worker_b = b.engine.identity().await.expect("enrolled").user;
    let mut secret = Contact::new(space_b, worker_b, Timestamp::now());
    secret.anonymous_count = 1;
    secret.note = "w space B".into();
    b.engine.save(&secret).await?;
    b.engine.sync_now().await?;

    a.engine.sync_now().await?;
    assert_eq!(a.engine.doc_count().await?, 0, "A receives nothing of B");
    let spaces: Vec<SpaceId> = a.engine.spaces().await?.iter().map(|s| s.space).collect();
    assert_eq!(spaces, vec![space_a]);

    // A writes into B: refused with a reason, quarantined, nothing stored.
    let worker_a = a.engine.identity().await.expect("enrolled").user;
    let mut intruder = Contact::new(space_b, worker_a, Timestamp::now());
    intruder.anonymous_count = 1;
    a.engine.save(&intruder).await?;
    let report = a.engine.sync_now().await?;
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].1, "this user has no access to this space");
    assert_eq!(a.engine.status().refused, 1);
    let quarantine = admin::quarantine(&server.db, 10).await?;
    assert_eq!(quarantine.len(), 1);
    assert_eq!(quarantine[0].doc, intruder.id);
    assert_eq!(quarantine[0].code, "NotWritable");
    b.engine.sync_now().await?;
    assert!(b.engine.get::<Contact>(intruder.id).await?.is_none());
    assert_eq!(server.db.change_count().await?, 1);
    Ok(())
}

async fn live_updates_reach_connected_devices(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    let team = team_space(&server, "Streetwork — Org A").await?;
    let a = device(&server, "marta", &["Streetwork — Org A"]).await?;
    let b = device(&server, "piotr", &["Streetwork — Org A"]).await?;
    let _bg_a = a.engine.start();
    let _bg_b = b.engine.start();
    assert!(
        odnowa_tests::eventually(20, || async {
            a.engine.status().live && b.engine.status().live
        })
        .await
    );
    let worker = a.engine.identity().await.expect("enrolled").user;
    let mut contact = Contact::new(team, worker, Timestamp::now());
    contact.anonymous_count = 1;
    a.engine.save(&contact).await?;
    let arrived = odnowa_tests::eventually(20, || async {
        matches!(b.engine.get::<Contact>(contact.id).await, Ok(Some(_)))
    })
    .await;
    assert!(arrived, "the contact reached B without B asking");
    // As the change itself on B's live connection, not a poke that B
    // answers with an exchange.
    assert!(
        b.engine.stats().live_updates >= 1,
        "B took a live update: {:?}",
        b.engine.stats()
    );
    Ok(())
}

async fn a_restored_server_gets_everything_back(backend: Backend) -> Result<()> {
    let mut server = TestServer::start(backend).await?;
    let team = team_space(&server, "Streetwork — Org A").await?;
    let a = device(&server, "marta", &["Streetwork — Org A"]).await?;
    let b = device(&server, "piotr", &["Streetwork — Org A"]).await?;
    let worker = a.engine.identity().await.expect("enrolled").user;
    let contact = |n: i64| {
        let mut c = Contact::new(team, worker, Timestamp::now());
        c.anonymous_count = n;
        c
    };
    let (first, second, third) = (contact(1), contact(2), contact(3));
    a.engine.save(&first).await?;
    a.engine.sync_now().await?;

    // Last night's backup holds only the first contact.
    server.stop().await?;
    server.database.backup().await?;
    server.restart().await?;
    a.engine.save(&second).await?;
    a.engine.sync_now().await?;
    b.engine.save(&third).await?;
    b.engine.sync_now().await?;
    assert_eq!(server.db.change_count().await?, 3);

    // The disk dies; the backup is restored.
    server.stop().await?;
    server.database.restore().await?;
    server.restart().await?;
    assert_eq!(server.db.change_count().await?, 1);

    // The devices notice (their cursors are ahead of the feed), push all
    // they hold again, and nothing is lost.
    sync_all(&[&a, &b]).await?;
    assert_eq!(server.db.change_count().await?, 3);
    for device in [&a, &b] {
        let mut ids: Vec<DocId> = device
            .engine
            .list::<Contact>()
            .await?
            .iter()
            .map(|c| c.id)
            .collect();
        ids.sort();
        let mut expect = vec![first.id, second.id, third.id];
        expect.sort();
        assert_eq!(ids, expect);
    }
    server.stop().await?;
    Ok(())
}

async fn a_new_device_gets_compacted_documents(backend: Backend) -> Result<()> {
    let server = TestServer::start(backend).await?;
    let team = team_space(&server, "Day room — Org B").await?;
    let tablet = device(&server, "ewa", &["Day room — Org B"]).await?;
    let site = day_room(&server).await?;
    let session = tablet
        .engine
        .open_day_session(team, site, Date::today())
        .await?;
    // Enough changes for the server to keep a compacted snapshot.
    for _ in 0..150 {
        tablet
            .engine
            .mark_present(session.id, PersonId::random())
            .await?;
        tablet.engine.sync_now().await?;
    }
    let newcomer = device(&server, "jan", &["Day room — Org B"]).await?;
    let report = newcomer.engine.sync_now().await?;
    assert_eq!(report.pulled_updates, 1);
    assert_eq!(
        newcomer.engine.heads(session.id).await?,
        tablet.engine.heads(session.id).await?
    );
    let received: DaySession = newcomer.engine.get(session.id).await?.expect("session");
    assert_eq!(received.present().len(), 150);
    Ok(())
}

odnowa_tests::on_both_backends!(
    three_devices_offline_converge,
    reconnect_costs_one_exchange,
    faults_lose_and_duplicate_nothing,
    spaces_are_enforced,
    live_updates_reach_connected_devices,
    a_restored_server_gets_everything_back,
    a_new_device_gets_compacted_documents,
);
