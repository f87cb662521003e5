//! The sync client: exchanges with the server until nothing more moves,
//! and carries out what `odnowa_shared::sync::device` decides of each
//! answer (it decides nothing of its own): the pushes of a request, then
//! the answer's effects in one local transaction under the replica's edit
//! lock. It also keeps the status the screens show and the erasures to
//! confirm.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{Mutex, Notify, RwLock};

use odnowa_shared::api::{Progress, SyncView as SyncStatus};
use odnowa_shared::ids::{DocId, OrgId};
use odnowa_shared::protocol::{
    self, ClientMessage, DevicePolicy, DocPush, LiveFit, LiveUpdate, Purge, ServerMessage,
    SyncRequest, SyncResponse,
};
use odnowa_shared::sync::device;
use odnowa_shared::sync::replica::CursorBook;
use odnowa_shared::time::Timestamp;

use super::error::{EngineError, Result};
use super::gate::Gate;
use super::link::{Link, Stats, StatsSnapshot};
use super::replica::{Replica, held_of, row_of, view_of};
use super::store::LocalStore;
use super::trust::ServerTrust;

/// The `meta` key of the server's device policy, as last received.
pub(crate) const META_POLICY: &str = "policy";
/// The `meta` key of the user's member organisation, as the server last
/// said (empty: none).
pub(crate) const META_ORG: &str = "org";

/// What one call of [`super::Engine::sync_now`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub exchanges: u64,
    pub pushed_docs: u64,
    pub pulled_updates: u64,
    pub refused: Vec<(DocId, String)>,
}

/// Timing of the background sync.
#[derive(Debug, Clone, Copy)]
pub struct SyncPolicy {
    /// First retry after a failure (then doubling, with full jitter).
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Sync at least this often even without saves or pokes.
    pub idle_interval: Duration,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            idle_interval: Duration::from_secs(120),
        }
    }
}

/// The delay before retry `attempt` (0-based): uniformly random up to
/// `base * 2^attempt`, capped at `max` ("full jitter"), so that phones that
/// lost the network together do not all come back in the same second.
pub fn backoff_delay(policy: &SyncPolicy, attempt: u32) -> Duration {
    let cap = policy
        .backoff_base
        .saturating_mul(2u32.saturating_pow(attempt.min(20)))
        .min(policy.backoff_max);
    let millis = cap.as_millis().max(1) as u64;
    Duration::from_millis(rand::random_range(0..=millis))
}

/// The sync client of one engine.
pub(crate) struct SyncClient {
    link: RwLock<Option<Arc<Link>>>,
    stats: Arc<Stats>,
    /// One sync at a time.
    syncing: Mutex<()>,
    /// Erasures carried out and not yet confirmed to the server (the
    /// server asks again until they are, so losing them costs nothing).
    purged: StdMutex<Vec<Purge>>,
    wake: Arc<Notify>,
    status: StdMutex<SyncStatus>,
    pub(crate) policy: SyncPolicy,
    /// The certificates accepted from the server over TLS.
    trust: ServerTrust,
}

impl SyncClient {
    pub(crate) fn new(policy: SyncPolicy, trust: ServerTrust, status: SyncStatus) -> Self {
        SyncClient {
            link: RwLock::new(None),
            stats: Arc::new(Stats::default()),
            syncing: Mutex::new(()),
            purged: StdMutex::new(Vec::new()),
            wake: Arc::new(Notify::new()),
            status: StdMutex::new(status),
            policy,
            trust,
        }
    }

    /// Reaches `server` with `token` from now on.
    pub(crate) async fn connect(&self, server: &str, token: &str) -> Result<()> {
        let link = Link::new(server, token, self.stats.clone(), &self.trust)?;
        *self.link.write().await = Some(Arc::new(link));
        self.wake();
        Ok(())
    }

    /// Stops reaching the server (reset, revoked).
    pub(crate) async fn disconnect(&self) {
        *self.link.write().await = None;
    }

    /// The link to the server, once enrolled and unlocked.
    pub(crate) async fn link(&self) -> Option<Arc<Link>> {
        self.link.read().await.clone()
    }

    /// An HTTP client that trusts what this engine trusts (enrolment).
    pub(crate) fn http_client(&self) -> Result<reqwest::Client> {
        self.trust.http_client()
    }

