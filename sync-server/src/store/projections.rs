//! Projections and reports: the relational rows the office pages and the
//! city report read, and frozen reports.

use odnowa_shared::ids::{DocId, OrgId};
use odnowa_shared::projection::Projection;
use odnowa_shared::report::{PersonFact, ProgrammeFact, RecordFact, ReferralFact};
use odnowa_shared::time::{Date, Timestamp};

use super::{Db, StoreError, on_pool, parse, project_rows};
/// doc, opened on, closed on, outcome, organisation.
type ProgrammeTuple = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);
/// from, to, institution, sent, accepted, declined, done.
type ReferralTuple = (
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

impl Db {
    /// Every programme's days (`p_programmes`, `p_programme_reviews`),
    /// for the report.
    pub async fn programme_facts(&self) -> Result<Vec<ProgrammeFact>, StoreError> {
        let (rows, reviews): (Vec<ProgrammeTuple>, Vec<(String, String)>) = on_pool!(self, pool => {
            (
                sqlx::query_as("SELECT doc_id, opened_on, closed_on, outcome, org_id FROM p_programmes")
                    .fetch_all(pool)
                    .await?,
                sqlx::query_as("SELECT doc_id, reviewed_on FROM p_programme_reviews")
                    .fetch_all(pool)
                    .await?,
            )
        });
        let mut reviewed: std::collections::HashMap<String, Vec<Date>> =
            std::collections::HashMap::new();
        for (doc, day) in reviews {
            reviewed
                .entry(doc)
                .or_default()
                .push(parse("review day", &day)?);
        }
        rows.into_iter()
            .map(|(doc, opened, closed, outcome, org)| {
                Ok(ProgrammeFact {
                    org: org.map(|o| parse("organisation id", &o)).transpose()?,
                    opened_on: parse("opening day", &opened)?,
                    reviewed_on: reviewed.remove(&doc).unwrap_or_default(),
                    closed_on: closed.map(|d| parse("closing day", &d)).transpose()?,
                    outcome,
                })
            })
            .collect()
    }

    /// The referrals sent on or before `last_day` (`p_referrals`): those
    /// that may have moved in a period ending then.
    pub async fn referral_facts(&self, last_day: Date) -> Result<Vec<ReferralFact>, StoreError> {
        let rows: Vec<ReferralTuple> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT from_org, to_org, institution, sent_at, accepted_at, declined_at, done_at \
                 FROM p_referrals WHERE sent_day <= $1",
            )
            .bind(last_day.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(from, to, institution, sent, accepted, declined, done)| {
                Ok(ReferralFact {
                    from_org: parse("org id", &from)?,
                    to_org: to.map(|o| parse("org id", &o)).transpose()?,
                    institution,
                    sent_at: Timestamp(sent),
                    accepted_at: accepted.map(Timestamp),
                    declined_at: declined.map(Timestamp),
                    done_at: done.map(Timestamp),
                })
            })
            .collect()
    }

    /// Empties the projection tables (before a rebuild).
    pub async fn clear_projections(&self) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for table in [
                "p_record_services",
                "p_record_persons",
                "p_records",
                "p_case_notes",
                "p_programmes",
                "p_programme_reviews",
                "p_referrals",
                "p_distinct",
            ] {
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
                project_rows!(tx, [(projection, first_seen.unwrap_or(0), false)]);
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
}
