//! Limits on guessing: enrolment codes per client address, office
//! passwords per account and per client address.
//!
//! Each limit is a sliding window of failures per key ([`Limiter`]): at
//! most `limit` failures in `window`; past it, attempts are refused with
//! `429 Too Many Requests` and a `Retry-After` that says exactly when the
//! oldest failure leaves the window (one more attempt is allowed then; a
//! person is never locked out until a restart). Checking and counting are
//! one step under one lock, so concurrent requests never count past the
//! limit: [`Limiter::fail`] counts a failure only below the limit (an
//! enrolment code is looked up first: the lookup is cheap), and
//! [`Limiter::begin`] counts an attempt as a failure before it is tried
//! (a password check is not cheap) until [`Attempt::forgive`] takes it
//! back.
//!
//! Enrolment: a code has ten characters from 31 (about 49 bits), so
//! guessing one is hopeless at any rate a server answers; the limit keeps
//! it that way and the log readable. Only *unknown* codes count: a code
//! sent again after it was used (a retried request, a second tap), or one
//! that expired, is a real code and no guess. There is no limit across
//! all clients: a few addresses could otherwise stop enrolment for the
//! whole consortium. Phones behind one NAT (a training room on the
//! office's Wi-Fi) share an address, hence a limit of 20 mistyped codes
//! in 15 minutes.
//!
//! Office logins: per account (whatever address) and per address
//! (whatever account), unknown user names included, so a guesser learns
//! nothing from which names are limited.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many unknown enrolment codes are tolerated per client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrolLimits {
    pub per_client: u32,
    pub window: Duration,
}

