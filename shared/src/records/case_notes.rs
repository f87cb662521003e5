//! `case_notes`: sensitive notes about one person kept by one member
//! organisation, in that organisation's space.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Record, RecordKind, record_header};
use crate::ids::{DocId, OrgId, PersonId, SpaceId, UserId};
use crate::time::Timestamp;
use crate::validate::{ValidationContext, ValidationError, check_text};

/// Notes of one organisation about one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CaseNotes {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    pub person: PersonId,
    pub org: OrgId,
    /// Entries keyed by entry id.
    pub entries: BTreeMap<String, CaseEntry>,
}

/// One note, step of an individual programme, or referral.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CaseEntry {
    pub at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub author: Option<UserId>,
    /// "need", "step", "referral", "note".
    pub category: String,
    pub text: String,
    #[autosurgeon(missing = "Default::default")]
    pub done: bool,
}

impl CaseNotes {
    pub fn new(space: SpaceId, person: PersonId, org: OrgId) -> Self {
        CaseNotes {
            kind: RecordKind::CaseNotes,
            schema: Self::SCHEMA,
            space,
            id: DocId::random(),
            person,
            org,
            entries: BTreeMap::new(),
        }
    }
}

impl Record for CaseNotes {
    const KIND: RecordKind = RecordKind::CaseNotes;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, _ctx: &ValidationContext) -> Result<(), ValidationError> {
        if self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "a team space of the organisation, never the registry",
            });
        }
        for entry in self.entries.values() {
            check_text("text", &entry.text, 20_000)?;
            check_text("category", &entry.category, 40)?;
        }
        Ok(())
    }
}
