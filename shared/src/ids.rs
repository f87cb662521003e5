//! Identifier newtypes.
//!
//! Every id is a UUID in its own type, so a person id cannot be passed where a
//! space id is expected. In documents ids are stored as their hyphenated
//! string form; on the wire (CBOR) as 16 raw bytes.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The namespace from which deterministic ids are derived (UUID v5).
const ODNOWA_NAMESPACE: Uuid = Uuid::from_bytes([
    0x6f, 0x64, 0x6e, 0x6f, 0x77, 0x61, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
]);

/// A deterministic id: the same `parts` give the same id on every device.
pub(crate) fn derived_uuid(parts: &[&str]) -> Uuid {
    Uuid::new_v5(&ODNOWA_NAMESPACE, parts.join("\u{1f}").as_bytes())
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random id (UUID v7: time-ordered, so lists sort by creation).
            pub fn random() -> Self {
                Self(Uuid::now_v7())
            }

            /// The UUID inside.
            pub fn uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError {
                    kind: stringify!($name),
                    value: s.chars().take(64).collect(),
                })
            }
        }

        impl Reconcile for $name {
            type Key<'a> = autosurgeon::reconcile::NoKey;
            fn reconcile<R: Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
                self.to_string().reconcile(reconciler)
            }
        }

        impl Hydrate for $name {
            fn hydrate_string(s: &str) -> Result<Self, HydrateError> {
                s.parse().map_err(|e: IdError| HydrateError::unexpected("a uuid", e.to_string()))
            }
        }
    };
}

/// A string that is not a valid id of the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind}: {value:?}")]
pub struct IdError {
    kind: &'static str,
    value: String,
}

id_type!(
    /// One Automerge document (one record).
    DocId
);
id_type!(
    /// A person in the consortium registry. The person's document has the same id.
    PersonId
);
id_type!(
    /// A space: the unit of access and of sync.
    SpaceId
);
id_type!(
    /// A member organisation of the consortium.
    OrgId
);
id_type!(
    /// A user (a worker, a coordinator, the office).
    UserId
);
id_type!(
    /// An enrolled device; it acts for one user.
    DeviceId
);
id_type!(
    /// A site: a day room, a day centre, a workshop room.
    SiteId
);

impl PersonId {
    /// The id of the person's registry document.
    pub fn doc_id(&self) -> DocId {
        DocId(self.0)
    }
}

impl From<PersonId> for DocId {
    fn from(person: PersonId) -> DocId {
        person.doc_id()
    }
}

impl SpaceId {
    /// The consortium-wide registry space (persons, the catalogue).
    pub const REGISTRY: SpaceId = SpaceId(Uuid::from_bytes([
        0x6f, 0x64, 0x6e, 0x6f, 0x77, 0x61, 0x40, 0x00, 0x80, 0x00, 0x72, 0x65, 0x67, 0x69, 0x73,
        0x74,
    ]));

    /// Whether this is the registry space.
    pub fn is_registry(&self) -> bool {
        *self == Self::REGISTRY
    }

    /// The referral space of two member organisations: the one place
    /// where records of one organisation reach another (referrals between
    /// them, nothing else). The same id whichever of the two asks.
    pub fn between(a: OrgId, b: OrgId) -> SpaceId {
        let (low, high) = if a.0 <= b.0 { (a, b) } else { (b, a) };
        SpaceId(derived_uuid(&[
            "referrals",
            &low.to_string(),
            &high.to_string(),
        ]))
    }
}

impl DeviceId {
    /// The Automerge actor of the changes an office user makes through the
    /// server (the catalogue, merges): one per user, so a record's history
    /// names them like any device.
    pub fn office(user: UserId) -> DeviceId {
        DeviceId(derived_uuid(&["office", &user.to_string()]))
    }
}

impl DocId {
    /// The one catalogue document of the consortium.
    pub fn catalogue() -> DocId {
        DocId(derived_uuid(&["catalogue"]))
    }

    /// The one `day_session` document of a site on a date (`YYYY-MM-DD`):
    /// every tablet that opens it offline derives the same id.
    pub fn day_session(site: SiteId, date: &crate::time::Date) -> DocId {
        DocId(derived_uuid(&[
            "day_session",
            &site.to_string(),
            &date.to_string(),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings() {
        let id = PersonId::random();
        let parsed: PersonId = id.to_string().parse().expect("parses");
        assert_eq!(parsed, id);
    }

    #[test]
    fn a_malformed_id_is_a_clear_error() {
        let err = "not-a-uuid".parse::<SpaceId>().expect_err("must fail");
        assert_eq!(err.to_string(), "not a valid SpaceId: \"not-a-uuid\"");
    }

    #[test]
    fn a_referral_space_is_the_same_from_either_side() {
        let (a, b, c) = (OrgId::random(), OrgId::random(), OrgId::random());
        assert_eq!(SpaceId::between(a, b), SpaceId::between(b, a));
        assert_ne!(SpaceId::between(a, b), SpaceId::between(a, c));
        assert!(!SpaceId::between(a, b).is_registry());
    }

    #[test]
    fn day_session_ids_are_deterministic() {
        let site = SiteId(Uuid::from_u128(7));
        let date: crate::time::Date = "2026-11-24".parse().expect("date");
        assert_eq!(
            DocId::day_session(site, &date),
            DocId::day_session(site, &date)
        );
        let other: crate::time::Date = "2026-11-25".parse().expect("date");
        assert_ne!(
            DocId::day_session(site, &date),
            DocId::day_session(site, &other)
        );
    }
}
