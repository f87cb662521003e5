//! `person`: a consortium-wide registry entry, minimal and pseudonymous.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Record, RecordKind, record_header};
use crate::ids::{DocId, OrgId, PersonId, SiteId, SpaceId, UserId};
use crate::time::Timestamp;
use crate::validate::{ValidationContext, ValidationError, check_id_keys, check_text};

/// A person in the registry. No sensitive notes here: those live in
/// [`super::CaseNotes`] in one organisation's space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Person {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    /// Known alias or nickname; the only name the registry holds.
    pub alias: String,
    #[autosurgeon(missing = "Default::default")]
    pub birth_year: Option<i64>,
    #[autosurgeon(missing = "Default::default")]
    pub gender: Gender,
    #[autosurgeon(missing = "Default::default")]
    pub consent: Option<Consent>,
    /// Set when this entry is a duplicate of another person.
    #[autosurgeon(missing = "Default::default")]
    pub merged_into: Option<PersonId>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub created_by: Option<UserId>,
    /// Sites (day rooms, workshops) where the person is registered, keyed
    /// by site id: a day room's board lists them. Added after schema 1
    /// without a schema bump: older readers ignore it, older writers keep it.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub sites: BTreeMap<String, SiteRegistration>,
    /// Persons a worker (at the duplicate warning) or the office (at the
    /// duplicate finder) said are someone else, keyed by person id: the
    /// pair is not proposed as a duplicate again. Marks are only added,
    /// each in its sayer's name. Added without a schema bump, like `sites`.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub distinct_from: BTreeMap<String, DistinctMark>,
}

/// "This is someone else": who said so and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DistinctMark {
    pub said_at: Timestamp,
    /// The worker who said it; `None` when the office did (its audit log
    /// names the office user).
    #[autosurgeon(missing = "Default::default")]
    pub said_by: Option<UserId>,
}

/// A person's registration at a site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct SiteRegistration {
    pub registered_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub registered_by: Option<UserId>,
}

/// Gender as recorded. Stored as a short code so that codes added later
/// survive on older app versions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Gender(pub String);

impl Gender {
    pub const FEMALE: &'static str = "female";
    pub const MALE: &'static str = "male";
    pub const OTHER: &'static str = "other";
    pub const UNKNOWN: &'static str = "";
    /// The codes this version knows.
    pub const KNOWN: [&'static str; 4] = [Self::FEMALE, Self::MALE, Self::OTHER, Self::UNKNOWN];

    pub fn new(code: &str) -> Self {
        Gender(code.to_string())
    }
}

impl Reconcile for Gender {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.0.reconcile(reconciler)
    }
}

impl Hydrate for Gender {
    fn hydrate_string(s: &str) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Gender(s.to_string()))
    }
}

/// Consent to processing, as recorded by a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Consent {
    pub given_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub recorded_by: Option<UserId>,
    /// What the consent covers, as free codes ("services", "registry", ...).
    #[autosurgeon(missing = "Default::default")]
    pub scope: String,
    #[autosurgeon(missing = "Default::default")]
    pub withdrawn_at: Option<Timestamp>,
    /// Who recorded the withdrawal.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub withdrawn_by: Option<UserId>,
    /// The organisation whose worker recorded the consent: the one that
    /// keeps seeing the person's details after a withdrawal.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub org: Option<OrgId>,
}

/// The codes a consent's [`Consent::scope`] holds, separated by spaces or
/// commas. Codes this version does not know are kept and ignored.
pub mod consent_scope {
    /// Processing the person's data to give them services.
    pub const SERVICES: &str = "services";
    /// Sharing their latest needs diagnosis with a member organisation
    /// they are referred to.
    pub const SHARE_DIAGNOSIS: &str = "share_diagnosis";
    /// Sharing the goals of their individual programme with a member
    /// organisation they are referred to.
    pub const SHARE_PROGRAMME: &str = "share_programme";
}

impl Consent {
    /// The most characters [`Consent::scope`] may hold.
    pub const MAX_SCOPE: usize = 200;

    /// Whether the consent is in force and its scope holds `code`.
    pub fn covers(&self, code: &str) -> bool {
        self.withdrawn_at.is_none()
            && self
                .scope
                .split(|c: char| c.is_whitespace() || c == ',')
                .any(|part| part == code)
    }

