//! When an offer or answer may leave. SIP carries no trickle ICE: the candidates in the SDP are
//! all the other side ever gets, so the description waits for the STUN and TURN servers that
//! are expected to answer, and for nothing else: each kind of server has a limit, a server that
//! stayed silent last time is not waited for again, and one that answers (a candidate, or an
//! error) is waited for no longer. Pure: the page feeds it candidates, errors and the clock.

use std::collections::HashMap;

use crate::config::IceServer;

/// Host candidates only (no server configured): siblings of the first candidate come within a
/// few milliseconds on any LAN.
pub const HOST_LIMIT_MS: f64 = 60.0;
/// A STUN binding answer over the internet: 30 to 150 ms, with room to spare.
pub const STUN_LIMIT_MS: f64 = 500.0;
/// A TURN allocation (two round trips, the first refused for its nonce): 100 to 300 ms, with
/// room to spare.
pub const TURN_LIMIT_MS: f64 = 1000.0;

/// What a server gives a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    /// `stun:`/`stuns:`: server-reflexive candidates.
    Stun,
    /// `turn:`/`turns:`: relay candidates (and server-reflexive ones).
    Turn,
}

impl ServerKind {
    /// The kind of a `stun:`, `stuns:`, `turn:` or `turns:` URL.
    pub fn of(url: &str) -> Option<ServerKind> {
        let scheme = url.split(':').next()?.to_ascii_lowercase();
        match scheme.as_str() {
            "stun" | "stuns" => Some(ServerKind::Stun),
            "turn" | "turns" => Some(ServerKind::Turn),
            _ => None,
        }
    }

    fn limit_ms(self) -> f64 {
        match self {
            ServerKind::Stun => STUN_LIMIT_MS,
            ServerKind::Turn => TURN_LIMIT_MS,
        }
    }
}

/// The type of a gathered candidate (`RTCIceCandidate.type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateType {
    /// An address of the machine itself.
    Host,
    /// The address a STUN or TURN server saw.
    ServerReflexive,
    /// A peer-reflexive address (learnt during checks; never gathered, listed for completeness).
    PeerReflexive,
    /// An address allocated on a TURN server.
    Relay,
}

impl CandidateType {
    /// The type named by `RTCIceCandidate.type` ("host", "srflx", "prflx", "relay").
    pub fn parse(name: &str) -> Option<CandidateType> {
        match name {
            "host" => Some(CandidateType::Host),
            "srflx" => Some(CandidateType::ServerReflexive),
            "prflx" => Some(CandidateType::PeerReflexive),
            "relay" => Some(CandidateType::Relay),
            _ => None,
        }
    }
}

/// How each server behaved in the calls so far, kept by the phone across calls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServerRecord {
    silent: HashMap<String, bool>,
}

impl ServerRecord {
    /// Whether `url` was waited for last time and gave nothing, not even an error.
    pub fn was_silent(&self, url: &str) -> bool {
        self.silent.get(url).copied().unwrap_or(false)
    }
}

/// One server this gathering may wait for.
#[derive(Clone, Debug, PartialEq)]
struct Awaited {
    url: String,
    kind: ServerKind,
    /// A candidate of its kind, or an error, came from it.
    answered: bool,
    /// Silent last time: not waited for, and judged again at the end.
    skipped: bool,
}

/// One offer's or answer's gathering: what it waits for and until when.
#[derive(Clone, Debug, PartialEq)]
pub struct Gathering {
    servers: Vec<Awaited>,
    /// How long the connection had been gathering into its pool before the description was
    /// set: a server had that long already to answer.
    head_start_ms: f64,
    relay_only: bool,
    first_candidate_ms: Option<f64>,
    complete: bool,
}

impl Gathering {
    /// A gathering for `servers` (`relay_only`: `iceTransportPolicy` "relay"), waiting for no
    /// server that `record` found silent, on a connection that has been gathering into its pool
    /// for `head_start_ms` already (made ahead of the call; 0 for one made now). Its pooled
    /// candidates come all at once when the description is set: a server that was given its
    /// limit in the pool and gave nothing is not waited for any longer.
    pub fn new(servers: &[IceServer], relay_only: bool, record: &ServerRecord, head_start_ms: f64) -> Gathering {
        let servers = servers
            .iter()
            .flat_map(|server| server.urls.iter())
            .filter_map(|url| {
                let kind = ServerKind::of(url)?;
                // A STUN server gives nothing under a relay-only policy: never wait for it.
                let useless = relay_only && kind == ServerKind::Stun;
                Some(Awaited { url: url.clone(), kind, answered: useless, skipped: record.was_silent(url) })
            })
            .collect();
        Gathering { servers, head_start_ms, relay_only, first_candidate_ms: None, complete: false }
    }

