//! The wire protocol, version 1.
//!
//! One exchange is a [`SyncRequest`] from the device and a [`SyncResponse`]
//! from the server, carried either as WebSocket binary messages or as the
//! body of one HTTP POST. A frame is two magic bytes `On`, the protocol
//! version as a big-endian `u16`, and the message in CBOR. Every frame carries
//! its version; a decoder accepts every version up to its own, and fields are
//! only ever added (with defaults), so an old message still decodes. Field
//! names are short because they are repeated per document.
//!
//! Rules of the exchange (the server enforces them; see `sync-server`):
//! - every change pushed and not listed in `refused` was stored;
//! - the server answers with the changes after the device's cursors in the
//!   spaces it may read, excluding changes the device itself pushed, paged
//!   by `max_response_bytes`; `more` says another exchange is needed;
//! - a cursor from another epoch (the server was restored from backup) or a
//!   new space starts with compacted snapshots, then the feed.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::ids::{DeviceId, DocId, OrgId, SpaceId, UserId};
use crate::records::RecordKind;
use crate::time::Timestamp;

/// The version this code speaks.
pub const PROTOCOL_VERSION: u16 = 1;
/// The largest frame either side accepts.
pub const MAX_FRAME_BYTES: usize = 1 << 20;
/// The response page the server aims at when the device asks for none.
pub const DEFAULT_RESPONSE_BYTES: u32 = 512 * 1024;
/// The HTTP route prefix of this version.
pub const ROUTE_PREFIX: &str = "/v1";

/// Where a device enrols, under [`ROUTE_PREFIX`]: POST [`Enrol`] as JSON →
/// [`Enrolled`], or an error status with `{"error": "..."}` (403 for a
/// code that does not work, 429 after too many wrong codes, 400 for a
/// malformed request).
pub const ENROL_PATH: &str = "/enrol";

/// The longest name a device may be given (characters).
pub const MAX_DEVICE_NAME: usize = 100;

/// What a device sends to enrol: the one-time code from the office and a
/// name for the device in the office's lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrol {
    pub code: String,
    pub device_name: String,
}

/// What a device gets when it enrols.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub device: DeviceId,
    pub user: UserId,
    /// The user's name, which the device writes beside its changes so that
    /// every device can say who changed what (servers before the field app
    /// did not send it).
    #[serde(default)]
    pub user_name: String,
    pub token: String,
}
/// The header an HTTP response carries with the server's protocol version.
pub const VERSION_HEADER: &str = "x-odnowa-protocol";

const MAGIC: [u8; 2] = *b"On";

/// A change hash on the wire: 32 raw bytes.
pub type WireHash = serde_bytes::ByteArray<32>;

/// Messages from a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ClientMessage {
    Sync(SyncRequest),
}

/// Messages from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ServerMessage {
    Sync(SyncResponse),
    /// New changes were accepted in these spaces: sync to get them.
    Poke(Poke),
    /// The request could not be served at all.
    Error(WireError),
    /// Changes just accepted in one space, pushed on a live connection
    /// that asked for them ([`LIVE_QUERY`]) instead of a poke: the device
    /// takes them without an exchange when they follow its cursor.
    Live(LiveUpdate),
}

/// The query a device adds to the WebSocket route to be sent
/// [`ServerMessage::Live`] updates; without it (apps before live updates)
/// it gets [`ServerMessage::Poke`] alone, which it can decode.
pub const LIVE_QUERY: &str = "live=1";

/// One exchange from the device.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Echoed in the response.
    #[serde(rename = "i")]
    pub request_id: u64,
    /// Where the device is in each space's feed.
    #[serde(rename = "c", default)]
    pub cursors: Vec<SpaceCursor>,
    /// Changes the server has not acknowledged yet.
    #[serde(rename = "p", default)]
    pub pushes: Vec<DocPush>,
    /// Page size the device wants; 0 for the server's default.
    #[serde(rename = "m", default)]
    pub max_response_bytes: u32,
    /// Records the person opened on the device since the last exchange
    /// (a person's file, case notes, a contact's notes), for the server's
    /// audit log; at most [`MAX_READS`] per exchange.
    #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
    pub reads: Vec<ReadReport>,
    /// Erased documents this device has purged (or never held), answering
    /// [`SyncResponse::purge`]; at most [`MAX_PURGES`] per exchange.
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub purged: Vec<Purge>,
}

