//! The field app's command API (`odnowa_shared::api`) through the device
//! engine's typed methods, against a real sync server on 127.0.0.1 and real
//! SQLite files on the devices: what the Tauri commands do, without a
//! window. Each scenario runs on SQLite and on PostgreSQL.

use anyhow::{Context, Result};
use odnowa_app::engine::{Engine, EngineError};
use odnowa_shared::api::{
    CommandError, ContactDraft, EnrolRequest, ErrorKind, ItemDraft, ParticipantDraft, PersonDraft,
    WorkshopDraft,
};
use odnowa_shared::ids::{DocId, PersonId, SiteId};
use odnowa_shared::records::{Catalogue, CatalogueSite, Person};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::admin;
use odnowa_tests::{Backend, TestDevice, TestServer, quick_policy};

const TEAM: &str = "Streetwork — Org A";

/// A server with a team space, a catalogue (the usual services, a day
/// room and a workshop room) written by the office, and the sites' ids.
struct Field {
    server: TestServer,
    day_room: SiteId,
    workshop_room: SiteId,
}

async fn field(backend: Backend) -> Result<Field> {
    let server = TestServer::start(backend).await?;
    admin::create_space(&server.db, TEAM, None).await?;
    let (day_room, workshop_room) = (SiteId::random(), SiteId::random());
    let mut catalogue = Catalogue::with_default_services();
    for (site, name, kind) in [
        (day_room, "Świetlica Przystań", "day_room"),
        (workshop_room, "Pracownia Odnowa", "workshop"),
    ] {
        catalogue.sites.insert(
            site.to_string(),
            CatalogueSite {
                name: name.into(),
                site_kind: kind.into(),
                org: None,
            },
        );
    }
    server.write_catalogue(&catalogue).await?;
    Ok(Field {
        server,
        day_room,
        workshop_room,
    })
}

/// A device of a new user who writes the registry and the team space,
/// synced once (it knows its spaces and the catalogue).
async fn device_on(server: &TestServer, user: &str) -> Result<TestDevice> {
    server.device_on(user, &["registry", TEAM]).await
}

fn draft(alias: &str, birth_year: Option<i64>) -> PersonDraft {
    PersonDraft {
        alias: alias.into(),
        birth_year,
        gender: String::new(),
        consent: None,
        distinct_from: Vec::new(),
    }
}

fn kind_of(error: EngineError) -> ErrorKind {
    CommandError::from(error).kind
}

async fn aliases(engine: &Engine, query: &str) -> Result<Vec<String>> {
    let mut found: Vec<String> = engine
        .search_persons(query)
        .await?
        .into_iter()
        .map(|p| p.alias)
        .collect();
    found.sort();
    Ok(found)
}

async fn search_ignores_case_and_diacritics(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let phone = device_on(&field.server, "ola").await?;
    // Three men who go by the same name: each registered after the worker
    // said he is not the ones before (the duplicate warning's answer).
    let mut registered = Vec::new();
    for alias in ["Zbyszek", "zbyszek", "Źbyszek", "Zenek", "Łukasz"] {
        let mut person = draft(alias, None);
        person.distinct_from = registered.clone();
        registered.push(phone.engine.create_person(&person).await?.id);
    }
    let zbyszki = vec!["Zbyszek", "zbyszek", "Źbyszek"];
    assert_eq!(aliases(&phone.engine, "Zbyszek").await?, zbyszki);
    assert_eq!(aliases(&phone.engine, "źbysz").await?, zbyszki);
    assert_eq!(aliases(&phone.engine, "lukasz").await?, vec!["Łukasz"]);
    assert_eq!(aliases(&phone.engine, "").await?.len(), 5);
    // Prefix matches come first.
    let found = phone.engine.search_persons("e").await?;
    assert_eq!(found.len(), 4, "{found:?}");

    // Another worker's phone finds them after a sync.
    let other = device_on(&field.server, "jan").await?;
    phone.engine.sync_now().await?;
    other.engine.sync_now().await?;
    assert_eq!(aliases(&other.engine, "ZBYSZEK").await?, zbyszki);
    assert!(
        other
            .engine
            .search_persons("zbyszek")
            .await?
            .iter()
            .all(|p| p.confirmed)
    );
    Ok(())
}

