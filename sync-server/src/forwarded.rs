//! The client's address behind a trusted reverse proxy.
//!
//! Behind a proxy every connection comes from the proxy, so the
//! enrolment limit per client address ([`crate::limits`]) would count all
//! clients as one. With `--trusted-proxy IP`, a request whose connection
//! comes from that address is taken to be from the address the proxy
//! appended last to `X-Forwarded-For`: the request's
//! `ConnectInfo<SocketAddr>` is replaced by it (port 0). A request from
//! any other address keeps its own, whatever `X-Forwarded-For` it
//! carries, so a client cannot pick its own address by sending the
//! header.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// `router` taking the client's address from `X-Forwarded-For` on
/// connections from `proxies` (unchanged when there are none).
pub fn trust_proxies(router: Router, proxies: Vec<IpAddr>) -> Router {
    if proxies.is_empty() {
        return router;
    }
    router.layer(axum::middleware::from_fn_with_state(
        Arc::new(proxies),
        rewrite,
    ))
}

async fn rewrite(
    State(proxies): State<Arc<Vec<IpAddr>>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    if let Some(peer) = peer
        && proxies.contains(&peer.ip())
        && let Some(client) = forwarded_client(request.headers())
    {
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, 0)));
    }
    next.run(request).await
}

/// The last address in the last `X-Forwarded-For` header: the one the
/// proxy itself appended (earlier ones came from the client and prove
/// nothing). `None` when it is missing or not a bare IP address.
pub fn forwarded_client(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all(X_FORWARDED_FOR).iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(values: &[&str], expect: Option<&str>) {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, value.parse().expect("header value"));
        }
        let expect = expect.map(|ip| ip.parse::<IpAddr>().expect("ip"));
        assert_eq!(forwarded_client(&headers), expect, "{values:?}");
    }

    #[test]
    fn the_proxy_appended_address_counts() {
        check(&[], None);
        check(&["203.0.113.7"], Some("203.0.113.7"));
        check(&["10.9.9.9, 203.0.113.7"], Some("203.0.113.7"));
        check(&["10.9.9.9", "203.0.113.7 "], Some("203.0.113.7"));
        check(&["2001:db8::1"], Some("2001:db8::1"));
        check(&["203.0.113.7, not-an-ip"], None);
        check(&["203.0.113.7:4321"], None);
    }
}
