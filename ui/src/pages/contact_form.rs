//! [`ContactFormPage`]: a new contact (or a change to one), built for the
//! short contact: under the empty search, the persons met most recently;
//! a tap picks one and ticks what they got last time, and Save (always
//! visible at the bottom) then reads "Save as last time". From the home
//! screen that is "New contact", the person, Save: three taps, no typing.

use std::rc::Rc;

use odnowa_shared::api::{ContactView, PersonDraft, PersonView, RecentPerson};
use odnowa_shared::ids::{DocId, PersonId};
use odnowa_shared::time::Date;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{
    DateField, ErrorBanner, PersonFieldsForm, PersonSearch, RecentPersons, Stepper,
};
use crate::hooks::{remember, remembered, this_year, today};
use crate::i18n::{Key, t, tf};
use crate::model::contact_form::{ContactForm, DURATION_CHIPS, FormAction, Who};
use crate::model::format;
use crate::model::last_time::{Source, is_applied, same_as_last_time, service_name, service_names};
use crate::state::{Action, AppHandle, Route};
use crate::tauri::{self, InvokeError};

/// Where the services of this worker's last contact are remembered.
const LAST_SERVICES_KEY: &str = "odnowa.last-services";
/// How many persons met recently the empty search offers.
const RECENT_ROWS: usize = 5;
/// How many days back the "same as last time" chip looks for the person.
const LOOK_BACK_DAYS: usize = 14;

/// The form in a reducer, so callbacks always act on the latest state.
#[derive(Clone, Debug, Default, PartialEq)]
struct FormState(ContactForm);

enum Msg {
    Form(FormAction),
    Replace(ContactForm),
}

impl Reducible for FormState {
    type Action = Msg;
    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut next = self.0.clone();
        match msg {
            Msg::Form(action) => next.apply(action),
            Msg::Replace(form) => next = form,
        }
        Rc::new(FormState(next))
    }
}

#[derive(Properties, PartialEq)]
pub struct ContactFormProps {
    /// The contact to change; `None` for a new one.
    pub id: Option<DocId>,
    /// A new contact with this person (picked from the persons met most
    /// recently): picked, with the services of their last contact ticked.
    #[prop_or_default]
    pub with: Option<PersonId>,
}

