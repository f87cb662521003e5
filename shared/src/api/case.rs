//! The case-work part of the command API: a person's file, notes, needs
//! diagnoses, individual programmes (IPWB), referrals, and what is due.
//! Command names are in [`super::cmd`].

use serde::{Deserialize, Serialize};

use crate::ids::{DocId, OrgId, PersonId};
use crate::records::ReferralStatus;
use crate::time::{Date, Timestamp};

use super::PersonView;

/// Everything this device's organisation knows of one person, newest
/// first. Opening it is a read of the person's data (audited).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonFile {
    pub person: PersonView,
    /// Contacts, day-room visits, workshops and case notes, newest first.
    pub events: Vec<FileEvent>,
    /// Needs diagnoses, newest first, each with the change since the one
    /// before.
    pub diagnoses: Vec<DiagnosisView>,
    /// Programmes, open ones first, then by opening day (newest first).
    pub programmes: Vec<ProgrammeView>,
    /// Referrals of the person this device's organisation sent or received.
    pub referrals: Vec<ReferralView>,
    /// Follow-ups, steps and reviews due (overdue first).
    pub due: Vec<DueItem>,
    /// Whether this device may keep case work (a writable team space).
    pub may_write: bool,
    /// The device has not reached the server for longer than the policy
    /// allows: only what this worker recorded is shown (case notes can
    /// still be written); the rest comes back at the next sync.
    #[serde(default)]
    pub hidden_while_stale: bool,
}

/// What one line of a person's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Contact,
    Attendance,
    Workshop,
    Note,
}

/// One line of a person's file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEvent {
    pub kind: EventKind,
    pub at: Timestamp,
    /// The record to open (a contact, a session, a workshop, the notes).
    pub doc: DocId,
    /// Service codes of a contact.
    pub services: Vec<String>,
    /// A contact's place, a workshop's theme, a day room's name, a note's text.
    pub text: String,
    /// Who wrote it, as the record's history names them.
    pub by: Option<String>,
}

/// One domain of a diagnosis as the form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainDraft {
    /// A code of `records::domain::ALL`.
    pub code: String,
    /// On the scale of `records::level` (1 crisis … 5 copes on their own).
    pub level: i64,
    pub note: String,
}

/// A household member assessed with the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdDraft {
    pub person: PersonId,
    pub relation: String,
}

/// A new needs diagnosis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosisDraft {
    pub person: PersonId,
    pub assessed_on: Date,
    pub domains: Vec<DomainDraft>,
    pub wishes: String,
    #[serde(default)]
    pub household: Vec<HouseholdDraft>,
}

/// One domain of a diagnosis as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainView {
    pub code: String,
    pub level: i64,
    pub note: String,
    /// The change since the diagnosis before (positive: better); `None`
    /// when that one did not assess the domain, or there is none.
    pub change: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdView {
    pub person: PersonId,
    pub alias: String,
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosisView {
    pub id: DocId,
    pub person: PersonId,
    pub assessed_on: Date,
    pub created_at: Timestamp,
    /// Who wrote it, as its history names them.
    pub author: Option<String>,
    pub domains: Vec<DomainView>,
    pub wishes: String,
    pub household: Vec<HouseholdView>,
    /// The day of the diagnosis compared with, if one.
    pub previous_on: Option<Date>,
    pub confirmed: bool,
    pub conflicts: usize,
}

/// A programme opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeDraft {
    pub person: PersonId,
    pub opened_on: Date,
    pub goals: Vec<String>,
    pub agreed_on: Option<Date>,
}

/// A new step (`step` is `None`) or the edit of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDraft {
    pub programme: DocId,
    pub step: Option<String>,
    pub text: String,
    pub due: Option<Date>,
    /// `worker:<user id>`, `org:<org id>`, `institution:<id>` or `person`.
    pub carrier: String,
    /// `planned`, `in_progress`, `done` or `dropped`.
    pub status: String,
    pub note: String,
    pub goal: Option<String>,
}

/// A review planned (`review` is `None`) or recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDraft {
    pub programme: DocId,
    pub review: Option<String>,
    pub due: Date,
    pub done_on: Option<Date>,
    pub note: String,
}

