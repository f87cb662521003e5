//! Storage: SQLite (one file, the default) or PostgreSQL, behind one type.
//!
//! [`Db`] is the narrow interface the rest of the server uses. Both backends
//! run the same SQL text (numbered `$N` parameters, which SQLite accepts
//! too) and decode the same Rust types; the schema differs only in type
//! names (`migrations/server-sqlite`, `migrations/server-postgres`). Every
//! scenario test runs against both.
//!
//! The feed: every accepted change gets the next sequence number of its
//! space in the same transaction that stores it. The number comes from an
//! `UPDATE spaces SET last_seq = ...`, whose row lock makes transactions of
//! one space commit in sequence order, so a reader never sees seq N+1
//! before seq N.

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use tokio::sync::Mutex;

use odnowa_shared::access::{self, Role, SpaceFacts};
use odnowa_shared::ids::{DeviceId, DocId, OrgId, SpaceId, UserId};
use odnowa_shared::office::{AuditEntry, AuditSubject};
use odnowa_shared::projection::Projection;
use odnowa_shared::records::RecordKind;
use odnowa_shared::report::{PersonFact, RecordFact};
use odnowa_shared::sync::ingest::NewChange;
use odnowa_shared::time::Date;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("the document changed meanwhile; load it again")]
    Conflict,
    #[error("the document was erased")]
    Erased,
    #[error("enrolment code refused: {0}")]
    Enrol(EnrolRefusal),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Why an enrolment code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnrolRefusal {
    #[error("no such code")]
    Unknown,
    #[error("the code was already used")]
    Used,
    #[error("the code has expired")]
    Expired,
    #[error("the user of this code is disabled")]
    UserDisabled,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

pub(crate) fn parse<T: FromStr>(what: &str, s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("{what} {s:?}")))
}

/// A connected database.
pub struct Db {
    pub(crate) pool: Pool,
    /// SQLite has one writer: writes queue here instead of failing busy.
    write_gate: Mutex<()>,
}

pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool the database has; the
/// body is compiled once per backend.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match &$db.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

/// Replaces the projection rows of one document inside the transaction
/// `$tx` (see `odnowa_shared::projection` and `0002_projections.sql`): a
/// person's `p_persons` row, or a record's `p_records` row with its
/// services and persons. A record's organisation is its space's;
/// `first_seen_at` stays what the first projection wrote.
macro_rules! project_rows {
    ($tx:ident, $projection:expr, $first_seen:expr) => {{
        match $projection {
            Projection::Nothing => {}
            Projection::CaseNotes { doc, person } => {
                sqlx::query(
                    "INSERT INTO p_case_notes (doc_id, person_id) VALUES ($1, $2) \
                     ON CONFLICT (doc_id) DO UPDATE SET person_id = excluded.person_id",
                )
                .bind(doc.to_string())
                .bind(person.to_string())
                .execute(&mut *$tx)
                .await?;
            }
            Projection::Person(p) => {
                sqlx::query(
                    "INSERT INTO p_persons (id, alias, alias_folded, birth_year, gender, merged_into, created_at, created_day, details_hidden, consent_org) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (id) DO UPDATE SET alias = excluded.alias, alias_folded = excluded.alias_folded, \
                     birth_year = excluded.birth_year, gender = excluded.gender, merged_into = excluded.merged_into, \
                     created_at = excluded.created_at, created_day = excluded.created_day, details_hidden = excluded.details_hidden, \
                     consent_org = excluded.consent_org",
                )
                .bind(p.id.to_string())
                .bind(&p.alias)
                .bind(&p.alias_folded)
                .bind(p.birth_year)
                .bind(&p.gender)
                .bind(p.merged_into.map(|m| m.to_string()))
                .bind(p.created_at.0)
                .bind(p.created_day.to_string())
                .bind(i64::from(p.details_hidden))
                .bind(p.shown_only_to.map(|org| org.map(|o| o.to_string()).unwrap_or_default()))
                .execute(&mut *$tx)
                .await?;
            }
            Projection::Record(r) => {
                let doc = r.doc.to_string();
                let day = r.day.to_string();
                sqlx::query(
                    "INSERT INTO p_records (doc_id, kind, space_id, org_id, site_id, worker_id, at, day, place, anonymous_count, minutes, first_seen_at) \
                     VALUES ($1, $2, $3, (SELECT org_id FROM spaces WHERE id = $3), $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (doc_id) DO UPDATE SET kind = excluded.kind, space_id = excluded.space_id, \
                     org_id = excluded.org_id, site_id = excluded.site_id, worker_id = excluded.worker_id, at = excluded.at, \
                     day = excluded.day, place = excluded.place, anonymous_count = excluded.anonymous_count, \
                     minutes = excluded.minutes",
                )
                .bind(&doc)
                .bind(r.kind.as_str())
                .bind(r.space.to_string())
                .bind(r.site.map(|s| s.to_string()))
                .bind(r.worker.map(|w| w.to_string()))
                .bind(r.at.0)
                .bind(&day)
                .bind(&r.place)
                .bind(r.anonymous_count)
                .bind(r.minutes)
                .bind($first_seen)
                .execute(&mut *$tx)
                .await?;
                sqlx::query("DELETE FROM p_record_services WHERE doc_id = $1")
                    .bind(&doc)
                    .execute(&mut *$tx)
                    .await?;
                for (service, quantity) in &r.services {
                    sqlx::query(
                        "INSERT INTO p_record_services (doc_id, service, quantity, day) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&doc)
                    .bind(service)
                    .bind(*quantity)
                    .bind(&day)
                    .execute(&mut *$tx)
                    .await?;
                }
                sqlx::query("DELETE FROM p_record_persons WHERE doc_id = $1")
                    .bind(&doc)
                    .execute(&mut *$tx)
                    .await?;
                for (person, minutes) in &r.persons {
                    sqlx::query(
                        "INSERT INTO p_record_persons (doc_id, person_id, minutes, day) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&doc)
                    .bind(person.to_string())
                    .bind(*minutes)
                    .bind(&day)
                    .execute(&mut *$tx)
                    .await?;
                }
            }
        }
    }};
}

pub(crate) use on_pool;
pub(crate) use project_rows;

/// A user's access to one space.
pub type Grant = odnowa_shared::protocol::SpaceAccess;

/// What access rules need to know of a user.
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub id: UserId,
    pub name: String,
    /// As stored (`odnowa_shared::access::Role::from_stored`).
    pub role: String,
    pub org: Option<OrgId>,
    pub disabled: bool,
}

/// The device behind a token.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub device: DeviceId,
    pub user: UserId,
    pub revoked: bool,
    pub user_disabled: bool,
}

