//! [`Header`]: the app bar with the product name, the sync indicator, the
//! lock button and the language switch.

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
    /// Locks the app now; no button when `None`.
    #[prop_or_default]
    pub on_lock: Option<Callback<MouseEvent>>,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    html! {
        <header class="app-header">
            <h1 class="app-title">{ t(props.lang, Key::AppName) }</h1>
            if props.show_sync {
                <SyncIndicatorButton />
            }
            if let Some(on_lock) = props.on_lock.clone() {
                <button type="button" class="button button-secondary lock-button" data-testid="lock-now"
                    aria-label={t(props.lang, Key::LockNowLabel)} title={t(props.lang, Key::LockNowLabel)}
                    onclick={on_lock}>
                    <svg class="lock-icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
                        <rect x="5" y="11" width="14" height="10" rx="2" fill="currentColor" />
                        <path d="M8 11V8a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" stroke-width="2" />
                    </svg>
                    <span class="lock-label">{ t(props.lang, Key::LockNow) }</span>
                </button>
            }
            if props.show_lang {
                <LangSwitch lang={props.lang} on_change={props.on_lang.clone()} compact=true />
            }
        </header>
    }
}
