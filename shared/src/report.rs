//! The report definitions: pure functions from projected records and
//! persons to the figures the city asks for (`office::Figures`). The server
//! reads the rows of a period from its projections and calls [`tally`];
//! what each figure means is decided here, once, and tested here.
//!
//! - A person merged into another (`merged_into`, followed to the end of
//!   the chain) counts as that other person: once per cell.
//! - A cell is a service delivered by one member, a service across the
//!   consortium, or everything; a person counts once per cell, so one
//!   person served by two members counts once in the service's total.
//! - New persons: unique persons whose first registration (the earliest
//!   `created_at` of them and their merged duplicates) falls in the period.
//! - Anonymous: the head counts of the cell's records; hours: the cell's
//!   records' minutes (see `projection`), each record counted once.
//! - Gender and age band describe the person kept by the merge.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::Datelike;

use crate::ids::{DocId, OrgId, PersonId};
use crate::office::{CaseWorkFigures, Figures, Month, Period, ReferralFigures, age_band};
use crate::time::{Date, Timestamp};

/// How many `merged_into` links are followed before a chain counts as
/// broken (a loop written by two offices at once).
const MAX_CHAIN: usize = 64;

/// A person as the report needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonFact {
    pub id: PersonId,
    pub merged_into: Option<PersonId>,
    pub birth_year: Option<i64>,
    /// `""` when not known.
    pub gender: String,
    pub created_day: Date,
}

/// A record of the period: who delivered what to whom.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFact {
    pub doc: DocId,
    /// The Warsaw day it counts on.
    pub day: Date,
    /// The member whose team's space holds the record.
    pub org: Option<OrgId>,
    pub services: Vec<String>,
    pub persons: Vec<PersonId>,
    pub anonymous: i64,
    pub minutes: i64,
}

/// The figures of a period, by cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// By (service, member).
    pub rows: BTreeMap<(String, Option<OrgId>), Figures>,
    /// By service, across members.
    pub services: BTreeMap<String, Figures>,
    /// Everything.
    pub consortium: Figures,
}

/// A programme as the report needs it (`p_programmes`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeFact {
    /// The organisation whose space holds it.
    pub org: Option<OrgId>,
    pub opened_on: Date,
    /// The days its reviews took place.
    pub reviewed_on: Vec<Date>,
    pub closed_on: Option<Date>,
    pub outcome: Option<String>,
}

/// A referral as the report needs it (`p_referrals`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralFact {
    pub from_org: OrgId,
    pub to_org: Option<OrgId>,
    pub institution: Option<String>,
    pub sent_at: Timestamp,
    pub accepted_at: Option<Timestamp>,
    pub declined_at: Option<Timestamp>,
    pub done_at: Option<Timestamp>,
}

/// The period's programmes and referrals: programmes opened, reviewed (a
/// review took place in the period) and closed by outcome; referrals by
/// month and pair, each step counted in the month it happened, with the
/// median days to acceptance of those accepted that month. `name` names
/// an organisation or an institution (the rows carry both the ids and
/// the names, sorted by month, then sender, then receiver).
pub fn case_work_figures(
    period: &Period,
    programmes: &[ProgrammeFact],
    referrals: &[ReferralFact],
    name: impl Fn(Option<OrgId>, Option<&str>) -> String,
) -> CaseWorkFigures {
    let inside = |day: Date| period.first_day() <= day && day <= period.last_day();
    let mut figures = CaseWorkFigures::default();
    for p in programmes {
        if inside(p.opened_on) {
            figures.programmes_opened += 1;
        }
        if p.reviewed_on.iter().any(|d| inside(*d)) {
            figures.programmes_reviewed += 1;
        }
        if let (Some(day), Some(outcome)) = (p.closed_on, &p.outcome)
            && inside(day)
        {
            *figures
                .programmes_closed
                .entry(outcome.clone())
                .or_default() += 1;
        }
    }
    type Key = (Month, OrgId, Option<OrgId>, Option<String>);
    let mut cells: BTreeMap<Key, (ReferralFigures, Vec<f64>)> = BTreeMap::new();
    for r in referrals {
        let mut count = |at: Timestamp, step: fn(&mut ReferralFigures), days: Option<f64>| {
            let day = at.warsaw_date();
            if !inside(day) {
                return;
            }
            let month = Month::of(day);
            let key = (month, r.from_org, r.to_org, r.institution.clone());
            let (cell, waits) = cells.entry(key).or_insert_with(|| {
                (
                    ReferralFigures {
                        month,
                        from_org: r.from_org,
                        from_name: name(Some(r.from_org), None),
                        to_org: r.to_org,
                        institution: r.institution.clone(),
                        to_name: name(r.to_org, r.institution.as_deref()),
                        sent: 0,
                        accepted: 0,
                        declined: 0,
                        done: 0,
                        median_days_to_acceptance: None,
                    },
                    Vec::new(),
                )
            });
            step(cell);
            waits.extend(days);
        };
        count(r.sent_at, |c| c.sent += 1, None);
        if let Some(at) = r.accepted_at {
            let days = (at.0 - r.sent_at.0).max(0) as f64 / 86_400_000.0;
            count(at, |c| c.accepted += 1, Some(days));
        }
        if let Some(at) = r.declined_at {
            count(at, |c| c.declined += 1, None);
        }
        if let Some(at) = r.done_at {
            count(at, |c| c.done += 1, None);
        }
    }
    figures.referrals = cells
        .into_values()
        .map(|(mut cell, mut waits)| {
            cell.median_days_to_acceptance = median(&mut waits);
            cell
        })
        .collect();
    figures
}

