//! Calls between agents: set-up, failures, hold, glare, DTMF, transfers, session timers.

use super::net::Net;
use crate::agent::{CallEnd, CallRef, Event, RejectKind};

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";
const ANSWER: &str = "v=0\r\no=- 2 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";

/// The call an `Incoming` event announced.
pub(super) fn incoming(events: &[Event]) -> CallRef {
    events
        .iter()
        .find_map(|e| match e {
            Event::Incoming { call, .. } => Some(*call),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no incoming call in {events:?}"))
}

pub(super) fn ended(events: &[Event], call: CallRef) -> Option<CallEnd> {
    events.iter().find_map(|e| match e {
        Event::Ended { call: c, reason } if *c == call => Some(reason.clone()),
        _ => None,
    })
}

/// A calls B and B answers; returns both ends of the call.
pub(super) fn connect(net: &mut Net, a: usize, b: usize) -> (CallRef, CallRef) {
    let user = net.nodes[b].user.clone();
    let outgoing = net.with(a, |ua, now| ua.call(now, &user, OFFER.into())).expect("call");
    let events = net.events(b);
    let incoming = incoming(&events);
    net.with(b, |ua, now| ua.answer(now, incoming, ANSWER.into())).expect("answer");
    let caller = net.events(a);
    assert!(
        caller
            .iter()
            .any(|e| matches!(e, Event::Established { call, sdp: Some(sdp) } if *call == outgoing && sdp == ANSWER)),
        "{caller:?}"
    );
    assert!(net.events(b).iter().any(|e| matches!(e, Event::Established { call, .. } if *call == incoming)));
    (outgoing, incoming)
}

pub(super) fn assert_idle(net: &mut Net) {
    net.advance(60_000);
    for node in &net.nodes {
        let stats = node.ua.stats();
        assert_eq!((stats.calls, stats.transactions), (0, 0), "agent {} still holds {stats:?}", node.user);
    }
}

#[test]
fn a_call_is_answered_and_hung_up_and_leaves_nothing_behind() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    assert!(net.events(a).iter().any(|e| matches!(e, Event::Registered { .. })));
    let user = "1002";
    let outgoing = net.with(a, |ua, now| ua.call(now, user, OFFER.into())).expect("call");
    let events = net.events(b);
    let Some(Event::Incoming { call: incoming, from, sdp, .. }) =
        events.iter().find(|e| matches!(e, Event::Incoming { .. })).cloned()
    else {
        panic!("{events:?}")
    };
    assert_eq!(from.display_name.as_deref(), Some("Agent 1001"));
    assert_eq!(from.user(), "1001");
    assert_eq!(sdp.as_deref(), Some(OFFER));
    let progress = net.events(a);
    assert!(progress.iter().any(|e| matches!(e, Event::Progress { status: 180, .. })), "{progress:?}");
    net.with(b, |ua, now| ua.answer(now, incoming, ANSWER.into())).expect("answer");
    assert!(net.events(a).iter().any(|e| matches!(e, Event::Established { call, .. } if *call == outgoing)));
    net.with(a, |ua, now| ua.hang_up(now, outgoing)).expect("hang up");
    assert_eq!(ended(&net.events(a), outgoing), Some(CallEnd::HungUpHere));
    assert_eq!(ended(&net.events(b), incoming), Some(CallEnd::HungUpThere));
    assert_eq!(net.with(a, |ua, now| ua.hang_up(now, outgoing)), Err(crate::agent::CommandError::NoSuchCall));
    // The INVITE transactions outlive the call for 64·T1 (RFC 6026), to absorb 2xx retransmissions.
    let (transactions, timers) = net.nodes[a].ua.describe_pending();
    assert!(transactions.contains(&"INVITE client Accepted".to_owned()), "{transactions:?}");
    assert!(timers.iter().any(|t| t.ends_with(", M)")), "{timers:?}");
    assert_idle(&mut net);
}

#[test]
fn a_busy_callee_a_missing_number_and_a_cancelled_call_end_with_their_reasons() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let call = net.with(a, |ua, now| ua.call(now, "1002", OFFER.into())).expect("call");
    let incoming_call = incoming(&net.events(b));
    net.with(b, |ua, now| ua.reject(now, incoming_call, 486)).expect("reject");
    let Some(CallEnd::Rejected { status: 486, kind: RejectKind::Busy, .. }) = ended(&net.events(a), call) else {
        panic!("not busy")
    };

    let call = net.with(a, |ua, now| ua.call(now, "sip:9999@framephone.test", OFFER.into())).expect("call");
    let Some(CallEnd::Rejected { status: 404, kind: RejectKind::NotFound, .. }) = ended(&net.events(a), call) else {
        panic!("not 404")
    };

    let call = net.with(a, |ua, now| ua.call(now, "1002", OFFER.into())).expect("call");
    let incoming_call = incoming(&net.events(b));
    net.with(a, |ua, now| ua.hang_up(now, call)).expect("cancel");
    assert_eq!(ended(&net.events(a), call), Some(CallEnd::HungUpHere));
    assert_eq!(ended(&net.events(b), incoming_call), Some(CallEnd::CallerCancelled));
    assert!(net.wire.iter().any(|m| m.starts_with("CANCEL ")));
    assert!(net.wire.iter().any(|m| m.starts_with("SIP/2.0 487 ")));
    assert_idle(&mut net);
}

