//! Every state and transition of the four machines, on both kinds of transport, with a
//! virtual clock.

use super::*;
use crate::message::{HeaderName, Message, Method, Request, Response, Uri};

const T0: Millis = Millis(1_000);

fn request(method: Method) -> Request {
    let mut request = Request::new(method.clone(), Uri::sip(Some("bob"), "biloxi.example"));
    request.headers.push(HeaderName::Via, "SIP/2.0/WSS a.invalid;branch=z9hG4bKabc, SIP/2.0/UDP p.example");
    request.headers.push(HeaderName::MaxForwards, "70");
    request.headers.push(HeaderName::To, "<sip:bob@biloxi.example>");
    request.headers.push(HeaderName::From, "<sip:alice@atlanta.example>;tag=a1");
    request.headers.push(HeaderName::CallId, "call-1");
    request.headers.push(HeaderName::CSeq, format!("7 {method}"));
    request.headers.push(HeaderName::Route, "<sip:proxy.example;lr>");
    request
}

fn response(to: &Request, status: u16) -> Response {
    Response::to_request(to, status, Some("b2"))
}

fn sends(actions: &[Action]) -> usize {
    actions.iter().filter(|a| matches!(a, Action::Send(_))).count()
}

fn scheduled(actions: &[Action], timer: Timer) -> Option<Millis> {
    actions.iter().find_map(|a| match a {
        Action::Schedule(t, at) if *t == timer => Some(*at),
        _ => None,
    })
}

fn delivered(actions: &[Action]) -> Vec<u16> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Deliver(r) => Some(r.status),
            _ => None,
        })
        .collect()
}

// --- client INVITE ----------------------------------------------------------------------------

#[test]
fn client_invite_retransmits_with_doubling_timer_a_until_timer_b() {
    let timers = TimerValues::default();
    let (mut tx, actions) = ClientInvite::start(request(Method::Invite), T0, timers, Transport::Unreliable);
    assert_eq!(sends(&actions), 1);
    assert_eq!(scheduled(&actions, Timer::A), Some(T0 + 500));
    assert_eq!(scheduled(&actions, Timer::B), Some(T0 + 32_000));
    let mut now = T0 + 500;
    let mut intervals = vec![];
    for _ in 0..5 {
        let actions = tx.on_timer(now, Timer::A);
        assert_eq!(sends(&actions), 1);
        let next = scheduled(&actions, Timer::A).unwrap();
        intervals.push(next - now);
        now = next;
    }
    assert_eq!(intervals, vec![1_000, 2_000, 4_000, 8_000, 16_000], "INVITE retransmissions double without a cap");
    let actions = tx.on_timer(T0 + 32_000, Timer::B);
    assert!(actions.contains(&Action::Failed(Failure::Timeout)));
    assert_eq!(actions.last(), Some(&Action::Terminated));
    assert_eq!(tx.state(), State::Terminated);
    assert!(tx.on_timer(now, Timer::A).is_empty(), "a stale timer does nothing");
}

#[test]
fn client_invite_reliable_arms_no_retransmission_timer() {
    let (_, actions) = ClientInvite::start(request(Method::Invite), T0, TimerValues::default(), Transport::Reliable);
    assert_eq!(scheduled(&actions, Timer::A), None);
    assert_eq!(scheduled(&actions, Timer::B), Some(T0 + 32_000));
}

#[test]
fn client_invite_provisional_then_2xx_enters_accepted_until_timer_m() {
    let invite = request(Method::Invite);
    let (mut tx, _) = ClientInvite::start(invite.clone(), T0, TimerValues::default(), Transport::Unreliable);
    let actions = tx.on_response(T0 + 10, response(&invite, 180));
    assert_eq!(tx.state(), State::Proceeding);
    assert_eq!(delivered(&actions), vec![180]);
    assert!(actions.contains(&Action::Cancel(Timer::A)) && actions.contains(&Action::Cancel(Timer::B)));
    assert!(tx.on_timer(T0 + 32_000, Timer::B).is_empty(), "B has no effect once Proceeding");
    let actions = tx.on_response(T0 + 20, response(&invite, 200));
    assert_eq!(tx.state(), State::Accepted);
    assert_eq!(delivered(&actions), vec![200]);
    assert_eq!(sends(&actions), 0, "the ACK for a 2xx is the transaction user's");
    assert_eq!(scheduled(&actions, Timer::M), Some(T0 + 20 + 32_000));
    assert_eq!(
        delivered(&tx.on_response(T0 + 30, response(&invite, 200))),
        vec![200],
        "2xx retransmissions reach the TU"
    );
    assert!(tx.on_response(T0 + 40, response(&invite, 486)).is_empty());
    assert_eq!(tx.on_timer(T0 + 32_020, Timer::M), vec![Action::Terminated]);
}

