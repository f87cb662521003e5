//! One sync exchange: store what the device pushed, answer with what it
//! lacks.
//!
//! Documents are loaded into memory only while they are changed, and at
//! most `cache_docs` of them stay cached (least recently used first out):
//! the feed and the snapshots answer pulls straight from the database, so an
//! idle document costs no server memory. Ingesting a push runs the pure
//! [`ingest`] of `shared` on the cached copy under a per-document lock; the
//! append is checked against the document's stored change count, so two
//! servers over one PostgreSQL never build on stale copies.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex as StdMutex};

use automerge::Automerge;
use lru::LruCache;
use serde_bytes::ByteBuf;
use tokio::sync::{Mutex, RwLock};

use odnowa_shared::access::{self, Place, ReferralConsent, ReferralWriter};
use odnowa_shared::document;
use odnowa_shared::document::{AnyRecord, Author};
use odnowa_shared::ids::{DeviceId, DocId, OrgId, PersonId, SpaceId, UserId};
use odnowa_shared::projection::{self, Projection};
use odnowa_shared::protocol::{
    self, DEFAULT_RESPONSE_BYTES, DevicePolicy, DocPush, DocUpdate, Refusal, RefusalCode,
    SpaceCursor, SyncRequest, SyncResponse,
};
use odnowa_shared::records::{
    CaseNotes, Catalogue, DaySession, Diagnosis, Person, Programme, RecordKind, Referral,
};
use odnowa_shared::sync::ingest::{self, Stored, erased_refusal};
use odnowa_shared::sync::pull::{self, Budget, Opening, Read, SpacePull, UPDATE_OVERHEAD};
use odnowa_shared::validate::ValidationContext;

use crate::cursor::CursorSeal;
use crate::group::GroupWriter;
use crate::live::{self, LiveChanges};
use crate::store::{Append, Appended, Db, DocMeta, Notice, QuarantineEntry, Reader, StoreError};

/// The largest page a device may ask for (a frame is at most 1 MiB).
const MAX_RESPONSE_BYTES: u32 = 768 * 1024;
const ERASED_PERSON: &str = "this person's records were erased at their request: no new case work (notes, diagnoses, programmes, referrals) can be kept about them";

/// Who is syncing.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub device: DeviceId,
    pub user: UserId,
}

/// Who wrote a push, as the ingestion rules need it.
#[derive(Debug, Clone)]
pub(crate) struct Pusher {
    pub(crate) peer: Peer,
    /// The author every new change must name (its actor and `by:` name).
    pub(crate) author: Author,
    /// `Some(org of the user)` for a device, whose pushes follow the
    /// field rules of `access` (no merging, others' consent untouched,
    /// sessions only at the organisation's sites); `None` for the office.
    pub(crate) device_org: Option<Option<OrgId>>,
    /// What kind of place each space the device may read is (a referral
    /// space holds referrals only: `access::space_refusal`); empty for
    /// the office.
    pub(crate) places: HashMap<SpaceId, Place>,
}

/// A change accepted in a space, for live pushes.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub space: SpaceId,
    pub origin: DeviceId,
    /// The changes themselves, for the live connections that take them;
    /// `None`: a poke (an erasure, the office's writes, a large range).
    pub live: Option<Arc<LiveChanges>>,
}

impl Accepted {
    /// A poke for `space`.
    pub fn poke(space: SpaceId, origin: DeviceId) -> Self {
        Accepted {
            space,
            origin,
            live: None,
        }
    }
}

#[derive(Default)]
pub(crate) struct CachedDoc {
    pub(crate) loaded: bool,
    pub(crate) doc: Option<Automerge>,
    pub(crate) meta: Option<DocMeta>,
    since_snapshot: u64,
}

/// How one push was ingested.
#[derive(Debug, Default)]
pub(crate) struct Pushed {
    pub(crate) refused: Vec<Refusal>,
    /// The document was new to the server.
    pub(crate) created: bool,
    /// A contact that may name an erased person: the late erasure looks.
    pub(crate) may_name_erased: bool,
}

impl Pushed {
    fn refused(refused: Vec<Refusal>) -> Self {
        Pushed {
            refused,
            created: false,
            may_name_erased: true,
        }
    }
}

/// What the sync core said of a push, with the projection of the record
/// it would make.
enum Admitted {
    Refused(Vec<Refusal>),
    Yes(Box<(ingest::Ingested, Projection)>),
}

/// [`ingest::admit`] of `push` against `cached`, and the projection of
/// the record admitted: the pure, CPU-heavy part of judging a push.
fn admit(
    cached: &CachedDoc,
    erased: bool,
    push: &DocPush,
    ctx: &ValidationContext,
    author: &Author,
) -> Admitted {
    let stored = cached
        .meta
        .as_ref()
        .zip(cached.doc.as_ref())
        .map(|(meta, doc)| Stored {
            doc,
            space: meta.space,
            generation: meta.generation,
        });
    let outcome = ingest::admit(stored, erased, push, ctx, author);
    match (&outcome.doc, &outcome.record) {
        (Some(_), Some(record)) => {
            let projection = projection::project_record(record);
            Admitted::Yes(Box::new((outcome, projection)))
        }
        (Some(doc), None) => {
            let projection = crate::projection::project_or_log(push.kind, push.doc, doc);
            Admitted::Yes(Box::new((outcome, projection)))
        }
        (None, _) => Admitted::Refused(outcome.refused),
    }
}

/// The most documents one batch holds in memory and appends in one
/// transaction: a request of thousands goes as several, so that a bulk
/// upload's memory stays a few hundred documents above the cache's.
const BATCH_DOCS: usize = 256;

/// Pushes of one batch at least this many are admitted on several cores.
const PARALLEL_FROM: usize = 32;

