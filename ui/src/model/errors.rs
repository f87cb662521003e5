//! What went wrong, as a key of the translation table: a form that cannot
//! become a draft ([`FormError`]) and a command that failed ([`ErrorKind`]).

use odnowa_shared::api::ErrorKind;

use crate::i18n::Key;

/// Why a form cannot be saved yet. The form keeps every value typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormError {
    /// A contact needs a person or an anonymous head count.
    NobodyMet,
    /// A new person needs an alias.
    AliasRequired,
    /// The birth year is not a year from 1900 to this year.
    BadBirthYear,
    /// The duration is not a number of minutes from 0 to 24 hours.
    BadDuration,
    /// A date is not a day.
    BadDate,
    /// No site chosen.
    SiteRequired,
    /// A workshop needs a theme.
    ThemeRequired,
    /// Hours of a participant are not a number from 0 to 24.
    BadHours,
    /// The count of an item is not a whole number from 0.
    BadCount,
    /// An item has a count but no name.
    ItemNameRequired,
    /// Enrolment needs the server address.
    ServerRequired,
    /// Enrolment needs the one-time code.
    CodeRequired,
    /// The PIN is too short, too long or padded with spaces.
    PinTooShort,
    /// The PIN and its repetition differ.
    PinMismatch,
}

impl FormError {
    /// The sentence that tells the person what to fix.
    pub fn key(self) -> Key {
        match self {
            FormError::NobodyMet => Key::ErrNobodyMet,
            FormError::AliasRequired => Key::ErrAliasRequired,
            FormError::BadBirthYear => Key::ErrBadBirthYear,
            FormError::BadDuration => Key::ErrBadDuration,
            FormError::BadDate => Key::ErrBadDate,
            FormError::SiteRequired => Key::ErrSiteRequired,
            FormError::ThemeRequired => Key::ErrThemeRequired,
            FormError::BadHours => Key::ErrBadHours,
            FormError::BadCount => Key::ErrBadCount,
            FormError::ItemNameRequired => Key::ErrItemNameRequired,
            FormError::ServerRequired => Key::ErrServerRequired,
            FormError::CodeRequired => Key::ErrCodeRequired,
            FormError::PinTooShort => Key::ErrPinTooShort,
            FormError::PinMismatch => Key::ErrPinMismatch,
        }
    }
}

/// The sentence for a command that failed with `kind`.
pub fn command_error_key(kind: ErrorKind) -> Key {
    match kind {
        ErrorKind::NotEnrolled => Key::ErrNotEnrolled,
        ErrorKind::BadCode => Key::ErrBadCode,
        ErrorKind::TooManyAttempts => Key::ErrTooManyAttempts,
        ErrorKind::Unreachable => Key::ErrUnreachable,
        ErrorKind::Invalid => Key::ErrInvalid,
        ErrorKind::NotFound => Key::ErrNotFound,
        ErrorKind::Revoked => Key::ErrRevoked,
        ErrorKind::Locked => Key::ErrLocked,
        ErrorKind::WrongPin => Key::ErrWrongPin,
        ErrorKind::Wiped => Key::ErrWiped,
        ErrorKind::Stale => Key::ErrStale,
        ErrorKind::PossibleDuplicate => Key::ErrPossibleDuplicate,
        ErrorKind::Merged => Key::ErrMerged,
        ErrorKind::Settled => Key::ErrSettled,
        ErrorKind::Internal => Key::ErrInternal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_error_has_its_own_sentence() {
        let kinds = [
            ErrorKind::NotEnrolled,
            ErrorKind::BadCode,
            ErrorKind::TooManyAttempts,
            ErrorKind::Unreachable,
            ErrorKind::Invalid,
            ErrorKind::NotFound,
            ErrorKind::Revoked,
            ErrorKind::Locked,
            ErrorKind::WrongPin,
            ErrorKind::Wiped,
            ErrorKind::Stale,
            ErrorKind::PossibleDuplicate,
            ErrorKind::Merged,
            ErrorKind::Settled,
            ErrorKind::Internal,
        ];
        let keys: std::collections::HashSet<Key> =
            kinds.iter().map(|&kind| command_error_key(kind)).collect();
        assert_eq!(keys.len(), kinds.len());
    }
}
