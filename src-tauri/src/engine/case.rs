//! Case work on the device, one method per case-work command of
//! [`odnowa_shared::api::cmd`]: a person's file, case notes, needs
//! diagnoses, individual programmes (IPWB), referrals and what is due.
//!
//! Where it goes: notes, diagnoses and programmes into this device's team
//! space (the first writable one that is neither the registry nor a
//! referral space), a referral to another member organisation into the
//! two organisations' referral space, a referral to an institution into
//! the team space. Everything is checked before it is stored (the record's
//! validation, and the rules the server applies: a referral goes to a
//! member or an institution of the catalogue, an answer only by the
//! organisation that answers, sent → accepted or declined → done); what
//! the server would refuse is refused here first with words a worker can
//! act on.
//!
//! Every read of a person's data is remembered and reported at the next
//! sync (the audit log): opening the file names the person and each
//! piece of case work it shows.

use std::collections::BTreeMap;

use odnowa_shared::access::ReferralConsent;
use odnowa_shared::api::{
    ClosingDraft, DiagnosisDraft, DiagnosisView, DomainView, DueItem, DueKind, DueView, EventKind,
    FileEvent, GoalView, HouseholdView, InstitutionView, NoteDraft, OrgTarget, PersonFile,
    ProgrammeDraft, ProgrammeView, ReferralAnswer, ReferralDraft, ReferralTargets, ReferralView,
    ReferralsView, ReviewDraft, ReviewView, ServiceView, SharedDomain, StepDraft, StepView,
};
use odnowa_shared::ids::{DocId, OrgId, PersonId, SpaceId};
use odnowa_shared::records::{
    CaseEntry, CaseNotes, Catalogue, Contact, DaySession, Diagnosis, DomainAssessment, Goal,
    HouseholdMember, Programme, RecordKind, Referral, ReferralShare, ReferralStatus,
    ReferralTarget, Review, Stamp, Step, Workshop, carrier::Carrier, domain, outcome, step_status,
};
use odnowa_shared::time::{Date, Timestamp};

use super::field::{PersonIndex, Stored, not_found, person_view};
use super::{Engine, EngineError, Result};

/// A fresh id for an entry of a map inside a record.
fn entry_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn invalid(why: &str) -> EngineError {
    EngineError::Invalid(why.into())
}

fn trimmed(text: &str) -> String {
    text.trim().to_string()
}

impl Engine {
    // ---- helpers ----

    /// This device's organisation, which case work is kept in the name of.
    async fn require_org(&self) -> Result<OrgId> {
        self.own_org().await?.ok_or_else(|| {
            invalid("this device does not know its organisation yet: connect once, then try again")
        })
    }

    /// The person, unless they are merged into another or unknown.
    async fn case_person(&self, person: PersonId) -> Result<PersonIndexEntry> {
        let persons = self.person_index().await?;
        match persons.get(&person) {
            Some((p, _)) if p.merged_into.is_some() => Err(invalid(
                "this person was merged into another entry: open that person's file",
            )),
            Some((p, confirmed)) => Ok((p.clone(), *confirmed)),
            None => Err(not_found(person)),
        }
    }

    // ---- the person's file ----

    /// Everything this device's organisation knows of `person`, newest
    /// first; reported as read (the person and each piece of case work).
    /// A stale device shows only what this worker recorded.
    pub async fn person_file(&self, person: PersonId) -> Result<PersonFile> {
        let stale = self.recording(true)?;
        let file = self.person_file_unaudited(person, stale).await?;
        let mut read: Vec<DocId> = std::iter::once(person.doc_id())
            .chain(file.diagnoses.iter().map(|d| d.id))
            .chain(file.programmes.iter().map(|p| p.id))
            .chain(file.referrals.iter().map(|r| r.id))
            .collect();
        for event in &file.events {
            if matches!(event.kind, EventKind::Note | EventKind::Contact)
                && !read.contains(&event.doc)
            {
                read.push(event.doc);
            }
        }
        // One local transaction for all of them: a flush per record was
        // most of the file's time (BENCHMARKS.md, "Device speed").
        self.note_reads(&read).await?;
        Ok(file)
    }

