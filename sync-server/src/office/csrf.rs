//! Cross-site request forgery: a page of another site must not make a
//! logged-in office browser change anything. The session cookie is
//! `SameSite=Strict`, and besides that every office request that may
//! change something (any method but GET, HEAD and OPTIONS) must:
//!
//! - be sent as `application/json` (a form or a `text/plain` POST, which
//!   a foreign page can send without asking, is refused);
//! - come from the office's own origin: a `Sec-Fetch-Site` header must say
//!   `same-origin` (or `none`: typed by the person); without it, an
//!   `Origin` header must name the host the request was sent to (`Host`,
//!   or a proxy's `X-Forwarded-Host`). A request with neither comes from
//!   no browser (a script or a test with its own cookie) and is let
//!   through: forging a request needs a victim's browser, which sends
//!   them.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use odnowa_shared::office::OfficeErrorCode;

use super::refusal::Refusal;

/// Refuses a state-changing office request that another site could have
/// made; passes everything else on.
pub async fn check(request: Request, next: Next) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    if let Err(why) = refusal(request.headers()) {
        tracing::warn!(
            method = %request.method(),
            path = %request.uri().path(),
            origin = ?request.headers().get(header::ORIGIN),
            "office request refused: {why}"
        );
        return Refusal::new(OfficeErrorCode::Forbidden, why).into_response();
    }
    next.run(request).await
}

/// Why these headers do not show a request of the office's own pages.
pub fn refusal(headers: &HeaderMap) -> Result<(), &'static str> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err("office requests that change something are sent as application/json");
    }
    // A browser's own word on where the request comes from, which no page
    // can change; behind a proxy that rewrites `Host`, it still holds.
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.to_str() {
            Ok("same-origin" | "none") => Ok(()),
            _ => Err("this request comes from another site"),
        };
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    // The host the request was sent to: `Host`, or the proxy's
    // `X-Forwarded-Host` (a page cannot set that header on a cross-site
    // request without a preflight the server never allows).
    let sent_to = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    match origin_host {
        Some(origin_host)
            if [sent_to("host"), sent_to("x-forwarded-host")]
                .into_iter()
                .flatten()
                .any(|host| host.eq_ignore_ascii_case(origin_host)) =>
        {
            Ok(())
        }
        _ => Err("this request comes from another site"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                value.parse().expect("value"),
            );
        }
        map
    }

    #[test]
    fn only_json_from_the_office_itself_passes() {
        let json = ("content-type", "application/json");
        let host = ("host", "biuro.example:8080");
        assert!(refusal(&headers(&[json, host])).is_ok(), "no browser");
        assert!(
            refusal(&headers(&[
                ("content-type", "application/json; charset=utf-8"),
                host,
                ("origin", "https://biuro.example:8080"),
            ]))
            .is_ok()
        );
        assert!(refusal(&headers(&[json, host, ("sec-fetch-site", "same-origin")])).is_ok());
        assert!(
            refusal(&headers(&[
                json,
                ("host", "127.0.0.1:8080"),
                ("origin", "https://biuro.example"),
                ("x-forwarded-host", "biuro.example"),
            ]))
            .is_ok(),
            "behind a proxy"
        );
        for refused in [
            vec![("content-type", "text/plain"), host],
            vec![host],
            vec![json, host, ("origin", "http://evil.example")],
            vec![json, host, ("origin", "null")],
            vec![
                json,
                host,
                ("origin", "https://biuro.example:8080.evil.example"),
            ],
            vec![json, ("origin", "https://biuro.example:8080")],
            vec![
                json,
                host,
                ("origin", "https://evil.example"),
                ("x-forwarded-host", "evil.example.org"),
            ],
            vec![json, host, ("sec-fetch-site", "cross-site")],
            vec![json, host, ("sec-fetch-site", "same-site")],
        ] {
            assert!(refusal(&headers(&refused)).is_err(), "{refused:?}");
        }
    }
}
