//! [`use_app_version`]: the app version, asked once from the Tauri shell.

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::tauri::{self, InvokeError};

/// The app version once the shell has answered; `None` before that, and
/// always in a plain browser.
#[hook]
pub fn use_app_version() -> Option<String> {
    let version = use_state(|| None::<String>);
    {
        let version = version.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match tauri::app_version().await {
                    Ok(answer) => version.set(Some(answer)),
                    Err(InvokeError::NotInTauri) => {}
                    Err(error) => web_sys::console::warn_1(&error.to_string().into()),
                }
            });
        });
    }
    (*version).clone()
}
