//! The city report on a fixture consortium whose answers are written here
//! by hand: two members, records made on real devices and synced through a
//! real server, projected in the append transaction, counted by the
//! report. Unique persons across members, a merged duplicate, anonymous
//! head counts, month boundaries in Europe/Warsaw (winter and summer time),
//! a contact that arrives after the report was frozen, the XLSX and CSV
//! exports, and a rebuild of the projections that gives the same rows.
//! On SQLite and PostgreSQL.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use calamine::{Data, Reader, Xlsx};
use odnowa_shared::ids::{OrgId, PersonId, SiteId, SpaceId, UserId};
use odnowa_shared::office::{Figures, Month, Period, ServiceEdit, SiteEdit};
use odnowa_shared::records::{Contact, DaySession, Gender, Person};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_sync_server::report::{self, ReportError};
use odnowa_sync_server::writer::OfficeAuthor;
use odnowa_sync_server::{admin, export, projection};
use odnowa_tests::{Backend, TestDevice, TestServer};

const STREET_A: &str = "Streetwork — Przystań";
const DAY_ROOM_B: &str = "Świetlica — Odnowa";

/// Milliseconds of an instant given in UTC.
fn utc(text: &str) -> Timestamp {
    let at = chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 instant");
    Timestamp(at.timestamp_millis())
}

fn period(text: &str) -> Period {
    text.parse().expect("a period")
}

struct Consortium {
    server: TestServer,
    org_a: OrgId,
    org_b: OrgId,
    phone_a: TestDevice,
    tablet_b: TestDevice,
    space_a: SpaceId,
    space_b: SpaceId,
    ola: UserId,
    jan: UserId,
    day_room: SiteId,
}

fn office() -> OfficeAuthor {
    OfficeAuthor {
        user: UserId::random(),
        name: "Biuro".into(),
    }
}

async fn consortium(backend: Backend) -> Result<Consortium> {
    let server = TestServer::start(backend).await?;
    let org_a = admin::create_member(&server.sync, "Stowarzyszenie Przystań").await?;
    let org_b = admin::create_member(&server.sync, "Spółdzielnia Odnowa").await?;
    admin::create_space(&server.db, STREET_A, Some("Stowarzyszenie Przystań")).await?;
    admin::create_space(&server.db, DAY_ROOM_B, Some("Spółdzielnia Odnowa")).await?;
    let by = office();
    for (code, pl, en) in [
        ("food", "Posiłek / żywność", "Food"),
        ("hot_drink", "Gorący napój", "Hot drink"),
        (
            "conversation",
            "Rozmowa wspierająca",
            "Supportive conversation",
        ),
        ("day_room", "Pobyt w świetlicy", "Day-room attendance"),
    ] {
        let mut edit = ServiceEdit {
            code: code.into(),
            name_pl: pl.into(),
            name_en: en.into(),
            org: None,
            retired: false,
            contract_from: None,
            contract_to: None,
            targets: BTreeMap::new(),
        };
        if code == "food" {
            edit.contract_from = Some("2026-01-01".parse()?);
            edit.contract_to = Some("2026-12-31".parse()?);
            edit.targets.insert("unique_persons".into(), 120);
        }
        server.sync.put_service(&by, &edit).await?;
    }
    let catalogue = server
        .sync
        .put_site(
            &by,
            &SiteEdit {
                id: None,
                name: "Świetlica Odnowa".into(),
                site_kind: "day_room".into(),
                org: Some(org_b),
            },
        )
        .await?;
    let day_room: SiteId = catalogue.sites.keys().next().context("the site")?.parse()?;

    let code = server
        .user_with_code("ola", &["registry", STREET_A], &[])
        .await?;
    let phone_a = TestDevice::enrol(&server.url(), &code, "Telefon Oli").await?;
    let code = server
        .user_with_code("jan", &["registry", DAY_ROOM_B], &[])
        .await?;
    let tablet_b = TestDevice::enrol(&server.url(), &code, "Tablet Jana").await?;
    phone_a.engine.sync_now().await?;
    tablet_b.engine.sync_now().await?;
    Ok(Consortium {
        space_a: server.db.space_by_name(STREET_A).await?,
        space_b: server.db.space_by_name(DAY_ROOM_B).await?,
        ola: server.db.user_by_name("ola").await?,
        jan: server.db.user_by_name("jan").await?,
        server,
        org_a,
        org_b,
        phone_a,
        tablet_b,
        day_room,
    })
}

