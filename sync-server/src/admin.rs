//! Administration: what the `admin` subcommands of the CLI do besides
//! accounts and enrolment ([`crate::accounts`]): members, spaces, the
//! catalogue, the audit log and the quarantine. Each function takes names
//! as a person types them and answers with what was made, or a clear
//! error.

use odnowa_shared::ids::{OrgId, PersonId, SpaceId};
use odnowa_shared::office::{AuditEntry, AuditSubject};

use odnowa_shared::office::{ServiceEdit, SiteEdit};
use odnowa_shared::records::Catalogue;

use crate::accounts::AccountError;
use crate::exchange::SyncService;
use crate::store::{Db, QuarantineEntry, StoreError};
use crate::writer::{OfficeAuthor, WriteError};

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

/// The audit log about a person (`person`: their id) or of a user
/// (`user`: their name), newest first.
pub async fn audit(
    db: &Db,
    person: Option<&str>,
    user: Option<&str>,
    limit: u32,
) -> Result<Vec<AuditEntry>, AccountError> {
    let subject = match (person, user) {
        (Some(person), None) => AuditSubject::Person(
            person
                .trim()
                .parse::<PersonId>()
                .map_err(|_| AccountError::Invalid(format!("not a person id: {person:?}")))?,
        ),
        (None, Some(user)) => AuditSubject::User(db.user_by_name(user.trim()).await?),
        _ => {
            return Err(AccountError::Invalid(
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
