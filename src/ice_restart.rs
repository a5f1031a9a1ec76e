//! When a call restarts its ICE (a new offer with new ICE credentials, by re-INVITE), and what
//! the agent sees meanwhile. Pure: the phone feeds each call's policy what the browser reports
//! (`iceConnectionState`, the once-a-second `getStats` reading, the network's `online`,
//! `offline` and `navigator.connection` changes, how its offers went) with the time, and carries
//! out the restarts it asks for.
//!
//! The rules:
//!
//! - **The path is down** when ICE says `disconnected` or `failed` (or checks anew after having
//!   been up), or when a call that should be receiving (its audio is `sendrecv`) has received
//!   nothing at all (no RTP, RTCP or ICE check) for a while, once packets have flowed. Chromium
//!   reports `disconnected` only once its checks go unanswered for several seconds, and
//!   `failed` after about thirty, while a healthy path brings a packet every 20 ms: the
//!   readings see a dead path first.
//! - **Grace**: the side that placed the call restarts once the path has been down for
//!   [`GRACE_MS`] (a blip of a second heals by itself); the side that answered waits
//!   [`ANSWERER_WAIT_MS`] longer, so that when both see the same outage only one restarts (the
//!   other's offer reaches it first and cancels its own). `failed` needs no grace for the
//!   caller.
//! - **The network changed**: the browser coming back `online`, or `navigator.connection`
//!   reporting another kind of network (wifi, ethernet, cellular), restarts at once, whoever
//!   placed the call: the local addresses are gone and only this side knows. A change of the
//!   connection's estimates alone (effective type, round trip) only makes the next sign of a
//!   down path restart at once, for [`HINT_MS`]. Nothing restarts while `offline`.
//! - **One offer at a time**: a restart asked for while another offer is in progress (a hold,
//!   the other side's offer, a glare retry) waits for it to end, then goes at once.
//! - **Bounded**: at most [`MAX_ATTEMPTS`] restarts in a row, spaced by [`spacing_ms`]; an
//!   attempt that has not brought the path back after [`ATTEMPT_TIMEOUT_MS`] counts as failed.
//!   After the last the policy gives up (the agent is told) until the path comes back or the
//!   network changes. A restart the other side sent counts as an attempt too.
//! - **A far end that sends nothing**: when ICE is connected after a restart but still no
//!   packet comes, the path is taken as up (the far end simply sends nothing) and silence alone
//!   restarts nothing more until packets have flowed again.
//! - **What the agent sees**: "Reconnecting audio…" once the path has been down for
//!   [`GRACE_MS`] (on both sides, whoever restarts), until ICE is connected and packets flow
//!   again. A restart under a live path (a new network) shows nothing.

use serde::{Deserialize, Serialize};

/// How long the path must be down before the side that placed the call restarts, and before
/// the agent is told.
pub const GRACE_MS: f64 = 1_500.0;
/// How much longer the side that answered the call waits, so that the caller's restart reaches
/// it first.
pub const ANSWERER_WAIT_MS: f64 = 5_000.0;
/// How long a restart has to bring the path back (its offer gathered, answered, checked).
pub const ATTEMPT_TIMEOUT_MS: f64 = 8_000.0;
/// Restarts in a row before the policy gives up.
pub const MAX_ATTEMPTS: u32 = 3;
/// How long after a change of the network's estimates a down path restarts without grace.
pub const HINT_MS: f64 = 10_000.0;
/// A path whose last packet came this recently is flowing (a live `sendrecv` path brings one
/// every 20 ms).
pub const FLOW_MS: f64 = 1_000.0;
/// How long a restart that found another offer in progress waits before it looks again (it also
/// looks as soon as that offer ends).
pub const BUSY_RETRY_MS: f64 = 1_000.0;

/// The pause before restart number `attempt` (1-based) of a row: none for the first, then 1 s,
/// then 2 s.
pub fn spacing_ms(attempt: u32) -> f64 {
    match attempt {
        0 | 1 => 0.0,
        n => 1_000.0 * f64::from(1u32 << (n - 2).min(4)),
    }
}

