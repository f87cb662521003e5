//! Writes the office makes through the server: the catalogue (services,
//! sites, member organisations) and merging duplicate persons.
//!
//! Each write is an Automerge change like any device's: made on a copy of
//! the stored document by the office user's own actor
//! ([`DeviceId::office`]), signed with the user's name, and handed to the
//! same ingest path a device push takes — validation, the append with its
//! feed, projections and audit rows, the live pokes. So a new service
//! reaches phones at their next sync, and a merge shows in the person's
//! history with who made it.

use automerge::Automerge;
use serde_bytes::ByteBuf;

use odnowa_shared::document::{self, Author};
use odnowa_shared::ids::{DeviceId, DocId, OrgId, PersonId, SiteId, UserId};
use odnowa_shared::office::{InstitutionEdit, ServiceEdit, SiteEdit, TARGET_METRICS};
use odnowa_shared::protocol::DocPush;
use odnowa_shared::records::{
    Catalogue, CatalogueInstitution, CatalogueOrg, CatalogueSite, DistinctMark, Person, Record,
    RecordKind, institution_kind, site_kind,
};
use odnowa_shared::time::Timestamp;

use crate::exchange::{Peer, SyncService};
use crate::store::{DocMeta, StoreError};

/// How many `merged_into` links a merge follows before it calls the chain
/// broken.
const MAX_MERGE_CHAIN: usize = 32;

/// The office user who writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeAuthor {
    pub user: UserId,
    pub name: String,
}

impl OfficeAuthor {
    /// The author of changes made from the admin command line.
    pub fn admin_cli() -> Self {
        OfficeAuthor {
            user: UserId(uuid::Uuid::nil()),
            name: "admin".into(),
        }
    }

    fn peer(&self) -> Peer {
        Peer {
            device: DeviceId::office(self.user),
            user: self.user,
        }
    }

    pub(crate) fn author(&self) -> Author {
        Author {
            device: DeviceId::office(self.user),
            name: Some(format!("{} · biuro", self.name.trim())),
        }
    }
}

