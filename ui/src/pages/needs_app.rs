//! [`NeedsApp`]: what a plain browser shows instead of the field screens.

use yew::prelude::*;

use crate::i18n::{Key, t};
use crate::state::AppHandle;

#[function_component(NeedsApp)]
pub fn needs_app() -> Html {
    let lang = use_context::<AppHandle>()
        .map(|app| app.lang)
        .unwrap_or_default();
    html! {
        <section class="page page-notice" data-testid="needs-app">
            <h2 class="page-title">{ t(lang, Key::NeedsAppTitle) }</h2>
            <p>{ t(lang, Key::NeedsAppText) }</p>
        </section>
    }
}
