//! The refusals every office call can meet, each answered with an
//! [`OfficeError`] and written to the audit log (`office_refused`), and
//! the parsing of what a request carries.

use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use odnowa_shared::ids::UserId;
use odnowa_shared::office::{OfficeError, OfficeErrorCode};

use crate::store::{Db, StoreError};
use crate::writer::WriteError;

/// The largest office request body (a login, a catalogue edit).
const MAX_BODY: usize = 64 * 1024;

/// A refusal or failure of an office call, as an HTTP answer.
#[derive(Debug)]
pub struct Refusal(pub OfficeError);

impl Refusal {
    pub fn new(code: OfficeErrorCode, message: impl Into<String>) -> Self {
        Refusal(OfficeError {
            code,
            message: message.into(),
        })
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => {
                Refusal::new(OfficeErrorCode::NotFound, format!("{what} not found"))
            }
            other => {
                tracing::error!(error = %other, "office call failed");
                Refusal::new(
                    OfficeErrorCode::Internal,
                    "the server could not do this; try again",
                )
            }
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            OfficeErrorCode::BadLogin | OfficeErrorCode::NoSession => StatusCode::UNAUTHORIZED,
            OfficeErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            OfficeErrorCode::Forbidden => StatusCode::FORBIDDEN,
            OfficeErrorCode::NotFound => StatusCode::NOT_FOUND,
            OfficeErrorCode::Invalid => StatusCode::BAD_REQUEST,
            OfficeErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(self.0)).into_response()
    }
}

/// Writes a refusal to the log and the audit table, and returns it.
pub async fn refuse(
    db: &Db,
    user: Option<UserId>,
    code: OfficeErrorCode,
    what: &str,
    message: &str,
) -> Refusal {
    tracing::warn!(user = ?user, ?code, what, message, "office call refused");
    let detail = format!("{code:?}: {what}: {message}");
    if let Err(e) = db.audit(user, None, "office_refused", &detail).await {
        tracing::error!(error = %e, "the refusal could not be written to the audit log");
    }
    Refusal::new(code, message)
}

impl From<WriteError> for Refusal {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::NotFound(what) => {
                Refusal::new(OfficeErrorCode::NotFound, format!("{what} not found"))
            }
            WriteError::Invalid(why) => Refusal::new(OfficeErrorCode::Invalid, why),
            WriteError::Store(e) => e.into(),
        }
    }
}

/// A JSON body of at most [`MAX_BODY`] bytes.
pub fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, Refusal> {
    if body.len() > MAX_BODY {
        return Err(Refusal::new(
            OfficeErrorCode::Invalid,
            "the request is too large",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| Refusal::new(OfficeErrorCode::Invalid, format!("malformed request: {e}")))
}

/// An id from a path segment.
pub fn parse_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, Refusal> {
    text.parse().map_err(|_| {
        Refusal::new(
            OfficeErrorCode::Invalid,
            format!("not a {what} id: {text:?}"),
        )
    })
}
