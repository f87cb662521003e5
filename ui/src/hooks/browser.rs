//! The browser's clock and `localStorage`, best effort: a browser that
//! refuses storage still works, the choice then lasts a session.

use odnowa_shared::time::Date;

use crate::model::display::Display;
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

/// Where the display settings are remembered.
const DISPLAY_KEY: &str = "odnowa.display";

/// The display settings this device remembers.
pub fn display_settings() -> Display {
    remembered(DISPLAY_KEY)
        .map(|code| Display::from_code(&code))
        .unwrap_or_default()
}

/// Remembers `display` and applies it to the page.
pub fn save_display(display: Display) {
    remember(DISPLAY_KEY, &display.code());
    apply_display(display);
}

/// Sets `display` on `<html>` (`data-text`, `data-theme`), which the style
/// sheet reads.
pub fn apply_display(display: Display) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = root.set_attribute("data-text", display.text_attr());
    let _ = root.set_attribute("data-theme", display.theme_attr());
}
