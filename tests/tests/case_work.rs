//! Case work across the consortium through the device engine's commands,
//! against a real sync server on 127.0.0.1 (SQLite and PostgreSQL) with
//! three member organisations: a person's file, a needs diagnosis, an
//! individual programme edited on two devices at once, a referral from A
//! to a service of B that B answers and C never sees, and bad input that
//! stores nothing.

use anyhow::Result;
use odnowa_app::engine::EngineError;
use odnowa_shared::api::{
    ClosingDraft, ContactDraft, DiagnosisDraft, DomainDraft, DueKind, ErrorKind, EventKind,
    NoteDraft, PersonDraft, ProgrammeDraft, ReferralAnswer, ReferralDraft, ReviewDraft, StepDraft,
};
use odnowa_shared::ids::{DocId, OrgId, PersonId};
use odnowa_shared::office::{CaseWork, Timeline, path};
use odnowa_shared::records::{
    CaseNotes, Catalogue, CatalogueInstitution, Diagnosis, Programme, Referral, ReferralStatus,
    carrier::Carrier, consent_scope,
};
use odnowa_shared::time::Date;
use odnowa_tests::office::OfficeClient;
use odnowa_tests::{Backend, TestDevice, TestServer};

const TEAM_A: &str = "Streetwork A";
const TEAM_B: &str = "Day room B";
const TEAM_C: &str = "Team C";

/// Three member organisations, each with a team space; a shelter service
/// of B and the labour office in the catalogue.
struct Consortium {
    server: TestServer,
    b: OrgId,
}

async fn consortium(backend: Backend) -> Result<Consortium> {
    let server = TestServer::start(backend).await?;
    server
        .members(&[
            ("Org A", &[TEAM_A]),
            ("Org B", &[TEAM_B]),
            ("Org C", &[TEAM_C]),
        ])
        .await?;
    let b = server.db.org_by_name("Org B").await?;
    let mut catalogue = server.sync.catalogue().await?;
    catalogue
        .services
        .extend(Catalogue::with_default_services().services);
    catalogue.put_service("night_shelter", "Noclegownia", "Night shelter");
    if let Some(s) = catalogue.services.get_mut("night_shelter") {
        s.org = Some(b);
    }
    catalogue.institutions.insert(
        "pup".into(),
        CatalogueInstitution {
            name: "Powiatowy Urząd Pracy".into(),
            institution_kind: "labour_office".into(),
            address: "ul. Kolejowa 1".into(),
            phone: "+48 12 000 00 00".into(),
            retired: false,
        },
    );
    server.write_catalogue(&catalogue).await?;
    Ok(Consortium { server, b })
}

fn kind_of(error: EngineError) -> ErrorKind {
    odnowa_shared::api::CommandError::from(error).kind
}

fn day(s: &str) -> Date {
    s.parse().expect("a date")
}

async fn worker(server: &TestServer, name: &str, team: &str) -> Result<TestDevice> {
    server.device_on(name, &["registry", team]).await
}

/// A person registered by A with consent to share their diagnosis (not
/// their programme), synced.
async fn zenek(a: &TestDevice) -> Result<PersonId> {
    let person = a
        .engine
        .create_person(&PersonDraft {
            alias: "Zenek".into(),
            birth_year: Some(1968),
            gender: "m".into(),
            consent: Some(format!(
                "{} {}",
                consent_scope::SERVICES,
                consent_scope::SHARE_DIAGNOSIS
            )),
            distinct_from: Vec::new(),
        })
        .await?;
    Ok(person.id)
}

fn diagnosis(person: PersonId, on: &str, housing: i64, income: i64) -> DiagnosisDraft {
    DiagnosisDraft {
        person,
        assessed_on: day(on),
        domains: vec![
            DomainDraft {
                code: "housing".into(),
                level: housing,
                note: "śpi na dworcu".into(),
            },
            DomainDraft {
                code: "income".into(),
                level: income,
                note: String::new(),
            },
        ],
        wishes: "chce mieszkać z córką".into(),
        household: Vec::new(),
    }
}

