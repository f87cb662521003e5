//! [`Home`]: the start screen. A placeholder until the field screens exist;
//! it shows the app version from the shell, or "—" in a plain browser.

use yew::prelude::*;

use crate::hooks::use_app_version;
use crate::i18n::{Key, Lang, t};

#[derive(Properties, PartialEq)]
pub struct HomeProps {
    pub lang: Lang,
}

#[function_component(Home)]
pub fn home(props: &HomeProps) -> Html {
    let lang = props.lang;
    let version = use_app_version();
    let version = version.as_deref().unwrap_or(t(lang, Key::NotAvailable));
    html! {
        <section class="page page-home">
            <h2 class="page-title">{ t(lang, Key::HomeTitle) }</h2>
            <p class="page-intro">{ t(lang, Key::HomeIntro) }</p>
            <dl class="facts">
                <dt>{ t(lang, Key::AppVersionLabel) }</dt>
                <dd class="app-version">{ version }</dd>
            </dl>
        </section>
    }
}