/// What the server knows of a document without loading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMeta {
    pub space: SpaceId,
    pub kind: RecordKind,
    pub generation: u32,
    pub change_count: u64,
}

/// A document as stored: a snapshot and the changes after it.
#[derive(Debug, Clone)]
pub struct StoredDoc {
    pub meta: DocMeta,
    pub snapshot: Option<Vec<u8>>,
    pub changes: Vec<Vec<u8>>,
}

impl StoredDoc {
    /// The document: its snapshot with the changes after it applied.
    pub fn document(&self) -> Result<automerge::Automerge, StoreError> {
        let mut loaded = match &self.snapshot {
            Some(bytes) => automerge::Automerge::load(bytes)
                .map_err(|e| StoreError::Corrupt(format!("a snapshot: {e}")))?,
            None => automerge::Automerge::new(),
        };
        let changes = self
            .changes
            .iter()
            .map(|bytes| automerge::Change::try_from(bytes.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Corrupt(format!("a stored change: {e}")))?;
        loaded
            .apply_changes(changes)
            .map_err(|e| StoreError::Corrupt(format!("stored changes: {e}")))?;
        Ok(loaded)
    }
}

/// Changes to append to a document and its space's feed.
#[derive(Debug)]
pub struct Append<'a> {
    pub doc: DocId,
    pub space: SpaceId,
    pub kind: RecordKind,
    pub generation: u32,
    /// The change count the caller's copy was loaded at; a different count
    /// in the database means another server appended meanwhile.
    pub expected_change_count: u64,
    pub changes: &'a [NewChange],
    pub device: DeviceId,
    pub user: UserId,
    pub now: i64,
    /// The document's rows after these changes, written in the same
    /// transaction.
    pub projection: &'a Projection,
}

pub use odnowa_shared::sync::pull::{FeedRow, SnapshotRow};

/// A refused push kept for a coordinator.
#[derive(Debug, Clone)]
pub struct QuarantineEntry {
    pub at: i64,
    pub device: Option<DeviceId>,
    pub user: Option<UserId>,
    pub doc: DocId,
    pub space: SpaceId,
    pub kind: String,
    pub code: String,
    pub reason: String,
    pub payload: Vec<u8>,
}

