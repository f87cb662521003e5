//! [`ConfirmedMark`]: the small mark that says whether the server has
//! confirmed a record, with an accessible label.

use yew::prelude::*;

use crate::i18n::{Key, Lang, t};

#[derive(Properties, PartialEq)]
pub struct ConfirmedMarkProps {
    pub lang: Lang,
    pub confirmed: bool,
}

#[function_component(ConfirmedMark)]
pub fn confirmed_mark(props: &ConfirmedMarkProps) -> Html {
    let (symbol, key, class) = if props.confirmed {
        ("✓", Key::ConfirmedMark, "is-confirmed")
    } else {
        ("↑", Key::PendingMark, "is-pending")
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
            { symbol }
        </span>
    }
}
