//! Convergence of the sans-I/O sync layer under faults.
//!
//! The property: whatever edits several devices make, however the network
//! partitions them and whichever requests or responses it loses, once every
//! partition heals and the devices sync until nothing moves any more, every
//! device and the server hold the same documents, change for change, and
//! every device knows that the server has all of its changes.
//!
//! The test runs 5–7 replicas (each a map of [`ReplicaDoc`]s and a
//! [`CursorBook`], driven only through the public API of
//! `odnowa_shared::sync::replica`) against [`MemServer`], a small
//! deterministic in-memory server that follows the rules of the real one
//! (`sync-server/src/exchange.rs`): the pure [`ingest`] decides what a push
//! stores; each space has a feed of accepted changes with sequence numbers;
//! a pull answers the changes after the device's cursor except those the
//! device pushed itself, paged; a cursor from another epoch (a device's
//! first sync) gets the space's snapshots first, then the feed.
//!
//! Documents are few, so that edits collide: three `Person` records created
//! on replica 0 and delivered to everyone at the start, and one
//! `DaySession` that each replica opens offline from the deterministic
//! genesis the first time it edits it. Generated steps edit (alias and birth
//! year of a person: same-field conflicts; attendance and meals of the
//! session), sync, lose a request, lose a response, edit while an exchange
//! is on the way, or cut a replica off; in a quarter of the cases the server
//! is also backed up and restored from its backup with a new epoch (which
//! makes devices push everything again, and pushes that miss their
//! dependencies).
//!
//! After quiescence, besides agreement (heads, typed values, the server's
//! copy, nothing left to push), the test checks the result against what the
//! edits did: the feeds hold every change made exactly once and nothing
//! else; each document shows the same conflicting values as all replicas'
//! copies merged directly, without the server; meals add up; everyone
//! marked present is present. A final check makes sure the cases exercised
//! lost responses, paging, snapshots, conflicts, concurrent geneses and
//! restores.
//!
//! Ids and timestamps are fixed (not random), so a failing case replays the
//! same way and proptest can shrink it.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use odnowa_shared::conflicts::conflicts;
use odnowa_shared::document::{self, create, genesis, read, write};
use odnowa_shared::ids::{DeviceId, DocId, PersonId, SiteId, SpaceId, UserId};
use odnowa_shared::protocol::{
    DocPush, DocUpdate, Refusal, RefusalCode, SnapshotPhase, SpaceAccess, SpaceCursor, SyncRequest,
    SyncResponse,
};
use odnowa_shared::records::{DaySession, Person, RecordKind};
use odnowa_shared::sync::from_wire_hash;
use odnowa_shared::sync::ingest::ingest;
use odnowa_shared::sync::replica::{CursorBook, ReplicaDoc};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_shared::validate::ValidationContext;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestRunner};
use serde_bytes::ByteBuf;
use uuid::Uuid;

/// Persons in the registry space.
const PERSONS: usize = 3;
/// Sync rounds over all replicas allowed to reach quiescence.
const MAX_ROUNDS: usize = 20;
/// Exchanges one full sync may take (pages, pushes again after refusals).
/// With a page of one change, a replica that missed every step's change
/// needs one exchange per change: far below this.
const MAX_EXCHANGES: usize = 1_000;

type Outcome<T> = Result<T, TestCaseError>;

fn fail<T>(message: impl Into<String>) -> Outcome<T> {
    Err(TestCaseError::fail(message.into()))
}

// ---------------------------------------------------------------- server --

/// The server's copy of one document.
#[derive(Clone)]
struct ServerDoc {
    space: SpaceId,
    kind: RecordKind,
    generation: u32,
    doc: Automerge,
    /// A compacted snapshot and the feed position it covers, as the real
    /// server saves every `snapshot_every` changes.
    snapshot: Option<(Vec<u8>, u64)>,
    since_snapshot: usize,
}

/// One accepted change in a space's feed.
#[derive(Clone)]
struct FeedRow {
    seq: u64,
    doc: DocId,
    /// The device that pushed it first.
    origin: DeviceId,
    hash: ChangeHash,
    bytes: Vec<u8>,
}

/// A deterministic in-memory sync server with the real server's rules.
/// Every device may read and write every space.
#[derive(Clone)]
struct MemServer {
    epoch: u64,
    feeds: BTreeMap<SpaceId, Vec<FeedRow>>,
    docs: BTreeMap<DocId, ServerDoc>,
    /// Page size in units: one per document snapshot, one per change.
    page: usize,
    snapshot_every: usize,
    ctx: ValidationContext,
    /// Pushed changes that were already stored.
    duplicates: usize,
}

