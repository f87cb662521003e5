//! Who is calling: the office session a cookie names, and the roles a
//! route requires, as extractors. A handler that takes [`OfficeOnly`] or
//! [`Coordinator`] is refused (and the refusal audited) before it runs.
//!
//! A session token is 32 random bytes; the server keeps only its SHA-256
//! (`office_sessions`). A session ends after [`OfficeConfig::lifetime`],
//! or once it was idle for [`OfficeConfig::idle`]; logging out deletes it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use odnowa_shared::ids::OrgId;
use odnowa_shared::office::{OfficeErrorCode, OfficeRole, OfficeUser, SESSION_COOKIE};
use odnowa_shared::time::Timestamp;

use super::refusal::{Refusal, refuse};
use crate::auth::hash_secret;
use crate::state::{AppState, OfficeConfig};
use crate::store::Db;
use crate::writer::OfficeAuthor;

/// The logged-in office user of a request.
#[derive(Debug, Clone)]
pub struct OfficeSession {
    pub user: OfficeUser,
    pub token_hash: String,
}

impl OfficeSession {
    /// Refuses (and logs) unless the user is the consortium office.
    pub async fn require_office(&self, db: &Db, what: &str) -> Result<(), Refusal> {
        if self.user.role == OfficeRole::Office {
            return Ok(());
        }
        Err(refuse(
            db,
            Some(self.user.id),
            OfficeErrorCode::Forbidden,
            what,
            "only the consortium office may do this",
        )
        .await)
    }

    /// The coordinator's organisation; refuses (and logs) anyone else.
    pub async fn require_coordinator(&self, db: &Db, what: &str) -> Result<OrgId, Refusal> {
        match (self.user.role, self.user.org) {
            (OfficeRole::Coordinator, Some(org)) => Ok(org),
            _ => Err(refuse(
                db,
                Some(self.user.id),
                OfficeErrorCode::Forbidden,
                what,
                "only a coordinator of a member organisation manages its devices",
            )
            .await),
        }
    }

    /// Writes a refusal of this user's call to the log and the audit
    /// table, and returns it.
    pub async fn refused(
        &self,
        db: &Db,
        code: OfficeErrorCode,
        what: &str,
        message: &str,
    ) -> Refusal {
        refuse(db, Some(self.user.id), code, what, message).await
    }

    /// The organisation whose records this user is limited to (`None`:
    /// all of them).
    pub fn scope(&self) -> Option<Option<OrgId>> {
        match self.user.role {
            OfficeRole::Office => None,
            OfficeRole::Coordinator => Some(self.user.org),
        }
    }
}

/// The value of cookie `name` in a request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value of a new session (or, with `None`, of its end).
pub fn session_cookie(token: Option<&str>, config: &OfficeConfig) -> String {
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    match token {
        Some(token) => format!(
            "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
            config.lifetime.as_secs()
        ),
        None => format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"),
    }
}

impl FromRequestParts<AppState> for OfficeSession {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let db = state.sync.db();
        let what = parts.uri.path().to_string();
        let Some(token) = cookie(parts, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Err(refuse(db, None, OfficeErrorCode::NoSession, &what, "log in first").await);
        };
        let token_hash = hash_secret(token);
        let now = chrono::Utc::now().timestamp_millis();
        let Some((user, expires_at, last_seen_at)) = db.session(&token_hash).await? else {
            return Err(refuse(
                db,
                None,
                OfficeErrorCode::NoSession,
                &what,
                "the session has ended: log in again",
            )
            .await);
        };
        let idle_ms = state.office.idle.as_millis() as i64;
        if now >= expires_at || now - last_seen_at > idle_ms {
            db.end_session(&token_hash).await?;
            return Err(refuse(
                db,
                Some(user.id),
                OfficeErrorCode::NoSession,
                &what,
                "the session has expired: log in again",
            )
            .await);
        }
        let Some(role) = OfficeRole::from_stored(&user.role).filter(|_| !user.disabled) else {
            return Err(refuse(
                db,
                Some(user.id),
                OfficeErrorCode::Forbidden,
                &what,
                "this user has no office access",
            )
            .await);
        };
        db.touch_session(&token_hash, now).await?;
        Ok(OfficeSession {
            user: OfficeUser {
                id: user.id,
                name: user.name,
                role,
                org: user.org,
                org_name: user.org_name,
                expires_at: Timestamp(expires_at.min(now + idle_ms)),
            },
            token_hash,
        })
    }
}

/// The session of a request to a route only the consortium office may
/// call; anyone else is refused and the refusal audited.
pub struct OfficeOnly(pub OfficeSession);

impl FromRequestParts<AppState> for OfficeOnly {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let session = OfficeSession::from_request_parts(parts, state).await?;
        let what = format!("{} {}", parts.method, parts.uri.path());
        session.require_office(state.sync.db(), &what).await?;
        Ok(OfficeOnly(session))
    }
}

/// The session of a request to a route only a coordinator of a member
/// organisation may call, with their organisation; anyone else is refused
/// and the refusal audited.
pub struct Coordinator {
    pub session: OfficeSession,
    pub org: OrgId,
}

impl FromRequestParts<AppState> for Coordinator {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let session = OfficeSession::from_request_parts(parts, state).await?;
        let what = format!("{} {}", parts.method, parts.uri.path());
        let org = session.require_coordinator(state.sync.db(), &what).await?;
        Ok(Coordinator { session, org })
    }
}

/// The author the office's writes name: this session's user.
pub fn author(session: &OfficeSession) -> OfficeAuthor {
    OfficeAuthor {
        user: session.user.id,
        name: session.user.name.clone(),
    }
}
