//! `workshop`: one upcycling workshop session.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Record, RecordKind, record_header};
use crate::ids::{DocId, PersonId, SiteId, SpaceId, UserId};
use crate::time::Date;
use crate::validate::{ValidationContext, ValidationError, check_id_keys, check_text};

/// One workshop session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Workshop {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    pub date: Date,
    pub site: SiteId,
    pub facilitator: UserId,
    #[autosurgeon(missing = "Default::default")]
    pub theme: String,
    /// The local motif worked with (e.g. a Podlasie embroidery pattern).
    #[autosurgeon(missing = "Default::default")]
    pub motif: String,
    #[autosurgeon(missing = "Default::default")]
    pub materials: String,
    /// Keyed by person id.
    #[autosurgeon(missing = "Default::default")]
    pub participants: BTreeMap<String, Participant>,
    /// Keyed by item id.
    #[autosurgeon(missing = "Default::default")]
    pub items: BTreeMap<String, WorkshopItem>,
}

/// A participant of a workshop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Participant {
    pub hours: f64,
    /// "participant", "volunteer", "trainee".
    #[autosurgeon(missing = "Default::default")]
    pub role: String,
}

/// Something made during a workshop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct WorkshopItem {
    pub name: String,
    pub count: i64,
    #[autosurgeon(missing = "Default::default")]
    pub made_by: Option<PersonId>,
}

impl Workshop {
    pub fn new(space: SpaceId, site: SiteId, date: Date, facilitator: UserId) -> Self {
        Workshop {
            kind: RecordKind::Workshop,
            schema: Self::SCHEMA,
            space,
            id: DocId::random(),
            date,
            site,
            facilitator,
            theme: String::new(),
            motif: String::new(),
            materials: String::new(),
            participants: BTreeMap::new(),
            items: BTreeMap::new(),
        }
    }
}

impl Record for Workshop {
    const KIND: RecordKind = RecordKind::Workshop;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, _ctx: &ValidationContext) -> Result<(), ValidationError> {
        if self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "a team space",
            });
        }
        check_id_keys::<PersonId>("participants", self.participants.keys())?;
        for participant in self.participants.values() {
            if !participant.hours.is_finite() || participant.hours < 0.0 {
                return Err(ValidationError::Negative("hours"));
            }
            if participant.hours > 24.0 {
                return Err(ValidationError::OutOfRange {
                    field: "hours",
                    value: participant.hours.to_string(),
                });
            }
        }
        for item in self.items.values() {
            if item.count < 0 {
                return Err(ValidationError::Negative("count"));
            }
            check_text("item", &item.name, 200)?;
        }
        check_text("theme", &self.theme, 200)?;
        check_text("motif", &self.motif, 200)?;
        check_text("materials", &self.materials, 2_000)?;
        Ok(())
    }
}