/// The median, to a tenth of a day (`None` of nothing).
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let value = if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    };
    Some((value * 10.0).round() / 10.0)
}

/// Each person's root: the person they are (through merges) counted as.
/// A person merged into someone the server does not know counts as that
/// id; a loop counts as the person where it was entered.
pub fn roots(persons: &[PersonFact]) -> HashMap<PersonId, PersonId> {
    let merged: HashMap<PersonId, Option<PersonId>> =
        persons.iter().map(|p| (p.id, p.merged_into)).collect();
    persons
        .iter()
        .map(|p| {
            let mut current = p.id;
            let mut seen = HashSet::from([current]);
            for _ in 0..MAX_CHAIN {
                match merged.get(&current).copied().flatten() {
                    Some(next) if seen.insert(next) => current = next,
                    Some(_) => {
                        current = p.id; // a loop
                        break;
                    }
                    None => break,
                }
            }
            (p.id, current)
        })
        .collect()
}

#[derive(Default)]
struct Cell {
    docs: HashSet<DocId>,
    persons: HashSet<PersonId>,
    anonymous: i64,
    minutes: i64,
}

impl Cell {
    fn add(&mut self, record: &RecordFact, roots: &[PersonId]) {
        if self.docs.insert(record.doc) {
            self.anonymous += record.anonymous;
            self.minutes += record.minutes;
        }
        self.persons.extend(roots.iter().copied());
    }

    fn figures(&self, people: &People, period: &Period) -> Figures {
        let year = period.last_day().0.year();
        let mut figures = Figures {
            records: self.docs.len() as i64,
            unique_persons: self.persons.len() as i64,
            anonymous: self.anonymous,
            minutes: self.minutes,
            ..Figures::default()
        };
        for root in &self.persons {
            let (gender, birth_year, first_day) = match people.about.get(root) {
                Some(about) => (
                    about.gender.as_str(),
                    about.birth_year,
                    Some(about.first_day),
                ),
                None => ("", None, None),
            };
            let gender = if gender.is_empty() { "unknown" } else { gender };
            *figures.by_gender.entry(gender.to_string()).or_insert(0) += 1;
            *figures
                .by_age
                .entry(age_band(birth_year, year).to_string())
                .or_insert(0) += 1;
            if first_day.is_some_and(|day| period.first_day() <= day && day <= period.last_day()) {
                figures.new_persons += 1;
            }
        }
        figures
    }
}

/// What the report says of a root person.
struct About {
    gender: String,
    birth_year: Option<i64>,
    /// The earliest registration of the root and its duplicates.
    first_day: Date,
}

/// The persons of the consortium, resolved through merges once, to count
/// several periods against.
pub struct People {
    roots: HashMap<PersonId, PersonId>,
    about: HashMap<PersonId, About>,
}

impl People {
    pub fn new(persons: &[PersonFact]) -> Self {
        let roots = roots(persons);
        let mut about: HashMap<PersonId, About> = HashMap::new();
        for p in persons.iter().filter(|p| roots.get(&p.id) == Some(&p.id)) {
            about.insert(
                p.id,
                About {
                    gender: p.gender.clone(),
                    birth_year: p.birth_year,
                    first_day: p.created_day,
                },
            );
        }
        for p in persons {
            let root = roots.get(&p.id).copied().unwrap_or(p.id);
            if let Some(about) = about.get_mut(&root)
                && p.created_day < about.first_day
            {
                about.first_day = p.created_day;
            }
        }
        People { roots, about }
    }

