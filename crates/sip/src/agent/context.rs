//! What every part of the agent shares: the clock, the outputs, timers, transactions, the flow
//! and the credentials.

use std::collections::VecDeque;

use super::config::{AgentConfig, Server, TransportKind};
use super::events::{CallRef, Event, FlowId, SubscriptionRef};
use super::timers::TimerQueue;
use super::transactions::{Effects, Notice, Owner, Transactions, TxId};
use crate::Millis;
use crate::auth::{AuthCredentials, Challenge, DigestClient, RequestDigest, answer_header};
use crate::message::{HeaderName, Method, Request, Response, Uri};
use crate::random::Random;
use crate::transaction::{Timer, Transport};
use crate::vec_map::LinearMap;

/// What the shell must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Open a connection (or, for UDP, a socket) to `server` and report it as `flow` with
    /// [`super::UserAgent::connected`] or [`super::UserAgent::closed`].
    Connect {
        /// The id the shell must use for this connection.
        flow: FlowId,
        /// Where to.
        server: Server,
    },
    /// Send these bytes on `flow` (one WebSocket message, or one datagram).
    Send {
        /// The flow.
        flow: FlowId,
        /// One whole SIP message, or a CRLF keepalive.
        bytes: Vec<u8>,
    },
    /// Close `flow`; the agent has forgotten it.
    Close {
        /// The flow.
        flow: FlowId,
    },
    /// Tell the application.
    Event(Event),
}

/// The connection to a server, as the agent sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Link {
    /// Not started, or stopped.
    Stopped,
    /// The shell is connecting.
    Connecting { flow: FlowId, server: usize },
    /// The flow is up; `local` is the shell's local address for a UDP flow.
    Up { flow: FlowId, server: usize },
    /// Waiting for the reconnect timer.
    Waiting,
}

/// Timers of the whole agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TimerKey {
    Transaction(TxId, Timer),
    Reconnect,
    ConnectTimeout,
    Keepalive,
    PongTimeout,
    RegisterRefresh,
    /// Register again after the registrar kept challenging.
    RegisterRetry,
    StopDeadline,
    Call(CallRef, CallTimer),
    Subscription(SubscriptionRef),
    Publication,
}

/// Timers of one call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CallTimer {
    /// Retransmit our 2xx over UDP until the ACK arrives.
    Retransmit2xx,
    /// Give up waiting for the ACK of our 2xx.
    AckTimeout,
    /// Send the re-INVITE again after a 491 (RFC 3261 §14.1).
    GlareRetry,
    /// We refresh the session (RFC 4028).
    SessionRefresh,
    /// The other side failed to refresh the session.
    SessionExpiry,
    /// Nobody answered in time (outgoing: CANCEL; incoming: 480).
    NoAnswer,
    /// The application did not answer the other side's offer in time.
    OfferTimeout,
}

/// Shared state of the agent.
pub(crate) struct Context {
    pub config: AgentConfig,
    pub random: Box<dyn Random + Send>,
    pub now: Millis,
    pub outputs: VecDeque<Output>,
    pub timers: TimerQueue<TimerKey>,
    pub transactions: Transactions,
    pub notices: VecDeque<Notice>,
    pub link: Link,
    /// The sent-by host of our Via and the host of our Contact: a random `.invalid` name on
    /// WebSocket (RFC 7118 §5), the local address on UDP.
    pub via_host: String,
    /// The user part of our Contact (random, so that it reveals nothing).
    pub contact_user: String,
    /// Our public GRUU (RFC 5627) from the registrar: the Contact of our dialogs, which the
    /// registrar resolves to whatever flow we have now, so that dialogs survive a reconnect.
    pub gruu: Option<String>,
    digest: DigestClient,
    /// The last proxy challenge, answered in advance on new requests to save a round trip.
    proxy_challenge: Option<Challenge>,
    /// The challenges each retried request has answered so far (keyed by its transaction).
    auth_trails: LinearMap<TxId, AuthTrail>,
}

/// The challenges a chain of retries of one request has answered, so that no server can keep
/// it retrying: one answer per challenge header unless the challenge says `stale=true`, and at
/// most [`crate::registration::MAX_STALE_RETRIES`] stale ones in a row.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct AuthTrail {
    answered_www: bool,
    answered_proxy: bool,
    stale_in_row: u32,
}

