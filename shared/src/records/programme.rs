//! `programme`: an individual programme for leaving homelessness
//! (indywidualny program wychodzenia z bezdomności, IPWB), kept by the
//! member organisation that opened it, in its team space. Goals, steps and
//! reviews are maps keyed by id, so two workers adding or editing
//! different steps offline merge; the same field edited on both devices
//! keeps both values, shown as two versions.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{CatalogueInstitution, Record, RecordKind, record_header};
use crate::ids::{DocId, OrgId, PersonId, SpaceId, UserId};
use crate::time::{Date, Timestamp};
use crate::validate::{ValidationContext, ValidationError, check_text};

/// The statuses of a step.
pub mod step_status {
    pub const PLANNED: &str = "planned";
    pub const IN_PROGRESS: &str = "in_progress";
    pub const DONE: &str = "done";
    pub const DROPPED: &str = "dropped";
    pub const ALL: [&str; 4] = [PLANNED, IN_PROGRESS, DONE, DROPPED];
    /// Whether a step of this status is still to be done.
    pub fn is_open(status: &str) -> bool {
        status == PLANNED || status == IN_PROGRESS
    }
}

/// How a programme ends.
pub mod outcome {
    /// Own housing (a rented or council flat of their own).
    pub const OWN_HOUSING: &str = "own_housing";
    /// A sheltered or training flat (mieszkanie wspierane / treningowe).
    pub const SUPPORTED_FLAT: &str = "supported_flat";
    /// Back with family.
    pub const FAMILY: &str = "family";
    /// An institution (a care home, long-term treatment).
    pub const INSTITUTION: &str = "institution";
    /// The person left the programme.
    pub const LEFT: &str = "left";
    pub const DIED: &str = "died";
    pub const OTHER: &str = "other";
    pub const ALL: [&str; 7] = [
        OWN_HOUSING,
        SUPPORTED_FLAT,
        FAMILY,
        INSTITUTION,
        LEFT,
        DIED,
        OTHER,
    ];
}

/// Who carries a step, stored as one string so that two devices choosing
/// different carriers make one field with two versions, never a mix.
pub mod carrier {
    use super::*;

    /// Who carries a step.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub enum Carrier {
        /// A worker (a user of the app).
        Worker(UserId),
        /// A member organisation.
        Org(OrgId),
        /// An outside institution of the catalogue.
        Institution(String),
        /// The person themselves.
        Person,
    }

    impl fmt::Display for Carrier {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Carrier::Worker(user) => write!(f, "worker:{user}"),
                Carrier::Org(org) => write!(f, "org:{org}"),
                Carrier::Institution(id) => write!(f, "institution:{id}"),
                Carrier::Person => f.write_str("person"),
            }
        }
    }

    /// A string that names no carrier.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("not a carrier of a step: {0:?}")]
    pub struct NotACarrier(pub String);

    impl FromStr for Carrier {
        type Err = NotACarrier;
        fn from_str(s: &str) -> Result<Self, NotACarrier> {
            let wrong = || NotACarrier(s.chars().take(60).collect());
            if s == "person" {
                return Ok(Carrier::Person);
            }
            let (kind, id) = s.split_once(':').ok_or_else(wrong)?;
            match kind {
                "worker" => id.parse().map(Carrier::Worker).map_err(|_| wrong()),
                "org" => id.parse().map(Carrier::Org).map_err(|_| wrong()),
                "institution" if CatalogueInstitution::valid_id(id) => {
                    Ok(Carrier::Institution(id.to_string()))
                }
                _ => Err(wrong()),
            }
        }
    }
}

/// An individual programme of one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Programme {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    pub person: PersonId,
    /// The organisation that opened it and keeps it.
    pub org: OrgId,
    pub opened_on: Date,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub opened_by: Option<UserId>,
    /// Keyed by goal id.
    pub goals: BTreeMap<String, Goal>,
    /// The day the person agreed to the programme (signed it).
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub agreed_on: Option<Date>,
    /// Keyed by step id.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub steps: BTreeMap<String, Step>,
    /// Keyed by review id.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub reviews: BTreeMap<String, Review>,
    /// The day it closed; always with an [`Programme::outcome`].
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub closed_on: Option<Date>,
    /// One of [`outcome::ALL`]; always with a closing day.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub outcome: Option<String>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub closing_note: String,
}

/// A goal of the programme, in the person's and the worker's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Goal {
    pub text: String,
    pub created_at: Timestamp,
}

/// A step towards a goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Step {
    pub text: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub due: Option<Date>,
    /// Who carries it ([`carrier::Carrier`] as a string).
    pub carrier: String,
    /// One of [`step_status::ALL`].
    pub status: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub note: String,
    /// The goal it serves (a key of [`Programme::goals`]), if one.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub goal: Option<String>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub created_by: Option<UserId>,
}

