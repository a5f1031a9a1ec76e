//! Drives one user agent with arbitrary input: received bytes (raw, or built from what the agent
//! last sent so that dialogs and transactions match), hostile requests (Replaces naming its
//! dialogs, REFERs to foreign or injected targets, floods of INVITEs, MESSAGEs), commands, flow
//! drops and time. Nothing may panic, a call ends at most once, after a stop nothing is left,
//! and the phone cannot be steered: no more calls ring than the cap allows, a call is answered
//! without ringing only when it replaces a confirmed call, a transfer is followed only from a
//! confirmed call and only into our domain, no MESSAGE is acknowledged, and no injected header
//! line ever leaves.
//!
//! A hostile server is part of the input: the registrar may challenge every REGISTER with a
//! fresh nonce or a stale one, grant one second, or ask for an absurd Min-Expires, and any
//! request may be answered with a fresh-nonce or stale challenge, 412, 481, 423, 422 or a tiny
//! Expires, and subscriptions terminated on probation or deactivated. Whatever it does, the
//! agent never sends more than [`BURST_LIMIT`] requests of one method to one target at one
//! instant in reaction to what it received or to its timers: every retry is bounded.

use std::collections::{HashMap, HashSet};

/// The most requests of one method to one target the agent may send at one instant other than
/// on a command: a few subscriptions (the driver allows four) each starting over once and
/// answering a challenge and two stale ones, with room to spare. A retry loop exceeds it.
const BURST_LIMIT: u32 = 24;

/// How the driver's registrar answers REGISTER.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Registrar {
    /// 200 with the Contact asked for.
    Accept,
    /// 401 with a new nonce every time.
    FreshNonce,
    /// 401 with `stale=true` every time.
    Stale,
    /// 200 granting one second.
    Tiny,
    /// 423 asking for more than anyone should.
    TooBrief,
}

use sip::Millis;
use sip::agent::{AgentConfig, CallRef, Event, FlowId, Output, Server, TransportKind, UserAgent};
use sip::auth::Credentials;
use sip::headers::{CSeq, NameAddr};
use sip::message::{HeaderName, Message, Method, Request, Response, Uri};
use sip::random::SplitMix;

const DOMAIN: &str = "framephone.test";
const MAX_CALLS: usize = 3;

const SDP: &str = "v=0\r\nm=audio 9 RTP/AVP 0\r\n";

struct Driver {
    ua: UserAgent,
    now: Millis,
    flow: Option<FlowId>,
    /// The last request the agent sent, and the last response.
    last_request: Option<Request>,
    last_response: Option<Response>,
    calls: Vec<CallRef>,
    ended: HashMap<CallRef, u32>,
    established: HashSet<CallRef>,
    registrar: Registrar,
    /// Challenges sent so far (for fresh nonces).
    nonces: u32,
    /// Whether what the agent sends now is a reaction (to received bytes or timers), not a
    /// command's doing.
    reacting: bool,
    /// Requests sent in reaction at the current instant, per method and target.
    burst: HashMap<(String, String), u32>,
    burst_at: Millis,
}

