//! The Tauri 2 shell: the window, and thin commands over the engine.
//!
//! API boundary: the UI reaches the device only through the commands in
//! [`commands`]; each returns `Result<T, Error>`, and [`Error`] crosses IPC
//! as `{ "kind", "message" }`. A command is only callable when
//! `capabilities/default.json` grants its `allow-…` permission (declared
//! in `build.rs`).

mod commands;
mod error;

pub use error::Error;

/// Starts the app: the desktop binary's `main` and the mobile entry point.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_version])
        .run(tauri::generate_context!())
        .expect("the odnowa shell failed to start or stopped with an error");
}
