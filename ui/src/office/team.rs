//! A coordinator's devices: their organisation's users with each device
//! (enrolled, last synced, revoked), a one-time enrolment code for a new
//! device, and revoking a lost one (after a confirmation).

use odnowa_shared::access::Role;
use odnowa_shared::ids::UserId;
use odnowa_shared::office::{AuditSubject, DeviceSummary, EnrolCode, TeamMember};
use yew::platform::spawn_local;
use yew::prelude::*;

use super::audit::{AuditList, QuarantineList};
use super::{Failure, confirmed, loading, use_office};
use crate::components::ErrorBanner;
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t, tf};
use crate::model::format;
use crate::office_api;

/// The translated name of a role.
pub fn role_key(role: Role) -> Key {
    match role {
        Role::Outreach => Key::RoleOutreach,
        Role::DayRoom => Key::RoleDayRoom,
        Role::Facilitator => Key::RoleFacilitator,
        Role::Worker => Key::RoleWorker,
        Role::Coordinator => Key::RoleCoordinator,
        Role::Office => Key::RoleOffice,
        Role::Admin => Key::RoleAdmin,
    }
}

fn device_line(lang: Lang, device: &DeviceSummary) -> String {
    let mut parts = vec![tf(
        lang,
        Key::DeviceEnrolled,
        &[("date", &format::date_time(lang, device.enrolled_at))],
    )];
    parts.push(match device.last_seen_at {
        Some(at) => tf(
            lang,
            Key::DeviceLastSeen,
            &[("when", &format::date_time(lang, at))],
        ),
        None => t(lang, Key::DeviceNeverSeen).into(),
    });
    if let Some(at) = device.revoked_at {
        parts.push(tf(
            lang,
            Key::DeviceRevoked,
            &[("date", &format::date_time(lang, at))],
        ));
    }
    parts.join(" · ")
}

#[function_component(TeamPage)]
pub fn team_page() -> Html {
    let office = use_office();
    let lang = office.lang;
    let generation = use_state(|| 0u32);
    let team = use_load(*generation, |_| office_api::team());
    let error = use_state(|| None::<Key>);
    let code = use_state(|| None::<(String, EnrolCode)>);
    let log_of = use_state(|| None::<(UserId, String)>);
    let show_log = {
        let log_of = log_of.clone();
        Callback::from(move |who: (UserId, String)| log_of.set(Some(who)))
    };

    let issue = {
        let (code, error) = (code.clone(), error.clone());
        Callback::from(move |(user, name): (UserId, String)| {
            let (code, error) = (code.clone(), error.clone());
            spawn_local(async move {
                match office_api::enrol_code(user).await {
                    Ok(issued) => {
                        error.set(None);
                        code.set(Some((name, issued)));
                    }
                    Err(e) => error.set(Some(e.key())),
                }
            });
        })
    };
    let revoke = {
        let (generation, error) = (generation.clone(), error.clone());
        Callback::from(move |(device, user): (DeviceSummary, String)| {
            let text = tf(
                lang,
                Key::ConfirmRevoke,
                &[("device", &device.name), ("user", &user)],
            );
            if !confirmed(&text) {
                return;
            }
            let (generation, error) = (generation.clone(), error.clone());
            spawn_local(async move {
                match office_api::revoke_device(device.id).await {
                    Ok(()) => error.set(None),
                    Err(e) => error.set(Some(e.key())),
                }
                generation.set(*generation + 1);
            });
        })
    };

    let issued = (*code).as_ref().map(|(name, issued)| {
        html! {
            <div class="office-card enrol-code" data-testid="enrol-code" role="status">
                <p>{ tf(lang, Key::EnrolCodeFor, &[
                    ("user", name),
                    ("until", &format::date_time(lang, issued.expires_at)),
                ]) }</p>
                <p class="enrol-code-value" data-testid="enrol-code-value">{ &issued.code }</p>
            </div>
        }
    });
    let body = match &*team {
        Load::Loading => loading(lang),
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        Load::Ready(members) => html! {
            <ul class="office-team">
                { for members.iter().map(|m| member_view(lang, m, (&issue, &revoke, &show_log))) }
            </ul>
        },
    };
    let org = office.user.org_name.clone().unwrap_or_default();
    html! {
        <section class="office-page" data-testid="team">
            <h2>{ tf(lang, Key::TeamTitle, &[("org", &org)]) }</h2>
            <p class="muted">{ t(lang, Key::TeamIntro) }</p>
            <ErrorBanner {lang} error={*error} />
            { for issued }
            { body }
            if let Some((user, name)) = (*log_of).clone() {
                <h3 data-testid="audit-of">{ name }</h3>
                <AuditList subject={AuditSubject::User(user)} />
            }
            <QuarantineList />
        </section>
    }
}

type MemberActions<'a> = (
    &'a Callback<(UserId, String)>,
    &'a Callback<(DeviceSummary, String)>,
    &'a Callback<(UserId, String)>,
);

fn member_view(lang: Lang, member: &TeamMember, (issue, revoke, show_log): MemberActions) -> Html {
    let (id, name) = (member.id, member.name.clone());
    let on_issue = issue.reform(move |_: MouseEvent| (id, name.clone()));
    let name = member.name.clone();
    let on_log = show_log.reform(move |_: MouseEvent| (id, name.clone()));
    let devices = member.devices.iter().map(|device| {
        let onclick = {
            let (device, user) = (device.clone(), member.name.clone());
            revoke.reform(move |_: MouseEvent| (device.clone(), user.clone()))
        };
        html! {
            <li class="team-device" data-testid="team-device" data-device={device.name.clone()}>
                <span>
                    <strong>{ &device.name }</strong>
                    <br />
                    <span class="muted">{ device_line(lang, device) }</span>
                </span>
                if device.revoked_at.is_none() {
                    <button type="button" class="button button-danger" data-testid="revoke-device" {onclick}>
                        { t(lang, Key::RevokeDevice) }
                    </button>
                }
            </li>
        }
    });
    html! {
        <li class="office-card team-member" data-testid="team-member" data-user={member.name.clone()}>
            <div class="team-member-head">
                <h3>{ &member.name }</h3>
                <span class="muted">
                    { t(lang, role_key(member.role)) }
                    if member.disabled {
                        { " · " }{ t(lang, Key::UserDisabled) }
                    }
                </span>
                <button type="button" class="button team-log" data-testid="show-audit" onclick={on_log}>
                    { t(lang, Key::ShowAudit) }
                </button>
                if !member.disabled && member.role != Role::Admin {
                    <button type="button" class="button" data-testid="new-enrol-code" onclick={on_issue}>
                        { t(lang, Key::NewEnrolCode) }
                    </button>
                }
            </div>
            if member.devices.is_empty() {
                <p class="empty">{ t(lang, Key::NoDevices) }</p>
            } else {
                <ul class="office-list">{ for devices }</ul>
            }
        </li>
    }
}
