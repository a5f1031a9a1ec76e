//! Attempt limits for sign-in, setup and the actions that call a CRM: a sliding window per key
//! (a client address, a username, an account), kept in each instance's memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A limit: at most `max` attempts in `window`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// Attempts allowed.
    pub max: usize,
    /// Over how long.
    pub window: Duration,
}

/// Sign-in attempts from one client address: a contact center's agents often share one
/// address (NAT, a proxy) and sign in together at the start of a shift; a guess at one person's
/// password is held by the per-username limit.
pub const SIGN_IN_PER_CLIENT: Limit = Limit { max: 300, window: Duration::from_secs(60) };
/// Failed sign-ins for one username (a guess at one person's password from many addresses).
pub const FAILURES_PER_USERNAME: Limit = Limit { max: 10, window: Duration::from_secs(15 * 60) };
/// CRM actions (request token, test connection) per account.
pub const CRM_ACTIONS_PER_ACCOUNT: Limit = Limit { max: 20, window: Duration::from_secs(60) };
/// Agent token requests per agent.
pub const TOKENS_PER_AGENT: Limit = Limit { max: 60, window: Duration::from_secs(60) };
/// Call credentials per agent: the phone asks once per half-lifetime, and again after a refusal.
pub const CALL_CREDENTIALS_PER_AGENT: Limit = Limit { max: 20, window: Duration::from_secs(60) };

/// The attempts seen, by key.
#[derive(Default)]
pub struct Limiter {
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Limiter {
    /// Counts an attempt for `key`, or says how long to wait when the limit is reached.
    pub fn attempt(&self, key: &str, limit: Limit) -> Result<(), Duration> {
        self.check(key, limit, true)
    }

    /// Whether `key` may try now, without counting (failures are counted with [`Limiter::attempt`]).
    pub fn allows(&self, key: &str, limit: Limit) -> Result<(), Duration> {
        self.check(key, limit, false)
    }

    fn check(&self, key: &str, limit: Limit, count: bool) -> Result<(), Duration> {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        // Keys whose attempts all aged out go, so memory stays bounded by recent traffic.
        if seen.len() > 10_000 {
            seen.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < limit.window));
        }
        let times = seen.entry(key.to_owned()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= limit.window) {
            times.pop_front();
        }
        if times.len() >= limit.max {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(limit.window.saturating_sub(now.duration_since(oldest)));
        }
        if count {
            times.push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_past_the_limit_wait_for_the_window() {
        let limiter = Limiter::default();
        let limit = Limit { max: 2, window: Duration::from_secs(60) };
        assert!(limiter.attempt("a", limit).is_ok());
        assert!(limiter.allows("a", limit).is_ok());
        assert!(limiter.attempt("a", limit).is_ok());
        let wait = limiter.attempt("a", limit).expect_err("third");
        assert!(wait > Duration::from_secs(58) && wait <= Duration::from_secs(60));
        assert!(limiter.allows("a", limit).is_err());
        assert!(limiter.attempt("b", limit).is_ok(), "another key");
    }
}
