//! Live updates: the changes a server accepted, pushed on the live
//! connections that read their space, so that a device takes another's
//! save without an exchange.
//!
//! A poke costs every device that reads the space a whole exchange (its
//! grants, its purges, every space's feed: about a dozen queries); with a
//! registry entry every device of the consortium reads, one save made
//! hundreds of exchanges. A live update carries what the pull would have
//! sent: the changes of one feed range, already in memory where they were
//! accepted (read once from the feed where another server accepted them),
//! with the cursor after them. Each connection knows the cursor it last
//! handed its device (`Connection`) and sends the update only when it
//! follows that cursor; otherwise a poke, as before. A range holding a
//! registry entry withheld from the device's organisation goes as a poke
//! too: the exchange it starts leaves the entry out as every pull does,
//! and brings the device the order to purge its copy. The device
//! checks again ([`LiveUpdate::fit`]) and exchanges whenever the update
//! does not follow its own cursor, so nothing it may read is skipped.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, RwLock as StdRwLock};
use std::time::Duration;

use bytes::Bytes;
use odnowa_shared::ids::{DeviceId, DocId, SpaceId};
use odnowa_shared::protocol::{self, DocUpdate, LiveUpdate, ServerMessage, SpaceCursor};
use odnowa_shared::records::RecordKind;
use odnowa_shared::sync::pull::{self, FeedRow};
use tokio::sync::mpsc;

use crate::cursor::CursorSeal;
use crate::exchange::Accepted;
pub use crate::store::Visibility;

/// The most feed rows one live update carries; a larger range (a bulk
/// upload) goes as a poke, and the devices page through it.
pub const MAX_LIVE_ROWS: usize = 256;

/// The changes of one space's feed range `after < seq <= last`.
#[derive(Debug)]
pub struct LiveChanges {
    pub space: SpaceId,
    pub after: u64,
    pub last: u64,
    /// Per document in feed order, with who may hold it (`None`: every
    /// device that reads the space).
    pub docs: Vec<(DocUpdate, Option<String>)>,
    /// The update as sent, encoded once for every connection that takes
    /// it after the same cursor (every device of one epoch): its frame,
    /// not a copy of the changes, is what each connection sends.
    frame: StdMutex<Option<Frame>>,
}

/// One encoded live update, for connections handed the cursor `issued`.
#[derive(Debug, Clone)]
struct Frame {
    /// The cursor after the update, unsealed (what [`Connection::on_changes`]
    /// asks for).
    issued: SpaceCursor,
    sealed: SpaceCursor,
    bytes: Bytes,
}

impl LiveChanges {
    /// The changes of `rows` (a feed range read back, in sequence order),
    /// each document's consecutive changes in one update as a pull sends
    /// them; `None` when the range is too large or an entry needs an
    /// exchange.
    pub fn of_rows(
        space: SpaceId,
        after: u64,
        last: u64,
        rows: Vec<FeedRow>,
        visibility: &HashMap<DocId, Visibility>,
    ) -> Option<LiveChanges> {
        if rows.len() > MAX_LIVE_ROWS || last.checked_sub(after) != Some(rows.len() as u64) {
            return None;
        }
        // Who may hold each document, in the order its update goes.
        let mut only: Vec<Option<String>> = Vec::new();
        let mut updates: Vec<DocUpdate> = Vec::new();
        for row in rows {
            let visible = match visibility.get(&row.doc) {
                Some(Visibility::Exchange) => return None,
                Some(Visibility::Org(org)) => Some(org.clone()),
                None => None,
            };
            let before = updates.len();
            pull::add_change(&mut updates, space, row);
            if updates.len() > before {
                only.push(visible);
            }
        }
        let docs = updates.into_iter().zip(only).collect();
        Some(LiveChanges {
            space,
            after,
            last,
            docs,
            frame: StdMutex::new(None),
        })
    }