impl MemServer {
    fn new(spaces: &[SpaceId], page: usize, snapshot_every: usize) -> Self {
        MemServer {
            epoch: 1,
            feeds: spaces.iter().map(|s| (*s, Vec::new())).collect(),
            docs: BTreeMap::new(),
            page,
            snapshot_every,
            ctx: ValidationContext::default(),
            duplicates: 0,
        }
    }

    /// Restores `backup` as an operator does after losing the server's
    /// disk: the feeds and documents of then, and a new epoch (the
    /// `new-epoch` admin command), so that devices push everything again.
    fn restore(&mut self, backup: &MemServer) {
        let epoch = self.epoch + 1;
        let duplicates = self.duplicates;
        *self = backup.clone();
        self.epoch = epoch;
        self.duplicates = duplicates;
    }

    /// One exchange: store the pushes, answer with what the device lacks.
    fn exchange(&mut self, device: DeviceId, request: &SyncRequest) -> SyncResponse {
        let mut response = SyncResponse {
            request_id: request.request_id,
            ..SyncResponse::default()
        };
        for push in &request.pushes {
            let refused = self.push(device, push);
            response.refused.extend(refused);
        }
        let mut budget = self.page;
        let sent: BTreeMap<SpaceId, SpaceCursor> = request
            .cursors
            .iter()
            .map(|c| (c.space, c.clone()))
            .collect();
        let spaces: Vec<SpaceId> = self.feeds.keys().copied().collect();
        for space in spaces {
            let cursor = sent
                .get(&space)
                .cloned()
                .unwrap_or_else(|| SpaceCursor::fresh(space));
            let (cursor, more) = self.pull(device, cursor, &mut budget, &mut response.updates);
            response.more |= more;
            response.cursors.push(cursor);
            response.spaces.push(SpaceAccess {
                space,
                name: format!("space {space}"),
                write: true,
            });
        }
        response
    }

    fn push(&mut self, device: DeviceId, push: &DocPush) -> Vec<Refusal> {
        let refuse = |code, reason: &str| {
            vec![Refusal {
                doc: push.doc,
                change: None,
                code,
                reason: reason.to_string(),
            }]
        };
        let Some(feed) = self.feeds.get_mut(&push.space) else {
            return refuse(RefusalCode::UnknownSpace, "no such space");
        };
        let current = self.docs.get(&push.doc);
        if current.is_some_and(|d| d.space != push.space) {
            return refuse(
                RefusalCode::SpaceMismatch,
                "this record belongs to another space",
            );
        }
        let outcome = ingest(current.map(|d| &d.doc), push, &self.ctx);
        self.duplicates += outcome.already_known;
        let Some(new_doc) = outcome.doc else {
            return outcome.refused;
        };
        let mut last = 0;
        for change in &outcome.stored {
            last = feed.len() as u64 + 1;
            feed.push(FeedRow {
                seq: last,
                doc: push.doc,
                origin: device,
                hash: change.hash,
                bytes: change.bytes.clone(),
            });
        }
        let stored = self.docs.entry(push.doc).or_insert_with(|| ServerDoc {
            space: push.space,
            kind: push.kind,
            generation: push.generation,
            doc: Automerge::new(),
            snapshot: None,
            since_snapshot: 0,
        });
        stored.doc = new_doc;
        stored.since_snapshot += outcome.stored.len();
        if stored.since_snapshot >= self.snapshot_every {
            stored.snapshot = Some((stored.doc.save(), last));
            stored.since_snapshot = 0;
        }
        outcome.refused
    }

