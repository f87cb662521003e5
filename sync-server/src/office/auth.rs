//! Office logins: passwords (Argon2id), sessions in a cookie, and the
//! refusals every office call can meet — each answered with an
//! [`OfficeError`] and written to the audit log (`office_refused`).
//!
//! A session token is 32 random bytes; the server keeps only its SHA-256
//! (`office_sessions`). A session ends after [`OfficeConfig::lifetime`],
//! or once it was idle for [`OfficeConfig::idle`]; logging out deletes it.

use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use odnowa_shared::ids::{OrgId, UserId};
use odnowa_shared::office::{OfficeError, OfficeErrorCode, OfficeRole, OfficeUser, SESSION_COOKIE};
use odnowa_shared::time::Timestamp;

use crate::auth::hash_secret;
use crate::routes::AppState;
use crate::store::{Db, StoreError, on_pool, parse};

/// How office sessions behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeConfig {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after login, used or not.
    pub lifetime: Duration,
    /// Mark the cookie `Secure` (when served over HTTPS, directly or by a
    /// proxy).
    pub secure_cookies: bool,
}

impl Default for OfficeConfig {
    fn default() -> Self {
        OfficeConfig {
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 3600),
            secure_cookies: false,
        }
    }
}

/// A refusal or failure of an office call, as an HTTP answer.
#[derive(Debug)]
pub struct Refusal(pub OfficeError);

impl Refusal {
    pub fn new(code: OfficeErrorCode, message: impl Into<String>) -> Self {
        Refusal(OfficeError {
            code,
            message: message.into(),
        })
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => {
                Refusal::new(OfficeErrorCode::NotFound, format!("{what} not found"))
            }
            other => {
                tracing::error!(error = %other, "office call failed");
                Refusal::new(
                    OfficeErrorCode::Internal,
                    "the server could not do this; try again",
                )
            }
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            OfficeErrorCode::BadLogin | OfficeErrorCode::NoSession => StatusCode::UNAUTHORIZED,
            OfficeErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            OfficeErrorCode::Forbidden => StatusCode::FORBIDDEN,
            OfficeErrorCode::NotFound => StatusCode::NOT_FOUND,
            OfficeErrorCode::Invalid => StatusCode::BAD_REQUEST,
            OfficeErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(self.0)).into_response()
    }
}

/// Writes a refusal to the log and the audit table, and returns it.
pub async fn refuse(
    db: &Db,
    user: Option<UserId>,
    code: OfficeErrorCode,
    what: &str,
    message: &str,
) -> Refusal {
    tracing::warn!(user = ?user, ?code, what, message, "office call refused");
    let detail = format!("{code:?}: {what}: {message}");
    if let Err(e) = db.audit(user, None, "office_refused", &detail).await {
        tracing::error!(error = %e, "the refusal could not be written to the audit log");
    }
    Refusal::new(code, message)
}

/// Hashes a password for storage (Argon2id, a random salt, PHC string).
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored `hash` (logins go through the
/// password threads, [`verify_reusing`], which this is with fresh memory).
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_reusing(password, hash, &mut Vec::new())
}

/// A hash of a random password, verified for unknown users so that a
/// wrong name takes as long as a wrong password.
fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY
        .get_or_init(|| hash_password(&crate::auth::new_token()).unwrap_or_default())
        .clone()
}

/// What a login needs to know of a user.
#[derive(Debug, Clone)]
pub struct LoginUser {
    pub id: UserId,
    pub name: String,
    pub role: String,
    pub org: Option<OrgId>,
    pub org_name: Option<String>,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

impl Db {
    /// The user called `name`, for a login.
    pub async fn login_user(&self, name: &str) -> Result<Option<LoginUser>, StoreError> {
        self.user_where("u.name = $1", name).await
    }