async fn a_similar_person_gives_a_duplicate_warning(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let phone = device_on(&field.server, "ola").await?;
    let zbyszek = phone
        .engine
        .create_person(&PersonDraft {
            alias: "Zbyszek".into(),
            birth_year: Some(1970),
            gender: "m".into(),
            consent: None,
            distinct_from: Vec::new(),
        })
        .await?;
    assert_eq!(zbyszek.gender, "m");
    phone.engine.create_person(&draft("Gosia", None)).await?;

    for (alias, year, expect) in [
        ("Źbyszek", None, true),
        ("zbyszke", Some(1971), true),
        ("Zbysz", None, true),
        ("Zbyszek", Some(1975), false),
        ("Kazik", None, false),
    ] {
        let similar = phone.engine.similar_persons(&draft(alias, year)).await?;
        let ids: Vec<PersonId> = similar.iter().map(|p| p.person.id).collect();
        assert_eq!(
            ids.contains(&zbyszek.id),
            expect,
            "{alias} {year:?}: {similar:?}"
        );
        assert!(similar.iter().all(|p| p.person.alias != "Gosia"), "{alias}");
    }

    // What the worker judges by: registered, last met where, how often.
    phone
        .engine
        .save_contact(&contact_draft(vec![zbyszek.id], &["food"]))
        .await?;
    let similar = phone
        .engine
        .similar_persons(&draft("Zbyszko", None))
        .await?;
    let found = similar
        .iter()
        .find(|s| s.person.id == zbyszek.id)
        .context("Zbyszek proposed")?;
    assert_eq!(found.contacts, 1);
    assert_eq!(found.last_place, "Dworzec PKP, peron 1");
    assert!(found.last_contact.is_some() && found.registered.0 > 0);

    // "No, this is someone else": not proposed again for this draft, and
    // remembered on the new person in the worker's name.
    let mut other = draft("Zbyszko", None);
    other.distinct_from = vec![zbyszek.id];
    assert!(
        phone
            .engine
            .similar_persons(&other)
            .await?
            .iter()
            .all(|s| s.person.id != zbyszek.id)
    );
    // A Save tapped past the warning creates nobody: the worker must say
    // first whether it is Zbyszek.
    let persons_before = phone.engine.list::<Person>().await?.len();
    let past_the_warning = phone
        .engine
        .create_person(&draft("Zbyszko", None))
        .await
        .expect_err("a possible duplicate not answered");
    assert_eq!(kind_of(past_the_warning), ErrorKind::PossibleDuplicate);
    assert_eq!(phone.engine.list::<Person>().await?.len(), persons_before);
    let zbyszko = phone.engine.create_person(&other).await?;
    let stored = phone
        .engine
        .get::<Person>(zbyszko.id.doc_id())
        .await?
        .context("Zbyszko stored")?;
    assert!(stored.is_distinct_from(zbyszek.id));
    // The server takes the mark (the exchange checks it is in the
    // worker's own name).
    phone.engine.sync_now().await?;
    assert_eq!(phone.engine.sync_view().await?.refused, 0);
    // An unknown person cannot be marked.
    let mut unknown = draft("Zenek", None);
    unknown.distinct_from = vec![PersonId::random()];
    let refused = phone
        .engine
        .create_person(&unknown)
        .await
        .expect_err("an unknown person");
    assert_eq!(kind_of(refused), ErrorKind::NotFound);
    Ok(())
}

fn contact_draft(persons: Vec<PersonId>, services: &[&str]) -> ContactDraft {
    ContactDraft {
        persons,
        services: services.iter().map(|s| s.to_string()).collect(),
        place: "Dworzec PKP, peron 1".into(),
        duration_min: Some(15),
        note: "zimno, prosi o śpiwór".into(),
        follow_up: "przynieść śpiwór".into(),
        follow_up_due: Some(Date::today()),
        ..ContactDraft::default()
    }
}

async fn a_contact_is_saved_listed_and_confirmed(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let phone = device_on(&field.server, "ola").await?;
    let zbyszek = phone.engine.create_person(&draft("Zbyszek", None)).await?;

    let saved = phone
        .engine
        .save_contact(&contact_draft(vec![zbyszek.id], &["food", "hot_drink"]))
        .await?;
    assert!(!saved.confirmed);
    assert_eq!(saved.persons.len(), 1);
    assert_eq!(saved.persons[0].alias, "Zbyszek");
    assert_eq!(saved.services, vec!["food", "hot_drink"]);
    assert_eq!(saved.follow_up, "przynieść śpiwór");
    assert_eq!(saved.at.warsaw_date(), Date::today());

    let today = phone.engine.contacts_on(Date::today()).await?;
    assert_eq!(
        today.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![saved.id]
    );
    let yesterday = Date(Date::today().0.pred_opt().expect("a day before"));
    assert!(phone.engine.contacts_on(yesterday).await?.is_empty());
    assert_eq!(
        phone.engine.recent_places().await?,
        vec!["Dworzec PKP, peron 1"]
    );

    phone.engine.sync_now().await?;
    let confirmed = phone.engine.contact(saved.id).await?;
    assert!(confirmed.confirmed);
    assert!(confirmed.persons[0].confirmed);
    let meta = phone.engine.record_meta(saved.id).await?;
    assert!(meta.confirmed);
    assert!(meta.conflicts.is_empty());
    assert_eq!(meta.history.len(), 1);

    // An edit: one service less, a new note; the history grows.
    let mut edit = contact_draft(vec![zbyszek.id], &["hot_drink"]);
    edit.id = Some(saved.id);
    edit.note = "dostał herbatę".into();
    edit.follow_up = String::new();
    let edited = phone.engine.save_contact(&edit).await?;
    assert_eq!(edited.services, vec!["hot_drink"]);
    assert_eq!(edited.note, "dostał herbatę");
    assert_eq!(edited.follow_up_due, None);
    assert!(!edited.confirmed);
    assert_eq!(phone.engine.record_meta(saved.id).await?.history.len(), 2);

    // The office sees the edited contact after a sync.
    phone.engine.sync_now().await?;
    let office = device_on(&field.server, "ewa").await?;
    let seen = office.engine.contact(saved.id).await?;
    assert_eq!(seen.note, "dostał herbatę");
    assert!(seen.confirmed);
    Ok(())
}

