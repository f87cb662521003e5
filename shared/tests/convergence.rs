//! Convergence of the sync core under faults, driven through the functions
//! the product runs.
//!
//! The property: whatever edits several devices make, however the network
//! partitions them and whichever messages it loses, repeats or reorders,
//! whenever the server restarts or is restored from a backup and whatever
//! persons the office erases, once every partition heals and the devices
//! sync until nothing moves any more, every device and the server hold the
//! same documents, change for change, every device knows that the server
//! has all of its changes, and no change the server accepted is lost unless
//! an erasure removed it.
//!
//! Nothing of the sync rules is written here again. The devices are maps
//! of [`Held`] copies and a [`CursorBook`]: a request is what
//! [`device::pushes`] chooses, an answer is carried out as
//! [`device::answer`] decides, exactly as the device engine does with its
//! SQLite file. The server ([`MemServer`]) keeps in memory what the real
//! one keeps in its database (feeds with sequence numbers, per-document
//! snapshots, erased documents and purge confirmations) and answers with
//! the real rules: [`ingest::admit`] judges each push, [`pull::opening`]
//! and [`SpacePull`] plan each space's answer, and the reads they ask for
//! are answered from the stored rows as the real queries answer them. A
//! restart throws away every document held in memory (they are loaded
//! again from the stored rows); an erasure deletes a person's entry and
//! rewrites their contact as a new generation, as `sync-server`'s erasure
//! does (with [`Contact::erased`] and [`document::rewrite`]).
//!
//! Documents are few, so that edits collide: three persons and a contact
//! with each (created on replica 0 and delivered to everyone at the
//! start), and one day-room session that each replica opens offline from
//! the deterministic genesis the first time it edits it. Generated steps
//! edit (alias and birth year of a person, a contact's note: same-field
//! conflicts; attendance and meals of the session), sync, lose a request or
//! an answer, deliver a request twice, deliver two answers in the wrong
//! order, edit while an exchange is on the way, cut a replica off, restart
//! the server, erase a person; in a quarter of the cases the server is
//! also backed up and restored from its backup with a new epoch (the
//! operator's `admin new-epoch`), which makes devices push everything again
//! and sends pushes that miss their dependencies. (Restores and erasures
//! are not mixed in one case: a backup from before an erasure holds what
//! was erased, and the operator erases it again after restoring.)
//!
//! After quiescence, besides agreement (heads, typed values, generations,
//! the server's copy, nothing left to push, no purge unconfirmed), the test
//! checks the result against what the edits did: the feeds hold every
//! change made on a document's current generation exactly once and nothing
//! else; each document shows the same conflicting values as all current
//! copies merged directly, without the server; meals add up; everyone
//! marked present is present; erased persons are nowhere, and of a
//! rewritten contact only the rewrite and the edits made on it since are
//! kept. A final check
//! makes sure the cases exercised what the property is about.
//!
//! Ids and timestamps are fixed (not random), so a failing case replays the
//! same way and proptest can shrink it. `ODNOWA_CONVERGENCE_CASES` sets the
//! number of cases (the long run by hand: BENCHMARKS.md).

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;

use automerge::{Automerge, Change, ChangeHash, ReadDoc};
use odnowa_shared::conflicts::conflicts;
use odnowa_shared::document::{self, Author, create, genesis, read, write};
use odnowa_shared::ids::{DeviceId, DocId, PersonId, SiteId, SpaceId, UserId};
use odnowa_shared::protocol::{
    MAX_PURGES, Purge, RefusalCode, SpaceAccess, SpaceCursor, SyncRequest, SyncResponse,
};
use odnowa_shared::records::{Contact, DaySession, Person, RecordKind};
use odnowa_shared::sync::device::{self, Held};
use odnowa_shared::sync::ingest::{self, NewChange, Stored};
use odnowa_shared::sync::pull::{self, Budget, FeedRow, Opening, Read, SnapshotRow, SpacePull};
use odnowa_shared::sync::replica::{CursorBook, ReplicaDoc};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_shared::validate::ValidationContext;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestRunner};
use serde_bytes::ByteBuf;
use uuid::Uuid;

/// Persons in the registry space, each with one contact.
const PERSONS: usize = 3;
/// Sync rounds over all replicas allowed to reach quiescence.
const MAX_ROUNDS: usize = 20;
/// Exchanges one full sync may take (pages, pushes again after refusals).
const MAX_EXCHANGES: usize = 1_000;
/// The seal this server puts on the cursors it hands out. The devices of
/// this test never forge one (`tests/probe.rs` in the workspace does,
/// against the real seal).
const SEAL: &[u8] = b"issued by the test server";

type Outcome<T> = Result<T, TestCaseError>;

fn fail<T>(message: impl Into<String>) -> Outcome<T> {
    Err(TestCaseError::fail(message.into()))
}

// ---------------------------------------------------------------- server --

/// One accepted change in a space's feed.
#[derive(Clone)]
struct Row {
    seq: u64,
    doc: DocId,
    /// The device that pushed it first (the office for a rewrite).
    origin: DeviceId,
    hash: ChangeHash,
    bytes: Vec<u8>,
}

/// What the server stores of one document besides its changes.
#[derive(Clone)]
struct Meta {
    space: SpaceId,
    kind: RecordKind,
    generation: u32,
    /// A compacted snapshot and the feed position it covers.
    snapshot: Option<(Vec<u8>, u64)>,
}

/// What the real server keeps in its database: survives a restart, and a
/// backup is a copy of it.
#[derive(Clone)]
struct Disk {
    epoch: u64,
    last_seq: BTreeMap<SpaceId, u64>,
    feeds: BTreeMap<SpaceId, Vec<Row>>,
    docs: BTreeMap<DocId, Meta>,
    /// Erased documents: their space, and `None` (deleted) or the first
    /// generation that may be kept.
    erased: BTreeMap<DocId, (SpaceId, Option<u32>)>,
    purge_confirmations: BTreeSet<(DeviceId, DocId, Option<u32>)>,
}

impl Disk {
    fn new(spaces: &[SpaceId]) -> Self {
        Disk {
            epoch: 1,
            last_seq: spaces.iter().map(|s| (*s, 0)).collect(),
            feeds: spaces.iter().map(|s| (*s, Vec::new())).collect(),
            docs: BTreeMap::new(),
            erased: BTreeMap::new(),
            purge_confirmations: BTreeSet::new(),
        }
    }

