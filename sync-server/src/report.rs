//! The city report and the dashboard: the projected rows of a period read
//! from the database, counted by the pure definitions of
//! `odnowa_shared::report`, named from the catalogue and `orgs`.
//!
//! A report can be frozen as submitted: its figures are kept as JSON in
//! `frozen_reports` and never change; later reports of that period carry
//! them beside the current figures, so what arrived afterwards (a phone
//! that was offline) shows as a delta, never as a silent change.

use std::collections::HashMap;

use odnowa_shared::ids::OrgId;
use odnowa_shared::office::{
    Dashboard, Figures, FrozenInfo, Month, MonthPoint, Period, Report, ReportRow, ServiceTotal,
    SubmittedFigures, TargetProgress,
};
use odnowa_shared::records::Catalogue;
use odnowa_shared::report::{People, RecordFact, Tally, metric, tally, tally_with};
use odnowa_shared::time::Timestamp;

use crate::exchange::SyncService;
use crate::store::StoreError;

/// Why a report could not be made or frozen.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the report of {0} was already frozen as submitted")]
    AlreadyFrozen(Period),
    #[error("the frozen report of {0} cannot be read: {1}")]
    Frozen(Period, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Whose records a report counts: the consortium's (`None`), or one
/// member organisation's (a coordinator's report).
pub type Scope = Option<Option<OrgId>>;

fn in_scope(scope: Scope, org: Option<OrgId>) -> bool {
    scope.is_none_or(|only| only == org)
}

async fn tally_of(sync: &SyncService, period: &Period, scope: Scope) -> Result<Tally, StoreError> {
    let db = sync.db();
    let persons = db.person_facts().await?;
    let mut records = db
        .record_facts(period.first_day(), period.last_day(), true)
        .await?;
    records.retain(|r| in_scope(scope, r.org));
    Ok(tally(&records, &persons, period))
}

struct Names {
    catalogue: Catalogue,
    orgs: HashMap<OrgId, String>,
}

impl Names {
    async fn load(sync: &SyncService) -> Result<Self, StoreError> {
        Ok(Names {
            catalogue: sync.catalogue().await?,
            orgs: sync.db().org_names().await?.into_iter().collect(),
        })
    }

    fn service(&self, code: &str) -> (String, String) {
        match self.catalogue.services.get(code) {
            Some(s) => (s.name_pl.clone(), s.name_en.clone()),
            None => (code.to_string(), code.to_string()),
        }
    }

    /// Where a service stands in the catalogue (unknown codes last).
    fn position(&self, code: &str) -> (i64, String) {
        (
            self.catalogue
                .services
                .get(code)
                .map_or(i64::MAX, |s| s.position),
            code.to_string(),
        )
    }

    fn org(&self, org: Option<OrgId>) -> String {
        org.and_then(|o| {
            self.orgs.get(&o).cloned().or_else(|| {
                self.catalogue
                    .orgs
                    .get(&o.to_string())
                    .map(|c| c.name.clone())
            })
        })
        .unwrap_or_default()
    }
}

/// The report of `period`, with the submitted figures when it was frozen.
pub async fn report(sync: &SyncService, period: Period) -> Result<Report, ReportError> {
    report_for(sync, period, None).await
}

/// The report of `scope`: a coordinator's counts only their
/// organisation's records, programmes and referrals (sent or received),
/// without the consortium's contract targets and submitted figures.
pub async fn report_for(
    sync: &SyncService,
    period: Period,
    scope: Scope,
) -> Result<Report, ReportError> {
    let names = Names::load(sync).await?;
    let counted = tally_of(sync, &period, scope).await?;
    let mut rows: Vec<ReportRow> = counted
        .rows
        .into_iter()
        .map(|((service, org), figures)| {
            let (service_pl, service_en) = names.service(&service);
            ReportRow {
                org_name: names.org(org),
                service,
                service_pl,
                service_en,
                org,
                figures,
                submitted: None,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (names.position(&a.service), &a.org_name).cmp(&(names.position(&b.service), &b.org_name))
    });
    let mut services = Vec::new();
    for (service, figures) in counted.services {
        let (service_pl, service_en) = names.service(&service);
        let targets = match scope {
            None => targets(sync, &names, &service, &period).await?,
            Some(_) => Vec::new(),
        };
        services.push(ServiceTotal {
            service,
            service_pl,
            service_en,
            figures,
            submitted: None,
            targets,
        });
    }
    services.sort_by_key(|s| names.position(&s.service));
    let mut programmes = sync.db().programme_facts().await?;
    programmes.retain(|p| in_scope(scope, p.org));
    let mut referrals = sync.db().referral_facts(period.last_day()).await?;
    referrals.retain(|r| in_scope(scope, Some(r.from_org)) || in_scope(scope, r.to_org));
    let case_work = odnowa_shared::report::case_work_figures(
        &period,
        &programmes,
        &referrals,
        |org, institution| match (org, institution) {
            (Some(org), _) => names.org(Some(org)),
            (None, Some(id)) => names
                .catalogue
                .institutions
                .get(id)
                .map(|i| i.name.clone())
                .unwrap_or_else(|| id.to_string()),
            (None, None) => String::new(),
        },
    );
    let mut report = Report {
        period,
        rows,
        services,
        consortium: counted.consortium,
        frozen: None,
        submitted_consortium: None,
        case_work,
    };
    if scope.is_some() {
        return Ok(report);
    }
    if let Some((at, by, json)) = sync.db().frozen_report(&period.to_string()).await? {
        let submitted: SubmittedFigures =
            serde_json::from_str(&json).map_err(|e| ReportError::Frozen(period, e.to_string()))?;
        attach_submitted(&mut report, submitted);
        report.frozen = Some(FrozenInfo {
            at: Timestamp(at),
            by,
        });
    }
    Ok(report)
}

/// Puts the submitted figures beside the current ones; a row that was
/// submitted but has no records now (all moved away) is kept with zeros,
/// so a delta shows it.
fn attach_submitted(report: &mut Report, submitted: SubmittedFigures) {
    for old in submitted.rows {
        match report
            .rows
            .iter_mut()
            .find(|r| r.service == old.service && r.org == old.org)
        {
            Some(row) => row.submitted = Some(old.figures),
            None => report.rows.push(ReportRow {
                submitted: Some(old.figures.clone()),
                figures: Figures::default(),
                ..old
            }),
        }
    }
    for old in submitted.services {
        match report
            .services
            .iter_mut()
            .find(|s| s.service == old.service)
        {
            Some(total) => total.submitted = Some(old.figures),
            None => report.services.push(ServiceTotal {
                submitted: Some(old.figures.clone()),
                figures: Figures::default(),
                ..old
            }),
        }
    }
    report.submitted_consortium = Some(submitted.consortium);
}

/// Progress against a service's contract targets, over its contract
/// period up to the report's last day.
async fn targets(
    sync: &SyncService,
    names: &Names,
    service: &str,
    period: &Period,
) -> Result<Vec<TargetProgress>, StoreError> {
    let Some(entry) = names.catalogue.services.get(service) else {
        return Ok(Vec::new());
    };
    if entry.targets.is_empty() {
        return Ok(Vec::new());
    }
    let from = entry.contract_from.unwrap_or(period.first_day());
    let to = entry
        .contract_to
        .map_or(period.last_day(), |to| to.min(period.last_day()));
    let achieved = if to < from {
        Figures::default()
    } else {
        tally_of(sync, &Period::Range { from, to }, None)
            .await?
            .services
            .remove(service)
            .unwrap_or_default()
    };
    Ok(entry
        .targets
        .iter()
        .map(|(name, target)| TargetProgress {
            metric: name.clone(),
            target: *target,
            achieved: metric(&achieved, name).unwrap_or(0),
            contract_from: entry.contract_from,
            contract_to: entry.contract_to,
        })
        .collect())
}

/// Freezes the report of `period` as submitted by `by`. Refused when it
/// was frozen before: submitted figures are never replaced.
pub async fn freeze(sync: &SyncService, period: Period, by: &str) -> Result<Report, ReportError> {
    let current = report(sync, period).await?;
    if current.frozen.is_some() {
        return Err(ReportError::AlreadyFrozen(period));
    }
    let submitted = SubmittedFigures {
        rows: current.rows.clone(),
        services: current.services.clone(),
        consortium: current.consortium.clone(),
    };
    let json = serde_json::to_string(&submitted)
        .map_err(|e| ReportError::Frozen(period, e.to_string()))?;
    let frozen = sync
        .db()
        .freeze_report(&period.to_string(), Timestamp::now().0, by, &json)
        .await?;
    if !frozen {
        return Err(ReportError::AlreadyFrozen(period));
    }
    tracing::info!(%period, by, "report frozen as submitted");
    report(sync, period).await
}

/// The dashboard: `month` per service, and the consortium's last twelve
/// months.
pub async fn dashboard(sync: &SyncService, month: Month) -> Result<Dashboard, ReportError> {
    dashboard_for(sync, month, None).await
}

/// The dashboard of `scope` (see [`report_for`]).
pub async fn dashboard_for(
    sync: &SyncService,
    month: Month,
    scope: Scope,
) -> Result<Dashboard, ReportError> {
    let names = Names::load(sync).await?;
    let months = month.last_twelve();
    let first = months.first().map_or(month.first_day(), Month::first_day);
    let db = sync.db();
    let persons = db.person_facts().await?;
    // Twelve monthly points need persons and hours only; this month's
    // services come apart.
    let mut records = db.record_facts(first, month.last_day(), false).await?;
    records.retain(|r| in_scope(scope, r.org));
    let mut this_month_records = db
        .record_facts(month.first_day(), month.last_day(), true)
        .await?;
    this_month_records.retain(|r| in_scope(scope, r.org));
    let people = People::new(&persons);
    let mut by_month: HashMap<Month, Vec<&RecordFact>> = HashMap::new();
    for record in &records {
        by_month
            .entry(Month::of(record.day))
            .or_default()
            .push(record);
    }
    let mut points = Vec::with_capacity(12);
    for m in &months {
        let in_month = by_month.remove(m).unwrap_or_default();
        let counted = tally_with(in_month.into_iter(), &people, &Period::Month(*m));
        points.push(MonthPoint {
            month: *m,
            records: counted.consortium.records,
            unique_persons: counted.consortium.unique_persons,
            minutes: counted.consortium.minutes,
        });
    }
    let this_month = tally_with(this_month_records.iter(), &people, &Period::Month(month));
    let mut services: Vec<ServiceTotal> = this_month
        .services
        .into_iter()
        .map(|(service, figures)| {
            let (service_pl, service_en) = names.service(&service);
            ServiceTotal {
                service,
                service_pl,
                service_en,
                figures,
                submitted: None,
                targets: Vec::new(),
            }
        })
        .collect();
    services.sort_by_key(|s| names.position(&s.service));
    Ok(Dashboard {
        month,
        services,
        months: points,
    })
}
