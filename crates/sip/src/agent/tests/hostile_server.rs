//! A hostile server, scripted per request, against one agent on a virtual clock: whatever it
//! answers (fresh-nonce or stale challenges without end, 412, 481, 423, 422, tiny Expires,
//! subscriptions terminated again and again), the agent's requests stay bounded over simulated
//! minutes and the delays between its retries grow.

use crate::Millis;
use crate::agent::{
    CallEnd, CommandError, Event, FlowId, Output, Package, ServerProblem, SubscriptionRef, TransportKind, UserAgent,
};
use crate::body::PresenceState;
use crate::message::{HeaderName, Message, Method, Request, Response};
use crate::random::SplitMix;
use crate::registration::{REFRESH_FLOOR_SECONDS, RegistrationFailure};

use super::net::config;

const MINUTE: u64 = 60_000;
const SDP: &str = "v=0\r\nm=audio 9 RTP/AVP 0\r\n";

/// How the server answers one request; it may also send requests of its own (NOTIFY).
type Script = Box<dyn FnMut(&Request, u32) -> Vec<Message>>;

struct Hostile {
    ua: UserAgent,
    now: Millis,
    flow: Option<FlowId>,
    /// Every request the agent sent, with the time it left.
    sent: Vec<(Millis, Request)>,
    events: Vec<(Millis, Event)>,
    script: Script,
    /// Requests the script has seen (a counter for fresh nonces and tags).
    seen: u32,
    /// The server closes the flow right after accepting a REGISTER.
    drop_after_register: bool,
}

impl Hostile {
    /// A started agent (user 1001) against `script`.
    fn new(script: Script) -> Hostile {
        Self::with_config(config("1001", TransportKind::Ws), script)
    }

    fn with_config(config: crate::agent::AgentConfig, script: Script) -> Hostile {
        let ua = UserAgent::new(config, Box::new(SplitMix(99))).expect("config");
        let mut server = Hostile {
            ua,
            now: Millis(1_000),
            flow: None,
            sent: Vec::new(),
            events: Vec::new(),
            script,
            seen: 0,
            drop_after_register: false,
        };
        let now = server.now;
        server.ua.start(now);
        server.pump();
        server
    }

    /// Delivers everything until nothing moves; a loop at one instant fails the test.
    fn pump(&mut self) {
        let mut inbox: Vec<Vec<u8>> = Vec::new();
        let mut drop_flow = false;
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(output) = self.ua.poll_output() {
                moved = true;
                match output {
                    Output::Connect { flow, .. } => {
                        self.flow = Some(flow);
                        self.ua.connected(self.now, flow, None);
                    }
                    Output::Close { .. } => self.flow = None,
                    Output::Send { bytes, .. } if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) => {}
                    Output::Send { bytes, .. } => {
                        if let Ok(Message::Request(request)) = Message::parse(&bytes) {
                            self.sent.push((self.now, request.clone()));
                            if request.method != Method::Ack {
                                self.seen += 1;
                                let answers = (self.script)(&request, self.seen);
                                drop_flow |= self.drop_after_register && request.method == Method::Register;
                                inbox.extend(answers.into_iter().map(|m| m.to_bytes().expect("a clean answer")));
                            }
                        }
                    }
                    Output::Event(event) => self.events.push((self.now, event)),
                }
            }
            if !inbox.is_empty() {
                moved = true;
                for bytes in std::mem::take(&mut inbox) {
                    if let Some(flow) = self.flow {
                        self.ua.receive(self.now, flow, &bytes);
                    }
                }
            } else if std::mem::take(&mut drop_flow)
                && let Some(flow) = self.flow.take()
            {
                moved = true;
                self.ua.closed(self.now, flow);
            }
            if !moved {
                return;
            }
        }
        panic!("the agent and the server never settled at one instant: a tight loop");
    }

    fn with<T>(&mut self, command: impl FnOnce(&mut UserAgent, Millis) -> T) -> T {
        let now = self.now;
        let result = command(&mut self.ua, now);
        self.pump();
        result
    }

    /// Moves the clock by `millis`, running every timer on the way.
    fn advance(&mut self, millis: u64) {
        let end = self.now + millis;
        let mut at_this_instant = 0;
        while let Some(at) = self.ua.poll_timeout().filter(|at| *at <= end) {
            at_this_instant = if at <= self.now { at_this_instant + 1 } else { 0 };
            assert!(at_this_instant < 1_000, "timers fire again and again at {at:?}: a tight loop");
            self.now = self.now.max(at);
            let now = self.now;
            self.ua.handle_timeout(now);
            self.pump();
        }
        self.now = end;
    }

    /// When each request of `method` left (retransmissions would share a branch; this runs
    /// over WebSocket, so there are none).
    fn times(&self, method: Method) -> Vec<u64> {
        self.sent.iter().filter(|(_, r)| r.method == method).map(|(at, _)| at.0).collect()
    }

    fn events_matching(&self, wanted: impl Fn(&Event) -> bool) -> Vec<(Millis, Event)> {
        self.events.iter().filter(|(_, e)| wanted(e)).cloned().collect()
    }
}