/// [`admit`] of each push against its cached copy, spread over the
/// machine's cores for a large batch (a first upload brings thousands of
/// documents in one request; one core would do them one after another).
fn admit_all(
    cached: &[&CachedDoc],
    pushes: &[&DocPush],
    erased: &std::collections::HashSet<DocId>,
    ctx: &ValidationContext,
    author: &Author,
) -> Vec<Admitted> {
    let one = |(cached, push): (&&CachedDoc, &&DocPush)| {
        admit(cached, erased.contains(&push.doc), push, ctx, author)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if pushes.len() < PARALLEL_FROM || threads < 2 {
        return cached.iter().zip(pushes).map(one).collect();
    }
    let size = pushes.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = cached.chunks(size).zip(pushes.chunks(size));
        let first = parts.next();
        let others: Vec<_> = parts
            .map(|(c, p)| scope.spawn(move || c.iter().zip(p).map(one).collect::<Vec<_>>()))
            .collect();
        let mut all: Vec<Admitted> = first
            .map(|(c, p)| c.iter().zip(p).map(one).collect())
            .unwrap_or_default();
        for other in others {
            match other.join() {
                Ok(part) => all.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    })
}

/// A push judged acceptable, before it is appended.
struct Accept {
    doc: Automerge,
    changes: Vec<ingest::NewChange>,
    /// Changes of the push refused while the rest goes.
    refused: Vec<Refusal>,
    projection: Projection,
}

enum Judged {
    Refused(Vec<Refusal>),
    Accepted(Box<Accept>),
}

/// A batch of pushes judged, its documents locked, waiting for its
/// append ([`SyncService::append_batch`]).
struct JudgedBatch<'p> {
    pushes: Vec<&'p DocPush>,
    guards: Vec<tokio::sync::OwnedMutexGuard<CachedDoc>>,
    /// Per push, in the order of `pushes`.
    outcomes: Vec<Pushed>,
    /// The accepted ones, by their place in `pushes`.
    accepted: Vec<(usize, Accept)>,
}

/// Whether `push` is of the catalogue, which only the office changes.
fn is_catalogue(push: &DocPush) -> bool {
    push.kind == RecordKind::Catalogue || push.doc == DocId::catalogue()
}

/// The sync service shared by every connection.
pub struct SyncService {
    db: Arc<Db>,
    cache: StdMutex<LruCache<DocId, Arc<Mutex<CachedDoc>>>>,
    live: live::Sequencer,
    /// Writes the appends of concurrent exchanges together.
    group: GroupWriter,
    ctx: RwLock<Option<(ValidationContext, Arc<Option<Catalogue>>)>>,
    snapshot_every: u64,
    policy: DevicePolicy,
    /// Bumped when a device is revoked or a user disabled (started with
    /// the first live connection).
    revocations: std::sync::OnceLock<tokio::sync::watch::Receiver<u64>>,
    /// Seals the cursors handed out (read from the database once).
    seal: tokio::sync::OnceCell<CursorSeal>,
}

/// How often the live connections' watcher looks for revocations: a
/// revoked device's connection closes within this (and one query).
pub const REVOCATION_POLL: std::time::Duration = std::time::Duration::from_millis(300);

impl SyncService {
    /// A service over `db` that keeps at most `cache_docs` documents in
    /// memory.
    pub fn new(db: Arc<Db>, cache_docs: usize) -> Self {
        let capacity = NonZeroUsize::new(cache_docs.max(1)).unwrap_or(NonZeroUsize::MIN);
        let live = live::Sequencer::default();
        SyncService {
            group: GroupWriter::new(db.clone(), live.clone()),
            db,
            cache: StdMutex::new(LruCache::new(capacity)),
            live,
            ctx: RwLock::new(None),
            snapshot_every: 64,
            policy: DevicePolicy::default(),
            revocations: std::sync::OnceLock::new(),
            seal: tokio::sync::OnceCell::new(),
        }
    }

