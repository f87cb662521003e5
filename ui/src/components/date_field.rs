//! [`DateField`]: a day typed day first in the app's language
//! ("30.11.2026" / "30/11/2026"), with chips for the days people pick most
//! (today, tomorrow, in a week ...). It replaces the browser's own date
//! field, whose format follows the system's locale (an English phone shows
//! "11/30/2026"), not the language the worker chose.
//!
//! The form keeps the day as ISO text (`2026-11-30`), as before: a typed
//! day that parses is handed on as ISO; anything else is handed on as
//! typed, and the form's check refuses it with a clear message.

use odnowa_shared::time::Date;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::hooks::today;
use crate::i18n::{Key, Lang, t};
use crate::model::format::{day_input, parse_day};

#[derive(Properties, PartialEq)]
pub struct DateFieldProps {
    pub lang: Lang,
    /// The input's id (its label's `for`) and test id.
    pub id: AttrValue,
    /// The day as ISO text, or what was typed, or empty.
    pub value: String,
    pub on_change: Callback<String>,
    /// Chips: a label and the day as an offset from today.
    #[prop_or_default]
    pub chips: Vec<(Key, i64)>,
    /// The accessible name when the field has no visible label.
    #[prop_or_default]
    pub aria_label: Option<AttrValue>,
}

/// The text a value shows: an ISO day in the language's style, anything
/// else as it is.
fn shown(lang: Lang, value: &str) -> String {
    match value.parse::<Date>() {
        Ok(day) => day_input(lang, day),
        Err(_) => value.to_string(),
    }
}

/// What the form receives for `typed`.
fn handed_on(typed: &str) -> String {
    match parse_day(typed) {
        Some(day) => day.to_string(),
        None => typed.trim().to_string(),
    }
}

#[function_component(DateField)]
pub fn date_field(props: &DateFieldProps) -> Html {
    let lang = props.lang;
    let text = use_state(|| shown(lang, &props.value));
    // A new value from outside (a chip, the form reset, the language):
    // show it, unless it is what the typed text already says.
    {
        let text = text.clone();
        use_effect_with((props.value.clone(), lang), move |(value, lang)| {
            if handed_on(&text) != *value {
                text.set(shown(*lang, value));
            } else if let Ok(day) = value.parse::<Date>() {
                text.set(day_input(*lang, day));
            }
        });
    }
    let oninput = {
        let (text, on_change) = (text.clone(), props.on_change.clone());
        Callback::from(move |event: InputEvent| {
            let typed = event.target_unchecked_into::<HtmlInputElement>().value();
            on_change.emit(handed_on(&typed));
            text.set(typed);
        })
    };
    let base = today();
    let chips = props.chips.iter().map(|&(key, offset)| {
        let day = base
            .0
            .checked_add_signed(chrono::Duration::days(offset))
            .map(Date);
        let iso = day.map(|d| d.to_string()).unwrap_or_default();
        let on = iso == props.value;
        let onclick = props.on_change.reform(move |_: MouseEvent| iso.clone());
        html! {
            <button type="button" class={classes!("chip", "chip-small", on.then_some("is-on"))}
                aria-pressed={on.to_string()} data-testid={format!("{}-chip-{offset}", props.id)} {onclick}>
                { t(lang, key) }
            </button>
        }
    });
    let placeholder = match lang {
        Lang::Pl => "dd.mm.rrrr",
        Lang::En => "dd/mm/yyyy",
    };
    html! {
        <div class="date-field">
            <input id={props.id.clone()} data-testid={props.id.clone()} class="text-input input-date"
                type="text" inputmode="numeric" autocomplete="off" {placeholder}
                aria-label={props.aria_label.clone()} aria-describedby={format!("{}-format", props.id)}
                value={(*text).clone()} {oninput} />
            <span class="visually-hidden" id={format!("{}-format", props.id)}>
                { t(lang, Key::DateFormatHint) }
            </span>
            if !props.chips.is_empty() {
                <div class="chips">{ for chips }</div>
            }
        </div>
    }
}