/// The most reads one exchange reports; the device sends the rest next time.
pub const MAX_READS: usize = 500;

/// The most purges one exchange carries, either way.
pub const MAX_PURGES: usize = 1_000;

/// An erasure a device must carry out: drop its copy of `doc` (every copy,
/// or those older than generation `keep_from`, when the server rewrote the
/// document as that generation without the erased person's free text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Purge {
    #[serde(rename = "d")]
    pub doc: DocId,
    /// `None`: the document was deleted; `Some(g)`: only generation `g`
    /// and later may be kept.
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub keep_from: Option<u32>,
}

impl Purge {
    /// Whether a copy of generation `generation` must go.
    pub fn drops(&self, generation: u32) -> bool {
        self.keep_from.is_none_or(|keep| generation < keep)
    }
}

/// A record opened on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReport {
    #[serde(rename = "d")]
    pub doc: DocId,
    /// When it was opened (the device's clock).
    #[serde(rename = "t")]
    pub at: Timestamp,
}

/// A position in one space's feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceCursor {
    #[serde(rename = "s")]
    pub space: SpaceId,
    /// The feed's epoch; changes when the server's feed was restored.
    #[serde(rename = "e")]
    pub epoch: u64,
    /// The last sequence number the device holds.
    #[serde(rename = "q")]
    pub seq: u64,
    /// Set while the device is still receiving the space's snapshots.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotPhase>,
    /// The server's seal over the fields above: the device keeps it and
    /// sends it back unchanged. Only a sealed cursor ahead of the feed is
    /// taken as the feed having been restored from a backup; a device
    /// cannot make one up.
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<ByteBuf>,
}

impl SpaceCursor {
    /// A cursor for a space the device has never synced.
    pub fn fresh(space: SpaceId) -> Self {
        SpaceCursor {
            space,
            epoch: 0,
            seq: 0,
            snapshot: None,
            mac: None,
        }
    }
}

/// Progress through a space's snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPhase {
    /// The last document sent, in id order.
    #[serde(rename = "a", default)]
    pub after: Option<DocId>,
    /// The feed position the snapshots cover; the feed continues after it.
    #[serde(rename = "u")]
    pub upto: u64,
}

/// A device's new changes to one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocPush {
    #[serde(rename = "d")]
    pub doc: DocId,
    #[serde(rename = "s")]
    pub space: SpaceId,
    #[serde(rename = "k")]
    pub kind: RecordKind,
    /// The document generation (erasure rewrites a document as a new one).
    #[serde(rename = "g", default)]
    pub generation: u32,
    /// Raw Automerge changes, in causal order.
    #[serde(rename = "c")]
    pub changes: Vec<ByteBuf>,
}

/// The server's answer to one exchange.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    #[serde(rename = "i")]
    pub request_id: u64,
    /// Changes the server did not store, and why. Every other pushed change
    /// was stored.
    #[serde(rename = "r", default)]
    pub refused: Vec<Refusal>,
    /// Changes and snapshots for the device.
    #[serde(rename = "u", default)]
    pub updates: Vec<DocUpdate>,
    /// New cursors, one per readable space.
    #[serde(rename = "c", default)]
    pub cursors: Vec<SpaceCursor>,
    /// More is waiting: exchange again.
    #[serde(rename = "m", default)]
    pub more: bool,
    /// The spaces the device may read now, and whether it may write them.
    #[serde(rename = "a", default)]
    pub spaces: Vec<SpaceAccess>,
    /// How many documents the device's readable spaces hold, sent while a
    /// space still arrives as snapshots (a first sync, or after a restore),
    /// so the device can show progress. Added to v1 as an optional field:
    /// older devices ignore it, older servers leave it out.
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    pub total_docs: Option<u64>,
    /// The consortium's rules for devices (added to v1 as an optional
    /// field: older devices ignore it; without it a device keeps the
    /// defaults).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<DevicePolicy>,
    /// The user's member organisation (`None`: a consortium user): the
    /// device hides the details of persons who withdrew consent unless it
    /// belongs to the organisation that recorded it.
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub org: Option<OrgId>,
    /// Erasures this device has not confirmed, in its readable spaces: drop
    /// these copies, then confirm them in [`SyncRequest::purged`]. At most
    /// [`MAX_PURGES`]; `more` is set when others wait.
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub purge: Vec<Purge>,
}

