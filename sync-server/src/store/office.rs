//! What the office pages read from the projections: pages of records by
//! filter, record lines, persons, a person's timeline, likely duplicates.
//! A coordinator's calls pass their organisation as `scope`, and see only
//! records of their organisation's spaces.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use odnowa_shared::ids::{DocId, OrgId, PersonId, SpaceId};
use odnowa_shared::office::{
    DuplicatePair, DuplicateReason, NamedOption, PersonSummary, RECORDS_PAGE, RecordFilter,
    RecordPage, RecordSummary, Seen,
};
use odnowa_shared::records::{Catalogue, RecordKind};
use odnowa_shared::report::roots;
use odnowa_shared::search::{alike_pairs, edit_distance, fold};
use odnowa_shared::time::Timestamp;

use super::{Db, StoreError, on_pool, parse};

/// Duplicate pairs listed at most.
pub const MAX_PAIRS: usize = 200;

/// Who may see what: `None` all records, `Some(org)` one organisation's.
pub type Scope = Option<Option<OrgId>>;

impl Db {
    /// A page of records matching `filter`, newest first.
    pub async fn records_page(
        &self,
        filter: &RecordFilter,
        scope: Scope,
        catalogue: &Catalogue,
    ) -> Result<RecordPage, StoreError> {
        let mut conditions = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        let bind = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if let Some(service) = &filter.service {
            let p = bind(service.clone(), &mut binds);
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM p_record_services s WHERE s.doc_id = r.doc_id AND s.service = {p})"
            ));
        }
        if let Some(org) = filter.org {
            let p = bind(org.to_string(), &mut binds);
            conditions.push(format!("r.org_id = {p}"));
        }
        if let Some(site) = filter.site {
            let p = bind(site.to_string(), &mut binds);
            conditions.push(format!("r.site_id = {p}"));
        }
        if let Some(worker) = filter.worker {
            let p = bind(worker.to_string(), &mut binds);
            conditions.push(format!("r.worker_id = {p}"));
        }
        if let Some(from) = filter.from {
            let p = bind(from.to_string(), &mut binds);
            conditions.push(format!("r.day >= {p}"));
        }
        if let Some(to) = filter.to {
            let p = bind(to.to_string(), &mut binds);
            conditions.push(format!("r.day <= {p}"));
        }
        if let Some(org) = scope {
            match org {
                Some(org) => {
                    let p = bind(org.to_string(), &mut binds);
                    conditions.push(format!("r.org_id = {p}"));
                }
                None => conditions.push("1 = 0".into()),
            }
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let offset = filter.offset.unwrap_or(0);
        let count_sql = format!("SELECT COUNT(*) FROM p_records r {filter_sql}");
        let page_sql = format!(
            "SELECT r.doc_id FROM p_records r {filter_sql} ORDER BY r.at DESC, r.doc_id LIMIT {RECORDS_PAGE} OFFSET {offset}"
        );
        let (total, ids): (i64, Vec<String>) = on_pool!(self, pool => {
            let mut count = sqlx::query_scalar(&count_sql);
            for value in &binds {
                count = count.bind(value);
            }
            let total: i64 = count.fetch_one(pool).await?;
            let mut page = sqlx::query_scalar(&page_sql);
            for value in &binds {
                page = page.bind(value);
            }
            (total, page.fetch_all(pool).await?)
        });
        let ids = ids
            .iter()
            .map(|id| parse("doc id", id))
            .collect::<Result<Vec<DocId>, _>>()?;
        Ok(RecordPage {
            records: self.summaries(&ids, catalogue).await?,
            total: total as u64,
            offset,
        })
    }

    /// The lines of `docs` (in the order given; unknown ids are left out).
    pub async fn summaries(
        &self,
        docs: &[DocId],
        catalogue: &Catalogue,
    ) -> Result<Vec<RecordSummary>, StoreError> {
        let mut found = Vec::with_capacity(docs.len());
        for chunk in docs.chunks(200) {
            let list = placeholders(chunk.len());
            let records_sql = format!(
                "SELECT r.doc_id, r.kind, r.at, r.day, r.space_id, s.name, o.name, r.site_id, u.name, \
                 r.place, r.anonymous_count, r.minutes \
                 FROM p_records r JOIN spaces s ON s.id = r.space_id LEFT JOIN orgs o ON o.id = r.org_id \
                 LEFT JOIN users u ON u.id = r.worker_id WHERE r.doc_id IN ({list})"
            );
            let services_sql = format!(
                "SELECT doc_id, service FROM p_record_services WHERE doc_id IN ({list}) ORDER BY service"
            );
            let persons_sql = format!(
                "SELECT rp.doc_id, COALESCE(p.alias, '') FROM p_record_persons rp \
                 LEFT JOIN p_persons p ON p.id = rp.person_id WHERE rp.doc_id IN ({list}) ORDER BY p.alias_folded"
            );
            let ids: Vec<String> = chunk.iter().map(|d| d.to_string()).collect();
            #[allow(clippy::type_complexity)]
            let (records, services, persons): (
                Vec<(
                    String,
                    String,
                    i64,
                    String,
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                    String,
                    i64,
                    i64,
                )>,
                Vec<(String, String)>,
                Vec<(String, String)>,
            ) = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&records_sql);
                for id in &ids {
                    q = q.bind(id);
                }
                let records = q.fetch_all(pool).await?;
                let mut q = sqlx::query_as(&services_sql);
                for id in &ids {
                    q = q.bind(id);
                }
                let services = q.fetch_all(pool).await?;
                let mut q = sqlx::query_as(&persons_sql);
                for id in &ids {
                    q = q.bind(id);
                }
                (records, services, q.fetch_all(pool).await?)
            });
            let mut services_of: HashMap<String, Vec<String>> = HashMap::new();
            for (doc, service) in services {
                services_of.entry(doc).or_default().push(service);
            }
            let mut persons_of: HashMap<String, Vec<String>> = HashMap::new();
            for (doc, alias) in persons {
                persons_of.entry(doc).or_default().push(alias);
            }
            let mut by_id: HashMap<String, RecordSummary> = HashMap::new();
            for (
                doc,
                kind,
                at,
                day,
                space,
                space_name,
                org_name,
                site,
                worker_name,
                place,
                anonymous,
                minutes,
            ) in records
            {
                let site_name = site
                    .as_ref()
                    .and_then(|s| catalogue.sites.get(s))
                    .map(|s| s.name.clone());
                let summary = RecordSummary {
                    id: parse("doc id", &doc)?,
                    kind: parse::<RecordKind>("record kind", &kind)?,
                    at: Timestamp(at),
                    day: parse("day", &day)?,
                    space: parse::<SpaceId>("space id", &space)?,
                    space_name,
                    org_name,
                    site_name,
                    worker_name,
                    place,
                    services: services_of.remove(&doc).unwrap_or_default(),
                    persons: persons_of.remove(&doc).unwrap_or_default(),
                    anonymous_count: anonymous,
                    minutes,
                };
                by_id.insert(doc, summary);
            }
            for id in &ids {
                if let Some(summary) = by_id.remove(id) {
                    found.push(summary);
                }
            }
        }
        Ok(found)
    }

    /// The organisation of a record's space (`None`: no organisation, or
    /// the registry).
    pub async fn doc_org(&self, doc: DocId) -> Result<Option<OrgId>, StoreError> {
        let org: Option<Option<String>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT s.org_id FROM docs d JOIN spaces s ON s.id = d.space_id WHERE d.id = $1")
                .bind(doc.to_string())
                .fetch_optional(pool)
                .await?
        });
        org.flatten().map(|o| parse("org id", &o)).transpose()
    }

    /// Persons whose alias contains `query` (case and diacritics aside),
    /// at most 50, with how many records name them.
    pub async fn find_persons(&self, query: &str) -> Result<Vec<PersonSummary>, StoreError> {
        let folded = fold(query);
        let pattern = format!(
            "%{}%",
            folded
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let ids: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT id FROM p_persons WHERE erased = 0 AND alias_folded LIKE $1 ESCAPE '\\' ORDER BY alias_folded, id LIMIT 50",
            )
            .bind(&pattern)
            .fetch_all(pool)
            .await?
        });
        let ids = ids
            .iter()
            .map(|id| parse("person id", id))
            .collect::<Result<Vec<PersonId>, _>>()?;
        self.person_summaries(&ids).await
    }

    /// The lines of `persons`, in the order given.
    pub async fn person_summaries(
        &self,
        persons: &[PersonId],
    ) -> Result<Vec<PersonSummary>, StoreError> {
        let mut found = Vec::with_capacity(persons.len());
        for chunk in persons.chunks(200) {
            let list = placeholders(chunk.len());
            let sql = format!(
                "SELECT p.id, p.alias, p.birth_year, p.gender, p.merged_into, p.created_at, \
                 (SELECT COUNT(*) FROM p_record_persons rp WHERE rp.person_id = p.id), \
                 (SELECT m.alias FROM p_persons m WHERE m.id = p.merged_into), p.details_hidden, p.erased \
                 FROM p_persons p WHERE p.id IN ({list})"
            );
            let ids: Vec<String> = chunk.iter().map(|p| p.to_string()).collect();
            #[allow(clippy::type_complexity)]
            let rows: Vec<(
                String,
                String,
                Option<i64>,
                String,
                Option<String>,
                i64,
                i64,
                Option<String>,
                i64,
                i64,
            )> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for id in &ids {
                    q = q.bind(id);
                }
                q.fetch_all(pool).await?
            });
            let mut by_id: HashMap<String, PersonSummary> = HashMap::new();
            for (
                id,
                alias,
                birth_year,
                gender,
                merged_into,
                created_at,
                records,
                merged_into_alias,
                hidden,
                erased,
            ) in rows
            {
                let summary = PersonSummary {
                    id: parse("person id", &id)?,
                    alias,
                    birth_year,
                    gender,
                    merged_into: merged_into.map(|m| parse("person id", &m)).transpose()?,
                    merged_into_alias,
                    created_at: Timestamp(created_at),
                    records,
                    hidden: hidden != 0,
                    erased: erased != 0,
                };
                by_id.insert(id, summary);
            }
            for id in &ids {
                if let Some(summary) = by_id.remove(id) {
                    found.push(summary);
                }
            }
        }
        Ok(found)
    }

    /// Everyone counted as `person` (those merged into them, and whom they
    /// are merged into), the one kept first.
    pub async fn person_group(&self, person: PersonId) -> Result<Vec<PersonId>, StoreError> {
        let facts = self.person_facts().await?;
        let roots = roots(&facts);
        let root = roots.get(&person).copied().unwrap_or(person);
        let mut group = vec![root];
        group.extend(
            facts
                .iter()
                .filter(|p| p.id != root && roots.get(&p.id) == Some(&root))
                .map(|p| p.id),
        );
        Ok(group)
    }

    /// The records naming any of `persons`, oldest first.
    /// The assessments, programmes and referrals about `persons`
    /// (`p_case_notes`), with their kinds.
    pub async fn case_work_of(
        &self,
        persons: &[PersonId],
    ) -> Result<Vec<(DocId, RecordKind)>, StoreError> {
        let mut found = Vec::new();
        for chunk in persons.chunks(200) {
            let list = placeholders(chunk.len());
            let sql = format!(
                "SELECT doc_id, kind FROM p_case_notes WHERE person_id IN ({list}) \
                 AND kind IN ('diagnosis', 'programme', 'referral')"
            );
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for person in chunk {
                    q = q.bind(person.to_string());
                }
                q.fetch_all(pool).await?
            });
            for (doc, kind) in rows {
                let kind: RecordKind = kind
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("kind {kind:?}")))?;
                found.push((parse("doc id", &doc)?, kind));
            }
        }
        found.sort();
        found.dedup();
        Ok(found)
    }

    pub async fn records_of(
        &self,
        persons: &[PersonId],
        scope: Scope,
    ) -> Result<Vec<DocId>, StoreError> {
        let mut docs: Vec<(i64, String)> = Vec::new();
        for chunk in persons.chunks(200) {
            let list = placeholders(chunk.len());
            let mut sql = format!(
                "SELECT DISTINCT r.at, r.doc_id FROM p_record_persons rp JOIN p_records r ON r.doc_id = rp.doc_id \
                 WHERE rp.person_id IN ({list})"
            );
            let mut binds: Vec<String> = chunk.iter().map(|p| p.to_string()).collect();
            match scope {
                None => {}
                Some(Some(org)) => {
                    binds.push(org.to_string());
                    sql.push_str(&format!(" AND r.org_id = ${}", binds.len()));
                }
                Some(None) => sql.push_str(" AND 1 = 0"),
            }
            let rows: Vec<(i64, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for value in &binds {
                    q = q.bind(value);
                }
                q.fetch_all(pool).await?
            });
            docs.extend(rows);
        }
        docs.sort();
        docs.dedup();
        docs.iter().map(|(_, id)| parse("doc id", id)).collect()
    }

    /// Pairs of persons (not merged into anyone) who look like one:
    /// aliases the same, one the start of the other, or a typo or two
    /// apart once folded (a typo in the first letter too), birth years at
    /// most one apart; scored with gender and the places where both were
    /// met. Each distinct alias is compared only with those it shares a
    /// deletion variant or a start with ([`alike_pairs`]), not with every
    /// other.
    pub async fn duplicates(&self) -> Result<Vec<DuplicatePair>, StoreError> {
        type Row = (String, String, String, Option<i64>, String);
        let persons: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, alias, alias_folded, birth_year, gender FROM p_persons WHERE merged_into IS NULL AND details_hidden = 0 ORDER BY alias_folded",
            )
            .fetch_all(pool)
            .await?
        });
        let places_rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT DISTINCT rp.person_id, COALESCE(r.site_id, r.place) FROM p_record_persons rp \
                 JOIN p_records r ON r.doc_id = rp.doc_id \
                 WHERE COALESCE(r.site_id, r.place) <> ''",
            )
            .fetch_all(pool)
            .await?
        });
        let mut places: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (person, place) in places_rows {
            places.entry(person).or_default().insert(place);
        }
        // Pairs someone said are different people, in either order.
        let distinct_rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT person_id, other_id FROM p_distinct")
                .fetch_all(pool)
                .await?
        });
        let distinct: HashSet<(&str, &str)> = distinct_rows
            .iter()
            .flat_map(|(a, b)| [(a.as_str(), b.as_str()), (b.as_str(), a.as_str())])
            .collect();
        // The persons of each distinct folded alias; the aliases that look
        // alike, found by blocking.
        let mut by_alias: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
        for row in &persons {
            let folded = fold(&row.1);
            if !folded.is_empty() {
                by_alias.entry(folded).or_default().push(row);
            }
        }
        let aliases: Vec<&str> = by_alias.keys().map(String::as_str).collect();
        let groups: Vec<&Vec<&Row>> = by_alias.values().collect();
        // Every candidate scored, the best kept (a pair's reasons are
        // made again for those alone).
        let mut scored: Vec<(u32, &Row, &Row, usize)> = Vec::new();
        let score_of = |a: &Row, b: &Row, typos: usize| {
            let (score, _) = duplicate_reasons(a, b, typos, &places, false)?;
            (!distinct.contains(&(a.0.as_str(), b.0.as_str()))).then_some(score)
        };
        for group in &groups {
            for (i, a) in group.iter().enumerate() {
                for b in &group[i + 1..] {
                    if let Some(score) = score_of(a, b, 0) {
                        scored.push((score, *a, *b, 0));
                    }
                }
            }
        }
        for (x, y) in alike_pairs(&aliases) {
            // The aliases' distance once for all their persons' pairs.
            let typos = edit_distance(aliases[x], aliases[y]);
            for a in groups[x] {
                for b in groups[y] {
                    if let Some(score) = score_of(a, b, typos) {
                        scored.push((score, *a, *b, typos));
                    }
                }
            }
        }
        scored.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.0.cmp(&y.1.0)));
        scored.truncate(MAX_PAIRS);
        let pairs: Vec<(u32, String, String, Vec<DuplicateReason>)> = scored
            .into_iter()
            .filter_map(|(_, a, b, typos)| {
                let (score, reasons) = duplicate_reasons(a, b, typos, &places, true)?;
                Some((score, a.0.clone(), b.0.clone(), reasons))
            })
            .collect();
        let mut ids: Vec<PersonId> = Vec::new();
        for (_, a, b, _) in &pairs {
            ids.push(parse("person id", a)?);
            ids.push(parse("person id", b)?);
        }
        let summaries: HashMap<PersonId, PersonSummary> = self
            .person_summaries(&ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut found = Vec::with_capacity(pairs.len());
        for (score, a, b, reasons) in pairs {
            let (a, b): (PersonId, PersonId) = (parse("person id", &a)?, parse("person id", &b)?);
            if let (Some(a), Some(b)) = (summaries.get(&a), summaries.get(&b)) {
                found.push(DuplicatePair {
                    a_seen: self.seen(a.id).await?,
                    b_seen: self.seen(b.id).await?,
                    a: a.clone(),
                    b: b.clone(),
                    score: score.min(100),
                    reasons,
                });
            }
        }
        Ok(found)
    }

    /// Which member organisations' records name `person`, and when the
    /// latest of them was.
    async fn seen(&self, person: PersonId) -> Result<Seen, StoreError> {
        let rows: Vec<(Option<String>, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT o.name, MAX(r.at) FROM p_record_persons rp \
                 JOIN p_records r ON r.doc_id = rp.doc_id \
                 LEFT JOIN orgs o ON o.id = r.org_id \
                 WHERE rp.person_id = $1 GROUP BY o.name ORDER BY o.name",
            )
            .bind(person.to_string())
            .fetch_all(pool)
            .await?
        });
        Ok(Seen {
            orgs: rows.iter().filter_map(|(name, _)| name.clone()).collect(),
            last_record: rows.iter().filter_map(|(_, at)| *at).max().map(Timestamp),
        })
    }

    /// Persons merged into someone, newest merges not known: by alias.
    pub async fn merged_persons(&self) -> Result<Vec<PersonSummary>, StoreError> {
        let ids: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM p_persons WHERE merged_into IS NOT NULL ORDER BY alias_folded LIMIT 500")
                .fetch_all(pool)
                .await?
        });
        let ids = ids
            .iter()
            .map(|id| parse("person id", id))
            .collect::<Result<Vec<PersonId>, _>>()?;
        self.person_summaries(&ids).await
    }

    /// Users who made records, for the records filter.
    /// How many contacts, sessions and workshops of `org`'s spaces name
    /// `person` (a coordinator's count on a timeline).
    pub async fn records_naming_in(
        &self,
        person: PersonId,
        org: Option<OrgId>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM p_record_persons rp JOIN p_records r ON r.doc_id = rp.doc_id \
                 WHERE rp.person_id = $1 AND r.org_id = $2",
            )
            .bind(person.to_string())
            .bind(org.map(|o| o.to_string()).unwrap_or_default())
            .fetch_one(pool)
            .await?
        }))
    }

    /// With `scope` (a coordinator's organisation), only its users.
    pub async fn workers(
        &self,
        scope: Option<Option<OrgId>>,
    ) -> Result<Vec<NamedOption>, StoreError> {
        let (filter, org) = match scope {
            None => ("$1 = $1", String::new()),
            Some(org) => (
                "u.org_id = $1",
                org.map(|o| o.to_string()).unwrap_or_default(),
            ),
        };
        let sql = format!(
            "SELECT u.id, u.name FROM users u WHERE {filter} AND u.id IN \
             (SELECT DISTINCT worker_id FROM p_records WHERE worker_id IS NOT NULL) ORDER BY u.name"
        );
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(&org).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, name)| NamedOption {
                id,
                name,
                name_en: None,
            })
            .collect())
    }
}

