//! [`WorkshopFormPage`]: a new workshop (or a change to one): date, site,
//! theme, local motif, materials, participants with hours (picked by the
//! same alias search), items made with counts. Save stays at the bottom.

use std::rc::Rc;

use odnowa_shared::ids::{DocId, SiteId};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{DateField, ErrorBanner, PersonSearch};
use crate::hooks::today;
use crate::i18n::{Key, t, tf};
use crate::model::workshop_form::{WorkshopAction, WorkshopForm};
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

/// The form in a reducer, so callbacks always act on the latest state.
#[derive(Clone, Debug, PartialEq)]
struct FormState(WorkshopForm);

enum Msg {
    Form(WorkshopAction),
    Replace(WorkshopForm),
}

impl Reducible for FormState {
    type Action = Msg;
    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut next = self.0.clone();
        match msg {
            Msg::Form(action) => next.apply(action),
            Msg::Replace(form) => next = form,
        }
        Rc::new(FormState(next))
    }
}

#[derive(Properties, PartialEq)]
pub struct WorkshopFormProps {
    pub id: Option<DocId>,
}

#[function_component(WorkshopFormPage)]
pub fn workshop_form_page(props: &WorkshopFormProps) -> Html {
    let app = use_context::<AppHandle>();
    let form = use_reducer(|| FormState(WorkshopForm::new(today(), None)));
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let lang = app.as_ref().map(|a| a.lang).unwrap_or_default();
    // Sites: workshop rooms first; every site when the catalogue has none.
    let sites = app
        .as_ref()
        .map(|app| {
            let rooms: Vec<_> = app
                .catalogue
                .sites
                .iter()
                .filter(|s| s.site_kind == odnowa_shared::records::site_kind::WORKSHOP)
                .cloned()
                .collect();
            if rooms.is_empty() {
                app.catalogue.sites.clone()
            } else {
                rooms
            }
        })
        .unwrap_or_default();
    {
        let form = form.clone();
        let only_site = (sites.len() == 1).then(|| sites[0].id);
        use_effect_with((props.id, only_site), move |&(id, only_site)| match id {
            Some(id) => spawn_local(async move {
                if let Ok(workshop) = tauri::workshop(id).await {
                    form.dispatch(Msg::Replace(WorkshopForm::edit(lang, &workshop)));
                }
            }),
            None => {
                if form.0.site.is_none() && only_site.is_some() {
                    form.dispatch(Msg::Form(WorkshopAction::SetSite(only_site)));
                }
            }
        });
    }
    let Some(app) = app else {
        return html! {};
    };
    let state = &form.0;
    let act = {
        let form = form.clone();
        Callback::from(move |action: WorkshopAction| form.dispatch(Msg::Form(action)))
    };
    let input = |make: fn(String) -> WorkshopAction| {
        act.reform(move |event: InputEvent| {
            make(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_site = act.reform(|event: Event| {
        let value = event.target_unchecked_into::<HtmlSelectElement>().value();
        WorkshopAction::SetSite(value.parse::<SiteId>().ok())
    });
    let site_options = sites.iter().map(|site| {
        let selected = state.site == Some(site.id);
        html! { <option value={site.id.to_string()} {selected}>{ &site.name }</option> }
    });
    let on_materials = act.reform(|event: InputEvent| {
        WorkshopAction::SetMaterials(event.target_unchecked_into::<HtmlTextAreaElement>().value())
    });
    let participants = state.participants.iter().map(|row| {
        let person = row.person;
        let label = tf(lang, Key::HoursLabel, &[("name", &row.alias)]);
        html! {
            <li class="line-row" data-testid="participant-row" data-person-id={person.to_string()}>
                <span class="line-name">{ crate::model::format::shown_alias(lang, &row.alias) }</span>
                <input class="text-input input-hours" type="text" inputmode="decimal" aria-label={label}
                    data-testid="participant-hours" value={row.hours.clone()}
                    oninput={act.reform(move |e: InputEvent| WorkshopAction::SetHours(person, e.target_unchecked_into::<HtmlInputElement>().value()))} />
                <span class="line-unit" aria-hidden="true">{ t(lang, Key::HoursShort) }</span>
                <button type="button" class="remove-button"
                    aria-label={tf(lang, Key::RemoveNamed, &[("name", &row.alias)])}
                    onclick={act.reform(move |_: MouseEvent| WorkshopAction::RemoveParticipant(person))}>{ "×" }</button>
            </li>
        }
    });
    let items = state.items.iter().enumerate().map(|(at, item)| {
        let name_label = t(lang, Key::ItemName);
        html! {
            <li class="line-row" data-testid="item-row">
                <input class="text-input line-name" type="text" aria-label={name_label} placeholder={name_label}
                    data-testid="item-name" value={item.name.clone()}
                    oninput={act.reform(move |e: InputEvent| WorkshopAction::SetItemName(at, e.target_unchecked_into::<HtmlInputElement>().value()))} />
                <input class="text-input input-count" type="text" inputmode="numeric" aria-label={t(lang, Key::ItemCount)}
                    placeholder="1" data-testid="item-count" value={item.count.clone()}
                    oninput={act.reform(move |e: InputEvent| WorkshopAction::SetItemCount(at, e.target_unchecked_into::<HtmlInputElement>().value()))} />
                <span class="line-unit" aria-hidden="true">{ t(lang, Key::ItemUnit) }</span>
                <button type="button" class="remove-button"
                    aria-label={tf(lang, Key::RemoveNamed, &[("name", &item.name)])}
                    onclick={act.reform(move |_: MouseEvent| WorkshopAction::RemoveItem(at))}>{ "×" }</button>
            </li>
        }
    });
    let back_route = match props.id {
        Some(id) => Route::Workshop(id),
        None => Route::Workshops,
    };
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(back_route)))
    };
    let save = {
        let (form, error, busy, app) = (form.clone(), error.clone(), busy.clone(), app.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let draft = match form.0.to_draft() {
                Ok(draft) => draft,
                Err(problem) => {
                    error.set(Some(problem.key()));
                    return;
                }
            };
            let (error, busy, app) = (error.clone(), busy.clone(), app.clone());
            busy.set(true);
            spawn_local(async move {
                match tauri::save_workshop(&draft).await {
                    Ok(saved) => {
                        error.set(None);
                        app.dispatch(Action::Navigate(Route::Workshop(saved.id)));
                    }
                    Err(failure) => error.set(Some(failure.key())),
                }
                busy.set(false);
            });
        })
    };
    let title = if props.id.is_some() {
        Key::EditWorkshopTitle
    } else {
        Key::NewWorkshop
    };
    html! {
        <section class="page page-form page-workshop-form" data-testid="workshop-form">
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, title) }</h2>
            </div>
            <div class="form-grid">
                <div>
                    <label class="field-label" for="workshop-date">{ t(lang, Key::WorkshopDate) }</label>
                    <DateField {lang} id="workshop-date" value={state.date.clone()}
                        on_change={act.reform(WorkshopAction::SetDate)}
                        chips={vec![(Key::DayToday, 0), (Key::DayYesterday, -1)]} />
                </div>
                <div>
                    <label class="field-label" for="workshop-site">{ t(lang, Key::WorkshopSite) }</label>
                    <select id="workshop-site" data-testid="workshop-site" class="text-input" onchange={on_site}>
                        <option value="" selected={state.site.is_none()}>{ t(lang, Key::ChooseOption) }</option>
                        { for site_options }
                    </select>
                </div>
            </div>
            <label class="field-label" for="workshop-theme">{ t(lang, Key::WorkshopTheme) }</label>
            <input id="workshop-theme" data-testid="workshop-theme" class="text-input" type="text"
                value={state.theme.clone()} oninput={input(WorkshopAction::SetTheme)} />
            <label class="field-label" for="workshop-motif">{ t(lang, Key::WorkshopMotif) }</label>
            <input id="workshop-motif" data-testid="workshop-motif" class="text-input" type="text"
                value={state.motif.clone()} oninput={input(WorkshopAction::SetMotif)} />
            <label class="field-label" for="workshop-materials">{ t(lang, Key::WorkshopMaterials) }</label>
            <textarea id="workshop-materials" data-testid="workshop-materials" class="text-input text-area" rows="2"
                value={state.materials.clone()} oninput={on_materials} />

            <h3 class="section-title">{ t(lang, Key::Participants) }</h3>
            <ul class="lines">{ for participants }</ul>
            <PersonSearch {lang} query={state.query.clone()}
                on_query={act.reform(WorkshopAction::SetQuery)}
                on_pick={act.reform(WorkshopAction::AddParticipant)}
                exclude={state.participants.iter().map(|p| p.person).collect::<Vec<_>>()} />

            <h3 class="section-title">{ t(lang, Key::ItemsMade) }</h3>
            <ul class="lines">{ for items }</ul>
            <button type="button" class="button button-secondary" data-testid="add-item"
                onclick={act.reform(|_: MouseEvent| WorkshopAction::AddItem)}>
                <span aria-hidden="true">{ "+ " }</span>{ t(lang, Key::AddItem) }
            </button>

            <div class="save-bar">
                <ErrorBanner {lang} error={*error} />
                <button type="button" id="save-workshop" data-testid="save-workshop"
                    class="button button-primary button-wide" disabled={*busy} onclick={save}>
                    { t(lang, if *busy { Key::Saving } else { Key::Save }) }
                </button>
            </div>
        </section>
    }
}