async fn a_person_s_file_diagnosis_programme_and_referral(backend: Backend) -> Result<()> {
    let Consortium { server, b } = consortium(backend).await?;
    let ola = worker(&server, "ola", TEAM_A).await?;
    let jan = worker(&server, "jan", TEAM_B).await?;
    let cyryl = worker(&server, "cyryl", TEAM_C).await?;
    let person = zenek(&ola).await?;

    // A contact and a note, then the file shows them, newest first.
    ola.engine
        .save_contact(&ContactDraft {
            persons: vec![person],
            services: vec!["food".into()],
            place: "Dworzec".into(),
            ..ContactDraft::default()
        })
        .await?;
    let file = ola
        .engine
        .add_note(&NoteDraft {
            person,
            text: "Ma zaświadczenie o bezdomności z OPS".into(),
        })
        .await?;
    let kinds: Vec<EventKind> = file.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Note, EventKind::Contact]);
    assert!(file.may_write);

    // Two diagnoses: the later one shows the change per domain.
    ola.engine
        .save_diagnosis(&diagnosis(person, "2026-10-01", 1, 2))
        .await?;
    let later = ola
        .engine
        .save_diagnosis(&diagnosis(person, "2026-11-15", 3, 2))
        .await?;
    let change: Vec<(String, Option<i64>)> = later
        .domains
        .iter()
        .map(|d| (d.code.clone(), d.change))
        .collect();
    assert_eq!(
        change,
        [("housing".into(), Some(2)), ("income".into(), Some(0))]
    );
    assert_eq!(later.previous_on, Some(day("2026-10-01")));
    assert!(later.author.as_deref().is_some_and(|a| a.contains("ola")));

    // A programme with three steps: one due in the past shows as overdue.
    let programme = ola
        .engine
        .open_programme(&ProgrammeDraft {
            person,
            opened_on: day("2026-11-01"),
            goals: vec!["Mieszkanie treningowe".into()],
            agreed_on: Some(day("2026-11-02")),
        })
        .await?;
    let goal = programme.goals[0].id.clone();
    for (text, due, carrier) in [
        (
            "Wyrobić dowód osobisty",
            "2026-11-10",
            Carrier::Person.to_string(),
        ),
        (
            "Rejestracja w PUP",
            "2027-01-15",
            Carrier::Institution("pup".into()).to_string(),
        ),
        (
            "Wniosek o mieszkanie",
            "2027-02-01",
            Carrier::Org(b).to_string(),
        ),
    ] {
        ola.engine
            .save_step(&StepDraft {
                programme: programme.id,
                step: None,
                text: text.into(),
                due: Some(day(due)),
                carrier,
                status: "planned".into(),
                note: String::new(),
                goal: Some(goal.clone()),
            })
            .await?;
    }
    let shown = ola.engine.programme(programme.id).await?;
    assert_eq!(shown.steps.len(), 3);
    assert!(shown.steps[0].overdue, "the ID card was due on 10 November");
    assert_eq!(shown.steps[1].carrier_name, "Powiatowy Urząd Pracy");
    assert_eq!(shown.steps[2].carrier_name, "Org B");
    let due = ola.engine.due().await?;
    assert!(
        due.overdue
            .iter()
            .any(|d| d.kind == DueKind::Step && d.person == person),
        "{due:?}"
    );

    // The referral to B's night shelter shares what consent covers: the
    // diagnosis, not the programme's goals.
    let sent = ola
        .engine
        .send_referral(&ReferralDraft {
            person,
            to_org: Some(b),
            service: Some("night_shelter".into()),
            institution: None,
            reason: "Potrzebuje noclegu na zimę".into(),
            contact: None,
            share: true,
        })
        .await?;
    assert_eq!(sent.status, ReferralStatus::Sent);
    assert_eq!(sent.shared_domains.len(), 2);
    assert_eq!(sent.shared_on, Some(day("2026-11-15")));
    assert!(
        sent.shared_goals.is_empty(),
        "no consent to share the programme"
    );
    assert!(
        !sent.may_answer,
        "the sender does not answer its own referral"
    );
    ola.engine.sync_now().await?;

    // B's tablet sees it and accepts; C sees nothing of it.
    jan.engine.sync_now().await?;
    let incoming = jan.engine.referrals().await?.incoming;
    assert_eq!(incoming.len(), 1);
    assert_eq!(incoming[0].alias, "Zenek");
    assert_eq!(incoming[0].from_name, "Org A");
    assert!(incoming[0].may_answer);
    assert!(
        jan.engine.programme(programme.id).await.is_err(),
        "B holds nothing of A's programme"
    );
    let due_b = jan.engine.due().await?;
    assert!(due_b.due_today.iter().any(|d| d.kind == DueKind::Referral));
    let accepted = jan
        .engine
        .answer_referral(&ReferralAnswer {
            referral: sent.id,
            answer: "accept".into(),
            note: "Miejsce od poniedziałku".into(),
        })
        .await?;
    assert_eq!(accepted.status, ReferralStatus::Accepted);
    jan.engine.sync_now().await?;
    cyryl.engine.sync_now().await?;
    assert!(cyryl.engine.referrals().await?.incoming.is_empty());
    assert!(cyryl.engine.referrals().await?.outgoing.is_empty());
    assert!(
        cyryl.engine.list::<Referral>().await?.is_empty(),
        "C's device holds no copy of the referral"
    );

    // A sees the answer at the next sync.
    ola.engine.sync_now().await?;
    let file = ola.engine.person_file(person).await?;
    assert_eq!(file.referrals.len(), 1);
    assert_eq!(file.referrals[0].status, ReferralStatus::Accepted);
    assert_eq!(file.diagnoses.len(), 2);
    assert_eq!(file.programmes.len(), 1);

    // Done, by B; then the programme is closed by A.
    jan.engine
        .answer_referral(&ReferralAnswer {
            referral: sent.id,
            answer: "done".into(),
            note: String::new(),
        })
        .await?;
    jan.engine.sync_now().await?;
    let closed = ola
        .engine
        .close_programme(&ClosingDraft {
            programme: programme.id,
            closed_on: Some(day("2026-11-30")),
            outcome: "supported_flat".into(),
            note: String::new(),
        })
        .await?;
    assert_eq!(closed.outcome.as_deref(), Some("supported_flat"));
    ola.engine.sync_now().await?;
    assert_eq!(ola.engine.sync_view().await?.refused, 0);
    assert_eq!(jan.engine.sync_view().await?.refused, 0);
    ola.engine.sync_now().await?;
    assert_eq!(
        ola.engine.referrals().await?.outgoing[0].status,
        ReferralStatus::Done
    );

    // The office's timeline shows all of it, without free text; a
    // coordinator of C sees none of it.
    let office = OfficeClient::user(&server, "biuro", "office", None).await?;
    let timeline: Timeline = office
        .get(&path::timeline(person))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let kinds: Vec<&str> = timeline
        .case_work
        .iter()
        .map(|e| match e.what {
            CaseWork::Diagnosis { .. } => "diagnosis",
            CaseWork::Programme { .. } => "programme",
            CaseWork::Referral { .. } => "referral",
        })
        .collect();
    assert_eq!(kinds.len(), 4, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| **k == "diagnosis").count(), 2);
    let Some(CaseWork::Programme { steps, outcome, .. }) = timeline
        .case_work
        .iter()
        .map(|e| &e.what)
        .find(|w| matches!(w, CaseWork::Programme { .. }))
    else {
        anyhow::bail!("no programme on the timeline");
    };
    assert_eq!(steps.len(), 3);
    assert_eq!(outcome.as_deref(), Some("supported_flat"));
    assert!(timeline.case_work.iter().any(|e| matches!(
        &e.what,
        CaseWork::Referral { status: ReferralStatus::Done, to_name, .. } if to_name == "Org B"
    )));
    let text = serde_json::to_string(&timeline)?;
    for private in [
        "śpi na dworcu",
        "Potrzebuje noclegu",
        "Wyrobić dowód",
        "córką",
    ] {
        assert!(!text.contains(private), "the office sees {private:?}");
    }
    let coordinator_c =
        OfficeClient::user(&server, "koordynator C", "coordinator", Some("Org C")).await?;
    let theirs: Timeline = coordinator_c
        .get(&path::timeline(person))
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert!(
        theirs.case_work.is_empty(),
        "C's coordinator sees A's case work"
    );
    let coordinator_b =
        OfficeClient::user(&server, "koordynator B", "coordinator", Some("Org B")).await?;
    let theirs: Timeline = coordinator_b
        .get(&path::timeline(person))
        .await?
        .error_for_status()?
        .json()
        .await?;
    assert_eq!(
        theirs.case_work.len(),
        1,
        "B's coordinator sees the referral only"
    );

    // The report, against figures written by hand: November holds the
    // programme opened (1 November) and closed (30 November, supported
    // flat); this month holds the referral sent, accepted and done.
    let report = |period: String| {
        let office = &office;
        async move {
            let report: odnowa_shared::office::Report = office
                .get(&format!("{}?period={period}", path::REPORT))
                .await?
                .error_for_status()?
                .json()
                .await?;
            anyhow::Ok(report.case_work)
        }
    };
    let november = report("2026-11".into()).await?;
    assert_eq!(november.programmes_opened, 1);
    assert_eq!(november.programmes_reviewed, 0);
    assert_eq!(
        november.programmes_closed,
        std::collections::BTreeMap::from([("supported_flat".to_string(), 1)])
    );
    let this_month = odnowa_shared::office::Month::of(Date::today());
    let now = report(this_month.to_string()).await?;
    assert_eq!(now.referrals.len(), 1, "{:?}", now.referrals);
    let r = &now.referrals[0];
    assert_eq!(
        (r.from_name.as_str(), r.to_name.as_str()),
        ("Org A", "Org B")
    );
    assert_eq!((r.sent, r.accepted, r.declined, r.done), (1, 1, 0, 1));
    assert_eq!(r.median_days_to_acceptance, Some(0.0));
    let csv = office
        .get(&format!("{}?period=2026-11", path::REPORT_CSV))
        .await?
        .error_for_status()?
        .text()
        .await?;
    assert!(
        csv.contains("Programy zamknięte,2026-11,,,,,,1,,mieszkanie wspierane lub treningowe"),
        "{csv}"
    );
    Ok(())
}

