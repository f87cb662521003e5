//! Hooks that fetch from the shell or the browser, one per file.

mod use_app_version;

pub use use_app_version::use_app_version;
