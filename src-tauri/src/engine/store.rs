//! The local replica in SQLite: documents, what the server confirmed,
//! cursors, spaces, enrolment. WAL with `synchronous = FULL`: a save
//! returns only once it is on disk. `secure_delete`: freed pages are
//! overwritten, so a wipe leaves nothing behind. The write-ahead log is
//! copied back into the file by a task of the store's own once writes
//! pause ([`checkpointer`]), never inside a save's commit.
//!
//! Record bytes, refusal reasons and secrets are sealed with the data key
//! ([`super::vault`]) on the way in and opened on the way out; without the
//! key (locked) they can be neither read nor written.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

use automerge::ChangeHash;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use odnowa_shared::api::Waiting;
use odnowa_shared::ids::{DocId, SpaceId};
use odnowa_shared::protocol::{ReadReport, SnapshotPhase, SpaceAccess, SpaceCursor};
use odnowa_shared::records::RecordKind;

use super::error::{EngineError, Result};
use super::vault::{DataKey, KdfParams, Keyring};

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
    /// The data key while unlocked.
    key: Arc<RwLock<Option<Arc<DataKey>>>>,
    /// Which documents were written, for the decoded views below.
    journal: Arc<std::sync::Mutex<Journal>>,
    /// Records decoded once and kept while the key is held, per kind and
    /// type: a list or a search reads again only what was written since.
    views: Arc<tokio::sync::Mutex<HashMap<(RecordKind, TypeId), View>>>,
    /// Indexes built over a view (the persons as shown, by id), kept while
    /// that view is unchanged; dropped with the views.
    derived: Arc<std::sync::Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
    /// Tells the [`checkpointer`] that the log grew; it stops once every
    /// clone of the store is gone.
    wrote: tokio::sync::mpsc::Sender<()>,
}

/// One index over a view: the view it was built from, what else it
/// depends on, and the index.
type Derived<T, K, D> = (ViewDocs<T>, K, Arc<D>);

/// Documents written since the store opened, newest last. A view that is
/// older than `floor` reads its kind again whole.
#[derive(Default)]
struct Journal {
    seq: u64,
    log: VecDeque<(u64, DocId, Option<RecordKind>)>,
    floor: u64,
}

/// How many writes the journal remembers; a view further behind is read
/// again whole.
const JOURNAL_MAX: usize = 4096;

/// The decoded records of one kind (an `Arc<BTreeMap<DocId, T>>`) as of
/// `seq`. Readers get the `Arc`: a list costs no copy of its records, and
/// a write after it copies the map only while an old reader still holds it.
struct View {
    seq: u64,
    docs: Box<dyn Any + Send + Sync>,
}

/// A value a decoded view keeps per document. It is also kept on disk,
/// sealed, in the row's `view` column, so that a cold start reads a short
/// JSON instead of loading the Automerge document. Whether the server
/// confirmed the record lives in the row (it changes without a write of
/// the bytes), so it is left out of the sealed view and set on reading.
pub trait ViewValue: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    fn set_confirmed(&mut self, confirmed: bool);
}

/// The records one view holds, by document.
pub type ViewDocs<T> = Arc<BTreeMap<DocId, T>>;

/// Names this build's record shapes in a sealed view's associated data: a
/// view written by a build that read records differently does not open,
/// and the record is decoded again from its bytes.
const VIEW_FORMAT: &str = concat!(
    "1/",
    env!("CARGO_PKG_VERSION"),
    "/",
    env!("ODNOWA_VIEW_SHAPES")
);

/// How many records decoded again at once are worth keeping on disk at
/// once (after a sync); fewer wait for the next cold start.
const KEEP_AFTER: usize = 32;

fn view_aad<T>(id: &str, kind: RecordKind) -> Vec<u8> {
    format!(
        "view/{id}/{kind}/{}/{VIEW_FORMAT}",
        std::any::type_name::<T>()
    )
    .into_bytes()
}