#[test]
fn client_invite_failure_is_acked_by_the_transaction() {
    let invite = request(Method::Invite);
    let (mut tx, _) = ClientInvite::start(invite.clone(), T0, TimerValues::default(), Transport::Unreliable);
    let actions = tx.on_response(T0 + 10, response(&invite, 486));
    assert_eq!(tx.state(), State::Completed);
    assert_eq!(delivered(&actions), vec![486]);
    assert_eq!(scheduled(&actions, Timer::D), Some(T0 + 10 + 32_000));
    let Some(Action::Send(ack)) = actions.iter().find(|a| matches!(a, Action::Send(_))) else { panic!("an ACK") };
    let Message::Request(ack) = Message::parse(ack).unwrap() else { panic!("a request") };
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.uri, invite.uri);
    assert_eq!(ack.headers.get_str(&HeaderName::Via), Some("SIP/2.0/WSS a.invalid;branch=z9hG4bKabc"));
    assert_eq!(ack.headers.get_str(&HeaderName::To), Some("<sip:bob@biloxi.example>;tag=b2"));
    assert_eq!(ack.headers.get_str(&HeaderName::CSeq), Some("7 ACK"));
    assert_eq!(ack.headers.get_str(&HeaderName::Route), Some("<sip:proxy.example;lr>"));
    // A retransmitted failure is answered with the same ACK and not delivered again.
    let again = tx.on_response(T0 + 20, response(&invite, 486));
    assert_eq!((sends(&again), delivered(&again).len()), (1, 0));
    assert_eq!(tx.on_timer(T0 + 32_010, Timer::D), vec![Action::Terminated]);
}

#[test]
fn client_invite_failure_on_reliable_transport_terminates_at_once() {
    let invite = request(Method::Invite);
    let (mut tx, _) = ClientInvite::start(invite.clone(), T0, TimerValues::default(), Transport::Reliable);
    let actions = tx.on_response(T0, response(&invite, 603));
    assert_eq!(sends(&actions), 1);
    assert_eq!(actions.last(), Some(&Action::Terminated));
    assert_eq!(tx.state(), State::Terminated);
}

#[test]
fn transport_errors_end_every_machine_once() {
    let invite = request(Method::Invite);
    let timers = TimerValues::default();
    let (mut ci, _) = ClientInvite::start(invite.clone(), T0, timers, Transport::Reliable);
    let (mut cn, _) = ClientNonInvite::start(request(Method::Bye), T0, timers, Transport::Reliable);
    let (mut si, _) = ServerInvite::start(&invite, timers, Transport::Reliable);
    let mut sn = ServerNonInvite::start(timers, Transport::Reliable);
    let expected = vec![Action::Failed(Failure::Transport), Action::Terminated];
    assert_eq!(ci.on_transport_error(), expected);
    assert_eq!(cn.on_transport_error(), expected);
    assert_eq!(si.on_transport_error(), expected);
    assert_eq!(sn.on_transport_error(), expected);
    assert!(ci.on_transport_error().is_empty() && sn.on_transport_error().is_empty());
}

// --- client non-INVITE ------------------------------------------------------------------------

#[test]
fn client_non_invite_timer_e_doubles_up_to_t2_then_stays_at_t2_when_proceeding() {
    let bye = request(Method::Bye);
    let (mut tx, actions) = ClientNonInvite::start(bye.clone(), T0, TimerValues::default(), Transport::Unreliable);
    assert_eq!(scheduled(&actions, Timer::E), Some(T0 + 500));
    assert_eq!(scheduled(&actions, Timer::F), Some(T0 + 32_000));
    let mut now = T0 + 500;
    let mut intervals = vec![];
    for _ in 0..4 {
        let next = scheduled(&tx.on_timer(now, Timer::E), Timer::E).unwrap();
        intervals.push(next - now);
        now = next;
    }
    assert_eq!(intervals, vec![1_000, 2_000, 4_000, 4_000]);
    tx.on_response(now, response(&bye, 100));
    assert_eq!(tx.state(), State::Proceeding);
    let next = scheduled(&tx.on_timer(now, Timer::E), Timer::E).unwrap();
    assert_eq!(next - now, 4_000);
    let actions = tx.on_timer(T0 + 32_000, Timer::F);
    assert_eq!(actions, vec![Action::Cancel(Timer::E), Action::Failed(Failure::Timeout), Action::Terminated]);
}

