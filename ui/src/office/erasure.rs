//! Erasing a person (the right to be forgotten): on a person's timeline,
//! what the erasure would delete and rewrite, the request's reference and
//! a confirmation; and the Erasures page, listing each erasure with the
//! devices that have not yet confirmed their purge.

use odnowa_shared::ids::PersonId;
use odnowa_shared::office::{Erasure, ErasurePlan, PendingDevice};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use odnowa_shared::search::fold;

use super::{Failure, OfficeRoute, loading, use_office};
use crate::components::ErrorBanner;
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::office_api;

#[derive(Properties, PartialEq)]
pub struct ErasePanelProps {
    pub person: PersonId,
    /// Who is erased, as the heading names them and the confirmation asks
    /// for them (alias and birth year, typed).
    pub alias: String,
    pub birth_year: Option<i64>,
}

/// The erasure of one person: first a button, then the plan, the reason
/// and a confirmed "erase for good".
#[function_component(ErasePanel)]
pub fn erase_panel(props: &ErasePanelProps) -> Html {
    let office = use_office();
    let lang = office.lang;
    let plan = use_state(|| None::<ErasurePlan>);
    let reason = use_state(String::new);
    let typed_alias = use_state(String::new);
    let typed_year = use_state(String::new);
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let person = props.person;

    let show = {
        let (plan, error) = (plan.clone(), error.clone());
        Callback::from(move |_: MouseEvent| {
            let (plan, error) = (plan.clone(), error.clone());
            spawn_local(async move {
                match office_api::erasure_plan(person).await {
                    Ok(found) => {
                        error.set(None);
                        plan.set(Some(found));
                    }
                    Err(e) => error.set(Some(e.key())),
                }
            });
        })
    };
    let oninput = {
        let reason = reason.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                reason.set(input.value());
            }
        })
    };
    let erase = {
        let (reason, error, busy) = (reason.clone(), error.clone(), busy.clone());
        let navigate = office.navigate.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let (text, error, busy) = ((*reason).clone(), error.clone(), busy.clone());
            let navigate = navigate.clone();
            spawn_local(async move {
                match office_api::erase(person, text).await {
                    Ok(_) => navigate.emit(OfficeRoute::Erasures),
                    Err(e) => {
                        error.set(Some(e.key()));
                        busy.set(false);
                    }
                }
            });
        })
    };

    // The person is named twice before anything goes: the alias and the
    // birth year typed as the page shows them (case and diacritics aside).
    let named = fold(typed_alias.trim()) == fold(props.alias.trim())
        && !props.alias.trim().is_empty()
        && match props.birth_year {
            Some(year) => typed_year.trim() == year.to_string(),
            None => true,
        };
    let text = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                state.set(input.value());
            }
        })
    };
    let body = match &*plan {
        None => html! {
            <button type="button" class="button button-danger" data-testid="erase-plan" onclick={show}>
                { t(lang, Key::EraseShowPlan) }
            </button>
        },
        // What other organisations hold is the consortium office's to
        // erase: a coordinator sees why, and no button.
        Some(plan) if plan.held_elsewhere > 0 => html! {
            <p class="notice" role="status" data-testid="erase-held-elsewhere">
                { tf(lang, Key::EraseHeldElsewhere, &[("n", &plan.held_elsewhere.to_string())]) }
            </p>
        },
        Some(plan) => html! {
            <form onsubmit={erase} data-testid="erase-form">
                <ul class="erase-plan" data-testid="erase-plan-lines">
                    <li>{ tf(lang, Key::ErasePlanDeleted, &[
                        ("persons", &plan.persons.len().to_string()),
                        ("notes", &plan.case_notes.to_string()),
                    ]) }</li>
                    <li>{ tf(lang, Key::ErasePlanRewritten, &[("contacts", &plan.contacts.to_string())]) }</li>
                    <li>{ tf(lang, Key::ErasePlanKept, &[("records", &plan.other_records.to_string())]) }</li>
                    <li>{ t(lang, Key::ErasePlanDevices) }</li>
                </ul>
                <label class="field">
                    <span class="field-label">{ t(lang, Key::EraseReason) }</span>
                    <input type="text" required=true maxlength="500" value={(*reason).clone()}
                        {oninput} data-testid="erase-reason" />
                </label>
                <p class="notice">{ t(lang, Key::EraseConfirm) }</p>
                <label class="field">
                    <span class="field-label">{ t(lang, Key::EraseTypeAlias) }</span>
                    <input type="text" autocomplete="off" value={(*typed_alias).clone()}
                        oninput={text(&typed_alias)} data-testid="erase-alias" />
                </label>
                if props.birth_year.is_some() {
                    <label class="field">
                        <span class="field-label">{ t(lang, Key::EraseTypeYear) }</span>
                        <input type="text" inputmode="numeric" autocomplete="off" value={(*typed_year).clone()}
                            oninput={text(&typed_year)} data-testid="erase-year" />
                    </label>
                }
                <button type="submit" class="button button-danger" data-testid="erase-confirm"
                    disabled={*busy || reason.trim().is_empty() || !named}>
                    { t(lang, Key::EraseConfirmButton) }
                </button>
            </form>
        },
    };
    html! {
        <section class="office-card erase" data-testid="erase">
            <h3>{ tf(lang, Key::EraseTitleOf, &[("alias", &props.alias)]) }</h3>
            <p class="muted">{ t(lang, Key::EraseIntro) }</p>
            <ErrorBanner {lang} error={*error} />
            { body }
        </section>
    }
}

