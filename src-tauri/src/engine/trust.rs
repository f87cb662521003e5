//! Which TLS certificates the engine accepts from its server, for
//! `https://` (enrolment, sync over HTTP) and `wss://` (the live
//! connection) alike: one rustls configuration (ring provider) for both.
//!
//! By default, the public web PKI (the Mozilla roots of `webpki-roots`,
//! built in, so a phone's own store plays no part and every platform
//! trusts the same). [`ServerTrust::with_extra_roots_pem`] adds roots, for
//! a server with a private CA and for tests with a self-signed
//! certificate; it is given to [`super::Engine::open_trusting`], never
//! taken from the screens.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::error::{EngineError, Result};

/// The roots the engine trusts. Cheap to clone.
#[derive(Clone)]
pub struct ServerTrust {
    /// For reqwest: HTTP/2 or HTTP/1.1.
    http: Arc<rustls::ClientConfig>,
    /// For the WebSocket: HTTP/1.1 only (the upgrade needs it).
    websocket: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for ServerTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerTrust")
    }
}

impl Default for ServerTrust {
    fn default() -> Self {
        Self::public()
    }
}

impl ServerTrust {
    /// The public web PKI only.
    pub fn public() -> Self {
        Self::from_roots(public_roots())
    }

    /// The public web PKI and the certificates of `pem` (one or more PEM
    /// `CERTIFICATE` blocks) as further roots.
    pub fn with_extra_roots_pem(pem: &[u8]) -> Result<Self> {
        let mut roots = public_roots();
        let mut added = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate
                .map_err(|e| EngineError::Invalid(format!("unreadable root certificate: {e}")))?;
            roots
                .add(certificate)
                .map_err(|e| EngineError::Invalid(format!("unusable root certificate: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(EngineError::Invalid(
                "no root certificate: expected PEM `-----BEGIN CERTIFICATE-----` blocks".into(),
            ));
        }
        Ok(Self::from_roots(roots))
    }

    fn from_roots(roots: RootCertStore) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let base = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = base.clone();
        http.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let mut websocket = base;
        websocket.alpn_protocols = vec![b"http/1.1".to_vec()];
        ServerTrust {
            http: Arc::new(http),
            websocket: Arc::new(websocket),
        }
    }

    /// An HTTP client that trusts these roots, with the usual timeouts.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client> {
        reqwest::Client::builder()
            .use_preconfigured_tls((*self.http).clone())
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(60))
            // The server closes a connection that sends no request for
            // 10 s: the device lets go of it first, so that a request never
            // meets a connection the server is closing.
            .pool_idle_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| EngineError::Offline(e.to_string()))
    }

    /// What opens `wss://` connections with these roots.
    pub(crate) fn websocket_connector(&self) -> tokio_tungstenite::Connector {
        tokio_tungstenite::Connector::Rustls(self.websocket.clone())
    }
}

fn public_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_that_is_not_a_certificate_becomes_a_root() {
        for pem in [
            &b""[..],
            b"hello",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            assert!(ServerTrust::with_extra_roots_pem(pem).is_err());
        }
    }

    #[test]
    fn the_public_roots_are_there() {
        assert!(!webpki_roots::TLS_SERVER_ROOTS.is_empty());
        let trust = ServerTrust::public();
        assert_eq!(trust.websocket.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }
}