    fn rows_of(&self, doc: DocId, space: SpaceId) -> impl Iterator<Item = &Row> {
        self.feeds
            .get(&space)
            .into_iter()
            .flatten()
            .filter(move |row| row.doc == doc)
    }

    /// A document as stored: its snapshot and the changes after it.
    fn load(&self, doc: DocId) -> Outcome<Option<Automerge>> {
        let Some(meta) = self.docs.get(&doc) else {
            return Ok(None);
        };
        let (mut loaded, upto) = match &meta.snapshot {
            Some((bytes, upto)) => (
                Automerge::load(bytes)
                    .map_err(|e| TestCaseError::fail(format!("snapshot of {doc}: {e}")))?,
                *upto,
            ),
            None => (Automerge::new(), 0),
        };
        let changes = self
            .rows_of(doc, meta.space)
            .filter(|row| row.seq > upto)
            .map(|row| Change::try_from(row.bytes.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TestCaseError::fail(format!("a stored change of {doc}: {e}")))?;
        loaded
            .apply_changes(changes)
            .map_err(|e| TestCaseError::fail(format!("stored changes of {doc}: {e}")))?;
        Ok(Some(loaded))
    }

    /// Appends accepted changes to the space's feed; returns the last
    /// sequence number.
    fn append(
        &mut self,
        doc: DocId,
        space: SpaceId,
        origin: DeviceId,
        changes: &[NewChange],
    ) -> u64 {
        let last = self.last_seq.entry(space).or_default();
        let feed = self.feeds.entry(space).or_default();
        for change in changes {
            *last += 1;
            feed.push(Row {
                seq: *last,
                doc,
                origin,
                hash: change.hash,
                bytes: change.bytes.clone(),
            });
        }
        *last
    }

    /// The real `snapshot_page` query: documents of `space` after `after`,
    /// in id order, each with its snapshot and the changes after it.
    fn snapshot_page(&self, space: SpaceId, after: Option<DocId>, limit: u32) -> Vec<SnapshotRow> {
        self.docs
            .iter()
            .filter(|(id, meta)| meta.space == space && after.is_none_or(|a| **id > a))
            .take(limit as usize)
            .map(|(id, meta)| {
                let upto = meta.snapshot.as_ref().map_or(0, |(_, upto)| *upto);
                SnapshotRow {
                    doc: *id,
                    kind: meta.kind,
                    generation: meta.generation,
                    snapshot: meta.snapshot.as_ref().map(|(bytes, _)| bytes.clone()),
                    changes: self
                        .rows_of(*id, space)
                        .filter(|row| row.seq > upto)
                        .map(|row| row.bytes.clone())
                        .collect(),
                }
            })
            .collect()
    }

    /// The real `feed` query: rows of `space` in `(after, upto]` that
    /// `device` did not push, in order.
    fn feed(
        &self,
        space: SpaceId,
        after: u64,
        upto: u64,
        device: DeviceId,
        limit: u32,
    ) -> Vec<FeedRow> {
        self.feeds
            .get(&space)
            .into_iter()
            .flatten()
            .filter(|row| row.seq > after && row.seq <= upto && row.origin != device)
            .take(limit as usize)
            .filter_map(|row| {
                let meta = self.docs.get(&row.doc)?;
                Some(FeedRow {
                    seq: row.seq,
                    doc: row.doc,
                    kind: meta.kind,
                    generation: meta.generation,
                    bytes: row.bytes.clone(),
                })
            })
            .collect()
    }

    /// The real `pending_purges` query: erasures `device` has not
    /// confirmed.
    fn pending_purges(&self, device: DeviceId, limit: usize) -> Vec<Purge> {
        self.erased
            .iter()
            .filter(|(doc, (_, keep_from))| {
                !self
                    .purge_confirmations
                    .contains(&(device, **doc, *keep_from))
            })
            .take(limit)
            .map(|(doc, (_, keep_from))| Purge {
                doc: *doc,
                keep_from: *keep_from,
            })
            .collect()
    }

    fn forget_doc(&mut self, doc: DocId, space: SpaceId) {
        if let Some(feed) = self.feeds.get_mut(&space) {
            feed.retain(|row| row.doc != doc);
        }
    }
}

/// A sync server over a [`Disk`], with the real rules. Every device may
/// read and write every space.
struct MemServer {
    disk: Disk,
    /// Documents held in memory (the real server's cache): a restart
    /// empties it.
    cache: BTreeMap<DocId, Automerge>,
    since_snapshot: BTreeMap<DocId, usize>,
    /// Bytes an answer may carry.
    page: usize,
    snapshot_every: usize,
    ctx: ValidationContext,
    /// The office's device, which writes the erasures.
    office: DeviceId,
    /// Pushed changes that were already stored.
    duplicates: usize,
}

impl MemServer {
    fn new(spaces: &[SpaceId], page: usize, snapshot_every: usize) -> Self {
        MemServer {
            disk: Disk::new(spaces),
            cache: BTreeMap::new(),
            since_snapshot: BTreeMap::new(),
            page,
            snapshot_every,
            ctx: ValidationContext::default(),
            office: DeviceId(Uuid::from_u128(0x0ff1_ce00)),
            duplicates: 0,
        }
    }

    /// The process starts again: what was in memory is gone.
    fn restart(&mut self) {
        self.cache.clear();
        self.since_snapshot.clear();
    }

    /// Restores `backup` as an operator does after losing the server's
    /// disk, with a new epoch (`admin new-epoch`), so that devices push
    /// everything again.
    fn restore(&mut self, backup: &Disk) {
        let epoch = self.disk.epoch + 1;
        self.disk = backup.clone();
        self.disk.epoch = epoch;
        self.restart();
    }

    fn doc(&mut self, doc: DocId) -> Outcome<Option<&Automerge>> {
        if !self.cache.contains_key(&doc)
            && let Some(loaded) = self.disk.load(doc)?
        {
            self.cache.insert(doc, loaded);
        }
        Ok(self.cache.get(&doc))
    }