/// Why a challenged request cannot be sent again with credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AuthProblem {
    /// Our answer to the same nonce was refused: the password is wrong.
    Refused,
    /// No challenge we can answer.
    Unusable,
    /// The server keeps challenging our answers (fresh nonces, or stale ones without end).
    KeepsChallenging,
}

impl Context {
    pub(crate) fn new(config: AgentConfig, mut random: Box<dyn Random + Send>) -> Self {
        let via_host = format!("{}.invalid", random.tag());
        let contact_user = random.tag();
        let digest = DigestClient::new(config.credentials.clone());
        Context {
            config,
            random,
            now: Millis(0),
            outputs: VecDeque::new(),
            timers: TimerQueue::new(),
            transactions: Transactions::default(),
            notices: VecDeque::new(),
            link: Link::Stopped,
            via_host,
            contact_user,
            gruu: None,
            digest,
            proxy_challenge: None,
            auth_trails: LinearMap::new(),
        }
    }

    /// The flow when it is up.
    pub(crate) fn flow(&self) -> Option<FlowId> {
        match self.link {
            Link::Up { flow, .. } => Some(flow),
            _ => None,
        }
    }

    /// Answers challenges to requests outside dialogs with `credentials` from now on.
    pub(crate) fn replace_credentials(&mut self, credentials: AuthCredentials) {
        self.config.credentials = credentials.clone();
        self.digest = DigestClient::new(credentials);
    }

    /// The transport of the current (or last) server.
    pub(crate) fn transport(&self) -> TransportKind {
        let server = match self.link {
            Link::Up { server, .. } | Link::Connecting { server, .. } => server,
            _ => 0,
        };
        self.config.servers.get(server).map_or(TransportKind::Wss, |s| s.transport)
    }

    fn reliability(&self) -> Transport {
        if self.transport().is_reliable() { Transport::Reliable } else { Transport::Unreliable }
    }

    /// A fresh Call-ID, branch or cnonce ([`crate::random::ID_BITS`] random bits).
    pub(crate) fn token(&mut self) -> String {
        self.random.token()
    }

    /// A fresh tag ([`crate::random::TAG_BITS`] random bits).
    pub(crate) fn tag(&mut self) -> String {
        self.random.tag()
    }

    /// A Via value with a fresh branch.
    pub(crate) fn via(&mut self) -> String {
        let rport = if self.transport() == TransportKind::Udp { ";rport" } else { "" };
        let branch = self.token();
        format!("SIP/2.0/{} {};branch=z9hG4bK{branch}{rport}", self.transport().via_token(), self.via_host)
    }

    /// Our Contact URI (RFC 5626 `ob` marks a flow the proxy must keep using).
    pub(crate) fn contact_uri(&self) -> String {
        match self.transport() {
            TransportKind::Udp => format!("sip:{}@{}", self.contact_user, self.via_host),
            kind => {
                format!(
                    "sip:{}@{};transport={}",
                    self.contact_user,
                    self.via_host,
                    kind.via_token().to_ascii_lowercase()
                )
            }
        }
    }

    /// The Contact header value for dialogs: the GRUU when the registrar gave one.
    pub(crate) fn contact(&self) -> String {
        match &self.gruu {
            Some(gruu) => format!("<{gruu}>"),
            None => self.flow_contact(),
        }
    }

    /// The Contact that names this flow. Subscriptions use it: a presence server sends its
    /// NOTIFYs straight to the Contact, and subscriptions start over after a reconnect anyway.
    pub(crate) fn flow_contact(&self) -> String {
        format!("<{};ob>", self.contact_uri())
    }

    /// Our From value without a tag.
    pub(crate) fn local_party(&self) -> String {
        match &self.config.display_name {
            Some(name) => format!("{} <{}>", super::dialog::quoted(name), self.config.aor),
            None => format!("<{}>", self.config.aor),
        }
    }

    /// A request outside any dialog (INVITE, SUBSCRIBE, PUBLISH, MESSAGE), with credentials
    /// answered in advance when we hold a proxy challenge.
    pub(crate) fn new_request(&mut self, method: Method, target: &Uri, call_id: &str, tag: &str, cseq: u32) -> Request {
        let mut request = Request::new(method.clone(), target.clone());
        let via = self.via();
        let headers = &mut request.headers;
        headers.push(HeaderName::Via, via);
        headers.push(HeaderName::MaxForwards, "70");
        headers.push(HeaderName::From, format!("{};tag={tag}", self.local_party()));
        headers.push(HeaderName::To, format!("<{target}>"));
        headers.push(HeaderName::CallId, call_id.to_owned());
        headers.push(HeaderName::CSeq, format!("{cseq} {method}"));
        request
    }

