//! The root component: owns the [`AppState`] reducer, shares it as the
//! [`AppHandle`] context, decides the first screen (notice, enrolment or
//! work), polls the sync status (telling the engine whether the person
//! tapped or typed since, which keeps the app from locking), covers the
//! page with the lock screen while records may not be shown, and lays out
//! the shell (header, page, bottom navigation).

use std::sync::atomic::{AtomicBool, Ordering};

use odnowa_shared::api::Access;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{BottomNav, ErrorBanner, Header};
use crate::hooks::{apply_display, display_settings, remember, remembered, use_tick};
use crate::i18n::{Key, Lang, t};
use crate::pages::{
    ContactDetail, ContactFormPage, DayRoom, DevicePage, DiagnosisFormPage, Enrol, FirstSync,
    LockScreen, NeedsApp, Outreach, PersonFilePage, ProgrammeFormPage, ProgrammePage,
    ReferralFormPage, ReferralsPage, StaleBanner, WorkshopDetail, WorkshopFormPage, Workshops,
};
use crate::state::{Action, AppHandle, AppState, Route, Section};
use crate::tauri;

/// Where the chosen language is remembered between launches.
const LANG_STORAGE_KEY: &str = "odnowa.lang";
/// Where the last section is remembered (a day-room tablet opens on the board).
const SECTION_STORAGE_KEY: &str = "odnowa.section";
/// How often the header asks for the sync status, in milliseconds.
const SYNC_POLL_MS: i32 = 3000;

/// Set by any tap or key press; taken by the next sync-status poll.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Listens for taps and key presses on the whole document, once.
fn watch_activity() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let mark = Closure::<dyn Fn()>::new(|| ACTIVE.store(true, Ordering::Relaxed));
    for event in ["pointerdown", "keydown", "input"] {
        let _ = document.add_event_listener_with_callback(event, mark.as_ref().unchecked_ref());
    }
    // The listener lives as long as the page.
    mark.forget();
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState {
        lang: remembered(LANG_STORAGE_KEY)
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default(),
        ..AppState::default()
    });
    let lang = state.lang;
    let startup_error = use_state(|| None::<Key>);
    let attempt = use_state(|| 0u32);

    use_effect_with(lang, |&lang| apply_lang(lang));
    use_effect_with((), |_| {
        watch_activity();
        apply_display(display_settings());
    });
    // A saved record shows in the header's count at once, not at the next poll.
    {
        let state = state.clone();
        use_effect_with((), move |_| watch_writes(state));
    }

    {
        let (state, startup_error) = (state.clone(), startup_error.clone());
        use_effect_with(*attempt, move |_| start(state, startup_error));
    }

    // The sync status, polled while the device is enrolled.
    let tick = use_tick(SYNC_POLL_MS);
    let enrolled = state.access != Access::New;
    {
        let state = state.clone();
        use_effect_with((tick, enrolled), move |&(_, enrolled)| {
            if enrolled {
                let active = ACTIVE.swap(false, Ordering::Relaxed);
                spawn_local(async move {
                    if let Ok(view) = tauri::sync_status(active).await {
                        state.dispatch(Action::SetSync(view));
                    }
                });
            }
        });
    }
    // Erased (ten wrong PINs, or "erase and enrol again"): back to enrolment.
    {
        let state = state.clone();
        use_effect_with((state.access, state.route), move |&(access, route)| {
            if access == Access::New
                && (route.section().is_some() || matches!(route, Route::FirstSync | Route::Device))
            {
                state.dispatch(Action::Navigate(Route::Enrol));
            }
        });
    }
    // A stale device goes on recording (with a banner that says what is
    // hidden and why); locked and revoked cover the page.
    let shown = matches!(state.access, Access::Open | Access::Stale)
        || matches!(state.route, Route::Loading | Route::NeedsApp | Route::Enrol);
    // The catalogue, again after every sync that brought something.
    {
        let state = state.clone();
        let open = matches!(state.access, Access::Open | Access::Stale);
        use_effect_with((state.sync_generation, open), move |&(_, open)| {
            if open {
                spawn_local(async move {
                    if let Ok(catalogue) = tauri::catalogue().await {
                        state.dispatch(Action::SetCatalogue(catalogue));
                    }
                });
            }
        });
    }
    // Remember the section, so the app reopens where the person works.
    use_effect_with(state.route.section(), |section| {
        if let Some(section) = section {
            remember(SECTION_STORAGE_KEY, section.code());
        }
    });

    let on_lang = {
        let state = state.clone();
        Callback::from(move |lang: Lang| state.dispatch(Action::SetLang(lang)))
    };
    let on_lock = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let state = state.clone();
            spawn_local(async move {
                if let Ok(info) = tauri::lock().await {
                    state.dispatch(Action::SetInfo(info));
                }
            });
        })
    };
    let page = match state.route {
        Route::Loading => match *startup_error {
            Some(error) => {
                let retry = {
                    let attempt = attempt.clone();
                    Callback::from(move |_: MouseEvent| attempt.set(*attempt + 1))
                };
                html! {
                    <section class="page">
                        <ErrorBanner {lang} error={Some(error)} />
                        <button type="button" class="button button-primary" onclick={retry}>
                            { t(lang, Key::Retry) }
                        </button>
                    </section>
                }
            }
            None => html! { <p class="loading" aria-busy="true">{ t(lang, Key::Loading) }</p> },
        },
        Route::NeedsApp => html! { <NeedsApp /> },
        Route::Enrol => html! { <Enrol /> },
        Route::FirstSync => html! { <FirstSync /> },
        Route::Outreach => html! { <Outreach /> },
        Route::NewContact => html! { <ContactFormPage id={None::<odnowa_shared::ids::DocId>} /> },
        Route::NewContactWith(person) => html! {
            <ContactFormPage id={None::<odnowa_shared::ids::DocId>} with={Some(person)} />
        },
        Route::EditContact(id) => html! { <ContactFormPage id={Some(id)} /> },
        Route::Contact(id) => html! { <ContactDetail {id} /> },
        Route::DayRoom => html! { <DayRoom /> },
        Route::Workshops => html! { <Workshops /> },
        Route::NewWorkshop => html! { <WorkshopFormPage id={None::<odnowa_shared::ids::DocId>} /> },
        Route::EditWorkshop(id) => html! { <WorkshopFormPage id={Some(id)} /> },
        Route::Workshop(id) => html! { <WorkshopDetail {id} /> },
        Route::Person(person) => html! { <PersonFilePage {person} /> },
        Route::NewDiagnosis(person) => html! { <DiagnosisFormPage {person} /> },
        Route::NewProgramme(person) => html! { <ProgrammeFormPage {person} /> },
        Route::Programme(id) => html! { <ProgrammePage {id} /> },
        Route::NewReferral(person) => html! { <ReferralFormPage {person} /> },
        Route::Referrals => html! { <ReferralsPage /> },
        Route::Device => html! { <DevicePage /> },
    };
    // Forms hide the navigation: their Save bar owns the bottom of the screen.
    let with_nav = shown
        && state.route.section().is_some()
        && !matches!(
            state.route,
            Route::NewContact
                | Route::NewContactWith(_)
                | Route::EditContact(_)
                | Route::NewWorkshop
                | Route::EditWorkshop(_)
                | Route::NewDiagnosis(_)
                | Route::NewProgramme(_)
                | Route::NewReferral(_)
        );
    html! {
        <ContextProvider<AppHandle> context={state.clone()}>
            <div class={classes!("app", with_nav.then_some("has-nav"))}>
                <Header {lang} {on_lang} show_sync={enrolled} show_lang={state.route != Route::Enrol}
                    on_lock={(shown && enrolled).then_some(on_lock)} />
                if !shown {
                    <main class="app-main"><LockScreen access={state.access} /></main>
                }
                if shown && state.access == Access::Stale && state.route.section().is_some() {
                    <StaleBanner />
                }
                // Hidden, not unmounted: a half-typed form survives the lock.
                <main class="app-main" hidden={!shown}>{ page }</main>
                if with_nav {
                    <BottomNav />
                }
            </div>
        </ContextProvider<AppHandle>>
    }
}

