//! Likely duplicate persons, with why they look alike; merging one into
//! the other (the reports then count one person), and undoing a merge.

use odnowa_shared::ids::PersonId;
use odnowa_shared::office::{DuplicatePair, DuplicateReason, PersonSummary};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::persons::describe;
use super::{Failure, confirmed, loading, use_office};
use crate::components::ErrorBanner;
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
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
            <ul class="office-pairs">{ for pairs.iter().map(|pair| pair_view(lang, pair, &merge)) }</ul>
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

fn pair_view(
    lang: Lang,
    pair: &DuplicatePair,
    merge: &Callback<(PersonSummary, PersonSummary)>,
) -> Html {
    let keep_a = {
        let (a, b) = (pair.a.clone(), pair.b.clone());
        merge.reform(move |_: MouseEvent| (b.clone(), a.clone()))
    };
    let keep_b = {
        let (a, b) = (pair.a.clone(), pair.b.clone());
        merge.reform(move |_: MouseEvent| (a.clone(), b.clone()))
    };
    let reasons: Vec<String> = pair.reasons.iter().map(|r| reason(lang, r)).collect();
    html! {
        <li class="office-card" data-testid="duplicate-pair" data-a={pair.a.alias.clone()} data-b={pair.b.alias.clone()}>
            <div class="pair-persons">
                <strong>{ describe(lang, &pair.a) }</strong>
                <span aria-hidden="true">{ " ↔ " }</span>
                <strong>{ describe(lang, &pair.b) }</strong>
            </div>
            <p class="muted">{ format!("{}: {} · {}", t(lang, Key::Score), pair.score, reasons.join(" · ")) }</p>
            <div class="button-row">
                <button type="button" class="button" data-testid="merge-keep-a" onclick={keep_a}>
                    { tf(lang, Key::KeepThis, &[("alias", &pair.a.alias)]) }
                </button>
                <button type="button" class="button" data-testid="merge-keep-b" onclick={keep_b}>
                    { tf(lang, Key::KeepThis, &[("alias", &pair.b.alias)]) }
                </button>
            </div>
        </li>
    }
}
