//! Validation of record content, with errors a person can act on.
//!
//! The server validates every document after applying a device's changes
//! (a change that makes a document invalid is refused and quarantined); the
//! device validates before it saves, so a worker sees the error at once.

use std::collections::BTreeSet;

use crate::records::kind::RecordKind;

/// Why a record is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{0} is required")]
    Required(&'static str),
    #[error("{0} must not be negative")]
    Negative(&'static str),
    #[error("{field} is out of range: {value}")]
    OutOfRange { field: &'static str, value: String },
    #[error("{field} is too long: at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} is not valid: {reason}")]
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
    #[error("a contact needs at least one person or an anonymous head count")]
    NobodyMet,
    #[error("unknown service code {0:?}: it is not in the catalogue")]
    UnknownService(String),
    #[error("{field} holds a key that is not an id: {key:?}")]
    BadKey { field: &'static str, key: String },
    #[error("a {kind} record belongs in {expected}")]
    WrongSpace {
        kind: RecordKind,
        expected: &'static str,
    },
}

/// What validation checks against besides the record itself.
#[derive(Debug, Clone, Default)]
pub struct ValidationContext {
    /// Service codes of the catalogue; `None` when no catalogue is known yet
    /// (then codes are not checked).
    pub services: Option<BTreeSet<String>>,
}

impl ValidationContext {
    /// A context that checks service codes against `codes`.
    pub fn with_services<I: IntoIterator<Item = S>, S: Into<String>>(codes: I) -> Self {
        ValidationContext {
            services: Some(codes.into_iter().map(Into::into).collect()),
        }
    }

    /// Refuses a service code that the catalogue does not hold.
    pub fn check_service(&self, code: &str) -> Result<(), ValidationError> {
        match &self.services {
            Some(codes) if !codes.contains(code) => Err(ValidationError::UnknownService(
                code.chars().take(40).collect(),
            )),
            _ => Ok(()),
        }
    }
}

/// Refuses text longer than `max` characters.
pub(crate) fn check_text(
    field: &'static str,
    text: &str,
    max: usize,
) -> Result<(), ValidationError> {
    if text.chars().count() > max {
        return Err(ValidationError::TooLong { field, max });
    }
    Ok(())
}

/// Refuses map keys that do not parse as ids of type `T`.
pub(crate) fn check_id_keys<'a, T: std::str::FromStr>(
    field: &'static str,
    keys: impl Iterator<Item = &'a String>,
) -> Result<(), ValidationError> {
    for key in keys {
        if key.parse::<T>().is_err() {
            return Err(ValidationError::BadKey {
                field,
                key: key.chars().take(40).collect(),
            });
        }
    }
    Ok(())
}
