//! [`PersonFieldsForm`]: alias, optional birth year and gender of a new
//! person, with a duplicate warning from `similar_persons` as the alias is
//! typed; the worker can pick the existing person instead.

use std::cell::Cell;
use std::rc::Rc;

use odnowa_shared::api::PersonView;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::person_search::person_facts;
use crate::hooks::this_year;
use crate::i18n::{Key, Lang, t};
use crate::model::person_form::{GENDERS, PersonFields};
use crate::tauri;

#[derive(Properties, PartialEq)]
pub struct PersonFieldsProps {
    pub lang: Lang,
    pub fields: PersonFields,
    pub on_change: Callback<PersonFields>,
    /// The worker says the similar person is the one they met.
    pub on_pick_existing: Callback<PersonView>,
    /// The label of the button on each similar person.
    pub pick_label: Key,
}

#[function_component(PersonFieldsForm)]
pub fn person_fields_form(props: &PersonFieldsProps) -> Html {
    let lang = props.lang;
    let similar = use_state(Vec::<PersonView>::new);
    let sequence = use_memo((), |_| Rc::new(Cell::new(0u32)));
    {
        let (similar, sequence) = (similar.clone(), sequence.clone());
        let probe = props.fields.similarity_probe(this_year());
        use_effect_with(probe, move |probe| {
            let mine = sequence.get().wrapping_add(1);
            sequence.set(mine);
            match probe.clone() {
                None => similar.set(Vec::new()),
                Some(draft) => spawn_local(async move {
                    let answer = tauri::similar_persons(&draft).await;
                    if sequence.get() == mine {
                        similar.set(answer.unwrap_or_default());
                    }
                }),
            }
        });
    }
    let fields = &props.fields;
    let set = |update: fn(&mut PersonFields, String)| {
        let (fields, on_change) = (fields.clone(), props.on_change.clone());
        Callback::from(move |event: InputEvent| {
            let mut next = fields.clone();
            update(
                &mut next,
                event.target_unchecked_into::<HtmlInputElement>().value(),
            );
            on_change.emit(next);
        })
    };
    let genders = GENDERS.into_iter().map(|code| {
        let key = super::person_search::gender_key(code).unwrap_or(Key::GenderUnknown);
        let selected = fields.gender == code;
        let onclick = {
            let (fields, on_change) = (fields.clone(), props.on_change.clone());
            Callback::from(move |_: MouseEvent| {
                let mut next = fields.clone();
                next.gender = code.to_string();
                on_change.emit(next);
            })
        };
        html! {
            <button type="button" class={classes!("chip", selected.then_some("is-on"))}
                aria-pressed={if selected { "true" } else { "false" }}
                data-testid={format!("gender-{}", if code.is_empty() { "unknown" } else { code })}
                {onclick}>
                { t(lang, key) }
            </button>
        }
    });
    let warnings = similar.iter().map(|person| {
        let onclick = {
            let person = person.clone();
            props
                .on_pick_existing
                .reform(move |_: MouseEvent| person.clone())
        };
        html! {
            <li class="similar-row">
                <span class="person-alias">{ crate::model::format::shown_alias(lang, &person.alias) }</span>
                <span class="person-facts">{ person_facts(lang, person) }</span>
                <button type="button" class="button button-secondary" data-testid="use-similar"
                    data-person-id={person.id.to_string()} {onclick}>
                    { t(lang, props.pick_label) }
                </button>
            </li>
        }
    });
    html! {
        <div class="person-fields">
            <label class="field-label" for="new-alias">{ t(lang, Key::AliasLabel) }</label>
            <input id="new-alias" data-testid="new-alias" class="text-input" type="text"
                autocomplete="off" value={fields.alias.clone()}
                oninput={set(|f, v| f.alias = v)} />
            if !similar.is_empty() {
                <div class="duplicate-warning" role="status" data-testid="duplicate-warning">
                    <p>{ t(lang, Key::DuplicateWarning) }</p>
                    <ul class="similar-list">{ for warnings }</ul>
                </div>
            }
            <label class="field-label" for="new-birth-year">{ t(lang, Key::BirthYearLabel) }</label>
            <input id="new-birth-year" data-testid="new-birth-year" class="text-input input-short"
                type="text" inputmode="numeric" maxlength="4" autocomplete="off"
                value={fields.birth_year.clone()} oninput={set(|f, v| f.birth_year = v)} />
            <span class="field-label" id="gender-label">{ t(lang, Key::GenderLabel) }</span>
            <div class="chips" role="group" aria-labelledby="gender-label">{ for genders }</div>
            <label class="check-field">
                <input type="checkbox" data-testid="new-consent" checked={fields.consent}
                    onchange={{
                        let (fields, on_change) = (fields.clone(), props.on_change.clone());
                        Callback::from(move |event: Event| {
                            let mut next = fields.clone();
                            next.consent = event
                                .target_dyn_into::<web_sys::HtmlInputElement>()
                                .is_some_and(|input| input.checked());
                            on_change.emit(next);
                        })
                    }} />
                <span>{ t(lang, Key::ConsentAtRegistration) }</span>
            </label>
        </div>
    }
}
