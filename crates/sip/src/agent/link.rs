//! The flow to a server and the registration over it: connecting, failover and backoff,
//! CRLF keepalive (RFC 5626 §4.4.1), registering, recovering after a drop, and stopping.

use super::backoff::RetryPolicy;
use super::context::{Link, Output, TimerKey};
use super::events::{Event, FlowId, ServerProblem};
use super::transactions::{Effects, Notice, Owner};
use super::{TransportKind, UserAgent};
use crate::Millis;
use crate::auth::AuthCredentials;
use crate::message::{HeaderName, Uri};
use crate::registration::{
    Registration, RegistrationConfig, RegistrationEvent, RegistrationFailure, RegistrationOutput, RegistrationState,
};

/// How long the shell may take to open a flow.
const CONNECT_TIMEOUT: u64 = 10_000;
/// How long a pong may take (RFC 5626 §4.4.1).
const PONG_TIMEOUT: u64 = 10_000;
/// The longest wait between reconnect rounds.
const MAX_BACKOFF: u64 = 30_000;
/// How reconnects slow down after each round of failed servers: 0.5–1 s, 1–2 s, … up to 15–30 s.
const RECONNECT_RETRY: RetryPolicy = RetryPolicy { first: 1_000, max: MAX_BACKOFF, limit: u32::MAX };
/// How long stopping may wait for the registrar.
const STOP_DEADLINE: u64 = 4_000;
/// How registration starts again after the registrar kept challenging: after 15–30 s, then
/// 30–60 s, … up to 15–30 min, for as long as the phone runs.
const REGISTER_RETRY: RetryPolicy = RetryPolicy { first: 30_000, max: 1_800_000, limit: u32::MAX };
/// A flow that drops within this long of registering was not a working one: a server that
/// closes every flow after its 200 must not get a REGISTER every second.
const STABLE_FLOW: u64 = 60_000;
/// How reconnects after such drops slow down: 1–2 s, 2–4 s, … up to 30–60 s.
const QUICK_DROP_RETRY: RetryPolicy = RetryPolicy { first: 2_000, max: 60_000, limit: u32::MAX };

impl UserAgent {
    /// Connects to the first server and registers; after a drop the agent reconnects by itself.
    pub fn start(&mut self, now: Millis) {
        self.ctx.now = now;
        if self.stopping {
            // Starting again before the stop finished: finish it now, on a clean slate.
            self.finish_stop();
        }
        if self.ctx.link != Link::Stopped {
            return;
        }
        self.attempts = 0;
        self.reconnect_rounds.reset();
        self.connect();
    }

    /// Hangs up every call, ends subscriptions and publication, unregisters, then closes the
    /// flow and reports [`Event::Stopped`].
    pub fn stop(&mut self, now: Millis) {
        self.ctx.now = now;
        if self.ctx.link == Link::Stopped {
            // Nothing was sent for these yet; the application asked to forget them.
            self.subscriptions.clear();
            self.publication = None;
            return;
        }
        if self.stopping {
            return;
        }
        self.stopping = true;
        let calls: Vec<_> = self.calls.keys().copied().collect();
        for call in calls {
            let _ = self.hang_up(now, call);
        }
        self.end_presence();
        self.ctx.timers.cancel(&TimerKey::RegisterRefresh);
        self.ctx.timers.cancel(&TimerKey::RegisterRetry);
        self.ctx.timers.cancel(&TimerKey::Reconnect);
        self.ctx.timers.set(TimerKey::StopDeadline, now + STOP_DEADLINE);
        match self.registration.as_mut() {
            Some(registration) if self.registered && self.ctx.flow().is_some() => {
                let outputs = registration.unregister(&mut *self.ctx.random);
                self.registration_outputs(outputs);
            }
            _ => {}
        }
        self.dispatch();
    }

    /// The shell opened `flow`; `local` is its local `host:port` (needed for UDP only).
    pub fn connected(&mut self, now: Millis, flow: FlowId, local: Option<&str>) {
        self.ctx.now = now;
        let Link::Connecting { flow: expected, server } = self.ctx.link else { return };
        if flow != expected {
            return;
        }
        self.ctx.timers.cancel(&TimerKey::ConnectTimeout);
        self.ctx.link = Link::Up { flow, server };
        if self.ctx.transport() == TransportKind::Udp
            && let Some(local) = local
        {
            self.ctx.via_host = local.to_owned();
        }
        let address = self.ctx.config.servers[server].address.clone();
        self.ctx.event(Event::Connected { address });
        self.pongs_expected = false;
        self.schedule_keepalive();
        self.register();
        self.dispatch();
    }

