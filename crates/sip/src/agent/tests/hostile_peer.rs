//! A hostile caller or server trying to steer the phone: Replaces naming a call that must not
//! be replaced, REFER outside a call in progress or to where it must not go, injected header
//! lines, a flood of INVITEs, messages that would be acknowledged and lost.

use super::calls::{connect, ended, incoming};
use super::net::{DOMAIN, Net, config};
use crate::agent::{
    CallEnd, CommandError, ConfigError, Event, ReferRefusal, TransferPattern, TransportKind, UserAgent,
};
use crate::random::SplitMix;

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.66\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n";

/// An INVITE from the hostile peer; `extra` is more header lines, each ending in CRLF.
fn invite(call_id: &str, from_tag: &str, extra: &str) -> Vec<u8> {
    format!(
        "INVITE sip:1001@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/WS evil.invalid;branch=z9hG4bK{call_id}{from_tag}\r\n\
         Max-Forwards: 70\r\nFrom: \"Mallory\" <sip:6666@{DOMAIN}>;tag={from_tag}\r\nTo: <sip:1001@{DOMAIN}>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:6666@192.0.2.66:5060>\r\n{extra}\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP}",
        SDP.len()
    )
    .into_bytes()
}

/// A request from the hostile peer in the dialog `call_id` (our tag `to_tag`, theirs `from_tag`).
fn in_dialog(method: &str, call_id: &str, to_tag: &str, from_tag: &str, cseq: u32, extra: &str) -> Vec<u8> {
    format!(
        "{method} sip:1001@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/WS evil.invalid;branch=z9hG4bK{method}{cseq}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:6666@{DOMAIN}>;tag={from_tag}\r\nTo: <sip:1001@{DOMAIN}>;tag={to_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:6666@192.0.2.66:5060>\r\n{extra}\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// The status of the agent's last response in `call_id` to `method`, from the wire.
fn answered(net: &Net, call_id: &str, method: &str) -> Vec<u16> {
    net.wire
        .iter()
        .filter(|m| m.starts_with("SIP/2.0 ") && m.contains(&format!("Call-ID: {call_id}\r\n")))
        .filter(|m| m.lines().any(|l| l.starts_with("CSeq: ") && l.ends_with(&format!(" {method}"))))
        .filter_map(|m| m.get(8..11).and_then(|code| code.parse().ok()))
        .collect()
}

/// The To tag the agent gave the dialog `call_id`, from its 180.
fn our_tag(net: &Net, call_id: &str) -> String {
    let ringing = net
        .wire
        .iter()
        .find(|m| m.starts_with("SIP/2.0 180") && m.contains(&format!("Call-ID: {call_id}\r\n")))
        .unwrap_or_else(|| panic!("no 180 for {call_id}"));
    let to = ringing.lines().find(|l| l.starts_with("To: ")).expect("To");
    to.split("tag=").nth(1).expect("a tag").to_owned()
}

#[test]
fn replaces_naming_the_callers_own_ringing_call_gets_481_and_nothing_is_answered() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.inject(a, &invite("own-call", "m1", ""));
    let ringing = incoming(&net.events(a));
    let tag = our_tag(&net, "own-call");
    let replaces = format!("Replaces: own-call;to-tag={tag};from-tag=m1\r\n");
    net.inject(a, &invite("second", "m2", &replaces));
    assert_eq!(answered(&net, "second", "INVITE"), [100, 481]);
    let events = net.events(a);
    assert!(!events.iter().any(|e| matches!(e, Event::Incoming { .. })), "{events:?}");
    assert_eq!(ended(&events, ringing), None, "the first call still rings");
    assert!(!answered(&net, "own-call", "INVITE").contains(&200), "nothing was answered");
    // The same with the tags the other way round, or a dialog that does not exist.
    let swapped = format!("Replaces: own-call;to-tag=m1;from-tag={tag}\r\n");
    net.inject(a, &invite("third", "m3", &swapped));
    assert_eq!(answered(&net, "third", "INVITE"), [100, 481]);
    let two = format!("Replaces: own-call;to-tag={tag};from-tag=m1\r\nReplaces: x;to-tag=1;from-tag=2\r\n");
    net.inject(a, &invite("fourth", "m4", &two));
    assert_eq!(answered(&net, "fourth", "INVITE"), [100, 400], "two Replaces are a bad request");
}

#[test]
fn replacing_an_early_call_we_placed_rings_and_cancels_the_old_one_when_answered() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let outgoing = net.with(a, |ua, now| ua.call(now, "1002", SDP.into())).expect("call");
    let b_call = incoming(&net.events(b));
    let invite = net.wire.iter().find(|m| m.starts_with("INVITE ")).expect("the INVITE").clone();
    let call_id = invite.lines().find_map(|l| l.strip_prefix("Call-ID: ")).expect("Call-ID").to_owned();
    let our_from = invite.lines().find_map(|l| l.strip_prefix("From: ")).expect("From");
    let our_tag = our_from.split("tag=").nth(1).expect("tag").to_owned();
    let ringing = net.wire.iter().find(|m| m.starts_with("SIP/2.0 180")).expect("180");
    let to = ringing.lines().find_map(|l| l.strip_prefix("To: ")).expect("To");
    let their_tag = to.split("tag=").nth(1).expect("tag").to_owned();
    net.events(a);
    let replaces = format!("Replaces: {call_id};to-tag={our_tag};from-tag={their_tag}\r\n");
    net.inject(a, &invite_bytes("pickup", &replaces));
    let events = net.events(a);
    let Some(Event::Incoming { call, replaces, auto_answer, .. }) =
        events.iter().find(|e| matches!(e, Event::Incoming { .. })).cloned()
    else {
        panic!("{events:?}")
    };
    assert_eq!((replaces, auto_answer), (Some(outgoing), false), "it rings like any call");
    net.with(a, |ua, now| ua.answer(now, call, SDP.into())).expect("answer");
    net.inject(a, &in_dialog("ACK", "pickup", &tag_of(&net, "pickup"), "p1", 1, ""));
    assert_eq!(ended(&net.events(a), outgoing), Some(CallEnd::Replaced));
    assert!(net.wire.iter().any(|m| m.starts_with("CANCEL ") && m.contains(&call_id)), "the early call is cancelled");
    assert_eq!(ended(&net.events(b), b_call), Some(CallEnd::CallerCancelled));
}