    /// Fills `updates` from one space within `budget`: the snapshot phase
    /// for a cursor from another epoch, then the feed after the cursor
    /// without the device's own changes.
    fn pull(
        &mut self,
        device: DeviceId,
        mut cursor: SpaceCursor,
        budget: &mut usize,
        updates: &mut Vec<DocUpdate>,
    ) -> (SpaceCursor, bool) {
        let empty = Vec::new();
        let feed = self.feeds.get(&cursor.space).unwrap_or(&empty);
        let last = feed.len() as u64;
        if cursor.epoch == self.epoch && cursor.seq > last {
            // A device ahead of the feed: the real server starts a new epoch.
            self.epoch += 1;
        }
        if cursor.epoch != self.epoch {
            cursor = SpaceCursor {
                space: cursor.space,
                epoch: self.epoch,
                seq: 0,
                snapshot: Some(SnapshotPhase {
                    after: None,
                    upto: last,
                }),
                mac: None,
            };
        }
        if *budget == 0 {
            return (cursor, true);
        }
        if let Some(mut phase) = cursor.snapshot.take() {
            let (space, after) = (cursor.space, phase.after);
            let docs = self
                .docs
                .iter()
                .filter(|(id, d)| d.space == space && after.is_none_or(|a| **id > a));
            for (id, stored) in docs {
                let snapshot_seq = stored.snapshot.as_ref().map_or(0, |(_, upto)| *upto);
                let changes: Vec<ByteBuf> = feed
                    .iter()
                    .filter(|row| row.doc == *id && row.seq > snapshot_seq)
                    .map(|row| ByteBuf::from(row.bytes.clone()))
                    .collect();
                let size = 1 + changes.len();
                if size > *budget && !updates.is_empty() {
                    *budget = 0;
                    cursor.snapshot = Some(phase);
                    return (cursor, true);
                }
                *budget = budget.saturating_sub(size);
                phase.after = Some(*id);
                updates.push(DocUpdate {
                    doc: *id,
                    space: cursor.space,
                    kind: stored.kind,
                    generation: stored.generation,
                    snapshot: stored
                        .snapshot
                        .as_ref()
                        .map(|(bytes, _)| ByteBuf::from(bytes.clone())),
                    changes,
                });
            }
            cursor.seq = phase.upto;
        }
        let after = cursor.seq;
        let rows = feed
            .iter()
            .filter(|row| row.seq > after && row.seq <= last && row.origin != device);
        for row in rows {
            if *budget == 0 && !updates.is_empty() {
                *budget = 0;
                return (cursor, true);
            }
            *budget = budget.saturating_sub(1);
            cursor.seq = row.seq;
            match updates.last_mut() {
                Some(update) if update.doc == row.doc && update.snapshot.is_none() => {
                    update.changes.push(ByteBuf::from(row.bytes.clone()));
                }
                _ => {
                    let stored = self.docs.get(&row.doc).expect("a fed document is stored");
                    updates.push(DocUpdate {
                        doc: row.doc,
                        space: cursor.space,
                        kind: stored.kind,
                        generation: stored.generation,
                        snapshot: None,
                        changes: vec![ByteBuf::from(row.bytes.clone())],
                    });
                }
            }
        }
        cursor.seq = last;
        (cursor, false)
    }
}

// --------------------------------------------------------------- devices --

/// One device.
struct Replica {
    device: DeviceId,
    user: UserId,
    docs: BTreeMap<DocId, ReplicaDoc>,
    book: CursorBook,
    online: bool,
    next_request: u64,
}

/// What one exchange moved.
#[derive(Debug, Default, Clone, Copy)]
struct Moved {
    pushes: usize,
    updates: usize,
}

impl Moved {
    fn any(&self) -> bool {
        self.pushes > 0 || self.updates > 0
    }
}

impl Replica {
    fn new(index: usize) -> Self {
        Replica {
            device: DeviceId(Uuid::from_u128(0xde71_ce00 + index as u128)),
            user: UserId(Uuid::from_u128(0x05e7_0000 + index as u128)),
            docs: BTreeMap::new(),
            book: CursorBook::default(),
            online: true,
            next_request: 0,
        }
    }

    fn request(&mut self) -> SyncRequest {
        self.next_request += 1;
        SyncRequest {
            request_id: self.next_request,
            cursors: self.book.cursors(),
            pushes: self.docs.values().filter_map(ReplicaDoc::push).collect(),
            max_response_bytes: 0,
            reads: Vec::new(),
            purged: Vec::new(),
        }
    }

