//! Odnowa on the device.
//!
//! [`engine`] is the local replica: documents in SQLite, the typed API the
//! screens call, and the sync client. It is a plain library: with
//! `default-features = false` it builds without Tauri or WebKit, and the
//! tests and benchmarks use it that way. The `shell` feature (on by default)
//! adds the Tauri 2 window and thin commands over the engine.

pub mod engine;

#[cfg(feature = "shell")]
mod shell;

#[cfg(feature = "shell")]
pub use shell::run;
