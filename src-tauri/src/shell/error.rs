//! [`Error`]: what a command returns when it fails, serialisable across IPC.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// A failed command. The UI receives `{ "kind": "…", "message": "…" }`:
/// `kind` is stable and for code to branch on, `message` is lowercase and
/// actionable, for logs and for people.
///
/// No variants yet: the only command, `app_version`, cannot fail. Engine
/// errors arrive as variants with the first command that calls the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {}

impl Error {
    /// The stable, machine-readable name of this error.
    fn kind(&self) -> &'static str {
        match *self {}
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Error", 2)?;
        state.serialize_field("kind", self.kind())?;
        state.serialize_field("message", &self.to_string())?;
        state.end()
    }
}
