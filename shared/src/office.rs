//! The consortium office's HTTP API: paths, and the JSON the office pages
//! (ui, in a browser) and the sync server (routes) share. Periods of the
//! city report and the report's figures are defined here too, as pure
//! functions, so both sides agree on what "October" or "Q4" means.
//!
//! Every path is under [`API_PREFIX`]. A session is a cookie
//! ([`SESSION_COOKIE`], `HttpOnly; SameSite=Strict; Path=/`, `Secure`
//! when served over HTTPS) given by `POST login`; every other call without
//! a live session is answered 401, a call the user's role does not allow
//! 403 — both with an [`OfficeError`] body, and both written to the audit
//! log.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::conflicts::Conflict;
use crate::document::HistoryEntry;
use crate::ids::{DeviceId, DocId, OrgId, PersonId, SiteId, SpaceId, UserId};
use crate::records::{Contact, DaySession, Person, RecordKind, Workshop};
use crate::time::{Date, Timestamp};

/// Where the office API lives.
pub const API_PREFIX: &str = "/office/api";
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "odnowa_session";

/// Paths under [`API_PREFIX`].
pub mod path {
    /// POST [`super::LoginRequest`] → [`super::OfficeUser`] and the cookie.
    pub const LOGIN: &str = "/login";
    /// POST → 204; the session ends.
    pub const LOGOUT: &str = "/logout";
    /// GET → [`super::OfficeUser`] of the session.
    pub const ME: &str = "/me";
    /// GET `?month=YYYY-MM` → [`super::Dashboard`].
    pub const DASHBOARD: &str = "/dashboard";
    /// GET → [`super::FilterOptions`].
    pub const FILTERS: &str = "/filters";
    /// GET [`super::RecordFilter`] as query → [`super::RecordPage`].
    pub const RECORDS: &str = "/records";
    /// GET `/records/{id}` → [`super::RecordDetail`].
    pub const RECORD: &str = "/records/{id}";
    /// GET `?q=alias` → `Vec<`[`super::PersonSummary`]`>`.
    pub const PERSONS: &str = "/persons";
    /// GET `/persons/{id}/timeline` → [`super::Timeline`] (audited).
    pub const TIMELINE: &str = "/persons/{id}/timeline";
    /// GET → `Vec<`[`super::DuplicatePair`]`>`.
    pub const DUPLICATES: &str = "/duplicates";
    /// GET → `Vec<`[`super::PersonSummary`]`>`: persons merged into
    /// another, for undoing a merge.
    pub const DUPLICATES_MERGED: &str = "/duplicates/merged";
    /// POST [`super::MergeRequest`] → [`super::PersonSummary`] of the merged.
    pub const MERGE: &str = "/duplicates/merge";
    /// POST [`super::UnmergeRequest`] → [`super::PersonSummary`].
    pub const UNMERGE: &str = "/duplicates/unmerge";
    /// GET → [`super::SetupStatus`]; POST [`super::SetupRequest`] →
    /// [`super::OfficeUser`] (and the session cookie): the first office
    /// administrator, once, with the code from the server's log.
    pub const SETUP: &str = "/setup";
    /// POST [`super::DistinctRequest`] → 204: "these are different
    /// people", remembered on both.
    pub const DISTINCT: &str = "/duplicates/distinct";
    /// GET `?period=…` → [`super::Report`].
    pub const REPORT: &str = "/report";
    /// POST [`super::FreezeRequest`] → [`super::Report`].
    pub const REPORT_FREEZE: &str = "/report/freeze";
    /// GET `?period=…` → the report as an XLSX workbook (Polish headers).
    pub const REPORT_XLSX: &str = "/report.xlsx";
    /// GET `?period=…` → the report as CSV (Polish headers, UTF-8).
    pub const REPORT_CSV: &str = "/report.csv";
    /// GET → [`crate::records::Catalogue`]; the office edits it below.
    pub const CATALOGUE: &str = "/catalogue";
    /// PUT [`super::ServiceEdit`] → [`crate::records::Catalogue`].
    pub const CATALOGUE_SERVICE: &str = "/catalogue/services";
    /// PUT [`super::SiteEdit`] → [`crate::records::Catalogue`].
    pub const CATALOGUE_SITE: &str = "/catalogue/sites";
    /// PUT [`super::InstitutionEdit`] → [`crate::records::Catalogue`].
    pub const CATALOGUE_INSTITUTION: &str = "/catalogue/institutions";
    /// GET → `Vec<`[`super::TeamMember`]`>`: a coordinator's organisation,
    /// its users and their devices.
    pub const TEAM: &str = "/team";
    /// POST → [`super::EnrolCode`] for a user of the coordinator's
    /// organisation (audited).
    pub const TEAM_ENROL_CODE: &str = "/team/{user}/enrol-code";
    /// GET `?person=ID` or `?user=ID` → `Vec<`[`super::AuditEntry`]`>`,
    /// newest first (a coordinator sees what their organisation's users
    /// did; audited).
    pub const AUDIT: &str = "/audit";
    /// GET → `Vec<`[`super::QuarantinedPush`]`>`: pushes the server refused,
    /// newest first (a coordinator: their organisation's users').
    pub const QUARANTINE: &str = "/quarantine";
    /// POST → 204: revokes a device of the coordinator's organisation; its
    /// live connection closes within a second (audited).
    pub const DEVICE_REVOKE: &str = "/devices/{device}/revoke";
    /// GET → [`super::ErasurePlan`]: what erasing the person would delete
    /// and rewrite (changes nothing).
    pub const ERASURE_PLAN: &str = "/persons/{id}/erasure";
    /// POST [`super::EraseRequest`] → [`super::Erasure`]: erases the person
    /// (a coordinator or the office; audited).
    pub const ERASE: &str = "/persons/{id}/erase";
    /// GET → `Vec<`[`super::Erasure`]`>`, newest first, each with the
    /// devices that have not confirmed their purge yet.
    pub const ERASURES: &str = "/erasures";

