//! [`ContactDetail`]: one contact, its confirmed mark, "link a person" for
//! an anonymous contact (someone registered, or a new person registered
//! right there with the duplicate warning), its versions and history.

use odnowa_shared::api::{CONSENT_SCOPE_SERVICES as CONSENT_SCOPE, ErrorKind, PersonView};
use odnowa_shared::ids::{DocId, PersonId};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{
    ConfirmedMark, ErrorBanner, PersonFieldsForm, PersonSearch, RecordMetaPanel,
};
use crate::hooks::{Load, this_year, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::model::last_time::service_names;
use crate::model::person_form::PersonFields;
use crate::state::{Action, AppHandle, Route};
use crate::tauri::{self, InvokeError};

#[derive(Properties, PartialEq)]
pub struct ContactDetailProps {
    pub id: DocId,
}

#[function_component(ContactDetail)]
pub fn contact_detail(props: &ContactDetailProps) -> Html {
    let app = use_context::<AppHandle>();
    let generation = app.as_ref().map(|a| a.sync_generation).unwrap_or_default();
    let local = use_state(|| 0u64);
    let contact = use_load((props.id, generation, *local), |(id, _, _)| {
        tauri::contact(id)
    });
    let query = use_state(String::new);
    let error = use_state(|| None::<Key>);
    // "Register a new person" open, what is typed there, and a counter that
    // makes the duplicate warning look again after a refused save.
    let registering = use_state(|| false);
    let fields = use_state(PersonFields::default);
    let recheck = use_state(|| 0u32);
    let busy = use_state(|| false);
    let linked = use_state(|| None::<String>);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Outreach)))
    };
    let head = html! {
        <div class="page-head">
            <button type="button" class="button button-back" data-testid="back" onclick={back}>
                <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
            </button>
            <h2 class="page-title">{ t(lang, Key::ContactTitle) }</h2>
        </div>
    };
    let contact = match &*contact {
        Load::Loading => {
            return html! { <section class="page">{ head }<p class="loading">{ t(lang, Key::Loading) }</p></section> };
        }
        Load::Failed(failure) => {
            return html! { <section class="page">{ head }<ErrorBanner {lang} error={Some(failure.key())} /></section> };
        }
        Load::Ready(contact) => contact.clone(),
    };
    let id = contact.id;
    let edit = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::EditContact(id))))
    };
    let on_pick = {
        let (error, local, query) = (error.clone(), local.clone(), query.clone());
        let (registering, fields, linked) = (registering.clone(), fields.clone(), linked.clone());
        Callback::from(move |person: PersonView| {
            let (error, local, query) = (error.clone(), local.clone(), query.clone());
            let (registering, fields, linked) =
                (registering.clone(), fields.clone(), linked.clone());
            spawn_local(async move {
                match tauri::link_contact_person(id, person.id).await {
                    Ok(_) => {
                        error.set(None);
                        query.set(String::new());
                        registering.set(false);
                        fields.set(PersonFields::default());
                        linked.set(Some(person.alias.clone()));
                        local.set(*local + 1);
                    }
                    Err(failure) => {
                        // A stale search row: the person was erased or
                        // merged after it was drawn; look again.
                        query.set((*query).clone());
                        error.set(Some(link_error_key(&failure)));
                    }
                }
            });
        })
    };
    let register = {
        let (error, local, busy) = (error.clone(), local.clone(), busy.clone());
        let (registering, fields, linked, recheck) = (
            registering.clone(),
            fields.clone(),
            linked.clone(),
            recheck.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let draft = match fields.to_draft(this_year()) {
                Ok(draft) => draft,
                Err(form) => return error.set(Some(form.key())),
            };
            busy.set(true);
            let (error, local, busy) = (error.clone(), local.clone(), busy.clone());
            let (registering, fields, linked, recheck) = (
                registering.clone(),
                fields.clone(),
                linked.clone(),
                recheck.clone(),
            );
            spawn_local(async move {
                match tauri::link_new_person(id, &draft).await {
                    Ok(_) => {
                        error.set(None);
                        registering.set(false);
                        fields.set(PersonFields::default());
                        linked.set(Some(draft.alias.clone()));
                        local.set(*local + 1);
                    }
                    Err(failure) => {
                        // Everything typed stays; a duplicate found only
                        // now (synced meanwhile) is shown to be answered.
                        if failure.kind() == Some(ErrorKind::PossibleDuplicate) {
                            recheck.set(*recheck + 1);
                        }
                        error.set(Some(link_error_key(&failure)));
                    }
                }
                busy.set(false);
            });
        })
    };
    let on_changed = {
        let local = local.clone();
        Callback::from(move |_| local.set(*local + 1))
    };
    let consent = {
        let (error, local) = (error.clone(), local.clone());
        Callback::from(move |(person, give): (PersonId, bool)| {
            let (error, local) = (error.clone(), local.clone());
            spawn_local(async move {
                let done = if give {
                    tauri::give_consent(person, CONSENT_SCOPE).await
                } else {
                    tauri::withdraw_consent(person).await
                };
                match done {
                    Ok(_) => error.set(None),
                    Err(failure) => error.set(Some(failure.key())),
                }
                local.set(*local + 1);
            });
        })
    };
    let duration = contact.duration_min.map(|m| format::duration(lang, m));
    let mut follow_up = contact.follow_up.clone();
    if let Some(due) = contact.follow_up_due {
        follow_up = format!("{follow_up} ({})", format::date(lang, due));
    }
    // Each person's name opens their file; the anonymous ones are counted.
    let mut who_links: Vec<Html> = contact
        .persons
        .iter()
        .map(|p| {
            let name = format::shown_alias(lang, &p.alias);
            if p.hidden {
                return html! { <span class="who-name">{ name }</span> };
            }
            let (app, person) = (app.clone(), p.id);
            html! {
                <button type="button" class="button button-secondary who-link" data-testid="open-file"
                    data-person-id={person.to_string()}
                    aria-label={tf(lang, Key::OpenFileOf, &[("name", &name)])}
                    onclick={Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Person(person))))}>
                    { name.clone() }<span aria-hidden="true">{ " ›" }</span>
                </button>
            }
        })
        .collect();
    if contact.anonymous_count > 0 {
        who_links.push(html! {
            <span class="who-name">
                { tf(lang, Key::AnonymousCount, &[("n", &contact.anonymous_count.to_string())]) }
            </span>
        });
    }
    let fact = |key: Key, value: String, testid: &'static str| {
        (!value.trim().is_empty()).then(|| {
            html! {
                <><dt>{ t(lang, key) }</dt><dd data-testid={testid}>{ value }</dd></>
            }
        })
    };
    html! {
        <section class="page page-contact" data-testid="contact-detail" data-contact-id={id.to_string()}>
            { head }
            <p class="record-status">
                <ConfirmedMark {lang} confirmed={contact.confirmed} />
            </p>
            // The versions panel is below the facts: say so at the top, and
            // take the worker there.
            if contact.conflicts > 0 {
                <button type="button" class="button button-wide versions-notice"
                    data-testid="versions-notice" onclick={Callback::from(|_: MouseEvent| scroll_to("versions"))}>
                    { t(lang, Key::VersionsNotice) }<span aria-hidden="true">{ " ↓" }</span>
                </button>
            }
            <dl class="facts">
                { fact(Key::FieldWhen, format::date_time(lang, contact.at), "contact-when") }
                <dt>{ t(lang, Key::FieldPersons) }</dt>
                <dd data-testid="contact-who" class="who-links">{ for who_links }</dd>
                { fact(Key::FieldServices, service_names(lang, &contact.services, &app.catalogue.services), "contact-services") }
                { fact(Key::FieldPlace, contact.place.clone(), "contact-place-value") }
                { fact(Key::FieldDuration, duration.unwrap_or_default(), "contact-duration-value") }
                { fact(Key::FieldNote, contact.note.clone(), "contact-note-value") }
                { fact(Key::FieldFollowUp, follow_up, "contact-follow-up-value") }
            </dl>
            <button type="button" class="button button-secondary button-wide" data-testid="edit-contact" onclick={edit}>
                { t(lang, Key::Edit) }
            </button>
            if contact.anonymous_count > 0 {
                <section class="link-person" data-testid="link-person">
                    <h3 class="section-title">{ t(lang, Key::LinkPersonTitle) }</h3>
                    <p class="hint">{ t(lang, Key::LinkPersonIntro) }</p>
                    <PersonSearch {lang} query={(*query).clone()}
                        on_query={Callback::from({ let query = query.clone(); move |q| query.set(q) })}
                        on_pick={on_pick.clone()}
                        exclude={contact.persons.iter().map(|p| p.id).collect::<Vec<_>>()} />
                    if *registering {
                        <div class="register-person" data-testid="register-person">
                            <h4 class="section-title">{ t(lang, Key::RegisterNewPerson) }</h4>
                            <PersonFieldsForm {lang} fields={(*fields).clone()}
                                on_change={Callback::from({ let fields = fields.clone(); move |f| fields.set(f) })}
                                on_pick_existing={on_pick}
                                pick_label={Key::UseThisPerson}
                                recheck={*recheck} />
                            // What went wrong, beside the button that did it.
                            <ErrorBanner {lang} error={*error} />
                            <button type="button" class="button button-primary button-wide"
                                data-testid="register-and-link" disabled={*busy} aria-busy={busy.to_string()}
                                onclick={register}>
                                { t(lang, Key::RegisterAndLink) }
                            </button>
                        </div>
                    } else {
                        <button type="button" class="button button-secondary button-wide"
                            data-testid="register-new-person"
                            onclick={Callback::from({ let registering = registering.clone(); move |_: MouseEvent| registering.set(true) })}>
                            { t(lang, Key::RegisterNewPerson) }
                        </button>
                    }
                </section>
            }
            if let Some(name) = &*linked {
                <p class="notice" role="status" data-testid="linked-person">
                    { tf(lang, Key::LinkedPerson, &[("name", &format::shown_alias(lang, name))]) }
                </p>
            }
            if !contact.persons.is_empty() {
                <ConsentList {lang} persons={contact.persons.clone()} on_change={consent} />
            }
            if !(*registering && contact.anonymous_count > 0) {
                <ErrorBanner {lang} error={*error} />
            }
            <RecordMetaPanel {lang} {id} generation={generation + *local} {on_changed} />
        </section>
    }
}

