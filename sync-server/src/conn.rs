//! The connection loop: how many connections are held at once, and how
//! long one may take to say what it wants.
//!
//! A client that opens connections and sends headers a byte at a time
//! (slowloris), or nothing at all, must not hold the server's file
//! descriptors: every connection takes a slot of [`ConnLimits::max`]
//! (fewer than the process may open, so the database and the log always
//! have theirs), must send a request's headers within
//! [`ConnLimits::header_timeout`] of starting it, and is closed after
//! [`ConnLimits::idle_timeout`] without a byte read or written (live
//! WebSocket connections are pinged every 25 s, so they stay). When every
//! slot is taken, new connections wait in the kernel's queue until a held
//! one times out.
//!
//! axum's own `serve` has no such knobs, so this is the same loop over
//! hyper-util with them set (HTTP/1.1 with upgrades, as TLS's ALPN says).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Extension;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::Layer;

/// Bounds on connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Connections held at once.
    pub max: usize,
    /// Time to send a request's headers, once started.
    pub header_timeout: Duration,
    /// Time without a byte either way before the connection is closed.
    pub idle_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max: default_max_connections(),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
        }
    }
}

/// 4,096 connections, or fewer when the process may open fewer files
/// (three quarters of its soft limit, keeping 64 for everything else).
pub fn default_max_connections() -> usize {
    let wanted = 4096;
    match open_files_limit() {
        Some(limit) => wanted.min((limit.saturating_sub(64) * 3 / 4).max(16)),
        None => wanted,
    }
}

/// The soft limit on open files (Linux: `/proc/self/limits`).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Serves `router` on `listener` within `limits` until `shutdown`
/// completes, then lets open requests finish (at most 10 s more).
pub async fn serve<L>(
    mut listener: L,
    router: axum::Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let slots = Arc::new(Semaphore::new(limits.max.max(1)));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let service = Extension(ConnectInfo(peer)).layer(router.clone());
        let io = TokioIo::new(Guarded::new(io, slot, limits.idle_timeout));
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let connection =
                builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection ended");
                    }
                    return;
                }
                _ = stop.wait_for(|stopping| *stopping) => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a slot until its socket is dropped.
    let all = u32::try_from(limits.max.max(1)).unwrap_or(u32::MAX);
    if tokio::time::timeout(Duration::from_secs(10), slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open 10 s after the server stopped");
    }
    Ok(())
}

/// A connection's socket: holds its slot until dropped (after an
/// upgrade too), and fails a read or write once nothing moved either way
/// for `idle`.
pub struct Guarded<IO> {
    io: IO,
    _slot: OwnedSemaphorePermit,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl<IO> Guarded<IO> {
    fn new(io: IO, slot: OwnedSemaphorePermit, idle: Duration) -> Self {
        Guarded {
            io,
            _slot: slot,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    /// `Ready(Err)` once the connection has been idle too long; registers
    /// the wake-up otherwise.
    fn timed_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection was idle too long",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.timed_out(cx).map(Err),
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.timed_out(cx).map(Err),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Pending => self.timed_out(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
