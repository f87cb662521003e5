//! Errors of the device engine.

use odnowa_shared::document::DocError;
use odnowa_shared::ids::DocId;
use odnowa_shared::protocol::ProtocolError;
use odnowa_shared::sync::replica::ApplyError;

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
}

/// Engine results.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