/// The gaps between consecutive times.
fn gaps(times: &[u64]) -> Vec<u64> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Each gap at least the one before, and the last clearly longer than the first.
fn assert_growing(gaps: &[u64], what: &str) {
    assert!(gaps.len() >= 2, "{what}: too few retries to see them grow: {gaps:?}");
    assert!(gaps.windows(2).all(|w| w[0] <= w[1]), "{what}: the delays shrink: {gaps:?}");
    assert!(gaps[gaps.len() - 1] >= 4 * gaps[0].max(1), "{what}: the delays do not grow: {gaps:?}");
}

fn respond(request: &Request, status: u16, extra: &[(HeaderName, String)]) -> Message {
    let mut response = Response::to_request(request, status, Some("srv"));
    for (name, value) in extra {
        response.headers.push(name.clone(), value.clone());
    }
    Message::Response(response)
}

/// A registrar that accepts every REGISTER for what it asked.
fn accept_register(request: &Request) -> Message {
    let expires = request.headers.get_str(&HeaderName::Expires).unwrap_or("600").to_owned();
    respond(request, 200, &[(HeaderName::Expires, expires)])
}

/// A server that registers the agent and answers everything else with `other`.
fn registrar_then(mut other: impl FnMut(&Request, u32) -> Vec<Message> + 'static) -> Script {
    Box::new(move |request, n| match request.method {
        Method::Register => vec![accept_register(request)],
        _ => other(request, n),
    })
}

fn challenge(request: &Request, status: u16, nonce: &str, stale: bool) -> Message {
    let header = if status == 407 { HeaderName::ProxyAuthenticate } else { HeaderName::WwwAuthenticate };
    let stale = if stale { ", stale=true" } else { "" };
    let value = format!("Digest realm=\"framephone.test\", nonce=\"{nonce}\", qop=\"auth\"{stale}");
    respond(request, status, &[(header, value)])
}

/// A NOTIFY in the dialog a SUBSCRIBE creates, with this Subscription-State.
fn notify(subscribe: &Request, n: u32, state: &str) -> Message {
    let contact = subscribe.headers.get_str(&HeaderName::Contact).unwrap_or("<sip:x@x.invalid>");
    let target = contact.trim_start_matches('<').split('>').next().unwrap_or_default();
    let mut request =
        Request::new(Method::Notify, crate::message::Uri::parse(target.as_bytes()).expect("a contact URI"));
    let headers = &mut request.headers;
    headers.push(HeaderName::Via, format!("SIP/2.0/WSS server.invalid;branch=z9hG4bKnotify{n}"));
    headers.push(HeaderName::MaxForwards, "70");
    let to = subscribe.headers.get_str(&HeaderName::To).unwrap_or_default();
    headers.push(HeaderName::From, if to.contains("tag=") { to.to_owned() } else { format!("{to};tag=srv") });
    headers.push(HeaderName::To, subscribe.headers.get_str(&HeaderName::From).unwrap_or_default().to_owned());
    headers.push(HeaderName::CallId, subscribe.headers.get_str(&HeaderName::CallId).unwrap_or_default().to_owned());
    headers.push(HeaderName::CSeq, format!("{n} NOTIFY"));
    headers.push(HeaderName::Contact, "<sip:presence@server.invalid>");
    headers.push(HeaderName::Event, "presence");
    headers.push(HeaderName::SubscriptionState, state.to_owned());
    Message::Request(request)
}

fn accepted_subscribe(request: &Request) -> Message {
    respond(
        request,
        202,
        &[(HeaderName::Expires, "600".into()), (HeaderName::Contact, "<sip:presence@server.invalid>".into())],
    )
}

