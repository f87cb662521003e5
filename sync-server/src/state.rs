//! What every request handler shares: the server's state, and the client's
//! address.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use odnowa_shared::ids::DeviceId;

use crate::exchange::SyncService;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub sync: Arc<SyncService>,
    /// Turns true when the server stops: live connections close then.
    pub stopping: tokio::sync::watch::Receiver<bool>,
    /// How office sessions behave.
    pub office: OfficeConfig,
    /// Unknown enrolment codes counted per client address.
    pub enrol_guard: Arc<crate::limits::EnrolGuard>,
    /// Wrong office passwords counted per account and per address.
    pub login_guard: Arc<crate::limits::LoginGuard>,
    /// Live WebSocket connections per device.
    pub live_devices: LiveDevices,
    /// The first administrator's set-up code until it is used.
    pub setup_code: Arc<std::sync::Mutex<Option<String>>>,
}

/// The address of the client, when the server was launched with connect
/// info (behind a reverse proxy: the proxy's, unless the proxy is trusted
/// with `--trusted-proxy`, see [`crate::forwarded`]).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip()),
        ))
    }
}

/// Live connections per device.
pub type LiveDevices = Arc<std::sync::Mutex<std::collections::HashMap<DeviceId, usize>>>;

/// How office sessions behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeConfig {
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after login, used or not.
    pub lifetime: Duration,
    /// Mark the cookie `Secure` (when served over HTTPS, directly or by a
    /// proxy).
    pub secure_cookies: bool,
    /// The one-time code that sets up the first office administrator on
    /// the login page, printed in the server's log at start while no
    /// office login exists (`None`: no set-up from the page).
    pub setup_code: Option<String>,
}

impl Default for OfficeConfig {
    fn default() -> Self {
        OfficeConfig {
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 3600),
            secure_cookies: false,
            setup_code: None,
        }
    }
}