    /// `flow` closed or failed (the shell could not open it, the server went away).
    pub fn closed(&mut self, now: Millis, flow: FlowId) {
        self.ctx.now = now;
        let current = match self.ctx.link {
            Link::Connecting { flow, .. } | Link::Up { flow, .. } => Some(flow),
            _ => None,
        };
        if current == Some(flow) {
            self.flow_failed();
            self.dispatch();
        }
    }

    /// Asks the shell for a flow to the server this attempt is for.
    pub(super) fn connect(&mut self) {
        let servers = self.ctx.config.servers.len() as u32;
        let server = (self.attempts % servers) as usize;
        self.next_flow += 1;
        let flow = FlowId(self.next_flow);
        self.ctx.link = Link::Connecting { flow, server };
        let target = self.ctx.config.servers[server].clone();
        self.ctx.event(Event::Connecting { address: target.address.clone() });
        self.ctx.outputs.push_back(Output::Connect { flow, server: target });
        self.ctx.timers.set(TimerKey::ConnectTimeout, self.ctx.now + CONNECT_TIMEOUT);
    }

    /// The flow is gone: transactions on it fail, and the next attempt is scheduled (the next
    /// server at once, the first again after a growing, jittered wait).
    pub(super) fn flow_failed(&mut self) {
        if let Link::Connecting { flow, .. } | Link::Up { flow, .. } = self.ctx.link {
            self.ctx.outputs.push_back(Output::Close { flow });
        }
        self.ctx.link = Link::Waiting;
        for key in [
            TimerKey::ConnectTimeout,
            TimerKey::Keepalive,
            TimerKey::PongTimeout,
            TimerKey::RegisterRefresh,
            TimerKey::RegisterRetry,
        ] {
            self.ctx.timers.cancel(&key);
        }
        let mut effects = Effects::default();
        self.ctx.transactions.fail_all(&mut effects);
        self.ctx.absorb(effects);
        self.registration = None;
        self.registered = false;
        if self.stopping {
            self.finish_stop();
            return;
        }
        self.attempts += 1;
        let servers = self.ctx.config.servers.len() as u32;
        // The next server at once; after a round of them all, a growing wait.
        let mut retry_in = if !self.attempts.is_multiple_of(servers) {
            0
        } else {
            self.reconnect_rounds.next_delay(RECONNECT_RETRY, &mut *self.ctx.random).unwrap_or(MAX_BACKOFF)
        };
        match self.registered_at.take() {
            Some(at) if self.ctx.now - at < STABLE_FLOW => {
                let wait = self.quick_drops.next_delay(QUICK_DROP_RETRY, &mut *self.ctx.random);
                retry_in = retry_in.max(wait.unwrap_or(QUICK_DROP_RETRY.max));
            }
            Some(_) => self.quick_drops.reset(),
            None => {}
        }
        self.ctx.event(Event::Disconnected { retry_in });
        self.ctx.timers.set(TimerKey::Reconnect, self.ctx.now + retry_in);
    }

    fn schedule_keepalive(&mut self) {
        let interval = u64::from(self.ctx.config.keepalive_seconds) * 1000;
        if interval == 0 || !self.ctx.transport().is_reliable() {
            return;
        }
        // RFC 5626 §4.4.1: a random time between 80 % and 100 % of the interval.
        let at = interval * 4 / 5 + self.ctx.random.below(interval / 5 + 1);
        self.ctx.timers.set(TimerKey::Keepalive, self.ctx.now + at);
    }

    pub(super) fn send_keepalive(&mut self) {
        if self.ctx.flow().is_none() {
            return;
        }
        self.ctx.send_bytes(b"\r\n\r\n".to_vec());
        if self.pongs_expected {
            self.ctx.timers.set(TimerKey::PongTimeout, self.ctx.now + PONG_TIMEOUT);
        }
        self.schedule_keepalive();
    }

    /// A CRLF keepalive arrived: a ping (answered with a pong) or a pong.
    pub(super) fn on_keepalive(&mut self, bytes: &[u8]) {
        if bytes == b"\r\n\r\n" {
            self.ctx.send_bytes(b"\r\n".to_vec());
        } else {
            // A server that answered once will answer again: from now on silence means a dead flow.
            self.pongs_expected = true;
        }
    }