    async fn person_file_unaudited(&self, person: PersonId, stale: bool) -> Result<PersonFile> {
        let persons = self.person_index().await?;
        let Some((entry, confirmed)) = persons.get(&person) else {
            return Err(not_found(person));
        };
        let me = self.require_identity().await?.user;
        if stale && !self.own_persons().await?.contains(&person) {
            return Err(self.hidden_while_stale());
        }
        let today = Date::today();
        let key = person.to_string();
        let catalogue = self.catalogue_or_empty().await?;
        let mut events = Vec::new();
        for contact in self.stored::<Contact>().await?.values() {
            let c = &contact.record;
            if c.persons.contains_key(&key) && (!stale || c.worker == me) {
                events.push(FileEvent {
                    kind: EventKind::Contact,
                    at: c.at,
                    doc: c.id,
                    services: c.services.keys().cloned().collect(),
                    text: c.place.clone(),
                    by: contact.author.clone(),
                });
            }
        }
        for session in self.stored::<DaySession>().await?.values() {
            let s = &session.record;
            if stale && s.date != today {
                continue;
            }
            if let Some(a) = s.attendance.get(&key).filter(|a| a.present) {
                let site = catalogue
                    .sites
                    .get(&s.site.to_string())
                    .map(|site| site.name.clone())
                    .unwrap_or_default();
                events.push(FileEvent {
                    kind: EventKind::Attendance,
                    at: a.check_in.unwrap_or_else(|| s.date.start()),
                    doc: s.id,
                    services: Vec::new(),
                    text: site,
                    by: None,
                });
            }
        }
        for workshop in self.stored::<Workshop>().await?.values() {
            let w = &workshop.record;
            if w.participants.contains_key(&key) && (!stale || w.facilitator == me) {
                events.push(FileEvent {
                    kind: EventKind::Workshop,
                    at: w.date.start(),
                    doc: w.id,
                    services: Vec::new(),
                    text: w.theme.clone(),
                    by: workshop.author.clone(),
                });
            }
        }
        for notes in self.stored::<CaseNotes>().await?.values() {
            let n = &notes.record;
            if n.person != person {
                continue;
            }
            for entry in n.entries.values() {
                if stale && entry.author != Some(me) {
                    continue;
                }
                events.push(FileEvent {
                    kind: EventKind::Note,
                    at: entry.at,
                    doc: n.id,
                    services: Vec::new(),
                    text: entry.text.clone(),
                    by: notes.author.clone(),
                });
            }
        }
        events.sort_by_key(|e| std::cmp::Reverse((e.at, e.doc)));

        let mut diagnoses = self.diagnoses_of(person, &persons).await?;
        if stale {
            let mine: Vec<DocId> = self
                .stored::<Diagnosis>()
                .await?
                .values()
                .filter(|d| d.record.author == Some(me))
                .map(|d| d.record.id)
                .collect();
            diagnoses.retain(|d| mine.contains(&d.id));
        }
        let mut programmes = Vec::new();
        for programme in self.stored::<Programme>().await?.values() {
            let p = &programme.record;
            if p.person == person && (!stale || p.opened_by == Some(me)) {
                programmes.push(programme_view(programme, &catalogue));
            }
        }
        programmes.sort_by_key(|p| (p.closed_on.is_some(), std::cmp::Reverse(p.opened_on)));
        let org = self.own_org().await?;
        let mut referrals: Vec<ReferralView> = self
            .stored::<Referral>()
            .await?
            .values()
            .filter(|r| r.record.person == person)
            .filter(|r| !stale || r.record.sent.by == Some(me))
            .map(|r| referral_view(r, org, &catalogue))
            .collect();
        referrals.sort_by_key(|r| std::cmp::Reverse(r.sent_at));
        let mut due: Vec<DueItem> = self
            .due_items(today, &persons, stale)
            .await?
            .into_iter()
            .filter(|d| d.person == person)
            .collect();
        due.sort_by_key(|d| (!d.overdue, d.due));
        let may_write = self.space_for(RecordKind::CaseNotes).await.is_ok();
        Ok(PersonFile {
            person: person_view(entry, *confirmed),
            events,
            diagnoses,
            programmes,
            referrals,
            due,
            may_write,
            hidden_while_stale: stale,
        })
    }

