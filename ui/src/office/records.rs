//! The records: every member's contacts, day-room sessions and workshops,
//! filtered by service, member, site, worker and days; one record opened
//! with what it holds and its history.

use odnowa_shared::ids::DocId;
use odnowa_shared::office::{
    FilterOptions, RecordContent, RecordDetail, RecordFilter, RecordSummary,
};
use odnowa_shared::records::RecordKind;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::catalogue::DayInput;
use super::{Failure, OfficeRoute, loading, use_office};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::model::office::hours;
use crate::office_api;

/// A record's kind, for people.
pub fn kind_name(lang: Lang, kind: RecordKind) -> &'static str {
    t(
        lang,
        match kind {
            RecordKind::Contact => Key::KindContact,
            RecordKind::DaySession => Key::KindDaySession,
            RecordKind::Workshop => Key::KindWorkshop,
            _ => Key::KindPerson,
        },
    )
}

/// Service names by code, from the catalogue (codes where unknown).
pub type ServiceNames = std::collections::HashMap<String, (String, String)>;

/// The service names of the records filter's options.
#[hook]
pub fn use_service_names() -> ServiceNames {
    let options = use_load((), |_| office_api::filters());
    match &*options {
        Load::Ready(options) => options
            .services
            .iter()
            .map(|s| {
                let en = s.name_en.clone().unwrap_or_else(|| s.name.clone());
                (s.id.clone(), (s.name.clone(), en))
            })
            .collect(),
        _ => ServiceNames::new(),
    }
}

