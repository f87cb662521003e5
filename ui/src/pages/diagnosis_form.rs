//! [`DiagnosisFormPage`]: a needs assessment over the life domains, each on
//! the one scale (1 crisis … 5 on their own) with a note, and what the
//! person themselves wants. A domain left without a level is not assessed.

use odnowa_shared::ids::PersonId;
use odnowa_shared::records::level;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{DateField, ErrorBanner, PersonSearch};
use crate::hooks::today;
use crate::i18n::{Key, t};
use crate::model::case::{DiagnosisForm, domain_name, level_name};
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

#[derive(Properties, PartialEq)]
pub struct DiagnosisFormProps {
    pub person: PersonId,
}

#[function_component(DiagnosisFormPage)]
pub fn diagnosis_form_page(props: &DiagnosisFormProps) -> Html {
    let app = use_context::<AppHandle>();
    let form = use_state(|| DiagnosisForm::new(today()));
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let query = use_state(String::new);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let person = props.person;
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Person(person))))
    };
    let domains = form.domains.iter().enumerate().map(|(at, (code, chosen, note))| {
        let levels = level::ALL.iter().map(|&value| {
            let selected = *chosen == Some(value);
            let onclick = {
                let form = form.clone();
                Callback::from(move |_: MouseEvent| {
                    let mut next = (*form).clone();
                    if let Some(row) = next.domains.get_mut(at) {
                        // A second tap on the chosen level clears it.
                        row.1 = if row.1 == Some(value) { None } else { Some(value) };
                    }
                    form.set(next);
                })
            };
            html! {
                <button type="button" class={classes!("level", format!("level-{value}"), selected.then_some("is-selected"))}
                    aria-pressed={selected.to_string()} title={level_name(lang, value)}
                    data-testid="level" data-level={value.to_string()} {onclick}>
                    if selected { <span aria-hidden="true">{ "✓ " }</span> }
                    { value }
                </button>
            }
        });
        let on_note = {
            let form = form.clone();
            Callback::from(move |e: InputEvent| {
                let mut next = (*form).clone();
                if let Some(row) = next.domains.get_mut(at) {
                    row.2 = e.target_unchecked_into::<HtmlInputElement>().value();
                }
                form.set(next);
            })
        };
        let id = format!("domain-note-{code}");
        html! {
            <fieldset class="domain" data-testid="domain" data-domain={code.clone()}>
                <legend class="field-label">{ domain_name(lang, code) }</legend>
                <div class="levels" role="group">{ for levels }</div>
                <p class="hint level-chosen">
                    { chosen.map(|v| level_name(lang, v)).unwrap_or_else(|| t(lang, Key::NotAssessed).to_string()) }
                </p>
                <input id={id.clone()} class="text-input" type="text" aria-label={format!("{} — {}", domain_name(lang, code), t(lang, Key::DomainNote))}
                    placeholder={t(lang, Key::DomainNote)} data-testid="domain-note" value={note.clone()} oninput={on_note} />
            </fieldset>
        }
    });
    let on_date = {
        let form = form.clone();
        Callback::from(move |day: String| {
            let mut next = (*form).clone();
            next.assessed_on = day;
            form.set(next);
        })
    };
    let on_wishes = {
        let form = form.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*form).clone();
            next.wishes = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            form.set(next);
        })
    };
    let add_member = {
        let (form, query) = (form.clone(), query.clone());
        Callback::from(move |found: odnowa_shared::api::PersonView| {
            let mut next = (*form).clone();
            if found.id != person && !next.household.iter().any(|(p, _, _)| *p == found.id) {
                next.household
                    .push((found.id, found.alias.clone(), String::new()));
            }
            form.set(next);
            query.set(String::new());
        })
    };
    let members = form.household.iter().enumerate().map(|(at, (_, alias, relation))| {
        let on_relation = {
            let form = form.clone();
            Callback::from(move |e: InputEvent| {
                let mut next = (*form).clone();
                if let Some(row) = next.household.get_mut(at) {
                    row.2 = e.target_unchecked_into::<HtmlInputElement>().value();
                }
                form.set(next);
            })
        };
        let remove = {
            let form = form.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = (*form).clone();
                if at < next.household.len() {
                    next.household.remove(at);
                }
                form.set(next);
            })
        };
        html! {
            <li class="line-row" data-testid="household-member">
                <span class="line-name">{ alias.clone() }</span>
                <input class="text-input" type="text" data-testid="household-relation"
                    aria-label={t(lang, Key::HouseholdRelation)} placeholder={t(lang, Key::HouseholdRelation)}
                    value={relation.clone()} oninput={on_relation} />
                <button type="button" class="remove-button"
                    aria-label={crate::i18n::tf(lang, Key::RemoveNamed, &[("name", alias)])} onclick={remove}>{ "×" }</button>
            </li>
        }
    });
    let save = {
        let (form, error, busy, app) = (form.clone(), error.clone(), busy.clone(), app.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let draft = match form.to_draft(person) {
                Ok(draft) => draft,
                Err(problem) => {
                    error.set(Some(problem));
                    return;
                }
            };
            let (error, busy, app) = (error.clone(), busy.clone(), app.clone());
            busy.set(true);
            spawn_local(async move {
                match tauri::save_diagnosis(&draft).await {
                    Ok(_) => app.dispatch(Action::Navigate(Route::Person(person))),
                    Err(failure) => error.set(Some(failure.key())),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <section class="page page-form page-diagnosis-form" data-testid="diagnosis-form">
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, Key::NewDiagnosis) }</h2>
            </div>
            <label class="field-label" for="assessed-on">{ t(lang, Key::AssessedOn) }</label>
            <DateField {lang} id="assessed-on" value={form.assessed_on.clone()} on_change={on_date}
                chips={vec![(Key::DayToday, 0), (Key::DayYesterday, -1)]} />
            { for domains }
            <label class="field-label" for="wishes">{ t(lang, Key::Wishes) }</label>
            <textarea id="wishes" data-testid="wishes" class="text-input text-area" rows="2"
                value={form.wishes.clone()} oninput={on_wishes} />
            <h3 class="section-title">{ t(lang, Key::Household) }</h3>
            <p class="hint">{ t(lang, Key::HouseholdHint) }</p>
            <ul class="lines">{ for members }</ul>
            <PersonSearch {lang} query={(*query).clone()}
                on_query={Callback::from({ let query = query.clone(); move |q| query.set(q) })}
                on_pick={add_member}
                exclude={form.household.iter().map(|(p, _, _)| *p).chain(std::iter::once(person)).collect::<Vec<_>>()} />
            <div class="save-bar">
                <ErrorBanner {lang} error={*error} />
                <button type="button" data-testid="save-diagnosis" class="button button-primary button-wide"
                    disabled={*busy} onclick={save}>
                    { t(lang, if *busy { Key::Saving } else { Key::Save }) }
                </button>
            </div>
        </section>
    }
}