// ---- registration ----

fn keeps_challenging(stale: bool) -> Hostile {
    Hostile::new(Box::new(move |request, n| match request.method {
        Method::Register => vec![challenge(request, 401, &format!("fresh-{n}"), stale)],
        _ => vec![],
    }))
}

/// Registration against a challenge loop: each attempt fails with `KeepsChallenging`, is
/// reported, and is retried after growing delays; returns the REGISTERs sent in ten minutes.
fn check_registration_challenge_loop(stale: bool, per_attempt: usize) {
    let mut server = keeps_challenging(stale);
    server.advance(10 * MINUTE);
    let registers = server.times(Method::Register);
    // Attempts 15–30 s, 30–60 s, 60–120 s, 120–240 s, 240–480 s apart: five or six attempts fit
    // in ten minutes, whatever the jitter.
    let attempts = registers.len() / per_attempt;
    assert_eq!(registers.len() % per_attempt, 0, "whole attempts only: {registers:?}");
    assert!((5..=6).contains(&attempts), "{} REGISTERs in 10 minutes: {registers:?}", registers.len());
    let failures = server.events_matching(
        |e| matches!(e, Event::RegistrationFailed(RegistrationFailure::KeepsChallenging { stale: s }) if *s == stale),
    );
    assert_eq!(failures.len(), attempts, "each attempt reported");
    let retries: Vec<u64> = server
        .events
        .iter()
        .filter_map(|(_, e)| if let Event::RegistrationRetry { retry_in } = e { Some(*retry_in) } else { None })
        .collect();
    assert_eq!(retries.len(), attempts);
    assert_growing(&retries, "announced retry delays");
    let starts: Vec<u64> = registers.chunks(per_attempt).map(|attempt| attempt[0]).collect();
    assert_growing(&gaps(&starts), "gaps between attempts");
    assert!(gaps(&starts)[0] >= 15_000, "never in a tight loop: {starts:?}");
    assert!(!server.ua.is_registered());
    assert!(server.events_matching(|e| matches!(e, Event::Registered { .. })).is_empty());
}

#[test]
fn a_fresh_nonce_on_every_register_is_answered_once_then_retried_later_with_growing_delays() {
    // Per attempt: the REGISTER, and one answer to the challenge.
    check_registration_challenge_loop(false, 2);
}

#[test]
fn stale_challenges_without_end_are_answered_twice_in_a_row_then_retried_later() {
    // Per attempt: the REGISTER and two answers to stale challenges; the third stale one fails.
    check_registration_challenge_loop(true, 3);
}

#[test]
fn a_server_that_comes_round_registers_the_agent_and_the_delays_start_over() {
    let refusing = std::rc::Rc::new(std::cell::Cell::new(true));
    let flag = refusing.clone();
    let mut server = Hostile::new(Box::new(move |request, n| match request.method {
        Method::Register if flag.get() => vec![challenge(request, 401, &format!("fresh-{n}"), false)],
        Method::Register => vec![accept_register(request)],
        _ => vec![],
    }));
    server.advance(2 * MINUTE);
    assert!(!server.ua.is_registered());
    refusing.set(false);
    server.advance(5 * MINUTE);
    assert!(server.ua.is_registered(), "registered at the next retry");
    assert_eq!(server.events_matching(|e| matches!(e, Event::Registered { .. })).len(), 1);
}

#[test]
fn the_same_nonce_challenging_our_answer_is_a_wrong_password_and_is_not_retried() {
    let mut server = Hostile::new(Box::new(|request, _| match request.method {
        Method::Register => vec![challenge(request, 401, "same", false)],
        _ => vec![],
    }));
    server.advance(10 * MINUTE);
    assert_eq!(server.times(Method::Register).len(), 2);
    assert_eq!(
        server.events_matching(|e| matches!(e, Event::RegistrationFailed(RegistrationFailure::BadCredentials))).len(),
        1
    );
    assert!(server.events_matching(|e| matches!(e, Event::RegistrationRetry { .. })).is_empty());
}

