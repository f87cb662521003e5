//! The office pages' backend: the sync server's office API over HTTP
//! (`odnowa_shared::office`), one typed async function per call, beside
//! [`crate::tauri`] which is the field app's backend. The session is an
//! HttpOnly cookie the browser keeps; every call sends it (same origin).

use std::fmt;

use odnowa_shared::ids::{DeviceId, DocId, PersonId, UserId};
use odnowa_shared::office::{
    API_PREFIX, AuditEntry, AuditSubject, Dashboard, DistinctRequest, DuplicatePair, EnrolCode,
    EraseRequest, Erasure, ErasurePlan, FilterOptions, FreezeRequest, LoginRequest, MergeRequest,
    Month, OfficeError, OfficeErrorCode, OfficeUser, Period, PersonSummary, QuarantinedPush,
    RecordDetail, RecordFilter, RecordPage, Report, ServiceEdit, SetupRequest, SetupStatus,
    SiteEdit, TeamMember, Timeline, UnmergeRequest, path,
};
use odnowa_shared::records::Catalogue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::i18n::Key;
use crate::model::office::{filter_query, percent_encode};

/// Why an office call gave no answer.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    /// The server refused or failed, as `OfficeError` says.
    Refused(OfficeError),
    /// No answer (the network, the server down).
    Network(String),
    /// An answer that does not fit the contract.
    Unexpected(String),
}

impl CallError {
    /// The sentence to show.
    pub fn key(&self) -> Key {
        match self {
            CallError::Refused(error) => match error.code {
                OfficeErrorCode::BadLogin => Key::ErrBadLogin,
                OfficeErrorCode::TooManyAttempts => Key::ErrTooManyLogins,
                OfficeErrorCode::NoSession => Key::SessionEnded,
                OfficeErrorCode::Forbidden => Key::ErrForbidden,
                OfficeErrorCode::NotFound => Key::ErrNotFound,
                OfficeErrorCode::Invalid => Key::ErrInvalid,
                OfficeErrorCode::Internal => Key::ErrInternal,
            },
            CallError::Network(_) => Key::ErrOfficeNetwork,
            CallError::Unexpected(_) => Key::ErrUnexpected,
        }
    }

    /// Whether the session has ended (the pages go back to the login).
    pub fn session_ended(&self) -> bool {
        matches!(self, CallError::Refused(e) if e.code == OfficeErrorCode::NoSession)
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Refused(e) => write!(f, "{e}"),
            CallError::Network(e) => write!(f, "network: {e}"),
            CallError::Unexpected(e) => write!(f, "unexpected answer: {e}"),
        }
    }
}