#[function_component(ContactFormPage)]
pub fn contact_form_page(props: &ContactFormProps) -> Html {
    let app = use_context::<AppHandle>();
    let form = use_reducer(FormState::default);
    let earlier = use_state(Vec::<ContactView>::new);
    let places = use_state(Vec::<String>::new);
    let recent = use_state(Vec::<RecentPerson>::new);
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    // Bumped when a save was refused as a possible duplicate: the warning
    // looks again.
    let recheck = use_state(|| 0u32);
    let worker_last: Vec<String> = remembered(LAST_SERVICES_KEY)
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();

    {
        let (form, earlier, places, recent) = (
            form.clone(),
            earlier.clone(),
            places.clone(),
            recent.clone(),
        );
        use_effect_with((props.id, props.with), move |&(id, with)| {
            spawn_local(async move {
                if let Some(id) = id {
                    match tauri::contact(id).await {
                        Ok(contact) => form.dispatch(Msg::Replace(ContactForm::edit(&contact))),
                        Err(failure) => web_sys::console::warn_1(&failure.to_string().into()),
                    }
                }
                if id.is_none()
                    && let Ok(list) = tauri::recent_persons(RECENT_ROWS).await
                {
                    if let Some(picked) = with.and_then(|w| list.iter().find(|r| r.person.id == w))
                    {
                        pick_recent(&form, picked);
                    }
                    recent.set(list);
                }
                if let Ok(list) = tauri::recent_places().await {
                    places.set(list);
                }
                earlier.set(recent_contacts(today()).await);
            });
        });
    }
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let catalogue = app.catalogue.clone();
    let state = &form.0;
    let act = {
        let form = form.clone();
        Callback::from(move |action: FormAction| form.dispatch(Msg::Form(action)))
    };

    // --- Who ---------------------------------------------------------------
    let who_tabs = [
        (Who::Known, Key::WhoKnown, "who-known"),
        (Who::NewPerson, Key::WhoNew, "who-new"),
        (Who::Anonymous, Key::WhoAnonymous, "who-anonymous"),
    ]
    .into_iter()
    .map(|(who, key, testid)| {
        let selected = state.who == who;
        html! {
            <button type="button" role="tab" class={classes!("segment", selected.then_some("is-selected"))}
                aria-selected={selected.to_string()} data-testid={testid}
                onclick={act.reform(move |_: MouseEvent| FormAction::SetWho(who))}>
                { t(lang, key) }
            </button>
        }
    });
    let selected_persons = state.selected.iter().map(|person| {
        let id = person.id;
        html! {
            <li class="selected-person" data-testid="selected-person" data-person-id={id.to_string()}>
                <span class="person-alias">{ format::shown_alias(lang, &person.alias) }</span>
                <button type="button" class="remove-button"
                    aria-label={tf(lang, Key::RemoveNamed, &[("name", &person.alias)])}
                    onclick={act.reform(move |_: MouseEvent| FormAction::Unselect(id))}>{ "×" }</button>
            </li>
        }
    });
    let who_body = match state.who {
        Who::Known => html! {
            <>
                if !state.selected.is_empty() {
                    <ul class="selected-persons">{ for selected_persons }</ul>
                }
                <PersonSearch {lang} query={state.query.clone()}
                    on_query={act.reform(FormAction::SetQuery)}
                    on_pick={act.reform(FormAction::Select)}
                    exclude={state.person_ids()}
                    autofocus={false} />
                if state.query.trim().is_empty() && state.selected.is_empty() && props.id.is_none() {
                    <RecentPersons {lang} persons={(*recent).clone()} catalogue={catalogue.services.clone()}
                        on_pick={Callback::from({ let form = form.clone(); move |r: RecentPerson| pick_recent(&form, &r) })}
                        limit={RECENT_ROWS} />
                }
            </>
        },
        Who::NewPerson => {
            let on_change = {
                let form = form.clone();
                Callback::from(move |fields: crate::model::person_form::PersonFields| {
                    form.dispatch(Msg::Form(FormAction::SetPerson(fields)))
                })
            };
            let on_pick_existing = {
                let form = form.clone();
                Callback::from(move |person: PersonView| {
                    form.dispatch(Msg::Form(FormAction::Select(person)));
                    form.dispatch(Msg::Form(FormAction::SetWho(Who::Known)));
                })
            };
            html! {
                <PersonFieldsForm {lang} fields={state.person.clone()} {on_change} {on_pick_existing}
                    pick_label={Key::UseThisPerson} recheck={*recheck} />
            }
        }
        Who::Anonymous => html! {
            <Stepper label={t(lang, Key::HeadCount)} value={state.anonymous_count}
                on_step={act.reform(FormAction::StepAnonymous)}
                less_label={t(lang, Key::Decrease)} more_label={t(lang, Key::Increase)}
                testid="head-count" />
        },
    };

    // --- Services ----------------------------------------------------------
    let selected_ids: Vec<PersonId> = match state.who {
        Who::Known => state.person_ids(),
        _ => Vec::new(),
    };
    let last = same_as_last_time(&selected_ids, &earlier, &worker_last);
    let last_chip = last.clone().map(|last| {
        let applied = is_applied(&last.services, &state.services);
        let names = service_names(lang, &last.services, &catalogue.services);
        let services = last.services.clone();
        html! {
            <button type="button" id="same-as-last-time" data-testid="same-as-last-time"
                class={classes!("chip", "chip-wide", "chip-last", applied.then_some("is-on"))}
                aria-pressed={applied.to_string()}
                onclick={act.reform(move |_: MouseEvent| FormAction::SetServices(services.clone()))}>
                <span aria-hidden="true">{ "↺ " }</span>
                { tf(lang, Key::SameAsLastTime, &[("services", &names)]) }
            </button>
        }
    });
    let mut codes: Vec<String> = catalogue.services.iter().map(|s| s.code.clone()).collect();
    // Ticked codes the catalogue no longer has stay visible, so they can be unticked.
    codes.extend(
        state
            .services
            .iter()
            .filter(|c| !codes.contains(c))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let service_chips = codes.into_iter().map(|code| {
        let on = state.has_service(&code);
        let name = service_name(lang, &code, &catalogue.services).to_string();
        let testid = format!("service-{code}");
        html! {
            <button type="button" class={classes!("chip", on.then_some("is-on"))}
                aria-pressed={on.to_string()} data-testid={testid} data-code={code.clone()}
                onclick={act.reform(move |_: MouseEvent| FormAction::ToggleService(code.clone()))}>
                { name }
            </button>
        }
    });

    // --- Place, duration, note, follow-up -------------------------------------
    let input = |make: fn(String) -> FormAction| {
        act.reform(move |event: InputEvent| {
            make(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let place_chips = places.iter().take(6).map(|place| {
        let on = state.place.trim() == place.as_str();
        let value = place.clone();
        html! {
            <button type="button" class={classes!("chip", "chip-small", on.then_some("is-on"))}
                aria-pressed={on.to_string()} data-testid="place-chip"
                onclick={act.reform(move |_: MouseEvent| FormAction::SetPlace(value.clone()))}>
                { place }
            </button>
        }
    });
    let duration_chips = DURATION_CHIPS.into_iter().map(|minutes| {
        let on = state.duration.trim() == minutes.to_string();
        html! {
            <button type="button" class={classes!("chip", "chip-small", on.then_some("is-on"))}
                aria-pressed={on.to_string()} data-testid={format!("duration-{minutes}")}
                onclick={act.reform(move |_: MouseEvent| FormAction::SetDuration(minutes.to_string()))}>
                { format::duration(lang, minutes) }
            </button>
        }
    });
    let note_input = act.reform(|event: InputEvent| {
        FormAction::SetNote(event.target_unchecked_into::<HtmlTextAreaElement>().value())
    });

    // --- Save ----------------------------------------------------------------
    let back_route = match props.id {
        Some(id) => Route::Contact(id),
        None => Route::Outreach,
    };
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(back_route)))
    };
    let save = {
        let (form, error, busy, app) = (form.clone(), error.clone(), busy.clone(), app.clone());
        let recheck = recheck.clone();
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let (form, error, busy, app) = (form.clone(), error.clone(), busy.clone(), app.clone());
            let recheck = recheck.clone();
            let snapshot = form.0.clone();
            busy.set(true);
            spawn_local(async move {
                let outcome = save_contact(&snapshot, &form, &app).await;
                busy.set(false);
                match outcome {
                    Ok(saved) => {
                        error.set(None);
                        if let Ok(json) = serde_json::to_string(&saved.services)
                            && !saved.services.is_empty()
                        {
                            remember(LAST_SERVICES_KEY, &json);
                        }
                        let route = match snapshot.id {
                            Some(id) => Route::Contact(id),
                            None => Route::Outreach,
                        };
                        app.dispatch(Action::Navigate(route));
                    }
                    Err(key) => {
                        if key == Key::ErrPossibleDuplicate {
                            recheck.set(*recheck + 1);
                        }
                        error.set(Some(key));
                    }
                }
            });
        })
    };
    // "Save as last time" says that the form repeats the person's last
    // contact as it stands (the ticked services are in view above).
    let repeats = props.id.is_none()
        && state.who == Who::Known
        && !state.selected.is_empty()
        && last.as_ref().is_some_and(|l| {
            l.source == Source::Person && is_applied(&l.services, &state.services)
        });
    let save_label = match (*busy, repeats) {
        (true, _) => Key::Saving,
        (false, true) => Key::SaveAsLastTime,
        (false, false) => Key::Save,
    };
    let title = if props.id.is_some() {
        Key::EditContactTitle
    } else {
        Key::NewContactTitle
    };
    html! {
        <section class="page page-form page-contact-form" data-testid="contact-form">
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, title) }</h2>
            </div>
            <div class="segments" role="tablist" aria-label={t(lang, Key::WhoLabel)}>{ for who_tabs }</div>
            <div class="who-body">{ who_body }</div>

            <h3 class="section-title" id="services-label">{ t(lang, Key::ServicesLabel) }</h3>
            if let Some(chip) = last_chip {
                <div class="chips">{ chip }</div>
            }
            <div class="chips" role="group" aria-labelledby="services-label">{ for service_chips }</div>

            <label class="field-label" for="contact-place">{ t(lang, Key::PlaceLabel) }</label>
            <input id="contact-place" data-testid="contact-place" class="text-input" type="text"
                autocomplete="off" value={state.place.clone()} oninput={input(FormAction::SetPlace)} />
            if !places.is_empty() {
                <div class="chips" role="group" aria-label={t(lang, Key::RecentPlaces)}>{ for place_chips }</div>
            }

            <label class="field-label" for="contact-duration">{ t(lang, Key::DurationLabel) }</label>
            <div class="chips">{ for duration_chips }</div>
            <input id="contact-duration" data-testid="contact-duration" class="text-input input-short"
                type="text" inputmode="numeric" value={state.duration.clone()} oninput={input(FormAction::SetDuration)} />

            <label class="field-label" for="contact-note">{ t(lang, Key::NoteLabel) }</label>
            <textarea id="contact-note" data-testid="contact-note" class="text-input text-area" rows="3"
                value={state.note.clone()} oninput={note_input} />

            <label class="field-label" for="contact-follow-up">{ t(lang, Key::FollowUpLabel) }</label>
            <input id="contact-follow-up" data-testid="contact-follow-up" class="text-input" type="text"
                value={state.follow_up.clone()} oninput={input(FormAction::SetFollowUp)} />
            if !state.follow_up.trim().is_empty() {
                <label class="field-label" for="contact-follow-up-due">{ t(lang, Key::FollowUpDueLabel) }</label>
                <DateField {lang} id="contact-follow-up-due" value={state.follow_up_due.clone()}
                    on_change={act.reform(FormAction::SetFollowUpDue)}
                    chips={vec![(Key::DayTomorrow, 1), (Key::DayInAWeek, 7)]} />
            }

            <div class="save-bar">
                <ErrorBanner {lang} error={*error} />
                <button type="button" id="save-contact" data-testid="save-contact"
                    class="button button-primary button-wide" disabled={*busy} aria-busy={busy.to_string()}
                    onclick={save}>
                    { t(lang, save_label) }
                </button>
            </div>
        </section>
    }
}