/// A review of the programme: when it is due and when it took place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Review {
    pub due: Date,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub done_on: Option<Date>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub note: String,
}

impl Programme {
    /// A programme opened for `person` on `opened_on`, with no goals yet.
    pub fn new(
        space: SpaceId,
        person: PersonId,
        org: OrgId,
        opened_on: Date,
        at: Timestamp,
    ) -> Self {
        Programme {
            kind: RecordKind::Programme,
            schema: Self::SCHEMA,
            space,
            id: DocId::random(),
            person,
            org,
            opened_on,
            created_at: at,
            opened_by: None,
            goals: BTreeMap::new(),
            agreed_on: None,
            steps: BTreeMap::new(),
            reviews: BTreeMap::new(),
            closed_on: None,
            outcome: None,
            closing_note: String::new(),
        }
    }

    /// Whether the programme is still open.
    pub fn is_open(&self) -> bool {
        self.closed_on.is_none()
    }

    /// The open steps and reviews due on or before `day` (oldest first), as
    /// `(due, step or review id, is a review)`.
    pub fn due_by(&self, day: Date) -> Vec<(Date, &str, bool)> {
        if !self.is_open() {
            return Vec::new();
        }
        let steps = self.steps.iter().filter_map(|(id, s)| {
            let due = s
                .due
                .filter(|d| *d <= day && step_status::is_open(&s.status))?;
            Some((due, id.as_str(), false))
        });
        let reviews = self
            .reviews
            .iter()
            .filter(|(_, r)| r.done_on.is_none() && r.due <= day)
            .map(|(id, r)| (r.due, id.as_str(), true));
        let mut due: Vec<_> = steps.chain(reviews).collect();
        due.sort();
        due
    }
}

fn not_before(
    field: &'static str,
    day: Option<Date>,
    opened_on: Date,
    reason: &'static str,
) -> Result<(), ValidationError> {
    match day {
        Some(day) if day < opened_on => Err(ValidationError::Invalid { field, reason }),
        _ => Ok(()),
    }
}

