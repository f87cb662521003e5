//! The field app's commands as typed engine methods: each takes the
//! arguments of one command of [`odnowa_shared::api::cmd`] and returns its
//! view, so the Tauri shell stays a thin wrapper and every rule here is
//! testable without a window.
//!
//! Where a new record goes: persons (and the catalogue) into the
//! consortium-wide registry space, which the device must be allowed to
//! write; contacts, day sessions and workshops into the user's team space,
//! the first writable space other than the registry (by name), as the
//! server last listed them. A device that has never synced knows no spaces
//! and cannot create records yet.
//!
//! Input is checked before anything is written: an unknown service code,
//! an unknown person, negative hours or a broken rule gives an
//! [`EngineError`] (kind `invalid` or `not_found` across IPC) and stores
//! nothing.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use automerge::Automerge;

use odnowa_shared::api::{
    Access, AppInfo, BoardEntry, CatalogueView, ConsentView, ContactDraft, ContactView,
    DaySessionView, EnrolRequest, IdentityView, ItemDraft, ParticipantView, PersonDraft,
    PersonView, Progress, RecentPerson, RecordMeta, ServiceView, SimilarPerson, SiteView, SyncView,
    WorkshopDraft, WorkshopView,
};
use odnowa_shared::conflicts;
use odnowa_shared::document;
use odnowa_shared::ids::{DocId, OrgId, PersonId, SiteId, SpaceId};
use odnowa_shared::records::{
    Catalogue, Consent, Contact, ContactPerson, DaySession, DistinctMark, FollowUp, Gender,
    Participant, Person, Record, RecordKind, Workshop, WorkshopItem,
};
use odnowa_shared::search;
use odnowa_shared::time::{Date, Timestamp};

use super::replica::replica_of;
use super::store::ViewDocs;
use super::{Engine, EngineError, Result};

/// At most this many persons come back from a search or a duplicate check.
const MAX_PERSONS: usize = 50;
/// At most this many recent places are offered.
const MAX_PLACES: usize = 12;
/// The most recently met persons [`Engine::recent_persons`] offers.
const MAX_RECENT_PERSONS: usize = 12;
/// A larger change of the meals count in one tap is a typing mistake.
const MAX_MEALS_DELTA: i64 = 500;

pub(super) use super::replica::{Stored, read_row};

/// The gender code stored for a draft's `f`, `m`, `x` or empty (the long
/// codes are accepted too).
fn gender_of(code: &str) -> Result<Gender> {
    let stored = match code.trim() {
        "f" | Gender::FEMALE => Gender::FEMALE,
        "m" | Gender::MALE => Gender::MALE,
        "x" | Gender::OTHER => Gender::OTHER,
        "" => Gender::UNKNOWN,
        _ => {
            return Err(EngineError::Invalid(
                "gender is f, m, x (other) or empty (not known)".into(),
            ));
        }
    };
    Ok(Gender::new(stored))
}

/// The short code the screens use; codes this version does not know pass
/// through as they are.
fn gender_code(gender: &Gender) -> String {
    match gender.0.as_str() {
        Gender::FEMALE => "f".into(),
        Gender::MALE => "m".into(),
        Gender::OTHER => "x".into(),
        other => other.into(),
    }
}

/// A person as the screens see them; a person given by [`Engine::shown`]
/// with their details left out (an empty alias, which a stored person
/// never has) shows as hidden.
pub(super) fn person_view(person: &Person, confirmed: bool) -> PersonView {
    PersonView {
        id: person.person_id(),
        alias: person.alias.clone(),
        birth_year: person.birth_year,
        gender: gender_code(&person.gender),
        confirmed,
        consent: person.consent.as_ref().map(|c| ConsentView {
            given_at: c.given_at,
            scope: c.scope.clone(),
            withdrawn_at: c.withdrawn_at,
        }),
        hidden: person.alias.is_empty() && person.consent_withdrawn(),
    }
}

/// A view of a person the device does not hold (erased, or not synced yet).
fn unknown_person(id: PersonId) -> PersonView {
    PersonView {
        id,
        alias: String::new(),
        birth_year: None,
        gender: String::new(),
        confirmed: false,
        consent: None,
        hidden: false,
    }
}

pub(super) fn not_found(id: impl Into<DocId>) -> EngineError {
    EngineError::NotFound(id.into())
}

/// Persons as this device shows them (the details of those who withdrew
/// consent left out unless this device's organisation recorded it), by id
/// with whether the server confirmed them, and by folded alias for search.
/// Built once per change of the persons and kept ([`LocalStore::derived`]).
pub(super) struct PersonIndex {
    by_id: HashMap<PersonId, (Person, bool)>,
    /// Every person's id by folded alias, in alias order.
    folded: Vec<(String, PersonId)>,
}

impl PersonIndex {
    fn of(persons: &ViewDocs<Stored<Person>>, org: Option<OrgId>) -> Self {
        let mut by_id = HashMap::with_capacity(persons.len());
        let mut folded = Vec::with_capacity(persons.len());
        for stored in persons.values() {
            let record = if stored.record.hidden_from(org) {
                stored.record.clone().redacted()
            } else {
                stored.record.clone()
            };
            let id = record.person_id();
            folded.push((search::fold(&record.alias), id));
            by_id.insert(id, (record, stored.confirmed));
        }
        folded.sort();
        PersonIndex { by_id, folded }
    }

    /// The person `id` as shown, with whether the server confirmed them.
    pub(super) fn get(&self, id: &PersonId) -> Option<&(Person, bool)> {
        self.by_id.get(id)
    }