    /// A candidate of `kind` came, `at_ms` after gathering began, from the server at `url`
    /// when the browser says (`RTCIceCandidate.url`); without a URL it answers for every
    /// server that gives that type.
    pub fn candidate(&mut self, kind: CandidateType, url: Option<&str>, at_ms: f64) {
        self.first_candidate_ms.get_or_insert(at_ms);
        let answers = |server: &Awaited| match kind {
            CandidateType::Relay => server.kind == ServerKind::Turn,
            CandidateType::ServerReflexive => server.kind == ServerKind::Stun,
            CandidateType::Host | CandidateType::PeerReflexive => false,
        };
        for server in self.servers.iter_mut().filter(|s| answers(s)) {
            if url.is_none_or(|url| same_server(url, &server.url)) {
                server.answered = true;
            }
        }
    }

    /// The server at `url` answered with an error (`icecandidateerror`: refused credentials,
    /// unreachable): nothing more will come from it.
    pub fn error(&mut self, url: &str) {
        for server in self.servers.iter_mut().filter(|s| same_server(url, &s.url)) {
            server.answered = true;
        }
    }

    /// The browser finished gathering (`iceGatheringState` "complete").
    pub fn complete(&mut self) {
        self.complete = true;
    }

    /// The moment, in ms after gathering began, when the description leaves with what it has;
    /// `0.0` means now. Without servers to wait for: a moment after the first candidate (host
    /// candidates come together), at most [`HOST_LIMIT_MS`].
    pub fn leave_at(&self) -> f64 {
        if self.complete {
            return 0.0;
        }
        let host = match self.first_candidate_ms {
            Some(first) => (first + 10.0).min(HOST_LIMIT_MS),
            None => HOST_LIMIT_MS,
        };
        // Chromium does not always take a description's relay from the pool: it allocates an
        // answer's anew (about 60 ms after it is set), and an offer's too at times. The pool's
        // head start counts for STUN only; a relay from the pool still ends the wait at once.
        let head_start = |kind: ServerKind| match kind {
            ServerKind::Turn => 0.0,
            ServerKind::Stun => self.head_start_ms,
        };
        let limit = |servers: &mut dyn Iterator<Item = &Awaited>| {
            servers.map(|s| s.kind.limit_ms() - head_start(s.kind)).fold(0.0, f64::max)
        };
        let awaited = limit(&mut self.servers.iter().filter(|s| !s.answered && !s.skipped));
        // Relay-only gathers nothing else: with no relay yet there is nothing to offer at all,
        // so every TURN server is waited for, even one silent last time, and for its whole
        // limit whatever the pool had: Chromium allocates an answer's relay anew rather than
        // take the pool's (about 60 ms on loopback). The end of gathering still ends the wait.
        let turn = |s: &&Awaited| s.kind == ServerKind::Turn;
        let relay = match self.relay_only && !self.servers.iter().filter(turn).any(|s| s.answered) {
            true => TURN_LIMIT_MS,
            false => 0.0,
        };
        host.max(awaited).max(relay)
    }

    /// Whether the description may leave `now_ms` after gathering began.
    pub fn ready(&self, now_ms: f64) -> bool {
        now_ms >= self.leave_at()
    }

    /// The TURN servers that gave neither a relay candidate nor an error: why must be asked
    /// (a connection with a candidate pool never reports a refusal, see `phone::ice_errors`).
    pub fn silent_turn_servers(&self) -> Vec<&str> {
        let silent = |s: &&Awaited| s.kind == ServerKind::Turn && !s.answered;
        self.servers.iter().filter(silent).map(|s| s.url.as_str()).collect()
    }

    /// Writes down which servers gave nothing this time (not waited for next time) and which
    /// answered (waited for again).
    pub fn record(&self, record: &mut ServerRecord) {
        for server in &self.servers {
            record.silent.insert(server.url.clone(), !server.answered);
        }
    }
}

/// Whether two ICE server URLs name the same server: the browser reports
/// `turn:host:3478?transport=udp` where the configuration may say `turn:host`; schemes and
/// host names are case-insensitive.
fn same_server(reported: &str, configured: &str) -> bool {
    server_key(reported) == server_key(configured)
}