/// How devices protect what they hold, set on the server for everybody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePolicy {
    /// Seconds without a tap after which the app asks for the PIN again.
    #[serde(rename = "l")]
    pub lock_secs: u32,
    /// Days without reaching the server after which a device hides its
    /// records until it syncs.
    #[serde(rename = "s")]
    pub stale_days: u32,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        DevicePolicy {
            lock_secs: 5 * 60,
            stale_days: 14,
        }
    }
}

/// A space the device may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpaceAccess {
    #[serde(rename = "s")]
    pub space: SpaceId,
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "w")]
    pub write: bool,
    /// For the referral space of two organisations
    /// ([`SpaceId::between`](crate::ids::SpaceId::between)): the other
    /// organisation. A device puts nothing there but referrals.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<crate::ids::OrgId>,
}

/// New content of one document for the device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocUpdate {
    #[serde(rename = "d")]
    pub doc: DocId,
    #[serde(rename = "s")]
    pub space: SpaceId,
    #[serde(rename = "k")]
    pub kind: RecordKind,
    #[serde(rename = "g", default)]
    pub generation: u32,
    /// A compacted snapshot (Automerge's saved-document format).
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<ByteBuf>,
    /// Raw changes after the snapshot (or after the device's cursor).
    #[serde(rename = "c", default)]
    pub changes: Vec<ByteBuf>,
}

/// A change (or a whole push) the server did not store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    #[serde(rename = "d")]
    pub doc: DocId,
    /// The refused change; `None` when the whole push was refused.
    #[serde(rename = "h", default)]
    pub change: Option<WireHash>,
    #[serde(rename = "k")]
    pub code: RefusalCode,
    /// A sentence for a person.
    #[serde(rename = "m")]
    pub reason: String,
}

/// Why a change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// The user may not write this space.
    NotWritable,
    /// No such space.
    UnknownSpace,
    /// The document belongs to another space.
    SpaceMismatch,
    /// The bytes are not an Automerge change.
    Undecodable,
    /// The change depends on changes the server does not have: push the
    /// whole document again.
    MissingDependencies,
    /// The document would break its kind's schema.
    SchemaViolation,
    /// The change would change the document's kind, space or id.
    HeaderChanged,
    /// The document would grow past the size limit.
    TooLarge,
    /// The document was erased.
    Erased,
    /// The document has a newer generation on the server.
    OldGeneration,
    /// A change names another device as its author (its Automerge actor,
    /// or the author name it writes): a device pushes only its own.
    ForeignAuthor,
    /// Any other code, from a newer server.
    #[serde(other)]
    Other,
}

/// Something new to fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Poke {
    #[serde(rename = "s")]
    pub spaces: Vec<SpaceId>,
}

/// The changes of one space's feed after position `after` up to
/// `cursor.seq`, as a pull would have sent them, with the cursor a pull
/// would have returned. Only a device whose cursor for the space is at
/// `after` (same epoch, past the snapshots) may take the cursor; see
/// [`LiveUpdate::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveUpdate {
    #[serde(rename = "a")]
    pub after: u64,
    /// The space's cursor after these changes, sealed by the server.
    #[serde(rename = "c")]
    pub cursor: SpaceCursor,
    #[serde(rename = "u", default)]
    pub updates: Vec<DocUpdate>,
}

/// How a [`LiveUpdate`] fits a device's cursor of its space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveFit {
    /// It follows the cursor: apply its updates and take its cursor.
    Follows,
    /// The device already holds all of it (its cursor is at or past the
    /// update's end): nothing to do.
    Held,
    /// Something between the cursor and the update is missing, or the
    /// device is still receiving the space's snapshots, or the epoch
    /// differs: treat it as a poke and exchange.
    Gap,
}

impl LiveUpdate {
    /// How this update fits `held`, the device's cursor of its space.
    pub fn fit(&self, held: Option<&SpaceCursor>) -> LiveFit {
        let Some(held) = held else {
            return LiveFit::Gap;
        };
        if held.space != self.cursor.space
            || held.epoch != self.cursor.epoch
            || held.snapshot.is_some()
            || self.cursor.snapshot.is_some()
            || self.cursor.seq <= self.after
        {
            return LiveFit::Gap;
        }
        if held.seq >= self.cursor.seq {
            LiveFit::Held
        } else if held.seq == self.after {
            LiveFit::Follows
        } else {
            LiveFit::Gap
        }
    }
}

