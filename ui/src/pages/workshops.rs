//! [`Workshops`]: the facilitator's list of workshops, newest first, each
//! with its confirmed mark, and a "New workshop" button.

use yew::prelude::*;

use crate::components::{ConfirmedMark, ErrorBanner};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, t, tf, versions};
use crate::model::format;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

#[function_component(Workshops)]
pub fn workshops() -> Html {
    let app = use_context::<AppHandle>();
    let generation = app.as_ref().map(|a| a.sync_generation).unwrap_or_default();
    let list = use_load(generation, |_| tauri::workshops());
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let new_workshop = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::NewWorkshop)))
    };
    let body = match &*list {
        Load::Loading => html! { <p class="loading">{ t(lang, Key::Loading) }</p> },
        Load::Failed(failure) => html! { <ErrorBanner {lang} error={Some(failure.key())} /> },
        Load::Ready(list) if list.is_empty() => {
            html! { <p class="empty">{ t(lang, Key::NoWorkshops) }</p> }
        }
        Load::Ready(list) => {
            let rows = list.iter().map(|workshop| {
                let onclick = {
                    let (app, id) = (app.clone(), workshop.id);
                    Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Workshop(id))))
                };
                html! {
                    <li><button type="button" class="record-row" data-testid="workshop-row"
                        data-workshop-id={workshop.id.to_string()} data-confirmed={workshop.confirmed.to_string()} {onclick}>
                        <span class="record-time">{ format::date(lang, workshop.date) }</span>
                        <span class="record-main">
                            <span class="record-title">{ &workshop.theme }</span>
                            <span class="record-sub">
                                { &workshop.site_name }{ " · " }
                                { tf(lang, Key::ParticipantsCount, &[("n", &workshop.participants.len().to_string())]) }
                            </span>
                            if workshop.conflicts > 0 {
                                <span class="badge" data-testid="versions-badge">{ versions(lang, 2) }</span>
                            }
                        </span>
                        <ConfirmedMark {lang} confirmed={workshop.confirmed} />
                    </button></li>
                }
            });
            html! { <ul class="record-list" data-testid="workshop-list">{ for rows }</ul> }
        }
    };
    html! {
        <section class="page page-workshops">
            <h2 class="page-title">{ t(lang, Key::WorkshopsTitle) }</h2>
            <button type="button" id="new-workshop" data-testid="new-workshop"
                class="button button-primary button-hero" onclick={new_workshop}>
                <span aria-hidden="true">{ "+" }</span>{ " " }{ t(lang, Key::NewWorkshop) }
            </button>
            { body }
        </section>
    }
}