    /// The frame of the live update that takes a device to `cursor` (as
    /// [`Connection::on_changes`] gave it, unsealed), and that cursor
    /// sealed. Sealed and encoded once for all the connections that ask
    /// with the same cursor; again only for another (a new epoch).
    pub fn frame(
        &self,
        cursor: SpaceCursor,
        seal: &CursorSeal,
    ) -> Result<(SpaceCursor, Bytes), protocol::ProtocolError> {
        let mut kept = self.frame.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(frame) = kept.as_ref().filter(|f| f.issued == cursor) {
            return Ok((frame.sealed.clone(), frame.bytes.clone()));
        }
        let mut sealed = cursor.clone();
        seal.seal(&mut sealed);
        let message = ServerMessage::Live(LiveUpdate {
            after: self.after,
            cursor: sealed.clone(),
            updates: self.docs.iter().map(|(update, _)| update.clone()).collect(),
        });
        let bytes = Bytes::from(protocol::encode(&message)?);
        *kept = Some(Frame {
            issued: cursor,
            sealed: sealed.clone(),
            bytes: bytes.clone(),
        });
        Ok((sealed, bytes))
    }
}

/// One appended document, as the live update of its space needs it.
pub struct AppendedDoc<'a> {
    pub doc: DocId,
    pub space: SpaceId,
    pub kind: RecordKind,
    pub generation: u32,
    pub changes: Vec<&'a [u8]>,
    /// The feed position of its last change.
    pub last_seq: u64,
    /// Who may be sent it live (`None`: every reader of its space).
    pub visibility: Option<Visibility>,
}

/// The feed rows of documents appended in one transaction, per space in
/// sequence order (each space's range is contiguous: its feed was locked).
pub fn rows_of(appended: &[AppendedDoc<'_>]) -> Vec<(SpaceId, u64, u64, Vec<FeedRow>)> {
    let mut per_space: std::collections::BTreeMap<SpaceId, Vec<FeedRow>> = Default::default();
    for doc in appended {
        let first = doc.last_seq + 1 - doc.changes.len() as u64;
        let rows = per_space.entry(doc.space).or_default();
        for (i, bytes) in doc.changes.iter().enumerate() {
            rows.push(FeedRow {
                seq: first + i as u64,
                doc: doc.doc,
                kind: doc.kind,
                generation: doc.generation,
                bytes: bytes.to_vec(),
            });
        }
    }
    per_space
        .into_iter()
        .filter_map(|(space, mut rows)| {
            rows.sort_by_key(|r| r.seq);
            let after = rows.first()?.seq - 1;
            let last = rows.last()?.seq;
            Some((space, after, last, rows))
        })
        .collect()
}

/// What a live connection sends its device for one accepted change.
#[derive(Debug, PartialEq)]
pub enum Send {
    /// Nothing: the device made it, cannot read the space, or holds it.
    Nothing,
    /// A poke: the device exchanges.
    Poke,
    /// The update that takes the device to this cursor (still to be
    /// sealed: [`LiveChanges::frame`]).
    Live(SpaceCursor),
}

/// What one live connection knows of its device: the cursors it handed
/// it, and its organisation's key for withheld registry entries.
#[derive(Debug, Default)]
pub struct Connection {
    issued: HashMap<SpaceId, SpaceCursor>,
    org_key: String,
    /// The device asked for live updates; otherwise pokes only.
    takes_live: bool,
}

impl Connection {
    pub fn new(org_key: String, takes_live: bool) -> Self {
        Connection {
            issued: HashMap::new(),
            org_key,
            takes_live,
        }
    }

    /// Takes the cursors of an answer sent on this connection (sealed);
    /// spaces missing from it are no longer known.
    pub fn answered(&mut self, cursors: &[SpaceCursor]) {
        self.issued = cursors.iter().map(|c| (c.space, c.clone())).collect();
    }

    /// What to send for `changes` made by `origin`, when the device
    /// `device` reads the space (`readable`).
    pub fn on_changes(
        &mut self,
        device: DeviceId,
        origin: DeviceId,
        readable: bool,
        changes: Option<&Arc<LiveChanges>>,
    ) -> Send {
        if origin == device || !readable {
            return Send::Nothing;
        }
        let Some(changes) = changes.filter(|_| self.takes_live) else {
            return Send::Poke;
        };
        let Some(issued) = self.issued.get_mut(&changes.space) else {
            return Send::Poke;
        };
        if issued.snapshot.is_some() {
            return Send::Poke;
        }
        if issued.seq >= changes.last {
            return Send::Nothing;
        }
        if issued.seq != changes.after {
            return Send::Poke;
        }
        // An entry withheld from this organisation: the exchange leaves
        // it out and says to purge the copy held.
        if changes
            .docs
            .iter()
            .any(|(_, only)| only.as_ref().is_some_and(|org| *org != self.org_key))
        {
            return Send::Poke;
        }
        let mut cursor = issued.clone();
        cursor.seq = changes.last;
        cursor.mac = None;
        issued.seq = changes.last;
        Send::Live(cursor)
    }

    /// Keeps the sealed cursor of an update sent.
    pub fn sent(&mut self, cursor: &SpaceCursor) {
        self.issued.insert(cursor.space, cursor.clone());
    }
}

/// How many announcements a live connection may have waiting; past that
/// it has fallen behind and pokes its device for everything it reads.
pub const QUEUE: usize = 1024;

/// Hands each announcement to the live connections that read its space,
/// and to no other: with hundreds of connections, a save in one team's
/// space wakes that team's devices, not every connection of the server.
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<HubInner>,
}