    /// Starts a sync soon (after a save).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits for [`SyncClient::wake`] or the server's poke.
    pub(crate) async fn woken(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.wake.notified()).await;
    }

    /// The notifier the live connection pokes.
    pub(crate) fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Network counters since the engine opened.
    pub(crate) fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// The sync status for the screens.
    pub(crate) fn status(&self) -> SyncStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(crate) fn set_status(&self, change: impl FnOnce(&mut SyncStatus)) {
        if let Ok(mut status) = self.status.lock() {
            change(&mut status);
        }
    }

    /// Counts what waits for the server and what it refused.
    pub(crate) async fn refresh_counts(&self, store: &LocalStore) -> Result<()> {
        let waiting = store.waiting().await?;
        let (pending, refused) = waiting.iter().fold((0, 0), |(pending, refused), w| {
            (pending + w.pending, refused + w.refused)
        });
        self.set_status(|s| {
            s.pending = pending;
            s.refused = refused;
            s.waiting = waiting;
        });
        Ok(())
    }

    /// Pushes for the documents with unconfirmed changes, within one frame.
    pub(crate) async fn pushes(&self, replica: &Replica) -> Result<(Vec<DocPush>, bool)> {
        let rows = replica.store().dirty_docs().await?;
        device::pushes(rows.into_iter().map(held_of), device::PUSH_BUDGET)
    }

    /// The request frame the next exchange would send, without sending it.
    pub(crate) async fn outgoing_frame(&self, replica: &Replica) -> Result<Vec<u8>> {
        let (pushes, _) = self.pushes(replica).await?;
        let request = SyncRequest {
            request_id: 0,
            cursors: replica.store().cursors().await?,
            pushes,
            max_response_bytes: 0,
            reads: Vec::new(),
            purged: Vec::new(),
        };
        Ok(protocol::encode(&ClientMessage::Sync(request))?)
    }

    /// Exchanges until the server has nothing more: pushes what it has not
    /// confirmed, pulls what this device lacks.
    pub(crate) async fn rounds(&self, replica: &Replica, gate: &Gate) -> Result<SyncReport> {
        if gate.access() == odnowa_shared::api::Access::Revoked {
            return Err(EngineError::Revoked);
        }
        let _syncing = self.syncing.lock().await;
        let link = self.link().await.ok_or(EngineError::NotEnrolled)?;
        let store = replica.store();
        let mut report = SyncReport::default();
        let mut request_id = 0u64;
        loop {
            request_id += 1;
            let (pushes, more_to_push) = self.pushes(replica).await?;
            let reads = store.pending_reads(protocol::MAX_READS).await?;
            let reads_upto = reads.last().map(|(id, _)| *id);
            let (purged, more_purged) = self.take_purged();
            let more_to_push = more_to_push || reads.len() == protocol::MAX_READS || more_purged;
            let request = SyncRequest {
                request_id,
                cursors: store.cursors().await?,
                pushes,
                max_response_bytes: 0,
                reads: reads.into_iter().map(|(_, read)| read).collect(),
                purged,
            };
            let frame = protocol::encode(&ClientMessage::Sync(request.clone()))?;
            let reply = link.exchange(frame).await?;
            report.exchanges += 1;
            let response = match protocol::decode_server(&reply)? {
                ServerMessage::Sync(response) => response,
                ServerMessage::Error(e) => return Err(super::link::wire_error(e)),
                ServerMessage::Poke(_) | ServerMessage::Live(_) => {
                    return Err(EngineError::Refused("a poke instead of an answer".into()));
                }
            };
            if let Some(policy) = response.policy {
                adopt_policy(store, gate, policy).await?;
            }
            adopt_org(store, response.org).await?;
            // The server logged the reports with its answer.
            if let Some(upto) = reads_upto {
                store.forget_reads(upto).await?;
            }
            report.pushed_docs += request.pushes.len() as u64;
            report.pulled_updates += response.updates.len() as u64;
            let again = self
                .apply_response(replica, &request.pushes, &response, &mut report)
                .await?;
            if let Some(total) = response.total_docs {
                let done = store.doc_count().await?;
                self.set_status(|s| {
                    s.first_sync = Some(Progress {
                        done,
                        total: total.max(done),
                    })
                });
            }
            if !response.more && !more_to_push && !again {
                self.set_status(|s| s.first_sync = None);
                break;
            }
            if request_id > 100_000 {
                return Err(EngineError::Refused(
                    "the server keeps saying there is more".into(),
                ));
            }
        }
        Ok(report)
    }

    /// Takes a live update the server pushed, in one local transaction as
    /// [`device::live`] decides, one at a time with exchanges; returns
    /// whether it did not follow this device's cursor (an exchange must
    /// bring what lies between).
    pub(crate) async fn take_live(&self, replica: &Replica, update: &LiveUpdate) -> Result<bool> {
        let _syncing = self.syncing.lock().await;
        let store = replica.store();
        let _edits = replica.edits().await;
        let mut book = CursorBook::from_cursors(store.cursors().await?);
        // The cursor decides; the copies are read only when it follows.
        let fit = update.fit(book.cursor(update.cursor.space));
        if fit != LiveFit::Follows {
            return Ok(fit == LiveFit::Gap);
        }
        let held = replica.held(device::live_concerned(update)).await?;
        let effects = match device::live(update, held, &mut book)? {
            device::Live::Apply(effects) => effects,
            device::Live::Held => return Ok(false),
            device::Live::Exchange => return Ok(true),
        };
        let mut tx = store.begin().await?;
        let at = Timestamp::now().0;
        for copy in &effects.store {
            store
                .put_doc(
                    &mut tx,
                    &row_of(&copy.replica, copy.refused.clone()),
                    at,
                    view_of(store, &copy.replica).as_deref(),
                )
                .await?;
        }
        LocalStore::put_cursor(&mut tx, &update.cursor).await?;
        tx.commit().await?;
        store.written(
            effects
                .store
                .iter()
                .map(|c| (c.replica.id, Some(c.replica.kind))),
        );
        self.stats
            .live_updates
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(false)
    }

    /// Purge confirmations for the next request (at most
    /// [`protocol::MAX_PURGES`]), and whether more wait.
    fn take_purged(&self) -> (Vec<Purge>, bool) {
        let mut pending = match self.purged.lock() {
            Ok(pending) => pending,
            Err(poisoned) => poisoned.into_inner(),
        };
        let n = pending.len().min(protocol::MAX_PURGES);
        let taken: Vec<Purge> = pending.drain(..n).collect();
        (taken, !pending.is_empty())
    }

    /// Carries out an answer in one local transaction, as
    /// [`device::answer`] decides; returns whether another exchange is
    /// needed at once.
    async fn apply_response(
        &self,
        replica: &Replica,
        pushes: &[DocPush],
        response: &SyncResponse,
        report: &mut SyncReport,
    ) -> Result<bool> {
        let store = replica.store();
        let _edits = replica.edits().await;
        let held = replica.held(device::concerned(pushes, response)).await?;
        let mut book = CursorBook::from_cursors(store.cursors().await?);
        let effects = device::answer(pushes, response, held, &mut book)?;
        for (doc, reason) in &effects.refused {
            tracing::warn!(%doc, %reason, "the server refused a record");
        }
        report.refused.extend(effects.refused.iter().cloned());
        if !effects.waiting.is_empty() {
            tracing::info!(
                records = effects.waiting.len(),
                "records hold another device's changes the server lost: pushed again until that device sends them"
            );
        }
        if !effects.purged.is_empty() {
            tracing::info!(
                deleted = effects.delete.len(),
                asked = effects.purged.len(),
                lost = effects.lost.len(),
                "erasures carried out"
            );
        }
        let mut tx = store.begin().await?;
        let at = Timestamp::now().0;
        for doc in &effects.delete {
            LocalStore::delete_doc(&mut tx, *doc).await?;
        }
        for copy in &effects.store {
            store
                .put_doc(
                    &mut tx,
                    &row_of(&copy.replica, copy.refused.clone()),
                    at,
                    view_of(store, &copy.replica).as_deref(),
                )
                .await?;
        }
        for space in &effects.unconfirm_spaces {
            tracing::warn!(%space, "the server's feed was restored: pushing everything again");
            LocalStore::unconfirm_space(&mut tx, *space).await?;
        }
        LocalStore::put_cursors(&mut tx, &book.cursors(), &response.spaces).await?;
        tx.commit().await?;
        // What the views kept in memory must read again.
        if effects.unconfirm_spaces.is_empty() {
            store.written(
                effects.delete.iter().map(|doc| (*doc, None)).chain(
                    effects
                        .store
                        .iter()
                        .map(|c| (c.replica.id, Some(c.replica.kind))),
                ),
            );
        } else {
            store.written_all();
        }
        if !effects.purged.is_empty() {
            let mut pending = match self.purged.lock() {
                Ok(pending) => pending,
                Err(poisoned) => poisoned.into_inner(),
            };
            for purge in effects.purged {
                if !pending.contains(&purge) {
                    pending.push(purge);
                }
            }
        }
        Ok(effects.again)
    }
}

/// Takes the server's device policy when it differs from the one kept.
pub(crate) async fn adopt_policy(
    store: &LocalStore,
    gate: &Gate,
    policy: DevicePolicy,
) -> Result<()> {
    if gate.adopt(policy) {
        let json =
            serde_json::to_string(&policy).map_err(|e| EngineError::Corrupt(e.to_string()))?;
        store.set_meta(META_POLICY, &json).await?;
    }
    Ok(())
}

/// Keeps the user's member organisation as the server says it.
async fn adopt_org(store: &LocalStore, org: Option<OrgId>) -> Result<()> {
    let text = org.map(|o| o.to_string()).unwrap_or_default();
    if store.meta(META_ORG).await?.as_deref() != Some(text.as_str()) {
        store.set_meta(META_ORG, &text).await?;
    }
    Ok(())
}
