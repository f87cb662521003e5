//! The office pages under test: headless Chromium driven through
//! chromedriver (Debian `chromium` + `chromium-driver`), one driver per
//! [`Browser`] on a free loopback port with a fresh profile, every step
//! with a timeout (the helpers of [`crate::app`]), stopped on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::app::{self, free_port, step, wait_for_port};

/// A headless Chromium with its own profile.
pub struct Browser {
    client: Option<Client>,
    driver: Child,
    profile: tempfile::TempDir,
    name: String,
}

impl Browser {
    /// Starts chromedriver and a browser window of 1440×900.
    pub async fn start(name: &str) -> Result<Self> {
        let port = free_port()?;
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context(
                "could not start chromedriver (apt package chromium-driver; see .ci/install.sh)",
            )?;
        let profile = tempfile::tempdir()?;
        let mut browser = Browser {
            client: None,
            driver,
            profile,
            name: name.to_string(),
        };
        wait_for_port(port, "chromedriver").await?;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_string(),
            serde_json::json!({
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1440,900",
                    format!("--user-data-dir={}", browser.profile.path().display()),
                ],
            }),
        );
        let client = tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await
        .context("the browser did not start within 60 s")?
        .context("chromedriver refused the session")?;
        browser.client = Some(client);
        Ok(browser)
    }

    fn client(&self) -> Result<&Client> {
        self.client
            .as_ref()
            .ok_or_else(|| anyhow!("{}: the browser is closed", self.name))
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) -> Result<()> {
        step(
            format!("{}: open {url}", self.name),
            self.client()?.goto(url),
        )
        .await
    }

    /// Fails with every WCAG 2.2 A/AA violation axe-core finds on the
    /// page now (`page` names it in the message).
    pub async fn check_a11y(&self, page: &str) -> Result<()> {
        crate::a11y::check(self.client()?, &self.name, page).await
    }

    pub async fn find(&self, css: &str) -> Result<Element> {
        app::find(self.client()?, &self.name, css).await
    }

    pub async fn exists(&self, css: &str) -> Result<bool> {
        app::exists(self.client()?, &self.name, css).await
    }

    pub async fn wait_for_text(&self, css: &str, text: &str) -> Result<Element> {
        app::wait_for_text(self.client()?, &self.name, css, text).await
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) -> Result<()> {
        app::click(self.client()?, &self.name, css, || self.find(css)).await
    }

    /// Clicks the first `css` whose text contains `text`.
    pub async fn click_text(&self, css: &str, text: &str) -> Result<()> {
        let found = || self.wait_for_text(css, text);
        app::click(self.client()?, &self.name, css, found).await
    }

    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        app::type_into(self.client()?, &self.name, css, text).await
    }

    /// Accepts a confirmation dialog ("Merge…?").
    pub async fn accept_dialog(&self) -> Result<()> {
        step(
            format!("{}: accept the dialog", self.name),
            self.client()?.accept_alert(),
        )
        .await
    }

    /// The session cookie's value, to fetch a download as this browser would.
    pub async fn cookie(&self, name: &str) -> Result<String> {
        let cookie = step(
            format!("{}: cookie {name}", self.name),
            self.client()?.get_named_cookie(name),
        )
        .await?;
        Ok(cookie.value().to_string())
    }

    /// An attribute of the element `css`.
    pub async fn attr(&self, css: &str, attribute: &str) -> Result<Option<String>> {
        let element = self.find(css).await?;
        step(
            format!("{}: {attribute} of `{css}`", self.name),
            element.attr(attribute),
        )
        .await
    }

    /// Picks the option `value` of the `<select>` `css`, as a person's
    /// choice does (a `change` event follows).
    pub async fn select(&self, css: &str, value: &str) -> Result<()> {
        self.find(css).await?;
        let script = "const s = document.querySelector(arguments[0]); \
                      s.value = arguments[1]; \
                      s.dispatchEvent(new Event('change', { bubbles: true })); \
                      return s.value;";
        let chosen = step(
            format!("{}: choose {value:?} in `{css}`", self.name),
            self.client()?
                .execute(script, vec![css.into(), value.into()]),
        )
        .await?;
        anyhow::ensure!(
            chosen.as_str() == Some(value),
            "{}: `{css}` has no option {value:?}",
            self.name
        );
        Ok(())
    }

    /// The texts of every element matching `css` now.
    pub async fn texts(&self, css: &str) -> Result<Vec<String>> {
        let found = step(
            format!("{}: find all `{css}`", self.name),
            self.client()?.find_all(fantoccini::Locator::Css(css)),
        )
        .await?;
        let mut texts = Vec::with_capacity(found.len());
        for element in found {
            texts.push(step(format!("{}: text of `{css}`", self.name), element.text()).await?);
        }
        Ok(texts)
    }

    /// The DOM property `name` of the first element matching `css` (an
    /// input's `value` as typed, not its attribute).
    pub async fn prop(&self, css: &str, name: &str) -> Result<Option<String>> {
        let element = self.find(css).await?;
        step(
            format!("{}: {name} of `{css}`", self.name),
            element.prop(name),
        )
        .await
    }

    /// Runs `script` in the page; its answer as a boolean.
    pub async fn eval_bool(&self, script: &str) -> Result<bool> {
        let answer = step(
            format!("{}: run a script", self.name),
            self.client()?.execute(script, vec![]),
        )
        .await?;
        Ok(answer.as_bool().unwrap_or(false))
    }

    /// Resizes the browser window to `width` × `height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) -> Result<()> {
        step(
            format!("{}: resize to {width}×{height}", self.name),
            self.client()?.set_window_size(width, height),
        )
        .await
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> Result<usize> {
        let found = step(
            format!("{}: count `{css}`", self.name),
            self.client()?.find_all(fantoccini::Locator::Css(css)),
        )
        .await?;
        Ok(found.len())
    }

    /// Scrolls the first element matching `css` into view, if it is not.
    pub async fn scroll_to(&self, css: &str) -> Result<()> {
        step(
            format!("{}: scroll to `{css}`", self.name),
            self.client()?.execute(
                "const e = document.querySelector(arguments[0]); \
                 if (e) e.scrollIntoView({block: 'nearest'});",
                vec![serde_json::Value::String(css.to_string())],
            ),
        )
        .await?;
        Ok(())
    }

    pub async fn screenshot(&self, file: &str) -> Result<PathBuf> {
        app::screenshot(self.client()?, &self.name, file).await
    }

    /// Starts collecting the page's Content-Security-Policy violations,
    /// including those reported before (`buffered`: the page's first
    /// load); [`Browser::csp_violations`] lists them. Lasts until the
    /// page is loaded again.
    pub async fn watch_csp(&self) -> Result<()> {
        const WATCH: &str = r#"
            window.__odnowaCsp = window.__odnowaCsp || [];
            const note = (what) => window.__odnowaCsp.push(what);
            const observer = new ReportingObserver((reports) => {
                for (const r of reports) note(`${r.body.effectiveDirective} ${r.body.blockedURL}`);
            }, { types: ["csp-violation"], buffered: true });
            observer.observe();
            window.__odnowaCspObserver = observer;
            document.addEventListener("securitypolicyviolation",
                (e) => note(`${e.effectiveDirective} ${e.blockedURI}`));
        "#;
        step(
            format!("{}: watch CSP violations", self.name),
            self.client()?.execute(WATCH, vec![]),
        )
        .await?;
        Ok(())
    }

    /// The CSP violations seen since [`Browser::watch_csp`].
    pub async fn csp_violations(&self) -> Result<Vec<String>> {
        const COLLECT: &str = r#"
            const observer = window.__odnowaCspObserver;
            const seen = window.__odnowaCsp || [];
            if (observer) {
                for (const r of observer.takeRecords()) seen.push(`${r.body.effectiveDirective} ${r.body.blockedURL}`);
            }
            return seen;
        "#;
        let seen = step(
            format!("{}: CSP violations", self.name),
            self.client()?.execute(COLLECT, vec![]),
        )
        .await?;
        Ok(serde_json::from_value(seen)?)
    }

    /// Closes the browser.
    pub async fn close(mut self) -> Result<()> {
        if let Some(client) = self.client.take() {
            tokio::time::timeout(Duration::from_secs(10), client.close())
                .await
                .ok();
        }
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // A browser left behind by a failed test (its session never
        // closed) is found by its profile directory.
        let _ = Command::new("pkill")
            .args(["-f", &self.profile.path().display().to_string()])
            .status();
    }
}
