//! One pooled connection held for a run of reads: an exchange's.
//!
//! sqlx checks every connection it takes back into the pool (PostgreSQL: a
//! ping, one more round trip; SQLite: this store's `BEGIN`/`ROLLBACK` that
//! finds a transaction left open). A statement run on the pool pays that
//! once for itself; the ten or so reads of one exchange run on one
//! [`Reader`] pay it once in all. Measured: that ping was an eighth of
//! the server's CPU at 500 devices (BENCHMARKS.md).
//!
//! A reader takes its connection at its first read and keeps it until it
//! is dropped or [`Reader::release`]d. It must give it back before its
//! holder writes or waits on anything that needs a connection of its own:
//! sixteen exchanges each holding one and waiting for a second would empty
//! the pool and wait out its timeout.

use std::collections::{HashMap, HashSet};

use sqlx::Row;
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};

use odnowa_shared::access::{self, Role, SpaceFacts};
use odnowa_shared::ids::{DeviceId, DocId, OrgId, SpaceId, UserId};
use odnowa_shared::protocol::Purge;

use super::erasure::{org_key, purge_of};
use super::{Db, FeedRow, Grant, PeerFacts, Pool, SnapshotRow, StoreError, UserFacts, parse};

/// Reads on one pooled connection; see the module's documentation.
pub struct Reader<'db> {
    db: &'db Db,
    conn: Option<Conn>,
}

pub(crate) enum Conn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

/// Runs `$body` with `$conn` bound to the reader's connection (a
/// `&mut PoolConnection` of whichever backend; `&mut **$conn` is the
/// executor); the body is compiled once per backend.
macro_rules! on_conn {
    ($reader:expr, $conn:ident => $body:expr) => {
        match $reader.conn().await? {
            Conn::Sqlite($conn) => $body,
            Conn::Postgres($conn) => $body,
        }
    };
}

/// A query builder of the backend of `_conn`.
fn builder_for<'args, DB: sqlx::Database>(
    _conn: &PoolConnection<DB>,
    sql: &str,
) -> sqlx::QueryBuilder<'args, DB> {
    sqlx::QueryBuilder::new(sql)
}

impl Db {
    /// A reader of this database; it takes a connection at its first read.
    pub fn reader(&self) -> Reader<'_> {
        Reader {
            db: self,
            conn: None,
        }
    }
}

