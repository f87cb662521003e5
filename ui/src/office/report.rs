//! The report for the city: a period (month, quarter or range) × service ×
//! member, service totals (a person once across members), the consortium
//! total, contract targets; freezing as submitted (then the submitted
//! figures show, and what came later shows apart as a change); XLSX and
//! CSV downloads.

use odnowa_shared::office::{AGE_BANDS, Figures, GENDERS, Month, OfficeRole, Period, Report};
use odnowa_shared::time::Date;
use web_sys::HtmlSelectElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::{Failure, confirmed, loading, use_office};
use crate::components::{DateField, ErrorBanner};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::model::office::{hours, month_name, period_name, rows_sum};
use crate::office_api;

#[function_component(ReportPage)]
pub fn report_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let period = use_state(|| Period::Month(Month::of(crate::hooks::today()).prev()));
    let generation = use_state(|| 0u32);
    let report = use_load((*period, *generation), |(p, _)| office_api::report(p));
    let error = use_state(|| None::<Key>);
    let show = {
        let (period, error) = (period.clone(), error.clone());
        Callback::from(move |picked: Result<Period, Key>| match picked {
            Ok(p) => {
                error.set(None);
                period.set(p);
            }
            Err(key) => error.set(Some(key)),
        })
    };
    let freeze = {
        let (period, generation, error) = (period.clone(), generation.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let p = *period;
            let text = tf(
                lang,
                Key::ConfirmFreeze,
                &[("period", &period_name(lang, p))],
            );
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
        Load::Ready(report) => view(
            lang,
            report,
            (office.user.role == OfficeRole::Office).then_some(freeze),
        ),
    };
    html! {
        <section class="office-page office-report" data-testid="report">
            <h2>{ t(lang, Key::ReportTitle) }{ ": " }<span data-testid="report-period-name">{ period_name(lang, *period) }</span></h2>
            if let Some(org) = office.user.org_name.as_ref().filter(|_| office.user.role != OfficeRole::Office) {
                <p class="notice" data-testid="report-scope">{ tf(lang, Key::ReportOfOrg, &[("org", org)]) }</p>
            }
            <PeriodPicker {lang} period={*period} on_pick={show} />
            <div class="button-row">
                <a class="button" href={office_api::report_download(&period, "xlsx")} download="" data-testid="report-xlsx">{ t(lang, Key::DownloadXlsx) }</a>
                <a class="button" href={office_api::report_download(&period, "csv")} download="" data-testid="report-csv">{ t(lang, Key::DownloadCsv) }</a>
            </div>
            <ErrorBanner {lang} error={*error} />
            { body }
        </section>
    }
}

/// One column per figure, per gender and per age band.
fn cells(lang: Lang, f: &Figures) -> Html {
    let genders = GENDERS.iter().map(|g| {
        html! { <td class="num" data-gender={*g}>{ f.by_gender.get(*g).copied().unwrap_or(0) }</td> }
    });
    let ages = AGE_BANDS.iter().map(|a| {
        html! { <td class="num" data-age={*a}>{ f.by_age.get(*a).copied().unwrap_or(0) }</td> }
    });
    html! {
        <>
            <td class="num">{ f.records }</td>
            <td class="num">{ f.unique_persons }</td>
            <td class="num">{ f.new_persons }</td>
            <td class="num">{ f.anonymous }</td>
            <td class="num">{ hours(lang, f.minutes) }</td>
            { for genders }
            { for ages }
        </>
    }
}

/// The names of the gender and age-band columns.
fn gender_name(lang: Lang, code: &str) -> &'static str {
    t(
        lang,
        match code {
            "female" => Key::GenderFemaleShort,
            "male" => Key::GenderMaleShort,
            "other" => Key::GenderOtherShort,
            _ => Key::UnknownShort,
        },
    )
}

fn age_name(lang: Lang, code: &str) -> String {
    match code {
        "unknown" => t(lang, Key::UnknownShort).to_string(),
        band => band.replace('-', "–"),
    }
}

