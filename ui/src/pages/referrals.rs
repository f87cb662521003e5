//! Referrals: [`ReferralFormPage`] refers a person to a service of another
//! member organisation or to an outside institution, sharing what their
//! consent covers; [`ReferralsPage`] lists those to us (answered here:
//! accept, decline with a reason, done) and those from us, with where
//! each stands.

use odnowa_shared::api::{ReferralAnswer, ReferralTargets, ReferralView};
use odnowa_shared::ids::PersonId;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::ErrorBanner;
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::case::{ReferralForm, domain_name, level_name, referral_status_name};
use crate::model::format;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

#[derive(Properties, PartialEq)]
pub struct ReferralFormProps {
    pub person: PersonId,
}

#[function_component(ReferralFormPage)]
pub fn referral_form_page(props: &ReferralFormProps) -> Html {
    let app = use_context::<AppHandle>();
    let targets = use_load((), |_| tauri::referral_targets());
    let form = use_state(|| ReferralForm {
        share: true,
        ..ReferralForm::default()
    });
    let to_institution = use_state(|| false);
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let person = props.person;
    let targets: ReferralTargets = match &*targets {
        Load::Ready(targets) => targets.clone(),
        _ => ReferralTargets::default(),
    };
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Person(person))))
    };
    let update = |change: fn(&mut ReferralForm, String)| {
        let form = form.clone();
        move |value: String| {
            let mut next = (*form).clone();
            change(&mut next, value);
            form.set(next);
        }
    };
    let on_org = {
        let set = update(|f, v| {
            f.to_org = v.parse().ok();
            f.service.clear();
        });
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_service = {
        let set = update(|f, v| f.service = v);
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_institution = {
        let set = update(|f, v| f.institution = v);
        Callback::from(move |e: Event| set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_reason = {
        let set = update(|f, v| f.reason = v);
        Callback::from(move |e: InputEvent| {
            set(e.target_unchecked_into::<HtmlTextAreaElement>().value())
        })
    };
    let on_share = {
        let set = update(|f, v| f.share = v == "true");
        Callback::from(move |e: Event| {
            set(e
                .target_unchecked_into::<HtmlInputElement>()
                .checked()
                .to_string())
        })
    };
    let kind_tab = |institution: bool, key: Key, testid: &'static str| {
        let selected = *to_institution == institution;
        let onclick = {
            let (to_institution, form) = (to_institution.clone(), form.clone());
            Callback::from(move |_: MouseEvent| {
                to_institution.set(institution);
                let mut next = (*form).clone();
                if institution {
                    next.to_org = None;
                    next.service.clear();
                } else {
                    next.institution.clear();
                }
                form.set(next);
            })
        };
        html! {
            <button type="button" role="tab" aria-selected={selected.to_string()} data-testid={testid}
                class={classes!("segment", selected.then_some("is-selected"))} {onclick}>{ t(lang, key) }</button>
        }
    };
    let chosen_org = targets.orgs.iter().find(|o| Some(o.id) == form.to_org);
    let save = {
        let (form, error, busy, app) = (form.clone(), error.clone(), busy.clone(), app.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let draft = match form.to_draft(person) {
                Ok(draft) => draft,
                Err(problem) => {
                    error.set(Some(problem));
                    return;
                }
            };
            let (error, busy, app) = (error.clone(), busy.clone(), app.clone());
            busy.set(true);
            spawn_local(async move {
                match tauri::send_referral(&draft).await {
                    Ok(_) => app.dispatch(Action::Navigate(Route::Person(person))),
                    Err(failure) => error.set(Some(failure.key())),
                }
                busy.set(false);
            });
        })
    };
    html! {
        <section class="page page-form page-referral-form" data-testid="referral-form">
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, Key::NewReferral) }</h2>
            </div>
            <div class="segments" role="tablist">
                { kind_tab(false, Key::ReferToOrg, "refer-to-org") }
                { kind_tab(true, Key::ReferToInstitution, "refer-to-institution") }
            </div>
            if *to_institution {
                <label class="field-label" for="referral-institution">{ t(lang, Key::ReferralInstitution) }</label>
                <select id="referral-institution" data-testid="referral-institution" class="text-input" onchange={on_institution}>
                    <option value="" selected={form.institution.is_empty()}>{ t(lang, Key::ChooseOption) }</option>
                    { for targets.institutions.iter().map(|i| html! {
                        <option value={i.id.clone()} selected={form.institution == i.id}>{ &i.name }</option>
                    }) }
                </select>
            } else {
                <label class="field-label" for="referral-org">{ t(lang, Key::ReferralOrg) }</label>
                <select id="referral-org" data-testid="referral-org" class="text-input" onchange={on_org}>
                    <option value="" selected={form.to_org.is_none()}>{ t(lang, Key::ChooseOption) }</option>
                    { for targets.orgs.iter().map(|o| html! {
                        <option value={o.id.to_string()} selected={form.to_org == Some(o.id)}>{ &o.name }</option>
                    }) }
                </select>
                if let Some(org) = chosen_org {
                    if !org.services.is_empty() {
                        <label class="field-label" for="referral-service">{ t(lang, Key::ReferralService) }</label>
                        <select id="referral-service" data-testid="referral-service" class="text-input" onchange={on_service}>
                            <option value="" selected={form.service.is_empty()}>{ t(lang, Key::AnyService) }</option>
                            { for org.services.iter().map(|s| html! {
                                <option value={s.code.clone()} selected={form.service == s.code}>
                                    { if lang == Lang::Pl { &s.name_pl } else { &s.name_en } }
                                </option>
                            }) }
                        </select>
                    }
                }
            }
            <label class="field-label" for="referral-reason">{ t(lang, Key::ReferralReason) }</label>
            <textarea id="referral-reason" data-testid="referral-reason" class="text-input text-area" rows="3"
                value={form.reason.clone()} oninput={on_reason} />
            if !*to_institution {
                <label class="check">
                    <input type="checkbox" data-testid="referral-share" checked={form.share} onchange={on_share} />
                    <span>{ t(lang, Key::ShareFile) }</span>
                </label>
                <p class="hint">{ t(lang, Key::ShareHint) }</p>
            }
            <div class="save-bar">
                <ErrorBanner {lang} error={*error} />
                <button type="button" data-testid="send-referral" class="button button-primary button-wide"
                    disabled={*busy} onclick={save}>
                    { t(lang, if *busy { Key::Saving } else { Key::NewReferral }) }
                </button>
            </div>
        </section>
    }
}