async fn two_workers_edit_one_programme_offline(backend: Backend) -> Result<()> {
    let Consortium { server, .. } = consortium(backend).await?;
    let ola = worker(&server, "ola", TEAM_A).await?;
    let ewa = worker(&server, "ewa", TEAM_A).await?;
    let person = zenek(&ola).await?;
    let programme = ola
        .engine
        .open_programme(&ProgrammeDraft {
            person,
            opened_on: day("2026-11-01"),
            goals: vec!["Praca".into()],
            agreed_on: None,
        })
        .await?;
    let step = |text: &str, due: &str| StepDraft {
        programme: programme.id,
        step: None,
        text: text.into(),
        due: Some(day(due)),
        carrier: Carrier::Person.to_string(),
        status: "planned".into(),
        note: String::new(),
        goal: None,
    };
    let with_step = ola.engine.save_step(&step("Dowód", "2026-12-10")).await?;
    let shared_step = with_step.steps[0].id.clone();
    ola.engine.sync_now().await?;
    ewa.engine.sync_now().await?;

    // Offline: each adds a step; both change the shared step's due day.
    ola.engine.save_step(&step("CV", "2026-12-20")).await?;
    ewa.engine.save_step(&step("Lekarz", "2026-12-05")).await?;
    for (engine, due) in [(&ola.engine, "2026-12-11"), (&ewa.engine, "2026-12-12")] {
        let mut edit = step("Dowód", due);
        edit.step = Some(shared_step.clone());
        engine.save_step(&edit).await?;
    }
    ewa.engine
        .save_review(&ReviewDraft {
            programme: programme.id,
            review: None,
            due: day("2027-01-10"),
            done_on: None,
            note: String::new(),
        })
        .await?;
    for _ in 0..2 {
        ola.engine.sync_now().await?;
        ewa.engine.sync_now().await?;
    }
    let (a, b) = (
        ola.engine.programme(programme.id).await?,
        ewa.engine.programme(programme.id).await?,
    );
    assert_eq!(a, b, "both devices show the same programme");
    let texts: Vec<&str> = a.steps.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts.contains(&"CV") && texts.contains(&"Lekarz"));
    assert_eq!(a.reviews.len(), 1);
    assert_eq!(a.conflicts, 1, "the due day edited on both: two versions");
    let meta = ola.engine.record_meta(programme.id).await?;
    assert!(
        meta.conflicts
            .iter()
            .any(|c| c.path.iter().any(|p| p == "due")),
        "{:?}",
        meta.conflicts
    );
    Ok(())
}

