//! The field app's command API: what the screens (ui/, wasm32) ask the Tauri
//! shell (src-tauri/src/shell) and what they get back.
//!
//! API boundary: both sides use these types, so the JSON that crosses IPC
//! cannot drift between them. A command is named by the constant in
//! [`cmd`]; its arguments are one object whose field names match the
//! command function's parameters (Tauri 2 takes camelCase keys from JS, so
//! every argument here is a single word or already camelCase); its answer
//! is the type named next to it. Views are flattened for display: texts the
//! screens show, ids as strings, times as [`Timestamp`] milliseconds (the UI
//! formats them in Europe/Warsaw).

mod case;

use serde::{Deserialize, Serialize};

pub use case::*;

use crate::conflicts::Conflict;
use crate::document::HistoryEntry;
use crate::ids::{DocId, PersonId, SiteId, UserId};
use crate::time::{Date, Timestamp};

/// Command names, shared by `invoke` in the UI and the shell's handler.
pub mod cmd {
    /// `()` → [`super::AppInfo`]
    pub const APP_INFO: &str = "app_info";
    /// `{ request: EnrolRequest }` → [`super::AppInfo`]
    pub const ENROL: &str = "enrol";
    /// `{ active: bool }` → [`super::SyncView`]; `active`: the person
    /// tapped or typed since the last call (keeps the app from locking)
    pub const SYNC_STATUS: &str = "sync_status";
    /// `()` → [`super::SyncView`] after one sync attempt
    pub const SYNC_NOW: &str = "sync_now";
    /// `()` → [`super::CatalogueView`]
    pub const CATALOGUE: &str = "catalogue";
    /// `{ query: String }` → `Vec<PersonView>` (diacritics-insensitive)
    pub const SEARCH_PERSONS: &str = "search_persons";
    /// `{ draft: PersonDraft }` → `Vec<SimilarPerson>` that look like the draft
    pub const SIMILAR_PERSONS: &str = "similar_persons";
    /// `{ draft: PersonDraft }` → [`super::PersonView`]
    pub const CREATE_PERSON: &str = "create_person";
    /// `{ date: Date }` → `Vec<ContactView>`, newest first
    pub const CONTACTS_ON: &str = "contacts_on";
    /// `{ id: DocId }` → [`super::ContactView`]
    pub const CONTACT: &str = "contact";
    /// `{ draft: ContactDraft }` → [`super::ContactView`] (new when `draft.id` is `None`)
    pub const SAVE_CONTACT: &str = "save_contact";
    /// `{ contact: DocId, person: PersonId }` → [`super::ContactView`]:
    /// links an anonymous contact to a person (one fewer anonymous)
    pub const LINK_CONTACT_PERSON: &str = "link_contact_person";
    /// `{ contact: DocId, draft: PersonDraft }` → [`super::ContactView`]:
    /// registers a new person (the duplicate check as at
    /// [`CREATE_PERSON`]) and links the anonymous contact to them
    pub const LINK_NEW_PERSON: &str = "link_new_person";
    /// `()` → `Vec<String>`: places of this device's recent contacts, most recent first
    pub const RECENT_PLACES: &str = "recent_places";
    /// `{ limit }` → `Vec<RecentPerson>`: the persons this worker met most
    /// recently, newest first, with what they got last time.
    pub const RECENT_PERSONS: &str = "recent_persons";
    /// `{ site: SiteId }` → [`super::DaySessionView`] of today, opened if needed
    pub const TODAY_SESSION: &str = "today_session";
    /// `{ session: DocId, person: PersonId, present: bool }` → [`super::DaySessionView`]
    pub const SET_PRESENT: &str = "set_present";
    /// `{ session: DocId, person: PersonId }` → [`super::DaySessionView`]
    pub const CHECK_OUT: &str = "check_out";
    /// `{ session: DocId, draft: PersonDraft }` → [`super::DaySessionView`]:
    /// creates the person, registers them at the site and marks them present
    pub const ADD_WALK_IN: &str = "add_walk_in";
    /// `{ session: DocId, delta: i64 }` → [`super::DaySessionView`]
    pub const ADD_MEALS: &str = "add_meals";
    /// `()` → `Vec<WorkshopView>`, newest first
    pub const WORKSHOPS: &str = "workshops";
    /// `{ id: DocId }` → [`super::WorkshopView`]
    pub const WORKSHOP: &str = "workshop";
    /// `{ draft: WorkshopDraft }` → [`super::WorkshopView`]
    pub const SAVE_WORKSHOP: &str = "save_workshop";
    /// `{ id: DocId }` → [`super::RecordMeta`]
    pub const RECORD_META: &str = "record_meta";
    /// `{ id: DocId, path: Vec<String>, change: String }` → [`super::RecordMeta`]
    pub const RESOLVE_CONFLICT: &str = "resolve_conflict";
    /// `()` → `String`: the app version alone (kept from the first shell;
    /// [`APP_INFO`] carries it too).
    pub const APP_VERSION: &str = "app_version";
    /// `{ pin: String }` → [`super::AppInfo`]; a wrong PIN fails with kind
    /// `wrong_pin` (and `wiped` at the tenth)
    pub const UNLOCK: &str = "unlock";
    /// `()` → [`super::AppInfo`]: locks the app now
    pub const LOCK: &str = "lock";
    /// `()` → [`super::AppInfo`]: erases everything on this device (a
    /// revoked device, a forgotten PIN) so it can be enrolled again
    pub const RESET_DEVICE: &str = "reset_device";
    /// `{ person: PersonId, scope: String }` → [`super::PersonView`]: the
    /// person gives consent (recorded by this device's user, for their
    /// organisation)
    pub const GIVE_CONSENT: &str = "give_consent";
    /// `{ person: PersonId }` → [`super::PersonView`]: the person withdraws
    /// consent; their details are then hidden outside the organisation
    /// that recorded it
    pub const WITHDRAW_CONSENT: &str = "withdraw_consent";
    /// `{ person: PersonId }` → [`super::PersonFile`] (a read, audited)
    pub const PERSON_FILE: &str = "person_file";
    /// `{ draft: NoteDraft }` → [`super::PersonFile`]: a case note
    pub const ADD_NOTE: &str = "add_note";
    /// `{ id: DocId }` → [`super::DiagnosisView`] (a read, audited)
    pub const DIAGNOSIS: &str = "diagnosis";
    /// `{ draft: DiagnosisDraft }` → [`super::DiagnosisView`]
    pub const SAVE_DIAGNOSIS: &str = "save_diagnosis";
    /// `{ id: DocId }` → [`super::ProgrammeView`] (a read, audited)
    pub const PROGRAMME: &str = "programme";
    /// `{ draft: ProgrammeDraft }` → [`super::ProgrammeView`]
    pub const OPEN_PROGRAMME: &str = "open_programme";
    /// `{ draft: StepDraft }` → [`super::ProgrammeView`]
    pub const SAVE_STEP: &str = "save_step";
    /// `{ draft: ReviewDraft }` → [`super::ProgrammeView`]
    pub const SAVE_REVIEW: &str = "save_review";
    /// `{ draft: ClosingDraft }` → [`super::ProgrammeView`]
    pub const CLOSE_PROGRAMME: &str = "close_programme";
    /// `()` → [`super::ReferralTargets`]
    pub const REFERRAL_TARGETS: &str = "referral_targets";
    /// `{ draft: ReferralDraft }` → [`super::ReferralView`]
    pub const SEND_REFERRAL: &str = "send_referral";
    /// `{ draft: ReferralAnswer }` → [`super::ReferralView`]
    pub const ANSWER_REFERRAL: &str = "answer_referral";
    /// `()` → [`super::ReferralsView`]
    pub const REFERRALS: &str = "referrals";
    /// `()` → [`super::DueView`]: the home screen's due today and overdue
    pub const DUE: &str = "due";