#[function_component(ReferralsPage)]
pub fn referrals_page() -> Html {
    let app = use_context::<AppHandle>();
    let generation = app.as_ref().map(|a| a.sync_generation).unwrap_or_default();
    let local = use_state(|| 0u64);
    let list = use_load((generation, *local), |_| tauri::referrals());
    let error = use_state(|| None::<Key>);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Outreach)))
    };
    let on_answer = {
        let (error, local) = (error.clone(), local.clone());
        Callback::from(move |answer: ReferralAnswer| {
            let (error, local) = (error.clone(), local.clone());
            spawn_local(async move {
                match tauri::answer_referral(&answer).await {
                    Ok(_) => {
                        error.set(None);
                        local.set(*local + 1);
                    }
                    Err(failure) => error.set(Some(failure.key())),
                }
            });
        })
    };
    let body = match &*list {
        Load::Loading => html! { <p class="loading">{ t(lang, Key::Loading) }</p> },
        Load::Failed(failure) => html! { <ErrorBanner {lang} error={Some(failure.key())} /> },
        Load::Ready(view) => {
            let section = |key: Key, testid: &'static str, items: &Vec<ReferralView>| {
                html! {
                    <section class="case-section" data-testid={testid}>
                        <h3 class="section-title">{ t(lang, key) }</h3>
                        if items.is_empty() {
                            <p class="empty">{ t(lang, Key::NoReferrals) }</p>
                        }
                        { for items.iter().map(|r| html! {
                            <ReferralCard {lang} referral={r.clone()} on_answer={on_answer.clone()} />
                        }) }
                    </section>
                }
            };
            html! {
                <>
                    { section(Key::ReferralsIncoming, "referrals-incoming", &view.incoming) }
                    { section(Key::ReferralsOutgoing, "referrals-outgoing", &view.outgoing) }
                </>
            }
        }
    };
    html! {
        <section class="page page-referrals" data-testid="referrals">
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, Key::ReferralsTitle) }</h2>
            </div>
            <ErrorBanner {lang} error={*error} />
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ReferralCardProps {
    lang: Lang,
    referral: ReferralView,
    on_answer: Callback<ReferralAnswer>,
}