#[test]
fn a_200_that_crosses_the_cancel_is_acknowledged_and_ended_with_bye() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let call = net.with(a, |ua, now| ua.call(now, "1002", OFFER.into())).expect("call");
    let incoming_call = incoming(&net.events(b));
    // The CANCEL is held back until B has answered: B's 200 crosses it.
    net.filter = Some(Box::new(
        |_, message| !matches!(message, crate::Message::Request(r) if r.method == crate::Method::Cancel),
    ));
    net.with(a, |ua, now| ua.hang_up(now, call)).expect("cancel");
    net.with(b, |ua, now| ua.answer(now, incoming_call, ANSWER.into())).expect("answer");
    net.filter = None;
    let events = net.events(a);
    assert_eq!(events.iter().filter(|e| matches!(e, Event::Ended { .. })).count(), 1, "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, Event::Established { .. })), "{events:?}");
    assert_eq!(ended(&net.events(b), incoming_call), Some(CallEnd::HungUpThere));
    assert!(net.wire.iter().any(|m| m.starts_with("ACK ")) && net.wire.iter().any(|m| m.starts_with("BYE ")));
    assert_idle(&mut net);
}

#[test]
fn the_proxy_challenge_is_answered_and_then_answered_in_advance() {
    let mut net = Net::new();
    net.challenge_invites = true;
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let invites = |net: &Net| net.wire.iter().filter(|m| m.starts_with("INVITE ")).count();
    connect(&mut net, a, b);
    assert_eq!(invites(&net), 2, "the first INVITE is challenged and sent again");
    assert!(net.wire.last().is_some_and(|m| !m.contains("Proxy-Authorization")), "the ACK carries no credentials");
    connect(&mut net, a, b);
    assert_eq!(invites(&net), 3, "the second INVITE carried credentials at once");
}

#[test]
fn hold_and_resume_are_offers_answered_by_the_other_side() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (outgoing, incoming_call) = connect(&mut net, a, b);
    let hold = OFFER.replace("sendrecv", "sendonly");
    net.with(a, |ua, now| ua.reoffer(now, outgoing, hold.clone())).expect("hold");
    let events = net.events(b);
    assert!(
        events.iter().any(
            |e| matches!(e, Event::RemoteOffer { call, sdp: Some(sdp) } if *call == incoming_call && *sdp == hold)
        )
    );
    let held = ANSWER.replace("sendrecv", "recvonly");
    net.with(b, |ua, now| ua.accept_offer(now, incoming_call, held.clone())).expect("answer");
    assert!(net.events(a).iter().any(|e| matches!(e, Event::OfferAnswered { sdp: Some(sdp), .. } if *sdp == held)));
    // B refuses the next offer; the call stays up.
    net.with(a, |ua, now| ua.reoffer(now, outgoing, OFFER.into())).expect("resume");
    net.events(b);
    net.with(b, |ua, now| ua.refuse_offer(now, incoming_call)).expect("refuse");
    assert!(net.events(a).iter().any(|e| matches!(e, Event::OfferRefused { status: 488, .. })));
    net.with(a, |ua, now| ua.reoffer(now, outgoing, OFFER.into())).expect("resume again");
    net.events(b);
    net.with(b, |ua, now| ua.accept_offer(now, incoming_call, ANSWER.into())).expect("answer");
    assert!(net.events(a).iter().any(|e| matches!(e, Event::OfferAnswered { .. })));
}

