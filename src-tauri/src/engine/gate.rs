//! The gate: whether the screens may show records now. A device is new
//! (not enrolled), locked (at start, and after the server's `DevicePolicy`
//! says it was idle too long), open, stale (the server not reached for as
//! many days as the policy allows) or revoked. The gate keeps the last tap,
//! the policy and when the server was last reached; one lock, held for a
//! few instructions and never across an await.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use odnowa_shared::api::Access;
use odnowa_shared::protocol::DevicePolicy;
use odnowa_shared::time::Timestamp;

use super::error::{EngineError, Result};

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
        let days = (Timestamp::now().0 - last.0).max(0) as u64 / 86_400_000;
        (days >= u64::from(self.policy.stale_days)).then_some(days)
    }
}

/// Whether the screens may read, and since when nobody tapped.
pub(crate) struct Gate {
    guard: Mutex<Guard>,
}

impl Gate {
    /// A gate in state `access`, with the kept policy and last contact.
    pub(crate) fn new(
        access: Access,
        policy: DevicePolicy,
        last_contact: Option<Timestamp>,
    ) -> Self {
        Gate {
            guard: Mutex::new(Guard {
                access,
                last_activity: Instant::now(),
                policy,
                last_contact,
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Guard) -> T) -> T {
        let mut guard = match self.guard.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Whether records may be shown now.
    pub(crate) fn access(&self) -> Access {
        self.with(Guard::current)
    }

    /// Refuses unless records may be shown; `activity` (a tap, not a poll)
    /// keeps the screens from locking for another while.
    pub(crate) fn check(&self, activity: bool) -> Result<()> {
        self.with(|g| match g.current() {
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

    /// Like [`Gate::check`], but a stale device goes on recording: it
    /// answers whether the device is stale, and then the screens show
    /// only what this device's user recorded (what others recorded stays
    /// hidden until the device reaches the server again).
    pub(crate) fn check_recording(&self, activity: bool) -> Result<bool> {
        self.with(|g| match g.current() {
            Access::New => Err(EngineError::NotEnrolled),
            Access::Locked => Err(EngineError::Locked),
            Access::Revoked => Err(EngineError::Revoked),
            access @ (Access::Open | Access::Stale) => {
                if activity {
                    g.last_activity = Instant::now();
                }
                Ok(access == Access::Stale)
            }
        })
    }

    /// Days without the server, when over the policy.
    pub(crate) fn stale_days(&self) -> Option<u64> {
        self.with(|g| g.stale_days())
    }

    /// The PIN opened the data.
    pub(crate) fn open(&self) {
        self.with(|g| {
            g.access = Access::Open;
            g.last_activity = Instant::now();
        });
    }

    /// Locks the screens now (an open or stale device).
    pub(crate) fn lock(&self) {
        self.with(|g| {
            if matches!(g.access, Access::Open | Access::Stale) {
                g.access = Access::Locked;
            }
        });
    }

    /// The device was erased: new, with the default policy.
    pub(crate) fn reset(&self) {
        self.with(|g| {
            g.access = Access::New;
            g.policy = DevicePolicy::default();
            g.last_contact = None;
        });
    }

    /// The server revoked the device.
    pub(crate) fn revoke(&self) {
        self.with(|g| g.access = Access::Revoked);
    }

    /// The server was reached at `at`: the stale lock counts from there.
    pub(crate) fn reached(&self, at: Timestamp) {
        self.with(|g| g.last_contact = Some(at));
    }

    /// Takes the server's policy; whether it differs from the one kept.
    pub(crate) fn adopt(&self, policy: DevicePolicy) -> bool {
        self.with(|g| {
            let changed = g.policy != policy;
            g.policy = policy;
            changed
        })
    }

    /// The policy kept and the last time the server was reached.
    pub(crate) fn policy(&self) -> (DevicePolicy, Option<Timestamp>) {
        self.with(|g| (g.policy, g.last_contact))
    }
}
