//! Documents and feeds: each space's feed of accepted changes with its
//! sequence numbers and epoch, the documents' snapshots, and what a pull
//! reads from them.

use odnowa_shared::ids::{DeviceId, DocId, SpaceId, UserId};
use odnowa_shared::projection::Projection;
use odnowa_shared::records::RecordKind;
use odnowa_shared::sync::ingest::NewChange;

use super::{Db, StoreError, notify, notify_in, on_pool, parse, project_rows};
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
pub struct Append {
    pub doc: DocId,
    pub space: SpaceId,
    pub kind: RecordKind,
    pub generation: u32,
    /// The change count the caller's copy was loaded at; a different count
    /// in the database means another server appended meanwhile.
    pub expected_change_count: u64,
    pub changes: Vec<NewChange>,
    pub device: DeviceId,
    pub user: UserId,
    pub now: i64,
    /// The document's rows after these changes, written in the same
    /// transaction.
    pub projection: Projection,
}

/// What one document's append did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The document's change count now.
    pub change_count: u64,
    /// The feed position of its last change (a snapshot of the document
    /// as appended holds every change of it up to here).
    pub last_seq: u64,
    /// For a registry entry not every reader of the registry may be sent
    /// live, who may (read in the append's transaction, so that its
    /// announcement goes at once after the commit); `None`: every reader.
    pub visibility: Option<super::Visibility>,
}

pub use odnowa_shared::sync::pull::{FeedRow, SnapshotRow};

