//! The user agent against the project's Kamailio lab (`scripts/lab.sh`), over WebSocket and
//! UDP. `scripts/test.sh` starts the lab and runs these with `--ignored`; by hand:
//!
//! ```text
//! LAB_UDP_PORT=15060 LAB_WS_PORT=18088 LAB_DIR=/tmp/fp-lab scripts/lab.sh start
//! LAB_UDP_PORT=15060 LAB_WS_PORT=18088 LAB_DIR=/tmp/fp-lab \
//!   cargo test -p sipshell --test lab -- --ignored --test-threads=1
//! ```

use std::time::Duration;

use sip::agent::{AgentConfig, CallEnd, CallRef, Event, Package, RejectKind, Server, TransportKind};
use sip::auth::Credentials;
use sip::body::{LineState, PresenceState};
use sip::message::Uri;
use sipshell::Phone;

const WAIT: Duration = Duration::from_secs(10);
const SDP: &str =
    "v=0\r\no=lab 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\na=sendrecv\r\n";

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn config(user: &str, transport: TransportKind, password: Option<&str>) -> AgentConfig {
    let domain = setting("LAB_DOMAIN", "framephone.test");
    let address = match transport {
        TransportKind::Udp => format!("127.0.0.1:{}", setting("LAB_UDP_PORT", "5060")),
        _ => format!("ws://127.0.0.1:{}", setting("LAB_WS_PORT", "8088")),
    };
    let password = password.map_or_else(|| format!("lab-{user}-pw"), str::to_owned);
    let mut config = AgentConfig::new(
        Uri::parse(format!("sip:{user}@{domain}").as_bytes()).expect("aor"),
        Credentials { username: user.into(), password },
        vec![Server { address, transport }],
        format!("urn:uuid:1ab00000-0000-4000-8000-00000000{user}"),
    );
    config.display_name = Some(format!("Lab {user}"));
    config
}

/// A phone registered as `user`.
async fn phone(user: &str, transport: TransportKind) -> Phone {
    let mut phone = Phone::start(config(user, transport, None)).expect("config");
    phone
        .wait_for(WAIT, |e| matches!(e, Event::Registered { .. }).then_some(()))
        .await
        .unwrap_or_else(|why| panic!("{user} did not register: {why}"));
    phone
}

async fn incoming(phone: &mut Phone) -> CallRef {
    phone
        .wait_for(WAIT, |e| if let Event::Incoming { call, .. } = e { Some(*call) } else { None })
        .await
        .expect("incoming call")
}

async fn ended(phone: &mut Phone, call: CallRef) -> CallEnd {
    phone
        .wait_for(WAIT, |e| match e {
            Event::Ended { call: c, reason } if *c == call => Some(reason.clone()),
            _ => None,
        })
        .await
        .expect("call end")
}

async fn established(phone: &mut Phone, call: CallRef) {
    phone
        .wait_for(WAIT, |e| matches!(e, Event::Established { call: c, .. } if *c == call).then_some(()))
        .await
        .expect("established");
}

/// `caller` calls `callee`, who answers; both ends of the call.
async fn connect(caller: &mut Phone, callee: &mut Phone, callee_user: &str) -> (CallRef, CallRef) {
    let target = callee_user.to_owned();
    let outgoing = caller.run(move |ua, now| ua.call(now, &target, SDP.into())).await.expect("call");
    let answering = incoming(callee).await;
    callee.run(move |ua, now| ua.answer(now, answering, SDP.into())).await.expect("answer");
    established(caller, outgoing).await;
    established(callee, answering).await;
    (outgoing, answering)
}

