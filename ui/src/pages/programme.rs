//! The individual programme for leaving homelessness (IPWB):
//! [`ProgrammeFormPage`] opens one (goals, the day, the day the person
//! agreed); [`ProgrammePage`] shows it with its steps (each with its due
//! day, who carries it and its status, changed with one tap), its reviews,
//! and closing it with an outcome and a day.

use odnowa_shared::api::{
    ClosingDraft, ProgrammeView, ReferralTargets, ReviewDraft, StepDraft, StepView,
};
use odnowa_shared::ids::{DocId, PersonId};
use odnowa_shared::records::{carrier::Carrier, outcome, step_status};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{ConfirmedMark, DateField, ErrorBanner, RecordMetaPanel};
use crate::hooks::{Load, today, use_load};
use crate::i18n::{Key, Lang, t, tf, versions};
use crate::model::case::{outcome_name, programme_draft, status_name, step_draft};
use crate::model::format;
use crate::state::{Action, AppHandle, Route};
use crate::tauri;

fn value_of(e: &InputEvent) -> String {
    e.target_unchecked_into::<HtmlInputElement>().value()
}

fn selected_of(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

#[derive(Properties, PartialEq)]
pub struct ProgrammeFormProps {
    pub person: PersonId,
}

#[function_component(ProgrammeFormPage)]
pub fn programme_form_page(props: &ProgrammeFormProps) -> Html {
    let app = use_context::<AppHandle>();
    let opened_on = use_state(|| today().to_string());
    let agreed_on = use_state(String::new);
    let goals = use_state(|| vec![String::new()]);
    let error = use_state(|| None::<Key>);
    let busy = use_state(|| false);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let person = props.person;
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Person(person))))
    };
    let goal_rows = goals.iter().enumerate().map(|(at, goal)| {
        let oninput = {
            let goals = goals.clone();
            Callback::from(move |e: InputEvent| {
                let mut next = (*goals).clone();
                if let Some(g) = next.get_mut(at) {
                    *g = value_of(&e);
                }
                goals.set(next);
            })
        };
        html! {
            <li class="line-row">
                <input class="text-input line-name" type="text" data-testid="goal"
                    aria-label={t(lang, Key::GoalPlaceholder)} placeholder={t(lang, Key::GoalPlaceholder)}
                    value={goal.clone()} {oninput} />
            </li>
        }
    });
    let add_goal = {
        let goals = goals.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*goals).clone();
            next.push(String::new());
            goals.set(next);
        })
    };
    let save = {
        let (opened_on, agreed_on, goals, error, busy, app) = (
            opened_on.clone(),
            agreed_on.clone(),
            goals.clone(),
            error.clone(),
            busy.clone(),
            app.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            let draft = match programme_draft(person, &opened_on, &goals, &agreed_on) {
                Ok(draft) => draft,
                Err(problem) => {
                    error.set(Some(problem));
                    return;
                }
            };
            let (error, busy, app) = (error.clone(), busy.clone(), app.clone());
            busy.set(true);
            spawn_local(async move {
                match tauri::open_programme(&draft).await {
                    Ok(opened) => app.dispatch(Action::Navigate(Route::Programme(opened.id))),
                    Err(failure) => error.set(Some(failure.key())),
                }
                busy.set(false);
            });
        })
    };
    let date_input = |id: &'static str, state: &UseStateHandle<String>| {
        let value = (**state).clone();
        let state = state.clone();
        let on_change = Callback::from(move |day: String| state.set(day));
        html! { <DateField {lang} {id} {value} {on_change} chips={vec![(Key::DayToday, 0)]} /> }
    };
    html! {
        <section class="page page-form page-programme-form" data-testid="programme-form">
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, Key::NewProgramme) }</h2>
            </div>
            <p class="hint">{ t(lang, Key::ProgrammesTitle) }</p>
            <div class="form-grid">
                <div>
                    <label class="field-label" for="opened-on">{ t(lang, Key::OpenedOn) }</label>
                    { date_input("opened-on", &opened_on) }
                </div>
                <div>
                    <label class="field-label" for="agreed-on">{ t(lang, Key::AgreedOn) }</label>
                    { date_input("agreed-on", &agreed_on) }
                </div>
            </div>
            <h3 class="section-title">{ t(lang, Key::Goals) }</h3>
            <ul class="lines">{ for goal_rows }</ul>
            <button type="button" class="button button-secondary" data-testid="add-goal" onclick={add_goal}>
                <span aria-hidden="true">{ "+ " }</span>{ t(lang, Key::AddGoal) }
            </button>
            <div class="save-bar">
                <ErrorBanner {lang} error={*error} />
                <button type="button" data-testid="save-programme" class="button button-primary button-wide"
                    disabled={*busy} onclick={save}>
                    { t(lang, if *busy { Key::Saving } else { Key::NewProgramme }) }
                </button>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProgrammeProps {
    pub id: DocId,
}