fn js_error(value: wasm_bindgen::JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            js_sys::JSON::stringify(&value)
                .ok()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The URL of an office call (for links such as downloads).
pub fn url(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

async fn call<T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<T, CallError> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(body) = &body {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    let request = web_sys::Request::new_with_str_and_init(&url(path), &init)
        .map_err(|e| CallError::Unexpected(js_error(e)))?;
    // Whatever changes something goes as JSON: the server refuses any
    // other type there (a foreign page could send a form or plain text).
    if body.is_some() || method != "GET" {
        request
            .headers()
            .set("Content-Type", "application/json")
            .map_err(|e| CallError::Unexpected(js_error(e)))?;
    }
    let window = web_sys::window().ok_or_else(|| CallError::Unexpected("no window".into()))?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|e| CallError::Network(js_error(e)))?
        .dyn_into()
        .map_err(|e| CallError::Unexpected(js_error(e)))?;
    let text = JsFuture::from(
        response
            .text()
            .map_err(|e| CallError::Unexpected(js_error(e)))?,
    )
    .await
    .map_err(|e| CallError::Network(js_error(e)))?
    .as_string()
    .unwrap_or_default();
    if !response.ok() {
        return Err(match serde_json::from_str::<OfficeError>(&text) {
            Ok(error) => CallError::Refused(error),
            Err(_) => CallError::Unexpected(format!("HTTP {}", response.status())),
        });
    }
    let text = if text.trim().is_empty() {
        "null"
    } else {
        &text
    };
    serde_json::from_str(text).map_err(|e| CallError::Unexpected(e.to_string()))
}

fn json<T: Serialize>(value: &T) -> Result<String, CallError> {
    serde_json::to_string(value).map_err(|e| CallError::Unexpected(e.to_string()))
}

pub async fn login(user: &str, password: &str) -> Result<OfficeUser, CallError> {
    let body = json(&LoginRequest {
        user: user.to_string(),
        password: password.to_string(),
    })?;
    call("POST", path::LOGIN, Some(body)).await
}

/// Whether the login page should offer the first administrator's set-up.
pub async fn setup_status() -> Result<SetupStatus, CallError> {
    call("GET", path::SETUP, None).await
}

/// Sets up the first administrator with the code from the server's log;
/// logged in on success.
pub async fn setup(request: &SetupRequest) -> Result<OfficeUser, CallError> {
    call("POST", path::SETUP, Some(json(request)?)).await
}

pub async fn logout() -> Result<(), CallError> {
    call("POST", path::LOGOUT, None).await
}

pub async fn me() -> Result<OfficeUser, CallError> {
    call("GET", path::ME, None).await
}

pub async fn dashboard(month: Month) -> Result<Dashboard, CallError> {
    call("GET", &format!("{}?month={month}", path::DASHBOARD), None).await
}

pub async fn filters() -> Result<FilterOptions, CallError> {
    call("GET", path::FILTERS, None).await
}

pub async fn records(filter: RecordFilter) -> Result<RecordPage, CallError> {
    call(
        "GET",
        &format!("{}{}", path::RECORDS, filter_query(&filter)),
        None,
    )
    .await
}

pub async fn record(id: DocId) -> Result<RecordDetail, CallError> {
    call("GET", &path::record(id), None).await
}

pub async fn persons(query: String) -> Result<Vec<PersonSummary>, CallError> {
    call(
        "GET",
        &format!("{}?q={}", path::PERSONS, percent_encode(&query)),
        None,
    )
    .await
}

pub async fn timeline(person: PersonId) -> Result<Timeline, CallError> {
    call("GET", &path::timeline(person), None).await
}

pub async fn duplicates() -> Result<Vec<DuplicatePair>, CallError> {
    call("GET", path::DUPLICATES, None).await
}

pub async fn merged() -> Result<Vec<PersonSummary>, CallError> {
    call("GET", path::DUPLICATES_MERGED, None).await
}

pub async fn merge(from: PersonId, into: PersonId) -> Result<PersonSummary, CallError> {
    call(
        "POST",
        path::MERGE,
        Some(json(&MergeRequest { from, into })?),
    )
    .await
}

pub async fn unmerge(person: PersonId) -> Result<PersonSummary, CallError> {
    call(
        "POST",
        path::UNMERGE,
        Some(json(&UnmergeRequest { person })?),
    )
    .await
}

/// "These are different people": remembered on both.
pub async fn distinct(a: PersonId, b: PersonId) -> Result<(), CallError> {
    call(
        "POST",
        path::DISTINCT,
        Some(json(&DistinctRequest { a, b })?),
    )
    .await
}

pub async fn report(period: Period) -> Result<Report, CallError> {
    call(
        "GET",
        &format!(
            "{}?period={}",
            path::REPORT,
            percent_encode(&period.to_string())
        ),
        None,
    )
    .await
}

pub async fn freeze(period: Period) -> Result<Report, CallError> {
    call(
        "POST",
        path::REPORT_FREEZE,
        Some(json(&FreezeRequest { period })?),
    )
    .await
}

pub async fn catalogue() -> Result<Catalogue, CallError> {
    call("GET", path::CATALOGUE, None).await
}

pub async fn put_service(edit: ServiceEdit) -> Result<Catalogue, CallError> {
    call("PUT", path::CATALOGUE_SERVICE, Some(json(&edit)?)).await
}

pub async fn put_site(edit: SiteEdit) -> Result<Catalogue, CallError> {
    call("PUT", path::CATALOGUE_SITE, Some(json(&edit)?)).await
}

pub async fn put_institution(
    edit: odnowa_shared::office::InstitutionEdit,
) -> Result<Catalogue, CallError> {
    call("PUT", path::CATALOGUE_INSTITUTION, Some(json(&edit)?)).await
}

/// The link that downloads the report as `ext` ("xlsx" or "csv").
pub fn report_download(period: &Period, ext: &str) -> String {
    let path = match ext {
        "csv" => path::REPORT_CSV,
        _ => path::REPORT_XLSX,
    };
    url(&format!(
        "{path}?period={}",
        percent_encode(&period.to_string())
    ))
}

pub async fn team() -> Result<Vec<TeamMember>, CallError> {
    call("GET", path::TEAM, None).await
}

pub async fn enrol_code(user: UserId) -> Result<EnrolCode, CallError> {
    call("POST", &path::enrol_code(user), None).await
}

pub async fn revoke_device(device: DeviceId) -> Result<(), CallError> {
    call("POST", &path::revoke(device), None).await
}

pub async fn audit(subject: AuditSubject) -> Result<Vec<AuditEntry>, CallError> {
    let query = match subject {
        AuditSubject::Person(person) => format!("person={person}"),
        AuditSubject::User(user) => format!("user={user}"),
    };
    call("GET", &format!("{}?{query}", path::AUDIT), None).await
}

pub async fn quarantine() -> Result<Vec<QuarantinedPush>, CallError> {
    call("GET", path::QUARANTINE, None).await
}

pub async fn erasure_plan(person: PersonId) -> Result<ErasurePlan, CallError> {
    call("GET", &path::erasure_plan(person), None).await
}

pub async fn erase(person: PersonId, reason: String) -> Result<Erasure, CallError> {
    call(
        "POST",
        &path::erase(person),
        Some(json(&EraseRequest { reason })?),
    )
    .await
}

pub async fn erasures() -> Result<Vec<Erasure>, CallError> {
    call("GET", path::ERASURES, None).await
}
