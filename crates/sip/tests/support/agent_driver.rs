//! Drives one user agent with arbitrary input: received bytes (raw, or built from what the agent
//! last sent so that dialogs and transactions match), commands, flow drops and time. Nothing
//! may panic, a call ends at most once, and after a stop nothing is left.

use std::collections::HashMap;

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
                        if request.method == Method::Register {
                            // The registrar accepts at once, so that calls can come in.
                            let mut ok = Response::to_request(&request, 200, Some("reg"));
                            if let Some(contact) = request.headers.get(&HeaderName::Contact) {
                                ok.headers.push(HeaderName::Contact, contact.to_vec());
                            }
                            self.receive(&ok.to_bytes().expect("a clean 200"));
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
        if let Some(flow) = self.flow {
            self.ua.receive(self.now, flow, bytes);
        }
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
    let Ok(ua) = UserAgent::new(config, Box::new(SplitMix(1))) else { return };
    let mut driver = Driver {
        ua,
        now: Millis(0),
        flow: None,
        last_request: None,
        last_response: None,
        calls: Vec::new(),
        ended: HashMap::new(),
    };
    driver.ua.start(driver.now);
    driver.pump();
    let mut cseq = 100;
    let mut rest = bytes;
    while let [op, arg, tail @ ..] = rest {
        rest = tail;
        let (op, arg) = (*op, *arg);
        cseq += 1;
        match op % 12 {
            0 => {
                let length = usize::from(arg).min(rest.len());
                let (message, tail) = rest.split_at(length);
                rest = tail;
                driver.receive(message);
            }
            1 => {
                driver.now = driver.now + u64::from(arg) * 250;
                driver.ua.handle_timeout(driver.now);
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
            _ => {
                let _ = driver.ua.send_message(driver.now, "1002", "hi");
                let _ = driver.ua.subscribe(driver.now, "1002", sip::agent::Package::Dialog);
            }
        }
        driver.pump();
    }
    driver.ua.stop(driver.now);
    driver.pump();
    driver.now = driver.now + 600_000;
    driver.ua.handle_timeout(driver.now);
    driver.pump();
    let stats = driver.ua.stats();
    assert_eq!((stats.calls, stats.transactions, stats.timers), (0, 0, 0), "left behind: {stats:?}");
    for call in &driver.calls {
        assert!(driver.ended.get(call).copied().unwrap_or(0) <= 1);
    }
}
