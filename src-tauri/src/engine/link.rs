//! The connection to the sync server: exchanges over a WebSocket when one
//! is open (it also carries the server's pokes), over one HTTP POST when
//! not.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use odnowa_shared::protocol::{
    self, ErrorCode, LIVE_QUERY, LiveUpdate, MAX_FRAME_BYTES, ROUTE_PREFIX, ServerMessage,
    WireError,
};

use super::error::{EngineError, Result};
use super::trust::ServerTrust;

/// Counters of what went over the network.
#[derive(Debug, Default)]
pub struct Stats {
    pub exchanges: AtomicU64,
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    pub pokes: AtomicU64,
    /// Live updates taken without an exchange.
    pub live_updates: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    pub exchanges: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub pokes: u64,
    pub live_updates: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            exchanges: self.exchanges.load(Ordering::Relaxed),
            bytes_up: self.bytes_up.load(Ordering::Relaxed),
            bytes_down: self.bytes_down.load(Ordering::Relaxed),
            pokes: self.pokes.load(Ordering::Relaxed),
            live_updates: self.live_updates.load(Ordering::Relaxed),
        }
    }
}

type Pending = oneshot::Sender<Result<Vec<u8>>>;

/// An open WebSocket: frames to send, each with where its answer goes.
struct Socket {
    requests: mpsc::Sender<(Vec<u8>, Pending)>,
}

/// The link to one server for one device.
pub struct Link {
    http: reqwest::Client,
    base: String,
    token: String,
    socket: Mutex<Option<Socket>>,
    pub stats: Arc<Stats>,
    trust: ServerTrust,
}

/// A request that reached no answer, with the causes reqwest keeps
/// inside (an untrusted certificate, a refused connection).
pub(super) fn offline(error: reqwest::Error) -> EngineError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    EngineError::Offline(message)
}

/// What an error frame from the server means here, over HTTP or the
/// socket.
pub(crate) fn wire_error(e: WireError) -> EngineError {
    match e.code {
        ErrorCode::Revoked => EngineError::Revoked,
        // The server's disk is full or its database does not answer: as
        // good as offline; the records wait here and go later.
        ErrorCode::Unavailable => EngineError::Offline(e.message),
        _ => EngineError::Refused(e.message),
    }
}

/// Maps an error frame or status from the server.
fn server_error(status: Option<reqwest::StatusCode>, body: &[u8]) -> EngineError {
    match protocol::decode_server(body) {
        Ok(ServerMessage::Error(e)) => wire_error(e),
        _ => EngineError::Refused(format!(
            "unexpected answer{}",
            status.map(|s| format!(" ({s})")).unwrap_or_default()
        )),
    }
}

impl Link {
    pub fn new(base: &str, token: &str, stats: Arc<Stats>, trust: &ServerTrust) -> Result<Link> {
        Ok(Link {
            http: trust.http_client()?,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            socket: Mutex::new(None),
            stats,
            trust: trust.clone(),
        })
    }

    /// One exchange: a request frame in, the answer frame out.
    pub async fn exchange(&self, frame: Vec<u8>) -> Result<Vec<u8>> {
        self.stats.exchanges.fetch_add(1, Ordering::Relaxed);
        self.stats
            .bytes_up
            .fetch_add(frame.len() as u64, Ordering::Relaxed);
        let reply = match self.via_socket(frame.clone()).await {
            Some(reply) => reply,
            None => self.via_http(frame).await,
        }?;
        self.stats
            .bytes_down
            .fetch_add(reply.len() as u64, Ordering::Relaxed);
        Ok(reply)
    }

    async fn via_socket(&self, frame: Vec<u8>) -> Option<Result<Vec<u8>>> {
        let requests = self.socket.lock().await.as_ref()?.requests.clone();
        let (reply, answer) = oneshot::channel();
        requests.send((frame, reply)).await.ok()?;
        answer.await.ok()
    }