#[test]
fn an_offer_is_in_progress_from_the_re_invite_until_its_answer_at_both_ends() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (outgoing, incoming_call) = connect(&mut net, a, b);
    assert!(!net.nodes[a].ua.offer_in_progress(outgoing) && !net.nodes[b].ua.offer_in_progress(incoming_call));
    net.with(a, |ua, now| ua.reoffer(now, outgoing, OFFER.into())).expect("offer");
    net.events(b);
    assert!(net.nodes[a].ua.offer_in_progress(outgoing), "ours awaits its answer");
    assert!(net.nodes[b].ua.offer_in_progress(incoming_call), "theirs awaits ours");
    net.with(b, |ua, now| ua.accept_offer(now, incoming_call, ANSWER.into())).expect("answer");
    net.events(a);
    assert!(!net.nodes[a].ua.offer_in_progress(outgoing) && !net.nodes[b].ua.offer_in_progress(incoming_call));
    net.with(a, |ua, now| ua.hang_up(now, outgoing)).expect("hang up");
    assert!(!net.nodes[a].ua.offer_in_progress(outgoing), "an ended call has none");
}

#[test]
fn glare_gets_491_and_both_offers_succeed_after_the_rfc_delays() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (outgoing, incoming_call) = connect(&mut net, a, b);
    // Both re-INVITEs leave before either arrives.
    let now = net.now;
    net.nodes[a].ua.reoffer(now, outgoing, OFFER.replace("sendrecv", "sendonly")).expect("a offers");
    net.nodes[b].ua.reoffer(now, incoming_call, ANSWER.replace("sendrecv", "sendonly")).expect("b offers");
    net.run();
    assert_eq!(net.wire.iter().filter(|m| m.starts_with("SIP/2.0 491")).count(), 2);
    // B (not the Call-ID owner) retries within 2 s; A within 2.1–4 s.
    let mut answered = [false, false];
    for _ in 0..40 {
        net.advance(100);
        for (index, call) in [(a, outgoing), (b, incoming_call)] {
            for event in net.events(index) {
                match event {
                    Event::RemoteOffer { call: c, .. } if c == call => {
                        net.with(index, |ua, now| ua.accept_offer(now, call, ANSWER.into())).expect("answer");
                    }
                    Event::OfferAnswered { .. } => answered[index] = true,
                    _ => {}
                }
            }
        }
    }
    assert_eq!(answered, [true, true]);
}

#[test]
fn dtmf_by_info_reaches_the_other_side() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let (outgoing, incoming_call) = connect(&mut net, a, b);
    for digit in ['5', '#', 'a'] {
        net.with(a, |ua, now| ua.send_dtmf(now, outgoing, digit, 160)).expect("dtmf");
    }
    let digits: Vec<char> = net
        .events(b)
        .into_iter()
        .filter_map(|e| match e {
            Event::Dtmf { call, digit, duration: 160 } if call == incoming_call => Some(digit),
            _ => None,
        })
        .collect();
    assert_eq!(digits, ['5', '#', 'A']);
    assert_eq!(
        net.with(a, |ua, now| ua.send_dtmf(now, outgoing, 'x', 100)),
        Err(crate::agent::CommandError::BadDigit('x'))
    );
}

