//! [`DayRoom`]: the tablet's board. The site is chosen once (remembered);
//! today's session opens itself; a search narrows the board; one tap marks
//! a person present, a second control checks out; "undo" lives in a bar
//! apart from the cards, shown after a tick (and again on a tap of a
//! present card); walk-ins and the
//! meals counter. The board reloads every few seconds and after every
//! sync, so the other tablet's ticks appear.

use std::future::Future;
use std::pin::Pin;

use odnowa_shared::api::{BoardEntry, DaySessionView, ErrorKind, PersonView};
use odnowa_shared::ids::{DocId, PersonId, SiteId};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::{ConfirmedMark, ErrorBanner, PersonFieldsForm, Stepper};
use crate::hooks::{Load, now_ms, remember, remembered, this_year, use_load, use_tick};
use crate::i18n::{Key, Lang, t, tf, versions};
use crate::model::board::{matching, present_count, sorted};
use crate::model::format;
use crate::model::person_form::PersonFields;
use crate::state::{Action, AppHandle, Route};
use crate::tauri::{self, InvokeError};

/// Where the tablet remembers its day room.
const SITE_KEY: &str = "odnowa.day-room.site";
/// How often the board asks for today's session, in milliseconds: a tick
/// made on the other tablet reaches this one's engine within tens of
/// milliseconds (a live update), and shows at the next read. The read is
/// of records kept decoded in memory (a 200-person board in about 10 ms,
/// measured once: BENCHMARKS.md "Device speed"), so twice a second costs
/// little and keeps a tick from the other tablet under a second.
const POLL_MS: i32 = 500;

#[function_component(DayRoom)]
pub fn day_room() -> Html {
    let app = use_context::<AppHandle>();
    let site = use_state(|| remembered(SITE_KEY).and_then(|s| s.parse::<SiteId>().ok()));
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let sites: Vec<_> = app
        .catalogue
        .sites
        .iter()
        .filter(|s| s.site_kind == odnowa_shared::records::site_kind::DAY_ROOM)
        .cloned()
        .collect();
    let chosen = (*site).filter(|id| sites.iter().any(|s| s.id == *id));
    match chosen {
        Some(id) => {
            let name = sites
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            let change = {
                let site = site.clone();
                Callback::from(move |_: MouseEvent| site.set(None))
            };
            html! { <Board site={id} {name} on_change_site={change} /> }
        }
        None => {
            let options = sites.iter().map(|option| {
                let onclick = {
                    let (site, id) = (site.clone(), option.id);
                    Callback::from(move |_: MouseEvent| {
                        remember(SITE_KEY, &id.to_string());
                        site.set(Some(id));
                    })
                };
                html! {
                    <li><button type="button" class="record-row" data-testid="site-option"
                        data-site-id={option.id.to_string()} {onclick}>
                        <span class="record-title">{ &option.name }</span>
                    </button></li>
                }
            });
            html! {
                <section class="page page-day-room" data-testid="site-chooser">
                    <h2 class="page-title">{ t(lang, Key::ChooseSite) }</h2>
                    if sites.is_empty() {
                        <p class="empty">{ t(lang, Key::NoDayRooms) }</p>
                    }
                    <ul class="record-list">{ for options }</ul>
                </section>
            }
        }
    }
}

#[derive(Properties, PartialEq)]
struct BoardProps {
    site: SiteId,
    name: String,
    on_change_site: Callback<MouseEvent>,
}