/// One referral: who, where, why, what was shared, where it stands, and
/// the answers this organisation may give.
#[function_component(ReferralCard)]
fn referral_card(props: &ReferralCardProps) -> Html {
    let lang = props.lang;
    let r = &props.referral;
    let declining = use_state(|| false);
    let reason = use_state(String::new);
    let problem = use_state(|| None::<Key>);
    let answer = |kind: &'static str, note: String| {
        let (on_answer, id) = (props.on_answer.clone(), r.id);
        move || {
            on_answer.emit(ReferralAnswer {
                referral: id,
                answer: kind.into(),
                note: note.clone(),
            })
        }
    };
    let accept = {
        let go = answer("accept", String::new());
        Callback::from(move |_: MouseEvent| go())
    };
    let done = {
        let go = answer("done", String::new());
        Callback::from(move |_: MouseEvent| go())
    };
    let ask_decline = {
        let declining = declining.clone();
        Callback::from(move |_: MouseEvent| declining.set(true))
    };
    let decline = {
        let (reason, problem, on_answer, id) = (
            reason.clone(),
            problem.clone(),
            props.on_answer.clone(),
            r.id,
        );
        Callback::from(move |_: MouseEvent| {
            if reason.trim().is_empty() {
                problem.set(Some(Key::ErrDeclineReason));
                return;
            }
            on_answer.emit(ReferralAnswer {
                referral: id,
                answer: "decline".into(),
                note: reason.trim().to_string(),
            });
        })
    };
    let on_reason = {
        let reason = reason.clone();
        Callback::from(move |e: InputEvent| {
            reason.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let whom = if r.incoming {
        tf(lang, Key::ReferralFrom, &[("org", &r.from_name)])
    } else {
        tf(lang, Key::ReferralTo, &[("org", &r.to_name)])
    };
    let shared =
        !r.shared_domains.is_empty() || !r.shared_goals.is_empty() || !r.shared_wishes.is_empty();
    html! {
        <article class="case-card referral-card" data-testid="referral-card" data-status={r.status.as_str()}
            data-referral-id={r.id.to_string()}>
            <header class="referral-head">
                <strong data-testid="referral-alias">{ format::shown_alias(lang, &r.alias) }</strong>
                <span class={classes!("status", format!("status-{}", r.status.as_str()))} data-testid="referral-status">
                    { referral_status_name(lang, r.status) }
                </span>
            </header>
            <p class="record-sub">{ whom }{ " · " }{ tf(lang, Key::ReferralSentOn, &[("date", &format::date(lang, r.sent_at.warsaw_date()))]) }</p>
            <p data-testid="referral-reason-text">{ &r.reason }</p>
            if !r.decline_reason.is_empty() {
                <p class="hint">{ t(lang, Key::DeclineReason) }{ ": " }{ &r.decline_reason }</p>
            }
            if shared {
                <details class="shared" data-testid="referral-shared">
                    <summary>{ t(lang, Key::SharedWithConsent) }</summary>
                    <ul>
                        { for r.shared_domains.iter().map(|d| html! {
                            <li>{ domain_name(lang, &d.code) }{ ": " }{ level_name(lang, d.level) }
                                if !d.note.is_empty() { { " — " }{ &d.note } }</li>
                        }) }
                        if !r.shared_wishes.is_empty() {
                            <li>{ t(lang, Key::Wishes) }{ ": " }{ &r.shared_wishes }</li>
                        }
                        { for r.shared_goals.iter().map(|g| html! { <li>{ t(lang, Key::Goals) }{ ": " }{ g }</li> }) }
                    </ul>
                </details>
            }
            if r.may_answer {
                <div class="answer-buttons">
                    if r.status == odnowa_shared::records::ReferralStatus::Sent {
                        <button type="button" class="button button-primary" data-testid="accept-referral" onclick={accept}>
                            { t(lang, Key::Accept) }
                        </button>
                        <button type="button" class="button button-secondary" data-testid="decline-referral" onclick={ask_decline}>
                            { t(lang, Key::Decline) }
                        </button>
                    } else {
                        <button type="button" class="button button-primary" data-testid="done-referral" onclick={done}>
                            { t(lang, Key::MarkDone) }
                        </button>
                    }
                </div>
                if *declining {
                    <div class="inline-form">
                        <input class="text-input" type="text" data-testid="decline-reason" aria-label={t(lang, Key::DeclineReason)}
                            placeholder={t(lang, Key::DeclineReason)} value={(*reason).clone()} oninput={on_reason} />
                        <button type="button" class="button button-danger" data-testid="confirm-decline" onclick={decline}>
                            { t(lang, Key::Decline) }
                        </button>
                    </div>
                    <ErrorBanner {lang} error={*problem} />
                }
            }
        </article>
    }
}
