//! Odnowa's screens: a Yew app for phones, tablets and desktops.
//!
//! Code map: `app` is the root component and owns the state (`state`);
//! `pages` holds one component per screen, `components` the parts they
//! share, `hooks` what they fetch; [`i18n`] holds every text; [`model`]
//! holds the logic that needs no browser (form reducers, validation,
//! formatting, the sync indicator); `tauri` calls the Tauri shell (the
//! field app's backend); `office` is the consortium office, the app in a
//! plain browser, with `office_api` (HTTP to the sync server) as its backend. (Only
//! [`i18n`] and [`model`] exist on the host, hence the plain names.)
//!
//! Architecture invariant: components hold no string literals shown to a
//! person; every text comes from [`i18n::t`].
//!
//! The app builds for `wasm32-unknown-unknown` only (`trunk build` in
//! `ui/`). On the host only [`i18n`] and [`model`] compile, so their tests
//! run with `cargo test -p odnowa-ui` without a browser.

pub mod i18n;
pub mod model;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod hooks;
#[cfg(target_arch = "wasm32")]
pub mod office;
#[cfg(target_arch = "wasm32")]
pub mod office_api;
#[cfg(target_arch = "wasm32")]
pub mod pages;
#[cfg(target_arch = "wasm32")]
pub mod state;
#[cfg(target_arch = "wasm32")]
pub mod tauri;