    /// Changes whenever a device may have been revoked or a user disabled,
    /// whichever process did it (the admin CLI, another server on the
    /// same PostgreSQL): one query every [`REVOCATION_POLL`] for the whole
    /// server, not one per connection.
    pub fn revocations(&self) -> tokio::sync::watch::Receiver<u64> {
        self.revocations
            .get_or_init(|| {
                let (tx, rx) = tokio::sync::watch::channel(0u64);
                let db = self.db.clone();
                tokio::spawn(async move {
                    let mut last = None;
                    let mut ticks = tokio::time::interval(REVOCATION_POLL);
                    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        ticks.tick().await;
                        match db.revocation_stamp().await {
                            Ok(stamp) if last != Some(stamp) => {
                                if last.is_some() {
                                    tx.send_modify(|generation| *generation += 1);
                                }
                                last = Some(stamp);
                            }
                            Ok(_) => {}
                            Err(e) => tracing::warn!(error = %e, "could not check revocations"),
                        }
                        if tx.is_closed() {
                            break;
                        }
                    }
                });
                rx
            })
            .clone()
    }

    /// The same service telling devices `policy` (PIN lock, stale lock).
    pub fn with_policy(mut self, policy: DevicePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The database.
    pub fn db(&self) -> &Arc<Db> {
        &self.db
    }

    /// Live notifications of accepted changes, of the spaces the
    /// subscription follows.
    pub fn subscribe(&self) -> live::Subscription {
        self.live.subscribe()
    }

    /// Seals and encodes the live update that takes a device to `cursor`
    /// ([`live::Connection::on_changes`]), once for all devices at it.
    pub(crate) async fn live_frame(
        &self,
        changes: &LiveChanges,
        cursor: SpaceCursor,
    ) -> Result<(SpaceCursor, bytes::Bytes), crate::error::ApiError> {
        let seal = self.cursor_seal().await?;
        Ok(changes.frame(cursor, seal)?)
    }

    /// How many documents are in memory now.
    pub fn cached_docs(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Hears what the other servers on this PostgreSQL database accept
    /// (`store::notify`): their changes poke this server's live
    /// connections as its own do, and a changed catalogue is read again.
    /// When the listening connection was lost, every space is poked and
    /// the catalogue read again. Nothing on SQLite. Runs while the service
    /// lives.
    pub fn hear_others(self: &Arc<Self>) {
        let service = Arc::downgrade(self);
        let db = self.db.clone();
        tokio::spawn(async move {
            let mut notices = loop {
                match db.listen().await {
                    Ok(Some(notices)) => break notices,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen to the other servers yet");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        if service.strong_count() == 0 {
                            return;
                        }
                    }
                }
            };
            drop(db);
            while let Some(notice) = notices.recv().await {
                let Some(service) = service.upgrade() else {
                    break;
                };
                match notice {
                    Notice::Changed {
                        space,
                        origin,
                        catalogue,
                        range,
                        rows,
                    } => {
                        if catalogue {
                            *service.ctx.write().await = None;
                        }
                        let Some((after, last)) = range else {
                            service.announce(Accepted::poke(space, origin));
                            continue;
                        };
                        if let Some(rows) = rows {
                            // The notice carried the changes: no read back.
                            let mut visibility = HashMap::new();
                            let rows: Vec<pull::FeedRow> = rows
                                .into_iter()
                                .map(|(row, who)| {
                                    if let Some(who) = who {
                                        visibility.insert(row.doc, who);
                                    }
                                    row
                                })
                                .collect();
                            let live = LiveChanges::of_rows(space, after, last, rows, &visibility)
                                .map(Arc::new);
                            service.announce(Accepted {
                                space,
                                origin,
                                live,
                            });
                            continue;
                        }
                        // Later ranges of this space wait for it while its
                        // rows are read back; the notices after it do not:
                        // read back one after another, each waiting on a
                        // busy database, they came later and later, and
                        // each range the sequencer gave up on reached
                        // every reader as a poke.
                        service.live.expect(space, after);
                        tokio::spawn(async move {
                            let live = service.read_live(space, after, last).await;
                            if live.is_none() {
                                service.live.not_coming(space, after);
                            }
                            service.announce(Accepted {
                                space,
                                origin,
                                live,
                            });
                        });
                    }
                    Notice::Lost => {
                        *service.ctx.write().await = None;
                        match service.db.space_ids().await {
                            Ok(spaces) => {
                                for space in spaces {
                                    service.announce(Accepted::poke(
                                        space,
                                        DeviceId(uuid::Uuid::nil()),
                                    ));
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "could not poke after a lost notice")
                            }
                        }
                    }
                }
            }
        });
    }

    /// Tells live connections that `accepted.space` changed.
    pub(crate) fn announce(&self, accepted: Accepted) {
        self.live.announce(accepted);
    }

    /// The live changes of `rows`, the feed range `after < seq <= last` of
    /// `space`; `None` (a poke) when they cannot go live.
    async fn live_changes(
        &self,
        space: SpaceId,
        after: u64,
        last: u64,
        rows: Vec<pull::FeedRow>,
    ) -> Option<Arc<LiveChanges>> {
        if rows.len() > live::MAX_LIVE_ROWS {
            return None;
        }
        let visibility = if space.is_registry() {
            let docs: Vec<DocId> = rows.iter().map(|r| r.doc).collect();
            match self.db.registry_visibility(&docs).await {
                Ok(visibility) => visibility,
                Err(e) => {
                    tracing::warn!(error = %e, "could not tell who may hold new registry entries: poking instead");
                    return None;
                }
            }
        } else {
            HashMap::new()
        };
        LiveChanges::of_rows(space, after, last, rows, &visibility).map(Arc::new)
    }

    /// The live changes of a range another server appended, read back.
    async fn read_live(&self, space: SpaceId, after: u64, last: u64) -> Option<Arc<LiveChanges>> {
        if last.checked_sub(after)? > live::MAX_LIVE_ROWS as u64 {
            return None;
        }
        let nobody = DeviceId(uuid::Uuid::nil());
        let rows = match self
            .db
            .reader()
            .feed(space, after, last, nobody, live::MAX_LIVE_ROWS as u32)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "could not read another server's changes: poking instead");
                return None;
            }
        };
        self.live_changes(space, after, last, rows).await
    }

    pub(crate) fn entry(&self, doc: DocId) -> Arc<Mutex<CachedDoc>> {
        let mut cache = match self.cache.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        cache
            .get_or_insert(doc, || Arc::new(Mutex::new(CachedDoc::default())))
            .clone()
    }

    fn forget(&self, doc: DocId) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.pop(&doc);
        }
    }

    async fn cursor_seal(&self) -> Result<&CursorSeal, StoreError> {
        self.seal
            .get_or_try_init(|| async { Ok(CursorSeal::new(self.db.cursor_key().await?)) })
            .await
    }

    /// The validation context (service codes) and the catalogue it was
    /// made from, as stored now.
    async fn validation_context(
        &self,
    ) -> Result<(ValidationContext, Arc<Option<Catalogue>>), StoreError> {
        if let Some(ctx) = self.ctx.read().await.as_ref() {
            return Ok(ctx.clone());
        }
        let catalogue = match self.load(DocId::catalogue()).await? {
            Some((doc, _)) => document::read::<Catalogue>(&doc).ok(),
            None => None,
        };
        let ctx = match &catalogue {
            Some(catalogue) => ValidationContext::with_services(catalogue.services.keys().cloned()),
            None => ValidationContext::default(),
        };
        let ctx = (ctx, Arc::new(catalogue));
        *self.ctx.write().await = Some(ctx.clone());
        Ok(ctx)
    }

    /// Why a device may not make this change, whatever its grants: the
    /// rules of `access` on a person's entry and on day-room sessions.
    #[allow(clippy::too_many_arguments)]
    async fn field_rule_refusal(
        &self,
        peer: Peer,
        org: Option<OrgId>,
        push: &DocPush,
        before: Option<&Automerge>,
        after: &Automerge,
        record: Option<&AnyRecord>,
        catalogue: &Option<Catalogue>,
    ) -> Result<Option<&'static str>, StoreError> {
        Ok(match push.kind {
            RecordKind::Person => {
                let before = before.and_then(|d| document::read::<Person>(d).ok());
                // The sync core hydrated the person once already.
                let read;
                let after = match record {
                    Some(AnyRecord::Person(person)) => Ok(person),
                    _ => {
                        read = document::read::<Person>(after);
                        read.as_ref()
                    }
                };
                match after {
                    Ok(after) => {
                        access::person_edit_refusal(before.as_ref(), after, org, peer.user)
                    }
                    Err(_) => Some("this record is not a valid person"),
                }
            }
            // A session's site and date never change (its id follows from
            // them): checked when it is created.
            RecordKind::DaySession if before.is_none() => {
                match document::read::<DaySession>(after) {
                    Ok(session) => {
                        let site = catalogue
                            .as_ref()
                            .and_then(|c| c.sites.get(&session.site.to_string()));
                        let space_org = self.db.space_org(push.space).await?.flatten();
                        access::site_refusal(site, space_org)
                    }
                    Err(_) => Some("this record is not a valid day-room session"),
                }
            }
            RecordKind::Referral => {
                let before = before.and_then(|d| document::read::<Referral>(d).ok());
                match document::read::<Referral>(after) {
                    Ok(after) => {
                        // What the person's consent covers matters only
                        // when the referral is sent (what is shared is
                        // never changed after).
                        let person = match before {
                            Some(_) => None,
                            None => self
                                .load(after.person.doc_id())
                                .await?
                                .and_then(|(doc, _)| document::read::<Person>(&doc).ok()),
                        };
                        let writer = ReferralWriter {
                            org,
                            user: peer.user,
                            space_org: self.db.space_org(push.space).await?.flatten(),
                            consent: ReferralConsent::of(person.as_ref()),
                            catalogue: catalogue.as_ref(),
                        };
                        access::referral_refusal(before.as_ref(), &after, &writer)
                    }
                    Err(_) => Some("this record is not a valid referral"),
                }
            }
            RecordKind::CaseNotes => {
                let owner = |n: CaseNotes| (n.person, n.org);
                owned_refusal(before, after, org, owner)
            }
            RecordKind::Diagnosis => {
                let owner = |d: Diagnosis| (d.person, d.org);
                owned_refusal(before, after, org, owner)
            }
            RecordKind::Programme => {
                let owner = |p: Programme| (p.person, p.org);
                owned_refusal(before, after, org, owner)
            }
            _ => None,
        })
    }

    async fn load(&self, doc: DocId) -> Result<Option<(Automerge, DocMeta)>, StoreError> {
        let Some(stored) = self.db.load_doc(doc).await? else {
            return Ok(None);
        };
        let loaded = stored.document().map_err(|e| match e {
            StoreError::Corrupt(why) => StoreError::Corrupt(format!("{doc}: {why}")),
            other => other,
        })?;
        Ok(Some((loaded, stored.meta)))
    }

    /// A document as stored now, with what the store knows of it.
    pub async fn load_current(
        &self,
        doc: DocId,
    ) -> Result<Option<(Automerge, DocMeta)>, StoreError> {
        self.load(doc).await
    }

    /// Ingests `push` as coming from `peer`, without the space check of a
    /// device's push (the office writes where it must).
    pub(crate) async fn ingest_as(
        &self,
        peer: Peer,
        author: Author,
        push: &DocPush,
    ) -> Result<Vec<Refusal>, StoreError> {
        let pusher = Pusher {
            peer,
            author,
            device_org: None,
            places: HashMap::new(),
        };
        Ok(self.ingest_push(&pusher, push).await?.refused)
    }

    /// Serves one exchange for `peer`.
    pub async fn exchange(
        &self,
        peer: Peer,
        request: SyncRequest,
    ) -> Result<SyncResponse, StoreError> {
        // Before the reader takes a connection: the first exchange of a
        // process reads the cursor key on a connection of its own.
        self.cursor_seal().await?;
        // The exchange's reads on one connection (`store::Reader`), given
        // back before each write.
        let mut reader = self.db.reader();
        // The device's name too: an exchange that pushes writes it beside
        // its changes.
        let (user, device_name, dropped_withheld) =
            match reader.peer_facts(peer.user, Some(peer.device)).await? {
                Some(facts) => (Some(facts.user), facts.device_name, facts.dropped_withheld),
                None => (None, String::new(), false),
            };
        let grants = match &user {
            Some(who) => reader.grants_of(who).await?,
            None => Vec::new(),
        };
        let org = user.as_ref().and_then(|u| u.org);
        let writable: HashMap<SpaceId, (bool, Place)> = grants
            .iter()
            .map(|g| (g.space, (g.write, Place::of(g, org))))
            .collect();
        let mut response = SyncResponse {
            request_id: request.request_id,
            policy: Some(self.policy),
            org,
            ..SyncResponse::default()
        };
        if !request.pushes.is_empty() {
            reader.release();
            // The name the device writes beside its changes, as the
            // engine makes it from its enrolment.
            let user_name = user.as_ref().map_or("", |u| u.name.as_str());
            let pusher = Pusher {
                peer,
                author: Author {
                    device: peer.device,
                    name: Some(document::author_label(user_name, &device_name))
                        .filter(|name| !name.is_empty()),
                },
                device_org: Some(org),
                places: writable.iter().map(|(s, (_, p))| (*s, *p)).collect(),
            };
            response.refused = self.push_all(&pusher, &request.pushes, &writable).await?;
        }
        if request.reads.len() > protocol::MAX_READS {
            tracing::warn!(device = %peer.device, reads = request.reads.len(), "too many reads reported: the rest are dropped");
        }
        let reads = &request.reads[..request.reads.len().min(protocol::MAX_READS)];
        let readable: Vec<SpaceId> = grants.iter().map(|g| g.space).collect();
        if !reads.is_empty() {
            reader.release();
            let ignored = self
                .db
                .audit_device_reads(
                    peer.user,
                    peer.device,
                    &readable,
                    reads,
                    chrono::Utc::now().timestamp_millis(),
                )
                .await?;
            if ignored > 0 {
                tracing::warn!(device = %peer.device, ignored, "reads reported of records the device cannot read: not audited");
            }
        }
        // Erasures: what the device says it purged, then what it must.
        let purged = &request.purged[..request.purged.len().min(protocol::MAX_PURGES)];
        if !purged.is_empty() {
            reader.release();
        }
        // Confirmations are what make a device drop withheld entries.
        let dropped_withheld = dropped_withheld || !purged.is_empty();
        self.db
            .confirm_purges(peer.device, purged, chrono::Utc::now().timestamp_millis())
            .await?;
        response.purge = reader
            .pending_purges(peer.device, org, &readable, protocol::MAX_PURGES + 1)
            .await?;
        if response.purge.len() > protocol::MAX_PURGES {
            response.purge.truncate(protocol::MAX_PURGES);
            response.more = true;
        }
        let mut budget = Budget::new(match request.max_response_bytes {
            0 => DEFAULT_RESPONSE_BYTES,
            n => n.min(MAX_RESPONSE_BYTES),
        } as usize);
        let (mut epoch, last_seqs) = reader.feed_ends(&readable).await?;
        let sent: BTreeMap<SpaceId, SpaceCursor> =
            request.cursors.into_iter().map(|c| (c.space, c)).collect();
        let mut first_sync = false;
        for grant in &grants {
            let cursor = sent
                .get(&grant.space)
                .cloned()
                .unwrap_or_else(|| SpaceCursor::fresh(grant.space));
            first_sync |= cursor.snapshot.is_some() || cursor.epoch != epoch;
            let (mut cursor, more) = self
                .pull(
                    &mut reader,
                    peer,
                    org,
                    dropped_withheld,
                    cursor,
                    last_seqs.get(&grant.space).copied().unwrap_or(0),
                    &mut epoch,
                    &mut budget,
                    &mut response.updates,
                )
                .await?;
            self.cursor_seal().await?.seal(&mut cursor);
            response.more |= more;
            response.cursors.push(cursor);
            response.spaces.push(grant.clone());
        }
        // While a space is still arriving as snapshots, tell the device how
        // many documents there are in all, so it can show progress.
        if first_sync {
            let mut total_docs = 0u64;
            for grant in &grants {
                total_docs += reader.space_doc_count(grant.space).await?;
            }
            response.total_docs = Some(total_docs);
        }
        Ok(response)
    }

    /// Stores what one request pushed: the documents that allow it in
    /// batches (one transaction each, see [`Self::judge_batch`] and
    /// [`Self::append_batch`]), the rest one by one; refusals in the order
    /// of the pushes.
    async fn push_all(
        &self,
        pusher: &Pusher,
        pushes: &[DocPush],
        writable: &HashMap<SpaceId, (bool, Place)>,
    ) -> Result<Vec<Refusal>, StoreError> {
        // A referral's rules read the person's entry, which may come in the
        // same request: referrals go after the batch, one by one, as does
        // a document pushed twice.
        let mut seen = std::collections::HashSet::new();
        let batch: Vec<usize> = pushes
            .iter()
            .enumerate()
            .filter(|(_, push)| {
                matches!(writable.get(&push.space), Some((true, _)))
                    && !is_catalogue(push)
                    && push.kind != RecordKind::Referral
                    && seen.insert(push.doc)
            })
            .map(|(i, _)| i)
            .collect();
        let mut batched: Vec<Option<Pushed>> = (0..pushes.len()).map(|_| None).collect();
        // The appends of one batch overlap the judgement of the next
        // (their documents differ): the database writes while the cores
        // judge. A batch's documents stay locked until its append, so the
        // batches go in document order: every holder of several locks
        // takes them in that one order, and none waits on another.
        let mut batch = batch;
        batch.sort_by_key(|&i| pushes[i].doc);
        let mut waiting: Option<(&[usize], JudgedBatch<'_>)> = None;
        for batch in batch.chunks(BATCH_DOCS).filter(|b| b.len() > 1) {
            let of_batch: Vec<&DocPush> = batch.iter().map(|&i| &pushes[i]).collect();
            let judging = self.judge_batch(pusher, of_batch);
            let judged = match waiting.take() {
                None => judging.await?,
                Some((indices, before)) => {
                    let (appended, judged) =
                        tokio::join!(self.append_batch(pusher, before), judging);
                    Self::take_batch(&mut batched, indices, appended?);
                    judged?
                }
            };
            waiting = Some((batch, judged));
        }
        if let Some((indices, last)) = waiting {
            let appended = self.append_batch(pusher, last).await?;
            Self::take_batch(&mut batched, indices, appended);
        }
        let mut refused = Vec::new();
        for (push, outcome) in pushes.iter().zip(batched) {
            refused.extend(self.push(pusher, push, writable, outcome).await?);
        }
        Ok(refused)
    }

    /// Keeps how a batch's pushes (`indices` of the request) were
    /// ingested; `None`: another server wrote one of them meanwhile, and
    /// each then goes on its own, reloading and retrying.
    fn take_batch(
        batched: &mut [Option<Pushed>],
        indices: &[usize],
        outcomes: Option<Vec<Pushed>>,
    ) {
        if let Some(outcomes) = outcomes {
            for (i, outcome) in indices.iter().zip(outcomes) {
                batched[*i] = Some(outcome);
            }
        }
    }

    /// One push: ingested unless `batched` says how its batch ingested it;
    /// then what follows an accepted contact or person, and the
    /// quarantine of what was refused.
    async fn push(
        &self,
        pusher: &Pusher,
        push: &DocPush,
        writable: &HashMap<SpaceId, (bool, Place)>,
        batched: Option<Pushed>,
    ) -> Result<Vec<Refusal>, StoreError> {
        let peer = pusher.peer;
        let refuse = |code, reason: String| {
            vec![Refusal {
                doc: push.doc,
                change: None,
                code,
                reason,
            }]
        };
        // The catalogue lives in the registry, which field workers write
        // (persons), but only the consortium office changes it: through the
        // server's writer (`ingest_as`), never from a device.
        let refused = match writable.get(&push.space) {
            _ if is_catalogue(push) => refuse(
                RefusalCode::NotWritable,
                "only the consortium office changes the catalogue: edit it on the office pages"
                    .into(),
            ),
            Some((true, _)) => {
                let pushed = match batched {
                    Some(pushed) => pushed,
                    None => self.ingest_push(pusher, push).await?,
                };
                if push.kind == RecordKind::Contact && pushed.may_name_erased {
                    self.erase_late(push.doc).await?;
                }
                // A person new to the server has no referral that relied
                // on their consent.
                if push.kind == RecordKind::Person && pushed.refused.is_empty() && !pushed.created {
                    self.withhold_shared(PersonId(push.doc.0)).await?;
                }
                pushed.refused
            }
            Some((false, _)) => refuse(
                RefusalCode::NotWritable,
                "this user may read but not write this space".into(),
            ),
            None if self.db.space_exists(push.space).await? => refuse(
                RefusalCode::NotWritable,
                "this user has no access to this space".into(),
            ),
            None => refuse(RefusalCode::UnknownSpace, "no such space".into()),
        };
        for refusal in &refused {
            if refusal.code == RefusalCode::MissingDependencies {
                continue; // not hostile: the device pushes the whole record again
            }
            // A push for erased data is listed, but its payload (what was
            // erased) is not kept.
            let erased = matches!(
                refusal.code,
                RefusalCode::Erased | RefusalCode::OldGeneration
            ) || self.db.erased_doc(push.doc).await?.is_some();
            tracing::warn!(device = %peer.device, doc = %push.doc, code = ?refusal.code, reason = %refusal.reason, "push refused");
            self.db
                .quarantine(&QuarantineEntry {
                    at: chrono::Utc::now().timestamp_millis(),
                    device: Some(peer.device),
                    user: Some(peer.user),
                    doc: push.doc,
                    space: push.space,
                    kind: push.kind.to_string(),
                    code: format!("{:?}", refusal.code),
                    reason: refusal.reason.clone(),
                    payload: if erased {
                        Vec::new()
                    } else {
                        odnowa_shared::protocol::encode(push).unwrap_or_default()
                    },
                })
                .await?;
        }
        Ok(refused)
    }

    /// Makes `cached` the document as stored now (`current`: what the
    /// store holds of it), loading it again unless the cached copy is
    /// exactly that: a copy another server has appended to, erased or
    /// rewritten since is never judged against.
    async fn refresh(
        &self,
        cached: &mut CachedDoc,
        doc: DocId,
        current: Option<DocMeta>,
    ) -> Result<(), StoreError> {
        if cached.loaded && cached.meta == current {
            return Ok(());
        }
        let loaded = match current {
            Some(_) => self.load(doc).await?,
            None => None,
        };
        let (doc, meta) = loaded.map_or((None, None), |(d, m)| (Some(d), Some(m)));
        cached.since_snapshot = meta.as_ref().map_or(0, |m| m.change_count);
        cached.doc = doc;
        cached.meta = meta;
        cached.loaded = true;
        Ok(())
    }

    /// Judges `push` against `cached` (fresh, see [`Self::refresh`];
    /// `erased`: whether the server erased the document, asked only when
    /// it holds none): [`admit`] (the sync core's judgement), then
    /// [`Self::rules`].
    async fn judge(
        &self,
        pusher: &Pusher,
        push: &DocPush,
        cached: &CachedDoc,
        erased: bool,
        ctx: &ValidationContext,
        catalogue: &Option<Catalogue>,
    ) -> Result<Judged, StoreError> {
        let admitted = admit(cached, erased, push, ctx, &pusher.author);
        self.rules(pusher, push, cached, admitted, catalogue).await
    }

    /// What a push the sync core admitted must still pass: what the space
    /// may hold, the field rules of a device's organisation, and no new
    /// case work about an erased person.
    async fn rules(
        &self,
        pusher: &Pusher,
        push: &DocPush,
        cached: &CachedDoc,
        admitted: Admitted,
        catalogue: &Option<Catalogue>,
    ) -> Result<Judged, StoreError> {
        let refuse = |code, why: &str| {
            Judged::Refused(vec![Refusal {
                doc: push.doc,
                change: None,
                code,
                reason: why.into(),
            }])
        };
        let (outcome, projection) = match admitted {
            Admitted::Refused(refused) => return Ok(Judged::Refused(refused)),
            Admitted::Yes(admitted) => *admitted,
        };
        let Some(new_doc) = outcome.doc else {
            return Ok(Judged::Refused(outcome.refused));
        };
        if let Some(why) = pusher
            .places
            .get(&push.space)
            .and_then(|place| access::space_refusal(push.kind, *place))
        {
            return Ok(refuse(RefusalCode::NotWritable, why));
        }
        if let Some(org) = pusher.device_org
            && let Some(why) = self
                .field_rule_refusal(
                    pusher.peer,
                    org,
                    push,
                    cached.doc.as_ref(),
                    &new_doc,
                    outcome.record.as_ref(),
                    catalogue,
                )
                .await?
        {
            return Ok(refuse(RefusalCode::NotWritable, why));
        }
        // New case work about an erased person would bring back what
        // the erasure removed.
        if cached.meta.is_none()
            && RecordKind::CASE_WORK.contains(&push.kind)
            && let Ok(Projection::CaseWork { person, .. }) =
                projection::project(push.kind, &new_doc)
            && self.db.person_erased(person).await? == Some(true)
        {
            return Ok(refuse(RefusalCode::Erased, ERASED_PERSON));
        }
        Ok(Judged::Accepted(Box::new(Accept {
            doc: new_doc,
            changes: outcome.stored,
            refused: outcome.refused,
            projection,
        })))
    }

    /// The append of an accepted push made against `cached`.
    fn append_of(
        pusher: &Pusher,
        push: &DocPush,
        cached: &CachedDoc,
        changes: Vec<ingest::NewChange>,
        projection: Projection,
        now: i64,
    ) -> Append {
        Append {
            doc: push.doc,
            space: push.space,
            kind: push.kind,
            generation: push.generation,
            expected_change_count: cached.meta.as_ref().map_or(0, |m| m.change_count),
            changes,
            device: pusher.peer.device,
            user: pusher.peer.user,
            now,
            projection,
        }
    }

    /// Keeps the document as appended in the cache, and saves a snapshot
    /// when enough changes have arrived since the last.
    async fn keep(
        &self,
        cached: &mut CachedDoc,
        push: &DocPush,
        doc: Automerge,
        changes: usize,
        appended: Appended,
    ) -> Result<(), StoreError> {
        cached.since_snapshot += changes as u64;
        cached.meta = Some(DocMeta {
            space: push.space,
            kind: push.kind,
            generation: push.generation,
            change_count: appended.change_count,
        });
        if cached.since_snapshot >= self.snapshot_every {
            // Every change of the document up to its last one appended
            // is in this copy (the append checked the change count).
            self.db
                .save_snapshot(push.doc, &doc.save(), appended.last_seq)
                .await?;
            cached.since_snapshot = 0;
        }
        cached.doc = Some(doc);
        Ok(())
    }

    async fn ingest_push(&self, pusher: &Pusher, push: &DocPush) -> Result<Pushed, StoreError> {
        let (ctx, catalogue) = self.validation_context().await?;
        let entry = self.entry(push.doc);
        let mut cached = entry.lock().await;
        for attempt in 0..5u32 {
            if attempt >= 2 {
                // Another server keeps appending to this document: let
                // it finish before judging against its copy again.
                tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
            }
            let (current, erased) = self.db.doc_meta_or_erased(push.doc).await?;
            self.refresh(&mut cached, push.doc, current).await?;
            let erased = cached.meta.is_none() && erased;
            let accept = match self
                .judge(pusher, push, &cached, erased, &ctx, &catalogue)
                .await?
            {
                Judged::Refused(refused) => return Ok(Pushed::refused(refused)),
                Judged::Accepted(accept) => *accept,
            };
            let Accept {
                doc,
                changes,
                refused,
                projection,
            } = accept;
            let created = cached.meta.is_none();
            let count = changes.len();
            let now = chrono::Utc::now().timestamp_millis();
            let append = Self::append_of(pusher, push, &cached, changes, projection, now);
            let appended = self.group.append(vec![append]).await.and_then(|appended| {
                appended
                    .into_iter()
                    .next()
                    .ok_or_else(|| StoreError::Corrupt("an append returned nothing".into()))
            });
            match appended {
                Ok(appended) => {
                    self.keep(&mut cached, push, doc, count, appended).await?;
                    if push.doc == DocId::catalogue() {
                        *self.ctx.write().await = None;
                    }
                    return Ok(Pushed {
                        refused,
                        created,
                        may_name_erased: true,
                    });
                }
                Err(StoreError::Erased) => {
                    *cached = CachedDoc::default();
                    return Ok(Pushed::refused(vec![erased_refusal(push.doc)]));
                }
                Err(StoreError::Conflict) => {
                    // Another server appended meanwhile: reload and retry.
                    *cached = CachedDoc::default();
                    continue;
                }
                Err(e) => {
                    *cached = CachedDoc::default();
                    drop(cached);
                    self.forget(push.doc);
                    return Err(e);
                }
            }
        }
        Err(StoreError::Conflict)
    }

    /// Judges several pushes of one request (each of another document)
    /// as one batch: the documents' locks taken in id order, what the
    /// store holds of them read in one query, each judged as
    /// [`Self::ingest_push`] does (the sync core's part on every core,
    /// off the async workers). Nothing is stored yet:
    /// [`Self::append_batch`] does, while the next batch is judged.
    async fn judge_batch<'p>(
        &self,
        pusher: &Pusher,
        pushes: Vec<&'p DocPush>,
    ) -> Result<JudgedBatch<'p>, StoreError> {
        let (ctx, catalogue) = self.validation_context().await?;
        let mut order: Vec<usize> = (0..pushes.len()).collect();
        order.sort_by_key(|&i| pushes[i].doc);
        let mut locked: Vec<Option<tokio::sync::OwnedMutexGuard<CachedDoc>>> =
            (0..pushes.len()).map(|_| None).collect();
        for &i in &order {
            locked[i] = Some(self.entry(pushes[i].doc).lock_owned().await);
        }
        let mut guards: Vec<tokio::sync::OwnedMutexGuard<CachedDoc>> =
            locked.into_iter().flatten().collect();
        let ids: Vec<DocId> = pushes.iter().map(|p| p.doc).collect();
        let metas = self.db.doc_metas(&ids).await?;
        let missing: Vec<DocId> = ids
            .iter()
            .filter(|d| !metas.contains_key(d))
            .copied()
            .collect();
        let erased = self.db.erased_among(&missing).await?;
        for (push, cached) in pushes.iter().zip(guards.iter_mut()) {
            self.refresh(cached, push.doc, metas.get(&push.doc).cloned())
                .await?;
        }
        let admitted = if pushes.len() < PARALLEL_FROM {
            let cached: Vec<&CachedDoc> = guards.iter().map(|g| &**g).collect();
            admit_all(&cached, &pushes, &erased, &ctx, &pusher.author)
        } else {
            // On a blocking thread, so that the task's other half (the
            // previous batch's append) goes on meanwhile.
            let owned: Vec<DocPush> = pushes.iter().map(|p| (*p).clone()).collect();
            let author = pusher.author.clone();
            let ctx = ctx.clone();
            let judged = tokio::task::spawn_blocking(move || {
                let cached: Vec<&CachedDoc> = guards.iter().map(|g| &**g).collect();
                let pushes: Vec<&DocPush> = owned.iter().collect();
                let admitted = admit_all(&cached, &pushes, &erased, &ctx, &author);
                drop(cached);
                (guards, admitted)
            })
            .await;
            let admitted;
            (guards, admitted) = match judged {
                Ok(judged) => judged,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Only when the runtime shuts down.
                Err(_) => return Err(StoreError::Interrupted),
            };
            admitted
        };
        let mut outcomes = Vec::with_capacity(pushes.len());
        let mut accepted: Vec<(usize, Accept)> = Vec::new();
        for (i, (push, admitted)) in pushes.iter().zip(admitted).enumerate() {
            let cached = &*guards[i];
            let judged = self
                .rules(pusher, push, cached, admitted, &catalogue)
                .await?;
            match judged {
                Judged::Refused(refused) => outcomes.push(Pushed::refused(refused)),
                Judged::Accepted(accept) => {
                    let mut accept = *accept;
                    outcomes.push(Pushed {
                        refused: std::mem::take(&mut accept.refused),
                        created: cached.meta.is_none(),
                        may_name_erased: false,
                    });
                    accepted.push((i, accept));
                }
            }
        }
        Ok(JudgedBatch {
            pushes,
            guards,
            outcomes,
            accepted,
        })
    }

    /// Appends what [`Self::judge_batch`] accepted, in one transaction
    /// (with other exchanges' appends waiting then: [`GroupWriter`]), and
    /// announces it live. `None` when another server
    /// wrote one of the documents meanwhile (nothing was stored: the
    /// caller ingests them one by one).
    async fn append_batch(
        &self,
        pusher: &Pusher,
        batch: JudgedBatch<'_>,
    ) -> Result<Option<Vec<Pushed>>, StoreError> {
        let JudgedBatch {
            pushes,
            mut guards,
            mut outcomes,
            accepted,
        } = batch;
        if accepted.is_empty() {
            return Ok(Some(outcomes));
        }
        // A contact naming an erased person is rewritten by the late
        // erasure: one query for the persons the batch's contacts name.
        let named: Vec<DocId> = accepted
            .iter()
            .filter_map(|(_, a)| match &a.projection {
                Projection::Record(r) if r.kind == RecordKind::Contact => Some(&r.persons),
                _ => None,
            })
            .flatten()
            .map(|(person, _)| person.doc_id())
            .collect();
        let erased_persons = self.db.erased_among(&named).await?;
        if !erased_persons.is_empty() {
            for (i, a) in &accepted {
                if let Projection::Record(r) = &a.projection {
                    outcomes[*i].may_name_erased = r
                        .persons
                        .iter()
                        .any(|(p, _)| erased_persons.contains(&p.doc_id()));
                }
            }
        }
        let now = chrono::Utc::now().timestamp_millis();
        let mut kept = Vec::with_capacity(accepted.len());
        let mut appends = Vec::with_capacity(accepted.len());
        for (i, accept) in accepted {
            let Accept {
                doc,
                changes,
                projection,
                ..
            } = accept;
            kept.push((i, doc, changes.len()));
            appends.push(Self::append_of(
                pusher, pushes[i], &guards[i], changes, projection, now,
            ));
        }
        match self.group.append(appends).await {
            Ok(appended) => {
                for ((i, doc, changes), appended) in kept.into_iter().zip(appended) {
                    self.keep(&mut guards[i], pushes[i], doc, changes, appended)
                        .await?;
                }
                drop(guards);
                Ok(Some(outcomes))
            }
            Err(StoreError::Conflict | StoreError::Erased) => {
                for guard in &mut guards {
                    **guard = CachedDoc::default();
                }
                Ok(None)
            }
            Err(e) => {
                for guard in &mut guards {
                    **guard = CachedDoc::default();
                }
                Err(e)
            }
        }
    }

    /// Sends `peer` whole the registry entries it dropped while they were
    /// withheld from its organisation and may hold again; forgets those
    /// its cursor shows it received (`cursor` as it arrived, `last` the
    /// feed's end now).
    #[allow(clippy::too_many_arguments)]
    async fn resend_withheld(
        &self,
        reader: &mut Reader<'_>,
        peer: Peer,
        org: Option<OrgId>,
        cursor: &SpaceCursor,
        start_over: bool,
        last: u64,
        budget: &mut Budget,
        updates: &mut Vec<DocUpdate>,
    ) -> Result<(), StoreError> {
        let to_resend = reader.withheld_to_resend(peer.device, org).await?;
        if !to_resend.is_empty() {
            // What follows writes.
            reader.release();
        }
        for (doc, resent_upto) in to_resend {
            let received = resent_upto.is_some_and(|upto| cursor.seq >= upto);
            // Starting over, the space's snapshots bring it anyway.
            if received || start_over {
                self.db.withheld_resent(peer.device, doc, None).await?;
                continue;
            }
            // Within the page's budget (the rest goes in later exchanges):
            // no more than a fresh cursor's snapshots would cost.
            if budget.is_spent() {
                break;
            }
            let Some(stored) = self.db.load_doc(doc).await? else {
                self.db.withheld_resent(peer.device, doc, None).await?;
                continue;
            };
            let size = UPDATE_OVERHEAD
                + stored.snapshot.as_ref().map_or(0, Vec::len)
                + stored.changes.iter().map(Vec::len).sum::<usize>();
            if !budget.take(size) {
                break;
            }
            updates.push(DocUpdate {
                doc,
                space: SpaceId::REGISTRY,
                kind: stored.meta.kind,
                generation: stored.meta.generation,
                snapshot: stored.snapshot.map(ByteBuf::from),
                changes: stored.changes.into_iter().map(ByteBuf::from).collect(),
            });
            self.db
                .withheld_resent(peer.device, doc, Some(last))
                .await?;
        }
        Ok(())
    }

    /// Fills `updates` from one space, whose feed ends at `last`, within
    /// `budget`, as [`pull::SpacePull`] plans it; returns the new cursor
    /// (unsealed) and whether more is waiting.
    #[allow(clippy::too_many_arguments)]
    async fn pull(
        &self,
        reader: &mut Reader<'_>,
        peer: Peer,
        org: Option<OrgId>,
        // Whether the device dropped withheld registry entries.
        dropped_withheld: bool,
        cursor: SpaceCursor,
        last: u64,
        epoch: &mut u64,
        budget: &mut Budget,
        updates: &mut Vec<DocUpdate>,
    ) -> Result<(SpaceCursor, bool), StoreError> {
        let space = cursor.space;
        let issued = self.cursor_seal().await?.issued(&cursor);
        let opening = pull::opening(&cursor, *epoch, last, issued);
        match opening {
            Opening::NewEpoch => {
                // The device has seen more than the feed holds, and this
                // server told it so: the database was restored from an
                // older backup.
                tracing::warn!(%space, "a device is ahead of the feed: starting a new epoch");
                reader.release();
                *epoch = self.db.bump_epoch().await?;
            }
            Opening::StartOver if cursor.epoch == *epoch => {
                tracing::warn!(device = %peer.device, %space, seq = cursor.seq, "a cursor ahead of the feed that this server never issued: the device starts the space again");
            }
            _ => {}
        }
        // Registry entries withheld from the device's organisation (a
        // consent withdrawn that another organisation recorded) never
        // reach it; those it dropped and may hold again go whole.
        if space.is_registry() && dropped_withheld {
            let start_over = opening != Opening::Continue;
            self.resend_withheld(
                reader, peer, org, &cursor, start_over, last, budget, updates,
            )
            .await?;
        }
        let mut plan = SpacePull::new(cursor, opening, *epoch, last, budget);
        // Read only when there are rows to leave out of (a device kept
        // current by live updates reads none).
        let mut withheld_read: Option<std::collections::HashSet<DocId>> = None;
        while let Some(read) = plan.next_read() {
            let withheld = match withheld_read {
                Some(ref withheld) => withheld,
                None if space.is_registry() => {
                    withheld_read.insert(reader.withheld_persons(org).await?)
                }
                None => withheld_read.insert(Default::default()),
            };
            match read {
                Read::Snapshots { after, limit } => {
                    let rows = reader.snapshot_page(space, after, limit).await?;
                    plan.take_snapshots(rows, |doc| withheld.contains(&doc), budget, updates);
                }
                Read::Feed { after, upto, limit } => {
                    let rows = reader.feed(space, after, upto, peer.device, limit).await?;
                    plan.take_feed(rows, |doc| withheld.contains(&doc), budget, updates);
                }
            }
        }
        Ok(plan.finish())
    }
}

/// [`access::case_work_refusal`] for a record of type `R`, whose owner
/// (person, organisation) `owner` reads.
fn owned_refusal<R: odnowa_shared::records::Record>(
    before: Option<&Automerge>,
    after: &Automerge,
    org: Option<OrgId>,
    owner: impl Fn(R) -> (odnowa_shared::ids::PersonId, OrgId),
) -> Option<&'static str> {
    let before = before.and_then(|d| document::read::<R>(d).ok()).map(&owner);
    match document::read::<R>(after) {
        Ok(after) => access::case_work_refusal(before, owner(after), org),
        Err(_) => Some("this record is not valid"),
    }
}
