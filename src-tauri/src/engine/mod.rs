//! The device engine: a local replica of the documents this device may
//! read, the typed API the screens call, and the sync client.
//!
//! [`Engine`] is the façade the shell and the tests call; it composes
//! named parts, each with only the locks it needs:
//! - `gate` — whether the screens may read (new, locked, open, stale,
//!   revoked): one lock, never held across an await;
//! - `replica` — the records over the local store (`store`): one edit
//!   lock;
//! - `sync` — the sync client: the link, the status, erasures to confirm,
//!   one sync at a time; it carries out what `odnowa_shared::sync::device`
//!   decides of each answer and decides nothing of its own;
//! - this module — enrolment, the PIN (`vault`) and the identity, and the
//!   background tasks; `field` — one method per command of the field app.
//!
//! Every save is written to SQLite before it returns; sync runs on every
//! save while online, on the server's pokes, and with exponential backoff
//! with jitter while not.

mod case;
mod error;
mod field;
mod gate;
mod link;
mod replica;
mod store;
mod sync;
mod trust;
pub mod vault;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};

use odnowa_shared::api::{Access, LockView};
use odnowa_shared::conflicts::Conflict;
use odnowa_shared::document::{self, HistoryEntry};
use odnowa_shared::ids::{DeviceId, DocId, OrgId, PersonId, SiteId, SpaceId, UserId};
use odnowa_shared::protocol::{self, DevicePolicy, ReadReport, SpaceAccess};
use odnowa_shared::records::{DaySession, Record};
use odnowa_shared::time::{Date, Timestamp};

pub use error::{EngineError, Result};
use gate::Gate;
pub use link::StatsSnapshot;
use replica::Replica;
use store::{DocRow, LocalStore};
use sync::{META_ORG, META_POLICY, SyncClient};
pub use sync::{SyncPolicy, SyncReport, backoff_delay};
pub use trust::ServerTrust;
use vault::{KdfParams, Keyring, VaultError};

pub use odnowa_shared::api::MAX_PIN_ATTEMPTS;

/// Plain `meta` keys (nothing in them names a person); the sync client
/// keeps the policy and the organisation (`sync::META_POLICY`,
/// `sync::META_ORG`).
const META_LAST_CONTACT: &str = "last_contact";
const META_REVOKED: &str = "revoked";
/// The sealed identity (with the device token) in `secrets`.
const SECRET_IDENTITY: &str = "identity";

/// Who this device is, after enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub server: String,
    pub device: DeviceId,
    pub user: UserId,
    /// How people call this device's author: "marta · Telefon Marty".
    /// Written beside this device's changes (`document::Author`).
    pub author: String,
    #[serde(skip_serializing)]
    pub token: String,
}

impl Identity {
    fn as_author(&self) -> document::Author {
        document::Author {
            device: self.device,
            name: Some(self.author.clone()).filter(|name| !name.is_empty()),
        }
    }
}

/// What the screens show about sync: the one type the engine keeps and the
/// shell hands over ([`Engine::status`] leaves `records` at 0;
/// `Engine::sync_view` counts them).
pub use odnowa_shared::api::SyncView as SyncStatus;

/// The parts of an engine.
struct Inner {
    replica: Replica,
    gate: Gate,
    sync: SyncClient,
    identity: RwLock<Option<Identity>>,
    /// One PIN check at a time (each counts against the limit).
    unlocking: Mutex<()>,
    kdf: KdfParams,
    /// When each record shown by a screen that polls (the day-room board)
    /// was last reported as read: once per [`POLLED_READ_EVERY`].
    polled_reads: std::sync::Mutex<std::collections::HashMap<DocId, std::time::Instant>>,
}

/// A screen that polls reports its record as read at most this often.
const POLLED_READ_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// The device engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// Background tasks of an engine; they stop when this is dropped.
pub struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn now() -> Timestamp {
    Timestamp::now()
}

