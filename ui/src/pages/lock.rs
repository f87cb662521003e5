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
use crate::i18n::{Key, plural, t, tf};
use crate::state::{Action, AppHandle, Route};
use crate::tauri::{self, InvokeError};

/// The longest PIN the pad types (the vault takes any length; this only
/// stops a stuck key).
const MAX_PIN_DIGITS: usize = 32;

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
    // A large pad: a PIN typed with cold fingers or in gloves, without the
    // small system keyboard.
    let key = |digit: &'static str| {
        let pin = pin.clone();
        let onclick = Callback::from(move |_: MouseEvent| {
            if pin.len() < MAX_PIN_DIGITS {
                pin.set(format!("{}{digit}", *pin));
            }
        });
        html! {
            <button type="button" class="pin-key" data-testid={format!("pin-key-{digit}")} {onclick}>{ digit }</button>
        }
    };
    let delete = {
        let pin = pin.clone();
        Callback::from(move |_: MouseEvent| {
            let mut shorter = (*pin).clone();
            shorter.pop();
            pin.set(shorter);
        })
    };
    html! {
        <section class="page page-lock" data-testid="lock">
            <h2 class="page-title">{ t(lang, Key::LockTitle) }</h2>
            <p class="page-intro">{ t(lang, Key::LockIntro) }</p>
            <form class="form" onsubmit={onsubmit} novalidate=true>
                <label class="field-label" for="lock-pin">{ t(lang, Key::LockPin) }</label>
                <input id="lock-pin" data-testid="lock-pin" class="text-input pin-input" type="password"
                    inputmode="numeric" autocomplete="off" autocapitalize="off" spellcheck="false"
                    ref={input} value={(*pin).clone()} {oninput} />
                <div class="pin-pad" role="group" aria-label={t(lang, Key::LockPadLabel)}>
                    { key("1") }{ key("2") }{ key("3") }
                    { key("4") }{ key("5") }{ key("6") }
                    { key("7") }{ key("8") }{ key("9") }
                    <span class="pin-key-gap" aria-hidden="true"></span>
                    { key("0") }
                    <button type="button" class="pin-key pin-key-delete" data-testid="pin-key-delete"
                        aria-label={t(lang, Key::LockDeleteDigit)} onclick={delete}>{ "⌫" }</button>
                </div>
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
                <p class="hint" data-testid="lock-forgot">{ t(lang, Key::LockForgotPin) }</p>
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

/// Revoked: the data stays locked and cannot be sent. The screen says how
/// many unsent records an erasure loses and whom to call, and erases only
/// after a second, explicit "yes".
#[function_component(RevokedScreen)]
fn revoked_screen() -> Html {
    let app = use_context::<AppHandle>();
    let error = use_state(|| None::<Key>);
    let confirming = use_state(|| false);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let unsent = app
        .info
        .as_ref()
        .map(|i| i.lock.unsynced)
        .unwrap_or_default()
        .max(app.sync.pending + app.sync.refused);
    let ask = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(true))
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(false))
    };
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
    let loss = if unsent == 0 {
        t(lang, Key::RevokedNothingLost).to_string()
    } else {
        plural(
            lang,
            unsent,
            [
                Key::RevokedLossOne,
                Key::RevokedLossFew,
                Key::RevokedLossMany,
            ],
            &[],
        )
    };
    html! {
        <section class="page page-lock" data-testid="revoked">
            <h2 class="page-title">{ t(lang, Key::RevokedTitle) }</h2>
            <p class="page-intro">{ t(lang, Key::RevokedIntro) }</p>
            <p class={classes!(if unsent > 0 { "notice" } else { "hint" })} data-testid="revoked-loss"
                data-unsent={unsent.to_string()}>
                { loss.clone() }
            </p>
            <p class="hint" data-testid="revoked-call">{ t(lang, Key::RevokedCall) }</p>
            <ErrorBanner {lang} error={*error} />
            if *confirming {
                <div class="confirm-box" role="alertdialog" aria-labelledby="revoked-confirm-title" data-testid="revoked-confirm">
                    <p class="confirm-title" id="revoked-confirm-title">{ t(lang, Key::RevokedConfirmTitle) }</p>
                    <p>{ loss }</p>
                    <button type="button" data-testid="revoked-erase-yes" class="button button-danger button-wide"
                        onclick={erase}>
                        { t(lang, Key::RevokedConfirmYes) }
                    </button>
                    <button type="button" data-testid="revoked-erase-no" class="button button-secondary button-wide"
                        onclick={cancel}>
                        { t(lang, Key::RevokedConfirmNo) }
                    </button>
                </div>
            } else {
                <button type="button" data-testid="revoked-erase" class="button button-secondary button-wide"
                    onclick={ask}>
                    { t(lang, Key::RevokedErase) }
                </button>
            }
        </section>
    }
}