    /// Takes the server's answer as the device engine does; returns whether
    /// another exchange is needed at once.
    fn answer(
        &mut self,
        request: &SyncRequest,
        response: &SyncResponse,
        stats: &mut Stats,
    ) -> Outcome<bool> {
        let mut retry = false;
        for push in &request.pushes {
            let Some(replica) = self.docs.get_mut(&push.doc) else {
                return fail(format!("a pushed document vanished: {}", push.doc));
            };
            let refusals: Vec<&Refusal> = response
                .refused
                .iter()
                .filter(|r| r.doc == push.doc)
                .collect();
            if let Some(refusal) = refusals
                .iter()
                .find(|r| r.code != RefusalCode::MissingDependencies || r.change.is_none())
            {
                return fail(format!(
                    "device {} had a push of {} refused: {refusal:?}",
                    self.device, push.doc
                ));
            }
            let refused: BTreeSet<ChangeHash> = refusals
                .iter()
                .filter_map(|r| r.change.as_ref())
                .map(from_wire_hash)
                .collect();
            let mut stored = Vec::new();
            for bytes in &push.changes {
                let change = Change::try_from(bytes.as_slice())
                    .map_err(|e| TestCaseError::fail(format!("own push undecodable: {e}")))?;
                if !refused.contains(&change.hash()) {
                    stored.push(change.hash());
                }
            }
            // Every pushed change not refused was stored.
            replica.confirm(&stored);
            if !refused.is_empty() {
                stats.missing_dependencies += 1;
                replica.unconfirm();
                retry = true;
            }
        }
        for update in &response.updates {
            if let Some(replica) = self.docs.get_mut(&update.doc) {
                replica.apply(update).map_err(|e| {
                    TestCaseError::fail(format!("applying an update of {}: {e}", update.doc))
                })?;
            } else {
                let replica = ReplicaDoc::from_update(update)
                    .map_err(|e| TestCaseError::fail(format!("receiving {}: {e}", update.doc)))?;
                self.docs.insert(update.doc, replica);
            }
        }
        let changes = self.book.update(response);
        if !changes.no_longer_readable.is_empty() {
            return fail(format!(
                "spaces became unreadable: {:?}",
                changes.no_longer_readable
            ));
        }
        for space in &changes.epoch_changed {
            stats.epoch_changes += 1;
            for replica in self.docs.values_mut().filter(|r| r.space == *space) {
                replica.unconfirm();
            }
            retry = true;
        }
        Ok(retry)
    }
}

// ----------------------------------------------------------------- model --

/// What the edits did, independent of sync.
#[derive(Default)]
struct Model {
    /// Every change any replica made, per document.
    changes: BTreeMap<DocId, BTreeSet<ChangeHash>>,
    meals: i64,
    present: BTreeSet<PersonId>,
    /// Replicas that opened the session from its genesis themselves.
    geneses: usize,
}

/// What a run exercised, to make sure the property is not vacuous.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    exchanges: usize,
    missing_dependencies: usize,
    rounds: usize,
    /// Pushed changes the server already held (a lost response).
    duplicates: usize,
    /// Responses that said more was waiting.
    paged: usize,
    /// Updates that carried a snapshot.
    snapshots: usize,
    /// Fields holding several values after quiescence.
    conflicts: usize,
    /// Replicas that opened the session from its genesis.
    geneses: usize,
    /// Server restores from a backup.
    restores: usize,
    /// Responses that told a replica of a new epoch.
    epoch_changes: usize,
}

// ------------------------------------------------------------------ steps --

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Alias(usize),
    BirthYear(usize),
    Present(usize),
    Meals,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Edit {
        replica: usize,
        target: Target,
        value: u8,
    },
    Sync {
        replica: usize,
    },
    /// The request never reaches the server.
    SyncDropRequest {
        replica: usize,
    },
    /// The server serves the request; its answer is lost.
    SyncDropResponse {
        replica: usize,
    },
    /// A sync during which the replica edits (offline: just the edit).
    EditDuringSync {
        replica: usize,
        target: Target,
        value: u8,
    },
    Partition {
        replica: usize,
        offline: bool,
    },
    /// The server's state is backed up.
    Backup,
    /// The server loses its disk and is restored from the last backup.
    Restore,
}

#[derive(Debug, Clone)]
struct Case {
    replicas: usize,
    /// Response page in units (`usize::MAX`: unpaged).
    page: usize,
    snapshot_every: usize,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    DropRequest,
    DropResponse,
    /// The person edits while the first exchange is on the way: the
    /// answer confirms the pushed changes of a document that has moved on.
    EditInFlight(Target, u8, Timestamp),
}

// ------------------------------------------------------------------ world --

struct World {
    server: MemServer,
    backup: MemServer,
    replicas: Vec<Replica>,
    persons: Vec<DocId>,
    team: SpaceId,
    site: SiteId,
    date: Date,
    model: Model,
    stats: Stats,
}