#[test]
fn blind_transfer_connects_the_transferee_with_the_target() {
    let mut net = Net::new();
    let (a, b, c) = (net.agent("1001"), net.agent("1002"), net.agent("1003"));
    let (a_call, b_call) = connect(&mut net, a, b);
    net.with(b, |ua, now| ua.transfer(now, b_call, "1003")).expect("transfer");
    let events = net.events(a);
    let Some(Event::Transferring { call, new_call, target, by, dial }) =
        events.iter().find(|e| matches!(e, Event::Transferring { .. })).cloned()
    else {
        panic!("{events:?}")
    };
    assert_eq!((call, target.user()), (a_call, "1003"));
    assert_eq!(by.as_ref().map(|p| p.user()), Some("1002"), "the agent sees who transfers them");
    assert_eq!(dial.as_deref(), Some("1003"), "a target in our domain goes through the dialling rules");
    net.with(a, |ua, now| ua.send_offer(now, new_call, OFFER.into())).expect("offer");
    let c_events = net.events(c);
    let Some(Event::Incoming { call: c_call, referred_by, .. }) =
        c_events.iter().find(|e| matches!(e, Event::Incoming { .. })).cloned()
    else {
        panic!("{c_events:?}")
    };
    assert_eq!(referred_by.map(|p| p.user().to_owned()).as_deref(), Some("1002"));
    assert!(net.events(b).iter().any(|e| matches!(e, Event::TransferProgress { status: 180, .. })));
    net.with(c, |ua, now| ua.answer(now, c_call, ANSWER.into())).expect("answer");
    let b_events = net.events(b);
    assert!(
        b_events.iter().any(|e| matches!(e, Event::TransferResult { succeeded: true, status: 200, .. })),
        "{b_events:?}"
    );
    assert_eq!(ended(&b_events, b_call), Some(CallEnd::Transferred));
    let a_events = net.events(a);
    assert_eq!(ended(&a_events, a_call), Some(CallEnd::HungUpThere));
    assert!(a_events.iter().any(|e| matches!(e, Event::Established { call, .. } if *call == new_call)));
    assert_idle_except_calls(&mut net, &[(a, 1), (c, 1)]);
}

#[test]
fn a_failed_blind_transfer_is_reported_and_the_call_stays() {
    let mut net = Net::new();
    let (a, b, c) = (net.agent("1001"), net.agent("1002"), net.agent("1003"));
    let (a_call, b_call) = connect(&mut net, a, b);
    net.with(b, |ua, now| ua.transfer(now, b_call, "1003")).expect("transfer");
    let Some(Event::Transferring { new_call, .. }) =
        net.events(a).into_iter().find(|e| matches!(e, Event::Transferring { .. }))
    else {
        panic!("no transfer")
    };
    net.with(a, |ua, now| ua.send_offer(now, new_call, OFFER.into())).expect("offer");
    let c_call = incoming(&net.events(c));
    net.with(c, |ua, now| ua.reject(now, c_call, 603)).expect("decline");
    let b_events = net.events(b);
    assert!(
        b_events.iter().any(|e| matches!(e, Event::TransferResult { succeeded: false, status: 603, .. })),
        "{b_events:?}"
    );
    assert_eq!(ended(&b_events, b_call), None);
    assert_eq!(ended(&net.events(a), a_call), None);
}

