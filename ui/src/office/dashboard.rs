//! The dashboard: one month per service (contacts or sessions, unique
//! persons, hours) and a chart of the consortium's last twelve months.

use odnowa_shared::office::{Dashboard, Month, MonthPoint, OfficeRole};
use yew::prelude::*;

use super::{Failure, loading, use_office};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::office::{bar_heights, chart_max, hours, month_name, month_short, rows_sum};
use crate::office_api;

#[function_component(DashboardPage)]
pub fn dashboard_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let month = use_state(|| Month::of(crate::hooks::today()));
    let data = use_load(*month, office_api::dashboard);
    let prev = {
        let month = month.clone();
        Callback::from(move |_: MouseEvent| month.set(month.prev()))
    };
    let next = {
        let month = month.clone();
        Callback::from(move |_: MouseEvent| month.set(month.next()))
    };
    let body = match &*data {
        Load::Loading => loading(lang),
        Load::Failed(error) => html! { <Failure error={error.clone()} /> },
        Load::Ready(dashboard) => view(lang, dashboard),
    };
    html! {
        <section class="office-page" data-testid="dashboard">
            <div class="office-page-head">
                <h2>{ tf(lang, Key::DashboardTitle, &[("month", &month_name(lang, *month))]) }</h2>
                if let Some(org) = office.user.org_name.as_ref().filter(|_| office.user.role != OfficeRole::Office) {
                    <p class="muted" data-testid="dashboard-scope">{ tf(lang, Key::ReportOfOrg, &[("org", org)]) }</p>
                }
                <div class="button-row">
                    <button type="button" class="button" onclick={prev} data-testid="month-prev">{ t(lang, Key::PrevMonth) }</button>
                    <button type="button" class="button" onclick={next} data-testid="month-next">{ t(lang, Key::NextMonth) }</button>
                </div>
            </div>
            { body }
        </section>
    }
}

fn view(lang: Lang, dashboard: &Dashboard) -> Html {
    let rows = dashboard.services.iter().map(|s| {
        let name = match lang {
            Lang::Pl => &s.service_pl,
            Lang::En => &s.service_en,
        };
        html! {
            <tr data-testid="dashboard-row" data-service={s.service.clone()}>
                <th scope="row">{ name }</th>
                <td class="num">{ s.figures.records }</td>
                <td class="num">{ s.figures.unique_persons }</td>
                <td class="num">{ hours(lang, s.figures.minutes) }</td>
            </tr>
        }
    });
    // The month's consortium total (each contact and person once), as the
    // chart's last bar shows it.
    let total = dashboard
        .months
        .iter()
        .find(|p| p.month == dashboard.month)
        .cloned();
    let (rows_records, rows_minutes) = rows_sum(dashboard.services.iter().map(|s| &s.figures));
    let note = total
        .as_ref()
        .filter(|t| {
            t.records != rows_records || hours(lang, t.minutes) != hours(lang, rows_minutes)
        })
        .map(|t| {
            tf(
                lang,
                Key::ReportTotalsNote,
                &[
                    ("rows", &rows_records.to_string()),
                    ("rows_hours", &hours(lang, rows_minutes)),
                    ("total", &t.records.to_string()),
                    ("total_hours", &hours(lang, t.minutes)),
                ],
            )
        });
    html! {
        <>
            if dashboard.services.is_empty() {
                <p class="empty">{ t(lang, Key::NoData) }</p>
            } else {
                <table class="office-table">
                    <thead><tr>
                        <th scope="col">{ t(lang, Key::ColService) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ColRecords) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ColUnique) }</th>
                        <th scope="col" class="num">{ t(lang, Key::ColHours) }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                    if let Some(total) = &total {
                        <tfoot>
                            <tr class="grand-total" data-testid="dashboard-total" data-value={total.records.to_string()}>
                                <th scope="row">{ t(lang, Key::ConsortiumTotal) }</th>
                                <td class="num">{ total.records }</td>
                                <td class="num">{ total.unique_persons }</td>
                                <td class="num">{ hours(lang, total.minutes) }</td>
                            </tr>
                        </tfoot>
                    }
                </table>
                if let Some(note) = note {
                    <p class="field-hint" data-testid="dashboard-totals-note">{ note }</p>
                }
            }
            { chart(lang, &dashboard.months) }
        </>
    }
}

/// Twelve bars of contacts and sessions, with the month under each.
fn chart(lang: Lang, months: &[MonthPoint]) -> Html {
    const WIDTH: f64 = 720.0;
    const HEIGHT: f64 = 200.0;
    const BASE: f64 = 230.0;
    let values: Vec<i64> = months.iter().map(|m| m.records).collect();
    let heights = bar_heights(&values, HEIGHT);
    let slot = WIDTH / months.len().max(1) as f64;
    let bars = months.iter().zip(heights).enumerate().map(|(i, (point, height))| {
        let x = 40.0 + i as f64 * slot;
        html! {
            <g data-testid="chart-bar" data-month={point.month.to_string()} data-value={point.records.to_string()}>
                <title>{ format!("{}: {}", month_name(lang, point.month), point.records) }</title>
                <rect x={format!("{:.1}", x + slot * 0.15)} y={format!("{:.1}", BASE - height)}
                    width={format!("{:.1}", slot * 0.7)} height={format!("{height:.1}")} class="chart-bar" />
                <text x={format!("{:.1}", x + slot / 2.0)} y={format!("{:.1}", BASE - height - 4.0)}
                    class="chart-value" text-anchor="middle">{ point.records }</text>
                <text x={format!("{:.1}", x + slot / 2.0)} y={format!("{:.1}", BASE + 16.0)}
                    class="chart-label" text-anchor="middle">{ month_short(lang, point.month) }</text>
            </g>
        }
    });
    let max = chart_max(&values);
    html! {
        <figure class="office-chart">
            <figcaption>{ t(lang, Key::ChartTitle) }</figcaption>
            <svg viewBox="0 0 780 250" role="img" aria-label={t(lang, Key::ChartTitle)} data-testid="chart">
                <line x1="36" y1={BASE.to_string()} x2="770" y2={BASE.to_string()} class="chart-axis" />
                <text x="30" y={format!("{:.1}", BASE - HEIGHT + 4.0)} class="chart-label" text-anchor="end">{ max }</text>
                <text x="30" y={format!("{:.1}", BASE + 4.0)} class="chart-label" text-anchor="end">{ "0" }</text>
                { for bars }
            </svg>
        </figure>
    }
}