impl Driver {
    fn pump(&mut self) {
        while let Some(output) = self.ua.poll_output() {
            match output {
                Output::Connect { flow, .. } => {
                    self.flow = Some(flow);
                    self.ua.connected(self.now, flow, None);
                }
                Output::Close { .. } => self.flow = None,
                // Keepalive pings.
                Output::Send { bytes, .. } if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) => {}
                Output::Send { bytes, .. } => match Message::parse(&bytes) {
                    Ok(message)
                        if message.headers().iter().any(|h| h.name.as_str().eq_ignore_ascii_case("X-Injected")) =>
                    {
                        panic!("an injected header line left: {message:?}")
                    }
                    Ok(Message::Request(request)) => {
                        self.count_burst(&request);
                        if request.method == Method::Register {
                            let answer = self.registrar_answer(&request);
                            self.receive(&answer.to_bytes().expect("a clean answer"));
                        }
                        self.last_request = Some(request);
                    }
                    Ok(Message::Response(response)) => {
                        let method = response.headers.get(&HeaderName::CSeq).and_then(|v| CSeq::parse(v).ok());
                        if method.is_some_and(|c| c.method == Method::Message) {
                            assert!(response.status >= 300, "a MESSAGE was acknowledged: {response:?}");
                        }
                        self.last_response = Some(response);
                    }
                    Err(error) => panic!("the agent sent bytes it cannot parse ({error}): {bytes:?}"),
                },
                Output::Event(event) => self.on_event(event),
            }
        }
    }

    fn live(&self) -> usize {
        self.calls.iter().filter(|c| !self.ended.contains_key(c)).count()
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Incoming { call, replaces, auto_answer, .. } => {
                self.calls.push(call);
                if auto_answer {
                    let replaced = replaces.expect("a call answered without ringing replaces one");
                    assert!(
                        self.established.contains(&replaced) && !self.ended.contains_key(&replaced),
                        "only a confirmed call may be replaced without ringing"
                    );
                } else {
                    assert!(self.live() <= MAX_CALLS, "more calls than the cap: {}", self.live());
                }
            }
            Event::Transferring { call, new_call, target, .. } => {
                assert!(
                    self.established.contains(&call) && !self.ended.contains_key(&call),
                    "a transfer was followed from a call that is not in progress"
                );
                let uri = Uri::parse(target.uri.as_bytes()).expect("a transfer target is a URI");
                assert!(uri.host.eq_ignore_ascii_case(DOMAIN), "a transfer left our domain: {target:?}");
                assert!(uri.headers.is_empty(), "a transfer target kept embedded headers: {target:?}");
                self.calls.push(new_call);
            }
            Event::Established { call, .. } => {
                self.established.insert(call);
            }
            Event::Ended { call, .. } => {
                let count = self.ended.entry(call).or_default();
                *count += 1;
                assert_eq!(*count, 1, "{call:?} ended twice");
            }
            _ => {}
        }
    }

    fn receive(&mut self, bytes: &[u8]) {
        self.reacting = true;
        if let Some(flow) = self.flow {
            self.ua.receive(self.now, flow, bytes);
        }
    }

    fn handle_timeout(&mut self) {
        self.reacting = true;
        self.ua.handle_timeout(self.now);
    }

    /// Counts a request the agent sent in reaction; too many at one instant is a retry loop.
    fn count_burst(&mut self, request: &Request) {
        if self.burst_at != self.now {
            self.burst.clear();
            self.burst_at = self.now;
        }
        if !self.reacting || request.method == Method::Ack {
            return;
        }
        let target = request.headers.get_str(&HeaderName::To).unwrap_or_default();
        let target = target.split(";tag=").next().unwrap_or_default().to_owned();
        let count = self.burst.entry((request.method.to_string(), target)).or_default();
        *count += 1;
        assert!(
            *count <= BURST_LIMIT,
            "{} {} sent {count} times at {:?} in reaction to the server: a retry without bound",
            request.method,
            request.uri,
            self.now
        );
    }

    /// The registrar's answer to a REGISTER, as the script set it up.
    fn registrar_answer(&mut self, request: &Request) -> Response {
        self.nonces += 1;
        let mut answer = match self.registrar {
            Registrar::Accept | Registrar::Tiny => Response::to_request(request, 200, Some("reg")),
            Registrar::FreshNonce | Registrar::Stale => Response::to_request(request, 401, Some("reg")),
            Registrar::TooBrief => Response::to_request(request, 423, Some("reg")),
        };
        match self.registrar {
            Registrar::Accept => {
                if let Some(contact) = request.headers.get(&HeaderName::Contact) {
                    answer.headers.push(HeaderName::Contact, contact.to_vec());
                }
            }
            Registrar::Tiny => answer.headers.push(HeaderName::Expires, "1"),
            Registrar::FreshNonce | Registrar::Stale => {
                let stale = if self.registrar == Registrar::Stale { ", stale=true" } else { "" };
                let value = format!(r#"Digest realm="x", nonce="reg{}", qop="auth"{stale}"#, self.nonces);
                answer.headers.push(HeaderName::WwwAuthenticate, value);
            }
            Registrar::TooBrief => answer.headers.push(HeaderName::MinExpires, "4000000000"),
        }
        answer
    }

    /// A hostile answer to the last request the agent sent, or (`pick` above 0xe0) a hostile
    /// registrar from now on.
    fn hostile(&mut self, pick: u8) {
        self.nonces += 1;
        let registrars =
            [Registrar::Accept, Registrar::FreshNonce, Registrar::Stale, Registrar::Tiny, Registrar::TooBrief];
        if pick > 0xe0 {
            self.registrar = registrars[usize::from(pick >> 1) % registrars.len()];
            return;
        }
        let pick = pick >> 1;
        let Some(request) = self.last_request.clone() else { return };
        let nonce = format!("h{}", self.nonces);
        let mut extra: Vec<(HeaderName, String)> = Vec::new();
        let status = match pick % 10 {
            0 => {
                extra.push((HeaderName::WwwAuthenticate, format!(r#"Digest realm="x", nonce="{nonce}", qop="auth""#)));
                401
            }
            1 => {
                let value = format!(r#"Digest realm="x", nonce="{nonce}", qop="auth", stale=true"#);
                extra.push((HeaderName::ProxyAuthenticate, value));
                407
            }
            2 => 412,
            3 => 481,
            4 => {
                // Growing, so that only honouring it once ends the retries.
                extra.push((HeaderName::MinExpires, (600 + self.nonces * 97).to_string()));
                423
            }
            5 => {
                extra.push((HeaderName::MinSe, (1800 + self.nonces * 13).to_string()));
                422
            }
            6 => {
                extra.push((HeaderName::Expires, "1".into()));
                extra.push((HeaderName::SipETag, nonce.clone()));
                if request.method == Method::Subscribe { 202 } else { 200 }
            }
            reason => {
                // The subscription (or any dialog) the last request made is terminated again.
                let reason = ["probation", "deactivated", "giveup;retry-after=1"][usize::from(reason) % 3];
                if let Some(mut notify) = far_request(self, Method::Notify, 50_000 + self.nonces, b"") {
                    let event = request.headers.get_str(&HeaderName::Event).unwrap_or("presence").to_owned();
                    notify.headers.set(HeaderName::Event, event);
                    notify.headers.set(HeaderName::SubscriptionState, format!("terminated;reason={reason}"));
                    notify.headers.remove(&HeaderName::ContentType);
                    self.receive(&notify.to_bytes().expect("a clean NOTIFY"));
                }
                return;
            }
        };
        let mut response = Response::to_request(&request, status, Some("far"));
        response.headers.push(HeaderName::Contact, "<sip:far@127.0.0.1:5070>");
        for (name, value) in extra {
            response.headers.push(name, value);
        }
        self.receive(&response.to_bytes().expect("a clean answer"));
    }

    fn call(&self, pick: u8) -> Option<CallRef> {
        (!self.calls.is_empty()).then(|| self.calls[usize::from(pick) % self.calls.len()])
    }
}

/// A response to the last request the agent sent.
fn response_to(request: &Request, status: u16) -> Response {
    let mut response = Response::to_request(request, status, Some("far"));
    response.headers.push(HeaderName::Contact, "<sip:far@127.0.0.1:5070>");
    if status == 401 || status == 407 {
        let name = if status == 401 { HeaderName::WwwAuthenticate } else { HeaderName::ProxyAuthenticate };
        response.headers.push(name, "Digest realm=\"x\", nonce=\"n\", qop=\"auth\"");
    }
    if (180..300).contains(&status) && request.method == Method::Invite {
        response.headers.push(HeaderName::ContentType, "application/sdp");
        response.body = SDP.as_bytes().to_vec();
    }
    response
}

/// A request from the far end in the dialog the agent's last request or response belongs to.
fn far_request(driver: &Driver, method: Method, cseq: u32, body: &[u8]) -> Option<Request> {
    // Our From is their To, and the other way round; the tag we gave as the far end is "far".
    let (from, to, call_id) = if let Some(response) = &driver.last_response {
        let from = response.headers.get(&HeaderName::From)?.to_vec();
        let to = response.headers.get(&HeaderName::To)?.to_vec();
        (from, to, response.headers.get(&HeaderName::CallId)?.to_vec())
    } else {
        let request = driver.last_request.as_ref()?;
        let mut to = request.headers.get(&HeaderName::To)?.to_vec();
        if !to.windows(4).any(|w| w == b"tag=") {
            to.extend_from_slice(b";tag=far");
        }
        (to, request.headers.get(&HeaderName::From)?.to_vec(), request.headers.get(&HeaderName::CallId)?.to_vec())
    };
    let mut request = Request::new(method.clone(), Uri::parse(b"sip:agent@h.invalid;transport=ws").ok()?);
    request.headers.push(HeaderName::Via, format!("SIP/2.0/WS far.invalid;branch=z9hG4bKfar{cseq}"));
    request.headers.push(HeaderName::MaxForwards, "70");
    request.headers.push(HeaderName::From, from);
    request.headers.push(HeaderName::To, to);
    request.headers.push(HeaderName::CallId, call_id);
    request.headers.push(HeaderName::CSeq, format!("{cseq} {method}"));
    request.headers.push(HeaderName::Contact, "<sip:far@127.0.0.1:5070>");
    match method {
        Method::Refer => request.headers.push(HeaderName::ReferTo, "<sip:1003@framephone.test>"),
        Method::Notify => {
            request.headers.push(HeaderName::Event, "refer");
            request.headers.push(HeaderName::SubscriptionState, "terminated");
            request.headers.push(HeaderName::ContentType, "message/sipfrag");
        }
        Method::Info => request.headers.push(HeaderName::ContentType, "application/dtmf-relay"),
        Method::Invite | Method::Update if !body.is_empty() => {
            request.headers.push(HeaderName::ContentType, "application/sdp")
        }
        _ => {}
    }
    request.body = body.to_vec();
    Some(request)
}

/// A new call from the far end.
fn incoming_invite(id: u8) -> Vec<u8> {
    invite_with(&format!("call-{id}"), &format!("in{id}"), "")
}

/// An INVITE from the far end with more header lines (each ending in CRLF).
fn invite_with(call_id: &str, tag: &str, extra: &str) -> Vec<u8> {
    format!(
        "INVITE sip:agent@h.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WS far.invalid;branch=z9hG4bKin{call_id}{tag}\r\n\
         From: <sip:1002@framephone.test>;tag={tag}\r\nTo: <sip:1001@framephone.test>\r\nCall-ID: {call_id}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:far@127.0.0.1:5070>\r\nSession-Expires: 90\r\nSupported: timer, replaces\r\n\
         {extra}Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
    .into_bytes()
}

/// The Call-ID, the agent's tag and the far end's tag of the dialog the agent's last request or
/// response belongs to.
fn dialog_ids(driver: &Driver) -> Option<(String, String, String)> {
    let tag = |value: &[u8]| NameAddr::parse(value).ok().and_then(|a| a.tag().map(str::to_owned));
    if let Some(response) = &driver.last_response {
        let far = tag(response.headers.get(&HeaderName::From)?)?;
        let ours = tag(response.headers.get(&HeaderName::To)?)?;
        return Some((response.headers.get_str(&HeaderName::CallId)?.to_owned(), ours, far));
    }
    let request = driver.last_request.as_ref()?;
    let ours = tag(request.headers.get(&HeaderName::From)?)?;
    let far = tag(request.headers.get(&HeaderName::To)?).unwrap_or_else(|| "far".into());
    Some((request.headers.get_str(&HeaderName::CallId)?.to_owned(), ours, far))
}

/// Refer-To values a hostile transferor might send.
const HOSTILE_TARGETS: [&str; 7] = [
    "<sip:+19005550199@evil.example>",
    "<sip:1003@framephone.test?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2%0D%0AX-Injected%3A%20yes>",
    "<sip:1003@framephone.test?Subject=hi%0D%0AX-Injected%3A%20yes>",
    "<sip:1003@framephone.test?X-Injected=yes>",
    "<tel:+15550100199>",
    "<sip:1003@framephone.test?Replaces=call-1%3Bto-tag%3Dfar%3Bfrom-tag%3Din1>",
    "<http://evil.example/>",
];

/// Plays `bytes` as a script against one agent.
pub fn drive(bytes: &[u8]) {
    let mut config = AgentConfig::new(
        Uri::parse(b"sip:1001@framephone.test").expect("aor"),
        Credentials { username: "1001".into(), password: "pw".into() },
        vec![Server { address: "ws://proxy.test".into(), transport: TransportKind::Ws }],
        "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
    );
    config.session_expires = 90;
    config.max_calls = MAX_CALLS;
    config.max_subscriptions = 4;
    let Ok(ua) = UserAgent::new(config, Box::new(SplitMix(1))) else { return };
    let mut driver = Driver {
        ua,
        now: Millis(0),
        flow: None,
        last_request: None,
        last_response: None,
        calls: Vec::new(),
        ended: HashMap::new(),
        established: HashSet::new(),
        registrar: Registrar::Accept,
        nonces: 0,
        reacting: false,
        burst: HashMap::new(),
        burst_at: Millis(0),
    };
    driver.ua.start(driver.now);
    driver.pump();
    let mut cseq = 100;
    let mut rest = bytes;
    while let [op, arg, tail @ ..] = rest {
        rest = tail;
        let (op, arg) = (*op, *arg);
        cseq += 1;
        driver.reacting = false;
        match op % 16 {
            0 => {
                let length = usize::from(arg).min(rest.len());
                let (message, tail) = rest.split_at(length);
                rest = tail;
                driver.receive(message);
            }
            1 => {
                driver.now = driver.now + u64::from(arg) * 250;
                driver.handle_timeout();
            }
            2 => {
                if let Ok(call) = driver.ua.call(driver.now, "1002", SDP.into()) {
                    driver.calls.push(call);
                }
            }
            3 => {
                if let Some(call) = driver.call(arg) {
                    let _ = driver.ua.answer(driver.now, call, SDP.into());
                    let _ = driver.ua.accept_offer(driver.now, call, SDP.into());
                    let _ = driver.ua.send_offer(driver.now, call, SDP.into());
                }
            }
            4 => {
                if let Some(call) = driver.call(arg) {
                    let _ = driver.ua.hang_up(driver.now, call);
                }
            }
            5 => {
                if let Some(call) = driver.call(arg) {
                    let _ = match arg % 4 {
                        0 => driver.ua.reoffer(driver.now, call, SDP.into()),
                        1 => driver.ua.send_dtmf(driver.now, call, '5', 100),
                        2 => driver.ua.transfer(driver.now, call, "1003"),
                        _ => driver.ua.reject(driver.now, call, 486),
                    };
                }
            }
            6 => {
                if let Some(flow) = driver.flow.take() {
                    driver.ua.closed(driver.now, flow);
                }
            }
            7 if arg & 1 == 1 => driver.hostile(arg),
            7 => {
                let status = 100 + u16::from(arg) * 2 % 600;
                if let Some(request) = driver.last_request.clone() {
                    driver.receive(&response_to(&request, status).to_bytes().expect("a clean response"));
                }
            }
            8 => driver.receive(&incoming_invite(arg % 4)),
            9 | 10 => {
                let methods = [
                    Method::Bye,
                    Method::Info,
                    Method::Invite,
                    Method::Update,
                    Method::Refer,
                    Method::Notify,
                    Method::Ack,
                    Method::Cancel,
                    Method::Options,
                    Method::Message,
                ];
                let method = methods[usize::from(arg) % methods.len()].clone();
                let body: &[u8] = match method {
                    Method::Info => b"Signal=7\r\nDuration=100\r\n",
                    Method::Notify => b"SIP/2.0 200 OK\r\n",
                    Method::Invite | Method::Update if arg & 0x80 != 0 => SDP.as_bytes(),
                    _ => b"",
                };
                if let Some(request) = far_request(&driver, method, cseq, body) {
                    driver.receive(&request.to_bytes().expect("a clean request"));
                }
            }
            11 => {
                let _ = driver.ua.send_message(driver.now, "1002", "hi");
                let _ = driver.ua.subscribe(driver.now, "1002", sip::agent::Package::Dialog);
                if arg & 1 == 1 {
                    driver.ua.publish(driver.now, sip::body::PresenceState::Away, Some("Not Ready"));
                }
            }
            12 => {
                // An INVITE that names the last dialog in Replaces, whatever state it is in.
                if let Some((call_id, ours, far)) = dialog_ids(&driver) {
                    let early_only = if arg & 1 == 1 { ";early-only" } else { "" };
                    let (to, from) = if arg & 2 == 2 { (&far, &ours) } else { (&ours, &far) };
                    let replaces = format!("Replaces: {call_id};to-tag={to};from-tag={from}{early_only}\r\n");
                    driver.receive(&invite_with(&format!("rep-{cseq}"), &format!("r{arg}"), &replaces));
                }
            }
            13 => {
                // A REFER in the last dialog to a hostile target.
                let target = HOSTILE_TARGETS[usize::from(arg) % HOSTILE_TARGETS.len()];
                if let Some(mut request) = far_request(&driver, Method::Refer, cseq, b"") {
                    request.headers.set(HeaderName::ReferTo, target);
                    driver.receive(&request.to_bytes().expect("a clean request"));
                }
            }
            14 => {
                // A flood of calls, some refusing SDP answers.
                for n in 0..=arg % 32 {
                    let accept = if n % 5 == 4 { "Accept: text/nobodyKnowsThis\r\n" } else { "" };
                    driver.receive(&invite_with(&format!("flood-{cseq}-{n}"), &format!("f{n}"), accept));
                }
            }
            _ => {
                let message = format!(
                    "MESSAGE sip:1001@framephone.test SIP/2.0\r\nVia: SIP/2.0/WS far.invalid;branch=z9hG4bKm{cseq}\r\n\
                     From: <sip:1002@framephone.test>;tag=m{arg}\r\nTo: <sip:1001@framephone.test>\r\nCall-ID: msg-{cseq}\r\n\
                     CSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi"
                );
                driver.receive(message.as_bytes());
            }
        }
        driver.pump();
    }
    // Ten quiet minutes against the server as it stands: timers alone stay bounded too.
    for _ in 0..600 {
        driver.now = driver.now + 1_000;
        driver.handle_timeout();
        driver.pump();
    }
    driver.reacting = false;
    driver.ua.stop(driver.now);
    driver.pump();
    driver.now = driver.now + 600_000;
    driver.handle_timeout();
    driver.pump();
    let stats = driver.ua.stats();
    assert_eq!((stats.calls, stats.transactions, stats.timers), (0, 0, 0), "left behind: {stats:?}");
    for call in &driver.calls {
        assert!(driver.ended.get(call).copied().unwrap_or(0) <= 1);
    }
}