/// A device as listed for administration.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub device: DeviceId,
    pub user_id: UserId,
    /// The user's name.
    pub user: String,
    pub name: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Db {
    /// Connects to `url` (`sqlite:path`, `sqlite::memory:` or
    /// `postgres://…`), runs the migrations and makes sure the registry
    /// space and the feed epoch exist.
    pub async fn open(url: &str) -> Result<Db, StoreError> {
        let pool = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?;
            sqlx::migrate!("../migrations/server-postgres")
                .run(&pool)
                .await?;
            Pool::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                // Deleted content is zeroed, not left in free pages
                // (an erased person's records).
                .pragma("secure_delete", "ON")
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            sqlx::migrate!("../migrations/server-sqlite")
                .run(&pool)
                .await?;
            Pool::Sqlite(pool)
        };
        let db = Db {
            pool,
            write_gate: Mutex::new(()),
        };
        db.init().await?;
        Ok(db)
    }

    /// SQLite has one writer: take the gate before writing. PostgreSQL
    /// serialises through row locks and needs none.
    pub(crate) async fn gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.pool {
            Pool::Sqlite(_) => Some(self.write_gate.lock().await),
            Pool::Postgres(_) => None,
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    async fn init(&self) -> Result<(), StoreError> {
        let epoch = rand::random::<u32>() as i64 + 1;
        let cursor_key: String = rand::random::<[u8; 32]>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let now = chrono::Utc::now().timestamp_millis();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING")
                .bind(epoch.to_string())
                .execute(pool)
                .await?;
            sqlx::query("INSERT INTO meta (key, value) VALUES ('cursor_key', $1) ON CONFLICT (key) DO NOTHING")
                .bind(&cursor_key)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO spaces (id, org_id, name, last_seq, created_at) \
                 VALUES ($1, NULL, 'registry', 0, $2) ON CONFLICT (id) DO NOTHING",
            )
            .bind(SpaceId::REGISTRY.to_string())
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// The feed epoch. It changes when the feed was restored from a backup,
    /// so that devices push everything again and start afresh.
    pub async fn epoch(&self) -> Result<u64, StoreError> {
        let value: String = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'epoch'")
                .fetch_one(pool)
                .await?
        });
        parse("epoch", &value)
    }

    /// The key that seals the cursors handed to devices (`cursor`), made
    /// once with the database and restored with it.
    pub async fn cursor_key(&self) -> Result<Vec<u8>, StoreError> {
        let value: String = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'cursor_key'")
                .fetch_one(pool)
                .await?
        });
        let bytes = (0..value.len())
            .step_by(2)
            .map(|i| {
                value
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .filter(|key| key.len() >= 32)
            .ok_or_else(|| StoreError::Corrupt("meta.cursor_key is not 32 bytes of hex".into()))?;
        Ok(bytes)
    }

    /// Starts a new epoch (after a restore from backup).
    pub async fn bump_epoch(&self) -> Result<u64, StoreError> {
        let epoch = self.epoch().await? + 1;
        on_pool!(self, pool => {
            sqlx::query("UPDATE meta SET value = $1 WHERE key = 'epoch'")
                .bind(epoch.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(epoch)
    }

    // ---- organisations, spaces, users, grants ----

    pub async fn create_org(&self, name: &str, now: i64) -> Result<OrgId, StoreError> {
        let id = OrgId::random();
        let result = on_pool!(self, pool => {
            sqlx::query("INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(id.to_string())
                .bind(name)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        });
        match result {
            Ok(_) => Ok(id),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Duplicate(format!("organisation {name:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn create_space(
        &self,
        org: Option<OrgId>,
        name: &str,
        now: i64,
    ) -> Result<SpaceId, StoreError> {
        let id = SpaceId::random();
        let result = on_pool!(self, pool => {
            sqlx::query("INSERT INTO spaces (id, org_id, name, last_seq, created_at) VALUES ($1, $2, $3, 0, $4)")
                .bind(id.to_string())
                .bind(org.map(|o| o.to_string()))
                .bind(name)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        });
        match result {
            Ok(_) => Ok(id),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Duplicate(format!("space {name:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn create_user(
        &self,
        org: Option<OrgId>,
        name: &str,
        role: &str,
        now: i64,
    ) -> Result<UserId, StoreError> {
        let id = UserId::random();
        let result = on_pool!(self, pool => {
            sqlx::query("INSERT INTO users (id, org_id, name, role, created_at, disabled) VALUES ($1, $2, $3, $4, $5, 0)")
                .bind(id.to_string())
                .bind(org.map(|o| o.to_string()))
                .bind(name)
                .bind(role)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        });
        match result {
            Ok(_) => Ok(id),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Duplicate(format!("user {name:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Gives `user` read (and, with `write`, write) access to `space`.
    pub async fn grant(&self, user: UserId, space: SpaceId, write: bool) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO grants (user_id, space_id, can_write) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, space_id) DO UPDATE SET can_write = excluded.can_write",
            )
            .bind(user.to_string())
            .bind(space.to_string())
            .bind(i64::from(write))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The spaces a device of `user` may read, and which it may write:
    /// the role's rules (`odnowa_shared::access`) over the spaces and the
    /// user's explicit grants. A disabled user, or a role the server does
    /// not know, gets none.
    pub async fn grants(&self, user: UserId) -> Result<Vec<Grant>, StoreError> {
        let Some(who) = self.user_facts(user).await? else {
            return Ok(Vec::new());
        };
        let Some(role) = Role::from_stored(&who.role).filter(|_| !who.disabled) else {
            if !who.disabled {
                tracing::warn!(%user, role = %who.role, "a user with an unknown role reads nothing");
            }
            return Ok(Vec::new());
        };
        let rows: Vec<(String, String, Option<String>, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT s.id, s.name, s.org_id, g.can_write FROM spaces s \
                 LEFT JOIN grants g ON g.space_id = s.id AND g.user_id = $1",
            )
            .bind(user.to_string())
            .fetch_all(pool)
            .await?
        });
        let spaces = rows
            .into_iter()
            .map(|(space, name, org, granted)| {
                Ok(SpaceFacts {
                    space: parse("space id", &space)?,
                    name,
                    org: org.map(|o| parse("org id", &o)).transpose()?,
                    granted: granted.map(|w| w != 0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(access::device_access(role, who.org, &spaces))
    }

    /// A user's role, organisation and whether they are disabled.
    pub async fn user_facts(&self, user: UserId) -> Result<Option<UserFacts>, StoreError> {
        let row: Option<(String, String, Option<String>, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT name, role, org_id, disabled FROM users WHERE id = $1")
                .bind(user.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(name, role, org, disabled)| {
            Ok(UserFacts {
                id: user,
                name,
                role,
                org: org.map(|o| parse("org id", &o)).transpose()?,
                disabled: disabled != 0,
            })
        })
        .transpose()
    }

    /// The name a device was enrolled with.
    pub async fn device_name(&self, device: DeviceId) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT name FROM devices WHERE id = $1")
                .bind(device.to_string())
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The organisation a space belongs to (`Ok(None)`: no such space;
    /// `Some(None)`: a consortium space, the registry among them).
    pub async fn space_org(&self, space: SpaceId) -> Result<Option<Option<OrgId>>, StoreError> {
        let row: Option<(Option<String>,)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT org_id FROM spaces WHERE id = $1")
                .bind(space.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(org,)| org.map(|o| parse("org id", &o)).transpose())
            .transpose()
    }

    /// How many documents `space` holds (for a device's first-sync progress).
    pub async fn space_doc_count(&self, space: SpaceId) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM docs WHERE space_id = $1")
                .bind(space.to_string())
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or_default())
    }

    pub async fn space_exists(&self, space: SpaceId) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM spaces WHERE id = $1")
                .bind(space.to_string())
                .fetch_one(pool)
                .await?
        });
        Ok(n > 0)
    }

    async fn id_by_name(&self, table: &'static str, name: &str) -> Result<String, StoreError> {
        let sql = match table {
            "orgs" => "SELECT id FROM orgs WHERE name = $1",
            "spaces" => "SELECT id FROM spaces WHERE name = $1",
            _ => "SELECT id FROM users WHERE name = $1",
        };
        let id: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar(sql).bind(name).fetch_optional(pool).await?
        });
        id.ok_or_else(|| StoreError::NotFound(format!("{} {name:?}", table.trim_end_matches('s'))))
    }

    pub async fn org_by_name(&self, name: &str) -> Result<OrgId, StoreError> {
        parse("org id", &self.id_by_name("orgs", name).await?)
    }

    pub async fn space_by_name(&self, name: &str) -> Result<SpaceId, StoreError> {
        parse("space id", &self.id_by_name("spaces", name).await?)
    }

    pub async fn user_by_name(&self, name: &str) -> Result<UserId, StoreError> {
        parse("user id", &self.id_by_name("users", name).await?)
    }

    // ---- devices and enrolment ----

    pub async fn create_enrol_code(
        &self,
        user: UserId,
        code_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO enrol_codes (code_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(code_hash)
                .bind(user.to_string())
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Exchanges a one-time code for a new device with `token_hash`, in one
    /// transaction: a code works once.
    pub async fn redeem_enrol_code(
        &self,
        code_hash: &str,
        device: DeviceId,
        device_name: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<(UserId, String), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<(String, i64, Option<i64>, i64, String)> = sqlx::query_as(
                "SELECT c.user_id, c.expires_at, c.used_at, u.disabled, u.name FROM enrol_codes c \
                 JOIN users u ON u.id = c.user_id WHERE c.code_hash = $1",
            )
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let (user, expires_at, used_at, disabled, user_name) =
                row.ok_or(StoreError::Enrol(EnrolRefusal::Unknown))?;
            if used_at.is_some() {
                return Err(StoreError::Enrol(EnrolRefusal::Used));
            }
            if expires_at < now {
                return Err(StoreError::Enrol(EnrolRefusal::Expired));
            }
            if disabled != 0 {
                return Err(StoreError::Enrol(EnrolRefusal::UserDisabled));
            }
            let claimed = sqlx::query(
                "UPDATE enrol_codes SET used_at = $1, device_id = $2 WHERE code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(device.to_string())
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() != 1 {
                return Err(StoreError::Enrol(EnrolRefusal::Used));
            }
            sqlx::query(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(device.to_string())
            .bind(&user)
            .bind(device_name)
            .bind(token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok((parse("user id", &user)?, user_name))
        })
    }

    /// The device a token hash belongs to.
    pub async fn device_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("d.token_hash = $1", token_hash).await
    }

    async fn device_where(
        &self,
        filter: &str,
        value: &str,
    ) -> Result<Option<DeviceAuth>, StoreError> {
        let sql = format!(
            "SELECT d.id, d.user_id, d.revoked_at, u.disabled FROM devices d \
             JOIN users u ON u.id = d.user_id WHERE {filter}"
        );
        let row: Option<(String, String, Option<i64>, i64)> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(value).fetch_optional(pool).await?
        });
        row.map(|(device, user, revoked_at, disabled)| {
            Ok(DeviceAuth {
                device: parse("device id", &device)?,
                user: parse("user id", &user)?,
                revoked: revoked_at.is_some(),
                user_disabled: disabled != 0,
            })
        })
        .transpose()
    }

    pub async fn touch_device(&self, device: DeviceId, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(device.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Revokes a device; returns whether it existed and was not revoked yet.
    pub async fn revoke_device(&self, device: DeviceId, now: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(device.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Disables a user (every device of theirs is refused from then on);
    /// returns whether the user existed and was enabled.
    pub async fn disable_user(&self, user: UserId) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1 AND disabled = 0")
                .bind(user.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Whether a device may still connect (revoked, user disabled).
    pub async fn device_auth(&self, device: DeviceId) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("d.id = $1", &device.to_string()).await
    }

    /// Changes whenever a device is revoked or a user disabled (by any
    /// process on this database): the live connections then check
    /// themselves.
    pub async fn revocation_stamp(&self) -> Result<(i64, i64, i64), StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM devices WHERE revoked_at IS NOT NULL), \
                 (SELECT COALESCE(MAX(revoked_at), 0) FROM devices), \
                 (SELECT COUNT(*) FROM users WHERE disabled = 1)",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// Enrolled devices, oldest first: every one, or (`Some(org)`) those
    /// of one organisation's users.
    pub async fn list_devices(&self, org: Option<OrgId>) -> Result<Vec<DeviceRow>, StoreError> {
        type DeviceTuple = (
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        const SELECT: &str = "SELECT d.id, d.user_id, u.name, d.name, d.created_at, d.last_seen_at, d.revoked_at \
             FROM devices d JOIN users u ON u.id = d.user_id";
        let rows: Vec<DeviceTuple> = match org {
            None => on_pool!(self, pool => {
                sqlx::query_as(&format!("{SELECT} ORDER BY d.created_at"))
                    .fetch_all(pool)
                    .await?
            }),
            Some(org) => on_pool!(self, pool => {
                sqlx::query_as(&format!("{SELECT} WHERE u.org_id = $1 ORDER BY d.created_at"))
                    .bind(org.to_string())
                    .fetch_all(pool)
                    .await?
            }),
        };
        rows.into_iter()
            .map(
                |(device, user_id, user, name, created_at, last_seen_at, revoked_at)| {
                    Ok(DeviceRow {
                        device: parse("device id", &device)?,
                        user_id: parse("user id", &user_id)?,
                        user,
                        name,
                        created_at,
                        last_seen_at,
                        revoked_at,
                    })
                },
            )
            .collect()
    }

    /// The users of an organisation, by name.
    pub async fn org_users(&self, org: OrgId) -> Result<Vec<UserFacts>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, role, disabled FROM users WHERE org_id = $1 ORDER BY name",
            )
            .bind(org.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, name, role, disabled)| {
                Ok(UserFacts {
                    id: parse("user id", &id)?,
                    name,
                    role,
                    org: Some(org),
                    disabled: disabled != 0,
                })
            })
            .collect()
    }

    // ---- documents and feeds ----

    pub async fn doc_meta(&self, doc: DocId) -> Result<Option<DocMeta>, StoreError> {
        let row: Option<(String, String, i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT space_id, kind, generation, change_count FROM docs WHERE id = $1")
                .bind(doc.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(space, kind, generation, change_count)| {
            Ok(DocMeta {
                space: parse("space id", &space)?,
                kind: parse("record kind", &kind)?,
                generation: u32::try_from(generation)
                    .map_err(|_| StoreError::Corrupt("generation".into()))?,
                change_count: u64::try_from(change_count)
                    .map_err(|_| StoreError::Corrupt("change count".into()))?,
            })
        })
        .transpose()
    }

    /// A document's snapshot and the changes after it.
    pub async fn load_doc(&self, doc: DocId) -> Result<Option<StoredDoc>, StoreError> {
        let Some(meta) = self.doc_meta(doc).await? else {
            return Ok(None);
        };
        let (snapshot, changes) = on_pool!(self, pool => {
            let snapshot: Option<(Option<Vec<u8>>, i64)> =
                sqlx::query_as("SELECT snapshot, snapshot_seq FROM docs WHERE id = $1")
                    .bind(doc.to_string())
                    .fetch_optional(pool)
                    .await?;
            let (snapshot, snapshot_seq) = snapshot.unwrap_or((None, 0));
            let changes: Vec<Vec<u8>> =
                sqlx::query_scalar("SELECT bytes FROM changes WHERE doc_id = $1 AND seq > $2 ORDER BY seq")
                    .bind(doc.to_string())
                    .bind(snapshot_seq)
                    .fetch_all(pool)
                    .await?;
            (snapshot, changes)
        });
        Ok(Some(StoredDoc {
            meta,
            snapshot,
            changes,
        }))
    }

    /// Stores new changes of one document and appends them to its space's
    /// feed, in one transaction; also writes the audit log. Returns the
    /// document's new change count.
    pub async fn append(&self, append: Append<'_>) -> Result<u64, StoreError> {
        let count = append.changes.len() as i64;
        let expected = append.expected_change_count as i64;
        let doc = append.doc.to_string();
        let space = append.space.to_string();
        let device = append.device.to_string();
        let user = append.user.to_string();
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Lock the space's feed first: transactions of one space commit
            // in sequence order.
            let last_seq: i64 = sqlx::query_scalar(
                "UPDATE spaces SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq",
            )
            .bind(count)
            .bind(&space)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("space {space}")))?;
            let first_seq = last_seq - count + 1;
            let updated = sqlx::query(
                "UPDATE docs SET change_count = change_count + $1, updated_at = $2 \
                 WHERE id = $3 AND change_count = $4 AND generation = $5",
            )
            .bind(count)
            .bind(append.now)
            .bind(&doc)
            .bind(expected)
            .bind(i64::from(append.generation))
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                if expected != 0 {
                    return Err(StoreError::Conflict);
                }
                // A document an erasure deleted never comes back (another
                // server may not know of the erasure yet).
                let erased: Option<i64> = sqlx::query_scalar("SELECT keep_from FROM erased_docs WHERE doc_id = $1")
                    .bind(&doc)
                    .fetch_optional(&mut *tx)
                    .await?;
                if erased.is_some() {
                    return Err(StoreError::Erased);
                }
                let inserted = sqlx::query(
                    "INSERT INTO docs (id, space_id, kind, generation, change_count, snapshot, snapshot_seq, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, NULL, 0, $6) ON CONFLICT (id) DO NOTHING",
                )
                .bind(&doc)
                .bind(&space)
                .bind(append.kind.as_str())
                .bind(i64::from(append.generation))
                .bind(count)
                .bind(append.now)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Err(StoreError::Conflict);
                }
            }
            for (i, change) in append.changes.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO changes (hash, doc_id, space_id, seq, device_id, bytes, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(change.hash.0.as_slice())
                .bind(&doc)
                .bind(&space)
                .bind(first_seq + i as i64)
                .bind(&device)
                .bind(change.bytes.as_slice())
                .bind(append.now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) \
                     VALUES ($1, $2, $3, $4, 'change', $5)",
                )
                .bind(append.now)
                .bind(&user)
                .bind(&device)
                .bind(&doc)
                .bind(change.hash.to_string())
                .execute(&mut *tx)
                .await?;
            }
            project_rows!(tx, append.projection, append.now);
            tx.commit().await?;
        });
        Ok(append.expected_change_count + append.changes.len() as u64)
    }

    /// Replaces a document's snapshot: `bytes` hold every change of the
    /// document up to feed position `upto_seq`.
    pub async fn save_snapshot(
        &self,
        doc: DocId,
        bytes: &[u8],
        upto_seq: u64,
    ) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            sqlx::query("UPDATE docs SET snapshot = $1, snapshot_seq = $2 WHERE id = $3 AND snapshot_seq <= $2")
                .bind(bytes)
                .bind(upto_seq as i64)
                .bind(doc.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// The highest sequence number of a document's changes.
    pub async fn doc_last_seq(&self, doc: DocId) -> Result<u64, StoreError> {
        let seq: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT MAX(seq) FROM changes WHERE doc_id = $1")
                .bind(doc.to_string())
                .fetch_one(pool)
                .await?
        });
        Ok(seq.unwrap_or(0) as u64)
    }

    /// The last sequence number of a space's feed.
    pub async fn last_seq(&self, space: SpaceId) -> Result<u64, StoreError> {
        let seq: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT last_seq FROM spaces WHERE id = $1")
                .bind(space.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(seq.unwrap_or(0) as u64)
    }

    /// Changes of `space` with `after < seq <= upto`, in feed order,
    /// without those `exclude` pushed itself; at most `limit` rows.
    pub async fn feed(
        &self,
        space: SpaceId,
        after: u64,
        upto: u64,
        exclude: DeviceId,
        limit: u32,
    ) -> Result<Vec<FeedRow>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "SELECT c.seq, c.doc_id, d.kind, d.generation, c.bytes FROM changes c \
                 JOIN docs d ON d.id = c.doc_id \
                 WHERE c.space_id = $1 AND c.seq > $2 AND c.seq <= $3 \
                 AND (c.device_id IS NULL OR c.device_id <> $4) \
                 ORDER BY c.seq LIMIT $5",
            )
            .bind(space.to_string())
            .bind(after as i64)
            .bind(upto as i64)
            .bind(exclude.to_string())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|row| {
                Ok(FeedRow {
                    seq: row.try_get::<i64, _>(0)? as u64,
                    doc: parse("doc id", &row.try_get::<String, _>(1)?)?,
                    kind: parse("record kind", &row.try_get::<String, _>(2)?)?,
                    generation: row.try_get::<i64, _>(3)? as u32,
                    bytes: row.try_get(4)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
        })
    }

    /// Up to `limit` documents of `space` with ids after `after`, each with
    /// its snapshot and the changes after it.
    pub async fn snapshot_page(
        &self,
        space: SpaceId,
        after: Option<DocId>,
        limit: u32,
    ) -> Result<Vec<SnapshotRow>, StoreError> {
        let after = after.map(|d| d.to_string()).unwrap_or_default();
        let (docs, changes) = on_pool!(self, pool => {
            let docs: Vec<(String, String, i64, Option<Vec<u8>>)> = sqlx::query_as(
                "SELECT id, kind, generation, snapshot FROM docs \
                 WHERE space_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(space.to_string())
            .bind(&after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            let changes: Vec<(String, Vec<u8>)> = sqlx::query_as(
                "SELECT c.doc_id, c.bytes FROM changes c JOIN docs d ON d.id = c.doc_id \
                 WHERE c.doc_id IN (SELECT id FROM docs WHERE space_id = $1 AND id > $2 ORDER BY id LIMIT $3) \
                 AND c.seq > d.snapshot_seq ORDER BY c.doc_id, c.seq",
            )
            .bind(space.to_string())
            .bind(&after)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            (docs, changes)
        });
        let mut by_doc: std::collections::HashMap<String, Vec<Vec<u8>>> =
            std::collections::HashMap::new();
        for (doc, bytes) in changes {
            by_doc.entry(doc).or_default().push(bytes);
        }
        docs.into_iter()
            .map(|(doc, kind, generation, snapshot)| {
                let changes = by_doc.remove(&doc).unwrap_or_default();
                Ok(SnapshotRow {
                    doc: parse("doc id", &doc)?,
                    kind: parse("record kind", &kind)?,
                    generation: generation as u32,
                    snapshot,
                    changes,
                })
            })
            .collect()
    }

    // ---- projections ----

    /// Every stored document's id and kind, in id order, after `after`.
    pub async fn doc_ids(
        &self,
        after: Option<DocId>,
        limit: u32,
    ) -> Result<Vec<(DocId, RecordKind)>, StoreError> {
        let after = after.map(|d| d.to_string()).unwrap_or_default();
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, kind FROM docs WHERE id > $1 ORDER BY id LIMIT $2")
                .bind(&after)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, kind)| Ok((parse("doc id", &id)?, parse("record kind", &kind)?)))
            .collect()
    }

    /// Empties the projection tables (before a rebuild).
    pub async fn clear_projections(&self) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for table in ["p_record_services", "p_record_persons", "p_records", "p_case_notes"] {
                sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
            }
            // An erased person's row has no document to be rebuilt from.
            sqlx::query("DELETE FROM p_persons WHERE erased = 0").execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes the projections of several documents in one transaction;
    /// each record's `first_seen_at` is when its first change arrived.
    pub async fn write_projections(
        &self,
        projections: &[(DocId, Projection)],
    ) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (doc, projection) in projections {
                let first_seen: Option<i64> =
                    sqlx::query_scalar("SELECT MIN(received_at) FROM changes WHERE doc_id = $1")
                        .bind(doc.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                project_rows!(tx, projection, first_seen.unwrap_or(0));
            }
            tx.commit().await?;
        });
        Ok(())
    }

    // ---- reports ----

    /// Every projected person, for the report (merges reach outside any
    /// period).
    pub async fn person_facts(&self) -> Result<Vec<PersonFact>, StoreError> {
        type PersonRow = (String, Option<String>, Option<i64>, String, String);
        let rows: Vec<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, merged_into, birth_year, gender, created_day FROM p_persons")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, merged_into, birth_year, gender, created_day)| {
                Ok(PersonFact {
                    id: parse("person id", &id)?,
                    merged_into: merged_into.map(|m| parse("person id", &m)).transpose()?,
                    birth_year,
                    gender,
                    created_day: parse("day", &created_day)?,
                })
            })
            .collect()
    }

    /// The projected records of the days `from..=to` (Warsaw days); with
    /// `services` false their services are left out (counting persons and
    /// hours needs none).
    pub async fn record_facts(
        &self,
        from: Date,
        to: Date,
        services: bool,
    ) -> Result<Vec<RecordFact>, StoreError> {
        let with_services = services;
        type RecordRow = (String, String, Option<String>, i64, i64);
        let (from, to) = (from.to_string(), to.to_string());
        let (records, services, persons) = on_pool!(self, pool => {
            let records: Vec<RecordRow> = sqlx::query_as(
                "SELECT doc_id, day, org_id, anonymous_count, minutes FROM p_records WHERE day >= $1 AND day <= $2",
            )
            .bind(&from)
            .bind(&to)
            .fetch_all(pool)
            .await?;
            let services: Vec<(String, String)> = if with_services {
                sqlx::query_as(
                    "SELECT doc_id, service FROM p_record_services WHERE day >= $1 AND day <= $2",
                )
                .bind(&from)
                .bind(&to)
                .fetch_all(pool)
                .await?
            } else {
                Vec::new()
            };
            let persons: Vec<(String, String)> = sqlx::query_as(
                "SELECT doc_id, person_id FROM p_record_persons WHERE day >= $1 AND day <= $2",
            )
            .bind(&from)
            .bind(&to)
            .fetch_all(pool)
            .await?;
            (records, services, persons)
        });
        let mut by_doc: std::collections::HashMap<String, RecordFact> =
            std::collections::HashMap::with_capacity(records.len());
        for (doc, day, org, anonymous, minutes) in records {
            let fact = RecordFact {
                doc: parse("doc id", &doc)?,
                day: parse("day", &day)?,
                org: org.map(|o| parse("org id", &o)).transpose()?,
                services: Vec::new(),
                persons: Vec::new(),
                anonymous,
                minutes,
            };
            by_doc.insert(doc, fact);
        }
        for (doc, service) in services {
            if let Some(fact) = by_doc.get_mut(&doc) {
                fact.services.push(service);
            }
        }
        for (doc, person) in persons {
            if let Some(fact) = by_doc.get_mut(&doc) {
                fact.persons.push(parse("person id", &person)?);
            }
        }
        Ok(by_doc.into_values().collect())
    }

    /// Member organisations by id, with their names.
    pub async fn org_names(&self) -> Result<Vec<(OrgId, String)>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, name FROM orgs ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter()
            .map(|(id, name)| Ok((parse("org id", &id)?, name)))
            .collect()
    }

    /// A frozen report: when, by whom, the figures as JSON.
    pub async fn frozen_report(
        &self,
        period: &str,
    ) -> Result<Option<(i64, String, String)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT frozen_at, frozen_by, figures FROM frozen_reports WHERE period = $1")
                .bind(period)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Keeps a report's figures as submitted; `false` when the period was
    /// already frozen (the first figures stay).
    pub async fn freeze_report(
        &self,
        period: &str,
        at: i64,
        by: &str,
        figures: &str,
    ) -> Result<bool, StoreError> {
        let _gate = self.gate().await;
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO frozen_reports (period, frozen_at, frozen_by, figures) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (period) DO NOTHING",
            )
            .bind(period)
            .bind(at)
            .bind(by)
            .bind(figures)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    // ---- quarantine and audit ----

    pub async fn quarantine(&self, entry: &QuarantineEntry) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO quarantine (at, device_id, user_id, doc_id, space_id, kind, code, reason, payload) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(entry.at)
            .bind(entry.device.map(|d| d.to_string()))
            .bind(entry.user.map(|u| u.to_string()))
            .bind(entry.doc.to_string())
            .bind(entry.space.to_string())
            .bind(&entry.kind)
            .bind(&entry.code)
            .bind(&entry.reason)
            .bind(entry.payload.as_slice())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The newest quarantined pushes, newest first.
    pub async fn list_quarantine(&self, limit: u32) -> Result<Vec<QuarantineEntry>, StoreError> {
        self.quarantine_of(None, limit).await
    }

    /// Refused pushes, newest first: all, or (`Some(org)`) those sent by
    /// users of one organisation.
    pub async fn quarantine_of(
        &self,
        org: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<QuarantineEntry>, StoreError> {
        let scope = if org.is_some() {
            "WHERE user_id IN (SELECT id FROM users WHERE org_id = $2)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT at, device_id, user_id, doc_id, space_id, kind, code, reason, payload \
             FROM quarantine {scope} ORDER BY id DESC LIMIT $1"
        );
        #[allow(clippy::type_complexity)]
        let rows: Vec<(
            i64,
            Option<String>,
            Option<String>,
            String,
            String,
            String,
            String,
            String,
            Vec<u8>,
        )> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(i64::from(limit));
            if let Some(org) = org {
                query = query.bind(org.to_string());
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(at, device, user, doc, space, kind, code, reason, payload)| {
                    Ok(QuarantineEntry {
                        at,
                        device: device.map(|d| parse("device id", &d)).transpose()?,
                        user: user.map(|u| parse("user id", &u)).transpose()?,
                        doc: parse("doc id", &doc)?,
                        space: parse("space id", &space)?,
                        kind,
                        code,
                        reason,
                        payload,
                    })
                },
            )
            .collect()
    }

    /// How many changes the server holds (all spaces).
    pub async fn change_count(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM changes").fetch_one(pool).await?
        });
        Ok(n as u64)
    }

    /// Audit entries of one document, oldest first: (at, user, device, action, detail).
    /// Writes the reads a device reported (`device_read`), received `now`;
    /// the device's own time of each read goes into the detail.
    pub async fn audit_device_reads(
        &self,
        user: UserId,
        device: DeviceId,
        readable: &[SpaceId],
        reads: &[odnowa_shared::protocol::ReadReport],
        now: i64,
    ) -> Result<usize, StoreError> {
        let readable: Vec<String> = readable.iter().map(|s| s.to_string()).collect();
        let mut ignored = 0;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let enrolled: Option<i64> =
                sqlx::query_scalar("SELECT created_at FROM devices WHERE id = $1")
                    .bind(device.to_string())
                    .fetch_optional(&mut *tx)
                    .await?;
            let enrolled = enrolled.unwrap_or(now);
            for read in reads {
                // A read is the device's word: only of a record it may
                // read, and at a time between its enrolment and this
                // request (a clock that is off is brought inside).
                let space: Option<String> =
                    sqlx::query_scalar("SELECT space_id FROM docs WHERE id = $1")
                        .bind(read.doc.to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                if !space.is_some_and(|space| readable.contains(&space)) {
                    ignored += 1;
                    continue;
                }
                let at = odnowa_shared::time::Timestamp(read.at.0.clamp(enrolled.min(now), now));
                sqlx::query(
                    "INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) \
                     VALUES ($1, $2, $3, $4, 'device_read', $5)",
                )
                .bind(now)
                .bind(user.to_string())
                .bind(device.to_string())
                .bind(read.doc.to_string())
                .bind(format!("opened on the device at {}", at.warsaw_rfc3339()))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(ignored)
    }

    /// The audit log about one person (their registry entry, records naming
    /// them, their case notes) or by one user, newest first, at most
    /// `limit` rows; with `org`, only what users of that organisation did.
    pub async fn audit_log(
        &self,
        of: &AuditSubject,
        org: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        const SELECT: &str = "SELECT a.at, a.user_id, u.name, a.device_id, d.name, a.doc_id, a.action, a.detail \
             FROM audit a LEFT JOIN users u ON u.id = a.user_id LEFT JOIN devices d ON d.id = a.device_id";
        let (filter, id) = match of {
            AuditSubject::Person(person) => (
                "(a.doc_id = $1 OR a.doc_id IN (SELECT doc_id FROM p_record_persons WHERE person_id = $2) \
                 OR a.doc_id IN (SELECT doc_id FROM p_case_notes WHERE person_id = $2))",
                (person.doc_id().to_string(), person.to_string()),
            ),
            AuditSubject::User(user) => (
                "(a.user_id = $1 AND $2 = $2)",
                (user.to_string(), String::new()),
            ),
        };
        let scope = if org.is_some() {
            " AND u.org_id = $4"
        } else {
            ""
        };
        let sql = format!("{SELECT} WHERE {filter}{scope} ORDER BY a.id DESC LIMIT $3");
        type Row = (
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
            String,
        );
        let rows: Vec<Row> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(&id.0).bind(&id.1).bind(i64::from(limit));
            if let Some(org) = org {
                query = query.bind(org.to_string());
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(at, user, user_name, device, device_name, doc, action, detail)| {
                    Ok(AuditEntry {
                        at: odnowa_shared::time::Timestamp(at),
                        user: user.map(|u| parse("user id", &u)).transpose()?,
                        user_name,
                        device: device.map(|d| parse("device id", &d)).transpose()?,
                        device_name,
                        doc: doc.map(|d| parse("doc id", &d)).transpose()?,
                        action,
                        detail,
                    })
                },
            )
            .collect()
    }

    pub async fn audit_of_doc(
        &self,
        doc: DocId,
    ) -> Result<Vec<(i64, Option<String>, Option<String>, String, String)>, StoreError> {
        let rows = on_pool!(self, pool => {
            sqlx::query_as("SELECT at, user_id, device_id, action, detail FROM audit WHERE doc_id = $1 ORDER BY id")
                .bind(doc.to_string())
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }
}