    /// One exchange, in the real server's order: the pushes, the purges
    /// confirmed and due, then each space's pull.
    fn exchange(&mut self, device: DeviceId, request: &SyncRequest) -> Outcome<SyncResponse> {
        let mut response = SyncResponse {
            request_id: request.request_id,
            ..SyncResponse::default()
        };
        let author = Author { device, name: None };
        for push in &request.pushes {
            self.doc(push.doc)?;
            let outcome = {
                let stored = self
                    .disk
                    .docs
                    .get(&push.doc)
                    .zip(self.cache.get(&push.doc))
                    .map(|(meta, doc)| Stored {
                        doc,
                        space: meta.space,
                        generation: meta.generation,
                    });
                let erased = stored.is_none() && self.disk.erased.contains_key(&push.doc);
                ingest::admit(stored, erased, push, &self.ctx, &author)
            };
            self.duplicates += outcome.already_known;
            response.refused.extend(outcome.refused);
            let Some(new_doc) = outcome.doc else {
                continue;
            };
            let last = self
                .disk
                .append(push.doc, push.space, device, &outcome.stored);
            let meta = self.disk.docs.entry(push.doc).or_insert(Meta {
                space: push.space,
                kind: push.kind,
                generation: push.generation,
                snapshot: None,
            });
            let since = self.since_snapshot.entry(push.doc).or_default();
            *since += outcome.stored.len();
            if *since >= self.snapshot_every {
                meta.snapshot = Some((new_doc.save(), last));
                *since = 0;
            }
            self.cache.insert(push.doc, new_doc);
        }
        for purge in request.purged.iter().take(MAX_PURGES) {
            self.disk
                .purge_confirmations
                .insert((device, purge.doc, purge.keep_from));
        }
        response.purge = self.disk.pending_purges(device, MAX_PURGES + 1);
        if response.purge.len() > MAX_PURGES {
            response.purge.truncate(MAX_PURGES);
            response.more = true;
        }
        let mut budget = Budget::new(self.page);
        let sent: BTreeMap<SpaceId, SpaceCursor> = request
            .cursors
            .iter()
            .map(|c| (c.space, c.clone()))
            .collect();
        let spaces: Vec<SpaceId> = self.disk.feeds.keys().copied().collect();
        for space in spaces {
            let cursor = sent
                .get(&space)
                .cloned()
                .unwrap_or_else(|| SpaceCursor::fresh(space));
            let last = self.disk.last_seq.get(&space).copied().unwrap_or(0);
            let issued = cursor.mac.as_ref().is_some_and(|m| m.as_slice() == SEAL);
            let opening = pull::opening(&cursor, self.disk.epoch, last, issued);
            if opening == Opening::NewEpoch {
                self.disk.epoch += 1;
            }
            let mut plan = SpacePull::new(cursor, opening, self.disk.epoch, last, &budget);
            while let Some(read) = plan.next_read() {
                match read {
                    Read::Snapshots { after, limit } => {
                        let rows = self.disk.snapshot_page(space, after, limit);
                        plan.take_snapshots(rows, |_| false, &mut budget, &mut response.updates);
                    }
                    Read::Feed { after, upto, limit } => {
                        let rows = self.disk.feed(space, after, upto, device, limit);
                        plan.take_feed(rows, |_| false, &mut budget, &mut response.updates);
                    }
                }
            }
            let (mut cursor, more) = plan.finish();
            cursor.mac = Some(ByteBuf::from(SEAL.to_vec()));
            response.more |= more;
            response.cursors.push(cursor);
            response.spaces.push(SpaceAccess {
                space,
                name: format!("space {space}"),
                write: true,
                partner: None,
            });
        }
        Ok(response)
    }

    /// The office erases `person`: their entry is deleted, and `contact`
    /// (the record naming them) is rewritten without its note as a new
    /// generation. Returns the rewritten contact.
    fn erase(
        &mut self,
        person: DocId,
        contact: DocId,
        at: Timestamp,
    ) -> Outcome<Option<Automerge>> {
        if let Some(meta) = self.disk.docs.remove(&person) {
            self.disk.forget_doc(person, meta.space);
            self.disk.erased.insert(person, (meta.space, None));
            self.cache.remove(&person);
        }
        let Some(old) = self.doc(contact)?.cloned() else {
            return Ok(None);
        };
        let Some(meta) = self.disk.docs.get(&contact).cloned() else {
            return Ok(None);
        };
        let value: Contact = read(&old).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let office = Author {
            device: self.office,
            name: Some("office".into()),
        };
        let fresh = document::rewrite(&value.erased(), office, at, "erasure")
            .map_err(|e| TestCaseError::fail(format!("rewriting {contact}: {e}")))?;
        let generation = meta.generation + 1;
        let changes: Vec<NewChange> = fresh
            .get_changes(&[])
            .iter()
            .map(|c| NewChange {
                hash: c.hash(),
                bytes: c.raw_bytes().to_vec(),
                deps: c.deps().to_vec(),
            })
            .collect();
        self.disk.forget_doc(contact, meta.space);
        self.disk.append(contact, meta.space, self.office, &changes);
        self.disk.docs.insert(
            contact,
            Meta {
                generation,
                snapshot: None,
                ..meta.clone()
            },
        );
        self.disk
            .erased
            .insert(contact, (meta.space, Some(generation)));
        self.since_snapshot.remove(&contact);
        self.cache.insert(contact, fresh.clone());
        Ok(Some(fresh))
    }
}

// --------------------------------------------------------------- devices --

/// One device: its copies, cursors and erasures to confirm, as the engine
/// keeps them in its SQLite file.
struct Replica {
    device: DeviceId,
    user: UserId,
    docs: BTreeMap<DocId, Held>,
    book: CursorBook,
    purged: Vec<Purge>,
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
            purged: Vec::new(),
            online: true,
            next_request: 0,
        }
    }

    /// The next request, as the engine builds it; and whether more waits
    /// to be pushed.
    fn request(&mut self) -> (SyncRequest, bool) {
        self.next_request += 1;
        let held = self.docs.values().cloned().map(Ok::<_, Infallible>);
        let Ok((pushes, more)) = device::pushes(held, device::PUSH_BUDGET);
        let n = self.purged.len().min(MAX_PURGES);
        let purged: Vec<Purge> = self.purged.drain(..n).collect();
        let more = more || !self.purged.is_empty();
        let request = SyncRequest {
            request_id: self.next_request,
            cursors: self.book.cursors(),
            pushes,
            max_response_bytes: 0,
            reads: Vec::new(),
            purged,
        };
        (request, more)
    }

    /// Carries out an answer as the engine does: [`device::answer`] over
    /// the copies it concerns, then its effects.
    fn answer(
        &mut self,
        request: &SyncRequest,
        response: &SyncResponse,
    ) -> Outcome<device::Effects> {
        let held: BTreeMap<DocId, Held> = device::concerned(&request.pushes, response)
            .into_iter()
            .filter_map(|doc| self.docs.get(&doc).map(|h| (doc, h.clone())))
            .collect();
        let effects = device::answer(&request.pushes, response, held, &mut self.book)
            .map_err(|e| TestCaseError::fail(format!("device {}: {e}", self.device)))?;
        for doc in &effects.delete {
            self.docs.remove(doc);
        }
        for copy in &effects.store {
            self.docs.insert(copy.replica.id, copy.clone());
        }
        for space in &effects.unconfirm_spaces {
            for copy in self.docs.values_mut().filter(|c| c.replica.space == *space) {
                copy.replica.unconfirm();
                copy.refused = None;
            }
        }
        for purge in &effects.purged {
            if !self.purged.contains(purge) {
                self.purged.push(*purge);
            }
        }
        Ok(effects)
    }
}

