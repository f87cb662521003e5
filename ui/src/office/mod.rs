//! The consortium office: what the app is in a plain desktop browser,
//! served by the sync server at `/`. [`OfficeApp`] owns the language, the
//! logged-in user and the route; pages fetch through
//! [`crate::office_api`] and share the components of the field app
//! (language switch, error banner).
//!
//! A call refused with "no session" anywhere sends the person back to the
//! login with a message, whatever page they were on.

mod audit;
mod catalogue;
mod dashboard;
mod duplicates;
mod erasure;
mod login;
mod persons;
mod records;
mod report;
mod team;

use odnowa_shared::ids::{DocId, PersonId};
use odnowa_shared::office::OfficeUser;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{ErrorBanner, LangSwitch};
use crate::hooks::{remember, remembered};
use crate::i18n::{Key, Lang, t, tf};
use crate::office_api::{self, CallError};

/// Where the chosen language is remembered.
const LANG_STORAGE_KEY: &str = "odnowa.lang";

/// The office's screens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OfficeRoute {
    Dashboard,
    Records,
    Record(DocId),
    Persons,
    Timeline(PersonId),
    Duplicates,
    Report,
    Catalogue,
    Team,
    Erasures,
}

impl OfficeRoute {
    /// The section the navigation marks as current.
    fn section(self) -> OfficeRoute {
        match self {
            OfficeRoute::Record(_) => OfficeRoute::Records,
            OfficeRoute::Timeline(_) => OfficeRoute::Persons,
            other => other,
        }
    }
}

/// What every office page gets from the app.
#[derive(Clone, PartialEq)]
pub struct OfficeHandle {
    pub lang: Lang,
    pub user: OfficeUser,
    pub navigate: Callback<OfficeRoute>,
    /// Tells the app the session ended: back to the login.
    pub session_ended: Callback<()>,
}

