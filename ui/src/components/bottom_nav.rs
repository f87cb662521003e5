//! [`BottomNav`]: Outreach, Day room, Workshops at the bottom of the screen,
//! where a thumb reaches.

use yew::prelude::*;

use crate::i18n::{Key, t};
use crate::state::{Action, AppHandle, Section};

#[function_component(BottomNav)]
pub fn bottom_nav() -> Html {
    let Some(app) = use_context::<AppHandle>() else {
        return html! {};
    };
    let lang = app.lang;
    let current = app.route.section();
    let items = Section::ALL.into_iter().map(|section| {
        let (icon, key) = match section {
            Section::Outreach => ("☾", Key::NavOutreach),
            Section::DayRoom => ("⌂", Key::NavDayRoom),
            Section::Workshops => ("✂", Key::NavWorkshops),
        };
        let selected = current == Some(section);
        let onclick = {
            let app = app.clone();
            Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(section.home())))
        };
        html! {
            <button
                type="button"
                class={classes!("nav-item", selected.then_some("is-selected"))}
                data-testid={format!("nav-{}", section.code())}
                aria-current={selected.then_some("page")}
                {onclick}
            >
                <span class="nav-icon" aria-hidden="true">{ icon }</span>
                <span class="nav-text">{ t(lang, key) }</span>
            </button>
        }
    });
    html! {
        <nav class="bottom-nav" aria-label={t(lang, Key::NavLabel)}>
            { for items }
        </nav>
    }
}
