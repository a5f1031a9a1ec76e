//! The user agent: registration, calls, transfers, presence and messages, driven by inputs and
//! answering with outputs. It does no I/O and reads no clock.
//!
//! How to drive it (inputs with the current time, outputs drained with
//! [`UserAgent::poll_output`], one timer from [`UserAgent::poll_timeout`], and what a command
//! issued in the middle of a drain does) is the crate's sans-IO contract, stated once in the
//! [crate documentation](crate#the-sans-io-contract).

mod backoff;
mod call;
mod config;
mod context;
mod dialog;
mod events;
mod link;
mod pager;
mod presence;
mod timers;
mod transactions;
mod transfer;
mod transfer_policy;

use crate::vec_map::VecMap;

use thiserror::Error;

pub use backoff::{Backoff, RetryPolicy};
pub use call::{MAX_MIN_SE, MovableCall};
pub use config::{AgentConfig, ConfigError, DEFAULT_MAX_CALLS, DEFAULT_MAX_SUBSCRIPTIONS, Server, TransportKind};
pub use context::Output;
pub use events::{CallEnd, CallRef, Event, FlowId, MessageRef, Party, RejectKind, ServerProblem, SubscriptionRef};
pub use presence::{MAX_SUBSCRIBE_EXPIRES, Package};
pub use transfer_policy::{PatternError, ReferRefusal, TransferPattern};

use call::Call;
use context::{Context, TimerKey};
use pager::PendingMessage;
pub use pager::{MAX_TEXT_BYTES, MESSAGE_REFUSED_REASON};
use presence::{Publication, Subscription};
use transactions::{Notice, Owner};

use crate::Millis;
use crate::message::{HeaderName, Message, Method, Request, Response, Uri};
use crate::random::Random;
use crate::registration::Registration;
use crate::validate::{
    Capabilities, SOFTPHONE_CONTENT_TYPES, SOFTPHONE_EXTENSIONS, SOFTPHONE_METHODS, UaState, Verdict,
};

/// Why a command could not be carried out.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CommandError {
    /// No call (or subscription) with this handle, or it has ended.
    #[error("there is no such call")]
    NoSuchCall,
    /// The command does not fit where the call is.
    #[error("the call cannot do that now: {0}")]
    WrongState(&'static str),
    /// The agent has no flow to a server.
    #[error("not connected to a SIP server")]
    Offline,
    /// The target is not a number or a SIP or tel URI (or, for a transfer, not one allowed).
    #[error("{0} is not a number or a sip: address this phone may call")]
    BadTarget(String),
    /// As many calls as configured are in progress already.
    #[error("{0} calls are in progress already: end one first")]
    TooManyCalls(usize),
    /// A DTMF digit outside 0–9, *, #, A–D.
    #[error("{0:?} is not a DTMF digit")]
    BadDigit(char),
    /// The agent already holds as many subscriptions as it is configured for.
    #[error("already watching {limit} contacts, the most allowed (max_subscriptions); stop watching one first")]
    TooManySubscriptions {
        /// The configured cap.
        limit: usize,
    },
}

/// Counts of what the agent holds, for tests and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentStats {
    /// Calls not yet forgotten (including ended ones whose last transaction is still running).
    pub calls: usize,
    /// Live transactions.
    pub transactions: usize,
    /// Subscriptions.
    pub subscriptions: usize,
    /// Outgoing MESSAGEs waiting for their response.
    pub messages: usize,
    /// Armed timers.
    pub timers: usize,
}

/// A SIP user agent for one address of record.
pub struct UserAgent {
    ctx: Context,
    registration: Option<Registration>,
    registered: bool,
    /// Registered once on some flow: a later registration is a recovery.
    ever_registered: bool,
    stopping: bool,
    /// Consecutive failed attempts to reach a server.
    attempts: u32,
    /// Rounds of all servers in a row that failed, for the wait before the next round.
    reconnect_rounds: backoff::Backoff,
    /// Registrations in a row the registrar refused with endless challenges.
    register_backoff: backoff::Backoff,
    /// When the current flow's registration succeeded.
    registered_at: Option<Millis>,
    /// Flows in a row that dropped soon after registering.
    quick_drops: backoff::Backoff,
    /// Whether the server answers CRLF pings, so a missing pong means a dead flow.
    pongs_expected: bool,
    next_flow: u64,
    next_handle: u32,
    calls: VecMap<CallRef, Call>,
    subscriptions: VecMap<SubscriptionRef, Subscription>,
    publication: Option<Publication>,
    messages: VecMap<MessageRef, PendingMessage>,
}

