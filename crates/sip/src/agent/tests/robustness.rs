//! Random sequences of commands, lost messages, dropped flows and time: every call ends
//! exactly once, nothing panics, and once everything is hung up nothing is left behind.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::net::{Net, config};
use crate::agent::{CallRef, Event, Package, TransportKind};

const USERS: [&str; 3] = ["1001", "1002", "1003"];
const SDP: &str = "v=0\r\nm=audio 9 RTP/AVP 0\r\n";

#[derive(Clone, Debug)]
enum Op {
    Call { from: usize, to: usize },
    Answer { node: usize, pick: usize },
    Reject { node: usize, pick: usize, status: u16 },
    HangUp { node: usize, pick: usize },
    Reoffer { node: usize, pick: usize },
    AcceptOffer { node: usize, pick: usize },
    Dtmf { node: usize, pick: usize },
    Transfer { node: usize, pick: usize, to: usize },
    Attended { node: usize, pick: usize, other: usize },
    SendOffer { node: usize, pick: usize },
    Message { from: usize, to: usize },
    Subscribe { from: usize, to: usize },
    DropFlow { node: usize },
    Advance { millis: u64 },
    Stop { node: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let node = 0..USERS.len();
    let pick = 0..4usize;
    prop_oneof![
        3 => (node.clone(), node.clone()).prop_map(|(from, to)| Op::Call { from, to }),
        3 => (node.clone(), pick.clone()).prop_map(|(node, pick)| Op::Answer { node, pick }),
        1 => (node.clone(), pick.clone(), prop::sample::select(vec![486u16, 603, 480])).prop_map(|(node, pick, status)| Op::Reject { node, pick, status }),
        2 => (node.clone(), pick.clone()).prop_map(|(node, pick)| Op::HangUp { node, pick }),
        2 => (node.clone(), pick.clone()).prop_map(|(node, pick)| Op::Reoffer { node, pick }),
        2 => (node.clone(), pick.clone()).prop_map(|(node, pick)| Op::AcceptOffer { node, pick }),
        1 => (node.clone(), pick.clone()).prop_map(|(node, pick)| Op::Dtmf { node, pick }),
        1 => (node.clone(), pick.clone(), node.clone()).prop_map(|(node, pick, to)| Op::Transfer { node, pick, to }),
        1 => (node.clone(), pick.clone(), pick.clone()).prop_map(|(node, pick, other)| Op::Attended { node, pick, other }),
        2 => (node.clone(), pick.clone()).prop_map(|(node, pick)| Op::SendOffer { node, pick }),
        1 => (node.clone(), node.clone()).prop_map(|(from, to)| Op::Message { from, to }),
        1 => (node.clone(), node.clone()).prop_map(|(from, to)| Op::Subscribe { from, to }),
        1 => node.clone().prop_map(|node| Op::DropFlow { node }),
        3 => prop::sample::select(vec![10u64, 500, 2_000, 35_000, 200_000]).prop_map(|millis| Op::Advance { millis }),
        1 => node.prop_map(|node| Op::Stop { node }),
    ]
}

/// What the test knows of each agent's calls.
#[derive(Default)]
struct Ledger {
    /// Every call handle ever seen per node, in order.
    calls: Vec<Vec<CallRef>>,
    /// How many times each call was reported ended.
    ended: Vec<BTreeMap<CallRef, usize>>,
    offers: Vec<BTreeSet<CallRef>>,
    awaiting_offer: Vec<BTreeSet<CallRef>>,
}

impl Ledger {
    fn new() -> Ledger {
        let n = USERS.len();
        Ledger {
            calls: vec![Vec::new(); n],
            ended: vec![BTreeMap::new(); n],
            offers: vec![BTreeSet::new(); n],
            awaiting_offer: vec![BTreeSet::new(); n],
        }
    }

    fn absorb(&mut self, net: &mut Net) {
        for (node, user) in USERS.iter().enumerate() {
            for event in net.events(node) {
                match event {
                    Event::Incoming { call, .. } => self.calls[node].push(call),
                    Event::Transferring { new_call, .. } => {
                        self.calls[node].push(new_call);
                        self.awaiting_offer[node].insert(new_call);
                    }
                    Event::RemoteOffer { call, .. } => {
                        self.offers[node].insert(call);
                    }
                    Event::Ended { call, .. } => {
                        let count = self.ended[node].entry(call).or_default();
                        *count += 1;
                        assert_eq!(*count, 1, "{call:?} of {user} ended twice");
                        assert!(self.calls[node].contains(&call), "{call:?} ended but was never announced");
                    }
                    _ => {}
                }
            }
        }
    }

