//! The kinds of record, as stored in every document and database.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};

/// The kinds of record. Stored as a lowercase string in each document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Person,
    CaseNotes,
    Contact,
    DaySession,
    Workshop,
    Catalogue,
    /// A needs diagnosis of a person (or a household), in a team space.
    Diagnosis,
    /// An individual programme for leaving homelessness (IPWB), in a team space.
    Programme,
    /// A referral to another member organisation (in the two
    /// organisations' referral space) or to an outside institution (in the
    /// sender's team space).
    Referral,
}

impl RecordKind {
    /// Every kind, in a fixed order.
    pub const ALL: [RecordKind; 9] = [
        RecordKind::Person,
        RecordKind::CaseNotes,
        RecordKind::Contact,
        RecordKind::DaySession,
        RecordKind::Workshop,
        RecordKind::Catalogue,
        RecordKind::Diagnosis,
        RecordKind::Programme,
        RecordKind::Referral,
    ];

    /// The kinds of case work about one person that live in a member
    /// organisation's spaces: what an erasure of the person deletes, what
    /// the audit lists per person, what the office never reads in full.
    pub const CASE_WORK: [RecordKind; 4] = [
        RecordKind::CaseNotes,
        RecordKind::Diagnosis,
        RecordKind::Programme,
        RecordKind::Referral,
    ];

    /// The name stored in documents and databases.
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordKind::Person => "person",
            RecordKind::CaseNotes => "case_notes",
            RecordKind::Contact => "contact",
            RecordKind::DaySession => "day_session",
            RecordKind::Workshop => "workshop",
            RecordKind::Catalogue => "catalogue",
            RecordKind::Diagnosis => "diagnosis",
            RecordKind::Programme => "programme",
            RecordKind::Referral => "referral",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no record kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown record kind {0:?}")]
pub struct UnknownKind(pub String);

impl FromStr for RecordKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, UnknownKind> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.chars().take(40).collect()))
    }
}

impl Reconcile for RecordKind {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.as_str().reconcile(reconciler)
    }
}

impl Hydrate for RecordKind {
    fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
        s.parse()
            .map_err(|e: UnknownKind| HydrateError::unexpected("a record kind", e.to_string()))
    }
}