impl World {
    /// Replica 0 creates the persons; everyone receives them.
    fn new(case: &Case) -> Outcome<Self> {
        let team = SpaceId(Uuid::from_u128(0x7ea3));
        let server = MemServer::new(&[SpaceId::REGISTRY, team], case.page, case.snapshot_every);
        let mut world = World {
            backup: server.clone(),
            server,
            replicas: (0..case.replicas).map(Replica::new).collect(),
            persons: Vec::new(),
            team,
            site: SiteId(Uuid::from_u128(0x517e)),
            date: "2026-11-24".parse().expect("a valid date"),
            model: Model::default(),
            stats: Stats::default(),
        };
        let creator = world.replicas[0].device;
        for i in 0..PERSONS {
            let person = Person {
                id: DocId(Uuid::from_u128(0x9e75_0000 + i as u128)),
                ..Person::new(&format!("Person {i}"), Timestamp(1))
            };
            let doc = create(&person, creator, Timestamp(1)).expect("a valid person");
            let head = doc.get_heads()[0];
            world
                .model
                .changes
                .insert(person.id, BTreeSet::from([head]));
            let header = document::header(&doc).expect("a created document has a header");
            world.replicas[0]
                .docs
                .insert(person.id, ReplicaDoc::local(header, 0, doc));
            world.persons.push(person.id);
        }
        for r in 0..world.replicas.len() {
            world.sync(r, Fault::None)?;
        }
        for (r, replica) in world.replicas.iter().enumerate() {
            prop_assert_eq!(replica.docs.len(), PERSONS, "replica {} after setup", r);
        }
        world.backup = world.server.clone();
        Ok(world)
    }

    fn session_id(&self) -> DocId {
        DocId::day_session(self.site, &self.date)
    }

    fn edit(&mut self, r: usize, target: Target, value: u8, at: Timestamp) -> Outcome<()> {
        let session_id = self.session_id();
        let replica = &mut self.replicas[r];
        let device = replica.device;
        let (doc_id, written) = match target {
            Target::Alias(p) | Target::BirthYear(p) => {
                let id = self.persons[p];
                let doc = &mut replica
                    .docs
                    .get_mut(&id)
                    .expect("every replica received the persons")
                    .doc;
                let mut person: Person = read(doc).expect("a person reads");
                match target {
                    Target::Alias(_) => person.alias = format!("alias {}", value % 8),
                    _ => person.birth_year = Some(1900 + i64::from(value % 8)),
                }
                let hash = write(doc, &person, device, at, "edit").expect("a valid edit");
                (id, hash)
            }
            Target::Present(_) | Target::Meals => {
                let (team, site, date, model) = (self.team, self.site, self.date, &mut self.model);
                let copy = replica.docs.entry(session_id).or_insert_with(|| {
                    // Opened offline: every replica makes the same genesis.
                    let value = DaySession::genesis_value(team, site, date);
                    let doc = genesis(&value).expect("a valid genesis");
                    let header = document::header(&doc).expect("genesis has a header");
                    model
                        .changes
                        .entry(session_id)
                        .or_default()
                        .extend(doc.get_heads());
                    model.geneses += 1;
                    ReplicaDoc::local(header, 0, doc)
                });
                let doc = &mut copy.doc;
                let mut session: DaySession = read(doc).expect("a session reads");
                match target {
                    Target::Present(p) => {
                        let person = PersonId(self.persons[p].0);
                        session.mark_present(person, replica.user, at);
                        self.model.present.insert(person);
                    }
                    _ => {
                        let by = 1 + i64::from(value % 3);
                        session.meals.add(by);
                        self.model.meals += by;
                    }
                }
                let hash = write(doc, &session, device, at, "tick").expect("a valid edit");
                (session_id, hash)
            }
        };
        if let Some(hash) = written {
            self.model.changes.entry(doc_id).or_default().insert(hash);
        }
        Ok(())
    }

    /// A sync of replica `r`: with no fault, exchanges until nothing more is
    /// waiting (as the device engine does); with a fault, one exchange that
    /// is lost on the way.
    fn sync(&mut self, r: usize, mut fault: Fault) -> Outcome<Moved> {
        let mut moved = Moved::default();
        if !self.replicas[r].online {
            if let Fault::EditInFlight(target, value, at) = fault {
                self.edit(r, target, value, at)?;
            }
            return Ok(moved);
        }
        for _ in 0..MAX_EXCHANGES {
            let request = self.replicas[r].request();
            if fault == Fault::DropRequest {
                return Ok(moved);
            }
            self.stats.exchanges += 1;
            let response = self.server.exchange(self.replicas[r].device, &request);
            if fault == Fault::DropResponse {
                return Ok(moved);
            }
            if let Fault::EditInFlight(target, value, at) = fault {
                self.edit(r, target, value, at)?;
                fault = Fault::None;
            }
            let replica = &mut self.replicas[r];
            moved.pushes += request.pushes.len();
            moved.updates += response.updates.len();
            self.stats.paged += usize::from(response.more);
            self.stats.snapshots += response
                .updates
                .iter()
                .filter(|u| u.snapshot.is_some())
                .count();
            let retry = replica.answer(&request, &response, &mut self.stats)?;
            if !response.more && !retry {
                return Ok(moved);
            }
        }
        fail(format!(
            "replica {r} still had more to exchange after {MAX_EXCHANGES} exchanges"
        ))
    }

