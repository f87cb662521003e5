//! [`use_tick`]: a counter that goes up every `ms` milliseconds while the
//! component is mounted, for polling the shell.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::prelude::*;

/// A number that changes every `ms` milliseconds; use it as an effect's
/// dependency to repeat the effect.
#[hook]
pub fn use_tick(ms: i32) -> u32 {
    let tick = use_state(|| 0u32);
    {
        let tick = tick.clone();
        use_effect_with(ms, move |&ms| {
            let counter = std::rc::Rc::new(std::cell::Cell::new(0u32));
            let closure = Closure::<dyn FnMut()>::new(move || {
                counter.set(counter.get().wrapping_add(1));
                tick.set(counter.get());
            });
            let window = web_sys::window();
            let handle = window.as_ref().and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(
                    closure.as_ref().unchecked_ref(),
                    ms,
                )
                .ok()
            });
            move || {
                if let (Some(window), Some(handle)) = (window, handle) {
                    window.clear_interval_with_handle(handle);
                }
                drop(closure);
            }
        });
    }
    *tick
}
