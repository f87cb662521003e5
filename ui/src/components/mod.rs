//! Parts shared by the screens, one component per file.

mod header;
mod lang_switch;

pub use header::Header;
pub use lang_switch::LangSwitch;