    use crate::ids::{DeviceId, DocId, PersonId, UserId};

    /// [`RECORD`] of `id`.
    pub fn record(id: DocId) -> String {
        RECORD.replace("{id}", &id.to_string())
    }

    /// [`TIMELINE`] of `person`.
    pub fn timeline(person: PersonId) -> String {
        TIMELINE.replace("{id}", &person.to_string())
    }

    /// [`TEAM_ENROL_CODE`] for `user`.
    pub fn enrol_code(user: UserId) -> String {
        TEAM_ENROL_CODE.replace("{user}", &user.to_string())
    }

    /// [`DEVICE_REVOKE`] of `device`.
    pub fn revoke(device: DeviceId) -> String {
        DEVICE_REVOKE.replace("{device}", &device.to_string())
    }

    /// [`ERASURE_PLAN`] of `person`.
    pub fn erasure_plan(person: PersonId) -> String {
        ERASURE_PLAN.replace("{id}", &person.to_string())
    }

    /// [`ERASE`] of `person`.
    pub fn erase(person: PersonId) -> String {
        ERASE.replace("{id}", &person.to_string())
    }
}

/// Records per page of [`path::RECORDS`].
pub const RECORDS_PAGE: u32 = 50;

/// The longest reason an erasure may carry.
pub const MAX_ERASURE_REASON: usize = 500;

/// What erasing a person would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasurePlan {
    pub person: PersonId,
    /// The person's registry entries: the person and everybody merged with
    /// them (the same human), deleted with their history.
    pub persons: Vec<PersonId>,
    /// Case-notes records about them, deleted with their history.
    pub case_notes: u64,
    /// Contacts naming them, rewritten without their notes and follow-up
    /// as a new generation without history.
    pub contacts: u64,
    /// Day sessions and workshops naming them: they keep only the id.
    pub other_records: u64,
    /// For a coordinator (whose counts above are their organisation's):
    /// records of other organisations naming the person, and registry
    /// entries of the person registered by them. Above 0, only the
    /// consortium office may erase the person.
    #[serde(default)]
    pub held_elsewhere: u64,
}

