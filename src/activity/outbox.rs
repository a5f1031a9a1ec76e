//! The outbox of call logs: each finished call's log waits here until the CRM has it. Pure: the
//! shell stores [`Outbox::entries`] durably after every change and before the first attempt,
//! posts what [`Outbox::due`] hands out, and reports each answer with [`Outbox::settle`].
//!
//! The SIP Call-ID keys each log. A post whose outcome nobody learnt (the network broke
//! mid-request, the page went away, the request timed out) may have reached the CRM, so every
//! later post of that log is an update of the Call-ID's log rather than a second log: a retry
//! never duplicates.

use serde::{Deserialize, Serialize};
use sip::agent::{Backoff, RetryPolicy};
use sip::random::Random;

use crate::i18n::t_args;

/// How posting retries after a failure: a first delay of up to 2 s doubling to 5 minutes,
/// jittered, and never giving up on its own (the agent sees failures and may retry at once).
pub const POST_RETRY: RetryPolicy = RetryPolicy { first: 2_000, max: 300_000, limit: u32::MAX };
/// How long a post may go unanswered before its outcome counts as unknown.
pub const POST_TIMEOUT_MS: u64 = 30_000;
/// Posts in flight at once: an outbox full after an outage drains steadily without flooding the
/// CRM.
pub const MAX_IN_FLIGHT: usize = 4;
/// Logs held at most. Reaching it means the CRM has taken nothing for a very long time; a new
/// log is then refused with an error the agent sees, never dropped in silence.
pub const CAPACITY: usize = 5_000;
/// Failures in a row after which a log shows as failed to the agent (it keeps being retried).
pub const SHOWN_FAILED_AFTER: u32 = 3;

/// What the CRM (or the way to it) answered a post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostOutcome {
    /// The CRM has the log.
    Posted,
    /// No answer: a network error, a timeout, the page leaving. The log may be there.
    Unknown(String),
    /// A refusal that may pass (429, 5xx): retried after the backoff, or the server's
    /// `Retry-After` when it is longer.
    Busy { reason: String, retry_after_ms: Option<u64> },
    /// A refusal that retrying will not change (a CORS rule missing, a record refused): the log
    /// waits for the agent's Retry once the cause is mended.
    Refused(String),
    /// The access token is missing or expired: every log waits until the agent authorises again.
    Unauthorised,
    /// No CRM to post to (the pop-out with no host page): every log waits until one attaches.
    NoHost,
}

/// Where one log stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogState {
    /// The agent is still wrapping the call up: kept, not posted until [`Outbox::add`] says it
    /// is complete (or a reload finds it: then what was entered so far is posted).
    WrappingUp,
    /// Waiting for its next attempt, at `due_at` (ms since 1970).
    Queued { due_at: u64 },
    /// A post in flight since `since`.
    Posting { since: u64 },
    /// Refused for a reason retrying will not change; waits for the agent.
    Refused,
}

/// Why nothing is posted at all for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hold {
    /// The agent must authorise again (the token expired or was refused).
    Unauthorised,
    /// No CRM page is attached.
    NoHost,
}

/// One call's log and its delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry<T> {
    /// The SIP Call-ID.
    pub key: String,
    /// What is posted.
    pub log: T,
    /// Where it stands.
    pub state: LogState,
    /// Whether an earlier post may have created it: later posts update it by its key.
    pub may_exist: bool,
    /// Changed since the post in flight left (wrap-up went on): posted again once that one
    /// settles.
    pub changed: bool,
    /// The last failure, in words for the agent.
    pub last_error: Option<String>,
    /// Failures in a row.
    pub backoff: Backoff,
}

/// One post to make now.
#[derive(Clone, Debug, PartialEq)]
pub struct Post<T> {
    /// The SIP Call-ID, the CRM's idempotency key.
    pub key: String,
    /// The log as it stands now.
    pub log: T,
    /// Update the log with this key (an earlier post may have created it), rather than create.
    pub update: bool,
}

