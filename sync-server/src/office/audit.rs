//! The audit log in the office pages: per person (changes to their entry,
//! to records naming them and to their case notes; reads of their file)
//! and per user. The office sees everything; a coordinator sees what their
//! organisation's users did. Listing the log is itself logged. Refused
//! pushes in quarantine are listed the same way.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use odnowa_shared::ids::{PersonId, UserId};
use odnowa_shared::office::{
    AuditEntry, AuditSubject, OfficeErrorCode, OfficeRole, QuarantinedPush,
};
use odnowa_shared::time::Timestamp;

use super::refusal::{Refusal, parse_id};
use super::session::OfficeSession;
use crate::state::AppState;

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
        // Another organisation's user, or none: the same answer.
        if !theirs {
            return Err(session
                .refused(
                    db,
                    OfficeErrorCode::NotFound,
                    &format!("audit of user {user} (not of this organisation)"),
                    "no such user",
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

/// Pushes the server refused, newest first: the office sees all, a
/// coordinator those of their organisation's users.
pub async fn quarantine(
    State(state): State<AppState>,
    session: OfficeSession,
) -> Result<Json<Vec<QuarantinedPush>>, Refusal> {
    let db = state.sync.db();
    let org = match session.user.role {
        OfficeRole::Office => None,
        OfficeRole::Coordinator => Some(session.require_coordinator(db, "quarantine").await?),
    };
    let users: std::collections::HashMap<_, _> = match org {
        Some(org) => db.org_users(org).await?,
        None => Vec::new(),
    }
    .into_iter()
    .map(|u| (u.id, u.name))
    .collect();
    let mut names = users;
    let mut out = Vec::new();
    for q in db.quarantine_of(org, AUDIT_ROWS).await? {
        let user_name = match q.user {
            Some(user) => match names.get(&user) {
                Some(name) => Some(name.clone()),
                None => {
                    let name = db.user_facts(user).await?.map(|u| u.name);
                    if let Some(name) = &name {
                        names.insert(user, name.clone());
                    }
                    name
                }
            },
            None => None,
        };
        out.push(QuarantinedPush {
            at: Timestamp(q.at),
            user_name,
            device: q.device,
            doc: q.doc,
            kind: q.kind,
            code: q.code,
            reason: q.reason,
            bytes: q.payload.len() as u64,
        });
    }
    Ok(Json(out))
}