    /// Every person as shown, by id, in no order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&PersonId, &(Person, bool))> {
        self.by_id.iter()
    }

    /// Every person as shown with their folded alias, in alias order.
    fn shown(&self) -> impl Iterator<Item = (&str, &Person, bool)> {
        self.folded.iter().filter_map(|(folded, id)| {
            let (person, confirmed) = self.by_id.get(id)?;
            Some((folded.as_str(), person, *confirmed))
        })
    }
}

impl Engine {
    // ---- helpers ----

    /// Every record of a kind with its confirmation, conflicts and first
    /// author, by document: decoded once and kept in memory while the key
    /// is held (only records written since are decoded again); records
    /// that do not read are skipped with a warning.
    pub(super) async fn stored<R: Record>(&self) -> Result<ViewDocs<Stored<R>>> {
        self.inner.replica.stored::<R>().await
    }

    /// One record of kind `R`; `NotFound` when there is none of that kind.
    pub(super) async fn stored_one<R: Record>(&self, id: DocId) -> Result<Stored<R>> {
        match self.store().doc(id).await? {
            Some(row) if row.kind == R::KIND => read_row(&row),
            _ => Err(not_found(id)),
        }
    }

    /// The persons as shown (see [`PersonIndex`]).
    pub(super) async fn person_index(&self) -> Result<Arc<PersonIndex>> {
        let persons = self.stored::<Person>().await?;
        let org = self.own_org().await?;
        Ok(self
            .store()
            .derived(&persons, org, || PersonIndex::of(&persons, org)))
    }

    /// The persons a stale device still shows: those this user registered
    /// or met (what others recorded stays hidden until the next sync).
    pub(super) async fn own_persons(&self) -> Result<BTreeSet<PersonId>> {
        let me = self.require_identity().await?.user;
        let mut own: BTreeSet<PersonId> = self
            .stored::<Person>()
            .await?
            .values()
            .filter(|p| p.record.created_by == Some(me))
            .map(|p| p.record.person_id())
            .collect();
        for contact in self.stored::<Contact>().await?.values() {
            if contact.record.worker == me {
                own.extend(contact.record.person_ids());
            }
        }
        Ok(own)
    }

    /// Persons shown now: everybody, or on a stale device only its own
    /// (`None`: everybody).
    async fn listed_only(&self, stale: bool) -> Result<Option<BTreeSet<PersonId>>> {
        Ok(if stale {
            Some(self.own_persons().await?)
        } else {
            None
        })
    }

    /// Refuses a person id this device does not hold (`NotFound`).
    pub(super) async fn require_person(&self, person: PersonId) -> Result<Person> {
        match self.store().doc(person.doc_id()).await? {
            Some(row) if row.kind == RecordKind::Person => {
                Ok(document::read(&replica_of(&row)?.doc)?)
            }
            _ => Err(not_found(person)),
        }
    }

    /// The space a new record of `kind` goes to (see the module docs).
    pub(super) async fn space_for(&self, kind: RecordKind) -> Result<SpaceId> {
        self.require_identity().await?;
        let spaces = self.spaces().await?;
        if spaces.is_empty() {
            return Err(EngineError::Invalid(
                "this device has not synced yet: connect once so that it learns where it may write"
                    .into(),
            ));
        }
        let registry = matches!(kind, RecordKind::Person | RecordKind::Catalogue);
        // A referral space (`partner`) holds referrals only.
        let found = spaces
            .iter()
            .find(|s| s.write && s.partner.is_none() && s.space.is_registry() == registry);
        match found {
            Some(space) => Ok(space.space),
            None if registry => Err(EngineError::Invalid(
                "this device may not add persons to the registry: ask your coordinator".into(),
            )),
            None => Err(EngineError::Invalid(
                "this device may write in no team space: ask your coordinator".into(),
            )),
        }
    }

    pub(super) async fn catalogue_or_empty(&self) -> Result<Catalogue> {
        Ok(self
            .inner
            .replica
            .catalogue()
            .await?
            .unwrap_or_else(Catalogue::genesis_value))
    }

    /// Refuses a site the catalogue does not list.
    async fn require_site(&self, site: SiteId) -> Result<String> {
        let catalogue = self.catalogue_or_empty().await?;
        match catalogue.sites.get(&site.to_string()) {
            Some(found) => Ok(found.name.clone()),
            None => Err(EngineError::Invalid(format!(
                "unknown site {site}: it is not in the catalogue"
            ))),
        }
    }

    // ---- app, enrolment, sync ----