async fn bad_case_work_is_refused_and_stores_nothing(backend: Backend) -> Result<()> {
    let Consortium { server, b } = consortium(backend).await?;
    let ola = worker(&server, "ola", TEAM_A).await?;
    let person = zenek(&ola).await?;
    let a = server.db.org_by_name("Org A").await?;

    // A level off the scale; an unknown domain.
    let mut off = diagnosis(person, "2026-11-01", 6, 2);
    let e = ola.engine.save_diagnosis(&off).await.expect_err("level 6");
    assert_eq!(kind_of(e), ErrorKind::Invalid);
    off.domains[0].level = 3;
    off.domains[0].code = "astrology".into();
    assert!(ola.engine.save_diagnosis(&off).await.is_err());
    assert!(ola.engine.list::<Diagnosis>().await?.is_empty());

    // A step due before the programme opened; an outcome without a day.
    let programme = ola
        .engine
        .open_programme(&ProgrammeDraft {
            person,
            opened_on: day("2026-11-01"),
            goals: vec!["Mieszkanie".into()],
            agreed_on: None,
        })
        .await?;
    let before = ola.engine.programme(programme.id).await?;
    let early = StepDraft {
        programme: programme.id,
        step: None,
        text: "Dowód".into(),
        due: Some(day("2026-10-01")),
        carrier: "person".into(),
        status: "planned".into(),
        note: String::new(),
        goal: None,
    };
    let e = ola.engine.save_step(&early).await.expect_err("due early");
    assert_eq!(kind_of(e), ErrorKind::Invalid);
    let mut odd = early.clone();
    odd.due = Some(day("2026-12-01"));
    odd.carrier = "bank:1".into();
    assert!(ola.engine.save_step(&odd).await.is_err(), "a carrier");
    odd.carrier = "person".into();
    odd.status = "finished".into();
    assert!(ola.engine.save_step(&odd).await.is_err(), "a status");
    let e = ola
        .engine
        .close_programme(&ClosingDraft {
            programme: programme.id,
            closed_on: None,
            outcome: "own_housing".into(),
            note: String::new(),
        })
        .await
        .expect_err("no closing day");
    assert_eq!(kind_of(e), ErrorKind::Invalid);
    assert_eq!(ola.engine.programme(programme.id).await?, before);

    // Referrals to one's own organisation, to an unknown institution, to a
    // service B does not offer; an answer that jumps.
    let referral =
        |to_org: Option<OrgId>, service: Option<&str>, institution: Option<&str>| ReferralDraft {
            person,
            to_org,
            service: service.map(Into::into),
            institution: institution.map(Into::into),
            reason: "nocleg".into(),
            contact: None,
            share: false,
        };
    for wrong in [
        referral(Some(a), None, None),
        referral(None, None, Some("nasa")),
        referral(Some(b), Some("food"), None),
        referral(Some(b), None, Some("pup")),
        referral(None, None, None),
    ] {
        let e = ola.engine.send_referral(&wrong).await.expect_err("refused");
        assert_eq!(kind_of(e), ErrorKind::Invalid, "{wrong:?}");
    }
    assert!(ola.engine.list::<Referral>().await?.is_empty());
    let to_pup = ola
        .engine
        .send_referral(&referral(None, None, Some("pup")))
        .await?;
    let e = ola
        .engine
        .answer_referral(&ReferralAnswer {
            referral: to_pup.id,
            answer: "done".into(),
            note: String::new(),
        })
        .await
        .expect_err("done before accepted");
    assert_eq!(kind_of(e), ErrorKind::Invalid);
    let e = ola
        .engine
        .answer_referral(&ReferralAnswer {
            referral: to_pup.id,
            answer: "decline".into(),
            note: " ".into(),
        })
        .await
        .expect_err("a decline without a reason");
    assert_eq!(kind_of(e), ErrorKind::Invalid);
    assert_eq!(
        ola.engine.referrals().await?.outgoing[0].status,
        ReferralStatus::Sent
    );
    let e = ola
        .engine
        .programme(DocId::random())
        .await
        .expect_err("unknown");
    assert_eq!(kind_of(e), ErrorKind::NotFound);
    ola.engine.sync_now().await?;
    assert_eq!(ola.engine.sync_view().await?.refused, 0);

    // The office keeps the institutions; a device offers them at its next
    // sync. A kind of institution nobody knows is refused.
    let office = OfficeClient::user(&server, "biuro", "office", None).await?;
    let mops = serde_json::json!({
        "id": "mops-krakow", "name": "MOPS Kraków", "institution_kind": "social_assistance",
        "address": "ul. Józefińska 14", "phone": "12 616 54 20", "retired": false,
    });
    office
        .put(path::CATALOGUE_INSTITUTION, mops.clone())
        .await?
        .error_for_status()?;
    let mut odd = mops.clone();
    odd["institution_kind"] = "bank".into();
    let refused = office.put(path::CATALOGUE_INSTITUTION, odd).await?;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    let worker_put = OfficeClient::user(&server, "koordynator A", "coordinator", Some("Org A"))
        .await?
        .put(path::CATALOGUE_INSTITUTION, mops)
        .await?;
    assert_eq!(
        worker_put.status(),
        reqwest::StatusCode::FORBIDDEN,
        "only the office"
    );
    ola.engine.sync_now().await?;
    let targets = ola.engine.referral_targets().await?;
    assert!(
        targets
            .institutions
            .iter()
            .any(|i| i.id == "mops-krakow" && i.phone == "12 616 54 20")
    );
    assert!(
        targets.orgs.iter().all(|o| o.id != a),
        "not one's own organisation"
    );
    assert!(
        targets
            .orgs
            .iter()
            .any(|o| o.id == b && o.services.iter().any(|s| s.code == "night_shelter"))
    );
    Ok(())
}

