//! The browser's clock and `localStorage`, best effort: a browser that
//! refuses storage still works, the choice then lasts a session.

use odnowa_shared::time::Date;

use crate::model::format;

/// Today in Europe/Warsaw by the browser's clock (`Timestamp::now` would
/// need the system clock, which wasm32 does not have).
pub fn today() -> Date {
    format::date_of_ms(js_sys::Date::now())
}

/// Milliseconds since the Unix epoch by the browser's clock.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// This year in Warsaw, for checking birth years.
pub fn this_year() -> i64 {
    format::year(today())
}

/// The value stored under `key`, if any.
pub fn remembered(key: &str) -> Option<String> {
    let storage = web_sys::window()?.local_storage().ok()??;
    storage.get_item(key).ok()?
}

/// Stores `value` under `key`.
pub fn remember(key: &str, value: &str) {
    if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.local_storage()) {
        // Private browsing may refuse to store: nothing to do about it.
        let _ = storage.set_item(key, value);
    }
}
