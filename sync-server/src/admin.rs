//! Administration: what the `admin` subcommands of the CLI do. Each
//! function takes names as a person types them and answers with what was
//! made, or a clear error.

use odnowa_shared::access::{self, Role};
use odnowa_shared::ids::{DeviceId, OrgId, PersonId, SpaceId, UserId};
use odnowa_shared::office::{AuditEntry, AuditSubject};

use odnowa_shared::office::{ServiceEdit, SiteEdit};
use odnowa_shared::records::Catalogue;

use crate::auth;
use crate::exchange::SyncService;
use crate::store::{Db, DeviceRow, QuarantineEntry, StoreError, UserFacts};
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
) -> Result<UserId, AdminError> {
    let role = parse_role(role)?;
    let org = match org {
        Some(org) => Some(db.org_by_name(org).await?),
        None => None,
    };
    if role.needs_org() && org.is_none() {
        return Err(AdminError::Invalid(format!(
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

fn parse_role(role: &str) -> Result<Role, AdminError> {
    Role::from_stored(role).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        AdminError::Invalid(format!(
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
) -> Result<(), AdminError> {
    let space_org = db
        .space_org(space)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("space {name:?}")))?;
    match access::grant_refusal(role, org, space, space_org) {
        Some(why) => Err(AdminError::Invalid(format!("cannot grant {name:?}: {why}"))),
        None => Ok(()),
    }
}

/// Gives a user (by name) access to a space (by name), within the rules
/// of their role.
pub async fn grant(db: &Db, user: &str, space: &str, write: bool) -> Result<(), AdminError> {
    let facts = user_facts(db, user).await?;
    let role = parse_role(&facts.role)?;
    let space_id = db.space_by_name(space).await?;
    check_grant(db, role, facts.org, space_id, space).await?;
    Ok(db.grant(facts.id, space_id, write).await?)
}

async fn user_facts(db: &Db, name: &str) -> Result<UserFacts, AdminError> {
    let user = db.user_by_name(name).await?;
    db.user_facts(user)
        .await?
        .ok_or_else(|| AdminError::Store(StoreError::NotFound(format!("user {name:?}"))))
}

/// A new one-time enrolment code for a user (by name), valid for `hours`.
pub async fn enrol_code(db: &Db, user: &str, hours: i64) -> Result<String, AdminError> {
    let facts = user_facts(db, user).await?;
    Ok(issue_enrol_code(db, &facts, hours).await?.0)
}

/// A new one-time enrolment code for `user` and when it expires (ms);
/// refused for a disabled user or one whose role holds no records.
pub async fn issue_enrol_code(
    db: &Db,
    user: &UserFacts,
    hours: i64,
) -> Result<(String, i64), AdminError> {
    if user.disabled {
        return Err(AdminError::Invalid(format!(
            "{} is disabled: enable the user before enrolling a device",
            user.name
        )));
    }
    if !Role::from_stored(&user.role).is_some_and(Role::may_enrol) {
        return Err(AdminError::Invalid(format!(
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

/// The audit log about a person (`person`: their id) or of a user
/// (`user`: their name), newest first.
pub async fn audit(
    db: &Db,
    person: Option<&str>,
    user: Option<&str>,
    limit: u32,
) -> Result<Vec<AuditEntry>, AdminError> {
    let subject = match (person, user) {
        (Some(person), None) => AuditSubject::Person(
            person
                .trim()
                .parse::<PersonId>()
                .map_err(|_| AdminError::Invalid(format!("not a person id: {person:?}")))?,
        ),
        (None, Some(user)) => AuditSubject::User(db.user_by_name(user.trim()).await?),
        _ => {
            return Err(AdminError::Invalid(
                "give --person ID or --user NAME".into(),
            ));
        }
    };
    Ok(db.audit_log(&subject, None, limit).await?)
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
