//! [`PersonFieldsForm`]: alias, optional birth year and gender of a new
//! person, with a duplicate warning from `similar_persons` as the alias is
//! typed: each similar person with when they were registered and last met
//! (and where); the worker picks the existing person instead, or says
//! "no, this is someone else" (remembered on the new person, so the pair
//! is not proposed again).

use std::cell::Cell;
use std::rc::Rc;

use odnowa_shared::api::{PersonView, SimilarPerson};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::person_search::person_facts;
use crate::hooks::{this_year, today};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::model::person_form::{GENDERS, PersonFields};
use crate::tauri;

/// The height the Save bar covers at the bottom of a form, in pixels.
const SAVE_BAR_PX: f64 = 110.0;

#[derive(Properties, PartialEq)]
pub struct PersonFieldsProps {
    pub lang: Lang,
    pub fields: PersonFields,
    pub on_change: Callback<PersonFields>,
    /// The worker says the similar person is the one they met.
    pub on_pick_existing: Callback<PersonView>,
    /// The label of the button on each similar person.
    pub pick_label: Key,
    /// Changed by the form when a save was refused as a possible
    /// duplicate: the warning looks for similar persons again (one may have
    /// arrived by sync since the alias was typed).
    #[prop_or_default]
    pub recheck: u32,
}

#[function_component(PersonFieldsForm)]
pub fn person_fields_form(props: &PersonFieldsProps) -> Html {
    let lang = props.lang;
    let similar = use_state(Vec::<SimilarPerson>::new);
    let warning = use_node_ref();
    // A warning that appears under the Save bar is scrolled into view, so
    // every choice on it can be read and tapped.
    {
        let warning = warning.clone();
        use_effect_with(similar.len(), move |_| {
            if let Some(element) = warning.cast::<web_sys::Element>() {
                let bottom = element.get_bounding_client_rect().bottom();
                let height = web_sys::window()
                    .and_then(|w| w.inner_height().ok())
                    .and_then(|h| h.as_f64())
                    .unwrap_or(f64::MAX);
                if bottom > height - SAVE_BAR_PX {
                    element.scroll_into_view_with_bool(false);
                }
            }
        });
    }
    let sequence = use_memo((), |_| Rc::new(Cell::new(0u32)));
    {
        let (similar, sequence) = (similar.clone(), sequence.clone());
        let probe = props.fields.similarity_probe(this_year());
        use_effect_with((probe, props.recheck), move |(probe, _)| {
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
    let day = today();
    let warnings = similar.iter().map(|found| {
        let person = &found.person;
        let onclick = {
            let person = person.clone();
            props
                .on_pick_existing
                .reform(move |_: MouseEvent| person.clone())
        };
        let someone_else = {
            let (fields, on_change, id) = (fields.clone(), props.on_change.clone(), person.id);
            Callback::from(move |_: MouseEvent| {
                let mut next = fields.clone();
                if !next.distinct_from.contains(&id) {
                    next.distinct_from.push(id);
                }
                on_change.emit(next);
            })
        };
        let mut seen = vec![tf(
            lang,
            Key::SimilarRegistered,
            &[("date", &format::date(lang, found.registered.warsaw_date()))],
        )];
        match found.last_contact {
            Some(at) => {
                let mut last = tf(lang, Key::SimilarLastContact, &[("when", &format::when(lang, at, day))]);
                if !found.last_place.is_empty() {
                    last = format!("{last}, {}", found.last_place);
                }
                seen.push(last);
                seen.push(tf(lang, Key::SimilarContacts, &[("n", &found.contacts.to_string())]));
            }
            None => seen.push(t(lang, Key::SimilarNoContact).to_string()),
        }
        html! {
            <li class="similar-row" data-testid="similar-person" data-person-id={person.id.to_string()}>
                <span class="person-alias">{ format::shown_alias(lang, &person.alias) }</span>
                <span class="person-facts">{ person_facts(lang, person) }</span>
                <span class="similar-seen">{ seen.join(" · ") }</span>
                <span class="similar-actions">
                    <button type="button" class="button button-secondary" data-testid="use-similar"
                        data-person-id={person.id.to_string()} {onclick}>
                        { t(lang, props.pick_label) }
                    </button>
                    <button type="button" class="button button-quiet" data-testid="not-similar"
                        data-person-id={person.id.to_string()} onclick={someone_else}>
                        { t(lang, Key::SomeoneElse) }
                    </button>
                </span>
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
                <div class="duplicate-warning" role="status" data-testid="duplicate-warning" ref={warning}>
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