#[test]
fn attended_transfer_replaces_the_consultation_call() {
    let mut net = Net::new();
    let (a, b, c) = (net.agent("1001"), net.agent("1002"), net.agent("1003"));
    let (a_call, b_call) = connect(&mut net, a, b);
    let (b_consult, c_consult) = connect(&mut net, b, c);
    net.with(b, |ua, now| ua.transfer_attended(now, b_call, b_consult)).expect("transfer");
    let Some(Event::Transferring { new_call, .. }) =
        net.events(a).into_iter().find(|e| matches!(e, Event::Transferring { .. }))
    else {
        panic!("no transfer")
    };
    net.with(a, |ua, now| ua.send_offer(now, new_call, OFFER.into())).expect("offer");
    let c_events = net.events(c);
    let Some(Event::Incoming { call: c_new, replaces, auto_answer, .. }) =
        c_events.iter().find(|e| matches!(e, Event::Incoming { .. })).cloned()
    else {
        panic!("{c_events:?}")
    };
    assert_eq!(replaces, Some(c_consult));
    assert!(auto_answer, "completing a transfer into a call in progress needs no ringing");
    net.with(c, |ua, now| ua.answer(now, c_new, ANSWER.into())).expect("answer");
    assert_eq!(ended(&net.events(c), c_consult), Some(CallEnd::Replaced));
    let b_events = net.events(b);
    assert_eq!(ended(&b_events, b_call), Some(CallEnd::Transferred));
    assert_eq!(ended(&b_events, b_consult), Some(CallEnd::HungUpThere));
    let a_events = net.events(a);
    assert_eq!(ended(&a_events, a_call), Some(CallEnd::HungUpThere));
    assert!(a_events.iter().any(|e| matches!(e, Event::Established { call, .. } if *call == new_call)));
    assert_idle_except_calls(&mut net, &[(a, 1), (c, 1)]);
}

#[test]
fn another_instance_of_the_agent_takes_a_call_over_without_ringing_and_the_old_dialog_ends() {
    let mut net = Net::new();
    let (frame, caller) = (net.agent("1001"), net.agent("1002"));
    let (caller_call, frame_call) = connect(&mut net, caller, frame);
    let pop_out = net.agent("1001");
    net.events(pop_out);
    let moved = net.nodes[frame].ua.movable(frame_call).expect("a confirmed call can move");
    let taken = net.with(pop_out, |ua, now| ua.take_over(now, &moved, OFFER.into())).expect("take over");
    let invite = net.wire.iter().rev().find(|m| m.starts_with("INVITE ")).cloned().unwrap_or_default();
    assert!(
        invite
            .contains(&format!("Replaces: {};to-tag={};from-tag={}", moved.call_id, moved.remote_tag, moved.local_tag))
    );
    assert!(invite.contains("Require: replaces") && invite.contains("Referred-By: <sip:1001@"), "{invite}");
    let events = net.events(caller);
    let Some(Event::Incoming { call: new_call, replaces, auto_answer, .. }) =
        events.iter().find(|e| matches!(e, Event::Incoming { .. })).cloned()
    else {
        panic!("{events:?}")
    };
    assert_eq!(replaces, Some(caller_call));
    assert!(auto_answer, "the agent moving its own call rings nothing at the other party");
    net.with(caller, |ua, now| ua.answer(now, new_call, ANSWER.into())).expect("answer");
    assert_eq!(ended(&net.events(caller), caller_call), Some(CallEnd::Replaced));
    assert_eq!(ended(&net.events(frame), frame_call), Some(CallEnd::HungUpThere));
    assert!(net.events(pop_out).iter().any(|e| matches!(e, Event::Established { call, .. } if *call == taken)));
    assert_idle_except_calls(&mut net, &[(caller, 1), (pop_out, 1)]);
}

#[test]
fn only_a_confirmed_call_can_move_and_a_forged_dialog_is_refused_before_anything_is_sent() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let dialing = net.with(a, |ua, now| ua.call(now, "1002", OFFER.into())).expect("call");
    assert_eq!(net.nodes[a].ua.movable(dialing), None, "a call being placed");
    let ringing = incoming(&net.events(b));
    assert_eq!(net.nodes[b].ua.movable(ringing), None, "a call ringing");
    let sent = net.wire.len();
    for (call_id, tag) in [("x;y", "t"), ("abc", "t\r\nVia: evil"), ("", "t"), ("abc", "a,b")] {
        let forged = crate::agent::MovableCall {
            call_id: call_id.into(),
            local_tag: tag.into(),
            remote_tag: "r".into(),
            remote_target: "sip:1002@framephone.test".into(),
        };
        assert!(net.with(a, |ua, now| ua.take_over(now, &forged, OFFER.into())).is_err(), "{forged:?}");
    }
    assert_eq!(net.wire.len(), sent, "nothing went out");
}

