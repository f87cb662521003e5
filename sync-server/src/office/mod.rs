//! The consortium office's HTTP API (`odnowa_shared::office`), under
//! `/office/api`: login (`auth`) and sessions with the roles a route
//! requires (`session`), what the pages read (`crate::store`'s office
//! queries, `report`), and what the office writes (`writer`).
//!
//! Access: the office role reads everything and alone may see duplicates,
//! merge, report, freeze, export and edit the catalogue; a coordinator
//! reads the records of their own organisation's spaces and manages its
//! devices (`team`); both may erase a person (`erase`). Case notes are
//! never shown here. Every refusal is answered with an `OfficeError` and
//! written to the audit log (`refusal`).

mod audit;
pub mod auth;
pub mod csrf;
mod erase;
pub mod refusal;
pub mod session;
mod team;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use odnowa_shared::conflicts;
use odnowa_shared::document;
use odnowa_shared::ids::{DocId, OrgId, PersonId};
use odnowa_shared::office::{
    CaseWork, CaseWorkEntry, Dashboard, DistinctRequest, DuplicatePair, FilterOptions,
    FreezeRequest, InstitutionEdit, LoginRequest, MergeRequest, Month, NamedOption,
    OfficeErrorCode, OfficeUser, Period, PersonSummary, RecordContent, RecordDetail, RecordFilter,
    RecordPage, Report, ServiceEdit, SetupRequest, SetupStatus, SiteEdit, Timeline, UnmergeRequest,
    path,
};
use odnowa_shared::records::{
    Catalogue, Contact, DaySession, Diagnosis, Person, Programme, RecordKind, Referral, Workshop,
};
use odnowa_shared::time::Date;

use crate::export;
use crate::report::{self, ReportError};
use crate::state::{AppState, ClientIp};
use refusal::{Refusal, json_body, parse_id, refuse};
use session::{OfficeOnly, OfficeSession, author, session_cookie};

pub use crate::state::OfficeConfig;

/// The office API's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(path::LOGIN, post(login))
        .route(path::LOGOUT, post(logout))
        .route(path::ME, get(me))
        .route(path::DASHBOARD, get(dashboard))
        .route(path::FILTERS, get(filters))
        .route(path::RECORDS, get(records))
        .route(path::RECORD, get(record))
        .route(path::PERSONS, get(persons))
        .route(path::TIMELINE, get(timeline))
        .route(path::DUPLICATES, get(duplicates))
        .route(path::DUPLICATES_MERGED, get(merged))
        .route(path::MERGE, post(merge))
        .route(path::UNMERGE, post(unmerge))
        .route(path::DISTINCT, post(distinct))
        .route(path::SETUP, get(setup_status).post(setup))
        .route(path::REPORT, get(report_page))
        .route(path::REPORT_FREEZE, post(freeze))
        .route(path::REPORT_XLSX, get(report_xlsx))
        .route(path::REPORT_CSV, get(report_csv))
        .route(path::CATALOGUE, get(catalogue))
        .route(path::CATALOGUE_SERVICE, put(put_service))
        .route(path::CATALOGUE_SITE, put(put_site))
        .route(path::CATALOGUE_INSTITUTION, put(put_institution))
        .route(path::AUDIT, get(audit::audit))
        .route(path::QUARANTINE, get(audit::quarantine))
        .route(path::TEAM, get(team::team))
        .route(path::TEAM_ENROL_CODE, post(team::enrol_code))
        .route(path::DEVICE_REVOKE, post(team::revoke))
        .route(path::ERASURE_PLAN, get(erase::plan))
        .route(path::ERASE, post(erase::erase))
        .route(path::ERASURES, get(erase::list))
        .fallback(|| async { Refusal::new(OfficeErrorCode::NotFound, "no such office call") })
        .layer(axum::middleware::from_fn(csrf::check))
}

impl From<ReportError> for Refusal {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::AlreadyFrozen(_) => Refusal::new(OfficeErrorCode::Invalid, e.to_string()),
            ReportError::Frozen(..) => {
                tracing::error!(error = %e, "a frozen report cannot be read");
                Refusal::new(OfficeErrorCode::Internal, e.to_string())
            }
            ReportError::Store(e) => e.into(),
        }
    }
}

