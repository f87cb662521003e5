//! [`Outreach`]: the street worker's home. The persons met most recently
//! (one tap starts a contact with them, their last services ticked), a big
//! "New contact" button where the thumb reaches it, what is due today and
//! overdue, finding a person's file, the referrals,
//! and today's contacts, newest first, each with its confirmed mark.

use odnowa_shared::api::{ContactView, PersonView, RecentPerson, ServiceView};
use yew::prelude::*;

use super::DueList;
use crate::components::{ConfirmedMark, ErrorBanner, PersonSearch, RecentPersons};
use crate::hooks::{Load, today, use_load};
use crate::i18n::{Key, Lang, t, tf, versions};
use crate::model::format;
use crate::model::last_time::service_names;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

/// How many of the persons met most recently the home offers.
const RECENT_ROWS: usize = 4;

#[function_component(Outreach)]
pub fn outreach() -> Html {
    let app = use_context::<AppHandle>();
    let generation = app
        .as_ref()
        .map(|app| app.sync_generation)
        .unwrap_or_default();
    let day = today();
    let contacts = use_load((day, generation), |(day, _)| tauri::contacts_on(day));
    let due = use_load(generation, |_| tauri::due());
    let recent = use_load(generation, |_| tauri::recent_persons(RECENT_ROWS));
    let query = use_state(String::new);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let open_file = {
        let app = app.clone();
        Callback::from(move |person: PersonView| {
            app.dispatch(Action::Navigate(Route::Person(person.id)))
        })
    };
    let referrals = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Referrals)))
    };
    let due_section = match &*due {
        Load::Ready(view) => {
            let mut items = view.overdue.clone();
            items.extend(view.due_today.iter().cloned());
            if items.is_empty() {
                html! { <p class="empty" data-testid="nothing-due">{ t(lang, Key::NothingDue) }</p> }
            } else {
                html! { <DueList {lang} {items} show_alias={true} /> }
            }
        }
        Load::Failed(error) => html! { <ErrorBanner {lang} error={Some(error.key())} /> },
        Load::Loading => html! {},
    };
    let new_contact = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::NewContact)))
    };
    let contact_with = {
        let app = app.clone();
        Callback::from(move |recent: RecentPerson| {
            app.dispatch(Action::Navigate(Route::NewContactWith(recent.person.id)))
        })
    };
    let recent_section = match &*recent {
        Load::Ready(persons) => html! {
            <RecentPersons {lang} persons={persons.clone()} catalogue={app.catalogue.services.clone()}
                on_pick={contact_with} limit={RECENT_ROWS} />
        },
        Load::Failed(error) => html! { <ErrorBanner {lang} error={Some(error.key())} /> },
        Load::Loading => html! {},
    };
    let list = match &*contacts {
        Load::Loading => html! { <p class="loading">{ t(lang, Key::Loading) }</p> },
        Load::Failed(error) => html! { <ErrorBanner {lang} error={Some(error.key())} /> },
        Load::Ready(list) if list.is_empty() => {
            html! { <p class="empty" data-testid="no-contacts">{ t(lang, Key::NoContactsToday) }</p> }
        }
        Load::Ready(list) => {
            let rows = list
                .iter()
                .map(|contact| contact_row(lang, &app, contact, &app.catalogue.services));
            html! { <ul class="record-list" data-testid="contact-list">{ for rows }</ul> }
        }
    };
    html! {
        <section class="page page-outreach">
            <div class="page-head">
                <h2 class="page-title">{ t(lang, Key::OutreachTitle) }</h2>
                <span class="page-date">{ format::date(lang, day) }</span>
            </div>
            <button type="button" id="new-contact" data-testid="new-contact"
                class="button button-primary button-hero thumb-action" onclick={new_contact}>
                <span aria-hidden="true">{ "+" }</span>{ " " }{ t(lang, Key::NewContact) }
            </button>
            { recent_section }
            <section class="case-section" data-testid="due">
                <h3 class="section-title">{ t(lang, Key::DueTitle) }</h3>
                { due_section }
            </section>
            <section class="case-section" data-testid="find-person">
                <h3 class="section-title">{ t(lang, Key::FindPersonTitle) }</h3>
                <PersonSearch {lang} query={(*query).clone()}
                    on_query={Callback::from({ let query = query.clone(); move |q| query.set(q) })}
                    on_pick={open_file} />
            </section>
            <button type="button" class="button button-secondary button-wide" data-testid="open-referrals" onclick={referrals}>
                { t(lang, Key::ReferralsTitle) }
            </button>
            <h3 class="section-title">{ t(lang, Key::OutreachTitle) }</h3>
            { list }
        </section>
    }
}

/// Who a contact was with, for a list row: aliases, or the head count.
pub fn who_text(lang: Lang, contact: &ContactView) -> String {
    let mut parts: Vec<String> = contact
        .persons
        .iter()
        .map(|p| format::shown_alias(lang, &p.alias))
        .collect();
    if contact.anonymous_count > 0 {
        parts.push(tf(
            lang,
            Key::AnonymousCount,
            &[("n", &contact.anonymous_count.to_string())],
        ));
    }
    parts.join(", ")
}

fn contact_row(
    lang: Lang,
    app: &AppHandle,
    contact: &ContactView,
    catalogue: &[ServiceView],
) -> Html {
    let onclick = {
        let (app, id) = (app.clone(), contact.id);
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Contact(id))))
    };
    let services = service_names(lang, &contact.services, catalogue);
    html! {
        <li>
            <button type="button" class="record-row" data-testid="contact-row"
                data-contact-id={contact.id.to_string()} data-confirmed={contact.confirmed.to_string()}
                data-anonymous={contact.anonymous_count.to_string()} {onclick}>
                <span class="record-time">{ format::time(contact.at) }</span>
                <span class="record-main">
                    <span class="record-title">{ who_text(lang, contact) }</span>
                    <span class="record-sub">
                        { services }
                        if !contact.place.is_empty() {
                            { " · " }{ &contact.place }
                        }
                    </span>
                    if contact.conflicts > 0 {
                        <span class="badge" data-testid="versions-badge">{ versions(lang, 2) }</span>
                    }
                </span>
                <ConfirmedMark {lang} confirmed={contact.confirmed} />
            </button>
        </li>
    }
}
