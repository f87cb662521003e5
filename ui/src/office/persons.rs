//! Persons: find one by alias (case and diacritics aside), then their
//! timeline — everything the consortium did with them, across services
//! and members, oldest first (the server writes each opening to the audit
//! log).

use odnowa_shared::ids::PersonId;
use odnowa_shared::office::{AuditSubject, CaseWork, CaseWorkEntry, PersonSummary};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::audit::AuditList;
use super::erasure::ErasePanel;
use super::records::{record_table, use_service_names};
use super::{Failure, OfficeRoute, loading, use_office};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::case::{domain_name, outcome_name, referral_status_name, status_name};
use crate::model::format;
use crate::office_api;

/// "Zbyszek, 1970, male".
pub fn describe(lang: Lang, person: &PersonSummary) -> String {
    if person.erased {
        return t(lang, Key::ErasedPerson).to_string();
    }
    if person.hidden {
        return t(lang, Key::DetailsHidden).to_string();
    }
    let mut parts = vec![person.alias.clone()];
    if let Some(year) = person.birth_year {
        parts.push(year.to_string());
    }
    let gender = match person.gender.as_str() {
        "female" => Some(Key::GenderF),
        "male" => Some(Key::GenderM),
        "other" => Some(Key::GenderX),
        _ => None,
    };
    if let Some(key) = gender {
        parts.push(t(lang, key).to_lowercase());
    }
    parts.join(", ")
}

/// The alias, or what stands for it when it is hidden or erased.
fn shown_alias(lang: Lang, person: &PersonSummary) -> String {
    if person.alias.is_empty() {
        describe(lang, person)
    } else {
        person.alias.clone()
    }
}

#[function_component(PersonsPage)]
pub fn persons_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let query = use_state(String::new);
    let found = use_load((*query).clone(), office_api::persons);
    let oninput = {
        let query = query.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                query.set(input.value());
            }
        })
    };
    let body = match &*found {
        Load::Loading => loading(lang),
        Load::Failed(error) => html! { <Failure error={error.clone()} /> },
        Load::Ready(persons) if persons.is_empty() => {
            html! { <p class="empty">{ t(lang, Key::NoResults) }</p> }
        }
        Load::Ready(persons) => {
            let rows = persons.iter().map(|p| {
                let id = p.id;
                let onclick = office.navigate.reform(move |_: MouseEvent| OfficeRoute::Timeline(id));
                html! {
                    <li>
                        <button type="button" class="office-list-item" data-testid="person-row" data-alias={p.alias.clone()} {onclick}>
                            <span>{ describe(lang, p) }</span>
                            <span class="muted">{ p.records }</span>
                        </button>
                    </li>
                }
            });
            html! { <ul class="office-list">{ for rows }</ul> }
        }
    };
    html! {
        <section class="office-page" data-testid="persons">
            <h2>{ t(lang, Key::PersonsTitle) }</h2>
            <label class="field">
                <span class="field-label">{ t(lang, Key::AliasLabel) }</span>
                <input type="search" value={(*query).clone()} {oninput} data-testid="person-search"
                    placeholder={t(lang, Key::SearchPlaceholder)} />
            </label>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub id: PersonId,
}

