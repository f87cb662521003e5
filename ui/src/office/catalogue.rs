//! The catalogue: the services of the commissioned package (names in
//! Polish and English, the member that delivers each, the contract period,
//! its targets) and the sites. Saving writes the registry's catalogue
//! document, so phones get the change at their next sync.

use std::collections::BTreeMap;

use odnowa_shared::ids::SiteId;
use odnowa_shared::office::{NamedOption, ServiceEdit, SiteEdit};
use odnowa_shared::records::{Catalogue, institution_kind, site_kind};
use odnowa_shared::time::Date;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::{Failure, loading, use_office};
use crate::components::{DateField, ErrorBanner};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t};
use crate::model::format;
use crate::model::office::service_code;
use crate::office_api;

const SITE_KINDS: [(&str, Key); 4] = [
    (site_kind::DAY_ROOM, Key::SiteKindDayRoom),
    (site_kind::DAY_CENTRE, Key::SiteKindDayCentre),
    (site_kind::WORKSHOP, Key::SiteKindWorkshop),
    (site_kind::STREET, Key::SiteKindStreet),
];

fn input(node: &NodeRef) -> String {
    node.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

fn checked(node: &NodeRef) -> bool {
    node.cast::<HtmlInputElement>().is_some_and(|i| i.checked())
}

fn selected(node: &NodeRef) -> String {
    node.cast::<HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

fn field(
    lang: Lang,
    label: Key,
    node: &NodeRef,
    kind: &'static str,
    value: String,
    testid: &'static str,
) -> Html {
    html! {
        <label class="field">
            <span class="field-label">{ t(lang, label) }</span>
            <input ref={node.clone()} type={kind} {value} data-testid={testid} />
        </label>
    }
}

fn org_select(lang: Lang, node: &NodeRef, orgs: &[NamedOption], current: Option<String>) -> Html {
    html! {
        <label class="field">
            <span class="field-label">{ t(lang, Key::ColMember) }</span>
            <select ref={node.clone()}>
                <option value="" selected={current.is_none()}>{ "—" }</option>
                { for orgs.iter().map(|o| html! {
                    <option value={o.id.clone()} selected={current.as_deref() == Some(o.id.as_str())}>{ o.name.clone() }</option>
                }) }
            </select>
        </label>
    }
}

#[function_component(CataloguePage)]
pub fn catalogue_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let generation = use_state(|| 0u32);
    let catalogue = use_load(*generation, |_| office_api::catalogue());
    let options = use_load((), |_| office_api::filters());
    let editing = use_state(|| None::<String>);
    let editing_site = use_state(|| None::<String>);
    let message = use_state(|| None::<Key>);
    let error = use_state(|| None::<Key>);
    let service_refs: [NodeRef; 10] = Default::default();
    let site_refs: [NodeRef; 3] = Default::default();

    let save_service = {
        let (refs, generation, message, error) = (
            service_refs.clone(),
            generation.clone(),
            message.clone(),
            error.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let mut targets = BTreeMap::new();
            for (metric, node) in [
                ("unique_persons", &refs[6]),
                ("records", &refs[7]),
                ("hours", &refs[8]),
            ] {
                if let Ok(value) = input(node).trim().parse::<i64>() {
                    targets.insert(metric.to_string(), value);
                }
            }
            let edit = ServiceEdit {
                code: input(&refs[0]).trim().to_string(),
                name_pl: input(&refs[1]),
                name_en: input(&refs[2]),
                org: selected(&refs[3]).parse().ok(),
                retired: checked(&refs[5]),
                contract_from: input(&refs[4]).trim().parse().ok(),
                contract_to: input(&refs[9]).trim().parse().ok(),
                targets,
            };
            let (generation, message, error) = (generation.clone(), message.clone(), error.clone());
            spawn_local(async move {
                match office_api::put_service(edit).await {
                    Ok(_) => {
                        error.set(None);
                        message.set(Some(Key::CatalogueSaved));
                    }
                    Err(e) => {
                        message.set(None);
                        error.set(Some(e.key()));
                    }
                }
                generation.set(*generation + 1);
            });
        })
    };
    let save_site = {
        let (refs, generation, message, error, editing_site) = (
            site_refs.clone(),
            generation.clone(),
            message.clone(),
            error.clone(),
            editing_site.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let edit = SiteEdit {
                id: editing_site
                    .as_ref()
                    .and_then(|id| id.parse::<SiteId>().ok()),
                name: input(&refs[0]),
                site_kind: selected(&refs[1]),
                org: selected(&refs[2]).parse().ok(),
            };
            let (generation, message, error) = (generation.clone(), message.clone(), error.clone());
            spawn_local(async move {
                match office_api::put_site(edit).await {
                    Ok(_) => {
                        error.set(None);
                        message.set(Some(Key::CatalogueSaved));
                    }
                    Err(e) => {
                        message.set(None);
                        error.set(Some(e.key()));
                    }
                }
                generation.set(*generation + 1);
            });
        })
    };

    let orgs: Vec<NamedOption> = match &*options {
        Load::Ready(options) => options.orgs.clone(),
        _ => Vec::new(),
    };
    let body = match &*catalogue {
        Load::Loading => loading(lang),
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        Load::Ready(catalogue) => view(
            lang,
            catalogue,
            &orgs,
            (&editing, &editing_site),
            (&service_refs, &site_refs),
            (save_service, save_site),
        ),
    };
    html! {
        <section class="office-page" data-testid="catalogue">
            <h2>{ t(lang, Key::NavCatalogue) }</h2>
            if let Some(key) = *message {
                <p class="notice" role="status" data-testid="catalogue-saved">{ t(lang, key) }</p>
            }
            <ErrorBanner {lang} error={*error} />
            { body }
        </section>
    }
}

