//! Office logins (passwords checked by [`crate::passwords`]), and what
//! the database keeps of logins, sessions and the audit log.

use odnowa_shared::ids::{OrgId, UserId};
use odnowa_shared::office::{OfficeErrorCode, OfficeRole};

use super::refusal::{Refusal, refuse};
use crate::passwords::{dummy_hash, verify_on_workers};
use crate::store::{Db, StoreError, on_pool, parse};

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