    /// Writes a case note about `draft.person` into this organisation's
    /// notes on them (one record per person and organisation).
    /// A stale device goes on writing notes.
    pub async fn add_note(&self, draft: &NoteDraft) -> Result<PersonFile> {
        let stale = self.recording(true)?;
        let identity = self.require_identity().await?;
        let org = self.require_org().await?;
        self.case_person(draft.person).await?;
        let text = trimmed(&draft.text);
        if text.is_empty() {
            return Err(invalid("write the note first"));
        }
        let existing = self
            .stored::<CaseNotes>()
            .await?
            .values()
            .map(|s| &s.record)
            .find(|n| n.person == draft.person && n.org == org)
            .cloned();
        let mut notes = match existing {
            Some(notes) => notes,
            None => CaseNotes::new(
                self.space_for(RecordKind::CaseNotes).await?,
                draft.person,
                org,
            ),
        };
        notes.entries.insert(
            entry_id(),
            CaseEntry {
                at: Timestamp::now(),
                author: Some(identity.user),
                category: "note".into(),
                text,
                done: false,
            },
        );
        self.save(&notes).await?;
        self.person_file_unaudited(draft.person, stale).await
    }

    // ---- diagnoses ----

    async fn diagnoses_of(
        &self,
        person: PersonId,
        persons: &PersonIndex,
    ) -> Result<Vec<DiagnosisView>> {
        let view = self.stored::<Diagnosis>().await?;
        let mut all: Vec<&Stored<Diagnosis>> = view
            .values()
            .filter(|d| d.record.persons().contains(&person))
            .collect();
        // Oldest first, to compare each with the one before.
        all.sort_by_key(|d| (d.record.assessed_on, d.record.created_at));
        let mut views = Vec::with_capacity(all.len());
        for (at, d) in all.iter().enumerate() {
            let previous = at.checked_sub(1).and_then(|i| all.get(i));
            views.push(diagnosis_view(d, previous.map(|p| &p.record), persons));
        }
        views.reverse();
        Ok(views)
    }

    /// One diagnosis, compared with the one before it; reported as read.
    pub async fn diagnosis(&self, id: DocId) -> Result<DiagnosisView> {
        self.gate(true)?;
        let person = self.stored_one::<Diagnosis>(id).await?.record.person;
        let persons = self.person_index().await?;
        let view = self
            .diagnoses_of(person, &persons)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or_else(|| not_found(id))?;
        self.note_read(id).await?;
        Ok(view)
    }

    /// Saves a new needs diagnosis.
    pub async fn save_diagnosis(&self, draft: &DiagnosisDraft) -> Result<DiagnosisView> {
        self.gate(true)?;
        let identity = self.require_identity().await?;
        let org = self.require_org().await?;
        self.case_person(draft.person).await?;
        let mut diagnosis = Diagnosis::new(
            self.space_for(RecordKind::Diagnosis).await?,
            draft.person,
            org,
            draft.assessed_on,
            Timestamp::now(),
        );
        diagnosis.author = Some(identity.user);
        if draft.assessed_on > Date::today() {
            return Err(invalid("a diagnosis is made on a day that has come"));
        }
        for d in &draft.domains {
            let code = d.code.trim();
            if !domain::ALL.contains(&code) {
                return Err(EngineError::Invalid(format!(
                    "unknown domain {:?}",
                    code.chars().take(40).collect::<String>()
                )));
            }
            if diagnosis.domains.contains_key(code) {
                return Err(invalid("each domain is assessed once"));
            }
            diagnosis.domains.insert(
                code.to_string(),
                DomainAssessment {
                    level: d.level,
                    note: trimmed(&d.note),
                },
            );
        }
        for member in &draft.household {
            self.case_person(member.person).await?;
            diagnosis.household.insert(
                member.person.to_string(),
                HouseholdMember {
                    relation: trimmed(&member.relation),
                },
            );
        }
        diagnosis.wishes = trimmed(&draft.wishes);
        self.save(&diagnosis).await?;
        let persons = self.person_index().await?;
        self.diagnoses_of(draft.person, &persons)
            .await?
            .into_iter()
            .find(|d| d.id == diagnosis.id)
            .ok_or_else(|| not_found(diagnosis.id))
    }

    // ---- programmes ----

    async fn programme_view_of(&self, id: DocId) -> Result<ProgrammeView> {
        let programme = self.stored_one::<Programme>(id).await?;
        Ok(programme_view(
            &programme,
            &self.catalogue_or_empty().await?,
        ))
    }

    /// One programme; reported as read.
    pub async fn programme(&self, id: DocId) -> Result<ProgrammeView> {
        self.gate(true)?;
        let view = self.programme_view_of(id).await?;
        self.note_read(id).await?;
        Ok(view)
    }