type Editing<'a> = (
    &'a UseStateHandle<Option<String>>,
    &'a UseStateHandle<Option<String>>,
);
type Refs<'a> = (&'a [NodeRef; 10], &'a [NodeRef; 3]);

fn view(
    lang: Lang,
    catalogue: &Catalogue,
    orgs: &[NamedOption],
    (editing, editing_site): Editing<'_>,
    (refs, site_refs): Refs<'_>,
    (save_service, save_site): (Callback<SubmitEvent>, Callback<SubmitEvent>),
) -> Html {
    let org_name = |org: Option<odnowa_shared::ids::OrgId>| {
        org.and_then(|o| {
            orgs.iter()
                .find(|n| n.id == o.to_string())
                .map(|n| n.name.clone())
        })
        .unwrap_or_default()
    };
    let mut services: Vec<_> = catalogue.services.iter().collect();
    services.sort_by_key(|(code, s)| (s.position, code.to_string()));
    let rows = services.iter().map(|(code, s)| {
        let code = code.to_string();
        let onclick = {
            let editing = editing.clone();
            let code = code.clone();
            Callback::from(move |_: MouseEvent| editing.set(Some(code.clone())))
        };
        let targets: Vec<String> = s
            .targets
            .iter()
            .map(|(metric, value)| {
                let name = match metric.as_str() {
                    "unique_persons" => t(lang, Key::ColUnique),
                    "records" => t(lang, Key::ColRecords),
                    "hours" => t(lang, Key::ColHours),
                    other => other,
                };
                format!("{name}: {value}")
            })
            .collect();
        let contract = match (s.contract_from, s.contract_to) {
            (None, None) => String::new(),
            (from, to) => format!(
                "{} – {}",
                from.map(|d| format::date(lang, d)).unwrap_or_default(),
                to.map(|d| format::date(lang, d)).unwrap_or_default()
            ),
        };
        html! {
            <tr class={classes!("clickable", s.retired.then_some("muted"))} data-testid="catalogue-service" data-code={code.clone()} {onclick}>
                <td>{ code.clone() }</td>
                <td>{ s.name_pl.clone() }</td>
                <td>{ s.name_en.clone() }</td>
                <td>{ org_name(s.org) }</td>
                <td>{ contract }</td>
                <td>{ targets.join(", ") }</td>
            </tr>
        }
    });
    let current = editing.as_ref().and_then(|code| {
        catalogue
            .services
            .get(code)
            .map(|s| (code.clone(), s.clone()))
    });
    let key = editing.as_ref().cloned().unwrap_or_default();
    let new_service = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(None))
    };
    let target = |metric: &str| {
        current
            .as_ref()
            .and_then(|(_, s)| s.targets.get(metric))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let day = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    let service_form = html! {
        <form class="office-filters office-card" key={key} onsubmit={save_service} data-testid="service-form">
            <NameAndCode {lang} code_ref={refs[0].clone()} name_ref={refs[1].clone()}
                code={current.as_ref().map(|(c, _)| c.clone()).unwrap_or_default()}
                name={current.as_ref().map(|(_, s)| s.name_pl.clone()).unwrap_or_default()} />
            { field(lang, Key::ColNameEn, &refs[2], "text", current.as_ref().map(|(_, s)| s.name_en.clone()).unwrap_or_default(), "service-name-en") }
            { org_select(lang, &refs[3], orgs, current.as_ref().and_then(|(_, s)| s.org.map(|o| o.to_string()))) }
            <DayInput {lang} label={Key::ContractFrom} id="service-contract-from" node={refs[4].clone()}
                value={day(current.as_ref().and_then(|(_, s)| s.contract_from))} />
            <DayInput {lang} label={Key::ContractTo} id="service-contract-to" node={refs[9].clone()}
                value={day(current.as_ref().and_then(|(_, s)| s.contract_to))} />
            { field(lang, Key::TargetUnique, &refs[6], "number", target("unique_persons"), "service-target-unique") }
            { field(lang, Key::TargetRecords, &refs[7], "number", target("records"), "service-target-records") }
            { field(lang, Key::TargetHours, &refs[8], "number", target("hours"), "service-target-hours") }
            <label class="field field-check">
                <input ref={refs[5].clone()} type="checkbox" checked={current.as_ref().is_some_and(|(_, s)| s.retired)} />
                <span>{ t(lang, Key::Retired) }</span>
            </label>
            <button type="submit" class="button button-primary" data-testid="save-service">{ t(lang, Key::SaveService) }</button>
            <button type="button" class="button" onclick={new_service}>{ t(lang, Key::NewEntry) }</button>
        </form>
    };

    let kind_name = |kind: &str| {
        SITE_KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(kind.to_string(), |(_, key)| t(lang, *key).to_string())
    };
    let site_rows = catalogue.sites.iter().map(|(id, site)| {
        let onclick = {
            let editing_site = editing_site.clone();
            let id = id.clone();
            Callback::from(move |_: MouseEvent| editing_site.set(Some(id.clone())))
        };
        html! {
            <tr class="clickable" data-testid="catalogue-site" {onclick}>
                <td>{ site.name.clone() }</td>
                <td>{ kind_name(&site.site_kind) }</td>
                <td>{ org_name(site.org) }</td>
            </tr>
        }
    });
    let site = editing_site
        .as_ref()
        .and_then(|id| catalogue.sites.get(id).cloned());
    let new_site = {
        let editing_site = editing_site.clone();
        Callback::from(move |_: MouseEvent| editing_site.set(None))
    };
    let site_kind = site
        .as_ref()
        .map(|s| s.site_kind.clone())
        .unwrap_or_else(|| site_kind::DAY_ROOM.into());
    let site_form = html! {
        <form class="office-filters office-card" key={editing_site.as_ref().cloned().unwrap_or_default()} onsubmit={save_site} data-testid="site-form">
            { field(lang, Key::ColName, &site_refs[0], "text", site.as_ref().map(|s| s.name.clone()).unwrap_or_default(), "site-name") }
            <label class="field">
                <span class="field-label">{ t(lang, Key::ColSiteKind) }</span>
                <select ref={site_refs[1].clone()}>
                    { for SITE_KINDS.iter().map(|(kind, key)| html! {
                        <option value={*kind} selected={site_kind == *kind}>{ t(lang, *key) }</option>
                    }) }
                </select>
            </label>
            { org_select(lang, &site_refs[2], orgs, site.as_ref().and_then(|s| s.org.map(|o| o.to_string()))) }
            <button type="submit" class="button button-primary" data-testid="save-site">{ t(lang, Key::SaveSite) }</button>
            <button type="button" class="button" onclick={new_site}>{ t(lang, Key::NewEntry) }</button>
        </form>
    };
    html! {
        <>
            <h3>{ t(lang, Key::CatalogueServices) }</h3>
            <table class="office-table">
                <thead><tr>
                    <th scope="col">{ t(lang, Key::ColCode) }</th>
                    <th scope="col">{ t(lang, Key::ColNamePl) }</th>
                    <th scope="col">{ t(lang, Key::ColNameEn) }</th>
                    <th scope="col">{ t(lang, Key::ColMember) }</th>
                    <th scope="col">{ t(lang, Key::ColContract) }</th>
                    <th scope="col">{ t(lang, Key::ColTargets) }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            { service_form }
            <h3>{ t(lang, Key::CatalogueSites) }</h3>
            <table class="office-table">
                <thead><tr>
                    <th scope="col">{ t(lang, Key::ColName) }</th>
                    <th scope="col">{ t(lang, Key::ColSiteKind) }</th>
                    <th scope="col">{ t(lang, Key::ColMember) }</th>
                </tr></thead>
                <tbody>{ for site_rows }</tbody>
            </table>
            { site_form }
            <Institutions catalogue={catalogue.clone()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct InstitutionsProps {
    catalogue: Catalogue,
}

/// The outside institutions a person may be referred to (the social
/// assistance centre, the labour office, clinics, probation): kept here by
/// the office, offered on the devices.
#[function_component(Institutions)]
fn institutions(props: &InstitutionsProps) -> Html {
    let office = use_office();
    let lang = office.lang;
    // What the catalogue shows after a save (the page's copy reloads on
    // its own only when another section saves).
    let shown = use_state(|| props.catalogue.clone());
    let editing = use_state(|| None::<String>);
    let refs: [NodeRef; 6] = Default::default();
    let error = use_state(|| None::<Key>);
    let current = editing
        .as_ref()
        .and_then(|id| shown.institutions.get(id).map(|i| (id.clone(), i.clone())));
    let save = {
        let (refs, shown, error) = (refs.clone(), shown.clone(), error.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let edit = odnowa_shared::office::InstitutionEdit {
                id: input(&refs[0]).trim().to_string(),
                name: input(&refs[1]),
                institution_kind: selected(&refs[2]),
                address: input(&refs[3]),
                phone: input(&refs[4]),
                retired: checked(&refs[5]),
            };
            let (shown, error) = (shown.clone(), error.clone());
            spawn_local(async move {
                match office_api::put_institution(edit).await {
                    Ok(catalogue) => {
                        error.set(None);
                        shown.set(catalogue);
                    }
                    Err(e) => error.set(Some(e.key())),
                }
            });
        })
    };
    let rows = shown.institutions.iter().map(|(id, i)| {
        let onclick = {
            let (editing, id) = (editing.clone(), id.clone());
            Callback::from(move |_: MouseEvent| editing.set(Some(id.clone())))
        };
        html! {
            <tr class={classes!("clickable", i.retired.then_some("muted"))} data-testid="catalogue-institution" {onclick}>
                <td>{ id.clone() }</td>
                <td>{ i.name.clone() }</td>
                <td>{ institution_kind_name(lang, &i.institution_kind) }</td>
                <td>{ i.address.clone() }</td>
                <td>{ i.phone.clone() }</td>
            </tr>
        }
    });
    let kind = current
        .as_ref()
        .map(|(_, i)| i.institution_kind.clone())
        .unwrap_or_else(|| institution_kind::SOCIAL_ASSISTANCE.into());
    let new_entry = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| editing.set(None))
    };
    html! {
        <>
            <h3>{ t(lang, Key::CatalogueInstitutions) }</h3>
            <table class="office-table">
                <thead><tr>
                    <th scope="col">{ t(lang, Key::ColCode) }</th>
                    <th scope="col">{ t(lang, Key::ColName) }</th>
                    <th scope="col">{ t(lang, Key::ColInstitutionKind) }</th>
                    <th scope="col">{ t(lang, Key::ColAddress) }</th>
                    <th scope="col">{ t(lang, Key::ColPhone) }</th>
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <form class="office-filters office-card" key={editing.as_ref().cloned().unwrap_or_default()} onsubmit={save} data-testid="institution-form">
                { field(lang, Key::ColCode, &refs[0], "text", current.as_ref().map(|(id, _)| id.clone()).unwrap_or_default(), "institution-id") }
                { field(lang, Key::ColName, &refs[1], "text", current.as_ref().map(|(_, i)| i.name.clone()).unwrap_or_default(), "institution-name") }
                <label class="field">
                    <span class="field-label">{ t(lang, Key::ColInstitutionKind) }</span>
                    <select ref={refs[2].clone()} data-testid="institution-kind">
                        { for institution_kind::ALL.iter().map(|k| html! {
                            <option value={*k} selected={kind == *k}>{ institution_kind_name(lang, k) }</option>
                        }) }
                    </select>
                </label>
                { field(lang, Key::ColAddress, &refs[3], "text", current.as_ref().map(|(_, i)| i.address.clone()).unwrap_or_default(), "institution-address") }
                { field(lang, Key::ColPhone, &refs[4], "tel", current.as_ref().map(|(_, i)| i.phone.clone()).unwrap_or_default(), "institution-phone") }
                <label class="field field-check">
                    <input ref={refs[5].clone()} type="checkbox" checked={current.as_ref().is_some_and(|(_, i)| i.retired)} />
                    <span>{ t(lang, Key::Retired) }</span>
                </label>
                <button type="submit" class="button button-primary" data-testid="save-institution">{ t(lang, Key::SaveInstitution) }</button>
                <button type="button" class="button" onclick={new_entry}>{ t(lang, Key::NewEntry) }</button>
            </form>
            <ErrorBanner {lang} error={*error} />
        </>
    }
}