#[derive(Default)]
struct HubInner {
    next: AtomicU64,
    /// Per space, the connections that read it, by their number.
    spaces: StdRwLock<HashMap<SpaceId, HashMap<u64, Listener>>>,
}

/// Where a connection takes its announcements.
#[derive(Clone)]
struct Listener {
    queue: mpsc::Sender<Accepted>,
    /// Set when an announcement found its queue full.
    lagged: Arc<AtomicBool>,
}

impl Hub {
    /// Hands `accepted` to every connection that follows its space.
    pub fn publish(&self, accepted: Accepted) {
        let spaces = self.inner.spaces.read().unwrap_or_else(|p| p.into_inner());
        let Some(listeners) = spaces.get(&accepted.space) else {
            return;
        };
        for listener in listeners.values() {
            if let Err(mpsc::error::TrySendError::Full(_)) =
                listener.queue.try_send(accepted.clone())
            {
                listener.lagged.store(true, Ordering::Release);
            }
        }
    }

    /// A subscription that follows no space yet ([`Subscription::follow`]).
    pub fn subscribe(&self) -> Subscription {
        let (queue, received) = mpsc::channel(QUEUE);
        Subscription {
            id: self.inner.next.fetch_add(1, Ordering::Relaxed),
            hub: self.inner.clone(),
            listener: Listener {
                queue,
                lagged: Arc::default(),
            },
            received,
            spaces: HashSet::new(),
        }
    }

    /// How many subscriptions follow `space`.
    #[cfg(test)]
    pub fn followers(&self, space: SpaceId) -> usize {
        let spaces = self.inner.spaces.read().unwrap_or_else(|p| p.into_inner());
        spaces.get(&space).map_or(0, HashMap::len)
    }
}

/// What a subscription heard.
#[derive(Debug)]
pub enum Heard {
    Accepted(Accepted),
    /// Announcements were lost (the queue was full): poke for every space.
    Lagged,
}

/// One live connection's announcements: of the spaces it follows, in the
/// order they were published. Leaves the hub when dropped.
pub struct Subscription {
    id: u64,
    hub: Arc<HubInner>,
    listener: Listener,
    received: mpsc::Receiver<Accepted>,
    spaces: HashSet<SpaceId>,
}

impl Subscription {
    /// Follows exactly `spaces` from now on.
    pub fn follow(&mut self, spaces: &[SpaceId]) {
        let wanted: HashSet<SpaceId> = spaces.iter().copied().collect();
        if wanted == self.spaces {
            return;
        }
        let mut all = self.hub.spaces.write().unwrap_or_else(|p| p.into_inner());
        for gone in self.spaces.difference(&wanted) {
            if let Some(listeners) = all.get_mut(gone) {
                listeners.remove(&self.id);
                if listeners.is_empty() {
                    all.remove(gone);
                }
            }
        }
        for new in wanted.difference(&self.spaces) {
            all.entry(*new)
                .or_default()
                .insert(self.id, self.listener.clone());
        }
        self.spaces = wanted;
    }

    /// The next announcement (never ends: the subscription holds its
    /// own sender).
    pub async fn recv(&mut self) -> Heard {
        if let Some(lagged) = self.lagged() {
            return lagged;
        }
        match self.received.recv().await {
            Some(accepted) => Heard::Accepted(accepted),
            None => Heard::Lagged,
        }
    }

    /// The next announcement if one is waiting.
    #[cfg(test)]
    pub fn try_recv(&mut self) -> Option<Heard> {
        if let Some(lagged) = self.lagged() {
            return Some(lagged);
        }
        self.received.try_recv().ok().map(Heard::Accepted)
    }

