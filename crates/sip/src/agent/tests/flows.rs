//! Flows: registration, keepalive, reconnect and failover.

use super::net::{Net, config};
use crate::agent::{Event, Server, TransportKind};

#[test]
fn a_dropped_flow_reconnects_reregisters_and_the_call_survives() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (outgoing, incoming_call) = super::calls::connect(&mut net, a, b);
    net.drop_flow(a);
    let events = net.events(a);
    assert!(events.iter().any(|e| matches!(e, Event::Disconnected { .. })), "{events:?}");
    net.advance(35_000);
    let events = net.events(a);
    assert!(events.iter().any(|e| matches!(e, Event::Registered { .. })), "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::Ended { .. })), "{events:?}");
    assert!(
        net.wire.iter().any(|m| m.starts_with("UPDATE ")),
        "the call's target is refreshed: {:#?}",
        &net.wire[net.wire.len() - 4..]
    );
    net.with(b, |ua, now| ua.hang_up(now, incoming_call)).expect("hang up");
    assert_eq!(super::calls::ended(&net.events(a), outgoing), Some(crate::agent::CallEnd::HungUpThere));
}

#[test]
fn reconnect_waits_grow_and_the_next_server_is_tried_first() {
    let mut net = Net::new();
    let mut two = config("1001", TransportKind::Ws);
    two.servers.push(Server { address: "ws://backup.test/ws".into(), transport: TransportKind::Ws });
    net.server_down = true;
    let a = net.agent_with(two);
    let mut waits = Vec::new();
    let mut addresses = Vec::new();
    for _ in 0..8 {
        for event in net.events(a) {
            match event {
                Event::Disconnected { retry_in } => waits.push(retry_in),
                Event::Connecting { address } => addresses.push(address),
                _ => {}
            }
        }
        net.advance(31_000);
    }
    assert_eq!(
        &addresses[..4],
        ["ws://proxy.test/ws", "ws://backup.test/ws", "ws://proxy.test/ws", "ws://backup.test/ws"]
    );
    assert_eq!(waits[0], 0, "the backup is tried at once");
    assert!(waits[1] >= 500 && waits[1] <= 1000, "{waits:?}");
    assert!(waits[3] >= 1000 && waits[3] <= 2000, "{waits:?}");
    assert!(waits.iter().all(|w| *w <= 30_000), "{waits:?}");
    net.server_down = false;
    net.advance(31_000);
    assert!(net.events(a).iter().any(|e| matches!(e, Event::Registered { .. })));
}

#[test]
fn pings_go_out_and_a_silent_server_is_left_once_it_has_answered_before() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.events(a);
    net.advance(31_000);
    assert!(net.nodes[a].ua.is_registered());
    // The test server answers pings, so from now on a missing pong means a dead flow.
    net.silent = true;
    let flow_before = net.nodes[a].flow;
    net.advance(60_000);
    let events = net.events(a);
    assert!(events.iter().any(|e| matches!(e, Event::Disconnected { .. })), "{events:?}");
    assert_ne!(net.nodes[a].flow, flow_before);
    net.silent = false;
    net.advance(35_000);
    assert!(net.events(a).iter().any(|e| matches!(e, Event::Registered { .. })));
}

#[test]
fn registration_refreshes_before_expiry_and_stop_unregisters() {
    let mut net = Net::new();
    let a = net.agent("1001");
    net.advance(3_600_000);
    let registers = net.wire.iter().filter(|m| m.starts_with("REGISTER ")).count();
    assert!(registers >= 6, "one refresh per 565 s at most: {registers}");
    net.with(a, |ua, now| ua.stop(now));
    let events = net.events(a);
    assert!(events.iter().any(|e| matches!(e, Event::Unregistered)), "{events:?}");
    assert!(matches!(events.last(), Some(Event::Stopped)), "{events:?}");
    assert_eq!(net.nodes[a].ua.stats().timers, 0);
}

#[test]
fn over_udp_lost_messages_are_retransmitted() {
    let mut net = Net::new();
    net.loss_percent = 30;
    let a = net.agent_with(config("1001", TransportKind::Udp));
    let b = net.agent_with(config("1002", TransportKind::Udp));
    net.advance(40_000);
    for _ in 0..5 {
        let call = net.with(a, |ua, now| ua.call(now, "1002", "v=0\r\n".into()));
        let Ok(call) = call else { continue };
        net.advance(5_000);
        if let Some(incoming) = net.events(b).iter().find_map(|e| match e {
            Event::Incoming { call, .. } => Some(*call),
            _ => None,
        }) {
            let _ = net.with(b, |ua, now| ua.answer(now, incoming, "v=0\r\n".into()));
        }
        net.advance(40_000);
        let _ = net.with(a, |ua, now| ua.hang_up(now, call));
        net.advance(40_000);
    }
    net.loss_percent = 0;
    net.advance(120_000);
    for node in &net.nodes {
        let stats = node.ua.stats();
        assert_eq!((stats.calls, stats.transactions), (0, 0), "{stats:?}");
    }
}