/// Why an office write was not made.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncService {
    /// The catalogue as stored (its empty genesis when nothing was written).
    pub async fn catalogue(&self) -> Result<Catalogue, StoreError> {
        match self.load_current(DocId::catalogue()).await? {
            Some((doc, _)) => document::read::<Catalogue>(&doc)
                .map_err(|e| StoreError::Corrupt(format!("the catalogue: {e}"))),
            None => Ok(Catalogue::genesis_value()),
        }
    }

    /// Writes a whole catalogue over the stored one (what an import or a
    /// test sets up at once); the record must be valid.
    pub async fn put_catalogue(
        &self,
        by: &OfficeAuthor,
        catalogue: &Catalogue,
    ) -> Result<Catalogue, WriteError> {
        self.edit_catalogue(by, "catalogue", |stored| {
            *stored = catalogue.clone();
            Ok(())
        })
        .await
    }

    /// Adds or changes a service of the commissioned package.
    pub async fn put_service(
        &self,
        by: &OfficeAuthor,
        edit: &ServiceEdit,
    ) -> Result<Catalogue, WriteError> {
        let code = edit.code.trim();
        if edit.name_pl.trim().is_empty() || edit.name_en.trim().is_empty() {
            return Err(WriteError::Invalid(
                "a service needs a Polish and an English name".into(),
            ));
        }
        if let (Some(from), Some(to)) = (edit.contract_from, edit.contract_to)
            && to < from
        {
            return Err(WriteError::Invalid(
                "the contract ends before it starts".into(),
            ));
        }
        for (metric, value) in &edit.targets {
            if !TARGET_METRICS.contains(&metric.as_str()) {
                return Err(WriteError::Invalid(format!(
                    "unknown target {metric:?} (known: {})",
                    TARGET_METRICS.join(", ")
                )));
            }
            if *value < 0 {
                return Err(WriteError::Invalid(format!("target {metric} is negative")));
            }
        }
        self.edit_catalogue(by, "service", |catalogue| {
            if let Some(org) = edit.org {
                check_org(catalogue, org)?;
            }
            catalogue.put_service(code, edit.name_pl.trim(), edit.name_en.trim());
            if let Some(service) = catalogue.services.get_mut(code) {
                service.org = edit.org;
                service.retired = edit.retired;
                service.contract_from = edit.contract_from;
                service.contract_to = edit.contract_to;
                service.targets = edit.targets.clone();
            }
            Ok(())
        })
        .await
    }

    /// Adds a site (`edit.id` is `None`) or changes one.
    pub async fn put_site(
        &self,
        by: &OfficeAuthor,
        edit: &SiteEdit,
    ) -> Result<Catalogue, WriteError> {
        if edit.name.trim().is_empty() {
            return Err(WriteError::Invalid("a site needs a name".into()));
        }
        if !site_kind::ALL.contains(&edit.site_kind.as_str()) {
            return Err(WriteError::Invalid(format!(
                "unknown site kind {:?} (known: {})",
                edit.site_kind,
                site_kind::ALL.join(", ")
            )));
        }
        let id = edit.id.unwrap_or_else(SiteId::random);
        self.edit_catalogue(by, "site", |catalogue| {
            if let Some(org) = edit.org {
                check_org(catalogue, org)?;
            }
            if edit.id.is_some() && !catalogue.sites.contains_key(&id.to_string()) {
                return Err(WriteError::NotFound(format!("site {id}")));
            }
            catalogue.sites.insert(
                id.to_string(),
                CatalogueSite {
                    name: edit.name.trim().to_string(),
                    site_kind: edit.site_kind.clone(),
                    org: edit.org,
                },
            );
            Ok(())
        })
        .await
    }

    /// Adds or changes an outside institution of the catalogue (referrals
    /// and programme steps name it by its id).
    pub async fn put_institution(
        &self,
        by: &OfficeAuthor,
        edit: &InstitutionEdit,
    ) -> Result<Catalogue, WriteError> {
        let id = edit.id.trim();
        if !CatalogueInstitution::valid_id(id) {
            return Err(WriteError::Invalid(
                "an institution's id is 1-40 characters of a-z, 0-9, _ and -".into(),
            ));
        }
        if edit.name.trim().is_empty() {
            return Err(WriteError::Invalid("an institution needs a name".into()));
        }
        if !institution_kind::ALL.contains(&edit.institution_kind.as_str()) {
            return Err(WriteError::Invalid(format!(
                "unknown kind of institution {:?} (known: {})",
                edit.institution_kind.chars().take(40).collect::<String>(),
                institution_kind::ALL.join(", ")
            )));
        }
        self.edit_catalogue(by, "institution", |catalogue| {
            catalogue.institutions.insert(
                id.to_string(),
                CatalogueInstitution {
                    name: edit.name.trim().to_string(),
                    institution_kind: edit.institution_kind.clone(),
                    address: edit.address.trim().to_string(),
                    phone: edit.phone.trim().to_string(),
                    retired: edit.retired,
                },
            );
            Ok(())
        })
        .await
    }

    /// Names a member organisation in the catalogue (devices read names
    /// there); the organisation itself is a row of `orgs`.
    pub async fn put_org(
        &self,
        by: &OfficeAuthor,
        org: OrgId,
        name: &str,
    ) -> Result<Catalogue, WriteError> {
        self.edit_catalogue(by, "organisation", |catalogue| {
            catalogue.orgs.insert(
                org.to_string(),
                CatalogueOrg {
                    name: name.trim().to_string(),
                },
            );
            Ok(())
        })
        .await
    }

    /// Marks `from` as a duplicate of `into`: reports then count them as
    /// one person. Refused when it would make a loop.
    pub async fn merge_person(
        &self,
        by: &OfficeAuthor,
        from: PersonId,
        into: PersonId,
    ) -> Result<Person, WriteError> {
        if from == into {
            return Err(WriteError::Invalid(
                "a person cannot be merged into itself".into(),
            ));
        }
        // Follow `into`'s own merges: merging into someone who (through
        // others) is merged into `from` would make a loop.
        let mut next = Some(into);
        for _ in 0..MAX_MERGE_CHAIN {
            let Some(current) = next else { break };
            let person = self
                .person(current)
                .await?
                .ok_or_else(|| WriteError::NotFound(format!("person {current}")))?;
            if person.merged_into == Some(from) {
                return Err(WriteError::Invalid(format!(
                    "{current} is already merged into {from}: undo that merge first"
                )));
            }
            next = person.merged_into;
        }
        let person = self
            .edit_person(by, from, "merge", |person| {
                person.merged_into = Some(into);
                Ok(())
            })
            .await?;
        tracing::info!(by = %by.name, %from, %into, "persons merged");
        Ok(person)
    }

    /// Undoes a merge: `person` counts as a person of their own again.
    pub async fn unmerge_person(
        &self,
        by: &OfficeAuthor,
        person: PersonId,
    ) -> Result<Person, WriteError> {
        let unmerged = self
            .edit_person(by, person, "unmerge", |p| {
                if p.merged_into.is_none() {
                    return Err(WriteError::Invalid(format!(
                        "{person} is not merged into anyone"
                    )));
                }
                p.merged_into = None;
                Ok(())
            })
            .await?;
        tracing::info!(by = %by.name, %person, "merge undone");
        Ok(unmerged)
    }

    /// "These two are different people": a mark on each (in the office's
    /// name: `said_by` none, the change signed by the office user), so the
    /// duplicate finders never propose the pair again. Saying it twice
    /// changes nothing.
    pub async fn mark_distinct(
        &self,
        by: &OfficeAuthor,
        a: PersonId,
        b: PersonId,
    ) -> Result<(), WriteError> {
        if a == b {
            return Err(WriteError::Invalid(
                "a person is not someone else than themselves".into(),
            ));
        }
        for id in [a, b] {
            self.person(id)
                .await?
                .ok_or_else(|| WriteError::NotFound(format!("person {id}")))?;
        }
        let now = Timestamp::now();
        for (one, other) in [(a, b), (b, a)] {
            let known = self
                .person(one)
                .await?
                .is_some_and(|p| p.is_distinct_from(other));
            if known {
                continue;
            }
            self.edit_person(by, one, "not the same person", |person| {
                person.distinct_from.insert(
                    other.to_string(),
                    DistinctMark {
                        said_at: now,
                        said_by: None,
                    },
                );
                Ok(())
            })
            .await?;
        }
        tracing::info!(by = %by.name, %a, %b, "marked as different people");
        Ok(())
    }

    async fn person(&self, id: PersonId) -> Result<Option<Person>, WriteError> {
        match self.load_current(id.doc_id()).await? {
            Some((doc, _)) => document::read::<Person>(&doc)
                .map(Some)
                .map_err(|_| WriteError::NotFound(format!("person {id}"))),
            None => Ok(None),
        }
    }

    async fn edit_person(
        &self,
        by: &OfficeAuthor,
        id: PersonId,
        message: &str,
        change: impl FnOnce(&mut Person) -> Result<(), WriteError>,
    ) -> Result<Person, WriteError> {
        let (doc, meta) = self
            .load_current(id.doc_id())
            .await?
            .ok_or_else(|| WriteError::NotFound(format!("person {id}")))?;
        if meta.kind != RecordKind::Person {
            return Err(WriteError::NotFound(format!("person {id}")));
        }
        let mut person = document::read::<Person>(&doc)
            .map_err(|_| WriteError::NotFound(format!("person {id}")))?;
        change(&mut person)?;
        self.write_record(by, doc, Some(meta), &person, message)
            .await?;
        Ok(person)
    }

    async fn edit_catalogue(
        &self,
        by: &OfficeAuthor,
        message: &str,
        change: impl FnOnce(&mut Catalogue) -> Result<(), WriteError>,
    ) -> Result<Catalogue, WriteError> {
        let (doc, meta) = match self.load_current(DocId::catalogue()).await? {
            Some((doc, meta)) => (doc, Some(meta)),
            None => (
                document::genesis(&Catalogue::genesis_value())
                    .map_err(|e| WriteError::Invalid(e.to_string()))?,
                None,
            ),
        };
        let mut catalogue = document::read::<Catalogue>(&doc)
            .map_err(|e| StoreError::Corrupt(format!("the catalogue: {e}")))?;
        change(&mut catalogue)?;
        self.write_record(by, doc, meta, &catalogue, message)
            .await?;
        Ok(catalogue)
    }

    /// Stores a new record written by `by` (the demo consortium's records:
    /// each under its fictional worker's name, signed "· biuro").
    pub async fn seed_record<R: Record>(
        &self,
        by: &OfficeAuthor,
        record: &R,
    ) -> Result<(), WriteError> {
        let doc = document::create(record, by.author(), Timestamp::now())
            .map_err(|e| WriteError::Invalid(e.to_string()))?;
        self.write_record(by, doc, None, record, "demo").await
    }

    /// Writes `record` over `doc` as `by` and ingests the new changes as a
    /// push from the office's actor. `stored` is `None` for a document the
    /// server does not hold yet (the catalogue's genesis): then every
    /// change goes.
    async fn write_record<R: Record>(
        &self,
        by: &OfficeAuthor,
        mut doc: Automerge,
        stored: Option<DocMeta>,
        record: &R,
        message: &str,
    ) -> Result<(), WriteError> {
        let before = match stored {
            Some(_) => doc.get_heads(),
            None => Vec::new(),
        };
        let written = document::write(&mut doc, record, by.author(), Timestamp::now(), message)
            .map_err(|e| WriteError::Invalid(e.to_string()))?;
        if written.is_none() && stored.is_some() {
            return Ok(()); // nothing changed
        }
        let push = DocPush {
            doc: record.doc_id(),
            space: record.space(),
            kind: R::KIND,
            generation: stored.map_or(0, |m| m.generation),
            changes: doc
                .get_changes(&before)
                .into_iter()
                .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
                .collect(),
        };
        let refused = self.ingest_as(by.peer(), by.author(), &push).await?;
        match refused.into_iter().next() {
            None => Ok(()),
            Some(refusal) => Err(WriteError::Invalid(refusal.reason)),
        }
    }
}

fn check_org(catalogue: &Catalogue, org: OrgId) -> Result<(), WriteError> {
    if catalogue.orgs.contains_key(&org.to_string()) {
        Ok(())
    } else {
        Err(WriteError::NotFound(format!("member organisation {org}")))
    }
}