// ----------------------------------------------------------------- model --

/// What the edits did, independent of sync.
#[derive(Default)]
struct Model {
    /// Every change made on a document's current generation, per document
    /// (an erasure's rewrite starts the set again).
    changes: BTreeMap<DocId, BTreeSet<ChangeHash>>,
    meals: i64,
    present: BTreeSet<PersonId>,
    /// Replicas that opened the session from its genesis themselves.
    geneses: usize,
    /// Persons the office erased.
    erased: BTreeSet<usize>,
}

/// What a run exercised, to make sure the property is not vacuous.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    exchanges: usize,
    missing_dependencies: usize,
    rounds: usize,
    /// Pushed changes the server already held (a lost answer).
    duplicates: usize,
    /// Answers that said more was waiting.
    paged: usize,
    /// Updates that carried a snapshot.
    snapshots: usize,
    /// Fields holding several values after quiescence.
    conflicts: usize,
    /// Replicas that opened the session from its genesis.
    geneses: usize,
    /// Server restores from a backup.
    restores: usize,
    /// Server restarts.
    restarts: usize,
    /// Answers that told a replica of a new epoch.
    epoch_changes: usize,
    /// Requests delivered twice.
    repeated: usize,
    /// Pairs of answers delivered in the wrong order.
    reordered: usize,
    /// Persons erased.
    erasures: usize,
    /// Copies deleted by a purge.
    purged: usize,
    /// Updates that replaced a copy by a newer generation.
    new_generations: usize,
    /// Records whose unsent edits an erasure dropped (reported).
    lost: usize,
    /// Pushes refused because they were erased or of an old generation.
    erased_refusals: usize,
    /// Another device's changes the server lost, refused until it sends
    /// them itself.
    relayed_refusals: usize,
}

// ------------------------------------------------------------------ steps --

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Alias(usize),
    BirthYear(usize),
    Note(usize),
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
    /// The request reaches the server twice; both answers arrive.
    SyncRepeated {
        replica: usize,
    },
    /// Two requests are on the way (the second after an edit); the server
    /// serves them in order, their answers arrive the other way round.
    SyncReordered {
        replica: usize,
        target: Target,
        value: u8,
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
    /// The server process starts again.
    Restart,
    /// The office erases a person.
    Erase {
        person: usize,
    },
    /// The server's state is backed up.
    Backup,
    /// The server loses its disk and is restored from the last backup.
    Restore,
}

#[derive(Debug, Clone)]
struct Case {
    replicas: usize,
    /// Bytes an answer may carry (`usize::MAX`: unpaged).
    page: usize,
    snapshot_every: usize,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    None,
    DropRequest,
    DropResponse,
    Repeat,
    /// The person edits while the first exchange is on the way: the
    /// answer confirms the pushed changes of a document that has moved on.
    EditInFlight(Target, u8, Timestamp),
    /// A second request (after this edit) overtakes the first's answer.
    Reorder(Target, u8, Timestamp),
}

// ------------------------------------------------------------------ world --

struct World {
    server: MemServer,
    backup: Disk,
    replicas: Vec<Replica>,
    persons: Vec<DocId>,
    contacts: Vec<DocId>,
    team: SpaceId,
    site: SiteId,
    date: Date,
    model: Model,
    stats: Stats,
}

fn changes_of(doc: &Automerge) -> BTreeSet<ChangeHash> {
    doc.get_changes(&[]).iter().map(Change::hash).collect()
}

impl World {
    /// Replica 0 creates the persons and their contacts; everyone receives
    /// them.
    fn new(case: &Case) -> Outcome<Self> {
        let team = SpaceId(Uuid::from_u128(0x7ea3));
        let server = MemServer::new(&[SpaceId::REGISTRY, team], case.page, case.snapshot_every);
        let mut world = World {
            backup: server.disk.clone(),
            server,
            replicas: (0..case.replicas).map(Replica::new).collect(),
            persons: Vec::new(),
            contacts: Vec::new(),
            team,
            site: SiteId(Uuid::from_u128(0x517e)),
            date: "2026-11-24".parse().expect("a valid date"),
            model: Model::default(),
            stats: Stats::default(),
        };
        let creator = world.replicas[0].device;
        let worker = world.replicas[0].user;
        for i in 0..PERSONS {
            let person = Person {
                id: DocId(Uuid::from_u128(0x9e75_0000 + i as u128)),
                ..Person::new(&format!("Person {i}"), Timestamp(1))
            };
            let contact = Contact {
                id: DocId(Uuid::from_u128(0xc0_0000 + i as u128)),
                note: format!("met person {i}"),
                ..Contact::new(team, worker, Timestamp(1)).with_person(PersonId(person.id.0))
            };
            for doc in [
                create(&person, creator, Timestamp(1)).expect("a valid person"),
                create(&contact, creator, Timestamp(1)).expect("a valid contact"),
            ] {
                let header = document::header(&doc).expect("a created document has a header");
                world.model.changes.insert(header.id, changes_of(&doc));
                world.replicas[0].docs.insert(
                    header.id,
                    Held {
                        replica: ReplicaDoc::local(header, 0, doc),
                        refused: None,
                    },
                );
            }
            world.persons.push(person.id);
            world.contacts.push(contact.id);
        }
        for r in 0..world.replicas.len() {
            world.sync(r, Fault::None)?;
        }
        for (r, replica) in world.replicas.iter().enumerate() {
            prop_assert_eq!(replica.docs.len(), 2 * PERSONS, "replica {} after setup", r);
        }
        world.backup = world.server.disk.clone();
        Ok(world)
    }

