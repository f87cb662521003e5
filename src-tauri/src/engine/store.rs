//! The local replica in SQLite: documents, what the server confirmed,
//! cursors, spaces, enrolment. WAL with `synchronous = FULL`: a save
//! returns only once it is on disk.

use std::str::FromStr;

use automerge::ChangeHash;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use odnowa_shared::ids::{DocId, SpaceId};
use odnowa_shared::protocol::{SnapshotPhase, SpaceAccess, SpaceCursor};
use odnowa_shared::records::RecordKind;

use super::error::{EngineError, Result};

/// A document row.
#[derive(Debug, Clone)]
pub struct DocRow {
    pub id: DocId,
    pub space: SpaceId,
    pub kind: RecordKind,
    pub generation: u32,
    pub bytes: Vec<u8>,
    pub confirmed: Vec<ChangeHash>,
    pub dirty: bool,
    pub refused: Option<String>,
}

/// The local database.
#[derive(Clone)]
pub struct LocalStore {
    pool: SqlitePool,
}

fn parse<T: FromStr>(what: &str, s: &str) -> Result<T> {
    s.parse()
        .map_err(|_| EngineError::Corrupt(format!("{what} {s:?}")))
}

fn encode_hashes(hashes: &[ChangeHash]) -> String {
    hashes
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_hashes(text: &str) -> Result<Vec<ChangeHash>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| parse("change hash", s))
        .collect()
}

type DocTuple = (
    String,
    String,
    String,
    i64,
    Vec<u8>,
    String,
    i64,
    Option<String>,
);

fn doc_row(t: DocTuple) -> Result<DocRow> {
    let (id, space, kind, generation, bytes, confirmed, dirty, refused) = t;
    Ok(DocRow {
        id: parse("doc id", &id)?,
        space: parse("space id", &space)?,
        kind: parse("kind", &kind)?,
        generation: u32::try_from(generation)
            .map_err(|_| EngineError::Corrupt("generation".into()))?,
        bytes,
        confirmed: decode_hashes(&confirmed)?,
        dirty: dirty != 0,
        refused,
    })
}

const DOC_COLUMNS: &str = "id, space, kind, generation, bytes, confirmed, dirty, refused";

impl LocalStore {
    /// Opens (creating) the database file at `path`.
    pub async fn open(path: &std::path::Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/device-sqlite")
            .run(&pool)
            .await?;
        Ok(LocalStore { pool })
    }

    /// Closes the database.
    pub async fn close(&self) {
        self.pool.close().await
    }

    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin().await?)
    }

    /// Writes a document row (inside `tx`).
    pub async fn put_doc(
        tx: &mut Transaction<'static, Sqlite>,
        row: &DocRow,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO docs (id, space, kind, generation, bytes, confirmed, dirty, refused, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, bytes = excluded.bytes, \
             confirmed = excluded.confirmed, dirty = excluded.dirty, refused = excluded.refused, \
             updated_at = excluded.updated_at",
        )
        .bind(row.id.to_string())
        .bind(row.space.to_string())
        .bind(row.kind.as_str())
        .bind(i64::from(row.generation))
        .bind(row.bytes.as_slice())
        .bind(encode_hashes(&row.confirmed))
        .bind(i64::from(row.dirty))
        .bind(row.refused.as_deref())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn doc(&self, id: DocId) -> Result<Option<DocRow>> {
        let row: Option<DocTuple> =
            sqlx::query_as(&format!("SELECT {DOC_COLUMNS} FROM docs WHERE id = $1"))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(doc_row).transpose()
    }

    /// Every document of a kind.
    pub async fn docs_of_kind(&self, kind: RecordKind) -> Result<Vec<DocRow>> {
        let rows: Vec<DocTuple> =
            sqlx::query_as(&format!("SELECT {DOC_COLUMNS} FROM docs WHERE kind = $1"))
                .bind(kind.as_str())
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(doc_row).collect()
    }

    /// Documents with changes the server has not confirmed, not refused.
    pub async fn dirty_docs(&self) -> Result<Vec<DocRow>> {
        let rows: Vec<DocTuple> = sqlx::query_as(&format!(
            "SELECT {DOC_COLUMNS} FROM docs WHERE dirty = 1 AND refused IS NULL ORDER BY updated_at"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(doc_row).collect()
    }

    /// How many documents wait for the server, and how many were refused.
    pub async fn pending_counts(&self) -> Result<(u64, u64)> {
        let (pending, refused): (i64, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN refused IS NULL THEN dirty ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN refused IS NULL THEN 0 ELSE 1 END), 0) FROM docs",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((pending as u64, refused as u64))
    }

    pub async fn doc_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM docs")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// Marks every document of `space` as unconfirmed (the server's feed
    /// was restored: push everything again).
    pub async fn unconfirm_space(
        tx: &mut Transaction<'static, Sqlite>,
        space: SpaceId,
    ) -> Result<()> {
        sqlx::query("UPDATE docs SET confirmed = '', dirty = 1, refused = NULL WHERE space = $1")
            .bind(space.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn cursors(&self) -> Result<Vec<SpaceCursor>> {
        type CursorTuple = (String, i64, i64, Option<String>, Option<i64>);
        let rows: Vec<CursorTuple> = sqlx::query_as(
            "SELECT space, epoch, seq, snapshot_after, snapshot_upto FROM cursors ORDER BY space",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(space, epoch, seq, after, upto)| {
                Ok(SpaceCursor {
                    space: parse("space id", &space)?,
                    epoch: epoch as u64,
                    seq: seq as u64,
                    snapshot: match upto {
                        Some(upto) => Some(SnapshotPhase {
                            after: after.map(|a| parse("doc id", &a)).transpose()?,
                            upto: upto as u64,
                        }),
                        None => None,
                    },
                })
            })
            .collect()
    }

    /// Replaces the cursors and the readable spaces (inside `tx`).
    pub async fn put_cursors(
        tx: &mut Transaction<'static, Sqlite>,
        cursors: &[SpaceCursor],
        spaces: &[SpaceAccess],
    ) -> Result<()> {
        sqlx::query("DELETE FROM cursors")
            .execute(&mut **tx)
            .await?;
        for cursor in cursors {
            sqlx::query(
                "INSERT INTO cursors (space, epoch, seq, snapshot_after, snapshot_upto) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(cursor.space.to_string())
            .bind(cursor.epoch as i64)
            .bind(cursor.seq as i64)
            .bind(
                cursor
                    .snapshot
                    .as_ref()
                    .and_then(|p| p.after.map(|a| a.to_string())),
            )
            .bind(cursor.snapshot.as_ref().map(|p| p.upto as i64))
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query("DELETE FROM spaces").execute(&mut **tx).await?;
        for space in spaces {
            sqlx::query("INSERT INTO spaces (space, name, can_write) VALUES ($1, $2, $3)")
                .bind(space.space.to_string())
                .bind(&space.name)
                .bind(i64::from(space.write))
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The spaces this device may read, as the server last said.
    pub async fn spaces(&self) -> Result<Vec<SpaceAccess>> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT space, name, can_write FROM spaces ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(space, name, write)| {
                Ok(SpaceAccess {
                    space: parse("space id", &space)?,
                    name,
                    write: write != 0,
                })
            })
            .collect()
    }
}