/// The stored keyring and the wrong PINs counted against it.
pub struct StoredKeyring {
    pub keyring: Keyring,
    pub failed: u32,
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

/// A document row's columns (`DOC_COLUMNS`), its `rev` last.
type DocTuple = (
    String,
    String,
    String,
    i64,
    Vec<u8>,
    String,
    i64,
    Option<String>,
    i64,
);

fn doc_aad(id: &str) -> Vec<u8> {
    format!("doc/{id}").into_bytes()
}

fn refused_aad(id: &str) -> Vec<u8> {
    format!("refused/{id}").into_bytes()
}

/// The associated data of a sealed read report.
const READ_AAD: &[u8] = b"read";

fn secret_aad(key: &str) -> Vec<u8> {
    format!("meta/{key}").into_bytes()
}

/// `value` as JSON, sealed for the row of `id`.
fn seal_view<T: ViewValue>(
    key: &DataKey,
    kind: RecordKind,
    id: &DocId,
    value: &T,
) -> Result<Vec<u8>> {
    let plain = serde_json::to_vec(value).map_err(|e| EngineError::Corrupt(e.to_string()))?;
    Ok(key.seal(&view_aad::<T>(&id.to_string(), kind), &plain)?)
}

/// A sealed view as `T`, or `None` when it does not open (another
/// build's, another key's, damaged) or parse: the record is then decoded
/// again from its bytes.
fn open_view<T: ViewValue>(key: &DataKey, kind: RecordKind, id: &str, sealed: &[u8]) -> Option<T> {
    let plain = key.open(&view_aad::<T>(id, kind), sealed).ok()?;
    serde_json::from_slice(&plain).ok()
}

fn doc_row(key: &DataKey, t: DocTuple) -> Result<DocRow> {
    Ok(doc_row_rev(key, t)?.0)
}

/// A row opened with the key, and its `rev` (which write of the row it is).
fn doc_row_rev(key: &DataKey, t: DocTuple) -> Result<(DocRow, i64)> {
    let (id, space, kind, generation, sealed, confirmed, dirty, refused, rev) = t;
    let bytes = key.open(&doc_aad(&id), &sealed)?;
    let refused = match refused {
        Some(text) => {
            let sealed = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| EngineError::Corrupt("refusal reason".into()))?;
            let plain = key.open(&refused_aad(&id), &sealed)?;
            Some(
                String::from_utf8(plain)
                    .map_err(|_| EngineError::Corrupt("refusal reason".into()))?,
            )
        }
        None => None,
    };
    let row = DocRow {
        id: parse("doc id", &id)?,
        space: parse("space id", &space)?,
        kind: parse("kind", &kind)?,
        generation: u32::try_from(generation)
            .map_err(|_| EngineError::Corrupt("generation".into()))?,
        bytes,
        confirmed: decode_hashes(&confirmed)?,
        dirty: dirty != 0,
        refused,
    };
    Ok((row, rev))
}

/// How long writes must pause before the checkpointer copies the log
/// back: a worker's next save rarely meets it.
const CHECKPOINT_QUIET: std::time::Duration = std::time::Duration::from_secs(1);
/// While writes go on without a pause (a first sync), the log is copied
/// back at least this often, so it does not grow without bound.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// A write that did not say so (a cursor, a setting) is copied back by
/// this sweep at the latest.
const CHECKPOINT_SWEEP: std::time::Duration = std::time::Duration::from_secs(60);

/// Copies the write-ahead log back into the database file
/// (`wal_checkpoint(PASSIVE)`: readers and writers go on meanwhile) once
/// writes have paused for [`CHECKPOINT_QUIET`], every
/// [`CHECKPOINT_EVERY`] while they do not, and every [`CHECKPOINT_SWEEP`]
/// regardless. Ends when every sender (every clone of the store) is gone.
async fn checkpointer(pool: SqlitePool, mut writes: tokio::sync::mpsc::Receiver<()>) {
    loop {
        match tokio::time::timeout(CHECKPOINT_SWEEP, writes.recv()).await {
            Ok(None) => return,
            Ok(Some(())) => {
                let burst = tokio::time::Instant::now();
                loop {
                    let left = CHECKPOINT_EVERY.saturating_sub(burst.elapsed());
                    if left.is_zero() {
                        break;
                    }
                    match tokio::time::timeout(CHECKPOINT_QUIET.min(left), writes.recv()).await {
                        Ok(Some(())) => continue,
                        Ok(None) => return,
                        Err(_) => break,
                    }
                }
            }
            Err(_) => {}
        }
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "checkpoint not run");
        }
    }
}

const DOC_COLUMNS: &str = "id, space, kind, generation, bytes, confirmed, dirty, refused, rev";

