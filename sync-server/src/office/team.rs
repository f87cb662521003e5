//! A coordinator's devices: the users of their organisation with their
//! devices, a one-time enrolment code for one of them, and revoking a
//! device. Only a coordinator, only inside their organisation; every
//! refusal and every action is written to the audit log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use odnowa_shared::access::Role;
use odnowa_shared::ids::{DeviceId, OrgId, UserId};
use odnowa_shared::office::{DeviceSummary, EnrolCode, OfficeErrorCode, TeamMember};
use odnowa_shared::time::Timestamp;

use super::refusal::{Refusal, parse_id};
use super::session::{Coordinator, OfficeSession};
use crate::accounts::{self, AccountError};
use crate::state::AppState;
use crate::store::UserFacts;

/// How long a code issued from the office pages works.
const CODE_HOURS: i64 = accounts::DEFAULT_CODE_HOURS;

pub async fn team(
    State(state): State<AppState>,
    Coordinator { org, .. }: Coordinator,
) -> Result<Json<Vec<TeamMember>>, Refusal> {
    let db = state.sync.db();
    let mut devices = db.list_devices(Some(org)).await?;
    let mut members = Vec::new();
    for user in db.org_users(org).await? {
        let Some(role) = Role::from_stored(&user.role) else {
            continue;
        };
        let (theirs, rest): (Vec<_>, Vec<_>) =
            devices.into_iter().partition(|d| d.user_id == user.id);
        devices = rest;
        members.push(TeamMember {
            id: user.id,
            name: user.name,
            role,
            disabled: user.disabled,
            devices: theirs
                .into_iter()
                .map(|d| DeviceSummary {
                    id: d.device,
                    name: d.name,
                    enrolled_at: Timestamp(d.created_at),
                    last_seen_at: d.last_seen_at.map(Timestamp),
                    revoked_at: d.revoked_at.map(Timestamp),
                })
                .collect(),
        });
    }
    Ok(Json(members))
}

/// The user `id` if they belong to the coordinator's organisation.
async fn member(
    state: &AppState,
    session: &OfficeSession,
    org: OrgId,
    id: UserId,
) -> Result<UserFacts, Refusal> {
    let db = state.sync.db();
    // Another organisation's user is answered as a missing one.
    match db.user_facts(id).await? {
        Some(user) if user.org == Some(org) => Ok(user),
        Some(_) => Err(session
            .refused(
                db,
                OfficeErrorCode::NotFound,
                &format!("user {id} of another member organisation"),
                "no such user",
            )
            .await),
        None => Err(Refusal::new(OfficeErrorCode::NotFound, "no such user")),
    }
}

pub async fn enrol_code(
    State(state): State<AppState>,
    Coordinator { session, org }: Coordinator,
    Path(id): Path<String>,
) -> Result<Json<EnrolCode>, Refusal> {
    let id: UserId = parse_id(&id, "user")?;
    let user = member(&state, &session, org, id).await?;
    let db = state.sync.db();
    let (code, expires_at) = accounts::issue_enrol_code(db, &user, CODE_HOURS)
        .await
        .map_err(|e| match e {
            AccountError::Invalid(why) => Refusal::new(OfficeErrorCode::Invalid, why),
            AccountError::Store(e) => e.into(),
        })?;
    db.audit(
        Some(session.user.id),
        None,
        "enrol_code",
        &format!("for {} ({})", user.name, user.id),
    )
    .await?;
    tracing::info!(coordinator = %session.user.name, user = %user.name, "enrolment code issued");
    Ok(Json(EnrolCode {
        user: user.id,
        code,
        expires_at: Timestamp(expires_at),
    }))
}

pub async fn revoke(
    State(state): State<AppState>,
    Coordinator { session, org }: Coordinator,
    Path(id): Path<String>,
) -> Result<StatusCode, Refusal> {
    let id: DeviceId = parse_id(&id, "device")?;
    let db = state.sync.db();
    let Some(device) = db.device_auth(id).await? else {
        return Err(Refusal::new(OfficeErrorCode::NotFound, "no such device"));
    };
    // Another organisation's device is answered as a missing one.
    let user = member(&state, &session, org, device.user)
        .await
        .map_err(|refusal| match refusal.0.code {
            OfficeErrorCode::NotFound => Refusal::new(OfficeErrorCode::NotFound, "no such device"),
            _ => refusal,
        })?;
    if accounts::revoke(db, id).await? {
        db.audit(
            Some(session.user.id),
            None,
            "revoke_device",
            &format!("device {id} of {} ({})", user.name, user.id),
        )
        .await?;
        tracing::info!(coordinator = %session.user.name, device = %id, "device revoked");
    }
    Ok(StatusCode::NO_CONTENT)
}