    /// What the app needs at start: the version and who this device is.
    pub async fn app_info(&self) -> Result<AppInfo> {
        let lock = self.lock_view().await?;
        let shown = matches!(lock.access, Access::Open | Access::Stale);
        let identity = match self.identity().await.filter(|_| shown) {
            Some(identity) => Some(IdentityView {
                server: identity.server,
                device: identity.device.to_string(),
                user: identity.user,
                writable_spaces: self
                    .spaces()
                    .await?
                    .into_iter()
                    .filter(|s| s.write)
                    .map(|s| s.name)
                    .collect(),
            }),
            None => None,
        };
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            identity,
            lock,
        })
    }

    /// Enrols the device and starts its first sync in the background.
    pub async fn enrol_device(&self, request: &EnrolRequest) -> Result<AppInfo> {
        if request.code.trim().is_empty() {
            return Err(EngineError::Invalid(
                "enter the code from your coordinator".into(),
            ));
        }
        self.enrol(
            &request.server,
            request.code.trim(),
            &request.device_name,
            &request.pin,
        )
        .await?;
        self.inner.sync.set_status(|s| {
            s.first_sync = Some(Progress::default());
        });
        self.inner.sync.wake();
        self.app_info().await
    }

    /// The sync state for the header and the first-sync screen.
    pub async fn sync_view(&self) -> Result<SyncView> {
        Ok(SyncView {
            records: self.doc_count().await?,
            access: self.access(),
            ..self.status()
        })
    }

    /// [`Engine::sync_view`], polled by the screens; `active` says the
    /// person tapped or typed since the last poll (typing a long note
    /// calls no command but must not lock the app).
    pub async fn sync_view_polled(&self, active: bool) -> Result<SyncView> {
        if active {
            // Only postpones the lock of an open app; never opens one.
            let _ = self.gate(true);
        }
        self.sync_view().await
    }

    /// Opens the data with the PIN ([`Engine::unlock`]).
    pub async fn unlock_view(&self, pin: &str) -> Result<AppInfo> {
        self.unlock(pin).await?;
        self.app_info().await
    }

    /// Locks the screens now ([`Engine::lock`]).
    pub async fn lock_now(&self) -> Result<AppInfo> {
        self.lock();
        self.app_info().await
    }

    /// Erases this device's data ([`Engine::reset`]).
    pub async fn reset_device(&self) -> Result<AppInfo> {
        self.reset().await?;
        self.app_info().await
    }

    /// Syncs once and returns the state after it; a failed sync is
    /// reported in `last_error`, not as an error (the app works offline).
    pub async fn sync_now_view(&self) -> Result<SyncView> {
        self.require_identity().await?;
        if let Err(e) = self.sync_now().await {
            tracing::info!(error = %e, "sync failed");
        }
        self.sync_view().await
    }

    // ---- catalogue ----

    /// The active services and the sites, for the chips and pickers.
    pub async fn catalogue_view(&self) -> Result<CatalogueView> {
        self.recording(false)?;
        let catalogue = self.catalogue_or_empty().await?;
        let mut sites: Vec<SiteView> = catalogue
            .sites
            .iter()
            .filter_map(|(id, site)| {
                Some(SiteView {
                    id: id.parse().ok()?,
                    name: site.name.clone(),
                    site_kind: site.site_kind.clone(),
                })
            })
            .collect();
        sites.sort_by_key(|s| search::fold(&s.name));
        Ok(CatalogueView {
            services: catalogue
                .active_services()
                .into_iter()
                .map(|(code, service)| ServiceView {
                    code: code.clone(),
                    name_pl: service.name_pl.clone(),
                    name_en: service.name_en.clone(),
                })
                .collect(),
            sites,
        })
    }

    // ---- persons ----

    /// Persons whose alias contains `query`, case and diacritics ignored
    /// (merged duplicates left out); those whose alias starts with it
    /// first, then by alias. An empty query lists everybody, by alias.
    pub async fn search_persons(&self, query: &str) -> Result<Vec<PersonView>> {
        let stale = self.recording(true)?;
        let folded = search::fold(query);
        let only = self.listed_only(stale).await?;
        let persons = self.person_index().await?;
        // In alias order already: those whose alias starts with the query
        // first, then the others, each group by alias.
        let (mut first, mut then) = (Vec::new(), Vec::new());
        for (alias, record, confirmed) in persons.shown() {
            if record.merged_into.is_some()
                || !alias.contains(&folded)
                || only
                    .as_ref()
                    .is_some_and(|own| !own.contains(&record.person_id()))
            {
                continue;
            }
            if alias.starts_with(&folded) {
                if first.len() < MAX_PERSONS {
                    first.push(person_view(record, confirmed));
                }
            } else if then.len() < MAX_PERSONS {
                then.push(person_view(record, confirmed));
            }
        }
        first.extend(then);
        first.truncate(MAX_PERSONS);
        Ok(first)
    }

    /// Persons who look like `draft` (see [`search::looks_alike`]), for the
    /// duplicate warning of the new-person form, each with when they were
    /// registered and last met (and where); those the worker already said
    /// are someone else (`draft.distinct_from`) left out.
    pub async fn similar_persons(&self, draft: &PersonDraft) -> Result<Vec<SimilarPerson>> {
        let stale = self.recording(true)?;
        let found = self.alike(draft, stale).await?;
        if found.is_empty() {
            return Ok(Vec::new());
        }
        // What the worker judges by: when and where they were last met.
        let me = self.require_identity().await?.user;
        // One pass over the contacts for all of them: how many each has,
        // and the latest.
        let mut met: HashMap<String, (u64, Option<&Contact>)> = found
            .iter()
            .map(|(_, record, _)| (record.person_id().to_string(), (0, None)))
            .collect();
        let contacts = self.stored::<Contact>().await?;
        for contact in contacts.values().map(|s| &s.record) {
            if stale && contact.worker != me {
                continue;
            }
            for key in contact.persons.keys() {
                if let Some((count, last)) = met.get_mut(key) {
                    *count += 1;
                    if last.is_none_or(|l| (l.at, l.id) < (contact.at, contact.id)) {
                        *last = Some(contact);
                    }
                }
            }
        }
        Ok(found
            .into_iter()
            .map(|(_, record, confirmed)| {
                let (count, last) = met
                    .get(&record.person_id().to_string())
                    .copied()
                    .unwrap_or_default();
                SimilarPerson {
                    person: person_view(&record, confirmed),
                    registered: record.created_at,
                    last_contact: last.map(|c| c.at),
                    last_place: last.map(|c| c.place.clone()).unwrap_or_default(),
                    contacts: count,
                }
            })
            .collect())
    }

    /// The person a draft describes, checked, not saved.
    /// The persons the duplicate warning shows for `draft`: unmerged, alike
    /// (see [`search::looks_alike`]), not in `draft.distinct_from`; by
    /// folded alias, at most [`MAX_PERSONS`].
    async fn alike(&self, draft: &PersonDraft, stale: bool) -> Result<Vec<(String, Person, bool)>> {
        let only = self.listed_only(stale).await?;
        let persons = self.person_index().await?;
        // The draft's alias folded once; every person's is in the index.
        let folded = search::fold(&draft.alias);
        Ok(persons
            .shown()
            .filter(|(alias, p, _)| {
                search::years_alike(draft.birth_year, p.birth_year)
                    && search::folded_alike(&folded, alias)
            })
            .filter(|(_, p, _)| p.merged_into.is_none())
            .filter(|(_, p, _)| !draft.distinct_from.contains(&p.person_id()))
            .filter(|(_, p, _)| only.as_ref().is_none_or(|own| own.contains(&p.person_id())))
            .take(MAX_PERSONS)
            .map(|(folded, p, confirmed)| (folded.to_string(), p.clone(), confirmed))
            .collect())
    }

    /// A new person from `draft`, checked, not yet saved. Refused
    /// ([`EngineError::PossibleDuplicate`]) while the duplicate warning
    /// would still show someone: the worker says first whether the new
    /// person is one of them (and uses that record) or someone else
    /// (`draft.distinct_from`), so a duplicate is never made by a Save
    /// tapped past the warning.
    async fn person_from(&self, draft: &PersonDraft) -> Result<Person> {
        let identity = self.require_identity().await?;
        let mut person = Person::new(&draft.alias, Timestamp::now());
        person.birth_year = draft.birth_year;
        person.gender = gender_of(&draft.gender)?;
        person.created_by = Some(identity.user);
        if let Some(scope) = &draft.consent {
            person.consent = Some(self.consent_now(scope).await?);
        }
        if draft.distinct_from.len() > MAX_PERSONS {
            return Err(EngineError::Invalid(format!(
                "at most {MAX_PERSONS} persons can be marked as someone else at once"
            )));
        }
        for other in &draft.distinct_from {
            self.require_person(*other).await?;
            person.distinct_from.insert(
                other.to_string(),
                DistinctMark {
                    said_at: person.created_at,
                    said_by: Some(identity.user),
                },
            );
        }
        person
            .validate(&Default::default())
            .map_err(document::DocError::from)?;
        self.space_for(RecordKind::Person).await?;
        let stale = self.recording(true)?;
        let similar = self.alike(draft, stale).await?.len();
        if similar > 0 {
            return Err(EngineError::PossibleDuplicate(similar));
        }
        Ok(person)
    }

    /// Adds a person to the registry (with the consent they gave, if the
    /// draft says so).
    pub async fn create_person(&self, draft: &PersonDraft) -> Result<PersonView> {
        self.recording(true)?;
        let person = self.person_from(draft).await?;
        self.save(&person).await?;
        Ok(person_view(&person, false))
    }

    /// The person gives consent with `scope`; recorded by this device's
    /// user for their organisation (a new consent replaces a withdrawn one).
    pub async fn give_consent(&self, person: PersonId, scope: &str) -> Result<PersonView> {
        self.gate(true)?;
        let consent = self.consent_now(scope).await?;
        let mut record = self.require_person(person).await?;
        self.own_consent_or_none(&record).await?;
        record.consent = Some(consent);
        self.save(&record).await?;
        self.person_view_of(person).await
    }

    /// The person withdraws consent: from now on their details are hidden
    /// outside the organisation that recorded it.
    pub async fn withdraw_consent(&self, person: PersonId) -> Result<PersonView> {
        self.gate(true)?;
        let identity = self.require_identity().await?;
        let mut record = self.require_person(person).await?;
        self.own_consent_or_none(&record).await?;
        let Some(consent) = record.consent.as_mut().filter(|c| c.withdrawn_at.is_none()) else {
            return Err(EngineError::Invalid(
                "this person has no consent in force to withdraw".into(),
            ));
        };
        consent.withdrawn_at = Some(Timestamp::now());
        consent.withdrawn_by = Some(identity.user);
        self.save(&record).await?;
        self.person_view_of(person).await
    }

    /// A consent is changed only by the organisation that recorded it
    /// (the server refuses anything else: `access::person_edit_refusal`).
    async fn own_consent_or_none(&self, person: &Person) -> Result<()> {
        match &person.consent {
            Some(consent) if consent.org != self.own_org().await? => Err(EngineError::Invalid(
                "this consent was recorded by another organisation: only it records a withdrawal \
                 or a new consent"
                    .into(),
            )),
            _ => Ok(()),
        }
    }

    async fn consent_now(&self, scope: &str) -> Result<Consent> {
        let identity = self.require_identity().await?;
        let scope = scope.trim();
        if scope.is_empty() || scope.chars().count() > Consent::MAX_SCOPE {
            return Err(EngineError::Invalid(format!(
                "say what the consent covers (at most {} characters)",
                Consent::MAX_SCOPE
            )));
        }
        Ok(Consent::given(
            Timestamp::now(),
            identity.user,
            self.own_org().await?,
            scope,
        ))
    }

    async fn person_view_of(&self, person: PersonId) -> Result<PersonView> {
        let index = self.person_index().await?;
        let (record, confirmed) = index.get(&person).ok_or_else(|| not_found(person))?;
        Ok(person_view(record, *confirmed))
    }

    // ---- contacts ----

    fn contact_view(stored: &Stored<Contact>, persons: &PersonIndex) -> ContactView {
        let contact = &stored.record;
        let mut people: Vec<PersonView> = contact
            .person_ids()
            .into_iter()
            .map(|id| match persons.get(&id) {
                Some((person, confirmed)) => person_view(person, *confirmed),
                None => unknown_person(id),
            })
            .collect();
        people.sort_by_key(|p| search::fold(&p.alias));
        let follow_up = contact.follow_up.as_ref().filter(|f| !f.done);
        ContactView {
            id: contact.id,
            at: contact.at,
            persons: people,
            anonymous_count: contact.anonymous_count,
            services: contact.services.keys().cloned().collect(),
            place: contact.place.clone(),
            duration_min: contact.duration_min,
            note: contact.note.clone(),
            follow_up: follow_up.map(|f| f.what.clone()).unwrap_or_default(),
            follow_up_due: follow_up.and_then(|f| f.due),
            confirmed: stored.confirmed,
            conflicts: stored.conflicts,
        }
    }

    /// Contacts made on `date` (a day in Europe/Warsaw), newest first.
    /// A stale device lists only this user's own.
    pub async fn contacts_on(&self, date: Date) -> Result<Vec<ContactView>> {
        let stale = self.recording(false)?;
        let me = self.require_identity().await?.user;
        let persons = self.person_index().await?;
        let all = self.stored::<Contact>().await?;
        let mut contacts: Vec<&Stored<Contact>> = all
            .values()
            .filter(|s| s.record.at.warsaw_date() == date)
            .filter(|s| !stale || s.record.worker == me)
            .collect();
        contacts.sort_by_key(|s| std::cmp::Reverse((s.record.at, s.record.id)));
        Ok(contacts
            .into_iter()
            .map(|s| Self::contact_view(s, &persons))
            .collect())
    }

    /// One contact, opened by the person: the read goes to the audit log
    /// at the next sync (its note may say much about the persons met).
    pub async fn contact(&self, id: DocId) -> Result<ContactView> {
        let view = self.contact_as_saved(id).await?;
        self.note_read(id).await?;
        Ok(view)
    }

    async fn contact_as_saved(&self, id: DocId) -> Result<ContactView> {
        let stored = self.own_contact(id).await?;
        let persons = self.person_index().await?;
        Ok(Self::contact_view(&stored, &persons))
    }

    /// A contact as this device may show it now: any, or on a stale
    /// device only this user's own.
    async fn own_contact(&self, id: DocId) -> Result<Stored<Contact>> {
        let stale = self.recording(true)?;
        let stored = self.stored_one::<Contact>(id).await?;
        if stale && stored.record.worker != self.require_identity().await?.user {
            return Err(self.hidden_while_stale());
        }
        Ok(stored)
    }

    /// Saves a new contact (`draft.id` is `None`) or the edit of one.
    /// Persons must be on the device and service codes in the catalogue.
    /// A stale device records new contacts and edits its user's own.
    pub async fn save_contact(&self, draft: &ContactDraft) -> Result<ContactView> {
        self.recording(true)?;
        let identity = self.require_identity().await?;
        let mut contact = match draft.id {
            Some(id) => self.own_contact(id).await?.record,
            None => Contact::new(
                self.space_for(RecordKind::Contact).await?,
                identity.user,
                Timestamp::now(),
            ),
        };
        let wanted: BTreeSet<PersonId> = draft.persons.iter().copied().collect();
        for person in &wanted {
            self.require_person(*person).await?;
        }
        contact
            .persons
            .retain(|key, _| key.parse::<PersonId>().is_ok_and(|id| wanted.contains(&id)));
        for person in &wanted {
            contact.persons.entry(person.to_string()).or_default();
        }
        contact.anonymous_count = draft.anonymous_count;

        let codes: BTreeSet<String> = draft
            .services
            .iter()
            .map(|c| c.trim().to_string())
            .collect();
        if !codes.is_empty() && self.inner.replica.catalogue().await?.is_none() {
            return Err(EngineError::Invalid(
                "the service catalogue has not arrived yet: sync once, then pick the services"
                    .into(),
            ));
        }
        contact.services.retain(|code, _| codes.contains(code));
        for code in codes {
            contact.services.entry(code).or_default();
        }
        contact.place = draft.place.trim().to_string();
        contact.duration_min = draft.duration_min;
        contact.note = draft.note.trim().to_string();
        let what = draft.follow_up.trim();
        contact.follow_up = if what.is_empty() {
            None
        } else {
            let done = contact.follow_up.as_ref().is_some_and(|f| f.done);
            Some(FollowUp {
                due: draft.follow_up_due,
                what: what.to_string(),
                done,
            })
        };
        // `save` checks the whole record (codes against the catalogue,
        // nobody met, negative counts) before it writes anything.
        self.save(&contact).await?;
        self.contact_as_saved(contact.id).await
    }

    /// Links an anonymous contact to a person: one fewer anonymous, the
    /// person added (with when it was linked).
    pub async fn link_contact_person(
        &self,
        contact: DocId,
        person: PersonId,
    ) -> Result<ContactView> {
        let mut record = self.own_contact(contact).await?.record;
        if self.require_person(person).await?.merged_into.is_some() {
            return Err(EngineError::Merged);
        }
        Self::link_anonymous(&mut record, person)?;
        self.save(&record).await?;
        self.contact_as_saved(contact).await
    }

    /// Registers a new person from `draft` (refused as at
    /// [`Self::create_person`], the duplicate check included) and links
    /// the anonymous contact to them: the contact is checked first, so a
    /// refused link creates nobody.
    pub async fn link_new_person(
        &self,
        contact: DocId,
        draft: &PersonDraft,
    ) -> Result<ContactView> {
        self.recording(true)?;
        let mut record = self.own_contact(contact).await?.record;
        let person = self.person_from(draft).await?;
        Self::link_anonymous(&mut record, person.person_id())?;
        self.save(&person).await?;
        self.save(&record).await?;
        self.contact_as_saved(contact).await
    }

    /// One of `record`'s anonymous persons becomes `person`.
    fn link_anonymous(record: &mut Contact, person: PersonId) -> Result<()> {
        if record.persons.contains_key(&person.to_string()) {
            return Err(EngineError::Invalid(
                "this person is already linked to the contact".into(),
            ));
        }
        if record.anonymous_count < 1 {
            return Err(EngineError::Invalid(
                "the contact has nobody anonymous left to link".into(),
            ));
        }
        record.anonymous_count -= 1;
        record.persons.insert(
            person.to_string(),
            ContactPerson {
                linked_at: Some(Timestamp::now()),
            },
        );
        Ok(())
    }

    /// Places of this user's contacts, most recent first, each once.
    pub async fn recent_places(&self) -> Result<Vec<String>> {
        self.recording(true)?;
        let identity = self.require_identity().await?;
        let all = self.stored::<Contact>().await?;
        let mut contacts: Vec<&Contact> = all
            .values()
            .map(|s| &s.record)
            .filter(|c| c.worker == identity.user && !c.place.trim().is_empty())
            .collect();
        contacts.sort_by_key(|c| std::cmp::Reverse(c.at));
        let mut seen = BTreeSet::new();
        Ok(contacts
            .into_iter()
            .filter(|c| seen.insert(search::fold(&c.place)))
            .map(|c| c.place.clone())
            .take(MAX_PLACES)
            .collect())
    }

    /// The persons this user met most recently, newest first, at most
    /// `limit`, each with the services and place of their latest contact
    /// on this device (on a stale device: of this user's latest). Erased
    /// and merged-away persons are left out.
    pub async fn recent_persons(&self, limit: usize) -> Result<Vec<RecentPerson>> {
        let stale = self.recording(true)?;
        let me = self.require_identity().await?.user;
        let persons = self.person_index().await?;
        let all = self.stored::<Contact>().await?;
        let mut contacts: Vec<&Contact> = all
            .values()
            .map(|s| &s.record)
            .filter(|c| !stale || c.worker == me)
            .collect();
        contacts.sort_by_key(|c| std::cmp::Reverse((c.at, c.id)));
        let limit = limit.min(MAX_RECENT_PERSONS);
        // Newest first, so a person's first contact met is their latest;
        // the walk stops once `limit` persons are found.
        let mut latest: HashMap<PersonId, &Contact> = HashMap::new();
        let mut order: Vec<(PersonId, Timestamp)> = Vec::new();
        let mut seen: BTreeSet<PersonId> = BTreeSet::new();
        for contact in &contacts {
            if order.len() >= limit {
                break;
            }
            for person in contact.person_ids() {
                // A merged duplicate counts as the person it was merged into.
                let person = match persons.get(&person) {
                    Some((record, _)) => record.merged_into.unwrap_or(person),
                    None => continue,
                };
                latest.entry(person).or_insert(contact);
                let shown = persons.get(&person).is_some_and(|(record, _)| {
                    record.merged_into.is_none() && !record.alias.trim().is_empty()
                });
                if contact.worker == me && shown && seen.insert(person) {
                    order.push((person, contact.at));
                }
            }
        }
        Ok(order
            .into_iter()
            .filter_map(|(id, at)| {
                let (record, confirmed) = persons.get(&id)?;
                let last = latest.get(&id)?;
                Some(RecentPerson {
                    person: person_view(record, *confirmed),
                    at,
                    services: last.services.keys().cloned().collect(),
                    place: last.place.clone(),
                })
            })
            .take(limit)
            .collect())
    }

    // ---- day room ----

    fn session_view(stored: &Stored<DaySession>, persons: &PersonIndex) -> DaySessionView {
        let session = &stored.record;
        let site = session.site.to_string();
        let mut board: Vec<(String, BoardEntry)> = Vec::new();
        let mut listed = BTreeSet::new();
        for (key, attendance) in &session.attendance {
            let Ok(id) = key.parse::<PersonId>() else {
                continue;
            };
            listed.insert(id);
            let alias = persons
                .get(&id)
                .map(|(p, _)| p.alias.clone())
                .unwrap_or_default();
            board.push((
                search::fold(&alias),
                BoardEntry {
                    person: id,
                    alias,
                    present: attendance.present,
                    check_in: attendance.check_in,
                    check_out: attendance.check_out,
                },
            ));
        }
        for (id, (person, _)) in persons.iter() {
            if listed.contains(id)
                || person.merged_into.is_some()
                || !person.sites.contains_key(&site)
            {
                continue;
            }
            board.push((
                search::fold(&person.alias),
                BoardEntry {
                    person: *id,
                    alias: person.alias.clone(),
                    present: false,
                    check_in: None,
                    check_out: None,
                },
            ));
        }
        board.sort_by(|a, b| (&a.0, a.1.person).cmp(&(&b.0, b.1.person)));
        DaySessionView {
            id: session.id,
            site: session.site,
            date: session.date,
            board: board.into_iter().map(|(_, entry)| entry).collect(),
            meals: session.meals.value(),
            anonymous_count: session.anonymous_count.value(),
            confirmed: stored.confirmed,
            conflicts: stored.conflicts,
        }
    }

    /// A day session as the board shows it.
    pub async fn day_session(&self, id: DocId) -> Result<DaySessionView> {
        let stored = self.stored_one::<DaySession>(id).await?;
        let persons = self.person_index().await?;
        Ok(Self::session_view(&stored, &persons))
    }

    /// Today's session of `site` (Europe/Warsaw), opened from its
    /// deterministic genesis when this device has not seen it yet.
    pub async fn today_session(&self, site: SiteId) -> Result<DaySessionView> {
        self.recording(false)?;
        self.require_identity().await?;
        let date = Date::today();
        let id = DocId::day_session(site, &date);
        if self.store().doc(id).await?.is_none() {
            self.require_site(site).await?;
            let space = self.space_for(RecordKind::DaySession).await?;
            self.open_day_session(space, site, date).await?;
        }
        let view = self.day_session(id).await?;
        // The board shows who came: a read of their data (audited, once
        // per while: the board polls).
        self.note_polled_read(id).await?;
        Ok(view)
    }

    /// Ticks (`present`) or unticks a person on the board. Unticking
    /// clears the check-in and check-out times (a tick by mistake).
    pub async fn set_present(
        &self,
        session: DocId,
        person: PersonId,
        present: bool,
    ) -> Result<DaySessionView> {
        self.recording(true)?;
        let identity = self.require_identity().await?;
        let mut record = self.stored_one::<DaySession>(session).await?.record;
        self.require_person(person).await?;
        if present {
            record.mark_present(person, identity.user, Timestamp::now());
        } else if let Some(attendance) = record.attendance.get_mut(&person.to_string()) {
            attendance.present = false;
            attendance.check_in = None;
            attendance.check_out = None;
            attendance.marked_by = Some(identity.user);
        }
        self.save(&record).await?;
        self.day_session(session).await
    }

    /// Records that a present person left now.
    pub async fn check_out(&self, session: DocId, person: PersonId) -> Result<DaySessionView> {
        self.recording(true)?;
        let identity = self.require_identity().await?;
        let mut record = self.stored_one::<DaySession>(session).await?.record;
        let Some(attendance) = record
            .attendance
            .get_mut(&person.to_string())
            .filter(|a| a.present)
        else {
            return Err(EngineError::Invalid(
                "this person is not marked present today: tick them first".into(),
            ));
        };
        let now = Timestamp::now();
        attendance.check_out = Some(attendance.check_in.map_or(now, |t| t.max(now)));
        attendance.marked_by = Some(identity.user);
        self.save(&record).await?;
        self.day_session(session).await
    }

    /// A walk-in: creates the person, registers them at the session's site
    /// and marks them present.
    pub async fn add_walk_in(&self, session: DocId, draft: &PersonDraft) -> Result<DaySessionView> {
        self.recording(true)?;
        let identity = self.require_identity().await?;
        let mut record = self.stored_one::<DaySession>(session).await?.record;
        let mut person = self.person_from(draft).await?;
        let now = Timestamp::now();
        person.register_at(record.site, Some(identity.user), now);
        self.save(&person).await?;
        record.mark_present(person.person_id(), identity.user, now);
        self.save(&record).await?;
        self.day_session(session).await
    }

    /// Adds `delta` meals (negative to correct a mistake; the count never
    /// goes below zero). A counter: two tablets' meals add up.
    pub async fn add_meals(&self, session: DocId, delta: i64) -> Result<DaySessionView> {
        self.recording(true)?;
        self.require_identity().await?;
        if delta == 0 || delta.abs() > MAX_MEALS_DELTA {
            return Err(EngineError::Invalid(format!(
                "meals change by 1 to {MAX_MEALS_DELTA} at a time"
            )));
        }
        let mut record = self.stored_one::<DaySession>(session).await?.record;
        if record.meals.value() + delta < 0 {
            return Err(EngineError::Invalid("meals cannot go below zero".into()));
        }
        record.meals.add(delta);
        self.save(&record).await?;
        self.day_session(session).await
    }

    // ---- workshops ----

    fn workshop_view(
        stored: &Stored<Workshop>,
        persons: &PersonIndex,
        catalogue: &Catalogue,
    ) -> WorkshopView {
        let workshop = &stored.record;
        let alias = |id: &PersonId| {
            persons
                .get(id)
                .map(|(p, _)| p.alias.clone())
                .unwrap_or_default()
        };
        let mut participants: Vec<ParticipantView> = workshop
            .participants
            .iter()
            .filter_map(|(key, participant)| {
                let id: PersonId = key.parse().ok()?;
                Some(ParticipantView {
                    person: id,
                    alias: alias(&id),
                    hours: participant.hours,
                })
            })
            .collect();
        participants.sort_by_key(|p| (search::fold(&p.alias), p.person));
        WorkshopView {
            id: workshop.id,
            date: workshop.date,
            site: workshop.site,
            site_name: catalogue
                .sites
                .get(&workshop.site.to_string())
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            theme: workshop.theme.clone(),
            motif: workshop.motif.clone(),
            materials: workshop.materials.clone(),
            participants,
            // Item keys are time-ordered ids: this is the order they were added.
            items: workshop
                .items
                .values()
                .map(|item| ItemDraft {
                    name: item.name.clone(),
                    count: item.count,
                    made_by: item.made_by,
                })
                .collect(),
            confirmed: stored.confirmed,
            conflicts: stored.conflicts,
        }
    }

    /// Every workshop on the device, newest first.
    /// A stale device lists only this user's own.
    pub async fn workshops(&self) -> Result<Vec<WorkshopView>> {
        let stale = self.recording(false)?;
        let me = self.require_identity().await?.user;
        let persons = self.person_index().await?;
        let catalogue = self.catalogue_or_empty().await?;
        let all = self.stored::<Workshop>().await?;
        let mut workshops: Vec<&Stored<Workshop>> = all
            .values()
            .filter(|s| !stale || s.record.facilitator == me)
            .collect();
        workshops.sort_by_key(|s| std::cmp::Reverse((s.record.date, s.record.id)));
        Ok(workshops
            .iter()
            .map(|s| Self::workshop_view(s, &persons, &catalogue))
            .collect())
    }

    /// One workshop, opened by the person: its participants are persons'
    /// data, so the read goes to the audit log at the next sync.
    pub async fn workshop(&self, id: DocId) -> Result<WorkshopView> {
        let view = self.workshop_as_saved(id).await?;
        self.note_read(id).await?;
        Ok(view)
    }

    async fn workshop_as_saved(&self, id: DocId) -> Result<WorkshopView> {
        let stored = self.own_workshop(id).await?;
        let persons = self.person_index().await?;
        Ok(Self::workshop_view(
            &stored,
            &persons,
            &self.catalogue_or_empty().await?,
        ))
    }

    /// A workshop as this device may show it now: any, or on a stale
    /// device only this user's own.
    async fn own_workshop(&self, id: DocId) -> Result<Stored<Workshop>> {
        let stale = self.recording(true)?;
        let stored = self.stored_one::<Workshop>(id).await?;
        if stale && stored.record.facilitator != self.require_identity().await?.user {
            return Err(self.hidden_while_stale());
        }
        Ok(stored)
    }

    /// Saves a new workshop (`draft.id` is `None`) or the edit of one.
    pub async fn save_workshop(&self, draft: &WorkshopDraft) -> Result<WorkshopView> {
        self.recording(true)?;
        let identity = self.require_identity().await?;
        let mut workshop = match draft.id {
            Some(id) => self.own_workshop(id).await?.record,
            None => Workshop::new(
                self.space_for(RecordKind::Workshop).await?,
                draft.site,
                draft.date,
                identity.user,
            ),
        };
        self.require_site(draft.site).await?;
        workshop.date = draft.date;
        workshop.site = draft.site;
        workshop.theme = draft.theme.trim().to_string();
        workshop.motif = draft.motif.trim().to_string();
        workshop.materials = draft.materials.trim().to_string();

        let mut hours = std::collections::BTreeMap::new();
        for participant in &draft.participants {
            self.require_person(participant.person).await?;
            if hours
                .insert(participant.person.to_string(), participant.hours)
                .is_some()
            {
                return Err(EngineError::Invalid(format!(
                    "participant {} is listed twice",
                    participant.person
                )));
            }
        }
        workshop
            .participants
            .retain(|key, _| hours.contains_key(key));
        for (key, hours) in hours {
            workshop
                .participants
                .entry(key)
                .or_insert_with(|| Participant {
                    hours,
                    role: "participant".into(),
                })
                .hours = hours;
        }

        // Items keep their keys when name and maker are unchanged, so an
        // edit on another device of the same item merges with this one.
        let mut old: Vec<(String, WorkshopItem)> =
            std::mem::take(&mut workshop.items).into_iter().collect();
        for item in &draft.items {
            let name = item.name.trim();
            if name.is_empty() {
                return Err(EngineError::Invalid("an item made needs a name".into()));
            }
            if let Some(maker) = item.made_by {
                self.require_person(maker).await?;
            }
            let key = match old
                .iter()
                .position(|(_, o)| o.name == name && o.made_by == item.made_by)
            {
                Some(i) => old.swap_remove(i).0,
                None => DocId::random().to_string(),
            };
            workshop.items.insert(
                key,
                WorkshopItem {
                    name: name.to_string(),
                    count: item.count,
                    made_by: item.made_by,
                },
            );
        }
        // `save` checks hours (0 to 24), counts and lengths before writing.
        self.save(&workshop).await?;
        self.workshop_as_saved(workshop.id).await
    }

    // ---- any record ----

    /// Whether the server confirmed a record, its fields with concurrent
    /// values, and its history.
    pub async fn record_meta(&self, id: DocId) -> Result<RecordMeta> {
        self.gate(true)?;
        let row = self.row(id).await?;
        let doc: Automerge = replica_of(&row)?.doc;
        Ok(RecordMeta {
            id,
            confirmed: !row.dirty,
            conflicts: conflicts::conflicts(&doc),
            history: document::history(&doc),
        })
    }

    /// Keeps the version of the field at `path` written by `change`.
    pub async fn pick_version(
        &self,
        id: DocId,
        path: &[String],
        change: &str,
    ) -> Result<RecordMeta> {
        self.gate(true)?;
        self.resolve_conflict(id, path, change).await?;
        self.record_meta(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gender_codes_round_trip() {
        for (short, stored) in [("f", "female"), ("m", "male"), ("x", "other"), ("", "")] {
            let gender = gender_of(short).expect("known code");
            assert_eq!(gender.0, stored);
            assert_eq!(gender_code(&gender), short);
        }
        assert_eq!(gender_of("female").expect("long code").0, "female");
        assert!(matches!(gender_of("q"), Err(EngineError::Invalid(_))));
        assert_eq!(gender_code(&Gender::new("nonbinary")), "nonbinary");
    }
}
