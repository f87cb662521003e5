//! [`Error`]: what a command returns when it fails, serialisable across IPC
//! as `{ "kind": "…", "message": "…" }` ([`odnowa_shared::api::CommandError`]).

use serde::Serialize;

use odnowa_shared::api::CommandError;

use crate::engine::EngineError;

/// A failed command. `kind` is stable and for code to branch on (see
/// [`odnowa_shared::api::ErrorKind`]); `message` is lowercase and
/// actionable, for logs and for people. Built from an [`EngineError`], whose
/// [`EngineError::kind`] decides the kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{}", .0.message)]
#[serde(transparent)]
pub struct Error(pub CommandError);

impl From<EngineError> for Error {
    fn from(error: EngineError) -> Self {
        Error(CommandError::from(error))
    }
}

#[cfg(test)]
mod tests {
    use odnowa_shared::api::ErrorKind;
    use odnowa_shared::ids::DocId;

    use super::*;

    #[test]
    fn an_error_crosses_ipc_as_kind_and_message() {
        let id = DocId(uuid::Uuid::from_u128(7));
        let error = Error::from(EngineError::NotFound(id));
        assert_eq!(error.0.kind, ErrorKind::NotFound);
        assert_eq!(
            serde_json::to_value(&error).expect("json"),
            serde_json::json!({
                "kind": "not_found",
                "message": format!("no record {id}"),
            })
        );
        let error = Error::from(EngineError::NotEnrolled);
        assert_eq!(
            serde_json::to_value(&error).expect("json")["kind"],
            "not_enrolled"
        );
    }
}
