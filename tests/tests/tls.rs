//! TLS and the web's security headers through real parts: a real server
//! on 127.0.0.1 serving HTTPS and WSS with a self-signed certificate made
//! here (rcgen), loaded from PEM files as `--tls-cert`/`--tls-key` are;
//! real device engines that trust it as an extra root; plain clients.
//!
//! - `/health` answers over HTTPS; devices enrol, sync and stay connected
//!   (WSS pokes) over TLS, on SQLite and PostgreSQL;
//! - plain HTTP to the TLS port gets no answer; a client that does not
//!   trust the certificate gets nowhere (and the code it sent stays
//!   unused); a client that never speaks holds up nobody;
//! - the office pages, a static asset and the office API carry the
//!   security headers; the CSP names the hash of `index.html`'s inline
//!   script, also after the pages are rebuilt; HSTS and Secure cookies
//!   only over TLS;
//! - behind a trusted proxy, the enrolment limit counts the clients that
//!   `X-Forwarded-For` names, and nobody else can choose their address.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use odnowa_app::engine::{Engine, EngineError, ServerTrust};
use odnowa_shared::records::Contact;
use odnowa_shared::time::Timestamp;
use odnowa_sync_server::limits::EnrolLimits;
use odnowa_sync_server::{ServerConfig, accounts, admin, headers, tls};
use odnowa_tests::{Backend, Network, TEST_PIN, TestDevice, TestServer, eventually, quick_policy};
use reqwest::StatusCode;
use serde_json::json;

const TEAM: &str = "Streetwork — Org A";

/// A self-signed certificate for the names a test server is reached by.
struct Certificate {
    pem: String,
    dir: tempfile::TempDir,
}

impl Certificate {
    fn new() -> Result<Self> {
        let generated = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])?;
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("server.crt"), generated.cert.pem())?;
        std::fs::write(
            dir.path().join("server.key"),
            generated.signing_key.serialize_pem(),
        )?;
        Ok(Certificate {
            pem: generated.cert.pem(),
            dir,
        })
    }

    /// The server's configuration, read from the PEM files as the CLI does.
    fn server_config(&self) -> Result<Arc<rustls::ServerConfig>> {
        let dir = self.dir.path();
        Ok(tls::load(&dir.join("server.crt"), &dir.join("server.key"))?)
    }

    fn trust(&self) -> Result<ServerTrust> {
        Ok(ServerTrust::with_extra_roots_pem(self.pem.as_bytes())?)
    }

    /// An HTTP client that trusts the certificate.
    fn client(&self) -> Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(self.pem.as_bytes())?)
            .timeout(Duration::from_secs(20))
            .build()?)
    }
}

async fn tls_server(
    backend: Backend,
    certificate: &Certificate,
    config: ServerConfig,
    ui_dir: Option<std::path::PathBuf>,
) -> Result<TestServer> {
    let network = Network {
        tls: Some(certificate.server_config()?),
        ..Network::default()
    };
    TestServer::start_networked(backend, config, ui_dir, network).await
}

async fn health_over_https(backend: Backend) -> Result<()> {
    let certificate = Certificate::new()?;
    let server = tls_server(backend, &certificate, ServerConfig::default(), None).await?;
    ensure!(server.url().starts_with("https://"), "{}", server.url());
    let response = certificate
        .client()?
        .get(format!("{}/health", server.url()))
        .send()
        .await?;
    ensure!(response.status() == StatusCode::OK);
    ensure!(
        response
            .headers()
            .get("strict-transport-security")
            .is_some(),
        "HSTS over TLS"
    );
    let health: serde_json::Value = response.json().await?;
    ensure!(health["status"] == "ok", "{health}");
    Ok(())
}

async fn devices_enrol_and_sync_over_https_and_wss(backend: Backend) -> Result<()> {
    let certificate = Certificate::new()?;
    let server = tls_server(backend, &certificate, ServerConfig::default(), None).await?;
    let team = admin::create_space(&server.db, TEAM, None).await?;
    let mut devices = Vec::new();
    for user in ["marta", "piotr"] {
        let code = server.user_with_code(user, &[TEAM], &[]).await?;
        let device =
            TestDevice::enrol_trusting(&server.url(), &code, user, certificate.trust()?).await?;
        // One exchange over HTTPS (no socket is open yet).
        device.engine.sync_now().await?;
        devices.push(device);
    }
    let (a, b) = (&devices[0], &devices[1]);
    let _background_a = a.engine.start();
    let _background_b = b.engine.start();
    ensure!(
        eventually(20, || async {
            a.engine.status().live && b.engine.status().live
        })
        .await,
        "both devices hold a live WSS connection"
    );
    let worker = a.engine.identity().await.context("enrolled")?.user;
    let mut contact = Contact::new(team, worker, Timestamp::now());
    contact.anonymous_count = 2;
    a.engine.save(&contact).await?;
    let arrived = eventually(20, || async {
        matches!(b.engine.get::<Contact>(contact.id).await, Ok(Some(_)))
    })
    .await;
    ensure!(arrived, "the contact reached B over TLS");
    ensure!(
        b.engine.stats().live_updates >= 1,
        "B took the change live over WSS: {:?}",
        b.engine.stats()
    );
    ensure!(server.db.change_count().await? >= 1);
    Ok(())
}