async fn person(
    device: &TestDevice,
    alias: &str,
    gender: &str,
    born: i64,
    created: &str,
) -> Result<PersonId> {
    let mut person = Person::new(alias, utc(created));
    person.gender = Gender::new(gender);
    person.birth_year = Some(born);
    device.engine.save(&person).await?;
    Ok(person.person_id())
}

struct Visit<'a> {
    at: &'a str,
    persons: Vec<PersonId>,
    services: Vec<&'static str>,
    minutes: i64,
    anonymous: i64,
}

async fn contact(
    device: &TestDevice,
    space: SpaceId,
    worker: UserId,
    visit: Visit<'_>,
) -> Result<()> {
    let mut contact = Contact::new(space, worker, utc(visit.at));
    for person in visit.persons {
        contact = contact.with_person(person);
    }
    for service in visit.services {
        contact = contact.with_service(service);
    }
    contact.duration_min = Some(visit.minutes);
    contact.anonymous_count = visit.anonymous;
    device.engine.save(&contact).await?;
    Ok(())
}

/// Figures written by hand: records, unique, new, anonymous, minutes.
fn figures(records: i64, unique: i64, new: i64, anonymous: i64, minutes: i64) -> Figures {
    Figures {
        records,
        unique_persons: unique,
        new_persons: new,
        anonymous,
        minutes,
        ..Figures::default()
    }
}

/// The five plain figures of a cell (the breakdowns are checked apart).
fn plain(f: &Figures) -> Figures {
    figures(
        f.records,
        f.unique_persons,
        f.new_persons,
        f.anonymous,
        f.minutes,
    )
}

fn row<'a>(
    report: &'a odnowa_shared::office::Report,
    service: &str,
    org: OrgId,
) -> Result<&'a odnowa_shared::office::ReportRow> {
    report
        .rows
        .iter()
        .find(|r| r.service == service && r.org == Some(org))
        .with_context(|| format!("no row {service} × {org}"))
}

fn total<'a>(
    report: &'a odnowa_shared::office::Report,
    service: &str,
) -> Result<&'a odnowa_shared::office::ServiceTotal> {
    report
        .services
        .iter()
        .find(|s| s.service == service)
        .with_context(|| format!("no total of {service}"))
}

