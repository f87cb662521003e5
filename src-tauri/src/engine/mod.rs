//! The device engine: a local replica of the documents this device may
//! read, the typed API the screens call, and the sync client.
//!
//! Every save is written to SQLite before it returns; sync runs on every
//! save while online, on the server's pokes, and with exponential backoff
//! with jitter while not. The sync decisions themselves (what to push, what
//! is confirmed, applying pulls, cursors) are the sans-I/O functions of
//! `odnowa_shared::sync::replica`; this module carries them out.

mod error;
mod field;
mod link;
mod store;
mod trust;
pub mod vault;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::{Automerge, ChangeHash};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, Notify, RwLock};

use odnowa_shared::api::{Access, LockView, Progress};
use odnowa_shared::conflicts::{self, Conflict};
use odnowa_shared::document::{self, HistoryEntry};
use odnowa_shared::ids::{DeviceId, DocId, OrgId, PersonId, SiteId, SpaceId, UserId};
use odnowa_shared::protocol::{
    self, ClientMessage, DevicePolicy, DocPush, Purge, ReadReport, ServerMessage, SpaceAccess,
    SyncRequest, SyncResponse,
};
use odnowa_shared::records::{Catalogue, DaySession, Record};
use odnowa_shared::sync::device::{self, Held};
use odnowa_shared::sync::replica::{CursorBook, ReplicaDoc};
use odnowa_shared::time::{Date, Timestamp};
use odnowa_shared::validate::ValidationContext;

pub use error::{EngineError, Result};
pub use link::StatsSnapshot;
use link::{Link, Stats};
use store::{DocRow, LocalStore};
pub use trust::ServerTrust;
use vault::{KdfParams, Keyring, VaultError};

pub use odnowa_shared::api::MAX_PIN_ATTEMPTS;

/// Plain `meta` keys (nothing in them names a person).
const META_POLICY: &str = "policy";
const META_LAST_CONTACT: &str = "last_contact";
/// The user's member organisation, as the server last said (empty: none).
const META_ORG: &str = "org";
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

/// What one call of [`Engine::sync_now`] did.
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

struct Inner {
    store: LocalStore,
    identity: RwLock<Option<Identity>>,
    link: RwLock<Option<Arc<Link>>>,
    stats: Arc<Stats>,
    /// Held while a document is read, changed and written, and while a
    /// sync answer is applied.
    edits: Mutex<()>,
    /// One sync at a time.
    syncing: Mutex<()>,
    /// Erasures carried out and not yet confirmed to the server (the
    /// server asks again until they are, so losing them costs nothing).
    purged: std::sync::Mutex<Vec<Purge>>,
    wake: Arc<Notify>,
    status: std::sync::Mutex<SyncStatus>,
    policy: SyncPolicy,
    /// The certificates accepted from the server over TLS.
    trust: ServerTrust,
    /// Whether the screens may read, and since when nobody tapped.
    guard: std::sync::Mutex<Guard>,
    /// One PIN check at a time (each counts against the limit).
    unlocking: Mutex<()>,
    kdf: KdfParams,
}

/// The lock state.
struct Guard {
    access: Access,
    last_activity: Instant,
    policy: DevicePolicy,
    last_contact: Option<Timestamp>,
}

impl Guard {
    /// `access` brought up to date: locked after inactivity, stale after
    /// too long without the server.
    fn current(&mut self) -> Access {
        if matches!(self.access, Access::Open | Access::Stale) {
            let lock_after = Duration::from_secs(u64::from(self.policy.lock_secs));
            if self.last_activity.elapsed() >= lock_after {
                self.access = Access::Locked;
            } else {
                self.access = match self.stale_days() {
                    Some(_) => Access::Stale,
                    None => Access::Open,
                };
            }
        }
        self.access
    }

    /// Days since the server was last reached, when over the policy.
    fn stale_days(&self) -> Option<u64> {
        let last = self.last_contact?;
        let days = (now().0 - last.0).max(0) as u64 / 86_400_000;
        (days >= u64::from(self.policy.stale_days)).then_some(days)
    }
}

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

