//! [`SyncIndicatorButton`]: offline / syncing / pending N / all confirmed /
//! revoked, in the header; a tap syncs now.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::i18n::{Key, t, tf};
use crate::model::sync::{SyncIndicator, indicator};
use crate::state::{Action, AppHandle};
use crate::tauri;

#[function_component(SyncIndicatorButton)]
pub fn sync_indicator_button() -> Html {
    let Some(app) = use_context::<AppHandle>() else {
        return html! {};
    };
    let lang = app.lang;
    let state = indicator(&app.sync, app.syncing);
    let (symbol, text) = match state {
        SyncIndicator::NotEnrolled => ("○", t(lang, Key::SyncNotEnrolled).to_string()),
        SyncIndicator::Revoked => ("⊘", t(lang, Key::SyncRevoked).to_string()),
        SyncIndicator::Syncing => ("⟳", t(lang, Key::SyncSyncing).to_string()),
        SyncIndicator::Offline { pending: 0 } => ("✕", t(lang, Key::SyncOffline).to_string()),
        SyncIndicator::Offline { pending } => (
            "✕",
            tf(
                lang,
                Key::SyncOfflinePending,
                &[("n", &pending.to_string())],
            ),
        ),
        SyncIndicator::Pending { pending } => (
            "↑",
            tf(lang, Key::SyncPending, &[("n", &pending.to_string())]),
        ),
        SyncIndicator::Refused { refused } => (
            "!",
            tf(lang, Key::SyncRefused, &[("n", &refused.to_string())]),
        ),
        SyncIndicator::AllConfirmed => ("✓", t(lang, Key::SyncAllConfirmed).to_string()),
    };
    let onclick = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| {
            if app.syncing {
                return;
            }
            let app = app.clone();
            app.dispatch(Action::SetSyncing(true));
            spawn_local(async move {
                if let Ok(view) = tauri::sync_now().await {
                    app.dispatch(Action::SetSync(view));
                }
                app.dispatch(Action::SetSyncing(false));
            });
        })
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