    /// Tells the application.
    pub(crate) fn event(&mut self, event: Event) {
        self.outputs.push_back(Output::Event(event));
    }

    /// Sends bytes outside any transaction (an ACK for a 2xx, a stateless response).
    pub(crate) fn send_bytes(&mut self, bytes: Vec<u8>) {
        if let Some(flow) = self.flow() {
            self.outputs.push_back(Output::Send { flow, bytes });
        }
    }

    /// Sends a message built outside any transaction, unless its serialization was refused.
    pub(crate) fn send_serialized(&mut self, bytes: Result<Vec<u8>, crate::message::SerializeError>) {
        match bytes {
            Ok(bytes) => self.send_bytes(bytes),
            Err(error) => self.event(Event::NotSent { reason: error.to_string() }),
        }
    }

    /// Sends a request in a new client transaction; with no flow it fails at once.
    pub(crate) fn send_request(&mut self, mut request: Request, owner: Owner) -> TxId {
        request.headers.push(HeaderName::UserAgent, self.config.user_agent.clone());
        let unsendable = request.to_bytes().err();
        let mut effects = Effects::default();
        let id = self.transactions.start_client(
            request,
            owner,
            self.now,
            self.config.timers,
            self.reliability(),
            &mut effects,
        );
        let sendable = unsendable.is_none();
        if let Some(error) = unsendable {
            self.event(Event::NotSent { reason: error.to_string() });
        }
        if self.flow().is_none() || !sendable {
            // Nothing can leave: the transaction ends the way a transport error ends it.
            self.absorb(Effects { sends: vec![], ..effects });
            let mut failed = Effects::default();
            self.transactions.fail(id, &mut failed);
            self.absorb(failed);
        } else {
            self.absorb(effects);
        }
        id
    }

    /// Starts a server transaction for a received request.
    pub(crate) fn start_server(&mut self, request: &Request, owner: Owner) -> TxId {
        let mut effects = Effects::default();
        let id = self.transactions.start_server(request, owner, self.config.timers, self.reliability(), &mut effects);
        self.absorb(effects);
        id
    }

    /// Answers through a server transaction.
    pub(crate) fn respond(&mut self, tx: TxId, mut response: Response) {
        if response.status > 100 {
            response.headers.push(HeaderName::Server, self.config.user_agent.clone());
        }
        if let Err(error) = response.to_bytes() {
            // The transaction goes on as if the response were lost; nothing leaves.
            self.event(Event::NotSent { reason: error.to_string() });
        }
        let mut effects = Effects::default();
        self.transactions.respond(tx, self.now, response, &mut effects);
        self.absorb(effects);
    }

    /// Applies what a transaction step produced.
    pub(crate) fn absorb(&mut self, effects: Effects) {
        for bytes in effects.sends {
            self.send_bytes(bytes);
        }
        for (tx, timer) in effects.cancel {
            self.timers.cancel(&TimerKey::Transaction(tx, timer));
        }
        for (tx, timer, at) in effects.schedule {
            self.timers.set(TimerKey::Transaction(tx, timer), at);
        }
        for notice in effects.notices {
            if let Notice::Terminated { tx, .. } = notice {
                self.timers.cancel_where(|key| matches!(key, TimerKey::Transaction(id, _) if *id == tx));
            }
            self.notices.push_back(notice);
        }
    }

    /// Adds credentials we already have a proxy challenge for (new out-of-dialog requests).
    pub(crate) fn authorize_in_advance(&mut self, request: &mut Request) {
        if let Some(challenge) = self.proxy_challenge.clone() {
            self.add_answer(request, &HeaderName::ProxyAuthenticate, &challenge);
        }
    }

    /// Sends the request of transaction `tx`, challenged by `response`, again with a new CSeq
    /// number, a new branch and our answer, owned by `owner`; returns the new transaction and
    /// the request sent. Fails when the challenge cannot or may no longer be answered.
    pub(crate) fn retry_challenged(
        &mut self,
        tx: TxId,
        request: &Request,
        response: &Response,
        cseq: u32,
        owner: Owner,
    ) -> Result<(TxId, Request), AuthProblem> {
        let mut trail = self.auth_trails.remove(&tx).unwrap_or_default();
        let retry = self.answer_challenge(request, response, cseq, &mut trail)?;
        let new_tx = self.send_request(retry.clone(), owner);
        if self.transactions.contains(new_tx) {
            self.auth_trails.insert(new_tx, trail);
        }
        Ok((new_tx, retry))
    }