/// The choices of who carries a step: me, the person, the other member
/// organisations and the institutions.
fn carrier_options(
    lang: Lang,
    me: Option<String>,
    targets: &ReferralTargets,
) -> Vec<(String, String)> {
    let mut options = Vec::new();
    if let Some(me) = me {
        options.push((me, t(lang, Key::CarrierMe).to_string()));
    }
    options.push((
        Carrier::Person.to_string(),
        t(lang, Key::CarrierPerson).to_string(),
    ));
    for org in &targets.orgs {
        options.push((Carrier::Org(org.id).to_string(), org.name.clone()));
    }
    for institution in &targets.institutions {
        options.push((
            Carrier::Institution(institution.id.clone()).to_string(),
            institution.name.clone(),
        ));
    }
    options
}

fn carrier_label(lang: Lang, step: &StepView, me: Option<&str>) -> String {
    if Some(step.carrier.as_str()) == me {
        return t(lang, Key::CarrierMe).to_string();
    }
    if step.carrier == Carrier::Person.to_string() {
        return t(lang, Key::CarrierPerson).to_string();
    }
    if step.carrier_name.is_empty() {
        t(lang, Key::CarrierWorker).to_string()
    } else {
        step.carrier_name.clone()
    }
}

#[function_component(ProgrammePage)]
pub fn programme_page(props: &ProgrammeProps) -> Html {
    let app = use_context::<AppHandle>();
    let generation = app.as_ref().map(|a| a.sync_generation).unwrap_or_default();
    let local = use_state(|| 0u64);
    let programme = use_load((props.id, generation, *local), |(id, _, _)| {
        tauri::programme(id)
    });
    let targets = use_load((), |_| tauri::referral_targets());
    let step_text = use_state(String::new);
    let step_due = use_state(String::new);
    let step_carrier = use_state(|| Carrier::Person.to_string());
    let review_due = use_state(String::new);
    let closing_on = use_state(|| today().to_string());
    let closing_outcome = use_state(String::new);
    let error = use_state(|| None::<Key>);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let me = app
        .info
        .as_ref()
        .and_then(|i| i.identity.as_ref())
        .map(|i| Carrier::Worker(i.user).to_string());
    let p: ProgrammeView = match &*programme {
        Load::Loading => {
            return html! { <section class="page"><p class="loading">{ t(lang, Key::Loading) }</p></section> };
        }
        Load::Failed(failure) => {
            return html! { <section class="page"><ErrorBanner {lang} error={Some(failure.key())} /></section> };
        }
        Load::Ready(p) => p.clone(),
    };
    let targets = match &*targets {
        Load::Ready(targets) => targets.clone(),
        _ => ReferralTargets::default(),
    };
    let id = p.id;
    let person = p.person;
    let back = {
        let app = app.clone();
        Callback::from(move |_: MouseEvent| app.dispatch(Action::Navigate(Route::Person(person))))
    };
    // Runs one change of the programme and reloads it.
    let run = {
        let (error, local) = (error.clone(), local.clone());
        move |job: std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<ProgrammeView, tauri::InvokeError>>>,
        >| {
            let (error, local) = (error.clone(), local.clone());
            spawn_local(async move {
                match job.await {
                    Ok(_) => {
                        error.set(None);
                        local.set(*local + 1);
                    }
                    Err(failure) => error.set(Some(failure.key())),
                }
            });
        }
    };
    let open = p.closed_on.is_none();
    let steps = p.steps.iter().map(|step| {
        let on_status = {
            let (step, run) = (step.clone(), run.clone());
            Callback::from(move |e: Event| {
                let draft = StepDraft {
                    programme: id,
                    step: Some(step.id.clone()),
                    text: step.text.clone(),
                    due: step.due,
                    carrier: step.carrier.clone(),
                    status: selected_of(&e),
                    note: step.note.clone(),
                    goal: step.goal.clone(),
                };
                run(Box::pin(async move { tauri::save_step(&draft).await }));
            })
        };
        let statuses = step_status::ALL.iter().map(|code| {
            html! { <option value={*code} selected={step.status == *code}>{ status_name(lang, code) }</option> }
        });
        html! {
            <li class={classes!("step", step.overdue.then_some("is-overdue"), format!("step-{}", step.status))}
                data-testid="step" data-status={step.status.clone()}>
                <div class="step-main">
                    <span class="record-title">
                        if step.status == step_status::DONE { <span aria-hidden="true">{ "✓ " }</span> }
                        { &step.text }
                    </span>
                    <span class="record-sub">
                        { carrier_label(lang, step, me.as_deref()) }
                        if let Some(due) = step.due {
                            { " · " }{ t(lang, Key::StepDue) }{ ": " }{ format::date(lang, due) }
                        }
                        if step.overdue {
                            { " · " }<strong class="warn">{ t(lang, Key::OverdueMark) }</strong>
                        }
                    </span>
                </div>
                <select class="text-input step-status" data-testid="step-status" aria-label={t(lang, Key::StepText)}
                    disabled={!open} onchange={on_status}>{ for statuses }</select>
            </li>
        }
    });
    let add_step = {
        let (text, due, carrier, run, error) = (
            step_text.clone(),
            step_due.clone(),
            step_carrier.clone(),
            run.clone(),
            error.clone(),
        );
        Callback::from(
            move |_: MouseEvent| match step_draft(id, &text, &due, &carrier) {
                Ok(draft) => {
                    text.set(String::new());
                    due.set(String::new());
                    run(Box::pin(async move { tauri::save_step(&draft).await }));
                }
                Err(problem) => error.set(Some(problem)),
            },
        )
    };
    let carrier_choices =
        carrier_options(lang, me.clone(), &targets)
            .into_iter()
            .map(|(value, label)| {
                let selected = *step_carrier == value;
                html! { <option {value} {selected}>{ label }</option> }
            });
    let reviews = p.reviews.iter().map(|review| {
        let mark_done = {
            let (review, run) = (review.clone(), run.clone());
            Callback::from(move |_: MouseEvent| {
                let draft = ReviewDraft {
                    programme: id,
                    review: Some(review.id.clone()),
                    due: review.due,
                    done_on: Some(today()),
                    note: review.note.clone(),
                };
                run(Box::pin(async move { tauri::save_review(&draft).await }));
            })
        };
        html! {
            <li class="review" data-testid="review">
                <span>{ t(lang, Key::StepDue) }{ ": " }{ format::date(lang, review.due) }</span>
                if let Some(done) = review.done_on {
                    <span class="hint">{ " · " }{ tf(lang, Key::ReviewDoneOn, &[("date", &format::date(lang, done))]) }</span>
                } else if open {
                    <button type="button" class="button" data-testid="review-done" onclick={mark_done}>
                        { t(lang, Key::ReviewTookPlace) }
                    </button>
                }
            </li>
        }
    });
    let plan_review = {
        let (due, run, error) = (review_due.clone(), run.clone(), error.clone());
        Callback::from(move |_: MouseEvent| match due.parse() {
            Ok(day) => {
                let draft = ReviewDraft {
                    programme: id,
                    review: None,
                    due: day,
                    done_on: None,
                    note: String::new(),
                };
                due.set(String::new());
                run(Box::pin(async move { tauri::save_review(&draft).await }));
            }
            Err(_) => error.set(Some(Key::ErrBadDate)),
        })
    };
    let close = {
        let (on, outcome_code, run, error) = (
            closing_on.clone(),
            closing_outcome.clone(),
            run.clone(),
            error.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let (Ok(day), false) = (on.parse(), outcome_code.is_empty()) else {
                error.set(Some(Key::ErrClosingDay));
                return;
            };
            let draft = ClosingDraft {
                programme: id,
                closed_on: Some(day),
                outcome: (*outcome_code).clone(),
                note: String::new(),
            };
            run(Box::pin(
                async move { tauri::close_programme(&draft).await },
            ));
        })
    };
    let outcomes = outcome::ALL.iter().map(|code| {
        html! { <option value={*code} selected={*closing_outcome == *code}>{ outcome_name(lang, code) }</option> }
    });
    let text_input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(value_of(&e)))
    };
    let select_input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: Event| state.set(selected_of(&e)))
    };
    let day_input = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |day: String| state.set(day))
    };
    html! {
        <section class="page page-programme" data-testid="programme" data-programme-id={id.to_string()}>
            <div class="page-head">
                <button type="button" class="button button-back" data-testid="back" onclick={back}>
                    <span aria-hidden="true">{ "‹ " }</span>{ t(lang, Key::Back) }
                </button>
                <h2 class="page-title">{ t(lang, Key::ProgrammeShort) }</h2>
            </div>
            <p class="record-status">
                <ConfirmedMark {lang} confirmed={p.confirmed} />
                if p.conflicts > 0 {
                    <span class="badge" data-testid="versions-badge">{ versions(lang, 2) }</span>
                }
            </p>
            <dl class="facts">
                <dt>{ t(lang, Key::OpenedOn) }</dt><dd>{ format::date(lang, p.opened_on) }</dd>
                if let Some(agreed) = p.agreed_on {
                    <dt>{ t(lang, Key::AgreedOn) }</dt><dd>{ format::date(lang, agreed) }</dd>
                }
                if let (Some(on), Some(code)) = (p.closed_on, p.outcome.as_ref()) {
                    <dt>{ t(lang, Key::Outcome) }</dt>
                    <dd data-testid="programme-outcome">{ tf(lang, Key::ProgrammeClosed, &[("date", &format::date(lang, on)), ("outcome", &outcome_name(lang, code))]) }</dd>
                }
            </dl>
            <h3 class="section-title">{ t(lang, Key::Goals) }</h3>
            <ul class="goals">{ for p.goals.iter().map(|g| html! { <li data-testid="programme-goal">{ &g.text }</li> }) }</ul>
            <h3 class="section-title">{ t(lang, Key::Steps) }</h3>
            if p.steps.is_empty() {
                <p class="empty">{ t(lang, Key::NoSteps) }</p>
            }
            <ul class="steps">{ for steps }</ul>
            if open {
                <fieldset class="add-step" data-testid="add-step">
                    <legend class="field-label">{ t(lang, Key::AddStep) }</legend>
                    <input class="text-input" type="text" data-testid="step-text" aria-label={t(lang, Key::StepText)}
                        placeholder={t(lang, Key::StepText)} value={(*step_text).clone()} oninput={text_input(&step_text)} />
                    <div class="form-grid">
                        <div>
                            <label class="field-label" for="step-due">{ t(lang, Key::StepDue) }</label>
                            <DateField {lang} id="step-due" value={(*step_due).clone()} on_change={day_input(&step_due)}
                                chips={vec![(Key::DayInAWeek, 7), (Key::DayInTwoWeeks, 14), (Key::DayInAMonth, 30)]} />
                        </div>
                        <div>
                            <label class="field-label" for="step-carrier">{ t(lang, Key::Carrier) }</label>
                            <select id="step-carrier" data-testid="step-carrier" class="text-input" onchange={select_input(&step_carrier)}>
                                { for carrier_choices }
                            </select>
                        </div>
                    </div>
                    <button type="button" class="button button-primary" data-testid="save-step" onclick={add_step}>
                        <span aria-hidden="true">{ "+ " }</span>{ t(lang, Key::AddStep) }
                    </button>
                </fieldset>
            }
            <h3 class="section-title">{ t(lang, Key::Reviews) }</h3>
            <ul class="reviews">{ for reviews }</ul>
            if open {
                <div class="inline-form">
                    <DateField {lang} id="review-due" value={(*review_due).clone()} on_change={day_input(&review_due)}
                        aria_label={Some(AttrValue::from(t(lang, Key::PlanReview)))}
                        chips={vec![(Key::DayInAMonth, 30)]} />
                    <button type="button" class="button button-secondary" data-testid="plan-review" onclick={plan_review}>
                        { t(lang, Key::PlanReview) }
                    </button>
                </div>
                <details class="close-programme">
                    <summary class="button button-secondary">{ t(lang, Key::CloseProgramme) }</summary>
                    <div class="form-grid">
                        <div>
                            <label class="field-label" for="closed-on">{ t(lang, Key::ClosedOn) }</label>
                            <DateField {lang} id="closed-on" value={(*closing_on).clone()} on_change={day_input(&closing_on)}
                                chips={vec![(Key::DayToday, 0)]} />
                        </div>
                        <div>
                            <label class="field-label" for="outcome">{ t(lang, Key::Outcome) }</label>
                            <select id="outcome" data-testid="outcome" class="text-input" onchange={select_input(&closing_outcome)}>
                                <option value="" selected={closing_outcome.is_empty()}>{ t(lang, Key::ChooseOption) }</option>
                                { for outcomes }
                            </select>
                        </div>
                    </div>
                    <button type="button" class="button button-danger" data-testid="close-programme" onclick={close}>
                        { t(lang, Key::CloseProgramme) }
                    </button>
                </details>
            }
            <ErrorBanner {lang} error={*error} />
            <RecordMetaPanel {lang} {id} generation={generation + *local}
                on_changed={Callback::from({ let local = local.clone(); move |_| local.set(*local + 1) })} />
        </section>
    }
}