    async fn via_http(&self, frame: Vec<u8>) -> Result<Vec<u8>> {
        let response = self
            .http
            .post(format!("{}{ROUTE_PREFIX}/sync", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/octet-stream")
            .body(frame)
            .send()
            .await
            .map_err(offline)?;
        let status = response.status();
        let body = response.bytes().await.map_err(offline)?;
        if status.is_success() {
            Ok(body.to_vec())
        } else {
            Err(server_error(Some(status), &body))
        }
    }

    /// Keeps a WebSocket open until it fails; `poked` is notified when the
    /// server says new changes are waiting, and once when the socket opens;
    /// the changes the server pushes go to `live` (a poke when it is
    /// full). `on_live` runs when the server first answers on the socket:
    /// from then on it holds the cursors it handed out there and pushes
    /// what follows them (before it, a change of another device reaches
    /// this one as a poke). Returns when the socket closes.
    pub async fn run_socket(
        self: &Arc<Self>,
        poked: Arc<Notify>,
        live: mpsc::Sender<LiveUpdate>,
        on_live: impl FnOnce(),
    ) -> Result<()> {
        let url = format!(
            "{}{ROUTE_PREFIX}/ws?{LIVE_QUERY}",
            self.base
                .replacen("https://", "wss://", 1)
                .replacen("http://", "ws://", 1)
        );
        let mut request = url
            .into_client_request()
            .map_err(|e| EngineError::Offline(e.to_string()))?;
        let bearer = format!("Bearer {}", self.token)
            .parse()
            .map_err(|_| EngineError::Corrupt("token".into()))?;
        request.headers_mut().insert("authorization", bearer);
        // tungstenite zeroes the free part of its read buffer before every
        // read: 8 KiB (growing for a large message) instead of its 128 KiB
        // default, at every live update the phone receives.
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        let (stream, _) = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            false,
            Some(self.trust.websocket_connector()),
        )
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(response) if response.status() == 401 => {
                server_error(None, response.body().as_deref().unwrap_or_default())
            }
            other => EngineError::Offline(other.to_string()),
        })?;
        let (mut sink, mut source) = stream.split();
        let (requests, mut outgoing) = mpsc::channel::<(Vec<u8>, Pending)>(8);
        *self.socket.lock().await = Some(Socket { requests });
        let mut on_live = Some(on_live);
        poked.notify_one();
        let mut waiting: VecDeque<Pending> = VecDeque::new();
        let result = loop {
            tokio::select! {
                request = outgoing.recv() => {
                    let Some((frame, reply)) = request else { break Ok(()) };
                    if let Err(e) = sink.send(Message::Binary(frame.into())).await {
                        let _ = reply.send(Err(EngineError::Offline(e.to_string())));
                        break Err(EngineError::Offline(e.to_string()));
                    }
                    waiting.push_back(reply);
                }
                incoming = source.next() => {
                    let message = match incoming {
                        Some(Ok(message)) => message,
                        Some(Err(e)) => break Err(EngineError::Offline(e.to_string())),
                        None => break Err(EngineError::Offline("the server closed the connection".into())),
                    };
                    let Message::Binary(bytes) = message else { continue };
                    match protocol::decode_server(&bytes) {
                        Ok(ServerMessage::Poke(_)) => {
                            self.stats.pokes.fetch_add(1, Ordering::Relaxed);
                            poked.notify_one();
                        }
                        Ok(ServerMessage::Live(update)) => {
                            self.stats
                                .bytes_down
                                .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                            if live.try_send(update).is_err() {
                                poked.notify_one();
                            }
                        }
                        Ok(ServerMessage::Error(e)) if e.code == ErrorCode::Revoked => {
                            if let Some(reply) = waiting.pop_front() {
                                let _ = reply.send(Err(EngineError::Revoked));
                            }
                            break Err(EngineError::Revoked);
                        }
                        decoded => {
                            if let Some(reply) = waiting.pop_front() {
                                let _ = reply.send(Ok(bytes.to_vec()));
                                if matches!(decoded, Ok(ServerMessage::Sync(_)))
                                    && let Some(on_live) = on_live.take()
                                {
                                    on_live();
                                }
                            }
                        }
                    }
                }
            }
        };
        *self.socket.lock().await = None;
        for reply in waiting {
            let _ = reply.send(Err(EngineError::Offline("the connection closed".into())));
        }
        result
    }
}