impl Reader<'_> {
    async fn conn(&mut self) -> Result<&mut Conn, StoreError> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => match &self.db.pool {
                Pool::Sqlite(pool) => Conn::Sqlite(pool.acquire().await?),
                Pool::Postgres(pool) => Conn::Postgres(pool.acquire().await?),
            },
        };
        Ok(self.conn.insert(conn))
    }

    /// Gives the connection back to the pool, before a write or anything
    /// else that takes a connection of its own; the next read takes one
    /// again.
    pub fn release(&mut self) {
        self.conn = None;
    }

    /// A user's role, organisation and whether they are disabled.
    pub async fn user_facts(&mut self, user: UserId) -> Result<Option<UserFacts>, StoreError> {
        Ok(self.peer_facts(user, None).await?.map(|facts| facts.user))
    }

    /// [`Self::user_facts`] of `user`, with what an exchange of `device`
    /// needs of the device, in one statement.
    pub async fn peer_facts(
        &mut self,
        user: UserId,
        device: Option<DeviceId>,
    ) -> Result<Option<PeerFacts>, StoreError> {
        let device = device.map(|d| d.to_string()).unwrap_or_default();
        // The user's name, role, organisation, disabled; the device's
        // name; whether it dropped withheld registry entries.
        type Row = (String, String, Option<String>, i64, Option<String>, i64);
        let row: Option<Row> = on_conn!(self, conn => {
            sqlx::query_as(
                "SELECT u.name, u.role, u.org_id, u.disabled, \
                 (SELECT d.name FROM devices d WHERE d.id = $2 AND d.user_id = u.id), \
                 CAST(CASE WHEN EXISTS (SELECT 1 FROM withheld_purges w WHERE w.device_id = $2) \
                 THEN 1 ELSE 0 END AS BIGINT) \
                 FROM users u WHERE u.id = $1",
            )
            .bind(user.to_string())
            .bind(device)
            .fetch_optional(&mut **conn)
            .await?
        });
        row.map(|(name, role, org, disabled, device_name, dropped)| {
            Ok(PeerFacts {
                user: UserFacts {
                    id: user,
                    name,
                    role,
                    org: org.map(|o| parse("org id", &o)).transpose()?,
                    disabled: disabled != 0,
                },
                device_name: device_name.unwrap_or_default(),
                dropped_withheld: dropped != 0,
            })
        })
        .transpose()
    }

    /// The spaces a device of the user `who` may read, and which it may
    /// write: the role's rules (`odnowa_shared::access`) over the spaces
    /// and the user's explicit grants. A disabled user, or a role the
    /// server does not know, gets none.
    pub async fn grants_of(&mut self, who: &UserFacts) -> Result<Vec<Grant>, StoreError> {
        let user = who.id;
        let Some(role) = Role::from_stored(&who.role).filter(|_| !who.disabled) else {
            if !who.disabled {
                tracing::warn!(%user, role = %who.role, "a user with an unknown role reads nothing");
            }
            return Ok(Vec::new());
        };
        // id, name, organisation, an explicit grant's write, the partner.
        type SpaceRow = (String, String, Option<String>, Option<i64>, Option<String>);
        // Only the spaces `device_access` may give (the registry, the
        // organisation's own, its referral spaces), which still decides:
        // a consortium of n members has some n² referral spaces, and a
        // device reads about n of them.
        let rows: Vec<SpaceRow> = on_conn!(self, conn => {
            let query = match who.org {
                Some(org) => sqlx::query_as(
                    "SELECT s.id, s.name, s.org_id, g.can_write, s.partner_org FROM spaces s \
                     LEFT JOIN grants g ON g.space_id = s.id AND g.user_id = $1 \
                     WHERE s.id = $2 OR s.org_id = $3 OR s.partner_org = $3",
                )
                .bind(user.to_string())
                .bind(SpaceId::REGISTRY.to_string())
                .bind(org.to_string()),
                None => sqlx::query_as(
                    "SELECT s.id, s.name, s.org_id, g.can_write, s.partner_org FROM spaces s \
                     LEFT JOIN grants g ON g.space_id = s.id AND g.user_id = $1 \
                     WHERE s.id = $2 OR s.org_id IS NULL",
                )
                .bind(user.to_string())
                .bind(SpaceId::REGISTRY.to_string()),
            };
            query.fetch_all(&mut **conn).await?
        });
        let spaces = rows
            .into_iter()
            .map(|(space, name, org, granted, partner)| {
                Ok(SpaceFacts {
                    space: parse("space id", &space)?,
                    name,
                    org: org.map(|o| parse("org id", &o)).transpose()?,
                    granted: granted.map(|w| w != 0),
                    partner: partner.map(|o| parse("org id", &o)).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(access::device_access(role, who.org, &spaces))
    }

    /// The feed epoch. It changes when the feed was restored from a backup,
    /// so that devices push everything again and start afresh.
    pub async fn epoch(&mut self) -> Result<u64, StoreError> {
        let value: String = on_conn!(self, conn => {
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'epoch'")
                .fetch_one(&mut **conn)
                .await?
        });
        parse("epoch", &value)
    }

    /// How many documents `space` holds (for a device's first-sync progress).
    pub async fn space_doc_count(&mut self, space: SpaceId) -> Result<u64, StoreError> {
        let n: i64 = on_conn!(self, conn => {
            sqlx::query_scalar("SELECT COUNT(*) FROM docs WHERE space_id = $1")
                .bind(space.to_string())
                .fetch_one(&mut **conn)
                .await?
        });
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// The feed epoch ([`Self::epoch`]) and the last sequence number of
    /// each of `spaces`' feeds (those that exist), in one statement (on
    /// SQLite one per 500 spaces).
    pub async fn feed_ends(
        &mut self,
        spaces: &[SpaceId],
    ) -> Result<(u64, HashMap<SpaceId, u64>), StoreError> {
        let mut epoch = None;
        let mut seqs = HashMap::new();
        // The epoch's row joined to the spaces': one row even when none
        // of them exists.
        let chunks: Vec<&[SpaceId]> = match spaces.len() {
            0 => vec![&[]],
            _ => spaces.chunks(super::ROWS_PER_STATEMENT).collect(),
        };
        for chunk in chunks {
            let ids = chunk.iter().map(SpaceId::to_string);
            let rows: Vec<(String, Option<String>, Option<i64>)> = match self.conn().await? {
                Conn::Sqlite(conn) => {
                    let mut q = builder_for(
                        conn,
                        "SELECT m.value, s.id, s.last_seq FROM meta m LEFT JOIN spaces s ON s.id IN (",
                    );
                    super::push_ids(&mut q, ids);
                    q.push(" WHERE m.key = 'epoch'");
                    q.build_query_as().fetch_all(&mut **conn).await?
                }
                // One array: the same prepared statement for any number of
                // spaces (a device of a large consortium reads dozens of
                // referral spaces), no list to plan on every exchange.
                Conn::Postgres(conn) => {
                    sqlx::query_as(
                        "SELECT m.value, s.id, s.last_seq FROM meta m LEFT JOIN spaces s \
                         ON s.id = ANY($1) WHERE m.key = 'epoch'",
                    )
                    .bind(ids.collect::<Vec<String>>())
                    .fetch_all(&mut **conn)
                    .await?
                }
            };
            for (value, space, seq) in rows {
                epoch.get_or_insert(value);
                if let (Some(space), Some(seq)) = (space, seq) {
                    seqs.insert(parse("space id", &space)?, seq as u64);
                }
            }
        }
        let epoch = epoch.ok_or_else(|| StoreError::Corrupt("no feed epoch".into()))?;
        Ok((parse("epoch", &epoch)?, seqs))
    }

    /// Changes of `space` with `after < seq <= upto`, in feed order,
    /// without those `exclude` pushed itself; at most `limit` rows.
    pub async fn feed(
        &mut self,
        space: SpaceId,
        after: u64,
        upto: u64,
        exclude: DeviceId,
        limit: u32,
    ) -> Result<Vec<FeedRow>, StoreError> {
        on_conn!(self, conn => {
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
            .fetch_all(&mut **conn)
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
        &mut self,
        space: SpaceId,
        after: Option<DocId>,
        limit: u32,
    ) -> Result<Vec<SnapshotRow>, StoreError> {
        let after = after.map(|d| d.to_string()).unwrap_or_default();
        let (docs, changes) = on_conn!(self, conn => {
            let docs: Vec<(String, String, i64, Option<Vec<u8>>)> = sqlx::query_as(
                "SELECT id, kind, generation, snapshot FROM docs \
                 WHERE space_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(space.to_string())
            .bind(&after)
            .bind(i64::from(limit))
            .fetch_all(&mut **conn)
            .await?;
            let changes: Vec<(String, Vec<u8>)> = sqlx::query_as(
                "SELECT c.doc_id, c.bytes FROM changes c JOIN docs d ON d.id = c.doc_id \
                 WHERE c.doc_id IN (SELECT id FROM docs WHERE space_id = $1 AND id > $2 ORDER BY id LIMIT $3) \
                 AND c.seq > d.snapshot_seq ORDER BY c.doc_id, c.seq",
            )
            .bind(space.to_string())
            .bind(&after)
            .bind(i64::from(limit))
            .fetch_all(&mut **conn)
            .await?;
            (docs, changes)
        });
        let mut by_doc: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
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

    /// What `device` (of a user of `org`) must drop and has not confirmed,
    /// at most `limit`: erased documents of `spaces`, then registry
    /// entries withheld from `org` (a consent withdrawn that another
    /// organisation recorded).
    pub async fn pending_purges(
        &mut self,
        device: DeviceId,
        org: Option<OrgId>,
        spaces: &[SpaceId],
        limit: usize,
    ) -> Result<Vec<Purge>, StoreError> {
        if spaces.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // Both parts in one statement, each with its own order and limit;
        // the first column puts the erasures first.
        let rows: Vec<(i64, i64, String, i64)> = on_conn!(self, conn => {
            let mut q = builder_for(conn,
                "SELECT * FROM (SELECT CAST(0 AS BIGINT) AS part, e.at, e.doc_id, e.keep_from \
                 FROM erased_docs e \
                 WHERE NOT EXISTS (SELECT 1 FROM purge_confirmations c WHERE c.doc_id = e.doc_id \
                 AND c.device_id = ");
            q.push_bind(device.to_string());
            q.push(" AND c.keep_from = e.keep_from) AND e.space_id IN (");
            super::push_ids(&mut q, spaces.iter().map(SpaceId::to_string));
            q.push(" ORDER BY e.at, e.doc_id LIMIT ");
            q.push_bind(limit as i64);
            q.push(") erased");
            if spaces.contains(&SpaceId::REGISTRY) {
                q.push(
                    " UNION ALL SELECT * FROM (SELECT CAST(1 AS BIGINT) AS part, CAST(0 AS BIGINT) AS at, \
                     p.id AS doc_id, CAST(-1 AS BIGINT) AS keep_from FROM p_persons p \
                     WHERE p.details_hidden = 1 AND p.erased = 0 \
                     AND p.consent_org IS NOT NULL AND p.consent_org <> ",
                );
                q.push_bind(org_key(org));
                q.push(" AND NOT EXISTS (SELECT 1 FROM withheld_purges w WHERE w.device_id = ");
                q.push_bind(device.to_string());
                q.push(" AND w.doc_id = p.id) ORDER BY p.id LIMIT ");
                q.push_bind(limit as i64);
                q.push(") withheld");
            }
            q.push(" ORDER BY 1, 2, 3");
            q.build_query_as().fetch_all(&mut **conn).await?
        });
        rows.into_iter()
            .take(limit)
            .map(|(_, _, doc, keep_from)| Ok(purge_of(parse("doc id", &doc)?, keep_from)))
            .collect()
    }

    /// Registry entries withheld from devices of `org`.
    pub async fn withheld_persons(
        &mut self,
        org: Option<OrgId>,
    ) -> Result<HashSet<DocId>, StoreError> {
        let rows: Vec<String> = on_conn!(self, conn => {
            sqlx::query_scalar(
                "SELECT id FROM p_persons WHERE details_hidden = 1 AND erased = 0 \
                 AND consent_org IS NOT NULL AND consent_org <> $1",
            )
            .bind(org_key(org))
            .fetch_all(&mut **conn)
            .await?
        });
        rows.iter().map(|doc| parse("doc id", doc)).collect()
    }

    /// Entries `device` dropped when they were withheld from `org` and that
    /// it may hold again (a new consent), with the feed position at which
    /// they were last sent to it whole.
    pub async fn withheld_to_resend(
        &mut self,
        device: DeviceId,
        org: Option<OrgId>,
    ) -> Result<Vec<(DocId, Option<u64>)>, StoreError> {
        // Asked only of a device that dropped some ([`PeerFacts`]).
        let rows: Vec<(String, Option<i64>)> = on_conn!(self, conn => {
            sqlx::query_as(
                "SELECT w.doc_id, w.resent_upto FROM withheld_purges w JOIN p_persons p ON p.id = w.doc_id \
                 WHERE w.device_id = $1 AND p.erased = 0 \
                 AND NOT (p.details_hidden = 1 AND p.consent_org IS NOT NULL AND p.consent_org <> $2) \
                 ORDER BY w.doc_id LIMIT 200",
            )
            .bind(device.to_string())
            .bind(org_key(org))
            .fetch_all(&mut **conn)
            .await?
        });
        rows.into_iter()
            .map(|(doc, upto)| Ok((parse("doc id", &doc)?, upto.map(|u| u as u64))))
            .collect()
    }
}
