//! Subscriptions, publication and messages.

use super::net::{DOMAIN, Net, config};
use crate::agent::{Event, MAX_TEXT_BYTES, Package, TransportKind};
use crate::body::PresenceState;

/// An agent that shows messages.
fn taking_messages(net: &mut Net, user: &str) -> usize {
    let mut config = config(user, TransportKind::Ws);
    config.accept_messages = true;
    net.agent_with(config)
}

/// A MESSAGE from a peer, with these headers and body bytes.
fn message(call_id: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let kind = content_type.map(|t| format!("Content-Type: {t}\r\n")).unwrap_or_default();
    let mut bytes = format!(
        "MESSAGE sip:1002@{DOMAIN} SIP/2.0\r\nVia: SIP/2.0/WS peer.invalid;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\nFrom: \"Ana\" <sip:1003@{DOMAIN}>;tag=p1\r\nTo: <sip:1002@{DOMAIN}>\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 MESSAGE\r\n{kind}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The status the agent answered the MESSAGE `call_id` with.
fn status_of(net: &Net, call_id: &str) -> Option<u16> {
    let response =
        net.wire.iter().find(|m| m.starts_with("SIP/2.0 ") && m.contains(&format!("Call-ID: {call_id}\r\n")));
    response.and_then(|m| m.get(8..11)).and_then(|code| code.parse().ok())
}

#[test]
fn a_phone_that_shows_messages_takes_plain_text_and_tells_the_sender() {
    let mut net = Net::new();
    let a = net.agent("1001");
    let b = taking_messages(&mut net, "1002");
    let sent = net.with(a, |ua, now| ua.send_message(now, "1002", "Can you take line 2?\n☎ Ana")).expect("send");
    assert!(net.events(a).contains(&Event::MessageDelivered { message: sent }));
    let received = net.events(b);
    assert!(
        received.iter().any(|e| matches!(e, Event::MessageReceived { from, text }
            if from.user() == "1001" && text == "Can you take line 2?\n☎ Ana")),
        "{received:?}"
    );
}

#[test]
fn messages_that_are_not_plain_utf8_text_of_a_sane_size_are_refused_and_never_shown() {
    let mut net = Net::new();
    let b = taking_messages(&mut net, "1002");
    net.events(b);
    let huge = vec![b'a'; MAX_TEXT_BYTES + 1];
    let cases: [(&str, Option<&str>, &[u8], u16); 7] = [
        ("html", Some("text/html"), b"<b>hi</b>", 415),
        ("latin1", Some("text/plain;charset=ISO-8859-1"), b"caf\xe9", 415),
        ("untyped", None, b"hi", 400),
        ("bad-utf8", Some("text/plain"), b"caf\xe9", 400),
        ("blank", Some("text/plain"), b" \r\n ", 400),
        ("huge", Some("text/plain"), &huge, 413),
        ("fine", Some("text/plain; charset=\"UTF-8\""), "ok ✓".as_bytes(), 200),
    ];
    for (call_id, kind, body, status) in cases {
        net.inject(b, &message(call_id, kind, body));
        assert_eq!(status_of(&net, call_id), Some(status), "{call_id}");
    }
    let shown: Vec<_> = net
        .events(b)
        .into_iter()
        .filter_map(|e| if let Event::MessageReceived { text, .. } = e { Some(text) } else { None })
        .collect();
    assert_eq!(shown, ["ok ✓"]);
    let refusal = net.wire.iter().find(|m| m.contains("Call-ID: latin1\r\n") && m.starts_with("SIP/2.0 415"));
    assert!(refusal.is_some_and(|m| m.contains("Accept: text/plain")), "415 says what is taken: {refusal:?}");
}

#[test]
fn a_message_is_refused_with_480_and_a_reason_and_one_to_nobody_fails() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let sent = net.with(a, |ua, now| ua.send_message(now, "1002", "Call me back ✆")).expect("send");
    let events = net.events(a);
    assert!(
        events.iter().any(|e| matches!(e, Event::MessageFailed { message, status: 480, .. } if *message == sent)),
        "the sender is told the message was not delivered: {events:?}"
    );
    assert!(!events.iter().any(|e| matches!(e, Event::MessageDelivered { .. })));
    let refusal = net.wire.iter().find(|m| m.starts_with("SIP/2.0 480") && m.contains(" MESSAGE\r\n"));
    let refusal = refusal.unwrap_or_else(|| panic!("no 480 to the MESSAGE in {:?}", net.wire));
    assert!(refusal.contains(&format!("Reason: {}\r\n", crate::agent::MESSAGE_REFUSED_REASON)), "{refusal}");
    let received = net.events(b);
    assert!(received.iter().any(|e| matches!(e, Event::MessageRefused { from } if from.user() == "1001")));
    let lost = net.with(a, |ua, now| ua.send_message(now, "4040", "hello")).expect("send");
    assert!(
        net.events(a)
            .iter()
            .any(|e| matches!(e, Event::MessageFailed { message, status: 404, .. } if *message == lost))
    );
}

#[test]
fn subscriptions_and_publication_go_out_once_registered_and_again_after_a_reconnect() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.with(a, |ua, now| ua.subscribe(now, "1002", Package::Presence)).expect("subscribe");
    net.with(a, |ua, now| ua.subscribe(now, "1003", Package::Dialog)).expect("subscribe");
    net.with(a, |ua, now| ua.publish(now, PresenceState::Away, Some("Not Ready")));
    assert!(net.events(a).contains(&Event::Published));
    let count = |net: &Net, start: &str| net.wire.iter().filter(|m| m.starts_with(start)).count();
    assert_eq!(count(&net, "SUBSCRIBE "), 2);
    assert!(net.wire.iter().any(|m| m.starts_with("PUBLISH ") && m.contains("Not Ready") && m.contains("away")));
    net.drop_flow(a);
    net.advance(5_000);
    assert_eq!(count(&net, "SUBSCRIBE "), 4);
    assert_eq!(count(&net, "PUBLISH "), 2);
    net.with(a, |ua, now| ua.stop(now));
    assert!(net.wire.iter().any(|m| m.starts_with("SUBSCRIBE ") && m.contains("Expires: 0")));
    assert!(net.wire.iter().any(|m| m.starts_with("PUBLISH ") && m.contains("Expires: 0")));
}

#[test]
fn stopping_after_a_restart_ends_subscriptions() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.with(a, |ua, now| ua.stop(now));
    net.with(a, |ua, now| ua.start(now));
    net.advance(35_000);
    net.with(a, |ua, now| ua.subscribe(now, "1002", Package::Presence)).expect("subscribe");
    net.events(a);
    net.with(a, |ua, now| ua.stop(now));
    let events = net.events(a);
    assert!(matches!(events.last(), Some(Event::Stopped)), "{events:?}");
    assert_eq!(net.nodes[a].ua.stats().subscriptions, 0);
}
