//! The office login: user name and password; a wrong one says so, an
//! ended session explains why the person is back here.

use odnowa_shared::office::OfficeUser;
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::ErrorBanner;
use crate::i18n::{Key, Lang, t};
use crate::office_api;

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
    html! {
        <main class="office-login">
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