/// Erase a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EraseRequest {
    /// The request's reference (never the person's name), at most
    /// [`MAX_ERASURE_REASON`] characters.
    pub reason: String,
}

/// An erasure done, and which devices still hold what it erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erasure {
    pub id: String,
    pub person: PersonId,
    pub at: Timestamp,
    pub by: String,
    pub reason: String,
    /// Documents deleted (registry entries, case notes).
    pub deleted: u64,
    /// Documents rewritten as a new generation (contacts).
    pub rewritten: u64,
    /// Devices that may hold an erased copy and have not confirmed the
    /// purge (enrolled before the erasure, reading an affected space).
    pub pending: Vec<PendingDevice>,
}

/// A device that has not confirmed an erasure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDevice {
    pub device: DeviceId,
    pub name: String,
    pub user: String,
    pub last_seen_at: Option<Timestamp>,
    /// A revoked device never syncs again: its copy stays locked under its
    /// PIN until the app is wiped.
    pub revoked_at: Option<Timestamp>,
    /// Erased documents it has not confirmed.
    pub documents: u64,
}

/// Whose audit log to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditSubject {
    /// About one person: their registry entry, records naming them, their
    /// case notes.
    Person(PersonId),
    /// What one user did.
    User(UserId),
}

/// One row of the audit log: an accepted change (`change`, its hash in
/// `detail`), a read (`view_timeline`, `device_read`), an office action, or
/// a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub user: Option<UserId>,
    pub user_name: Option<String>,
    pub device: Option<DeviceId>,
    pub device_name: Option<String>,
    pub doc: Option<DocId>,
    pub action: String,
    pub detail: String,
}

/// A push the server refused and kept in quarantine, for a coordinator to
/// look into (its bytes stay on the server: `admin quarantine`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedPush {
    pub at: Timestamp,
    pub user_name: Option<String>,
    pub device: Option<DeviceId>,
    pub doc: DocId,
    pub kind: String,
    pub code: String,
    pub reason: String,
    pub bytes: u64,
}

/// A user of a member organisation, as its coordinator sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: UserId,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub devices: Vec<DeviceSummary>,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub id: DeviceId,
    pub name: String,
    pub enrolled_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// A one-time enrolment code, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolCode {
    pub user: UserId,
    pub code: String,
    pub expires_at: Timestamp,
}

/// A refusal or failure, with a stable code the pages translate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct OfficeError {
    pub code: OfficeErrorCode,
    /// For logs and people who read English; the pages show their own text.
    pub message: String,
}

/// Why an office call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficeErrorCode {
    /// Wrong user name or password (which one is not said).
    BadLogin,
    /// Too many wrong passwords for this user or from this address: wait
    /// (the answer's `Retry-After` says how long).
    TooManyAttempts,
    /// No session, or it has expired: log in again.
    NoSession,
    /// This user may not do this (a field worker, another member's records).
    Forbidden,
    NotFound,
    /// The request itself is wrong (a malformed period, an unknown service).
    Invalid,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
}

/// What an office user may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficeRole {
    /// The consortium office: every member's records, reports, duplicates,
    /// the catalogue.
    Office,
    /// A member organisation's coordinator: that member's records only.
    Coordinator,
}

impl OfficeRole {
    /// The role stored in `users.role`; field roles ("worker") have none.
    pub fn from_stored(role: &str) -> Option<Self> {
        match role {
            "office" => Some(OfficeRole::Office),
            "coordinator" => Some(OfficeRole::Coordinator),
            _ => None,
        }
    }
}

