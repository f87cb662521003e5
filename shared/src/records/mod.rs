//! The record kinds: typed structs mapped to Automerge documents.
//!
//! One Automerge document per record. Every record carries `kind`, `schema`
//! and `space` at the root of its document. Collections inside a record are
//! maps keyed by id, never lists, so concurrent additions merge per entry.
//! Fields are only ever added (as `Option` or with a default when missing),
//! never renamed or re-typed; the derive of `Reconcile` writes only the fields
//! it knows and leaves unknown ones in place, so an older app version
//! preserves what a newer one wrote.

mod case_notes;
mod catalogue;
mod contact;
mod day_session;
mod diagnosis;
pub mod kind;
mod person;
mod programme;
mod referral;
mod workshop;

use std::fmt;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};

pub use case_notes::{CaseEntry, CaseNotes};
pub use catalogue::{
    Catalogue, CatalogueInstitution, CatalogueOrg, CatalogueService, CatalogueSite,
    DEFAULT_SERVICES, institution_kind, site_kind,
};
pub use contact::{Contact, ContactPerson, FollowUp, GeoPoint, ServiceDelivered};
pub use day_session::{Attendance, DaySession};
pub use diagnosis::{Diagnosis, DomainAssessment, HouseholdMember, domain, level};
pub use kind::{RecordKind, UnknownKind};
pub use person::{Consent, DistinctMark, Gender, Person, SiteRegistration, consent_scope};
pub use programme::{Goal, Programme, Review, Step, carrier, outcome, step_status};
pub use referral::{Referral, ReferralShare, ReferralStatus, ReferralTarget, Stamp};
pub use workshop::{Participant, Workshop, WorkshopItem};

use crate::ids::{DocId, SpaceId};
use crate::validate::{ValidationContext, ValidationError};

/// What every record type provides.
pub trait Record:
    Hydrate
    + Reconcile
    + Clone
    + fmt::Debug
    + Serialize
    + for<'de> Deserialize<'de>
    + Send
    + Sync
    + 'static
{
    /// The kind stored in the document.
    const KIND: RecordKind;
    /// The schema version this code writes.
    const SCHEMA: u64;

    /// The record's document id.
    fn doc_id(&self) -> DocId;
    /// The space the record belongs to, forever.
    fn space(&self) -> SpaceId;
    /// The kind and schema as stored in the document.
    fn header(&self) -> (RecordKind, u64);
    /// Checks the record's content; see [`crate::validate`].
    fn validate(&self, ctx: &ValidationContext) -> Result<(), ValidationError>;
}

/// A count that several devices may raise at once (meals, walk-ins): an
/// Automerge counter, so concurrent increments add up instead of one
/// overwriting the other.
#[derive(Clone, Default)]
pub struct Tally(autosurgeon::Counter);

impl Reconcile for Tally {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.0.reconcile(reconciler)
    }
}

impl Hydrate for Tally {
    fn hydrate_counter(c: i64) -> Result<Self, HydrateError> {
        autosurgeon::Counter::hydrate_counter(c).map(Tally)
    }
}

impl Tally {
    /// A new tally starting at `value`.
    pub fn new(value: i64) -> Self {
        Tally(autosurgeon::Counter::with_value(value))
    }
    /// The current value.
    pub fn value(&self) -> i64 {
        self.0.value()
    }
    /// Adds `by` (may be negative, to correct a mistake).
    pub fn add(&mut self, by: i64) {
        self.0.increment(by)
    }
}

impl fmt::Debug for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tally({})", self.value())
    }
}

impl PartialEq for Tally {
    fn eq(&self, other: &Self) -> bool {
        self.value() == other.value()
    }
}

impl Serialize for Tally {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.value())
    }
}

impl<'de> Deserialize<'de> for Tally {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i64::deserialize(d).map(Tally::new)
    }
}

/// Implements the header part of [`Record`] for a struct with `kind`,
/// `schema`, `space` and `id` fields.
macro_rules! record_header {
    () => {
        fn doc_id(&self) -> $crate::ids::DocId {
            self.id
        }
        fn space(&self) -> $crate::ids::SpaceId {
            self.space
        }
        fn header(&self) -> ($crate::records::RecordKind, u64) {
            (self.kind, self.schema)
        }
    };
}
pub(crate) use record_header;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for kind in RecordKind::ALL {
            assert_eq!(kind.as_str().parse::<RecordKind>(), Ok(kind));
        }
        assert!("persons".parse::<RecordKind>().is_err());
    }
}
