//! The sans-IO contract of the crate docs, "Commands while draining": outputs wait in one
//! first-in, first-out queue that every input appends to, so a command issued between two
//! `poll_output` calls (from the handler of an event just taken, as a shell does) changes nothing
//! in what comes out or in what order: the outputs still queued come first, then the command's,
//! exactly as if it had been issued after the drain. A command acts on the agent's present state,
//! which includes every input fed so far, drained or not.

use sip::Millis;
use sip::agent::{
    AgentConfig, CallEnd, CallRef, CommandError, Event, FlowId, Output, Server, TransportKind, UserAgent,
};
use sip::auth::Credentials;
use sip::body::PresenceState;
use sip::message::{HeaderName, Message, Response, Uri};
use sip::random::SplitMix;

const SDP: &str = "v=0\r\nm=audio 9 RTP/AVP 0\r\n";
const NOW: Millis = Millis(5_000);

/// An agent for 1001, registered on one WebSocket flow (everything drained), with its
/// deterministic generator: two agents made here produce the same bytes for the same inputs.
fn registered_agent() -> (UserAgent, FlowId) {
    let config = AgentConfig::new(
        Uri::parse(b"sip:1001@framephone.test").expect("aor"),
        Credentials { username: "1001".into(), password: "pw".into() },
        vec![Server { address: "ws://proxy.test".into(), transport: TransportKind::Ws }],
        "urn:uuid:00000000-0000-4000-8000-000000000001".into(),
    );
    let mut ua = UserAgent::new(config, Box::new(SplitMix(1))).expect("a valid configuration");
    ua.start(Millis(0));
    let flow = drain(&mut ua)
        .into_iter()
        .find_map(|output| match output {
            Output::Connect { flow, .. } => Some(flow),
            _ => None,
        })
        .expect("the agent asks for a connection");
    ua.connected(Millis(10), flow, None);
    let register = drain(&mut ua)
        .into_iter()
        .find_map(|output| match output {
            Output::Send { bytes, .. } => match Message::parse(&bytes) {
                Ok(Message::Request(request)) => Some(request),
                _ => None,
            },
            _ => None,
        })
        .expect("a REGISTER");
    let mut ok = Response::to_request(&register, 200, Some("reg"));
    ok.headers.push(HeaderName::Contact, register.headers.get(&HeaderName::Contact).expect("a Contact").to_vec());
    ua.receive(Millis(20), flow, &ok.to_bytes().expect("a clean response"));
    let registered = drain(&mut ua).iter().any(|o| matches!(o, Output::Event(Event::Registered { .. })));
    assert!(registered, "the agent registers");
    (ua, flow)
}

fn drain(ua: &mut UserAgent) -> Vec<Output> {
    std::iter::from_fn(|| ua.poll_output()).collect()
}

/// A new call from 1002, as the proxy hands it over.
fn invite(call_id: &str, tag: &str) -> Vec<u8> {
    format!(
        "INVITE sip:1001@framephone.test SIP/2.0\r\nVia: SIP/2.0/WS far.invalid;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:1002@framephone.test>;tag={tag}\r\nTo: <sip:1001@framephone.test>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:far@127.0.0.1:5070>\r\n\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
    .into_bytes()
}

/// The caller gives up on that call.
fn cancel(call_id: &str, tag: &str) -> Vec<u8> {
    format!(
        "CANCEL sip:1001@framephone.test SIP/2.0\r\nVia: SIP/2.0/WS far.invalid;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:1002@framephone.test>;tag={tag}\r\nTo: <sip:1001@framephone.test>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// One output in a few words: `send 180 INVITE call-a`, `send PUBLISH`, `Incoming call-b`.
fn describe(output: &Output, calls: &[(CallRef, &str)]) -> String {
    let name = |call: &CallRef| calls.iter().find(|(c, _)| c == call).map_or("?", |(_, name)| name);
    match output {
        Output::Send { bytes, .. } => match Message::parse(bytes) {
            Ok(Message::Request(request)) => format!("send {}", request.method),
            Ok(Message::Response(response)) => {
                let call_id = response.headers.get_str(&HeaderName::CallId).unwrap_or_default();
                let cseq = response.headers.get_str(&HeaderName::CSeq).unwrap_or_default();
                let method = cseq.split_whitespace().nth(1).unwrap_or_default();
                format!("send {} {method} {call_id}", response.status)
            }
            Err(_) => "send (unparsed)".into(),
        },
        Output::Event(Event::Incoming { call, .. }) => format!("Incoming {}", name(call)),
        Output::Event(Event::Ended { call, .. }) => format!("Ended {}", name(call)),
        other => format!("{other:?}"),
    }
}

/// The incoming calls in the order they were offered.
fn offered(outputs: &[Output]) -> Vec<CallRef> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(Event::Incoming { call, .. }) => Some(*call),
            _ => None,
        })
        .collect()
}