/// The logged-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeUser {
    pub id: UserId,
    pub name: String,
    pub role: OfficeRole,
    pub org: Option<OrgId>,
    pub org_name: Option<String>,
    /// When the session ends unless renewed.
    pub expires_at: Timestamp,
}

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    pub fn of(date: Date) -> Self {
        Month {
            year: date.0.year(),
            month: date.0.month(),
        }
    }

    pub fn first_day(&self) -> Date {
        Date(NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default())
    }

    pub fn last_day(&self) -> Date {
        Date(self.next().first_day().0.pred_opt().unwrap_or_default())
    }

    pub fn next(&self) -> Self {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(&self) -> Self {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// This month and the eleven before it, oldest first.
    pub fn last_twelve(&self) -> Vec<Month> {
        let mut months = vec![*self];
        for _ in 0..11 {
            let earlier = months[0].prev();
            months.insert(0, earlier);
        }
        months
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A string that is not a period the report knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a period (expected YYYY-MM, YYYY-Qn or YYYY-MM-DD..YYYY-MM-DD): {0:?}")]
pub struct PeriodError(pub String);

impl FromStr for Month {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, PeriodError> {
        let err = || PeriodError(s.chars().take(40).collect());
        let (year, month) = s.trim().split_once('-').ok_or_else(err)?;
        let year: i32 = year.parse().map_err(|_| err())?;
        let month: u32 = month.parse().map_err(|_| err())?;
        if !(1..=12).contains(&month) || !(1900..=2200).contains(&year) {
            return Err(err());
        }
        Ok(Month { year, month })
    }
}

impl TryFrom<String> for Month {
    type Error = PeriodError;
    fn try_from(s: String) -> Result<Self, PeriodError> {
        s.parse()
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

/// The period of a report: a month, a quarter, or any range of days (a
/// contract period). Days are Europe/Warsaw days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Month(Month),
    Quarter { year: i32, quarter: u32 },
    Range { from: Date, to: Date },
}

impl Period {
    pub fn first_day(&self) -> Date {
        match self {
            Period::Month(m) => m.first_day(),
            Period::Quarter { year, quarter } => Month {
                year: *year,
                month: (quarter - 1) * 3 + 1,
            }
            .first_day(),
            Period::Range { from, .. } => *from,
        }
    }

    pub fn last_day(&self) -> Date {
        match self {
            Period::Month(m) => m.last_day(),
            Period::Quarter { year, quarter } => Month {
                year: *year,
                month: quarter * 3,
            }
            .last_day(),
            Period::Range { to, .. } => *to,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(m) => write!(f, "{m}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Range { from, to } => write!(f, "{from}..{to}"),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<Self, PeriodError> {
        let s = s.trim();
        let err = || PeriodError(s.chars().take(40).collect());
        if let Some((from, to)) = s.split_once("..") {
            let from: Date = from.parse().map_err(|_| err())?;
            let to: Date = to.parse().map_err(|_| err())?;
            if to < from {
                return Err(err());
            }
            return Ok(Period::Range { from, to });
        }
        if let Some((year, quarter)) = s.split_once("-Q").or_else(|| s.split_once("-q")) {
            let year: i32 = year.parse().map_err(|_| err())?;
            let quarter: u32 = quarter.parse().map_err(|_| err())?;
            if !(1..=4).contains(&quarter) || !(1900..=2200).contains(&year) {
                return Err(err());
            }
            return Ok(Period::Quarter { year, quarter });
        }
        s.parse().map(Period::Month)
    }
}

impl TryFrom<String> for Period {
    type Error = PeriodError;
    fn try_from(s: String) -> Result<Self, PeriodError> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

/// Age bands of the report, by age reached in the period's last year.
pub const AGE_BANDS: [&str; 6] = ["0-17", "18-29", "30-49", "50-64", "65+", "unknown"];

/// The age band of someone born in `birth_year`, in the year `year`.
pub fn age_band(birth_year: Option<i64>, year: i32) -> &'static str {
    let Some(born) = birth_year else {
        return "unknown";
    };
    match i64::from(year) - born {
        age if age < 0 => "unknown",
        0..=17 => "0-17",
        18..=29 => "18-29",
        30..=49 => "30-49",
        50..=64 => "50-64",
        _ => "65+",
    }
}

/// Gender keys of the report (`""` reads as "unknown").
pub const GENDERS: [&str; 4] = ["female", "male", "other", "unknown"];

/// The figures of one cell of the report (a service of one member, a
/// service of the consortium, or everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Contacts, day-room sessions or workshops delivering the service.
    pub records: i64,
    /// Distinct persons, a person merged into another counted once.
    pub unique_persons: i64,
    /// Of those, persons met for the first time (by this member for this
    /// service; for the consortium total, by anyone for anything).
    pub new_persons: i64,
    /// People who stayed anonymous (head count).
    pub anonymous: i64,
    /// Hours delivered, in minutes (see `projection`).
    pub minutes: i64,
    /// Unique persons by [`GENDERS`].
    pub by_gender: BTreeMap<String, i64>,
    /// Unique persons by [`AGE_BANDS`].
    pub by_age: BTreeMap<String, i64>,
}

impl Figures {
    /// `self - earlier`, field by field: what arrived after a freeze.
    pub fn minus(&self, earlier: &Figures) -> Figures {
        let sub = |a: &BTreeMap<String, i64>, b: &BTreeMap<String, i64>| {
            let mut out = a.clone();
            for (k, v) in b {
                *out.entry(k.clone()).or_insert(0) -= v;
            }
            out.retain(|_, v| *v != 0);
            out
        };
        Figures {
            records: self.records - earlier.records,
            unique_persons: self.unique_persons - earlier.unique_persons,
            new_persons: self.new_persons - earlier.new_persons,
            anonymous: self.anonymous - earlier.anonymous,
            minutes: self.minutes - earlier.minutes,
            by_gender: sub(&self.by_gender, &earlier.by_gender),
            by_age: sub(&self.by_age, &earlier.by_age),
        }
    }

    /// Whether every figure is zero (a delta with nothing in it).
    pub fn is_zero(&self) -> bool {
        self.records == 0
            && self.unique_persons == 0
            && self.new_persons == 0
            && self.anonymous == 0
            && self.minutes == 0
            && self.by_gender.values().all(|v| *v == 0)
            && self.by_age.values().all(|v| *v == 0)
    }
}

/// Target metrics a service's contract may set (`CatalogueService::targets`).
pub const TARGET_METRICS: [&str; 3] = ["unique_persons", "records", "hours"];

/// Progress against one contract target, over the contract period up to
/// the report's last day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetProgress {
    pub metric: String,
    pub target: i64,
    pub achieved: i64,
    pub contract_from: Option<Date>,
    pub contract_to: Option<Date>,
}

/// One row of the report: a service delivered by one member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    pub service: String,
    pub service_pl: String,
    pub service_en: String,
    pub org: Option<OrgId>,
    pub org_name: String,
    pub figures: Figures,
    /// The figures as submitted, when the period is frozen.
    pub submitted: Option<Figures>,
}

/// One service across the consortium (persons counted once across members).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceTotal {
    pub service: String,
    pub service_pl: String,
    pub service_en: String,
    pub figures: Figures,
    pub submitted: Option<Figures>,
    pub targets: Vec<TargetProgress>,
}

/// When and by whom a report was frozen as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrozenInfo {
    pub at: Timestamp,
    pub by: String,
}

/// The report for the city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub period: Period,
    pub rows: Vec<ReportRow>,
    pub services: Vec<ServiceTotal>,
    /// Everything, every person counted once.
    pub consortium: Figures,
    pub frozen: Option<FrozenInfo>,
    pub submitted_consortium: Option<Figures>,
    /// Programmes and referrals of the period
    /// (`report::case_work_figures`).
    #[serde(default)]
    pub case_work: CaseWorkFigures,
}