async fn the_city_report_counts_what_the_consortium_did(backend: Backend) -> Result<()> {
    let c = consortium(backend).await?;
    let (a, b) = (&c.phone_a, &c.tablet_b);
    // Persons. Marek registers at 23:30 UTC on 31 October: 1 November in Warsaw.
    let zbyszek = person(a, "Zbyszek", "male", 1970, "2026-09-15T10:00:00Z").await?;
    let zbigniew = person(a, "Zbigniew", "male", 1970, "2026-11-03T10:00:00Z").await?;
    let ania = person(b, "Ania", "female", 1990, "2026-11-10T10:00:00Z").await?;
    let marek = person(b, "Marek", "male", 2010, "2026-10-31T23:30:00Z").await?;

    let street = |at, persons: &[PersonId], services: &[&'static str], minutes, anonymous| Visit {
        at,
        persons: persons.to_vec(),
        services: services.to_vec(),
        minutes,
        anonymous,
    };
    // Member A, street work.
    // 23:30 UTC on 31 October is 00:30 on 1 November in Warsaw (CET).
    contact(
        a,
        c.space_a,
        c.ola,
        street(
            "2026-10-31T23:30:00Z",
            &[zbyszek],
            &["food", "hot_drink"],
            20,
            0,
        ),
    )
    .await?;
    // 22:30 UTC on 31 October is still 31 October in Warsaw.
    contact(
        a,
        c.space_a,
        c.ola,
        street("2026-10-31T22:30:00Z", &[zbyszek], &["food"], 10, 0),
    )
    .await?;
    contact(
        a,
        c.space_a,
        c.ola,
        street("2026-11-15T12:00:00Z", &[zbigniew, ania], &["food"], 30, 2),
    )
    .await?;
    contact(
        a,
        c.space_a,
        c.ola,
        street("2026-11-05T20:00:00Z", &[], &["hot_drink"], 5, 3),
    )
    .await?;
    // Member B: Zbyszek again (both members served him), and Ania in December.
    contact(
        b,
        c.space_b,
        c.jan,
        street(
            "2026-11-20T10:00:00Z",
            &[zbyszek],
            &["food", "conversation"],
            45,
            0,
        ),
    )
    .await?;
    contact(
        b,
        c.space_b,
        c.jan,
        street("2026-11-30T23:30:00Z", &[ania], &["food"], 10, 0),
    )
    .await?;
    // Summer time (CEST, +2): 22:30 UTC on 31 July is 1 August; 21:30 UTC is 31 July.
    contact(
        b,
        c.space_b,
        c.jan,
        street("2026-07-31T22:30:00Z", &[ania], &["conversation"], 15, 0),
    )
    .await?;
    contact(
        b,
        c.space_b,
        c.jan,
        street("2026-07-31T21:30:00Z", &[ania], &["conversation"], 15, 0),
    )
    .await?;
    // Member B's day room: Marek from 10:00 to 12:00 on 12 November.
    let date: Date = "2026-11-12".parse()?;
    let session = b
        .engine
        .open_day_session(c.space_b, c.day_room, date)
        .await?;
    b.engine
        .update::<DaySession>(session.id, |s| {
            s.mark_present(marek, c.jan, utc("2026-11-12T09:00:00Z"));
            if let Some(entry) = s.attendance.get_mut(&marek.to_string()) {
                entry.check_out = Some(utc("2026-11-12T11:00:00Z"));
            }
        })
        .await?;
    a.engine.sync_now().await?;
    b.engine.sync_now().await?;

    // November before the merge: Zbigniew is someone else, and new.
    let november = period("2026-11");
    let before = report::report(&c.server.sync, november).await?;
    assert_eq!(
        plain(&row(&before, "food", c.org_a)?.figures),
        figures(2, 3, 2, 2, 50)
    );

    // The office merges Zbigniew into Zbyszek.
    c.server
        .sync
        .merge_person(&office(), zbigniew, zbyszek)
        .await?;
    let report = report::report(&c.server.sync, november).await?;
    let food_a = &row(&report, "food", c.org_a)?.figures;
    assert_eq!(plain(food_a), figures(2, 2, 1, 2, 50));
    assert_eq!(
        food_a.by_gender,
        [("female".into(), 1), ("male".into(), 1)].into()
    );
    assert_eq!(
        food_a.by_age,
        [("30-49".into(), 1), ("50-64".into(), 1)].into()
    );
    assert_eq!(
        plain(&row(&report, "hot_drink", c.org_a)?.figures),
        figures(2, 1, 0, 3, 25)
    );
    assert_eq!(
        plain(&row(&report, "food", c.org_b)?.figures),
        figures(1, 1, 0, 0, 45)
    );
    assert_eq!(
        plain(&row(&report, "conversation", c.org_b)?.figures),
        figures(1, 1, 0, 0, 45)
    );
    let day_room = &row(&report, "day_room", c.org_b)?.figures;
    assert_eq!(plain(day_room), figures(1, 1, 1, 0, 120));
    assert_eq!(day_room.by_age, [("0-17".into(), 1)].into());
    assert_eq!(report.rows.len(), 5, "{:#?}", report.rows);
    // Zbyszek was served by both members: once in the service total.
    assert_eq!(
        plain(&total(&report, "food")?.figures),
        figures(3, 2, 1, 2, 95)
    );
    assert_eq!(plain(&report.consortium), figures(5, 3, 2, 5, 220));
    assert_eq!(total(&report, "food")?.service_pl, "Posiłek / żywność");
    assert_eq!(
        row(&report, "food", c.org_b)?.org_name,
        "Spółdzielnia Odnowa"
    );
    // Food's contract target: persons served from January to November.
    let target = &total(&report, "food")?.targets;
    assert_eq!(target.len(), 1);
    assert_eq!((target[0].target, target[0].achieved), (120, 2));

    // Month boundaries.
    let october = report::report(&c.server.sync, period("2026-10")).await?;
    assert_eq!(plain(&october.consortium), figures(1, 1, 0, 0, 10));
    let december = report::report(&c.server.sync, period("2026-12")).await?;
    assert_eq!(plain(&december.consortium), figures(1, 1, 0, 0, 10));
    let august = report::report(&c.server.sync, period("2026-08")).await?;
    assert_eq!(plain(&august.consortium), figures(1, 1, 0, 0, 15));
    let july = report::report(&c.server.sync, period("2026-07")).await?;
    assert_eq!(plain(&july.consortium), figures(1, 1, 0, 0, 15));
    let q4 = report::report(&c.server.sync, period("2026-Q4")).await?;
    assert_eq!(q4.consortium.records, 7);

    // The dashboard shows November and the eleven months before.
    let dashboard = report::dashboard(
        &c.server.sync,
        Month {
            year: 2026,
            month: 11,
        },
    )
    .await?;
    assert_eq!(dashboard.months.len(), 12);
    let points: Vec<(String, i64)> = dashboard
        .months
        .iter()
        .filter(|p| p.records > 0)
        .map(|p| (p.month.to_string(), p.records))
        .collect();
    assert_eq!(
        points,
        [
            ("2026-07".to_string(), 1),
            ("2026-08".into(), 1),
            ("2026-10".into(), 1),
            ("2026-11".into(), 5)
        ]
    );
    assert_eq!(dashboard.services.len(), 4);

    // The office submits November; a tablet that was offline brings a
    // contact of 25 November afterwards.
    let frozen = report::freeze(&c.server.sync, november, "Biuro").await?;
    assert_eq!(frozen.frozen.as_ref().map(|f| f.by.as_str()), Some("Biuro"));
    assert!(matches!(
        report::freeze(&c.server.sync, november, "Biuro").await,
        Err(ReportError::AlreadyFrozen(_))
    ));
    contact(
        b,
        c.space_b,
        c.jan,
        street("2026-11-25T09:00:00Z", &[ania], &["food"], 15, 0),
    )
    .await?;
    b.engine.sync_now().await?;
    let later = report::report(&c.server.sync, november).await?;
    let food_b = row(&later, "food", c.org_b)?;
    assert_eq!(
        plain(food_b.submitted.as_ref().context("submitted")?),
        figures(1, 1, 0, 0, 45)
    );
    assert_eq!(plain(&food_b.figures), figures(2, 2, 1, 0, 60));
    let delta = food_b
        .figures
        .minus(food_b.submitted.as_ref().context("submitted")?);
    assert_eq!(plain(&delta), figures(1, 1, 1, 0, 15));
    assert_eq!(delta.by_gender, [("female".into(), 1)].into());
    let food = total(&later, "food")?;
    assert_eq!(
        plain(
            &food
                .figures
                .minus(food.submitted.as_ref().context("submitted")?)
        ),
        figures(1, 0, 0, 0, 15),
        "Ania was already counted in food in November"
    );
    assert_eq!(
        plain(later.submitted_consortium.as_ref().context("submitted")?),
        figures(5, 3, 2, 5, 220)
    );

    // The exports: the submitted figures, and the delta apart.
    let csv = export::report_csv(&later);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "Część,Usługa,Kod usługi,Organizacja członkowska,Kontakty / sesje,Unikalne osoby,Nowe osoby,\
             Osoby anonimowe,Godziny,Kobiety,Mężczyźni,Inna płeć,Płeć nieznana,Wiek 0-17,Wiek 18-29,\
             Wiek 30-49,Wiek 50-64,Wiek 65+,Wiek nieznany"
        )
    );
    assert!(
        csv.contains("Złożono,Posiłek / żywność,food,Spółdzielnia Odnowa,1,1,0,0,0.75,"),
        "{csv}"
    );
    assert!(
        csv.contains(
            "Zmiana po złożeniu,Posiłek / żywność,food,Spółdzielnia Odnowa,1,1,1,0,0.25,1,0,0,0,"
        ),
        "{csv}"
    );
    let bytes = export::report_xlsx(&later)?;
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))?;
    let sheet = workbook.worksheet_range("Raport")?;
    let cell = |r: u32, col: u32| sheet.get_value((r, col)).cloned().unwrap_or(Data::Empty);
    assert_eq!(cell(0, 1), Data::String("2026-11".into()));
    assert_eq!(cell(3, 5), Data::String("Unikalne osoby".into()));
    let food_b_line = (4..sheet.height() as u32)
        .find(|r| {
            cell(*r, 0) == Data::String("Złożono".into())
                && cell(*r, 2) == Data::String("food".into())
                && cell(*r, 3) == Data::String("Spółdzielnia Odnowa".into())
        })
        .context("the submitted row of food × Odnowa")?;
    assert_eq!(cell(food_b_line, 4), Data::Float(1.0));
    assert_eq!(cell(food_b_line, 8), Data::Float(0.75));
    let consortium_line = (4..sheet.height() as u32)
        .find(|r| {
            cell(*r, 0) == Data::String("Złożono".into())
                && cell(*r, 3) == Data::String("Konsorcjum ogółem".into())
        })
        .context("the consortium total")?;
    assert_eq!(cell(consortium_line, 5), Data::Float(3.0));
    let targets = workbook.worksheet_range("Cele")?;
    assert_eq!(targets.get_value((1, 2)), Some(&Data::Float(120.0)));
    Ok(())
}

