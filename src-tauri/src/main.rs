//! The desktop binary; everything lives in [`odnowa_app::run`].

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    odnowa_app::run()
}
