//! The report for the city: a period (month, quarter or range) × service ×
//! member, service totals (a person once across members), the consortium
//! total, contract targets; freezing as submitted (then the submitted
//! figures show, and what came later shows apart as a change); XLSX and
//! CSV downloads.

use odnowa_shared::office::{AGE_BANDS, Figures, GENDERS, Month, Period, Report};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::{Failure, confirmed, loading, use_office};
use crate::components::ErrorBanner;
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::model::office::hours;
use crate::office_api;

#[function_component(ReportPage)]
pub fn report_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let period = use_state(|| Period::Month(Month::of(crate::hooks::today()).prev()));
    let generation = use_state(|| 0u32);
    let report = use_load((*period, *generation), |(p, _)| office_api::report(p));
    let input = use_node_ref();
    let error = use_state(|| None::<Key>);
    let show = {
        let (period, input, error) = (period.clone(), input.clone(), error.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let text = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            match text.parse::<Period>() {
                Ok(p) => {
                    error.set(None);
                    period.set(p);
                }
                Err(_) => error.set(Some(Key::ErrBadPeriod)),
            }
        })
    };
    let freeze = {
        let (period, generation, error) = (period.clone(), generation.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let p = *period;
            let text = tf(lang, Key::ConfirmFreeze, &[("period", &p.to_string())]);
            if !confirmed(&text) {
                return;
            }
            let (generation, error) = (generation.clone(), error.clone());
            spawn_local(async move {
                match office_api::freeze(p).await {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e.key())),
                }
                generation.set(*generation + 1);
            });
        })
    };
    let body = match &*report {
        Load::Loading => loading(lang),
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        Load::Ready(report) => view(lang, report, freeze),
    };
    html! {
        <section class="office-page office-report" data-testid="report">
            <h2>{ t(lang, Key::ReportTitle) }</h2>
            <form class="office-filters" onsubmit={show}>
                <label class="field">
                    <span class="field-label">{ t(lang, Key::ReportPeriod) }</span>
                    <input ref={input} type="text" value={period.to_string()} data-testid="report-period"
                        aria-describedby="period-hint" />
                    <span class="field-hint" id="period-hint">{ t(lang, Key::ReportPeriodHint) }</span>
                </label>
                <button type="submit" class="button button-primary" data-testid="report-show">{ t(lang, Key::ReportShow) }</button>
                <a class="button" href={office_api::report_download(&period, "xlsx")} download="" data-testid="report-xlsx">{ t(lang, Key::DownloadXlsx) }</a>
                <a class="button" href={office_api::report_download(&period, "csv")} download="" data-testid="report-csv">{ t(lang, Key::DownloadCsv) }</a>
            </form>
            <ErrorBanner {lang} error={*error} />
            { body }
        </section>
    }
}

fn cells(lang: Lang, f: &Figures) -> Html {
    let genders: Vec<String> = GENDERS
        .iter()
        .map(|g| f.by_gender.get(*g).copied().unwrap_or(0).to_string())
        .collect();
    let ages: Vec<String> = AGE_BANDS
        .iter()
        .map(|a| f.by_age.get(*a).copied().unwrap_or(0).to_string())
        .collect();
    html! {
        <>
            <td class="num">{ f.records }</td>
            <td class="num">{ f.unique_persons }</td>
            <td class="num">{ f.new_persons }</td>
            <td class="num">{ f.anonymous }</td>
            <td class="num">{ hours(lang, f.minutes) }</td>
            <td class="num">{ genders.join(" / ") }</td>
            <td class="num">{ ages.join(" / ") }</td>
        </>
    }
}

/// A row of figures, and when the report is frozen, the change after the
/// submission on a row of its own.
/// How a row of the report is marked: its class, its test id, its service.
struct Mark<'a>(&'static str, &'static str, &'a str);

fn lines(
    lang: Lang,
    frozen: bool,
    label: Html,
    now: &Figures,
    submitted: Option<&Figures>,
    mark: Mark<'_>,
) -> Html {
    let Mark(class, testid, service) = mark;
    let shown = if frozen {
        submitted.cloned().unwrap_or_default()
    } else {
        now.clone()
    };
    let delta = now.minus(&shown);
    html! {
        <>
            <tr class={class} data-testid={testid} data-service={service.to_string()}>
                { label }
                { cells(lang, &shown) }
            </tr>
            if frozen && !delta.is_zero() {
                <tr class="delta" data-testid="report-delta" data-service={service.to_string()}>
                    <td>{ t(lang, Key::ReportDelta) }</td>
                    { cells(lang, &delta) }
                </tr>
            }
        </>
    }
}

