//! [`PersonSearch`]: a search box by alias and the persons it finds as big
//! tappable rows. Typing is free; one tap picks a person.

use std::cell::Cell;
use std::rc::Rc;

use odnowa_shared::api::PersonView;
use odnowa_shared::ids::PersonId;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::ConfirmedMark;
use crate::i18n::{Key, Lang, t};
use crate::tauri;

#[derive(Properties, PartialEq)]
pub struct PersonSearchProps {
    pub lang: Lang,
    pub query: AttrValue,
    pub on_query: Callback<String>,
    pub on_pick: Callback<PersonView>,
    /// Persons already picked: not listed again.
    #[prop_or_default]
    pub exclude: Vec<PersonId>,
    #[prop_or_default]
    pub autofocus: bool,
}

#[function_component(PersonSearch)]
pub fn person_search(props: &PersonSearchProps) -> Html {
    let lang = props.lang;
    let found = use_state(Vec::<PersonView>::new);
    let searched = use_state(|| false);
    let sequence = use_memo((), |_| Rc::new(Cell::new(0u32)));
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with(props.autofocus, move |&autofocus| {
            if autofocus && let Some(element) = input.cast::<HtmlInputElement>() {
                let _ = element.focus();
            }
        });
    }
    {
        let (found, searched, sequence) = (found.clone(), searched.clone(), sequence.clone());
        use_effect_with(props.query.clone(), move |query| {
            let query = query.trim().to_string();
            let mine = sequence.get().wrapping_add(1);
            sequence.set(mine);
            if query.is_empty() {
                found.set(Vec::new());
                searched.set(false);
            } else {
                spawn_local(async move {
                    let answer = tauri::search_persons(&query).await;
                    // A slower answer to an older query must not win.
                    if sequence.get() != mine {
                        return;
                    }
                    match answer {
                        Ok(persons) => found.set(persons),
                        Err(error) => {
                            web_sys::console::warn_1(&error.to_string().into());
                            found.set(Vec::new());
                        }
                    }
                    searched.set(true);
                });
            }
        });
    }
    let oninput = props
        .on_query
        .reform(|event: InputEvent| event.target_unchecked_into::<HtmlInputElement>().value());
    let rows = found
        .iter()
        .filter(|person| !props.exclude.contains(&person.id))
        .map(|person| {
            let onclick = {
                let person = person.clone();
                props.on_pick.reform(move |_: MouseEvent| person.clone())
            };
            html! {
                <li>
                    <button type="button" class="person-row" data-testid="person-row"
                        data-person-id={person.id.to_string()} data-alias={person.alias.clone()} {onclick}>
                        <span class="person-alias">{ crate::model::format::shown_alias(lang, &person.alias) }</span>
                        <span class="person-facts">{ person_facts(lang, person) }</span>
                        <ConfirmedMark {lang} confirmed={person.confirmed} />
                    </button>
                </li>
            }
        })
        .collect::<Vec<_>>();
    let nothing = *searched && rows.is_empty() && !props.query.trim().is_empty();
    html! {
        <div class="person-search">
            <label class="field-label" for="person-search">{ t(lang, Key::SearchLabel) }</label>
            <input
                ref={input}
                id="person-search"
                data-testid="person-search"
                class="text-input search-input"
                type="search"
                autocomplete="off"
                autocapitalize="off"
                spellcheck="false"
                enterkeyhint="search"
                placeholder={t(lang, Key::SearchPlaceholder)}
                value={props.query.clone()}
                {oninput}
            />
            <ul class="person-results" aria-live="polite">{ for rows }</ul>
            if nothing {
                <p class="hint" data-testid="no-results">{ t(lang, Key::NoResults) }</p>
            }
        </div>
    }
}

/// Birth year and gender after the alias, e.g. "1971 · Mężczyzna".
pub fn person_facts(lang: Lang, person: &PersonView) -> String {
    let mut facts = Vec::new();
    if let Some(year) = person.birth_year {
        facts.push(year.to_string());
    }
    if let Some(key) = gender_key(&person.gender) {
        facts.push(t(lang, key).to_string());
    }
    facts.join(" · ")
}

/// The name of a gender code; `None` for "not known".
pub fn gender_key(code: &str) -> Option<Key> {
    match code {
        "f" => Some(Key::GenderF),
        "m" => Some(Key::GenderM),
        "x" => Some(Key::GenderX),
        _ => None,
    }
}