#[test]
fn a_tiny_expires_is_reported_and_the_refresh_waits_for_the_floor() {
    let mut server = Hostile::new(Box::new(|request, _| match request.method {
        Method::Register => vec![respond(request, 200, &[(HeaderName::Expires, "1".into())])],
        _ => vec![],
    }));
    server.advance(10 * MINUTE);
    let registers = server.times(Method::Register);
    let floor = u64::from(REFRESH_FLOOR_SECONDS) * 1000;
    assert!(registers.len() <= 21, "{} REGISTERs in 10 minutes: {registers:?}", registers.len());
    assert!(registers.len() >= 19, "the binding is still refreshed: {registers:?}");
    assert!(gaps(&registers).iter().all(|gap| *gap >= floor), "{registers:?}");
    let problems = server.events_matching(|e| matches!(e, Event::ServerProblem(_)));
    assert_eq!(
        problems.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>(),
        vec![Event::ServerProblem(ServerProblem::ShortRegistration { granted: 1, floor: REFRESH_FLOOR_SECONDS })],
        "reported once"
    );
    assert!(server.ua.is_registered());
}

#[test]
fn interval_too_brief_is_honoured_once_and_an_absurd_minimum_refused() {
    for (min_expires, registers) in [("3600", 2), ("999999999", 1)] {
        let mut server = Hostile::new(Box::new(move |request, _| match request.method {
            Method::Register => vec![respond(request, 423, &[(HeaderName::MinExpires, min_expires.into())])],
            _ => vec![],
        }));
        server.advance(10 * MINUTE);
        assert_eq!(server.times(Method::Register).len(), registers, "Min-Expires {min_expires}");
        assert!(
            server
                .events_matching(|e| matches!(
                    e,
                    Event::RegistrationFailed(RegistrationFailure::Rejected { status: 423, .. })
                ))
                .len()
                == 1
        );
    }
}

// ---- publication ----

#[test]
fn publish_412_without_end_is_repeated_with_growing_delays_then_reported() {
    let mut server = Hostile::new(registrar_then(|request, _| vec![respond(request, 412, &[])]));
    server.with(|ua, now| ua.publish(now, PresenceState::Available, Some("Ready")));
    server.advance(10 * MINUTE);
    let publishes = server.times(Method::Publish);
    // The first, once again at once, then four more after growing delays.
    assert_eq!(publishes.len(), 6, "{publishes:?}");
    assert_eq!(publishes[1], publishes[0], "the first repeat comes at once");
    assert_growing(&gaps(&publishes)[1..], "PUBLISH repeats");
    let failed = server.events_matching(|e| matches!(e, Event::PublishFailed { status: 412 }));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0.0, *publishes.last().unwrap_or(&0), "reported when it gives up");
    // A new state from the application tries again, within the same bound.
    server.with(|ua, now| ua.publish(now, PresenceState::Away, Some("Not Ready")));
    server.advance(10 * MINUTE);
    assert_eq!(server.times(Method::Publish).len(), 12);
}

#[test]
fn publish_challenged_with_a_fresh_nonce_every_time_is_answered_once() {
    let mut server =
        Hostile::new(registrar_then(|request, n| vec![challenge(request, 407, &format!("fresh-{n}"), false)]));
    server.with(|ua, now| ua.publish(now, PresenceState::Available, None));
    server.advance(10 * MINUTE);
    assert_eq!(server.times(Method::Publish).len(), 2);
    assert_eq!(server.events_matching(|e| matches!(e, Event::PublishFailed { status: 407 })).len(), 1);
}

// ---- subscriptions ----

fn subscribed(server: &mut Hostile) -> SubscriptionRef {
    server.with(|ua, now| ua.subscribe(now, "1002", Package::Presence)).expect("subscribe")
}

/// A subscription the server keeps failing: at most seven SUBSCRIBEs (the first, one at once,
/// five after growing delays), then it ends and says so.
fn check_subscription_gives_up(script: Script, first_repeat_at_once: bool) {
    let mut server = Hostile::new(script);
    let subscription = subscribed(&mut server);
    server.advance(10 * MINUTE);
    let subscribes = server.times(Method::Subscribe);
    assert_eq!(subscribes.len(), 7, "{subscribes:?}");
    let gaps = gaps(&subscribes);
    if first_repeat_at_once {
        assert_eq!(gaps[0], 0, "a lost dialog is tried again at once");
        assert_growing(&gaps[1..], "SUBSCRIBE retries");
    } else {
        assert!(gaps[0] >= 1_000, "{gaps:?}");
        assert_growing(&gaps, "SUBSCRIBE retries");
    }
    let ended = server.events_matching(|e| matches!(e, Event::SubscriptionEnded { subscription: s, reason } if *s == subscription && reason.contains("gave up")));
    assert_eq!(ended.len(), 1, "{:?}", server.events);
    assert_eq!(server.ua.stats().subscriptions, 0, "forgotten");
}