impl Engine {
    /// Opens (or creates) the replica in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<Engine> {
        Self::open_with(data_dir, SyncPolicy::default()).await
    }

    /// Opens with a sync policy (tests use short backoffs).
    pub async fn open_with(data_dir: &Path, policy: SyncPolicy) -> Result<Engine> {
        Self::open_trusting(data_dir, policy, ServerTrust::public()).await
    }

    /// Opens with a sync policy and the TLS roots the server's certificate
    /// must chain to (a private CA; a test's self-signed certificate).
    pub async fn open_trusting(
        data_dir: &Path,
        policy: SyncPolicy,
        trust: ServerTrust,
    ) -> Result<Engine> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            EngineError::Invalid(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let store = LocalStore::open(&data_dir.join("odnowa.sqlite")).await?;
        let device_policy = match store.meta(META_POLICY).await? {
            // Unreadable: the consortium's defaults until the next sync
            // brings the server's policy again, said in the log.
            Some(json) => serde_json::from_str(&json).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the kept device policy is unreadable; defaults until the next sync");
                DevicePolicy::default()
            }),
            None => DevicePolicy::default(),
        };
        let last_contact = store
            .meta(META_LAST_CONTACT)
            .await?
            .and_then(|ms| ms.parse().ok())
            .map(Timestamp);
        // An enrolled device always has a keyring; its identity is sealed,
        // so nothing is known of it until the PIN opens it.
        let access = if store.meta(META_REVOKED).await?.is_some() {
            Access::Revoked
        } else if store.keyring().await?.is_some() {
            Access::Locked
        } else {
            Access::New
        };
        let status = SyncStatus {
            enrolled: access != Access::New,
            revoked: access == Access::Revoked,
            access,
            ..SyncStatus::default()
        };
        let engine = Engine {
            inner: Arc::new(Inner {
                replica: Replica::new(store),
                gate: Gate::new(access, device_policy, last_contact),
                sync: SyncClient::new(policy, trust, status),
                identity: RwLock::new(None),
                unlocking: Mutex::new(()),
                kdf: KdfParams::default(),
                polled_reads: Default::default(),
            }),
        };
        engine.refresh_counts().await?;
        Ok(engine)
    }

    /// Closes the local database.
    pub async fn close(&self) {
        self.store().close().await
    }

    /// The local store.
    fn store(&self) -> &LocalStore {
        self.inner.replica.store()
    }

    // ---- enrolment and identity ----

    /// Enrols this device with `server` using a one-time `code`; `pin`
    /// will open its data from now on. Whatever an earlier enrolment left
    /// on the device is erased first.
    pub async fn enrol(
        &self,
        server: &str,
        code: &str,
        device_name: &str,
        pin: &str,
    ) -> Result<Identity> {
        if self.access() != Access::New {
            return Err(EngineError::AlreadyEnrolled);
        }
        vault::check_pin(pin)?;
        let server = server.trim().trim_end_matches('/').to_string();
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(EngineError::Invalid(
                "the server address starts with https:// (or http:// on a local network)".into(),
            ));
        }
        let response = self
            .inner
            .sync
            .http_client()?
            .post(format!(
                "{server}{}{}",
                protocol::ROUTE_PREFIX,
                protocol::ENROL_PATH
            ))
            .json(&protocol::Enrol {
                code: code.to_string(),
                device_name: device_name.to_string(),
            })
            .send()
            .await
            .map_err(link::offline)?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| EngineError::Refused(format!("unexpected answer ({status}): {e}")))?;
        if !status.is_success() {
            let message = body["error"]
                .as_str()
                .unwrap_or("enrolment refused")
                .to_string();
            return Err(match status {
                reqwest::StatusCode::FORBIDDEN => EngineError::BadCode(message),
                reqwest::StatusCode::TOO_MANY_REQUESTS => EngineError::TooManyAttempts(message),
                reqwest::StatusCode::BAD_REQUEST => EngineError::Invalid(message),
                _ => EngineError::Refused(message),
            });
        }
        let answer: protocol::Enrolled = serde_json::from_value(body)
            .map_err(|e| EngineError::Refused(format!("unexpected enrolment answer: {e}")))?;
        let (keyring, key) = self.derive(pin, None).await?;
        let identity = Identity {
            server: server.clone(),
            device: answer.device,
            user: answer.user,
            author: document::author_label(&answer.user_name, device_name),
            token: answer.token,
        };
        let stored = serde_json::to_string(&StoredIdentity::from(&identity))
            .map_err(|e| EngineError::Corrupt(e.to_string()))?;
        let store = self.store();
        store.wipe().await?;
        store.set_key(key);
        let mut tx = store.begin().await?;
        LocalStore::put_keyring(&mut tx, &keyring).await?;
        store.put_secret(&mut tx, SECRET_IDENTITY, &stored).await?;
        tx.commit().await?;
        self.reached_server().await?;
        self.open_identity(identity.clone()).await?;
        self.inner.sync.set_status(|s| {
            s.enrolled = true;
            s.revoked = false;
        });
        Ok(identity)
    }

    /// A new keyring for `pin` (`old` is `None`), or the data key of the
    /// stored keyring `old` if `pin` opens it. Argon2id runs off the
    /// async threads.
    async fn derive(
        &self,
        pin: &str,
        old: Option<Keyring>,
    ) -> Result<(Keyring, Option<vault::DataKey>)> {
        let pin = zeroize::Zeroizing::new(pin.to_owned());
        let params = self.inner.kdf;
        tokio::task::spawn_blocking(move || match old {
            None => Keyring::create(&pin, params).map(|(keyring, key)| (keyring, Some(key))),
            Some(keyring) => keyring.open(&pin).map(|key| (keyring, Some(key))),
        })
        .await
        .map_err(|e| EngineError::Corrupt(format!("key derivation stopped: {e}")))?
        .map_err(EngineError::from)
    }

    /// Makes `identity` this device's and opens the way to the server.
    async fn open_identity(&self, identity: Identity) -> Result<()> {
        self.inner
            .sync
            .connect(&identity.server, &identity.token)
            .await?;
        *self.inner.identity.write().await = Some(identity);
        self.inner.gate.open();
        Ok(())
    }

    /// Whether records may be shown now.
    pub fn access(&self) -> Access {
        self.inner.gate.access()
    }

    /// Refuses to go on unless records may be shown; `activity` (a tap,
    /// not a poll) keeps the app from locking for another while.
    pub fn gate(&self, activity: bool) -> Result<()> {
        self.inner.gate.check(activity)
    }

    /// The gate of a command that records (or shows what this user
    /// recorded): open, or stale, which it answers (`true`: show only
    /// this user's own records).
    pub fn recording(&self, activity: bool) -> Result<bool> {
        self.inner.gate.check_recording(activity)
    }

    /// The refusal of a record a stale device hides.
    pub(crate) fn hidden_while_stale(&self) -> EngineError {
        EngineError::Stale {
            days: self.inner.gate.stale_days().unwrap_or_default(),
        }
    }

    /// Opens the data with the PIN. Every attempt is counted before it is
    /// checked (closing the app mid-check gains nothing); the tenth wrong
    /// one in a row erases the local data.
    pub async fn unlock(&self, pin: &str) -> Result<()> {
        let _one = self.inner.unlocking.lock().await;
        match self.access() {
            Access::New => return Err(EngineError::NotEnrolled),
            Access::Revoked => return Err(EngineError::Revoked),
            Access::Open | Access::Stale | Access::Locked => {}
        }
        let store = self.store();
        let stored = store.keyring().await?.ok_or(EngineError::NotEnrolled)?;
        // A PIN no enrolment accepts cannot be the right one: refused
        // without spending an attempt (a slip of the finger on "Unlock").
        if vault::check_pin(pin).is_err() {
            return Err(EngineError::WrongPin {
                attempts_left: MAX_PIN_ATTEMPTS.saturating_sub(stored.failed),
            });
        }
        let failed = stored.failed.saturating_add(1);
        store.set_failed_pins(failed).await?;
        match self.derive(pin, Some(stored.keyring)).await {
            Ok((_, key)) => {
                store.set_failed_pins(0).await?;
                store.set_key(key);
                let identity = match self.identity().await {
                    Some(identity) => identity,
                    None => store
                        .secret(SECRET_IDENTITY)
                        .await?
                        .map(|json| serde_json::from_str::<StoredIdentity>(&json))
                        .transpose()
                        .map_err(|e| EngineError::Corrupt(format!("identity: {e}")))?
                        .ok_or(EngineError::Corrupt(
                            "no identity beside the keyring".into(),
                        ))?
                        .into(),
                };
                self.open_identity(identity).await?;
                self.refresh_counts().await
            }
            Err(EngineError::Vault(VaultError::WrongPin)) if failed >= MAX_PIN_ATTEMPTS => {
                let (pending, refused) = store.pending_counts().await?;
                tracing::warn!("{MAX_PIN_ATTEMPTS} wrong PINs: erasing the local data");
                self.reset().await?;
                Err(EngineError::Wiped {
                    lost: pending + refused,
                })
            }
            Err(EngineError::Vault(VaultError::WrongPin)) => Err(EngineError::WrongPin {
                attempts_left: MAX_PIN_ATTEMPTS - failed,
            }),
            Err(e) => Err(e),
        }
    }

    /// Locks the screens now. The data key stays in memory so that saved
    /// records keep syncing; the PIN opens the screens again.
    pub fn lock(&self) {
        self.inner.gate.lock();
    }

    /// Erases everything this device holds (keyring, records, identity)
    /// so it can be enrolled again.
    pub async fn reset(&self) -> Result<()> {
        let _edits = self.inner.replica.edits().await;
        self.inner.sync.disconnect().await;
        *self.inner.identity.write().await = None;
        self.store().wipe().await?;
        self.inner.gate.reset();
        self.inner.sync.set_status(|s| *s = SyncStatus::default());
        Ok(())
    }

    /// What the lock screen shows.
    pub async fn lock_view(&self) -> Result<LockView> {
        let access = self.access();
        let failed = match self.store().keyring().await? {
            Some(stored) => stored.failed,
            None => 0,
        };
        let (pending, refused) = self.store().pending_counts().await?;
        let (policy, last_contact) = self.inner.gate.policy();
        Ok(LockView {
            access,
            attempts_left: MAX_PIN_ATTEMPTS.saturating_sub(failed),
            unsynced: pending + refused,
            lock_secs: policy.lock_secs,
            stale_days: policy.stale_days,
            last_contact,
        })
    }

    /// The server was reached: the stale lock starts counting again.
    async fn reached_server(&self) -> Result<()> {
        let at = now();
        self.store()
            .set_meta(META_LAST_CONTACT, &at.0.to_string())
            .await?;
        self.inner.gate.reached(at);
        Ok(())
    }

    /// The server said this device is revoked: the data key leaves memory
    /// and the data stays locked until it is erased.
    async fn revoked_by_server(&self) {
        tracing::warn!("this device was revoked: locking its data");
        if let Err(e) = self.store().set_meta(META_REVOKED, "1").await {
            tracing::error!(error = %e, "could not record the revocation");
        }
        self.store().set_key(None);
        self.inner.sync.disconnect().await;
        self.inner.gate.revoke();
        self.inner.sync.set_status(|s| {
            s.revoked = true;
            s.live = false;
        });
    }

    /// This device's identity, if enrolled.
    pub async fn identity(&self) -> Option<Identity> {
        self.inner.identity.read().await.clone()
    }

    async fn require_identity(&self) -> Result<Identity> {
        self.identity().await.ok_or(EngineError::NotEnrolled)
    }

    /// The spaces this device may read (as of the last sync).
    pub async fn spaces(&self) -> Result<Vec<SpaceAccess>> {
        self.store().spaces().await
    }

    // ---- records ----

    /// Saves `record`: creates its document or writes the fields that
    /// differ. Returns once it is on disk.
    pub async fn save<R: Record>(&self, record: &R) -> Result<()> {
        self.save_all(std::slice::from_ref(record)).await
    }

    /// Saves several records in one local transaction (an import, a batch
    /// of ticks): all are on disk when this returns, or none.
    pub async fn save_all<R: Record>(&self, records: &[R]) -> Result<()> {
        let identity = self.require_identity().await?;
        if self
            .inner
            .replica
            .save_all(records, identity.as_author())
            .await?
        {
            self.refresh_counts().await?;
            self.inner.sync.wake();
        }
        Ok(())
    }

    /// Changes a stored record with `edit` and saves it.
    pub async fn update<R: Record>(&self, id: DocId, edit: impl FnOnce(&mut R)) -> Result<R> {
        let mut record: R = self.get(id).await?.ok_or(EngineError::NotFound(id))?;
        edit(&mut record);
        self.save(&record).await?;
        Ok(record)
    }

    /// A record by id.
    pub async fn get<R: Record>(&self, id: DocId) -> Result<Option<R>> {
        self.inner.replica.get(id).await
    }

    /// Every record of a kind. Records that do not read (written by a newer
    /// app in a way this one cannot follow) are skipped with a warning.
    pub async fn list<R: Record>(&self) -> Result<Vec<R>> {
        self.inner.replica.list().await
    }

    /// Today's (or any day's) session of a day room: opened from the
    /// deterministic genesis when this device has not seen it, so that
    /// tablets that open it offline all build on the same document.
    pub async fn open_day_session(
        &self,
        space: SpaceId,
        site: SiteId,
        date: Date,
    ) -> Result<DaySession> {
        self.require_identity().await?;
        let id = DocId::day_session(site, &date);
        if let Some(session) = self.get::<DaySession>(id).await? {
            return Ok(session);
        }
        let value = DaySession::genesis_value(space, site, date);
        self.inner.replica.open_day_session(&value).await?;
        self.refresh_counts().await?;
        Ok(value)
    }

    /// Marks a person present in a day session.
    pub async fn mark_present(&self, session: DocId, person: PersonId) -> Result<DaySession> {
        let identity = self.require_identity().await?;
        self.update::<DaySession>(session, |s| s.mark_present(person, identity.user, now()))
            .await
    }

    /// The stored row of record `id`, or [`EngineError::NotFound`].
    pub(crate) async fn row(&self, id: DocId) -> Result<DocRow> {
        self.inner.replica.row(id).await
    }

    /// Fields of a record that hold concurrent values.
    pub async fn conflicts(&self, id: DocId) -> Result<Vec<Conflict>> {
        self.inner.replica.conflicts(id).await
    }

    /// Keeps one of a field's concurrent values.
    pub async fn resolve_conflict(&self, id: DocId, path: &[String], change: &str) -> Result<()> {
        let identity = self.require_identity().await?;
        self.inner
            .replica
            .resolve_conflict(id, path, change, identity.as_author())
            .await?;
        self.refresh_counts().await?;
        self.inner.sync.wake();
        Ok(())
    }

    /// A record's history, oldest first.
    pub async fn history(&self, id: DocId) -> Result<Vec<HistoryEntry>> {
        self.inner.replica.history(id).await
    }

    /// Whether the server has confirmed every change of a record.
    pub async fn is_confirmed(&self, id: DocId) -> Result<bool> {
        self.inner.replica.is_confirmed(id).await
    }

    /// The current heads of a record (for comparing replicas).
    pub async fn heads(&self, id: DocId) -> Result<Vec<ChangeHash>> {
        self.inner.replica.heads(id).await
    }

    /// Bytes of a record's changes that the server has not confirmed.
    pub async fn pending_bytes(&self, id: DocId) -> Result<u64> {
        self.inner.replica.pending_bytes(id).await
    }

    /// The user's member organisation, as of the last sync.
    pub async fn own_org(&self) -> Result<Option<OrgId>> {
        Ok(self
            .store()
            .meta(META_ORG)
            .await?
            .and_then(|text| text.parse().ok()))
    }

    /// Remembers that the person opened record `doc` (a person's file, case
    /// notes, a contact with its notes); the next sync reports it to the
    /// server's audit log.
    pub async fn note_read(&self, doc: DocId) -> Result<()> {
        self.note_reads(&[doc]).await
    }

    /// [`Engine::note_read`] of every record one screen showed, in one
    /// local transaction.
    pub async fn note_reads(&self, docs: &[DocId]) -> Result<()> {
        let at = Timestamp::now();
        let reads: Vec<ReadReport> = docs.iter().map(|&doc| ReadReport { doc, at }).collect();
        self.store().note_reads(&reads).await
    }

    /// [`Engine::note_read`] for a screen that polls its record (the
    /// day-room board every few seconds): reported once, then again only
    /// after [`POLLED_READ_EVERY`], so the audit log says who looked at the
    /// board and when without a row per poll.
    pub async fn note_polled_read(&self, doc: DocId) -> Result<()> {
        let due = {
            let mut reads = match self.inner.polled_reads.lock() {
                Ok(reads) => reads,
                Err(poisoned) => poisoned.into_inner(),
            };
            let now = std::time::Instant::now();
            let due = reads
                .get(&doc)
                .is_none_or(|at| now.duration_since(*at) >= POLLED_READ_EVERY);
            if due {
                reads.insert(doc, now);
            }
            due
        };
        if due {
            self.note_read(doc).await?;
        }
        Ok(())
    }

    /// Reads not yet reported to the server.
    pub async fn unreported_reads(&self) -> Result<u64> {
        self.store().read_count().await
    }

    /// The request frame the next exchange would send, without sending it
    /// (for diagnostics, and for tests that replay a request).
    pub async fn outgoing_frame(&self) -> Result<Vec<u8>> {
        self.inner.sync.outgoing_frame(&self.inner.replica).await
    }

    /// How many documents the replica holds.
    pub async fn doc_count(&self) -> Result<u64> {
        self.store().doc_count().await
    }

    // ---- sync ----

    /// Network counters since the engine opened.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.sync.stats()
    }

    /// The sync status for the screens.
    pub fn status(&self) -> SyncStatus {
        self.inner.sync.status()
    }

    async fn refresh_counts(&self) -> Result<()> {
        self.inner.sync.refresh_counts(self.store()).await
    }

    /// Syncs until the server has nothing more: pushes what the server has
    /// not confirmed, pulls what this device lacks.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        let result = self
            .inner
            .sync
            .rounds(&self.inner.replica, &self.inner.gate)
            .await;
        match &result {
            Ok(_) => {
                self.reached_server().await?;
                self.inner.sync.set_status(|s| {
                    s.online = true;
                    s.last_sync = Some(now());
                    s.last_error = None;
                })
            }
            Err(EngineError::Revoked) => self.revoked_by_server().await,
            Err(e) => {
                let message = e.to_string();
                self.inner.sync.set_status(|s| {
                    s.online = false;
                    s.last_error = Some(message);
                })
            }
        }
        self.refresh_counts().await?;
        result
    }

    /// Starts background sync: after every save, on the server's pokes, and
    /// with backoff and jitter while the server cannot be reached.
    pub fn start(&self) -> Background {
        let sync_loop = {
            let engine = self.clone();
            tokio::spawn(async move { engine.sync_loop().await })
        };
        let socket_loop = {
            let engine = self.clone();
            tokio::spawn(async move { engine.socket_loop().await })
        };
        Background {
            tasks: vec![sync_loop, socket_loop],
        }
    }

    async fn sync_loop(&self) {
        let mut failures = 0u32;
        loop {
            let idle = self.inner.sync.policy.idle_interval;
            if self.identity().await.is_none() || self.status().revoked {
                self.inner.sync.woken(idle).await;
                continue;
            }
            match self.sync_now().await {
                Ok(_) => {
                    failures = 0;
                    self.inner.sync.woken(idle).await;
                }
                Err(e) => {
                    tracing::info!(error = %e, "sync failed; retrying later");
                    let delay = backoff_delay(&self.inner.sync.policy, failures);
                    failures = failures.saturating_add(1);
                    // A save while offline does not shorten the wait: the
                    // network is what we are waiting for.
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    async fn socket_loop(&self) {
        let mut failures = 0u32;
        loop {
            let Some(link) = self.inner.sync.link().await else {
                let wait = self
                    .inner
                    .sync
                    .policy
                    .backoff_max
                    .min(Duration::from_secs(5));
                tokio::time::sleep(wait).await;
                continue;
            };
            if self.status().revoked {
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            self.inner.sync.set_status(|s| s.live = false);
            let opened = std::time::Instant::now();
            let (live, mut updates) = tokio::sync::mpsc::channel(64);
            let socket = link.run_socket(self.inner.sync.waker(), live, || {
                self.inner.sync.set_status(|s| s.live = true)
            });
            // The server's live updates, taken one at a time as they come.
            let take = async {
                while let Some(update) = updates.recv().await {
                    let exchange = self
                        .inner
                        .sync
                        .take_live(&self.inner.replica, &update)
                        .await
                        .unwrap_or_else(|e| {
                            tracing::info!(error = %e, "a live update was not taken: syncing instead");
                            true
                        });
                    if exchange {
                        self.inner.sync.wake();
                    }
                }
            };
            let (result, ()) = tokio::join!(socket, take);
            self.inner.sync.set_status(|s| s.live = false);
            match result {
                Err(EngineError::Revoked) => {
                    self.revoked_by_server().await;
                    continue;
                }
                _ if opened.elapsed() > Duration::from_secs(30) => failures = 0,
                _ => failures = failures.saturating_add(1),
            }
            tokio::time::sleep(backoff_delay(&self.inner.sync.policy, failures)).await;
        }
    }
}

/// The identity as stored locally (with the token).
#[derive(Serialize, Deserialize)]
struct StoredIdentity {
    server: String,
    device: DeviceId,
    user: UserId,
    /// Identities stored before names were kept have none.
    #[serde(default)]
    author: String,
    token: String,
}

impl From<&Identity> for StoredIdentity {
    fn from(i: &Identity) -> Self {
        StoredIdentity {
            server: i.server.clone(),
            device: i.device,
            user: i.user,
            author: i.author.clone(),
            token: i.token.clone(),
        }
    }
}

impl From<StoredIdentity> for Identity {
    fn from(s: StoredIdentity) -> Self {
        Identity {
            server: s.server,
            device: s.device,
            user: s.user,
            author: s.author,
            token: s.token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_full_jitter_and_is_capped() {
        let policy = SyncPolicy {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            idle_interval: Duration::from_secs(60),
        };
        for attempt in 0..30 {
            let cap = Duration::from_millis(100)
                .saturating_mul(2u32.saturating_pow(attempt.min(20)))
                .min(Duration::from_secs(2));
            for _ in 0..20 {
                assert!(backoff_delay(&policy, attempt) <= cap);
            }
        }
        // Jitter: delays differ.
        let delays: std::collections::BTreeSet<_> =
            (0..50).map(|_| backoff_delay(&policy, 5)).collect();
        assert!(delays.len() > 10);
    }

    #[tokio::test]
    async fn saving_before_enrolment_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::open(dir.path()).await.expect("open");
        let person = odnowa_shared::records::Person::new("Ala", now());
        let err = engine.save(&person).await.expect_err("not enrolled");
        assert!(matches!(err, EngineError::NotEnrolled), "{err}");
    }
}
