//! Parts shared by the screens, one component per file.

mod bottom_nav;
mod confirmed_mark;
mod date_field;
mod error_banner;
mod header;
mod lang_switch;
mod person_fields;
mod person_search;
mod recent_persons;
mod record_meta_panel;
mod stepper;
pub mod sync_indicator;

pub use bottom_nav::BottomNav;
pub use confirmed_mark::ConfirmedMark;
pub use date_field::DateField;
pub use error_banner::ErrorBanner;
pub use header::Header;
pub use lang_switch::LangSwitch;
pub use person_fields::PersonFieldsForm;
pub use person_search::PersonSearch;
pub use recent_persons::RecentPersons;
pub use record_meta_panel::RecordMetaPanel;
pub use stepper::Stepper;
pub use sync_indicator::SyncIndicatorButton;