    async fn user_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Option<LoginUser>, StoreError> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
        );
        let sql = format!(
            "SELECT u.id, u.name, u.role, u.org_id, o.name, u.password_hash, u.disabled \
             FROM users u LEFT JOIN orgs o ON o.id = u.org_id WHERE {condition}"
        );
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(value).fetch_optional(pool).await?
        });
        row.map(|(id, name, role, org, org_name, password_hash, disabled)| {
            Ok(LoginUser {
                id: parse("user id", &id)?,
                name,
                role,
                org: org.map(|o| parse("org id", &o)).transpose()?,
                org_name,
                password_hash,
                disabled: disabled != 0,
            })
        })
        .transpose()
    }

    /// Sets (or replaces) a user's password hash; ends their sessions.
    pub async fn set_password_hash(&self, user: UserId, hash: &str) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        let updated = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM office_sessions WHERE user_id = $1")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            updated
        });
        if updated == 0 {
            return Err(StoreError::NotFound(format!("user {user}")));
        }
        Ok(())
    }

    /// Starts a session for `user` under `token_hash`.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO office_sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $3)",
            )
            .bind(token_hash)
            .bind(user.to_string())
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The session under `token_hash`: its user, when it ends, when it
    /// was last used.
    pub async fn session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(LoginUser, i64, i64)>, StoreError> {
        let found: Option<(String, i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT user_id, expires_at, last_seen_at FROM office_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        });
        let Some((user, expires_at, last_seen_at)) = found else {
            return Ok(None);
        };
        Ok(self
            .user_where("u.id = $1", &user)
            .await?
            .map(|u| (u, expires_at, last_seen_at)))
    }

    /// Marks a session used now.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE office_sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends a session (logout, or found expired).
    pub async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM office_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Writes one audit row.
    pub async fn audit(
        &self,
        user: Option<UserId>,
        doc: Option<odnowa_shared::ids::DocId>,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) VALUES ($1, $2, NULL, $3, $4, $5)")
                .bind(now)
                .bind(user.map(|u| u.to_string()))
                .bind(doc.map(|d| d.to_string()))
                .bind(action)
                .bind(detail)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Audit rows with `action`, oldest first: (user, doc, detail).
    pub async fn audit_rows(
        &self,
        action: &str,
    ) -> Result<Vec<(Option<String>, Option<String>, String)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT user_id, doc_id, detail FROM audit WHERE action = $1 ORDER BY id")
                .bind(action)
                .fetch_all(pool)
                .await?
        }))
    }
}

/// Threads that verify passwords: two, always the same. Each Argon2
/// verification takes a 19 MiB block; on the runtime's blocking pool every
/// call could land on another thread, and each thread's allocator arena
/// kept its block (a flood of 512 logins left 476 MiB resident). Two fixed
/// threads keep at most two blocks, and a flood waits its turn.
const ARGON2_THREADS: usize = 2;

type Verification = (String, String, tokio::sync::oneshot::Sender<bool>);

fn argon2_workers() -> &'static std::sync::mpsc::Sender<Verification> {
    static WORKERS: std::sync::OnceLock<std::sync::mpsc::Sender<Verification>> =
        std::sync::OnceLock::new();
    WORKERS.get_or_init(|| {
        let (jobs, queue) = std::sync::mpsc::channel::<Verification>();
        let queue = std::sync::Arc::new(std::sync::Mutex::new(queue));
        for n in 0..ARGON2_THREADS {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    // One Argon2 memory block per thread, reused.
                    let mut blocks: Vec<argon2::Block> = Vec::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok((password, hash, answer)) = job else {
                            break;
                        };
                        let _ = answer.send(verify_reusing(&password, &hash, &mut blocks));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password thread");
            }
        }
        jobs
    })
}

/// [`verify_password`] with Argon2's memory in `blocks`, kept for the next.
fn verify_reusing(password: &str, hash: &str, blocks: &mut Vec<argon2::Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        argon2::Algorithm::try_from(parsed.algorithm),
        argon2::Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    blocks.resize(params.block_count(), argon2::Block::default());
    let mut out = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params).hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut blocks[..],
    );
    // `Output` compares in constant time.
    computed.is_ok()
        && argon2::password_hash::Output::new(&out).is_ok_and(|output| output == expected)
}

/// Verifies `password` against `hash` on the password threads.
async fn verify_on_workers(password: String, hash: String) -> bool {
    let (answer, verified) = tokio::sync::oneshot::channel();
    if argon2_workers().send((password, hash, answer)).is_err() {
        return false;
    }
    verified.await.unwrap_or(false)
}

/// Checks `password` for the user `name`: the user when it matches and
/// the user may use the office; a refusal (logged) otherwise.
pub async fn login(db: &Db, name: &str, password: &str) -> Result<LoginUser, Refusal> {
    let user = db.login_user(name.trim()).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(dummy_hash);
    let password = password.to_string();
    let matches = verify_on_workers(password, hash).await;
    let refused_name: String = name.chars().take(80).collect();
    let Some(user) = user.filter(|u| matches && u.password_hash.is_some()) else {
        return Err(refuse(
            db,
            None,
            OfficeErrorCode::BadLogin,
            &format!("login as {refused_name:?}"),
            "wrong user name or password",
        )
        .await);
    };
    if user.disabled {
        return Err(refuse(
            db,
            Some(user.id),
            OfficeErrorCode::Forbidden,
            "login",
            "this user is disabled",
        )
        .await);
    }
    if OfficeRole::from_stored(&user.role).is_none() {
        return Err(refuse(
            db,
            Some(user.id),
            OfficeErrorCode::Forbidden,
            "login",
            "this user works in the field app and has no office access",
        )
        .await);
    }
    Ok(user)
}

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