/// `RTCPeerConnection.iceConnectionState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IceState {
    /// "new".
    New,
    /// "checking".
    Checking,
    /// "connected".
    Connected,
    /// "completed".
    Completed,
    /// "disconnected": checks go unanswered.
    Disconnected,
    /// "failed": every pair failed.
    Failed,
    /// "closed".
    Closed,
}

impl IceState {
    /// The state named by `iceConnectionState`.
    pub fn parse(name: &str) -> Option<IceState> {
        Some(match name {
            "new" => IceState::New,
            "checking" => IceState::Checking,
            "connected" => IceState::Connected,
            "completed" => IceState::Completed,
            "disconnected" => IceState::Disconnected,
            "failed" => IceState::Failed,
            "closed" => IceState::Closed,
            _ => return None,
        })
    }

    fn up(self) -> bool {
        matches!(self, IceState::Connected | IceState::Completed)
    }
}

/// What the browser said of its network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// `offline`: no network at all.
    Offline,
    /// `online`.
    Online,
    /// `navigator.connection` `change`; `kind_changed` when its `type` (wifi, ethernet,
    /// cellular…) is another one, false when only its estimates moved or it has no `type`.
    Changed {
        /// Another kind of network.
        kind_changed: bool,
    },
}

/// What happened to a call, as the policy needs to know it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LinkEvent {
    /// The call is established: offers may be sent.
    Established,
    /// `iceConnectionState` changed.
    Ice(IceState),
    /// The once-a-second reading: what the call's connection has received so far, and whether
    /// the far end is expected to send (the audio is `sendrecv`).
    Reading {
        /// A count of everything received (payload bytes and ICE checks of every candidate
        /// pair): growth means packets came. It may drop when a restart retires old pairs.
        received: u64,
        /// How long ago the last packet came, when the browser says
        /// (`lastPacketReceivedTimestamp`): exact whatever the readings' rhythm, which a busy
        /// page stretches. Without it, the count's growth between readings tells.
        silent_ms: Option<f64>,
        /// Whether packets should be coming.
        expecting: bool,
    },
    /// The browser's network changed.
    Network(Network),
    /// Our restart offer left.
    Sent,
    /// Our restart could not start: another offer is in progress.
    Busy,
    /// Our restart could not be made or sent, or the other side refused it.
    Failed,
    /// An offer and answer exchange of the call ended (ours or theirs).
    Negotiated,
    /// The other side's offer restarted ICE.
    RemoteRestart,
}

/// What the policy asks the phone to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkAction {
    /// Send an offer with new ICE credentials (re-INVITE), then report `Sent`, `Busy` or
    /// `Failed`.
    Restart,
}

/// What the agent sees of a call's audio path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkView {
    /// The path is down and being restored: "Reconnecting audio…".
    pub reconnecting: bool,
    /// The restarts gave up: the path is still down.
    pub lost: bool,
    /// ICE restarts of this call so far (ours and the other side's).
    pub restarts: u32,
}

/// Where the restart stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// None wanted.
    Idle,
    /// Wanted, waiting for another offer to end (or for its spacing).
    Wanted,
    /// Asked for; the phone is making the offer.
    Sending,
    /// A restart (ours, or theirs when `ours` is false) left at `since`.
    Waiting { since: f64, ours: bool },
}

/// One call's restart policy.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkPolicy {
    /// This side placed the call: it restarts first.
    caller: bool,
    established: bool,
    ice: IceState,
    /// ICE has been connected once: checking again means the path is being looked for anew.
    was_up: bool,
    /// When ICE last came up (from any other state).
    ice_up_at: Option<f64>,
    /// Since when ICE has been `disconnected`, `failed`, or checking anew.
    ice_down_since: Option<f64>,
    /// The last reading's count, and when packets last came (or none were expected).
    received: Option<u64>,
    last_traffic: Option<f64>,
    /// The last reading brought bytes (or none were expected).
    flowing: bool,
    /// Silence counts as a down path (packets flowed since ICE last came up after a restart
    /// without them).
    silence_counts: bool,
    offline: bool,
    /// Restart at once, whatever the grace (the network changed).
    urgent: bool,
    /// Until when a down path restarts without grace.
    hint_until: f64,
    phase: Phase,
    /// Restarts in the current row.
    attempts: u32,
    /// Not before this moment.
    next_try: f64,
    gave_up: bool,
    restarts: u32,
}