/// Reads the sync status whenever a command saved something (the event
/// [`tauri::WRITE_EVENT`]), for as long as the page lives.
fn watch_writes(state: AppHandle) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = Closure::<dyn Fn()>::new(move || {
        let state = state.clone();
        spawn_local(async move {
            if let Ok(view) = tauri::sync_status(true).await {
                state.dispatch(Action::SetSync(view));
            }
        });
    });
    let _ = window
        .add_event_listener_with_callback(tauri::WRITE_EVENT, listener.as_ref().unchecked_ref());
    listener.forget();
}

/// Decides the first screen: the notice in a plain browser, enrolment
/// without an identity, otherwise the remembered section.
fn start(state: AppHandle, startup_error: UseStateHandle<Option<Key>>) {
    if !tauri::is_tauri() {
        state.dispatch(Action::Navigate(Route::NeedsApp));
        return;
    }
    spawn_local(async move {
        match tauri::app_info().await {
            Ok(info) => {
                let enrolled = info.lock.access != Access::New;
                state.dispatch(Action::SetInfo(info));
                let route = if enrolled {
                    remembered(SECTION_STORAGE_KEY)
                        .and_then(|code| Section::from_code(&code))
                        .unwrap_or(Section::Outreach)
                        .home()
                } else {
                    Route::Enrol
                };
                startup_error.set(None);
                state.dispatch(Action::Navigate(route));
            }
            Err(error) => startup_error.set(Some(error.key())),
        }
    });
}

/// Remembers `lang` and tells the document (screen readers, hyphenation,
/// the window title).
fn apply_lang(lang: Lang) {
    remember(LANG_STORAGE_KEY, lang.code());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    document.set_title(t(lang, Key::AppName));
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute("lang", lang.code());
    }
}