/// Two calls arrive before the shell drains anything. The shell publishes "on a call" and turns
/// the first call away (486, as a Not Ready agent does), either after draining everything or
/// in the middle of the drain: the publication right after taking the first output, the
/// rejection from the handler of the first call's Incoming event, while the second call's
/// outputs are still queued. Both ways produce the same outputs, byte for byte, in the same
/// order; in the middle of the drain the queued outputs come out before the commands'.
#[test]
fn a_command_issued_while_draining_appends_its_outputs_after_those_still_queued() {
    // After the drain.
    let (mut ua, flow) = registered_agent();
    ua.receive(NOW, flow, &invite("call-a", "a"));
    ua.receive(NOW, flow, &invite("call-b", "b"));
    let mut after = drain(&mut ua);
    let first_call = offered(&after)[0];
    ua.publish(NOW, PresenceState::Busy, Some("On a call"));
    ua.reject(NOW, first_call, 486).expect("the ringing call can be rejected");
    after.extend(drain(&mut ua));

    // In the middle of the drain.
    let (mut ua, flow) = registered_agent();
    ua.receive(NOW, flow, &invite("call-a", "a"));
    ua.receive(NOW, flow, &invite("call-b", "b"));
    let mut during = vec![ua.poll_output().expect("the calls' outputs are queued")];
    ua.publish(NOW, PresenceState::Busy, Some("On a call"));
    let published_after = during.len();
    let mut rejected_after = None;
    while let Some(output) = ua.poll_output() {
        let incoming = match &output {
            Output::Event(Event::Incoming { call, .. }) => Some(*call),
            _ => None,
        };
        during.push(output);
        if let Some(call) = incoming
            && rejected_after.is_none()
        {
            ua.reject(NOW, call, 486).expect("the ringing call can be rejected");
            rejected_after = Some(during.len());
        }
    }
    let rejected_after = rejected_after.expect("the first call was offered");

    let calls = offered(&during);
    assert_eq!(calls.len(), 2, "both calls are offered");
    let names = [(calls[0], "call-a"), (calls[1], "call-b")];
    let words: Vec<String> = during.iter().map(|o| describe(o, &names)).collect();
    eprintln!("drained: {words:#?}");
    let position = |word: &str| words.iter().position(|w| w == word).unwrap_or_else(|| panic!("{word} in {words:?}"));

    assert_eq!(during, after, "issuing the commands mid-drain changes no output and no order");
    // Not vacuous: both commands came while outputs of the earlier inputs were still queued.
    assert!(
        position("Incoming call-b") >= published_after,
        "the publication came before the calls' outputs were all taken"
    );
    assert!(
        position("Incoming call-b") >= rejected_after,
        "the rejection came before the second call's outputs were taken"
    );
    // The queued outputs first, then each command's, in the order the commands were issued.
    assert!(position("Incoming call-a") < position("Incoming call-b"));
    assert!(position("Incoming call-b") < position("send PUBLISH"));
    assert!(position("send PUBLISH") < position("send 486 INVITE call-a"));
    assert!(position("send 486 INVITE call-a") < position("Ended call-a"));
    assert_eq!(words.iter().filter(|w| *w == "Ended call-a").count(), 1, "every output exactly once");
    assert!(!words.contains(&"Ended call-b".to_owned()), "the second call still rings");
}

/// A call is offered and cancelled before the shell drains anything. The shell, handling the
/// Incoming event, answers: the agent already knows the call has ended (the CANCEL is an input
/// it has processed; only its outputs wait), so the answer is refused and sends nothing, and the
/// drain goes on to the call's end.
#[test]
fn a_command_acts_on_every_input_fed_so_far_not_on_the_output_being_handled() {
    let (mut ua, flow) = registered_agent();
    ua.receive(NOW, flow, &invite("call-a", "a"));
    ua.receive(NOW, flow, &cancel("call-a", "a"));
    let mut drained = Vec::new();
    let mut answer = None;
    while let Some(output) = ua.poll_output() {
        if let Output::Event(Event::Incoming { call, .. }) = &output {
            answer = Some(ua.answer(NOW, *call, SDP.into()));
        }
        drained.push(output);
    }
    let calls = offered(&drained);
    let words: Vec<String> = drained.iter().map(|o| describe(o, &[(calls[0], "call-a")])).collect();
    eprintln!("drained: {words:#?}");
    assert_eq!(answer, Some(Err(CommandError::NoSuchCall)), "the call had ended when the shell answered");
    assert!(!words.contains(&"send 200 INVITE call-a".to_owned()), "nothing answers the cancelled call: {words:?}");
    let ended = drained.iter().find_map(|o| match o {
        Output::Event(Event::Ended { call, reason }) if *call == calls[0] => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(ended, Some(CallEnd::CallerCancelled), "the drain still reports the call's end: {words:?}");
    let position = |word: &str| words.iter().position(|w| w == word).unwrap_or_else(|| panic!("{word} in {words:?}"));
    assert!(position("Incoming call-a") < position("send 487 INVITE call-a"));
    assert!(position("send 487 INVITE call-a") < position("Ended call-a"));
}
