//! [`ConfirmedMark`]: the small mark that says in a word whether the server
//! has confirmed a record ("sent") or it waits on the device ("waiting"),
//! with an accessible label.

use yew::prelude::*;

use crate::i18n::{Key, Lang, t};

#[derive(Properties, PartialEq)]
pub struct ConfirmedMarkProps {
    pub lang: Lang,
    pub confirmed: bool,
}

#[function_component(ConfirmedMark)]
pub fn confirmed_mark(props: &ConfirmedMarkProps) -> Html {
    let (symbol, key, word, class) = if props.confirmed {
        ("✓", Key::ConfirmedMark, Key::ConfirmedWord, "is-confirmed")
    } else {
        ("↑", Key::PendingMark, Key::PendingWord, "is-pending")
    };
    let label = t(props.lang, key);
    html! {
        <span
            class={classes!("confirmed-mark", class)}
            data-testid="confirmed-mark"
            data-confirmed={if props.confirmed { "true" } else { "false" }}
            role="img"
            aria-label={label}
            title={label}
        >
            <span class="confirmed-symbol" aria-hidden="true">{ symbol }</span>
            <span class="confirmed-word" aria-hidden="true">{ t(props.lang, word) }</span>
        </span>
    }
}