fn service_names(lang: Lang, codes: &[String], names: &ServiceNames) -> String {
    codes
        .iter()
        .map(|code| match (names.get(code), lang) {
            (Some((pl, _)), Lang::Pl) => pl.clone(),
            (Some((_, en)), Lang::En) => en.clone(),
            (None, _) => code.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A table of record lines; a click opens the record.
pub fn record_table(
    lang: Lang,
    records: &[RecordSummary],
    (navigate, names): (&Callback<OfficeRoute>, &ServiceNames),
    testid: &'static str,
) -> Html {
    let rows = records.iter().map(|r| {
        let id = r.id;
        let onclick = navigate.reform(move |_: MouseEvent| OfficeRoute::Record(id));
        let place = r.site_name.clone().unwrap_or_else(|| r.place.clone());
        let mut persons = r.persons.join(", ");
        if r.anonymous_count > 0 {
            if !persons.is_empty() {
                persons.push_str(" + ");
            }
            persons.push_str(&format!(
                "{} {}",
                r.anonymous_count,
                t(lang, Key::ColAnonymous).to_lowercase()
            ));
        }
        html! {
            <tr class="clickable" data-testid={testid} data-id={r.id.to_string()} {onclick}>
                <td>{ format::date_time(lang, r.at) }</td>
                <td>{ kind_name(lang, r.kind) }</td>
                <td>{ r.org_name.clone().unwrap_or_default() }</td>
                <td>{ &r.space_name }</td>
                <td>{ r.worker_name.clone().unwrap_or_default() }</td>
                <td>{ place }</td>
                <td>{ service_names(lang, &r.services, names) }</td>
                <td>{ persons }</td>
                <td class="num">{ hours(lang, r.minutes) }</td>
            </tr>
        }
    });
    html! {
        <table class="office-table">
            <thead><tr>
                <th scope="col">{ t(lang, Key::ColDate) }</th>
                <th scope="col">{ t(lang, Key::ColKind) }</th>
                <th scope="col">{ t(lang, Key::ColMember) }</th>
                <th scope="col">{ t(lang, Key::ColTeam) }</th>
                <th scope="col">{ t(lang, Key::ColWorker) }</th>
                <th scope="col">{ t(lang, Key::ColWhere) }</th>
                <th scope="col">{ t(lang, Key::ColService) }</th>
                <th scope="col">{ t(lang, Key::ColPersons) }</th>
                <th scope="col" class="num">{ t(lang, Key::ColHours) }</th>
            </tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}

fn select(
    lang: Lang,
    label: Key,
    node: &NodeRef,
    options: &[odnowa_shared::office::NamedOption],
    (current, testid): (Option<String>, &'static str),
) -> Html {
    let items = options.iter().map(|o| {
        let name = match (lang, &o.name_en) {
            (Lang::En, Some(en)) => en.clone(),
            _ => o.name.clone(),
        };
        let selected = current.as_deref() == Some(o.id.as_str());
        html! { <option value={o.id.clone()} {selected}>{ name }</option> }
    });
    html! {
        <label class="field">
            <span class="field-label">{ t(lang, label) }</span>
            <select ref={node.clone()} data-testid={testid}>
                <option value="" selected={current.is_none()}>{ t(lang, Key::FilterAll) }</option>
                { for items }
            </select>
        </label>
    }
}

fn chosen(node: &NodeRef) -> Option<String> {
    node.cast::<HtmlSelectElement>()
        .map(|s| s.value())
        .filter(|v| !v.is_empty())
}

fn day(node: &NodeRef) -> Option<odnowa_shared::time::Date> {
    node.cast::<HtmlInputElement>()
        .and_then(|i| i.value().parse().ok())
}

#[function_component(RecordsPage)]
pub fn records_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let filter = use_state(RecordFilter::default);
    let options = use_load((), |_| office_api::filters());
    let page = use_load((*filter).clone(), office_api::records);
    let names = use_service_names();
    let refs: [NodeRef; 6] = Default::default();
    let apply = {
        let (filter, refs) = (filter.clone(), refs.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            filter.set(RecordFilter {
                service: chosen(&refs[0]),
                org: chosen(&refs[1]).and_then(|v| v.parse().ok()),
                site: chosen(&refs[2]).and_then(|v| v.parse().ok()),
                worker: chosen(&refs[3]).and_then(|v| v.parse().ok()),
                from: day(&refs[4]),
                to: day(&refs[5]),
                offset: None,
            });
        })
    };
    let form = match &*options {
        Load::Ready(FilterOptions {
            services,
            orgs,
            sites,
            workers,
        }) => html! {
            <form class="office-filters" onsubmit={apply} data-testid="records-filter">
                { select(lang, Key::ColService, &refs[0], services, (filter.service.clone(), "filter-service")) }
                { select(lang, Key::ColMember, &refs[1], orgs, (filter.org.map(|o| o.to_string()), "filter-org")) }
                { select(lang, Key::FilterSite, &refs[2], sites, (filter.site.map(|o| o.to_string()), "filter-site")) }
                { select(lang, Key::ColWorker, &refs[3], workers, (filter.worker.map(|o| o.to_string()), "filter-worker")) }
                <DayInput {lang} label={Key::FilterFrom} id="filter-from" node={refs[4].clone()}
                    value={filter.from.map(|d| d.to_string()).unwrap_or_default()} />
                <DayInput {lang} label={Key::FilterTo} id="filter-to" node={refs[5].clone()}
                    value={filter.to.map(|d| d.to_string()).unwrap_or_default()} />
                <button type="submit" class="button button-primary" data-testid="filter-apply">{ t(lang, Key::FilterApply) }</button>
            </form>
        },
        Load::Failed(error) => html! { <Failure error={error.clone()} /> },
        Load::Loading => html! {},
    };
    let body = match &*page {
        Load::Loading => loading(lang),
        Load::Failed(error) => html! { <Failure error={error.clone()} /> },
        Load::Ready(page) => {
            let offset = page.offset;
            let more = u64::from(offset) + (page.records.len() as u64) < page.total;
            let go = |to: u32| {
                let filter = filter.clone();
                Callback::from(move |_: MouseEvent| {
                    let mut next = (*filter).clone();
                    next.offset = Some(to);
                    filter.set(next);
                })
            };
            html! {
                <>
                    <p data-testid="records-count">{ tf(lang, Key::RecordsCount, &[("n", &page.total.to_string())]) }</p>
                    if page.records.is_empty() {
                        <p class="empty">{ t(lang, Key::NoData) }</p>
                    } else {
                        { record_table(lang, &page.records, (&office.navigate, &names), "records-row") }
                    }
                    <div class="button-row">
                        if offset > 0 {
                            <button type="button" class="button" onclick={go(offset.saturating_sub(odnowa_shared::office::RECORDS_PAGE))}>{ t(lang, Key::PagePrev) }</button>
                        }
                        if more {
                            <button type="button" class="button" onclick={go(offset + odnowa_shared::office::RECORDS_PAGE)} data-testid="page-next">{ t(lang, Key::PageNext) }</button>
                        }
                    </div>
                </>
            }
        }
    };
    html! {
        <section class="office-page" data-testid="records">
            <h2>{ t(lang, Key::NavRecords) }</h2>
            { form }
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct RecordPageProps {
    pub id: DocId,
}

#[function_component(RecordPage)]
pub fn record_page(props: &RecordPageProps) -> Html {
    let office = use_office();
    let lang = office.lang;
    let detail = use_load(props.id, office_api::record);
    let names = use_service_names();
    let back = office.navigate.reform(|_: MouseEvent| OfficeRoute::Records);
    let body = match &*detail {
        Load::Loading => loading(lang),
        Load::Failed(error) => html! { <Failure error={error.clone()} /> },
        Load::Ready(detail) => record_view(lang, detail, &names),
    };
    html! {
        <section class="office-page" data-testid="record-detail">
            <button type="button" class="button" onclick={back} data-testid="back">{ t(lang, Key::Back) }</button>
            <h2>{ t(lang, Key::RecordTitle) }</h2>
            { body }
        </section>
    }
}

fn alias(detail: &RecordDetail, key: &str) -> String {
    key.parse()
        .ok()
        .and_then(|id| detail.aliases.get(&id).cloned())
        .unwrap_or_else(|| key.chars().take(8).collect())
}

fn record_view(lang: Lang, detail: &RecordDetail, names: &ServiceNames) -> Html {
    let s = &detail.summary;
    let mut fields: Vec<(Key, String)> = vec![
        (Key::ColKind, kind_name(lang, s.kind).to_string()),
        (Key::ColDate, format::date_time(lang, s.at)),
        (Key::ColMember, s.org_name.clone().unwrap_or_default()),
        (Key::ColTeam, s.space_name.clone()),
        (Key::ColWorker, s.worker_name.clone().unwrap_or_default()),
        (Key::ColService, service_names(lang, &s.services, names)),
        (Key::ColHours, hours(lang, s.minutes)),
    ];
    match &detail.content {
        RecordContent::Contact(c) => {
            fields.push((Key::ColWhere, c.place.clone()));
            fields.push((
                Key::ColPersons,
                c.persons
                    .keys()
                    .map(|k| alias(detail, k))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
            fields.push((Key::ColAnonymous, c.anonymous_count.to_string()));
            fields.push((Key::FieldNote, c.note.clone()));
            if let Some(follow_up) = &c.follow_up {
                fields.push((Key::FieldFollowUp, follow_up.what.clone()));
            }
        }
        RecordContent::DaySession(d) => {
            fields.push((Key::ColWhere, s.site_name.clone().unwrap_or_default()));
            let present: Vec<String> = d
                .attendance
                .iter()
                .filter(|(_, a)| a.present)
                .map(|(k, a)| match (a.check_in, a.check_out) {
                    (Some(i), Some(o)) => format!(
                        "{} ({}–{})",
                        alias(detail, k),
                        format::time(i),
                        format::time(o)
                    ),
                    (Some(i), None) => format!("{} ({})", alias(detail, k), format::time(i)),
                    _ => alias(detail, k),
                })
                .collect();
            fields.push((Key::ColPersons, present.join(", ")));
            fields.push((Key::ColAnonymous, d.anonymous_count.value().to_string()));
            fields.push((Key::Meals, d.meals.value().to_string()));
        }
        RecordContent::Workshop(w) => {
            fields.push((Key::ColWhere, s.site_name.clone().unwrap_or_default()));
            fields.push((Key::WorkshopTheme, w.theme.clone()));
            fields.push((Key::WorkshopMotif, w.motif.clone()));
            let participants: Vec<String> = w
                .participants
                .iter()
                .map(|(k, p)| format!("{} ({})", alias(detail, k), format::hours(lang, p.hours)))
                .collect();
            fields.push((Key::Participants, participants.join(", ")));
            let items: Vec<String> = w
                .items
                .values()
                .map(|i| format!("{} × {}", i.name, i.count))
                .collect();
            fields.push((Key::ItemsMade, items.join(", ")));
        }
        RecordContent::Person(p) => {
            fields.push((Key::AliasLabel, format::shown_alias(lang, &p.alias)));
            let consent = match &p.consent {
                Some(c) => match c.withdrawn_at {
                    Some(at) => tf(
                        lang,
                        Key::ConsentWithdrawn,
                        &[("date", &format::date_time(lang, at))],
                    ),
                    None => tf(
                        lang,
                        Key::ConsentGiven,
                        &[
                            ("date", &format::date_time(lang, c.given_at)),
                            ("scope", &c.scope),
                        ],
                    ),
                },
                None => t(lang, Key::ConsentNone).to_string(),
            };
            fields.push((Key::ConsentTitle, consent));
        }
    }
    let fields = fields
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(key, value)| {
            html! { <><dt>{ t(lang, key) }</dt><dd>{ value }</dd></> }
        });
    let history = detail.history.iter().map(|h| {
        html! {
            <tr data-testid="history-row">
                <td>{ format::date_time(lang, h.at) }</td>
                <td>{ h.author.clone().unwrap_or_default() }</td>
                <td>{ format::history_message(lang, &h.message) }</td>
            </tr>
        }
    });
    html! {
        <>
            <dl class="office-fields">{ for fields }</dl>
            if !detail.conflicts.is_empty() {
                <p class="notice">{ crate::i18n::versions(lang, detail.conflicts.len() + 1) }</p>
            }
            <h3>{ t(lang, Key::HistoryTitle) }</h3>
            <table class="office-table">
                <thead><tr>
                    <th scope="col">{ t(lang, Key::ColDate) }</th>
                    <th scope="col">{ t(lang, Key::ColWho) }</th>
                    <th scope="col">{ t(lang, Key::ColChange) }</th>
                </tr></thead>
                <tbody>{ for history }</tbody>
            </table>
        </>
    }
}
