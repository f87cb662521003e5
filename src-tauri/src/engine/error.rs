//! Errors of the device engine, and how each reaches the screens as an
//! [`odnowa_shared::api::CommandError`] (`{kind, message}`).

use odnowa_shared::api::{CommandError, ErrorKind};
use odnowa_shared::document::DocError;
use odnowa_shared::ids::DocId;
use odnowa_shared::protocol::ProtocolError;
use odnowa_shared::sync::replica::ApplyError;

use super::vault::VaultError;

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "this device is not enrolled yet: enter the server address and the code from your coordinator"
    )]
    NotEnrolled,
    #[error("this device is enrolled already")]
    AlreadyEnrolled,
    #[error("no record {0}")]
    NotFound(DocId),
    #[error("{0}")]
    Record(#[from] DocError),
    #[error("{0}")]
    BadCode(String),
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("this device was revoked: enrol it again")]
    Revoked,
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("cannot reach the server: {0}")]
    Offline(String),
    #[error("the server answered with something unreadable: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("the server sent content that does not apply: {0}")]
    Apply(#[from] ApplyError),
    #[error("local database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("local database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("local data is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the app is locked: enter the PIN")]
    Locked,
    #[error("wrong PIN: {attempts_left} attempts left before this device's data is erased")]
    WrongPin { attempts_left: u32 },
    #[error(
        "too many wrong PINs: this device's data was erased ({lost} records not yet sent were lost); enrol it again"
    )]
    Wiped { lost: u64 },
    #[error(
        "this device has not reached the server for {days} days: connect to the network and sync to see the records again"
    )]
    Stale { days: u64 },
    #[error("{0}")]
    Vault(#[from] super::vault::VaultError),
    #[error(
        "this person looks like {0} already registered: say whether it is one of them or someone else"
    )]
    PossibleDuplicate(usize),
    #[error("this person was merged into another in the office: pick them again")]
    Merged,
    #[error(
        "that version is no longer one of the field's values: it was settled meanwhile, here or on another device"
    )]
    Settled,
}

/// Engine results.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// The stable kind the screens branch on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::NotEnrolled => ErrorKind::NotEnrolled,
            EngineError::BadCode(_) => ErrorKind::BadCode,
            EngineError::TooManyAttempts(_) => ErrorKind::TooManyAttempts,
            EngineError::Offline(_) => ErrorKind::Unreachable,
            EngineError::Revoked => ErrorKind::Revoked,
            EngineError::NotFound(_) => ErrorKind::NotFound,
            // An id of another kind of record ("a contact" that is a person)
            // names no record of the kind asked for.
            EngineError::Record(DocError::WrongKind { .. }) => ErrorKind::NotFound,
            EngineError::Record(DocError::Invalid(_))
            | EngineError::Invalid(_)
            | EngineError::Vault(VaultError::WeakPin)
            | EngineError::AlreadyEnrolled => ErrorKind::Invalid,
            EngineError::Locked => ErrorKind::Locked,
            EngineError::WrongPin { .. } | EngineError::Vault(VaultError::WrongPin) => {
                ErrorKind::WrongPin
            }
            EngineError::Wiped { .. } => ErrorKind::Wiped,
            EngineError::Stale { .. } => ErrorKind::Stale,
            EngineError::PossibleDuplicate(_) => ErrorKind::PossibleDuplicate,
            EngineError::Merged => ErrorKind::Merged,
            EngineError::Settled => ErrorKind::Settled,
            EngineError::Record(_)
            | EngineError::Refused(_)
            | EngineError::Protocol(_)
            | EngineError::Apply(_)
            | EngineError::Db(_)
            | EngineError::Migrate(_)
            | EngineError::Vault(_)
            | EngineError::Corrupt(_) => ErrorKind::Internal,
        }
    }
}

impl From<EngineError> for CommandError {
    fn from(error: EngineError) -> Self {
        CommandError {
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl From<&EngineError> for CommandError {
    fn from(error: &EngineError) -> Self {
        CommandError {
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}