impl Db {
    /// The feed epoch ([`super::Reader::epoch`]).
    pub async fn epoch(&self) -> Result<u64, StoreError> {
        self.reader().epoch().await
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

    /// How many documents `space` holds ([`super::Reader::space_doc_count`]).
    pub async fn space_doc_count(&self, space: SpaceId) -> Result<u64, StoreError> {
        self.reader().space_doc_count(space).await
    }

    pub async fn doc_meta(&self, doc: DocId) -> Result<Option<DocMeta>, StoreError> {
        let row: Option<(String, String, i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT space_id, kind, generation, change_count FROM docs WHERE id = $1")
                .bind(doc.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(space, kind, generation, change_count)| {
            doc_meta_of(&space, &kind, generation, change_count)
        })
        .transpose()
    }

    /// [`Self::doc_meta`] of `doc`, and whether an erasure deleted it (or
    /// rewrote it as a later generation), in one statement: what a push
    /// of one document is judged against.
    pub async fn doc_meta_or_erased(
        &self,
        doc: DocId,
    ) -> Result<(Option<DocMeta>, bool), StoreError> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<i64>,
            Option<i64>,
            i64,
        );
        let (space, kind, generation, change_count, erased): Row = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT d.space_id, d.kind, d.generation, d.change_count, \
                 CAST(CASE WHEN EXISTS (SELECT 1 FROM erased_docs e WHERE e.doc_id = $1) \
                 THEN 1 ELSE 0 END AS BIGINT) \
                 FROM (SELECT 1 AS one) o LEFT JOIN docs d ON d.id = $1",
            )
            .bind(doc.to_string())
            .fetch_one(pool)
            .await?
        });
        let meta = match (space, kind, generation, change_count) {
            (Some(space), Some(kind), Some(generation), Some(change_count)) => {
                Some(doc_meta_of(&space, &kind, generation, change_count)?)
            }
            _ => None,
        };
        Ok((meta, erased != 0))
    }

    /// What the store knows of each of `docs` that it holds.
    pub async fn doc_metas(
        &self,
        docs: &[DocId],
    ) -> Result<std::collections::HashMap<DocId, DocMeta>, StoreError> {
        let mut metas = std::collections::HashMap::with_capacity(docs.len());
        for chunk in docs.chunks(super::ROWS_PER_STATEMENT) {
            let rows: Vec<(String, String, String, i64, i64)> = on_pool!(self, pool => {
                let mut q = super::builder_on(pool,
                    "SELECT id, space_id, kind, generation, change_count FROM docs WHERE id IN (");
                super::push_ids(&mut q, chunk.iter().map(DocId::to_string));
                q.build_query_as().fetch_all(pool).await?
            });
            for (id, space, kind, generation, change_count) in rows {
                metas.insert(
                    parse("doc id", &id)?,
                    doc_meta_of(&space, &kind, generation, change_count)?,
                );
            }
        }
        Ok(metas)
    }

    /// Which of `docs` an erasure deleted or rewrote.
    pub async fn erased_among(
        &self,
        docs: &[DocId],
    ) -> Result<std::collections::HashSet<DocId>, StoreError> {
        let mut erased = std::collections::HashSet::new();
        for chunk in docs.chunks(super::ROWS_PER_STATEMENT) {
            let rows: Vec<String> = on_pool!(self, pool => {
                let mut q = super::builder_on(pool, "SELECT doc_id FROM erased_docs WHERE doc_id IN (");
                super::push_ids(&mut q, chunk.iter().map(DocId::to_string));
                q.build_query_scalar().fetch_all(pool).await?
            });
            for id in rows {
                erased.insert(parse("doc id", &id)?);
            }
        }
        Ok(erased)
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

    /// Stores the new changes of several documents (each at most once) and
    /// appends them to their spaces' feeds in one transaction, with their
    /// audit rows and projections: a bulk upload pays one commit (one
    /// fsync) for a whole exchange instead of one per document. All or
    /// nothing: [`StoreError::Conflict`] when any document changed since
    /// its copy was loaded (another server appended, or created it),
    /// [`StoreError::Erased`] when a new one was erased meanwhile. Returns,
    /// per append, the document's new change count and its last change's
    /// sequence number.
    pub async fn append_all(&self, appends: &[Append]) -> Result<Vec<Appended>, StoreError> {
        if appends.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = appends.iter().map(|a| a.doc.to_string()).collect();
        if ids.iter().collect::<std::collections::HashSet<_>>().len() != ids.len() {
            return Err(StoreError::Duplicate(
                "a document twice in one append".into(),
            ));
        }
        // Changes per space, the spaces in one order for every writer (no
        // two transactions wait on each other's feeds).
        let mut per_space: std::collections::BTreeMap<SpaceId, i64> = Default::default();
        for append in appends {
            *per_space.entry(append.space).or_default() += append.changes.len() as i64;
        }
        // What the other servers are told: per space, one range for each
        // run of appends by one device (a group of exchanges holds several
        // devices' appends), each the indices of its appends in feed order.
        let mut told: Vec<(SpaceId, DeviceId, Vec<usize>)> = Vec::new();
        let mut open_run: std::collections::HashMap<SpaceId, usize> = Default::default();
        for (at, append) in appends.iter().enumerate() {
            match open_run.get(&append.space) {
                Some(&run) if told[run].1 == append.device => told[run].2.push(at),
                _ => {
                    open_run.insert(append.space, told.len());
                    told.push((append.space, append.device, vec![at]));
                }
            }
        }
        let _gate = self.gate().await;
        let written: Result<Vec<Appended>, StoreError> = async {
            Ok(on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                // The documents first (each existing one conditional on
                // the change count its copy was judged against), in id
                // order; then the audit rows and the projections; the
                // spaces' feeds last, so that the lock on a feed (every
                // append to a space waits for it: for the registry, every
                // new person of the consortium) is held only for the
                // changes' rows and the commit.
                let mut in_order: Vec<(&Append, &String)> = appends.iter().zip(&ids).collect();
                in_order.sort_by_key(|(append, _)| append.doc);
                let (fresh, held): (Vec<_>, Vec<_>) = in_order
                    .into_iter()
                    .partition(|(append, _)| append.expected_change_count == 0);
                // PostgreSQL: one statement for many (a round trip each
                // saved); SQLite, which has no round trips, one each by
                // its primary key.
                let per_statement = if self.backend() == "postgres" {
                    super::ROWS_PER_STATEMENT
                } else {
                    1
                };
                for chunk in held.chunks(per_statement) {
                    let mut q = super::builder_of(&tx,
                        "UPDATE docs SET change_count = docs.change_count + v.column2, updated_at = v.column3 FROM (");
                    q.push_values(chunk, |mut row, (append, doc)| {
                        row.push_bind(doc.as_str())
                            .push_bind(append.changes.len() as i64)
                            .push_bind(append.now)
                            .push_bind(append.expected_change_count as i64)
                            .push_bind(i64::from(append.generation));
                    });
                    q.push(
                        ") AS v WHERE docs.id = v.column1 AND docs.change_count = v.column4 \
                         AND docs.generation = v.column5",
                    );
                    if q.build().execute(&mut *tx).await?.rows_affected() != chunk.len() as u64 {
                        return Err(StoreError::Conflict);
                    }
                }
                for chunk in fresh.chunks(super::ROWS_PER_STATEMENT) {
                    // A write first (SQLite: a transaction that read first
                    // could not become a writer once another wrote). A
                    // document an erasure deleted never comes back (another
                    // server may not know of the erasure yet): its row is
                    // not inserted.
                    let mut q = super::builder_of(&tx,
                        "INSERT INTO docs (id, space_id, kind, generation, change_count, updated_at) \
                         SELECT * FROM (");
                    q.push_values(chunk, |mut row, (append, doc)| {
                        row.push_bind(doc.as_str())
                            .push_bind(append.space.to_string())
                            .push_bind(append.kind.as_str())
                            .push_bind(i64::from(append.generation))
                            .push_bind(append.changes.len() as i64)
                            .push_bind(append.now);
                    });
                    q.push(
                        ") AS v WHERE NOT EXISTS (SELECT 1 FROM erased_docs e WHERE e.doc_id = v.column1) \
                         ON CONFLICT (id) DO NOTHING",
                    );
                    if q.build().execute(&mut *tx).await?.rows_affected() != chunk.len() as u64 {
                        // Which: erased, or created meanwhile by another
                        // server (load it again).
                        let mut q = super::builder_of(&tx, "SELECT doc_id FROM erased_docs WHERE doc_id IN (");
                        super::push_ids(&mut q, chunk.iter().map(|(_, doc)| doc.to_string()));
                        return Err(match q.build().fetch_optional(&mut *tx).await? {
                            Some(_) => StoreError::Erased,
                            None => StoreError::Conflict,
                        });
                    }
                }
                struct ChangeRow<'a> {
                    /// Its append's place in `appends`.
                    at: usize,
                    append: &'a Append,
                    doc: &'a str,
                    device: String,
                    user: String,
                    /// The change's place among its document's new ones.
                    nth: usize,
                    change: &'a NewChange,
                }
                let rows: Vec<ChangeRow<'_>> = appends
                    .iter()
                    .zip(&ids)
                    .enumerate()
                    .flat_map(|(at, (append, doc))| {
                        append.changes.iter().enumerate().map(move |(nth, change)| ChangeRow {
                            at,
                            append,
                            doc: doc.as_str(),
                            device: append.device.to_string(),
                            user: append.user.to_string(),
                            nth,
                            change,
                        })
                    })
                    .collect();
                for chunk in rows.chunks(super::ROWS_PER_STATEMENT) {
                    let mut q = super::builder_of(&tx,
                        "INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) ");
                    q.push_values(chunk, |mut b, row| {
                        b.push_bind(row.append.now)
                            .push_bind(row.user.as_str())
                            .push_bind(row.device.as_str())
                            .push_bind(row.doc)
                            .push("'change'")
                            .push_bind(row.change.hash.to_string());
                    });
                    q.build().execute(&mut *tx).await?;
                }
                project_rows!(tx, appends.iter().map(|a| (&a.projection, a.now, a.expected_change_count == 0)));
                // Who may be sent the registry entries live, as the
                // projections just written say, before the feed is locked.
                let registry: Vec<String> = appends
                    .iter()
                    .zip(&ids)
                    .filter(|(append, _)| append.space.is_registry())
                    .map(|(_, id)| id.clone())
                    .collect();
                let mut visibility = super::erasure::registry_visibility_in!(tx, &registry);
                // Lock each space's feed and take a range of it:
                // transactions of one space commit in sequence order.
                let mut next_seq: std::collections::HashMap<SpaceId, i64> = Default::default();
                if per_space.len() > 1 && self.backend() == "postgres" {
                    // In id order, as every writer takes them (the update
                    // below joins in whatever order its plan likes); the
                    // lock an update takes, which the key-share locks of
                    // other transactions' foreign keys do not wait for
                    // (`FOR UPDATE` would: a deadlock with any writer that
                    // inserted a document of one of these spaces).
                    let mut q = super::builder_of(&tx, "SELECT id FROM spaces WHERE id IN (");
                    super::push_ids(&mut q, per_space.keys().map(|s| s.to_string()));
                    q.push(" ORDER BY id FOR NO KEY UPDATE");
                    q.build().execute(&mut *tx).await?;
                }
                let mut q = super::builder_of(&tx,
                    "UPDATE spaces SET last_seq = spaces.last_seq + v.column2 FROM (");
                q.push_values(&per_space, |mut row, (space, count)| {
                    row.push_bind(space.to_string()).push_bind(*count);
                });
                q.push(") AS v WHERE spaces.id = v.column1 RETURNING spaces.id, spaces.last_seq");
                let ends: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await?;
                for (space, last_seq) in ends {
                    let space: SpaceId = super::parse("a space id", &space)?;
                    if let Some(count) = per_space.get(&space) {
                        next_seq.insert(space, last_seq - count + 1);
                    }
                }
                if let Some(space) = per_space.keys().find(|s| !next_seq.contains_key(s)) {
                    return Err(StoreError::NotFound(format!("space {space}")));
                }
                let mut appended = Vec::with_capacity(appends.len());
                let mut first_seqs = Vec::with_capacity(appends.len());
                for (append, id) in appends.iter().zip(&ids) {
                    let count = append.changes.len() as i64;
                    let first = next_seq.get_mut(&append.space).ok_or_else(|| {
                        StoreError::NotFound(format!("space {}", append.space))
                    })?;
                    first_seqs.push(*first);
                    appended.push(Appended {
                        change_count: append.expected_change_count + count as u64,
                        last_seq: (*first + count - 1) as u64,
                        visibility: visibility.remove(id),
                    });
                    *first += count;
                }
                for chunk in rows.chunks(super::ROWS_PER_STATEMENT) {
                    let mut q = super::builder_of(&tx,
                        "INSERT INTO changes (hash, doc_id, space_id, seq, device_id, bytes, received_at) ");
                    q.push_values(chunk, |mut b, row| {
                        b.push_bind(row.change.hash.0.as_slice())
                            .push_bind(row.doc)
                            .push_bind(row.append.space.to_string())
                            .push_bind(first_seqs[row.at] + row.nth as i64)
                            .push_bind(row.device.as_str())
                            .push_bind(row.change.bytes.as_slice())
                            .push_bind(row.append.now);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                // Each run's range for the other servers, with its changes
                // in feed order.
                let notices = self.notices(told.iter().filter_map(|(space, origin, ats)| {
                    let (first, last) = (*ats.first()?, *ats.last()?);
                    let after = (first_seqs[first] - 1) as u64;
                    let end = (first_seqs[last] + appends[last].changes.len() as i64 - 1) as u64;
                    let catalogue = ats.iter().any(|&at| appends[at].doc == DocId::catalogue());
                    let carried: Vec<notify::Carried<'_>> = rows
                        .iter()
                        .filter(|row| ats.binary_search(&row.at).is_ok())
                        .map(|row| notify::Carried {
                            seq: (first_seqs[row.at] + row.nth as i64) as u64,
                            doc: row.append.doc,
                            kind: row.append.kind,
                            generation: row.append.generation,
                            bytes: &row.change.bytes,
                            visibility: appended[row.at].visibility.as_ref(),
                        })
                        .collect();
                    Some(((*space, *origin, catalogue, Some((after, end))), carried))
                }));
                notify_in!(tx, &notices);
                tx.commit().await?;
                appended
            }))
        }
        .await;
        written.map_err(super::contention_as_conflict)
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

    /// How many changes the server holds (all spaces).
    pub async fn change_count(&self) -> Result<u64, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM changes").fetch_one(pool).await?
        });
        Ok(n as u64)
    }
}

/// A `docs` row's space, kind, generation and change count as a [`DocMeta`].
fn doc_meta_of(
    space: &str,
    kind: &str,
    generation: i64,
    change_count: i64,
) -> Result<DocMeta, StoreError> {
    Ok(DocMeta {
        space: parse("space id", space)?,
        kind: parse("record kind", kind)?,
        generation: u32::try_from(generation)
            .map_err(|_| StoreError::Corrupt("generation".into()))?,
        change_count: u64::try_from(change_count)
            .map_err(|_| StoreError::Corrupt("change count".into()))?,
    })
}