    /// [`Heard::Lagged`] once after the queue overflowed, what was in it
    /// dropped (the poke covers it).
    fn lagged(&mut self) -> Option<Heard> {
        if !self.listener.lagged.swap(false, Ordering::AcqRel) {
            return None;
        }
        while self.received.try_recv().is_ok() {}
        Some(Heard::Lagged)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.follow(&[]);
    }
}

/// How long an accepted range waits for the ranges before it (accepted
/// concurrently, announced out of order) before it goes anyway.
pub const REORDER_WAIT: Duration = Duration::from_millis(50);

/// How long it waits at most for a range known to be on its way (another
/// instance's, whose notice came and whose rows are being read back:
/// [`Sequencer::expect`]).
pub const EXPECTED_WAIT: Duration = Duration::from_secs(1);

/// Puts the announcements of each space in feed order before they reach
/// the live connections. Transactions of one space commit in sequence
/// order, but the tasks that announce them may run in another; a range
/// announced before the one it follows would reach every connection as a
/// poke (it does not follow their cursors). A range that comes early
/// waits at most [`REORDER_WAIT`] for those before it (a gap that never
/// fills, from an erasure or a notice lost, costs that wait once).
#[derive(Clone, Default)]
pub struct Sequencer {
    hub: Hub,
    spaces: Arc<StdMutex<HashMap<SpaceId, Order>>>,
}

#[derive(Default)]
struct Order {
    /// Where the next range should start (`None` before the first).
    next_after: Option<u64>,
    /// Ranges that came early, by where they start.
    early: BTreeMap<u64, Accepted>,
    /// Ranges on their way (by where they start), since when.
    expected: BTreeMap<u64, std::time::Instant>,
    /// A flush is on its way.
    flushing: bool,
}

impl Sequencer {
    /// A subscription for one live connection.
    pub fn subscribe(&self) -> Subscription {
        self.hub.subscribe()
    }

    /// Says that the range of `space` starting after `after` is on its
    /// way (another instance appended it; its rows are being read back):
    /// a later range waits for it up to [`EXPECTED_WAIT`], not only
    /// [`REORDER_WAIT`]. [`Self::announce`] of the range, or
    /// [`Self::not_coming`], ends the wait.
    pub fn expect(&self, space: SpaceId, after: u64) {
        let mut spaces = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        let order = spaces.entry(space).or_default();
        if order.next_after.is_none_or(|next| after >= next) {
            order.expected.insert(after, std::time::Instant::now());
        }
    }

    /// The range [`Self::expect`]ed will not come as a range (it goes as
    /// a poke): the ranges after it wait no longer for it.
    pub fn not_coming(&self, space: SpaceId, after: u64) {
        let mut spaces = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(order) = spaces.get_mut(&space) {
            order.expected.remove(&after);
        }
    }

    /// Announces `accepted` in its space's feed order.
    pub fn announce(&self, accepted: Accepted) {
        let Some((after, last)) = accepted.live.as_ref().map(|l| (l.after, l.last)) else {
            // A poke carries no range: at once.
            self.hub.publish(accepted);
            return;
        };
        let space = accepted.space;
        let mut spaces = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        let order = spaces.entry(space).or_default();
        order.expected.remove(&after);
        match order.next_after {
            Some(next) if after > next => {
                order.early.insert(after, accepted);
                if !order.flushing {
                    order.flushing = true;
                    self.flush_later(space, REORDER_WAIT);
                }
                return;
            }
            Some(next) if after < next => {
                // Late (its place was given up): it goes as it is.
                self.hub.publish(accepted);
                return;
            }
            _ => {}
        }
        self.hub.publish(accepted);
        order.next_after = Some(last);
        Self::release(order, &self.hub, false);
    }

    /// Sends the early ranges that now follow (`all`: every one, the gap
    /// before them given up).
    fn release(order: &mut Order, hub: &Hub, all: bool) {
        while let Some(entry) = order.early.first_entry() {
            let follows = order.next_after == Some(*entry.key());
            if !follows && !all {
                break;
            }
            let accepted = entry.remove();
            if let Some(live) = &accepted.live {
                order.next_after = Some(live.last.max(order.next_after.unwrap_or(0)));
            }
            hub.publish(accepted);
        }
    }

