//! HTTPS and WSS served by the server itself (rustls, ring provider).
//!
//! [`load`] reads a PEM certificate chain and private key and checks that
//! they belong together; [`TlsListener`] accepts TCP connections and runs
//! their TLS handshakes concurrently (a slow or silent client holds up
//! nobody else, and gives up after [`HANDSHAKE_TIMEOUT`]); [`launch_tls`]
//! serves a router on it exactly as [`crate::launch`] does on plain TCP,
//! with the client's address as `ConnectInfo<SocketAddr>`.
//!
//! Only HTTP/1.1 is offered (ALPN), which is what axum serves here and
//! what WebSocket upgrades need.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A client that has not finished its handshake by then is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many handshakes run at once; past it, new connections
/// wait in the kernel's accept queue.
const MAX_HANDSHAKES: usize = 256;

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {}: {reason}", path.display())]
    Certificate { path: PathBuf, reason: pem::Error },
    #[error(
        "no certificate in {}: expected PEM `-----BEGIN CERTIFICATE-----` blocks, the server's first",
        .0.display()
    )]
    NoCertificate(PathBuf),
    #[error("cannot read the TLS private key {}: {reason}", path.display())]
    Key { path: PathBuf, reason: pem::Error },
    #[error(
        "no private key in {}: expected a PEM `-----BEGIN PRIVATE KEY-----` (or RSA / EC) block",
        .0.display()
    )]
    NoKey(PathBuf),
    #[error(
        "the private key in {} does not belong to the certificate in {}",
        key.display(),
        cert.display()
    )]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("the TLS certificate and private key cannot be used together: {0}")]
    Rejected(rustls::Error),
}

/// Reads the PEM certificate chain at `cert` (the server's certificate
/// first, then intermediates) and the PEM private key at `key`, and makes
/// the server's TLS configuration; a key that does not match the
/// certificate is refused here, not at the first client.
pub fn load(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certificate_error = |reason| TlsError::Certificate {
        path: cert.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(certificate_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(certificate_error)?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_path_buf()));
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(|reason| match reason {
        pem::Error::NoItemsFound => TlsError::NoKey(key.to_path_buf()),
        reason => TlsError::Key {
            path: key.to_path_buf(),
            reason,
        },
    })?;
    server_config(chain, private_key).map_err(|e| match e {
        TlsError::Rejected(rustls::Error::InconsistentKeys(
            rustls::InconsistentKeys::KeyMismatch,
        )) => TlsError::Mismatch {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
        },
        other => other,
    })
}

/// The server's TLS configuration for a certificate chain and its key.
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rejected)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(TlsError::Rejected)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

type Handshake =
    Pin<Box<dyn Future<Output = Option<(TlsStream<TcpStream>, SocketAddr)>> + Send + 'static>>;

/// A TCP listener whose connections come out with their TLS handshake
/// done. Handshakes advance while the server waits for the next
/// connection, so one slow client delays nobody.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: FuturesUnordered<Handshake>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> Self {
        TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: FuturesUnordered::new(),
        }
    }

    fn handshake(&self, stream: TcpStream, peer: SocketAddr) -> Handshake {
        let accepting = self.acceptor.accept(stream);
        Box::pin(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, accepting).await {
                Ok(Ok(tls)) => Some((tls, peer)),
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    None
                }
            }
        })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let room = self.handshakes.len() < MAX_HANDSHAKES;
            tokio::select! {
                accepted = self.tcp.accept(), if room => match accepted {
                    Ok((stream, peer)) => {
                        let handshake = self.handshake(stream, peer);
                        self.handshakes.push(handshake);
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: as axum
                        // does for plain TCP, wait a moment and go on.
                        tracing::error!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
                Some(done) = self.handshakes.next(), if !self.handshakes.is_empty() => {
                    if let Some(connection) = done {
                        return connection;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// [`crate::launch`] over TLS: serves `router` on `listener` until
/// `shutdown` completes, then lets open requests finish.
pub async fn launch_tls(
    listener: TlsListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::conn::serve(
        listener,
        router,
        crate::conn::ConnLimits::default(),
        shutdown,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate and its key, as PEM files in `dir`.
    fn write_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let generated =
            rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("rcgen");
        let cert = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, generated.cert.pem()).expect("write cert");
        std::fs::write(&key, generated.signing_key.serialize_pem()).expect("write key");
        (cert, key)
    }

    fn check(result: Result<Arc<rustls::ServerConfig>, TlsError>, expect: &str) {
        match result {
            Ok(_) => panic!("expected an error with {expect:?}"),
            Err(e) => {
                let message = e.to_string();
                assert!(
                    message.contains(expect),
                    "{message:?} does not contain {expect:?}"
                );
            }
        }
    }

    #[test]
    fn a_matching_pair_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = write_pair(dir.path(), "server");
        let config = load(&cert, &key).expect("loads");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = write_pair(dir.path(), "server");
        let nowhere = dir.path().join("nowhere.pem");
        check(load(&nowhere, &key), "cannot read the TLS certificate");
        check(load(&nowhere, &key), "nowhere.pem");
        check(load(&cert, &nowhere), "cannot read the TLS private key");
    }

    #[test]
    fn files_of_the_wrong_kind_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = write_pair(dir.path(), "server");
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a certificate\n").expect("write");
        check(load(&text, &key), "no certificate in");
        check(load(&cert, &text), "no private key in");
        // The two swapped.
        check(load(&key, &cert), "no certificate in");
    }

    #[test]
    fn a_key_of_another_certificate_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, _) = write_pair(dir.path(), "one");
        let (_, other_key) = write_pair(dir.path(), "two");
        check(
            load(&cert, &other_key),
            "does not belong to the certificate",
        );
    }
}
