//! The field app under test: the real Tauri binary in a virtual X display,
//! driven through `tauri-driver` and WebKitWebDriver with a WebDriver client.
//!
//! Each [`AppUnderTest`] is one app instance with its own data directory
//! (passed as `ODNOWA_DATA_DIR`) and its own `tauri-driver` on free loopback
//! ports, so two instances (two tablets) run side by side. Everything stops
//! when dropped: the WebDriver session, then `tauri-driver` with SIGTERM
//! (which stops WebKitWebDriver and the app; see TOOLCHAIN.md), then Xvfb.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

/// How long a WebDriver step may take before the test fails with a clear
/// message instead of hanging (a safety net, not a speed requirement).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The app binary: `ODNOWA_APP_BIN`, or the debug build in the cargo target
/// directory (`scripts/test.sh` builds it before the tests).
pub fn app_binary() -> Result<PathBuf> {
    if let Ok(path) = std::env::var("ODNOWA_APP_BIN") {
        return Ok(PathBuf::from(path));
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    let path = target.join("debug").join("odnowa");
    if !path.exists() {
        bail!(
            "the app binary {} is missing: build it with `cargo build -p odnowa-app` \
             (after `trunk build` in ui/), or set ODNOWA_APP_BIN",
            path.display()
        );
    }
    Ok(path)
}

/// Where screenshots go: `ODNOWA_SCREENSHOTS`, or `screenshots/` at the top
/// of the repository (ignored by git).
pub fn screenshot_dir() -> PathBuf {
    std::env::var("ODNOWA_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../screenshots"))
}

/// A private X server (Xvfb) for the app windows.
pub struct VirtualDisplay {
    child: Child,
    display: String,
}