fn invite_bytes(call_id: &str, extra: &str) -> Vec<u8> {
    invite(call_id, "p1", extra)
}

/// Our tag in the dialog `call_id`, from our 200.
fn tag_of(net: &Net, call_id: &str) -> String {
    let ok = net
        .wire
        .iter()
        .find(|m| m.starts_with("SIP/2.0 200") && m.contains(&format!("Call-ID: {call_id}\r\n")))
        .expect("200");
    let to = ok.lines().find_map(|l| l.strip_prefix("To: ")).expect("To");
    to.split("tag=").nth(1).expect("tag").to_owned()
}

#[test]
fn early_only_refuses_to_replace_a_confirmed_call() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.inject(a, &invite("confirmed", "c1", ""));
    let call = incoming(&net.events(a));
    net.with(a, |ua, now| ua.answer(now, call, SDP.into())).expect("answer");
    let tag = tag_of(&net, "confirmed");
    net.inject(a, &in_dialog("ACK", "confirmed", &tag, "c1", 1, ""));
    let replaces = format!("Replaces: confirmed;to-tag={tag};from-tag=c1;early-only\r\n");
    net.inject(a, &invite("late", "c2", &replaces));
    assert_eq!(answered(&net, "late", "INVITE"), [100, 486]);
    let replaces = format!("Replaces: confirmed;to-tag={tag};from-tag=c1\r\n");
    net.inject(a, &invite("transfer", "c3", &replaces));
    let events = net.events(a);
    assert!(
        events.iter().any(|e| matches!(e, Event::Incoming { replaces: Some(r), auto_answer: false, .. } if *r == call)),
        "without a Referred-By it rings: {events:?}"
    );
}

#[test]
fn only_a_transfer_asked_by_the_replaced_calls_other_party_is_answered_without_ringing() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.inject(a, &invite("consulted", "c1", ""));
    let call = incoming(&net.events(a));
    net.with(a, |ua, now| ua.answer(now, call, SDP.into())).expect("answer");
    let tag = tag_of(&net, "consulted");
    net.inject(a, &in_dialog("ACK", "consulted", &tag, "c1", 1, ""));
    let replacing =
        |referred_by: &str| format!("Replaces: consulted;to-tag={tag};from-tag=c1\r\nReferred-By: {referred_by}\r\n");
    // Someone else claiming the transfer: it rings.
    net.inject(a, &invite("stranger", "s1", &replacing(&format!("<sip:7777@{DOMAIN}>"))));
    let events = net.events(a);
    assert!(
        events.iter().any(|e| matches!(e, Event::Incoming { replaces: Some(r), auto_answer: false, .. } if *r == call)),
        "{events:?}"
    );
    // The party we were consulted by sends its caller to us: answered without ringing.
    net.inject(a, &invite("transferee", "t1", &replacing(&format!("\"Mallory\" <sip:6666@{DOMAIN}>"))));
    let events = net.events(a);
    assert!(
        events.iter().any(|e| matches!(e, Event::Incoming { replaces: Some(r), auto_answer: true, .. } if *r == call)),
        "{events:?}"
    );
}

