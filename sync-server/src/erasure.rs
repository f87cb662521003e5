//! Erasure of a person: the right to be forgotten, down to every device.
//!
//! Erasing a person (and everybody merged with them: the same human)
//! deletes their registry documents and their case notes with every stored
//! change and snapshot, and rewrites each contact naming them as a new
//! *generation*: one fresh change holding the contact without its note and
//! follow-up, no history. Day sessions and workshops hold no free text
//! about a person and keep the id. The person's projection row stays
//! without alias, birth year or gender, so reports still count their
//! contacts as an unnamed id.
//!
//! Devices learn of it at their next sync: [`SyncService::exchange`] sends
//! the erased documents of the spaces they read (`SyncResponse::purge`)
//! until they confirm (`SyncRequest::purged`); the office lists the
//! devices that have not. A later push for a deleted document is refused
//! (`Erased`), one built on an older generation too (`OldGeneration`),
//! and neither is kept in quarantine: nothing brings the data back.
//!
//! A withdrawn consent uses the same rewrite: what referrals of the person
//! shared of their file beyond what the consent now covers is taken out
//! of each referral as a new generation ([`SyncService::withhold_shared`]),
//! so the receiving organisation's devices drop the copy that held it.

use std::collections::BTreeSet;

use odnowa_shared::access::ReferralConsent;
use odnowa_shared::document;
use odnowa_shared::ids::{DeviceId, DocId, OrgId, PersonId, SpaceId};
use odnowa_shared::office::{Erasure, ErasurePlan, MAX_ERASURE_REASON};
use odnowa_shared::records::{Contact, Person, Referral};
use odnowa_shared::time::Timestamp;

use crate::exchange::{Accepted, SyncService};
use crate::store::{Db, DocMeta, ErasureWrite, Rewrite, StoreError, Targets};
use crate::writer::OfficeAuthor;