fn pending_line(lang: Lang, device: &PendingDevice) -> Html {
    let seen = match device.last_seen_at {
        Some(at) => tf(
            lang,
            Key::DeviceLastSeen,
            &[("when", &format::date_time(lang, at))],
        ),
        None => t(lang, Key::DeviceNeverSeen).into(),
    };
    let revoked = device.revoked_at.map(|at| {
        tf(
            lang,
            Key::DeviceRevoked,
            &[("date", &format::date_time(lang, at))],
        )
    });
    html! {
        <li class="team-device" data-testid="erasure-pending" data-device={device.name.clone()}>
            <span>
                <strong>{ format!("{} · {}", device.user, device.name) }</strong>
                <br />
                <span class="muted">
                    { tf(lang, Key::ErasurePendingDocs, &[("n", &device.documents.to_string())]) }
                    { " · " }{ seen }
                    if let Some(revoked) = revoked {
                        { " · " }{ revoked }
                    }
                </span>
            </span>
        </li>
    }
}

fn erasure_view(lang: Lang, erasure: &Erasure, navigate: &Callback<OfficeRoute>) -> Html {
    let short = erasure.person.to_string();
    // A revoked device never syncs again: its copy stays locked under its
    // PIN. It cannot confirm, and nobody waits for it.
    let (revoked, waiting): (Vec<&PendingDevice>, Vec<&PendingDevice>) =
        erasure.pending.iter().partition(|d| d.revoked_at.is_some());
    let person = erasure.person;
    let open = navigate.reform(move |_: MouseEvent| OfficeRoute::Timeline(person));
    html! {
        <li class="office-card" data-testid="erasure" data-person={erasure.person.to_string()}>
            <h3>{ format::date_time(lang, erasure.at) }{ " · " }{ &erasure.reason }</h3>
            <p class="muted">{ tf(lang, Key::ErasureLine, &[
                ("by", &erasure.by),
                ("reason", &erasure.reason),
                ("deleted", &erasure.deleted.to_string()),
                ("rewritten", &erasure.rewritten.to_string()),
            ]) }</p>
            if waiting.is_empty() {
                <p data-testid="erasure-confirmed">{ t(lang, Key::ErasureAllConfirmed) }</p>
            } else {
                <ul class="office-list">{ for waiting.iter().map(|d| pending_line(lang, d)) }</ul>
            }
            if !revoked.is_empty() {
                <p class="muted" data-testid="erasure-revoked">
                    { t(lang, Key::ErasureRevokedDevices) }{ " " }
                    { revoked.iter().map(|d| format!("{} · {}", d.user, d.name)).collect::<Vec<_>>().join(", ") }
                </p>
            }
            <details class="tech-details">
                <summary>{ t(lang, Key::TechnicalDetails) }</summary>
                <p class="mono">
                    { t(lang, Key::ErasureRequestId) }{ " " }{ &erasure.id }<br />
                    { t(lang, Key::ErasedPersonId) }{ " " }
                    <button type="button" class="link-button mono" data-testid="erasure-person" onclick={open}>
                        { short }
                    </button>
                </p>
            </details>
        </li>
    }
}

/// Every erasure, newest first, with the devices still holding a copy.
#[function_component(ErasuresPage)]
pub fn erasures_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let erasures = use_load((), |_| office_api::erasures());
    let body = match &*erasures {
        Load::Loading => loading(lang),
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        Load::Ready(list) if list.is_empty() => {
            html! { <p class="empty">{ t(lang, Key::ErasuresEmpty) }</p> }
        }
        Load::Ready(list) => html! {
            <ul class="office-team">{ for list.iter().map(|e| erasure_view(lang, e, &office.navigate)) }</ul>
        },
    };
    html! {
        <section class="office-page" data-testid="erasures">
            <h2>{ t(lang, Key::ErasuresTitle) }</h2>
            <p class="muted">{ t(lang, Key::ErasuresIntro) }</p>
            { body }
        </section>
    }
}
