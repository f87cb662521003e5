//! [`ErrorBanner`]: one translated sentence about what went wrong, read out
//! by screen readers as soon as it appears.

use yew::prelude::*;

use crate::i18n::{Key, Lang, t};

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    pub lang: Lang,
    pub error: Option<Key>,
}

#[function_component(ErrorBanner)]
pub fn error_banner(props: &ErrorBannerProps) -> Html {
    match props.error {
        Some(key) => html! {
            <p class="error-banner" role="alert" data-testid="error" data-error={format!("{key:?}")}>
                { t(props.lang, key) }
            </p>
        },
        None => html! {},
    }
}
