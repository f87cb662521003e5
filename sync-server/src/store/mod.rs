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
mod notify;
mod office;
mod projections;
mod reader;

pub use accounts::{DeviceAuth, DeviceRow, Grant, LoginUser, PeerFacts, UserFacts};
pub use audit::QuarantineEntry;
pub use erasure::{ErasureRow, Visibility};
pub(crate) use erasure::{ErasureWrite, Rewrite, Targets};
pub use feed::{Append, Appended, DocMeta, FeedRow, SnapshotRow, StoredDoc};
pub use notify::{CHANNEL as NOTIFY_CHANNEL, Notice};
pub use reader::Reader;

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
    /// The database could not be used for a group of appends: what each
    /// exchange of the group is told.
    #[error("the database cannot be used now: {0:?}")]
    Unavailable(Outage),
    /// The write was given up before it was made: the server is stopping
    /// (or a bug stopped the writer). Nothing was stored; the device sends
    /// it again.
    #[error("the write was interrupted before it was stored")]
    Interrupted,
}

/// Why the server cannot store or read anything now, whoever asks: a
/// passing condition a device waits out (it keeps its records and tries
/// again), not an error in what it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// The database's disk is full (SQLite: `SQLITE_FULL`; PostgreSQL:
    /// `53100 disk_full`) or cannot be written (SQLite: an I/O error).
    StorageFull,
    /// The database does not answer: the pool found no connection in
    /// time, a connection broke, or PostgreSQL is shutting down or
    /// refuses connections.
    DatabaseUnreachable,
    /// Other writers (another server instance, another device) kept
    /// changing the same documents while this push was retried: it is
    /// sent again a little later, as after any outage.
    Contended,
}

impl StoreError {
    /// The outage this error shows, if it is one.
    pub fn outage(&self) -> Option<Outage> {
        let e = match self {
            StoreError::Sqlx(e) => e,
            // Still after the retries (`SyncService::ingest_push`).
            StoreError::Conflict => return Some(Outage::Contended),
            StoreError::Unavailable(outage) => return Some(*outage),
            StoreError::Interrupted => return Some(Outage::DatabaseUnreachable),
            _ => return None,
        };
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Some(Outage::DatabaseUnreachable),
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // SQLite's extended result code: the primary code is
                    // its low byte (13 full, 10 an I/O error).
                    let primary = code.parse::<i64>().ok()? & 0xff;
                    return matches!(primary, 10 | 13).then_some(Outage::StorageFull);
                }
                match code.as_ref() {
                    "53100" => Some(Outage::StorageFull),
                    "57P01" | "57P02" | "57P03" => Some(Outage::DatabaseUnreachable),
                    c if c.starts_with("08") || c.starts_with("53") => {
                        Some(Outage::DatabaseUnreachable)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
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

/// A transaction PostgreSQL aborted because another held what it needed
/// (a deadlock, or a serialization failure) as [`StoreError::Conflict`]:
/// the caller loads again and retries, as after any concurrent append.
pub(crate) fn contention_as_conflict(e: StoreError) -> StoreError {
    match &e {
        StoreError::Sqlx(sqlx::Error::Database(db))
            if matches!(db.code().as_deref(), Some("40P01" | "40001")) =>
        {
            StoreError::Conflict
        }
        _ => e,
    }
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
    /// This server among others on the same database (`notify`).
    instance: u64,
    /// Turns true when the database is closed: listening stops.
    closing: tokio::sync::watch::Sender<bool>,
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

/// A query builder of the backend `$tx` is a transaction of (the same
/// SQL text runs on both; the builder numbers the parameters).
pub(crate) fn builder_of<'args, DB: sqlx::Database>(
    _tx: &sqlx::Transaction<'_, DB>,
    sql: &str,
) -> sqlx::QueryBuilder<'args, DB> {
    sqlx::QueryBuilder::new(sql)
}

/// A query builder of the backend of `_pool`.
pub(crate) fn builder_on<'args, DB: sqlx::Database>(
    _pool: &sqlx::Pool<DB>,
    sql: &str,
) -> sqlx::QueryBuilder<'args, DB> {
    sqlx::QueryBuilder::new(sql)
}

/// Binds `ids` as the list of an `IN (` the query ends with, and closes it.
pub(crate) fn push_ids<'args, DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<'args, DB>,
    ids: impl IntoIterator<Item = String>,
) where
    String: sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(id);
    }
    q.push(")");
}