#[test]
fn client_non_invite_final_response_then_timer_k() {
    let bye = request(Method::Bye);
    let (mut tx, _) = ClientNonInvite::start(bye.clone(), T0, TimerValues::default(), Transport::Unreliable);
    let actions = tx.on_response(T0 + 5, response(&bye, 200));
    assert_eq!(delivered(&actions), vec![200]);
    assert_eq!(tx.state(), State::Completed);
    assert_eq!(scheduled(&actions, Timer::K), Some(T0 + 5 + 5_000));
    assert!(tx.on_response(T0 + 6, response(&bye, 200)).is_empty(), "retransmissions are absorbed");
    assert_eq!(tx.on_timer(T0 + 5_005, Timer::K), vec![Action::Terminated]);

    let (mut reliable, actions) = ClientNonInvite::start(bye.clone(), T0, TimerValues::default(), Transport::Reliable);
    assert_eq!(scheduled(&actions, Timer::E), None);
    let actions = reliable.on_response(T0, response(&bye, 404));
    assert_eq!(actions.last(), Some(&Action::Terminated), "K is zero on a reliable transport");
}

// --- server INVITE ----------------------------------------------------------------------------

#[test]
fn server_invite_sends_100_and_repeats_the_last_provisional() {
    let invite = request(Method::Invite);
    let (mut tx, actions) = ServerInvite::start(&invite, TimerValues::default(), Transport::Unreliable);
    let Some(Action::Send(trying)) = actions.first() else { panic!("100 Trying") };
    assert!(trying.starts_with(b"SIP/2.0 100 Trying\r\n"));
    assert_eq!(tx.state(), State::Proceeding);
    tx.respond(T0, response(&invite, 180));
    let Some(Action::Send(again)) = tx.on_request(T0 + 1, invite.clone()).pop() else { panic!("a resend") };
    assert!(again.starts_with(b"SIP/2.0 180 Ringing\r\n"));
}

#[test]
fn server_invite_2xx_enters_accepted_and_passes_acks_up() {
    let invite = request(Method::Invite);
    let (mut tx, _) = ServerInvite::start(&invite, TimerValues::default(), Transport::Unreliable);
    let actions = tx.respond(T0, response(&invite, 200));
    assert_eq!(tx.state(), State::Accepted);
    assert_eq!(scheduled(&actions, Timer::L), Some(T0 + 32_000));
    assert!(tx.on_request(T0 + 1, invite.clone()).is_empty(), "INVITE retransmissions are absorbed");
    assert_eq!(sends(&tx.respond(T0 + 2, response(&invite, 200))), 1, "the TU's 2xx retransmission goes out");
    let ack = request(Method::Ack);
    assert_eq!(tx.on_request(T0 + 3, ack.clone()), vec![Action::DeliverRequest(ack)]);
    assert_eq!(tx.on_timer(T0 + 32_000, Timer::L), vec![Action::Terminated]);
}

#[test]
fn server_invite_failure_retransmits_on_timer_g_until_ack_or_timer_h() {
    let invite = request(Method::Invite);
    let (mut tx, _) = ServerInvite::start(&invite, TimerValues::default(), Transport::Unreliable);
    let actions = tx.respond(T0, response(&invite, 486));
    assert_eq!(tx.state(), State::Completed);
    assert_eq!(scheduled(&actions, Timer::G), Some(T0 + 500));
    assert_eq!(scheduled(&actions, Timer::H), Some(T0 + 32_000));
    let mut now = T0 + 500;
    let mut intervals = vec![];
    for _ in 0..4 {
        let actions = tx.on_timer(now, Timer::G);
        assert_eq!(sends(&actions), 1);
        let next = scheduled(&actions, Timer::G).unwrap();
        intervals.push(next - now);
        now = next;
    }
    assert_eq!(intervals, vec![1_000, 2_000, 4_000, 4_000]);
    assert_eq!(sends(&tx.on_request(now, invite.clone())), 1, "an INVITE retransmission gets the final again");
    let actions = tx.on_request(now, request(Method::Ack));
    assert_eq!(tx.state(), State::Confirmed);
    assert_eq!(scheduled(&actions, Timer::I), Some(now + 5_000));
    assert!(tx.on_request(now, request(Method::Ack)).is_empty(), "ACK retransmissions are absorbed");
    assert!(tx.on_timer(now, Timer::G).is_empty(), "G stops once Confirmed");
    assert_eq!(tx.on_timer(now + 5_000, Timer::I), vec![Action::Terminated]);
}

