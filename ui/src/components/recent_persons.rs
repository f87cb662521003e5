//! [`RecentPersons`]: the persons this worker met most recently, as large
//! rows (alias, what they got last time, when): one tap starts a contact
//! with them and their services ticked. On the outreach home and under the
//! empty person search of the contact form.

use odnowa_shared::api::{RecentPerson, ServiceView};
use yew::prelude::*;

use crate::hooks::today;
use crate::i18n::{Key, Lang, t};
use crate::model::format;
use crate::model::last_time::service_names;

#[derive(Properties, PartialEq)]
pub struct RecentPersonsProps {
    pub lang: Lang,
    pub persons: Vec<RecentPerson>,
    pub catalogue: Vec<ServiceView>,
    pub on_pick: Callback<RecentPerson>,
    /// At most this many rows.
    #[prop_or(5)]
    pub limit: usize,
}

#[function_component(RecentPersons)]
pub fn recent_persons(props: &RecentPersonsProps) -> Html {
    let lang = props.lang;
    if props.persons.is_empty() {
        return html! {};
    }
    let day = today();
    let rows = props.persons.iter().take(props.limit).map(|recent| {
        let onclick = {
            let (pick, recent) = (props.on_pick.clone(), recent.clone());
            Callback::from(move |_: MouseEvent| pick.emit(recent.clone()))
        };
        let services = service_names(lang, &recent.services, &props.catalogue);
        html! {
            <li>
                <button type="button" class="recent-row" data-testid="recent-person"
                    data-alias={recent.person.alias.clone()} data-person-id={recent.person.id.to_string()} {onclick}>
                    <span class="recent-alias">{ format::shown_alias(lang, &recent.person.alias) }</span>
                    <span class="recent-sub">
                        { format::when(lang, recent.at, day) }
                        if !services.is_empty() {
                            { " · " }{ services }
                        }
                    </span>
                </button>
            </li>
        }
    });
    html! {
        <section class="recent-persons" data-testid="recent-persons">
            <h3 class="section-title">{ t(lang, Key::RecentPersonsTitle) }</h3>
            <ul class="recent-list">{ for rows }</ul>
        </section>
    }
}