    /// The commands that change records on the device: after each, the
    /// screens read the sync status again (what waits has grown).
    pub const WRITES: [&str; 20] = [
        CREATE_PERSON,
        SAVE_CONTACT,
        LINK_CONTACT_PERSON,
        LINK_NEW_PERSON,
        SET_PRESENT,
        CHECK_OUT,
        ADD_WALK_IN,
        ADD_MEALS,
        SAVE_WORKSHOP,
        RESOLVE_CONFLICT,
        GIVE_CONSENT,
        WITHDRAW_CONSENT,
        ADD_NOTE,
        SAVE_DIAGNOSIS,
        OPEN_PROGRAMME,
        SAVE_STEP,
        SAVE_REVIEW,
        CLOSE_PROGRAMME,
        SEND_REFERRAL,
        ANSWER_REFERRAL,
    ];

    /// Every command, in the order above: the shell registers exactly these
    /// and grants each its `allow-…` permission (a test checks both lists).
    pub const ALL: [&str; 45] = [
        APP_INFO,
        ENROL,
        SYNC_STATUS,
        SYNC_NOW,
        CATALOGUE,
        SEARCH_PERSONS,
        SIMILAR_PERSONS,
        CREATE_PERSON,
        CONTACTS_ON,
        CONTACT,
        SAVE_CONTACT,
        LINK_CONTACT_PERSON,
        LINK_NEW_PERSON,
        RECENT_PLACES,
        RECENT_PERSONS,
        TODAY_SESSION,
        SET_PRESENT,
        CHECK_OUT,
        ADD_WALK_IN,
        ADD_MEALS,
        WORKSHOPS,
        WORKSHOP,
        SAVE_WORKSHOP,
        RECORD_META,
        RESOLVE_CONFLICT,
        APP_VERSION,
        UNLOCK,
        LOCK,
        RESET_DEVICE,
        GIVE_CONSENT,
        WITHDRAW_CONSENT,
        PERSON_FILE,
        ADD_NOTE,
        DIAGNOSIS,
        SAVE_DIAGNOSIS,
        PROGRAMME,
        OPEN_PROGRAMME,
        SAVE_STEP,
        SAVE_REVIEW,
        CLOSE_PROGRAMME,
        REFERRAL_TARGETS,
        SEND_REFERRAL,
        ANSWER_REFERRAL,
        REFERRALS,
        DUE,
    ];
}

