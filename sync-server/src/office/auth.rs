//! Office logins (passwords checked by [`crate::passwords`]), and what
//! the database keeps of logins, sessions and the audit log.

use odnowa_shared::office::{OfficeErrorCode, OfficeRole};

use super::refusal::{Refusal, refuse};
use crate::passwords::{dummy_hash, verify_on_workers};
use crate::store::{Db, LoginUser};

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