    fn flush_later(&self, space: SpaceId, wait: Duration) {
        let sequencer = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            sequencer.flush(space);
        });
    }

    /// After a wait: the early ranges go, the gap before them given up,
    /// unless the range of the gap is on its way and has not waited
    /// [`EXPECTED_WAIT`] yet.
    fn flush(&self, space: SpaceId) {
        let mut spaces = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        let Some(order) = spaces.get_mut(&space) else {
            return;
        };
        let coming = order
            .next_after
            .and_then(|next| order.expected.get(&next))
            .map(|since| since.elapsed());
        if let Some(waited) = coming.filter(|waited| *waited < EXPECTED_WAIT) {
            self.flush_later(space, (EXPECTED_WAIT - waited).min(REORDER_WAIT));
            return;
        }
        order.flushing = false;
        Self::release(order, &self.hub, true);
        if let Some(next) = order.next_after {
            order.expected = order.expected.split_off(&next);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_bytes::ByteBuf;

    fn row(seq: u64, doc: DocId) -> FeedRow {
        FeedRow {
            seq,
            doc,
            kind: RecordKind::Contact,
            generation: 0,
            bytes: vec![seq as u8],
        }
    }

    fn cursor(space: SpaceId, seq: u64) -> SpaceCursor {
        SpaceCursor {
            space,
            epoch: 5,
            seq,
            snapshot: None,
            mac: Some(ByteBuf::from(vec![1])),
        }
    }

    #[test]
    fn an_update_follows_the_cursor_handed_out_or_becomes_a_poke() {
        let space = SpaceId::random();
        let (me, other) = (DeviceId::random(), DeviceId::random());
        let doc = DocId::random();
        let changes = Arc::new(
            LiveChanges::of_rows(
                space,
                10,
                12,
                vec![row(11, doc), row(12, doc)],
                &HashMap::new(),
            )
            .expect("small range"),
        );
        let mut conn = Connection::new(String::new(), true);
        // No cursor handed out yet: poke.
        assert_eq!(conn.on_changes(me, other, true, Some(&changes)), Send::Poke);
        conn.answered(&[cursor(space, 10)]);
        assert_eq!(
            conn.on_changes(me, me, true, Some(&changes)),
            Send::Nothing,
            "one's own change"
        );
        assert_eq!(
            conn.on_changes(me, other, false, Some(&changes)),
            Send::Nothing,
            "a space not read"
        );
        let Send::Live(to) = conn.on_changes(me, other, true, Some(&changes)) else {
            panic!("a live update");
        };
        assert_eq!(
            (to.space, to.epoch, to.seq, to.mac.as_ref()),
            (space, 5, 12, None)
        );
        let seal = CursorSeal::new(vec![7; 32]);
        let (sealed, frame) = changes.frame(to.clone(), &seal).expect("encodes");
        assert!(seal.issued(&sealed), "the cursor sent is sealed");
        let ServerMessage::Live(update) = protocol::decode_server(&frame).expect("decodes") else {
            panic!("a live update frame");
        };
        assert_eq!((update.after, &update.cursor), (10, &sealed));
        assert_eq!(update.updates.len(), 1, "one document's changes together");
        assert_eq!(update.updates[0].changes.len(), 2);
        // Another connection at the same cursor gets the same frame; one
        // of another epoch its own.
        let (again, same) = changes.frame(to.clone(), &seal).expect("encodes");
        assert_eq!((again, same.as_ptr()), (sealed.clone(), frame.as_ptr()));
        let mut newer = to.clone();
        newer.epoch = 6;
        let (other_epoch, _) = changes.frame(newer, &seal).expect("encodes");
        assert_eq!(other_epoch.epoch, 6);
        assert!(seal.issued(&other_epoch));
        conn.sent(&sealed);
        // Sent once: the same range again is held.
        assert_eq!(
            conn.on_changes(me, other, true, Some(&changes)),
            Send::Nothing
        );
        // A range after a gap: poke.
        let later = Arc::new(
            LiveChanges::of_rows(space, 13, 14, vec![row(14, doc)], &HashMap::new())
                .expect("small"),
        );
        assert_eq!(conn.on_changes(me, other, true, Some(&later)), Send::Poke);
        // A device that did not ask for updates gets pokes.
        let mut old = Connection::new(String::new(), false);
        old.answered(&[cursor(space, 10)]);
        assert_eq!(old.on_changes(me, other, true, Some(&changes)), Send::Poke);
        // Still receiving snapshots: poke.
        let mut fresh = Connection::new(String::new(), true);
        let mut snapshotting = cursor(space, 10);
        snapshotting.snapshot = Some(odnowa_shared::protocol::SnapshotPhase {
            after: None,
            upto: 10,
        });
        fresh.answered(&[snapshotting]);
        assert_eq!(
            fresh.on_changes(me, other, true, Some(&changes)),
            Send::Poke
        );
    }

    #[test]
    fn a_withheld_entry_goes_live_only_to_its_organisation() {
        let space = SpaceId::REGISTRY;
        let (hidden, open) = (DocId::random(), DocId::random());
        let visibility = HashMap::from([(hidden, Visibility::Org("org-a".into()))]);
        let changes = Arc::new(
            LiveChanges::of_rows(space, 0, 2, vec![row(1, hidden), row(2, open)], &visibility)
                .expect("small"),
        );
        let (me, other) = (DeviceId::random(), DeviceId::random());
        let mut conn = Connection::new("org-a".into(), true);
        conn.answered(&[cursor(space, 0)]);
        let Send::Live(to) = conn.on_changes(me, other, true, Some(&changes)) else {
            panic!("a live update");
        };
        assert_eq!(to.seq, 2);
        let (_, frame) = changes
            .frame(to, &CursorSeal::new(vec![1; 32]))
            .expect("encodes");
        let Ok(ServerMessage::Live(update)) = protocol::decode_server(&frame) else {
            panic!("a live update frame");
        };
        assert_eq!(update.updates.len(), 2);
        // Other organisations exchange: the pull leaves the entry out.
        for org in ["org-b", ""] {
            let mut conn = Connection::new(org.into(), true);
            conn.answered(&[cursor(space, 0)]);
            assert_eq!(
                conn.on_changes(me, other, true, Some(&changes)),
                Send::Poke,
                "{org:?}"
            );
        }
        let resend = HashMap::from([(hidden, Visibility::Exchange)]);
        assert!(
            LiveChanges::of_rows(space, 0, 2, vec![row(1, hidden), row(2, open)], &resend)
                .is_none()
        );
        assert!(
            LiveChanges::of_rows(
                space,
                0,
                3,
                vec![row(1, hidden), row(2, open)],
                &HashMap::new()
            )
            .is_none(),
            "a range with a row missing"
        );
        assert!(
            LiveChanges::of_rows(space, 3, 1, Vec::new(), &HashMap::new()).is_none(),
            "a range that ends before it starts"
        );
    }

    fn range(space: SpaceId, after: u64, last: u64) -> Accepted {
        let rows = (after + 1..=last)
            .map(|seq| row(seq, DocId::random()))
            .collect();
        Accepted {
            space,
            origin: DeviceId::random(),
            live: LiveChanges::of_rows(space, after, last, rows, &HashMap::new()).map(Arc::new),
        }
    }

    fn starts(received: &mut Subscription) -> Vec<u64> {
        let mut starts = Vec::new();
        while let Some(heard) = received.try_recv() {
            let Heard::Accepted(accepted) = heard else {
                panic!("nothing lost");
            };
            starts.push(accepted.live.map_or(u64::MAX, |l| l.after));
        }
        starts
    }

    #[tokio::test]
    async fn ranges_announced_out_of_order_go_in_feed_order() {
        let sequencer = Sequencer::default();
        let space = SpaceId::random();
        let mut heard = sequencer.subscribe();
        heard.follow(&[space]);
        sequencer.announce(range(space, 0, 2));
        sequencer.announce(range(space, 4, 5));
        sequencer.announce(range(space, 2, 4));
        assert_eq!(starts(&mut heard), vec![0, 2, 4]);
        // A gap that never fills: the early range goes after the wait.
        sequencer.announce(range(space, 7, 8));
        assert_eq!(starts(&mut heard), Vec::<u64>::new());
        tokio::time::sleep(REORDER_WAIT * 4).await;
        assert_eq!(starts(&mut heard), vec![7]);
        // The range of the gap, late: it goes as it is.
        sequencer.announce(range(space, 5, 7));
        sequencer.announce(Accepted::poke(space, DeviceId::random()));
        assert_eq!(starts(&mut heard), vec![5, u64::MAX]);
    }

    #[tokio::test]
    async fn a_range_on_its_way_is_waited_for_longer() {
        let sequencer = Sequencer::default();
        let space = SpaceId::random();
        let mut heard = sequencer.subscribe();
        heard.follow(&[space]);
        sequencer.announce(range(space, 0, 2));
        // Another instance's range 2..3 is being read back; 3..4 comes.
        sequencer.expect(space, 2);
        sequencer.announce(range(space, 3, 4));
        tokio::time::sleep(REORDER_WAIT * 4).await;
        assert_eq!(starts(&mut heard), vec![0], "still waiting for 2..3");
        sequencer.announce(range(space, 2, 3));
        assert_eq!(starts(&mut heard), vec![2, 3]);
        // One that will not come as a range: the wait ends.
        sequencer.expect(space, 4);
        sequencer.announce(range(space, 5, 6));
        sequencer.not_coming(space, 4);
        tokio::time::sleep(REORDER_WAIT * 4).await;
        assert_eq!(starts(&mut heard), vec![5]);
        // One expected and never heard of again: given up after a second.
        sequencer.expect(space, 6);
        sequencer.announce(range(space, 7, 8));
        tokio::time::sleep(EXPECTED_WAIT + REORDER_WAIT * 4).await;
        assert_eq!(starts(&mut heard), vec![7]);
    }

    #[tokio::test]
    async fn announcements_reach_only_the_connections_that_follow_their_space() {
        let hub = Hub::default();
        let (team_a, team_b, registry) = (SpaceId::random(), SpaceId::random(), SpaceId::REGISTRY);
        let mut a = hub.subscribe();
        a.follow(&[team_a, registry]);
        let mut b = hub.subscribe();
        b.follow(&[team_b, registry]);
        hub.publish(range(team_a, 0, 1));
        hub.publish(range(registry, 0, 1));
        hub.publish(range(team_b, 0, 3));
        assert_eq!(starts(&mut a), vec![0, 0]);
        assert_eq!(starts(&mut b), vec![0, 0]);
        assert_eq!(hub.followers(registry), 2);
        // Access changed: b now reads team_a too, and no longer the registry.
        b.follow(&[team_a, team_b]);
        hub.publish(range(team_a, 1, 2));
        hub.publish(range(registry, 1, 2));
        assert_eq!(starts(&mut a), vec![1, 1]);
        assert_eq!(starts(&mut b), vec![1]);
        // A dropped connection leaves the hub.
        drop(a);
        assert_eq!(hub.followers(registry), 0);
        assert_eq!(hub.followers(team_a), 1);
        // One that falls QUEUE behind hears Lagged once (a poke for all it
        // reads), then what comes after.
        for i in 0..QUEUE as u64 + 5 {
            hub.publish(range(team_b, 3 + i, 4 + i));
        }
        assert!(matches!(b.try_recv(), Some(Heard::Lagged)));
        assert!(b.try_recv().is_none(), "what overflowed is dropped");
        hub.publish(range(team_b, 2000, 2001));
        assert_eq!(starts(&mut b), vec![2000]);
    }

    #[test]
    fn appended_documents_make_one_contiguous_range_per_space() {
        let (a, b) = (SpaceId::random(), SpaceId::random());
        let docs = [DocId::random(), DocId::random(), DocId::random()];
        let appended_doc = |doc, space, kind, changes: Vec<&'static [u8]>, last_seq| AppendedDoc {
            doc,
            space,
            kind,
            generation: 0,
            changes,
            last_seq,
            visibility: None,
        };
        let appended = [
            appended_doc(docs[0], a, RecordKind::Contact, vec![b"x", b"y"], 6),
            appended_doc(docs[1], b, RecordKind::Person, vec![b"z"], 3),
            appended_doc(docs[2], a, RecordKind::Contact, vec![b"w"], 7),
        ];
        let mut ranges = rows_of(&appended);
        ranges.sort_by_key(|(space, ..)| *space == b);
        let (space, after, last, rows) = &ranges[0];
        assert_eq!((*space, *after, *last), (a, 4, 7));
        assert_eq!(
            rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
            vec![5, 6, 7]
        );
        assert_eq!((ranges[1].1, ranges[1].2), (2, 3));
    }
}