    /// Opens a programme for `draft.person` with its goals.
    pub async fn open_programme(&self, draft: &ProgrammeDraft) -> Result<ProgrammeView> {
        self.gate(true)?;
        let identity = self.require_identity().await?;
        let org = self.require_org().await?;
        self.case_person(draft.person).await?;
        let now = Timestamp::now();
        let mut programme = Programme::new(
            self.space_for(RecordKind::Programme).await?,
            draft.person,
            org,
            draft.opened_on,
            now,
        );
        programme.opened_by = Some(identity.user);
        programme.agreed_on = draft.agreed_on;
        for goal in &draft.goals {
            let text = trimmed(goal);
            if !text.is_empty() {
                programme.goals.insert(
                    entry_id(),
                    Goal {
                        text,
                        created_at: now,
                    },
                );
            }
        }
        self.save(&programme).await?;
        self.programme_view_of(programme.id).await
    }

    /// A programme this device may change: open, of this organisation.
    async fn open_programme_of(&self, id: DocId) -> Result<Programme> {
        let programme = self.stored_one::<Programme>(id).await?.record;
        if !programme.is_open() {
            return Err(invalid("this programme is closed"));
        }
        Ok(programme)
    }

    /// Adds a step (`draft.step` is `None`) or changes one.
    pub async fn save_step(&self, draft: &StepDraft) -> Result<ProgrammeView> {
        self.gate(true)?;
        let identity = self.require_identity().await?;
        let mut programme = self.open_programme_of(draft.programme).await?;
        let carrier: Carrier = draft.carrier.trim().parse().map_err(
            |e: odnowa_shared::records::carrier::NotACarrier| EngineError::Invalid(e.to_string()),
        )?;
        if let Carrier::Institution(id) = &carrier {
            let catalogue = self.catalogue_or_empty().await?;
            if !catalogue.institutions.contains_key(id) {
                return Err(invalid("this institution is not in the catalogue"));
            }
        }
        let now = Timestamp::now();
        let key = match &draft.step {
            Some(key) if programme.steps.contains_key(key) => key.clone(),
            Some(_) => return Err(invalid("no such step in this programme")),
            None => entry_id(),
        };
        let step = programme.steps.entry(key).or_insert_with(|| Step {
            text: String::new(),
            due: None,
            carrier: String::new(),
            status: step_status::PLANNED.into(),
            note: String::new(),
            goal: None,
            created_at: now,
            created_by: Some(identity.user),
        });
        step.text = trimmed(&draft.text);
        step.due = draft.due;
        step.carrier = carrier.to_string();
        step.status = draft.status.trim().to_string();
        step.note = trimmed(&draft.note);
        step.goal = draft.goal.clone();
        self.save(&programme).await?;
        self.programme_view_of(programme.id).await
    }

    /// Plans a review (`draft.review` is `None`) or records one.
    pub async fn save_review(&self, draft: &ReviewDraft) -> Result<ProgrammeView> {
        self.gate(true)?;
        let mut programme = self.open_programme_of(draft.programme).await?;
        if draft.done_on.is_some_and(|d| d > Date::today()) {
            return Err(invalid("a review is recorded once it took place"));
        }
        let key = match &draft.review {
            Some(key) if programme.reviews.contains_key(key) => key.clone(),
            Some(_) => return Err(invalid("no such review in this programme")),
            None => entry_id(),
        };
        programme.reviews.insert(
            key,
            Review {
                due: draft.due,
                done_on: draft.done_on,
                note: trimmed(&draft.note),
            },
        );
        self.save(&programme).await?;
        self.programme_view_of(programme.id).await
    }

    /// Closes a programme with its outcome and day.
    pub async fn close_programme(&self, draft: &ClosingDraft) -> Result<ProgrammeView> {
        self.gate(true)?;
        let mut programme = self.open_programme_of(draft.programme).await?;
        let Some(closed_on) = draft.closed_on else {
            return Err(invalid("a programme closes on a day: give the closing day"));
        };
        if !outcome::ALL.contains(&draft.outcome.trim()) {
            return Err(invalid("choose how the programme ended"));
        }
        programme.closed_on = Some(closed_on);
        programme.outcome = Some(draft.outcome.trim().to_string());
        programme.closing_note = trimmed(&draft.note);
        self.save(&programme).await?;
        self.programme_view_of(programme.id).await
    }

    // ---- referrals ----