/// The period's individual programmes and referrals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseWorkFigures {
    /// Programmes opened in the period.
    pub programmes_opened: u32,
    /// Programmes with at least one review that took place in the period.
    pub programmes_reviewed: u32,
    /// Programmes closed in the period, by outcome code.
    pub programmes_closed: BTreeMap<String, u32>,
    /// Referrals by month and by who sent them to whom.
    pub referrals: Vec<ReferralFigures>,
}

/// Referrals of one month from one member organisation to one other (or
/// to one institution): each counted in the month its step happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralFigures {
    pub month: Month,
    pub from_org: OrgId,
    pub from_name: String,
    pub to_org: Option<OrgId>,
    pub institution: Option<String>,
    /// The receiving organisation's or institution's name.
    pub to_name: String,
    pub sent: u32,
    pub accepted: u32,
    pub declined: u32,
    pub done: u32,
    /// The median of the days from sending to acceptance, over those
    /// accepted this month (`None`: none were).
    pub median_days_to_acceptance: Option<f64>,
}

/// What a frozen report keeps: the figures as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmittedFigures {
    pub rows: Vec<ReportRow>,
    pub services: Vec<ServiceTotal>,
    pub consortium: Figures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreezeRequest {
    pub period: Period,
}

/// The dashboard: this month per service, and the last twelve months.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub month: Month,
    pub services: Vec<ServiceTotal>,
    /// Oldest first, `month` last.
    pub months: Vec<MonthPoint>,
}

