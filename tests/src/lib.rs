//! The test harness for end-to-end scenarios: real sync servers on
//! 127.0.0.1 (SQLite files or fresh PostgreSQL databases), real device
//! engines in temporary directories, and a loopback proxy that can cut
//! answers mid-way.

pub mod a11y;
pub mod app;
pub mod browser;
pub mod craft;
pub mod durability;
pub mod load;
pub mod office;
pub mod procs;
pub mod proxy;
pub mod sim;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use odnowa_app::engine::{Engine, ServerTrust, SyncPolicy};
use odnowa_sync_server::exchange::SyncService;
use odnowa_sync_server::office::OfficeConfig;
use odnowa_sync_server::tls::{TlsListener, launch_tls};
use odnowa_sync_server::{
    Db, ServerConfig, Stopper, accounts, admin, app, forwarded, launch, state_configured,
};
use tokio::task::JoinHandle;

/// Which database a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares, for each `async fn name(backend: Backend) -> anyhow::Result<()>`
/// of the calling test file, one test on SQLite (`sqlite::name`) and one on
/// PostgreSQL (`postgres::name`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    super::$name($crate::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() -> anyhow::Result<()> {
                    super::$name($crate::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ODNOWA_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/postgres".to_string())
}

/// A database for one test: a SQLite file in a temporary directory, or a
/// fresh PostgreSQL database dropped when this is dropped.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Result<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite:{}", dir.path().join("server.sqlite").display());
                Ok(TestDatabase {
                    url,
                    _dir: Some(dir),
                    pg_name: None,
                })
            }
            Backend::Postgres => {
                let name = format!("odnowa_t_{}", uuid::Uuid::new_v4().simple());
                let admin = postgres_admin_url();
                let mut conn: sqlx::PgConnection = sqlx::Connection::connect(&admin)
                    .await
                    .with_context(|| format!("connecting to PostgreSQL at {admin}"))?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await?;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                Ok(TestDatabase {
                    url: format!("{base}/{name}"),
                    _dir: None,
                    pg_name: Some(name),
                })
            }
        }
    }
}

impl TestDatabase {
    /// Copies the database aside, as a nightly backup would. The server
    /// must be stopped.
    pub async fn backup(&self) -> Result<()> {
        match (&self.pg_name, &self._dir) {
            (Some(name), _) => {
                let mut conn: sqlx::PgConnection =
                    sqlx::Connection::connect(&postgres_admin_url()).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name}_bak"))
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!("CREATE DATABASE {name}_bak TEMPLATE {name}"))
                    .execute(&mut conn)
                    .await?;
            }
            (None, Some(dir)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let from = dir.path().join(format!("server.sqlite{suffix}"));
                    let to = dir.path().join(format!("backup.sqlite{suffix}"));
                    let _ = std::fs::remove_file(&to);
                    if from.exists() {
                        std::fs::copy(&from, &to)?;
                    }
                }
            }
            (None, None) => anyhow::bail!("no database to back up"),
        }
        Ok(())
    }

    /// Replaces the database with the backup. The server must be stopped.
    pub async fn restore(&self) -> Result<()> {
        match (&self.pg_name, &self._dir) {
            (Some(name), _) => {
                let mut conn: sqlx::PgConnection =
                    sqlx::Connection::connect(&postgres_admin_url()).await?;
                sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await?;
                sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {name}_bak"))
                    .execute(&mut conn)
                    .await?;
            }
            (None, Some(dir)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let from = dir.path().join(format!("backup.sqlite{suffix}"));
                    let to = dir.path().join(format!("server.sqlite{suffix}"));
                    let _ = std::fs::remove_file(&to);
                    if from.exists() {
                        std::fs::copy(&from, &to)?;
                    }
                }
            }
            (None, None) => anyhow::bail!("no database to restore"),
        }
        Ok(())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        // Drop the database from a thread of its own: Drop cannot await.
        let admin = postgres_admin_url();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) =
                    <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await
                {
                    for db in [name.clone(), format!("{name}_bak")] {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                }
            });
        })
        .join();
    }
}