/// `$1, $2, …, $n`.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether two persons (id, alias, folded alias, birth year, gender) whose
/// folded aliases are `typos` apart (0: the same) and look alike may be
/// one: their birth years at most one apart when both are known; then
/// the pair's score, and (only when `with_reasons`: most pairs are only
/// scored) why.
fn duplicate_reasons(
    a: &(String, String, String, Option<i64>, String),
    b: &(String, String, String, Option<i64>, String),
    typos: usize,
    places: &HashMap<String, BTreeSet<String>>,
    with_reasons: bool,
) -> Option<(u32, Vec<DuplicateReason>)> {
    // The birth years first: most pairs of a common alias end here.
    let years = match (a.3, b.3) {
        (Some(x), Some(y)) if x == y => Some((DuplicateReason::SameBirthYear, 20)),
        (Some(x), Some(y)) if (x - y).abs() <= 1 => Some((DuplicateReason::NearBirthYear, 10)),
        (Some(_), Some(_)) => return None,
        _ => None,
    };
    let (alias, mut score) = match typos {
        0 => (DuplicateReason::SameAlias, 50),
        n => (DuplicateReason::SimilarAlias, 40 - 5 * n.min(4) as u32),
    };
    let mut reasons = Vec::new();
    let mut because = |reason: DuplicateReason, points: u32| {
        score += points;
        if with_reasons {
            reasons.push(reason);
        }
    };
    because(alias, 0);
    if let Some((reason, points)) = years {
        because(reason, points);
    }
    if !a.4.is_empty() && a.4 == b.4 {
        because(DuplicateReason::SameGender, 10);
    }
    if let (Some(x), Some(y)) = (places.get(&a.0), places.get(&b.0)) {
        let shared = x.intersection(y).count();
        if shared > 0 {
            let points = 10 * shared.min(3) as u32;
            let named = || x.intersection(y).cloned().collect();
            because(
                DuplicateReason::SharedPlaces(if with_reasons { named() } else { Vec::new() }),
                points,
            );
        }
    }
    Some((score, reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Persons (alias, birth year) stored as projected rows of a real
    /// SQLite file.
    async fn with_persons(persons: &[(&str, Option<i64>)]) -> (tempfile::TempDir, Db, Vec<String>) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("office.db").display());
        let db = Db::open(&url).await.expect("a database");
        let mut ids = Vec::new();
        for (alias, birth_year) in persons {
            let id = PersonId::random().to_string();
            on_pool!(db, pool => {
                sqlx::query(
                    "INSERT INTO p_persons (id, alias, alias_folded, birth_year, gender, created_at, created_day) \
                     VALUES ($1, $2, $3, $4, '', 0, '2026-12-01')",
                )
                .bind(&id)
                .bind(*alias)
                .bind(fold(alias))
                .bind(*birth_year)
                .execute(pool)
                .await
                .expect("a person row")
                .rows_affected()
            });
            ids.push(id);
        }
        (dir, db, ids)
    }

    fn pair_of(pairs: &[DuplicatePair], a: &str, b: &str) -> bool {
        pairs.iter().any(|p| {
            let ids = [p.a.id.to_string(), p.b.id.to_string()];
            ids.contains(&a.to_string()) && ids.contains(&b.to_string())
        })
    }

    #[tokio::test]
    async fn a_typo_in_the_first_letter_is_proposed() {
        let (_dir, db, ids) = with_persons(&[
            ("Zbyszek", Some(1970)),
            ("Sbyszek", Some(1971)),
            ("Ola", None),
            ("Hola", Some(1990)),
            ("Zdzisiek", Some(1970)),
            ("Żbyszek", Some(1975)),
        ])
        .await;
        let pairs = db.duplicates().await.expect("the duplicates");
        assert!(
            pair_of(&pairs, &ids[0], &ids[1]),
            "Zbyszek / Sbyszek: {pairs:?}"
        );
        assert!(pair_of(&pairs, &ids[2], &ids[3]), "Ola / Hola: {pairs:?}");
        // Birth years four years apart, and aliases too far apart.
        assert!(!pair_of(&pairs, &ids[0], &ids[5]), "{pairs:?}");
        assert!(!pair_of(&pairs, &ids[0], &ids[4]), "{pairs:?}");
        assert_eq!(pairs.len(), 2, "{pairs:?}");
    }
}
