//! [`DevicePage`]: what the header's sync pill opens. The sync status in
//! the same words as the header, when the last sync succeeded, what waits
//! for the server (per kind of record), "sync now", and the display
//! settings a worker can switch on (larger text, high contrast).

use odnowa_shared::api::Waiting;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::sync_indicator::status_text;
use crate::hooks::{display_settings, save_display, today};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::display::Display;
use crate::model::format;
use crate::model::sync::indicator;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

#[function_component(DevicePage)]
pub fn device_page() -> Html {
    let app = use_context::<AppHandle>();
    let display = use_state(display_settings);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let view = &app.sync;
    let (symbol, status) = status_text(lang, indicator(view, app.syncing));
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| {
            let to = match app.previous {
                Route::Device | Route::Loading | Route::Enrol | Route::NeedsApp => Route::Outreach,
                other => other,
            };
            app.dispatch(Action::Navigate(to))
        })
    };
    let sync_now = {
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
    let last_sync = match view.last_sync {
        Some(at) => format::when(lang, at, today()),
        None => t(lang, Key::DeviceNeverSynced).to_string(),
    };
    let waiting = view
        .waiting
        .iter()
        .filter(|w| w.pending > 0 || w.refused > 0)
        .map(|w| waiting_row(lang, w));
    let switch = |on: bool, key: Key, testid: &'static str, change: fn(Display) -> Display| {
        let display = display.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            let next = change(*display);
            save_display(next);
            display.set(next);
        });
        html! {
            <button type="button" role="switch" class={classes!("switch-row", on.then_some("is-on"))}
                aria-checked={on.to_string()} data-testid={testid} {onclick}>
                <span class="switch-label">{ t(lang, key) }</span>
                <span class="switch-state" aria-hidden="true">
                    { t(lang, if on { Key::SwitchOn } else { Key::SwitchOff }) }
                </span>
            </button>
        }
    };
    html! {
        <section class="page page-device" data-testid="device">
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, Key::DeviceTitle) }</h2>
            </div>
            <p class="device-status" data-testid="device-status">
                <span class="sync-symbol" aria-hidden="true">{ symbol }</span>{ " " }{ status }
            </p>
            <dl class="facts">
                <dt>{ t(lang, Key::DeviceLastSync) }</dt>
                <dd data-testid="device-last-sync">{ last_sync }</dd>
                if view.last_error.is_some() && !view.online {
                    <dt>{ t(lang, Key::DeviceLastAttempt) }</dt>
                    <dd>{ t(lang, Key::DeviceNoServer) }</dd>
                }
                <dt>{ t(lang, Key::DeviceRecords) }</dt>
                <dd>{ view.records }</dd>
            </dl>
            <h3 class="section-title">{ t(lang, Key::DeviceWaitingTitle) }</h3>
            if view.pending == 0 && view.refused == 0 {
                <p class="empty" data-testid="nothing-waiting">{ t(lang, Key::DeviceNothingWaiting) }</p>
            } else {
                <ul class="lines" data-testid="waiting">{ for waiting }</ul>
                <p class="hint">{ t(lang, Key::DeviceWaitingHint) }</p>
            }
            <button type="button" class="button button-primary button-wide" data-testid="sync-now"
                disabled={app.syncing} aria-busy={app.syncing.to_string()} onclick={sync_now}>
                { t(lang, if app.syncing { Key::SyncSyncing } else { Key::StaleSync }) }
            </button>
            <h3 class="section-title">{ t(lang, Key::DisplayTitle) }</h3>
            <div class="switches">
                { switch(display.large_text, Key::DisplayLargeText, "display-large-text",
                    |d| Display { large_text: !d.large_text, ..d }) }
                { switch(display.contrast, Key::DisplayContrast, "display-contrast",
                    |d| Display { contrast: !d.contrast, ..d }) }
            </div>
        </section>
    }
}

/// "Contacts: 2 waiting" (and refused ones, which a coordinator must see).
fn waiting_row(lang: Lang, waiting: &Waiting) -> Html {
    let kind = kind_name(lang, &waiting.kind);
    html! {
        <li class="line-row" data-testid="waiting-row" data-kind={waiting.kind.clone()}>
            <span class="line-name">{ kind }</span>
            <span class="line-value">
                if waiting.pending > 0 {
                    { tf(lang, Key::DeviceWaitingCount, &[("n", &waiting.pending.to_string())]) }
                }
                if waiting.refused > 0 {
                    { " " }{ tf(lang, Key::SyncRefused, &[("n", &waiting.refused.to_string())]) }
                }
            </span>
        </li>
    }
}

/// The name of a kind of record, for the list of what waits.
fn kind_name(lang: Lang, kind: &str) -> &'static str {
    let key = match kind {
        "person" => Key::KindPersons,
        "case_notes" => Key::KindNotes,
        "contact" => Key::KindContacts,
        "day_session" => Key::KindDaySessions,
        "workshop" => Key::KindWorkshops,
        "diagnosis" => Key::KindDiagnoses,
        "programme" => Key::KindProgrammes,
        "referral" => Key::KindReferrals,
        _ => Key::KindOther,
    };
    t(lang, key)
}