#[test]
fn subscribe_481_without_end_gives_up_after_growing_delays() {
    check_subscription_gives_up(registrar_then(|request, _| vec![respond(request, 481, &[])]), true);
}

#[test]
fn subscriptions_terminated_on_probation_again_and_again_give_up() {
    let script = registrar_then(|request, n| {
        vec![accepted_subscribe(request), notify(request, n, "terminated;reason=probation")]
    });
    check_subscription_gives_up(script, false);
}

#[test]
fn subscriptions_deactivated_again_and_again_give_up() {
    let script = registrar_then(|request, n| {
        vec![
            accepted_subscribe(request),
            notify(request, n, "active;expires=600"),
            notify(request, n + 1000, "terminated;reason=deactivated"),
        ]
    });
    check_subscription_gives_up(script, true);
}

#[test]
fn a_notify_before_the_202_does_not_make_a_subscription_look_healthy() {
    let script = registrar_then(|request, n| {
        vec![
            notify(request, n, "active;expires=600"),
            accepted_subscribe(request),
            notify(request, n + 1000, "terminated;reason=deactivated"),
        ]
    });
    check_subscription_gives_up(script, true);
}

#[test]
fn a_retry_after_longer_than_the_backoff_is_honoured() {
    let script = registrar_then(|request, n| {
        vec![accepted_subscribe(request), notify(request, n, "terminated;reason=giveup;retry-after=120")]
    });
    let mut server = Hostile::new(script);
    subscribed(&mut server);
    server.advance(10 * MINUTE);
    let subscribes = server.times(Method::Subscribe);
    assert!(gaps(&subscribes).iter().all(|gap| *gap >= 120_000), "{subscribes:?}");
    assert!(subscribes.len() <= 6, "{subscribes:?}");
}

#[test]
fn subscribe_423_raises_the_interval_once_and_refuses_an_absurd_one() {
    let mut server = Hostile::new(registrar_then(|request, _| {
        vec![respond(request, 423, &[(HeaderName::MinExpires, "1800".into())])]
    }));
    subscribed(&mut server);
    server.advance(10 * MINUTE);
    let subscribes: Vec<&Request> =
        server.sent.iter().filter(|(_, r)| r.method == Method::Subscribe).map(|(_, r)| r).collect();
    assert_eq!(subscribes.len(), 2);
    assert_eq!(subscribes[1].headers.get_str(&HeaderName::Expires), Some("1800"));
    assert_eq!(server.events_matching(|e| matches!(e, Event::SubscriptionEnded { .. })).len(), 1);

    let mut server = Hostile::new(registrar_then(|request, _| {
        vec![respond(request, 423, &[(HeaderName::MinExpires, "4000000000".into())])]
    }));
    subscribed(&mut server);
    server.advance(10 * MINUTE);
    assert_eq!(server.times(Method::Subscribe).len(), 1);
}

#[test]
fn a_tiny_subscription_grant_is_refreshed_no_sooner_than_the_floor() {
    let mut server = Hostile::new(registrar_then(|request, _| {
        vec![respond(
            request,
            202,
            &[(HeaderName::Expires, "1".into()), (HeaderName::Contact, "<sip:p@s.invalid>".into())],
        )]
    }));
    subscribed(&mut server);
    server.advance(10 * MINUTE);
    let subscribes = server.times(Method::Subscribe);
    assert!(subscribes.len() <= 21, "{subscribes:?}");
    assert!(gaps(&subscribes).iter().all(|gap| *gap >= u64::from(REFRESH_FLOOR_SECONDS) * 1000));
}

