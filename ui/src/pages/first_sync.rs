//! [`FirstSync`]: the first sync after enrolment, with a progress bar
//! (the header polls `sync_status`); goes on to work by itself when done.

use yew::prelude::*;

use crate::i18n::{Key, t, tf};
use crate::model::sync::{first_sync_done, percent};
use crate::state::{Action, AppHandle, Route, Section};

#[function_component(FirstSync)]
pub fn first_sync() -> Html {
    let app = use_context::<AppHandle>();
    let done = app.as_ref().is_some_and(|app| first_sync_done(&app.sync));
    {
        let app = app.clone();
        use_effect_with(done, move |&done| {
            if done && let Some(app) = app {
                app.dispatch(Action::Navigate(Section::Outreach.home()));
            }
        });
    }
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let sync = &app.sync;
    let (value, label) = match sync.first_sync {
        // The server has not said how many records are coming yet.
        Some(progress) if progress.total == 0 => (None, t(lang, Key::FirstSyncWaiting).to_string()),
        Some(progress) => (
            Some(percent(progress)),
            tf(
                lang,
                Key::FirstSyncProgress,
                &[
                    ("done", &progress.done.to_string()),
                    ("total", &progress.total.to_string()),
                ],
            ),
        ),
        None if done => (Some(100), t(lang, Key::FirstSyncDone).to_string()),
        None => (None, t(lang, Key::FirstSyncWaiting).to_string()),
    };
    let go = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Outreach)))
    };
    html! {
        <section class="page page-first-sync" data-testid="first-sync">
            <h2 class="page-title">{ t(lang, Key::FirstSyncTitle) }</h2>
            <p class="page-intro">{ t(lang, Key::FirstSyncIntro) }</p>
            <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow={value.map(|v| v.to_string())} aria-valuetext={label.clone()}
                data-testid="first-sync-progress">
                <div class={classes!("progress-bar", value.is_none().then_some("is-indeterminate"))}
                    style={format!("width: {}%", value.unwrap_or(30))}></div>
            </div>
            <p class="progress-label" aria-live="polite">{ label }</p>
            <p class="hint" data-testid="first-sync-records">
                { tf(lang, Key::FirstSyncRecords, &[("n", &sync.records.to_string())]) }
            </p>
            if sync.last_error.is_some() {
                <p class="error-banner" role="alert">{ t(lang, Key::ErrUnreachable) }</p>
            }
            <button type="button" class="button button-primary button-wide" data-testid="first-sync-continue" onclick={go}>
                { t(lang, Key::FirstSyncContinue) }
            </button>
        </section>
    }
}