    fn step(&mut self, index: usize, step: Step) -> Outcome<()> {
        let at = Timestamp(1_000 + index as i64);
        match step {
            Step::Edit {
                replica,
                target,
                value,
            } => self.edit(replica, target, value, at),
            Step::Sync { replica } => self.sync(replica, Fault::None).map(drop),
            Step::SyncDropRequest { replica } => self.sync(replica, Fault::DropRequest).map(drop),
            Step::SyncDropResponse { replica } => self.sync(replica, Fault::DropResponse).map(drop),
            Step::EditDuringSync {
                replica,
                target,
                value,
            } => self
                .sync(replica, Fault::EditInFlight(target, value, at))
                .map(drop),
            Step::Partition { replica, offline } => {
                self.replicas[replica].online = !offline;
                Ok(())
            }
            Step::Backup => {
                self.backup = self.server.clone();
                Ok(())
            }
            Step::Restore => {
                self.server.restore(&self.backup);
                self.stats.restores += 1;
                Ok(())
            }
        }
    }

    /// Each document as all replicas' copies merged directly, without the
    /// server: every change is held by the replica that made it.
    fn oracle(&self) -> BTreeMap<DocId, Automerge> {
        let mut merged: BTreeMap<DocId, Automerge> = BTreeMap::new();
        for replica in &self.replicas {
            for (id, copy) in &replica.docs {
                let mut doc = copy.doc.fork();
                merged
                    .entry(*id)
                    .or_default()
                    .merge(&mut doc)
                    .expect("copies of one document merge");
            }
        }
        merged
    }

    /// Heals every partition and syncs everyone until a full round moves
    /// nothing.
    fn settle(&mut self) -> Outcome<()> {
        for replica in &mut self.replicas {
            replica.online = true;
        }
        for round in 1..=MAX_ROUNDS {
            let mut moved = false;
            for r in 0..self.replicas.len() {
                moved |= self.sync(r, Fault::None)?.any();
            }
            if !moved {
                self.stats.rounds = round;
                return Ok(());
            }
        }
        fail(format!("not quiescent after {MAX_ROUNDS} rounds"))
    }

    fn check(&self, oracle: &BTreeMap<DocId, Automerge>) -> Outcome<()> {
        let mut expected: BTreeSet<DocId> = self.persons.iter().copied().collect();
        if self.model.geneses > 0 {
            expected.insert(self.session_id());
        }
        let on_server: BTreeSet<DocId> = self.server.docs.keys().copied().collect();
        prop_assert_eq!(&on_server, &expected, "documents on the server");

        // The feeds: every change once, and exactly the changes made.
        let mut fed: BTreeMap<DocId, BTreeSet<ChangeHash>> = BTreeMap::new();
        for (space, feed) in &self.server.feeds {
            for (i, row) in feed.iter().enumerate() {
                prop_assert_eq!(row.seq, i as u64 + 1, "feed sequence of {}", space);
                prop_assert!(
                    fed.entry(row.doc).or_default().insert(row.hash),
                    "change {} is twice in the feed of {}",
                    row.hash,
                    space
                );
            }
        }
        for (id, made) in &self.model.changes {
            let fed = fed.remove(id).unwrap_or_default();
            let lost: Vec<_> = made.difference(&fed).collect();
            let foreign: Vec<_> = fed.difference(made).collect();
            prop_assert!(
                lost.is_empty() && foreign.is_empty(),
                "the feed of {} lacks changes made {:?} and holds others {:?}",
                id,
                lost,
                foreign
            );
        }
        prop_assert!(fed.is_empty(), "feeds of unknown documents: {:?}", fed);

        for id in &expected {
            let stored = &self.server.docs[id];
            let mut heads = stored.doc.get_heads();
            heads.sort();
            let held: BTreeSet<ChangeHash> = stored
                .doc
                .get_changes(&[])
                .iter()
                .map(Change::hash)
                .collect();
            prop_assert_eq!(&held, &self.model.changes[id], "server copy of {}", id);
            let server_value = typed(&stored.doc, stored.kind)?;
            for (r, replica) in self.replicas.iter().enumerate() {
                let Some(copy) = replica.docs.get(id) else {
                    return fail(format!("replica {r} lacks {id}"));
                };
                let mut replica_heads = copy.doc.get_heads();
                replica_heads.sort();
                prop_assert_eq!(&replica_heads, &heads, "heads of {} on replica {}", id, r);
                prop_assert_eq!(
                    &typed(&copy.doc, copy.kind)?,
                    &server_value,
                    "value of {} on replica {}",
                    id,
                    r
                );
                prop_assert!(
                    copy.is_confirmed(),
                    "replica {} has unconfirmed changes of {}: {:?}",
                    r,
                    id,
                    copy.pending().iter().map(Change::hash).collect::<Vec<_>>()
                );
            }
        }
        for (r, replica) in self.replicas.iter().enumerate() {
            let held: BTreeSet<DocId> = replica.docs.keys().copied().collect();
            prop_assert_eq!(&held, &expected, "documents on replica {}", r);
        }

        // Same-field conflicts survive: each document holds the values of
        // all its changes merged directly, bypassing sync.
        for (id, direct) in oracle {
            let stored = &self.server.docs[id].doc;
            prop_assert_eq!(
                conflicts(stored),
                conflicts(direct),
                "conflicting values of {}",
                id
            );
            prop_assert_eq!(
                typed(stored, self.server.docs[id].kind)?,
                typed(direct, self.server.docs[id].kind)?,
                "the value of {} merged directly",
                id
            );
        }

        if self.model.geneses > 0 {
            let session: DaySession =
                read(&self.server.docs[&self.session_id()].doc).expect("the session reads");
            prop_assert_eq!(session.meals.value(), self.model.meals, "meals");
            let present: BTreeSet<PersonId> = session.present().into_iter().collect();
            prop_assert_eq!(&present, &self.model.present, "present");
        }
        Ok(())
    }
}

