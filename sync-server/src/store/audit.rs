//! The audit log (who opened, changed or was refused what) and the
//! quarantine of refused pushes.

use odnowa_shared::ids::{DeviceId, DocId, OrgId, SpaceId, UserId};
use odnowa_shared::office::{AuditEntry, AuditSubject};

use super::{Db, StoreError, on_pool, parse};
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

impl Db {
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
        if readable.is_empty() {
            return Ok(reads.len());
        }
        let mut ignored = 0;
        let enrolled: Option<i64> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT created_at FROM devices WHERE id = $1")
                .bind(device.to_string())
                .fetch_optional(pool)
                .await?
        });
        let enrolled = enrolled.unwrap_or(now);
        // On SQLite a transaction that reads first cannot write once
        // another connection has written ("database is locked" at once,
        // whatever the busy timeout): with the other writers (the gate),
        // and each read's check inside its write.
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for read in reads {
                // A read is the device's word: only of a record it may
                // read, and at a time between its enrolment and this
                // request (a clock that is off is brought inside).
                let at = odnowa_shared::time::Timestamp(read.at.0.clamp(enrolled.min(now), now));
                let mut q = super::builder_of(&tx,
                    "INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) SELECT ");
                q.push_bind(now)
                    .push(", ")
                    .push_bind(user.to_string())
                    .push(", ")
                    .push_bind(device.to_string())
                    .push(", id, 'device_read', ")
                    .push_bind(format!("opened on the device at {}", at.warsaw_rfc3339()))
                    .push(" FROM docs WHERE id = ")
                    .push_bind(read.doc.to_string())
                    .push(" AND space_id IN (");
                super::push_ids(&mut q, readable.iter().cloned());
                if q.build().execute(&mut *tx).await?.rows_affected() == 0 {
                    ignored += 1;
                }
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

    /// Writes one audit row.
    pub async fn audit(
        &self,
        user: Option<UserId>,
        doc: Option<odnowa_shared::ids::DocId>,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let now = chrono::Utc::now().timestamp_millis();
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO audit (at, user_id, device_id, doc_id, action, detail) VALUES ($1, $2, NULL, $3, $4, $5)")
                .bind(now)
                .bind(user.map(|u| u.to_string()))
                .bind(doc.map(|d| d.to_string()))
                .bind(action)
                .bind(detail)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Audit rows with `action`, oldest first: (user, doc, detail).
    pub async fn audit_rows(
        &self,
        action: &str,
    ) -> Result<Vec<(Option<String>, Option<String>, String)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT user_id, doc_id, detail FROM audit WHERE action = $1 ORDER BY id")
                .bind(action)
                .fetch_all(pool)
                .await?
        }))
    }
}
