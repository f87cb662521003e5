//! Thin Tauri commands: decode the arguments, call the engine, return its
//! answer. No logic lives here. Each command is listed in `build.rs` (which
//! generates its `allow-…` permission) and in [`super::run`].

use super::Error;

/// The app's version (the crate version), for the home screen.
#[tauri::command]
pub fn app_version() -> Result<String, Error> {
    Ok(env!("CARGO_PKG_VERSION").to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_version_is_the_crate_version() {
        assert_eq!(
            app_version().ok().as_deref(),
            Some(env!("CARGO_PKG_VERSION"))
        );
    }
}