#[test]
fn refer_in_a_ringing_call_gets_403_without_notify_and_places_no_call() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.inject(a, &invite("early", "e1", ""));
    let call = incoming(&net.events(a));
    let tag = our_tag(&net, "early");
    let sent_before = net.wire.iter().filter(|m| !m.starts_with("SIP/2.0")).count();
    net.inject(a, &in_dialog("REFER", "early", &tag, "e1", 2, &format!("Refer-To: <sip:1003@{DOMAIN}>\r\n")));
    assert_eq!(answered(&net, "early", "REFER"), [403]);
    let requests: Vec<&String> = net.wire.iter().filter(|m| !m.starts_with("SIP/2.0")).collect();
    assert_eq!(requests.len(), sent_before, "no NOTIFY and no INVITE: {requests:?}");
    let events = net.events(a);
    assert!(!events.iter().any(|e| matches!(e, Event::Transferring { .. })));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::TransferRefused { call: c, reason: ReferRefusal::NotConfirmed, target, by: Some(by) }
            if *c == call && target == "sip:1003@framephone.test" && by.user() == "6666"
    )));
    // Outside any dialog, too.
    let stray =
        String::from_utf8(in_dialog("REFER", "nowhere", "x", "y", 1, "Refer-To: <sip:1003@framephone.test>\r\n"))
            .expect("text")
            .replace(";tag=x", "");
    net.inject(a, stray.as_bytes());
    assert_eq!(answered(&net, "nowhere", "REFER"), [403]);
}

#[test]
fn refer_to_a_foreign_domain_gets_403_and_the_call_stays() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (a_call, b_call) = connect(&mut net, a, b);
    net.with(b, |ua, now| ua.transfer(now, b_call, "sip:+19005550199@evil.example")).expect("refer");
    assert!(net.wire.iter().any(|m| m.starts_with("SIP/2.0 403") && m.contains(" REFER\r\n")));
    assert!(!net.wire.iter().any(|m| m.starts_with("INVITE sip:+19005550199")), "no call to the foreign target");
    let a_events = net.events(a);
    assert!(a_events.iter().any(|e| matches!(
        e,
        Event::TransferRefused { call, reason: ReferRefusal::Foreign(_), .. } if *call == a_call
    )));
    assert!(net.events(b).iter().any(|e| matches!(e, Event::TransferResult { succeeded: false, status: 403, .. })));
    assert_eq!(ended(&a_events, a_call), None);
}

#[test]
fn an_allowed_transfer_target_elsewhere_is_followed_as_it_is() {
    let mut net = Net::new();
    let mut settings = config("1001", TransportKind::Ws);
    settings.transfer_targets = vec![TransferPattern::parse("*.partner.example").expect("pattern")];
    let a = net.agent_with(settings);
    let b = net.agent("1002");
    let (_, b_call) = connect(&mut net, a, b);
    net.with(b, |ua, now| ua.transfer(now, b_call, "sip:desk@sales.partner.example")).expect("refer");
    let events = net.events(a);
    assert!(
        events.iter().any(|e| matches!(e, Event::Transferring { target, dial: None, .. } if target.uri == "sip:desk@sales.partner.example")),
        "{events:?}"
    );
}

#[test]
fn a_refer_to_with_an_injected_line_is_refused_and_nothing_reaches_the_wire() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (a_call, b_call) = connect(&mut net, a, b);
    let target = "sip:1003@framephone.test?Replaces=x%3Bto-tag%3D1%3Bfrom-tag%3D2%0D%0AX-Injected%3A%20yes";
    net.with(b, |ua, now| ua.transfer(now, b_call, target)).expect("refer");
    assert!(net.wire.iter().any(|m| m.starts_with("SIP/2.0 403") && m.contains(" REFER\r\n")));
    assert!(!net.wire.iter().any(|m| m.contains("\r\nX-Injected")), "no injected line anywhere");
    assert!(net.events(a).iter().any(|e| matches!(
        e,
        Event::TransferRefused { call, reason: ReferRefusal::UnsafeHeader, .. } if *call == a_call
    )));
    let other = "sip:1003@framephone.test?Subject=free%20money";
    net.with(b, |ua, now| ua.transfer(now, b_call, other)).expect("refer");
    assert!(
        net.events(a)
            .iter()
            .any(|e| matches!(e, Event::TransferRefused { reason: ReferRefusal::ForbiddenHeader(_), .. }))
    );
}