    /// The other member organisations with their services, and the
    /// institutions, as the catalogue lists them.
    pub async fn referral_targets(&self) -> Result<ReferralTargets> {
        self.gate(false)?;
        let org = self.own_org().await?;
        let catalogue = self.catalogue_or_empty().await?;
        let mut orgs: Vec<OrgTarget> = catalogue
            .orgs
            .iter()
            .filter_map(|(id, member)| {
                let id: OrgId = id.parse().ok()?;
                (Some(id) != org).then(|| OrgTarget {
                    id,
                    name: member.name.clone(),
                    services: catalogue
                        .active_services()
                        .into_iter()
                        .filter(|(_, s)| s.org == Some(id))
                        .map(|(code, s)| ServiceView {
                            code: code.clone(),
                            name_pl: s.name_pl.clone(),
                            name_en: s.name_en.clone(),
                        })
                        .collect(),
                })
            })
            .collect();
        orgs.sort_by_key(|o| odnowa_shared::search::fold(&o.name));
        let mut institutions: Vec<InstitutionView> = catalogue
            .institutions
            .iter()
            .filter(|(_, i)| !i.retired)
            .map(|(id, i)| InstitutionView {
                id: id.clone(),
                name: i.name.clone(),
                institution_kind: i.institution_kind.clone(),
                address: i.address.clone(),
                phone: i.phone.clone(),
            })
            .collect();
        institutions.sort_by_key(|i| odnowa_shared::search::fold(&i.name));
        Ok(ReferralTargets { orgs, institutions })
    }

    /// Sends a referral of `draft.person`, sharing what their consent
    /// covers when `draft.share` asks for it.
    pub async fn send_referral(&self, draft: &ReferralDraft) -> Result<ReferralView> {
        self.gate(true)?;
        let identity = self.require_identity().await?;
        let org = self.require_org().await?;
        let (person, _) = self.case_person(draft.person).await?;
        if person.hidden_from(Some(org)) {
            return Err(invalid(
                "this person withdrew their consent to share their details with your organisation",
            ));
        }
        let catalogue = self.catalogue_or_empty().await?;
        let target = match (&draft.to_org, &draft.institution) {
            (Some(to), None) => {
                if *to == org {
                    return Err(invalid(
                        "a referral goes to another organisation, not your own",
                    ));
                }
                if !catalogue.orgs.contains_key(&to.to_string()) {
                    return Err(invalid(
                        "this organisation is not a member in the catalogue",
                    ));
                }
                let service = draft.service.as_ref().map(|s| s.trim().to_string());
                if let Some(code) = &service {
                    let offered = catalogue
                        .services
                        .get(code)
                        .is_some_and(|s| s.org == Some(*to) && !s.retired);
                    if !offered {
                        return Err(invalid(
                            "this service is not one the organisation offers in the catalogue",
                        ));
                    }
                }
                ReferralTarget::Org { org: *to, service }
            }
            (None, Some(id)) => {
                let known = catalogue
                    .institutions
                    .get(id.trim())
                    .is_some_and(|i| !i.retired);
                if !known {
                    return Err(invalid("this institution is not in the catalogue"));
                }
                ReferralTarget::Institution(id.trim().to_string())
            }
            _ => {
                return Err(invalid(
                    "choose one organisation or one institution to refer to",
                ));
            }
        };
        let team = self.space_for(RecordKind::Referral).await?;
        if let ReferralTarget::Org { org: to, .. } = &target {
            let pair = SpaceId::between(org, *to);
            let known = self
                .spaces()
                .await?
                .iter()
                .any(|s| s.space == pair && s.write);
            if !known {
                return Err(invalid(
                    "this device cannot reach that organisation's referrals yet: connect once, then try again",
                ));
            }
        }
        if let Some(contact) = draft.contact {
            self.stored_one::<Contact>(contact).await?;
        }
        let mut referral = Referral::new(
            draft.person,
            &person.alias,
            org,
            team,
            target,
            &draft.reason,
            Stamp::by(Timestamp::now(), identity.user, ""),
        );
        referral.contact = draft.contact;
        if draft.share {
            let share = self.share_of(draft.person).await?;
            referral.shared = ReferralConsent::of(Some(&person)).within(&share);
        }
        self.save(&referral).await?;
        self.referral_view_of(referral.id).await
    }