/// A document's typed value, for comparison.
#[derive(Debug, PartialEq)]
enum Typed {
    Person(Box<Person>),
    Session(Box<DaySession>),
}

fn typed(doc: &Automerge, kind: RecordKind) -> Outcome<Typed> {
    let value = match kind {
        RecordKind::Person => read::<Person>(doc).map(|p| Typed::Person(Box::new(p))),
        RecordKind::DaySession => read::<DaySession>(doc).map(|s| Typed::Session(Box::new(s))),
        other => return fail(format!("no {other} in this test")),
    };
    value.map_err(|e| TestCaseError::fail(format!("reading a {kind}: {e}")))
}

fn run(case: &Case) -> Outcome<Stats> {
    let mut world = World::new(case)?;
    for (index, step) in case.steps.iter().enumerate() {
        world.step(index, *step)?;
    }
    let oracle = world.oracle();
    world.settle()?;
    world.check(&oracle)?;
    let mut stats = world.stats;
    stats.duplicates = world.server.duplicates;
    stats.geneses = world.model.geneses;
    stats.conflicts = world
        .server
        .docs
        .values()
        .map(|d| conflicts(&d.doc).len())
        .sum();
    Ok(stats)
}

// -------------------------------------------------------------- strategies --

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (0..PERSONS).prop_map(Target::Alias),
        (0..PERSONS).prop_map(Target::BirthYear),
        (0..PERSONS).prop_map(Target::Present),
        Just(Target::Meals),
    ]
}