impl Record for Programme {
    const KIND: RecordKind = RecordKind::Programme;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, _ctx: &ValidationContext) -> Result<(), ValidationError> {
        if self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "a team space of the organisation, never the registry",
            });
        }
        if self.goals.is_empty() {
            return Err(ValidationError::Required("goals"));
        }
        for goal in self.goals.values() {
            if goal.text.trim().is_empty() {
                return Err(ValidationError::Required("goal"));
            }
            check_text("goal", &goal.text, 1_000)?;
        }
        let opened = self.opened_on;
        not_before(
            "agreed_on",
            self.agreed_on,
            opened,
            "the person cannot agree to a programme before it was opened",
        )?;
        for step in self.steps.values() {
            if step.text.trim().is_empty() {
                return Err(ValidationError::Required("step"));
            }
            check_text("step", &step.text, 1_000)?;
            check_text("note", &step.note, 2_000)?;
            not_before(
                "due",
                step.due,
                opened,
                "a step cannot be due before the programme was opened",
            )?;
            if !step_status::ALL.contains(&step.status.as_str()) {
                return Err(ValidationError::Invalid {
                    field: "status",
                    reason: "a step is planned, in progress, done or dropped",
                });
            }
            if step.carrier.parse::<carrier::Carrier>().is_err() {
                return Err(ValidationError::Invalid {
                    field: "carrier",
                    reason: "a step is carried by a worker, a member organisation, an institution of the catalogue or the person",
                });
            }
            if step
                .goal
                .as_ref()
                .is_some_and(|g| !self.goals.contains_key(g))
            {
                return Err(ValidationError::Invalid {
                    field: "goal",
                    reason: "a step serves a goal of its programme",
                });
            }
        }
        for review in self.reviews.values() {
            not_before(
                "review",
                Some(review.due),
                opened,
                "a review cannot be due before the programme was opened",
            )?;
            not_before(
                "review",
                review.done_on,
                opened,
                "a review cannot take place before the programme was opened",
            )?;
            check_text("note", &review.note, 2_000)?;
        }
        match (&self.closed_on, &self.outcome) {
            (None, None) => {}
            (Some(_), None) => return Err(ValidationError::Required("outcome")),
            (None, Some(_)) => return Err(ValidationError::Required("closed_on")),
            (Some(closed), Some(outcome)) => {
                not_before(
                    "closed_on",
                    Some(*closed),
                    opened,
                    "a programme cannot close before it was opened",
                )?;
                if !outcome::ALL.contains(&outcome.as_str()) {
                    return Err(ValidationError::Invalid {
                        field: "outcome",
                        reason: "not an outcome this version knows",
                    });
                }
            }
        }
        check_text("closing_note", &self.closing_note, 2_000)?;
        if self.goals.len() > 50 || self.steps.len() > 500 || self.reviews.len() > 100 {
            return Err(ValidationError::Invalid {
                field: "steps",
                reason: "at most 50 goals, 500 steps and 100 reviews",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::carrier::Carrier;
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().expect("a date")
    }

    fn programme() -> Programme {
        let mut p = Programme::new(
            SpaceId::random(),
            PersonId::random(),
            OrgId::random(),
            day("2026-11-02"),
            Timestamp(1),
        );
        p.goals.insert(
            "g1".into(),
            Goal {
                text: "Mieszkanie treningowe".into(),
                created_at: Timestamp(1),
            },
        );
        p
    }

    fn step(due: &str, status: &str) -> Step {
        Step {
            text: "Wyrobić dowód osobisty".into(),
            due: Some(day(due)),
            carrier: Carrier::Person.to_string(),
            status: status.into(),
            note: String::new(),
            goal: Some("g1".into()),
            created_at: Timestamp(2),
            created_by: None,
        }
    }

    #[test]
    fn carriers_round_trip_through_their_string() {
        for carrier in [
            Carrier::Worker(UserId::random()),
            Carrier::Org(OrgId::random()),
            Carrier::Institution("mops-krakow".into()),
            Carrier::Person,
        ] {
            assert_eq!(carrier.to_string().parse::<Carrier>(), Ok(carrier));
        }
        for wrong in [
            "",
            "worker:",
            "org:x",
            "institution:",
            "institution:A B",
            "bank:1",
        ] {
            assert!(wrong.parse::<Carrier>().is_err(), "{wrong:?}");
        }
    }

    #[test]
    fn a_valid_programme_passes_and_bad_dates_do_not() {
        let ctx = ValidationContext::default();
        let mut p = programme();
        p.steps
            .insert("s1".into(), step("2026-11-10", step_status::PLANNED));
        p.agreed_on = Some(day("2026-11-02"));
        assert_eq!(p.validate(&ctx), Ok(()));

        let mut early = p.clone();
        early
            .steps
            .insert("s2".into(), step("2026-11-01", step_status::PLANNED));
        assert!(matches!(
            early.validate(&ctx),
            Err(ValidationError::Invalid { field: "due", .. })
        ));
        let mut agreed_early = p.clone();
        agreed_early.agreed_on = Some(day("2026-10-30"));
        assert!(agreed_early.validate(&ctx).is_err());
        let mut no_goal = p.clone();
        no_goal.goals.clear();
        no_goal.steps.clear();
        assert_eq!(
            no_goal.validate(&ctx),
            Err(ValidationError::Required("goals"))
        );
        let mut bad_status = p.clone();
        bad_status
            .steps
            .insert("s3".into(), step("2026-11-10", "finished"));
        assert!(bad_status.validate(&ctx).is_err());
        let mut stray = p.clone();
        if let Some(s) = stray.steps.get_mut("s1") {
            s.goal = Some("g9".into());
        }
        assert!(stray.validate(&ctx).is_err(), "a goal of another programme");
    }

    #[test]
    fn closing_needs_both_an_outcome_and_a_day() {
        let ctx = ValidationContext::default();
        let mut p = programme();
        p.outcome = Some(outcome::OWN_HOUSING.into());
        assert_eq!(
            p.validate(&ctx),
            Err(ValidationError::Required("closed_on"))
        );
        p.closed_on = Some(day("2027-03-01"));
        assert_eq!(p.validate(&ctx), Ok(()));
        p.outcome = None;
        assert_eq!(p.validate(&ctx), Err(ValidationError::Required("outcome")));
        p.outcome = Some("moved_to_mars".into());
        assert!(p.validate(&ctx).is_err());
        p.outcome = Some(outcome::FAMILY.into());
        p.closed_on = Some(day("2026-10-01"));
        assert!(p.validate(&ctx).is_err(), "closed before it opened");
    }

    #[test]
    fn what_is_due_leaves_out_finished_steps_and_closed_programmes() {
        let mut p = programme();
        p.steps
            .insert("a".into(), step("2026-11-05", step_status::PLANNED));
        p.steps
            .insert("b".into(), step("2026-11-04", step_status::DONE));
        p.steps
            .insert("c".into(), step("2026-11-20", step_status::IN_PROGRESS));
        p.reviews.insert(
            "r".into(),
            Review {
                due: day("2026-11-03"),
                done_on: None,
                note: String::new(),
            },
        );
        assert_eq!(
            p.due_by(day("2026-11-06")),
            vec![
                (day("2026-11-03"), "r", true),
                (day("2026-11-05"), "a", false)
            ]
        );
        p.closed_on = Some(day("2026-11-06"));
        p.outcome = Some(outcome::LEFT.into());
        assert!(p.due_by(day("2026-11-30")).is_empty());
    }
}
