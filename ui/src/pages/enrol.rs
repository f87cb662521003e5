//! [`Enrol`]: the first-run screen. Server address and the one-time code
//! (typed or pasted), an optional device name, the PIN that will open the
//! device's data (typed twice), the language; then the first sync.

use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{ErrorBanner, LangSwitch};
use crate::i18n::{Key, t};
use crate::model::enrol::EnrolForm;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

#[function_component(Enrol)]
pub fn enrol() -> Html {
    let app = use_context::<AppHandle>();
    let form = use_state(EnrolForm::default);
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;

    let set = |update: fn(&mut EnrolForm, String)| {
        let form = form.clone();
        Callback::from(move |event: InputEvent| {
            let mut next = (*form).clone();
            update(
                &mut next,
                event.target_unchecked_into::<HtmlInputElement>().value(),
            );
            form.set(next);
        })
    };
    let paste = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            let form = form.clone();
            spawn_local(async move {
                let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) else {
                    return;
                };
                if let Ok(text) = wasm_bindgen_futures::JsFuture::from(clipboard.read_text()).await
                    && let Some(text) = text.as_string()
                {
                    let mut next = (*form).clone();
                    next.code = text.trim().to_string();
                    form.set(next);
                }
            });
        })
    };
    let on_lang = {
        let app = app.clone();
        Callback::from(move |lang| app.dispatch(Action::SetLang(lang)))
    };
    let onsubmit = {
        let (form, error, busy, app) = (form.clone(), error.clone(), busy.clone(), app.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            let request = match form.to_request(t(app.lang, Key::EnrolDeviceNameDefault)) {
                Ok(request) => request,
                Err(problem) => {
                    error.set(Some(problem.key()));
                    return;
                }
            };
            let (error, busy, app) = (error.clone(), busy.clone(), app.clone());
            busy.set(true);
            spawn_local(async move {
                match tauri::enrol(&request).await {
                    Ok(info) => {
                        error.set(None);
                        app.dispatch(Action::SetInfo(info));
                        app.dispatch(Action::Navigate(Route::FirstSync));
                    }
                    Err(failure) => error.set(Some(failure.key())),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <section class="page page-enrol" data-testid="enrol">
            <h2 class="page-title">{ t(lang, Key::EnrolTitle) }</h2>
            <p class="page-intro">{ t(lang, Key::EnrolIntro) }</p>
            <div class="field-group">
                <span class="field-label" id="enrol-lang-label">{ t(lang, Key::LanguageChoice) }</span>
                <div class="enrol-lang" aria-labelledby="enrol-lang-label">
                    <LangSwitch {lang} on_change={on_lang} />
                </div>
            </div>
            <form class="form" onsubmit={onsubmit} novalidate=true>
                <label class="field-label" for="enrol-server">{ t(lang, Key::EnrolServer) }</label>
                <input id="enrol-server" data-testid="enrol-server" class="text-input" type="url"
                    inputmode="url" autocomplete="url" autocapitalize="off" spellcheck="false"
                    placeholder={t(lang, Key::EnrolServerHint)}
                    value={form.server.clone()} oninput={set(|f, v| f.server = v)} />
                <label class="field-label" for="enrol-code">{ t(lang, Key::EnrolCode) }</label>
                <div class="input-with-button">
                    <input id="enrol-code" data-testid="enrol-code" class="text-input code-input" type="text"
                        autocomplete="one-time-code" autocapitalize="characters" spellcheck="false"
                        placeholder={t(lang, Key::EnrolCodeHint)}
                        value={form.code.clone()} oninput={set(|f, v| f.code = v)} />
                    <button type="button" class="button button-secondary" data-testid="enrol-paste" onclick={paste}>
                        { t(lang, Key::EnrolPaste) }
                    </button>
                </div>
                <label class="field-label" for="enrol-device-name">{ t(lang, Key::EnrolDeviceName) }</label>
                <input id="enrol-device-name" data-testid="enrol-device-name" class="text-input" type="text"
                    placeholder={t(lang, Key::EnrolDeviceNameDefault)}
                    value={form.device_name.clone()} oninput={set(|f, v| f.device_name = v)} />
                <label class="field-label" for="enrol-pin">{ t(lang, Key::EnrolPin) }</label>
                <input id="enrol-pin" data-testid="enrol-pin" class="text-input pin-input" type="password"
                    inputmode="numeric" autocomplete="new-password" aria-describedby="enrol-pin-hint"
                    value={form.pin.clone()} oninput={set(|f, v| f.pin = v)} />
                <p class="hint" id="enrol-pin-hint">{ t(lang, Key::EnrolPinHint) }</p>
                <label class="field-label" for="enrol-pin-repeat">{ t(lang, Key::EnrolPinRepeat) }</label>
                <input id="enrol-pin-repeat" data-testid="enrol-pin-repeat" class="text-input pin-input" type="password"
                    inputmode="numeric" autocomplete="new-password"
                    value={form.pin_repeat.clone()} oninput={set(|f, v| f.pin_repeat = v)} />
                <ErrorBanner {lang} error={*error} />
                <button type="submit" id="enrol-submit" data-testid="enrol-submit"
                    class="button button-primary button-wide" disabled={*busy} aria-busy={busy.to_string()}>
                    { t(lang, if *busy { Key::EnrolWorking } else { Key::EnrolSubmit }) }
                </button>
            </form>
        </section>
    }
}
