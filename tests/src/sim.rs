//! A simulated device: what a phone's engine sends and keeps, without its
//! local database, PIN or screens, so that one process can run hundreds
//! (the load generator, the ingest bench, the several-instances test).
//!
//! It enrols with a real one-time code, makes real records with
//! `odnowa_shared::document` as the engine does (its own Automerge actor,
//! its author name), pushes their changes in real sync frames over HTTP or
//! a WebSocket, and applies what the server sends back to its own copies
//! of every document it may read, so that at the end its copies can be
//! compared with the server's.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use automerge::{Automerge, ChangeHash};
use futures_util::{SinkExt, StreamExt};
use odnowa_shared::document::{self, Author};
use odnowa_shared::ids::{DeviceId, DocId, SiteId, SpaceId, UserId};
use odnowa_shared::protocol::{
    self, ClientMessage, DocPush, DocUpdate, ENROL_PATH, Enrol, Enrolled, ErrorCode, LiveFit,
    LiveUpdate, ROUTE_PREFIX, Refusal, ServerMessage, SpaceAccess, SpaceCursor, SyncRequest,
    SyncResponse,
};
use odnowa_shared::records::{DaySession, Record, RecordKind};
use odnowa_shared::time::{Date, Timestamp};
use serde_bytes::ByteBuf;
use tokio_tungstenite::tungstenite::Message;

/// The page a simulated device asks for, as the engine does.
const MAX_RESPONSE_BYTES: u32 = 512 * 1024;
/// The most bytes of changes one request carries (under the 1 MiB frame).
const MAX_PUSH_BYTES: usize = 768 * 1024;

/// One record as the device holds it.
pub struct SimDoc {
    pub space: SpaceId,
    pub kind: RecordKind,
    pub generation: u32,
    /// The document; `None` for a record of another device received and
    /// not yet applied ([`SimDevice::settle`]): an empty Automerge
    /// document alone costs the allocator fresh pages, and hundreds of
    /// simulated devices receiving every new registry entry made that
    /// half of the load generator's CPU.
    doc: Option<Automerge>,
    /// The changes the server said it holds (stored from a push, or sent
    /// by it).
    held: HashSet<ChangeHash>,
    /// This device made the record.
    pub mine: bool,
    /// Changes received and not yet applied to `doc` (a record of
    /// another device: applied at [`SimDevice::settle`], so that hundreds
    /// of simulated devices do not spend the machine on Automerge while
    /// the load is measured).
    unapplied: Vec<Vec<u8>>,
}

impl SimDoc {
    /// The document, with every change received applied.
    pub fn doc(&mut self) -> Result<&mut Automerge> {
        self.settle()?;
        Ok(self.doc.get_or_insert_with(Automerge::new))
    }

    /// The document as of the last [`SimDevice::settle`].
    pub fn settled(&self) -> Option<&Automerge> {
        self.doc.as_ref()
    }

