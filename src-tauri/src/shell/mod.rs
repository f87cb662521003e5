//! The Tauri 2 shell: the window, the device engine as managed state, and
//! thin commands over it.
//!
//! API boundary: the UI reaches the device only through the commands in
//! [`commands`], named as in [`odnowa_shared::api::cmd`]; each returns
//! `Result<T, Error>`, and [`Error`] crosses IPC as `{ "kind", "message" }`.
//! A command is only callable when `capabilities/default.json` grants its
//! `allow-…` permission (declared in `build.rs`).
//!
//! The engine opens in the app data dir (Tauri's path resolver) in
//! `setup`, and its background sync runs as long as the app does. On
//! desktop, the environment variable [`DATA_DIR_ENV`] (`ODNOWA_DATA_DIR`)
//! overrides the data dir, so that two app instances can run side by side
//! (end-to-end tests of two tablets); mobile apps always use their sandbox.

mod commands;
mod error;

use std::path::PathBuf;

use tauri::{App, Builder, Manager, Runtime};

use crate::engine::{Background, Engine};

pub use error::Error;

/// Overrides the data dir on desktop (see the module docs).
pub const DATA_DIR_ENV: &str = "ODNOWA_DATA_DIR";

/// The state every command reaches: the engine, and its background sync,
/// which stops when this is dropped.
pub struct Device {
    pub engine: Engine,
    _background: Option<Background>,
}

impl Device {
    /// An engine whose background sync runs until this is dropped.
    pub fn running(engine: Engine) -> Self {
        let background = engine.start();
        Device {
            engine,
            _background: Some(background),
        }
    }

    /// An engine without background sync (tests drive sync themselves).
    #[cfg(all(test, feature = "shell-test"))]
    pub fn idle(engine: Engine) -> Self {
        Device {
            engine,
            _background: None,
        }
    }
}

/// Where the engine keeps its database.
fn data_dir<R: Runtime>(app: &App<R>) -> Result<PathBuf, tauri::Error> {
    #[cfg(desktop)]
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    app.path().app_data_dir()
}

/// Opens the engine and starts its background sync.
fn setup<R: Runtime>(app: &mut App<R>) -> Result<(), Box<dyn std::error::Error>> {
    let dir = data_dir(app)?;
    tracing::info!(dir = %dir.display(), "opening the device engine");
    // Inside the async runtime, so that the engine's tasks and its SQLite
    // pool live on the runtime that serves the commands.
    let device =
        tauri::async_runtime::block_on(
            async move { Engine::open(&dir).await.map(Device::running) },
        )?;
    app.manage(device);
    Ok(())
}

/// Registers every command (the same list as `build.rs`).
pub fn handler<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::app_version,
        commands::app_info,
        commands::enrol,
        commands::sync_status,
        commands::sync_now,
        commands::catalogue,
        commands::search_persons,
        commands::similar_persons,
        commands::create_person,
        commands::contacts_on,
        commands::contact,
        commands::save_contact,
        commands::link_contact_person,
        commands::link_new_person,
        commands::recent_places,
        commands::recent_persons,
        commands::today_session,
        commands::set_present,
        commands::check_out,
        commands::add_walk_in,
        commands::add_meals,
        commands::workshops,
        commands::workshop,
        commands::save_workshop,
        commands::record_meta,
        commands::resolve_conflict,
        commands::unlock,
        commands::lock,
        commands::reset_device,
        commands::give_consent,
        commands::withdraw_consent,
        commands::person_file,
        commands::add_note,
        commands::diagnosis,
        commands::save_diagnosis,
        commands::programme,
        commands::open_programme,
        commands::save_step,
        commands::save_review,
        commands::close_programme,
        commands::referral_targets,
        commands::send_referral,
        commands::answer_referral,
        commands::referrals,
        commands::due,
    ])
}

/// Starts the app: the desktop binary's `main` and the mobile entry point.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    handler(tauri::Builder::default())
        .setup(setup)
        .run(tauri::generate_context!())
        .expect("the odnowa shell failed to start or stopped with an error");
}

#[cfg(all(test, feature = "shell-test"))]
mod tests {
    //! Commands through Tauri's real IPC path on the mock runtime: argument
    //! names, answers and errors as JavaScript sees them.

    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    use super::*;

    fn invoke(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        get_ipc_response(
            webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize::<serde_json::Value>().expect("json"))
    }

    #[test]
    fn commands_round_trip_through_ipc_and_errors_are_kind_and_message() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = tauri::async_runtime::block_on(Engine::open(dir.path())).expect("open");
        let app = handler(mock_builder())
            .manage(Device::idle(engine))
            .build(mock_context(noop_assets()))
            .expect("app");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("webview");

        let info = invoke(&webview, "app_info", serde_json::json!({})).expect("app_info");
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(info["identity"], serde_json::Value::Null);

        assert_eq!(info["lock"]["access"], "new");
        assert_eq!(info["lock"]["attempts_left"], 10);

        // Nothing is shown before enrolment: every record command says so.
        let id = "0190f0e8-0000-7000-8000-000000000001";
        let refused =
            invoke(&webview, "contact", serde_json::json!({ "id": id })).expect_err("not enrolled");
        assert_eq!(
            refused,
            serde_json::json!({
                "kind": "not_enrolled",
                "message": "this device is not enrolled yet: enter the server address and the code from your coordinator",
            })
        );
        for (cmd, args) in [
            ("search_persons", serde_json::json!({ "query": "zb" })),
            (
                "create_person",
                serde_json::json!({ "draft": { "alias": "Zbyszek", "birth_year": null, "gender": "m" } }),
            ),
            ("unlock", serde_json::json!({ "pin": "314159" })),
        ] {
            let refused = invoke(&webview, cmd, args).expect_err(cmd);
            assert_eq!(refused["kind"], "not_enrolled", "{cmd}");
        }
        let locked = invoke(&webview, "lock", serde_json::json!({})).expect("lock");
        assert_eq!(locked["lock"]["access"], "new");

        // Arguments that do not decode never reach the command: Tauri
        // answers with a plain string (api.rs tells the UI so).
        let undecodable = invoke(&webview, "contact", serde_json::json!({ "id": "nope" }))
            .expect_err("not a uuid");
        assert!(undecodable.is_string(), "{undecodable}");

        let sync = invoke(
            &webview,
            "sync_status",
            serde_json::json!({ "active": true }),
        )
        .expect("sync_status");
        assert_eq!(sync["enrolled"], false);
        assert_eq!(sync["access"], "new");
        assert_eq!(sync["records"], 0);
    }
}
