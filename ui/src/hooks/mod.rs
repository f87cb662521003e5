//! Hooks and browser helpers the pages share, one per file.

mod browser;
mod use_load;
mod use_tick;

pub use browser::{
    apply_display, display_settings, now_ms, remember, remembered, save_display, this_year, today,
};
pub use use_load::{Load, use_load};
pub use use_tick::use_tick;