/// Scrolls the element with id `id` to the top of the screen.
fn scroll_to(id: &str) {
    if let Some(element) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
    {
        element.scroll_into_view();
    }
}

/// The sentence for a link that failed: on this page a person not found is
/// one erased (or not on the device yet), not a missing record.
fn link_error_key(failure: &InvokeError) -> Key {
    match failure.kind() {
        Some(ErrorKind::NotFound) => Key::ErrPersonGone,
        _ => failure.key(),
    }
}

#[derive(Properties, PartialEq)]
struct ConsentListProps {
    lang: Lang,
    persons: Vec<PersonView>,
    /// `(person, true)`: record consent; `(person, false)`: withdraw it.
    on_change: Callback<(PersonId, bool)>,
}

fn consent_state(lang: Lang, person: &PersonView) -> String {
    match &person.consent {
        Some(c) => match c.withdrawn_at {
            Some(at) => tf(
                lang,
                Key::ConsentWithdrawn,
                &[("date", &format::date_time(lang, at))],
            ),
            None => {
                let scope = if c.scope == CONSENT_SCOPE {
                    t(lang, Key::ConsentScopeServices).to_string()
                } else {
                    c.scope.clone()
                };
                tf(
                    lang,
                    Key::ConsentGiven,
                    &[
                        ("date", &format::date(lang, c.given_at.warsaw_date())),
                        ("scope", &scope),
                    ],
                )
            }
        },
        None => t(lang, Key::ConsentNone).to_string(),
    }
}