    /// Forgets what transaction `tx` answered (it has ended).
    pub(crate) fn forget_trail(&mut self, tx: TxId) {
        self.auth_trails.remove(&tx);
    }

    /// Forgets every trail (the agent stopped).
    pub(crate) fn forget_trails(&mut self) {
        self.auth_trails = LinearMap::new();
    }

    /// The challenged `request` again, with a new CSeq number, a new branch and our answer.
    fn answer_challenge(
        &mut self,
        request: &Request,
        response: &Response,
        cseq: u32,
        trail: &mut AuthTrail,
    ) -> Result<Request, AuthProblem> {
        let header = if response.status == 407 { HeaderName::ProxyAuthenticate } else { HeaderName::WwwAuthenticate };
        // Without the password, only a challenge a kept HA1 answers will do.
        let challenge =
            self.digest.credentials().choose(response.headers.all(&header)).map_err(|_| AuthProblem::Unusable)?;
        // The same nonce challenging a request that answered it means the answer was wrong (a
        // stale nonce only expired). Other requests may meet that nonce for the first time.
        let answered = request
            .headers
            .all(&answer_header(&header))
            .any(|value| answered_nonce(value).as_deref() == Some(challenge.nonce.as_str()));
        if !challenge.stale && answered {
            return Err(AuthProblem::Refused);
        }
        // A fresh challenge to an answer this chain made after a challenge is a refusal too;
        // stale ones are answered, but not forever.
        let answered_here =
            if header == HeaderName::ProxyAuthenticate { &mut trail.answered_proxy } else { &mut trail.answered_www };
        if challenge.stale {
            trail.stale_in_row += 1;
            if trail.stale_in_row > crate::registration::MAX_STALE_RETRIES {
                return Err(AuthProblem::KeepsChallenging);
            }
        } else if *answered_here {
            return Err(AuthProblem::KeepsChallenging);
        } else {
            trail.stale_in_row = 0;
        }
        *answered_here = true;
        if header == HeaderName::ProxyAuthenticate {
            self.proxy_challenge = Some(challenge.clone());
        }
        let mut retry = request.clone();
        retry.headers.remove(&HeaderName::Authorization);
        retry.headers.remove(&HeaderName::ProxyAuthorization);
        retry.headers.remove(&HeaderName::UserAgent);
        retry.headers.set(HeaderName::Via, self.via());
        retry.headers.set(HeaderName::CSeq, format!("{cseq} {}", request.method));
        self.add_answer(&mut retry, &header, &challenge);
        Ok(retry)
    }

    fn add_answer(&mut self, request: &mut Request, header: &HeaderName, challenge: &Challenge) {
        let uri = request.uri.to_string();
        let cnonce = self.token();
        let method = request.method.to_string();
        let answer = self.digest.authorize(
            challenge,
            RequestDigest { method: &method, uri: &uri, body: &request.body },
            &cnonce,
        );
        // Challenges are kept only when these credentials answer them.
        if let Ok(value) = answer {
            request.headers.push(answer_header(header), value);
        }
    }
}

/// The `nonce` an Authorization or Proxy-Authorization value answers.
fn answered_nonce(value: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(value).ok()?;
    let params = text.trim_start().strip_prefix("Digest").unwrap_or(text);
    crate::headers::split_values(params.as_bytes()).filter_map(|param| std::str::from_utf8(param).ok()).find_map(
        |param| {
            let (name, value) = param.split_once('=')?;
            name.trim().eq_ignore_ascii_case("nonce").then(|| value.trim().trim_matches('"').to_owned())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::answered_nonce;

    #[test]
    fn the_answered_nonce_is_read_from_an_authorization_value() {
        let value = br#"Digest username="1001", realm="framephone.test", nonce="abc=", uri="sip:x", response="f", cnonce="zz", nc=00000001"#;
        assert_eq!(answered_nonce(value).as_deref(), Some("abc="));
        assert_eq!(answered_nonce(b"Digest cnonce=\"zz\""), None);
    }
}