/// The consortium's figures of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthPoint {
    pub month: Month,
    pub records: i64,
    pub unique_persons: i64,
    pub minutes: i64,
}

/// What the records page can filter by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilterOptions {
    pub services: Vec<NamedOption>,
    pub orgs: Vec<NamedOption>,
    pub sites: Vec<NamedOption>,
    pub workers: Vec<NamedOption>,
}

/// An id (or code) with a name to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedOption {
    pub id: String,
    pub name: String,
    /// An English name where one exists (services).
    #[serde(default)]
    pub name_en: Option<String>,
}

/// The records page's filter, sent as the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<OrgId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
}

/// A page of records, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordPage {
    pub records: Vec<RecordSummary>,
    /// How many match the filter in all.
    pub total: u64,
    pub offset: u32,
}

/// A contact, day session or workshop as a line of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSummary {
    pub id: DocId,
    pub kind: RecordKind,
    pub at: Timestamp,
    pub day: Date,
    pub space: SpaceId,
    pub space_name: String,
    pub org_name: Option<String>,
    pub site_name: Option<String>,
    pub worker_name: Option<String>,
    pub place: String,
    pub services: Vec<String>,
    /// Aliases of the persons named (as they are now).
    pub persons: Vec<String>,
    pub anonymous_count: i64,
    pub minutes: i64,
}

/// A record's current state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum RecordContent {
    Person(Person),
    Contact(Contact),
    DaySession(DaySession),
    Workshop(Workshop),
}

/// One record opened: what it holds, the fields with concurrent values,
/// and its history (who changed it when).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordDetail {
    pub summary: RecordSummary,
    pub content: RecordContent,
    pub conflicts: Vec<Conflict>,
    pub history: Vec<HistoryEntry>,
    /// Aliases of the persons the record names, by id.
    pub aliases: BTreeMap<PersonId, String>,
}

/// A person as a line of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub id: PersonId,
    pub alias: String,
    pub birth_year: Option<i64>,
    pub gender: String,
    pub merged_into: Option<PersonId>,
    /// The alias of whom they are merged into.
    #[serde(default)]
    pub merged_into_alias: Option<String>,
    pub created_at: Timestamp,
    /// Contacts, sessions and workshops naming this person.
    pub records: i64,
    /// The person withdrew consent: alias, birth year and gender are left
    /// out (the organisation that recorded it sees them on its devices).
    #[serde(default)]
    pub hidden: bool,
    /// The person was erased: only the id is left, so reports still count
    /// their contacts.
    #[serde(default)]
    pub erased: bool,
}

/// Everything the consortium did with one person, across services and
/// members, oldest first. Persons merged into this one are included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub person: PersonSummary,
    /// Persons merged into this one (their records are in `entries`).
    pub merged: Vec<PersonSummary>,
    pub entries: Vec<RecordSummary>,
    /// Needs assessments, programmes and referrals, oldest first: their
    /// structure (days, levels, statuses, who), never their free text
    /// (notes, reasons, step texts stay with the organisations).
    #[serde(default)]
    pub case_work: Vec<CaseWorkEntry>,
}

