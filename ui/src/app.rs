//! The root component: owns the [`AppState`] reducer, shares it as the
//! [`AppHandle`] context, decides the first screen (notice, enrolment or
//! work), polls the sync status, and lays out the shell (header, page,
//! bottom navigation).

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{BottomNav, ErrorBanner, Header};
use crate::hooks::{remember, remembered, use_tick};
use crate::i18n::{Key, Lang, t};
use crate::pages::{
    ContactDetail, ContactFormPage, DayRoom, Enrol, FirstSync, NeedsApp, Outreach, WorkshopDetail,
    WorkshopFormPage, Workshops,
};
use crate::state::{Action, AppHandle, AppState, Route, Section};
use crate::tauri;

/// Where the chosen language is remembered between launches.
const LANG_STORAGE_KEY: &str = "odnowa.lang";
/// Where the last section is remembered (a day-room tablet opens on the board).
const SECTION_STORAGE_KEY: &str = "odnowa.section";
/// How often the header asks for the sync status, in milliseconds.
const SYNC_POLL_MS: i32 = 3000;

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

    {
        let (state, startup_error) = (state.clone(), startup_error.clone());
        use_effect_with(*attempt, move |_| start(state, startup_error));
    }

    // The sync status, polled while the device is enrolled.
    let tick = use_tick(SYNC_POLL_MS);
    let enrolled = state.info.as_ref().is_some_and(|i| i.identity.is_some());
    {
        let state = state.clone();
        use_effect_with((tick, enrolled), move |&(_, enrolled)| {
            if enrolled {
                spawn_local(async move {
                    if let Ok(view) = tauri::sync_status().await {
                        state.dispatch(Action::SetSync(view));
                    }
                });
            }
        });
    }
    // The catalogue, again after every sync that brought something.
    {
        let state = state.clone();
        use_effect_with((state.sync_generation, enrolled), move |&(_, enrolled)| {
            if enrolled {
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
        Route::EditContact(id) => html! { <ContactFormPage id={Some(id)} /> },
        Route::Contact(id) => html! { <ContactDetail {id} /> },
        Route::DayRoom => html! { <DayRoom /> },
        Route::Workshops => html! { <Workshops /> },
        Route::NewWorkshop => html! { <WorkshopFormPage id={None::<odnowa_shared::ids::DocId>} /> },
        Route::EditWorkshop(id) => html! { <WorkshopFormPage id={Some(id)} /> },
        Route::Workshop(id) => html! { <WorkshopDetail {id} /> },
    };
    // Forms hide the navigation: their Save bar owns the bottom of the screen.
    let with_nav = state.route.section().is_some()
        && !matches!(
            state.route,
            Route::NewContact | Route::EditContact(_) | Route::NewWorkshop | Route::EditWorkshop(_)
        );
    html! {
        <ContextProvider<AppHandle> context={state.clone()}>
            <div class={classes!("app", with_nav.then_some("has-nav"))}>
                <Header {lang} {on_lang} show_sync={enrolled} show_lang={state.route != Route::Enrol} />
                <main class="app-main">{ page }</main>
                if with_nav {
                    <BottomNav />
                }
            </div>
        </ContextProvider<AppHandle>>
    }
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
                let enrolled = info.identity.is_some();
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