/// Sets `state` to the number a `<select>` was changed to.
fn chosen<T: std::str::FromStr + 'static>(state: &UseStateHandle<T>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| {
        if let Ok(n) = e
            .target_unchecked_into::<HtmlSelectElement>()
            .value()
            .parse()
        {
            state.set(n);
        }
    })
}

#[derive(Properties, PartialEq)]
struct PeriodPickerProps {
    lang: Lang,
    period: Period,
    on_pick: Callback<Result<Period, Key>>,
}

/// A month, a quarter or a range of days, picked (never typed as
/// "2026-Q4"): the kind, then a year and a month or quarter, or two days.
#[function_component(PeriodPicker)]
fn period_picker(props: &PeriodPickerProps) -> Html {
    let lang = props.lang;
    let first = props.period.first_day();
    let kind = use_state(|| match props.period {
        Period::Month(_) => "month",
        Period::Quarter { .. } => "quarter",
        Period::Range { .. } => "range",
    });
    let year = use_state(|| Month::of(first).year);
    let month = use_state(|| Month::of(first).month);
    let quarter = use_state(|| (Month::of(first).month - 1) / 3 + 1);
    let from = use_state(|| first.to_string());
    let to = use_state(|| props.period.last_day().to_string());
    let this_year = Month::of(crate::hooks::today()).year;
    let on_year = chosen(&year);
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            kind.set(
                match e
                    .target_unchecked_into::<HtmlSelectElement>()
                    .value()
                    .as_str()
                {
                    "quarter" => "quarter",
                    "range" => "range",
                    _ => "month",
                },
            )
        })
    };
    let show = {
        let (kind, year, month, quarter, from, to, on_pick) = (
            kind.clone(),
            year.clone(),
            month.clone(),
            quarter.clone(),
            from.clone(),
            to.clone(),
            props.on_pick.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let picked = match *kind {
                "quarter" => Ok(Period::Quarter {
                    year: *year,
                    quarter: *quarter,
                }),
                "range" => match (from.parse::<Date>(), to.parse::<Date>()) {
                    (Ok(from), Ok(to)) if from <= to => Ok(Period::Range { from, to }),
                    _ => Err(Key::ErrBadPeriod),
                },
                _ => Ok(Period::Month(Month {
                    year: *year,
                    month: *month,
                })),
            };
            on_pick.emit(picked);
        })
    };
    let years = (this_year - 5..=this_year + 1).rev().map(|y| {
        html! { <option value={y.to_string()} selected={y == *year}>{ y }</option> }
    });
    let months = (1..=12u32).map(|m| {
        let name = month_name(
            lang,
            Month {
                year: *year,
                month: m,
            },
        );
        let name = name
            .rsplit_once(' ')
            .map(|(n, _)| n.to_string())
            .unwrap_or(name);
        html! { <option value={m.to_string()} selected={m == *month}>{ name }</option> }
    });
    let quarters = (1..=4u32).map(|q| {
        let name = period_name(
            lang,
            Period::Quarter {
                year: *year,
                quarter: q,
            },
        );
        let name = name
            .rsplit_once(' ')
            .map(|(n, _)| n.to_string())
            .unwrap_or(name);
        html! { <option value={q.to_string()} selected={q == *quarter}>{ name }</option> }
    });
    let day = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |d: String| state.set(d))
    };
    html! {
        <form class="office-filters period-picker" onsubmit={show} data-testid="report-period">
            <label class="field">
                <span class="field-label">{ t(lang, Key::ReportPeriod) }</span>
                <select data-testid="report-period-kind" onchange={on_kind}>
                    <option value="month" selected={*kind == "month"}>{ t(lang, Key::PeriodMonth) }</option>
                    <option value="quarter" selected={*kind == "quarter"}>{ t(lang, Key::PeriodQuarter) }</option>
                    <option value="range" selected={*kind == "range"}>{ t(lang, Key::PeriodRange) }</option>
                </select>
            </label>
            if *kind == "range" {
                <label class="field" for="report-from">
                    <span class="field-label">{ t(lang, Key::FilterFrom) }</span>
                    <DateField {lang} id="report-from" value={(*from).clone()} on_change={day(&from)} />
                </label>
                <label class="field" for="report-to">
                    <span class="field-label">{ t(lang, Key::FilterTo) }</span>
                    <DateField {lang} id="report-to" value={(*to).clone()} on_change={day(&to)} />
                </label>
            } else {
                <label class="field">
                    <span class="field-label">{ t(lang, Key::PeriodYear) }</span>
                    <select data-testid="report-year" onchange={on_year}>{ for years }</select>
                </label>
                if *kind == "quarter" {
                    <label class="field">
                        <span class="field-label">{ t(lang, Key::PeriodQuarter) }</span>
                        <select data-testid="report-quarter" onchange={chosen(&quarter)}>{ for quarters }</select>
                    </label>
                } else {
                    <label class="field">
                        <span class="field-label">{ t(lang, Key::PeriodMonth) }</span>
                        <select data-testid="report-month" onchange={chosen(&month)}>{ for months }</select>
                    </label>
                }
            }
            <button type="submit" class="button button-primary" data-testid="report-show">{ t(lang, Key::ReportShow) }</button>
        </form>
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

/// `freeze` is `None` for a coordinator: their report is their
/// organisation's, never the one submitted to the city.
fn view(lang: Lang, report: &Report, freeze: Option<Callback<MouseEvent>>) -> Html {
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
    // A contact with two services counts in both rows; the consortium's
    // total counts it once. Say so where the two disagree.
    let (rows_records, rows_minutes) = rows_sum(report.services.iter().map(|s| &s.figures));
    let total = &report.consortium;
    let adds_up =
        rows_records == total.records && hours(lang, rows_minutes) == hours(lang, total.minutes);
    let gender_heads = GENDERS
        .iter()
        .map(|g| html! { <th scope="col" class="num">{ gender_name(lang, g) }</th> });
    let age_heads = AGE_BANDS
        .iter()
        .map(|a| html! { <th scope="col" class="num">{ age_name(lang, a) }</th> });
    html! {
        <>
            if let Some(info) = &report.frozen {
                <p class="notice" data-testid="report-frozen">
                    { tf(lang, Key::ReportFrozen, &[("when", &format::date_time(lang, info.at)), ("by", &info.by)]) }
                </p>
            } else if let Some(freeze) = freeze {
                <button type="button" class="button" data-testid="freeze" onclick={freeze}>{ t(lang, Key::ReportFreeze) }</button>
            }
            if report.services.is_empty() {
                <p class="empty">{ t(lang, Key::NoData) }</p>
            }
            if !adds_up {
                <p class="notice" data-testid="report-totals-note">
                    { tf(lang, Key::ReportTotalsNote, &[
                        ("rows", &rows_records.to_string()),
                        ("rows_hours", &hours(lang, rows_minutes)),
                        ("total", &total.records.to_string()),
                        ("total_hours", &hours(lang, total.minutes)),
                    ]) }
                </p>
            }
            <div class="table-scroll" tabindex="0" role="region" aria-label={t(lang, Key::ReportTitle)}>
            <table class="office-table report-table">
                <thead>
                    <tr>
                        <th scope="col" rowspan="2">{ format!("{} / {}", t(lang, Key::ColService), t(lang, Key::ColMember)) }</th>
                        <th scope="col" rowspan="2" class="num">{ t(lang, Key::ColRecords) }</th>
                        <th scope="col" rowspan="2" class="num">{ t(lang, Key::ColUnique) }</th>
                        <th scope="col" rowspan="2" class="num">{ t(lang, Key::ColNew) }</th>
                        <th scope="col" rowspan="2" class="num">{ t(lang, Key::ColAnonymous) }</th>
                        <th scope="col" rowspan="2" class="num">{ t(lang, Key::ColHours) }</th>
                        <th scope="colgroup" colspan={GENDERS.len().to_string()} class="group">{ t(lang, Key::ColGender) }</th>
                        <th scope="colgroup" colspan={AGE_BANDS.len().to_string()} class="group">{ t(lang, Key::ColAge) }</th>
                    </tr>
                    <tr>{ for gender_heads }{ for age_heads }</tr>
                </thead>
                <tbody>{ for rows }</tbody>
            </table>
            </div>
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
                <td>{ month_name(lang, r.month) }</td>
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