/// A piece of case work on a person's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseWorkEntry {
    pub doc: DocId,
    /// When it was made (an assessment's day, a programme's opening, a
    /// referral's sending), for the order.
    pub at: Timestamp,
    /// The organisation that keeps it (a referral: the sender).
    pub org: Option<OrgId>,
    pub org_name: String,
    pub what: CaseWork,
}

/// What a piece of case work holds, as the office sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseWork {
    Diagnosis {
        assessed_on: Date,
        /// `(domain code, level)`, in the order of `records::domain::ALL`.
        levels: Vec<(String, i64)>,
    },
    Programme {
        opened_on: Date,
        agreed_on: Option<Date>,
        goals: u32,
        /// `(due, status)` of each step, by due day.
        steps: Vec<(Option<Date>, String)>,
        reviews_done: u32,
        closed_on: Option<Date>,
        outcome: Option<String>,
    },
    Referral {
        to_org: Option<OrgId>,
        /// The receiving organisation's or institution's name.
        to_name: String,
        institution: Option<String>,
        status: crate::records::ReferralStatus,
        sent_at: Timestamp,
        accepted_at: Option<Timestamp>,
        declined_at: Option<Timestamp>,
        done_at: Option<Timestamp>,
    },
}

impl CaseWork {
    /// What the office sees of an assessment: its day and levels.
    pub fn of_diagnosis(d: &crate::records::Diagnosis) -> Self {
        let order = |code: &str| {
            crate::records::domain::ALL
                .iter()
                .position(|c| *c == code)
                .unwrap_or(usize::MAX)
        };
        let mut levels: Vec<(String, i64)> = d
            .domains
            .iter()
            .map(|(code, a)| (code.clone(), a.level))
            .collect();
        levels.sort_by_key(|(code, _)| (order(code), code.clone()));
        CaseWork::Diagnosis {
            assessed_on: d.assessed_on,
            levels,
        }
    }

    /// What the office sees of a programme: days, counts, each step's due
    /// day and status, the outcome.
    pub fn of_programme(p: &crate::records::Programme) -> Self {
        let mut steps: Vec<(Option<Date>, String)> = p
            .steps
            .values()
            .map(|s| (s.due, s.status.clone()))
            .collect();
        steps.sort_by(|a, b| (a.0.is_none(), a.0, &a.1).cmp(&(b.0.is_none(), b.0, &b.1)));
        CaseWork::Programme {
            opened_on: p.opened_on,
            agreed_on: p.agreed_on,
            goals: u32::try_from(p.goals.len()).unwrap_or(u32::MAX),
            steps,
            reviews_done: u32::try_from(p.reviews.values().filter(|r| r.done_on.is_some()).count())
                .unwrap_or(u32::MAX),
            closed_on: p.closed_on,
            outcome: p.outcome.clone(),
        }
    }

    /// What the office sees of a referral: who to whom, where it stands
    /// and when it moved (not its reason nor what it shared).
    pub fn of_referral(r: &crate::records::Referral, to_name: String) -> Self {
        CaseWork::Referral {
            to_org: r.to_org,
            to_name,
            institution: r.institution.clone(),
            status: r.status(),
            sent_at: r.sent.at,
            accepted_at: r.accepted.as_ref().map(|s| s.at),
            declined_at: r.declined.as_ref().map(|s| s.at),
            done_at: r.done.as_ref().map(|s| s.at),
        }
    }
}

/// Why two persons look like one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", content = "detail", rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same alias once diacritics and case are ignored.
    SameAlias,
    /// Aliases a typo or two apart, or one the start of the other.
    SimilarAlias,
    SameBirthYear,
    /// Birth years one apart.
    NearBirthYear,
    SameGender,
    /// Places or sites where both were met.
    SharedPlaces(Vec<String>),
}

/// A likely duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePair {
    pub a: PersonSummary,
    pub b: PersonSummary,
    /// Higher is likelier (0–100 %).
    pub score: u32,
    pub reasons: Vec<DuplicateReason>,
    /// What the office weighs, side by side: where and when each was met.
    #[serde(default)]
    pub a_seen: Seen,
    #[serde(default)]
    pub b_seen: Seen,
}