async fn plain_http_to_the_tls_port_gets_no_answer(backend: Backend) -> Result<()> {
    let certificate = Certificate::new()?;
    let server = tls_server(backend, &certificate, ServerConfig::default(), None).await?;
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    let answer = plain
        .get(format!("http://{}/health", server.addr))
        .send()
        .await;
    ensure!(answer.is_err(), "plain HTTP was answered: {answer:?}");
    // The server goes on serving TLS.
    let response = certificate
        .client()?
        .get(format!("{}/health", server.url()))
        .send()
        .await?;
    ensure!(response.status() == StatusCode::OK);
    Ok(())
}

async fn clients_that_do_not_trust_the_certificate_get_nowhere(backend: Backend) -> Result<()> {
    let certificate = Certificate::new()?;
    let server = tls_server(backend, &certificate, ServerConfig::default(), None).await?;
    admin::create_space(&server.db, TEAM, None).await?;
    let code = server.user_with_code("marta", &[TEAM], &[]).await?;

    let answer = reqwest::Client::new()
        .get(format!("{}/health", server.url()))
        .send()
        .await;
    ensure!(answer.is_err(), "an untrusting client was answered");

    // An engine with the public roots only: enrolment fails before the
    // code leaves the device.
    let dir = tempfile::tempdir()?;
    let engine = Engine::open_with(dir.path(), quick_policy()).await?;
    match engine.enrol(&server.url(), &code, "phone", TEST_PIN).await {
        Err(EngineError::Offline(message)) => {
            ensure!(message.contains("certificate"), "{message}");
        }
        other => anyhow::bail!("expected an offline error, got {other:?}"),
    }
    // The code was never spent: a device that trusts the certificate
    // enrols with it.
    let device =
        TestDevice::enrol_trusting(&server.url(), &code, "phone", certificate.trust()?).await?;
    device.engine.sync_now().await?;
    Ok(())
}

async fn a_silent_client_holds_up_nobody(backend: Backend) -> Result<()> {
    let certificate = Certificate::new()?;
    let server = tls_server(backend, &certificate, ServerConfig::default(), None).await?;
    // Connections that never start their handshake.
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await?);
    }
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        certificate
            .client()?
            .get(format!("{}/health", server.url()))
            .send(),
    )
    .await
    .context("a silent client held up the server")??;
    ensure!(response.status() == StatusCode::OK);
    drop(silent);
    Ok(())
}

// ---- security headers ----

const LOADER_V1: &str = "import init from '/app-1.js';await init('/app-1_bg.wasm');";
const LOADER_V2: &str = "import init from '/app-2.js';await init('/app-2_bg.wasm');";

fn write_pages(dir: &Path, loader: &str) -> Result<()> {
    std::fs::write(
        dir.join("index.html"),
        format!(
            "<!doctype html><html><head><link rel=\"stylesheet\" href=\"/styles.css\">\
             <script type=\"module\">{loader}</script></head><body></body></html>"
        ),
    )?;
    std::fs::write(dir.join("styles.css"), "body { margin: 0 }")?;
    Ok(())
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Result<&'a str> {
    response
        .headers()
        .get(name)
        .with_context(|| format!("no {name} on {}", response.url()))?
        .to_str()
        .context("not text")
}

/// The headers every answer carries; `policy` is the CSP expected.
fn check_headers(response: &reqwest::Response, policy: &str, tls: bool) -> Result<()> {
    ensure!(header(response, "content-security-policy")? == policy);
    ensure!(header(response, "x-frame-options")? == "DENY");
    ensure!(header(response, "x-content-type-options")? == "nosniff");
    ensure!(header(response, "referrer-policy")? == "no-referrer");
    ensure!(header(response, "permissions-policy")?.contains("camera=()"));
    let hsts = response.headers().get("strict-transport-security");
    ensure!(
        hsts.is_some() == tls,
        "HSTS {hsts:?} on {} (tls: {tls})",
        response.url()
    );
    Ok(())
}

