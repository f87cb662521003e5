//! Erasing a person from the office pages: what it would do, doing it
//! (a coordinator or the office), and which devices have not purged yet.
//! A coordinator sees their organisation's devices; the office all.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};

use odnowa_shared::ids::PersonId;
use odnowa_shared::office::{EraseRequest, Erasure, ErasurePlan, OfficeErrorCode, OfficeRole};

use super::refusal::{Refusal, json_body, parse_id};
use super::session::{OfficeSession, author};
use crate::erasure::ErasureError;
use crate::state::AppState;

/// The most erasures one listing returns.
const ERASURE_ROWS: u32 = 100;

impl From<ErasureError> for Refusal {
    fn from(e: ErasureError) -> Self {
        match e {
            ErasureError::NotFound(_) => Refusal::new(OfficeErrorCode::NotFound, e.to_string()),
            ErasureError::AlreadyErased | ErasureError::Reason(_) => {
                Refusal::new(OfficeErrorCode::Invalid, e.to_string())
            }
            ErasureError::HeldElsewhere(_) => {
                Refusal::new(OfficeErrorCode::Forbidden, e.to_string())
            }
            ErasureError::Unreadable(_) => {
                tracing::error!(error = %e, "an erasure could not read a record");
                Refusal::new(OfficeErrorCode::Internal, e.to_string())
            }
            ErasureError::Store(e) => e.into(),
        }
    }
}

pub async fn plan(
    State(state): State<AppState>,
    session: OfficeSession,
    Path(id): Path<String>,
) -> Result<Json<ErasurePlan>, Refusal> {
    let person: PersonId = parse_id(&id, "person")?;
    let db = state.sync.db();
    let org = match session.user.role {
        OfficeRole::Office => None,
        OfficeRole::Coordinator => Some(
            session
                .require_coordinator(db, &format!("erasure plan of person {person}"))
                .await?,
        ),
    };
    let plan = state.sync.erasure_plan_for(person, org).await?;
    // The plan says how many case notes a person has: logged like a read.
    db.audit(
        Some(session.user.id),
        Some(person.doc_id()),
        "view_erasure_plan",
        &format!(
            "{} entries, {} case notes, {} contacts",
            plan.persons.len(),
            plan.case_notes,
            plan.contacts
        ),
    )
    .await?;
    Ok(Json(plan))
}

pub async fn erase(
    State(state): State<AppState>,
    session: OfficeSession,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Erasure>, Refusal> {
    let person: PersonId = parse_id(&id, "person")?;
    let request: EraseRequest = json_body(&body)?;
    let only_org = match session.user.role {
        OfficeRole::Office => None,
        OfficeRole::Coordinator => Some(
            session
                .require_coordinator(state.sync.db(), &format!("erase person {person}"))
                .await?,
        ),
    };
    let erased = state
        .sync
        .erase_person(&author(&session), person, &request.reason, only_org)
        .await;
    if let Err(ErasureError::HeldElsewhere(n)) = &erased {
        // Audited like every refusal.
        return Err(session
            .refused(
                state.sync.db(),
                OfficeErrorCode::Forbidden,
                &format!("erase person {person}"),
                &ErasureError::HeldElsewhere(*n).to_string(),
            )
            .await);
    }
    let erasure = erased?;
    tracing::info!(user = %session.user.name, %person, "erased a person from the office pages");
    Ok(Json(scoped(&state, &session, erasure).await?))
}

pub async fn list(
    State(state): State<AppState>,
    session: OfficeSession,
) -> Result<Json<Vec<Erasure>>, Refusal> {
    let db = state.sync.db();
    let org = match session.user.role {
        OfficeRole::Office => None,
        OfficeRole::Coordinator => Some(session.require_coordinator(db, "erasures").await?),
    };
    Ok(Json(db.erasures_with_progress(org, ERASURE_ROWS).await?))
}

/// A coordinator sees only their organisation's devices among those that
/// must still purge.
async fn scoped(
    state: &AppState,
    session: &OfficeSession,
    erasure: Erasure,
) -> Result<Erasure, Refusal> {
    let Some(org) = session
        .user
        .org
        .filter(|_| session.user.role == OfficeRole::Coordinator)
    else {
        return Ok(erasure);
    };
    let devices = state.sync.db().list_devices(Some(org)).await?;
    Ok(Erasure {
        pending: erasure
            .pending
            .into_iter()
            .filter(|p| devices.iter().any(|d| d.device == p.device))
            .collect(),
        ..erasure
    })
}