/// Creates the new person if there is one, then saves the contact. The
/// form keeps every value on failure; a created person is kept in the form
/// so a retry does not create them twice.
async fn save_contact(
    snapshot: &ContactForm,
    form: &UseReducerHandle<FormState>,
    app: &AppHandle,
) -> Result<ContactView, Key> {
    let catalogue = &app.catalogue.services;
    let mut created = None;
    if snapshot.who == Who::NewPerson {
        let draft: PersonDraft = snapshot.person.to_draft(this_year()).map_err(|e| e.key())?;
        // Check the rest of the form before creating anybody.
        let placeholder: PersonId = "00000000-0000-0000-0000-000000000000"
            .parse()
            .map_err(|_| Key::ErrInternal)?;
        snapshot
            .to_draft(catalogue, Some(placeholder))
            .map_err(|e| e.key())?;
        let person = tauri::create_person(&draft).await.map_err(|e| e.key())?;
        created = Some(person.id);
        form.dispatch(Msg::Form(FormAction::PersonCreated(person)));
    }
    let draft = snapshot.to_draft(catalogue, created).map_err(|e| e.key())?;
    tauri::save_contact(&draft)
        .await
        .map_err(|e: InvokeError| e.key())
}

/// Picks a person met recently and ticks what they got last time.
fn pick_recent(form: &UseReducerHandle<FormState>, recent: &RecentPerson) {
    form.dispatch(Msg::Form(FormAction::Select(recent.person.clone())));
    if !recent.services.is_empty() {
        form.dispatch(Msg::Form(FormAction::SetServices(recent.services.clone())));
    }
}

/// Contacts of the last [`LOOK_BACK_DAYS`] days, for "same as last time".
async fn recent_contacts(today: Date) -> Vec<ContactView> {
    let mut found = Vec::new();
    let mut day = Some(today.0);
    for _ in 0..LOOK_BACK_DAYS {
        let Some(current) = day else { break };
        if let Ok(list) = tauri::contacts_on(Date(current)).await {
            found.extend(list);
        }
        day = current.pred_opt();
    }
    found
}