/// What went wrong with the outbox itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutboxError {
    /// [`CAPACITY`] logs are waiting already.
    Full,
}

impl std::fmt::Display for OutboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutboxError::Full => f.write_str(&t_args("crm.outbox.full", &[("count", &CAPACITY.to_string())])),
        }
    }
}

impl std::error::Error for OutboxError {}

/// The call logs not yet delivered, in the order their calls ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outbox<T> {
    entries: Vec<Entry<T>>,
    hold: Option<Hold>,
}

impl<T> Default for Outbox<T> {
    fn default() -> Self {
        Outbox { entries: Vec::new(), hold: None }
    }
}

impl<T: Clone> Outbox<T> {
    /// The outbox as stored before a reload or a crash. Posts that were in flight then have an
    /// unknown outcome: they are due at once, as updates. A hold belonged to the page that found
    /// it (its token, its host): the new page finds its own.
    pub fn restore(mut stored: Outbox<T>, now: u64) -> Outbox<T> {
        stored.hold = None;
        for entry in &mut stored.entries {
            match entry.state {
                LogState::Posting { .. } => {
                    entry.state = LogState::Queued { due_at: now };
                    entry.may_exist = true;
                }
                LogState::WrappingUp => entry.state = LogState::Queued { due_at: now },
                LogState::Queued { .. } | LogState::Refused => {}
            }
        }
        stored
    }

    /// Every log not yet delivered, oldest first (what the shell stores, and the Activity list).
    pub fn entries(&self) -> &[Entry<T>] {
        &self.entries
    }

    /// Why nothing is posted for now, if something holds the whole outbox.
    pub fn hold(&self) -> Option<Hold> {
        self.hold
    }