/// A programme closed, or its agreement recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingDraft {
    pub programme: DocId,
    /// Required: an outcome without a day is refused.
    pub closed_on: Option<Date>,
    /// A code of `records::outcome::ALL`.
    pub outcome: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalView {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub id: String,
    pub text: String,
    pub due: Option<Date>,
    pub carrier: String,
    /// The carrier's name: a worker's, an organisation's, an institution's.
    pub carrier_name: String,
    pub status: String,
    pub note: String,
    pub goal: Option<String>,
    /// Open and due before today.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub id: String,
    pub due: Date,
    pub done_on: Option<Date>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgrammeView {
    pub id: DocId,
    pub person: PersonId,
    pub opened_on: Date,
    pub opened_by: Option<String>,
    pub agreed_on: Option<Date>,
    pub goals: Vec<GoalView>,
    /// By due day (steps without one last), then by when they were added.
    pub steps: Vec<StepView>,
    /// By due day.
    pub reviews: Vec<ReviewView>,
    pub closed_on: Option<Date>,
    pub outcome: Option<String>,
    pub closing_note: String,
    pub confirmed: bool,
    pub conflicts: usize,
}

/// A referral sent from this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralDraft {
    pub person: PersonId,
    /// A member organisation (with one of its services, or none)…
    pub to_org: Option<OrgId>,
    pub service: Option<String>,
    /// … or an outside institution of the catalogue.
    pub institution: Option<String>,
    pub reason: String,
    /// The contact it is made from, if one.
    pub contact: Option<DocId>,
    /// Share what the person's consent covers (the latest diagnosis, the
    /// programme's goals); without it, the alias and the reason only.
    pub share: bool,
}

/// An answer to a referral: `accept`, `decline` (the note is the reason)
/// or `done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralAnswer {
    pub referral: DocId,
    pub answer: String,
    pub note: String,
}

/// One domain shared with a referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedDomain {
    pub code: String,
    pub level: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralView {
    pub id: DocId,
    pub person: PersonId,
    /// The alias at sending.
    pub alias: String,
    pub from_org: OrgId,
    pub from_name: String,
    pub to_org: Option<OrgId>,
    pub institution: Option<String>,
    /// The receiving organisation's or institution's name.
    pub to_name: String,
    pub service: Option<String>,
    pub reason: String,
    pub status: ReferralStatus,
    pub sent_at: Timestamp,
    pub sent_by: Option<String>,
    pub accepted_at: Option<Timestamp>,
    pub declined_at: Option<Timestamp>,
    pub decline_reason: String,
    pub done_at: Option<Timestamp>,
    /// Who gave the latest answer.
    pub answered_by: Option<String>,
    pub shared_domains: Vec<SharedDomain>,
    pub shared_on: Option<Date>,
    pub shared_wishes: String,
    pub shared_goals: Vec<String>,
    /// It came to this device's organisation.
    pub incoming: bool,
    /// This device's organisation answers it (and it still waits for one).
    pub may_answer: bool,
    pub confirmed: bool,
}

/// Referrals this device's organisation received and sent, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralsView {
    pub incoming: Vec<ReferralView>,
    pub outgoing: Vec<ReferralView>,
}

/// Where a referral may go: the other member organisations with their
/// services, and the outside institutions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralTargets {
    pub orgs: Vec<OrgTarget>,
    pub institutions: Vec<InstitutionView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgTarget {
    pub id: OrgId,
    pub name: String,
    pub services: Vec<super::ServiceView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionView {
    pub id: String,
    pub name: String,
    pub institution_kind: String,
    pub address: String,
    pub phone: String,
}

/// What something due is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// A contact's follow-up.
    FollowUp,
    /// A programme step.
    Step,
    /// A programme review.
    Review,
    /// An incoming referral waiting for an answer.
    Referral,
}

/// Something due for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    pub kind: DueKind,
    pub person: PersonId,
    pub alias: String,
    /// The record to open.
    pub doc: DocId,
    pub text: String,
    /// `None` for an incoming referral (due now).
    pub due: Option<Date>,
    pub overdue: bool,
}

/// The home screen's "due today / overdue".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueView {
    pub today: Date,
    pub overdue: Vec<DueItem>,
    pub due_today: Vec<DueItem>,
}

/// A note written in a person's case notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteDraft {
    pub person: PersonId,
    pub text: String,
}
