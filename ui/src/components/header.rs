//! [`Header`]: the app bar with the product name and the language switch.

use yew::prelude::*;

use crate::components::LangSwitch;
use crate::i18n::{Key, Lang, t};

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub lang: Lang,
    pub on_lang: Callback<Lang>,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    html! {
        <header class="app-header">
            <h1 class="app-title">{ t(props.lang, Key::AppName) }</h1>
            <LangSwitch lang={props.lang} on_change={props.on_lang.clone()} />
        </header>
    }
}
