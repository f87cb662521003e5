//! One component per screen.

mod contact_detail;
mod contact_form;
mod day_room;
mod enrol;
mod first_sync;
mod lock;
mod needs_app;
mod outreach;
mod workshop_detail;
mod workshop_form;
mod workshops;

pub use contact_detail::ContactDetail;
pub use contact_form::ContactFormPage;
pub use day_room::DayRoom;
pub use enrol::Enrol;
pub use first_sync::FirstSync;
pub use lock::LockScreen;
pub use needs_app::NeedsApp;
pub use outreach::Outreach;
pub use workshop_detail::WorkshopDetail;
pub use workshop_form::WorkshopFormPage;
pub use workshops::Workshops;