/// Why a person was not erased.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    #[error("no such person: {0}")]
    NotFound(PersonId),
    #[error("this person was already erased")]
    AlreadyErased,
    #[error("{0}")]
    Reason(&'static str),
    #[error("a record to rewrite does not read as a contact: {0}")]
    Unreadable(String),
    #[error(
        "{0} records or registry entries of this person belong to other organisations: \
         only the consortium office erases them"
    )]
    HeldElsewhere(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `contact` as a new generation after `old`: without its note and
/// follow-up, one change by `by`, no history.
fn rewrite_contact(
    contact: Contact,
    old: DocMeta,
    by: &OfficeAuthor,
    at: i64,
) -> Result<Rewrite, ErasureError> {
    rewrite_record(&contact.erased(), old, by, at, "erasure")
}

/// `record` of kind `kind` as a new generation after `old`: one change by
/// `by`, no history.
fn rewrite_record<R: odnowa_shared::records::Record>(
    record: &R,
    old: DocMeta,
    by: &OfficeAuthor,
    at: i64,
    message: &str,
) -> Result<Rewrite, ErasureError> {
    let doc = record.doc_id();
    let fresh = document::rewrite(record, by.author(), Timestamp(at), message)
        .map_err(|e| ErasureError::Unreadable(format!("{doc}: {e}")))?;
    let changes = fresh
        .get_changes(&[])
        .into_iter()
        .map(|c| (c.hash().0.to_vec(), c.raw_bytes().to_vec()))
        .collect();
    Ok(Rewrite {
        doc,
        generation: old.generation.checked_add(1).ok_or_else(|| {
            ErasureError::Unreadable(format!("{doc}: no generation after this one"))
        })?,
        old,
        changes,
        projection: crate::projection::project_or_log(R::KIND, doc, &fresh),
    })
}

/// What erasing `person` would do.
pub async fn plan(db: &Db, person: PersonId) -> Result<ErasurePlan, ErasureError> {
    match db.person_erased(person).await? {
        None => return Err(ErasureError::NotFound(person)),
        Some(true) => return Err(ErasureError::AlreadyErased),
        Some(false) => {}
    }
    let targets = db.erasure_targets(person).await?;
    Ok(ErasurePlan {
        person,
        persons: targets.group,
        case_notes: targets.case_notes.len() as u64,
        contacts: targets.contacts.len() as u64,
        other_records: targets.others.len() as u64,
        held_elsewhere: 0,
    })
}

impl SyncService {
    /// A contact stored after an erasure (from a device that was offline)
    /// that names an erased person and holds a note or a follow-up is
    /// rewritten like the erasure rewrote the others: what it says about
    /// the person does not outlive the erasure. Returns whether it was.
    ///
    /// A contact that cannot be rewritten is logged and left as it is;
    /// only a failure of the database is an error.
    pub(crate) async fn erase_late(&self, doc: DocId) -> Result<bool, StoreError> {
        match self.try_erase_late(doc).await {
            Ok(done) => Ok(done),
            Err(ErasureError::Store(e)) => Err(e),
            Err(e) => {
                tracing::error!(%doc, error = %e, "a late erasure failed");
                Ok(false)
            }
        }
    }

    async fn try_erase_late(&self, doc: DocId) -> Result<bool, ErasureError> {
        let entry = self.entry(doc);
        let mut cached = entry.lock().await;
        // The copy ingestion just cached, or the stored one.
        let (contact, old) = match (&cached.doc, &cached.meta) {
            (Some(held), Some(meta)) if cached.loaded => {
                (document::read::<Contact>(held), meta.clone())
            }
            _ => match self.load_current(doc).await? {
                Some((stored, meta)) => (document::read::<Contact>(&stored), meta),
                None => return Ok(false),
            },
        };
        let Ok(contact) = contact else {
            return Ok(false);
        };
        if contact.note.is_empty() && contact.follow_up.is_none() {
            return Ok(false);
        }
        let mut erasure = None;
        for person in contact.person_ids() {
            if let Some(id) = self.db().erasure_of(person.doc_id()).await? {
                erasure = Some((id, person));
                break;
            }
        }
        let Some((id, person)) = erasure else {
            return Ok(false);
        };
        let by = OfficeAuthor::admin_cli();
        let at = chrono::Utc::now().timestamp_millis();
        let space = old.space;
        let write = ErasureWrite {
            id: &id,
            person,
            at,
            by_user: by.user,
            by_name: &by.name,
            reason: "",
            group: &[],
            deleted: Vec::new(),
            rewritten: vec![rewrite_contact(contact, old, &by, at)?],
            late: true,
        };
        let written = self.db().write_erasure(&write).await;
        *cached = Default::default();
        drop(cached);
        written?;
        tracing::info!(erasure = %id, %doc, "a contact that arrived after an erasure was rewritten");
        self.announce(Accepted::poke(space, DeviceId::office(by.user)));
        Ok(true)
    }

    /// After a change of `person`'s registry entry: when their consent no
    /// longer covers what a referral of theirs shared (withdrawn, or a
    /// narrower scope), rewrites each such referral without it, as a new
    /// generation under an erasure row of its own (the office lists it,
    /// with the devices that have not dropped the old copy). Returns how
    /// many referrals were rewritten. A referral that cannot be rewritten
    /// is logged and left; only a failure of the database is an error.
    pub(crate) async fn withhold_shared(&self, person: PersonId) -> Result<usize, StoreError> {
        match self.try_withhold_shared(person).await {
            Ok(done) => Ok(done),
            Err(ErasureError::Store(e)) => Err(e),
            Err(e) => {
                tracing::error!(%person, error = %e, "shared parts of referrals were not withheld");
                Ok(0)
            }
        }
    }

    async fn try_withhold_shared(&self, person: PersonId) -> Result<usize, ErasureError> {
        let Some((entry, _)) = self.load_current(person.doc_id()).await? else {
            return Ok(0);
        };
        let Ok(entry) = document::read::<Person>(&entry) else {
            return Ok(0);
        };
        let consent = ReferralConsent::of(Some(&entry));
        let mut docs = self.db().referrals_of(person).await?;
        docs.sort();
        // One lock per referral, taken in id order (nothing else holds two).
        let mut held = Vec::new();
        for doc in docs {
            let cached = self.entry(doc);
            let guard = cached.lock_owned().await;
            held.push((doc, guard));
        }
        let by = OfficeAuthor::admin_cli();
        let at = chrono::Utc::now().timestamp_millis();
        let mut rewritten = Vec::new();
        let mut spaces = BTreeSet::new();
        for (doc, _) in &held {
            let Some((stored, old)) = self.load_current(*doc).await? else {
                continue;
            };
            let Ok(mut referral) = document::read::<Referral>(&stored) else {
                continue;
            };
            let kept = consent.within(&referral.shared);
            if kept == referral.shared {
                continue;
            }
            referral.shared = kept;
            spaces.insert(old.space);
            rewritten.push(rewrite_record(
                &referral,
                old,
                &by,
                at,
                "consent withdrawn: shared parts removed",
            )?);
        }
        if rewritten.is_empty() {
            return Ok(0);
        }
        let id = uuid::Uuid::new_v4().to_string();
        let count = rewritten.len();
        let write = ErasureWrite {
            id: &id,
            person,
            at,
            by_user: by.user,
            by_name: &by.name,
            reason: "consent withdrawn or narrowed: what referrals shared of the person's file was removed",
            group: &[],
            deleted: Vec::new(),
            rewritten,
            late: false,
        };
        let written = self.db().write_erasure(&write).await;
        for (_, mut guard) in held {
            *guard = Default::default();
        }
        written?;
        tracing::info!(erasure = %id, %person, referrals = count, "shared parts of referrals withheld after a change of consent");
        for space in spaces {
            self.announce(Accepted::poke(space, DeviceId::office(by.user)));
        }
        Ok(count)
    }

    /// Erases `person` and everybody merged with them, as `by`, for
    /// `reason` (the request's reference). Returns the erasure with the
    /// devices that must still purge.
    /// What erasing `person` would do, as seen by a coordinator of `org`
    /// (`None`: the office, which sees everything): the counts are of
    /// that organisation's records, and `held_elsewhere` says what other
    /// organisations hold.
    pub async fn erasure_plan_for(
        &self,
        person: PersonId,
        org: Option<OrgId>,
    ) -> Result<ErasurePlan, ErasureError> {
        let plan = plan(self.db(), person).await?;
        let Some(org) = org else {
            return Ok(plan);
        };
        let targets = self.db().erasure_targets(person).await?;
        let mut own = [0u64; 3];
        for (count, docs) in
            own.iter_mut()
                .zip([&targets.case_notes, &targets.contacts, &targets.others])
        {
            for doc in docs {
                if self.doc_org(*doc).await? == Some(Some(org)) {
                    *count += 1;
                }
            }
        }
        Ok(ErasurePlan {
            case_notes: own[0],
            contacts: own[1],
            other_records: own[2],
            held_elsewhere: self.held_elsewhere(&targets, org).await?,
            ..plan
        })
    }

    /// The organisation of the space `doc` lives in (`None`: no such
    /// document; `Some(None)`: a consortium space).
    async fn doc_org(&self, doc: DocId) -> Result<Option<Option<OrgId>>, StoreError> {
        match self.db().doc_meta(doc).await? {
            Some(meta) => Ok(Some(self.db().space_org(meta.space).await?.flatten())),
            None => Ok(None),
        }
    }

    /// How much of what an erasure of `targets` touches is not `org`'s:
    /// records in other organisations' spaces (or consortium ones), and
    /// registry entries registered by users of other organisations (or by
    /// nobody known).
    async fn held_elsewhere(&self, targets: &Targets, org: OrgId) -> Result<u64, ErasureError> {
        let mut elsewhere = 0;
        for doc in targets
            .case_notes
            .iter()
            .chain(&targets.contacts)
            .chain(&targets.others)
        {
            if matches!(self.doc_org(*doc).await?, Some(owner) if owner != Some(org)) {
                elsewhere += 1;
            }
        }
        for member in &targets.group {
            let registrant = match self.load_current(member.doc_id()).await? {
                Some((doc, _)) => document::read::<Person>(&doc)
                    .ok()
                    .and_then(|p| p.created_by),
                None => continue,
            };
            let registrant_org = match registrant {
                Some(user) => self.db().user_facts(user).await?.and_then(|u| u.org),
                None => None,
            };
            if registrant_org != Some(org) {
                elsewhere += 1;
            }
        }
        Ok(elsewhere)
    }

    /// Erases `person` (and everybody merged with them). With `only_org`
    /// (a coordinator's organisation), refuses when anything it would
    /// touch belongs to another organisation (checked under the locks of
    /// every document it touches).
    pub async fn erase_person(
        &self,
        by: &OfficeAuthor,
        person: PersonId,
        reason: &str,
        only_org: Option<OrgId>,
    ) -> Result<Erasure, ErasureError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ErasureError::Reason(
                "say why: the reference of the erasure request",
            ));
        }
        if reason.chars().count() > MAX_ERASURE_REASON {
            return Err(ErasureError::Reason(
                "the reason is too long (at most 500 characters)",
            ));
        }
        let db = self.db().clone();
        match db.person_erased(person).await? {
            None => return Err(ErasureError::NotFound(person)),
            Some(true) => return Err(ErasureError::AlreadyErased),
            Some(false) => {}
        }
        let id = uuid::Uuid::new_v4().to_string();
        for _attempt in 0..3 {
            let targets = db.erasure_targets(person).await?;
            let deleting: Vec<DocId> = targets
                .group
                .iter()
                .map(|p| p.doc_id())
                .chain(targets.case_notes.iter().copied())
                .collect();
            // Hold every touched document's lock: no push interleaves.
            let mut all: Vec<DocId> = deleting.iter().chain(&targets.contacts).copied().collect();
            all.sort();
            all.dedup();
            let entries: Vec<_> = all.iter().map(|doc| self.entry(*doc)).collect();
            let mut guards = Vec::with_capacity(entries.len());
            for entry in &entries {
                guards.push(entry.lock().await);
            }
            // A record naming the person may have arrived before the locks:
            // then lock that one too.
            let again = db.erasure_targets(person).await?;
            if again.group != targets.group
                || again.case_notes != targets.case_notes
                || again.contacts != targets.contacts
            {
                continue;
            }
            if let Some(org) = only_org {
                let elsewhere = self.held_elsewhere(&again, org).await?;
                if elsewhere > 0 {
                    return Err(ErasureError::HeldElsewhere(elsewhere));
                }
            }
            let at = chrono::Utc::now().timestamp_millis();
            let mut deleted = Vec::new();
            for doc in &deleting {
                if let Some(meta) = db.doc_meta(*doc).await? {
                    deleted.push((*doc, meta));
                }
            }
            let mut rewritten = Vec::new();
            for doc in &targets.contacts {
                let Some((stored, old)) = self.load_current(*doc).await? else {
                    continue;
                };
                let contact = document::read::<Contact>(&stored)
                    .map_err(|e| ErasureError::Unreadable(format!("{doc}: {e}")))?;
                rewritten.push(rewrite_contact(contact, old, by, at)?);
            }
            let spaces: BTreeSet<SpaceId> = deleted
                .iter()
                .map(|(_, m)| m.space)
                .chain(rewritten.iter().map(|r| r.old.space))
                .collect();
            let write = ErasureWrite {
                id: &id,
                person,
                at,
                by_user: by.user,
                by_name: &by.name,
                reason,
                group: &targets.group,
                deleted,
                rewritten,
                late: false,
            };
            let written = db.write_erasure(&write).await;
            // Whatever happened, the cached copies are stale now.
            for guard in &mut guards {
                **guard = Default::default();
            }
            drop(guards);
            match written {
                Ok(()) => {
                    tracing::info!(erasure = %id, %person, deleted = write.deleted.len(), rewritten = write.rewritten.len(), "person erased");
                    for space in spaces {
                        self.announce(Accepted::poke(space, DeviceId::office(by.user)));
                    }
                    let erasure = db
                        .erasures_with_progress(None, 50)
                        .await?
                        .into_iter()
                        .find(|e| e.id == id)
                        .ok_or_else(|| StoreError::NotFound(format!("erasure {id}")))?;
                    return Ok(erasure);
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }
}