/// Every projection table's rows, sorted, as text.
async fn dump(server: &TestServer) -> Result<Vec<String>> {
    let mut rows = Vec::new();
    let db = server.database.url.clone();
    let tables = [
        "SELECT id || '|' || alias || '|' || alias_folded || '|' || COALESCE(CAST(birth_year AS TEXT), '') || '|' || gender || '|' || COALESCE(merged_into, '') || '|' || CAST(created_at AS TEXT) || '|' || created_day FROM p_persons",
        "SELECT doc_id || '|' || kind || '|' || space_id || '|' || COALESCE(org_id, '') || '|' || COALESCE(site_id, '') || '|' || COALESCE(worker_id, '') || '|' || CAST(at AS TEXT) || '|' || day || '|' || place || '|' || CAST(anonymous_count AS TEXT) || '|' || CAST(minutes AS TEXT) || '|' || CAST(first_seen_at AS TEXT) FROM p_records",
        "SELECT doc_id || '|' || service || '|' || CAST(quantity AS TEXT) || '|' || day FROM p_record_services",
        "SELECT doc_id || '|' || person_id || '|' || CAST(minutes AS TEXT) || '|' || day FROM p_record_persons",
    ];
    if db.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&db).await?;
        for sql in tables {
            let mut found: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await?;
            found.sort();
            rows.push(format!("{sql}: {}", found.len()));
            rows.extend(found);
        }
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(&db).await?;
        for sql in tables {
            let mut found: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await?;
            found.sort();
            rows.push(format!("{sql}: {}", found.len()));
            rows.extend(found);
        }
        pool.close().await;
    }
    Ok(rows)
}

