//! Calls into the Tauri shell over IPC.
//!
//! A plain wasm-bindgen binding to `window.__TAURI__.core.invoke`, which the
//! shell provides because `app.withGlobalTauri` is on in `tauri.conf.json`
//! (`tauri-sys` has no Tauri 2 release). In a plain browser (`trunk serve`,
//! the office screens) `window.__TAURI__` is undefined: every call then
//! returns [`InvokeError::NotInTauri`] and the screen shows a fallback.
//!
//! API boundary: one typed function per shell command, named like it; the
//! commands live in `src-tauri/src/shell/commands.rs`.

use std::fmt;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `window.__TAURI__.core.invoke(cmd, args)`: resolves with the
    /// command's `Ok` value, rejects with its serialised error.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn invoke_raw(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// Why a shell command gave no answer.
#[derive(Clone, Debug, PartialEq)]
pub enum InvokeError {
    /// Running in a plain browser: there is no shell to ask.
    NotInTauri,
    /// The shell refused or failed; the text is its serialised error.
    Failed(String),
    /// The shell answered with a value of another type than expected.
    UnexpectedReply(String),
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvokeError::NotInTauri => f.write_str("not running inside the Tauri shell"),
            InvokeError::Failed(error) => write!(f, "shell command failed: {error}"),
            InvokeError::UnexpectedReply(reply) => {
                write!(f, "unexpected reply from the shell: {reply}")
            }
        }
    }
}

/// Whether the page runs inside the Tauri shell (`window.__TAURI__` exists).
pub fn is_tauri() -> bool {
    web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window, &JsValue::from_str("__TAURI__")).ok())
        .is_some_and(|tauri| !tauri.is_undefined() && !tauri.is_null())
}

async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, InvokeError> {
    if !is_tauri() {
        return Err(InvokeError::NotInTauri);
    }
    invoke_raw(cmd, args)
        .await
        .map_err(|error| InvokeError::Failed(describe(&error)))
}

/// A readable text for a JavaScript value: strings as they are, anything
/// else as JSON, falling back to its debug form.
fn describe(value: &JsValue) -> String {
    value
        .as_string()
        .or_else(|| {
            js_sys::JSON::stringify(value)
                .ok()
                .and_then(|json| json.as_string())
        })
        .unwrap_or_else(|| format!("{value:?}"))
}

/// The version of the app, from the shell's `app_version` command.
pub async fn app_version() -> Result<String, InvokeError> {
    let reply = invoke("app_version", js_sys::Object::new().into()).await?;
    reply
        .as_string()
        .ok_or_else(|| InvokeError::UnexpectedReply(describe(&reply)))
}
