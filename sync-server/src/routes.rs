//! HTTP routes: health, enrolment, the sync exchange over one POST or a
//! WebSocket, and the office pages.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, FromRequestParts, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use odnowa_shared::ids::{DeviceId, SpaceId};
use odnowa_shared::protocol::{
    self, ClientMessage, Enrol, Enrolled, MAX_FRAME_BYTES, PROTOCOL_VERSION, Poke, ServerMessage,
    SyncResponse, VERSION_HEADER,
};

use crate::auth;
use crate::error::{ApiError, FrameError};
use crate::exchange::Peer;
use crate::live;
use crate::state::{AppState, ClientIp, LiveDevices};
use crate::store::{EnrolRefusal, StoreError};

/// The server's routes. `ui_dir`, when given, is served at `/` (the office
/// pages built by trunk). Every answer carries the security headers of
/// [`crate::headers`]; HSTS when session cookies are Secure (TLS).
pub fn app(state: AppState, ui_dir: Option<std::path::PathBuf>) -> Router {
    let security = Arc::new(crate::headers::SecurityHeaders::new(
        ui_dir.as_deref(),
        state.office.secure_cookies,
    ));
    let api = Router::new()
        .route(protocol::ENROL_PATH, post(enrol))
        .route("/sync", post(sync_http))
        .route("/ws", get(sync_ws));
    let mut router = Router::new()
        .route("/health", get(health))
        .nest(protocol::ROUTE_PREFIX, api)
        .nest(odnowa_shared::office::API_PREFIX, crate::office::router())
        .layer(DefaultBodyLimit::max(MAX_FRAME_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    if let Some(dir) = ui_dir {
        let index = dir.join("index.html");
        router = router.fallback_service(
            tower_http::services::ServeDir::new(dir)
                .fallback(tower_http::services::ServeFile::new(index)),
        );
    }
    router.layer(axum::middleware::from_fn_with_state(
        security,
        crate::headers::add,
    ))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    backend: &'static str,
    protocol: u16,
    version: &'static str,
}

async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.sync.db().epoch().await?;
    Ok(Json(Health {
        status: "ok",
        backend: state.sync.db().backend(),
        protocol: PROTOCOL_VERSION,
        version: env!("CARGO_PKG_VERSION"),
    }))
}

async fn enrol(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    body: Bytes,
) -> Result<Json<Enrolled>, ApiError> {
    let request: Enrol = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("expected {{code, device_name}}: {e}")))?;
    let name = request.device_name.trim();
    if name.is_empty() || name.chars().count() > protocol::MAX_DEVICE_NAME {
        return Err(ApiError::BadRequest(format!(
            "the device name must be 1 to {} characters",
            protocol::MAX_DEVICE_NAME
        )));
    }
    state
        .enrol_guard
        .check(client)
        .map_err(ApiError::TooManyAttempts)?;
    let device = DeviceId::random();
    let token = auth::new_token();
    let now = chrono::Utc::now().timestamp_millis();
    let redeemed = state
        .sync
        .db()
        .redeem_enrol_code(
            &auth::hash_code(&request.code),
            device,
            name,
            &auth::hash_secret(&token),
            now,
        )
        .await;
    // Only an unknown code is a guess: a used or expired code is real (a
    // retried request, a second tap), and so is a disabled user's. A guess
    // past the limit (others counted meanwhile) is answered as limited.
    if matches!(redeemed, Err(StoreError::Enrol(EnrolRefusal::Unknown))) {
        state
            .enrol_guard
            .guessed(client)
            .map_err(ApiError::TooManyAttempts)?;
    }
    match redeemed {
        Ok((user, user_name)) => {
            tracing::info!(%device, %user, "device enrolled");
            Ok(Json(Enrolled {
                device,
                user,
                user_name,
                token,
            }))
        }
        Err(StoreError::Enrol(refusal)) => {
            match refusal {
                EnrolRefusal::Unknown => tracing::warn!(?client, "wrong enrolment code"),
                EnrolRefusal::Used => tracing::warn!(?client, "an enrolment code used again"),
                _ => {}
            }
            Err(ApiError::Forbidden(
                match refusal {
                    EnrolRefusal::Unknown => {
                        "this enrolment code is not valid: check it or ask for a new one"
                    }
                    EnrolRefusal::Used => "this enrolment code was already used: ask for a new one",
                    EnrolRefusal::Expired => "this enrolment code has expired: ask for a new one",
                    EnrolRefusal::UserDisabled => "this user is disabled: ask your coordinator",
                }
                .into(),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// How stale a device's "last seen" may get before a request writes it.
pub const SEEN_PRECISION_MS: i64 = 60_000;

/// The device behind the request's bearer token.
pub struct AuthDevice(pub Peer);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = FrameError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, FrameError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized(
                "no device token: enrol this device first",
            ))?;
        let token = auth::bearer(header).ok_or(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <device token>`",
        ))?;
        let found = state
            .sync
            .db()
            .device_by_token(&auth::hash_secret(token))
            .await
            .map_err(ApiError::from)?;
        let device = found.ok_or(ApiError::Unauthorized(
            "unknown device token: enrol this device again",
        ))?;
        if device.revoked {
            return Err(ApiError::Revoked.into());
        }
        if device.user_disabled {
            return Err(
                ApiError::Unauthorized("this user is disabled: ask your coordinator").into(),
            );
        }
        // "Last seen" to the minute: a device exchanging every few
        // seconds writes it once a minute, not once a request (on
        // PostgreSQL a commit, flushed to disk, for every exchange). One
        // a minute or more ahead (the server's clock set back) is
        // written again too.
        let now = chrono::Utc::now().timestamp_millis();
        if device
            .last_seen_at
            .is_none_or(|seen| (now - seen).abs() >= SEEN_PRECISION_MS)
        {
            let _ = state.sync.db().touch_device(device.device, now).await;
        }
        Ok(AuthDevice(Peer {
            device: device.device,
            user: device.user,
        }))
    }
}

fn frame_response(bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(VERSION_HEADER, HeaderValue::from(PROTOCOL_VERSION));
    response
}

/// Decodes a request frame, runs the exchange, encodes the answer.
async fn serve_frame(state: &AppState, peer: Peer, frame: &[u8]) -> Result<Vec<u8>, ApiError> {
    Ok(serve_sync(state, peer, frame).await?.0)
}

/// Serves one request frame: the answer's frame, and the answer (a live
/// connection keeps its cursors and spaces).
async fn serve_sync(
    state: &AppState,
    peer: Peer,
    frame: &[u8],
) -> Result<(Vec<u8>, SyncResponse), ApiError> {
    let ClientMessage::Sync(request) = protocol::decode_client(frame)?;
    let message = ServerMessage::Sync(state.sync.exchange(peer, request).await?);
    let bytes = protocol::encode(&message)
        .map_err(|e| ApiError::Internal(StoreError::Corrupt(e.to_string())))?;
    let ServerMessage::Sync(response) = message else {
        return Err(ApiError::Internal(StoreError::Corrupt(
            "not an answer".into(),
        )));
    };
    Ok((bytes, response))
}

async fn sync_http(
    State(state): State<AppState>,
    AuthDevice(peer): AuthDevice,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, FrameError> {
    // A body over the limit is refused with an error frame like every other
    // sync error, not axum's plain text.
    let served = match body {
        Ok(body) => serve_frame(&state, peer, &body).await,
        Err(rejection) => Err(match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
            _ => ApiError::BadRequest(rejection.body_text()),
        }),
    };
    match served {
        Ok(bytes) => Ok(frame_response(bytes)),
        Err(e) => {
            // A frame that never decoded has no record to quarantine: the
            // log names the device instead.
            if !matches!(e, ApiError::Internal(_)) {
                tracing::warn!(device = %peer.device, error = %e, "sync frame refused");
            }
            Err(e.into())
        }
    }
}

async fn sync_ws(
    State(state): State<AppState>,
    AuthDevice(peer): AuthDevice,
    RawQuery(query): RawQuery,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Apps that know live updates ask for them; older ones get pokes.
    let takes_live = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|part| part == protocol::LIVE_QUERY));
    // A device needs one live connection (two while one replaces the
    // other); a stolen token must not hold hundreds.
    let Some(live) = LiveConnection::open(&state.live_devices, peer.device) else {
        tracing::warn!(device = %peer.device, "too many live connections for one device");
        return ApiError::TooManyConnections(MAX_LIVE_PER_DEVICE).into_response();
    };
    // Messages up to twice the frame limit are read whole, so that one just
    // over it is answered with an error frame like over HTTP and the
    // connection lives on; past that the socket is closed unread.
    // Every poll of the socket zeroes a read buffer of this size first
    // (tungstenite), and a live connection is polled at every change
    // announced: small, growing for a large message.
    upgrade
        .read_buffer_size(8 * 1024)
        .max_message_size(2 * MAX_FRAME_BYTES)
        .max_frame_size(2 * MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            websocket(state, peer, takes_live, socket).await;
            drop(live);
        })
}

/// Live WebSocket connections a device may hold at once.
pub const MAX_LIVE_PER_DEVICE: usize = 4;

/// One of a device's live connections, counted until dropped.
struct LiveConnection {
    devices: LiveDevices,
    device: DeviceId,
}

impl LiveConnection {
    fn open(devices: &LiveDevices, device: DeviceId) -> Option<Self> {
        let mut count = devices.lock().unwrap_or_else(|p| p.into_inner());
        let held = count.entry(device).or_default();
        if *held >= MAX_LIVE_PER_DEVICE {
            return None;
        }
        *held += 1;
        Some(LiveConnection {
            devices: devices.clone(),
            device,
        })
    }
}

impl Drop for LiveConnection {
    fn drop(&mut self) {
        let mut count = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(held) = count.get_mut(&self.device) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                count.remove(&self.device);
            }
        }
    }
}

/// One device's live connection: exchanges on request; when others'
/// changes arrive in a space it reads, the changes themselves when the
/// device asked for them and they follow the cursor it was last handed
/// ([`crate::live`]), a poke otherwise.
///
/// The spaces it reads are those of the last answer sent on it (first read
/// at the start). Access only narrows by disabling the user or revoking
/// the device, which closes the connection (`revocations`); a space newly
/// granted is read from the next answer on.
async fn websocket(state: AppState, peer: Peer, takes_live: bool, mut socket: WebSocket) {
    let mut accepted = state.sync.subscribe();
    let db = state.sync.db().clone();
    let (grants, user) = match tokio::try_join!(db.grants(peer.user), db.user_facts(peer.user)) {
        Ok(read) => read,
        Err(e) => {
            tracing::error!(error = %e, "could not read grants");
            return;
        }
    };
    let mut readable: Vec<SpaceId> = grants.into_iter().map(|g| g.space).collect();
    accepted.follow(&readable);
    let org_key = user
        .and_then(|u| u.org)
        .map(|org| org.to_string())
        .unwrap_or_default();
    let mut conn = live::Connection::new(org_key, takes_live);
    let mut keepalive = tokio::time::interval(Duration::from_secs(25));
    let mut revocations = state.sync.revocations();
    revocations.borrow_and_update();
    let mut watching = true;
    let mut stopping = state.stopping.clone();
    if *stopping.borrow_and_update() {
        return;
    }
    loop {
        tokio::select! {
            changed = stopping.changed() => {
                let stop = changed.is_err() || *stopping.borrow();
                if stop {
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            }
            changed = revocations.changed(), if watching => {
                if changed.is_err() {
                    watching = false;
                    continue;
                }
                let cut_off = match db.device_auth(peer.device).await {
                    Ok(Some(auth)) => auth.revoked || auth.user_disabled,
                    Ok(None) => true,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not check a live device");
                        false
                    }
                };
                if cut_off {
                    tracing::info!(device = %peer.device, "revoked: closing its live connection");
                    let _ = socket.send(Message::Binary(ApiError::Revoked.frame().into())).await;
                    let _ = socket.send(Message::Close(None)).await;
                    break;
                }
            }
            incoming = socket.recv() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => {
                        // A message over the frame limit, or broken framing:
                        // say why in an error frame, then close.
                        refuse_unreadable(&mut socket, peer, &e).await;
                        break;
                    }
                    None => break,
                };
                let reply = match message {
                    Message::Binary(frame) => match serve_sync(&state, peer, &frame).await {
                        Ok((bytes, answer)) => {
                            // Grants may have changed with the answer.
                            readable = answer.spaces.iter().map(|s| s.space).collect();
                            accepted.follow(&readable);
                            conn.answered(&answer.cursors);
                            bytes
                        }
                        Err(e) => {
                            e.log_for(peer.device);
                            e.frame()
                        }
                    },
                    Message::Close(_) => break,
                    Message::Text(_) => ApiError::BadRequest("send binary frames".into()).frame(),
                    Message::Ping(_) | Message::Pong(_) => continue,
                };
                if socket.send(Message::Binary(reply.into())).await.is_err() {
                    break;
                }
            }
            heard = accepted.recv() => {
                let message = match heard {
                    live::Heard::Accepted(event) => {
                        let reads = readable.contains(&event.space);
                        match conn.on_changes(peer.device, event.origin, reads, event.live.as_ref()) {
                            live::Send::Nothing => continue,
                            live::Send::Poke => poke(vec![event.space]),
                            live::Send::Live(cursor) => {
                                let Some(changes) = event.live.as_ref() else { continue };
                                match state.sync.live_frame(changes, cursor).await {
                                    Ok((sealed, frame)) => {
                                        conn.sent(&sealed);
                                        if socket.send(Message::Binary(frame)).await.is_err() {
                                            break;
                                        }
                                        continue;
                                    }
                                    Err(e) => {
                                        tracing::warn!(error = %e, "could not seal a live update: poking instead");
                                        poke(vec![event.space])
                                    }
                                }
                            }
                        }
                    }
                    // Missed some: poke for everything readable.
                    live::Heard::Lagged => poke(readable.clone()),
                };
                let Ok(bytes) = protocol::encode(&message) else { continue };
                if socket.send(Message::Binary(bytes.into())).await.is_err() {
                    break;
                }
            }
            _ = keepalive.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// A poke for `spaces`.
fn poke(spaces: Vec<SpaceId>) -> ServerMessage {
    ServerMessage::Poke(Poke { spaces })
}

/// Answers a WebSocket message that could not be read (over the 1 MiB
/// frame limit, or not valid WebSocket framing) with an error frame and a
/// close frame that carry the reason; nothing of it was decoded or stored.
async fn refuse_unreadable(socket: &mut WebSocket, peer: Peer, error: &axum::Error) {
    // tungstenite says "Space limit exceeded: Message too long: N > M".
    let detail = error.to_string();
    let (refusal, code) = if detail.contains("too long") || detail.contains("limit exceeded") {
        (ApiError::TooLarge, 1009)
    } else {
        (
            ApiError::BadRequest(format!("unreadable websocket message: {detail}")),
            1002,
        )
    };
    tracing::warn!(device = %peer.device, error = %detail, "websocket message refused");
    let _ = socket.send(Message::Binary(refusal.frame().into())).await;
    let _ = socket
        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
            code,
            reason: refusal.to_string().into(),
        })))
        .await;
}
