//! [`Header`]: the app bar with the product name, the sync indicator and
//! the language switch.

use yew::prelude::*;

use crate::components::{LangSwitch, SyncIndicatorButton};
use crate::i18n::{Key, Lang, t};

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub lang: Lang,
    pub on_lang: Callback<Lang>,
    /// Whether to show the sync indicator (not before enrolment).
    #[prop_or_default]
    pub show_sync: bool,
    /// Whether to show the language switch (the enrolment page has its own,
    /// bigger one).
    #[prop_or(true)]
    pub show_lang: bool,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    html! {
        <header class="app-header">
            <h1 class="app-title">{ t(props.lang, Key::AppName) }</h1>
            if props.show_sync {
                <SyncIndicatorButton />
            }
            if props.show_lang {
                <LangSwitch lang={props.lang} on_change={props.on_lang.clone()} compact=true />
            }
        </header>
    }
}
