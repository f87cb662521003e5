//! Erasures as stored: what one erasure deletes and rewrites, written in
//! one transaction; the erased documents, which of them each device must
//! still purge and its confirmations; registry entries withheld from an
//! organisation.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::Row;

use odnowa_shared::ids::{DeviceId, DocId, OrgId, PersonId, SpaceId, UserId};
use odnowa_shared::office::{Erasure, PendingDevice};
use odnowa_shared::projection::Projection;
use odnowa_shared::protocol::Purge;
use odnowa_shared::records::RecordKind;
use odnowa_shared::time::Timestamp;

use super::{Db, DocMeta, StoreError, notify_in, on_pool, parse, project_rows};

/// Who may be sent a registry entry that just changed, when not every
/// device that reads the registry may (see `Db::registry_visibility`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    /// Only devices of the organisation (its id, `""` for none) that
    /// recorded the consent's withdrawal.
    Org(String),
    /// Devices that dropped the entry while it was withheld must get it
    /// whole, which only an exchange does.
    Exchange,
}

/// On the connection or transaction `$conn`: of the registry entries
/// `$ids` (their ids as text), those not every device that reads the
/// registry may be sent live, and who may (`Db::registry_visibility`).
/// In an append's transaction it sees the projections just written.
macro_rules! registry_visibility_in {
    ($conn:ident, $ids:expr) => {{
        let mut seen: std::collections::HashMap<String, super::Visibility> = Default::default();
        let ids: &[String] = $ids;
        for chunk in ids.chunks(super::ROWS_PER_STATEMENT) {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, consent_org FROM p_persons WHERE details_hidden = 1 AND erased = 0 \
                 AND consent_org IS NOT NULL AND id IN (",
            );
            super::push_ids(&mut q, chunk.iter().cloned());
            let hidden: Vec<(String, String)> = q.build_query_as().fetch_all(&mut *$conn).await?;
            for (doc, org) in hidden {
                seen.insert(doc, super::Visibility::Org(org));
            }
            let mut q = sqlx::QueryBuilder::new(
                "SELECT DISTINCT doc_id FROM withheld_purges WHERE doc_id IN (",
            );
            super::push_ids(&mut q, chunk.iter().cloned());
            let dropped: Vec<String> = q.build_query_scalar().fetch_all(&mut *$conn).await?;
            for doc in dropped {
                seen.insert(doc, super::Visibility::Exchange);
            }
        }
        seen
    }};
}
pub(crate) use registry_visibility_in;

/// Inside the transaction `$tx`: records that erasure `$erasure` deleted
/// (`keep_from` = [`DELETED`]) or rewrote document `$doc`, and writes the
/// audit row `$action`.
macro_rules! mark_erased {
    ($tx:ident, $erasure:expr, $doc:expr, $space:expr, $kind:expr, $keep_from:expr, $user:expr, $action:expr, $detail:expr) => {{
        sqlx::query(
            "INSERT INTO erased_docs (doc_id, erasure_id, space_id, kind, keep_from, at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (doc_id) DO UPDATE SET \
             erasure_id = excluded.erasure_id, keep_from = excluded.keep_from, at = excluded.at",
        )
        .bind($doc)
        .bind($erasure.id)
        .bind($space)
        .bind($kind.as_str())
        .bind($keep_from)
        .bind($erasure.at)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) VALUES ($1, $2, NULL, $3, $4, $5)",
        )
        .bind($erasure.at)
        .bind($user)
        .bind($doc)
        .bind($action)
        .bind($detail)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// `keep_from` of a deleted document in `erased_docs`.
const DELETED: i64 = -1;

fn keep_from_column(purge: &Purge) -> i64 {
    purge.keep_from.map_or(DELETED, i64::from)
}

pub(super) fn purge_of(doc: DocId, keep_from: i64) -> Purge {
    Purge {
        doc,
        keep_from: u32::try_from(keep_from).ok(),
    }
}

/// The documents an erasure touches.
pub(crate) struct Targets {
    pub(crate) group: Vec<PersonId>,
    pub(crate) case_notes: Vec<DocId>,
    pub(crate) contacts: Vec<DocId>,
    pub(crate) others: Vec<DocId>,
}

/// A contact as it will be stored after the erasure.
pub(crate) struct Rewrite {
    pub(crate) doc: DocId,
    pub(crate) old: DocMeta,
    pub(crate) generation: u32,
    pub(crate) changes: Vec<(Vec<u8>, Vec<u8>)>,
    pub(crate) projection: Projection,
}

/// One erasure as written in one transaction.
pub(crate) struct ErasureWrite<'a> {
    pub(crate) id: &'a str,
    pub(crate) person: PersonId,
    pub(crate) at: i64,
    /// Who erases; the changes of rewrites are theirs, made from the
    /// office (`DeviceId::office`).
    pub(crate) by_user: UserId,
    pub(crate) by_name: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) group: &'a [PersonId],
    pub(crate) deleted: Vec<(DocId, DocMeta)>,
    pub(crate) rewritten: Vec<Rewrite>,
    /// A contact that arrived after the erasure `id`, rewritten under it
    /// (no new erasure row).
    pub(crate) late: bool,
}

