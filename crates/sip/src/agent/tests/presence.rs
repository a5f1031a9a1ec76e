//! Subscriptions, publication and messages.

use super::net::Net;
use crate::agent::{Event, Package};
use crate::body::PresenceState;

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