    /// Keeps a finished call's log while the agent wraps it up; the same key again replaces
    /// the draft. Never posted until [`Outbox::add`] completes it.
    pub fn draft(&mut self, key: String, log: T) -> Result<(), OutboxError> {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.key == key) {
            if entry.state == LogState::WrappingUp {
                entry.log = log;
            }
            return Ok(());
        }
        self.push(key, log, LogState::WrappingUp)
    }

    /// Adds a finished call's log, due at once; the same key again replaces the log (wrap-up
    /// went on), posted as an update if an earlier post may have created it.
    pub fn add(&mut self, key: String, log: T, now: u64) -> Result<(), OutboxError> {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.key == key) {
            entry.log = log;
            match entry.state {
                LogState::Posting { .. } => entry.changed = true,
                _ => entry.state = LogState::Queued { due_at: now },
            }
            return Ok(());
        }
        self.push(key, log, LogState::Queued { due_at: now })
    }

    fn push(&mut self, key: String, log: T, state: LogState) -> Result<(), OutboxError> {
        if self.entries.len() >= CAPACITY {
            return Err(OutboxError::Full);
        }
        let backoff = Backoff::default();
        self.entries.push(Entry { key, log, state, may_exist: false, changed: false, last_error: None, backoff });
        Ok(())
    }

    /// The posts to make now, oldest first, at most [`MAX_IN_FLIGHT`] in flight; none while the
    /// outbox is held. A post unanswered for [`POST_TIMEOUT_MS`] counts as unknown first.
    pub fn due(&mut self, now: u64, random: &mut dyn Random) -> Vec<Post<T>> {
        let timed_out: Vec<String> = self
            .entries
            .iter()
            .filter(|e| matches!(e.state, LogState::Posting { since } if now.saturating_sub(since) >= POST_TIMEOUT_MS))
            .map(|e| e.key.clone())
            .collect();
        for key in timed_out {
            let seconds = (POST_TIMEOUT_MS / 1_000).to_string();
            let reason = t_args("crm.outbox.no-answer", &[("seconds", &seconds)]);
            self.settle(&key, PostOutcome::Unknown(reason), now, random);
        }
        if self.hold.is_some() {
            return Vec::new();
        }
        let in_flight = self.entries.iter().filter(|e| matches!(e.state, LogState::Posting { .. })).count();
        let mut posts = Vec::new();
        for entry in &mut self.entries {
            if in_flight + posts.len() >= MAX_IN_FLIGHT {
                break;
            }
            if matches!(entry.state, LogState::Queued { due_at } if due_at <= now) {
                entry.state = LogState::Posting { since: now };
                entry.changed = false;
                posts.push(Post { key: entry.key.clone(), log: entry.log.clone(), update: entry.may_exist });
            }
        }
        posts
    }

    /// When [`Outbox::due`] next has something to hand out (ms since 1970): the earliest queued
    /// log, or a post in flight timing out; none while held or empty.
    pub fn next_due(&self) -> Option<u64> {
        let timeouts = self.entries.iter().filter_map(|e| match e.state {
            LogState::Posting { since } => Some(since + POST_TIMEOUT_MS),
            _ => None,
        });
        // With every slot in flight, a queued log waits for a post to settle (which wakes the
        // shell), not for its due time: otherwise the shell would spin until then.
        let in_flight = self.entries.iter().filter(|e| matches!(e.state, LogState::Posting { .. })).count();
        let may_send = self.hold.is_none() && in_flight < MAX_IN_FLIGHT;
        let queued = self.entries.iter().filter_map(|e| match e.state {
            LogState::Queued { due_at } if may_send => Some(due_at),
            _ => None,
        });
        timeouts.chain(queued).min()
    }

    /// Records what the post of `key` got. An answer for a log not in flight (it timed out and
    /// was posted again meanwhile, or the agent retried it) changes nothing but a delivery.
    pub fn settle(&mut self, key: &str, outcome: PostOutcome, now: u64, random: &mut dyn Random) {
        let Some(index) = self.entries.iter().position(|e| e.key == key) else { return };
        let entry = &mut self.entries[index];
        let in_flight = matches!(entry.state, LogState::Posting { .. });
        if outcome == PostOutcome::Posted {
            if entry.changed {
                // Wrap-up went on while this post was in flight: the CRM gets the rest too.
                entry.may_exist = true;
                entry.changed = false;
                entry.state = LogState::Queued { due_at: now };
            } else {
                self.entries.remove(index);
            }
            self.answering_again(now);
            return;
        }
        if !in_flight {
            return;
        }
        let retry_at = |entry: &mut Entry<T>, random: &mut dyn Random, at_least: u64| {
            let delay = entry.backoff.next_delay(POST_RETRY, random).unwrap_or(POST_RETRY.max);
            LogState::Queued { due_at: now + delay.max(at_least) }
        };
        match outcome {
            PostOutcome::Posted => {}
            PostOutcome::Unknown(reason) => {
                entry.may_exist = true;
                entry.last_error = Some(reason);
                entry.state = retry_at(entry, random, 0);
            }
            PostOutcome::Busy { reason, retry_after_ms } => {
                entry.last_error = Some(reason);
                entry.state = retry_at(entry, random, retry_after_ms.unwrap_or(0).min(POST_RETRY.max));
            }
            PostOutcome::Refused(reason) => {
                entry.last_error = Some(reason);
                entry.state = LogState::Refused;
            }
            // Nothing was posted: the log is due again as soon as the hold lifts.
            PostOutcome::Unauthorised => {
                entry.state = LogState::Queued { due_at: now };
                self.hold = Some(Hold::Unauthorised);
            }
            PostOutcome::NoHost => {
                entry.state = LogState::Queued { due_at: now };
                self.hold.get_or_insert(Hold::NoHost);
            }
        }
    }

    /// The CRM took a log: those waiting out a backoff after failures go now rather than minutes
    /// later (an outage is over), no more than [`MAX_IN_FLIGHT`] at once as always.
    fn answering_again(&mut self, now: u64) {
        for entry in &mut self.entries {
            if let LogState::Queued { due_at } = &mut entry.state
                && entry.backoff.failures() > 0
            {
                *due_at = (*due_at).min(now);
                entry.backoff.reset();
            }
        }
    }

    /// Holds every post for `hold` (found out before any post was refused: the CRM wants the
    /// agent's permission first); a hold already in place stays.
    pub fn hold_for(&mut self, hold: Hold) {
        self.hold.get_or_insert(hold);
    }

    /// The agent authorised again, or a CRM page attached: every waiting log is due at once,
    /// its failures forgotten.
    pub fn release(&mut self, hold: Hold, now: u64) {
        if self.hold != Some(hold) {
            return;
        }
        self.hold = None;
        for entry in &mut self.entries {
            if let LogState::Queued { due_at } = &mut entry.state {
                *due_at = (*due_at).min(now);
                entry.backoff.reset();
            }
        }
    }

    /// The agent's Retry on one log: due at once, whatever held it back.
    pub fn retry(&mut self, key: &str, now: u64) {
        let waiting = self
            .entries
            .iter_mut()
            .find(|e| e.key == key && matches!(e.state, LogState::Queued { .. } | LogState::Refused));
        if let Some(entry) = waiting {
            entry.state = LogState::Queued { due_at: now };
            entry.backoff.reset();
        }
    }
}