/// An erasure as stored.
pub struct ErasureRow {
    pub id: String,
    pub person: PersonId,
    pub at: i64,
    pub by: String,
    pub reason: String,
    pub deleted: u64,
    pub rewritten: u64,
}

/// How `p_persons.consent_org` names an organisation ('' for none).
pub(super) fn org_key(org: Option<OrgId>) -> String {
    org.map(|o| o.to_string()).unwrap_or_default()
}

impl Db {
    /// Whether `person` exists and was erased; `None` when there is no
    /// such person.
    pub async fn person_erased(&self, person: PersonId) -> Result<Option<bool>, StoreError> {
        let erased: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT erased FROM p_persons WHERE id = $1")
                .bind(person.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(erased.map(|e| e != 0))
    }

    pub(crate) async fn erasure_targets(&self, person: PersonId) -> Result<Targets, StoreError> {
        let group = self.person_group(person).await?;
        let mut case_notes = BTreeSet::new();
        let mut contacts = BTreeSet::new();
        let mut others = BTreeSet::new();
        for member in &group {
            let (notes, records): (Vec<String>, Vec<(String, String)>) = on_pool!(self, pool => {
                let notes = sqlx::query_scalar("SELECT doc_id FROM p_case_notes WHERE person_id = $1")
                    .bind(member.to_string())
                    .fetch_all(pool)
                    .await?;
                let records = sqlx::query_as(
                    "SELECT r.doc_id, r.kind FROM p_record_persons rp JOIN p_records r ON r.doc_id = rp.doc_id \
                     WHERE rp.person_id = $1",
                )
                .bind(member.to_string())
                .fetch_all(pool)
                .await?;
                (notes, records)
            });
            for doc in notes {
                case_notes.insert(parse::<DocId>("doc id", &doc)?);
            }
            for (doc, kind) in records {
                let doc: DocId = parse("doc id", &doc)?;
                if kind == RecordKind::Contact.as_str() {
                    contacts.insert(doc);
                } else {
                    others.insert(doc);
                }
            }
        }
        Ok(Targets {
            group,
            case_notes: case_notes.into_iter().collect(),
            contacts: contacts.into_iter().collect(),
            others: others.into_iter().collect(),
        })
    }

    /// The referrals of `person` (`p_referrals`).
    pub(crate) async fn referrals_of(&self, person: PersonId) -> Result<Vec<DocId>, StoreError> {
        let rows: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT doc_id FROM p_referrals WHERE person_id = $1")
                .bind(person.to_string())
                .fetch_all(pool)
                .await?
        });
        rows.iter().map(|d| parse("doc id", d)).collect()
    }

    /// Writes one erasure in one transaction; `Conflict` when a document
    /// changed since it was read.
    pub(crate) async fn write_erasure(&self, erasure: &ErasureWrite<'_>) -> Result<(), StoreError> {
        let spaces: std::collections::BTreeSet<SpaceId> = erasure
            .deleted
            .iter()
            .map(|(_, meta)| meta.space)
            .chain(erasure.rewritten.iter().map(|r| r.old.space))
            .collect();
        let office = DeviceId::office(erasure.by_user);
        let notices = self.notices(
            spaces
                .into_iter()
                .map(|space| ((space, office, false, None), Vec::new())),
        );
        let _gate = self.gate().await;
        let device = office.to_string();
        let user = erasure.by_user.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if erasure.late {
                sqlx::query("UPDATE erasures SET rewritten = rewritten + $1 WHERE id = $2")
                    .bind(erasure.rewritten.len() as i64)
                    .bind(erasure.id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "INSERT INTO erasures (id, person_id, at, by_user, reason, deleted, rewritten) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(erasure.id)
                .bind(erasure.person.to_string())
                .bind(erasure.at)
                .bind(erasure.by_name)
                .bind(erasure.reason)
                .bind(erasure.deleted.len() as i64)
                .bind(erasure.rewritten.len() as i64)
                .execute(&mut *tx)
                .await?;
            }
            for (doc, meta) in &erasure.deleted {
                let id = doc.to_string();
                sqlx::query("DELETE FROM changes WHERE doc_id = $1").bind(&id).execute(&mut *tx).await?;
                let gone = sqlx::query("DELETE FROM docs WHERE id = $1 AND change_count = $2 AND generation = $3")
                    .bind(&id)
                    .bind(meta.change_count as i64)
                    .bind(i64::from(meta.generation))
                    .execute(&mut *tx)
                    .await?;
                if gone.rows_affected() == 0 {
                    return Err(StoreError::Conflict);
                }
                for table in ["p_case_notes", "p_programmes", "p_programme_reviews", "p_referrals"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE doc_id = $1")).bind(&id).execute(&mut *tx).await?;
                }
                sqlx::query("DELETE FROM quarantine WHERE doc_id = $1").bind(&id).execute(&mut *tx).await?;
                mark_erased!(tx, erasure, &id, meta.space.to_string(), meta.kind, DELETED, &user,
                    "erase_delete", format!("erasure {}", erasure.id));
            }
            for person in erasure.group {
                sqlx::query(
                    "UPDATE p_persons SET alias = '', alias_folded = '', birth_year = NULL, gender = '', \
                     details_hidden = 1, erased = 1 WHERE id = $1",
                )
                .bind(person.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM p_distinct WHERE person_id = $1 OR other_id = $1")
                    .bind(person.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            for rewrite in &erasure.rewritten {
                let id = rewrite.doc.to_string();
                let space = rewrite.old.space.to_string();
                let count = rewrite.changes.len() as i64;
                sqlx::query("DELETE FROM changes WHERE doc_id = $1").bind(&id).execute(&mut *tx).await?;
                let updated = sqlx::query(
                    "UPDATE docs SET generation = $1, change_count = $2, snapshot = NULL, snapshot_seq = 0, updated_at = $3 \
                     WHERE id = $4 AND change_count = $5 AND generation = $6",
                )
                .bind(i64::from(rewrite.generation))
                .bind(count)
                .bind(erasure.at)
                .bind(&id)
                .bind(rewrite.old.change_count as i64)
                .bind(i64::from(rewrite.old.generation))
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Err(StoreError::Conflict);
                }
                let last_seq: i64 = sqlx::query_scalar(
                    "UPDATE spaces SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq",
                )
                .bind(count)
                .bind(&space)
                .fetch_one(&mut *tx)
                .await?;
                let first_seq = last_seq - count + 1;
                for (i, (hash, bytes)) in rewrite.changes.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO changes (hash, doc_id, space_id, seq, device_id, bytes, received_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(hash.as_slice())
                    .bind(&id)
                    .bind(&space)
                    .bind(first_seq + i as i64)
                    .bind(&device)
                    .bind(bytes.as_slice())
                    .bind(erasure.at)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("DELETE FROM quarantine WHERE doc_id = $1").bind(&id).execute(&mut *tx).await?;
                mark_erased!(tx, erasure, &id, space.clone(), rewrite.old.kind,
                    i64::from(rewrite.generation), &user, "erase_rewrite",
                    format!("erasure {}: generation {}", erasure.id, rewrite.generation));
                project_rows!(tx, [(&rewrite.projection, erasure.at, false)]);
            }
            if !erasure.late {
                sqlx::query(
                    "INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) VALUES ($1, $2, NULL, $3, 'erase', $4)",
                )
                .bind(erasure.at)
                .bind(&user)
                .bind(erasure.person.doc_id().to_string())
                .bind(format!(
                    "erasure {}: {} deleted, {} rewritten; {}",
                    erasure.id,
                    erasure.deleted.len(),
                    erasure.rewritten.len(),
                    erasure.reason
                ))
                .execute(&mut *tx)
                .await?;
            }
            notify_in!(tx, &notices);
            tx.commit().await?;
        });
        // SQLite: the connections delete securely (zeroed pages); fold the
        // write-ahead log, which still holds the old pages, into the file.
        if let crate::store::Pool::Sqlite(pool) = &self.pool {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// How `doc` was erased: `None` if it never was; `Some(None)` when it
    /// was deleted; `Some(Some(g))` when it was rewritten as generation `g`.
    pub async fn erased_doc(&self, doc: DocId) -> Result<Option<Option<u32>>, StoreError> {
        let keep_from: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT keep_from FROM erased_docs WHERE doc_id = $1")
                .bind(doc.to_string())
                .fetch_optional(pool)
                .await?
        });
        Ok(keep_from.map(|k| purge_of(doc, k).keep_from))
    }

    /// Of `docs` (registry entries just changed), those not every device
    /// that reads the registry may be sent live: withheld from all but one
    /// organisation, or to be sent whole to devices that dropped them.
    pub async fn registry_visibility(
        &self,
        docs: &[DocId],
    ) -> Result<HashMap<DocId, Visibility>, StoreError> {
        let ids: Vec<String> = docs.iter().map(DocId::to_string).collect();
        let seen = on_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            registry_visibility_in!(conn, &ids)
        });
        seen.into_iter()
            .map(|(doc, visibility)| Ok((parse("doc id", &doc)?, visibility)))
            .collect()
    }

    /// `doc` was sent whole to `device` up to feed position `upto`
    /// (`None`: the device holds it again; it is no longer tracked).
    pub async fn withheld_resent(
        &self,
        device: DeviceId,
        doc: DocId,
        upto: Option<u64>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            match upto {
                Some(upto) => sqlx::query(
                    "UPDATE withheld_purges SET resent_upto = $1 WHERE device_id = $2 AND doc_id = $3",
                )
                .bind(upto as i64)
                .bind(device.to_string())
                .bind(doc.to_string())
                .execute(pool)
                .await?,
                None => sqlx::query("DELETE FROM withheld_purges WHERE device_id = $1 AND doc_id = $2")
                    .bind(device.to_string())
                    .bind(doc.to_string())
                    .execute(pool)
                    .await?,
            };
        });
        Ok(())
    }

    /// Records that `device` purged `purged` (those that match an erasure;
    /// anything else is ignored).
    pub async fn confirm_purges(
        &self,
        device: DeviceId,
        purged: &[Purge],
        now: i64,
    ) -> Result<(), StoreError> {
        if purged.is_empty() {
            return Ok(());
        }
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for purge in purged {
                // A registry entry dropped because it was withheld (and,
                // harmlessly, any entry the device says it dropped): sent
                // whole again should the device be allowed it.
                if purge.keep_from.is_none() {
                    sqlx::query(
                        "INSERT INTO withheld_purges (device_id, doc_id, at, resent_upto) \
                         SELECT $1, id, $2, NULL FROM p_persons WHERE id = $3 AND erased = 0 \
                         ON CONFLICT (device_id, doc_id) DO UPDATE SET at = excluded.at, resent_upto = NULL",
                    )
                    .bind(device.to_string())
                    .bind(now)
                    .bind(purge.doc.to_string())
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO purge_confirmations (doc_id, device_id, keep_from, at) \
                     SELECT doc_id, $2, keep_from, $3 FROM erased_docs WHERE doc_id = $1 AND keep_from = $4 \
                     ON CONFLICT (doc_id, device_id) DO UPDATE SET keep_from = excluded.keep_from, at = excluded.at",
                )
                .bind(purge.doc.to_string())
                .bind(device.to_string())
                .bind(now)
                .bind(keep_from_column(purge))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The latest erasures, newest first.
    pub async fn erasures(&self, limit: u32) -> Result<Vec<ErasureRow>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "SELECT id, person_id, at, by_user, reason, deleted, rewritten \
                 FROM erasures ORDER BY at DESC, id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|row| {
                Ok(ErasureRow {
                    id: row.try_get(0)?,
                    person: parse("person id", &row.try_get::<String, _>(1)?)?,
                    at: row.try_get(2)?,
                    by: row.try_get(3)?,
                    reason: row.try_get(4)?,
                    deleted: row.try_get::<i64, _>(5)? as u64,
                    rewritten: row.try_get::<i64, _>(6)? as u64,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()
        })
    }

    /// The documents an erasure left to purge, with their spaces, and the
    /// (device, document) pairs confirmed.
    async fn erasure_progress(
        &self,
        erasure: &str,
    ) -> Result<(Vec<(DocId, SpaceId)>, HashSet<(DeviceId, DocId)>), StoreError> {
        type Pairs = Vec<(String, String)>;
        let (docs, confirmed): (Pairs, Pairs) = on_pool!(self, pool => {
            let docs = sqlx::query_as("SELECT doc_id, space_id FROM erased_docs WHERE erasure_id = $1")
                .bind(erasure)
                .fetch_all(pool)
                .await?;
            let confirmed = sqlx::query_as(
                "SELECT c.device_id, c.doc_id FROM purge_confirmations c JOIN erased_docs e \
                 ON e.doc_id = c.doc_id AND e.keep_from = c.keep_from WHERE e.erasure_id = $1",
            )
            .bind(erasure)
            .fetch_all(pool)
            .await?;
            (docs, confirmed)
        });
        let docs = docs
            .into_iter()
            .map(|(d, s)| Ok((parse("doc id", &d)?, parse("space id", &s)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let confirmed = confirmed
            .into_iter()
            .map(|(dev, d)| Ok((parse("device id", &dev)?, parse("doc id", &d)?)))
            .collect::<Result<HashSet<_>, StoreError>>()?;
        Ok((docs, confirmed))
    }

    /// The latest erasures with the devices (of `org`, or all) that have
    /// not confirmed them: enrolled before the erasure, reading a space
    /// that held an erased document.
    pub async fn erasures_with_progress(
        &self,
        org: Option<OrgId>,
        limit: u32,
    ) -> Result<Vec<Erasure>, StoreError> {
        let devices = self.list_devices(org).await?;
        let mut readable: HashMap<UserId, HashSet<SpaceId>> = HashMap::new();
        for device in &devices {
            if let std::collections::hash_map::Entry::Vacant(slot) = readable.entry(device.user_id)
            {
                let grants = self.grants(device.user_id).await?;
                slot.insert(grants.into_iter().map(|g| g.space).collect());
            }
        }
        let mut out = Vec::new();
        for row in self.erasures(limit).await? {
            let (docs, confirmed) = self.erasure_progress(&row.id).await?;
            let mut pending = Vec::new();
            for device in devices.iter().filter(|d| d.created_at <= row.at) {
                let spaces = readable.get(&device.user_id);
                let owed = docs
                    .iter()
                    .filter(|(doc, space)| {
                        spaces.is_some_and(|s| s.contains(space))
                            && !confirmed.contains(&(device.device, *doc))
                    })
                    .count() as u64;
                if owed > 0 {
                    pending.push(PendingDevice {
                        device: device.device,
                        name: device.name.clone(),
                        user: device.user.clone(),
                        last_seen_at: device.last_seen_at.map(Timestamp),
                        revoked_at: device.revoked_at.map(Timestamp),
                        documents: owed,
                    });
                }
            }
            out.push(Erasure {
                id: row.id,
                person: row.person,
                at: Timestamp(row.at),
                by: row.by,
                reason: row.reason,
                deleted: row.deleted,
                rewritten: row.rewritten,
                pending,
            });
        }
        Ok(out)
    }

    /// The erasure that deleted `doc`, if one did.
    pub(crate) async fn erasure_of(&self, doc: DocId) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT erasure_id FROM erased_docs WHERE doc_id = $1 AND keep_from = $2")
                .bind(doc.to_string())
                .bind(DELETED)
                .fetch_optional(pool)
                .await?
        }))
    }
}