async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: LoginRequest = json_body(&body)?;
    let db = state.sync.db();
    // Counted as a wrong password unless it proves right.
    let attempt = match state.login_guard.begin(&request.user, client) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let seconds = wait.as_secs().max(1);
            let name: String = request.user.chars().take(80).collect();
            let refusal = refuse(
                db,
                None,
                OfficeErrorCode::TooManyAttempts,
                &format!("login as {name:?} from {client:?}"),
                &format!("too many wrong passwords: try again in {seconds} s"),
            )
            .await;
            let mut response = refusal.into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return Ok(response);
        }
    };
    let user = auth::login(db, &request.user, &request.password).await;
    if user.is_ok() {
        attempt.forgive();
    }
    open_session(&state, user?).await
}

/// A new office session for `user`: the answer carries who they are and
/// the session cookie.
async fn open_session(
    state: &AppState,
    user: crate::store::LoginUser,
) -> Result<Response, Refusal> {
    let db = state.sync.db();
    let token = crate::auth::new_token();
    let now = chrono::Utc::now().timestamp_millis();
    let expires_at = now + state.office.lifetime.as_millis() as i64;
    db.create_session(&crate::auth::hash_secret(&token), user.id, now, expires_at)
        .await?;
    db.audit(Some(user.id), None, "office_login", &user.name)
        .await?;
    tracing::info!(user = %user.name, "office login");
    let role = odnowa_shared::office::OfficeRole::from_stored(&user.role)
        .ok_or_else(|| Refusal::new(OfficeErrorCode::Forbidden, "no office access"))?;
    let body = OfficeUser {
        id: user.id,
        name: user.name,
        role,
        org: user.org,
        org_name: user.org_name,
        expires_at: odnowa_shared::time::Timestamp(
            expires_at.min(now + state.office.idle.as_millis() as i64),
        ),
    };
    let mut response = Json(body).into_response();
    let cookie = session_cookie(Some(&token), &state.office);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn logout(
    State(state): State<AppState>,
    session: OfficeSession,
) -> Result<Response, Refusal> {
    state.sync.db().end_session(&session.token_hash).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&session_cookie(None, &state.office)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

async fn me(session: OfficeSession) -> Json<OfficeUser> {
    Json(session.user)
}

#[derive(Deserialize)]
struct MonthQuery {
    month: Option<String>,
}

async fn dashboard(
    State(state): State<AppState>,
    session: OfficeSession,
    Query(query): Query<MonthQuery>,
) -> Result<Json<Dashboard>, Refusal> {
    let month = match query.month {
        Some(text) => text
            .parse::<Month>()
            .map_err(|e| Refusal::new(OfficeErrorCode::Invalid, e.to_string()))?,
        None => Month::of(Date::today()),
    };
    Ok(Json(
        report::dashboard_for(&state.sync, month, session.scope()).await?,
    ))
}

async fn filters(
    State(state): State<AppState>,
    session: OfficeSession,
) -> Result<Json<FilterOptions>, Refusal> {
    let catalogue = state.sync.catalogue().await?;
    let db = state.sync.db();
    let mut orgs: Vec<NamedOption> = db
        .org_names()
        .await?
        .into_iter()
        .map(|(id, name)| NamedOption {
            id: id.to_string(),
            name,
            name_en: None,
        })
        .collect();
    if let Some(scope) = session.scope() {
        orgs.retain(|o| Some(o.id.clone()) == scope.map(|s| s.to_string()));
    }
    Ok(Json(FilterOptions {
        services: catalogue
            .services
            .iter()
            .map(|(code, s)| NamedOption {
                id: code.clone(),
                name: s.name_pl.clone(),
                name_en: Some(s.name_en.clone()),
            })
            .collect(),
        orgs,
        sites: catalogue
            .sites
            .iter()
            .map(|(id, s)| NamedOption {
                id: id.clone(),
                name: s.name.clone(),
                name_en: None,
            })
            .collect(),
        workers: db.workers(session.scope()).await?,
    }))
}

async fn records(
    State(state): State<AppState>,
    session: OfficeSession,
    query: Result<Query<RecordFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<RecordPage>, Refusal> {
    let Query(filter) = query.map_err(|e| Refusal::new(OfficeErrorCode::Invalid, e.body_text()))?;
    let catalogue = state.sync.catalogue().await?;
    Ok(Json(
        state
            .sync
            .db()
            .records_page(&filter, session.scope(), &catalogue)
            .await?,
    ))
}

async fn record(
    State(state): State<AppState>,
    session: OfficeSession,
    Path(id): Path<String>,
) -> Result<Json<RecordDetail>, Refusal> {
    let id: DocId = parse_id(&id, "record")?;
    let db = state.sync.db();
    let Some((doc, meta)) = state.sync.load_current(id).await? else {
        return Err(Refusal::new(OfficeErrorCode::NotFound, "no such record"));
    };
    // Another organisation's record is answered as a missing one (its
    // existence is not told), and audited as what it was.
    if let Some(scope) = session.scope()
        && db.doc_org(id).await? != scope
    {
        return Err(session
            .refused(
                db,
                OfficeErrorCode::NotFound,
                &format!("record {id} of another member organisation"),
                "no such record",
            )
            .await);
    }
    let unreadable = |e: document::DocError| {
        tracing::warn!(doc = %id, error = %e, "record not readable");
        Refusal::new(OfficeErrorCode::Internal, "the record cannot be read")
    };
    let content = match meta.kind {
        RecordKind::Contact => {
            RecordContent::Contact(document::read::<Contact>(&doc).map_err(unreadable)?)
        }
        RecordKind::DaySession => {
            RecordContent::DaySession(document::read::<DaySession>(&doc).map_err(unreadable)?)
        }
        RecordKind::Workshop => {
            RecordContent::Workshop(document::read::<Workshop>(&doc).map_err(unreadable)?)
        }
        RecordKind::Person => {
            let person = document::read::<Person>(&doc).map_err(unreadable)?;
            // Outside every organisation: a withdrawn consent hides the details.
            RecordContent::Person(if person.consent_withdrawn() {
                person.redacted()
            } else {
                person
            })
        }
        RecordKind::CaseNotes
        | RecordKind::Diagnosis
        | RecordKind::Programme
        | RecordKind::Referral
        | RecordKind::Catalogue => {
            return Err(session
                .refused(
                    db,
                    OfficeErrorCode::Forbidden,
                    &format!("record {id}"),
                    "case work and the catalogue are not shown here: a person's timeline shows their case work",
                )
                .await);
        }
    };
    let catalogue = state.sync.catalogue().await?;
    let summary = db
        .summaries(&[id], &catalogue)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| Refusal::new(OfficeErrorCode::NotFound, "this record is not projected"))?;
    let persons: Vec<PersonId> = match &content {
        RecordContent::Contact(c) => c.person_ids(),
        RecordContent::DaySession(s) => {
            s.attendance.keys().filter_map(|k| k.parse().ok()).collect()
        }
        RecordContent::Workshop(w) => w
            .participants
            .keys()
            .filter_map(|k| k.parse().ok())
            .collect(),
        RecordContent::Person(p) => vec![p.person_id()],
    };
    let aliases = db
        .person_summaries(&persons)
        .await?
        .into_iter()
        .map(|p| (p.id, p.alias))
        .collect();
    Ok(Json(RecordDetail {
        summary,
        content,
        conflicts: conflicts::conflicts(&doc),
        history: document::history(&doc),
        aliases,
    }))
}

#[derive(Deserialize)]
struct PersonQuery {
    #[serde(default)]
    q: String,
}

async fn persons(
    State(state): State<AppState>,
    _session: OfficeSession,
    Query(query): Query<PersonQuery>,
) -> Result<Json<Vec<PersonSummary>>, Refusal> {
    if query.q.chars().count() > 120 {
        return Err(Refusal::new(
            OfficeErrorCode::Invalid,
            "the search is too long",
        ));
    }
    Ok(Json(state.sync.db().find_persons(&query.q).await?))
}

async fn timeline(
    State(state): State<AppState>,
    session: OfficeSession,
    Path(id): Path<String>,
) -> Result<Json<Timeline>, Refusal> {
    let person: PersonId = parse_id(&id, "person")?;
    let db = state.sync.db();
    let group = db.person_group(person).await?;
    let mut summaries = db.person_summaries(&group).await?;
    // A coordinator counts only their organisation's records.
    if let Some(scope) = session.scope() {
        for summary in &mut summaries {
            summary.records = db.records_naming_in(summary.id, scope).await?;
        }
    }
    let Some(kept) = summaries.iter().find(|p| p.id == person).cloned() else {
        return Err(Refusal::new(OfficeErrorCode::NotFound, "no such person"));
    };
    let docs = db.records_of(&group, session.scope()).await?;
    let catalogue = state.sync.catalogue().await?;
    let entries = db.summaries(&docs, &catalogue).await?;
    let case_work = case_work(&state, &group, session.scope(), &catalogue).await?;
    db.audit(
        Some(session.user.id),
        Some(person.doc_id()),
        "view_timeline",
        &format!(
            "{} records and {} pieces of case work of {} persons",
            entries.len(),
            case_work.len(),
            group.len()
        ),
    )
    .await?;
    Ok(Json(Timeline {
        merged: summaries.into_iter().filter(|p| p.id != person).collect(),
        person: kept,
        entries,
        case_work,
    }))
}

/// The assessments, programmes and referrals of `group` a session may see
/// (a coordinator: their organisation's, and referrals it sent or
/// received), oldest first, as `CaseWork` (no free text).
async fn case_work(
    state: &AppState,
    group: &[PersonId],
    scope: Option<Option<OrgId>>,
    catalogue: &Catalogue,
) -> Result<Vec<CaseWorkEntry>, Refusal> {
    let name = |org: Option<OrgId>| {
        org.and_then(|o| catalogue.orgs.get(&o.to_string()))
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for (doc, kind) in state.sync.db().case_work_of(group).await? {
        let Some((stored, _)) = state.sync.load_current(doc).await? else {
            continue;
        };
        let (at, org, partner, what) = match kind {
            RecordKind::Diagnosis => match document::read::<Diagnosis>(&stored) {
                Ok(d) => (d.created_at, Some(d.org), None, CaseWork::of_diagnosis(&d)),
                Err(_) => continue,
            },
            RecordKind::Programme => match document::read::<Programme>(&stored) {
                Ok(p) => (p.created_at, Some(p.org), None, CaseWork::of_programme(&p)),
                Err(_) => continue,
            },
            RecordKind::Referral => match document::read::<Referral>(&stored) {
                Ok(r) => {
                    let to_name = match (&r.to_org, &r.institution) {
                        (Some(to), _) => name(Some(*to)),
                        (None, Some(id)) => catalogue
                            .institutions
                            .get(id)
                            .map(|i| i.name.clone())
                            .unwrap_or_else(|| id.clone()),
                        (None, None) => String::new(),
                    };
                    (
                        r.sent.at,
                        Some(r.from_org),
                        r.to_org,
                        CaseWork::of_referral(&r, to_name),
                    )
                }
                Err(_) => continue,
            },
            _ => continue,
        };
        if let Some(scope) = scope
            && scope != org
            && (partner.is_none() || scope != partner)
        {
            continue;
        }
        out.push(CaseWorkEntry {
            doc,
            at,
            org,
            org_name: name(org),
            what,
        });
    }
    out.sort_by_key(|e| (e.at, e.doc));
    Ok(out)
}

async fn duplicates(
    State(state): State<AppState>,
    _: OfficeOnly,
) -> Result<Json<Vec<DuplicatePair>>, Refusal> {
    Ok(Json(state.sync.db().duplicates().await?))
}

async fn merged(
    State(state): State<AppState>,
    _: OfficeOnly,
) -> Result<Json<Vec<PersonSummary>>, Refusal> {
    Ok(Json(state.sync.db().merged_persons().await?))
}

async fn merge(
    State(state): State<AppState>,
    OfficeOnly(session): OfficeOnly,
    body: Bytes,
) -> Result<Json<PersonSummary>, Refusal> {
    let request: MergeRequest = json_body(&body)?;
    state
        .sync
        .merge_person(&author(&session), request.from, request.into)
        .await?;
    person_summary(&state, request.from).await
}

async fn unmerge(
    State(state): State<AppState>,
    OfficeOnly(session): OfficeOnly,
    body: Bytes,
) -> Result<Json<PersonSummary>, Refusal> {
    let request: UnmergeRequest = json_body(&body)?;
    state
        .sync
        .unmerge_person(&author(&session), request.person)
        .await?;
    person_summary(&state, request.person).await
}

/// Whether the login page should offer setting up the first administrator.
async fn setup_status(State(state): State<AppState>) -> Result<Json<SetupStatus>, Refusal> {
    Ok(Json(SetupStatus {
        needed: setup_code(&state).is_some() && !state.sync.db().office_login_exists().await?,
    }))
}

fn setup_code(state: &AppState) -> Option<String> {
    state.setup_code.lock().ok().and_then(|code| code.clone())
}

/// The first office administrator, from the login page: only while no
/// office login exists, and only with the code the server printed in its
/// log (whoever reads the log runs the server). Wrong codes count like
/// wrong passwords; the code works once.
async fn setup(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: SetupRequest = json_body(&body)?;
    let db = state.sync.db();
    let refused = |message: &str| Refusal::new(OfficeErrorCode::Forbidden, message.to_string());
    let Some(code) = setup_code(&state) else {
        return Err(refused(
            "this server offers no set-up: an administrator creates office users",
        ));
    };
    if db.office_login_exists().await? {
        return Err(refused("the office already has an administrator: log in"));
    }
    let attempt = match state.login_guard.begin("(set-up)", client) {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Err(Refusal::new(
                OfficeErrorCode::TooManyAttempts,
                format!(
                    "too many wrong codes: try again in {} s",
                    wait.as_secs().max(1)
                ),
            ));
        }
    };
    let same = |a: &str, b: &str| {
        use crate::auth::{hash_secret, normalise_code};
        hash_secret(&normalise_code(a)) == hash_secret(&normalise_code(b))
    };
    if !same(&request.code, &code) {
        refuse(
            db,
            None,
            OfficeErrorCode::Forbidden,
            &format!("set-up from {client:?}"),
            "wrong set-up code",
        )
        .await;
        return Err(Refusal::new(
            OfficeErrorCode::Invalid,
            "this is not the set-up code from the server's log",
        ));
    }
    attempt.forgive();
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(Refusal::new(
            OfficeErrorCode::Invalid,
            "a user name of 1 to 80 characters",
        ));
    }
    // Checked before anybody is created: a refused password leaves nothing.
    if request.password.chars().count() < 10 {
        return Err(Refusal::new(
            OfficeErrorCode::Invalid,
            "a password needs at least 10 characters",
        ));
    }
    crate::accounts::create_user(db, name, None, "office", &[], &[])
        .await
        .map_err(|e| Refusal::new(OfficeErrorCode::Invalid, e.to_string()))?;
    crate::accounts::set_password(db, name, &request.password)
        .await
        .map_err(|e| Refusal::new(OfficeErrorCode::Invalid, e.to_string()))?;
    if let Ok(mut held) = state.setup_code.lock() {
        *held = None;
    }
    let user = auth::login(db, name, &request.password).await?;
    db.audit(Some(user.id), None, "office_setup", &user.name)
        .await?;
    tracing::info!(user = %user.name, "the first office administrator was set up from the login page");
    open_session(&state, user).await
}

async fn distinct(
    State(state): State<AppState>,
    OfficeOnly(session): OfficeOnly,
    body: Bytes,
) -> Result<axum::http::StatusCode, Refusal> {
    let request: DistinctRequest = json_body(&body)?;
    state
        .sync
        .mark_distinct(&author(&session), request.a, request.b)
        .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

async fn person_summary(
    state: &AppState,
    person: PersonId,
) -> Result<Json<PersonSummary>, Refusal> {
    state
        .sync
        .db()
        .person_summaries(&[person])
        .await?
        .into_iter()
        .next()
        .map(Json)
        .ok_or_else(|| Refusal::new(OfficeErrorCode::NotFound, "no such person"))
}

#[derive(Deserialize)]
struct PeriodQuery {
    period: Option<String>,
}

fn period_of(query: PeriodQuery) -> Result<Period, Refusal> {
    match query.period {
        Some(text) => text
            .parse()
            .map_err(|e: odnowa_shared::office::PeriodError| {
                Refusal::new(OfficeErrorCode::Invalid, e.to_string())
            }),
        None => Ok(Period::Month(Month::of(Date::today()).prev())),
    }
}

async fn report_page(
    State(state): State<AppState>,
    session: OfficeSession,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<Report>, Refusal> {
    Ok(Json(
        report::report_for(&state.sync, period_of(query)?, session.scope()).await?,
    ))
}

async fn freeze(
    State(state): State<AppState>,
    OfficeOnly(session): OfficeOnly,
    body: Bytes,
) -> Result<Json<Report>, Refusal> {
    let request: FreezeRequest = json_body(&body)?;
    let report = report::freeze(&state.sync, request.period, &session.user.name).await?;
    state
        .sync
        .db()
        .audit(
            Some(session.user.id),
            None,
            "report_frozen",
            &request.period.to_string(),
        )
        .await?;
    Ok(Json(report))
}

fn download(bytes: Vec<u8>, content_type: &'static str, filename: String) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn report_xlsx(
    State(state): State<AppState>,
    session: OfficeSession,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, Refusal> {
    let period = period_of(query)?;
    let report = report::report_for(&state.sync, period, session.scope()).await?;
    let bytes = export::report_xlsx(&report).map_err(|e| {
        tracing::error!(error = %e, "workbook not written");
        Refusal::new(
            OfficeErrorCode::Internal,
            "the workbook could not be written",
        )
    })?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("raport-{}.xlsx", file_period(&period)),
    ))
}

async fn report_csv(
    State(state): State<AppState>,
    session: OfficeSession,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, Refusal> {
    let period = period_of(query)?;
    let report = report::report_for(&state.sync, period, session.scope()).await?;
    Ok(download(
        export::report_csv(&report).into_bytes(),
        "text/csv; charset=utf-8",
        format!("raport-{}.csv", file_period(&period)),
    ))
}

/// A period as a file name part (`2026-01-01_2026-12-31`).
fn file_period(period: &Period) -> String {
    period.to_string().replace("..", "_")
}

async fn catalogue(
    State(state): State<AppState>,
    _session: OfficeSession,
) -> Result<Json<Catalogue>, Refusal> {
    Ok(Json(state.sync.catalogue().await?))
}

async fn put_service(
    State(state): State<AppState>,
    OfficeOnly(session): OfficeOnly,
    body: Bytes,
) -> Result<Json<Catalogue>, Refusal> {
    let edit: ServiceEdit = json_body(&body)?;
    Ok(Json(
        state.sync.put_service(&author(&session), &edit).await?,
    ))
}

async fn put_institution(
    State(state): State<AppState>,
    OfficeOnly(session): OfficeOnly,
    body: Bytes,
) -> Result<Json<Catalogue>, Refusal> {
    let edit: InstitutionEdit = json_body(&body)?;
    Ok(Json(
        state.sync.put_institution(&author(&session), &edit).await?,
    ))
}

async fn put_site(
    State(state): State<AppState>,
    OfficeOnly(session): OfficeOnly,
    body: Bytes,
) -> Result<Json<Catalogue>, Refusal> {
    let edit: SiteEdit = json_body(&body)?;
    Ok(Json(state.sync.put_site(&author(&session), &edit).await?))
}