/// Each person of the contact with their consent; recording it, and
/// withdrawing it after a second tap that says what follows.
#[function_component(ConsentList)]
fn consent_list(props: &ConsentListProps) -> Html {
    let lang = props.lang;
    let confirming = use_state(|| None::<PersonId>);
    let rows = props.persons.iter().map(|person| {
        let id = person.id;
        let name = format::shown_alias(lang, &person.alias);
        let in_force = person.consent.as_ref().is_some_and(|c| c.withdrawn_at.is_none());
        let action = if person.hidden {
            html! {}
        } else if in_force && *confirming == Some(id) {
            let yes = {
                let (on_change, confirming) = (props.on_change.clone(), confirming.clone());
                Callback::from(move |_: MouseEvent| {
                    confirming.set(None);
                    on_change.emit((id, false));
                })
            };
            let no = {
                let confirming = confirming.clone();
                Callback::from(move |_: MouseEvent| confirming.set(None))
            };
            html! {
                <div class="consent-confirm" role="alert">
                    <p>{ tf(lang, Key::ConfirmWithdrawConsent, &[("name", &name)]) }</p>
                    <button type="button" class="button button-danger" data-testid="confirm-withdraw-consent" onclick={yes}>
                        { t(lang, Key::WithdrawConsent) }
                    </button>
                    <button type="button" class="button" onclick={no}>{ t(lang, Key::Cancel) }</button>
                </div>
            }
        } else if in_force {
            let ask = {
                let confirming = confirming.clone();
                Callback::from(move |_: MouseEvent| confirming.set(Some(id)))
            };
            html! {
                <button type="button" class="button" data-testid="withdraw-consent" onclick={ask}>
                    { t(lang, Key::WithdrawConsent) }
                </button>
            }
        } else {
            let give = props.on_change.reform(move |_: MouseEvent| (id, true));
            html! {
                <button type="button" class="button" data-testid="record-consent" onclick={give}>
                    { t(lang, Key::RecordConsent) }
                </button>
            }
        };
        html! {
            <li class="consent-person" data-testid="consent-person" data-person-id={id.to_string()}>
                <span>
                    <strong>{ name }</strong>
                    <br />
                    <span class="hint" data-testid="consent-state">{ consent_state(lang, person) }</span>
                </span>
                { action }
            </li>
        }
    });
    html! {
        <section class="consent" data-testid="consent">
            <h3 class="section-title">{ t(lang, Key::ConsentTitle) }</h3>
            <ul class="consent-list">{ for rows }</ul>
        </section>
    }
}
