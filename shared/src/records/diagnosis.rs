//! `diagnosis`: a dated assessment of a person's needs (or a household's)
//! over named life domains, kept by one member organisation in its team
//! space. Each assessment is its own record: a later one is compared with
//! the one before, domain by domain ([`Diagnosis::change_since`]).

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Record, RecordKind, record_header};
use crate::ids::{DocId, OrgId, PersonId, SpaceId, UserId};
use crate::time::{Date, Timestamp};
use crate::validate::{ValidationContext, ValidationError, check_id_keys, check_text};

/// The life domains an assessment covers, in the order a form shows them.
pub mod domain {
    pub const HOUSING: &str = "housing";
    pub const INCOME: &str = "income";
    pub const HEALTH: &str = "health";
    pub const MENTAL_HEALTH: &str = "mental_health";
    pub const ADDICTION: &str = "addiction";
    pub const DOCUMENTS: &str = "documents";
    pub const WORK: &str = "work";
    pub const FAMILY: &str = "family";
    pub const LEGAL: &str = "legal";
    pub const DAILY_LIVING: &str = "daily_living";
    /// Every domain this version knows.
    pub const ALL: [&str; 10] = [
        HOUSING,
        INCOME,
        HEALTH,
        MENTAL_HEALTH,
        ADDICTION,
        DOCUMENTS,
        WORK,
        FAMILY,
        LEGAL,
        DAILY_LIVING,
    ];
}

/// The one scale every domain is assessed on: 1 (crisis) to 5 (copes on
/// their own), so a rise is an improvement in every domain.
pub mod level {
    /// Crisis: acute danger or no resources at all.
    pub const CRISIS: i64 = 1;
    /// Serious difficulties.
    pub const SERIOUS: i64 = 2;
    /// Copes partly.
    pub const PARTLY: i64 = 3;
    /// Copes with support.
    pub const WITH_SUPPORT: i64 = 4;
    /// Copes on their own.
    pub const INDEPENDENT: i64 = 5;
    /// The scale, lowest first.
    pub const ALL: [i64; 5] = [CRISIS, SERIOUS, PARTLY, WITH_SUPPORT, INDEPENDENT];
}

/// An assessment of one person's needs (with the household members
/// assessed with them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Diagnosis {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    /// The person assessed.
    pub person: PersonId,
    /// Other persons of the same household assessed together, keyed by
    /// person id.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub household: BTreeMap<String, HouseholdMember>,
    /// The organisation whose worker made the assessment.
    pub org: OrgId,
    /// The day of the assessment.
    pub assessed_on: Date,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub author: Option<UserId>,
    /// Keyed by domain code ([`domain::ALL`]; codes of a newer version are
    /// kept).
    pub domains: BTreeMap<String, DomainAssessment>,
    /// What the person themselves wants, in their words.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub wishes: String,
}

/// One domain of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DomainAssessment {
    /// On the scale of [`level`].
    pub level: i64,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub note: String,
}

/// A household member assessed with the person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct HouseholdMember {
    /// Their relation to the person ("partner", "son", ...), free text.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub relation: String,
}

impl Diagnosis {
    /// A new, empty assessment of `person` on `assessed_on`.
    pub fn new(
        space: SpaceId,
        person: PersonId,
        org: OrgId,
        assessed_on: Date,
        at: Timestamp,
    ) -> Self {
        Diagnosis {
            kind: RecordKind::Diagnosis,
            schema: Self::SCHEMA,
            space,
            id: DocId::random(),
            person,
            household: BTreeMap::new(),
            org,
            assessed_on,
            created_at: at,
            author: None,
            domains: BTreeMap::new(),
            wishes: String::new(),
        }
    }

    /// The change in level per domain since `earlier` (positive: better),
    /// for the domains both assessed.
    pub fn change_since(&self, earlier: &Diagnosis) -> BTreeMap<String, i64> {
        self.domains
            .iter()
            .filter_map(|(code, now)| {
                let then = earlier.domains.get(code)?;
                Some((code.clone(), now.level - then.level))
            })
            .collect()
    }

    /// Every person the assessment is about: the person and their household.
    pub fn persons(&self) -> Vec<PersonId> {
        let mut persons = vec![self.person];
        persons.extend(
            self.household
                .keys()
                .filter_map(|k| k.parse::<PersonId>().ok()),
        );
        persons
    }
}