/// `{ kind, message }`: how every command fails across IPC. `kind` is
/// stable, for code to branch on; `message` is for logs and people.
///
/// One exception: arguments that do not decode (a missing key, an id that
/// is not a UUID, a date that is not `YYYY-MM-DD`) are refused by Tauri
/// before the command runs, with a plain string. Those are bugs of the
/// caller; the UI may treat any error that is not an object as `internal`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    pub kind: ErrorKind,
    pub message: String,
}

/// The kinds of [`CommandError`]; the UI translates each into a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The device has no identity yet: enrol first.
    NotEnrolled,
    /// The enrolment code was wrong, used or expired.
    BadCode,
    /// Too many wrong enrolment codes from this network: wait.
    TooManyAttempts,
    /// The server could not be reached (enrolment needs the network).
    Unreachable,
    /// The input breaks a rule (the message says which).
    Invalid,
    /// No record with that id on this device.
    NotFound,
    /// The device was revoked by the office.
    Revoked,
    /// The app is locked (at start, or after inactivity): ask for the PIN.
    Locked,
    /// The PIN was wrong; [`LockView::attempts_left`] says how many remain.
    WrongPin,
    /// Too many wrong PINs: the local data was erased; enrol again.
    Wiped,
    /// The device has not reached the server for longer than the policy
    /// allows: records stay hidden until a sync succeeds.
    Stale,
    /// A new person looks like one already registered and the worker has
    /// not said whether it is them: answer the duplicate warning first.
    PossibleDuplicate,
    /// The person was merged into another in the office: use that one.
    Merged,
    /// The version picked is no longer one of the field's values: another
    /// device (or this one) settled the field meanwhile.
    Settled,
    /// Anything else (storage failure, a bug): the message says what.
    Internal,
}