    fn live(&self, node: usize, pick: usize) -> Option<CallRef> {
        let live: Vec<CallRef> =
            self.calls[node].iter().copied().filter(|c| !self.ended[node].contains_key(c)).collect();
        (!live.is_empty()).then(|| live[pick % live.len()])
    }
}

fn play(transport: TransportKind, loss_percent: u64, ops: Vec<Op>) {
    let mut net = Net::new();
    for user in USERS {
        let mut agent = config(user, transport);
        agent.session_expires = 90;
        net.agent_with(agent);
    }
    net.loss_percent = loss_percent;
    let mut ledger = Ledger::new();
    ledger.absorb(&mut net);
    for op in ops {
        match op {
            Op::Call { from, to } => {
                if let Ok(call) = net.with(from, |ua, now| ua.call(now, USERS[to], SDP.into())) {
                    ledger.calls[from].push(call);
                }
            }
            Op::Answer { node, pick } => {
                if let Some(call) = ledger.live(node, pick) {
                    let _ = net.with(node, |ua, now| ua.answer(now, call, SDP.into()));
                }
            }
            Op::Reject { node, pick, status } => {
                if let Some(call) = ledger.live(node, pick) {
                    let _ = net.with(node, |ua, now| ua.reject(now, call, status));
                }
            }
            Op::HangUp { node, pick } => {
                if let Some(call) = ledger.live(node, pick) {
                    let _ = net.with(node, |ua, now| ua.hang_up(now, call));
                }
            }
            Op::Reoffer { node, pick } => {
                if let Some(call) = ledger.live(node, pick) {
                    let _ =
                        net.with(node, |ua, now| ua.reoffer(now, call, SDP.replace("0\r\n", "0\r\na=sendonly\r\n")));
                }
            }
            Op::AcceptOffer { node, pick } => {
                if let Some(call) = ledger.live(node, pick).filter(|c| ledger.offers[node].contains(c)) {
                    let _ = net.with(node, |ua, now| ua.accept_offer(now, call, SDP.into()));
                }
            }
            Op::Dtmf { node, pick } => {
                if let Some(call) = ledger.live(node, pick) {
                    let _ = net.with(node, |ua, now| ua.send_dtmf(now, call, '7', 100));
                }
            }
            Op::Transfer { node, pick, to } => {
                if let Some(call) = ledger.live(node, pick) {
                    let _ = net.with(node, |ua, now| ua.transfer(now, call, USERS[to]));
                }
            }
            Op::Attended { node, pick, other } => {
                if let (Some(call), Some(consultation)) = (ledger.live(node, pick), ledger.live(node, other)) {
                    let _ = net.with(node, |ua, now| ua.transfer_attended(now, call, consultation));
                }
            }
            Op::SendOffer { node, pick } => {
                let waiting: Vec<CallRef> = ledger.awaiting_offer[node].iter().copied().collect();
                if !waiting.is_empty() {
                    let call = waiting[pick % waiting.len()];
                    ledger.awaiting_offer[node].remove(&call);
                    let _ = net.with(node, |ua, now| ua.send_offer(now, call, SDP.into()));
                }
            }
            Op::Message { from, to } => {
                let _ = net.with(from, |ua, now| ua.send_message(now, USERS[to], "hi"));
            }
            Op::Subscribe { from, to } => {
                let _ = net.with(from, |ua, now| ua.subscribe(now, USERS[to], Package::Presence));
            }
            Op::DropFlow { node } => net.drop_flow(node),
            Op::Advance { millis } => net.advance(millis),
            Op::Stop { node } => {
                net.with(node, |ua, now| ua.stop(now));
                net.with(node, |ua, now| ua.start(now));
            }
        }
        ledger.absorb(&mut net);
    }
    // Hang up everything, let every timer run out, and look for leftovers.
    net.loss_percent = 0;
    for node in 0..USERS.len() {
        for call in ledger.calls[node].clone() {
            let _ = net.with(node, |ua, now| ua.hang_up(now, call));
        }
        net.with(node, |ua, now| ua.stop(now));
    }
    net.advance(600_000);
    ledger.absorb(&mut net);
    for (node, calls) in ledger.calls.iter().enumerate() {
        for call in calls {
            assert_eq!(ledger.ended[node].get(call), Some(&1), "{call:?} of {} never ended", USERS[node]);
        }
        let stats = net.nodes[node].ua.stats();
        assert_eq!(
            (stats.calls, stats.transactions, stats.subscriptions, stats.messages, stats.timers),
            (0, 0, 0, 0, 0),
            "{} holds {stats:?}",
            USERS[node]
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_over_websocket_ends_every_call_once_and_leaks_nothing(ops in prop::collection::vec(op(), 1..40)) {
        play(TransportKind::Ws, 0, ops);
    }

    #[test]
    fn any_sequence_over_lossy_udp_ends_every_call_once_and_leaks_nothing(ops in prop::collection::vec(op(), 1..40)) {
        play(TransportKind::Udp, 15, ops);
    }
}