#[function_component(TimelinePage)]
pub fn timeline_page(props: &TimelineProps) -> Html {
    let office = use_office();
    let lang = office.lang;
    let timeline = use_load(props.id, office_api::timeline);
    let names = use_service_names();
    let back = office.navigate.reform(|_: MouseEvent| OfficeRoute::Persons);
    let body = match &*timeline {
        Load::Loading => loading(lang),
        Load::Failed(error) => html! { <Failure error={error.clone()} /> },
        Load::Ready(timeline) => html! {
            <>
                <h2>{ tf(lang, Key::TimelineTitle, &[("alias", &shown_alias(lang, &timeline.person))]) }</h2>
                <p>{ describe(lang, &timeline.person) }</p>
                // The erasure first: a request to be forgotten is found
                // here, not under the access log.
                if !timeline.person.erased {
                    <ErasePanel person={timeline.person.id} alias={timeline.person.alias.clone()}
                        birth_year={timeline.person.birth_year} />
                }
                if !timeline.merged.is_empty() {
                    <h3>{ t(lang, Key::MergedPersons) }</h3>
                    <ul class="office-chips" data-testid="timeline-merged">
                        { for timeline.merged.iter().map(|p| html! { <li>{ describe(lang, p) }</li> }) }
                    </ul>
                }
                if timeline.entries.is_empty() {
                    <p class="empty">{ t(lang, Key::NoData) }</p>
                } else {
                    { record_table(lang, &timeline.entries, (&office.navigate, &names), "timeline-entry") }
                }
                <h3>{ t(lang, Key::CaseWorkTitle) }</h3>
                if timeline.case_work.is_empty() {
                    <p class="empty">{ t(lang, Key::NoData) }</p>
                } else {
                    <ul class="case-work" data-testid="timeline-case-work">
                        { for timeline.case_work.iter().map(|entry| case_work_item(lang, entry)) }
                    </ul>
                }
                if timeline.person.erased {
                    <p class="office-card" role="status" data-testid="erased">{ t(lang, Key::ErasedOn) }</p>
                }
                <AuditList subject={AuditSubject::Person(timeline.person.id)} />
            </>
        },
    };
    html! {
        <section class="office-page" data-testid="timeline">
            <button type="button" class="button" onclick={back} data-testid="back">{ t(lang, Key::Back) }</button>
            { body }
        </section>
    }
}

/// One assessment, programme or referral on the timeline: its structure,
/// never its free text.
fn case_work_item(lang: Lang, entry: &CaseWorkEntry) -> Html {
    let (kind, title, lines): (&str, String, Vec<String>) = match &entry.what {
        CaseWork::Diagnosis {
            assessed_on,
            levels,
        } => (
            "diagnosis",
            tf(
                lang,
                Key::DiagnosisOf,
                &[("date", &format::date(lang, *assessed_on))],
            ),
            levels
                .iter()
                .map(|(code, level)| format!("{}: {level}", domain_name(lang, code)))
                .collect(),
        ),
        CaseWork::Programme {
            opened_on,
            agreed_on,
            goals,
            steps,
            reviews_done,
            closed_on,
            outcome,
        } => {
            let mut lines = vec![format!(
                "{}: {} · {}: {goals} · {}: {reviews_done}",
                t(lang, Key::OpenedOn),
                format::date(lang, *opened_on),
                t(lang, Key::Goals),
                t(lang, Key::Reviews)
            )];
            if let Some(agreed) = agreed_on {
                lines.push(format!(
                    "{}: {}",
                    t(lang, Key::AgreedOn),
                    format::date(lang, *agreed)
                ));
            }
            for (due, status) in steps {
                let due = due.map(|d| format::date(lang, d)).unwrap_or_default();
                lines.push(format!(
                    "{} · {due} · {}",
                    t(lang, Key::Steps),
                    status_name(lang, status)
                ));
            }
            if let (Some(on), Some(code)) = (closed_on, outcome) {
                lines.push(tf(
                    lang,
                    Key::ProgrammeClosed,
                    &[
                        ("date", &format::date(lang, *on)),
                        ("outcome", &outcome_name(lang, code)),
                    ],
                ));
            }
            ("programme", t(lang, Key::ProgrammeShort).to_string(), lines)
        }
        CaseWork::Referral {
            to_name,
            status,
            sent_at,
            accepted_at,
            declined_at,
            done_at,
            ..
        } => {
            let mut lines = vec![format!(
                "{} · {}",
                tf(lang, Key::ReferralTo, &[("org", to_name)]),
                tf(
                    lang,
                    Key::ReferralSentOn,
                    &[("date", &format::date_time(lang, *sent_at))]
                )
            )];
            for (key, at) in [
                (Key::ReferralAccepted, accepted_at),
                (Key::ReferralDeclined, declined_at),
                (Key::ReferralDone, done_at),
            ] {
                if let Some(at) = at {
                    lines.push(format!(
                        "{}: {}",
                        t(lang, key),
                        format::date_time(lang, *at)
                    ));
                }
            }
            (
                "referral",
                format!(
                    "{} · {}",
                    t(lang, Key::ReferralsTitle),
                    referral_status_name(lang, *status)
                ),
                lines,
            )
        }
    };
    html! {
        <li class="office-card" data-testid="case-work-entry" data-kind={kind}>
            <strong>{ title }</strong>{ " · " }{ &entry.org_name }
            <ul>{ for lines.iter().map(|l| html! { <li>{ l }</li> }) }</ul>
        </li>
    }
}