/// A request the server could not serve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireError {
    #[serde(rename = "k")]
    pub code: ErrorCode,
    #[serde(rename = "m")]
    pub message: String,
}

/// Kinds of [`WireError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadFrame,
    UnsupportedVersion,
    TooLarge,
    Unauthorized,
    Revoked,
    Internal,
    /// The server cannot store or read now (its disk is full, its
    /// database does not answer): the device keeps what it has and tries
    /// again later. An older app reads it as [`ErrorCode::Other`].
    Unavailable,
    #[serde(other)]
    Other,
}

/// Why a frame could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("frame too large: {size} bytes, at most {max}")]
    TooLarge { size: usize, max: usize },
    #[error("not an Odnowa frame (bad magic bytes)")]
    BadMagic,
    #[error(
        "frame from protocol version {0}; this side speaks up to {PROTOCOL_VERSION}: update the app"
    )]
    UnsupportedVersion(u16),
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("could not encode a message: {0}")]
    Encode(String),
}

/// Encodes a message as a frame of the current version.
pub fn encode<T: Serialize>(message: &T) -> Result<Vec<u8>, ProtocolError> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    ciborium::into_writer(message, &mut out).map_err(|e| ProtocolError::Encode(e.to_string()))?;
    Ok(out)
}

/// Checks a frame's size, magic and version; returns the version and body.
fn open_frame(bytes: &[u8], max: usize) -> Result<(u16, &[u8]), ProtocolError> {
    if bytes.len() > max {
        return Err(ProtocolError::TooLarge {
            size: bytes.len(),
            max,
        });
    }
    if bytes.len() < 4 || bytes[..2] != MAGIC {
        return Err(ProtocolError::BadMagic);
    }
    let version = u16::from_be_bytes([bytes[2], bytes[3]]);
    if version == 0 || version > PROTOCOL_VERSION {
        return Err(ProtocolError::UnsupportedVersion(version));
    }
    Ok((version, &bytes[4..]))
}

fn decode_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ProtocolError> {
    // The recursion limit refuses deeply nested hostile input before it can
    // exhaust the stack.
    ciborium::de::from_reader_with_recursion_limit(body, 64)
        .map_err(|e| ProtocolError::Malformed(e.to_string()))
}

/// Decodes a frame from a device.
pub fn decode_client(bytes: &[u8]) -> Result<ClientMessage, ProtocolError> {
    match open_frame(bytes, MAX_FRAME_BYTES)? {
        // Version 1 is the only one so far; a later version maps the older
        // message types onto its own here.
        (1, body) => decode_body(body),
        (version, _) => Err(ProtocolError::UnsupportedVersion(version)),
    }
}

