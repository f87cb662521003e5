//! Likely duplicate persons, side by side (registered, met by whom and
//! when last, how many records, their timelines), with why they look
//! alike; merging one into the other (the confirmation names who goes
//! into whom; the reports then count one person), "these are different
//! people" (remembered on both: never proposed again), and undoing a
//! merge.

use odnowa_shared::ids::PersonId;
use odnowa_shared::office::{DuplicatePair, DuplicateReason, PersonSummary, Seen};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::persons::describe;
use super::{Failure, OfficeRoute, confirmed, loading, use_office};
use crate::components::ErrorBanner;
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::office_api;

fn reason(lang: Lang, reason: &DuplicateReason) -> String {
    match reason {
        DuplicateReason::SameAlias => t(lang, Key::ReasonSameAlias).into(),
        DuplicateReason::SimilarAlias => t(lang, Key::ReasonSimilarAlias).into(),
        DuplicateReason::SameBirthYear => t(lang, Key::ReasonSameBirthYear).into(),
        DuplicateReason::NearBirthYear => t(lang, Key::ReasonNearBirthYear).into(),
        DuplicateReason::SameGender => t(lang, Key::ReasonSameGender).into(),
        DuplicateReason::SharedPlaces(places) => tf(
            lang,
            Key::ReasonSharedPlaces,
            &[("places", &places.join(", "))],
        ),
    }
}

#[function_component(DuplicatesPage)]
pub fn duplicates_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let generation = use_state(|| 0u32);
    let pairs = use_load(*generation, |_| office_api::duplicates());
    let merged = use_load(*generation, |_| office_api::merged());
    let error = use_state(|| None::<Key>);

    let merge = {
        let (generation, error) = (generation.clone(), error.clone());
        Callback::from(move |(from, into): (PersonSummary, PersonSummary)| {
            let text = tf(
                lang,
                Key::ConfirmMerge,
                &[("from", &from.alias), ("into", &into.alias)],
            );
            if !confirmed(&text) {
                return;
            }
            let (generation, error) = (generation.clone(), error.clone());
            spawn_local(async move {
                match office_api::merge(from.id, into.id).await {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e.key())),
                }
                generation.set(*generation + 1);
            });
        })
    };
    let distinct = {
        let (generation, error) = (generation.clone(), error.clone());
        Callback::from(move |(a, b): (PersonId, PersonId)| {
            let (generation, error) = (generation.clone(), error.clone());
            spawn_local(async move {
                match office_api::distinct(a, b).await {
                    Ok(()) => error.set(None),
                    Err(e) => error.set(Some(e.key())),
                }
                generation.set(*generation + 1);
            });
        })
    };
    let unmerge = {
        let (generation, error) = (generation.clone(), error.clone());
        Callback::from(move |person: PersonId| {
            let (generation, error) = (generation.clone(), error.clone());
            spawn_local(async move {
                match office_api::unmerge(person).await {
                    Ok(_) => error.set(None),
                    Err(e) => error.set(Some(e.key())),
                }
                generation.set(*generation + 1);
            });
        })
    };

    let pair_list = match &*pairs {
        Load::Loading => loading(lang),
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        Load::Ready(pairs) if pairs.is_empty() => {
            html! { <p class="empty" data-testid="no-duplicates">{ t(lang, Key::NoDuplicates) }</p> }
        }
        Load::Ready(pairs) => html! {
            <ul class="office-pairs">{ for pairs.iter().map(|pair| pair_view(lang, pair, &merge, &distinct, &office.navigate)) }</ul>
        },
    };
    let merged_list = match &*merged {
        Load::Ready(persons) if !persons.is_empty() => {
            let items = persons.iter().map(|p| {
                let id = p.id;
                let onclick = unmerge.reform(move |_: MouseEvent| id);
                let into = p.merged_into_alias.clone().unwrap_or_default();
                html! {
                    <li data-testid="merged-person" data-alias={p.alias.clone()}>
                        <span>{ describe(lang, p) }{ " — " }{ tf(lang, Key::MergedInto, &[("alias", &into)]) }</span>
                        <button type="button" class="button" data-testid="unmerge" {onclick}>{ t(lang, Key::UndoMerge) }</button>
                    </li>
                }
            });
            html! {
                <>
                    <h3>{ t(lang, Key::MergedPersons) }</h3>
                    <ul class="office-list">{ for items }</ul>
                </>
            }
        }
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        _ => html! {},
    };
    html! {
        <section class="office-page" data-testid="duplicates">
            <h2>{ t(lang, Key::DuplicatesTitle) }</h2>
            <ErrorBanner {lang} error={*error} />
            { pair_list }
            { merged_list }
        </section>
    }
}