impl LinkPolicy {
    /// The policy of a call; `caller` when this side placed it.
    pub fn new(caller: bool) -> LinkPolicy {
        LinkPolicy {
            caller,
            established: false,
            ice: IceState::New,
            was_up: false,
            ice_up_at: None,
            ice_down_since: None,
            received: None,
            last_traffic: None,
            flowing: true,
            silence_counts: true,
            offline: false,
            urgent: false,
            hint_until: f64::NEG_INFINITY,
            phase: Phase::Idle,
            attempts: 0,
            next_try: f64::NEG_INFINITY,
            gave_up: false,
            restarts: 0,
        }
    }

    /// Takes what happened at `now` (ms) and says what to do.
    pub fn on_event(&mut self, now: f64, event: LinkEvent) -> Vec<LinkAction> {
        match event {
            LinkEvent::Established => self.established = true,
            LinkEvent::Ice(state) => {
                if state.up() && !self.ice.up() {
                    self.ice_up_at = Some(now);
                }
                self.was_up |= state.up();
                // Checking again after having been up: a path is being looked for anew.
                let down = match state {
                    IceState::Disconnected | IceState::Failed => true,
                    IceState::New | IceState::Checking => self.was_up,
                    IceState::Connected | IceState::Completed | IceState::Closed => false,
                };
                self.ice_down_since = match (down, state) {
                    (false, _) => None,
                    // `failed` comes after Chromium's own long wait: down long enough already.
                    (true, IceState::Failed) => Some(self.ice_down_since.unwrap_or(now).min(now - GRACE_MS)),
                    (true, _) => Some(self.ice_down_since.unwrap_or(now)),
                };
                self.ice = state;
            }
            LinkEvent::Reading { received, silent_ms, expecting } => {
                // A drop is old candidate pairs retired by a restart, not packets: the next
                // reading of a live path grows from the new count.
                let grew = self.received.is_some_and(|before| received > before);
                self.received = Some(received);
                let latest = match silent_ms {
                    Some(ago) if received > 0 => Some(now - ago.max(0.0)),
                    _ => grew.then_some(now),
                };
                if let Some(at) = latest
                    && self.last_traffic.is_none_or(|last| at > last)
                {
                    // Silence counts only once packets have flowed: the first connection is
                    // ICE's own business.
                    self.last_traffic = Some(at);
                }
                let recent = self.last_traffic.is_some_and(|last| now - last < FLOW_MS);
                if recent {
                    self.silence_counts = true;
                }
                // A reading that expects nothing (held) keeps the clock fresh, so that a resumed
                // call is not taken as silent at once.
                if !expecting && self.last_traffic.is_some() {
                    self.last_traffic = Some(now);
                }
                self.flowing = recent || !expecting || self.last_traffic.is_none();
            }
            LinkEvent::Network(Network::Offline) => self.offline = true,
            LinkEvent::Network(Network::Online) => {
                if std::mem::replace(&mut self.offline, false) {
                    self.new_network();
                }
            }
            LinkEvent::Network(Network::Changed { kind_changed: true }) => self.new_network(),
            LinkEvent::Network(Network::Changed { kind_changed: false }) => self.hint_until = now + HINT_MS,
            LinkEvent::Sent => {
                self.phase = Phase::Waiting { since: now, ours: true };
                self.restarts += 1;
            }
            LinkEvent::Busy => {
                // Not an attempt: it never left.
                self.attempts = self.attempts.saturating_sub(1);
                self.phase = Phase::Wanted;
                self.next_try = now + BUSY_RETRY_MS;
            }
            LinkEvent::Failed => {
                if matches!(self.phase, Phase::Sending | Phase::Waiting { ours: true, .. }) {
                    self.phase = Phase::Idle;
                    self.next_try = now + spacing_ms(self.attempts + 1);
                }
            }
            LinkEvent::Negotiated => {
                if self.phase == Phase::Wanted {
                    self.next_try = now;
                }
            }
            LinkEvent::RemoteRestart => {
                // Theirs does the work: ours, unless already on its way, is not needed.
                if self.phase != Phase::Sending {
                    self.phase = Phase::Waiting { since: now, ours: false };
                    self.attempts += 1;
                }
                self.restarts += 1;
                self.urgent = false;
            }
        }
        self.decide(now)
    }

