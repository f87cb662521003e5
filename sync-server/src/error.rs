//! The HTTP error type: logs internals, shows a person a clear sentence.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use odnowa_shared::protocol::{self, ErrorCode, ServerMessage, WireError};

use crate::store::{Outage, StoreError};

/// How long a device is asked to wait after an outage before it tries
/// again (it backs off on its own as well).
const RETRY_AFTER_OUTAGE_SECS: u64 = 10;

/// An error answered to a device or a browser.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("this device was revoked: enrol it again with a new code")]
    Revoked,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnsupportedVersion(String),
    #[error("the request is too large")]
    TooLarge,
    #[error("too many wrong enrolment codes: try again in {} s", .0.as_secs().max(1))]
    TooManyAttempts(std::time::Duration),
    #[error("this device already holds {0} live connections: close one first")]
    TooManyConnections(usize),
    #[error("{}", outage_message(*.0))]
    Unavailable(Outage),
    #[error("internal error")]
    Internal(StoreError),
}

/// What a person is told of an outage: nothing is lost, the device keeps
/// its records and tries again.
fn outage_message(outage: Outage) -> &'static str {
    match outage {
        Outage::StorageFull => {
            "the server's storage is full: nothing was lost, this device keeps its records \
             and sends them once the server has room again"
        }
        Outage::DatabaseUnreachable => {
            "the server cannot reach its database right now: nothing was lost, this device \
             keeps its records and sends them later"
        }
        Outage::Contended => {
            "others were changing the same records at this moment: nothing was lost; try \
             again in a moment (the app does so by itself)"
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e.outage() {
            Some(Outage::Contended) => {
                tracing::warn!(error = %e, "a push contended for its documents: the device retries");
                ApiError::Unavailable(Outage::Contended)
            }
            Some(outage) => {
                tracing::error!(error = %e, ?outage, "the database is unavailable");
                ApiError::Unavailable(outage)
            }
            None => ApiError::Internal(e),
        }
    }
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) | ApiError::Revoked => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::UnsupportedVersion(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyAttempts(_) | ApiError::TooManyConnections(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The protocol's error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Unauthorized(_)
            | ApiError::Forbidden(_)
            | ApiError::TooManyAttempts(_)
            | ApiError::TooManyConnections(_) => ErrorCode::Unauthorized,
            ApiError::Revoked => ErrorCode::Revoked,
            ApiError::BadRequest(_) => ErrorCode::BadFrame,
            ApiError::UnsupportedVersion(_) => ErrorCode::UnsupportedVersion,
            ApiError::TooLarge => ErrorCode::TooLarge,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The error as a protocol frame (for the sync endpoints).
    pub fn frame(&self) -> Vec<u8> {
        protocol::encode(&ServerMessage::Error(WireError {
            code: self.code(),
            message: self.to_string(),
        }))
        .unwrap_or_default()
    }

    /// Logs the error: an internal one with its cause, at error level.
    pub(crate) fn log(&self) {
        match self {
            ApiError::Internal(e) => tracing::error!(error = %e, "internal error"),
            other => tracing::info!(error = %other, "request refused"),
        }
    }

    /// Logs the error of a frame a device sent on its live connection,
    /// once, with the device.
    pub(crate) fn log_for(&self, device: odnowa_shared::ids::DeviceId) {
        match self {
            ApiError::Internal(e) => {
                tracing::error!(error = %e, %device, "internal error on a live connection")
            }
            other => tracing::info!(error = %other, %device, "live frame refused"),
        }
    }
}

impl From<protocol::ProtocolError> for ApiError {
    fn from(e: protocol::ProtocolError) -> Self {
        match e {
            protocol::ProtocolError::TooLarge { .. } => ApiError::TooLarge,
            protocol::ProtocolError::UnsupportedVersion(_) => {
                ApiError::UnsupportedVersion(e.to_string())
            }
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let body = serde_json::json!({ "error": self.to_string(), "code": self.code() });
        let mut response = (self.status(), axum::Json(body)).into_response();
        let wait = match self {
            ApiError::TooManyAttempts(wait) => Some(wait.as_secs().max(1)),
            ApiError::TooManyConnections(_) => Some(5),
            ApiError::Unavailable(_) => Some(RETRY_AFTER_OUTAGE_SECS),
            _ => None,
        };
        if let Some(wait) = wait {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        response
    }
}

/// A sync-endpoint error: the same status, with a protocol frame as body.
pub struct FrameError(pub ApiError);

impl From<ApiError> for FrameError {
    fn from(e: ApiError) -> Self {
        FrameError(e)
    }
}

impl IntoResponse for FrameError {
    fn into_response(self) -> Response {
        self.0.log();
        let mut response = (self.0.status(), self.0.frame()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        response
    }
}
