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

mod accounts;
mod audit;
mod erasure;
mod feed;
mod office;
mod projections;

pub use accounts::{DeviceAuth, DeviceRow, Grant, LoginUser, UserFacts};
pub use audit::QuarantineEntry;
pub use erasure::ErasureRow;
pub(crate) use erasure::{ErasureWrite, Rewrite, Targets};
pub use feed::{Append, DocMeta, FeedRow, SnapshotRow, StoredDoc};

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use tokio::sync::Mutex;

use odnowa_shared::ids::SpaceId;

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

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
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
            Projection::CaseWork { doc, kind, space, person, figures } => {
                let doc = doc.to_string();
                sqlx::query(
                    "INSERT INTO p_case_notes (doc_id, person_id, kind) VALUES ($1, $2, $3) \
                     ON CONFLICT (doc_id) DO UPDATE SET person_id = excluded.person_id, kind = excluded.kind",
                )
                .bind(&doc)
                .bind(person.to_string())
                .bind(kind.as_str())
                .execute(&mut *$tx)
                .await?;
                match figures {
                    odnowa_shared::projection::CaseFigures::None => {}
                    odnowa_shared::projection::CaseFigures::Programme(p) => {
                        sqlx::query(
                            "INSERT INTO p_programmes (doc_id, person_id, org_id, opened_on, agreed_on, closed_on, outcome) \
                             VALUES ($1, $2, (SELECT org_id FROM spaces WHERE id = $7), $3, $4, $5, $6) \
                             ON CONFLICT (doc_id) DO UPDATE SET person_id = excluded.person_id, \
                             opened_on = excluded.opened_on, agreed_on = excluded.agreed_on, \
                             closed_on = excluded.closed_on, outcome = excluded.outcome",
                        )
                        .bind(&doc)
                        .bind(person.to_string())
                        .bind(p.opened_on.to_string())
                        .bind(p.agreed_on.map(|d| d.to_string()))
                        .bind(p.closed_on.map(|d| d.to_string()))
                        .bind(&p.outcome)
                        .bind(space.to_string())
                        .execute(&mut *$tx)
                        .await?;
                        sqlx::query("DELETE FROM p_programme_reviews WHERE doc_id = $1")
                            .bind(&doc)
                            .execute(&mut *$tx)
                            .await?;
                        for day in &p.reviewed_on {
                            sqlx::query(
                                "INSERT INTO p_programme_reviews (doc_id, reviewed_on) VALUES ($1, $2)",
                            )
                            .bind(&doc)
                            .bind(day.to_string())
                            .execute(&mut *$tx)
                            .await?;
                        }
                    }
                    odnowa_shared::projection::CaseFigures::Referral(r) => {
                        sqlx::query(
                            "INSERT INTO p_referrals (doc_id, person_id, from_org, to_org, institution, service, sent_at, sent_day, accepted_at, declined_at, done_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                             ON CONFLICT (doc_id) DO UPDATE SET person_id = excluded.person_id, \
                             accepted_at = excluded.accepted_at, declined_at = excluded.declined_at, done_at = excluded.done_at",
                        )
                        .bind(&doc)
                        .bind(person.to_string())
                        .bind(r.from_org.to_string())
                        .bind(r.to_org.map(|o| o.to_string()))
                        .bind(&r.institution)
                        .bind(&r.service)
                        .bind(r.sent_at.0)
                        .bind(r.sent_at.warsaw_date().to_string())
                        .bind(r.accepted_at.map(|t| t.0))
                        .bind(r.declined_at.map(|t| t.0))
                        .bind(r.done_at.map(|t| t.0))
                        .execute(&mut *$tx)
                        .await?;
                    }
                }
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
                // Marks are only ever added: insert what is new.
                for other in &p.distinct_from {
                    sqlx::query(
                        "INSERT INTO p_distinct (person_id, other_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    )
                    .bind(p.id.to_string())
                    .bind(other.to_string())
                    .execute(&mut *$tx)
                    .await?;
                }
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
        self.ensure_referral_spaces(now).await?;
        Ok(())
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}
