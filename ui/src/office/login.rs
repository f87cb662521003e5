//! The office login: user name and password; a wrong one says so, an
//! ended session explains why the person is back here. On a server with
//! no office login yet, the first administrator is set up here with the
//! one-time code the server printed in its log.

use odnowa_shared::office::{OfficeErrorCode, OfficeUser, SetupRequest};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::ErrorBanner;
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t};
use crate::office_api::{self, CallError};

#[derive(Properties, PartialEq)]
pub struct LoginProps {
    pub lang: Lang,
    /// Why the person is here again (an ended session).
    pub notice: Option<Key>,
    pub on_login: Callback<OfficeUser>,
}

#[function_component(Login)]
pub fn login(props: &LoginProps) -> Html {
    let lang = props.lang;
    let user = use_node_ref();
    let password = use_node_ref();
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (user, password, error, busy) =
            (user.clone(), password.clone(), error.clone(), busy.clone());
        let on_login = props.on_login.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = user
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            let secret = password
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            let (error, busy, on_login, password) = (
                error.clone(),
                busy.clone(),
                on_login.clone(),
                password.clone(),
            );
            busy.set(true);
            spawn_local(async move {
                match office_api::login(&name, &secret).await {
                    Ok(me) => {
                        error.set(None);
                        on_login.emit(me);
                    }
                    Err(e) => {
                        if let Some(input) = password.cast::<HtmlInputElement>() {
                            input.set_value("");
                        }
                        error.set(Some(e.key()));
                    }
                }
                busy.set(false);
            });
        })
    };
    let shown = (*error).or(props.notice);
    let setup = use_load((), |_| office_api::setup_status());
    let needed = matches!(&*setup, Load::Ready(status) if status.needed);
    html! {
        <main class="office-login">
            if needed {
                <Setup {lang} on_login={props.on_login.clone()} />
            }
            <form class="office-card" {onsubmit} data-testid="login-form">
                <h2>{ t(lang, Key::LoginTitle) }</h2>
                if let Some(key) = shown {
                    <div data-testid="login-error"><ErrorBanner {lang} error={Some(key)} /></div>
                }
                <label class="field">
                    <span class="field-label">{ t(lang, Key::LoginUser) }</span>
                    <input ref={user} type="text" name="username" autocomplete="username"
                        required=true data-testid="login-user" />
                </label>
                <label class="field">
                    <span class="field-label">{ t(lang, Key::LoginPassword) }</span>
                    <input ref={password} type="password" name="password" autocomplete="current-password"
                        required=true data-testid="login-password" />
                </label>
                <button type="submit" class="button button-primary" disabled={*busy} data-testid="login-submit">
                    { t(lang, Key::LoginSubmit) }
                </button>
            </form>
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct SetupProps {
    lang: Lang,
    on_login: Callback<OfficeUser>,
}

/// The first administrator: a name, a password twice, and the one-time
/// code from the server's log (whoever reads the log runs the server).
#[function_component(Setup)]
fn setup(props: &SetupProps) -> Html {
    let lang = props.lang;
    let refs: [NodeRef; 4] = Default::default();
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (refs, error, busy, on_login) = (
            refs.clone(),
            error.clone(),
            busy.clone(),
            props.on_login.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let [name, password, repeat, code] = [
                value(&refs[0]),
                value(&refs[1]),
                value(&refs[2]),
                value(&refs[3]),
            ];
            if password != repeat {
                error.set(Some(Key::SetupPasswordsDiffer));
                return;
            }
            let request = SetupRequest {
                name,
                password,
                code,
            };
            let (error, busy, on_login) = (error.clone(), busy.clone(), on_login.clone());
            busy.set(true);
            spawn_local(async move {
                match office_api::setup(&request).await {
                    Ok(me) => {
                        error.set(None);
                        on_login.emit(me);
                    }
                    Err(CallError::Refused(refused))
                        if refused.code == OfficeErrorCode::Invalid =>
                    {
                        error.set(Some(Key::SetupInvalid))
                    }
                    Err(e) => error.set(Some(e.key())),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <form class="office-card office-setup" {onsubmit} data-testid="setup-form">
            <h2>{ t(lang, Key::SetupTitle) }</h2>
            <p>{ t(lang, Key::SetupIntro) }</p>
            if let Some(key) = *error {
                <div data-testid="setup-error"><ErrorBanner {lang} error={Some(key)} /></div>
            }
            <label class="field">
                <span class="field-label">{ t(lang, Key::LoginUser) }</span>
                <input ref={refs[0].clone()} type="text" autocomplete="username" required=true data-testid="setup-user" />
            </label>
            <label class="field">
                <span class="field-label">{ t(lang, Key::SetupPassword) }</span>
                <input ref={refs[1].clone()} type="password" autocomplete="new-password" required=true data-testid="setup-password" />
            </label>
            <label class="field">
                <span class="field-label">{ t(lang, Key::SetupPasswordRepeat) }</span>
                <input ref={refs[2].clone()} type="password" autocomplete="new-password" required=true data-testid="setup-password-repeat" />
            </label>
            <label class="field">
                <span class="field-label">{ t(lang, Key::SetupCode) }</span>
                <input ref={refs[3].clone()} type="text" autocomplete="off" autocapitalize="characters"
                    spellcheck="false" required=true data-testid="setup-code" />
            </label>
            <button type="submit" class="button button-primary" disabled={*busy} data-testid="setup-submit">
                { t(lang, Key::SetupSubmit) }
            </button>
        </form>
    }
}