    /// Consent given now by the person, recorded by `user` of `org`.
    pub fn given(at: Timestamp, user: UserId, org: Option<OrgId>, scope: &str) -> Self {
        Consent {
            given_at: at,
            recorded_by: Some(user),
            scope: scope.trim().to_string(),
            withdrawn_at: None,
            withdrawn_by: None,
            org,
        }
    }
}

impl Person {
    /// Whether the person's consent is in force and covers `code`
    /// ([`consent_scope`]).
    pub fn consents_to(&self, code: &str) -> bool {
        self.consent.as_ref().is_some_and(|c| c.covers(code))
    }

    /// Whether the person withdrew their consent.
    pub fn consent_withdrawn(&self) -> bool {
        self.consent
            .as_ref()
            .is_some_and(|c| c.withdrawn_at.is_some())
    }

    /// Whether the person's details are hidden from users of `org`: after
    /// a withdrawal of consent, everywhere outside the organisation that
    /// recorded it.
    pub fn hidden_from(&self, org: Option<OrgId>) -> bool {
        match &self.consent {
            Some(c) if c.withdrawn_at.is_some() => c.org != org,
            _ => false,
        }
    }

    /// The entry with its identifying details left out (alias, birth
    /// year, gender, sites), as shown where they are hidden.
    pub fn redacted(mut self) -> Person {
        self.alias = String::new();
        self.birth_year = None;
        self.gender = Gender::default();
        self.sites.clear();
        self
    }

    /// A new person in the registry space.
    pub fn new(alias: &str, created_at: Timestamp) -> Self {
        Person {
            kind: RecordKind::Person,
            schema: Self::SCHEMA,
            space: SpaceId::REGISTRY,
            id: PersonId::random().doc_id(),
            alias: alias.trim().to_string(),
            birth_year: None,
            gender: Gender::default(),
            consent: None,
            merged_into: None,
            created_at,
            created_by: None,
            sites: BTreeMap::new(),
            distinct_from: BTreeMap::new(),
        }
    }

    /// Whether someone said this person and `other` are different people.
    pub fn is_distinct_from(&self, other: PersonId) -> bool {
        self.distinct_from.contains_key(&other.to_string())
    }

    /// Registers the person at `site` (kept as is when already registered).
    pub fn register_at(&mut self, site: SiteId, by: Option<UserId>, at: Timestamp) {
        self.sites
            .entry(site.to_string())
            .or_insert(SiteRegistration {
                registered_at: at,
                registered_by: by,
            });
    }

    /// Whether the person is registered at `site`.
    pub fn is_registered_at(&self, site: SiteId) -> bool {
        self.sites.contains_key(&site.to_string())
    }

    /// The person id (the same UUID as the document).
    pub fn person_id(&self) -> PersonId {
        PersonId(self.id.0)
    }
}

impl Record for Person {
    const KIND: RecordKind = RecordKind::Person;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, _ctx: &ValidationContext) -> Result<(), ValidationError> {
        if !self.space.is_registry() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "the registry",
            });
        }
        if self.alias.trim().is_empty() {
            return Err(ValidationError::Required("alias"));
        }
        check_text("alias", &self.alias, 120)?;
        if let Some(consent) = &self.consent {
            check_text("consent.scope", &consent.scope, Consent::MAX_SCOPE)?;
        }
        if let Some(year) = self.birth_year
            && !(1900..=2100).contains(&year)
        {
            return Err(ValidationError::OutOfRange {
                field: "birth_year",
                value: year.to_string(),
            });
        }
        check_id_keys::<SiteId>("sites", self.sites.keys())?;
        check_id_keys::<PersonId>("distinct_from", self.distinct_from.keys())?;
        if self.is_distinct_from(self.person_id()) {
            return Err(ValidationError::Invalid {
                field: "distinct_from",
                reason: "a person cannot be someone else than themselves",
            });
        }
        if self.merged_into == Some(self.person_id()) {
            return Err(ValidationError::Invalid {
                field: "merged_into",
                reason: "a person cannot be merged into itself",
            });
        }
        Ok(())
    }
}
