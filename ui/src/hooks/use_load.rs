//! [`use_load`]: runs a shell command (or an office call) when its inputs change and keeps the
//! last answer, so a reload after sync does not blank the screen.

use std::future::Future;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::tauri::InvokeError;

/// What a screen has from the shell.
#[derive(Clone, Debug, PartialEq)]
pub enum Load<T, E = InvokeError> {
    Loading,
    Ready(T),
    Failed(E),
}

/// Runs `fetch(deps)` whenever `deps` change. While a reload runs the
/// previous answer stays; a failed reload keeps it too (the failure of the
/// first load is shown).
#[hook]
pub fn use_load<T, E, D, F, Fut>(deps: D, fetch: F) -> UseStateHandle<Load<T, E>>
where
    T: Clone + PartialEq + 'static,
    E: Clone + PartialEq + std::fmt::Display + 'static,
    D: Clone + PartialEq + 'static,
    F: Fn(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, E>> + 'static,
{
    let state = use_state(|| Load::Loading);
    {
        let state = state.clone();
        use_effect_with(deps, move |deps| {
            let future = fetch(deps.clone());
            spawn_local(async move {
                match future.await {
                    Ok(value) => state.set(Load::Ready(value)),
                    Err(error) => {
                        web_sys::console::warn_1(&error.to_string().into());
                        if !matches!(*state, Load::Ready(_)) {
                            state.set(Load::Failed(error));
                        }
                    }
                }
            });
        });
    }
    state
}