impl UserAgent {
    /// An agent for `config`; `random` supplies tags, branches, Call-IDs and jitter.
    pub fn new(config: AgentConfig, random: Box<dyn Random + Send>) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(UserAgent {
            ctx: Context::new(config, random),
            registration: None,
            registered: false,
            ever_registered: false,
            stopping: false,
            attempts: 0,
            reconnect_rounds: backoff::Backoff::default(),
            register_backoff: backoff::Backoff::default(),
            registered_at: None,
            quick_drops: backoff::Backoff::default(),
            pongs_expected: false,
            next_flow: 0,
            next_handle: 0,
            calls: VecMap::new(),
            subscriptions: VecMap::new(),
            publication: None,
            messages: VecMap::new(),
        })
    }

    /// The next thing the shell must do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.ctx.outputs.pop_front()
    }

    /// When [`UserAgent::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.ctx.timers.next()
    }

    /// Whether the agent is registered.
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    /// Counts of what the agent holds.
    pub fn stats(&self) -> AgentStats {
        AgentStats {
            calls: self.calls.len(),
            transactions: self.ctx.transactions.len(),
            subscriptions: self.subscriptions.len(),
            messages: self.messages.len(),
            timers: self.ctx.timers.keys().count(),
        }
    }

    /// The SIP Call-ID of a call the agent still knows: the id a CRM activity or a call
    /// record keeps, the same at both ends and in the servers' logs.
    pub fn call_id(&self, call: CallRef) -> Option<&str> {
        self.calls.get(&call).map(|c| c.call_id.as_str())
    }

    /// Each live transaction as "METHOD machine-state" and each armed timer, for diagnostics.
    pub fn describe_pending(&self) -> (Vec<String>, Vec<String>) {
        let timers = self.ctx.timers.keys().map(|key| format!("{key:?}")).collect();
        (self.ctx.transactions.describe(), timers)
    }

    /// Time has come: runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.ctx.now = now;
        while let Some(key) = self.ctx.timers.pop_due(now) {
            match key {
                TimerKey::Transaction(tx, timer) => {
                    let mut effects = transactions::Effects::default();
                    self.ctx.transactions.on_timer(tx, timer, now, &mut effects);
                    self.ctx.absorb(effects);
                }
                TimerKey::Reconnect => self.connect(),
                TimerKey::ConnectTimeout => self.flow_failed(),
                TimerKey::Keepalive => self.send_keepalive(),
                TimerKey::PongTimeout => self.flow_failed(),
                TimerKey::RegisterRefresh | TimerKey::RegisterRetry => self.refresh_registration(),
                TimerKey::StopDeadline => self.finish_stop(),
                TimerKey::Call(call, timer) => self.on_call_timer(call, timer),
                TimerKey::Subscription(subscription) => self.refresh_subscription(subscription),
                TimerKey::Publication => self.refresh_publication(),
            }
            self.dispatch();
        }
    }

    /// Bytes arrived on `flow`: one WebSocket message or one datagram.
    pub fn receive(&mut self, now: Millis, flow: FlowId, bytes: &[u8]) {
        self.ctx.now = now;
        if self.ctx.flow() != Some(flow) {
            return;
        }
        self.ctx.timers.cancel(&TimerKey::PongTimeout);
        if !bytes.is_empty() && bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            self.on_keepalive(bytes);
            return;
        }
        let capabilities = Capabilities {
            methods: SOFTPHONE_METHODS,
            extensions: SOFTPHONE_EXTENSIONS,
            content_types: SOFTPHONE_CONTENT_TYPES,
            state: &*self,
        };
        match crate::validate(bytes, &capabilities) {
            Verdict::Accept(Message::Response(response)) => {
                let mut effects = transactions::Effects::default();
                let matched = self.ctx.transactions.on_response(now, response.clone(), &mut effects);
                self.ctx.absorb(effects);
                if !matched {
                    self.on_stray_response(response);
                }
            }
            Verdict::Accept(Message::Request(request)) => {
                let mut effects = transactions::Effects::default();
                let new = self.ctx.transactions.on_request(now, request, &mut effects);
                self.ctx.absorb(effects);
                if let Some(request) = new {
                    self.on_request(request);
                }
            }
            Verdict::Respond(response) => self.ctx.send_serialized(response.to_bytes()),
            Verdict::Drop(reason) => self.ctx.event(Event::Ignored { reason: reason.to_string() }),
        }
        self.dispatch();
    }

    /// A response no transaction wants: a 2xx to an INVITE retransmitted after its transaction
    /// ended still needs our ACK again.
    fn on_stray_response(&mut self, response: Response) {
        let is_invite_2xx = response.status / 100 == 2
            && response
                .headers
                .get(&HeaderName::CSeq)
                .and_then(|v| crate::headers::CSeq::parse(v).ok())
                .is_some_and(|c| c.method == Method::Invite);
        if !is_invite_2xx {
            return;
        }
        let call_id = response.headers.get(&HeaderName::CallId).unwrap_or_default();
        let ack = self.calls.values().find(|c| c.call_id.as_bytes() == call_id).and_then(|c| c.ack.clone());
        if let Some(ack) = ack {
            self.ctx.send_bytes(ack);
        }
    }

    fn next_handle(&mut self) -> u32 {
        self.next_handle += 1;
        self.next_handle
    }

    /// A request that no transaction holds.
    fn on_request(&mut self, request: Request) {
        let to_tag = to_tag(&request);
        match request.method {
            Method::Ack => self.on_dialog_ack(request),
            Method::Cancel => self.on_cancel(request),
            _ if to_tag.is_some() => self.on_in_dialog_request(request),
            Method::Invite => self.on_incoming_invite(request),
            Method::Message => self.on_incoming_message(request),
            Method::Refer => {
                // A transfer is only followed inside a call in progress.
                let tx = self.ctx.start_server(&request, Owner::Agent);
                self.ctx.respond(tx, Response::to_request(&request, 403, None));
                let target = request.headers.get(&HeaderName::ReferTo).map(transfer_policy::shown_target);
                let target = target.unwrap_or_default();
                self.ctx.event(Event::Ignored { reason: format!("REFER to {target} outside any call refused (403)") });
            }
            Method::Options => {
                let tx = self.ctx.start_server(&request, Owner::Agent);
                let mut ok = Response::to_request(&request, 200, Some(&self.ctx.tag()));
                self.describe_capabilities(&mut ok);
                self.ctx.respond(tx, ok);
            }
            _ => {
                let tx = self.ctx.start_server(&request, Owner::Agent);
                let mut refused = Response::to_request(&request, 405, None);
                self.describe_capabilities(&mut refused);
                self.ctx.respond(tx, refused);
            }
        }
    }

    /// A request with a To tag: it belongs to a call or a subscription, else 481.
    fn on_in_dialog_request(&mut self, request: Request) {
        if let Some(call) = self.call_of(&request) {
            self.on_call_request(call, request);
        } else if let Some(subscription) = self.subscription_of(&request) {
            self.on_notify(subscription, request);
        } else {
            let tx = self.ctx.start_server(&request, Owner::Agent);
            self.ctx.respond(tx, Response::to_request(&request, 481, None));
        }
    }

    /// Allow, Accept and Supported, for OPTIONS and 405.
    fn describe_capabilities(&self, response: &mut Response) {
        let allow: Vec<String> = SOFTPHONE_METHODS.iter().map(ToString::to_string).collect();
        response.headers.push(HeaderName::Allow, allow.join(", "));
        response.headers.push(HeaderName::Accept, SOFTPHONE_CONTENT_TYPES.join(", "));
        response.headers.push(HeaderName::Supported, SOFTPHONE_EXTENSIONS.join(", "));
    }

    /// Hands every transaction notice to its owner.
    fn dispatch(&mut self) {
        while let Some(notice) = self.ctx.notices.pop_front() {
            let owner = match &notice {
                Notice::Response { owner, .. }
                | Notice::Ack { owner, .. }
                | Notice::Failed { owner, .. }
                | Notice::Terminated { owner, .. } => *owner,
            };
            let ended = match &notice {
                Notice::Terminated { tx, .. } => Some(*tx),
                _ => None,
            };
            match owner {
                Owner::Registration => self.on_registration_notice(notice),
                Owner::Call(call) => self.on_call_notice(call, notice),
                Owner::Subscription(subscription) => self.on_subscription_notice(subscription, notice),
                Owner::Publication => self.on_publication_notice(notice),
                Owner::Message(message) => self.on_message_notice(message, notice),
                Owner::Agent => {}
            }
            if let Some(tx) = ended {
                self.ctx.forget_trail(tx);
            }
        }
        self.forget_finished_calls();
        if self.stopping {
            self.finish_stop_when_quiet();
        }
    }

    /// Parses a dialling target: a SIP URI, or a user part at our domain.
    fn target(&self, target: &str) -> Result<Uri, CommandError> {
        let target = target.trim();
        let bad = || CommandError::BadTarget(target.to_owned());
        if target.is_empty() {
            return Err(bad());
        }
        if target.starts_with("sip:") || target.starts_with("sips:") || target.starts_with("tel:") {
            return Uri::parse(target.as_bytes()).map_err(|_| bad());
        }
        let user_ok = target.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-_.!~*'()&=$,;?/".contains(&b));
        if !user_ok {
            return Err(bad());
        }
        Ok(Uri::sip(Some(target), &self.ctx.config.aor.host))
    }
}

impl UaState for UserAgent {
    fn has_dialog(&self, call_id: &[u8], local_tag: &str, remote_tag: Option<&str>) -> bool {
        self.calls.values().any(|call| call.belongs(call_id, local_tag, remote_tag))
            || self.subscriptions.values().any(|s| s.belongs(call_id, local_tag))
    }

    fn has_transaction_to_cancel(&self, cancel: &Request) -> bool {
        self.ctx.transactions.cancelled_by(cancel).is_some()
    }
}

/// The To tag of a message.
fn to_tag(request: &Request) -> Option<String> {
    let to = crate::headers::NameAddr::parse(request.headers.get(&HeaderName::To)?).ok()?;
    to.tag().map(str::to_owned)
}

/// The reason phrase as text.
fn reason_text(response: &Response) -> String {
    String::from_utf8_lossy(&response.reason).into_owned()
}

#[cfg(test)]
mod tests;
