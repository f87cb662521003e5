//! `catalogue`: the consortium's member organisations, the services of the
//! commissioned package and the sites. One per consortium, in the registry
//! space, written by the office; devices read service chips and sites here.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use super::{Record, RecordKind, record_header};
use crate::ids::{DocId, OrgId, SpaceId};
use crate::time::Date;
use crate::validate::{ValidationContext, ValidationError, check_id_keys, check_text};

/// The consortium catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Catalogue {
    pub kind: RecordKind,
    pub schema: u64,
    pub space: SpaceId,
    pub id: DocId,
    /// Keyed by organisation id.
    pub orgs: BTreeMap<String, CatalogueOrg>,
    /// Keyed by service code ("food", "hot_drink", ...).
    pub services: BTreeMap<String, CatalogueService>,
    /// Keyed by site id.
    pub sites: BTreeMap<String, CatalogueSite>,
    /// Outside institutions a person may be referred to (the social
    /// assistance centre, the labour office, a clinic, probation), keyed
    /// by an id the office gives them. Added after schema 1 as a defaulted
    /// field: older readers ignore it, older writers keep it.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub institutions: BTreeMap<String, CatalogueInstitution>,
}

/// The kinds of outside institution ([`CatalogueInstitution::institution_kind`]).
pub mod institution_kind {
    /// Municipal social assistance centre (OPS / MOPS).
    pub const SOCIAL_ASSISTANCE: &str = "social_assistance";
    /// Labour office (PUP).
    pub const LABOUR_OFFICE: &str = "labour_office";
    pub const HEALTH: &str = "health";
    pub const ADDICTION: &str = "addiction";
    pub const MENTAL_HEALTH: &str = "mental_health";
    pub const HOUSING: &str = "housing";
    /// Police, courts, probation officers.
    pub const JUSTICE: &str = "justice";
    pub const EDUCATION: &str = "education";
    pub const OTHER: &str = "other";
    /// Every kind, in the order the office lists them.
    pub const ALL: [&str; 9] = [
        SOCIAL_ASSISTANCE,
        LABOUR_OFFICE,
        HEALTH,
        ADDICTION,
        MENTAL_HEALTH,
        HOUSING,
        JUSTICE,
        EDUCATION,
        OTHER,
    ];
}

/// An outside institution: it does not use the app, so a referral to it
/// is kept up to date by the organisation that sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CatalogueInstitution {
    pub name: String,
    /// One of [`institution_kind::ALL`].
    pub institution_kind: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub address: String,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub phone: String,
    /// Institutions no longer used stay (old referrals name them) but are
    /// not offered.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub retired: bool,
}

impl CatalogueInstitution {
    /// The most characters an institution's id may have.
    pub const MAX_ID: usize = 40;

    /// Whether `id` may name an institution: 1-40 characters of a-z, 0-9, `_` and `-`.
    pub fn valid_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= Self::MAX_ID
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    }
}

/// A member organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CatalogueOrg {
    pub name: String,
}

/// A service of the commissioned package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CatalogueService {
    pub name_pl: String,
    pub name_en: String,
    /// The member organisation that delivers it, if one.
    #[autosurgeon(missing = "Default::default")]
    pub org: Option<OrgId>,
    /// Retired services stay (old records name them) but are not offered.
    #[autosurgeon(missing = "Default::default")]
    pub retired: bool,
    /// Where the service stands among the chips a worker taps: the most
    /// common first (food, a hot drink). Equal positions fall back to the
    /// code; services written before this field existed read as 0.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub position: i64,
    /// The contract period of the commission, both days included.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub contract_from: Option<Date>,
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub contract_to: Option<Date>,
    /// Targets for the contract period by metric (`office::TARGET_METRICS`:
    /// "unique_persons", "records", "hours"), e.g. 120 unique persons.
    #[autosurgeon(missing = "Default::default")]
    #[serde(default)]
    pub targets: BTreeMap<String, i64>,
}

/// The kinds of site the catalogue knows ([`CatalogueSite::site_kind`]).
pub mod site_kind {
    pub const DAY_ROOM: &str = "day_room";
    pub const DAY_CENTRE: &str = "day_centre";
    pub const WORKSHOP: &str = "workshop";
    pub const STREET: &str = "street";
    /// Every kind, in the order the office lists them.
    pub const ALL: [&str; 4] = [DAY_ROOM, DAY_CENTRE, WORKSHOP, STREET];
}

/// A site: a day room, a day centre, a workshop room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CatalogueSite {
    pub name: String,
    /// One of [`site_kind::ALL`].
    pub site_kind: String,
    #[autosurgeon(missing = "Default::default")]
    pub org: Option<OrgId>,
}

impl Catalogue {
    /// The catalogue as its genesis holds it: empty, the same on every device.
    pub fn genesis_value() -> Self {
        Catalogue {
            kind: RecordKind::Catalogue,
            schema: Self::SCHEMA,
            space: SpaceId::REGISTRY,
            id: DocId::catalogue(),
            orgs: BTreeMap::new(),
            services: BTreeMap::new(),
            sites: BTreeMap::new(),
            institutions: BTreeMap::new(),
        }
    }