impl VirtualDisplay {
    /// Starts Xvfb on a free display number (it picks one and tells us).
    pub fn start() -> Result<Self> {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1400x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("could not start Xvfb (apt package xvfb; see .ci/install.sh)")?;
        let stdout = child.stdout.take().context("Xvfb has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("Xvfb did not report its display")?;
        let number: u32 = line
            .trim()
            .parse()
            .with_context(|| format!("Xvfb reported {line:?} instead of a display number"))?;
        Ok(VirtualDisplay {
            child,
            display: format!(":{number}"),
        })
    }

    /// The `DISPLAY` value, e.g. `:99`.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one WebDriver step with [`STEP_TIMEOUT`], naming it on failure.
pub(crate) async fn step<T, E>(
    what: String,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    tracing::debug!("{what}");
    tokio::time::timeout(STEP_TIMEOUT, fut)
        .await
        .map_err(|_| anyhow!("{what}: no answer within 30 s"))?
        .with_context(|| what)
}

/// Waits for the element `css` to exist in `client`'s page.
pub(crate) async fn find(client: &Client, name: &str, css: &str) -> Result<Element> {
    tokio::time::timeout(STEP_TIMEOUT, client.wait().for_element(Locator::Css(css)))
        .await
        .map_err(|_| anyhow!("{name}: `{css}` did not appear within 30 s"))?
        .with_context(|| format!("{name}: waiting for `{css}`"))
}

/// Whether `css` matches an element right now.
pub(crate) async fn exists(client: &Client, name: &str, css: &str) -> Result<bool> {
    let found = step(
        format!("{name}: look for `{css}`"),
        client.find_all(Locator::Css(css)),
    )
    .await?;
    Ok(!found.is_empty())
}

/// Waits until `css` matches an element whose text contains `text`.
pub(crate) async fn wait_for_text(
    client: &Client,
    name: &str,
    css: &str,
    text: &str,
) -> Result<Element> {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    loop {
        let found = step(
            format!("{name}: look for `{css}`"),
            client.find_all(Locator::Css(css)),
        )
        .await?;
        for element in found {
            let shown = step(format!("{name}: text of `{css}`"), element.text())
                .await
                .unwrap_or_default();
            if shown.contains(text) {
                return Ok(element);
            }
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{name}: no `{css}` showed {text:?} within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Finds `css` with `find`, scrolls it to the middle of the screen and
/// clicks it. When the page replaced the element between finding and
/// clicking (a list re-rendered as a search answers keystroke by
/// keystroke), it is found again, a few times at most.
pub(crate) async fn click<F, Fut>(client: &Client, name: &str, css: &str, find: F) -> Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Element>>,
{
    const TRIES: u32 = 5;
    let mut tries = 1;
    loop {
        let element = find().await?;
        match click_found(client, name, &element, css).await {
            Err(e) if tries < TRIES && is_stale(&e) => {
                tracing::debug!("{name}: `{css}` was replaced before the click; again");
                tries += 1;
            }
            done => return done,
        }
    }
}

/// The scroll before a click. It answers with a plain string, so that the
/// driver always has a value to serialise, and says when the element has
/// left the page (the page re-rendered it between the find and now).
const SCROLL: &str = "const e = arguments[0];
    if (!e || !e.isConnected) { return 'detached'; }
    e.scrollIntoView({block: 'center', inline: 'center'});
    return 'scrolled';";

/// How often a step the driver itself failed on is tried in all.
const DRIVER_TRIES: u32 = 5;

async fn click_found(client: &Client, name: &str, element: &Element, css: &str) -> Result<()> {
    let arg = serde_json::to_value(element)?;
    let what = format!("{name}: scroll to `{css}`");
    let scrolled = driver_step(&what, || client.execute(SCROLL, vec![arg.clone()])).await?;
    if scrolled.as_str() == Some("detached") {
        // Found again by `click`, as when the driver says it is stale.
        return Err(anyhow::Error::new(fantoccini::error::CmdError::Standard(
            fantoccini::error::WebDriver::new(
                fantoccini::error::ErrorStatus::StaleElementReference,
                format!("`{css}` left the page before the scroll"),
            ),
        ))
        .context(what));
    }
    step(format!("{name}: click on `{css}`"), element.click()).await?;
    Ok(())
}

/// [`step`], tried again (at most [`DRIVER_TRIES`] times in all, each
/// failure logged) when the driver itself fails transiently:
/// WebKitWebDriver answers "Could not parse script result" when the web
/// process's answer to a script is lost under load (seen with six WebKit
/// windows on two cores), though the page is fine.
async fn driver_step<T, F, Fut>(what: &str, run: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
{
    let mut tries = 1;
    loop {
        match step(what.to_string(), run()).await {
            Err(e) if tries < DRIVER_TRIES && is_driver_glitch(&e) => {
                tracing::warn!("{what}: the driver failed ({e:#}); trying again");
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            done => return done,
        }
    }
}

/// Whether the driver, not the page, failed: its answer to a script was
/// lost.
fn is_driver_glitch(error: &anyhow::Error) -> bool {
    format!("{error:#}").contains("Could not parse script result")
}

/// Whether the driver failed to open a session (it answered, but could
/// not reach the browser driver behind it).
fn is_session_glitch(error: &anyhow::Error) -> bool {
    let text = format!("{error:#}");
    text.contains("the WebDriver session was refused") && text.contains("did not respond")
}

/// Whether WebDriver refused because the element is no longer in the page.
fn is_stale(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<fantoccini::error::CmdError>())
        .any(fantoccini::error::CmdError::is_stale_element_reference)
}

/// Types `text` into the field `css`, replacing what it held, and reads
/// it back. Clearing and typing are two WebDriver commands, and a
/// re-render of the form between them can put the old value back ("2"
/// cleared, "3" typed, "23" kept); typing over a selection in one command
/// (Control+A) types nothing at all in WebKitWebDriver. So the field is
/// checked, and cleared and typed again when it holds something else,
/// three times at most, each logged.
pub(crate) async fn type_into(client: &Client, name: &str, css: &str, text: &str) -> Result<()> {
    let keys = text;
    let mut tries = 1;
    loop {
        let element = find(client, name, css).await?;
        step(format!("{name}: clear `{css}`"), element.clear()).await?;
        step(
            format!("{name}: type into `{css}`"),
            element.send_keys(keys),
        )
        .await?;
        let held = step(format!("{name}: read `{css}`"), element.prop("value"))
            .await?
            .unwrap_or_default();
        if held == text || tries >= DRIVER_TRIES {
            return if held == text {
                Ok(())
            } else {
                Err(anyhow!(
                    "{name}: `{css}` holds {held:?} after typing {text:?}"
                ))
            };
        }
        tracing::warn!("{name}: `{css}` held {held:?} after typing {text:?}; typing again");
        tries += 1;
    }
}

/// Saves a PNG screenshot as `<screenshot dir>/<file>.png`.
pub(crate) async fn screenshot(client: &Client, name: &str, file: &str) -> Result<PathBuf> {
    let png = step(format!("{name}: screenshot {file}"), client.screenshot()).await?;
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{file}.png"));
    std::fs::write(&path, png)?;
    Ok(path)
}

pub(crate) fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

pub(crate) async fn wait_for_port(port: u16, what: &str) -> Result<()> {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("{what} did not listen on 127.0.0.1:{port} within 10 s")
}

/// One running instance of the field app.
pub struct AppUnderTest {
    client: Option<Client>,
    driver: Child,
    data_dir: tempfile::TempDir,
    name: String,
    /// Taps made through [`AppUnderTest::tap`] since the last
    /// [`AppUnderTest::reset_taps`].
    taps: u32,
}

impl AppUnderTest {
    /// Launches the app in `display` with a fresh data directory. `name`
    /// names its screenshots. When the driver fails to open the session
    /// (tauri-driver could not reach the WebKitWebDriver it started: a
    /// port taken meanwhile, or a driver slow to listen on a loaded
    /// machine), it starts again on fresh ports after a pause, five times
    /// at most, each failure logged.
    pub async fn launch(display: &VirtualDisplay, name: &str) -> Result<Self> {
        let mut tries = 1;
        loop {
            match Self::launch_once(display, name).await {
                Err(e) if tries < DRIVER_TRIES && is_session_glitch(&e) => {
                    tracing::warn!(
                        "{name}: the driver did not open a session ({e:#}); starting it again"
                    );
                    // A WebKitWebDriver still going away may hold what
                    // the next one needs: a pause, longer each time.
                    tokio::time::sleep(Duration::from_secs(u64::from(tries))).await;
                    tries += 1;
                }
                done => return done,
            }
        }
    }

    async fn launch_once(display: &VirtualDisplay, name: &str) -> Result<Self> {
        let binary = app_binary()?;
        let data_dir = tempfile::tempdir()?;
        let (port, native_port) = (free_port()?, free_port()?);
        let driver = Command::new("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", display.display())
            .env("ODNOWA_DATA_DIR", data_dir.path().join("odnowa"))
            // WebKit keeps local storage (language, chosen site) under the
            // XDG folders: one set per instance, like separate devices.
            .env("XDG_DATA_HOME", data_dir.path().join("data"))
            .env("XDG_CONFIG_HOME", data_dir.path().join("config"))
            .env("XDG_CACHE_HOME", data_dir.path().join("cache"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("could not start tauri-driver (see .ci/install.sh)")?;
        let mut app = AppUnderTest {
            client: None,
            driver,
            data_dir,
            name: name.to_string(),
            taps: 0,
        };
        wait_for_port(port, "tauri-driver").await?;

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".to_string(),
            serde_json::json!({ "application": binary }),
        );
        capabilities.insert("browserName".to_string(), serde_json::json!("wry"));
        let client = tokio::time::timeout(
            Duration::from_secs(60),
            // Plain HTTP on loopback: no TLS stack needed.
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .context("the WebDriver session did not start within 60 s (is the display up?)")?
        .context("the WebDriver session was refused")?;
        app.client = Some(client);
        Ok(app)
    }

    fn client(&self) -> Result<&Client> {
        self.client
            .as_ref()
            .ok_or_else(|| anyhow!("{}: the WebDriver session is closed", self.name))
    }

    /// The app's data directory (its SQLite replica).
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Resizes the window (phone 360×780, tablet 1280×800).
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        step(
            format!("{}: resize to {width}×{height}", self.name),
            self.client()?.set_window_size(width, height),
        )
        .await?;
        // Let the layout settle before anything measures it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        Ok(())
    }

    /// Waits for the element `css` to exist and returns it.
    /// Waits for `css`; when it never appears, the error says what the
    /// screen showed instead.
    pub async fn find(&self, css: &str) -> Result<Element> {
        match find(self.client()?, &self.name, css).await {
            Ok(element) => Ok(element),
            Err(e) => {
                let shown = self
                    .eval("return document.body ? document.body.innerText : ''")
                    .await
                    .ok()
                    .and_then(|v| v.as_str().map(|t| t.chars().take(600).collect::<String>()))
                    .unwrap_or_default();
                Err(anyhow!("{e:#}; the screen showed: {shown:?}"))
            }
        }
    }

    /// Whether `css` matches an element right now.
    pub async fn exists(&self, css: &str) -> Result<bool> {
        exists(self.client()?, &self.name, css).await
    }

    /// Waits until `css` matches an element whose text contains `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Result<Element> {
        wait_for_text(self.client()?, &self.name, css, text).await
    }

    /// A tap a person makes, after scrolling to it as a person scrolls to
    /// what they want to tap (a sticky bar would otherwise cover it):
    /// counted (see [`AppUnderTest::taps`]).
    pub async fn tap(&mut self, css: &str) -> Result<()> {
        click(self.client()?, &self.name, css, || self.find(css)).await?;
        self.taps += 1;
        Ok(())
    }

    /// Taps the first `css` element whose text contains `text`.
    pub async fn tap_text(&mut self, css: &str, text: &str) -> Result<()> {
        let found = || self.wait_for_text(css, text);
        click(self.client()?, &self.name, css, found).await?;
        self.taps += 1;
        Ok(())
    }

    /// Types `text` into the field `css` (focusing it is not a tap: the
    /// keyboard is already there on a phone once a search box has focus).
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        type_into(self.client()?, &self.name, css, text).await
    }

    /// Taps counted since the last reset.
    pub fn taps(&self) -> u32 {
        self.taps
    }

    pub fn reset_taps(&mut self) {
        self.taps = 0;
    }

    /// Runs `script` in the page and returns its value.
    pub async fn eval(&self, script: &str) -> Result<serde_json::Value> {
        let client = self.client()?;
        driver_step(&format!("{}: run a script", self.name), || {
            client.execute(script, vec![])
        })
        .await
    }

    /// Saves a PNG screenshot as `<screenshot dir>/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        screenshot(self.client()?, &self.name, name).await
    }

    /// Fails with every WCAG 2.2 A/AA violation axe-core finds on the
    /// screen now (`screen` names it in the message).
    pub async fn check_a11y(&self, screen: &str) -> Result<()> {
        crate::a11y::check(self.client()?, &self.name, screen).await
    }

    /// Closes the session, stops the app and hands over its data
    /// directory (to look at what it left on disk).
    pub async fn close_keeping_data(mut self) -> Result<tempfile::TempDir> {
        let dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir()?);
        if let Some(client) = self.client.take() {
            tokio::time::timeout(Duration::from_secs(10), client.close())
                .await
                .ok();
        }
        drop(self);
        Ok(dir)
    }

    /// Closes the session and stops the app.
    pub async fn close(mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            tokio::time::timeout(Duration::from_secs(10), client.close())
                .await
                .ok();
        }
        Ok(())
    }
}

impl Drop for AppUnderTest {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver,
        // which would otherwise keep the test's output open.
        let _ = Command::new("kill")
            .args(["-TERM", &self.driver.id().to_string()])
            .status();
        for _ in 0..50 {
            if matches!(self.driver.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
