//! [`LockScreen`]: what covers the app while records may not be shown —
//! the PIN (at start, after inactivity, after "Lock") and "revoked" (erase
//! and enrol again). A stale device (the server not reached for too long)
//! is not locked: [`StaleBanner`] says above the page what is hidden and
//! why. The page underneath stays mounted but hidden, so a
//! half-typed form survives the lock.

use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use odnowa_shared::api::{Access, ErrorKind, LockView};

use crate::components::ErrorBanner;
use crate::i18n::{Key, t, tf};
use crate::state::{Action, AppHandle, Route};
use crate::tauri::{self, InvokeError};

#[derive(Properties, PartialEq)]
pub struct LockScreenProps {
    pub access: Access,
}

#[function_component(LockScreen)]
pub fn lock_screen(props: &LockScreenProps) -> Html {
    match props.access {
        Access::Stale => html! { <StaleBanner /> },
        Access::Revoked => html! { <RevokedScreen /> },
        _ => html! { <PinScreen /> },
    }
}

/// Reads the lock view again (attempts left, unsynced records).
fn refresh(app: AppHandle) {
    spawn_local(async move {
        if let Ok(info) = tauri::app_info().await {
            app.dispatch(Action::SetInfo(info));
        }
    });
}

#[function_component(PinScreen)]
fn pin_screen() -> Html {
    let app = use_context::<AppHandle>();
    let pin = use_state(String::new);
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let input = use_node_ref();
    {
        let input = input.clone();
        use_effect_with((), move |_| {
            if let Some(input) = input.cast::<HtmlInputElement>() {
                let _ = input.focus();
            }
        });
    }
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let view: LockView = app
        .info
        .as_ref()
        .map(|i| i.lock.clone())
        .unwrap_or_default();

    let oninput = {
        let pin = pin.clone();
        Callback::from(move |event: InputEvent| {
            pin.set(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let onsubmit = {
        let (pin, error, busy, app) = (pin.clone(), error.clone(), busy.clone(), app.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy || pin.is_empty() {
                return;
            }
            let typed = (*pin).clone();
            let (pin, error, busy, app) = (pin.clone(), error.clone(), busy.clone(), app.clone());
            busy.set(true);
            spawn_local(async move {
                match tauri::unlock(&typed).await {
                    Ok(info) => {
                        error.set(None);
                        app.dispatch(Action::SetInfo(info));
                    }
                    Err(InvokeError::Command(failure)) if failure.kind == ErrorKind::Wiped => {
                        error.set(Some(Key::ErrWiped));
                        refresh(app.clone());
                        app.dispatch(Action::Navigate(Route::Enrol));
                    }
                    Err(failure) => {
                        error.set(Some(failure.key()));
                        refresh(app.clone());
                    }
                }
                pin.set(String::new());
                busy.set(false);
            });
        })
    };
    let warn_unsynced = view.unsynced > 0 && view.attempts_left <= 3;
    html! {
        <section class="page page-lock" data-testid="lock">
            <h2 class="page-title">{ t(lang, Key::LockTitle) }</h2>
            <p class="page-intro">{ t(lang, Key::LockIntro) }</p>
            <form class="form" onsubmit={onsubmit} novalidate=true>
                <label class="field-label" for="lock-pin">{ t(lang, Key::LockPin) }</label>
                <input id="lock-pin" data-testid="lock-pin" class="text-input pin-input" type="password"
                    inputmode="numeric" autocomplete="off" autocapitalize="off" spellcheck="false"
                    ref={input} value={(*pin).clone()} {oninput} />
                <ErrorBanner {lang} error={*error} />
                if view.attempts_left < odnowa_shared::api::MAX_PIN_ATTEMPTS {
                    <p class="hint" data-testid="lock-attempts">
                        { tf(lang, Key::LockAttemptsLeft, &[("n", &view.attempts_left.to_string())]) }
                    </p>
                }
                if warn_unsynced {
                    <p class="notice" role="alert" data-testid="lock-unsynced">
                        { tf(lang, Key::LockUnsyncedWarning, &[("n", &view.unsynced.to_string())]) }
                    </p>
                }
                <button type="submit" data-testid="lock-submit" class="button button-primary button-wide"
                    disabled={*busy} aria-busy={busy.to_string()}>
                    { t(lang, if *busy { Key::LockWorking } else { Key::LockSubmit }) }
                </button>
            </form>
        </section>
    }
}

/// Above the page while the device has not reached the server for longer
/// than the policy allows: it goes on recording; what others recorded is
/// hidden until a sync succeeds, and this says so, with "sync now".
#[function_component(StaleBanner)]
pub fn stale_banner() -> Html {
    let app = use_context::<AppHandle>();
    let busy = use_state(|| false);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let view = app
        .info
        .as_ref()
        .map(|i| i.lock.clone())
        .unwrap_or_default();
    let days = view
        .last_contact
        .map(|at| (crate::hooks::now_ms() - at.0).max(0) / 86_400_000)
        .unwrap_or(i64::from(view.stale_days));
    let sync = {
        let (app, busy) = (app.clone(), busy.clone());
        Callback::from(move |_: MouseEvent| {
            let (app, busy) = (app.clone(), busy.clone());
            busy.set(true);
            spawn_local(async move {
                if let Ok(view) = tauri::sync_now().await {
                    app.dispatch(Action::SetSync(view));
                }
                refresh(app);
                busy.set(false);
            });
        })
    };
    let error = app.sync.last_error.as_ref().map(|_| Key::ErrUnreachable);
    html! {
        <aside class="stale-banner" role="status" data-testid="stale">
            <h2 class="stale-title">{ t(lang, Key::StaleTitle) }</h2>
            <p>{ tf(lang, Key::StaleIntro, &[("n", &days.to_string())]) }</p>
            <ErrorBanner {lang} {error} />
            <button type="button" data-testid="stale-sync" class="button button-secondary"
                onclick={sync} disabled={*busy} aria-busy={busy.to_string()}>
                { t(lang, Key::StaleSync) }
            </button>
        </aside>
    }
}

#[function_component(RevokedScreen)]
fn revoked_screen() -> Html {
    let app = use_context::<AppHandle>();
    let error = use_state(|| None::<Key>);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let erase = {
        let (app, error) = (app.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (app, error) = (app.clone(), error.clone());
            spawn_local(async move {
                match tauri::reset_device().await {
                    Ok(info) => {
                        app.dispatch(Action::SetInfo(info));
                        app.dispatch(Action::Navigate(Route::Enrol));
                    }
                    Err(failure) => error.set(Some(failure.key())),
                }
            });
        })
    };
    html! {
        <section class="page page-lock" data-testid="revoked">
            <h2 class="page-title">{ t(lang, Key::RevokedTitle) }</h2>
            <p class="page-intro">{ t(lang, Key::RevokedIntro) }</p>
            <ErrorBanner {lang} error={*error} />
            <button type="button" data-testid="revoked-erase" class="button button-danger button-wide"
                onclick={erase}>
                { t(lang, Key::RevokedErase) }
            </button>
        </section>
    }
}
