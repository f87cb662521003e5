//! Security headers on every answer: the office pages, their assets, the
//! office API and the sync endpoints.
//!
//! - `Content-Security-Policy`: scripts only from this origin, plus the
//!   one inline module script trunk writes into `index.html` to load the
//!   wasm, allowed by its SHA-256 hash (read from the served
//!   `index.html`, again whenever that file changes), and
//!   `'wasm-unsafe-eval'` so the wasm may be compiled; no inline scripts
//!   otherwise, no plugins, no `<base>`, no framing.
//! - `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: no-referrer`, a `Permissions-Policy` that denies
//!   what the office never uses, `Cross-Origin-Opener-Policy`.
//! - `Strict-Transport-Security` only when cookies are Secure, that is
//!   when the server serves TLS itself or says a TLS proxy is in front.
//! - `Cache-Control: no-store` on the API answers (office, sync, health):
//!   they carry personal data; `no-cache` on HTML, so a new build of the
//!   office pages is picked up at once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// What every answer carries besides the CSP.
const FIXED: [(HeaderName, &str); 5] = [
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

/// One year; sent only over TLS (see the module doc).
const HSTS: &str = "max-age=31536000";

/// Paths whose answers are never stored by a browser or a proxy.
const NO_STORE_PREFIXES: [&str; 3] = [
    odnowa_shared::office::API_PREFIX,
    odnowa_shared::protocol::ROUTE_PREFIX,
    "/health",
];

/// The headers a server adds, and where its office pages are.
pub struct SecurityHeaders {
    hsts: bool,
    index: Option<PathBuf>,
    /// The policy for the `index.html` last read, by its modification time.
    policy: Mutex<(Option<SystemTime>, HeaderValue)>,
}

impl SecurityHeaders {
    /// Headers for a server whose office pages are in `ui_dir` (if any);
    /// `hsts` when it is reached over TLS.
    pub fn new(ui_dir: Option<&Path>, hsts: bool) -> Self {
        let index = ui_dir.map(|dir| dir.join("index.html"));
        let headers = SecurityHeaders {
            hsts,
            index,
            policy: Mutex::new((None, policy_value(&content_security_policy(None)))),
        };
        headers.refresh();
        headers
    }

    /// The policy for the `index.html` now on disk, read again when it
    /// changed since the last time.
    fn refresh(&self) -> HeaderValue {
        let mut policy = match self.policy.lock() {
            Ok(policy) => policy,
            Err(poisoned) => poisoned.into_inner(),
        };
        let Some(index) = &self.index else {
            return policy.1.clone();
        };
        let modified = std::fs::metadata(index).and_then(|m| m.modified()).ok();
        if modified.is_some() && modified != policy.0 {
            match std::fs::read_to_string(index) {
                Ok(html) => {
                    *policy = (
                        modified,
                        policy_value(&content_security_policy(Some(&html))),
                    )
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the office pages' index.html"),
            }
        }
        policy.1.clone()
    }

    /// The policy already known (no look at the disk).
    fn known(&self) -> HeaderValue {
        match self.policy.lock() {
            Ok(policy) => policy.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }
}

fn policy_value(policy: &str) -> HeaderValue {
    // Built from fixed text and base64: always a valid header value.
    HeaderValue::from_str(policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// The Content-Security-Policy for the office pages whose `index.html` is
/// `index_html` (none: the API alone).
pub fn content_security_policy(index_html: Option<&str>) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in index_html.map(inline_script_hashes).unwrap_or_default() {
        script_src.push_str(&format!(" 'sha256-{hash}'"));
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The base64 SHA-256 of the text of every inline `<script>` (one without
/// `src`) in `html`: what a CSP hash source names. `html` is the server's
/// own build output, not outside input.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut hashes = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| from + i) {
        let Some(open_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| open_end + i) else {
            break;
        };
        let tag = &lower[start..open_end];
        if !tag.contains(" src=") && !tag.contains("\nsrc=") {
            let text = &html[open_end..close];
            hashes.push(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text)));
        }
        from = close;
    }
    hashes
}

/// The middleware: adds the headers to every answer.
pub async fn add(
    State(headers): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let no_store = NO_STORE_PREFIXES
        .iter()
        .any(|prefix| request.uri().path().starts_with(prefix));
    let mut response = next.run(request).await;
    let html = is_html(response.headers());
    let policy = if html {
        headers.refresh()
    } else {
        headers.known()
    };
    let map = response.headers_mut();
    map.insert(header::CONTENT_SECURITY_POLICY, policy);
    for (name, value) in FIXED {
        map.insert(name, HeaderValue::from_static(value));
    }
    if headers.hsts {
        map.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if no_store {
        map.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else if html {
        map.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
    }
    response
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text))
    }

    fn check(html: &str, expect: &[&str]) {
        let expect: Vec<String> = expect.iter().map(|t| sha256_b64(t)).collect();
        assert_eq!(inline_script_hashes(html), expect, "{html}");
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_not() {
        check("<html><head></head></html>", &[]);
        check(
            r#"<script type="module">import init from '/a.js';await init();</script>"#,
            &["import init from '/a.js';await init();"],
        );
        check(
            r#"<script src="/x.js"></script><SCRIPT nonce="n">one()</SCRIPT><script>two()</script>"#,
            &["one()", "two()"],
        );
        // Whitespace is part of what the browser hashes.
        check("<script>\n  go()\n</script>", &["\n  go()\n"]);
        // Unclosed: nothing, rather than a wrong hash.
        check("<script>never closed", &[]);
    }

    #[test]
    fn the_policy_names_the_hashes_and_forbids_framing() {
        let policy = content_security_policy(Some("<script>go()</script>"));
        assert!(policy.contains(&format!("'sha256-{}'", sha256_b64("go()"))));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(policy.contains("'wasm-unsafe-eval'"));
        assert!(!policy.contains("unsafe-inline"));
        let api_only = content_security_policy(None);
        assert!(!api_only.contains("sha256"));
    }
}