/// The persons met most recently (the home screen's rows): this worker's,
/// newest first, each once, with the services of their latest contact on
/// the device (a colleague's, too); and what waits, per kind.
async fn the_persons_met_recently_come_with_their_last_services(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let ola = device_on(&field.server, "ola").await?;
    let ewa = device_on(&field.server, "ewa").await?;
    let zbyszek = ola.engine.create_person(&draft("Zbyszek", None)).await?;
    let gosia = ola.engine.create_person(&draft("Gosia", None)).await?;
    let kazik = ola.engine.create_person(&draft("Kazik", None)).await?;
    assert!(ola.engine.recent_persons(5).await?.is_empty());

    // Ola meets Zbyszek, then Gosia, then Zbyszek again.
    ola.engine
        .save_contact(&contact_draft(vec![zbyszek.id], &["food"]))
        .await?;
    ola.engine
        .save_contact(&contact_draft(vec![gosia.id], &["information"]))
        .await?;
    ola.engine
        .save_contact(&contact_draft(vec![zbyszek.id], &["hot_drink"]))
        .await?;
    // Nothing of it has reached the server: three contacts and three
    // persons wait.
    let waiting = ola.engine.sync_view().await?.waiting;
    let count = |kind: &str| waiting.iter().find(|w| w.kind == kind).map(|w| w.pending);
    assert_eq!(count("contact"), Some(3));
    assert_eq!(count("person"), Some(3));
    assert_eq!(count("workshop"), None);
    ola.engine.sync_now().await?;
    assert!(ola.engine.sync_view().await?.waiting.is_empty());

    // Ewa meets Kazik; later Gosia, with other services.
    ewa.engine.sync_now().await?;
    ewa.engine
        .save_contact(&contact_draft(vec![kazik.id], &["food"]))
        .await?;
    ewa.engine
        .save_contact(&contact_draft(vec![gosia.id], &["food", "information"]))
        .await?;
    ewa.engine.sync_now().await?;
    ola.engine.sync_now().await?;

    let recent = ola.engine.recent_persons(5).await?;
    let shown: Vec<(&str, Vec<&str>)> = recent
        .iter()
        .map(|r| {
            (
                r.person.alias.as_str(),
                r.services.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    // Ola's own persons only (not Kazik), newest first, each once;
    // Gosia's services from Ewa's later contact.
    assert_eq!(
        shown,
        vec![
            ("Zbyszek", vec!["hot_drink"]),
            ("Gosia", vec!["food", "information"]),
        ]
    );
    assert_eq!(ola.engine.recent_persons(1).await?.len(), 1);
    assert_eq!(ewa.engine.recent_persons(5).await?.len(), 2);
    Ok(())
}

async fn an_anonymous_contact_is_linked_to_a_person(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let phone = device_on(&field.server, "ola").await?;
    let gosia = phone.engine.create_person(&draft("Gosia", None)).await?;
    let kazik = phone.engine.create_person(&draft("Kazik", None)).await?;
    let mut anonymous = contact_draft(vec![], &["hot_drink"]);
    anonymous.anonymous_count = 2;
    let saved = phone.engine.save_contact(&anonymous).await?;
    assert!(saved.persons.is_empty());

    let linked = phone.engine.link_contact_person(saved.id, gosia.id).await?;
    assert_eq!(linked.anonymous_count, 1);
    assert_eq!(
        linked.persons.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![gosia.id]
    );
    let again = phone
        .engine
        .link_contact_person(saved.id, gosia.id)
        .await
        .expect_err("already linked");
    assert_eq!(kind_of(again), ErrorKind::Invalid);

    let linked = phone.engine.link_contact_person(saved.id, kazik.id).await?;
    assert_eq!(linked.anonymous_count, 0);
    assert_eq!(linked.persons.len(), 2);
    let unknown = phone
        .engine
        .link_contact_person(saved.id, PersonId::random())
        .await
        .expect_err("unknown person");
    assert_eq!(kind_of(unknown), ErrorKind::NotFound);
    let third = phone.engine.create_person(&draft("Ela", None)).await?;
    let nobody_left = phone
        .engine
        .link_contact_person(saved.id, third.id)
        .await
        .expect_err("nobody anonymous left");
    assert_eq!(kind_of(nobody_left), ErrorKind::Invalid);
    let persons = phone.engine.list::<Person>().await?.len();
    let nobody_left = phone
        .engine
        .link_new_person(saved.id, &draft("Mirek", None))
        .await
        .expect_err("nobody anonymous left");
    assert_eq!(kind_of(nobody_left), ErrorKind::Invalid);
    assert_eq!(
        phone.engine.list::<Person>().await?.len(),
        persons,
        "a refused link created a person"
    );
    Ok(())
}

/// Weeks later the person met anonymously agrees to be registered: from
/// the contact, a new person (with the duplicate check) or someone
/// registered; merged and erased persons are refused with their own
/// kinds, and a refusal changes nothing.
async fn an_anonymous_contact_becomes_a_new_person(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let phone = device_on(&field.server, "ola").await?;
    let zbyszek = phone
        .engine
        .create_person(&draft("Zbyszek", Some(1970)))
        .await?;
    let mut anonymous = contact_draft(vec![], &["hot_drink"]);
    anonymous.anonymous_count = 3;
    let saved = phone.engine.save_contact(&anonymous).await?;
    let persons = phone.engine.list::<Person>().await?.len();

    // Like Zbyszek and not answered: refused, nothing created or linked.
    let refused = phone
        .engine
        .link_new_person(saved.id, &draft("Zbyszko", Some(1971)))
        .await
        .expect_err("a possible duplicate not answered");
    assert_eq!(kind_of(refused), ErrorKind::PossibleDuplicate);
    assert_eq!(phone.engine.list::<Person>().await?.len(), persons);
    let unchanged = phone.engine.contact(saved.id).await?;
    assert_eq!((unchanged.anonymous_count, unchanged.persons.len()), (3, 0));

    // "Someone else": registered with consent and linked, one fewer
    // anonymous; the answer is remembered on the new person.
    let mut zbyszko = draft("Zbyszko", Some(1971));
    zbyszko.distinct_from = vec![zbyszek.id];
    zbyszko.consent = Some(odnowa_shared::api::CONSENT_SCOPE_SERVICES.into());
    let linked = phone.engine.link_new_person(saved.id, &zbyszko).await?;
    assert_eq!(linked.anonymous_count, 2);
    let new_person = linked.persons.first().context("the new person")?;
    assert_eq!(new_person.alias, "Zbyszko");
    let stored = phone
        .engine
        .get::<Person>(new_person.id.doc_id())
        .await?
        .context("stored")?;
    assert!(stored.is_distinct_from(zbyszek.id));
    assert!(stored.consent.is_some_and(|c| c.withdrawn_at.is_none()));

    // Bad input: an unknown contact, a bad birth year.
    let unknown = phone
        .engine
        .link_new_person(DocId::random(), &draft("Mirek", None))
        .await
        .expect_err("unknown contact");
    assert_eq!(kind_of(unknown), ErrorKind::NotFound);
    let bad_year = phone
        .engine
        .link_new_person(saved.id, &draft("Mirek", Some(1492)))
        .await
        .expect_err("a birth year from 1492");
    assert_eq!(kind_of(bad_year), ErrorKind::Invalid);
    assert_eq!(phone.engine.list::<Person>().await?.len(), persons + 1);

    // The office merges Zbyszko into Zbyszek; a screen drawn before the
    // merge still offers Zbyszko: refused as merged, nothing linked.
    phone.engine.sync_now().await?;
    let by = odnowa_sync_server::writer::OfficeAuthor::admin_cli();
    field
        .server
        .sync
        .merge_person(&by, new_person.id, zbyszek.id)
        .await?;
    let mut second = contact_draft(vec![], &["food"]);
    second.anonymous_count = 1;
    let second = phone.engine.save_contact(&second).await?;
    phone.engine.sync_now().await?;
    let merged = phone
        .engine
        .link_contact_person(second.id, new_person.id)
        .await
        .expect_err("a merged person");
    assert_eq!(kind_of(merged), ErrorKind::Merged);
    let unchanged = phone.engine.contact(second.id).await?;
    assert_eq!((unchanged.anonymous_count, unchanged.persons.len()), (1, 0));

    // The office erases Zbyszek (and with him Zbyszko, merged into him):
    // gone from the device, a link to him is refused as not found.
    field
        .server
        .sync
        .erase_person(&by, zbyszek.id, "wniosek 3/2026", None)
        .await?;
    phone.engine.sync_now().await?;
    phone.engine.sync_now().await?;
    assert!(
        phone
            .engine
            .get::<Person>(zbyszek.id.doc_id())
            .await?
            .is_none(),
        "the erased person is still on the device"
    );
    let erased = phone
        .engine
        .link_contact_person(second.id, zbyszek.id)
        .await
        .expect_err("an erased person");
    assert_eq!(kind_of(erased), ErrorKind::NotFound);
    let unchanged = phone.engine.contact(second.id).await?;
    assert_eq!((unchanged.anonymous_count, unchanged.persons.len()), (1, 0));
    Ok(())
}

async fn two_tablets_tick_one_session_and_see_each_other(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let tablet_a = device_on(&field.server, "ewa").await?;
    let tablet_b = device_on(&field.server, "jan").await?;

    // Two children registered at the room, both known to both tablets.
    let session = tablet_a.engine.today_session(field.day_room).await?;
    let ala = tablet_a
        .engine
        .add_walk_in(session.id, &draft("Ala", Some(2015)))
        .await?;
    let ala_id = ala.board[0].person;
    tablet_a
        .engine
        .set_present(session.id, ala_id, false)
        .await?;
    // Ola looks like Ala (a letter and a year apart): the worker says she
    // is someone else, or the walk-in is refused.
    let mut ola = draft("Ola", Some(2016));
    let unanswered = tablet_a
        .engine
        .add_walk_in(session.id, &ola)
        .await
        .expect_err("Ola is like Ala");
    assert_eq!(kind_of(unanswered), ErrorKind::PossibleDuplicate);
    ola.distinct_from = vec![ala_id];
    let ola = tablet_a.engine.add_walk_in(session.id, &ola).await?;
    let ola_id = ola
        .board
        .iter()
        .find(|e| e.alias == "Ola")
        .map(|e| e.person)
        .expect("Ola on the board");
    tablet_a
        .engine
        .set_present(session.id, ola_id, false)
        .await?;
    tablet_a.engine.sync_now().await?;
    tablet_b.engine.sync_now().await?;

    // Offline: both tablets open today's session and tick.
    let on_a = tablet_a.engine.today_session(field.day_room).await?;
    let on_b = tablet_b.engine.today_session(field.day_room).await?;
    assert_eq!(on_a.id, on_b.id);
    assert_eq!(on_b.board.len(), 2, "{:?}", on_b.board);
    assert!(on_b.board.iter().all(|e| !e.present));
    tablet_a.engine.set_present(on_a.id, ala_id, true).await?;
    tablet_a.engine.add_meals(on_a.id, 2).await?;
    tablet_b.engine.set_present(on_b.id, ola_id, true).await?;
    tablet_b.engine.add_meals(on_b.id, 3).await?;

    for _ in 0..2 {
        tablet_a.engine.sync_now().await?;
        tablet_b.engine.sync_now().await?;
    }
    for tablet in [&tablet_a, &tablet_b] {
        let board = tablet.engine.today_session(field.day_room).await?;
        let present: Vec<&str> = board
            .board
            .iter()
            .filter(|e| e.present)
            .map(|e| e.alias.as_str())
            .collect();
        assert_eq!(present, vec!["Ala", "Ola"]);
        assert_eq!(board.meals, 5);
        assert!(board.confirmed);
        assert_eq!(board.conflicts, 0);
    }

    // Check-out on one tablet reaches the other.
    let out = tablet_b.engine.check_out(on_b.id, ala_id).await?;
    let ala_entry = out.board.iter().find(|e| e.person == ala_id).expect("Ala");
    assert!(ala_entry.check_out >= ala_entry.check_in);
    tablet_b.engine.sync_now().await?;
    tablet_a.engine.sync_now().await?;
    let seen = tablet_a.engine.day_session(on_a.id).await?;
    assert!(
        seen.board
            .iter()
            .any(|e| e.person == ala_id && e.check_out.is_some())
    );
    Ok(())
}

async fn a_walk_in_is_created_registered_and_present(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let tablet = device_on(&field.server, "ewa").await?;
    let session = tablet.engine.today_session(field.day_room).await?;
    assert!(session.board.is_empty());
    assert_eq!(session.date, Date::today());

    let after = tablet
        .engine
        .add_walk_in(
            session.id,
            &PersonDraft {
                alias: "Kuba".into(),
                birth_year: Some(2014),
                gender: "m".into(),
                consent: None,
                distinct_from: Vec::new(),
            },
        )
        .await?;
    assert_eq!(after.board.len(), 1);
    let entry = &after.board[0];
    assert_eq!(entry.alias, "Kuba");
    assert!(entry.present && entry.check_in.is_some());
    let person: Person = tablet
        .engine
        .get(entry.person.doc_id())
        .await?
        .expect("the walk-in's person");
    assert!(person.is_registered_at(field.day_room));
    assert_eq!(person.birth_year, Some(2014));

    // Tomorrow's board would list Kuba too: he is registered at the room.
    tablet
        .engine
        .set_present(session.id, entry.person, false)
        .await?;
    let board = tablet.engine.day_session(session.id).await?;
    assert_eq!(board.board.len(), 1);
    assert!(!board.board[0].present);
    assert!(board.board[0].check_in.is_none());
    Ok(())
}

async fn a_workshop_is_saved_and_read_back(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let tablet = device_on(&field.server, "marta").await?;
    let ala = tablet.engine.create_person(&draft("Ala", None)).await?;
    let kazik = tablet.engine.create_person(&draft("Kazik", None)).await?;
    let mut workshop = WorkshopDraft {
        id: None,
        date: Date::today(),
        site: field.workshop_room,
        theme: "Torby z banerów".into(),
        motif: "wzór z Podlasia".into(),
        materials: "stare banery, nici".into(),
        participants: vec![
            ParticipantDraft {
                person: ala.id,
                hours: 2.5,
            },
            ParticipantDraft {
                person: kazik.id,
                hours: 3.0,
            },
        ],
        items: vec![ItemDraft {
            name: "torba".into(),
            count: 2,
            made_by: Some(kazik.id),
        }],
    };
    let saved = tablet.engine.save_workshop(&workshop).await?;
    assert_eq!(saved.site_name, "Pracownia Odnowa");
    assert_eq!(saved.participants.len(), 2);
    assert_eq!(saved.participants[0].alias, "Ala");
    assert_eq!(saved.participants[0].hours, 2.5);
    assert_eq!(saved.items, workshop.items);

    // An edit: Ala leaves, one more item.
    workshop.id = Some(saved.id);
    workshop.participants.remove(0);
    workshop.items.push(ItemDraft {
        name: "portfel".into(),
        count: 1,
        made_by: None,
    });
    let edited = tablet.engine.save_workshop(&workshop).await?;
    assert_eq!(edited.participants.len(), 1);
    assert_eq!(edited.items.len(), 2);

    tablet.engine.sync_now().await?;
    let office = device_on(&field.server, "ewa").await?;
    let listed = office.engine.workshops().await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].theme, "Torby z banerów");
    assert_eq!(listed[0].items.len(), 2);
    assert!(listed[0].confirmed);
    assert_eq!(office.engine.workshop(saved.id).await?, listed[0]);
    Ok(())
}

async fn a_conflict_is_shown_and_resolved(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let phone = device_on(&field.server, "ola").await?;
    let tablet = device_on(&field.server, "ewa").await?;
    let mut contact = contact_draft(vec![], &["food"]);
    contact.anonymous_count = 1;
    let saved = phone.engine.save_contact(&contact).await?;
    phone.engine.sync_now().await?;
    tablet.engine.sync_now().await?;

    // Both edit the note offline.
    contact.id = Some(saved.id);
    contact.note = "ma psa".into();
    phone.engine.save_contact(&contact).await?;
    contact.note = "ma dwa psy".into();
    tablet.engine.save_contact(&contact).await?;
    for _ in 0..2 {
        phone.engine.sync_now().await?;
        tablet.engine.sync_now().await?;
    }

    assert_eq!(phone.engine.contact(saved.id).await?.conflicts, 1);
    let meta = phone.engine.record_meta(saved.id).await?;
    assert_eq!(meta.conflicts.len(), 1);
    let conflict = &meta.conflicts[0];
    assert_eq!(conflict.path, vec!["note".to_string()]);
    let mut values: Vec<&str> = conflict.versions.iter().map(|v| v.value.as_str()).collect();
    values.sort();
    assert_eq!(values, vec!["ma dwa psy", "ma psa"]);
    let tablets = conflict
        .versions
        .iter()
        .find(|v| v.value == "ma dwa psy")
        .expect("the tablet's version");
    assert_eq!(
        tablets.device,
        tablet.engine.identity().await.map(|i| i.device)
    );
    // Who: the user's name from the server and the device's name, as the
    // tablet wrote them beside its changes.
    assert_eq!(tablets.author.as_deref(), Some("ewa · ewa"));
    assert!(
        meta.history
            .iter()
            .any(|entry| entry.author.as_deref() == Some("ola · ola")),
        "the history names the phone's author: {:?}",
        meta.history
    );

    // The tablet's screen lists the versions too, before the phone picks.
    let on_the_tablet = tablet.engine.record_meta(saved.id).await?;
    assert_eq!(on_the_tablet.conflicts.len(), 1);
    let phones = on_the_tablet.conflicts[0]
        .versions
        .iter()
        .find(|v| v.value == "ma psa")
        .expect("the phone's version")
        .clone();

    let resolved = phone
        .engine
        .pick_version(saved.id, &conflict.path, &tablets.change)
        .await?;
    assert!(resolved.conflicts.is_empty());
    assert_eq!(phone.engine.contact(saved.id).await?.note, "ma dwa psy");
    let bad = phone
        .engine
        .pick_version(saved.id, &conflict.path, "not-a-change")
        .await
        .expect_err("no such version");
    assert_eq!(kind_of(bad), ErrorKind::Invalid);

    phone.engine.sync_now().await?;
    tablet.engine.sync_now().await?;
    let seen = tablet.engine.contact(saved.id).await?;
    assert_eq!((seen.note.as_str(), seen.conflicts), ("ma dwa psy", 0));

    // The tablet's worker taps the other version on the screen drawn
    // before the phone's pick came in: refused as settled, and the
    // phone's pick stays.
    let late = tablet
        .engine
        .pick_version(saved.id, &conflict.path, &phones.change)
        .await
        .expect_err("settled meanwhile");
    assert_eq!(kind_of(late), ErrorKind::Settled);
    let seen = tablet.engine.contact(saved.id).await?;
    assert_eq!((seen.note.as_str(), seen.conflicts), ("ma dwa psy", 0));
    assert!(tablet.engine.sync_view().await?.waiting.is_empty());
    Ok(())
}

async fn bad_input_is_refused_and_stores_nothing(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let phone = device_on(&field.server, "ola").await?;
    let zbyszek = phone.engine.create_person(&draft("Zbyszek", None)).await?;
    let session = phone.engine.today_session(field.day_room).await?;
    let stored = phone.engine.doc_count().await?;
    let expect = |result: Result<(), EngineError>, kind: ErrorKind, what: &str| {
        let error = result.expect_err(what);
        let error = CommandError::from(error);
        assert_eq!(error.kind, kind, "{what}: {}", error.message);
        assert!(!error.message.is_empty());
        error.message
    };

    let message = expect(
        phone
            .engine
            .save_contact(&contact_draft(vec![zbyszek.id], &["massage"]))
            .await
            .map(drop),
        ErrorKind::Invalid,
        "unknown service code",
    );
    assert!(message.contains("massage"), "{message}");
    expect(
        phone
            .engine
            .save_contact(&contact_draft(vec![], &["food"]))
            .await
            .map(drop),
        ErrorKind::Invalid,
        "nobody met",
    );
    expect(
        phone
            .engine
            .save_contact(&contact_draft(vec![PersonId::random()], &["food"]))
            .await
            .map(drop),
        ErrorKind::NotFound,
        "unknown person",
    );
    let mut negative = contact_draft(vec![zbyszek.id], &["food"]);
    negative.duration_min = Some(-5);
    expect(
        phone.engine.save_contact(&negative).await.map(drop),
        ErrorKind::Invalid,
        "negative duration",
    );
    let mut unknown_id = contact_draft(vec![zbyszek.id], &["food"]);
    unknown_id.id = Some(DocId::random());
    expect(
        phone.engine.save_contact(&unknown_id).await.map(drop),
        ErrorKind::NotFound,
        "unknown contact id",
    );
    expect(
        phone.engine.contact(zbyszek.id.doc_id()).await.map(drop),
        ErrorKind::NotFound,
        "a person is not a contact",
    );
    expect(
        phone
            .engine
            .create_person(&draft("   ", None))
            .await
            .map(drop),
        ErrorKind::Invalid,
        "empty alias",
    );
    expect(
        phone
            .engine
            .create_person(&draft("Stary", Some(1800)))
            .await
            .map(drop),
        ErrorKind::Invalid,
        "birth year",
    );
    let mut odd_gender = draft("Ktoś", None);
    odd_gender.gender = "q".into();
    expect(
        phone.engine.create_person(&odd_gender).await.map(drop),
        ErrorKind::Invalid,
        "gender",
    );
    let workshop = WorkshopDraft {
        id: None,
        date: Date::today(),
        site: field.workshop_room,
        theme: "Torby".into(),
        motif: String::new(),
        materials: String::new(),
        participants: vec![ParticipantDraft {
            person: zbyszek.id,
            hours: -1.0,
        }],
        items: vec![],
    };
    expect(
        phone.engine.save_workshop(&workshop).await.map(drop),
        ErrorKind::Invalid,
        "negative hours",
    );
    let unknown_site = WorkshopDraft {
        site: SiteId::random(),
        participants: vec![],
        ..workshop.clone()
    };
    expect(
        phone.engine.save_workshop(&unknown_site).await.map(drop),
        ErrorKind::Invalid,
        "unknown site",
    );
    expect(
        phone.engine.today_session(SiteId::random()).await.map(drop),
        ErrorKind::Invalid,
        "unknown day room",
    );
    expect(
        phone.engine.add_meals(session.id, -1).await.map(drop),
        ErrorKind::Invalid,
        "meals below zero",
    );
    expect(
        phone
            .engine
            .check_out(session.id, zbyszek.id)
            .await
            .map(drop),
        ErrorKind::Invalid,
        "check-out of somebody absent",
    );
    expect(
        phone
            .engine
            .set_present(DocId::random(), zbyszek.id, true)
            .await
            .map(drop),
        ErrorKind::NotFound,
        "unknown session",
    );
    expect(
        phone
            .engine
            .set_present(session.id, PersonId::random(), true)
            .await
            .map(drop),
        ErrorKind::NotFound,
        "unknown person on the board",
    );
    expect(
        phone.engine.record_meta(DocId::random()).await.map(drop),
        ErrorKind::NotFound,
        "unknown record",
    );

    assert_eq!(
        phone.engine.doc_count().await?,
        stored,
        "nothing was stored"
    );
    assert!(phone.engine.contacts_on(Date::today()).await?.is_empty());
    assert!(phone.engine.workshops().await?.is_empty());
    let board = phone.engine.day_session(session.id).await?;
    assert!(board.board.is_empty());
    assert_eq!(board.meals, 0);
    Ok(())
}

async fn enrolment_and_first_sync_progress(backend: Backend) -> Result<()> {
    let field = field(backend).await?;
    let office = device_on(&field.server, "office2").await?;
    for i in 0..30 {
        office
            .engine
            .save(&Person::new(&format!("Osoba {i}"), Timestamp::now()))
            .await?;
    }
    office.engine.sync_now().await?;

    let dir = tempfile::tempdir()?;
    let engine = Engine::open_with(dir.path(), quick_policy()).await?;
    let not_yet = engine
        .create_person(&draft("Zbyszek", None))
        .await
        .expect_err("not enrolled");
    assert_eq!(kind_of(not_yet), ErrorKind::NotEnrolled);
    assert!(engine.app_info().await?.identity.is_none());
    let request = |code: &str, server: String| EnrolRequest {
        server,
        code: code.into(),
        device_name: "Tablet świetlicy".into(),
        pin: odnowa_tests::TEST_PIN.into(),
    };
    let bad = engine
        .enrol_device(&request("not-a-code", field.server.url()))
        .await
        .expect_err("bad code");
    assert_eq!(kind_of(bad), ErrorKind::BadCode);
    let unreachable = engine
        .enrol_device(&request("x", "http://127.0.0.1:9".into()))
        .await
        .expect_err("nobody listens on port 9");
    assert_eq!(kind_of(unreachable), ErrorKind::Unreachable);

    let code = field
        .server
        .user_with_code("kasia", &["registry", TEAM], &[])
        .await?;
    let info = engine
        .enrol_device(&request(&code, field.server.url()))
        .await?;
    assert!(info.identity.is_some());
    let before = engine.sync_view().await?;
    assert!(before.enrolled);
    assert_eq!(before.first_sync, Some(Default::default()));
    assert_eq!(before.records, 0);

    let after = engine.sync_now_view().await?;
    assert_eq!(after.first_sync, None);
    assert!(after.online);
    assert_eq!(after.pending, 0);
    // 30 persons, the catalogue, and nothing else.
    assert_eq!(after.records, 31);
    // The sync kept each record's decoded view (sealed) as it stored it,
    // before any screen read: the first screens open views instead of
    // loading every document again. And they read what the records hold.
    let file = dir.path().join("odnowa.sqlite");
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!(
        "sqlite:{}",
        file.display()
    ))
    .await?;
    let (viewed, rows): (i64, i64) = sqlx::query_as("SELECT count(view), count(*) FROM docs")
        .fetch_one(&mut conn)
        .await?;
    sqlx::Connection::close(conn).await?;
    assert_eq!((viewed, rows), (31, 31));
    let mut found = aliases(&engine, "osoba").await?;
    found.sort();
    let mut expected: Vec<String> = (0..30).map(|i| format!("Osoba {i}")).collect();
    expected.sort();
    assert_eq!(found, expected);
    let info = engine.app_info().await?;
    let identity = info.identity.expect("enrolled");
    let mut spaces = identity.writable_spaces.clone();
    spaces.sort();
    let mut expect = vec!["registry".to_string(), TEAM.to_string()];
    expect.sort();
    assert_eq!(spaces, expect);
    Ok(())
}

odnowa_tests::on_both_backends!(
    search_ignores_case_and_diacritics,
    a_similar_person_gives_a_duplicate_warning,
    a_contact_is_saved_listed_and_confirmed,
    the_persons_met_recently_come_with_their_last_services,
    an_anonymous_contact_is_linked_to_a_person,
    an_anonymous_contact_becomes_a_new_person,
    two_tablets_tick_one_session_and_see_each_other,
    a_walk_in_is_created_registered_and_present,
    a_workshop_is_saved_and_read_back,
    a_conflict_is_shown_and_resolved,
    bad_input_is_refused_and_stores_nothing,
    enrolment_and_first_sync_progress,
);