/// Decodes a frame from the server.
pub fn decode_server(bytes: &[u8]) -> Result<ServerMessage, ProtocolError> {
    match open_frame(bytes, MAX_FRAME_BYTES)? {
        (1, body) => decode_body(body),
        (version, _) => Err(ProtocolError::UnsupportedVersion(version)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_request() -> ClientMessage {
        ClientMessage::Sync(SyncRequest {
            request_id: 7,
            cursors: vec![SpaceCursor {
                space: SpaceId(uuid::Uuid::from_u128(1)),
                epoch: 3,
                seq: 42,
                snapshot: None,
                mac: None,
            }],
            pushes: vec![DocPush {
                doc: DocId(uuid::Uuid::from_u128(2)),
                space: SpaceId(uuid::Uuid::from_u128(1)),
                kind: RecordKind::Contact,
                generation: 0,
                changes: vec![ByteBuf::from(vec![1, 2, 3])],
            }],
            max_response_bytes: 0,
            reads: Vec::new(),
            purged: Vec::new(),
        })
    }

    #[test]
    fn round_trip() {
        let message = sample_request();
        let bytes = encode(&message).expect("encode");
        assert_eq!(decode_client(&bytes).expect("decode"), message);
    }

    /// Writes the fixture below; run once when the fixture is first made:
    /// `cargo test -p odnowa-shared -- --ignored write_v1_fixture`.
    #[test]
    #[ignore = "writes the committed fixture"]
    fn write_v1_fixture() {
        let bytes = encode(&sample_request()).expect("encode");
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/sync_request_v1.bin"
            ),
            bytes,
        )
        .expect("write");
    }

    /// Version 1 frames as the first release wrote them must keep decoding.
    #[test]
    fn a_v1_frame_from_the_first_release_still_decodes() {
        let fixture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sync_request_v1.bin"
        ))
        .expect("the committed fixture");
        assert_eq!(decode_client(&fixture).expect("decode"), sample_request());
    }

    #[test]
    fn unknown_fields_from_a_newer_minor_are_ignored() {
        #[derive(Serialize)]
        struct Newer {
            i: u64,
            c: Vec<SpaceCursor>,
            future_field: String,
        }
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u16.to_be_bytes());
        let message = Newer {
            i: 9,
            c: vec![],
            future_field: "x".into(),
        };
        ciborium::into_writer(
            &std::collections::BTreeMap::from([("Sync", message)]),
            &mut bytes,
        )
        .expect("encode");
        let ClientMessage::Sync(request) = decode_client(&bytes).expect("decode");
        assert_eq!(request.request_id, 9);
        assert!(request.pushes.is_empty());
    }

    /// `total_docs` (`t`) came after the first release: an answer without
    /// it decodes as `None`, and one with it round-trips.
    #[test]
    fn the_optional_total_is_backward_compatible() {
        #[derive(Serialize)]
        struct OldResponse {
            i: u64,
            m: bool,
        }
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&1u16.to_be_bytes());
        ciborium::into_writer(
            &std::collections::BTreeMap::from([("Sync", OldResponse { i: 4, m: true })]),
            &mut bytes,
        )
        .expect("encode");
        let ServerMessage::Sync(old) = decode_server(&bytes).expect("decode") else {
            panic!("not a sync answer");
        };
        assert_eq!((old.request_id, old.more, old.total_docs), (4, true, None));

        let new = ServerMessage::Sync(SyncResponse {
            request_id: 5,
            total_docs: Some(1200),
            ..SyncResponse::default()
        });
        let bytes = encode(&new).expect("encode");
        assert_eq!(decode_server(&bytes).expect("decode"), new);
        // Left out when unknown, so older devices see the same bytes as before.
        let none = encode(&ServerMessage::Sync(SyncResponse::default())).expect("encode");
        assert!(!none.windows(2).any(|w| w == [0x61, b't']));
    }

    #[test]
    fn bad_frames_get_clear_errors() {
        let check = |bytes: &[u8], expect: &str| {
            let err = decode_client(bytes).expect_err("must fail");
            assert_eq!(err.to_string(), expect);
        };
        check(b"", "not an Odnowa frame (bad magic bytes)");
        check(b"GET / HTTP/1.1", "not an Odnowa frame (bad magic bytes)");
        check(
            b"On\x00\x09....",
            "frame from protocol version 9; this side speaks up to 1: update the app",
        );
        let huge = vec![0u8; MAX_FRAME_BYTES + 1];
        check(&huge, "frame too large: 1048577 bytes, at most 1048576");
        let err = decode_client(b"On\x00\x01\xff\xff").expect_err("garbage");
        assert!(matches!(err, ProtocolError::Malformed(_)), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let mut bytes = b"On\x00\x01".to_vec();
        bytes.extend(std::iter::repeat_n(0x81u8, 100_000)); // arrays of one array of ...
        bytes.push(0x00);
        assert!(matches!(
            decode_client(&bytes),
            Err(ProtocolError::Malformed(_))
        ));
    }

    #[test]
    fn an_unknown_refusal_code_from_a_newer_server_decodes() {
        #[derive(Serialize)]
        struct R {
            d: DocId,
            k: &'static str,
            m: &'static str,
        }
        let mut body = Vec::new();
        ciborium::into_writer(
            &R {
                d: DocId(uuid::Uuid::from_u128(5)),
                k: "quota_exceeded",
                m: "too many",
            },
            &mut body,
        )
        .expect("encode");
        let refusal: Refusal = ciborium::from_reader(body.as_slice()).expect("decode");
        assert_eq!(refusal.code, RefusalCode::Other);
    }
}
