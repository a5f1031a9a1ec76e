//! Drives one user agent with arbitrary input: received bytes (raw, or built from what the agent
//! last sent so that dialogs and transactions match), commands, flow drops and time. Nothing
//! may panic, a call ends at most once, and after a stop nothing is left.
//!
//! A hostile server is part of the input: the registrar may challenge every REGISTER with a
//! fresh nonce or a stale one, grant one second, or ask for an absurd Min-Expires, and any
//! request may be answered with a fresh-nonce or stale challenge, 412, 481, 423, 422 or a tiny
//! Expires, and subscriptions terminated on probation or deactivated. Whatever it does, the
//! agent never sends more than [`BURST_LIMIT`] requests of one method to one target at one
//! instant in reaction to what it received or to its timers: every retry is bounded.

use std::collections::HashMap;

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
use sip::message::{HeaderName, Message, Method, Request, Response, Uri};
use sip::random::SplitMix;

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
                    Ok(Message::Request(request)) => {
                        self.count_burst(&request);
                        if request.method == Method::Register {
                            let answer = self.registrar_answer(&request);
                            self.receive(&answer.to_bytes());
                        }
                        self.last_request = Some(request);
                    }
                    Ok(Message::Response(response)) => self.last_response = Some(response),
                    Err(error) => panic!("the agent sent bytes it cannot parse ({error}): {bytes:?}"),
                },
                Output::Event(event) => match event {
                    Event::Incoming { call, .. } => self.calls.push(call),
                    Event::Transferring { new_call, .. } => self.calls.push(new_call),
                    Event::Ended { call, .. } => {
                        let count = self.ended.entry(call).or_default();
                        *count += 1;
                        assert_eq!(*count, 1, "{call:?} ended twice");
                    }
                    _ => {}
                },
            }
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
                    self.receive(&notify.to_bytes());
                }
                return;
            }
        };
        let mut response = Response::to_request(&request, status, Some("far"));
        response.headers.push(HeaderName::Contact, "<sip:far@127.0.0.1:5070>");
        for (name, value) in extra {
            response.headers.push(name, value);
        }
        self.receive(&response.to_bytes());
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
    format!(
        "INVITE sip:agent@h.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WS far.invalid;branch=z9hG4bKin{id}\r\n\
         From: <sip:1002@framephone.test>;tag=in{id}\r\nTo: <sip:1001@framephone.test>\r\nCall-ID: call-{id}\r\n\
         CSeq: 1 INVITE\r\nContact: <sip:far@127.0.0.1:5070>\r\nSession-Expires: 90\r\nSupported: timer, replaces\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
    .into_bytes()
}

/// Plays `bytes` as a script against one agent.
pub fn drive(bytes: &[u8]) {
    let mut config = AgentConfig::new(
        Uri::parse(b"sip:1001@framephone.test").expect("aor"),
        Credentials { username: "1001".into(), password: "pw".into() },
        vec![Server { address: "ws://proxy.test".into(), transport: TransportKind::Ws }],
        "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
    );
    config.session_expires = 90;
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
        match op % 12 {
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
                    driver.receive(&response_to(&request, status).to_bytes());
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
                    driver.receive(&request.to_bytes());
                }
            }
            _ => {
                let _ = driver.ua.send_message(driver.now, "1002", "hi");
                let _ = driver.ua.subscribe(driver.now, "1002", sip::agent::Package::Dialog);
                if arg & 1 == 1 {
                    driver.ua.publish(driver.now, sip::body::PresenceState::Away, Some("Not Ready"));
                }
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
