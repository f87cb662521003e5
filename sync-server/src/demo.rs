//! A demo consortium for a newcomer (`serve --demo`): three member
//! organisations with "(demo)" in their names, the usual services with
//! contract targets, day rooms and a workshop room, office, coordinator
//! and field logins, and some weeks of persons, contacts and workshops
//! with realistic nicknames. Everything is fictional and says so; it is
//! written only into a database that holds no organisation yet.
//!
//! The records are written through the office writer, each in its
//! fictional worker's name (the history shows "Marta (demo) · biuro").

use odnowa_shared::ids::{DocId, PersonId, SiteId, UserId};
use odnowa_shared::office::{ServiceEdit, SiteEdit};
use odnowa_shared::records::{
    Catalogue, Consent, Contact, DEFAULT_SERVICES, Gender, Participant, Person, Workshop,
    WorkshopItem, site_kind,
};
use odnowa_shared::time::{Date, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::accounts::{self, AccountError};
use crate::admin;
use crate::exchange::SyncService;
use crate::store::StoreError;
use crate::writer::{OfficeAuthor, WriteError};

/// The member organisations, each with its street team and day room.
const ORGS: [(&str, &str, &str); 3] = [
    (
        "Fundacja Przystań (demo)",
        "Streetwork — Przystań (demo)",
        "Świetlica Przystań (demo)",
    ),
    (
        "Spółdzielnia Socjalna Odnowa (demo)",
        "Streetwork — Odnowa (demo)",
        "Świetlica Odnowa (demo)",
    ),
    (
        "Stowarzyszenie Ciepły Kąt (demo)",
        "Streetwork — Ciepły Kąt (demo)",
        "Świetlica Ciepły Kąt (demo)",
    ),
];

/// Field workers, one pair per organisation (by index of [`ORGS`]).
const WORKERS: [(&str, usize); 6] = [
    ("marta", 0),
    ("tomek", 0),
    ("jan", 1),
    ("ewa", 1),
    ("kasia", 2),
    ("piotr", 2),
];

/// Nicknames as street workers hear them.
const ALIASES: [&str; 36] = [
    "Zbyszek", "Heniek", "Gienia", "Rysiek", "Basia", "Mirek", "Staszek", "Krysia", "Władek",
    "Ola", "Józek", "Tadek", "Jadzia", "Kaziu", "Lucyna", "Bogdan", "Zośka", "Marian", "Wiesia",
    "Edek", "Danka", "Waldek", "Halina", "Czesiek", "Renata", "Franek", "Irena", "Leszek", "Ania",
    "Roman", "Grażyna", "Stefan", "Ela", "Sławek", "Teresa", "Mietek",
];

/// Places of the street round.
const PLACES: [&str; 8] = [
    "Dworzec PKP",
    "Park Miejski",
    "Przejście pod rondem",
    "Ogródki działkowe",
    "Pustostan przy Fabrycznej",
    "Przystanek Centrum",
    "Altana nad rzeką",
    "Market przy Długiej",
];

/// The password of every demo login (printed with them).
pub const DEMO_PASSWORD: &str = "demo-odnowa-2026";

/// A login of the demo consortium.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub name: String,
    pub role: &'static str,
    pub org: Option<String>,
}