fn replica_of(row: &DocRow) -> Result<ReplicaDoc> {
    let doc = Automerge::load(&row.bytes)
        .map_err(|e| EngineError::Corrupt(format!("record {}: {e}", row.id)))?;
    Ok(ReplicaDoc {
        id: row.id,
        space: row.space,
        kind: row.kind,
        generation: row.generation,
        doc,
        confirmed: row.confirmed.clone(),
    })
}

fn row_of(replica: &ReplicaDoc, refused: Option<String>) -> DocRow {
    DocRow {
        id: replica.id,
        space: replica.space,
        kind: replica.kind,
        generation: replica.generation,
        bytes: replica.doc.save(),
        confirmed: replica.confirmed.clone(),
        dirty: !replica.is_confirmed(),
        refused,
    }
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
        let engine = Engine {
            inner: Arc::new(Inner {
                store,
                identity: RwLock::new(None),
                link: RwLock::new(None),
                stats: Arc::new(Stats::default()),
                edits: Mutex::new(()),
                syncing: Mutex::new(()),
                purged: std::sync::Mutex::new(Vec::new()),
                wake: Arc::new(Notify::new()),
                status: std::sync::Mutex::new(SyncStatus {
                    enrolled: access != Access::New,
                    revoked: access == Access::Revoked,
                    access,
                    ..SyncStatus::default()
                }),
                policy,
                trust,
                guard: std::sync::Mutex::new(Guard {
                    access,
                    last_activity: Instant::now(),
                    policy: device_policy,
                    last_contact,
                }),
                unlocking: Mutex::new(()),
                kdf: KdfParams::default(),
            }),
        };
        engine.refresh_counts().await?;
        Ok(engine)
    }

    /// Closes the local database.
    pub async fn close(&self) {
        self.inner.store.close().await
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
            .trust
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
        let store = &self.inner.store;
        store.wipe().await?;
        store.set_key(key);
        let mut tx = store.begin().await?;
        LocalStore::put_keyring(&mut tx, &keyring).await?;
        store.put_secret(&mut tx, SECRET_IDENTITY, &stored).await?;
        tx.commit().await?;
        self.reached_server().await?;
        self.open_identity(identity.clone()).await?;
        self.set_status(|s| {
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
        *self.inner.link.write().await = Some(Arc::new(Link::new(
            &identity.server,
            &identity.token,
            self.inner.stats.clone(),
            &self.inner.trust,
        )?));
        *self.inner.identity.write().await = Some(identity);
        self.with_guard(|g| {
            g.access = Access::Open;
            g.last_activity = Instant::now();
        });
        self.inner.wake.notify_one();
        Ok(())
    }

    fn with_guard<T>(&self, f: impl FnOnce(&mut Guard) -> T) -> T {
        let mut guard = match self.inner.guard.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Whether records may be shown now.
    pub fn access(&self) -> Access {
        self.with_guard(Guard::current)
    }

    /// Refuses to go on unless records may be shown; `activity` (a tap,
    /// not a poll) keeps the app from locking for another while.
    pub fn gate(&self, activity: bool) -> Result<()> {
        self.with_guard(|g| match g.current() {
            Access::New => Err(EngineError::NotEnrolled),
            Access::Locked => Err(EngineError::Locked),
            Access::Revoked => Err(EngineError::Revoked),
            Access::Stale => Err(EngineError::Stale {
                days: g.stale_days().unwrap_or_default(),
            }),
            Access::Open => {
                if activity {
                    g.last_activity = Instant::now();
                }
                Ok(())
            }
        })
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
        let store = &self.inner.store;
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
        self.with_guard(|g| {
            if matches!(g.access, Access::Open | Access::Stale) {
                g.access = Access::Locked;
            }
        });
    }

    /// Erases everything this device holds (keyring, records, identity)
    /// so it can be enrolled again.
    pub async fn reset(&self) -> Result<()> {
        let _edits = self.inner.edits.lock().await;
        *self.inner.link.write().await = None;
        *self.inner.identity.write().await = None;
        self.inner.store.wipe().await?;
        self.with_guard(|g| {
            g.access = Access::New;
            g.policy = DevicePolicy::default();
            g.last_contact = None;
        });
        self.set_status(|s| *s = SyncStatus::default());
        Ok(())
    }

    /// What the lock screen shows.
    pub async fn lock_view(&self) -> Result<LockView> {
        let access = self.access();
        let failed = match self.inner.store.keyring().await? {
            Some(stored) => stored.failed,
            None => 0,
        };
        let (pending, refused) = self.inner.store.pending_counts().await?;
        let (policy, last_contact) = self.with_guard(|g| (g.policy, g.last_contact));
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
        self.inner
            .store
            .set_meta(META_LAST_CONTACT, &at.0.to_string())
            .await?;
        self.with_guard(|g| g.last_contact = Some(at));
        Ok(())
    }

    /// The server said this device is revoked: the data key leaves memory
    /// and the data stays locked until it is erased.
    async fn revoked_by_server(&self) {
        tracing::warn!("this device was revoked: locking its data");
        if let Err(e) = self.inner.store.set_meta(META_REVOKED, "1").await {
            tracing::error!(error = %e, "could not record the revocation");
        }
        self.inner.store.set_key(None);
        *self.inner.link.write().await = None;
        self.with_guard(|g| g.access = Access::Revoked);
        self.set_status(|s| {
            s.revoked = true;
            s.live = false;
        });
    }

    /// Takes the server's device policy when it differs from the one kept.
    async fn adopt_policy(&self, policy: DevicePolicy) -> Result<()> {
        let changed = self.with_guard(|g| {
            let changed = g.policy != policy;
            g.policy = policy;
            changed
        });
        if changed {
            let json =
                serde_json::to_string(&policy).map_err(|e| EngineError::Corrupt(e.to_string()))?;
            self.inner.store.set_meta(META_POLICY, &json).await?;
        }
        Ok(())
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
        self.inner.store.spaces().await
    }

    // ---- records ----

    async fn validation_context(&self) -> Result<ValidationContext> {
        match self.get::<Catalogue>(DocId::catalogue()).await? {
            Some(catalogue) => Ok(ValidationContext::with_services(
                catalogue.services.keys().cloned(),
            )),
            None => Ok(ValidationContext::default()),
        }
    }

    /// Saves `record`: creates its document or writes the fields that
    /// differ. Returns once it is on disk.
    pub async fn save<R: Record>(&self, record: &R) -> Result<()> {
        self.save_all(std::slice::from_ref(record)).await
    }

    /// Saves several records in one local transaction (an import, a batch
    /// of ticks): all are on disk when this returns, or none.
    pub async fn save_all<R: Record>(&self, records: &[R]) -> Result<()> {
        let identity = self.require_identity().await?;
        let ctx = self.validation_context().await?;
        for record in records {
            record.validate(&ctx).map_err(document::DocError::from)?;
        }
        let edits = self.inner.edits.lock().await;
        let at = now();
        let mut replicas = Vec::with_capacity(records.len());
        for record in records {
            match self.inner.store.doc(record.doc_id()).await? {
                Some(row) => {
                    let mut replica = replica_of(&row)?;
                    if document::write(&mut replica.doc, record, identity.as_author(), at, "edit")?
                        .is_some()
                    {
                        replicas.push(replica);
                    }
                }
                None => {
                    let doc = document::create(record, identity.as_author(), at)?;
                    let header = document::header(&doc)?;
                    replicas.push(ReplicaDoc::local(header, 0, doc));
                }
            }
        }
        if replicas.is_empty() {
            return Ok(());
        }
        let mut tx = self.inner.store.begin().await?;
        for replica in &replicas {
            self.inner
                .store
                .put_doc(&mut tx, &row_of(replica, None), at.0)
                .await?;
        }
        tx.commit().await?;
        drop(edits);
        self.refresh_counts().await?;
        self.inner.wake.notify_one();
        Ok(())
    }

    async fn put(&self, replica: &ReplicaDoc, refused: Option<String>) -> Result<()> {
        let mut tx = self.inner.store.begin().await?;
        self.inner
            .store
            .put_doc(&mut tx, &row_of(replica, refused), now().0)
            .await?;
        tx.commit().await?;
        self.refresh_counts().await
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
        match self.inner.store.doc(id).await? {
            Some(row) if row.kind == R::KIND => Ok(Some(document::read(&replica_of(&row)?.doc)?)),
            Some(row) => Err(document::DocError::WrongKind {
                expected: R::KIND,
                found: row.kind,
            }
            .into()),
            None => Ok(None),
        }
    }

    /// Every record of a kind. Records that do not read (written by a newer
    /// app in a way this one cannot follow) are skipped with a warning.
    pub async fn list<R: Record>(&self) -> Result<Vec<R>> {
        let rows = self.inner.store.docs_of_kind(R::KIND).await?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            match replica_of(&row).and_then(|r| Ok(document::read::<R>(&r.doc)?)) {
                Ok(record) => records.push(record),
                Err(e) => tracing::warn!(doc = %row.id, error = %e, "record skipped"),
            }
        }
        Ok(records)
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
        let _edits = self.inner.edits.lock().await;
        if self.inner.store.doc(id).await?.is_none() {
            let doc = document::genesis(&value)?;
            let header = document::header(&doc)?;
            self.put(&ReplicaDoc::local(header, 0, doc), None).await?;
        }
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
        self.inner
            .store
            .doc(id)
            .await?
            .ok_or(EngineError::NotFound(id))
    }

    /// Fields of a record that hold concurrent values.
    pub async fn conflicts(&self, id: DocId) -> Result<Vec<Conflict>> {
        let row = self.row(id).await?;
        Ok(conflicts::conflicts(&replica_of(&row)?.doc))
    }

    /// Keeps one of a field's concurrent values.
    pub async fn resolve_conflict(&self, id: DocId, path: &[String], change: &str) -> Result<()> {
        let identity = self.require_identity().await?;
        let _edits = self.inner.edits.lock().await;
        let row = self.row(id).await?;
        let mut replica = replica_of(&row)?;
        conflicts::resolve(&mut replica.doc, path, change, identity.as_author(), now())
            .map_err(|e| EngineError::Invalid(e.to_string()))?;
        self.put(&replica, None).await?;
        drop(_edits);
        self.inner.wake.notify_one();
        Ok(())
    }

    /// A record's history, oldest first.
    pub async fn history(&self, id: DocId) -> Result<Vec<HistoryEntry>> {
        let row = self.row(id).await?;
        Ok(document::history(&replica_of(&row)?.doc))
    }

    /// Whether the server has confirmed every change of a record.
    pub async fn is_confirmed(&self, id: DocId) -> Result<bool> {
        let row = self.row(id).await?;
        Ok(!row.dirty)
    }

    /// The current heads of a record (for comparing replicas).
    pub async fn heads(&self, id: DocId) -> Result<Vec<ChangeHash>> {
        let row = self.row(id).await?;
        let mut heads = replica_of(&row)?.doc.get_heads();
        heads.sort();
        Ok(heads)
    }

    /// Bytes of a record's changes that the server has not confirmed.
    pub async fn pending_bytes(&self, id: DocId) -> Result<u64> {
        let row = self.row(id).await?;
        Ok(replica_of(&row)?
            .pending()
            .iter()
            .map(|c| c.raw_bytes().len() as u64)
            .sum())
    }

    async fn adopt_org(&self, org: Option<OrgId>) -> Result<()> {
        let text = org.map(|o| o.to_string()).unwrap_or_default();
        if self.inner.store.meta(META_ORG).await?.as_deref() != Some(text.as_str()) {
            self.inner.store.set_meta(META_ORG, &text).await?;
        }
        Ok(())
    }

    /// The user's member organisation, as of the last sync.
    pub async fn own_org(&self) -> Result<Option<OrgId>> {
        Ok(self
            .inner
            .store
            .meta(META_ORG)
            .await?
            .and_then(|text| text.parse().ok()))
    }

    /// Remembers that the person opened record `doc` (a person's file, case
    /// notes, a contact with its notes); the next sync reports it to the
    /// server's audit log.
    pub async fn note_read(&self, doc: DocId) -> Result<()> {
        self.inner
            .store
            .note_read(&ReadReport {
                doc,
                at: Timestamp::now(),
            })
            .await
    }

    /// Reads not yet reported to the server.
    pub async fn unreported_reads(&self) -> Result<u64> {
        self.inner.store.read_count().await
    }

    /// The request frame the next exchange would send, without sending it
    /// (for diagnostics, and for tests that replay a request).
    pub async fn outgoing_frame(&self) -> Result<Vec<u8>> {
        let (pushes, _) = self.pushes().await?;
        let request = SyncRequest {
            request_id: 0,
            cursors: self.inner.store.cursors().await?,
            pushes,
            max_response_bytes: 0,
            reads: Vec::new(),
            purged: Vec::new(),
        };
        Ok(protocol::encode(&ClientMessage::Sync(request))?)
    }

    /// How many documents the replica holds.
    pub async fn doc_count(&self) -> Result<u64> {
        self.inner.store.doc_count().await
    }

    // ---- sync ----

    /// Network counters since the engine opened.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// The sync status for the screens.
    pub fn status(&self) -> SyncStatus {
        self.inner
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    fn set_status(&self, change: impl FnOnce(&mut SyncStatus)) {
        if let Ok(mut status) = self.inner.status.lock() {
            change(&mut status);
        }
    }

    async fn refresh_counts(&self) -> Result<()> {
        let (pending, refused) = self.inner.store.pending_counts().await?;
        self.set_status(|s| {
            s.pending = pending;
            s.refused = refused;
        });
        Ok(())
    }

    /// Syncs until the server has nothing more: pushes what the server has
    /// not confirmed, pulls what this device lacks.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        let result = self.sync_rounds().await;
        match &result {
            Ok(_) => {
                self.reached_server().await?;
                self.set_status(|s| {
                    s.online = true;
                    s.last_sync = Some(now());
                    s.last_error = None;
                })
            }
            Err(EngineError::Revoked) => self.revoked_by_server().await,
            Err(e) => {
                let revoked = matches!(e, EngineError::Revoked);
                let message = e.to_string();
                self.set_status(|s| {
                    s.online = false;
                    s.last_error = Some(message);
                    s.revoked |= revoked;
                })
            }
        }
        self.refresh_counts().await?;
        result
    }

    async fn sync_rounds(&self) -> Result<SyncReport> {
        if self.access() == Access::Revoked {
            return Err(EngineError::Revoked);
        }
        let _syncing = self.inner.syncing.lock().await;
        let link = self
            .inner
            .link
            .read()
            .await
            .clone()
            .ok_or(EngineError::NotEnrolled)?;
        let mut report = SyncReport::default();
        let mut request_id = 0u64;
        loop {
            request_id += 1;
            let (pushes, more_to_push) = self.pushes().await?;
            let reads = self.inner.store.pending_reads(protocol::MAX_READS).await?;
            let reads_upto = reads.last().map(|(id, _)| *id);
            let (purged, more_purged) = self.take_purged();
            let more_to_push = more_to_push || reads.len() == protocol::MAX_READS || more_purged;
            let request = SyncRequest {
                request_id,
                cursors: self.inner.store.cursors().await?,
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
                ServerMessage::Error(e) if e.code == protocol::ErrorCode::Revoked => {
                    return Err(EngineError::Revoked);
                }
                ServerMessage::Error(e) => return Err(EngineError::Refused(e.message)),
                ServerMessage::Poke(_) => {
                    return Err(EngineError::Refused("a poke instead of an answer".into()));
                }
            };
            if let Some(policy) = response.policy {
                self.adopt_policy(policy).await?;
            }
            self.adopt_org(response.org).await?;
            // The server logged the reports with its answer.
            if let Some(upto) = reads_upto {
                self.inner.store.forget_reads(upto).await?;
            }
            report.pushed_docs += request.pushes.len() as u64;
            report.pulled_updates += response.updates.len() as u64;
            let retry = self
                .apply_response(&request.pushes, &response, &mut report)
                .await?;
            if let Some(total) = response.total_docs {
                let done = self.inner.store.doc_count().await?;
                self.set_status(|s| {
                    s.first_sync = Some(Progress {
                        done,
                        total: total.max(done),
                    })
                });
            }
            if !response.more && !more_to_push && !retry {
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

    /// Purge confirmations for the next request (at most
    /// [`protocol::MAX_PURGES`]), and whether more wait.
    fn take_purged(&self) -> (Vec<Purge>, bool) {
        let mut pending = match self.inner.purged.lock() {
            Ok(pending) => pending,
            Err(poisoned) => poisoned.into_inner(),
        };
        let n = pending.len().min(protocol::MAX_PURGES);
        let taken: Vec<Purge> = pending.drain(..n).collect();
        (taken, !pending.is_empty())
    }

    /// Pushes for the documents with unconfirmed changes, within one frame.
    async fn pushes(&self) -> Result<(Vec<DocPush>, bool)> {
        let rows = self.inner.store.dirty_docs().await?;
        let held = rows.into_iter().map(|row| {
            Ok(Held {
                replica: replica_of(&row)?,
                refused: row.refused,
            })
        });
        device::pushes(held, device::PUSH_BUDGET)
    }

    /// Applies an answer in one local transaction, as
    /// [`device::answer`] decides; returns whether another exchange is
    /// needed at once.
    async fn apply_response(
        &self,
        pushes: &[DocPush],
        response: &SyncResponse,
        report: &mut SyncReport,
    ) -> Result<bool> {
        let _edits = self.inner.edits.lock().await;
        let mut held = std::collections::BTreeMap::new();
        for doc in device::concerned(pushes, response) {
            if let Some(row) = self.inner.store.doc(doc).await? {
                let replica = replica_of(&row)?;
                let refused = row.refused;
                held.insert(doc, Held { replica, refused });
            }
        }
        let mut book = CursorBook::from_cursors(self.inner.store.cursors().await?);
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
        let mut tx = self.inner.store.begin().await?;
        let at = now().0;
        for doc in &effects.delete {
            LocalStore::delete_doc(&mut tx, *doc).await?;
        }
        for copy in &effects.store {
            self.inner
                .store
                .put_doc(&mut tx, &row_of(&copy.replica, copy.refused.clone()), at)
                .await?;
        }
        for space in &effects.unconfirm_spaces {
            tracing::warn!(%space, "the server's feed was restored: pushing everything again");
            LocalStore::unconfirm_space(&mut tx, *space).await?;
        }
        LocalStore::put_cursors(&mut tx, &book.cursors(), &response.spaces).await?;
        tx.commit().await?;
        if !effects.purged.is_empty() {
            let mut pending = match self.inner.purged.lock() {
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
            if self.identity().await.is_none() || self.status().revoked {
                let _ = tokio::time::timeout(
                    self.inner.policy.idle_interval,
                    self.inner.wake.notified(),
                )
                .await;
                continue;
            }
            match self.sync_now().await {
                Ok(_) => {
                    failures = 0;
                    let _ = tokio::time::timeout(
                        self.inner.policy.idle_interval,
                        self.inner.wake.notified(),
                    )
                    .await;
                }
                Err(e) => {
                    tracing::info!(error = %e, "sync failed; retrying later");
                    let delay = backoff_delay(&self.inner.policy, failures);
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
            let link = self.inner.link.read().await.clone();
            let Some(link) = link else {
                tokio::time::sleep(self.inner.policy.backoff_max.min(Duration::from_secs(5))).await;
                continue;
            };
            if self.status().revoked {
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
            self.set_status(|s| s.live = false);
            let opened = std::time::Instant::now();
            let result = link
                .run_socket(self.inner.wake.clone(), || {
                    self.set_status(|s| s.live = true)
                })
                .await;
            self.set_status(|s| s.live = false);
            match result {
                Err(EngineError::Revoked) => {
                    self.revoked_by_server().await;
                    continue;
                }
                _ if opened.elapsed() > Duration::from_secs(30) => failures = 0,
                _ => failures = failures.saturating_add(1),
            }
            tokio::time::sleep(backoff_delay(&self.inner.policy, failures)).await;
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
