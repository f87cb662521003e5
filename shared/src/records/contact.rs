//! `contact`: one outreach contact or individual service session.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Record, RecordKind, record_header};
use crate::ids::{DocId, PersonId, SpaceId, UserId};
use crate::time::{Date, Timestamp};
use crate::validate::{ValidationContext, ValidationError, check_id_keys, check_text};

/// One contact with one or more persons, or with people who stay anonymous.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Contact {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    pub at: Timestamp,
    /// Place name as the worker knows it ("Dworzec PKP, peron 1").
    #[autosurgeon(missing = "Default::default")]
    pub place: String,
    /// Coarse location, rounded before it is stored.
    #[autosurgeon(missing = "Default::default")]
    pub location: Option<GeoPoint>,
    pub worker: UserId,
    /// Persons met, keyed by person id. Empty for an anonymous contact.
    #[autosurgeon(missing = "Default::default")]
    pub persons: BTreeMap<String, ContactPerson>,
    /// People met who stay anonymous.
    #[autosurgeon(missing = "Default::default")]
    pub anonymous_count: i64,
    /// Services delivered, keyed by service code from the catalogue.
    #[autosurgeon(missing = "Default::default")]
    pub services: BTreeMap<String, ServiceDelivered>,
    #[autosurgeon(missing = "Default::default")]
    pub duration_min: Option<i64>,
    #[autosurgeon(missing = "Default::default")]
    pub note: String,
    #[autosurgeon(missing = "Default::default")]
    pub follow_up: Option<FollowUp>,
}

/// A person met during a contact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ContactPerson {
    /// When an anonymous contact was later linked to this person.
    #[autosurgeon(missing = "Default::default")]
    pub linked_at: Option<Timestamp>,
}

/// A service delivered during a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ServiceDelivered {
    /// How many (meals, kits); 1 for a conversation.
    pub quantity: i64,
}

impl Default for ServiceDelivered {
    fn default() -> Self {
        ServiceDelivered { quantity: 1 }
    }
}

/// A coarse location (about 100 m: three decimals).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    /// Rounds to three decimals so that no exact spot is kept.
    pub fn coarse(lat: f64, lon: f64) -> Self {
        GeoPoint {
            lat: (lat * 1000.0).round() / 1000.0,
            lon: (lon * 1000.0).round() / 1000.0,
        }
    }
}

/// Something to do after the contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FollowUp {
    #[autosurgeon(missing = "Default::default")]
    pub due: Option<Date>,
    pub what: String,
    #[autosurgeon(missing = "Default::default")]
    pub done: bool,
}

impl Contact {
    /// A new contact in `space` by `worker`, with nobody yet.
    pub fn new(space: SpaceId, worker: UserId, at: Timestamp) -> Self {
        Contact {
            kind: RecordKind::Contact,
            schema: Self::SCHEMA,
            space,
            id: DocId::random(),
            at,
            place: String::new(),
            location: None,
            worker,
            persons: BTreeMap::new(),
            anonymous_count: 0,
            services: BTreeMap::new(),
            duration_min: None,
            note: String::new(),
            follow_up: None,
        }
    }

    /// Adds a person met.
    pub fn with_person(mut self, person: PersonId) -> Self {
        self.persons
            .insert(person.to_string(), ContactPerson::default());
        self
    }

    /// Adds a service delivered once.
    pub fn with_service(mut self, code: &str) -> Self {
        self.services
            .insert(code.to_string(), ServiceDelivered::default());
        self
    }

    /// What an erasure of a person keeps of a contact with them: the
    /// contact as a count (who, when, where, what was delivered), without
    /// its free text and follow-up, which may say anything about them.
    pub fn erased(mut self) -> Self {
        self.note.clear();
        self.follow_up = None;
        self
    }

    /// The persons met, parsed (entries whose key is not an id are skipped;
    /// validation refuses them).
    pub fn person_ids(&self) -> Vec<PersonId> {
        self.persons.keys().filter_map(|k| k.parse().ok()).collect()
    }
}

impl Record for Contact {
    const KIND: RecordKind = RecordKind::Contact;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, ctx: &ValidationContext) -> Result<(), ValidationError> {
        if self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "a team space",
            });
        }
        check_id_keys::<PersonId>("persons", self.persons.keys())?;
        if self.anonymous_count < 0 {
            return Err(ValidationError::Negative("anonymous_count"));
        }
        if self.persons.is_empty() && self.anonymous_count == 0 {
            return Err(ValidationError::NobodyMet);
        }
        for (code, service) in &self.services {
            ctx.check_service(code)?;
            if service.quantity < 0 {
                return Err(ValidationError::Negative("quantity"));
            }
        }
        if let Some(minutes) = self.duration_min {
            if minutes < 0 {
                return Err(ValidationError::Negative("duration_min"));
            }
            if minutes > 24 * 60 {
                return Err(ValidationError::OutOfRange {
                    field: "duration_min",
                    value: minutes.to_string(),
                });
            }
        }
        check_text("place", &self.place, 200)?;
        check_text("note", &self.note, 10_000)?;
        if let Some(follow_up) = &self.follow_up {
            check_text("follow_up", &follow_up.what, 2_000)?;
        }
        if let Some(point) = self.location
            && (!(-90.0..=90.0).contains(&point.lat) || !(-180.0..=180.0).contains(&point.lon))
        {
            return Err(ValidationError::OutOfRange {
                field: "location",
                value: format!("{},{}", point.lat, point.lon),
            });
        }
        Ok(())
    }
}