impl Default for EnrolLimits {
    fn default() -> Self {
        EnrolLimits {
            per_client: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// How many wrong office passwords are tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Per user name, from any address.
    pub per_account: u32,
    /// Per client address, for any user name.
    pub per_client: u32,
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> Self {
        LoginLimits {
            per_account: 10,
            per_client: 30,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// At most this many keys are tracked; beyond it the one whose last
/// failure is oldest is forgotten (memory stays bounded under a flood of
/// addresses or names).
const MAX_KEYS: usize = 20_000;

/// Failures per key in a sliding window.
#[derive(Debug)]
pub struct Limiter<K> {
    limit: u32,
    window: Duration,
    failures: Mutex<HashMap<K, VecDeque<Instant>>>,
}

/// One attempt, counted as a failure until [`Attempt::forgive`].
#[derive(Debug)]
#[must_use = "an attempt counts as a failure unless forgiven"]
pub struct Attempt<'a, K: Hash + Eq + Clone> {
    limiter: &'a Limiter<K>,
    key: K,
    at: Instant,
}

impl<K: Hash + Eq + Clone> Attempt<'_, K> {
    /// The attempt was no guess (it succeeded, or named something real):
    /// it no longer counts.
    pub fn forgive(self) {
        let mut failures = self.limiter.lock();
        if let Some(times) = failures.get_mut(&self.key) {
            if let Some(i) = times.iter().position(|t| *t == self.at) {
                times.remove(i);
            }
            if times.is_empty() {
                failures.remove(&self.key);
            }
        }
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        Limiter {
            limit,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, VecDeque<Instant>>> {
        match self.failures.lock() {
            Ok(failures) => failures,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// `Err(wait)` when `key` has `limit` failures in the window (`wait`:
    /// when the oldest of them leaves it); counts nothing.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let now = Instant::now();
        let failures = self.lock();
        match failures.get(key) {
            Some(times) => {
                let live: Vec<&Instant> = times
                    .iter()
                    .filter(|t| now.duration_since(**t) < self.window)
                    .collect();
                if live.len() >= self.limit as usize {
                    let oldest = live.first().map_or(now, |t| **t);
                    Err(self.window.saturating_sub(now.duration_since(oldest)))
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Counts a failure for `key`, unless it already has `limit` in the
    /// window: then `Err(wait)` and nothing is counted (checking and
    /// counting are one step, so concurrent failures never count past the
    /// limit).
    pub fn fail(&self, key: K) -> Result<(), Duration> {
        self.begin(key).map(drop)
    }

    /// Counts an attempt for `key` as a failure, or `Err(wait)` when `key`
    /// already has `limit` failures in the window: `wait` is when the
    /// oldest of them leaves it.
    pub fn begin(&self, key: K) -> Result<Attempt<'_, K>, Duration> {
        let now = Instant::now();
        let mut failures = self.lock();
        let window = self.window;
        let times = failures.entry(key.clone()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            times.pop_front();
        }
        if times.len() >= self.limit as usize {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(window.saturating_sub(now.duration_since(oldest)));
        }
        times.push_back(now);
        if failures.len() > MAX_KEYS {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
            while failures.len() > MAX_KEYS {
                let stalest = failures
                    .iter()
                    .filter(|(k, _)| **k != key)
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(k, _)| k.clone());
                match stalest {
                    Some(k) => failures.remove(&k),
                    None => break,
                };
            }
        }
        Ok(Attempt {
            limiter: self,
            key,
            at: now,
        })
    }
}

/// Unknown enrolment codes per client address.
#[derive(Debug)]
pub struct EnrolGuard {
    per_client: Limiter<Option<IpAddr>>,
}

impl EnrolGuard {
    pub fn new(limits: EnrolLimits) -> Self {
        EnrolGuard {
            per_client: Limiter::new(limits.per_client, limits.window),
        }
    }

    /// `Err(wait)` when `client` guessed too often.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        self.per_client.check(&client)
    }

    /// Counts an unknown code from `client`; `Err(wait)` (and nothing
    /// counted) when it already reached the limit meanwhile.
    pub fn guessed(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        self.per_client.fail(client)
    }
}

/// Wrong office passwords per account and per client address.
#[derive(Debug)]
pub struct LoginGuard {
    per_account: Limiter<String>,
    per_client: Limiter<Option<IpAddr>>,
}

/// A login attempt, counted against its account and its address.
#[must_use = "an attempt counts as a failure unless forgiven"]
pub struct LoginAttempt<'a> {
    account: Attempt<'a, String>,
    client: Attempt<'a, Option<IpAddr>>,
}

impl LoginAttempt<'_> {
    /// The password was right: the attempt does not count.
    pub fn forgive(self) {
        self.account.forgive();
        self.client.forgive();
    }
}

impl LoginGuard {
    pub fn new(limits: LoginLimits) -> Self {
        LoginGuard {
            per_account: Limiter::new(limits.per_account, limits.window),
            per_client: Limiter::new(limits.per_client, limits.window),
        }
    }

    /// Counts a login as `name` from `client`, or `Err(wait)` when either
    /// has failed too often.
    pub fn begin(&self, name: &str, client: Option<IpAddr>) -> Result<LoginAttempt<'_>, Duration> {
        let name: String = name.trim().to_lowercase().chars().take(80).collect();
        let client = self.per_client.begin(client)?;
        match self.per_account.begin(name) {
            Ok(account) => Ok(LoginAttempt { account, client }),
            Err(wait) => {
                client.forgive();
                Err(wait)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, last]))
    }

    #[test]
    fn a_key_is_stopped_after_its_failures_and_others_are_not() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        for _ in 0..3 {
            let _counted = limiter.begin(ip(1)).expect("allowed");
        }
        let wait = limiter.begin(ip(1)).expect_err("limited");
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        let _other = limiter
            .begin(ip(2))
            .expect("another address is not limited");
    }

    #[test]
    fn failures_past_the_limit_are_not_counted() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        assert!(limiter.check(&ip(1)).is_ok());
        assert!(limiter.fail(ip(1)).is_ok());
        assert!(limiter.fail(ip(1)).is_ok());
        assert!(limiter.fail(ip(1)).is_err());
        assert!(limiter.check(&ip(1)).is_err());
        assert_eq!(limiter.lock().get(&ip(1)).map(VecDeque::len), Some(2));
    }

    #[test]
    fn a_forgiven_attempt_does_not_count() {
        let limiter = Limiter::new(2, Duration::from_secs(60));
        for _ in 0..10 {
            limiter.begin(ip(1)).expect("allowed").forgive();
        }
        let _one = limiter.begin(ip(1)).expect("allowed");
        let _two = limiter.begin(ip(1)).expect("allowed");
        assert!(limiter.begin(ip(1)).is_err());
    }

    #[test]
    fn concurrent_attempts_never_count_past_the_limit() {
        let limiter = std::sync::Arc::new(Limiter::new(10, Duration::from_secs(60)));
        let allowed = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for _ in 0..5 {
                        if let Ok(attempt) = limiter.begin(ip(1)) {
                            drop(attempt);
                            allowed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert_eq!(allowed.load(std::sync::atomic::Ordering::SeqCst), 10);
    }

    #[test]
    fn failures_leave_the_window_one_by_one() {
        let limiter = Limiter::new(1, Duration::from_millis(40));
        let _first = limiter.begin(ip(1)).expect("allowed");
        let wait = limiter.begin(ip(1)).expect_err("limited");
        assert!(wait <= Duration::from_millis(40));
        std::thread::sleep(wait + Duration::from_millis(5));
        let _again = limiter
            .begin(ip(1))
            .expect("the oldest failure left the window");
    }

    #[test]
    fn a_login_counts_against_the_account_and_the_address() {
        let guard = LoginGuard::new(LoginLimits {
            per_account: 2,
            per_client: 3,
            window: Duration::from_secs(60),
        });
        let _a = guard.begin("Ola", ip(1)).expect("allowed");
        let _b = guard.begin(" ola ", ip(2)).expect("allowed");
        assert!(guard.begin("OLA", ip(3)).is_err(), "the account is limited");
        let _c = guard.begin("piotr", ip(1)).expect("allowed");
        let _d = guard.begin("ewa", ip(1)).expect("allowed");
        assert!(
            guard.begin("marta", ip(1)).is_err(),
            "the address is limited"
        );
        guard.begin("marta", ip(4)).expect("allowed").forgive();
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_keys() {
        let limiter = Limiter::new(1, Duration::from_secs(60));
        for n in 0..(MAX_KEYS as u32 + 500) {
            let _ = limiter.begin(Some(IpAddr::from(n.to_be_bytes())));
        }
        assert!(limiter.lock().len() <= MAX_KEYS + 1);
    }
}
