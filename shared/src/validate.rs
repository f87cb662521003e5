//! Validation of record content, with errors a person can act on.
//!
//! The server validates every document after applying a device's changes
//! (a change that makes a document invalid is refused and quarantined); the
//! device validates before it saves, so a worker sees the error at once.

use std::collections::BTreeSet;

use crate::records::RecordKind;

/// Why a record is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{0} is required")]
    Required(&'static str),
    #[error("{0} must not be negative")]
    Negative(&'static str),
    #[error("{field} is out of range: {value}")]
    OutOfRange { field: &'static str, value: String },
    #[error("{field} is too long: at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} is not valid: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
    #[error("a contact needs at least one person or an anonymous head count")]
    NobodyMet,
    #[error("unknown service code {0:?}: it is not in the catalogue")]
    UnknownService(String),
    #[error("{field} holds a key that is not an id: {key:?}")]
    BadKey { field: &'static str, key: String },
    #[error("a {kind} record belongs in {expected}")]
    WrongSpace {
        kind: RecordKind,
        expected: &'static str,
    },
}

/// What validation checks against besides the record itself.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    /// Service codes of the catalogue; `None` when no catalogue is known yet
    /// (then codes are not checked).
    pub services: Option<BTreeSet<String>>,
}

impl ValidationContext {
    /// A context that checks service codes against `codes`.
    pub fn with_services<I: IntoIterator<Item = S>, S: Into<String>>(codes: I) -> Self {
        ValidationContext {
            services: Some(codes.into_iter().map(Into::into).collect()),
        }
    }

    /// Refuses a service code that the catalogue does not hold.
    pub fn check_service(&self, code: &str) -> Result<(), ValidationError> {
        match &self.services {
            Some(codes) if !codes.contains(code) => Err(ValidationError::UnknownService(
                code.chars().take(40).collect(),
            )),
            _ => Ok(()),
        }
    }
}

/// Refuses text longer than `max` characters.
pub(crate) fn check_text(
    field: &'static str,
    text: &str,
    max: usize,
) -> Result<(), ValidationError> {
    if text.chars().count() > max {
        return Err(ValidationError::TooLong { field, max });
    }
    Ok(())
}

/// Refuses map keys that do not parse as ids of type `T`.
pub(crate) fn check_id_keys<'a, T: std::str::FromStr>(
    field: &'static str,
    keys: impl Iterator<Item = &'a String>,
) -> Result<(), ValidationError> {
    for key in keys {
        if key.parse::<T>().is_err() {
            return Err(ValidationError::BadKey {
                field,
                key: key.chars().take(40).collect(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{PersonId, SiteId, SpaceId, UserId};
    use crate::records::{Contact, Person, Record, Workshop};
    use crate::time::Timestamp;

    fn team() -> SpaceId {
        SpaceId::random()
    }

    fn check<R: Record>(record: &R, ctx: &ValidationContext, expect: Result<(), &str>) {
        let got = record.validate(ctx).map_err(|e| e.to_string());
        assert_eq!(got, expect.map_err(String::from), "{record:?}");
    }

    #[test]
    fn contacts() {
        let ctx = ValidationContext::with_services(["food", "hot_drink"]);
        let base = Contact::new(team(), UserId::random(), Timestamp(0));
        check(
            &base,
            &ctx,
            Err("a contact needs at least one person or an anonymous head count"),
        );
        let mut anonymous = base.clone();
        anonymous.anonymous_count = 3;
        check(&anonymous, &ctx, Ok(()));
        let known = base
            .clone()
            .with_person(PersonId::random())
            .with_service("food");
        check(&known, &ctx, Ok(()));
        let unknown = base
            .clone()
            .with_person(PersonId::random())
            .with_service("massage");
        check(
            &unknown,
            &ctx,
            Err("unknown service code \"massage\": it is not in the catalogue"),
        );
        check(&unknown, &ValidationContext::default(), Ok(()));
        let mut negative = anonymous.clone();
        negative.anonymous_count = -1;
        check(&negative, &ctx, Err("anonymous_count must not be negative"));
        let mut in_registry = known.clone();
        in_registry.space = SpaceId::REGISTRY;
        check(
            &in_registry,
            &ctx,
            Err("a contact record belongs in a team space"),
        );
        let mut bad_key = anonymous;
        bad_key.persons.insert("zbyszek".into(), Default::default());
        check(
            &bad_key,
            &ctx,
            Err("persons holds a key that is not an id: \"zbyszek\""),
        );
    }

    #[test]
    fn workshops() {
        let ctx = ValidationContext::default();
        let date = "2026-11-24".parse().expect("date");
        let mut workshop = Workshop::new(team(), SiteId::random(), date, UserId::random());
        workshop.participants.insert(
            PersonId::random().to_string(),
            crate::records::Participant {
                hours: 2.5,
                role: "participant".into(),
            },
        );
        check(&workshop, &ctx, Ok(()));
        for (hours, expect) in [
            (-0.5, Err("hours must not be negative")),
            (f64::NAN, Err("hours must not be negative")),
            (25.0, Err("hours is out of range: 25")),
            (0.0, Ok(())),
        ] {
            for p in workshop.participants.values_mut() {
                p.hours = hours;
            }
            check(&workshop, &ctx, expect);
        }
    }

    #[test]
    fn persons() {
        let ctx = ValidationContext::default();
        let mut person = Person::new("Zbyszek", Timestamp(0));
        check(&person, &ctx, Ok(()));
        person.birth_year = Some(1850);
        check(&person, &ctx, Err("birth_year is out of range: 1850"));
        person.birth_year = Some(1970);
        person.alias = "   ".into();
        check(&person, &ctx, Err("alias is required"));
        person.alias = "x".repeat(121);
        check(
            &person,
            &ctx,
            Err("alias is too long: at most 120 characters"),
        );
        person.alias = "Zbyszek".into();
        // A crafted push cannot store an unbounded consent scope.
        person.consent = Some(crate::records::Consent::given(
            Timestamp(0),
            crate::ids::UserId::random(),
            None,
            &"x".repeat(201),
        ));
        check(
            &person,
            &ctx,
            Err("consent.scope is too long: at most 200 characters"),
        );
    }
}