#[test]
fn subscriptions_are_capped_and_a_slot_frees_when_one_ends() {
    let mut config = config("1001", TransportKind::Ws);
    config.max_subscriptions = 3;
    let mut server = Hostile::with_config(
        config,
        registrar_then(|request, _| match request.method {
            Method::Subscribe => vec![accepted_subscribe(request)],
            _ => vec![],
        }),
    );
    let first = subscribed(&mut server);
    subscribed(&mut server);
    subscribed(&mut server);
    let refused = server.with(|ua, now| ua.subscribe(now, "1005", Package::Dialog));
    assert_eq!(refused, Err(CommandError::TooManySubscriptions { limit: 3 }));
    assert!(refused.unwrap_err().to_string().contains("3 contacts"));
    assert_eq!(server.times(Method::Subscribe).len(), 3, "nothing sent for the refused one");
    server.with(|ua, now| ua.unsubscribe(now, first)).expect("unsubscribe");
    assert!(server.with(|ua, now| ua.subscribe(now, "1005", Package::Dialog)).is_ok());
}

// ---- calls ----

#[test]
fn invite_422_is_retried_once_with_the_min_se_asked() {
    let mut server = Hostile::new(registrar_then(|request, n| match request.method {
        // Each 422 asks for more than the INVITE did.
        Method::Invite => {
            let asked: u32 = request
                .headers
                .get_str(&HeaderName::SessionExpires)
                .and_then(|v| v.split(';').next())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(90);
            vec![respond(request, 422, &[(HeaderName::MinSe, (asked + 100 + n).to_string())])]
        }
        _ => vec![],
    }));
    let call = server.with(|ua, now| ua.call(now, "1002", SDP.into())).expect("call");
    server.advance(10 * MINUTE);
    let invites: Vec<&Request> =
        server.sent.iter().filter(|(_, r)| r.method == Method::Invite).map(|(_, r)| r).collect();
    assert_eq!(invites.len(), 2, "once, never again for that call");
    let min_se = invites[1].headers.get_str(&HeaderName::MinSe).and_then(|v| v.parse::<u32>().ok());
    assert!(min_se.is_some_and(|m| m > 1800), "the retry asks the Min-SE: {min_se:?}");
    assert!(
        server
            .events_matching(
                |e| matches!(e, Event::Ended { call: c, reason: CallEnd::Rejected { status: 422, .. } } if *c == call)
            )
            .len()
            == 1
    );

    // An absurd Min-SE ends the call at once.
    let mut server = Hostile::new(registrar_then(|request, _| match request.method {
        Method::Invite => vec![respond(request, 422, &[(HeaderName::MinSe, "4000000".into())])],
        _ => vec![],
    }));
    server.with(|ua, now| ua.call(now, "1002", SDP.into())).expect("call");
    server.advance(MINUTE);
    assert_eq!(server.times(Method::Invite).len(), 1);
}

#[test]
fn an_invite_challenged_without_end_is_answered_once_or_twice_when_stale() {
    for (stale, invites) in [(false, 2), (true, 3)] {
        let mut server = Hostile::new(registrar_then(move |request, n| match request.method {
            Method::Invite => vec![challenge(request, 407, &format!("fresh-{n}"), stale)],
            _ => vec![],
        }));
        let call = server.with(|ua, now| ua.call(now, "1002", SDP.into())).expect("call");
        server.advance(10 * MINUTE);
        assert_eq!(server.times(Method::Invite).len(), invites, "stale={stale}");
        assert_eq!(
            server
                .events_matching(|e| matches!(e, Event::Ended { call: c, reason: CallEnd::Rejected { status: 407, .. } } if *c == call))
                .len(),
            1
        );
    }
}

