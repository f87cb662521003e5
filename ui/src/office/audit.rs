//! The access log of one person or one user, as a table: when, who (user ·
//! device), what, which record, details. The server lists newest first and
//! logs that it was listed.

use odnowa_shared::office::{AuditEntry, AuditSubject, QuarantinedPush};
use yew::prelude::*;

use super::{Failure, loading, use_office};
use crate::hooks::{Load, use_load};
use crate::i18n::{Key, Lang, t};
use crate::model::format;
use crate::model::office::audit_detail;
use crate::office_api;

fn action(lang: Lang, action: &str) -> String {
    let key = match action {
        "change" => Key::AuditChange,
        "device_read" => Key::AuditDeviceRead,
        "view_timeline" => Key::AuditViewTimeline,
        "view_audit" => Key::AuditViewAudit,
        "office_refused" => Key::AuditRefused,
        "office_login" => Key::AuditLogin,
        "enrol_code" => Key::AuditEnrolCode,
        "revoke_device" => Key::AuditRevoke,
        "erase" => Key::AuditErase,
        "view_erasure_plan" => Key::AuditErasurePlan,
        "erase_delete" => Key::AuditEraseDelete,
        "erase_rewrite" => Key::AuditEraseRewrite,
        other => return other.to_string(),
    };
    t(lang, key).to_string()
}

fn row(lang: Lang, entry: &AuditEntry) -> Html {
    let who = match (&entry.user_name, &entry.device_name) {
        (Some(user), Some(device)) if user != device => format!("{user} · {device}"),
        (Some(user), _) => user.clone(),
        (None, Some(device)) => device.clone(),
        (None, None) => "—".into(),
    };
    let record = entry.doc.map(|d| d.to_string()).unwrap_or_default();
    let said = audit_detail(lang, &entry.action, &entry.detail);
    html! {
        <tr data-testid="audit-entry" data-action={entry.action.clone()}>
            <td>{ format::date_time(lang, entry.at) }</td>
            <td>{ who }</td>
            <td>{ action(lang, &entry.action) }</td>
            <td class="audit-detail">
                { said.clone().unwrap_or_default() }
                if said.is_none() || !record.is_empty() {
                    <details class="tech-details">
                        <summary>{ t(lang, Key::TechnicalDetails) }</summary>
                        <span class="mono">
                            if !record.is_empty() { { record.clone() }<br /> }
                            { &entry.detail }
                        </span>
                    </details>
                }
            </td>
        </tr>
    }
}

#[derive(Properties, PartialEq)]
pub struct AuditListProps {
    pub subject: AuditSubject,
}

#[function_component(AuditList)]
pub fn audit_list(props: &AuditListProps) -> Html {
    let office = use_office();
    let lang = office.lang;
    let entries = use_load(props.subject, office_api::audit);
    let body = match &*entries {
        Load::Loading => loading(lang),
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        Load::Ready(entries) if entries.is_empty() => {
            html! { <p class="empty">{ t(lang, Key::AuditEmpty) }</p> }
        }
        Load::Ready(entries) => html! {
            <div class="table-scroll">
                <table class="office-table audit-table">
                    <thead><tr>
                        <th>{ t(lang, Key::ColWhen) }</th>
                        <th>{ t(lang, Key::ColWho) }</th>
                        <th>{ t(lang, Key::ColWhat) }</th>
                        <th>{ t(lang, Key::ColDetail) }</th>
                    </tr></thead>
                    <tbody>{ for entries.iter().map(|e| row(lang, e)) }</tbody>
                </table>
            </div>
        },
    };
    html! {
        <section class="audit" data-testid="audit">
            <h3>{ t(lang, Key::AuditTitle) }</h3>
            <p class="muted">{ t(lang, Key::AuditIntro) }</p>
            { body }
        </section>
    }
}

/// Why a push was refused, in the reader's language, by its code; the
/// server's own words (often naming the exact rule) stay under
/// "technical details".
fn refusal_reason(lang: Lang, code: &str) -> &'static str {
    // Stored as the code's Rust name ("NotWritable"); the wire's
    // "not_writable" reads the same.
    let key = match code.replace('_', "").to_lowercase().as_str() {
        "notwritable" => Key::RefusedNotWritable,
        "unknownspace" => Key::RefusedUnknownSpace,
        "spacemismatch" => Key::RefusedSpaceMismatch,
        "undecodable" => Key::RefusedUndecodable,
        "missingdependencies" => Key::RefusedMissingDependencies,
        "schemaviolation" => Key::RefusedSchema,
        "headerchanged" => Key::RefusedHeaderChanged,
        "toolarge" => Key::RefusedTooLarge,
        "erased" => Key::RefusedErased,
        "oldgeneration" => Key::RefusedOldGeneration,
        "foreignauthor" => Key::RefusedForeignAuthor,
        _ => Key::RefusedOther,
    };
    t(lang, key)
}

fn refused_row(lang: Lang, push: &QuarantinedPush) -> Html {
    html! {
        <tr data-testid="quarantined" data-code={push.code.clone()}>
            <td>{ format::date_time(lang, push.at) }</td>
            <td>{ push.user_name.clone().unwrap_or_else(|| "—".into()) }</td>
            <td>{ &push.kind }</td>
            <td class="audit-detail">
                { refusal_reason(lang, &push.code) }
                <details class="tech-details">
                    <summary>{ t(lang, Key::TechnicalDetails) }</summary>
                    <span class="mono">{ push.doc.to_string() }<br />{ &push.reason }</span>
                </details>
            </td>
        </tr>
    }
}

/// Pushes the server refused (a coordinator: their organisation's).
#[function_component(QuarantineList)]
pub fn quarantine_list() -> Html {
    let office = use_office();
    let lang = office.lang;
    let pushes = use_load((), |_| office_api::quarantine());
    let body = match &*pushes {
        Load::Loading => loading(lang),
        Load::Failed(e) => html! { <Failure error={e.clone()} /> },
        Load::Ready(pushes) if pushes.is_empty() => {
            html! { <p class="empty" data-testid="no-quarantined">{ t(lang, Key::QuarantineEmpty) }</p> }
        }
        Load::Ready(pushes) => html! {
            <div class="table-scroll">
                <table class="office-table audit-table">
                    <thead><tr>
                        <th>{ t(lang, Key::ColWhen) }</th>
                        <th>{ t(lang, Key::ColWho) }</th>
                        <th>{ t(lang, Key::ColKind) }</th>
                        <th>{ t(lang, Key::ColReason) }</th>
                    </tr></thead>
                    <tbody>{ for pushes.iter().map(|p| refused_row(lang, p)) }</tbody>
                </table>
            </div>
        },
    };
    html! {
        <section class="audit" data-testid="quarantine">
            <h3>{ t(lang, Key::QuarantineTitle) }</h3>
            <p class="muted">{ t(lang, Key::QuarantineIntro) }</p>
            { body }
        </section>
    }
}