#[function_component(Board)]
fn board(props: &BoardProps) -> Html {
    let app = use_context::<AppHandle>();
    let generation = app.as_ref().map(|a| a.sync_generation).unwrap_or_default();
    let tick = use_tick(POLL_MS);
    let session = use_load((props.site, tick, generation), |(site, _, _)| {
        tauri::today_session(site)
    });
    let error = use_state(|| None::<Key>);
    let query = use_state(String::new);
    // The last tick, offered for undo in a bar apart from the cards.
    let undo = use_state(|| None::<Ticked>);
    let walk_in_open = use_state(|| false);
    let walk_in = use_state(PersonFields::default);
    let walk_in_recheck = use_state(|| 0u32);
    let Some(app) = app else {
        return html! {};
    };
    let lang = app.lang;
    let view = match &*session {
        Load::Loading => return html! { <p class="loading">{ t(lang, Key::Loading) }</p> },
        Load::Failed(failure) => {
            return html! { <ErrorBanner {lang} error={Some(failure.key())} /> };
        }
        Load::Ready(view) => view.clone(),
    };
    let id = view.id;
    // Every command answers with the whole session: show it at once.
    let run = {
        let (session, error) = (session.clone(), error.clone());
        move |call: Call| {
            let (session, error) = (session.clone(), error.clone());
            spawn_local(async move {
                match call.await {
                    Ok(answer) => {
                        error.set(None);
                        session.set(Load::Ready(answer));
                    }
                    Err(failure) => error.set(Some(failure.key())),
                }
            });
        }
    };
    let open_file = {
        let app = app.clone();
        Callback::from(move |person: PersonId| {
            app.dispatch(Action::Navigate(Route::Person(person)))
        })
    };
    let on_ticked = {
        let undo = undo.clone();
        Callback::from(move |ticked: Ticked| undo.set(Some(ticked)))
    };
    let shown = matching(sorted(&view.board), &query);
    let cards = shown.iter().map(|entry| {
        card(
            lang,
            id,
            entry,
            run.clone(),
            open_file.clone(),
            on_ticked.clone(),
        )
    });
    // The bar stays for UNDO_MS after the tick, as long as the person is
    // still marked present.
    let undo_bar = (*undo)
        .clone()
        .filter(|ticked| now_ms() - ticked.at_ms < UNDO_MS)
        .filter(|ticked| {
            view.board
                .iter()
                .any(|e| e.person == ticked.person && e.present && e.check_out.is_none())
        })
        .map(|ticked| {
            let take_back = {
                let (run, undo) = (run.clone(), undo.clone());
                let person = ticked.person;
                Callback::from(move |_: MouseEvent| {
                    undo.set(None);
                    run(Box::pin(tauri::set_present(id, person, false)))
                })
            };
            let dismiss = {
                let undo = undo.clone();
                Callback::from(move |_: MouseEvent| undo.set(None))
            };
            html! {
                <div class="undo-bar" role="status" data-testid="undo-bar">
                    <span class="undo-text">
                        { tf(lang, Key::MarkedPresent, &[("name", &format::shown_alias(lang, &ticked.alias))]) }
                    </span>
                    <button type="button" class="button button-small undo-button" data-testid="undo-present"
                        aria-label={tf(lang, Key::UndoPresentLabel, &[("name", &ticked.alias)])} onclick={take_back}>
                        { t(lang, Key::UndoPresent) }
                    </button>
                    <button type="button" class="button button-small button-quiet" data-testid="undo-dismiss"
                        aria-label={t(lang, Key::Close)} onclick={dismiss}>{ "×" }</button>
                </div>
            }
        });
    let on_query = {
        let query = query.clone();
        Callback::from(move |event: InputEvent| {
            query.set(event.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let meals = {
        let run = run.clone();
        Callback::from(move |delta: i64| run(Box::pin(tauri::add_meals(id, delta))))
    };
    let toggle_walk_in = {
        let open = walk_in_open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let mark_existing = {
        let (run, walk_in, open) = (run.clone(), walk_in.clone(), walk_in_open.clone());
        Callback::from(move |person: PersonView| {
            walk_in.set(PersonFields::default());
            open.set(false);
            run(Box::pin(tauri::set_present(id, person.id, true)));
        })
    };
    // The typed walk-in stays until the device has registered them: a
    // refusal (a similar person to answer first) loses nothing.
    let add_walk_in = {
        let (session, walk_in, open, error, recheck) = (
            session.clone(),
            walk_in.clone(),
            walk_in_open.clone(),
            error.clone(),
            walk_in_recheck.clone(),
        );
        Callback::from(move |_: MouseEvent| match walk_in.to_draft(this_year()) {
            Ok(draft) => {
                let (session, walk_in, open, error, recheck) = (
                    session.clone(),
                    walk_in.clone(),
                    open.clone(),
                    error.clone(),
                    recheck.clone(),
                );
                spawn_local(async move {
                    match tauri::add_walk_in(id, &draft).await {
                        Ok(answer) => {
                            error.set(None);
                            walk_in.set(PersonFields::default());
                            open.set(false);
                            session.set(Load::Ready(answer));
                        }
                        Err(failure) => {
                            if failure.kind() == Some(ErrorKind::PossibleDuplicate) {
                                recheck.set(*recheck + 1);
                            }
                            error.set(Some(failure.key()));
                        }
                    }
                });
            }
            Err(problem) => error.set(Some(problem.key())),
        })
    };
    let present = present_count(&view.board);
    html! {
        <section class="page page-day-room" data-testid="day-room" data-session-id={id.to_string()}>
            <div class="page-head">
                <h2 class="page-title">{ &props.name }</h2>
                <span class="page-date">{ format::date(lang, view.date) }</span>
                <ConfirmedMark {lang} confirmed={view.confirmed} />
                if view.conflicts > 0 {
                    <span class="badge">{ versions(lang, 2) }</span>
                }
            </div>
            <div class="board-toolbar">
                <p class="present-count" data-testid="present-count" aria-live="polite">
                    { tf(lang, Key::PresentCount, &[("n", &present.to_string()), ("total", &view.board.len().to_string())]) }
                </p>
                <Stepper label={t(lang, Key::Meals)} value={view.meals} on_step={meals}
                    less_label={t(lang, Key::MealsLess)} more_label={t(lang, Key::MealsMore)} testid="meals" />
                <button type="button" class="button button-secondary" data-testid="add-walk-in" onclick={toggle_walk_in}
                    aria-expanded={walk_in_open.to_string()}>
                    <span aria-hidden="true">{ "+ " }</span>{ t(lang, Key::AddWalkIn) }
                </button>
                <button type="button" class="button button-secondary" data-testid="change-site" onclick={props.on_change_site.clone()}>
                    { t(lang, Key::ChangeSite) }
                </button>
            </div>
            <ErrorBanner {lang} error={*error} />
            if *walk_in_open {
                <div class="walk-in" data-testid="walk-in">
                    <PersonFieldsForm {lang} fields={(*walk_in).clone()}
                        on_change={Callback::from({ let walk_in = walk_in.clone(); move |f| walk_in.set(f) })}
                        on_pick_existing={mark_existing} pick_label={Key::MarkPresent}
                        recheck={*walk_in_recheck} />
                    <button type="button" class="button button-primary button-wide" data-testid="walk-in-save" onclick={add_walk_in}>
                        { t(lang, Key::WalkInAdd) }
                    </button>
                </div>
            }
            if view.board.is_empty() {
                <p class="empty">{ t(lang, Key::BoardEmpty) }</p>
            } else {
                <label class="field-label" for="board-search">{ t(lang, Key::BoardSearchLabel) }</label>
                <input id="board-search" data-testid="board-search" class="text-input search-input" type="search"
                    autocomplete="off" autocapitalize="off" spellcheck="false"
                    value={(*query).clone()} oninput={on_query} />
                if shown.is_empty() {
                    <p class="hint" data-testid="board-no-match">{ t(lang, Key::NoResults) }</p>
                }
            }
            <ul class="board" data-testid="board">{ for cards }</ul>
            { for undo_bar }
        </section>
    }
}

/// One command that answers with the whole session.
type Call = Pin<Box<dyn Future<Output = Result<DaySessionView, InvokeError>>>>;

/// A tick the undo bar offers to take back.
#[derive(Clone, Debug, PartialEq)]
struct Ticked {
    person: PersonId,
    alias: String,
    at_ms: i64,
}

/// How long the undo bar stays after a tick, in milliseconds.
const UNDO_MS: i64 = 12_000;

fn card<F>(
    lang: Lang,
    session: DocId,
    entry: &BoardEntry,
    run: F,
    open_file: Callback<PersonId>,
    on_ticked: Callback<Ticked>,
) -> Html
where
    F: Fn(Call) + Clone + 'static,
{
    let person = entry.person;
    let checked_out = entry.check_out.is_some();
    let here = entry.present && !checked_out;
    let ticked = Ticked {
        person,
        alias: entry.alias.clone(),
        at_ms: 0,
    };
    // A tap on an absent card ticks it; on a present one it offers the
    // undo bar again (a mistake noticed later is taken back on purpose,
    // never by a slip beside "check out").
    let mark = {
        let (run, present) = (run.clone(), entry.present);
        Callback::from(move |_: MouseEvent| {
            on_ticked.emit(Ticked {
                at_ms: now_ms(),
                ..ticked.clone()
            });
            if !present {
                run(Box::pin(tauri::set_present(session, person, true)))
            }
        })
    };
    let out = Callback::from(move |_: MouseEvent| run(Box::pin(tauri::check_out(session, person))));
    let status = match (entry.present, entry.check_in, entry.check_out) {
        (true, _, Some(at)) => tf(lang, Key::CheckedOut, &[("time", &format::time(at))]),
        (true, Some(at), None) => tf(lang, Key::CheckedIn, &[("time", &format::time(at))]),
        (true, None, None) => t(lang, Key::Present).to_string(),
        (false, _, _) => t(lang, Key::NotPresent).to_string(),
    };
    html! {
        <li class={classes!("board-card", here.then_some("is-present"), checked_out.then_some("is-out"))}
            data-testid="board-row" data-person-id={person.to_string()} data-alias={entry.alias.clone()}
            data-present={entry.present.to_string()} data-checked-out={checked_out.to_string()}>
            <button type="button" class="board-main" data-testid="mark-present"
                aria-pressed={entry.present.to_string()} disabled={checked_out} onclick={mark}>
                <span class="board-check" aria-hidden="true">{ if entry.present { "✓" } else { "" } }</span>
                <span class="board-alias">{ format::shown_alias(lang, &entry.alias) }</span>
                <span class="board-status">{ status }</span>
            </button>
            <div class="board-actions">
                <button type="button" class="button button-small button-quiet" data-testid="board-open-file"
                    aria-label={tf(lang, Key::OpenFileOf, &[("name", &entry.alias)])}
                    onclick={open_file.reform(move |_: MouseEvent| person)}>
                    { t(lang, Key::OpenFile) }
                </button>
                if here {
                    <button type="button" class="button button-small" data-testid="check-out"
                        aria-label={tf(lang, Key::CheckOutLabel, &[("name", &entry.alias)])} onclick={out}>
                        { t(lang, Key::CheckOut) }
                    </button>
                }
            </div>
        </li>
    }
}
