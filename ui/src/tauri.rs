//! Calls into the Tauri shell over IPC, one typed async function per
//! command of [`odnowa_shared::api::cmd`].
//!
//! A plain wasm-bindgen binding to `window.__TAURI__.core.invoke`, which the
//! shell provides because `app.withGlobalTauri` is on in `tauri.conf.json`
//! (`tauri-sys` has no Tauri 2 release). Arguments and answers cross as
//! JSON (`serde_json` here, `JSON.parse`/`JSON.stringify` on the JS side),
//! so the types of `odnowa_shared::api` are the contract on both sides. In a
//! plain browser `window.__TAURI__` is undefined: every call then returns
//! [`InvokeError::NotInTauri`] and the app shows a notice instead.
//!
//! API boundary: argument keys are the command functions' parameter names,
//! as the docs of `api::cmd` list them.

use std::fmt;

use odnowa_shared::api::{
    self, AppInfo, CatalogueView, ClosingDraft, CommandError, ContactDraft, ContactView,
    DaySessionView, DiagnosisDraft, DiagnosisView, DueView, EnrolRequest, NoteDraft, PersonDraft,
    PersonFile, PersonView, ProgrammeDraft, ProgrammeView, RecentPerson, RecordMeta,
    ReferralAnswer, ReferralDraft, ReferralTargets, ReferralView, ReferralsView, ReviewDraft,
    SimilarPerson, StepDraft, SyncView, WorkshopDraft, WorkshopView, cmd,
};
use odnowa_shared::ids::{DocId, PersonId, SiteId};
use odnowa_shared::time::Date;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use wasm_bindgen::prelude::*;

