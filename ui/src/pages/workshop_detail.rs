//! [`WorkshopDetail`]: one workshop, its confirmed mark, versions and
//! history, and "Edit".

use odnowa_shared::ids::DocId;
use yew::prelude::*;

use crate::components::{ConfirmedMark, ErrorBanner, RecordMetaPanel};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, t};
use crate::model::format;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

#[derive(Properties, PartialEq)]
pub struct WorkshopDetailProps {
    pub id: DocId,
}

#[function_component(WorkshopDetail)]
pub fn workshop_detail(props: &WorkshopDetailProps) -> Html {
    let app = use_context::<AppHandle>();
    let generation = app.as_ref().map(|a| a.sync_generation).unwrap_or_default();
    let local = use_state(|| 0u64);
    let workshop = use_load((props.id, generation, *local), |(id, _, _)| {
        tauri::workshop(id)
    });
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Workshops)))
    };
    let head = html! {
        <div class="page-head">
            <button type="button" class="button button-back" data-testid="back" onclick={back}>
                <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
            </button>
            <h2 class="page-title">{ t(lang, Key::WorkshopTitle) }</h2>
        </div>
    };
    let workshop = match &*workshop {
        Load::Loading => {
            return html! { <section class="page">{ head }<p class="loading">{ t(lang, Key::Loading) }</p></section> };
        }
        Load::Failed(failure) => {
            return html! { <section class="page">{ head }<ErrorBanner {lang} error={Some(failure.key())} /></section> };
        }
        Load::Ready(workshop) => workshop.clone(),
    };
    let id = workshop.id;
    let edit = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::EditWorkshop(id))))
    };
    let on_changed = {
        let local = local.clone();
        Callback::from(move |_| local.set(*local + 1))
    };
    let participants = workshop.participants.iter().map(|p| html! {
        <li class="line-row" data-testid="participant-row" data-person-id={p.person.to_string()}>
            <span>{ format::shown_alias(lang, &p.alias) }</span>
            <span class="line-value">{ format::hours(lang, p.hours) }{ " " }{ t(lang, Key::HoursShort) }</span>
        </li>
    });
    let items = workshop.items.iter().map(|item| {
        html! {
            <li class="line-row" data-testid="item-row">
                <span>{ &item.name }</span><span class="line-value">{ item.count }{ " " }{ t(lang, Key::ItemUnit) }</span>
            </li>
        }
    });
    html! {
        <section class="page page-workshop" data-testid="workshop-detail" data-workshop-id={id.to_string()}>
            { head }
            <p class="record-status"><ConfirmedMark {lang} confirmed={workshop.confirmed} /></p>
            <dl class="facts">
                <dt>{ t(lang, Key::WorkshopDate) }</dt><dd>{ format::date(lang, workshop.date) }</dd>
                <dt>{ t(lang, Key::WorkshopSite) }</dt><dd>{ &workshop.site_name }</dd>
                <dt>{ t(lang, Key::WorkshopTheme) }</dt><dd data-testid="workshop-theme-value">{ &workshop.theme }</dd>
                if !workshop.motif.is_empty() {
                    <dt>{ t(lang, Key::WorkshopMotif) }</dt><dd>{ &workshop.motif }</dd>
                }
                if !workshop.materials.is_empty() {
                    <dt>{ t(lang, Key::WorkshopMaterials) }</dt><dd>{ &workshop.materials }</dd>
                }
            </dl>
            <h3 class="section-title">{ t(lang, Key::Participants) }</h3>
            <ul class="lines">{ for participants }</ul>
            <h3 class="section-title">{ t(lang, Key::ItemsMade) }</h3>
            <ul class="lines">{ for items }</ul>
            <button type="button" class="button button-secondary button-wide" data-testid="edit-workshop" onclick={edit}>
                { t(lang, Key::Edit) }
            </button>
            <RecordMetaPanel {lang} {id} generation={generation + *local} {on_changed} />
        </section>
    }
}
