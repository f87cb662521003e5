//! Odnowa's screens: a Yew app for phones, tablets and desktops.
//!
//! Code map: `app` is the root component and owns the state (`state`);
//! `pages` holds one component per screen, `components` the parts they
//! share, `hooks` what they fetch; [`i18n`] holds every text; `tauri`
//! calls the Tauri shell. (Only [`i18n`] exists on the host, hence the
//! plain names.)
//!
//! Architecture invariant: components hold no string literals shown to a
//! person; every text comes from [`i18n::t`].
//!
//! The app builds for `wasm32-unknown-unknown` only (`trunk build` in
//! `ui/`). On the host only [`i18n`] compiles, so its tests run with the
//! rest of the workspace without a browser.

pub mod i18n;

#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(target_arch = "wasm32")]
pub mod components;
#[cfg(target_arch = "wasm32")]
pub mod hooks;
#[cfg(target_arch = "wasm32")]
pub mod pages;
#[cfg(target_arch = "wasm32")]
pub mod state;
#[cfg(target_arch = "wasm32")]
pub mod tauri;