/// How a test server is reached: over TLS or not, behind trusted proxies
/// or not.
#[derive(Clone, Default)]
pub struct Network {
    /// Serve HTTPS and WSS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Take the client's address from `X-Forwarded-For` on connections
    /// from these.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// A running sync server.
pub struct TestServer {
    pub database: TestDatabase,
    pub addr: SocketAddr,
    pub db: Arc<Db>,
    /// The running server's sync service (what the office writes through).
    pub sync: Arc<SyncService>,
    task: Option<JoinHandle<()>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    stopper: Option<Stopper>,
    config: ServerConfig,
    ui_dir: Option<std::path::PathBuf>,
    network: Network,
}

impl TestServer {
    /// Starts a server on a free loopback port.
    pub async fn start(backend: Backend) -> Result<Self> {
        Self::start_with(backend, OfficeConfig::default(), None).await
    }

    /// Starts a server whose office sessions follow `office`, serving the
    /// office pages from `ui_dir` when given.
    pub async fn start_with(
        backend: Backend,
        office: OfficeConfig,
        ui_dir: Option<std::path::PathBuf>,
    ) -> Result<Self> {
        let config = ServerConfig {
            office,
            ..ServerConfig::default()
        };
        Self::start_configured(backend, config, ui_dir).await
    }

    /// Starts a server told `config` (device policy, enrolment limits,
    /// office sessions).
    pub async fn start_configured(
        backend: Backend,
        config: ServerConfig,
        ui_dir: Option<std::path::PathBuf>,
    ) -> Result<Self> {
        Self::start_networked(backend, config, ui_dir, Network::default()).await
    }

    /// Starts a server reached as `network` says (TLS, trusted proxies).
    pub async fn start_networked(
        backend: Backend,
        config: ServerConfig,
        ui_dir: Option<std::path::PathBuf>,
        network: Network,
    ) -> Result<Self> {
        let config = if network.tls.is_some() {
            config.over_tls()
        } else {
            config
        };
        let database = TestDatabase::new(backend).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let db = Arc::new(Db::open(&database.url).await?);
        let mut server = TestServer {
            sync: Arc::new(SyncService::new(db.clone(), 1)),
            db,
            database,
            addr,
            task: None,
            shutdown: None,
            stopper: None,
            config,
            ui_dir,
            network,
        };
        server.serve(listener);
        Ok(server)
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let (state, stopper) = state_configured(self.db.clone(), 500, self.config.clone());
        self.sync = state.sync.clone();
        let router = forwarded::trust_proxies(
            app(state, self.ui_dir.clone()),
            self.network.trusted_proxies.clone(),
        );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async {
            let _ = rx.await;
        };
        let tls = self.network.tls.clone();
        self.task = Some(tokio::spawn(async move {
            let _ = match tls {
                Some(config) => {
                    launch_tls(TlsListener::new(listener, config), router, shutdown).await
                }
                None => launch(listener, router, shutdown).await,
            };
        }));
        self.shutdown = Some(tx);
        self.stopper = Some(stopper);
    }

    /// The base URL devices use (`https://` over TLS).
    pub fn url(&self) -> String {
        let scheme = if self.network.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops the server (closing live connections) and its database pool.
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(stopper) = self.stopper.take() {
            stopper.stop();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(std::time::Duration::from_secs(10), task)
                .await
                .context("the server did not stop within 10 s")??;
        }
        self.db.close().await;
        Ok(())
    }

    /// Starts the server again on the same port and database, as after a
    /// restart of the process.
    pub async fn restart(&mut self) -> Result<()> {
        self.db = Arc::new(Db::open(&self.database.url).await?);
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        self.serve(listener);
        Ok(())
    }

    /// Writes `catalogue` as the consortium office does (through the
    /// server's writer: devices may not change the catalogue).
    pub async fn write_catalogue(
        &self,
        catalogue: &odnowa_shared::records::Catalogue,
    ) -> Result<()> {
        self.sync
            .put_catalogue(
                &odnowa_sync_server::writer::OfficeAuthor::admin_cli(),
                catalogue,
            )
            .await?;
        Ok(())
    }