    fn session_id(&self) -> DocId {
        DocId::day_session(self.site, &self.date)
    }

    /// Whether an edit of `doc` on a copy of `generation` can still reach
    /// the server (the record is neither erased nor rewritten since).
    fn edit_counts(&self, doc: DocId, generation: u32) -> bool {
        match self.server.disk.erased.get(&doc) {
            Some((_, None)) => false,
            Some((_, Some(keep_from))) => generation >= *keep_from,
            None => true,
        }
    }

    fn edit(&mut self, r: usize, target: Target, value: u8, at: Timestamp) -> Outcome<()> {
        let doc_id = match target {
            Target::Alias(p) | Target::BirthYear(p) => self.persons[p],
            Target::Note(p) => self.contacts[p],
            Target::Present(_) | Target::Meals => self.session_id(),
        };
        // The office erased this person: nobody marks them present again
        // (a device that still holds them may edit their entry, which the
        // server refuses).
        if let Target::Present(p) = target
            && self.model.erased.contains(&p)
        {
            return Ok(());
        }
        let (team, site, date) = (self.team, self.site, self.date);
        let replica = &mut self.replicas[r];
        let device = replica.device;
        let user = replica.user;
        if doc_id == DocId::day_session(site, &date) && !replica.docs.contains_key(&doc_id) {
            // Opened offline: every replica makes the same genesis.
            let value = DaySession::genesis_value(team, site, date);
            let doc = genesis(&value).expect("a valid genesis");
            let header = document::header(&doc).expect("genesis has a header");
            replica.docs.insert(
                doc_id,
                Held {
                    replica: ReplicaDoc::local(header, 0, doc),
                    refused: None,
                },
            );
            self.model.geneses += 1;
            let genesis_counts = !self.server.disk.docs.contains_key(&doc_id)
                || self.server.disk.docs[&doc_id].generation == 0;
            if genesis_counts {
                let heads = replica.docs[&doc_id].replica.doc.get_heads();
                self.model.changes.entry(doc_id).or_default().extend(heads);
            }
        }
        // A person the device no longer holds (purged) cannot be edited.
        let Some(copy) = replica.docs.get_mut(&doc_id) else {
            return Ok(());
        };
        let generation = copy.replica.generation;
        let doc = &mut copy.replica.doc;
        let mut meals = 0;
        let mut marked = None;
        let written = match target {
            Target::Alias(_) | Target::BirthYear(_) => {
                let mut person: Person = read(doc).expect("a person reads");
                match target {
                    Target::Alias(_) => person.alias = format!("alias {}", value % 8),
                    _ => person.birth_year = Some(1900 + i64::from(value % 8)),
                }
                write(doc, &person, device, at, "edit").expect("a valid edit")
            }
            Target::Note(_) => {
                let mut contact: Contact = read(doc).expect("a contact reads");
                contact.note = format!("note {}", value % 8);
                write(doc, &contact, device, at, "edit").expect("a valid edit")
            }
            Target::Present(p) => {
                let mut session: DaySession = read(doc).expect("a session reads");
                let person = PersonId(self.persons[p].0);
                session.mark_present(person, user, at);
                marked = Some(person);
                write(doc, &session, device, at, "tick").expect("a valid edit")
            }
            Target::Meals => {
                let mut session: DaySession = read(doc).expect("a session reads");
                meals = 1 + i64::from(value % 3);
                session.meals.add(meals);
                write(doc, &session, device, at, "tick").expect("a valid edit")
            }
        };
        // The person's edit clears an earlier refusal: it is pushed again.
        copy.refused = None;
        if let Some(hash) = written
            && self.edit_counts(doc_id, generation)
        {
            self.model.changes.entry(doc_id).or_default().insert(hash);
            self.model.meals += meals;
            self.model.present.extend(marked);
        }
        Ok(())
    }

    /// The office erases person `p`; the model starts their contact again
    /// from the rewrite.
    fn erase(&mut self, p: usize, at: Timestamp) -> Outcome<()> {
        if !self.model.erased.insert(p) {
            return Ok(());
        }
        self.stats.erasures += 1;
        let rewritten = self.server.erase(self.persons[p], self.contacts[p], at)?;
        self.model.changes.remove(&self.persons[p]);
        if let Some(fresh) = rewritten {
            self.model
                .changes
                .insert(self.contacts[p], changes_of(&fresh));
        }
        Ok(())
    }

    /// Checks the refusals of an answer: only those the erasures explain,
    /// and missing dependencies after a restore.
    fn check_refusals(
        &mut self,
        r: usize,
        request: &SyncRequest,
        response: &SyncResponse,
    ) -> Outcome<()> {
        for refusal in &response.refused {
            let pushed = request.pushes.iter().find(|p| p.doc == refusal.doc);
            let explained = match refusal.code {
                RefusalCode::MissingDependencies => {
                    self.stats.missing_dependencies += 1;
                    true
                }
                // After a restore: another device's change that this one
                // holds; it waits for that device.
                RefusalCode::ForeignAuthor => {
                    self.stats.relayed_refusals += 1;
                    refusal.change.is_some() && self.stats.restores > 0
                }
                RefusalCode::Erased | RefusalCode::OldGeneration => {
                    self.stats.erased_refusals += 1;
                    pushed.is_some_and(|p| !self.edit_counts(p.doc, p.generation))
                }
                _ => false,
            };
            if !explained {
                return fail(format!(
                    "device {} had a push of {} refused: {refusal:?}",
                    self.replicas[r].device, refusal.doc
                ));
            }
        }
        Ok(())
    }

