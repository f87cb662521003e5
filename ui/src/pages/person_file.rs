//! [`PersonFilePage`]: what the worker's organisation knows of one person,
//! on the phone and offline: what is due, a note, the needs assessments
//! with the change per domain, the programme, the referrals, and the
//! history (contacts, day-room visits, workshops, notes), newest first.

use odnowa_shared::api::{
    DiagnosisView, DueItem, NoteDraft, PersonFile, ProgrammeView, ReferralView,
};
use odnowa_shared::ids::PersonId;
use web_sys::HtmlTextAreaElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{ConfirmedMark, ErrorBanner};
use crate::hooks::{Load, today, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::case::{
    change_text, domain_name, due_name, event_name, level_name, outcome_name, referral_status_name,
};
use crate::model::format;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

#[derive(Properties, PartialEq)]
pub struct PersonFileProps {
    pub person: PersonId,
}

#[function_component(PersonFilePage)]
pub fn person_file_page(props: &PersonFileProps) -> Html {
    let app = use_context::<AppHandle>();
    let generation = app.as_ref().map(|a| a.sync_generation).unwrap_or_default();
    let local = use_state(|| 0u64);
    let file = use_load((props.person, generation, *local), |(person, _, _)| {
        tauri::person_file(person)
    });
    let note = use_state(String::new);
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let go = |route: Route| {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(route)))
    };
    let head = |title: String| {
        html! {
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={go(Route::Outreach)}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title" data-testid="file-title">{ title }</h2>
            </div>
        }
    };
    let file: PersonFile = match &*file {
        Load::Loading => {
            return html! { <section class="page">{ head(t(lang, Key::PersonFileTitle).into()) }<p class="loading">{ t(lang, Key::Loading) }</p></section> };
        }
        Load::Failed(failure) => {
            return html! { <section class="page">{ head(t(lang, Key::PersonFileTitle).into()) }<ErrorBanner {lang} error={Some(failure.key())} /></section> };
        }
        Load::Ready(file) => file.clone(),
    };
    let person = props.person;
    let alias = format::shown_alias(lang, &file.person.alias);
    let save_note = {
        let (note, error, busy, local) = (note.clone(), error.clone(), busy.clone(), local.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let text = note.trim().to_string();
            if text.is_empty() {
                error.set(Some(Key::ErrNoteEmpty));
                return;
            }
            let (note, error, busy, local) =
                (note.clone(), error.clone(), busy.clone(), local.clone());
            busy.set(true);
            spawn_local(async move {
                match tauri::add_note(&NoteDraft { person, text }).await {
                    Ok(_) => {
                        note.set(String::new());
                        error.set(None);
                        local.set(*local + 1);
                    }
                    Err(failure) => error.set(Some(failure.key())),
                }
                busy.set(false);
            });
        })
    };
    let on_note = {
        let note = note.clone();
        Callback::from(move |e: InputEvent| {
            note.set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let open_programme = file.programmes.iter().find(|p| p.closed_on.is_none());
    let sub = match file.person.birth_year {
        Some(year) => year.to_string(),
        None => String::new(),
    };
    html! {
        <section class="page page-person-file" data-testid="person-file" data-person-id={person.to_string()}>
            { head(alias.clone()) }
            <p class="record-status">
                if !sub.is_empty() { <span class="hint">{ sub }{ " · " }</span> }
                <ConfirmedMark {lang} confirmed={file.person.confirmed} />
            </p>
            if file.hidden_while_stale {
                <p class="notice" role="status" data-testid="file-stale">{ t(lang, Key::StaleFileHidden) }</p>
            }
            if file.may_write {
                <div class="case-actions">
                    <button type="button" class="button button-secondary" data-testid="new-diagnosis"
                        onclick={go(Route::NewDiagnosis(person))}>{ t(lang, Key::NewDiagnosis) }</button>
                    if open_programme.is_none() {
                        <button type="button" class="button button-secondary" data-testid="new-programme"
                            onclick={go(Route::NewProgramme(person))}>{ t(lang, Key::NewProgramme) }</button>
                    }
                    <button type="button" class="button button-secondary" data-testid="new-referral"
                        onclick={go(Route::NewReferral(person))}>{ t(lang, Key::NewReferral) }</button>
                </div>
            } else {
                <p class="hint">{ t(lang, Key::NoCaseWorkSpace) }</p>
            }
            if !file.due.is_empty() {
                <section class="case-section" data-testid="file-due">
                    <h3 class="section-title">{ t(lang, Key::DueTitle) }</h3>
                    <DueList {lang} items={file.due.clone()} show_alias={false} />
                </section>
            }
            if file.may_write {
                <section class="case-section">
                    <label class="field-label" for="note-text">{ t(lang, Key::AddNote) }</label>
                    <textarea id="note-text" data-testid="note-text" class="text-input text-area" rows="2"
                        value={(*note).clone()} oninput={on_note} />
                    <p class="hint">{ t(lang, Key::NoteHint) }</p>
                    <ErrorBanner {lang} error={*error} />
                    <button type="button" class="button button-primary" data-testid="save-note"
                        disabled={*busy} onclick={save_note}>{ t(lang, Key::AddNote) }</button>
                </section>
            }
            <section class="case-section" data-testid="file-diagnoses">
                <h3 class="section-title">{ t(lang, Key::DiagnosesTitle) }</h3>
                if file.diagnoses.is_empty() {
                    <p class="empty">{ t(lang, Key::NoDiagnosis) }</p>
                }
                { for file.diagnoses.iter().enumerate().map(|(at, d)| diagnosis_card(lang, d, at == 0)) }
            </section>
            <section class="case-section" data-testid="file-programmes">
                <h3 class="section-title">{ t(lang, Key::ProgrammeShort) }</h3>
                if file.programmes.is_empty() {
                    <p class="empty">{ t(lang, Key::NoProgramme) }</p>
                }
                <ul class="record-list">
                    { for file.programmes.iter().map(|p| programme_row(lang, &app, p)) }
                </ul>
            </section>
            <section class="case-section" data-testid="file-referrals">
                <h3 class="section-title">{ t(lang, Key::ReferralsTitle) }</h3>
                if file.referrals.is_empty() {
                    <p class="empty">{ t(lang, Key::NoReferrals) }</p>
                }
                <ul class="record-list">
                    { for file.referrals.iter().map(|r| referral_line(lang, r)) }
                </ul>
            </section>
            <section class="case-section" data-testid="file-history">
                <h3 class="section-title">{ t(lang, Key::FileHistory) }</h3>
                if file.events.is_empty() {
                    <p class="empty">{ t(lang, Key::FileEmpty) }</p>
                }
                <ul class="file-events">
                    { for file.events.iter().map(|e| html! {
                        <li class="file-event" data-testid="file-event" data-kind={format!("{:?}", e.kind).to_lowercase()}>
                            <span class="record-time">{ format::when(lang, e.at, today()) }</span>
                            <span class="record-main">
                                <span class="record-title">{ event_name(lang, e.kind) }</span>
                                if !e.text.is_empty() {
                                    <span class="record-sub">{ &e.text }</span>
                                }
                                if let Some(by) = &e.by {
                                    <span class="record-sub">{ by }</span>
                                }
                            </span>
                        </li>
                    }) }
                </ul>
            </section>
        </section>
    }
}

fn diagnosis_card(lang: Lang, d: &DiagnosisView, latest: bool) -> Html {
    let title = tf(
        lang,
        Key::DiagnosisOf,
        &[("date", &format::date(lang, d.assessed_on))],
    );
    let compared = d
        .previous_on
        .map(|on| tf(lang, Key::ChangeSince, &[("date", &format::date(lang, on))]));
    let rows = d.domains.iter().map(|domain| {
        let change = change_text(domain.change);
        let trend = match domain.change {
            Some(c) if c > 0 => "is-better",
            Some(c) if c < 0 => "is-worse",
            _ => "",
        };
        html! {
            <tr data-testid="diagnosis-domain" data-domain={domain.code.clone()}>
                <th scope="row">{ domain_name(lang, &domain.code) }</th>
                <td>{ level_name(lang, domain.level) }
                    if !domain.note.is_empty() { <br /><span class="hint">{ &domain.note }</span> }
                </td>
                <td class={classes!("change", trend)} data-testid="domain-change">{ change.unwrap_or_default() }</td>
            </tr>
        }
    });
    html! {
        <details class="case-card" data-testid="diagnosis-card" open={latest}>
            <summary>
                <strong>{ title }</strong>
                if let Some(by) = &d.author {
                    <span class="hint">{ " · " }{ tf(lang, Key::WrittenBy, &[("who", by)]) }</span>
                }
            </summary>
            <table class="domain-table">
                if let Some(compared) = compared {
                    <caption class="hint">{ compared }</caption>
                }
                <tbody>{ for rows }</tbody>
            </table>
            if !d.wishes.is_empty() {
                <p><strong>{ t(lang, Key::Wishes) }{ ": " }</strong>{ &d.wishes }</p>
            }
            if !d.household.is_empty() {
                <p data-testid="diagnosis-household"><strong>{ t(lang, Key::Household) }{ ": " }</strong>
                    { d.household.iter().map(|h| {
                        let alias = format::shown_alias(lang, &h.alias);
                        if h.relation.is_empty() { alias } else { format!("{alias} ({})", h.relation) }
                    }).collect::<Vec<_>>().join(", ") }
                </p>
            }
        </details>
    }
}

fn programme_row(lang: Lang, app: &AppHandle, p: &ProgrammeView) -> Html {
    let onclick = {
        let (app, id) = (app.clone(), p.id);
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Programme(id))))
    };
    let overdue = p.steps.iter().filter(|s| s.overdue).count();
    let state = match (&p.closed_on, &p.outcome) {
        (Some(on), Some(outcome)) => tf(
            lang,
            Key::ProgrammeClosed,
            &[
                ("date", &format::date(lang, *on)),
                ("outcome", &outcome_name(lang, outcome)),
            ],
        ),
        _ => format!(
            "{}: {}",
            t(lang, Key::OpenedOn),
            format::date(lang, p.opened_on)
        ),
    };
    let goals: Vec<&str> = p.goals.iter().map(|g| g.text.as_str()).collect();
    html! {
        <li>
            <button type="button" class="record-row" data-testid="programme-row" {onclick}>
                <span class="record-main">
                    <span class="record-title">{ goals.join(" · ") }</span>
                    <span class="record-sub">{ state }</span>
                    if overdue > 0 {
                        <span class="badge badge-warn">{ t(lang, Key::OverdueMark) }{ ": " }{ overdue }</span>
                    }
                </span>
                <ConfirmedMark {lang} confirmed={p.confirmed} />
            </button>
        </li>
    }
}