/// The name of a kind of institution.
fn institution_kind_name(lang: Lang, kind: &str) -> String {
    let key = match kind {
        institution_kind::SOCIAL_ASSISTANCE => Key::InstSocialAssistance,
        institution_kind::LABOUR_OFFICE => Key::InstLabourOffice,
        institution_kind::HEALTH => Key::InstHealth,
        institution_kind::ADDICTION => Key::InstAddiction,
        institution_kind::MENTAL_HEALTH => Key::InstMentalHealth,
        institution_kind::HOUSING => Key::InstHousing,
        institution_kind::JUSTICE => Key::InstJustice,
        institution_kind::EDUCATION => Key::InstEducation,
        institution_kind::OTHER => Key::InstOther,
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

#[derive(Properties, PartialEq)]
struct NameAndCodeProps {
    lang: Lang,
    code_ref: NodeRef,
    name_ref: NodeRef,
    code: String,
    name: String,
}

/// The Polish name and the code of a service: a new service's code is
/// made from the name as it is typed ("Gorący napój" → `goracy_napoj`)
/// until someone edits the code; an existing service's code stays.
#[function_component(NameAndCode)]
fn name_and_code(props: &NameAndCodeProps) -> Html {
    let lang = props.lang;
    let code = use_state(|| props.code.clone());
    let name = use_state(|| props.name.clone());
    let touched = use_state(|| !props.code.is_empty());
    let on_name = {
        let (code, name, touched) = (code.clone(), name.clone(), touched.clone());
        Callback::from(move |event: InputEvent| {
            let typed = event.target_unchecked_into::<HtmlInputElement>().value();
            if !*touched {
                code.set(service_code(&typed));
            }
            name.set(typed);
        })
    };
    let on_code = {
        let (code, touched) = (code.clone(), touched.clone());
        Callback::from(move |event: InputEvent| {
            touched.set(true);
            code.set(event.target_unchecked_into::<HtmlInputElement>().value());
        })
    };
    html! {
        <>
            <label class="field">
                <span class="field-label">{ t(lang, Key::ColNamePl) }</span>
                <input ref={props.name_ref.clone()} type="text" value={(*name).clone()} oninput={on_name}
                    data-testid="service-name-pl" />
            </label>
            <label class="field">
                <span class="field-label">{ t(lang, Key::ColCode) }</span>
                <input ref={props.code_ref.clone()} type="text" value={(*code).clone()} oninput={on_code}
                    data-testid="service-code" aria-describedby="service-code-hint" />
                <span class="field-hint" id="service-code-hint">{ t(lang, Key::ServiceCodeHint) }</span>
            </label>
        </>
    }
}

#[derive(Properties, PartialEq)]
pub(super) struct DayInputProps {
    pub lang: Lang,
    pub label: Key,
    pub id: AttrValue,
    /// A hidden input holding the day as ISO text, read on save.
    pub node: NodeRef,
    pub value: String,
}

/// A typed day ([`DateField`]) whose value the form reads from a hidden
/// input, like its other fields.
#[function_component(DayInput)]
pub(super) fn day_input(props: &DayInputProps) -> Html {
    let value = use_state(|| props.value.clone());
    let on_change = {
        let value = value.clone();
        Callback::from(move |day: String| value.set(day))
    };
    html! {
        <div class="field">
            <label class="field-label" for={props.id.clone()}>{ t(props.lang, props.label) }</label>
            <DateField lang={props.lang} id={props.id.clone()} value={(*value).clone()} {on_change} />
            <input ref={props.node.clone()} type="hidden" value={(*value).clone()} />
        </div>
    }
}
