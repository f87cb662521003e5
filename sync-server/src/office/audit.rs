//! The audit log in the office pages: per person (changes to their entry,
//! to records naming them and to their case notes; reads of their file)
//! and per user. The office sees everything; a coordinator sees what their
//! organisation's users did. Listing the log is itself logged.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use odnowa_shared::ids::{PersonId, UserId};
use odnowa_shared::office::{AuditEntry, AuditSubject, OfficeErrorCode, OfficeRole};

use super::auth::{OfficeSession, Refusal, refuse};
use super::parse_id;
use crate::routes::AppState;

/// The most rows one listing returns.
pub const AUDIT_ROWS: u32 = 500;

#[derive(Deserialize)]
pub struct AuditQuery {
    person: Option<String>,
    user: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    session: OfficeSession,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, Refusal> {
    let db = state.sync.db();
    let subject = match (query.person, query.user) {
        (Some(person), None) => AuditSubject::Person(parse_id::<PersonId>(&person, "person")?),
        (None, Some(user)) => AuditSubject::User(parse_id::<UserId>(&user, "user")?),
        _ => {
            return Err(Refusal::new(
                OfficeErrorCode::Invalid,
                "give either person=ID or user=ID",
            ));
        }
    };
    let org = match session.user.role {
        OfficeRole::Office => None,
        OfficeRole::Coordinator => Some(session.require_coordinator(db, "audit").await?),
    };
    if let (AuditSubject::User(user), Some(org)) = (subject, org) {
        let theirs = db
            .user_facts(user)
            .await?
            .is_some_and(|u| u.org == Some(org));
        if !theirs {
            return Err(refuse(
                db,
                Some(session.user.id),
                OfficeErrorCode::Forbidden,
                &format!("audit of user {user}"),
                "this user belongs to another member organisation",
            )
            .await);
        }
    }
    let entries = db.audit_log(&subject, org, AUDIT_ROWS).await?;
    let (doc, what) = match subject {
        AuditSubject::Person(person) => (Some(person.doc_id()), format!("person {person}")),
        AuditSubject::User(user) => (None, format!("user {user}")),
    };
    db.audit(Some(session.user.id), doc, "view_audit", &what)
        .await?;
    Ok(Json(entries))
}