/// Steps on `replicas` replicas; backups and restores only when
/// `restores` (a restore makes every replica push everything again, which
/// would hide a lost change, so most cases go without).
fn step(replicas: usize, restores: bool) -> impl Strategy<Value = Step> {
    let server = u32::from(restores);
    prop_oneof![
        4 => (0..replicas, target(), any::<u8>())
            .prop_map(|(replica, target, value)| Step::Edit { replica, target, value }),
        3 => (0..replicas).prop_map(|replica| Step::Sync { replica }),
        1 => (0..replicas).prop_map(|replica| Step::SyncDropRequest { replica }),
        1 => (0..replicas).prop_map(|replica| Step::SyncDropResponse { replica }),
        1 => (0..replicas, target(), any::<u8>())
            .prop_map(|(replica, target, value)| Step::EditDuringSync { replica, target, value }),
        1 => (0..replicas, any::<bool>())
            .prop_map(|(replica, offline)| Step::Partition { replica, offline }),
        server => Just(Step::Backup),
        server => Just(Step::Restore),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (5usize..=7, prop::bool::weighted(0.25))
        .prop_flat_map(|(replicas, restores)| {
            (
                Just(replicas),
                prop_oneof![Just(usize::MAX), 1usize..=6],
                1usize..=6,
                prop::collection::vec(step(replicas, restores), 20..=80),
            )
        })
        .prop_map(|(replicas, page, snapshot_every, steps)| Case {
            replicas,
            page,
            snapshot_every,
            steps,
        })
}

/// Random edits on 5–7 replicas, random partitions and lost messages,
/// then quiescence: identical state everywhere. Run by hand rather than with
/// `proptest!` so that, after all cases, the test can check that they
/// exercised what the property is about.
#[test]
fn replicas_converge_after_quiescence() {
    let config = ProptestConfig {
        cases: 64,
        max_shrink_iters: 1024,
        // Integration tests have no `src/` to sit beside: failing cases go
        // to the crate's `proptest-regressions/` (cargo runs tests in the
        // crate's directory).
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/convergence.txt",
        ))),
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let total = std::cell::RefCell::new(Vec::new());
    let result = runner.run(&case(), |case| {
        let stats = run(&case)?;
        total.borrow_mut().push(stats);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let total = total.into_inner();
    let sum = |f: fn(&Stats) -> usize| total.iter().map(f).sum::<usize>();
    let cases_with = |f: fn(&Stats) -> bool| total.iter().filter(|s| f(s)).count();
    eprintln!(
        "{} cases: {} exchanges, {} duplicate changes pushed, {} paged responses, \
         {} snapshots, {} restores, {} epoch changes seen, \
         {} pushes again after missing dependencies, \
         {} cases with conflicts, {} with concurrent geneses, at most {} rounds to settle",
        total.len(),
        sum(|s| s.exchanges),
        sum(|s| s.duplicates),
        sum(|s| s.paged),
        sum(|s| s.snapshots),
        sum(|s| s.restores),
        sum(|s| s.epoch_changes),
        sum(|s| s.missing_dependencies),
        cases_with(|s| s.conflicts > 0),
        cases_with(|s| s.geneses > 1),
        total.iter().map(|s| s.rounds).max().unwrap_or(0),
    );
    assert!(sum(|s| s.duplicates) > 0, "no lost response was exercised");
    assert!(sum(|s| s.paged) > 0, "no paged response was exercised");
    assert!(sum(|s| s.snapshots) > 0, "no snapshot was exercised");
    assert!(cases_with(|s| s.conflicts > 0) > 0, "no conflict survived");
    assert!(cases_with(|s| s.geneses > 1) > 0, "no concurrent genesis");
    assert!(sum(|s| s.epoch_changes) > 0, "no restore was noticed");
}

/// A scripted run through the same machinery: two replicas set one alias
/// offline, both values survive; everyone ticks the session opened offline;
/// the server is restored from its backup under a replica that then pushes
/// a change whose parent the server lost.
#[test]
fn scripted_conflicts_ticks_and_a_restore_converge() {
    use Step::*;
    let mut steps = vec![
        Partition {
            replica: 1,
            offline: true,
        },
        Edit {
            replica: 1,
            target: Target::Alias(0),
            value: 1,
        },
        Edit {
            replica: 2,
            target: Target::Alias(0),
            value: 2,
        },
        SyncDropResponse { replica: 2 },
        Sync { replica: 1 },
    ];
    for replica in 0..5 {
        steps.push(Edit {
            replica,
            target: Target::Present(replica % PERSONS),
            value: 0,
        });
        steps.push(Edit {
            replica,
            target: Target::Meals,
            value: 1,
        });
        steps.push(SyncDropRequest { replica });
    }
    steps.extend([
        Edit {
            replica: 0,
            target: Target::BirthYear(1),
            value: 3,
        },
        Sync { replica: 0 },
        Restore,
        Edit {
            replica: 0,
            target: Target::BirthYear(1),
            value: 4,
        },
        Sync { replica: 0 },
    ]);
    let case = Case {
        replicas: 5,
        page: 2,
        snapshot_every: 3,
        steps,
    };
    let mut world = World::new(&case).expect("setup");
    for (index, step) in case.steps.iter().enumerate() {
        world.step(index, *step).expect("step");
    }
    let oracle = world.oracle();
    world.settle().expect("quiescence");
    world.check(&oracle).expect("converged");
    let doc = &world.server.docs[&world.persons[0]].doc;
    let aliases = doc.get_all(automerge::ROOT, "alias").expect("alias");
    assert_eq!(aliases.len(), 2, "both concurrent aliases are kept");
    let session: DaySession =
        read(&world.server.docs[&world.session_id()].doc).expect("the session reads");
    assert_eq!(session.meals.value(), 5 * 2);
    assert_eq!(session.present().len(), PERSONS);
    let stats = &world.stats;
    assert!(stats.missing_dependencies > 0, "{stats:?}");
    assert!(stats.epoch_changes > 0, "{stats:?}");
    assert!(world.server.duplicates > 0, "the lost response");
}