async fn a_withdrawn_consent_hides_what_a_referral_shared(backend: Backend) -> Result<()> {
    let Consortium { server, b } = consortium(backend).await?;
    let ola = worker(&server, "ola", TEAM_A).await?;
    let jan = worker(&server, "jan", TEAM_B).await?;
    let person = zenek(&ola).await?;
    ola.engine
        .save_diagnosis(&diagnosis(person, "2026-11-15", 1, 2))
        .await?;
    let to_b = ReferralDraft {
        person,
        to_org: Some(b),
        service: None,
        institution: None,
        reason: "Potrzebuje noclegu".into(),
        contact: None,
        share: true,
    };
    let sent = ola.engine.send_referral(&to_b).await?;
    ola.engine.sync_now().await?;
    jan.engine.sync_now().await?;
    let seen = jan.engine.referrals().await?.incoming;
    assert_eq!(
        seen[0].shared_domains.len(),
        2,
        "shared while consent holds"
    );
    assert_eq!(seen[0].shared_wishes, "chce mieszkać z córką");

    // The person withdraws consent (recorded by A): what was shared goes.
    ola.engine.withdraw_consent(person).await?;
    ola.engine.sync_now().await?;
    for _ in 0..2 {
        jan.engine.sync_now().await?;
    }
    let seen = jan.engine.referrals().await?.incoming;
    assert_eq!(seen.len(), 1, "the referral itself stays");
    assert_eq!(seen[0].id, sent.id);
    assert!(seen[0].shared_domains.is_empty(), "{:?}", seen[0]);
    assert!(seen[0].shared_wishes.is_empty());
    assert_eq!(seen[0].reason, "Potrzebuje noclegu");
    let copy = jan
        .engine
        .history(sent.id)
        .await?
        .into_iter()
        .map(|h| h.message)
        .collect::<Vec<_>>();
    assert_eq!(
        copy.len(),
        1,
        "B's copy has no history that held it: {copy:?}"
    );
    // B can still answer it.
    jan.engine
        .answer_referral(&ReferralAnswer {
            referral: sent.id,
            answer: "accept".into(),
            note: String::new(),
        })
        .await?;
    jan.engine.sync_now().await?;
    assert_eq!(jan.engine.sync_view().await?.refused, 0);

    // No further sharing: a new referral carries nothing of the file.
    ola.engine.sync_now().await?;
    let again = ola.engine.send_referral(&to_b).await?;
    assert!(again.shared_domains.is_empty() && again.shared_wishes.is_empty());
    ola.engine.sync_now().await?;
    assert_eq!(ola.engine.sync_view().await?.refused, 0);
    assert_eq!(
        ola.engine.referrals().await?.outgoing.len(),
        2,
        "A still sees both referrals"
    );
    Ok(())
}