    fn root(&self, person: PersonId) -> PersonId {
        self.roots.get(&person).copied().unwrap_or(person)
    }
}

/// The figures of `records` (those of `period`), with `persons` (all of
/// them: merges reach outside the period).
pub fn tally(records: &[RecordFact], persons: &[PersonFact], period: &Period) -> Tally {
    tally_with(records.iter(), &People::new(persons), period)
}

/// [`tally`] with the persons already resolved.
pub fn tally_with<'a>(
    records: impl Iterator<Item = &'a RecordFact>,
    people: &People,
    period: &Period,
) -> Tally {
    let mut rows: BTreeMap<(String, Option<OrgId>), Cell> = BTreeMap::new();
    let mut services: BTreeMap<String, Cell> = BTreeMap::new();
    let mut consortium = Cell::default();
    for record in records {
        let roots: Vec<PersonId> = record.persons.iter().map(|p| people.root(*p)).collect();
        consortium.add(record, &roots);
        for service in &record.services {
            rows.entry((service.clone(), record.org))
                .or_default()
                .add(record, &roots);
            services
                .entry(service.clone())
                .or_default()
                .add(record, &roots);
        }
    }
    Tally {
        rows: rows
            .into_iter()
            .map(|(key, cell)| (key, cell.figures(people, period)))
            .collect(),
        services: services
            .into_iter()
            .map(|(key, cell)| (key, cell.figures(people, period)))
            .collect(),
        consortium: consortium.figures(people, period),
    }
}

