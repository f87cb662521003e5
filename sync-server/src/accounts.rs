//! Accounts and enrolment: users and their grants, office passwords,
//! one-time enrolment codes, devices and their revocation. Both the CLI
//! (`odnowa-sync admin ...`) and the office pages (a coordinator's team)
//! call these; each takes what a person typed and answers with what was
//! made, or a clear error.

use odnowa_shared::access::{self, Role};
use odnowa_shared::ids::{DeviceId, OrgId, SpaceId, UserId};

use crate::auth;
use crate::store::{Db, DeviceRow, StoreError, UserFacts};

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// How long an enrolment code works unless told otherwise.
pub const DEFAULT_CODE_HOURS: i64 = 24;

/// Creates a user with read access to `read` and write access to `write`
/// (space names). Writing implies reading. The role must be one of
/// `odnowa_shared::access::Role`; a coordinator needs an organisation;
/// spaces of another organisation are refused.
pub async fn create_user(
    db: &Db,
    name: &str,
    org: Option<&str>,
    role: &str,
    read: &[String],
    write: &[String],
) -> Result<UserId, AccountError> {
    let role = parse_role(role)?;
    let org = match org {
        Some(org) => Some(db.org_by_name(org).await?),
        None => None,
    };
    if role.needs_org() && org.is_none() {
        return Err(AccountError::Invalid(format!(
            "a {} belongs to a member organisation: give --org",
            role.as_str()
        )));
    }
    // Resolve and check every space before creating anything.
    let mut grants = Vec::new();
    for (names, write) in [(read, false), (write, true)] {
        for name in names {
            let space = db.space_by_name(name).await?;
            check_grant(db, role, org, space, name).await?;
            grants.push((space, write));
        }
    }
    let user = db
        .create_user(org, name.trim(), role.as_str(), now())
        .await?;
    for (space, write) in grants {
        db.grant(user, space, write).await?;
    }
    Ok(user)
}

fn parse_role(role: &str) -> Result<Role, AccountError> {
    Role::from_stored(role).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        AccountError::Invalid(format!(
            "unknown role {role:?}: one of {}",
            known.join(", ")
        ))
    })
}

async fn check_grant(
    db: &Db,
    role: Role,
    org: Option<OrgId>,
    space: SpaceId,
    name: &str,
) -> Result<(), AccountError> {
    let space_org = db
        .space_org(space)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("space {name:?}")))?;
    match access::grant_refusal(role, org, space, space_org) {
        Some(why) => Err(AccountError::Invalid(format!(
            "cannot grant {name:?}: {why}"
        ))),
        None => Ok(()),
    }
}

/// Gives a user (by name) access to a space (by name), within the rules
/// of their role.
pub async fn grant(db: &Db, user: &str, space: &str, write: bool) -> Result<(), AccountError> {
    let facts = user_facts(db, user).await?;
    let role = parse_role(&facts.role)?;
    let space_id = db.space_by_name(space).await?;
    check_grant(db, role, facts.org, space_id, space).await?;
    Ok(db.grant(facts.id, space_id, write).await?)
}

pub(crate) async fn user_facts(db: &Db, name: &str) -> Result<UserFacts, AccountError> {
    let user = db.user_by_name(name).await?;
    db.user_facts(user)
        .await?
        .ok_or_else(|| AccountError::Store(StoreError::NotFound(format!("user {name:?}"))))
}

/// A new one-time enrolment code for a user (by name), valid for `hours`.
pub async fn enrol_code(db: &Db, user: &str, hours: i64) -> Result<String, AccountError> {
    let facts = user_facts(db, user).await?;
    Ok(issue_enrol_code(db, &facts, hours).await?.0)
}

/// A new one-time enrolment code for `user` and when it expires (ms);
/// refused for a disabled user or one whose role holds no records.
pub async fn issue_enrol_code(
    db: &Db,
    user: &UserFacts,
    hours: i64,
) -> Result<(String, i64), AccountError> {
    if user.disabled {
        return Err(AccountError::Invalid(format!(
            "{} is disabled: enable the user before enrolling a device",
            user.name
        )));
    }
    if !Role::from_stored(&user.role).is_some_and(Role::may_enrol) {
        return Err(AccountError::Invalid(format!(
            "{} is a {}: that role enrols no devices",
            user.name, user.role
        )));
    }
    let code = auth::new_enrol_code();
    let now = now();
    let expires_at = now + hours * 3_600_000;
    db.create_enrol_code(user.id, &auth::hash_code(&code), now, expires_at)
        .await?;
    Ok((code, expires_at))
}

pub async fn devices(db: &Db) -> Result<Vec<DeviceRow>, StoreError> {
    db.list_devices(None).await
}

pub async fn revoke(db: &Db, device: DeviceId) -> Result<bool, StoreError> {
    db.revoke_device(device, now()).await
}

/// Disables a user by name: every device of theirs is refused, and its
/// live connection closes.
pub async fn disable_user(db: &Db, name: &str) -> Result<bool, StoreError> {
    let user = db.user_by_name(name).await?;
    db.disable_user(user).await
}

/// Sets a user's office password (Argon2id); their sessions end.
pub async fn set_password(db: &Db, user: &str, password: &str) -> Result<(), AccountError> {
    if password.chars().count() < 10 {
        return Err(AccountError::Invalid(
            "a password needs at least 10 characters".into(),
        ));
    }
    let user = db.user_by_name(user).await?;
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || crate::passwords::hash_password(&password))
        .await
        .map_err(|e| AccountError::Invalid(e.to_string()))?
        .map_err(AccountError::Invalid)?;
    db.set_password_hash(user, &hash).await?;
    Ok(())
}

/// Why an account or enrolment request was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
