//! [`RecordMetaPanel`]: a record's fields with concurrent values ("2
//! versions", who and when, pick one) and its history (who, when, what).

use odnowa_shared::api::{ErrorKind, RecordMeta};
use odnowa_shared::conflicts::Conflict;
use odnowa_shared::ids::DocId;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::ErrorBanner;
use crate::hooks::{Load, today, use_load};
use crate::i18n::{Key, Lang, t, tf, versions};
use crate::model::format;
use crate::tauri;

#[derive(Properties, PartialEq)]
pub struct RecordMetaPanelProps {
    pub lang: Lang,
    pub id: DocId,
    /// Changes when the record may have changed (a save, a sync).
    #[prop_or_default]
    pub generation: u64,
    /// A version was picked: the record changed.
    #[prop_or_default]
    pub on_changed: Callback<()>,
}

#[function_component(RecordMetaPanel)]
pub fn record_meta_panel(props: &RecordMetaPanelProps) -> Html {
    let lang = props.lang;
    let meta = use_load((props.id, props.generation), |(id, _)| {
        tauri::record_meta(id)
    });
    let error = use_state(|| None::<Key>);
    let Load::Ready(record) = &*meta else {
        return html! {};
    };
    let conflicts = record.conflicts.iter().map(|conflict| {
        conflict_view(
            lang,
            record,
            conflict,
            meta.clone(),
            error.clone(),
            props.on_changed.clone(),
        )
    });
    let now = today();
    let history = record.history.iter().rev().map(|entry| {
        let message = if entry.device.is_none() {
            t(lang, Key::HistoryGenesis).to_string()
        } else {
            format::history_message(lang, &entry.message)
        };
        html! {
            <li class="history-row" data-testid="history-row">
                <span class="history-when">{ format::when(lang, entry.at, now) }</span>
                <span class="history-who">{ who(entry.author.as_deref(), entry.device) }</span>
                <span class="history-what">{ message }</span>
            </li>
        }
    });
    html! {
        <div class="record-meta">
            <ErrorBanner {lang} error={*error} />
            if !record.conflicts.is_empty() {
                <section class="versions" id="versions" data-testid="versions">
                    <h3 class="section-title">{ t(lang, Key::VersionsTitle) }</h3>
                    <p class="hint">{ t(lang, Key::VersionsIntro) }</p>
                    { for conflicts }
                </section>
            }
            <details class="history" data-testid="history">
                <summary class="history-summary">{ t(lang, Key::HistoryTitle) }</summary>
                <ol class="history-list">{ for history }</ol>
            </details>
        </div>
    }
}

fn conflict_view(
    lang: Lang,
    record: &RecordMeta,
    conflict: &Conflict,
    meta: UseStateHandle<Load<RecordMeta>>,
    error: UseStateHandle<Option<Key>>,
    on_changed: Callback<()>,
) -> Html {
    let now = today();
    let options = conflict.versions.iter().map(|version| {
        let onclick = {
            let (id, path, change) = (record.id, conflict.path.clone(), version.change.clone());
            let (meta, error, on_changed) = (meta.clone(), error.clone(), on_changed.clone());
            Callback::from(move |_: MouseEvent| {
                let (path, change) = (path.clone(), change.clone());
                let (meta, error, on_changed) = (meta.clone(), error.clone(), on_changed.clone());
                spawn_local(async move {
                    match tauri::resolve_conflict(id, &path, &change).await {
                        Ok(answer) => {
                            error.set(None);
                            meta.set(Load::Ready(answer));
                            on_changed.emit(());
                        }
                        // Settled meanwhile (the other device's pick came in
                        // after this screen was drawn): say so and show the
                        // field as it is now.
                        Err(failure) if failure.kind() == Some(ErrorKind::Settled) => {
                            error.set(Some(failure.key()));
                            if let Ok(now) = tauri::record_meta(id).await {
                                meta.set(Load::Ready(now));
                            }
                            on_changed.emit(());
                        }
                        Err(failure) => error.set(Some(failure.key())),
                    }
                });
            })
        };
        let value = if version.value.is_empty() {
            t(lang, Key::EmptyValue).to_string()
        } else {
            version.value.clone()
        };
        let device = who(version.author.as_deref(), version.device);
        html! {
            <li class="version-row" data-testid="version-row" data-value={version.value.clone()}>
                <span class="version-value">{ value }</span>
                <span class="version-by">
                    { tf(lang, Key::VersionBy, &[("device", &device), ("when", &format::when(lang, version.at, now))]) }
                </span>
                <button type="button" class="button button-secondary" data-testid="keep-version"
                    data-change={version.change.clone()} {onclick}>
                    { t(lang, Key::KeepThisVersion) }
                </button>
            </li>
        }
    });
    html! {
        <div class="conflict" data-testid="conflict" data-path={conflict.path.join(".")}>
            <p class="conflict-field">
                <strong>{ field_name(lang, &conflict.path) }</strong>
                <span class="badge" data-testid="versions-badge">{ versions(lang, conflict.versions.len()) }</span>
            </p>
            <ul class="version-list">{ for options }</ul>
        </div>
    }
}

/// A field's name for a person: the translated name of its last key when
/// the app knows it, the path otherwise.
fn field_name(lang: Lang, path: &[String]) -> String {
    let key = match path.last().map(String::as_str) {
        Some("alias") => Some(Key::AliasLabel),
        Some("place") => Some(Key::FieldPlace),
        Some("note") => Some(Key::FieldNote),
        Some("duration_min") => Some(Key::FieldDuration),
        Some("follow_up") => Some(Key::FieldFollowUp),
        Some("theme") => Some(Key::WorkshopTheme),
        Some("motif") => Some(Key::WorkshopMotif),
        Some("materials") => Some(Key::WorkshopMaterials),
        Some("check_out") => Some(Key::CheckOut),
        Some("present") => Some(Key::Present),
        Some("meals") => Some(Key::Meals),
        _ => None,
    };
    key.map(|key| t(lang, key).to_string())
        .unwrap_or_else(|| path.join(" › "))
}

/// Who made a change: the author's name the document records, else the
/// first block of the device id.
fn who(author: Option<&str>, device: Option<odnowa_shared::ids::DeviceId>) -> String {
    match (author, device) {
        (Some(name), _) if !name.is_empty() => name.to_string(),
        (_, Some(device)) => short_device(&device.to_string()),
        _ => String::new(),
    }
}

/// The first block of a device id: enough to tell two tablets apart.
fn short_device(id: &str) -> String {
    id.split('-').next().unwrap_or(id).to_string()
}
