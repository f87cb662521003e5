//! One component per screen.

mod contact_detail;
mod contact_form;
mod day_room;
mod device;
mod diagnosis_form;
mod enrol;
mod first_sync;
mod lock;
mod needs_app;
mod outreach;
mod person_file;
mod programme;
mod referrals;
mod workshop_detail;
mod workshop_form;
mod workshops;

pub use contact_detail::ContactDetail;
pub use contact_form::ContactFormPage;
pub use day_room::DayRoom;
pub use device::DevicePage;
pub use diagnosis_form::DiagnosisFormPage;
pub use enrol::Enrol;
pub use first_sync::FirstSync;
pub use lock::{LockScreen, StaleBanner};
pub use needs_app::NeedsApp;
pub use outreach::Outreach;
pub use person_file::{DueList, PersonFilePage};
pub use programme::{ProgrammeFormPage, ProgrammePage};
pub use referrals::{ReferralFormPage, ReferralsPage};
pub use workshop_detail::WorkshopDetail;
pub use workshop_form::WorkshopFormPage;
pub use workshops::Workshops;