async fn security_headers_on_pages_assets_and_the_office_api(backend: Backend) -> Result<()> {
    let certificate = Certificate::new()?;
    for tls in [false, true] {
        let pages = tempfile::tempdir()?;
        write_pages(pages.path(), LOADER_V1)?;
        let ui_dir = Some(pages.path().to_path_buf());
        let server = if tls {
            tls_server(backend, &certificate, ServerConfig::default(), ui_dir).await?
        } else {
            TestServer::start_configured(backend, ServerConfig::default(), ui_dir).await?
        };
        let client = certificate.client()?;
        let policy = headers::content_security_policy(Some(&std::fs::read_to_string(
            pages.path().join("index.html"),
        )?));
        ensure!(policy.contains("'sha256-"), "{policy}");
        ensure!(policy.contains("frame-ancestors 'none'"), "{policy}");
        ensure!(!policy.contains("unsafe-inline"), "{policy}");

        let page = client.get(format!("{}/", server.url())).send().await?;
        ensure!(page.status() == StatusCode::OK);
        check_headers(&page, &policy, tls)?;
        ensure!(header(&page, "cache-control")? == "no-cache");
        // A route of the pages (served by index.html) too.
        let route = client
            .get(format!("{}/records/whatever", server.url()))
            .send()
            .await?;
        check_headers(&route, &policy, tls)?;

        let asset = client
            .get(format!("{}/styles.css", server.url()))
            .send()
            .await?;
        ensure!(asset.status() == StatusCode::OK);
        check_headers(&asset, &policy, tls)?;
        ensure!(asset.headers().get("cache-control").is_none());

        // An office API answer: a refusal without a session, and a login.
        let me = client
            .get(format!("{}/office/api/me", server.url()))
            .send()
            .await?;
        ensure!(me.status() == StatusCode::UNAUTHORIZED, "{}", me.status());
        check_headers(&me, &policy, tls)?;
        ensure!(header(&me, "cache-control")? == "no-store");
        accounts::create_user(&server.db, "biuro", None, "office", &[], &[]).await?;
        accounts::set_password(&server.db, "biuro", "correct horse battery").await?;
        let login = client
            .post(format!("{}/office/api/login", server.url()))
            .json(&json!({"user": "biuro", "password": "correct horse battery"}))
            .send()
            .await?;
        ensure!(login.status() == StatusCode::OK, "{}", login.status());
        check_headers(&login, &policy, tls)?;
        ensure!(header(&login, "cache-control")? == "no-store");
        let cookie = header(&login, "set-cookie")?;
        ensure!(cookie.contains("; Secure") == tls, "{cookie} (tls: {tls})");

        // The pages are rebuilt while the server runs: the new loader's
        // hash is named from the next page on.
        tokio::time::sleep(Duration::from_millis(20)).await;
        write_pages(pages.path(), LOADER_V2)?;
        let rebuilt = headers::content_security_policy(Some(&std::fs::read_to_string(
            pages.path().join("index.html"),
        )?));
        ensure!(rebuilt != policy);
        let page = client.get(format!("{}/", server.url())).send().await?;
        check_headers(&page, &rebuilt, tls)?;
    }
    Ok(())
}

// ---- behind a trusted proxy ----

async fn wrong_code(server: &TestServer, forwarded_for: &str) -> Result<StatusCode> {
    let response = reqwest::Client::new()
        .post(format!("{}/v1/enrol", server.url()))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"code": "WRONGCODE0", "device_name": "phone"}))
        .send()
        .await?;
    Ok(response.status())
}

async fn behind_a_trusted_proxy_the_limit_counts_forwarded_clients(backend: Backend) -> Result<()> {
    let config = ServerConfig {
        enrol: EnrolLimits {
            per_client: 2,
            window: Duration::from_secs(600),
        },
        ..ServerConfig::default()
    };
    // The test client is the proxy: it connects from 127.0.0.1.
    let proxied = TestServer::start_networked(
        backend,
        config.clone(),
        None,
        Network {
            trusted_proxies: vec!["127.0.0.1".parse()?],
            ..Network::default()
        },
    )
    .await?;
    for _ in 0..2 {
        ensure!(wrong_code(&proxied, "10.0.0.1").await? == StatusCode::FORBIDDEN);
    }
    ensure!(wrong_code(&proxied, "10.0.0.1").await? == StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy is not slowed down; only the
    // address the proxy appended counts, not what the client claimed.
    ensure!(wrong_code(&proxied, "10.0.0.1, 10.0.0.2").await? == StatusCode::FORBIDDEN);
    ensure!(wrong_code(&proxied, "10.0.0.2").await? == StatusCode::FORBIDDEN);

    // Without --trusted-proxy the header changes nothing: every request
    // is from 127.0.0.1.
    let direct = TestServer::start_configured(backend, config, None).await?;
    for _ in 0..2 {
        ensure!(wrong_code(&direct, "10.0.0.1").await? == StatusCode::FORBIDDEN);
    }
    ensure!(wrong_code(&direct, "10.0.0.2").await? == StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

odnowa_tests::on_both_backends!(health_over_https, devices_enrol_and_sync_over_https_and_wss);

/// What the database plays no part in: on SQLite only.
mod sqlite_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn plain_http_to_the_tls_port_gets_no_answer() -> Result<()> {
        super::plain_http_to_the_tls_port_gets_no_answer(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn clients_that_do_not_trust_the_certificate_get_nowhere() -> Result<()> {
        super::clients_that_do_not_trust_the_certificate_get_nowhere(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_silent_client_holds_up_nobody() -> Result<()> {
        super::a_silent_client_holds_up_nobody(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn security_headers_on_pages_assets_and_the_office_api() -> Result<()> {
        super::security_headers_on_pages_assets_and_the_office_api(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn behind_a_trusted_proxy_the_limit_counts_forwarded_clients() -> Result<()> {
        super::behind_a_trusted_proxy_the_limit_counts_forwarded_clients(Backend::Sqlite).await
    }
}