    fn register(&mut self) {
        let config = &self.ctx.config;
        let Ok(contact) = Uri::parse(self.ctx.contact_uri().as_bytes()) else { return };
        let registration_config = RegistrationConfig {
            registrar: Uri::sip(None, &config.aor.host),
            aor: config.aor.clone(),
            contact,
            via_host: self.ctx.via_host.clone(),
            via_transport: self.ctx.transport().via_token().to_owned(),
            instance_id: config.instance_id.clone(),
            reg_id: 1,
            expires: config.register_expires,
            credentials: config.credentials.clone(),
        };
        let (call_id, tag) = (self.ctx.token(), self.ctx.tag());
        let mut registration = Registration::new(registration_config, call_id, tag);
        let outputs = registration.register(&mut *self.ctx.random);
        self.registration = Some(registration);
        self.registration_outputs(outputs);
    }

    /// Answers every later challenge with `credentials`: short-lived ones renewed before they
    /// expire, or new ones after the registrar refused the old (then, on a flow that is up, the
    /// registration starts again at once; a refusal's retry timer would wait).
    pub fn replace_credentials(&mut self, now: Millis, credentials: AuthCredentials) {
        self.ctx.now = now;
        self.ctx.replace_credentials(credentials.clone());
        if let Some(registration) = self.registration.as_mut() {
            registration.replace_credentials(credentials);
        }
        let idle = self.registration.as_ref().is_some_and(|r| r.state() == RegistrationState::Unregistered);
        if idle && !self.stopping && self.ctx.flow().is_some() {
            self.ctx.timers.cancel(&TimerKey::RegisterRetry);
            self.refresh_registration();
        }
        self.dispatch();
    }

    pub(super) fn refresh_registration(&mut self) {
        if let Some(registration) = self.registration.as_mut() {
            let outputs = registration.register(&mut *self.ctx.random);
            self.registration_outputs(outputs);
        }
    }

    pub(super) fn on_registration_notice(&mut self, notice: Notice) {
        let outputs = match (notice, self.registration.as_mut()) {
            (Notice::Response { response, .. }, Some(registration)) => {
                if response.status / 100 == 2 && requires(&response.headers, "outbound") {
                    // RFC 5626 §4.4.1: a registrar that requires outbound answers pings.
                    self.pongs_expected = true;
                }
                if response.status / 100 == 2 {
                    self.ctx.gruu =
                        public_gruu(&response.headers, &self.ctx.config.instance_id).or(self.ctx.gruu.take());
                }
                registration.on_response(self.ctx.now, &response, &mut *self.ctx.random)
            }
            (Notice::Failed { failure, .. }, Some(registration)) => registration.on_failure(failure),
            _ => return,
        };
        self.registration_outputs(outputs);
    }

    fn registration_outputs(&mut self, outputs: Vec<RegistrationOutput>) {
        for output in outputs {
            match output {
                RegistrationOutput::Send(request) => {
                    self.ctx.send_request(*request, Owner::Registration);
                }
                RegistrationOutput::RefreshAt(at) => self.ctx.timers.set(TimerKey::RegisterRefresh, at),
                RegistrationOutput::Event(RegistrationEvent::Registered { expires }) => {
                    let accepted = self.registration.as_mut().and_then(Registration::take_accepted_secret);
                    if let Some(ha1) = accepted {
                        let username = self.ctx.config.credentials.username().to_owned();
                        self.ctx.event(Event::SecretAccepted { username, ha1 });
                    }
                    if !self.registered {
                        self.registered = true;
                        self.attempts = 0;
                        self.reconnect_rounds.reset();
                        self.register_backoff.reset();
                        self.registered_at = Some(self.ctx.now);
                        self.ctx.event(Event::Registered { expires });
                        let recovering = self.ever_registered;
                        self.ever_registered = true;
                        self.resume_presence();
                        if recovering {
                            self.refresh_call_targets();
                        }
                    }
                }
                RegistrationOutput::Event(RegistrationEvent::GrantBelowFloor { granted, floor }) => {
                    self.ctx.event(Event::ServerProblem(ServerProblem::ShortRegistration { granted, floor }));
                }
                RegistrationOutput::Event(RegistrationEvent::Unregistered) => {
                    self.registered = false;
                    self.ctx.event(Event::Unregistered);
                }
                RegistrationOutput::Event(RegistrationEvent::Failed(failure)) => self.registration_failed(failure),
            }
        }
    }