/// The root of the office.
#[function_component(OfficeApp)]
pub fn office_app() -> Html {
    let lang = use_state(|| {
        remembered(LANG_STORAGE_KEY)
            .and_then(|code| Lang::from_code(&code))
            .unwrap_or_default()
    });
    let user = use_state(|| None::<OfficeUser>);
    let checked = use_state(|| false);
    let notice = use_state(|| None::<Key>);
    let route = use_state(|| OfficeRoute::Dashboard);

    use_effect_with(*lang, |&lang| {
        remember(LANG_STORAGE_KEY, lang.code());
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(&format!(
                "{} · {}",
                t(lang, Key::OfficeTitle),
                t(lang, Key::AppName)
            ));
            if let Some(root) = document.document_element() {
                let _ = root.set_attribute("lang", lang.code());
            }
        }
    });
    // A session from before (the cookie) is used without a new login.
    {
        let (user, checked) = (user.clone(), checked.clone());
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Ok(me) = office_api::me().await {
                    user.set(Some(me));
                }
                checked.set(true);
            });
        });
    }

    let on_lang = {
        let lang = lang.clone();
        Callback::from(move |choice: Lang| lang.set(choice))
    };
    let on_login = {
        let (user, notice, route) = (user.clone(), notice.clone(), route.clone());
        Callback::from(move |me: OfficeUser| {
            notice.set(None);
            // A coordinator's dashboard counts their organisation only.
            route.set(OfficeRoute::Dashboard);
            user.set(Some(me));
        })
    };
    let session_ended = {
        let (user, notice) = (user.clone(), notice.clone());
        Callback::from(move |()| {
            notice.set(Some(Key::SessionEnded));
            user.set(None);
        })
    };
    let navigate = {
        let route = route.clone();
        Callback::from(move |to: OfficeRoute| {
            route.set(to);
            if let Some(window) = web_sys::window() {
                window.scroll_to_with_x_and_y(0.0, 0.0);
            }
        })
    };

    let lang_value = *lang;
    let Some(me) = (*user).clone() else {
        return html! {
            <div class="office office-login-screen">
                <header class="office-header">
                    <h1 class="office-brand">{ t(lang_value, Key::OfficeTitle) }</h1>
                    <LangSwitch lang={lang_value} on_change={on_lang} />
                </header>
                if *checked {
                    <login::Login lang={lang_value} notice={*notice} {on_login} />
                } else {
                    <p class="loading" aria-busy="true">{ t(lang_value, Key::Loading) }</p>
                }
            </div>
        };
    };

    let handle = OfficeHandle {
        lang: lang_value,
        user: me.clone(),
        navigate: navigate.clone(),
        session_ended: session_ended.clone(),
    };
    let is_office = me.role == odnowa_shared::office::OfficeRole::Office;
    let mut sections = vec![(OfficeRoute::Dashboard, Key::NavDashboard, "dashboard")];
    sections.push((OfficeRoute::Records, Key::NavRecords, "records"));
    sections.push((OfficeRoute::Persons, Key::NavPersons, "persons"));
    if is_office {
        sections.push((OfficeRoute::Duplicates, Key::NavDuplicates, "duplicates"));
    }
    sections.push((OfficeRoute::Report, Key::NavReport, "report"));
    if is_office {
        sections.push((OfficeRoute::Catalogue, Key::NavCatalogue, "catalogue"));
    } else {
        sections.push((OfficeRoute::Team, Key::NavTeam, "team"));
    }
    sections.push((OfficeRoute::Erasures, Key::NavErasures, "erasures"));
    let current = route.section();
    let nav = sections.into_iter().map(|(to, key, id)| {
        let onclick = navigate.reform(move |_: MouseEvent| to);
        let here = current == to;
        html! {
            <li>
                <button type="button"
                    class={classes!("office-nav-item", here.then_some("is-current"))}
                    aria-current={if here { "page" } else { "false" }}
                    data-testid={format!("nav-{id}")}
                    {onclick}>
                    { t(lang_value, key) }
                </button>
            </li>
        }
    });
    let logout = {
        let user = user.clone();
        Callback::from(move |_: MouseEvent| {
            let user = user.clone();
            spawn_local(async move {
                let _ = office_api::logout().await;
                user.set(None);
            });
        })
    };
    let page = match *route {
        OfficeRoute::Dashboard => html! { <dashboard::DashboardPage /> },
        OfficeRoute::Records => html! { <records::RecordsPage /> },
        OfficeRoute::Record(id) => html! { <records::RecordPage {id} /> },
        OfficeRoute::Persons => html! { <persons::PersonsPage /> },
        OfficeRoute::Timeline(id) => html! { <persons::TimelinePage {id} /> },
        OfficeRoute::Duplicates => html! { <duplicates::DuplicatesPage /> },
        OfficeRoute::Report => html! { <report::ReportPage /> },
        OfficeRoute::Catalogue => html! { <catalogue::CataloguePage /> },
        OfficeRoute::Team => html! { <team::TeamPage /> },
        OfficeRoute::Erasures => html! { <erasure::ErasuresPage /> },
    };
    html! {
        <ContextProvider<OfficeHandle> context={handle}>
            <div class="office">
                <header class="office-header">
                    <h1 class="office-brand">{ t(lang_value, Key::OfficeTitle) }</h1>
                    <span class="office-user" data-testid="office-user">
                        { tf(lang_value, Key::SignedInAs, &[("name", &me.name)]) }
                        if let Some(org) = &me.org_name {
                            { format!(" · {org}") }
                        }
                    </span>
                    <LangSwitch lang={lang_value} on_change={on_lang} />
                    <button type="button" class="button" data-testid="logout" onclick={logout}>
                        { t(lang_value, Key::Logout) }
                    </button>
                </header>
                <div class="office-body">
                    <nav class="office-nav" aria-label={t(lang_value, Key::OfficeNavLabel)}>
                        <ul>{ for nav }</ul>
                    </nav>
                    <main class="office-main">{ page }</main>
                </div>
            </div>
        </ContextProvider<OfficeHandle>>
    }
}

/// The office context, for pages. Every office page is rendered inside
/// the signed-in shell's provider; a page outside it is a programming error
/// (no stand-in user whose role could be trusted by mistake).
#[hook]
pub fn use_office() -> OfficeHandle {
    use_context::<OfficeHandle>().expect("office pages render inside the signed-in shell")
}

#[derive(Properties, PartialEq)]
pub struct FailureProps {
    pub error: CallError,
}

/// A failed call: the translated sentence, or — when the session ended —
/// back to the login.
#[function_component(Failure)]
pub fn failure(props: &FailureProps) -> Html {
    let office = use_office();
    {
        let ended = props.error.session_ended();
        let session_ended = office.session_ended.clone();
        use_effect_with(ended, move |&ended| {
            if ended {
                session_ended.emit(());
            }
        });
    }
    html! { <ErrorBanner lang={office.lang} error={Some(props.error.key())} /> }
}

/// Whether the person confirms `text` (the browser's own dialog).
pub fn confirmed(text: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(text).ok())
        .unwrap_or(false)
}

/// "Loading" while a page's data comes.
pub fn loading(lang: Lang) -> Html {
    html! { <p class="loading" aria-busy="true">{ t(lang, Key::Loading) }</p> }
}