#[test]
fn server_invite_without_ack_fails_on_timer_h() {
    let invite = request(Method::Invite);
    let (mut tx, _) = ServerInvite::start(&invite, TimerValues::default(), Transport::Reliable);
    let actions = tx.respond(T0, response(&invite, 603));
    assert_eq!(scheduled(&actions, Timer::G), None);
    assert_eq!(
        tx.on_timer(T0 + 32_000, Timer::H),
        vec![Action::Cancel(Timer::G), Action::Failed(Failure::NoAck), Action::Terminated]
    );
    let (mut reliable, _) = ServerInvite::start(&invite, TimerValues::default(), Transport::Reliable);
    reliable.respond(T0, response(&invite, 603));
    assert_eq!(reliable.on_request(T0, request(Method::Ack)).last(), Some(&Action::Terminated), "I is zero");
}

// --- server non-INVITE ------------------------------------------------------------------------

#[test]
fn server_non_invite_lifecycle() {
    let bye = request(Method::Bye);
    let mut tx = ServerNonInvite::start(TimerValues::default(), Transport::Unreliable);
    assert!(tx.on_request(T0, bye.clone()).is_empty(), "nothing to repeat while Trying");
    tx.respond(T0, response(&bye, 100));
    assert_eq!(tx.state(), State::Proceeding);
    assert_eq!(sends(&tx.on_request(T0, bye.clone())), 1);
    let actions = tx.respond(T0 + 1, response(&bye, 200));
    assert_eq!(tx.state(), State::Completed);
    assert_eq!(scheduled(&actions, Timer::J), Some(T0 + 1 + 32_000));
    assert!(tx.respond(T0 + 2, response(&bye, 500)).is_empty(), "one final response only");
    let Some(Action::Send(repeat)) = tx.on_request(T0 + 3, bye.clone()).pop() else { panic!("the final again") };
    assert!(repeat.starts_with(b"SIP/2.0 200 OK"));
    assert_eq!(tx.on_timer(T0 + 32_001, Timer::J), vec![Action::Terminated]);

    let mut reliable = ServerNonInvite::start(TimerValues::default(), Transport::Reliable);
    assert_eq!(reliable.respond(T0, response(&bye, 200)).last(), Some(&Action::Terminated));
}

// --- matching ---------------------------------------------------------------------------------

#[test]
fn responses_match_by_branch_and_cseq_method() {
    let invite = request(Method::Invite);
    let key = ClientKey::of_request(&invite).unwrap();
    assert_eq!(ClientKey::of_response(&response(&invite, 180)), Some(key.clone()));
    let mut cancel_response = response(&invite, 200);
    cancel_response.headers.set(HeaderName::CSeq, "7 CANCEL");
    assert_ne!(ClientKey::of_response(&cancel_response), Some(key));
}

#[test]
fn requests_match_by_branch_sent_by_and_method_with_ack_as_invite() {
    let invite = request(Method::Invite);
    let key = ServerKey::of_request(&invite).unwrap();
    let mut ack = request(Method::Ack);
    ack.headers.set(HeaderName::Via, "SIP/2.0/WSS A.INVALID;branch=z9hG4bKABC");
    assert_eq!(ServerKey::of_request(&ack), Some(key.clone()), "branch and host compare case-insensitively");
    let cancel = request(Method::Cancel);
    assert_eq!(ServerKey::cancelled_by(&cancel), Some(key.clone()));
    assert_ne!(ServerKey::of_request(&cancel), Some(key.clone()), "CANCEL is its own transaction");
    let mut other_host = request(Method::Invite);
    other_host.headers.set(HeaderName::Via, "SIP/2.0/WSS b.invalid;branch=z9hG4bKabc");
    assert_ne!(ServerKey::of_request(&other_host), Some(key));
    assert_eq!(ServerKey::cancelled_by(&invite), None);
}

#[test]
fn rfc_2543_requests_match_by_their_fields() {
    let mut old = request(Method::Invite);
    old.headers.set(HeaderName::Via, "SIP/2.0/UDP old.example;branch=1234");
    let key = ServerKey::of_request(&old).unwrap();
    assert!(matches!(key, ServerKey::Legacy { cseq: 7, .. }));
    let mut retransmission = old.clone();
    retransmission.headers.set(HeaderName::To, "<sip:bob@biloxi.example>;tag=b2");
    assert_eq!(ServerKey::of_request(&retransmission), Some(key.clone()));
    let mut next = old.clone();
    next.headers.set(HeaderName::CSeq, "8 INVITE");
    assert_ne!(ServerKey::of_request(&next), Some(key));
}