    fn settle(&mut self) -> Result<()> {
        if self.unapplied.is_empty() {
            return Ok(());
        }
        let changes = std::mem::take(&mut self.unapplied)
            .iter()
            .map(|bytes| automerge::Change::try_from(bytes.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .context("a change from the server does not decode")?;
        self.held.extend(changes.iter().map(|c| c.hash()));
        self.doc
            .get_or_insert_with(Automerge::new)
            .apply_changes(changes)?;
        Ok(())
    }
}

/// A device that enrolled with a code and syncs by hand.
pub struct SimDevice {
    pub device: DeviceId,
    pub user: UserId,
    pub token: String,
    pub author: Author,
    /// Boxed: every simulated device receives about the same records, so
    /// hundreds of these maps outgrow their tables in the same second;
    /// moving whole records (an Automerge document is large) into the new
    /// tables stalled the load generator for two seconds at 500 devices.
    pub docs: HashMap<DocId, Box<SimDoc>>,
    /// Documents with changes the server may not hold.
    dirty: BTreeSet<DocId>,
    cursors: BTreeMap<SpaceId, SpaceCursor>,
    next_request: u64,
    http: reqwest::Client,
    base: String,
}

/// What one exchange did.
#[derive(Debug, Default, Clone)]
pub struct Exchanged {
    /// Documents pushed whose changes were all stored.
    pub stored: Vec<DocId>,
    pub refused: Vec<Refusal>,
    /// Documents that changed here with what the server sent.
    pub received: Vec<DocId>,
    /// The server has more: exchange again.
    pub more: bool,
    /// The spaces the device may read, as the server said.
    pub spaces: Vec<SpaceAccess>,
}

impl SimDevice {
    /// Enrols at `base` (`http://host:port`) with `code`.
    pub async fn enrol(base: &str, code: &str, name: &str) -> Result<SimDevice> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let response = http
            .post(format!("{base}{ROUTE_PREFIX}{ENROL_PATH}"))
            .json(&Enrol {
                code: code.to_string(),
                device_name: name.to_string(),
            })
            .send()
            .await?;
        if !response.status().is_success() {
            bail!(
                "enrolment refused: {} {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
        let enrolled: Enrolled = response.json().await?;
        let label = document::author_label(&enrolled.user_name, name);
        Ok(SimDevice {
            device: enrolled.device,
            user: enrolled.user,
            token: enrolled.token,
            author: Author {
                device: enrolled.device,
                name: Some(label).filter(|l| !l.is_empty()),
            },
            docs: HashMap::new(),
            dirty: BTreeSet::new(),
            cursors: BTreeMap::new(),
            next_request: 1,
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// Makes `record` a new document here (not yet pushed).
    pub fn create<R: Record>(&mut self, record: &R) -> Result<DocId> {
        let doc = document::create(record, self.author.clone(), Timestamp::now())?;
        let id = record.doc_id();
        self.docs.insert(
            id,
            Box::new(SimDoc {
                space: record.space(),
                kind: R::KIND,
                generation: 0,
                doc: Some(doc),
                held: HashSet::new(),
                mine: true,
                unapplied: Vec::new(),
            }),
        );
        self.dirty.insert(id);
        Ok(id)
    }

    /// The day session of `site` on `date` in `space` as a tablet opens
    /// it: the copy held (another tablet's, received), or one made from
    /// the deterministic genesis every tablet makes alike, so that two
    /// tablets opening it offline merge into one session.
    pub fn open_session(&mut self, space: SpaceId, site: SiteId, date: Date) -> Result<DaySession> {
        let value = DaySession::genesis_value(space, site, date);
        let id = value.id;
        let held = match self.docs.entry(id) {
            std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
            std::collections::hash_map::Entry::Vacant(place) => place.insert(Box::new(SimDoc {
                space,
                kind: RecordKind::DaySession,
                generation: 0,
                doc: Some(document::genesis(&value)?),
                held: HashSet::new(),
                mine: true,
                unapplied: Vec::new(),
            })),
        };
        held.mine = true;
        Ok(document::read::<DaySession>(held.doc()?)?)
    }

    /// Writes `record` over the document it names, as an edit.
    pub fn edit<R: Record>(&mut self, record: &R) -> Result<()> {
        let held = self
            .docs
            .get_mut(&record.doc_id())
            .context("editing a document the device does not hold")?;
        document::write(
            held.doc()?,
            record,
            self.author.clone(),
            Timestamp::now(),
            "edit",
        )?;
        self.dirty.insert(record.doc_id());
        Ok(())
    }

    /// Documents with changes the server has not confirmed.
    pub fn unconfirmed(&self) -> Vec<DocId> {
        self.dirty.iter().copied().collect()
    }

    /// The changes of `held` the server does not hold, in causal order.
    fn unsent(held: &SimDoc) -> Vec<ByteBuf> {
        let Some(doc) = &held.doc else {
            return Vec::new();
        };
        doc.get_changes(&[])
            .into_iter()
            .filter(|c| !held.held.contains(&c.hash()))
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect()
    }

    /// The next request: cursors, and the unconfirmed changes of `docs`
    /// (at most one frame's worth; the rest waits for the next request).
    pub fn request(&mut self, docs: &[DocId]) -> SyncRequest {
        let mut pushes = Vec::new();
        let mut bytes = 0;
        for id in docs {
            let Some(held) = self.docs.get(id) else {
                continue;
            };
            let changes = Self::unsent(held);
            if changes.is_empty() {
                continue;
            }
            let size: usize = changes.iter().map(|c| c.len() + 8).sum::<usize>() + 64;
            if bytes + size > MAX_PUSH_BYTES && !pushes.is_empty() {
                break;
            }
            bytes += size;
            pushes.push(DocPush {
                doc: *id,
                space: held.space,
                kind: held.kind,
                generation: held.generation,
                changes,
            });
        }
        let request_id = self.next_request;
        self.next_request += 1;
        SyncRequest {
            request_id,
            cursors: self.cursors.values().cloned().collect(),
            pushes,
            max_response_bytes: MAX_RESPONSE_BYTES,
            ..SyncRequest::default()
        }
    }

    /// Reads `response` to `request`: confirms what was stored, applies
    /// what came, keeps the cursors.
    pub fn answer(&mut self, request: &SyncRequest, response: SyncResponse) -> Result<Exchanged> {
        if response.request_id != request.request_id {
            bail!(
                "answer {} to request {}",
                response.request_id,
                request.request_id
            );
        }
        let mut done = Exchanged {
            more: response.more,
            spaces: response.spaces.clone(),
            ..Exchanged::default()
        };
        // A refusal of the whole document drops it from what waits (the
        // load generator's refused writes); a refused change stays out.
        let whole: HashSet<DocId> = response
            .refused
            .iter()
            .filter(|r| r.change.is_none())
            .map(|r| r.doc)
            .collect();
        let refused_changes: HashSet<[u8; 32]> = response
            .refused
            .iter()
            .filter_map(|r| r.change.map(|h| h.into_array()))
            .collect();
        for push in &request.pushes {
            if whole.contains(&push.doc) {
                self.dirty.remove(&push.doc);
                continue;
            }
            let Some(held) = self.docs.get_mut(&push.doc) else {
                continue;
            };
            let mut all = true;
            for bytes in &push.changes {
                let Ok(change) = automerge::Change::try_from(bytes.as_slice()) else {
                    continue;
                };
                if refused_changes.contains(&change.hash().0) {
                    all = false;
                } else {
                    held.held.insert(change.hash());
                }
            }
            if all {
                done.stored.push(push.doc);
            }
            if Self::unsent(held).is_empty() {
                self.dirty.remove(&push.doc);
            }
        }
        done.refused = response.refused;
        for update in response.updates {
            let doc = update.doc;
            self.apply(update)?;
            done.received.push(doc);
        }
        for cursor in response.cursors {
            self.cursors.insert(cursor.space, cursor);
        }
        Ok(done)
    }

    fn apply(&mut self, update: DocUpdate) -> Result<()> {
        let mut held = match self.docs.remove(&update.doc) {
            // A new generation (an erasure rewrote the record) replaces
            // the copy; anything else merges into it.
            Some(held) if held.generation == update.generation => held,
            _ => Box::new(SimDoc {
                space: update.space,
                kind: update.kind,
                generation: update.generation,
                doc: None,
                held: HashSet::new(),
                mine: false,
                unapplied: Vec::new(),
            }),
        };
        held.unapplied
            .extend(update.changes.into_iter().map(ByteBuf::into_vec));
        if let Some(snapshot) = update.snapshot {
            held.settle()?;
            let mut loaded = Automerge::load(&snapshot)?;
            held.held
                .extend(loaded.get_changes(&[]).iter().map(|c| c.hash()));
            match held.doc.as_mut() {
                Some(doc) => {
                    doc.merge(&mut loaded)?;
                }
                None => held.doc = Some(loaded),
            }
        }
        // One's own records at once: their unsent changes are read.
        if held.mine {
            held.settle()?;
        }
        self.docs.insert(update.doc, held);
        Ok(())
    }

    /// Applies every change received and not yet applied, so that
    /// [`Self::copy`] shows all of them.
    pub fn settle(&mut self) -> Result<()> {
        for held in self.docs.values_mut() {
            held.settle()?;
        }
        Ok(())
    }

    /// One exchange over HTTP with `docs`' changes.
    pub async fn exchange_http(&mut self, docs: &[DocId]) -> Result<Exchanged> {
        let request = self.request(docs);
        let frame = protocol::encode(&ClientMessage::Sync(request.clone()))?;
        let response = self
            .http
            .post(format!("{}/v1/sync", self.base))
            .bearer_auth(&self.token)
            .body(frame)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        match protocol::decode_server(&bytes) {
            Ok(ServerMessage::Sync(answer)) if status.is_success() => {
                // Over HTTP (setup, checks; not the live load) the copies
                // are settled at once, as `copy` shows them.
                let done = self.answer(&request, answer)?;
                self.settle()?;
                Ok(done)
            }
            Ok(other) => bail!("{status}: {other:?}"),
            Err(e) => bail!("{status}: an answer that does not decode: {e}"),
        }
    }

    /// Exchanges over HTTP until nothing is left to push or pull.
    pub async fn sync_http(&mut self) -> Result<Vec<Exchanged>> {
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let docs = self.unconfirmed();
            let done = self.exchange_http(&docs).await?;
            let again = done.more || (!docs.is_empty() && !done.stored.is_empty());
            let refused_all = !docs.is_empty() && done.stored.is_empty();
            all.push(done);
            if !again || refused_all {
                return Ok(all);
            }
        }
        bail!("still syncing after 10,000 exchanges")
    }

    /// Opens a live connection (`ws://…/v1/ws`) that takes live updates,
    /// as the app's does.
    pub async fn connect(&self) -> Result<Live> {
        self.connect_with(true).await
    }

    /// Opens a live connection; `live`: asking for live updates (apps
    /// before them did not, and get pokes alone).
    pub async fn connect_with(&self, live: bool) -> Result<Live> {
        let mut url = format!("{}/v1/ws", self.base.replacen("http", "ws", 1));
        if live {
            url = format!("{url}?{}", protocol::LIVE_QUERY);
        }
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)?;
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {}", self.token).parse()?);
        // As the app's: a read buffer of 8 KiB, not tungstenite's 128 KiB,
        // which it zeroes before every read (BENCHMARKS.md, eighth
        // session: at 500 devices through the opening, one profile each,
        // zeroing took 9.3 % of the generator's samples, 1.6 % after).
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(8 * 1024);
        let (socket, _) =
            tokio_tungstenite::connect_async_with_config(request, Some(config), false).await?;
        Ok(Live { socket })
    }

    /// Takes a live update as the app does: when it follows this
    /// device's cursor, its changes and its cursor; the documents that
    /// changed, or `None` when it did not follow (exchange instead).
    pub fn take_live(&mut self, update: LiveUpdate) -> Result<Option<Vec<DocId>>> {
        match update.fit(self.cursors.get(&update.cursor.space)) {
            LiveFit::Held => Ok(Some(Vec::new())),
            LiveFit::Gap => Ok(None),
            LiveFit::Follows => {
                let docs = update.updates.iter().map(|u| u.doc).collect();
                for doc in update.updates {
                    self.apply(doc)?;
                }
                self.cursors.insert(update.cursor.space, update.cursor);
                Ok(Some(docs))
            }
        }
    }

    /// The device's copy of `doc`, as of the last [`Self::settle`].
    pub fn copy(&self, doc: DocId) -> Option<&Automerge> {
        self.docs.get(&doc).and_then(|held| held.settled())
    }
}

/// An error frame the server answered an exchange with.
#[derive(Debug)]
pub struct ServerError {
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ServerError {}

impl ServerError {
    /// Whether `error` is the server saying "not now, nothing lost" (an
    /// outage, or documents contended): the app waits and tries again.
    pub fn is_unavailable(error: &anyhow::Error) -> bool {
        error
            .downcast_ref::<ServerError>()
            .is_some_and(|e| e.code == ErrorCode::Unavailable)
    }
}

/// A device's live connection.
pub struct Live {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Live {
    /// One exchange of `device` over this connection with `docs`'
    /// changes; the pokes and live updates that arrive meanwhile are put
    /// in `meanwhile`, to be taken after the answer.
    pub async fn exchange(
        &mut self,
        device: &mut SimDevice,
        docs: &[DocId],
        meanwhile: &mut Vec<ServerMessage>,
    ) -> Result<Exchanged> {
        let request = device.request(docs);
        self.send(protocol::encode(&ClientMessage::Sync(request.clone()))?)
            .await?;
        loop {
            match self.next().await? {
                Some(ServerMessage::Sync(answer)) if answer.request_id == request.request_id => {
                    return device.answer(&request, answer);
                }
                Some(ServerMessage::Sync(other)) => {
                    bail!("an answer to request {} came unasked", other.request_id)
                }
                Some(ServerMessage::Error(e)) => {
                    return Err(ServerError {
                        code: e.code,
                        message: e.message,
                    }
                    .into());
                }
                Some(other) => meanwhile.push(other),
                None => bail!("the connection closed mid-exchange"),
            }
        }
    }

    /// Sends `frame` as one binary message.
    pub async fn send(&mut self, frame: Vec<u8>) -> Result<()> {
        self.socket.send(Message::Binary(frame.into())).await?;
        Ok(())
    }

    /// The next server message, or `None` when the connection closed;
    /// pings are answered by the library and skipped here.
    pub async fn next(&mut self) -> Result<Option<ServerMessage>> {
        while let Some(message) = self.socket.next().await {
            match message? {
                Message::Binary(bytes) => return Ok(Some(protocol::decode_server(&bytes)?)),
                Message::Close(_) => return Ok(None),
                _ => continue,
            }
        }
        Ok(None)
    }
}
