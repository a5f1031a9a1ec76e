//! Drives all four transaction machines with an arbitrary sequence of inputs decoded from
//! bytes, checking their invariants. Shared by the `transactions` fuzz target and the test
//! that replays its corpus.

use sip::Millis;
use sip::message::{HeaderName, Method, Request, Response, Uri};
use sip::transaction::{
    Action, ClientInvite, ClientNonInvite, ServerInvite, ServerNonInvite, State, Timer, TimerValues, Transport,
};

const TIMERS: [Timer; 12] = [
    Timer::A,
    Timer::B,
    Timer::D,
    Timer::E,
    Timer::F,
    Timer::G,
    Timer::H,
    Timer::I,
    Timer::J,
    Timer::K,
    Timer::L,
    Timer::M,
];

fn request(method: Method) -> Request {
    let mut request = Request::new(method.clone(), Uri::sip(Some("b"), "b.example"));
    request.headers.push(HeaderName::Via, "SIP/2.0/WSS a.invalid;branch=z9hG4bKf");
    request.headers.push(HeaderName::From, "<sip:a@a.example>;tag=1");
    request.headers.push(HeaderName::To, "<sip:b@b.example>");
    request.headers.push(HeaderName::CallId, "fuzz");
    request.headers.push(HeaderName::CSeq, format!("1 {method}"));
    request
}

fn check(actions: &[Action], now: Millis, terminated_before: bool) {
    if terminated_before {
        assert!(actions.is_empty(), "a terminated transaction acted: {actions:?}");
    }
    for action in actions {
        if let Action::Schedule(_, at) = action {
            assert!(*at >= now, "a timer was scheduled in the past");
        }
    }
    let ends = actions.iter().filter(|a| matches!(a, Action::Terminated)).count();
    assert!(ends <= 1, "terminated twice in one step");
}

/// Decodes `bytes` into inputs and feeds them to the machines; panics if an invariant breaks.
pub fn drive(bytes: &[u8]) {
    let Some((&setup, ops)) = bytes.split_first() else { return };
    let transport = if setup & 1 == 0 { Transport::Reliable } else { Transport::Unreliable };
    let timers = TimerValues::default();
    let mut now = Millis(1);
    let invite = request(Method::Invite);
    let bye = request(Method::Bye);
    let (mut ci, _) = ClientInvite::start(invite.clone(), now, timers, transport);
    let (mut cn, _) = ClientNonInvite::start(bye.clone(), now, timers, transport);
    let (mut si, _) = ServerInvite::start(&invite, timers, transport);
    let mut sn = ServerNonInvite::start(timers, transport);
    for pair in ops.chunks(2) {
        let (op, arg) = (pair[0], *pair.get(1).unwrap_or(&0));
        now = now + u64::from(arg) * 97;
        let status = 100 + (u32::from(arg) * 599 / 255) as u16;
        let timer = TIMERS[usize::from(arg) % TIMERS.len()];
        let before = [ci.state(), cn.state(), si.state(), sn.state()].map(|s| s == State::Terminated);
        let steps = match op % 12 {
            0 => [ci.on_response(now, Response::to_request(&invite, status, Some("t"))), vec![], vec![], vec![]],
            1 => [ci.on_timer(now, timer), vec![], vec![], vec![]],
            2 => [vec![], cn.on_response(now, Response::to_request(&bye, status, Some("t"))), vec![], vec![]],
            3 => [vec![], cn.on_timer(now, timer), vec![], vec![]],
            4 => [vec![], vec![], si.respond(now, Response::to_request(&invite, status, Some("t"))), vec![]],
            5 => [vec![], vec![], si.on_request(now, request(Method::Ack)), vec![]],
            6 => [vec![], vec![], si.on_request(now, invite.clone()), vec![]],
            7 => [vec![], vec![], si.on_timer(now, timer), vec![]],
            8 => [vec![], vec![], vec![], sn.respond(now, Response::to_request(&bye, status, Some("t")))],
            9 => [vec![], vec![], vec![], sn.on_request(now, bye.clone())],
            10 => [vec![], vec![], vec![], sn.on_timer(now, timer)],
            _ => [ci.on_transport_error(), cn.on_transport_error(), si.on_transport_error(), sn.on_transport_error()],
        };
        for (actions, terminated) in steps.iter().zip(before) {
            check(actions, now, terminated);
        }
    }
}