async fn stop(phone: &mut Phone) {
    phone.send(|ua, now| ua.stop(now));
    let _ = phone.wait_for(WAIT, |e| matches!(e, Event::Stopped).then_some(())).await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab (scripts/test.sh starts it)"]
async fn registers_over_both_transports_and_a_wrong_password_is_refused() {
    let mut ws = phone("1001", TransportKind::Ws).await;
    let mut udp = phone("1002", TransportKind::Udp).await;
    let mut wrong = Phone::start(config("1003", TransportKind::Ws, Some("not-the-password"))).expect("config");
    let failure = wrong
        .wait_for(WAIT, |e| if let Event::RegistrationFailed(why) = e { Some(why.clone()) } else { None })
        .await
        .expect("refused");
    // Kamailio repeats a nonce within its second: the same nonce refused; across a second
    // boundary it is a fresh one, refused all the same.
    assert!(
        matches!(
            failure,
            sip::registration::RegistrationFailure::BadCredentials
                | sip::registration::RegistrationFailure::KeepsChallenging { stale: false }
        ),
        "{failure:?}"
    );
    for phone in [&mut ws, &mut udp, &mut wrong] {
        stop(phone).await;
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab (scripts/test.sh starts it)"]
async fn a_websocket_agent_and_a_udp_agent_call_hold_send_dtmf_and_hang_up() {
    let mut a = phone("1001", TransportKind::Ws).await;
    let mut b = phone("1002", TransportKind::Udp).await;
    let (outgoing, answering) = connect(&mut a, &mut b, "1002").await;
    for (direction, sdp) in [("sendonly", SDP.replace("sendrecv", "sendonly")), ("sendrecv", SDP.to_owned())] {
        a.run(move |ua, now| ua.reoffer(now, outgoing, sdp)).await.expect("reoffer");
        b.wait_for(WAIT, |e| {
            matches!(e, Event::RemoteOffer { sdp: Some(s), .. } if s.contains(direction)).then_some(())
        })
        .await
        .expect("offer");
        b.run(move |ua, now| ua.accept_offer(now, answering, SDP.into())).await.expect("answer");
        a.wait_for(WAIT, |e| matches!(e, Event::OfferAnswered { .. }).then_some(())).await.expect("answered");
    }
    a.run(move |ua, now| "159#".chars().try_for_each(|d| ua.send_dtmf(now, outgoing, d, 120))).await.expect("dtmf");
    let mut digits = String::new();
    while digits.len() < 4 {
        let digit = b
            .wait_for(WAIT, |e| if let Event::Dtmf { digit, .. } = e { Some(*digit) } else { None })
            .await
            .expect("digit");
        digits.push(digit);
    }
    assert_eq!(digits, "159#");
    b.run(move |ua, now| ua.hang_up(now, answering)).await.expect("hang up");
    assert_eq!(ended(&mut a, outgoing).await, CallEnd::HungUpThere);
    assert_eq!(ended(&mut b, answering).await, CallEnd::HungUpHere);
    stop(&mut a).await;
    stop(&mut b).await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab (scripts/test.sh starts it)"]
async fn busy_declined_cancelled_and_unknown_calls_end_with_their_reasons() {
    let mut a = phone("1001", TransportKind::Ws).await;
    let mut b = phone("1002", TransportKind::Ws).await;
    for status in [486u16, 603] {
        let outgoing = a.run(|ua, now| ua.call(now, "1002", SDP.into())).await.expect("call");
        let answering = incoming(&mut b).await;
        b.run(move |ua, now| ua.reject(now, answering, status)).await.expect("reject");
        match ended(&mut a, outgoing).await {
            CallEnd::Rejected { status: got, kind, .. } => {
                assert_eq!(got, status);
                assert_eq!(kind, if status == 486 { RejectKind::Busy } else { RejectKind::Declined });
            }
            other => panic!("{other:?}"),
        }
    }
    let outgoing = a.run(|ua, now| ua.call(now, "1002", SDP.into())).await.expect("call");
    let answering = incoming(&mut b).await;
    a.wait_for(WAIT, |e| matches!(e, Event::Progress { status: 180, .. }).then_some(())).await.expect("ringing");
    a.run(move |ua, now| ua.hang_up(now, outgoing)).await.expect("cancel");
    assert_eq!(ended(&mut b, answering).await, CallEnd::CallerCancelled);
    // 1006 is a lab user nobody registered.
    let nobody = a.run(|ua, now| ua.call(now, "1006", SDP.into())).await.expect("call");
    let CallEnd::Rejected { kind: RejectKind::Unavailable | RejectKind::NotFound, .. } = ended(&mut a, nobody).await
    else {
        panic!("an unregistered user must be unavailable")
    };
    stop(&mut a).await;
    stop(&mut b).await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab (scripts/test.sh starts it)"]
async fn blind_and_attended_transfers_among_three_agents() {
    let mut a = phone("1001", TransportKind::Ws).await;
    let mut b = phone("1002", TransportKind::Ws).await;
    let mut c = phone("1003", TransportKind::Udp).await;

    // Blind: B sends A to C.
    let (a_call, b_call) = connect(&mut a, &mut b, "1002").await;
    b.run(move |ua, now| ua.transfer(now, b_call, "1003")).await.expect("transfer");
    let new_call = a
        .wait_for(WAIT, |e| if let Event::Transferring { new_call, .. } = e { Some(*new_call) } else { None })
        .await
        .expect("transferring");
    a.run(move |ua, now| ua.send_offer(now, new_call, SDP.into())).await.expect("offer");
    let c_call = incoming(&mut c).await;
    c.run(move |ua, now| ua.answer(now, c_call, SDP.into())).await.expect("answer");
    let result = b
        .wait_for(WAIT, |e| if let Event::TransferResult { succeeded, .. } = e { Some(*succeeded) } else { None })
        .await
        .expect("result");
    assert!(result);
    assert_eq!(ended(&mut b, b_call).await, CallEnd::Transferred);
    assert_eq!(ended(&mut a, a_call).await, CallEnd::HungUpThere);
    established(&mut a, new_call).await;
    c.run(move |ua, now| ua.hang_up(now, c_call)).await.expect("hang up");
    ended(&mut a, new_call).await;

    // Attended: B talks to A, consults C, then connects them.
    let (a_call, b_call) = connect(&mut a, &mut b, "1002").await;
    let (b_consult, c_consult) = connect(&mut b, &mut c, "1003").await;
    b.run(move |ua, now| ua.transfer_attended(now, b_call, b_consult)).await.expect("transfer");
    let new_call = a
        .wait_for(WAIT, |e| if let Event::Transferring { new_call, .. } = e { Some(*new_call) } else { None })
        .await
        .expect("transferring");
    a.run(move |ua, now| ua.send_offer(now, new_call, SDP.into())).await.expect("offer");
    let (c_new, replaces) = c
        .wait_for(
            WAIT,
            |e| if let Event::Incoming { call, replaces, .. } = e { Some((*call, *replaces)) } else { None },
        )
        .await
        .expect("incoming");
    assert_eq!(replaces, Some(c_consult));
    c.run(move |ua, now| ua.answer(now, c_new, SDP.into())).await.expect("answer");
    assert_eq!(ended(&mut c, c_consult).await, CallEnd::Replaced);
    assert_eq!(ended(&mut b, b_call).await, CallEnd::Transferred);
    assert_eq!(ended(&mut b, b_consult).await, CallEnd::HungUpThere);
    assert_eq!(ended(&mut a, a_call).await, CallEnd::HungUpThere);
    established(&mut a, new_call).await;
    a.run(move |ua, now| ua.hang_up(now, new_call)).await.expect("hang up");
    ended(&mut c, c_new).await;
    for phone in [&mut a, &mut b, &mut c] {
        stop(phone).await;
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab (scripts/test.sh starts it)"]
async fn a_message_is_refused_with_480_through_the_proxy_and_one_to_an_absent_user_fails() {
    // The phone shows no messages, so it refuses them (480 with a Reason) instead of
    // acknowledging what nobody will read; the sender hears that through Kamailio.
    let mut a = phone("1001", TransportKind::Ws).await;
    let mut b = phone("1002", TransportKind::Udp).await;
    let sent = a.run(|ua, now| ua.send_message(now, "1002", "Can you take the Acme call? ☎")).await.expect("send");
    let status = a
        .wait_for(WAIT, |e| match e {
            Event::MessageFailed { message, status, .. } if *message == sent => Some(*status),
            Event::MessageDelivered { message } if *message == sent => Some(200),
            _ => None,
        })
        .await
        .expect("an answer");
    assert_eq!(status, 480, "the message is refused, not reported delivered");
    let from = b
        .wait_for(WAIT, |e| if let Event::MessageRefused { from } = e { Some(from.user().to_owned()) } else { None })
        .await
        .expect("refused");
    assert_eq!(from, "1001");
    let lost = a.run(|ua, now| ua.send_message(now, "1006", "anyone?")).await.expect("send");
    let status = a
        .wait_for(WAIT, |e| match e {
            Event::MessageFailed { message, status, .. } if *message == lost => Some(*status),
            _ => None,
        })
        .await
        .expect("failed");
    assert!(status >= 400, "{status}");
    stop(&mut a).await;
    stop(&mut b).await;
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab (scripts/test.sh starts it)"]
async fn a_watcher_sees_presence_and_the_busy_lamp() {
    let mut watcher = phone("1004", TransportKind::Ws).await;
    let mut agent = phone("1005", TransportKind::Ws).await;
    let mut caller = phone("1001", TransportKind::Udp).await;
    agent.send(|ua, now| ua.publish(now, PresenceState::Away, Some("Not Ready")));
    agent.wait_for(WAIT, |e| matches!(e, Event::Published).then_some(())).await.expect("published");
    let presence = watcher.run(|ua, now| ua.subscribe(now, "1005", Package::Presence)).await.expect("subscribe");
    let (state, note) = watcher
        .wait_for(WAIT, |e| match e {
            Event::Presence { subscription, state, note }
                if *subscription == presence && *state != PresenceState::Unknown =>
            {
                Some((*state, note.clone()))
            }
            _ => None,
        })
        .await
        .expect("presence");
    assert_eq!((state, note.as_deref()), (PresenceState::Away, Some("Not Ready")));
    agent.send(|ua, now| ua.publish(now, PresenceState::Available, None));
    watcher
        .wait_for(WAIT, |e| matches!(e, Event::Presence { state: PresenceState::Available, .. }).then_some(()))
        .await
        .expect("available");

    let lamp = watcher.run(|ua, now| ua.subscribe(now, "1005", Package::Dialog)).await.expect("subscribe");
    // The lamp is watched through each state before the call moves on, as with a person
    // answering: Kamailio turns every dialog state into its own PUBLISH, and two of them within a
    // millisecond race inside it (its NOTIFYs then carry the older state under the newer version).
    let lamp_shows = |wanted: LineState| {
        move |e: &Event| {
            matches!(e, Event::LineState { subscription, state } if *subscription == lamp && *state == wanted)
                .then_some(())
        }
    };
    let outgoing = caller.run(|ua, now| ua.call(now, "1005", SDP.into())).await.expect("call");
    let answering = incoming(&mut agent).await;
    watcher.wait_for(WAIT, lamp_shows(LineState::Ringing)).await.expect("ringing lamp");
    agent.run(move |ua, now| ua.answer(now, answering, SDP.into())).await.expect("answer");
    established(&mut caller, outgoing).await;
    established(&mut agent, answering).await;
    watcher.wait_for(WAIT, lamp_shows(LineState::Busy)).await.expect("busy lamp");
    caller.run(move |ua, now| ua.hang_up(now, outgoing)).await.expect("hang up");
    ended(&mut agent, answering).await;
    watcher.wait_for(WAIT, lamp_shows(LineState::Idle)).await.expect("idle lamp");
    for phone in [&mut watcher, &mut agent, &mut caller] {
        stop(phone).await;
    }
}

#[tokio::test(flavor = "current_thread")]
#[ignore = "needs the SIP lab (scripts/test.sh starts it) and restarts it"]
async fn after_kamailio_restarts_agents_register_again_and_their_call_can_still_be_hung_up() {
    let mut a = phone("1001", TransportKind::Ws).await;
    let mut b = phone("1002", TransportKind::Ws).await;
    let (outgoing, answering) = connect(&mut a, &mut b, "1002").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/lab.sh");
    let status = std::process::Command::new(script).arg("restart").status().expect("lab.sh");
    assert!(status.success());
    for phone in [&mut a, &mut b] {
        phone.wait_for(WAIT, |e| matches!(e, Event::Disconnected { .. }).then_some(())).await.expect("disconnected");
        phone
            .wait_for(Duration::from_secs(40), |e| matches!(e, Event::Registered { .. }).then_some(()))
            .await
            .expect("registered again");
    }
    // The call outlived the restart: its dialog reaches the other agent on its new flow (GRUU).
    b.run(move |ua, now| ua.hang_up(now, answering)).await.expect("hang up");
    assert_eq!(ended(&mut a, outgoing).await, CallEnd::HungUpThere);
    let (outgoing, _) = connect(&mut b, &mut a, "1001").await;
    b.run(move |ua, now| ua.hang_up(now, outgoing)).await.expect("hang up");
    stop(&mut a).await;
    stop(&mut b).await;
}