/// The value of a contract target's metric in `figures`.
pub fn metric(figures: &Figures, metric: &str) -> Option<i64> {
    match metric {
        "unique_persons" => Some(figures.unique_persons),
        "records" => Some(figures.records),
        "hours" => Some(figures.minutes / 60),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(created: &str) -> PersonFact {
        PersonFact {
            id: PersonId::random(),
            merged_into: None,
            birth_year: None,
            gender: String::new(),
            created_day: created.parse().expect("day"),
        }
    }

    fn record(org: OrgId, services: &[&str], persons: &[PersonId], anonymous: i64) -> RecordFact {
        RecordFact {
            doc: DocId::random(),
            day: "2026-10-10".parse().expect("day"),
            org: Some(org),
            services: services.iter().map(|s| s.to_string()).collect(),
            persons: persons.to_vec(),
            anonymous,
            minutes: 30,
        }
    }

    #[test]
    fn a_person_counts_once_per_cell() {
        let october: Period = "2026-10".parse().expect("period");
        let (a, b) = (OrgId::random(), OrgId::random());
        let mut zbyszek = person("2026-03-02");
        zbyszek.gender = "male".into();
        zbyszek.birth_year = Some(1970);
        let mut zbigniew = person("2026-10-05");
        zbigniew.merged_into = Some(zbyszek.id);
        let mut ania = person("2026-10-07");
        ania.gender = "female".into();
        let records = [
            record(a, &["food", "hot_drink"], &[zbyszek.id], 0),
            record(a, &["food"], &[zbigniew.id, ania.id], 2),
            record(b, &["food"], &[zbyszek.id], 1),
        ];
        let persons = [zbyszek.clone(), zbigniew, ania];
        let tally = tally(&records, &persons, &october);

        let food_a = &tally.rows[&("food".to_string(), Some(a))];
        assert_eq!(food_a.records, 2);
        assert_eq!(food_a.unique_persons, 2, "Zbigniew is Zbyszek");
        assert_eq!(food_a.new_persons, 1, "Ania registered in October");
        assert_eq!(food_a.anonymous, 2);
        assert_eq!(food_a.minutes, 60);
        assert_eq!(food_a.by_gender["male"], 1);
        assert_eq!(food_a.by_gender["female"], 1);
        assert_eq!(food_a.by_age["50-64"], 1);
        assert_eq!(food_a.by_age["unknown"], 1);

        let food = &tally.services["food"];
        assert_eq!(food.records, 3);
        assert_eq!(food.unique_persons, 2, "across members once");
        assert_eq!(food.anonymous, 3);
        assert_eq!(tally.consortium.records, 3);
        assert_eq!(tally.consortium.minutes, 90, "each record once");
        assert_eq!(tally.services["hot_drink"].unique_persons, 1);
    }

    #[test]
    fn merge_chains_and_loops_end_somewhere() {
        let (mut a, mut b, c) = (
            person("2026-01-01"),
            person("2026-01-01"),
            person("2026-01-01"),
        );
        a.merged_into = Some(b.id);
        b.merged_into = Some(c.id);
        let unknown = PersonId::random();
        let mut d = person("2026-01-01");
        d.merged_into = Some(unknown);
        let roots = roots(&[a.clone(), b.clone(), c.clone(), d.clone()]);
        assert_eq!(roots[&a.id], c.id);
        assert_eq!(roots[&b.id], c.id);
        assert_eq!(roots[&d.id], unknown);

        let (mut x, mut y) = (person("2026-01-01"), person("2026-01-01"));
        x.merged_into = Some(y.id);
        y.merged_into = Some(x.id);
        let roots = super::roots(&[x.clone(), y.clone()]);
        assert_eq!(roots[&x.id], x.id);
        assert_eq!(roots[&y.id], y.id);
    }

    #[test]
    fn programmes_and_referrals_add_up_by_month_and_pair() {
        let period: Period = "2026-11".parse().expect("a period");
        let day = |s: &str| -> Date { s.parse().expect("a date") };
        let at = |s: &str| day(s).start().0 + 12 * 3_600_000;
        let programmes = [
            ProgrammeFact {
                org: None,
                opened_on: day("2026-11-02"),
                reviewed_on: vec![day("2026-11-20")],
                closed_on: None,
                outcome: None,
            },
            ProgrammeFact {
                org: None,
                opened_on: day("2026-06-01"),
                reviewed_on: vec![day("2026-09-01"), day("2026-11-03"), day("2026-11-25")],
                closed_on: Some(day("2026-11-28")),
                outcome: Some("supported_flat".into()),
            },
            ProgrammeFact {
                org: None,
                opened_on: day("2026-05-01"),
                reviewed_on: vec![],
                closed_on: Some(day("2026-10-31")),
                outcome: Some("left".into()),
            },
        ];
        let (a, b) = (OrgId::random(), OrgId::random());
        let referral = |sent: &str, accepted: Option<&str>, to: Option<OrgId>| ReferralFact {
            from_org: a,
            to_org: to,
            institution: to.is_none().then(|| "pup".to_string()),
            sent_at: Timestamp(at(sent)),
            accepted_at: accepted.map(|d| Timestamp(at(d))),
            declined_at: None,
            done_at: None,
        };
        let referrals = [
            referral("2026-11-02", Some("2026-11-04"), Some(b)),
            referral("2026-11-03", Some("2026-11-09"), Some(b)),
            referral("2026-11-05", Some("2026-11-06"), Some(b)),
            // Sent in October, accepted in November: counted there once each.
            referral("2026-10-30", Some("2026-11-01"), Some(b)),
            referral("2026-11-10", None, None),
        ];
        let names = |org: Option<OrgId>, institution: Option<&str>| match (org, institution) {
            (Some(o), _) if o == a => "A".to_string(),
            (Some(_), _) => "B".to_string(),
            (None, Some(i)) => i.to_string(),
            _ => String::new(),
        };
        let figures = case_work_figures(&period, &programmes, &referrals, names);
        assert_eq!(figures.programmes_opened, 1);
        assert_eq!(figures.programmes_reviewed, 2);
        assert_eq!(
            figures.programmes_closed,
            BTreeMap::from([("supported_flat".to_string(), 1)])
        );
        assert_eq!(figures.referrals.len(), 2, "{:?}", figures.referrals);
        let to_b = figures
            .referrals
            .iter()
            .find(|r| r.to_org == Some(b))
            .expect("A to B");
        assert_eq!((to_b.sent, to_b.accepted), (3, 4));
        assert_eq!((to_b.from_name.as_str(), to_b.to_name.as_str()), ("A", "B"));
        // Waits: 2, 6, 1 and 2 days: the median is 2.
        assert_eq!(to_b.median_days_to_acceptance, Some(2.0));
        let to_pup = figures
            .referrals
            .iter()
            .find(|r| r.institution.is_some())
            .expect("A to the labour office");
        assert_eq!((to_pup.sent, to_pup.accepted), (1, 0));
        assert_eq!(to_pup.median_days_to_acceptance, None);
        assert_eq!(median(&mut [1.0, 4.0]), Some(2.5));
    }
}