/// Whether `code` may name a domain: 1-40 characters of a-z and `_`.
fn valid_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 40 && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

impl Record for Diagnosis {
    const KIND: RecordKind = RecordKind::Diagnosis;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, _ctx: &ValidationContext) -> Result<(), ValidationError> {
        if self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "a team space of the organisation, never the registry",
            });
        }
        if self.domains.is_empty() {
            return Err(ValidationError::Required("domains"));
        }
        for (code, assessed) in &self.domains {
            if !valid_code(code) {
                return Err(ValidationError::Invalid {
                    field: "domains",
                    reason: "a domain code is 1-40 characters of a-z and _",
                });
            }
            if !level::ALL.contains(&assessed.level) {
                return Err(ValidationError::OutOfRange {
                    field: "level",
                    value: assessed.level.to_string(),
                });
            }
            check_text("note", &assessed.note, 2_000)?;
        }
        check_id_keys::<PersonId>("household", self.household.keys())?;
        if self.household.contains_key(&self.person.to_string()) {
            return Err(ValidationError::Invalid {
                field: "household",
                reason: "the person assessed is not their own household member",
            });
        }
        if self.household.len() > 20 {
            return Err(ValidationError::OutOfRange {
                field: "household",
                value: self.household.len().to_string(),
            });
        }
        for member in self.household.values() {
            check_text("relation", &member.relation, 100)?;
        }
        check_text("wishes", &self.wishes, 5_000)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assessment(levels: &[(&str, i64)]) -> Diagnosis {
        let mut d = Diagnosis::new(
            SpaceId::random(),
            PersonId::random(),
            OrgId::random(),
            "2026-11-02".parse().expect("a date"),
            Timestamp(1),
        );
        for (code, level) in levels {
            d.domains.insert(
                code.to_string(),
                DomainAssessment {
                    level: *level,
                    note: String::new(),
                },
            );
        }
        d
    }

    #[test]
    fn a_later_assessment_shows_the_change_per_domain() {
        let before = assessment(&[(domain::HOUSING, 1), (domain::INCOME, 2)]);
        let after = assessment(&[(domain::HOUSING, 3), (domain::WORK, 2), (domain::INCOME, 2)]);
        let change = after.change_since(&before);
        assert_eq!(change.get(domain::HOUSING), Some(&2));
        assert_eq!(change.get(domain::INCOME), Some(&0));
        assert_eq!(change.get(domain::WORK), None, "not assessed before");
    }

    #[test]
    fn a_level_off_the_scale_is_refused() {
        let ctx = ValidationContext::default();
        assert!(assessment(&[(domain::HOUSING, 5)]).validate(&ctx).is_ok());
        for wrong in [0, 6, -1] {
            assert_eq!(
                assessment(&[(domain::HOUSING, wrong)]).validate(&ctx),
                Err(ValidationError::OutOfRange {
                    field: "level",
                    value: wrong.to_string()
                })
            );
        }
        assert_eq!(
            assessment(&[]).validate(&ctx),
            Err(ValidationError::Required("domains"))
        );
        assert!(assessment(&[("Housing!", 3)]).validate(&ctx).is_err());
        let mut in_registry = assessment(&[(domain::HOUSING, 3)]);
        in_registry.space = SpaceId::REGISTRY;
        assert!(in_registry.validate(&ctx).is_err());
    }

    #[test]
    fn a_household_names_other_persons() {
        let ctx = ValidationContext::default();
        let mut d = assessment(&[(domain::FAMILY, 2)]);
        let partner = PersonId::random();
        d.household.insert(
            partner.to_string(),
            HouseholdMember {
                relation: "partnerka".into(),
            },
        );
        assert!(d.validate(&ctx).is_ok());
        assert_eq!(d.persons(), vec![d.person, partner]);
        d.household
            .insert(d.person.to_string(), HouseholdMember::default());
        assert!(d.validate(&ctx).is_err(), "themselves");
        d.household.clear();
        d.household
            .insert("not-an-id".into(), HouseholdMember::default());
        assert!(d.validate(&ctx).is_err());
    }
}