async fn erasure_and_audit_cover_case_work(backend: Backend) -> Result<()> {
    let Consortium { server, b } = consortium(backend).await?;
    let ola = worker(&server, "ola", TEAM_A).await?;
    let jan = worker(&server, "jan", TEAM_B).await?;
    let person = zenek(&ola).await?;
    let assessed = ola
        .engine
        .save_diagnosis(&diagnosis(person, "2026-11-15", 1, 2))
        .await?;
    let programme = ola
        .engine
        .open_programme(&ProgrammeDraft {
            person,
            opened_on: day("2026-11-01"),
            goals: vec!["Mieszkanie".into()],
            agreed_on: None,
        })
        .await?;
    let referral = ola
        .engine
        .send_referral(&ReferralDraft {
            person,
            to_org: Some(b),
            service: None,
            institution: None,
            reason: "nocleg".into(),
            contact: None,
            share: true,
        })
        .await?;
    ola.engine
        .add_note(&NoteDraft {
            person,
            text: "rozmowa o terapii".into(),
        })
        .await?;
    ola.engine.sync_now().await?;
    jan.engine.sync_now().await?;
    assert_eq!(jan.engine.list::<Referral>().await?.len(), 1);

    // Every read of the person's data counts: the file (with each piece
    // of case work it shows), an assessment, a programme.
    ola.engine.person_file(person).await?;
    ola.engine.diagnosis(assessed.id).await?;
    ola.engine.programme(programme.id).await?;
    ola.engine.sync_now().await?;
    for doc in [person.doc_id(), assessed.id, programme.id, referral.id] {
        let reads = server.db.audit_of_doc(doc).await?;
        assert!(
            reads
                .iter()
                .any(|(_, _, _, action, _)| action == "device_read"),
            "no read of {doc} audited: {reads:?}"
        );
    }

    // Erasing the person removes the assessment, the programme, the
    // referral and the notes, on the server and on both organisations'
    // devices.
    let erasure = server
        .sync
        .erase_person(
            &odnowa_sync_server::writer::OfficeAuthor::admin_cli(),
            person,
            "wniosek 7/2026",
            None,
        )
        .await?;
    assert!(erasure.deleted >= 5, "{erasure:?}");
    for doc in [assessed.id, programme.id, referral.id] {
        assert!(server.db.doc_meta(doc).await?.is_none(), "{doc} kept");
    }
    for _ in 0..2 {
        ola.engine.sync_now().await?;
        jan.engine.sync_now().await?;
    }
    assert!(ola.engine.list::<Diagnosis>().await?.is_empty());
    assert!(ola.engine.list::<Programme>().await?.is_empty());
    assert!(ola.engine.list::<Referral>().await?.is_empty());
    assert!(ola.engine.list::<CaseNotes>().await?.is_empty());
    assert!(jan.engine.list::<Referral>().await?.is_empty(), "B's copy");
    // The device no longer holds the person: a new assessment of them is
    // refused on the device (not found). The server's refusal of new case
    // work about an erased person is the exchange's `ERASED_PERSON` rule.
    let late = ola
        .engine
        .save_diagnosis(&diagnosis(person, "2026-11-20", 2, 2))
        .await;
    assert!(late.is_err(), "the person is gone from the device");
    Ok(())
}

odnowa_tests::on_both_backends!(
    a_person_s_file_diagnosis_programme_and_referral,
    two_workers_edit_one_programme_offline,
    bad_case_work_is_refused_and_stores_nothing,
    a_withdrawn_consent_hides_what_a_referral_shared,
    erasure_and_audit_cover_case_work,
);