use crate::i18n::Key;
use crate::model::errors::command_error_key;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke(cmd, args)`: resolves with the
    /// command's `Ok` value, rejects with its serialised error.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn invoke_raw(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// Why a shell command gave no answer.
#[derive(Clone, Debug, PartialEq)]
pub enum InvokeError {
    /// Running in a plain browser: there is no shell to ask.
    NotInTauri,
    /// The command failed the way `api::CommandError` says.
    Command(CommandError),
    /// The shell failed without a `CommandError` (the text is what it sent).
    Failed(String),
    /// The answer (or the arguments) did not fit the contract's types.
    UnexpectedReply(String),
}

impl InvokeError {
    /// The sentence to show a person.
    pub fn key(&self) -> Key {
        match self {
            InvokeError::NotInTauri => Key::NeedsAppTitle,
            InvokeError::Command(error) => command_error_key(error.kind),
            InvokeError::Failed(_) => Key::ErrInternal,
            InvokeError::UnexpectedReply(_) => Key::ErrUnexpected,
        }
    }

    /// The kind of a command error, if it is one.
    pub fn kind(&self) -> Option<api::ErrorKind> {
        match self {
            InvokeError::Command(error) => Some(error.kind),
            _ => None,
        }
    }
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvokeError::NotInTauri => f.write_str("not running inside the Tauri shell"),
            InvokeError::Command(error) => write!(f, "{:?}: {}", error.kind, error.message),
            InvokeError::Failed(error) => write!(f, "shell command failed: {error}"),
            InvokeError::UnexpectedReply(reply) => {
                write!(f, "unexpected reply from the shell: {reply}")
            }
        }
    }
}

/// Whether the page runs inside the Tauri shell (`window.__TAURI__` exists).
pub fn is_tauri() -> bool {
    web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI__")).ok())
        .is_some_and(|tauri| !tauri.is_undefined() && !tauri.is_null())
}

/// A JavaScript value as JSON text; `null` for `undefined`.
fn to_json(value: &JsValue) -> String {
    if value.is_undefined() {
        return "null".to_string();
    }
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|json| json.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// Calls `command` with `args` and reads its answer as `R`.
async fn call<A: Serialize, R: DeserializeOwned>(
    command: &str,
    args: &A,
) -> Result<R, InvokeError> {
    if !is_tauri() {
        return Err(InvokeError::NotInTauri);
    }
    let args = serde_json::to_string(args)
        .map_err(|error| InvokeError::UnexpectedReply(error.to_string()))?;
    let args = js_sys::JSON::parse(&args)
        .map_err(|error| InvokeError::UnexpectedReply(to_json(&error)))?;
    match invoke_raw(command, args).await {
        Ok(reply) => {
            if cmd::WRITES.contains(&command) {
                announce_write();
            }
            let text = to_json(&reply);
            serde_json::from_str(&text).map_err(|error| {
                web_sys::console::warn_1(&format!("{command}: {error}: {text}").into());
                InvokeError::UnexpectedReply(text)
            })
        }
        Err(error) => {
            if let Some(text) = error.as_string() {
                return Err(InvokeError::Failed(text));
            }
            let text = to_json(&error);
            Err(serde_json::from_str::<CommandError>(&text)
                .map(InvokeError::Command)
                .unwrap_or(InvokeError::Failed(text)))
        }
    }
}

/// The event a saved record sends through the page, so that the header's
/// sync status counts it at once (one status everywhere: the header never
/// says "everything sent" beside a record marked "waiting").
pub const WRITE_EVENT: &str = "odnowa-write";

fn announce_write() {
    if let Some(window) = web_sys::window()
        && let Ok(event) = web_sys::Event::new(WRITE_EVENT)
    {
        let _ = window.dispatch_event(&event);
    }
}

/// No arguments: `{}`.
fn none() -> serde_json::Value {
    json!({})
}

pub async fn app_info() -> Result<AppInfo, InvokeError> {
    call(cmd::APP_INFO, &none()).await
}

pub async fn enrol(request: &EnrolRequest) -> Result<AppInfo, InvokeError> {
    call(cmd::ENROL, &json!({ "request": request })).await
}

/// `active`: the person tapped or typed since the last call.
pub async fn sync_status(active: bool) -> Result<SyncView, InvokeError> {
    call(cmd::SYNC_STATUS, &json!({ "active": active })).await
}

pub async fn unlock(pin: &str) -> Result<AppInfo, InvokeError> {
    call(cmd::UNLOCK, &json!({ "pin": pin })).await
}

pub async fn lock() -> Result<AppInfo, InvokeError> {
    call(cmd::LOCK, &none()).await
}

pub async fn reset_device() -> Result<AppInfo, InvokeError> {
    call(cmd::RESET_DEVICE, &none()).await
}

pub async fn sync_now() -> Result<SyncView, InvokeError> {
    call(cmd::SYNC_NOW, &none()).await
}

pub async fn catalogue() -> Result<CatalogueView, InvokeError> {
    call(cmd::CATALOGUE, &none()).await
}

pub async fn search_persons(query: &str) -> Result<Vec<PersonView>, InvokeError> {
    call(cmd::SEARCH_PERSONS, &json!({ "query": query })).await
}

pub async fn similar_persons(draft: &PersonDraft) -> Result<Vec<SimilarPerson>, InvokeError> {
    call(cmd::SIMILAR_PERSONS, &json!({ "draft": draft })).await
}

pub async fn create_person(draft: &PersonDraft) -> Result<PersonView, InvokeError> {
    call(cmd::CREATE_PERSON, &json!({ "draft": draft })).await
}

pub async fn give_consent(person: PersonId, scope: &str) -> Result<PersonView, InvokeError> {
    call(
        cmd::GIVE_CONSENT,
        &json!({ "person": person, "scope": scope }),
    )
    .await
}

pub async fn withdraw_consent(person: PersonId) -> Result<PersonView, InvokeError> {
    call(cmd::WITHDRAW_CONSENT, &json!({ "person": person })).await
}

pub async fn contacts_on(date: Date) -> Result<Vec<ContactView>, InvokeError> {
    call(cmd::CONTACTS_ON, &json!({ "date": date })).await
}

pub async fn contact(id: DocId) -> Result<ContactView, InvokeError> {
    call(cmd::CONTACT, &json!({ "id": id })).await
}

pub async fn save_contact(draft: &ContactDraft) -> Result<ContactView, InvokeError> {
    call(cmd::SAVE_CONTACT, &json!({ "draft": draft })).await
}

pub async fn link_contact_person(
    contact: DocId,
    person: PersonId,
) -> Result<ContactView, InvokeError> {
    call(
        cmd::LINK_CONTACT_PERSON,
        &json!({ "contact": contact, "person": person }),
    )
    .await
}

pub async fn link_new_person(
    contact: DocId,
    draft: &PersonDraft,
) -> Result<ContactView, InvokeError> {
    call(
        cmd::LINK_NEW_PERSON,
        &json!({ "contact": contact, "draft": draft }),
    )
    .await
}

pub async fn recent_places() -> Result<Vec<String>, InvokeError> {
    call(cmd::RECENT_PLACES, &none()).await
}

/// The persons this worker met most recently, with what they got last time.
pub async fn recent_persons(limit: usize) -> Result<Vec<RecentPerson>, InvokeError> {
    call(cmd::RECENT_PERSONS, &json!({ "limit": limit })).await
}

pub async fn today_session(site: SiteId) -> Result<DaySessionView, InvokeError> {
    call(cmd::TODAY_SESSION, &json!({ "site": site })).await
}

pub async fn set_present(
    session: DocId,
    person: PersonId,
    present: bool,
) -> Result<DaySessionView, InvokeError> {
    call(
        cmd::SET_PRESENT,
        &json!({ "session": session, "person": person, "present": present }),
    )
    .await
}

pub async fn check_out(session: DocId, person: PersonId) -> Result<DaySessionView, InvokeError> {
    call(
        cmd::CHECK_OUT,
        &json!({ "session": session, "person": person }),
    )
    .await
}

pub async fn add_walk_in(
    session: DocId,
    draft: &PersonDraft,
) -> Result<DaySessionView, InvokeError> {
    call(
        cmd::ADD_WALK_IN,
        &json!({ "session": session, "draft": draft }),
    )
    .await
}

pub async fn add_meals(session: DocId, delta: i64) -> Result<DaySessionView, InvokeError> {
    call(
        cmd::ADD_MEALS,
        &json!({ "session": session, "delta": delta }),
    )
    .await
}

pub async fn workshops() -> Result<Vec<WorkshopView>, InvokeError> {
    call(cmd::WORKSHOPS, &none()).await
}

pub async fn workshop(id: DocId) -> Result<WorkshopView, InvokeError> {
    call(cmd::WORKSHOP, &json!({ "id": id })).await
}

pub async fn save_workshop(draft: &WorkshopDraft) -> Result<WorkshopView, InvokeError> {
    call(cmd::SAVE_WORKSHOP, &json!({ "draft": draft })).await
}

pub async fn record_meta(id: DocId) -> Result<RecordMeta, InvokeError> {
    call(cmd::RECORD_META, &json!({ "id": id })).await
}

pub async fn resolve_conflict(
    id: DocId,
    path: &[String],
    change: &str,
) -> Result<RecordMeta, InvokeError> {
    call(
        cmd::RESOLVE_CONFLICT,
        &json!({ "id": id, "path": path, "change": change }),
    )
    .await
}

pub async fn person_file(person: PersonId) -> Result<PersonFile, InvokeError> {
    call(cmd::PERSON_FILE, &json!({ "person": person })).await
}

pub async fn add_note(draft: &NoteDraft) -> Result<PersonFile, InvokeError> {
    call(cmd::ADD_NOTE, &json!({ "draft": draft })).await
}

pub async fn save_diagnosis(draft: &DiagnosisDraft) -> Result<DiagnosisView, InvokeError> {
    call(cmd::SAVE_DIAGNOSIS, &json!({ "draft": draft })).await
}

pub async fn programme(id: DocId) -> Result<ProgrammeView, InvokeError> {
    call(cmd::PROGRAMME, &json!({ "id": id })).await
}

pub async fn open_programme(draft: &ProgrammeDraft) -> Result<ProgrammeView, InvokeError> {
    call(cmd::OPEN_PROGRAMME, &json!({ "draft": draft })).await
}

pub async fn save_step(draft: &StepDraft) -> Result<ProgrammeView, InvokeError> {
    call(cmd::SAVE_STEP, &json!({ "draft": draft })).await
}

pub async fn save_review(draft: &ReviewDraft) -> Result<ProgrammeView, InvokeError> {
    call(cmd::SAVE_REVIEW, &json!({ "draft": draft })).await
}

pub async fn close_programme(draft: &ClosingDraft) -> Result<ProgrammeView, InvokeError> {
    call(cmd::CLOSE_PROGRAMME, &json!({ "draft": draft })).await
}

pub async fn referral_targets() -> Result<ReferralTargets, InvokeError> {
    call(cmd::REFERRAL_TARGETS, &none()).await
}

pub async fn send_referral(draft: &ReferralDraft) -> Result<ReferralView, InvokeError> {
    call(cmd::SEND_REFERRAL, &json!({ "draft": draft })).await
}

pub async fn answer_referral(draft: &ReferralAnswer) -> Result<ReferralView, InvokeError> {
    call(cmd::ANSWER_REFERRAL, &json!({ "draft": draft })).await
}

pub async fn referrals() -> Result<ReferralsView, InvokeError> {
    call(cmd::REFERRALS, &none()).await
}

pub async fn due() -> Result<DueView, InvokeError> {
    call(cmd::DUE, &none()).await
}