/// Enrolment: the server address and the one-time code from the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub server: String,
    pub code: String,
    /// A name for this device in the office's list, e.g. "Telefon Marty".
    pub device_name: String,
    /// The PIN that will open this device's data (6 to 64 characters).
    pub pin: String,
}

/// What the app needs at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppInfo {
    pub version: String,
    /// `None` until the device is enrolled, and while it is locked.
    pub identity: Option<IdentityView>,
    pub lock: LockView,
}

/// Wrong PINs allowed in a row; the last one erases the device's data.
pub const MAX_PIN_ATTEMPTS: u32 = 10;

/// Whether the screens may show records, and why not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Not enrolled: nothing to show.
    #[default]
    New,
    /// Unlocked.
    Open,
    /// Asks for the PIN (at start, after inactivity, on request).
    Locked,
    /// Has not reached the server for longer than the policy allows:
    /// asks to sync first.
    Stale,
    /// Revoked by the office: the data stays locked; the only way on is
    /// to erase it and enrol again.
    Revoked,
}

/// What the lock screen shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LockView {
    pub access: Access,
    /// Wrong PINs still allowed before the local data is erased.
    pub attempts_left: u32,
    /// Records with changes the server has not confirmed: lost if the data
    /// is erased.
    pub unsynced: u64,
    /// The app locks after this many seconds without a tap.
    pub lock_secs: u32,
    /// Records hide after this many days without reaching the server.
    pub stale_days: u32,
    /// When this device last reached the server.
    pub last_contact: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityView {
    pub server: String,
    pub device: String,
    pub user: UserId,
    /// Names of the spaces this device may write, as the server last
    /// listed them (empty before the first sync). New persons go to the
    /// registry, contacts, sessions and workshops to the first team space
    /// by name.
    pub writable_spaces: Vec<String>,
}

/// The sync state the header and the first-sync screen show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncView {
    pub enrolled: bool,
    pub online: bool,
    pub live: bool,
    pub last_sync: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Records with changes the server has not confirmed yet.
    pub pending: u64,
    /// Records the server refused.
    pub refused: u64,
    pub revoked: bool,
    /// Whether records may be shown (the screens go to the lock screen
    /// when this is not `open`).
    #[serde(default)]
    pub access: Access,
    /// The first sync after enrolment: records received so far and the
    /// number the server announced (`None` once it is done). Right after
    /// [`cmd::ENROL`] it is `{done: 0, total: 0}` until the first answer
    /// arrives: show an indeterminate bar while `total` is 0.
    pub first_sync: Option<Progress>,
    /// Records on the device.
    pub records: u64,
    /// What waits for the server, per kind of record (only kinds with
    /// something waiting or refused), for the device screen.
    #[serde(default)]
    pub waiting: Vec<Waiting>,
}

/// Records of one kind that wait for the server or were refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// [`crate::records::RecordKind::as_str`].
    pub kind: String,
    pub pending: u64,
    pub refused: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// The catalogue, as the screens need it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CatalogueView {
    /// Active services, in catalogue order.
    pub services: Vec<ServiceView>,
    pub sites: Vec<SiteView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteView {
    pub id: SiteId,
    pub name: String,
    /// `day_room`, `workshop`, `street`, …
    pub site_kind: String,
}

/// A new person, or the fields a duplicate check compares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDraft {
    pub alias: String,
    pub birth_year: Option<i64>,
    /// `f`, `m`, `x` (other) or empty (not known). Anything else is
    /// refused (`invalid`).
    pub gender: String,
    /// The scope of the consent the person gives at registration
    /// (`None`: not asked yet).
    #[serde(default)]
    pub consent: Option<String>,
    /// Persons the duplicate warning proposed and the worker said are
    /// someone else: remembered on the new person, so the pair is not
    /// proposed again (the office's duplicate finder reads it too).
    #[serde(default)]
    pub distinct_from: Vec<PersonId>,
}