    /// What the agent sees now.
    pub fn view(&self, now: f64) -> LinkView {
        let up = self.path_up(now);
        // Not for a restart under a live path (a new network), nor for the moment ICE checks
        // its new pairs: only an outage the agent can hear.
        let long_down = self.down_for(now) >= GRACE_MS;
        LinkView {
            reconnecting: self.established && !up && !self.gave_up && long_down,
            lost: self.established && !up && self.gave_up,
            restarts: self.restarts,
        }
    }

    /// How long the path has been down at `now` (0 while up).
    fn down_for(&self, now: f64) -> f64 {
        let ice = self.ice_down_since.map(|since| now - since);
        let silent = match (self.flowing, self.silence_counts, self.last_traffic) {
            (false, true, Some(last)) => Some(now - last),
            _ => None,
        };
        ice.into_iter().chain(silent).fold(0.0, f64::max)
    }

    /// ICE is up and packets flow (or none are expected, or the far end is known to send none).
    fn path_up(&self, now: f64) -> bool {
        self.ice.up() && self.down_for(now) == 0.0
    }

    /// The network under the call is another one: restart at once, a fresh row of attempts.
    fn new_network(&mut self) {
        self.urgent = true;
        self.attempts = 0;
        self.gave_up = false;
        self.next_try = f64::NEG_INFINITY;
        if self.phase == Phase::Wanted || matches!(self.phase, Phase::Waiting { .. }) {
            self.phase = Phase::Idle;
        }
    }

    fn decide(&mut self, now: f64) -> Vec<LinkAction> {
        if !self.established || self.ice == IceState::Closed {
            return Vec::new();
        }
        if self.path_up(now) && !self.urgent {
            // Healed, by itself or by a restart: a new row next time.
            if self.phase != Phase::Sending {
                self.phase = Phase::Idle;
            }
            self.attempts = 0;
            self.gave_up = false;
            return Vec::new();
        }
        if let Phase::Waiting { since, .. } = self.phase {
            if now - since < ATTEMPT_TIMEOUT_MS {
                return Vec::new();
            }
            self.phase = Phase::Idle;
            self.next_try = now + spacing_ms(self.attempts + 1);
            if self.ice.up() && self.ice_up_at.is_some_and(|at| at >= since) {
                // ICE found a way since the restart, yet nothing comes: the far end sends
                // nothing. Silence no longer counts until packets flow again. (ICE still "up"
                // from before the restart proves nothing: Chromium notices a dead path late.)
                self.silence_counts = false;
                self.attempts = 0;
                return Vec::new();
            }
        }
        if self.phase == Phase::Sending || self.offline || now < self.next_try {
            return Vec::new();
        }
        if !self.urgent && !self.due(now) {
            return Vec::new();
        }
        if self.attempts >= MAX_ATTEMPTS {
            self.gave_up = true;
            self.phase = Phase::Idle;
            return Vec::new();
        }
        self.attempts += 1;
        self.urgent = false;
        self.phase = Phase::Sending;
        vec![LinkAction::Restart]
    }

    /// Whether the down path has waited long enough for this side.
    fn due(&self, now: f64) -> bool {
        let down = self.down_for(now);
        if down <= 0.0 {
            return false;
        }
        if now < self.hint_until {
            return true;
        }
        let failed = self.ice == IceState::Failed;
        let wait = match (self.caller, failed) {
            (true, true) => 0.0,
            (true, false) => GRACE_MS,
            (false, true) => ANSWERER_WAIT_MS,
            (false, false) => GRACE_MS + ANSWERER_WAIT_MS,
        };
        down >= wait
    }
}

/// The `a=ice-ufrag` of a session description (the first one: a bundled call has one).
pub fn ice_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines().find_map(|line| line.trim_end().strip_prefix("a=ice-ufrag:")).map(str::trim)
}

/// Whether `offer` restarts ICE against the description the other side sent before:
/// its ICE username fragment is another one.
pub fn restarts_ice(previous: Option<&str>, offer: &str) -> bool {
    match (previous.and_then(ice_ufrag), ice_ufrag(offer)) {
        (Some(before), Some(now)) => before != now,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
