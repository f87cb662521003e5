//! The Odnowa sync server.
//!
//! - [`store`]: SQLite or PostgreSQL behind one narrow type, [`store::Db`].
//! - [`exchange`]: one sync exchange (ingest pushes, answer from the feeds).
//! - [`routes`]: `app(state) -> Router` — health, enrolment, sync over HTTP
//!   and WebSocket, the office pages.
//! - [`admin`]: what the admin CLI does (organisations, spaces, users,
//!   grants, enrolment codes, devices).
//! - [`office`]: the office HTTP API (login, sessions, records,
//!   timeline, duplicates, report, exports, catalogue), refusals logged.
//! - [`projection`]: relational rows of every record, written with its
//!   changes; rebuilt from the documents on demand.
//! - [`export`]: the report as XLSX and CSV, Polish headers.
//! - [`report`]: the city report (with freezing) and the dashboard.
//! - [`writer`]: what the office writes through the server (catalogue,
//!   merges), as changes ingested like a device's.
//! - [`erasure`]: erasing a person, down to every device's copy.
//! - [`limits`]: how many wrong enrolment codes are tolerated.
//! - [`launch`]: serve a router on a listener until a shutdown signal;
//!   [`tls::launch_tls`] the same over TLS.
//! - [`tls`]: HTTPS and WSS with rustls (certificate and key from PEM).
//! - [`headers`]: security headers (CSP, framing, HSTS, no-store).
//! - [`forwarded`]: the client's address behind a trusted reverse proxy.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod conn;
pub mod cursor;
pub mod demo;
pub mod erasure;
pub mod error;
pub mod exchange;
pub mod export;
pub mod forwarded;
mod group;
pub mod headers;
pub mod limits;
pub mod live;
pub mod office;
pub mod passwords;
pub mod projection;
pub mod report;
pub mod routes;
pub mod state;
pub mod store;
pub mod tls;
pub mod writer;

use std::future::Future;
use std::sync::Arc;

pub use routes::app;
pub use state::AppState;
pub use store::Db;

/// Serves `router` on `listener` until `shutdown` completes, then lets open
/// requests finish; connections bounded as [`conn::ConnLimits`] says by
/// default.
pub async fn launch(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    conn::serve(listener, router, conn::ConnLimits::default(), shutdown).await
}

/// The state of a server over `db`, and the switch that tells its live
/// connections to close when the server stops.
pub fn state(db: Arc<Db>, cache_docs: usize) -> (AppState, Stopper) {
    state_with(db, cache_docs, office::OfficeConfig::default())
}

/// [`state`] with office sessions configured.
pub fn state_with(
    db: Arc<Db>,
    cache_docs: usize,
    office: office::OfficeConfig,
) -> (AppState, Stopper) {
    state_configured(
        db,
        cache_docs,
        ServerConfig {
            office,
            ..ServerConfig::default()
        },
    )
}

/// Everything a serving server is told.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// How office sessions behave.
    pub office: office::OfficeConfig,
    /// What devices are told to do (PIN lock, stale lock).
    pub device: odnowa_shared::protocol::DevicePolicy,
    /// How many wrong enrolment codes are tolerated.
    pub enrol: limits::EnrolLimits,
    /// How many wrong office passwords are tolerated.
    pub login: limits::LoginLimits,
}

impl ServerConfig {
    /// The configuration of a server reached over TLS (its own, or a
    /// proxy's): session cookies are Secure, answers carry HSTS.
    pub fn over_tls(mut self) -> Self {
        self.office.secure_cookies = true;
        self
    }
}

/// [`state`] with everything configured.
pub fn state_configured(
    db: Arc<Db>,
    cache_docs: usize,
    config: ServerConfig,
) -> (AppState, Stopper) {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let setup_code = Arc::new(std::sync::Mutex::new(config.office.setup_code.clone()));
    let sync = Arc::new(exchange::SyncService::new(db, cache_docs).with_policy(config.device));
    sync.hear_others();
    let state = AppState {
        sync,
        stopping,
        office: config.office,
        enrol_guard: Arc::new(limits::EnrolGuard::new(config.enrol)),
        login_guard: Arc::new(limits::LoginGuard::new(config.login)),
        live_devices: Default::default(),
        setup_code,
    };
    (state, Stopper(stop))
}

/// Closes a server's live connections.
pub struct Stopper(tokio::sync::watch::Sender<bool>);

impl Stopper {
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}