    /// What could be shared of `person`'s file: this organisation's latest
    /// diagnosis and the goals of their open programme.
    async fn share_of(&self, person: PersonId) -> Result<ReferralShare> {
        let mut share = ReferralShare::default();
        let diagnoses = self.stored::<Diagnosis>().await?;
        let latest = diagnoses
            .values()
            .map(|d| &d.record)
            .filter(|d| d.person == person)
            .max_by_key(|d| (d.assessed_on, d.created_at));
        if let Some(d) = latest {
            share.diagnosis = d.domains.clone();
            share.diagnosis_on = Some(d.assessed_on);
            share.wishes = d.wishes.clone();
        }
        let programmes = self.stored::<Programme>().await?;
        let open = programmes
            .values()
            .map(|p| &p.record)
            .filter(|p| p.person == person && p.is_open())
            .max_by_key(|p| p.opened_on);
        if let Some(p) = open {
            share.goals = p
                .goals
                .iter()
                .map(|(k, g)| (k.clone(), g.text.clone()))
                .collect();
        }
        Ok(share)
    }

    async fn referral_view_of(&self, id: DocId) -> Result<ReferralView> {
        let referral = self.stored_one::<Referral>(id).await?;
        Ok(referral_view(
            &referral,
            self.own_org().await?,
            &self.catalogue_or_empty().await?,
        ))
    }

    /// Answers a referral: `accept`, `decline` (with a reason) or `done`.
    pub async fn answer_referral(&self, draft: &ReferralAnswer) -> Result<ReferralView> {
        self.gate(true)?;
        let identity = self.require_identity().await?;
        let org = self.require_org().await?;
        let mut referral = self.stored_one::<Referral>(draft.referral).await?.record;
        if referral.answering_org() != org {
            return Err(invalid(
                "only the organisation the referral went to answers it",
            ));
        }
        let stamp = Stamp::by(Timestamp::now(), identity.user, &draft.note);
        let status = referral.status();
        match (draft.answer.trim(), status) {
            ("accept", ReferralStatus::Sent) => referral.accepted = Some(stamp),
            ("decline", ReferralStatus::Sent) => {
                if stamp.note.is_empty() {
                    return Err(invalid("say why the referral is declined"));
                }
                referral.declined = Some(stamp);
            }
            ("done", ReferralStatus::Accepted) => referral.done = Some(stamp),
            ("done", ReferralStatus::Sent) => {
                return Err(invalid(
                    "a referral is done only after it was accepted: accept it first",
                ));
            }
            ("accept" | "decline" | "done", _) => {
                return Err(EngineError::Invalid(format!(
                    "this referral is already {}",
                    status.as_str()
                )));
            }
            _ => return Err(invalid("an answer is accept, decline or done")),
        }
        self.save(&referral).await?;
        self.referral_view_of(referral.id).await
    }

    /// Referrals this organisation received and sent, newest first.
    pub async fn referrals(&self) -> Result<ReferralsView> {
        self.gate(true)?;
        let org = self.own_org().await?;
        let catalogue = self.catalogue_or_empty().await?;
        let mut view = ReferralsView::default();
        for referral in self.stored::<Referral>().await?.values() {
            let shown = referral_view(referral, org, &catalogue);
            if shown.incoming {
                view.incoming.push(shown);
            } else {
                view.outgoing.push(shown);
            }
        }
        for list in [&mut view.incoming, &mut view.outgoing] {
            list.sort_by_key(|r| std::cmp::Reverse(r.sent_at));
        }
        Ok(view)
    }

    // ---- due ----