async fn a_rebuild_gives_the_same_rows(backend: Backend) -> Result<()> {
    let c = consortium(backend).await?;
    let (a, b) = (&c.phone_a, &c.tablet_b);
    let zbyszek = person(a, "Żbyszek", "male", 1970, "2026-09-15T10:00:00Z").await?;
    let ania = person(b, "Ania", "", 1990, "2026-11-10T10:00:00Z").await?;
    for (i, at) in ["2026-11-01T10:00:00Z", "2026-11-02T10:00:00Z"]
        .into_iter()
        .enumerate()
    {
        let visit = Visit {
            at,
            persons: vec![zbyszek, ania],
            services: vec!["food", "hot_drink"],
            minutes: 10 + i as i64,
            anonymous: i as i64,
        };
        contact(a, c.space_a, c.ola, visit).await?;
    }
    let session = b
        .engine
        .open_day_session(c.space_b, c.day_room, "2026-11-12".parse()?)
        .await?;
    b.engine.mark_present(session.id, ania).await?;
    a.engine.sync_now().await?;
    b.engine.sync_now().await?;
    c.server.sync.merge_person(&office(), ania, zbyszek).await?;

    let incremental = dump(&c.server).await?;
    assert!(incremental.len() > 10, "{incremental:#?}");
    let done = projection::rebuild(c.server.sync.db()).await?;
    assert_eq!(done.projected, 5, "2 persons, 2 contacts, 1 day session");
    assert_eq!(dump(&c.server).await?, incremental);
    // Twice is the same as once.
    projection::rebuild(c.server.sync.db()).await?;
    assert_eq!(dump(&c.server).await?, incremental);
    Ok(())
}

odnowa_tests::on_both_backends!(
    the_city_report_counts_what_the_consortium_did,
    a_rebuild_gives_the_same_rows,
);