/// A person the duplicate warning proposes, with what a worker needs to
/// judge whether it is the one in front of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarPerson {
    pub person: PersonView,
    /// When they were registered.
    pub registered: Timestamp,
    /// Their latest contact on this device, and where it was.
    pub last_contact: Option<Timestamp>,
    pub last_place: String,
    /// Contacts with them on this device.
    pub contacts: u64,
}

/// What a consent recorded on a phone covers: recording the services the
/// person gets in the consortium registry.
pub const CONSENT_SCOPE_SERVICES: &str = "services";

/// A person's consent as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentView {
    pub given_at: Timestamp,
    pub scope: String,
    pub withdrawn_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: PersonId,
    /// Empty when `hidden`.
    pub alias: String,
    pub birth_year: Option<i64>,
    pub gender: String,
    pub confirmed: bool,
    #[serde(default)]
    pub consent: Option<ConsentView>,
    /// The person withdrew consent and this device's organisation is not
    /// the one that recorded it: alias, birth year and gender are left out.
    #[serde(default)]
    pub hidden: bool,
}

/// A contact as the form edits it. Service codes come from the catalogue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactDraft {
    /// `None` for a new contact.
    pub id: Option<DocId>,
    pub persons: Vec<PersonId>,
    pub anonymous_count: i64,
    pub services: Vec<String>,
    pub place: String,
    pub duration_min: Option<i64>,
    pub note: String,
    /// What to do next, if anything (empty: no follow-up).
    pub follow_up: String,
    pub follow_up_due: Option<Date>,
}

/// A person this worker met recently, as the outreach home and the empty
/// person search offer them: one tap starts a contact with them and the
/// services of their latest contact ticked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentPerson {
    pub person: PersonView,
    /// When this worker last met them.
    pub at: Timestamp,
    /// The services of their latest contact on this device.
    pub services: Vec<String>,
    /// Where that contact was.
    pub place: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: DocId,
    pub at: Timestamp,
    pub persons: Vec<PersonView>,
    pub anonymous_count: i64,
    pub services: Vec<String>,
    pub place: String,
    pub duration_min: Option<i64>,
    pub note: String,
    pub follow_up: String,
    pub follow_up_due: Option<Date>,
    pub confirmed: bool,
    /// Fields with concurrent values.
    pub conflicts: usize,
}

/// Today's session of a day room, as the board shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySessionView {
    pub id: DocId,
    pub site: SiteId,
    pub date: Date,
    /// Everyone registered at the site and everyone marked today, by alias.
    pub board: Vec<BoardEntry>,
    pub meals: i64,
    pub anonymous_count: i64,
    pub confirmed: bool,
    pub conflicts: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoardEntry {
    pub person: PersonId,
    pub alias: String,
    pub present: bool,
    pub check_in: Option<Timestamp>,
    pub check_out: Option<Timestamp>,
}

/// A workshop as the form edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkshopDraft {
    pub id: Option<DocId>,
    pub date: Date,
    pub site: SiteId,
    pub theme: String,
    pub motif: String,
    pub materials: String,
    pub participants: Vec<ParticipantDraft>,
    pub items: Vec<ItemDraft>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantDraft {
    pub person: PersonId,
    pub hours: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDraft {
    pub name: String,
    pub count: i64,
    pub made_by: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkshopView {
    pub id: DocId,
    pub date: Date,
    pub site: SiteId,
    pub site_name: String,
    pub theme: String,
    pub motif: String,
    pub materials: String,
    pub participants: Vec<ParticipantView>,
    pub items: Vec<ItemDraft>,
    pub confirmed: bool,
    pub conflicts: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub person: PersonId,
    pub alias: String,
    pub hours: f64,
}

/// What the record screen's "versions" and "history" panels show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordMeta {
    pub id: DocId,
    pub confirmed: bool,
    pub conflicts: Vec<Conflict>,
    pub history: Vec<HistoryEntry>,
}