/// Rows of one multi-row statement: well under SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters for the widest row (twelve).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// Replaces the projection rows of documents inside the transaction `$tx`
/// (see `odnowa_shared::projection` and `0002_projections.sql`): a
/// person's `p_persons` row, or a record's `p_records` row with its
/// services and persons; `$items` yields `(&Projection, first_seen_at)`,
/// each document at most once. Persons and records go in multi-row
/// statements (a bulk upload writes thousands in one transaction); case
/// work, which comes one record at a time, row by row. A record's
/// organisation is its space's; `first_seen_at` stays what the first
/// projection wrote.
macro_rules! project_rows {
    ($tx:ident, $items:expr) => {{
        let mut persons: Vec<&odnowa_shared::projection::PersonRow> = Vec::new();
        // A record's first seen time, and whether it is new (no rows of
        // its own in the tables of its services and persons yet).
        let mut records: Vec<(&odnowa_shared::projection::RecordRow, i64, bool)> = Vec::new();
        for (projection, first_seen, fresh) in $items {
            let projection: &Projection = projection;
            let first_seen: i64 = first_seen;
            let fresh: bool = fresh;
            match projection {
            Projection::Nothing => {}
            Projection::Person(p) => persons.push(p),
            Projection::Record(r) => records.push((r, first_seen, fresh)),
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
            }
        }
        for chunk in persons.chunks($crate::store::ROWS_PER_STATEMENT) {
            let mut q = $crate::store::builder_of(&$tx,
                "INSERT INTO p_persons (id, alias, alias_folded, birth_year, gender, merged_into, created_at, created_day, details_hidden, consent_org) ");
            q.push_values(chunk, |mut row, p| {
                row.push_bind(p.id.to_string())
                    .push_bind(p.alias.clone())
                    .push_bind(p.alias_folded.clone())
                    .push_bind(p.birth_year)
                    .push_bind(p.gender.clone())
                    .push_bind(p.merged_into.map(|m| m.to_string()))
                    .push_bind(p.created_at.0)
                    .push_bind(p.created_day.to_string())
                    .push_bind(i64::from(p.details_hidden))
                    .push_bind(p.shown_only_to.map(|org| org.map(|o| o.to_string()).unwrap_or_default()));
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET alias = excluded.alias, alias_folded = excluded.alias_folded, \
                 birth_year = excluded.birth_year, gender = excluded.gender, merged_into = excluded.merged_into, \
                 created_at = excluded.created_at, created_day = excluded.created_day, details_hidden = excluded.details_hidden, \
                 consent_org = excluded.consent_org",
            );
            q.build().execute(&mut *$tx).await?;
        }
        // Marks are only ever added: insert what is new.
        let marks: Vec<(String, String)> = persons
            .iter()
            .flat_map(|p| p.distinct_from.iter().map(|other| (p.id.to_string(), other.to_string())))
            .collect();
        for chunk in marks.chunks($crate::store::ROWS_PER_STATEMENT) {
            let mut q = $crate::store::builder_of(&$tx, "INSERT INTO p_distinct (person_id, other_id) ");
            q.push_values(chunk, |mut row, (person, other)| {
                row.push_bind(person.clone()).push_bind(other.clone());
            });
            q.push(" ON CONFLICT DO NOTHING");
            q.build().execute(&mut *$tx).await?;
        }
        for chunk in records.chunks($crate::store::ROWS_PER_STATEMENT) {
            let mut q = $crate::store::builder_of(&$tx,
                "INSERT INTO p_records (doc_id, kind, space_id, org_id, site_id, worker_id, at, day, place, anonymous_count, minutes, first_seen_at) ");
            q.push_values(chunk, |mut row, (r, first_seen, _)| {
                row.push_bind(r.doc.to_string())
                    .push_bind(r.kind.as_str())
                    .push_bind(r.space.to_string())
                    .push("(SELECT org_id FROM spaces WHERE id = ")
                    .push_bind_unseparated(r.space.to_string())
                    .push_unseparated(")")
                    .push_bind(r.site.map(|s| s.to_string()))
                    .push_bind(r.worker.map(|w| w.to_string()))
                    .push_bind(r.at.0)
                    .push_bind(r.day.to_string())
                    .push_bind(r.place.clone())
                    .push_bind(r.anonymous_count)
                    .push_bind(r.minutes)
                    .push_bind(*first_seen);
            });
            q.push(
                " ON CONFLICT (doc_id) DO UPDATE SET kind = excluded.kind, space_id = excluded.space_id, \
                 org_id = excluded.org_id, site_id = excluded.site_id, worker_id = excluded.worker_id, at = excluded.at, \
                 day = excluded.day, place = excluded.place, anonymous_count = excluded.anonymous_count, \
                 minutes = excluded.minutes",
            );
            q.build().execute(&mut *$tx).await?;
            // A changed record's rows are written anew; a new one has none.
            let changed: Vec<String> = chunk
                .iter()
                .filter(|(_, _, fresh)| !fresh)
                .map(|(r, _, _)| r.doc.to_string())
                .collect();
            for table in ["p_record_services", "p_record_persons"] {
                if changed.is_empty() {
                    break;
                }
                let mut q = $crate::store::builder_of(&$tx, "DELETE FROM ");
                q.push(table).push(" WHERE doc_id IN (");
                $crate::store::push_ids(&mut q, changed.iter().cloned());
                q.build().execute(&mut *$tx).await?;
            }
            let services: Vec<(String, &str, i64, String)> = chunk
                .iter()
                .flat_map(|(r, _, _)| {
                    r.services
                        .iter()
                        .map(|(service, quantity)| (r.doc.to_string(), service.as_str(), *quantity, r.day.to_string()))
                })
                .collect();
            for rows in services.chunks($crate::store::ROWS_PER_STATEMENT) {
                let mut q = $crate::store::builder_of(&$tx,
                    "INSERT INTO p_record_services (doc_id, service, quantity, day) ");
                q.push_values(rows, |mut row, (doc, service, quantity, day)| {
                    row.push_bind(doc.clone()).push_bind(*service).push_bind(*quantity).push_bind(day.clone());
                });
                q.build().execute(&mut *$tx).await?;
            }
            let named: Vec<(String, String, i64, String)> = chunk
                .iter()
                .flat_map(|(r, _, _)| {
                    r.persons
                        .iter()
                        .map(|(person, minutes)| (r.doc.to_string(), person.to_string(), *minutes, r.day.to_string()))
                })
                .collect();
            for rows in named.chunks($crate::store::ROWS_PER_STATEMENT) {
                let mut q = $crate::store::builder_of(&$tx,
                    "INSERT INTO p_record_persons (doc_id, person_id, minutes, day) ");
                q.push_values(rows, |mut row, (doc, person, minutes, day)| {
                    row.push_bind(doc.clone()).push_bind(person.clone()).push_bind(*minutes).push_bind(day.clone());
                });
                q.build().execute(&mut *$tx).await?;
            }
        }
    }};
}

/// Sends the payloads of [`Db::notices`] inside the transaction `$tx`:
/// PostgreSQL delivers them when it commits.
macro_rules! notify_in {
    ($tx:ident, $notices:expr) => {
        let notices: &[String] = $notices;
        // One statement, the notices in order.
        for chunk in notices.chunks($crate::store::ROWS_PER_STATEMENT) {
            let mut q = $crate::store::builder_of(&$tx, "SELECT pg_notify(");
            q.push_bind($crate::store::NOTIFY_CHANNEL)
                .push(", column1) FROM (");
            q.push_values(chunk, |mut row, notice| {
                row.push_bind(notice.as_str());
            });
            q.push(") AS v");
            q.build().execute(&mut *$tx).await?;
        }
    };
}

pub(crate) use notify_in;
pub(crate) use on_pool;
pub(crate) use project_rows;

impl Db {
    /// Connects to `url` (`sqlite:path`, `sqlite::memory:` or
    /// `postgres://…`), runs the migrations and makes sure the registry
    /// space and the feed epoch exist.
    pub async fn open(url: &str) -> Result<Db, StoreError> {
        let pool = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // sqlx pings a connection when it goes back to the pool; a
            // second ping when it is taken out would make every query
            // three round trips (a broken one fails its query instead).
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .test_before_acquire(false)
                // While the database does not answer, a request waits this
                // long for a connection and is then answered "unavailable"
                // (the device keeps its records and tries again), instead
                // of sqlx's 30 s.
                .acquire_timeout(std::time::Duration::from_secs(10))
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
                .test_before_acquire(false)
                // A full disk or an I/O error can make SQLite roll a
                // transaction back by itself. sqlx does not notice (its
                // count of open transactions stays up), so that
                // connection's next transaction is a savepoint, and a
                // rollback to a savepoint leaves a transaction open: the
                // write lock held and an old snapshot read until the
                // connection closes (tests/tests/outage.rs found both). A
                // connection that comes back still inside a transaction is
                // closed; the pool opens a fresh one.
                .after_release(|conn, _| {
                    Box::pin(async move {
                        if sqlx::query("BEGIN").execute(&mut *conn).await.is_err() {
                            tracing::warn!(
                                "a database connection came back inside a transaction: closed"
                            );
                            return Ok(false);
                        }
                        sqlx::query("ROLLBACK").execute(&mut *conn).await?;
                        Ok(true)
                    })
                })
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
            instance: rand::random(),
            closing: tokio::sync::watch::channel(false).0,
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

    /// The payloads that tell the other servers on this PostgreSQL
    /// database that `spaces` changed (by whom; whether the catalogue did),
    /// sent with `pg_notify` inside the transaction that changes them so
    /// that they arrive when it commits; none on SQLite.
    /// Each with the changes of its range when the notice may carry them
    /// (see [`notify::payload`]).
    pub(crate) fn notices<'a>(
        &self,
        told: impl IntoIterator<Item = (notify::Told, Vec<notify::Carried<'a>>)>,
    ) -> Vec<String> {
        match self.pool {
            Pool::Postgres(_) => told
                .into_iter()
                .map(|(told, carried)| notify::payload(self.instance, told, &carried))
                .collect(),
            Pool::Sqlite(_) => Vec::new(),
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
        self.closing.send_replace(true);
        on_pool!(self, pool => pool.close().await)
    }
}
