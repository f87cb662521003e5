//! Limits on guessing enrolment codes.
//!
//! A code has ten characters from 31 (about 49 bits), so guessing one is
//! hopeless at any rate a server answers; the limit keeps it that way and
//! keeps the log readable. Only *wrong* codes count: a person who mistypes
//! twice is not slowed down. Per client address, at most
//! [`EnrolLimits::per_client`] wrong codes in a window; across all clients
//! (an attacker with many addresses), at most [`EnrolLimits::global`].
//! Over either, every enrolment is refused with `429 Too Many Requests`
//! and `Retry-After` until the window ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many wrong enrolment codes are tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrolLimits {
    pub per_client: u32,
    pub global: u32,
    pub window: Duration,
}

impl Default for EnrolLimits {
    fn default() -> Self {
        EnrolLimits {
            per_client: 10,
            global: 200,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// At most this many client addresses are tracked in one window; beyond
/// it, new addresses count only against the global limit.
const MAX_CLIENTS: usize = 10_000;

/// The counters of the current window.
#[derive(Debug)]
pub struct EnrolGuard {
    limits: EnrolLimits,
    state: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    global: u32,
    clients: HashMap<IpAddr, u32>,
}

impl EnrolGuard {
    pub fn new(limits: EnrolLimits) -> Self {
        EnrolGuard {
            limits,
            state: Mutex::new(Window {
                started: Instant::now(),
                global: 0,
                clients: HashMap::new(),
            }),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        let mut window = match self.state.lock() {
            Ok(window) => window,
            Err(poisoned) => poisoned.into_inner(),
        };
        if window.started.elapsed() >= self.limits.window {
            window.started = Instant::now();
            window.global = 0;
            window.clients.clear();
        }
        window
    }

    /// `Err(wait)` when `client` (or everybody) has guessed wrong too
    /// often in this window.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), Duration> {
        let window = self.window();
        let wait = self.limits.window.saturating_sub(window.started.elapsed());
        if window.global >= self.limits.global {
            return Err(wait);
        }
        match client.and_then(|ip| window.clients.get(&ip)) {
            Some(&count) if count >= self.limits.per_client => Err(wait),
            _ => Ok(()),
        }
    }

    /// Counts a wrong code from `client`.
    pub fn failed(&self, client: Option<IpAddr>) {
        let mut window = self.window();
        window.global = window.global.saturating_add(1);
        if let Some(ip) = client
            && (window.clients.len() < MAX_CLIENTS || window.clients.contains_key(&ip))
        {
            let count = window.clients.entry(ip).or_default();
            *count = count.saturating_add(1);
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
    fn a_client_is_stopped_after_its_wrong_codes_and_others_are_not() {
        let guard = EnrolGuard::new(EnrolLimits {
            per_client: 3,
            global: 100,
            window: Duration::from_secs(60),
        });
        for _ in 0..3 {
            assert!(guard.check(ip(1)).is_ok());
            guard.failed(ip(1));
        }
        let wait = guard.check(ip(1)).expect_err("limited");
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(50));
        assert!(guard.check(ip(2)).is_ok());
    }

    #[test]
    fn many_clients_together_meet_the_global_limit() {
        let guard = EnrolGuard::new(EnrolLimits {
            per_client: 3,
            global: 5,
            window: Duration::from_secs(60),
        });
        for last in 0..5 {
            guard.failed(ip(last));
        }
        assert!(guard.check(ip(200)).is_err());
        assert!(guard.check(None).is_err());
    }

    #[test]
    fn the_window_ends() {
        let guard = EnrolGuard::new(EnrolLimits {
            per_client: 1,
            global: 1,
            window: Duration::from_millis(20),
        });
        guard.failed(ip(1));
        assert!(guard.check(ip(1)).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(guard.check(ip(1)).is_ok());
    }
}