    /// Member organisations, each with its team spaces.
    pub async fn members(&self, members: &[(&str, &[&str])]) -> Result<()> {
        for (org, spaces) in members {
            admin::create_member(&self.sync, org).await?;
            for space in *spaces {
                admin::create_space(&self.db, space, Some(org)).await?;
            }
        }
        Ok(())
    }

    /// A service of the catalogue, for everybody, without a contract.
    pub async fn add_service(&self, code: &str, name_pl: &str, name_en: &str) -> Result<()> {
        let edit = odnowa_shared::office::ServiceEdit {
            code: code.into(),
            name_pl: name_pl.into(),
            name_en: name_en.into(),
            org: None,
            retired: false,
            contract_from: None,
            contract_to: None,
            targets: Default::default(),
        };
        self.sync
            .put_service(
                &odnowa_sync_server::writer::OfficeAuthor::admin_cli(),
                &edit,
            )
            .await?;
        Ok(())
    }

    /// Creates a field worker with write access to `write` and read access
    /// to `read`, in the organisation of those spaces, and returns a fresh
    /// enrolment code for them.
    pub async fn user_with_code(
        &self,
        name: &str,
        write: &[&str],
        read: &[&str],
    ) -> Result<String> {
        let write: Vec<String> = write.iter().map(|s| s.to_string()).collect();
        let read: Vec<String> = read.iter().map(|s| s.to_string()).collect();
        // The user belongs to the organisation of the team spaces given
        // (a user reads no space of another organisation).
        let mut org = None;
        for space in write.iter().chain(&read) {
            let id = self.db.space_by_name(space).await?;
            if let Some(Some(owner)) = self.db.space_org(id).await? {
                org = Some(owner);
            }
        }
        let org_name = match org {
            Some(org) => self
                .db
                .org_names()
                .await?
                .into_iter()
                .find(|(id, _)| *id == org)
                .map(|(_, name)| name),
            None => None,
        };
        accounts::create_user(&self.db, name, org_name.as_deref(), "worker", &read, &write).await?;
        Ok(accounts::enrol_code(&self.db, name, 24).await?)
    }

    /// A device of a new user who writes `spaces`, enrolled and synced once.
    pub async fn device_on(&self, user: &str, spaces: &[&str]) -> Result<TestDevice> {
        let code = self.user_with_code(user, spaces, &[]).await?;
        let device = TestDevice::enrol(&self.url(), &code, user).await?;
        device.engine.sync_now().await?;
        Ok(device)
    }
}

/// A device: an engine in a temporary directory.
pub struct TestDevice {
    pub engine: Engine,
    pub dir: tempfile::TempDir,
}

/// The PIN every test device is enrolled with.
pub const TEST_PIN: &str = "314159";

/// A sync policy with short waits, for tests.
pub fn quick_policy() -> SyncPolicy {
    SyncPolicy {
        backoff_base: std::time::Duration::from_millis(50),
        backoff_max: std::time::Duration::from_millis(500),
        idle_interval: std::time::Duration::from_secs(5),
    }
}

impl TestDevice {
    /// A new device enrolled with `code` at `server_url`.
    pub async fn enrol(server_url: &str, code: &str, name: &str) -> Result<Self> {
        Self::enrol_trusting(server_url, code, name, ServerTrust::public()).await
    }

    /// [`TestDevice::enrol`] with the TLS roots `trust` (a test's
    /// self-signed certificate).
    pub async fn enrol_trusting(
        server_url: &str,
        code: &str,
        name: &str,
        trust: ServerTrust,
    ) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let engine = Engine::open_trusting(dir.path(), quick_policy(), trust).await?;
        engine.enrol(server_url, code, name, TEST_PIN).await?;
        Ok(TestDevice { engine, dir })
    }
}

/// Waits up to `secs` seconds for `check` to hold, polling. For conditions
/// that depend on background tasks; the deadline is a safety net, not a
/// speed requirement.
pub async fn eventually<F, Fut>(secs: u64, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}