fn view(lang: Lang, report: &Report, freeze: Callback<MouseEvent>) -> Html {
    let frozen = report.frozen.is_some();
    let mut rows = Vec::new();
    for total in &report.services {
        let name = match lang {
            Lang::Pl => total.service_pl.clone(),
            Lang::En => total.service_en.clone(),
        };
        let label = html! { <th scope="row">{ format!("{name} — {}", t(lang, Key::ReportServiceTotal)) }</th> };
        rows.push(lines(
            lang,
            frozen,
            label,
            &total.figures,
            total.submitted.as_ref(),
            Mark("total", "report-total", &total.service),
        ));
        for row in report.rows.iter().filter(|r| r.service == total.service) {
            let label = html! { <td class="indent">{ row.org_name.clone() }</td> };
            rows.push(lines(
                lang,
                frozen,
                label,
                &row.figures,
                row.submitted.as_ref(),
                Mark("member", "report-row", &row.service),
            ));
        }
    }
    let label = html! { <th scope="row">{ t(lang, Key::ConsortiumTotal) }</th> };
    rows.push(lines(
        lang,
        frozen,
        label,
        &report.consortium,
        report.submitted_consortium.as_ref(),
        Mark("grand-total", "report-consortium", ""),
    ));
    let targets: Vec<Html> = report
        .services
        .iter()
        .flat_map(|s| s.targets.iter().map(move |target| (s, target)))
        .map(|(s, target)| {
            let metric = match target.metric.as_str() {
                "unique_persons" => t(lang, Key::ColUnique),
                "records" => t(lang, Key::ColRecords),
                _ => t(lang, Key::ColHours),
            };
            let name = if lang == Lang::Pl { &s.service_pl } else { &s.service_en };
            let share = if target.target > 0 { target.achieved * 100 / target.target } else { 0 };
            html! {
                <li data-testid="report-target">
                    { format!("{name} · {metric}: ") }
                    { tf(lang, Key::TargetLine, &[("achieved", &target.achieved.to_string()), ("target", &target.target.to_string())]) }
                    <progress max="100" value={share.min(100).to_string()}></progress>
                    { format!(" {share}%") }
                </li>
            }
        })
        .collect();
    html! {
        <>
            if let Some(info) = &report.frozen {
                <p class="notice" data-testid="report-frozen">
                    { tf(lang, Key::ReportFrozen, &[("when", &format::date_time(lang, info.at)), ("by", &info.by)]) }
                </p>
            } else {
                <button type="button" class="button" data-testid="freeze" onclick={freeze}>{ t(lang, Key::ReportFreeze) }</button>
            }
            if report.services.is_empty() {
                <p class="empty">{ t(lang, Key::NoData) }</p>
            }
            <table class="office-table report-table">
                <thead><tr>
                    <th scope="col">{ format!("{} / {}", t(lang, Key::ColService), t(lang, Key::ColMember)) }</th>
                    <th scope="col" class="num">{ t(lang, Key::ColRecords) }</th>
                    <th scope="col" class="num">{ t(lang, Key::ColUnique) }</th>
                    <th scope="col" class="num">{ t(lang, Key::ColNew) }</th>
                    <th scope="col" class="num">{ t(lang, Key::ColAnonymous) }</th>
                    <th scope="col" class="num">{ t(lang, Key::ColHours) }</th>
                    <th scope="col" class="num">{ t(lang, Key::ColGender) }</th>
                    <th scope="col" class="num">{ t(lang, Key::ColAge) }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            if !targets.is_empty() {
                <h3>{ t(lang, Key::TargetsTitle) }</h3>
                <ul class="office-list">{ for targets }</ul>
            }
            { case_work(lang, &report.case_work) }
        </>
    }
}

/// Programmes opened, reviewed and closed by outcome; referrals by month
/// and pair with the median days to acceptance.
fn case_work(lang: Lang, figures: &odnowa_shared::office::CaseWorkFigures) -> Html {
    let closed = figures.programmes_closed.iter().map(|(code, n)| {
        html! { <li data-testid="report-closed">{ format!("{}: {n}", crate::model::case::outcome_name(lang, code)) }</li> }
    });
    let referrals = figures.referrals.iter().map(|r| {
        let median = r
            .median_days_to_acceptance
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| "—".into());
        html! {
            <tr data-testid="report-referrals">
                <td>{ r.month.to_string() }</td>
                <td>{ &r.from_name }</td>
                <td>{ &r.to_name }</td>
                <td class="num">{ r.sent }</td>
                <td class="num">{ r.accepted }</td>
                <td class="num">{ r.declined }</td>
                <td class="num">{ r.done }</td>
                <td class="num">{ median }</td>
            </tr>
        }
    });
    html! {
        <section data-testid="report-case-work">
            <h3>{ t(lang, Key::ProgrammesTitle) }</h3>
            <p data-testid="report-programmes">
                { tf(lang, Key::ReportProgrammes, &[
                    ("opened", &figures.programmes_opened.to_string()),
                    ("reviewed", &figures.programmes_reviewed.to_string()),
                    ("closed", &figures.programmes_closed.values().sum::<u32>().to_string()),
                ]) }
            </p>
            <ul class="office-list">{ for closed }</ul>
            <h3>{ t(lang, Key::ReferralsTitle) }</h3>
            if figures.referrals.is_empty() {
                <p class="empty">{ t(lang, Key::NoData) }</p>
            } else {
                <table class="office-table">
                    <thead><tr>
                        <th scope="col">{ t(lang, Key::ColMonth) }</th>
                        <th scope="col">{ t(lang, Key::ColFrom) }</th>
                        <th scope="col">{ t(lang, Key::ColTo) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ReferralSent) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ReferralAccepted) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ReferralDeclined) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ReferralDone) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ColMedianDays) }</th>
                    </tr></thead>
                    <tbody>{ for referrals }</tbody>
                </table>
            }
        </section>
    }
}