/// `scheme:host:port` of a STUN/TURN URL, lowercased, with the default port (RFC 7064, RFC
/// 7065: 3478, or 5349 for `stuns:`/`turns:`) filled in and the query left out.
fn server_key(url: &str) -> String {
    let url = url.split('?').next().unwrap_or(url).to_ascii_lowercase();
    let Some((scheme, address)) = url.split_once(':') else { return url };
    let has_port = match address.strip_prefix('[') {
        Some(bracketed) => bracketed.contains("]:"),
        None => address.contains(':'),
    };
    if has_port {
        return url;
    }
    let port = if scheme.ends_with('s') { 5349 } else { 3478 };
    format!("{scheme}:{address}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers(urls: &[&str]) -> Vec<IceServer> {
        vec![IceServer { urls: urls.iter().map(|u| u.to_string()).collect(), username: None, credential: None }]
    }

    #[test]
    fn host_candidates_only_leave_soon_after_the_first() {
        let mut gathering = Gathering::new(&[], false, &ServerRecord::default(), 0.0);
        assert_eq!(gathering.leave_at(), HOST_LIMIT_MS);
        gathering.candidate(CandidateType::Host, None, 3.0);
        assert_eq!(gathering.leave_at(), 13.0);
        assert!(!gathering.ready(12.0));
        assert!(gathering.ready(13.0));
    }

    #[test]
    fn completion_leaves_at_once() {
        let mut gathering = Gathering::new(&servers(&["turn:t.example:3478"]), false, &ServerRecord::default(), 0.0);
        gathering.complete();
        assert!(gathering.ready(0.0));
    }

    #[test]
    fn stun_and_turn_are_waited_for_up_to_their_limits() {
        let mut gathering = Gathering::new(
            &servers(&["stun:s.example:3478", "turn:t.example:3478"]),
            false,
            &ServerRecord::default(),
            0.0,
        );
        gathering.candidate(CandidateType::Host, None, 2.0);
        assert_eq!(gathering.leave_at(), TURN_LIMIT_MS);
        gathering.candidate(CandidateType::Relay, Some("turn:t.example:3478?transport=udp"), 140.0);
        assert_eq!(gathering.leave_at(), STUN_LIMIT_MS, "the STUN server has not answered");
        gathering.candidate(CandidateType::ServerReflexive, Some("stun:s.example:3478"), 160.0);
        assert_eq!(gathering.leave_at(), 12.0, "every server answered: leave now");
    }

    #[test]
    fn a_candidate_without_url_answers_for_every_server_of_its_kind() {
        let mut gathering =
            Gathering::new(&servers(&["stun:a.example", "stun:b.example"]), false, &ServerRecord::default(), 0.0);
        gathering.candidate(CandidateType::ServerReflexive, None, 50.0);
        assert_eq!(gathering.leave_at(), HOST_LIMIT_MS);
    }

    #[test]
    fn an_error_ends_the_wait_for_that_server() {
        let mut gathering = Gathering::new(&servers(&["turn:t.example:3478"]), false, &ServerRecord::default(), 0.0);
        gathering.error("turn:t.example:3478?transport=tcp");
        assert_eq!(gathering.leave_at(), HOST_LIMIT_MS);
    }

    #[test]
    fn a_server_silent_last_time_is_not_waited_for_until_it_answers_again() {
        let configured = servers(&["stun:dead.example:3478"]);
        let mut record = ServerRecord::default();
        let first = Gathering::new(&configured, false, &record, 0.0);
        assert_eq!(first.leave_at(), STUN_LIMIT_MS);
        first.record(&mut record);
        assert!(record.was_silent("stun:dead.example:3478"));

        let mut second = Gathering::new(&configured, false, &record, 0.0);
        assert_eq!(second.leave_at(), HOST_LIMIT_MS, "not waited for again");
        // It answered after all (the description had left): waited for the next time.
        second.candidate(CandidateType::ServerReflexive, Some("stun:dead.example:3478"), 300.0);
        second.record(&mut record);
        assert!(!record.was_silent("stun:dead.example:3478"));
        assert_eq!(Gathering::new(&configured, false, &record, 0.0).leave_at(), STUN_LIMIT_MS);
    }

    #[test]
    fn relay_only_ignores_stun_and_waits_for_a_relay() {
        let configured = servers(&["stun:s.example", "turn:t.example"]);
        let mut gathering = Gathering::new(&configured, true, &ServerRecord::default(), 0.0);
        assert_eq!(gathering.leave_at(), TURN_LIMIT_MS);
        gathering.candidate(CandidateType::Relay, None, 200.0);
        assert!(gathering.ready(200.0), "the relay is in: leave now");
    }

    #[test]
    fn relay_only_waits_for_a_relay_even_from_a_server_silent_last_time() {
        let configured = servers(&["turn:t.example"]);
        let mut record = ServerRecord::default();
        Gathering::new(&configured, true, &record, 0.0).record(&mut record);
        assert_eq!(Gathering::new(&configured, true, &record, 0.0).leave_at(), TURN_LIMIT_MS);
    }

    #[test]
    fn a_connection_made_ahead_waits_only_for_what_its_pool_has_not_had_time_for() {
        let configured = servers(&["stun:s.example", "turn:t.example"]);
        let record = ServerRecord::default();
        let stun = servers(&["stun:s.example"]);
        let mut ready = Gathering::new(&stun, false, &record, 30_000.0);
        assert_eq!(ready.leave_at(), HOST_LIMIT_MS, "the server had its time in the pool");
        ready.candidate(CandidateType::Host, None, 1.0);
        assert_eq!(ready.leave_at(), 11.0, "pooled candidates come at once");
        let young = Gathering::new(&stun, false, &record, 200.0);
        assert_eq!(young.leave_at(), STUN_LIMIT_MS - 200.0);
        let mut turn = Gathering::new(&configured, false, &record, 30_000.0);
        assert_eq!(turn.leave_at(), TURN_LIMIT_MS, "a relay is waited for whatever the pool had");
        turn.candidate(CandidateType::Relay, None, 2.0);
        turn.candidate(CandidateType::Host, None, 2.0);
        assert!(turn.ready(12.0), "the pool's relay ends the wait at once");
    }

    #[test]
    fn relay_only_waits_for_a_relay_whatever_the_pool_had() {
        let configured = servers(&["turn:t.example"]);
        let mut gathering = Gathering::new(&configured, true, &ServerRecord::default(), 30_000.0);
        assert_eq!(gathering.leave_at(), TURN_LIMIT_MS, "no relay yet: nothing to offer");
        gathering.candidate(CandidateType::Relay, Some("turn:t.example?transport=udp"), 61.0);
        assert!(gathering.ready(61.0), "the relay came: it leaves at once");
        let mut refused = Gathering::new(&configured, true, &ServerRecord::default(), 30_000.0);
        refused.complete();
        assert!(refused.ready(0.0), "gathering ended without a relay: nothing more will come");
    }

    #[test]
    fn turn_servers_without_a_relay_or_an_error_are_silent() {
        let configured = servers(&["stun:s.example", "turn:a.example", "turn:b.example", "turns:c.example"]);
        let mut gathering = Gathering::new(&configured, false, &ServerRecord::default(), 0.0);
        assert_eq!(gathering.silent_turn_servers(), ["turn:a.example", "turn:b.example", "turns:c.example"]);
        gathering.candidate(CandidateType::Relay, Some("turn:a.example?transport=udp"), 80.0);
        gathering.candidate(CandidateType::ServerReflexive, Some("turn:b.example"), 90.0);
        gathering.error("turns:c.example?transport=tcp");
        assert_eq!(gathering.silent_turn_servers(), ["turn:b.example"], "a srflx candidate is no relay");
        gathering.candidate(CandidateType::Relay, None, 100.0);
        assert!(gathering.silent_turn_servers().is_empty(), "a relay without a URL answers for every TURN server");
    }

    #[test]
    fn a_description_waits_for_its_relay_whatever_the_pool_had() {
        let configured = servers(&["stun:s.example", "turn:t.example"]);
        let mut answer = Gathering::new(&configured, false, &ServerRecord::default(), 30_000.0);
        answer.candidate(CandidateType::Host, None, 1.0);
        answer.candidate(CandidateType::ServerReflexive, None, 1.0);
        assert_eq!(answer.leave_at(), TURN_LIMIT_MS);
        answer.candidate(CandidateType::Relay, Some("turn:t.example:3478?transport=udp"), 62.0);
        assert!(answer.ready(62.0));
    }

    #[test]
    fn server_urls_match_with_their_default_ports() {
        assert!(same_server("turn:t.example:3478?transport=udp", "TURN:T.example"));
        assert!(same_server("turns:t.example:5349?transport=tcp", "turns:t.example"));
        assert!(!same_server("turn:t.example:3479", "turn:t.example"));
        assert!(same_server("stun:[2001:db8::1]:3478", "stun:[2001:db8::1]"));
        assert!(!same_server("stun:[2001:db8::1]:3479", "stun:[2001:db8::1]"));
    }

    #[test]
    fn server_kinds_by_scheme() {
        assert_eq!(ServerKind::of("STUN:s.example"), Some(ServerKind::Stun));
        assert_eq!(ServerKind::of("turns:t.example:443?transport=tcp"), Some(ServerKind::Turn));
        assert_eq!(ServerKind::of("https://x"), None);
        assert_eq!(CandidateType::parse("srflx"), Some(CandidateType::ServerReflexive));
        assert_eq!(CandidateType::parse("bogus"), None);
    }
}
