//! One component per screen.

mod home;

pub use home::Home;