    fn registration_failed(&mut self, failure: RegistrationFailure) {
        self.registered = false;
        self.ctx.timers.cancel(&TimerKey::RegisterRefresh);
        if self.stopping {
            return;
        }
        match failure {
            // The flow's own failure is handled where the flow is.
            RegistrationFailure::Transport => {}
            // This server cannot serve us now: try the next one.
            RegistrationFailure::Timeout => self.flow_failed(),
            RegistrationFailure::Rejected { status, .. } if status == 408 || status >= 500 => self.flow_failed(),
            // A server that keeps challenging may come round (or be a wrong password with
            // nonces that never repeat): try again later, never in a tight loop.
            failure @ RegistrationFailure::KeepsChallenging { .. } => {
                self.ctx.event(Event::RegistrationFailed(failure));
                let retry_in = self
                    .register_backoff
                    .next_delay(REGISTER_RETRY, &mut *self.ctx.random)
                    .unwrap_or(REGISTER_RETRY.max);
                self.ctx.timers.set(TimerKey::RegisterRetry, self.ctx.now + retry_in);
                self.ctx.event(Event::RegistrationRetry { retry_in });
            }
            failure => self.ctx.event(Event::RegistrationFailed(failure)),
        }
    }

    /// Once every call, subscription and the registration are done, closes the flow.
    pub(super) fn finish_stop_when_quiet(&mut self) {
        let unregistering = self.registration.as_ref().is_some_and(|r| r.state() == RegistrationState::Unregistering);
        // Completed transactions only absorb retransmissions: they need not hold the stop up.
        if !unregistering && !self.ctx.transactions.awaiting_response() {
            self.finish_stop();
        }
    }

    pub(super) fn finish_stop(&mut self) {
        if self.ctx.link == Link::Stopped {
            return;
        }
        if let Link::Connecting { flow, .. } | Link::Up { flow, .. } = self.ctx.link {
            self.ctx.outputs.push_back(Output::Close { flow });
        }
        self.ctx.link = Link::Stopped;
        let mut effects = Effects::default();
        self.ctx.transactions.fail_all(&mut effects);
        self.ctx.absorb(effects);
        self.dispatch_quietly();
        let calls: Vec<_> = self.calls.keys().copied().collect();
        for call in calls {
            self.end_call(call, super::CallEnd::HungUpHere);
        }
        let messages: Vec<_> = std::mem::take(&mut self.messages).into_keys().collect();
        for message in messages {
            self.ctx.event(Event::MessageFailed { message, status: 0, reason: "the phone stopped".into() });
        }
        self.registration = None;
        self.registered = false;
        self.registered_at = None;
        self.calls.clear();
        self.subscriptions.clear();
        self.publication = None;
        self.messages.clear();
        self.ctx.timers.cancel_where(|_| true);
        self.ctx.notices.clear();
        self.ctx.forget_trails();
        self.stopping = false;
        self.ctx.event(Event::Stopped);
    }

    /// Delivers the notices of failed transactions so that calls and messages report their
    /// end, without recursing into the stop logic.
    fn dispatch_quietly(&mut self) {
        self.stopping = false;
        self.dispatch();
    }
}

/// The `pub-gruu` of our binding (the one with our instance id) in a REGISTER's 2xx.
fn public_gruu(headers: &crate::message::Headers, instance_id: &str) -> Option<String> {
    let instance = format!("<{instance_id}>");
    headers
        .values(&HeaderName::Contact)
        .filter_map(|value| crate::headers::NameAddr::parse(value).ok())
        .find(|binding| binding.param("+sip.instance").flatten() == Some(instance.as_str()))
        .and_then(|binding| binding.param("pub-gruu").flatten().map(|gruu| gruu.trim_matches('"').to_owned()))
        .filter(|gruu| Uri::parse(gruu.as_bytes()).is_ok())
}

/// Whether a Require header lists `tag`.
pub(super) fn requires(headers: &crate::message::Headers, tag: &str) -> bool {
    headers.values(&HeaderName::Require).any(|value| value.eq_ignore_ascii_case(tag.as_bytes()))
}