#[test]
fn a_transfer_goes_where_the_dialling_rules_say_and_no_further() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (_, b_call) = connect(&mut net, a, b);
    net.with(b, |ua, now| ua.transfer(now, b_call, "tel:+15550100199")).expect("refer");
    let Some(Event::Transferring { new_call, dial, .. }) =
        net.events(a).into_iter().find(|e| matches!(e, Event::Transferring { .. }))
    else {
        panic!("no transfer")
    };
    assert_eq!(dial.as_deref(), Some("+15550100199"));
    assert_eq!(
        net.with(a, |ua, now| ua.retarget_transfer(now, new_call, "sip:15550100199@evil.example")),
        Err(CommandError::BadTarget("sip:15550100199@evil.example".into()))
    );
    net.with(a, |ua, now| ua.retarget_transfer(now, new_call, "915550100199")).expect("rewritten");
    net.with(a, |ua, now| ua.send_offer(now, new_call, SDP.into())).expect("offer");
    assert!(net.wire.iter().any(|m| m.starts_with("INVITE sip:915550100199@framephone.test ")));
    assert!(
        net.with(a, |ua, now| ua.retarget_transfer(now, new_call, "1003")).is_err(),
        "not once the INVITE has left"
    );
}

#[test]
fn sixty_invites_at_once_ring_at_most_the_cap_and_the_rest_get_486() {
    let mut net = Net::new();
    let a = net.agent("1001");
    for n in 0..60 {
        net.inject(a, &invite(&format!("flood{n}"), &format!("f{n}"), ""));
    }
    let ringing = net.events(a).iter().filter(|e| matches!(e, Event::Incoming { .. })).count();
    assert_eq!(ringing, crate::agent::DEFAULT_MAX_CALLS);
    let busy = (0..60).filter(|n| answered(&net, &format!("flood{n}"), "INVITE").contains(&486)).count();
    assert_eq!(busy, 60 - crate::agent::DEFAULT_MAX_CALLS);
    assert_eq!(
        net.with(a, |ua, now| ua.call(now, "1002", SDP.into())),
        Err(CommandError::TooManyCalls(crate::agent::DEFAULT_MAX_CALLS))
    );
}

#[test]
fn the_cap_is_configurable_and_an_ended_call_frees_its_place() {
    let mut net = Net::new();
    let mut settings = config("1001", TransportKind::Ws);
    settings.max_calls = 1;
    let a = net.agent_with(settings);
    net.inject(a, &invite("one", "o1", ""));
    let first = incoming(&net.events(a));
    net.inject(a, &invite("two", "o2", ""));
    assert_eq!(answered(&net, "two", "INVITE"), [100, 486]);
    net.with(a, |ua, now| ua.reject(now, first, 603)).expect("decline");
    net.inject(a, &invite("three", "o3", ""));
    assert!(net.events(a).iter().any(|e| matches!(e, Event::Incoming { .. })));
}

#[test]
fn configured_text_with_line_breaks_is_refused_before_anything_is_sent() {
    let mut settings = config("1001", TransportKind::Ws);
    settings.display_name = Some("Agent\r\nX-Injected: yes".into());
    assert_eq!(
        UserAgent::new(settings, Box::new(SplitMix(1))).err(),
        Some(ConfigError::UnsafeText("the display name"))
    );
    let mut settings = config("1001", TransportKind::Ws);
    settings.user_agent = "Framephone\0".into();
    assert_eq!(UserAgent::new(settings, Box::new(SplitMix(1))).err(), Some(ConfigError::UnsafeText("the user agent")));
    let mut settings = config("1001", TransportKind::Ws);
    settings.max_calls = 0;
    assert_eq!(UserAgent::new(settings, Box::new(SplitMix(1))).err(), Some(ConfigError::NoCalls));
}

#[test]
fn tags_branches_and_call_ids_carry_enough_random_bits() {
    let mut net = Net::new();
    let (a, _b) = (net.agent("1001"), net.agent("1002"));
    net.with(a, |ua, now| ua.call(now, "1002", SDP.into())).expect("call");
    let invite = net.wire.iter().find(|m| m.starts_with("INVITE ")).expect("INVITE");
    let field = |prefix: &str| invite.lines().find_map(|l| l.strip_prefix(prefix)).expect(prefix).to_owned();
    let branch = field("Via: ").split("branch=z9hG4bK").nth(1).expect("branch").to_owned();
    let tag = field("From: ").split("tag=").nth(1).expect("tag").to_owned();
    let call_id = field("Call-ID: ");
    assert!(tag.len() * 4 >= 64 && tag.bytes().all(|b| b.is_ascii_hexdigit()), "{tag}");
    assert!(branch.len() * 4 >= 96, "{branch}");
    assert!(call_id.len() * 4 >= 96, "{call_id}");
}