#[test]
fn the_refreshing_side_keeps_the_session_and_silence_ends_it() {
    let mut net = Net::new();
    let mut config = super::net::config("1001", crate::agent::TransportKind::Ws);
    config.session_expires = 90;
    let a = net.agent_with(config);
    let b = net.agent("1002");
    let (outgoing, incoming_call) = connect(&mut net, a, b);
    assert!(net.wire.iter().any(|m| m.starts_with("SIP/2.0 200") && m.contains("Session-Expires: 90;refresher=uac")));
    net.advance(200_000);
    assert!(net.wire.iter().filter(|m| m.starts_with("UPDATE ")).count() >= 3, "A refreshes every 45 s");
    assert_eq!(ended(&net.events(b), incoming_call), None);
    // A's refreshes are lost from now on: B ends the call when the interval runs out.
    net.filter = Some(Box::new(
        |_, message| !matches!(message, crate::Message::Request(r) if r.method == crate::Method::Update),
    ));
    net.advance(100_000);
    assert_eq!(ended(&net.events(b), incoming_call), Some(CallEnd::SessionExpired));
    assert_eq!(ended(&net.events(a), outgoing), Some(CallEnd::HungUpThere));
}

#[test]
fn a_second_call_rings_while_the_first_is_up() {
    let mut net = Net::new();
    let (a, b, c) = (net.agent("1001"), net.agent("1002"), net.agent("1003"));
    let (_, b_first) = connect(&mut net, a, b);
    net.with(c, |ua, now| ua.call(now, "1002", OFFER.into())).expect("call");
    let second = incoming(&net.events(b));
    assert_ne!(second, b_first);
    net.with(b, |ua, now| ua.reject(now, second, 486)).expect("reject");
    assert_eq!(ended(&net.events(b), b_first), None);
}

/// Nothing left but the given number of calls on some agents.
fn assert_idle_except_calls(net: &mut Net, calls: &[(usize, usize)]) {
    net.advance(60_000);
    for (index, node) in net.nodes.iter().enumerate() {
        let expected = calls.iter().find(|(i, _)| *i == index).map_or(0, |(_, n)| *n);
        let stats = node.ua.stats();
        assert_eq!((stats.calls, stats.transactions), (expected, 0), "agent {} holds {stats:?}", node.user);
    }
}

#[test]
fn a_request_that_overtakes_the_ack_establishes_the_call() {
    let mut net = Net::new();
    let (a, b) = (net.agent("1001"), net.agent("1002"));
    let outgoing = net.with(a, |ua, now| ua.call(now, "1002", OFFER.into())).expect("call");
    let answering = incoming(&net.events(b));
    net.filter =
        Some(Box::new(|_, message| !matches!(message, crate::Message::Request(r) if r.method == crate::Method::Ack)));
    net.with(b, |ua, now| ua.answer(now, answering, ANSWER.into())).expect("answer");
    net.filter = None;
    assert!(!net.events(b).iter().any(|e| matches!(e, Event::Established { .. })));
    net.with(a, |ua, now| ua.reoffer(now, outgoing, OFFER.into())).expect("reoffer");
    let events = net.events(b);
    assert!(events.iter().any(|e| matches!(e, Event::Established { call, .. } if *call == answering)), "{events:?}");
    assert!(events.iter().any(|e| matches!(e, Event::RemoteOffer { .. })), "{events:?}");
    net.advance(40_000);
    assert_eq!(ended(&net.events(b), answering), None, "no BYE for a missing ACK");
}

#[test]
fn requests_that_meet_the_same_challenge_are_all_answered() {
    let mut net = Net::new();
    net.challenge_invites = true;
    let (a, b, c) = (net.agent("1001"), net.agent("1002"), net.agent("1003"));
    // Both INVITEs leave before either challenge is back: both get the same nonce.
    let now = net.now;
    net.nodes[a].ua.call(now, "1002", OFFER.into()).expect("call");
    net.nodes[a].ua.call(now, "1003", OFFER.into()).expect("call");
    net.run();
    incoming(&net.events(b));
    incoming(&net.events(c));
}