impl LocalStore {
    /// Opens (creating) the database file at `path`.
    pub async fn open(path: &std::path::Path) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .pragma("secure_delete", "ON")
            // SQLite would checkpoint inside the commit that takes the log
            // past 1,000 pages: that save would wait for the pages to be
            // copied and the file synced. The checkpointer does it instead.
            .pragma("wal_autocheckpoint", "0")
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/device-sqlite")
            .run(&pool)
            .await?;
        let (wrote, writes) = tokio::sync::mpsc::channel(1);
        tokio::spawn(checkpointer(pool.clone(), writes));
        Ok(LocalStore {
            pool,
            key: Arc::new(RwLock::new(None)),
            journal: Arc::default(),
            views: Arc::default(),
            derived: Arc::default(),
            wrote,
        })
    }

    /// `value` sealed as the view of record `id` of `kind`, for
    /// [`LocalStore::put_doc`]: what [`LocalStore::decoded`] of the same
    /// type opens instead of decoding the record's bytes.
    pub fn sealed_view<T: ViewValue>(
        &self,
        kind: RecordKind,
        id: &DocId,
        value: &T,
    ) -> Result<Vec<u8>> {
        seal_view(&*self.key()?, kind, id, value)
    }

    /// Tells the checkpointer the log grew (a full channel already says so).
    fn log_grew(&self) {
        let _ = self.wrote.try_send(());
    }

    // ---- the decoded views ----

    /// Says that `docs` (with their kind, when known) were written: called
    /// once the transaction that wrote them committed.
    pub fn written(&self, docs: impl IntoIterator<Item = (DocId, Option<RecordKind>)>) {
        self.log_grew();
        let Ok(mut journal) = self.journal.lock() else {
            return;
        };
        for (doc, kind) in docs {
            journal.seq += 1;
            let seq = journal.seq;
            journal.log.push_back((seq, doc, kind));
            if journal.log.len() > JOURNAL_MAX
                && let Some((dropped, _, _)) = journal.log.pop_front()
            {
                journal.floor = journal.floor.max(dropped);
            }
        }
    }

    /// Every view is read again whole (many documents changed at once: a
    /// space to push again, the store wiped, the key changed).
    pub fn written_all(&self) {
        self.log_grew();
        if let Ok(mut journal) = self.journal.lock() {
            journal.seq += 1;
            journal.floor = journal.seq;
            journal.log.clear();
        }
    }

    /// Every record of `kind`, decoded by `decode` (`None`: skipped), from
    /// the view kept in memory: only documents written since it was made
    /// are read and decoded again. Each row is decrypted with the key as
    /// always, so a locked store answers `Locked`. The first read after a
    /// start takes each record's sealed view from its row where one is
    /// kept (see [`ViewValue`]) and decodes the others from their bytes.
    pub async fn decoded<T: ViewValue>(
        &self,
        kind: RecordKind,
        decode: impl Fn(&DocRow) -> Option<T>,
    ) -> Result<ViewDocs<T>> {
        let key = self.key()?;
        let mut views = self.views.lock().await;
        let slot = (kind, TypeId::of::<T>());
        // What changed since the view, taken before anything is read: a
        // write that commits meanwhile is read again next time.
        let (now, changed) = {
            let journal = self
                .journal
                .lock()
                .map_err(|_| EngineError::Corrupt("the write journal".into()))?;
            let changed = match views.get(&slot) {
                Some(view) if view.seq >= journal.floor => Some(
                    journal
                        .log
                        .iter()
                        .filter(|(seq, _, k)| *seq > view.seq && k.is_none_or(|k| k == kind))
                        .map(|(_, doc, _)| *doc)
                        .collect::<BTreeSet<DocId>>(),
                ),
                _ => None,
            };
            (journal.seq, changed)
        };
        let kept = views
            .remove(&slot)
            .and_then(|view| view.docs.downcast::<ViewDocs<T>>().ok());
        let docs = match (changed, kept) {
            (Some(changed), Some(docs)) if changed.is_empty() => *docs,
            (Some(changed), Some(docs)) => {
                let mut docs = *docs;
                let map = Arc::make_mut(&mut docs);
                let keeping = changed.len() >= KEEP_AFTER;
                let mut keep = Vec::new();
                for doc in changed {
                    // The writer may have kept its view (a sync does).
                    let viewed: Option<(String, i64, Option<Vec<u8>>)> =
                        sqlx::query_as("SELECT kind, dirty, view FROM docs WHERE id = $1")
                            .bind(doc.to_string())
                            .fetch_optional(&self.pool)
                            .await?;
                    let Some((row_kind, dirty, view)) = viewed else {
                        map.remove(&doc);
                        continue;
                    };
                    if row_kind != kind.as_str() {
                        map.remove(&doc);
                        continue;
                    }
                    if let Some(mut value) = view
                        .and_then(|sealed| open_view::<T>(&key, kind, &doc.to_string(), &sealed))
                    {
                        value.set_confirmed(dirty == 0);
                        map.insert(doc, value);
                        continue;
                    }
                    let row: Option<DocTuple> =
                        sqlx::query_as(&format!("SELECT {DOC_COLUMNS} FROM docs WHERE id = $1"))
                            .bind(doc.to_string())
                            .fetch_optional(&self.pool)
                            .await?;
                    let Some((row, rev)) = row.map(|row| doc_row_rev(&key, row)).transpose()?
                    else {
                        map.remove(&doc);
                        continue;
                    };
                    match (row.kind == kind).then(|| decode(&row)).flatten() {
                        Some(value) => {
                            if keeping {
                                keep.push((row.id, rev, seal_view(&key, kind, &row.id, &value)?));
                            }
                            map.insert(doc, value);
                        }
                        None => {
                            map.remove(&doc);
                        }
                    }
                }
                self.keep_views(&keep).await?;
                docs
            }
            _ => Arc::new(self.read_kind(&key, kind, &decode).await?),
        };
        views.insert(
            slot,
            View {
                seq: now,
                docs: Box::new(docs.clone()),
            },
        );
        Ok(docs)
    }

    /// Every record of `kind`: from its sealed view where one opens, else
    /// decoded from its bytes (and its view kept for the next start).
    async fn read_kind<T: ViewValue>(
        &self,
        key: &DataKey,
        kind: RecordKind,
        decode: &impl Fn(&DocRow) -> Option<T>,
    ) -> Result<BTreeMap<DocId, T>> {
        let rows: Vec<(String, i64, Option<Vec<u8>>)> =
            sqlx::query_as("SELECT id, dirty, view FROM docs WHERE kind = $1")
                .bind(kind.as_str())
                .fetch_all(&self.pool)
                .await?;
        let mut docs = BTreeMap::new();
        let mut missing = BTreeSet::new();
        // A view that does not open (another build's, another key's) is
        // decoded again like a row without one.
        let mut unopened = false;
        for (id, dirty, view) in rows {
            let has_view = view.is_some();
            let value = view.and_then(|sealed| open_view::<T>(key, kind, &id, &sealed));
            match value {
                Some(mut value) => {
                    value.set_confirmed(dirty == 0);
                    docs.insert(parse("doc id", &id)?, value);
                }
                None => {
                    unopened |= has_view;
                    missing.insert(id);
                }
            }
        }
        if missing.is_empty() {
            return Ok(docs);
        }
        let only_new = if unopened { "" } else { " AND view IS NULL" };
        let rows: Vec<DocTuple> = sqlx::query_as(&format!(
            "SELECT {DOC_COLUMNS} FROM docs WHERE kind = $1{only_new}"
        ))
        .bind(kind.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut keep = Vec::new();
        for row in rows {
            if !missing.contains(&row.0) {
                continue;
            }
            let (row, rev) = doc_row_rev(key, row)?;
            if let Some(value) = decode(&row) {
                keep.push((row.id, rev, seal_view(key, kind, &row.id, &value)?));
                docs.insert(row.id, value);
            }
        }
        self.keep_views(&keep).await?;
        Ok(docs)
    }

    /// Stores sealed views, each only if its row is still at the `rev` it
    /// was decoded from (a write meanwhile cleared it for good reason).
    async fn keep_views(&self, views: &[(DocId, i64, Vec<u8>)]) -> Result<()> {
        if views.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (id, rev, sealed) in views {
            sqlx::query("UPDATE docs SET view = $1 WHERE id = $2 AND rev = $3")
                .bind(sealed.as_slice())
                .bind(id.to_string())
                .bind(rev)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.log_grew();
        Ok(())
    }

    /// The index `build` makes of `view` and `depends`, built again only
    /// when the view changed (a new `Arc`) or `depends` differs.
    pub fn derived<T, K, D>(
        &self,
        view: &ViewDocs<T>,
        depends: K,
        build: impl FnOnce() -> D,
    ) -> Arc<D>
    where
        T: Send + Sync + 'static,
        K: PartialEq + Send + Sync + 'static,
        D: Send + Sync + 'static,
    {
        let slot = TypeId::of::<Derived<T, K, D>>();
        if let Ok(derived) = self.derived.lock()
            && let Some((from, with, index)) = derived
                .get(&slot)
                .and_then(|d| d.downcast_ref::<Derived<T, K, D>>())
            && Arc::ptr_eq(from, view)
            && *with == depends
        {
            return index.clone();
        }
        let index = Arc::new(build());
        if let Ok(mut derived) = self.derived.lock() {
            derived.insert(slot, Box::new((view.clone(), depends, index.clone())));
        }
        index
    }

    /// Drops every decoded view and index (the key is gone).
    async fn forget_views(&self) {
        self.written_all();
        self.views.lock().await.clear();
        self.forget_derived();
    }

    fn forget_derived(&self) {
        if let Ok(mut derived) = self.derived.lock() {
            derived.clear();
        }
    }

    // ---- the key ----

    /// Sets (unlock) or drops (lock for good: wipe, revocation) the data key.
    pub fn set_key(&self, key: Option<DataKey>) {
        if let Ok(mut slot) = self.key.write() {
            *slot = key.map(Arc::new);
        }
        // Views decoded under another key (or none) are never served.
        self.written_all();
        if let Ok(mut views) = self.views.try_lock() {
            views.clear();
        }
        self.forget_derived();
    }

    fn key(&self) -> Result<Arc<DataKey>> {
        self.key
            .read()
            .ok()
            .and_then(|slot| slot.clone())
            .ok_or(EngineError::Locked)
    }

    /// The stored keyring, if a PIN was set.
    pub async fn keyring(&self) -> Result<Option<StoredKeyring>> {
        type KeyringTuple = (Vec<u8>, i64, i64, i64, Vec<u8>, i64);
        let row: Option<KeyringTuple> = sqlx::query_as(
            "SELECT salt, m_kib, t_cost, p_cost, wrapped, failed FROM keyring WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let number = |n: i64| u32::try_from(n).map_err(|_| EngineError::Corrupt("keyring".into()));
        row.map(|(salt, m_kib, t_cost, p_cost, wrapped, failed)| {
            Ok(StoredKeyring {
                keyring: Keyring {
                    salt,
                    params: KdfParams {
                        m_kib: number(m_kib)?,
                        t_cost: number(t_cost)?,
                        p_cost: number(p_cost)?,
                    },
                    wrapped,
                },
                failed: number(failed)?,
            })
        })
        .transpose()
    }

    /// Stores a new keyring (inside `tx`), replacing any other.
    pub async fn put_keyring(
        tx: &mut Transaction<'static, Sqlite>,
        keyring: &Keyring,
    ) -> Result<()> {
        sqlx::query("DELETE FROM keyring")
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "INSERT INTO keyring (id, salt, m_kib, t_cost, p_cost, wrapped, failed) \
             VALUES (1, $1, $2, $3, $4, $5, 0)",
        )
        .bind(keyring.salt.as_slice())
        .bind(i64::from(keyring.params.m_kib))
        .bind(i64::from(keyring.params.t_cost))
        .bind(i64::from(keyring.params.p_cost))
        .bind(keyring.wrapped.as_slice())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records how many wrong PINs were typed since the last right one.
    pub async fn set_failed_pins(&self, failed: u32) -> Result<()> {
        sqlx::query("UPDATE keyring SET failed = $1 WHERE id = 1")
            .bind(i64::from(failed))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A sealed value (`None` when absent).
    pub async fn secret(&self, name: &str) -> Result<Option<String>> {
        let key = self.key()?;
        let sealed: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT value FROM secrets WHERE key = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        sealed
            .map(|sealed| {
                let plain = key.open(&secret_aad(name), &sealed)?;
                String::from_utf8(plain).map_err(|_| EngineError::Corrupt(format!("secret {name}")))
            })
            .transpose()
    }

    /// Seals and stores a value (inside `tx`).
    pub async fn put_secret(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        name: &str,
        value: &str,
    ) -> Result<()> {
        let sealed = self.key()?.seal(&secret_aad(name), value.as_bytes())?;
        sqlx::query(
            "INSERT INTO secrets (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(sealed)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Remembers that the person opened each `read.doc`, for the audit log.
    /// Several reads go in one transaction (one flush to disk, not one per
    /// record a screen showed).
    pub async fn note_reads(&self, reads: &[ReadReport]) -> Result<()> {
        let key = self.key()?;
        let mut tx = self.pool.begin().await?;
        for read in reads {
            let plain =
                serde_json::to_vec(read).map_err(|e| EngineError::Corrupt(e.to_string()))?;
            let sealed = key.seal(READ_AAD, &plain)?;
            sqlx::query("INSERT INTO reads (sealed) VALUES ($1)")
                .bind(sealed)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The oldest reads not yet reported (at most `limit`), with their row ids.
    pub async fn pending_reads(&self, limit: usize) -> Result<Vec<(i64, ReadReport)>> {
        let key = self.key()?;
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT id, sealed FROM reads ORDER BY id LIMIT $1")
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
                .await?;
        let mut reads = Vec::with_capacity(rows.len());
        for (id, sealed) in rows {
            let plain = key.open(READ_AAD, &sealed)?;
            let read = serde_json::from_slice::<ReadReport>(&plain)
                .map_err(|e| EngineError::Corrupt(format!("read {id}: {e}")))?;
            reads.push((id, read));
        }
        Ok(reads)
    }

    /// How many reads wait to be reported.
    pub async fn read_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reads")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Forgets reads the server has logged (ids up to and including `upto`).
    pub async fn forget_reads(&self, upto: i64) -> Result<()> {
        sqlx::query("DELETE FROM reads WHERE id <= $1")
            .bind(upto)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes every row this device holds, then rewrites the file
    /// without free pages and empties the write-ahead log, so nothing of
    /// the old data stays on disk (with `secure_delete`). Drops the key.
    pub async fn wipe(&self) -> Result<()> {
        self.set_key(None);
        self.forget_views().await;
        let mut tx = self.pool.begin().await?;
        for table in [
            "docs", "cursors", "spaces", "secrets", "keyring", "meta", "reads",
        ] {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let mut conn = self.pool.acquire().await?;
        sqlx::query("VACUUM").execute(&mut *conn).await?;
        // The checkpointer may be copying the log back at this moment
        // (then SQLite says busy and leaves the log as it is): the log
        // must be emptied, so this waits for it.
        for attempt in 0.. {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut *conn)
                .await?;
            if busy == 0 {
                break;
            }
            if attempt == 100 {
                return Err(EngineError::Corrupt(
                    "the write-ahead log could not be emptied after the wipe".into(),
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Ok(())
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

    /// Writes a document row (inside `tx`), sealed.
    /// `view` is the row's sealed view when the writer made it (the sync,
    /// which holds the document loaded: see [`LocalStore::seal_view`]);
    /// otherwise the view is cleared and decoded again when next read.
    pub async fn put_doc(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        row: &DocRow,
        now: i64,
        view: Option<&[u8]>,
    ) -> Result<()> {
        let key = self.key()?;
        let id = row.id.to_string();
        let sealed = key.seal(&doc_aad(&id), &row.bytes)?;
        let refused = match &row.refused {
            Some(reason) => Some(
                base64::engine::general_purpose::STANDARD
                    .encode(key.seal(&refused_aad(&id), reason.as_bytes())?),
            ),
            None => None,
        };
        sqlx::query(
            "INSERT INTO docs (id, space, kind, generation, bytes, confirmed, dirty, refused, updated_at, view) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (id) DO UPDATE SET generation = excluded.generation, bytes = excluded.bytes, \
             confirmed = excluded.confirmed, dirty = excluded.dirty, refused = excluded.refused, \
             updated_at = excluded.updated_at, rev = docs.rev + 1, view = excluded.view",
        )
        .bind(id)
        .bind(row.space.to_string())
        .bind(row.kind.as_str())
        .bind(i64::from(row.generation))
        .bind(sealed)
        .bind(encode_hashes(&row.confirmed))
        .bind(i64::from(row.dirty))
        .bind(refused)
        .bind(now)
        .bind(view)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn doc(&self, id: DocId) -> Result<Option<DocRow>> {
        let key = self.key()?;
        let row: Option<DocTuple> =
            sqlx::query_as(&format!("SELECT {DOC_COLUMNS} FROM docs WHERE id = $1"))
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| doc_row(&key, row)).transpose()
    }

    /// Documents with changes the server has not confirmed, not refused.
    pub async fn dirty_docs(&self) -> Result<Vec<DocRow>> {
        let key = self.key()?;
        let rows: Vec<DocTuple> = sqlx::query_as(&format!(
            "SELECT {DOC_COLUMNS} FROM docs WHERE dirty = 1 AND refused IS NULL ORDER BY updated_at"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(|row| doc_row(&key, row)).collect()
    }

    /// How many documents wait for the server, and how many were refused.
    pub async fn pending_counts(&self) -> Result<(u64, u64)> {
        let waiting = self.waiting().await?;
        Ok(waiting.iter().fold((0, 0), |(pending, refused), w| {
            (pending + w.pending, refused + w.refused)
        }))
    }

    /// What waits for the server and what it refused, per kind of record
    /// (kinds with neither are left out). Kinds are stored in the clear, so
    /// this needs no key (the lock and revoked screens use it).
    pub async fn waiting(&self) -> Result<Vec<Waiting>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT kind, \
             COALESCE(SUM(CASE WHEN refused IS NULL THEN dirty ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN refused IS NULL THEN 0 ELSE 1 END), 0) \
             FROM docs WHERE dirty = 1 OR refused IS NOT NULL GROUP BY kind ORDER BY kind",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kind, pending, refused)| Waiting {
                kind,
                pending: pending.max(0) as u64,
                refused: refused.max(0) as u64,
            })
            .collect())
    }

    pub async fn doc_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM docs")
            .fetch_one(&self.pool)
            .await?;
        Ok(n as u64)
    }

    /// Deletes a document (an erasure): its sealed bytes are zeroed on disk
    /// (`secure_delete`), its pending read reports stay (ids only).
    pub async fn delete_doc(tx: &mut Transaction<'static, Sqlite>, id: DocId) -> Result<()> {
        sqlx::query("DELETE FROM docs WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
        Ok(())
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
        type CursorTuple = (
            String,
            i64,
            i64,
            Option<String>,
            Option<i64>,
            Option<Vec<u8>>,
        );
        let rows: Vec<CursorTuple> = sqlx::query_as(
            "SELECT space, epoch, seq, snapshot_after, snapshot_upto, mac FROM cursors ORDER BY space",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(space, epoch, seq, after, upto, mac)| {
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
                    mac: mac.map(serde_bytes::ByteBuf::from),
                })
            })
            .collect()
    }

    /// Replaces the cursors and the readable spaces (inside `tx`).
    /// Replaces the cursor of one space (a live update's), leaving the
    /// others and the spaces as they are.
    pub async fn put_cursor(
        tx: &mut Transaction<'static, Sqlite>,
        cursor: &SpaceCursor,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE cursors SET epoch = $1, seq = $2, snapshot_after = NULL, snapshot_upto = NULL, \
             mac = $3 WHERE space = $4",
        )
        .bind(cursor.epoch as i64)
        .bind(cursor.seq as i64)
        .bind(cursor.mac.as_ref().map(|m| m.to_vec()))
        .bind(cursor.space.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

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
                "INSERT INTO cursors (space, epoch, seq, snapshot_after, snapshot_upto, mac) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
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
            .bind(cursor.mac.as_ref().map(|m| m.to_vec()))
            .execute(&mut **tx)
            .await?;
        }
        sqlx::query("DELETE FROM spaces").execute(&mut **tx).await?;
        for space in spaces {
            sqlx::query(
                "INSERT INTO spaces (space, name, can_write, partner) VALUES ($1, $2, $3, $4)",
            )
            .bind(space.space.to_string())
            .bind(&space.name)
            .bind(i64::from(space.write))
            .bind(space.partner.map(|o| o.to_string()))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The spaces this device may read, as the server last said.
    pub async fn spaces(&self) -> Result<Vec<SpaceAccess>> {
        let rows: Vec<(String, String, i64, Option<String>)> =
            sqlx::query_as("SELECT space, name, can_write, partner FROM spaces ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(space, name, write, partner)| {
                Ok(SpaceAccess {
                    space: parse("space id", &space)?,
                    name,
                    write: write != 0,
                    partner: partner.map(|p| parse("org id", &p)).transpose()?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::vault::{KdfParams, Keyring};

    fn row(id: DocId, kind: RecordKind, bytes: &[u8]) -> DocRow {
        DocRow {
            id,
            space: SpaceId::random(),
            kind,
            generation: 0,
            bytes: bytes.to_vec(),
            confirmed: Vec::new(),
            dirty: true,
            refused: None,
        }
    }

    /// An unlocked store in a new file (the key derived cheaply).
    pub(crate) async fn store() -> (LocalStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("dir");
        let store = LocalStore::open(&dir.path().join("views.sqlite"))
            .await
            .expect("open");
        let params = KdfParams {
            m_kib: 64,
            t_cost: 1,
            p_cost: 1,
        };
        let (_, key) = Keyring::create("246810", params).expect("key");
        store.set_key(Some(key));
        (store, dir)
    }

    async fn put(store: &LocalStore, rows: &[DocRow]) {
        let mut tx = store.begin().await.expect("tx");
        for row in rows {
            store.put_doc(&mut tx, row, 0, None).await.expect("put");
        }
        tx.commit().await.expect("commit");
        store.written(rows.iter().map(|r| (r.id, Some(r.kind))));
    }

    /// What the tests' views keep: a row's bytes, and whether the server
    /// confirmed it (set from the row, not from the sealed view).
    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
    struct Seen {
        bytes: Vec<u8>,
        #[serde(skip)]
        confirmed: bool,
    }

    impl ViewValue for Seen {
        fn set_confirmed(&mut self, confirmed: bool) {
            self.confirmed = confirmed;
        }
    }

    /// Every contact, as a view decodes it (counting the rows it decodes).
    async fn seen(store: &LocalStore, decoded: &std::cell::Cell<usize>) -> Vec<Seen> {
        let mut all: Vec<Seen> = store
            .decoded(RecordKind::Contact, |row| {
                decoded.set(decoded.get() + 1);
                Some(Seen {
                    bytes: row.bytes.clone(),
                    confirmed: !row.dirty,
                })
            })
            .await
            .expect("view")
            .values()
            .cloned()
            .collect();
        all.sort();
        all
    }

    /// The bytes of every contact, as a view decodes them.
    async fn contacts(store: &LocalStore, decoded: &std::cell::Cell<usize>) -> Vec<Vec<u8>> {
        seen(store, decoded)
            .await
            .into_iter()
            .map(|s| s.bytes)
            .collect()
    }

    #[tokio::test]
    async fn a_view_reads_again_only_what_was_written_since() {
        let (store, _dir) = store().await;
        let (a, b, person) = (DocId::random(), DocId::random(), DocId::random());
        put(
            &store,
            &[
                row(a, RecordKind::Contact, b"a1"),
                row(b, RecordKind::Contact, b"b1"),
                row(person, RecordKind::Person, b"p1"),
            ],
        )
        .await;
        let decoded = std::cell::Cell::new(0);
        assert_eq!(
            contacts(&store, &decoded).await,
            vec![b"a1".to_vec(), b"b1".to_vec()]
        );
        assert_eq!(decoded.get(), 2, "the first read decodes every contact");
        assert_eq!(contacts(&store, &decoded).await.len(), 2);
        assert_eq!(decoded.get(), 2, "nothing written: nothing decoded");

        // One contact written, a person written: one contact decoded again.
        put(&store, &[row(a, RecordKind::Contact, b"a2")]).await;
        put(&store, &[row(person, RecordKind::Person, b"p2")]).await;
        assert_eq!(
            contacts(&store, &decoded).await,
            vec![b"a2".to_vec(), b"b1".to_vec()]
        );
        assert_eq!(decoded.get(), 3);

        // A deleted one (an erasure's purge: kind not known) leaves the view.
        let mut tx = store.begin().await.expect("tx");
        LocalStore::delete_doc(&mut tx, b).await.expect("delete");
        tx.commit().await.expect("commit");
        store.written([(b, None)]);
        assert_eq!(contacts(&store, &decoded).await, vec![b"a2".to_vec()]);

        // Many at once: read again whole. `a` was written after its view
        // was kept on disk (the write cleared it): decoded again.
        store.written_all();
        decoded.set(0);
        assert_eq!(contacts(&store, &decoded).await, vec![b"a2".to_vec()]);
        assert_eq!(decoded.get(), 1);

        // A view further behind than the journal remembers: whole again,
        // the new rows decoded, `a` from the view kept by the read above.
        let many: Vec<DocRow> = (0..JOURNAL_MAX + 1)
            .map(|_| row(DocId::random(), RecordKind::Contact, b"n"))
            .collect();
        put(&store, &many).await;
        decoded.set(0);
        assert_eq!(contacts(&store, &decoded).await.len(), JOURNAL_MAX + 2);
        assert_eq!(decoded.get(), JOURNAL_MAX + 1);

        // Locked for good: nothing is served from memory.
        store.set_key(None);
        assert!(matches!(
            store
                .decoded(RecordKind::Contact, |_| Some(Seen {
                    bytes: Vec::new(),
                    confirmed: false,
                }))
                .await,
            Err(EngineError::Locked)
        ));
    }

    /// Closes `store` and opens its file again as the next start does:
    /// the contacts that start reads, and how many rows it decoded.
    async fn restarted(
        store: LocalStore,
        path: &std::path::Path,
        keyring: &Keyring,
    ) -> (LocalStore, Vec<Seen>, usize) {
        store.close().await;
        let store = LocalStore::open(path).await.expect("open");
        store.set_key(Some(keyring.open("246810").expect("pin")));
        let decoded = std::cell::Cell::new(0);
        let read = seen(&store, &decoded).await;
        (store, read, decoded.get())
    }

    fn bytes(read: &[Seen]) -> Vec<&[u8]> {
        read.iter().map(|s| s.bytes.as_slice()).collect()
    }

    #[tokio::test]
    async fn views_kept_on_disk_serve_the_next_start_and_never_a_stale_record() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("device.sqlite");
        let params = KdfParams {
            m_kib: 8,
            t_cost: 1,
            p_cost: 1,
        };
        let (keyring, key) = Keyring::create("246810", params).expect("key");
        let store = LocalStore::open(&path).await.expect("open");
        store.set_key(Some(key));
        let (a, b) = (DocId::random(), DocId::random());
        let space = SpaceId::random();
        let confirmed = |id, bytes: &[u8]| DocRow {
            space,
            dirty: false,
            ..row(id, RecordKind::Contact, bytes)
        };
        put(&store, &[confirmed(a, b"a1"), confirmed(b, b"b1")]).await;
        let decoded = std::cell::Cell::new(0);
        assert!(seen(&store, &decoded).await.iter().all(|s| s.confirmed));
        assert_eq!(decoded.get(), 2);
        // The views on disk are sealed: the bytes are not there in clear.
        let views: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT view FROM docs WHERE view IS NOT NULL")
                .fetch_all(&store.pool)
                .await
                .expect("views");
        assert_eq!(views.len(), 2);
        // Opened with the key, a view is the record's JSON; on disk that
        // JSON is not there in clear.
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT view FROM docs WHERE id = $1")
            .bind(a.to_string())
            .fetch_one(&store.pool)
            .await
            .expect("view");
        let plain = store
            .key()
            .expect("key")
            .open(
                &view_aad::<Seen>(&a.to_string(), RecordKind::Contact),
                &sealed,
            )
            .expect("the view opens with the key");
        let json = serde_json::to_vec(&Seen {
            bytes: b"a1".to_vec(),
            confirmed: true,
        })
        .expect("json");
        assert_eq!(plain, json);
        assert!(
            views
                .iter()
                .all(|v| !v.windows(json.len()).any(|w| w == json))
        );
        assert!(
            views
                .iter()
                .all(|v| !v.windows(8).any(|w| w == b"\"bytes\":"))
        );

        // The next start: nothing decoded, the same records.
        let (store, read, decoded) = restarted(store, &path, &keyring).await;
        assert_eq!(bytes(&read), [b"a1", b"b1"]);
        assert_eq!(decoded, 0, "every record came from its kept view");

        // Confirmation lives in the row: a space pushed again shows its
        // records unconfirmed although their views were sealed confirmed.
        let mut tx = store.begin().await.expect("tx");
        LocalStore::unconfirm_space(&mut tx, space)
            .await
            .expect("unconfirm");
        tx.commit().await.expect("commit");
        let (store, read, _) = restarted(store, &path, &keyring).await;
        assert!(
            read.iter().all(|s| !s.confirmed),
            "unconfirmed rows read as unconfirmed from their views"
        );

        // A write clears its row's view: the next start decodes it again.
        put(&store, &[row(a, RecordKind::Contact, b"a2")]).await;
        let (store, read, decoded) = restarted(store, &path, &keyring).await;
        assert_eq!(bytes(&read), [b"a2", b"b1"]);
        assert_eq!(decoded, 1);

        // A view kept for a row that was written meanwhile is not stored.
        let rev: i64 = sqlx::query_scalar("SELECT rev FROM docs WHERE id = $1")
            .bind(b.to_string())
            .fetch_one(&store.pool)
            .await
            .expect("rev");
        sqlx::query("UPDATE docs SET view = NULL WHERE id = $1")
            .bind(b.to_string())
            .execute(&store.pool)
            .await
            .expect("clear");
        let key = store.key().expect("key");
        let stale = Seen {
            bytes: b"stale".to_vec(),
            confirmed: true,
        };
        let sealed = seal_view(&key, RecordKind::Contact, &b, &stale).expect("seal");
        store
            .keep_views(&[(b, rev - 1, sealed)])
            .await
            .expect("keep");
        let (store, read, decoded) = restarted(store, &path, &keyring).await;
        assert_eq!(bytes(&read), [b"a2", b"b1"]);
        assert_eq!(decoded, 1, "b decoded from its bytes, not the stale view");

        // A view that does not open (another build's, damaged) is decoded
        // again from the bytes.
        sqlx::query("UPDATE docs SET view = x'00ff'")
            .execute(&store.pool)
            .await
            .expect("damage");
        let (store, read, decoded) = restarted(store, &path, &keyring).await;
        assert_eq!(bytes(&read), [b"a2", b"b1"]);
        assert_eq!(decoded, 2);
        store.close().await;
    }

    #[tokio::test]
    async fn the_log_is_copied_back_once_writes_pause_not_in_a_save() {
        let (store, dir) = store().await;
        let file = dir.path().join("views.sqlite");
        let before = std::fs::metadata(&file).expect("file").len();
        // 100 rows of 4 KiB of sealed (incompressible) bytes: about 100
        // pages in the log, far below the 1,000 pages at which SQLite
        // would copy them back itself.
        let rows: Vec<DocRow> = (0..100u32)
            .map(|i| {
                let bytes: Vec<u8> = (0..4096u32).map(|b| (b ^ i) as u8).collect();
                row(DocId::random(), RecordKind::Contact, &bytes)
            })
            .collect();
        put(&store, &rows).await;
        let mut grown = 0;
        for _ in 0..200 {
            grown = std::fs::metadata(&file)
                .expect("file")
                .len()
                .saturating_sub(before);
            if grown >= 400_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            grown >= 400_000,
            "the database file grew by {grown} bytes: the log was not copied back"
        );
        // What was copied back reads as written.
        assert_eq!(
            store
                .doc(rows[7].id)
                .await
                .expect("doc")
                .expect("row")
                .bytes,
            rows[7].bytes
        );
    }
}