/// Whether the login page should offer the first administrator's set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupStatus {
    /// No office login exists yet and the server printed a set-up code.
    pub needed: bool,
}

/// The first office administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequest {
    pub name: String,
    pub password: String,
    /// The one-time code from the server's log.
    pub code: String,
}

/// Where and when a person was met, for the duplicate finder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    /// The member organisations whose records name them, by name.
    pub orgs: Vec<String>,
    /// Their latest contact, session or workshop.
    pub last_record: Option<Timestamp>,
}

/// "These two are different people": remembered on both, so the pair is
/// not proposed again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistinctRequest {
    pub a: PersonId,
    pub b: PersonId,
}

/// Merge `from` into `into`: `from.merged_into = into`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequest {
    pub from: PersonId,
    pub into: PersonId,
}

/// Undo a merge: `person.merged_into = None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmergeRequest {
    pub person: PersonId,
}

/// A service added or changed by the office.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceEdit {
    pub code: String,
    pub name_pl: String,
    pub name_en: String,
    pub org: Option<OrgId>,
    #[serde(default)]
    pub retired: bool,
    pub contract_from: Option<Date>,
    pub contract_to: Option<Date>,
    /// By [`TARGET_METRICS`].
    #[serde(default)]
    pub targets: BTreeMap<String, i64>,
}

/// A site added (`id: None`) or changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteEdit {
    pub id: Option<SiteId>,
    pub name: String,
    pub site_kind: String,
    pub org: Option<OrgId>,
}

/// An outside institution added to the catalogue or changed (its `id`, a
/// short code, names it for good: referrals keep it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionEdit {
    pub id: String,
    pub name: String,
    /// One of `records::institution_kind::ALL`.
    pub institution_kind: String,
    pub address: String,
    pub phone: String,
    pub retired: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_and_print_the_same() {
        for text in ["2026-10", "2026-Q4", "2026-01-01..2026-12-31"] {
            let period: Period = text.parse().expect(text);
            assert_eq!(period.to_string(), text);
        }
        let q4: Period = "2026-Q4".parse().expect("q4");
        assert_eq!(q4.first_day().to_string(), "2026-10-01");
        assert_eq!(q4.last_day().to_string(), "2026-12-31");
        let feb: Period = "2028-02".parse().expect("feb");
        assert_eq!(feb.last_day().to_string(), "2028-02-29");
        for bad in [
            "2026-13",
            "2026-Q5",
            "2026-12-31..2026-01-01",
            "",
            "x",
            "2026",
        ] {
            assert!(bad.parse::<Period>().is_err(), "{bad:?} is not a period");
        }
    }

    #[test]
    fn twelve_months_end_with_the_month() {
        let months = Month {
            year: 2026,
            month: 2,
        }
        .last_twelve();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].to_string(), "2025-03");
        assert_eq!(months[11].to_string(), "2026-02");
    }

    #[test]
    fn ages_fall_into_bands() {
        assert_eq!(age_band(Some(2010), 2026), "0-17");
        assert_eq!(age_band(Some(2008), 2026), "18-29");
        assert_eq!(age_band(Some(1977), 2026), "30-49");
        assert_eq!(age_band(Some(1976), 2026), "50-64");
        assert_eq!(age_band(Some(1950), 2026), "65+");
        assert_eq!(age_band(None, 2026), "unknown");
    }

    #[test]
    fn a_delta_is_what_came_after() {
        let submitted = Figures {
            records: 10,
            unique_persons: 4,
            by_gender: [("female".to_string(), 4)].into(),
            ..Figures::default()
        };
        let now = Figures {
            records: 11,
            unique_persons: 5,
            by_gender: [("female".to_string(), 4), ("male".to_string(), 1)].into(),
            ..Figures::default()
        };
        let delta = now.minus(&submitted);
        assert_eq!(delta.records, 1);
        assert_eq!(delta.unique_persons, 1);
        assert_eq!(delta.by_gender, [("male".to_string(), 1)].into());
        assert!(now.minus(&now).is_zero());
    }
}
