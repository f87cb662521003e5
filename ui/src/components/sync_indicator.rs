//! [`SyncIndicatorButton`]: the sync status in words in the header (saved
//! on this phone and waiting / syncing / everything sent / revoked); a tap
//! opens the device screen.

use yew::prelude::*;

use crate::i18n::{Key, Lang, plural, t, tf};
use crate::model::sync::{SyncIndicator, indicator};
use crate::state::{Action, AppHandle, Route};

/// The words for `state`, the same in the header and on the device
/// screen: records waiting for the server are "saved on this phone", never
/// a failure (a worker who reads "offline ✕" enters the contact again).
pub fn status_text(lang: Lang, state: SyncIndicator) -> (&'static str, String) {
    match state {
        SyncIndicator::NotEnrolled => ("○", t(lang, Key::SyncNotEnrolled).to_string()),
        SyncIndicator::Revoked => ("⊘", t(lang, Key::SyncRevoked).to_string()),
        SyncIndicator::Syncing => ("⟳", t(lang, Key::SyncSyncing).to_string()),
        SyncIndicator::Offline { pending: 0 } => ("○", t(lang, Key::SyncOffline).to_string()),
        SyncIndicator::Offline { pending } | SyncIndicator::Pending { pending } => (
            "↑",
            plural(
                lang,
                pending,
                [
                    Key::SyncWaitingOne,
                    Key::SyncWaitingFew,
                    Key::SyncWaitingMany,
                ],
                &[("where", t(lang, where_key()))],
            ),
        ),
        SyncIndicator::Refused { refused } => (
            "!",
            tf(lang, Key::SyncRefused, &[("n", &refused.to_string())]),
        ),
        SyncIndicator::AllConfirmed => ("✓", t(lang, Key::SyncAllConfirmed).to_string()),
    }
}

/// "on this phone" on a narrow screen, "on this tablet" on a wider one.
fn where_key() -> Key {
    let wide = web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w >= 600.0);
    if wide {
        Key::SyncWhereTablet
    } else {
        Key::SyncWherePhone
    }
}

/// The header's pill: the status in words; a tap opens the device screen
/// (the last sync, what waits, "sync now", the display settings).
#[function_component(SyncIndicatorButton)]
pub fn sync_indicator_button() -> Html {
    let Some(app) = use_context::<AppHandle>() else {
        return html! {};
    };
    let lang = app.lang;
    let state = indicator(&app.sync, app.syncing);
    let (symbol, text) = status_text(lang, state);
    let onclick = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Device)))
    };
    html! {
        <button
            type="button"
            id="sync-indicator"
            data-testid="sync-indicator"
            data-state={state.code()}
            class={classes!("sync-indicator", format!("sync-{}", state.code()))}
            title={t(lang, Key::SyncNowLabel)}
            aria-live="polite"
            {onclick}
        >
            <span class="sync-symbol" aria-hidden="true">{ symbol }</span>
            <span class="sync-text">{ text }</span>
        </button>
    }
}