/// One side of a pair: who, registered when, met by whom and when last,
/// how many records, and a link to their timeline.
fn side(lang: Lang, person: &PersonSummary, seen: &Seen, navigate: &Callback<OfficeRoute>) -> Html {
    let id = person.id;
    let open = navigate.reform(move |_: MouseEvent| OfficeRoute::Timeline(id));
    let last = seen
        .last_record
        .map(|at| format::date(lang, at.warsaw_date()))
        .unwrap_or_else(|| t(lang, Key::NotAvailable).to_string());
    let orgs = if seen.orgs.is_empty() {
        t(lang, Key::NotAvailable).to_string()
    } else {
        seen.orgs.join(", ")
    };
    html! {
        <div class="pair-side" data-testid="pair-side" data-person={id.to_string()}>
            <strong class="pair-alias">{ describe(lang, person) }</strong>
            <dl class="facts">
                <dt>{ t(lang, Key::PairRegistered) }</dt><dd>{ format::date(lang, person.created_at.warsaw_date()) }</dd>
                <dt>{ t(lang, Key::PairOrgs) }</dt><dd data-testid="pair-orgs">{ orgs }</dd>
                <dt>{ t(lang, Key::PairLastRecord) }</dt><dd>{ last }</dd>
                <dt>{ t(lang, Key::PairRecords) }</dt><dd>{ person.records }</dd>
            </dl>
            <button type="button" class="link-button" data-testid="pair-timeline" onclick={open}>
                { tf(lang, Key::PairTimeline, &[("alias", &person.alias)]) }
            </button>
        </div>
    }
}

fn pair_view(
    lang: Lang,
    pair: &DuplicatePair,
    merge: &Callback<(PersonSummary, PersonSummary)>,
    distinct: &Callback<(PersonId, PersonId)>,
    navigate: &Callback<OfficeRoute>,
) -> Html {
    let into_a = {
        let (a, b) = (pair.a.clone(), pair.b.clone());
        merge.reform(move |_: MouseEvent| (b.clone(), a.clone()))
    };
    let into_b = {
        let (a, b) = (pair.a.clone(), pair.b.clone());
        merge.reform(move |_: MouseEvent| (a.clone(), b.clone()))
    };
    let different = {
        let (a, b) = (pair.a.id, pair.b.id);
        distinct.reform(move |_: MouseEvent| (a, b))
    };
    let reasons: Vec<String> = pair.reasons.iter().map(|r| reason(lang, r)).collect();
    html! {
        <li class="office-card" data-testid="duplicate-pair" data-a={pair.a.alias.clone()} data-b={pair.b.alias.clone()}>
            <p class="muted">
                { tf(lang, Key::ScorePercent, &[("n", &pair.score.to_string())]) }{ " · " }{ reasons.join(" · ") }
            </p>
            <div class="pair-persons">
                { side(lang, &pair.a, &pair.a_seen, navigate) }
                { side(lang, &pair.b, &pair.b_seen, navigate) }
            </div>
            <div class="button-row">
                <button type="button" class="button" data-testid="merge-keep-a" onclick={into_a}>
                    { tf(lang, Key::MergeInto, &[("from", &pair.b.alias), ("into", &pair.a.alias)]) }
                </button>
                <button type="button" class="button" data-testid="merge-keep-b" onclick={into_b}>
                    { tf(lang, Key::MergeInto, &[("from", &pair.a.alias), ("into", &pair.b.alias)]) }
                </button>
                <button type="button" class="button" data-testid="not-duplicates" onclick={different}>
                    { t(lang, Key::DifferentPeople) }
                </button>
            </div>
        </li>
    }
}
