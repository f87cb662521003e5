//! Administration: what the `admin` subcommands of the CLI do. Each
//! function takes names as a person types them and answers with what was
//! made, or a clear error.

use odnowa_shared::ids::{DeviceId, OrgId, SpaceId, UserId};

use odnowa_shared::office::{ServiceEdit, SiteEdit};
use odnowa_shared::records::Catalogue;

use crate::auth;
use crate::exchange::SyncService;
use crate::store::{Db, DeviceRow, QuarantineEntry, StoreError};
use crate::writer::{OfficeAuthor, WriteError};

/// How long an enrolment code works unless told otherwise.
pub const DEFAULT_CODE_HOURS: i64 = 24;

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub async fn create_org(db: &Db, name: &str) -> Result<OrgId, StoreError> {
    db.create_org(name.trim(), now()).await
}

pub async fn create_space(db: &Db, name: &str, org: Option<&str>) -> Result<SpaceId, StoreError> {
    let org = match org {
        Some(org) => Some(db.org_by_name(org).await?),
        None => None,
    };
    db.create_space(org, name.trim(), now()).await
}

/// Creates a user with read access to `read` and write access to `write`
/// (space names). Writing implies reading.
pub async fn create_user(
    db: &Db,
    name: &str,
    org: Option<&str>,
    role: &str,
    read: &[String],
    write: &[String],
) -> Result<UserId, StoreError> {
    let org = match org {
        Some(org) => Some(db.org_by_name(org).await?),
        None => None,
    };
    // Resolve every space before creating anything.
    let mut grants = Vec::new();
    for name in read {
        grants.push((db.space_by_name(name).await?, false));
    }
    for name in write {
        grants.push((db.space_by_name(name).await?, true));
    }
    let user = db.create_user(org, name.trim(), role, now()).await?;
    for (space, write) in grants {
        db.grant(user, space, write).await?;
    }
    Ok(user)
}

pub async fn grant(db: &Db, user: &str, space: &str, write: bool) -> Result<(), StoreError> {
    let user = db.user_by_name(user).await?;
    let space = db.space_by_name(space).await?;
    db.grant(user, space, write).await
}

/// A new one-time enrolment code for `user`, valid for `hours`.
pub async fn enrol_code(db: &Db, user: &str, hours: i64) -> Result<String, StoreError> {
    let user = db.user_by_name(user).await?;
    let code = auth::new_enrol_code();
    let now = now();
    db.create_enrol_code(user, &auth::hash_code(&code), now, now + hours * 3_600_000)
        .await?;
    Ok(code)
}

pub async fn devices(db: &Db) -> Result<Vec<DeviceRow>, StoreError> {
    db.list_devices().await
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

pub async fn quarantine(db: &Db, limit: u32) -> Result<Vec<QuarantineEntry>, StoreError> {
    db.list_quarantine(limit).await
}

/// Creates a member organisation and names it in the catalogue, so
/// devices and the office pages know it.
pub async fn create_member(sync: &SyncService, name: &str) -> Result<OrgId, WriteError> {
    let org = create_org(sync.db(), name).await?;
    sync.put_org(&OfficeAuthor::admin_cli(), org, name).await?;
    Ok(org)
}

/// Adds or changes a service of the package (`org` by name).
pub async fn put_service(
    sync: &SyncService,
    mut edit: ServiceEdit,
    org: Option<&str>,
) -> Result<Catalogue, WriteError> {
    if let Some(org) = org {
        edit.org = Some(sync.db().org_by_name(org).await?);
    }
    sync.put_service(&OfficeAuthor::admin_cli(), &edit).await
}

/// Adds or changes a site (`org` by name).
pub async fn put_site(
    sync: &SyncService,
    mut edit: SiteEdit,
    org: Option<&str>,
) -> Result<Catalogue, WriteError> {
    if let Some(org) = org {
        edit.org = Some(sync.db().org_by_name(org).await?);
    }
    sync.put_site(&OfficeAuthor::admin_cli(), &edit).await
}

/// Sets a user's office password (Argon2id); their sessions end.
pub async fn set_password(db: &Db, user: &str, password: &str) -> Result<(), AdminError> {
    if password.chars().count() < 10 {
        return Err(AdminError::Invalid(
            "a password needs at least 10 characters".into(),
        ));
    }
    let user = db.user_by_name(user).await?;
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || crate::office::auth::hash_password(&password))
        .await
        .map_err(|e| AdminError::Invalid(e.to_string()))?
        .map_err(AdminError::Invalid)?;
    db.set_password_hash(user, &hash).await?;
    Ok(())
}

/// Why an admin command was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