/// What the agent sees of the outbox: how many logs wait, which failed and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityView {
    /// Logs waiting for the CRM or on their way (wrap-ups aside).
    pub waiting: usize,
    /// Logs shown as failed: (key, what the log is, why it failed).
    pub failed: Vec<(String, String, String)>,
    /// Why nothing is posted at all, if something holds the outbox.
    pub hold: Option<Hold>,
    /// Why the outbox could not be kept in the browser, if it could not (filled in by the shell).
    pub store_problem: Option<String>,
}

impl<T: Clone> Outbox<T> {
    /// The Activity list's view, naming each failed log with `describe`.
    pub fn view(&self, describe: impl Fn(&T) -> String) -> ActivityView {
        let waiting = self.entries.iter().filter(|e| e.state != LogState::WrappingUp).count();
        let failed = self
            .entries
            .iter()
            .filter(|e| e.failed())
            .map(|e| (e.key.clone(), describe(&e.log), e.last_error.clone().unwrap_or_default()))
            .collect();
        ActivityView { waiting, failed, hold: self.hold, store_problem: None }
    }
}

impl<T> Entry<T> {
    /// Whether the agent should see this log as failed: refused, or failing again and again.
    pub fn failed(&self) -> bool {
        self.state == LogState::Refused || self.backoff.failures() >= SHOWN_FAILED_AFTER
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip::random::SplitMix;

    fn outbox(keys: &[&str]) -> Outbox<String> {
        let mut outbox = Outbox::default();
        for key in keys {
            outbox.add((*key).into(), format!("log of {key}"), 0).expect("room");
        }
        outbox
    }

    fn keys(posts: &[Post<String>]) -> Vec<&str> {
        posts.iter().map(|p| p.key.as_str()).collect()
    }

    #[test]
    fn a_delivered_log_leaves_the_outbox() {
        let mut random = SplitMix(1);
        let mut outbox = outbox(&["a"]);
        let posts = outbox.due(0, &mut random);
        assert_eq!(posts, vec![Post { key: "a".into(), log: "log of a".into(), update: false }]);
        assert_eq!(outbox.due(0, &mut random), vec![], "a log in flight is not posted twice");
        outbox.settle("a", PostOutcome::Posted, 10, &mut random);
        assert!(outbox.entries().is_empty());
        assert_eq!(outbox.next_due(), None);
    }

    #[test]
    fn an_unknown_outcome_is_retried_later_as_an_update() {
        let mut random = SplitMix(2);
        let mut outbox = outbox(&["a"]);
        outbox.due(0, &mut random);
        outbox.settle("a", PostOutcome::Unknown("The network failed.".into()), 100, &mut random);
        let due_at = outbox.next_due().expect("queued again");
        assert!((1_100..=2_100).contains(&due_at), "the first retry within 1–2 s: {due_at}");
        assert_eq!(outbox.due(due_at - 1, &mut random), vec![]);
        let posts = outbox.due(due_at, &mut random);
        assert_eq!(posts.len(), 1);
        assert!(posts[0].update, "the first post may have created the log");
        assert_eq!(outbox.entries()[0].last_error.as_deref(), Some("The network failed."));
    }

    #[test]
    fn retries_back_off_and_show_as_failed_after_a_few() {
        let mut random = SplitMix(3);
        let mut outbox = outbox(&["a"]);
        let mut now = 0;
        let mut delays = Vec::new();
        for _ in 0..6 {
            assert_eq!(outbox.due(now, &mut random).len(), 1);
            outbox.settle("a", PostOutcome::Busy { reason: "503".into(), retry_after_ms: None }, now, &mut random);
            let next = outbox.next_due().expect("queued");
            delays.push(next - now);
            now = next;
        }
        assert!(delays.windows(2).all(|w| w[1] >= w[0] / 2), "growing, jittered: {delays:?}");
        assert!(delays[5] > delays[0] * 4, "{delays:?}");
        assert!(outbox.entries()[0].failed());
        assert!(!outbox.entries()[0].may_exist, "a 503 created nothing");
    }

    #[test]
    fn retry_after_is_honoured_when_longer_than_the_backoff() {
        let mut random = SplitMix(4);
        let mut outbox = outbox(&["a"]);
        outbox.due(0, &mut random);
        outbox.settle("a", PostOutcome::Busy { reason: "429".into(), retry_after_ms: Some(60_000) }, 0, &mut random);
        assert_eq!(outbox.next_due(), Some(60_000));
    }

    #[test]
    fn a_delivery_after_an_outage_makes_the_waiting_logs_due_at_once() {
        let mut random = SplitMix(13);
        let mut outbox = outbox(&["a", "b", "c"]);
        let busy = || PostOutcome::Busy { reason: "503".into(), retry_after_ms: None };
        let mut now = 0;
        while outbox.entries().iter().any(|e| e.backoff.failures() < 4) {
            for post in outbox.due(now, &mut random) {
                outbox.settle(&post.key, busy(), now, &mut random);
            }
            now = outbox.next_due().expect("all wait");
        }
        let first = outbox.due(now, &mut random);
        outbox.settle(&first[0].key, PostOutcome::Posted, now, &mut random);
        let rest: Vec<String> = outbox.entries().iter().map(|e| e.key.clone()).collect();
        let mut due: Vec<String> =
            outbox.due(now, &mut random).into_iter().chain(first[1..].to_vec()).map(|p| p.key).collect();
        due.sort();
        assert_eq!(due, rest, "no need to wait out their backoff");
        assert!(outbox.entries().iter().all(|e| e.backoff.failures() == 0));
    }

    #[test]
    fn a_refusal_waits_for_the_agents_retry() {
        let mut random = SplitMix(5);
        let mut outbox = outbox(&["a"]);
        outbox.due(0, &mut random);
        let reason = "The CRM refused this origin: add it to the instance's CORS rules.";
        outbox.settle("a", PostOutcome::Refused(reason.into()), 5, &mut random);
        assert!(outbox.entries()[0].failed());
        assert_eq!(outbox.next_due(), None);
        assert_eq!(outbox.due(1_000_000, &mut random), vec![]);
        outbox.retry("a", 2_000_000);
        assert_eq!(keys(&outbox.due(2_000_000, &mut random)), ["a"]);
    }

    #[test]
    fn an_expired_token_holds_every_log_until_the_agent_authorises_again() {
        let mut random = SplitMix(6);
        let mut outbox = outbox(&["a", "b"]);
        assert_eq!(keys(&outbox.due(0, &mut random)), ["a", "b"]);
        outbox.settle("a", PostOutcome::Unauthorised, 10, &mut random);
        outbox.settle("b", PostOutcome::Unauthorised, 10, &mut random);
        outbox.add("c".into(), "log of c".into(), 20).expect("room");
        assert_eq!(outbox.hold(), Some(Hold::Unauthorised));
        assert_eq!(outbox.due(1_000_000, &mut random), vec![]);
        assert_eq!(outbox.next_due(), None);
        outbox.release(Hold::NoHost, 30);
        assert_eq!(outbox.hold(), Some(Hold::Unauthorised), "another hold's release changes nothing");
        outbox.release(Hold::Unauthorised, 40);
        assert_eq!(keys(&outbox.due(40, &mut random)), ["a", "b", "c"]);
        assert!(outbox.entries().iter().all(|e| !e.may_exist), "a refused token created nothing");
    }

    #[test]
    fn a_hold_found_before_any_post_keeps_logs_until_released() {
        let mut random = SplitMix(8);
        let mut outbox = outbox(&["a"]);
        outbox.hold_for(Hold::Unauthorised);
        outbox.hold_for(Hold::NoHost);
        assert_eq!(outbox.hold(), Some(Hold::Unauthorised), "the first hold stays");
        assert_eq!(outbox.due(0, &mut random), vec![]);
        outbox.release(Hold::Unauthorised, 10);
        assert_eq!(keys(&outbox.due(10, &mut random)), ["a"]);
    }

    #[test]
    fn logs_written_without_a_host_wait_for_one() {
        let mut random = SplitMix(7);
        let mut outbox = outbox(&["a"]);
        outbox.due(0, &mut random);
        outbox.settle("a", PostOutcome::NoHost, 0, &mut random);
        assert_eq!(outbox.due(100, &mut random), vec![]);
        outbox.release(Hold::NoHost, 200);
        assert_eq!(keys(&outbox.due(200, &mut random)), ["a"]);
    }

    #[test]
    fn no_more_than_a_few_posts_are_in_flight() {
        let mut random = SplitMix(8);
        let names: Vec<String> = (0..10).map(|n| n.to_string()).collect();
        let mut outbox = outbox(&names.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(keys(&outbox.due(0, &mut random)), ["0", "1", "2", "3"]);
        assert_eq!(outbox.due(0, &mut random), vec![]);
        outbox.settle("1", PostOutcome::Posted, 5, &mut random);
        assert_eq!(keys(&outbox.due(5, &mut random)), ["4"], "oldest first");
    }

    #[test]
    fn with_every_slot_in_flight_the_next_wake_is_a_timeout_not_a_queued_log() {
        let mut random = SplitMix(14);
        let keys: Vec<String> = (0..MAX_IN_FLIGHT + 2).map(|i| format!("k{i}")).collect();
        let mut outbox = outbox(&keys.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(outbox.due(0, &mut random).len(), MAX_IN_FLIGHT);
        assert_eq!(outbox.next_due(), Some(POST_TIMEOUT_MS), "not the queued logs, due now");
        outbox.settle("k0", PostOutcome::Posted, 10, &mut random);
        assert_eq!(outbox.next_due(), Some(0), "a free slot: the queued logs are due");
    }

    #[test]
    fn a_post_nobody_answers_times_out_as_unknown() {
        let mut random = SplitMix(9);
        let mut outbox = outbox(&["a"]);
        outbox.due(0, &mut random);
        assert_eq!(outbox.next_due(), Some(POST_TIMEOUT_MS));
        assert_eq!(outbox.due(POST_TIMEOUT_MS, &mut random), vec![], "queued behind its backoff");
        assert!(outbox.entries()[0].may_exist);
        let due_at = outbox.next_due().expect("queued");
        assert!(outbox.due(due_at, &mut random)[0].update);
        // The late answer of the first post still counts as the delivery.
        outbox.settle("a", PostOutcome::Posted, due_at + 1, &mut random);
        assert!(outbox.entries().is_empty());
    }

    #[test]
    fn a_reload_posts_again_as_updates_what_was_in_flight() {
        let mut random = SplitMix(10);
        let mut outbox = outbox(&["a", "b"]);
        outbox.due(0, &mut random);
        outbox.settle("b", PostOutcome::Busy { reason: "503".into(), retry_after_ms: None }, 0, &mut random);
        let stored = serde_json::to_string(&outbox).expect("serializable");
        let restored: Outbox<String> = serde_json::from_str(&stored).expect("readable");
        let mut outbox = Outbox::restore(restored, 50);
        let posts = outbox.due(50, &mut random);
        assert_eq!(keys(&posts), ["a"], "b keeps its backoff");
        assert!(posts[0].update);
        assert_eq!(outbox.entries()[1].backoff.failures(), 1);
    }

    #[test]
    fn a_reload_forgets_the_old_pages_hold() {
        let mut random = SplitMix(12);
        let mut outbox = outbox(&["a"]);
        outbox.due(0, &mut random);
        outbox.settle("a", PostOutcome::NoHost, 0, &mut random);
        let restored = Outbox::restore(outbox, 10);
        assert_eq!(restored.hold(), None, "the new page finds out for itself whether a host is there");
    }

    #[test]
    fn wrap_up_after_the_first_post_is_posted_as_an_update() {
        let mut random = SplitMix(11);
        let mut outbox = outbox(&["a"]);
        outbox.due(0, &mut random);
        outbox.add("a".into(), "log of a, with notes".into(), 5).expect("room");
        assert_eq!(outbox.due(5, &mut random), vec![], "not while the first post is in flight");
        outbox.settle("a", PostOutcome::Posted, 10, &mut random);
        let posts = outbox.due(10, &mut random);
        assert_eq!(posts, vec![Post { key: "a".into(), log: "log of a, with notes".into(), update: true }]);
        outbox.settle("a", PostOutcome::Posted, 20, &mut random);
        assert!(outbox.entries().is_empty());
    }

    #[test]
    fn a_full_outbox_refuses_a_new_log_with_a_reason() {
        let mut outbox: Outbox<String> = Outbox::default();
        for n in 0..CAPACITY {
            outbox.add(n.to_string(), String::new(), 0).expect("room");
        }
        let error = outbox.add("one more".into(), String::new(), 0).expect_err("full");
        assert!(error.to_string().contains("was not kept"), "{error}");
        outbox.add("7".into(), "an update".into(), 0).expect("an update takes no room");
    }

    #[test]
    fn a_draft_waits_for_wrap_up_and_a_reload_posts_what_was_entered() {
        let mut random = SplitMix(7);
        let mut outbox = Outbox::default();
        outbox.draft("a".into(), "no notes".to_owned()).unwrap();
        outbox.draft("a".into(), "notes so far".to_owned()).unwrap();
        assert!(outbox.due(0, &mut random).is_empty(), "nothing posts while the agent wraps up");
        assert_eq!(outbox.next_due(), None);
        outbox.retry("a", 0);
        assert!(outbox.due(0, &mut random).is_empty(), "Retry does not cut wrap-up short");
        let restored = Outbox::restore(outbox.clone(), 5);
        assert_eq!(restored.entries()[0].state, LogState::Queued { due_at: 5 });
        outbox.add("a".into(), "final".to_owned(), 9).unwrap();
        let posts = outbox.due(9, &mut random);
        assert_eq!((posts[0].log.as_str(), posts[0].update), ("final", false));
        outbox.draft("a".into(), "late edit".to_owned()).unwrap();
        assert_eq!(outbox.entries()[0].log, "final", "a log on its way is no draft any more");
    }
}