#[test]
fn a_peer_answering_every_offer_with_491_gets_it_three_more_times_then_the_offer_is_refused() {
    let mut server = Hostile::new(registrar_then(|request, _| {
        let in_dialog = request.headers.get_str(&HeaderName::To).is_some_and(|to| to.contains("tag="));
        match request.method {
            Method::Invite if in_dialog => vec![respond(request, 491, &[])],
            Method::Invite => {
                let Message::Response(mut ok) = respond(request, 200, &[]) else { return vec![] };
                ok.headers.push(HeaderName::Contact, "<sip:1002@far.invalid;transport=ws>");
                ok.headers.push(HeaderName::ContentType, "application/sdp");
                ok.body = SDP.as_bytes().to_vec();
                vec![Message::Response(ok)]
            }
            _ => vec![],
        }
    }));
    let call = server.with(|ua, now| ua.call(now, "1002", SDP.into())).expect("call");
    assert!(server.events_matching(|e| matches!(e, Event::Established { call: c, .. } if *c == call)).len() == 1);
    server.with(|ua, now| ua.reoffer(now, call, SDP.into())).expect("hold");
    server.advance(10 * MINUTE);
    let reinvites: Vec<u64> = server
        .sent
        .iter()
        .filter(|(_, r)| {
            r.method == Method::Invite && r.headers.get_str(&HeaderName::To).is_some_and(|to| to.contains("tag="))
        })
        .map(|(at, _)| at.0)
        .collect();
    assert_eq!(reinvites.len(), 4, "the offer and three retries: {reinvites:?}");
    assert!(gaps(&reinvites).iter().all(|gap| (2_100..=4_000).contains(gap)), "RFC 3261 §14.1 windows: {reinvites:?}");
    assert_eq!(server.events_matching(|e| matches!(e, Event::OfferRefused { status: 491, .. })).len(), 1);
    // The call itself goes on, and a new offer from the application is tried again.
    server.with(|ua, now| ua.reoffer(now, call, SDP.into())).expect("resume");
    server.advance(MINUTE);
    assert_eq!(
        server
            .sent
            .iter()
            .filter(|(_, r)| r.method == Method::Invite
                && r.headers.get_str(&HeaderName::To).is_some_and(|to| to.contains("tag=")))
            .count(),
        8
    );
}

#[test]
fn a_server_that_closes_every_flow_after_registering_gets_slower_and_slower_reconnects() {
    let mut server = Hostile::new(Box::new(|request, _| match request.method {
        Method::Register => vec![accept_register(request)],
        _ => vec![],
    }));
    assert!(server.ua.is_registered());
    server.drop_after_register = true;
    // The refresh (at 540 s of 600) is the first REGISTER the server answers and then drops;
    // watch ten minutes of drops after it.
    server.advance(9 * MINUTE + 10 * MINUTE);
    let registers = server.times(Method::Register);
    let first_drop = registers[1];
    let dropping: Vec<u64> = registers[1..].iter().copied().filter(|at| *at <= first_drop + 10 * MINUTE).collect();
    assert!(dropping.len() <= 25, "{} REGISTERs in 10 minutes of drops: {dropping:?}", dropping.len());
    let reconnects = gaps(&dropping[1..]);
    assert!(reconnects.iter().all(|gap| *gap >= 1_000), "{dropping:?}");
    assert_growing(&reconnects[..5], "reconnects after quick drops");

    // A flow that stays up a while starts the delays over.
    server.drop_after_register = false;
    server.advance(10 * MINUTE);
    assert!(server.ua.is_registered());
}

/// Whether a REGISTER answers a challenge as `username`.
fn answers_as(request: &Request, username: &str) -> bool {
    let needle = format!("username=\"{username}\"");
    request
        .headers
        .get(&HeaderName::Authorization)
        .is_some_and(|v| v.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

#[test]
fn credentials_replaced_after_a_refusal_register_at_once_and_answer_later_challenges() {
    let mut server = Hostile::new(Box::new(|request, n| match request.method {
        Method::Register if answers_as(request, "1700000600:1001") => vec![accept_register(request)],
        Method::Register => vec![challenge(request, 401, &format!("fresh-{n}"), false)],
        _ => vec![],
    }));
    server.advance(1_000);
    assert!(!server.ua.is_registered());
    assert_eq!(
        server
            .events_matching(|e| matches!(e, Event::RegistrationFailed(RegistrationFailure::KeepsChallenging { .. })))
            .len(),
        1
    );
    let sent = server.times(Method::Register).len();
    // Short-lived credentials: the user of the address, another name for the digest.
    let renewed = crate::auth::Credentials { username: "1700000600:1001".into(), password: "minted".into() };
    let now = server.now;
    server.ua.replace_credentials(now, renewed.into());
    server.pump();
    assert!(server.ua.is_registered(), "registered without waiting for the retry");
    assert_eq!(server.times(Method::Register).len(), sent + 1, "one REGISTER, answering the challenge it holds");
    let from = server.sent.last().map(|(_, r)| r.headers.get(&HeaderName::From).unwrap_or_default().to_vec());
    assert!(String::from_utf8_lossy(&from.unwrap_or_default()).contains("sip:1001@"), "the address stays 1001's");
    // The refreshes answer with the new credentials too.
    server.advance(20 * MINUTE);
    assert_eq!(server.events_matching(|e| matches!(e, Event::RegistrationFailed(_))).len(), 1);
}