    /// Follow-ups of this worker's contacts, open steps of this
    /// organisation's programmes not carried by another worker, planned
    /// reviews, and incoming referrals waiting for an answer.
    /// A stale device lists only the follow-ups of its own contacts.
    async fn due_items(
        &self,
        today: Date,
        persons: &PersonIndex,
        stale: bool,
    ) -> Result<Vec<DueItem>> {
        let identity = self.require_identity().await?;
        let org = self.own_org().await?;
        let alias = |p: PersonId| {
            persons
                .get(&p)
                .map(|(person, _)| person.alias.clone())
                .unwrap_or_default()
        };
        let mut due = Vec::new();
        for contact in self.stored::<Contact>().await?.values().map(|s| &s.record) {
            let Some(f) = contact.follow_up.as_ref().filter(|f| !f.done) else {
                continue;
            };
            if contact.worker != identity.user {
                continue;
            }
            let Some(day) = f.due.filter(|d| *d <= today) else {
                continue;
            };
            for person in contact.person_ids() {
                due.push(DueItem {
                    kind: DueKind::FollowUp,
                    person,
                    alias: alias(person),
                    doc: contact.id,
                    text: f.what.clone(),
                    due: Some(day),
                    overdue: day < today,
                });
            }
        }
        if stale {
            return Ok(due);
        }
        let me = Carrier::Worker(identity.user).to_string();
        for programme in self
            .stored::<Programme>()
            .await?
            .values()
            .map(|s| &s.record)
        {
            for (day, key, is_review) in programme.due_by(today) {
                let text = if is_review {
                    String::new()
                } else {
                    let Some(step) = programme.steps.get(key) else {
                        continue;
                    };
                    if step.carrier.starts_with("worker:") && step.carrier != me {
                        continue;
                    }
                    step.text.clone()
                };
                due.push(DueItem {
                    kind: if is_review {
                        DueKind::Review
                    } else {
                        DueKind::Step
                    },
                    person: programme.person,
                    alias: alias(programme.person),
                    doc: programme.id,
                    text,
                    due: Some(day),
                    overdue: day < today,
                });
            }
        }
        for referral in self.stored::<Referral>().await?.values().map(|s| &s.record) {
            if referral.to_org.is_some()
                && referral.to_org == org
                && referral.status() == ReferralStatus::Sent
            {
                due.push(DueItem {
                    kind: DueKind::Referral,
                    person: referral.person,
                    alias: referral.alias.clone(),
                    doc: referral.id,
                    text: referral.reason.clone(),
                    due: None,
                    overdue: false,
                });
            }
        }
        Ok(due)
    }

    /// What is due today and overdue, for the home screen.
    pub async fn due(&self) -> Result<DueView> {
        let stale = self.recording(false)?;
        let today = Date::today();
        let persons = self.person_index().await?;
        let mut view = DueView {
            today,
            overdue: Vec::new(),
            due_today: Vec::new(),
        };
        for item in self.due_items(today, &persons, stale).await? {
            if item.overdue {
                view.overdue.push(item);
            } else {
                view.due_today.push(item);
            }
        }
        view.overdue.sort_by_key(|d| (d.due, d.alias.clone()));
        view.due_today
            .sort_by_key(|d| (d.kind as u8, d.alias.clone()));
        Ok(view)
    }
}

/// A person and whether the server confirmed them.
type PersonIndexEntry = (odnowa_shared::records::Person, bool);

fn diagnosis_view(
    authored: &Stored<Diagnosis>,
    previous: Option<&Diagnosis>,
    persons: &PersonIndex,
) -> DiagnosisView {
    let d = &authored.record;
    let change: BTreeMap<String, i64> = previous.map(|p| d.change_since(p)).unwrap_or_default();
    let order = |code: &str| {
        domain::ALL
            .iter()
            .position(|c| *c == code)
            .unwrap_or(domain::ALL.len())
    };
    let mut domains: Vec<DomainView> = d
        .domains
        .iter()
        .map(|(code, a)| DomainView {
            code: code.clone(),
            level: a.level,
            note: a.note.clone(),
            change: change.get(code).copied(),
        })
        .collect();
    domains.sort_by_key(|v| (order(&v.code), v.code.clone()));
    DiagnosisView {
        id: d.id,
        person: d.person,
        assessed_on: d.assessed_on,
        created_at: d.created_at,
        author: authored.author.clone(),
        domains,
        wishes: d.wishes.clone(),
        household: d
            .household
            .iter()
            .filter_map(|(key, member)| {
                let person: PersonId = key.parse().ok()?;
                // A member not on the device shows without an alias.
                let alias = persons
                    .get(&person)
                    .map(|(p, _)| p.alias.clone())
                    .unwrap_or_default();
                Some(HouseholdView {
                    person,
                    alias,
                    relation: member.relation.clone(),
                })
            })
            .collect(),
        previous_on: previous.map(|p| p.assessed_on),
        confirmed: authored.confirmed,
        conflicts: authored.conflicts,
    }
}