    /// Adds or renames a service; a new one goes after the others.
    pub fn put_service(&mut self, code: &str, name_pl: &str, name_en: &str) {
        let next = self
            .services
            .values()
            .map(|s| s.position)
            .max()
            .map_or(1, |last| last + 1);
        let service = self
            .services
            .entry(code.to_string())
            .or_insert(CatalogueService {
                name_pl: String::new(),
                name_en: String::new(),
                org: None,
                retired: false,
                position: next,
                contract_from: None,
                contract_to: None,
                targets: BTreeMap::new(),
            });
        service.name_pl = name_pl.to_string();
        service.name_en = name_en.to_string();
    }

    /// The services offered to workers (not retired), in their positions.
    pub fn active_services(&self) -> Vec<(&String, &CatalogueService)> {
        let mut active: Vec<_> = self.services.iter().filter(|(_, s)| !s.retired).collect();
        active.sort_by_key(|(code, s)| (s.position, code.as_str()));
        active
    }

    /// A catalogue with the services an outreach team usually delivers.
    pub fn with_default_services() -> Self {
        let mut catalogue = Self::genesis_value();
        for (code, pl, en) in DEFAULT_SERVICES {
            catalogue.put_service(code, pl, en);
        }
        catalogue
    }
}

/// The usual services of a street-work and day-room package.
pub const DEFAULT_SERVICES: [(&str, &str, &str); 12] = [
    ("food", "Posiłek / żywność", "Food"),
    ("hot_drink", "Gorący napój", "Hot drink"),
    ("clothing", "Odzież", "Clothing"),
    ("hygiene_kit", "Zestaw higieniczny", "Hygiene kit"),
    ("information", "Informacja", "Information"),
    (
        "ref_shelter",
        "Skierowanie do schroniska",
        "Referral to a shelter",
    ),
    (
        "ref_medical",
        "Skierowanie do lekarza",
        "Referral to medical care",
    ),
    (
        "ref_social",
        "Skierowanie do OPS",
        "Referral to the social assistance office",
    ),
    (
        "conversation",
        "Rozmowa wspierająca",
        "Supportive conversation",
    ),
    ("crisis", "Interwencja kryzysowa", "Crisis intervention"),
    ("day_room", "Pobyt w świetlicy", "Day-room attendance"),
    ("workshop", "Warsztat", "Workshop"),
];

impl Record for Catalogue {
    const KIND: RecordKind = RecordKind::Catalogue;
    const SCHEMA: u64 = 1;
    record_header!();

    fn validate(&self, _ctx: &ValidationContext) -> Result<(), ValidationError> {
        if !self.space.is_registry() || self.id != DocId::catalogue() {
            return Err(ValidationError::WrongSpace {
                kind: Self::KIND,
                expected: "the registry, under the catalogue id",
            });
        }
        check_id_keys::<OrgId>("orgs", self.orgs.keys())?;
        check_id_keys::<crate::ids::SiteId>("sites", self.sites.keys())?;
        for code in self.services.keys() {
            let valid = !code.is_empty()
                && code.len() <= 40
                && code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(ValidationError::Invalid {
                    field: "services",
                    reason: "a service code is 1-40 characters of a-z, 0-9 and _",
                });
            }
        }
        for service in self.services.values() {
            check_text("name_pl", &service.name_pl, 200)?;
            check_text("name_en", &service.name_en, 200)?;
        }
        for org in self.orgs.values() {
            check_text("name", &org.name, 200)?;
        }
        for site in self.sites.values() {
            check_text("name", &site.name, 200)?;
        }
        for (id, institution) in &self.institutions {
            if !CatalogueInstitution::valid_id(id) {
                return Err(ValidationError::Invalid {
                    field: "institutions",
                    reason: "an institution's id is 1-40 characters of a-z, 0-9, _ and -",
                });
            }
            if institution.name.trim().is_empty() {
                return Err(ValidationError::Required("name"));
            }
            check_text("name", &institution.name, 200)?;
            check_text("institution_kind", &institution.institution_kind, 40)?;
            check_text("address", &institution.address, 300)?;
            check_text("phone", &institution.phone, 40)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_offered_in_their_positions() {
        let mut catalogue = Catalogue::with_default_services();
        let codes: Vec<&str> = catalogue
            .active_services()
            .into_iter()
            .map(|(code, _)| code.as_str())
            .collect();
        assert_eq!(&codes[..3], ["food", "hot_drink", "clothing"]);

        catalogue.put_service("blanket", "Koc", "Blanket");
        catalogue.put_service("food", "Jedzenie", "Food");
        if let Some(service) = catalogue.services.get_mut("hot_drink") {
            service.retired = true;
        }
        let codes: Vec<&str> = catalogue
            .active_services()
            .into_iter()
            .map(|(code, _)| code.as_str())
            .collect();
        assert_eq!(codes.first(), Some(&"food"), "renaming keeps the place");
        assert_eq!(codes.last(), Some(&"blanket"), "a new service goes last");
        assert!(
            !codes.contains(&"hot_drink"),
            "retired services are not offered"
        );
    }
}