    fn take_answer(
        &mut self,
        r: usize,
        request: &SyncRequest,
        response: &SyncResponse,
    ) -> Outcome<bool> {
        self.check_refusals(r, request, response)?;
        self.stats.paged += usize::from(response.more);
        self.stats.snapshots += response
            .updates
            .iter()
            .filter(|u| u.snapshot.is_some())
            .count();
        let replica = &self.replicas[r];
        self.stats.new_generations += response
            .updates
            .iter()
            .filter(|u| {
                replica
                    .docs
                    .get(&u.doc)
                    .is_some_and(|h| h.replica.generation < u.generation)
            })
            .count();
        let held_before: BTreeSet<DocId> = replica.docs.keys().copied().collect();
        let effects = self.replicas[r].answer(request, response)?;
        if !effects.no_longer_readable.is_empty() {
            return fail(format!(
                "spaces became unreadable: {:?}",
                effects.no_longer_readable
            ));
        }
        self.stats.epoch_changes += effects.unconfirm_spaces.len();
        self.stats.lost += effects.lost.len();
        self.stats.purged += effects
            .delete
            .iter()
            .filter(|d| held_before.contains(d))
            .count();
        Ok(effects.again)
    }

    /// A sync of replica `r`: with no fault, exchanges until nothing more is
    /// waiting (as the device engine does); with a fault, one exchange that
    /// goes wrong on the way.
    fn sync(&mut self, r: usize, mut fault: Fault) -> Outcome<Moved> {
        let mut moved = Moved::default();
        if !self.replicas[r].online {
            if let Fault::EditInFlight(target, value, at) | Fault::Reorder(target, value, at) =
                fault
            {
                self.edit(r, target, value, at)?;
            }
            return Ok(moved);
        }
        let device = self.replicas[r].device;
        for _ in 0..MAX_EXCHANGES {
            let (request, more_to_push) = self.replicas[r].request();
            if fault == Fault::DropRequest {
                // The purges it carried are asked again by the server.
                return Ok(moved);
            }
            self.stats.exchanges += 1;
            let response = self.server.exchange(device, &request)?;
            moved.pushes += request.pushes.len();
            moved.updates += response.updates.len();
            match fault {
                Fault::DropResponse => return Ok(moved),
                Fault::Repeat => {
                    self.stats.repeated += 1;
                    let again = self.server.exchange(device, &request)?;
                    self.take_answer(r, &request, &response)?;
                    self.take_answer(r, &request, &again)?;
                    return Ok(moved);
                }
                Fault::Reorder(target, value, at) => {
                    self.stats.reordered += 1;
                    self.edit(r, target, value, at)?;
                    let (second, _) = self.replicas[r].request();
                    let overtaking = self.server.exchange(device, &second)?;
                    self.take_answer(r, &second, &overtaking)?;
                    self.take_answer(r, &request, &response)?;
                    return Ok(moved);
                }
                Fault::EditInFlight(target, value, at) => {
                    self.edit(r, target, value, at)?;
                    fault = Fault::None;
                }
                Fault::None | Fault::DropRequest => {}
            }
            let again = self.take_answer(r, &request, &response)?;
            if !response.more && !more_to_push && !again {
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
            Step::SyncRepeated { replica } => self.sync(replica, Fault::Repeat).map(drop),
            Step::SyncReordered {
                replica,
                target,
                value,
            } => self
                .sync(replica, Fault::Reorder(target, value, at))
                .map(drop),
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
            Step::Restart => {
                self.server.restart();
                self.stats.restarts += 1;
                Ok(())
            }
            Step::Erase { person } => self.erase(person, at),
            Step::Backup => {
                self.backup = self.server.disk.clone();
                Ok(())
            }
            Step::Restore => {
                self.server.restore(&self.backup);
                self.stats.restores += 1;
                Ok(())
            }
        }
    }

    /// Each document as all copies of its current generation merged
    /// directly, without the server's feeds: every change is held by the
    /// replica that made it (the server's copy adds an erasure's rewrite).
    fn oracle(&mut self) -> Outcome<BTreeMap<DocId, Automerge>> {
        let mut merged: BTreeMap<DocId, Automerge> = BTreeMap::new();
        let current: Vec<(DocId, u32)> = self
            .server
            .disk
            .docs
            .iter()
            .map(|(id, meta)| (*id, meta.generation))
            .collect();
        for (id, generation) in current {
            if let Some(doc) = self.server.doc(id)? {
                let mut doc = doc.fork();
                merged
                    .entry(id)
                    .or_default()
                    .merge(&mut doc)
                    .expect("merge");
            }
            for replica in &self.replicas {
                if let Some(copy) = replica.docs.get(&id)
                    && copy.replica.generation == generation
                {
                    let mut doc = copy.replica.doc.fork();
                    merged
                        .entry(id)
                        .or_default()
                        .merge(&mut doc)
                        .expect("copies of one document merge");
                }
            }
        }
        // Copies of documents the server has not seen yet (a session opened
        // offline, never pushed).
        for replica in &self.replicas {
            for (id, copy) in &replica.docs {
                if !self.server.disk.docs.contains_key(id)
                    && self.edit_counts(*id, copy.replica.generation)
                {
                    let mut doc = copy.replica.doc.fork();
                    merged
                        .entry(*id)
                        .or_default()
                        .merge(&mut doc)
                        .expect("merge");
                }
            }
        }
        Ok(merged)
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

    fn check(&mut self, oracle: &BTreeMap<DocId, Automerge>) -> Outcome<()> {
        let mut expected: BTreeSet<DocId> = self.contacts.iter().copied().collect();
        for (p, person) in self.persons.iter().enumerate() {
            if !self.model.erased.contains(&p) {
                expected.insert(*person);
            }
        }
        if self.model.geneses > 0 {
            expected.insert(self.session_id());
        }
        let on_server: BTreeSet<DocId> = self.server.disk.docs.keys().copied().collect();
        prop_assert_eq!(&on_server, &expected, "documents on the server");

        // The feeds: every change once, and exactly the changes made on
        // each document's current generation.
        let mut fed: BTreeMap<DocId, BTreeSet<ChangeHash>> = BTreeMap::new();
        for (space, feed) in &self.server.disk.feeds {
            let mut last = 0;
            for row in feed {
                prop_assert!(row.seq > last, "feed sequence of {}", space);
                last = row.seq;
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
        prop_assert!(
            fed.is_empty(),
            "feeds of unknown documents: {:?}",
            fed.keys()
        );

        // The same documents everywhere, after a restart too.
        self.server.restart();
        for id in &expected {
            let meta = self.server.disk.docs[id].clone();
            let Some(stored) = self.server.doc(*id)?.cloned() else {
                return fail(format!("{id} does not load"));
            };
            let mut heads = stored.get_heads();
            heads.sort();
            prop_assert_eq!(
                &changes_of(&stored),
                &self.model.changes[id],
                "server copy of {}",
                id
            );
            let server_value = typed(&stored, meta.kind)?;
            for (r, replica) in self.replicas.iter().enumerate() {
                let Some(copy) = replica.docs.get(id) else {
                    return fail(format!("replica {r} lacks {id}"));
                };
                let mut replica_heads = copy.replica.doc.get_heads();
                replica_heads.sort();
                prop_assert_eq!(&replica_heads, &heads, "heads of {} on replica {}", id, r);
                prop_assert_eq!(
                    copy.replica.generation,
                    meta.generation,
                    "generation of {} on replica {}",
                    id,
                    r
                );
                prop_assert_eq!(
                    &typed(&copy.replica.doc, copy.replica.kind)?,
                    &server_value,
                    "value of {} on replica {}",
                    id,
                    r
                );
                prop_assert!(
                    copy.replica.is_confirmed(),
                    "replica {} has unconfirmed changes of {}: {:?}",
                    r,
                    id,
                    copy.replica
                        .pending()
                        .iter()
                        .map(Change::hash)
                        .collect::<Vec<_>>()
                );
            }
            // Same-field conflicts survive: the document holds the values
            // of all its changes merged directly, bypassing sync.
            if let Some(direct) = oracle.get(id) {
                prop_assert_eq!(
                    conflicts(&stored),
                    conflicts(direct),
                    "conflicting values of {}",
                    id
                );
                prop_assert_eq!(
                    typed(&stored, meta.kind)?,
                    typed(direct, meta.kind)?,
                    "the value of {} merged directly",
                    id
                );
            }
        }
        for (r, replica) in self.replicas.iter().enumerate() {
            let held: BTreeSet<DocId> = replica.docs.keys().copied().collect();
            prop_assert_eq!(&held, &expected, "documents on replica {}", r);
            prop_assert!(
                self.server
                    .disk
                    .pending_purges(replica.device, 1)
                    .is_empty(),
                "replica {} did not confirm an erasure",
                r
            );
        }
        if self.model.geneses > 0 {
            let id = self.session_id();
            let session: DaySession = read(
                self.server
                    .doc(id)?
                    .ok_or_else(|| TestCaseError::fail("the session is stored"))?,
            )
            .expect("the session reads");
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
    Contact(Box<Contact>),
    Session(Box<DaySession>),
}

fn typed(doc: &Automerge, kind: RecordKind) -> Outcome<Typed> {
    let value = match kind {
        RecordKind::Person => read::<Person>(doc).map(|p| Typed::Person(Box::new(p))),
        RecordKind::Contact => read::<Contact>(doc).map(|c| Typed::Contact(Box::new(c))),
        RecordKind::DaySession => read::<DaySession>(doc).map(|s| Typed::Session(Box::new(s))),
        other => return fail(format!("no {other} in this test")),
    };
    value.map_err(|e| TestCaseError::fail(format!("reading a {kind}: {e}")))
}

/// The world after `case`'s steps, quiescence and the checks.
fn converged(case: &Case) -> Outcome<World> {
    let mut world = World::new(case)?;
    for (index, step) in case.steps.iter().enumerate() {
        world.step(index, *step)?;
    }
    let oracle = world.oracle()?;
    world.settle()?;
    world.check(&oracle)?;
    Ok(world)
}

/// [`converged`] for a scripted case, which must converge.
fn settled(case: &Case) -> World {
    match converged(case) {
        Ok(world) => world,
        Err(e) => panic!("{e}"),
    }
}

fn run(case: &Case) -> Outcome<Stats> {
    let world = converged(case)?;
    let mut stats = world.stats;
    stats.duplicates = world.server.duplicates;
    stats.geneses = world.model.geneses;
    stats.conflicts = world
        .server
        .cache
        .values()
        .map(|d| conflicts(d).len())
        .sum();
    Ok(stats)
}

// -------------------------------------------------------------- strategies --

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (0..PERSONS).prop_map(Target::Alias),
        (0..PERSONS).prop_map(Target::BirthYear),
        (0..PERSONS).prop_map(Target::Note),
        (0..PERSONS).prop_map(Target::Present),
        Just(Target::Meals),
    ]
}

/// Steps on `replicas` replicas; backups and restores only when
/// `restores` (a restore makes every replica push everything again, which
/// would hide a lost change, so most cases go without), erasures only
/// when not.
fn step(replicas: usize, restores: bool) -> impl Strategy<Value = Step> {
    let devices = prop_oneof![
        8 => (0..replicas, target(), any::<u8>())
            .prop_map(|(replica, target, value)| Step::Edit { replica, target, value }),
        6 => (0..replicas).prop_map(|replica| Step::Sync { replica }),
        2 => (0..replicas).prop_map(|replica| Step::SyncDropRequest { replica }),
        2 => (0..replicas).prop_map(|replica| Step::SyncDropResponse { replica }),
        1 => (0..replicas).prop_map(|replica| Step::SyncRepeated { replica }),
        1 => (0..replicas, target(), any::<u8>())
            .prop_map(|(replica, target, value)| Step::SyncReordered { replica, target, value }),
        2 => (0..replicas, target(), any::<u8>())
            .prop_map(|(replica, target, value)| Step::EditDuringSync { replica, target, value }),
        2 => (0..replicas, any::<bool>())
            .prop_map(|(replica, offline)| Step::Partition { replica, offline }),
    ];
    let server = if restores {
        prop_oneof![
            1 => Just(Step::Restart),
            2 => Just(Step::Backup),
            2 => Just(Step::Restore),
        ]
        .boxed()
    } else {
        prop_oneof![
            1 => Just(Step::Restart),
            1 => (0..PERSONS).prop_map(|person| Step::Erase { person }),
        ]
        .boxed()
    };
    prop_oneof![24 => devices, 2 + 2 * u32::from(restores) => server]
}

fn case() -> impl Strategy<Value = Case> {
    (5usize..=7, prop::bool::weighted(0.25))
        .prop_flat_map(|(replicas, restores)| {
            (
                Just(replicas),
                prop_oneof![Just(usize::MAX), 100usize..=1_500],
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

/// How many cases: `ODNOWA_CONVERGENCE_CASES`, else 128.
fn cases() -> u32 {
    std::env::var("ODNOWA_CONVERGENCE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(128)
}

/// Random edits on 5–7 replicas, random partitions and faulty messages,
/// restarts, restores and erasures, then quiescence: identical state
/// everywhere. Run by hand rather than with `proptest!` so that, after all
/// cases, the test can check that they exercised what the property is
/// about.
#[test]
fn replicas_converge_after_quiescence() {
    let config = ProptestConfig {
        cases: cases(),
        max_shrink_iters: 1024,
        // Integration tests have no `src/` to sit beside: failing cases go
        // to the crate's `proptest-regressions/` (cargo runs tests in the
        // crate's directory).
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/convergence.txt",
        ))),
        ..ProptestConfig::default()
    };
    let started = std::time::Instant::now();
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
        "{} cases in {:.1} s: {} exchanges, {} duplicate changes pushed, {} paged answers, \
         {} snapshots, {} restores, {} restarts, {} epoch changes seen, \
         {} pushes again after missing dependencies, {} requests repeated, \
         {} answers reordered, {} erasures, {} copies purged, {} new generations received, \
         {} records with lost edits, {} pushes refused as erased, \
         {} relayed changes refused after a restore, \
         {} cases with conflicts, {} with concurrent geneses, at most {} rounds to settle",
        total.len(),
        started.elapsed().as_secs_f64(),
        sum(|s| s.exchanges),
        sum(|s| s.duplicates),
        sum(|s| s.paged),
        sum(|s| s.snapshots),
        sum(|s| s.restores),
        sum(|s| s.restarts),
        sum(|s| s.epoch_changes),
        sum(|s| s.missing_dependencies),
        sum(|s| s.repeated),
        sum(|s| s.reordered),
        sum(|s| s.erasures),
        sum(|s| s.purged),
        sum(|s| s.new_generations),
        sum(|s| s.lost),
        sum(|s| s.erased_refusals),
        sum(|s| s.relayed_refusals),
        cases_with(|s| s.conflicts > 0),
        cases_with(|s| s.geneses > 1),
        total.iter().map(|s| s.rounds).max().unwrap_or(0),
    );
    assert!(sum(|s| s.duplicates) > 0, "no lost answer was exercised");
    assert!(sum(|s| s.paged) > 0, "no paged answer was exercised");
    assert!(sum(|s| s.snapshots) > 0, "no snapshot was exercised");
    assert!(cases_with(|s| s.conflicts > 0) > 0, "no conflict survived");
    assert!(cases_with(|s| s.geneses > 1) > 0, "no concurrent genesis");
    assert!(sum(|s| s.epoch_changes) > 0, "no restore was noticed");
    assert!(sum(|s| s.restarts) > 0, "no restart");
    assert!(sum(|s| s.repeated) > 0, "no repeated request");
    assert!(sum(|s| s.reordered) > 0, "no reordered answers");
    assert!(sum(|s| s.purged) > 0, "no copy was purged");
    assert!(
        sum(|s| s.new_generations) > 0,
        "no new generation was received"
    );
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
        page: 400,
        snapshot_every: 3,
        steps,
    };
    let mut world = settled(&case);
    let person = world.persons[0];
    let doc = world.server.doc(person).expect("load").expect("stored");
    let aliases = doc.get_all(automerge::ROOT, "alias").expect("alias");
    assert_eq!(aliases.len(), 2, "both concurrent aliases are kept");
    let session_id = world.session_id();
    let session: DaySession = read(world.server.doc(session_id).expect("load").expect("stored"))
        .expect("the session reads");
    assert_eq!(session.meals.value(), 5 * 2);
    assert_eq!(session.present().len(), PERSONS);
    let stats = &world.stats;
    assert!(stats.missing_dependencies > 0, "{stats:?}");
    assert!(stats.epoch_changes > 0, "{stats:?}");
    assert!(world.server.duplicates > 0, "the lost answer");
}

/// An erasure while devices are offline: one had edited the person's
/// contact and not sent it (the edit is reported lost and the copy
/// replaced by the new generation), one edits the erased person's entry
/// (refused as erased, then purged), and the server restarts in between.
#[test]
fn scripted_erasure_reaches_offline_devices() {
    use Step::*;
    let steps = vec![
        Partition {
            replica: 1,
            offline: true,
        },
        Edit {
            replica: 1,
            target: Target::Note(0),
            value: 5,
        },
        Edit {
            replica: 2,
            target: Target::Note(1),
            value: 6,
        },
        Sync { replica: 2 },
        Erase { person: 0 },
        Restart,
        Partition {
            replica: 1,
            offline: false,
        },
        Edit {
            replica: 3,
            target: Target::Alias(0),
            value: 1,
        },
        SyncRepeated { replica: 3 },
        SyncReordered {
            replica: 1,
            target: Target::Note(0),
            value: 7,
        },
    ];
    let case = Case {
        replicas: 5,
        page: usize::MAX,
        snapshot_every: 2,
        steps,
    };
    let mut world = settled(&case);
    let stats = &world.stats;
    assert!(
        stats.lost > 0,
        "replica 1's note is reported lost: {stats:?}"
    );
    assert!(
        stats.erased_refusals > 0,
        "replica 3's edit is refused: {stats:?}"
    );
    assert!(stats.purged >= 5, "everyone dropped the person: {stats:?}");
    assert!(stats.new_generations > 0, "{stats:?}");
    let contact: Contact = read(
        world
            .server
            .doc(world.contacts[1])
            .expect("load")
            .expect("stored"),
    )
    .expect("reads");
    assert_eq!(contact.note, "note 6", "the other contact keeps its note");
}