fn carrier_name(carrier: &str, catalogue: &Catalogue) -> String {
    match carrier.parse::<Carrier>() {
        Ok(Carrier::Org(org)) => catalogue
            .orgs
            .get(&org.to_string())
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        Ok(Carrier::Institution(id)) => catalogue
            .institutions
            .get(&id)
            .map(|i| i.name.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn programme_view(authored: &Stored<Programme>, catalogue: &Catalogue) -> ProgrammeView {
    let p = &authored.record;
    let today = Date::today();
    let mut goals: Vec<(Timestamp, GoalView)> = p
        .goals
        .iter()
        .map(|(id, g)| {
            (
                g.created_at,
                GoalView {
                    id: id.clone(),
                    text: g.text.clone(),
                },
            )
        })
        .collect();
    goals.sort_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
    let mut steps: Vec<(Timestamp, StepView)> = p
        .steps
        .iter()
        .map(|(id, s)| {
            (
                s.created_at,
                StepView {
                    id: id.clone(),
                    text: s.text.clone(),
                    due: s.due,
                    carrier: s.carrier.clone(),
                    carrier_name: carrier_name(&s.carrier, catalogue),
                    status: s.status.clone(),
                    note: s.note.clone(),
                    goal: s.goal.clone(),
                    overdue: p.is_open()
                        && step_status::is_open(&s.status)
                        && s.due.is_some_and(|d| d < today),
                },
            )
        })
        .collect();
    steps.sort_by(|a, b| {
        (a.1.due.is_none(), a.1.due, a.0, &a.1.id).cmp(&(b.1.due.is_none(), b.1.due, b.0, &b.1.id))
    });
    let mut reviews: Vec<ReviewView> = p
        .reviews
        .iter()
        .map(|(id, r)| ReviewView {
            id: id.clone(),
            due: r.due,
            done_on: r.done_on,
            note: r.note.clone(),
        })
        .collect();
    reviews.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
    ProgrammeView {
        id: p.id,
        person: p.person,
        opened_on: p.opened_on,
        opened_by: authored.author.clone(),
        agreed_on: p.agreed_on,
        goals: goals.into_iter().map(|(_, g)| g).collect(),
        steps: steps.into_iter().map(|(_, s)| s).collect(),
        reviews,
        closed_on: p.closed_on,
        outcome: p.outcome.clone(),
        closing_note: p.closing_note.clone(),
        confirmed: authored.confirmed,
        conflicts: authored.conflicts,
    }
}

fn referral_view(
    authored: &Stored<Referral>,
    org: Option<OrgId>,
    catalogue: &Catalogue,
) -> ReferralView {
    let r = &authored.record;
    let org_name = |o: OrgId| {
        catalogue
            .orgs
            .get(&o.to_string())
            .map(|m| m.name.clone())
            .unwrap_or_default()
    };
    let to_name = match (&r.to_org, &r.institution) {
        (Some(to), _) => org_name(*to),
        (None, Some(id)) => catalogue
            .institutions
            .get(id)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| id.clone()),
        (None, None) => String::new(),
    };
    let incoming = r.to_org.is_some() && r.to_org == org;
    let answered = [&r.done, &r.declined, &r.accepted]
        .into_iter()
        .flatten()
        .next();
    let mut shared_domains: Vec<SharedDomain> = r
        .shared
        .diagnosis
        .iter()
        .map(|(code, a)| SharedDomain {
            code: code.clone(),
            level: a.level,
            note: a.note.clone(),
        })
        .collect();
    shared_domains.sort_by_key(|d| {
        domain::ALL
            .iter()
            .position(|c| *c == d.code)
            .unwrap_or(domain::ALL.len())
    });
    let status = r.status();
    ReferralView {
        id: r.id,
        person: r.person,
        alias: r.alias.clone(),
        from_org: r.from_org,
        from_name: org_name(r.from_org),
        to_org: r.to_org,
        institution: r.institution.clone(),
        to_name,
        service: r.service.clone(),
        reason: r.reason.clone(),
        status,
        sent_at: r.sent.at,
        sent_by: authored.author.clone(),
        accepted_at: r.accepted.as_ref().map(|s| s.at),
        declined_at: r.declined.as_ref().map(|s| s.at),
        decline_reason: r
            .declined
            .as_ref()
            .map(|s| s.note.clone())
            .unwrap_or_default(),
        done_at: r.done.as_ref().map(|s| s.at),
        answered_by: answered.and_then(|s| s.by).map(|u| u.to_string()),
        shared_domains,
        shared_on: r.shared.diagnosis_on,
        shared_wishes: r.shared.wishes.clone(),
        shared_goals: r.shared.goals.values().cloned().collect(),
        incoming,
        may_answer: Some(r.answering_org()) == org
            && matches!(status, ReferralStatus::Sent | ReferralStatus::Accepted),
        confirmed: authored.confirmed,
    }
}
