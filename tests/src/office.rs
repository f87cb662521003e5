//! A client of the office HTTP API for tests: one cookie session, JSON in
//! and out, and the check of a refusal's status and `OfficeError` body.

use anyhow::{Result, ensure};
use odnowa_shared::office::{OfficeError, OfficeErrorCode};
use reqwest::StatusCode;
use serde_json::json;

use crate::TestServer;

/// The password every office user of the tests gets.
pub const OFFICE_PASSWORD: &str = "correct horse battery";

/// A client of the office API with (at most) one session.
pub struct OfficeClient {
    pub base: String,
    pub http: reqwest::Client,
    cookie: Option<String>,
}

impl OfficeClient {
    /// A new office user (`role`, of `org` by name) with
    /// [`OFFICE_PASSWORD`], logged in.
    pub async fn user(
        server: &TestServer,
        name: &str,
        role: &str,
        org: Option<&str>,
    ) -> Result<Self> {
        odnowa_sync_server::accounts::create_user(&server.db, name, org, role, &[], &[]).await?;
        odnowa_sync_server::accounts::set_password(&server.db, name, OFFICE_PASSWORD).await?;
        let mut client = OfficeClient::new(server);
        ensure!(
            client
                .login(name, OFFICE_PASSWORD)
                .await?
                .status()
                .is_success()
        );
        Ok(client)
    }

    pub fn new(server: &TestServer) -> Self {
        Self::at(&server.url())
    }

    /// A client of the office pages of the server at `url` (one of
    /// several instances, a server in its own process).
    pub fn at(url: &str) -> Self {
        OfficeClient {
            base: format!("{url}/office/api"),
            http: reqwest::Client::new(),
            cookie: None,
        }
    }

    /// Logs in; a session cookie given is kept (and checked to be
    /// `HttpOnly; SameSite=Strict`).
    pub async fn login(&mut self, user: &str, password: &str) -> Result<reqwest::Response> {
        let response = self
            .http
            .post(format!("{}/login", self.base))
            .json(&json!({"user": user, "password": password}))
            .send()
            .await?;
        if let Some(value) = response.headers().get("set-cookie") {
            let value = value.to_str()?;
            ensure!(value.contains("HttpOnly"), "{value}");
            ensure!(value.contains("SameSite=Strict"), "{value}");
            self.cookie = value.split(';').next().map(str::to_string);
        }
        Ok(response)
    }

    /// The session cookie (`name=value`), once logged in.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    pub async fn get(&self, path: &str) -> Result<reqwest::Response> {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        Ok(request.send().await?)
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> Result<reqwest::Response> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        Ok(request.send().await?)
    }

    pub async fn put(&self, path: &str, body: serde_json::Value) -> Result<reqwest::Response> {
        let mut request = self.http.put(format!("{}{path}", self.base)).json(&body);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        Ok(request.send().await?)
    }
}

/// Checks that `response` has `status` and an `OfficeError` body with a
/// message; returns its code.
pub async fn refusal(response: reqwest::Response, status: StatusCode) -> Result<OfficeErrorCode> {
    ensure!(
        response.status() == status,
        "expected {status}, got {}",
        response.status()
    );
    let error: OfficeError = response.json().await?;
    ensure!(!error.message.is_empty());
    Ok(error.code)
}