/// Why the demo was not written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("--demo fills only an empty database: this one already has member organisations")]
    NotEmpty,
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// Writes the demo consortium; the logins it made.
pub async fn fill(sync: &SyncService) -> Result<Vec<DemoLogin>, DemoError> {
    if !sync.catalogue().await?.orgs.is_empty() || sync.db().office_login_exists().await? {
        return Err(DemoError::NotEmpty);
    }
    let db = sync.db();
    let mut logins = vec![login(sync, "biuro-demo", "office", None, &[]).await?];
    let mut teams = Vec::new();
    for (org, team, day_room) in ORGS {
        admin::create_member(sync, org).await?;
        let space = admin::create_space(db, team, Some(org)).await?;
        admin::put_site(
            sync,
            SiteEdit {
                id: None,
                name: day_room.into(),
                site_kind: site_kind::DAY_ROOM.into(),
                org: None,
            },
            Some(org),
        )
        .await?;
        let coordinator = format!("koordynator-{}", logins.len());
        logins.push(login(sync, &coordinator, "coordinator", Some(org), &[]).await?);
        teams.push(space);
    }
    // The services of the package, a year's contract, targets for two.
    let today = Date::today();
    let year = today.0.format("%Y").to_string();
    for (code, pl, en) in DEFAULT_SERVICES {
        let mut targets = std::collections::BTreeMap::new();
        match code {
            "food" => {
                targets.insert("unique_persons".to_string(), 60);
            }
            "hot_drink" => {
                targets.insert("records".to_string(), 400);
            }
            _ => {}
        }
        admin::put_service(
            sync,
            ServiceEdit {
                code: code.into(),
                name_pl: pl.into(),
                name_en: en.into(),
                org: None,
                retired: false,
                contract_from: format!("{year}-01-01").parse().ok(),
                contract_to: format!("{year}-12-31").parse().ok(),
                targets,
            },
            None,
        )
        .await?;
    }
    const WORKSHOP_ROOM: &str = "Pracownia upcyklingu (demo)";
    let with_room = admin::put_site(
        sync,
        SiteEdit {
            id: None,
            name: WORKSHOP_ROOM.into(),
            site_kind: site_kind::WORKSHOP.into(),
            org: None,
        },
        Some(ORGS[1].0),
    )
    .await?;
    let workshop_room: SiteId = with_room
        .sites
        .iter()
        .find(|(_, site)| site.name == WORKSHOP_ROOM)
        .and_then(|(id, _)| id.parse().ok())
        .ok_or_else(|| WriteError::NotFound(WORKSHOP_ROOM.into()))?;

    // Field workers, their persons, contacts and workshops.
    let mut workers = Vec::new();
    for (name, org) in WORKERS {
        let (org_name, team, _) = ORGS[org];
        let write = [team.to_string(), "registry".to_string()];
        logins.push(login(sync, name, "worker", Some(org_name), &write).await?);
        let user = db.user_by_name(name).await?;
        workers.push((
            user,
            org,
            teams[org],
            format!("{} (demo)", capitalised(name)),
        ));
    }
    let catalogue = sync.catalogue().await?;
    let mut random = StdRng::seed_from_u64(2026);
    let now = Timestamp::now();
    const DAY: i64 = 86_400_000;
    let mut persons: Vec<(PersonId, usize)> = Vec::new();
    for (i, alias) in ALIASES.iter().enumerate() {
        let (user, org, _, name) = &workers[i % workers.len()];
        let mut person = Person::new(alias, Timestamp(now.0 - (60 + i as i64) * DAY));
        person.birth_year = Some(random.random_range(1950..2006));
        person.gender = Gender::new(if i % 3 == 0 { "female" } else { "male" });
        person.created_by = Some(*user);
        let org_id = catalogue_org(&catalogue, ORGS[*org].0);
        person.consent = Some(Consent::given(person.created_at, *user, org_id, "services"));
        sync.seed_record(&author(*user, name), &person).await?;
        persons.push((person.person_id(), *org));
    }
    let services: Vec<&str> = DEFAULT_SERVICES.iter().map(|(code, _, _)| *code).collect();
    for day in 0..56_i64 {
        for (user, org, space, name) in &workers {
            // Two or three contacts a worker's round, a few days off.
            if (day + *org as i64) % 7 == 6 {
                continue;
            }
            for _ in 0..random.random_range(1..4) {
                let at = Timestamp(now.0 - day * DAY - random.random_range(0..8 * 3_600_000));
                let mut contact = Contact::new(*space, *user, at);
                let theirs: Vec<PersonId> = persons
                    .iter()
                    .filter(|(_, o)| o == org)
                    .map(|(p, _)| *p)
                    .collect();
                if random.random_range(0..5) == 0 {
                    contact.anonymous_count = random.random_range(1..3);
                } else {
                    contact = contact.with_person(theirs[random.random_range(0..theirs.len())]);
                }
                for _ in 0..random.random_range(1..3) {
                    let code = services[random.random_range(0..5)];
                    contact.services.entry(code.to_string()).or_default();
                }
                contact.place = PLACES[random.random_range(0..PLACES.len())].to_string();
                contact.duration_min = Some([10, 15, 20, 30][random.random_range(0..4)]);
                sync.seed_record(&author(*user, name), &contact).await?;
            }
        }
    }
    // A workshop a week at the cooperative's workshop room.
    let (facilitator, _, space, name) = &workers[2];
    for week in 0..8_i64 {
        let date = Timestamp(now.0 - (week * 7 + 2) * DAY).warsaw_date();
        let mut workshop = Workshop::new(*space, workshop_room, date, *facilitator);
        workshop.id = DocId::random();
        workshop.theme = "Torby z banerów".into();
        workshop.materials = "stare banery, taśma, nici".into();
        for (person, _) in persons.iter().filter(|(_, o)| *o == 1).take(4) {
            workshop.participants.insert(
                person.to_string(),
                Participant {
                    hours: 3.0,
                    role: "participant".into(),
                },
            );
        }
        workshop.items.insert(
            DocId::random().to_string(),
            WorkshopItem {
                name: "torba".into(),
                count: random.random_range(2..7),
                made_by: None,
            },
        );
        sync.seed_record(&author(*facilitator, name), &workshop)
            .await?;
    }
    Ok(logins)
}

async fn login(
    sync: &SyncService,
    name: &str,
    role: &'static str,
    org: Option<&str>,
    write: &[String],
) -> Result<DemoLogin, DemoError> {
    accounts::create_user(sync.db(), name, org, role, write, write).await?;
    accounts::set_password(sync.db(), name, DEMO_PASSWORD).await?;
    Ok(DemoLogin {
        name: name.to_string(),
        role,
        org: org.map(str::to_string),
    })
}

fn author(user: UserId, name: &str) -> OfficeAuthor {
    OfficeAuthor {
        user,
        name: name.to_string(),
    }
}

fn catalogue_org(catalogue: &Catalogue, name: &str) -> Option<odnowa_shared::ids::OrgId> {
    catalogue
        .orgs
        .iter()
        .find(|(_, org)| org.name == name)
        .and_then(|(id, _)| id.parse().ok())
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
