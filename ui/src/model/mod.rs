//! The screens' logic that does not need a browser: form state and its
//! reducers, validation of drafts, the "same as last time" choice, the sync
//! indicator, the display settings, formatting of dates, times and durations, and sorting.
//!
//! Architecture invariant: nothing here touches `web_sys`, `js_sys` or Yew,
//! so all of it compiles on the host and is unit-tested by
//! `cargo test -p odnowa-ui`. Components only wire it to the page.

pub mod board;
pub mod case;
pub mod contact_form;
pub mod display;
pub mod enrol;
pub mod errors;
pub mod format;
pub mod last_time;
pub mod office;
pub mod person_form;
pub mod sync;
pub mod workshop_form;