/// A referral as one line: where, why, where it stands.
pub fn referral_line(lang: Lang, r: &ReferralView) -> Html {
    let whom = if r.incoming {
        tf(lang, Key::ReferralFrom, &[("org", &r.from_name)])
    } else {
        tf(lang, Key::ReferralTo, &[("org", &r.to_name)])
    };
    html! {
        <li class="referral-line" data-testid="referral-line" data-status={r.status.as_str()}>
            <span class="record-main">
                <span class="record-title">{ whom }</span>
                <span class="record-sub">{ &r.reason }</span>
                <span class="record-sub">
                    { tf(lang, Key::ReferralSentOn, &[("date", &format::date(lang, r.sent_at.warsaw_date()))]) }
                </span>
            </span>
            <span class={classes!("status", format!("status-{}", r.status.as_str()))} data-testid="referral-status">
                { referral_status_name(lang, r.status) }
            </span>
        </li>
    }
}

#[derive(Properties, PartialEq)]
pub struct DueListProps {
    pub lang: Lang,
    pub items: Vec<DueItem>,
    /// Name the person of each item (the home screen; not in their file).
    pub show_alias: bool,
}

/// What is due, overdue first; a tap opens the person's file (or the
/// programme).
#[function_component(DueList)]
pub fn due_list(props: &DueListProps) -> Html {
    let app = use_context::<AppHandle>();
    let lang = props.lang;
    let rows = props.items.iter().map(|item| {
        let target = match item.kind {
            odnowa_shared::api::DueKind::Step | odnowa_shared::api::DueKind::Review => {
                Route::Programme(item.doc)
            }
            odnowa_shared::api::DueKind::Referral => Route::Referrals,
            odnowa_shared::api::DueKind::FollowUp => Route::Person(item.person),
        };
        let onclick = {
            let app = app.clone();
            Callback::from(move |_: MouseEvent| {
                if let Some(app) = &app {
                    app.dispatch(Action::Navigate(target));
                }
            })
        };
        let when = match item.due {
            Some(day) if item.overdue => tf(lang, Key::DueSince, &[("date", &format::date(lang, day))]),
            _ => t(lang, Key::DueToday).to_string(),
        };
        html! {
            <li>
                <button type="button" class={classes!("record-row", "due-row", item.overdue.then_some("is-overdue"))}
                    data-testid="due-row" data-kind={format!("{:?}", item.kind).to_lowercase()} {onclick}>
                    <span class="record-main">
                        <span class="record-title">
                            if props.show_alias {
                                { format::shown_alias(lang, &item.alias) }{ " · " }
                            }
                            { due_name(lang, item.kind) }
                        </span>
                        if !item.text.is_empty() {
                            <span class="record-sub">{ &item.text }</span>
                        }
                    </span>
                    <span class="due-when">{ when }</span>
                </button>
            </li>
        }
    });
    html! { <ul class="record-list due-list">{ for rows }</ul> }
}
