//! A scripted registrar answers the REGISTERs a [`Registration`] builds.

use super::*;
use crate::auth::{Algorithm, Qop, digest_response};
use crate::headers::{CSeq, NameAddr};
use crate::message::Message;

struct Counter(u32);

impl Random for Counter {
    fn fill(&mut self, out: &mut [u8]) {
        out.fill(0);
    }
    fn token(&mut self) -> String {
        self.0 += 1;
        format!("tok{:07}", self.0)
    }
}

fn config() -> RegistrationConfig {
    RegistrationConfig {
        registrar: Uri::parse(b"sip:framephone.test").unwrap(),
        aor: Uri::parse(b"sip:1001@framephone.test").unwrap(),
        contact: Uri::parse(b"sip:k3j9d2@h7df.invalid;transport=ws").unwrap(),
        via_host: "h7df.invalid".into(),
        via_transport: "WSS".into(),
        instance_id: "urn:uuid:0f4bd7c2-3a61-4b7e-9a53-7cf1e2a6b9de".into(),
        reg_id: 1,
        expires: 600,
        credentials: crate::auth::Credentials { username: "1001".into(), password: "lab-1001-pw".into() }.into(),
    }
}

fn sent(outputs: &[RegistrationOutput]) -> Request {
    let request = outputs
        .iter()
        .find_map(|o| match o {
            RegistrationOutput::Send(r) => Some((**r).clone()),
            _ => None,
        })
        .expect("a REGISTER to send");
    // Whatever we send must parse back as sent.
    assert_eq!(Message::parse(&request.to_bytes().expect("clean")), Ok(Message::Request(request.clone())));
    request
}

fn events(outputs: &[RegistrationOutput]) -> Vec<RegistrationEvent> {
    outputs
        .iter()
        .filter_map(|o| match o {
            RegistrationOutput::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn answer(request: &Request, status: u16, extra: &[(HeaderName, &str)]) -> Response {
    let mut response = Response::to_request(request, status, Some("reg"));
    for (name, value) in extra {
        response.headers.push(name.clone(), *value);
    }
    response
}

const CHALLENGE: &str = r#"Digest realm="framephone.test", nonce="n-1", qop="auth", algorithm=MD5"#;

#[test]
fn the_first_register_carries_outbound_and_websocket_details() {
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let request = sent(&registration.register(&mut Counter(0)));
    assert_eq!(registration.state(), RegistrationState::Registering);
    assert_eq!(request.uri.to_string(), "sip:framephone.test");
    let h = &request.headers;
    assert_eq!(h.get_str(&HeaderName::Via), Some("SIP/2.0/WSS h7df.invalid;branch=z9hG4bKtok0000001"));
    assert_eq!(h.get_str(&HeaderName::From), Some("<sip:1001@framephone.test>;tag=ft"));
    assert_eq!(h.get_str(&HeaderName::To), Some("<sip:1001@framephone.test>"));
    assert_eq!(h.get_str(&HeaderName::CSeq), Some("1 REGISTER"));
    let contact = NameAddr::parse(h.get(&HeaderName::Contact).unwrap()).unwrap();
    assert_eq!(contact.uri.param("ob"), Some(None));
    assert_eq!(contact.param("+sip.instance"), Some(Some("<urn:uuid:0f4bd7c2-3a61-4b7e-9a53-7cf1e2a6b9de>")));
    assert_eq!((contact.param("reg-id"), contact.param("expires")), (Some(Some("1")), Some(Some("600"))));
    assert_eq!(h.get_str(&HeaderName::Supported), Some("path, outbound, gruu"));
    assert_eq!(h.get(&HeaderName::Authorization), None);
}

#[test]
fn a_challenge_is_answered_and_the_binding_refreshed_before_it_expires() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let first = sent(&registration.register(&mut ids));
    let second = sent(&registration.on_response(
        Millis(0),
        &answer(&first, 401, &[(HeaderName::WwwAuthenticate, CHALLENGE)]),
        &mut ids,
    ));
    assert_eq!(CSeq::parse(second.headers.get(&HeaderName::CSeq).unwrap()).unwrap().number, 2);
    assert_ne!(first.headers.get(&HeaderName::Via), second.headers.get(&HeaderName::Via), "a new branch");
    let authorization = second.headers.get_str(&HeaderName::Authorization).unwrap();
    // The answer is the one RFC 7616 prescribes for this challenge, nonce count and cnonce.
    let challenge = Challenge::parse(CHALLENGE.as_bytes()).unwrap();
    assert_eq!((challenge.algorithm, challenge.qop), (Algorithm::Md5, Some(Qop::Auth)));
    let expected = digest_response(
        &crate::auth::Credentials { username: "1001".into(), password: "lab-1001-pw".into() },
        &challenge,
        RequestDigest { method: "REGISTER", uri: "sip:framephone.test", body: b"" },
        "tok0000003",
        "00000001",
    );
    assert!(authorization.contains(&format!("response=\"{expected}\"")), "{authorization}");

    let binding = "<sip:k3j9d2@h7df.invalid;transport=ws;ob>;expires=300;+sip.instance=\"<urn:uuid:0f4bd7c2-3a61-4b7e-9a53-7cf1e2a6b9de>\";reg-id=1, <sip:old@x.invalid>;expires=20";
    let now = Millis(10_000);
    let outputs = registration.on_response(now, &answer(&second, 200, &[(HeaderName::Contact, binding)]), &mut ids);
    assert_eq!(events(&outputs), vec![RegistrationEvent::Registered { expires: 300 }]);
    assert!(outputs.contains(&RegistrationOutput::RefreshAt(now + 265_000)), "35 s before expiry: {outputs:?}");
    assert_eq!(registration.state(), RegistrationState::Registered(now + 300_000));

    // The refresh sends the credentials again, with the next nonce count.
    let refresh = sent(&registration.register(&mut ids));
    assert_eq!(CSeq::parse(refresh.headers.get(&HeaderName::CSeq).unwrap()).unwrap().number, 3);
    assert!(refresh.headers.get_str(&HeaderName::Authorization).unwrap().contains("nc=00000002"));
    let outputs = registration.on_response(now, &answer(&refresh, 200, &[(HeaderName::Expires, "1200")]), &mut ids);
    assert_eq!(events(&outputs), vec![RegistrationEvent::Registered { expires: 1200 }]);
    assert!(outputs.contains(&RegistrationOutput::RefreshAt(now + 1_080_000)), "90 % of a long lifetime");
}

#[test]
fn a_wrong_password_fails_instead_of_looping() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let first = sent(&registration.register(&mut ids));
    let challenge = [(HeaderName::WwwAuthenticate, CHALLENGE)];
    let second = sent(&registration.on_response(Millis(0), &answer(&first, 401, &challenge), &mut ids));
    let outputs = registration.on_response(Millis(0), &answer(&second, 401, &challenge), &mut ids);
    assert_eq!(events(&outputs), vec![RegistrationEvent::Failed(RegistrationFailure::BadCredentials)]);
    assert_eq!(registration.state(), RegistrationState::Unregistered);
}

#[test]
fn a_stale_nonce_is_answered_again() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let first = sent(&registration.register(&mut ids));
    let second = sent(&registration.on_response(
        Millis(0),
        &answer(&first, 407, &[(HeaderName::ProxyAuthenticate, CHALLENGE)]),
        &mut ids,
    ));
    assert!(second.headers.get(&HeaderName::ProxyAuthorization).is_some(), "407 is answered in Proxy-Authorization");
    let stale = r#"Digest realm="framephone.test", nonce="n-1", qop="auth", stale=true"#;
    let third = sent(&registration.on_response(
        Millis(0),
        &answer(&second, 407, &[(HeaderName::ProxyAuthenticate, stale)]),
        &mut ids,
    ));
    assert!(third.headers.get_str(&HeaderName::ProxyAuthorization).unwrap().contains("nc=00000002"));
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let first = sent(&registration.register(&mut ids));
    let retry =
        sent(&registration.on_response(Millis(0), &answer(&first, 423, &[(HeaderName::MinExpires, "3600")]), &mut ids));
    assert_eq!(retry.headers.get_str(&HeaderName::Expires), Some("3600"));
    let outputs =
        registration.on_response(Millis(0), &answer(&retry, 423, &[(HeaderName::MinExpires, "3600")]), &mut ids);
    assert!(matches!(
        events(&outputs).as_slice(),
        [RegistrationEvent::Failed(RegistrationFailure::Rejected { status: 423, .. })]
    ));
}

#[test]
fn rejections_timeouts_and_unregistration() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let first = sent(&registration.register(&mut ids));
    assert!(registration.on_response(Millis(0), &answer(&first, 100, &[]), &mut ids).is_empty());
    assert_eq!(
        events(&registration.on_response(Millis(0), &answer(&first, 403, &[]), &mut ids)),
        vec![RegistrationEvent::Failed(RegistrationFailure::Rejected { status: 403, reason: "Forbidden".into() })]
    );
    registration.register(&mut ids);
    assert_eq!(
        events(&registration.on_failure(Failure::Timeout)),
        vec![RegistrationEvent::Failed(RegistrationFailure::Timeout)]
    );
    let challenge_without_digest = [(HeaderName::WwwAuthenticate, r#"Basic realm="x""#)];
    let again = sent(&registration.register(&mut ids));
    assert_eq!(
        events(&registration.on_response(Millis(0), &answer(&again, 401, &challenge_without_digest), &mut ids)),
        vec![RegistrationEvent::Failed(RegistrationFailure::UnusableChallenge)]
    );

    let bye = sent(&registration.unregister(&mut ids));
    assert_eq!(registration.state(), RegistrationState::Unregistering);
    assert_eq!(bye.headers.get_str(&HeaderName::Expires), Some("0"));
    assert!(bye.headers.get_str(&HeaderName::Contact).unwrap().ends_with(";expires=0"));
    assert_eq!(
        events(&registration.on_response(Millis(0), &answer(&bye, 200, &[]), &mut ids)),
        vec![RegistrationEvent::Unregistered]
    );
    assert_eq!(registration.state(), RegistrationState::Unregistered);
}

fn challenge_with(nonce: &str, stale: bool) -> String {
    let stale = if stale { ", stale=true" } else { "" };
    format!(r#"Digest realm="framephone.test", nonce="{nonce}", qop="auth"{stale}"#)
}

#[test]
fn a_fresh_challenge_to_our_answer_is_a_refusal_and_a_refresh_may_answer_again() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let first = sent(&registration.register(&mut ids));
    let first_challenge = challenge_with("n-1", false);
    let second = sent(&registration.on_response(
        Millis(0),
        &answer(&first, 401, &[(HeaderName::WwwAuthenticate, first_challenge.as_str())]),
        &mut ids,
    ));
    let fresh = challenge_with("n-2", false);
    let outputs = registration.on_response(
        Millis(0),
        &answer(&second, 401, &[(HeaderName::WwwAuthenticate, fresh.as_str())]),
        &mut ids,
    );
    assert_eq!(
        events(&outputs),
        vec![RegistrationEvent::Failed(RegistrationFailure::KeepsChallenging { stale: false })]
    );
    assert!(outputs.iter().all(|o| !matches!(o, RegistrationOutput::Send(_))), "no third REGISTER");

    // The next attempt answers in advance; a fresh challenge to that answer gets one answer.
    let again = sent(&registration.register(&mut ids));
    assert!(again.headers.get(&HeaderName::Authorization).is_some());
    let fresh = challenge_with("n-3", false);
    let answered = sent(&registration.on_response(
        Millis(0),
        &answer(&again, 401, &[(HeaderName::WwwAuthenticate, fresh.as_str())]),
        &mut ids,
    ));
    let outputs =
        registration.on_response(Millis(1_000), &answer(&answered, 200, &[(HeaderName::Expires, "600")]), &mut ids);
    assert_eq!(events(&outputs), vec![RegistrationEvent::Registered { expires: 600 }]);
}

#[test]
fn stale_challenges_are_answered_at_most_twice_in_a_row() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let mut request = sent(&registration.register(&mut ids));
    let mut registers = 1;
    for n in 0..10 {
        let stale = challenge_with(&format!("s-{n}"), true);
        let outputs = registration.on_response(
            Millis(0),
            &answer(&request, 401, &[(HeaderName::WwwAuthenticate, stale.as_str())]),
            &mut ids,
        );
        if let Some(RegistrationOutput::Send(next)) = outputs.first() {
            request = (**next).clone();
            registers += 1;
        } else {
            assert_eq!(
                events(&outputs),
                vec![RegistrationEvent::Failed(RegistrationFailure::KeepsChallenging { stale: true })]
            );
            break;
        }
    }
    assert_eq!(registers, 3, "the REGISTER and two answers to stale challenges");
}

#[test]
fn a_grant_below_the_floor_is_reported_once_and_the_refresh_waits_for_the_floor() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let now = Millis(5_000);
    for round in 0..3 {
        let request = sent(&registration.register(&mut ids));
        let outputs = registration.on_response(now, &answer(&request, 200, &[(HeaderName::Expires, "1")]), &mut ids);
        assert!(outputs.contains(&RegistrationOutput::RefreshAt(now + u64::from(REFRESH_FLOOR_SECONDS) * 1000)));
        let reported =
            events(&outputs).contains(&RegistrationEvent::GrantBelowFloor { granted: 1, floor: REFRESH_FLOOR_SECONDS });
        assert_eq!(reported, round == 0, "round {round}");
    }
    // A normal grant clears it: the next short one is reported again.
    let request = sent(&registration.register(&mut ids));
    registration.on_response(now, &answer(&request, 200, &[(HeaderName::Expires, "600")]), &mut ids);
    let request = sent(&registration.register(&mut ids));
    let outputs = registration.on_response(now, &answer(&request, 200, &[(HeaderName::Expires, "29")]), &mut ids);
    assert!(events(&outputs).contains(&RegistrationEvent::GrantBelowFloor { granted: 29, floor: 30 }));
}

#[test]
fn min_expires_is_followed_once_per_attempt_and_never_beyond_a_day() {
    let mut ids = Counter(0);
    let mut registration = Registration::new(config(), "call-1".into(), "ft".into());
    let first = sent(&registration.register(&mut ids));
    let retry =
        sent(&registration.on_response(Millis(0), &answer(&first, 423, &[(HeaderName::MinExpires, "900")]), &mut ids));
    assert_eq!(retry.headers.get_str(&HeaderName::Expires), Some("900"));
    let outputs =
        registration.on_response(Millis(0), &answer(&retry, 423, &[(HeaderName::MinExpires, "1200")]), &mut ids);
    assert!(matches!(
        events(&outputs).as_slice(),
        [RegistrationEvent::Failed(RegistrationFailure::Rejected { status: 423, .. })]
    ));
    let again = sent(&registration.register(&mut ids));
    let outputs =
        registration.on_response(Millis(0), &answer(&again, 423, &[(HeaderName::MinExpires, "86401")]), &mut ids);
    assert!(matches!(
        events(&outputs).as_slice(),
        [RegistrationEvent::Failed(RegistrationFailure::Rejected { status: 423, .. })]
    ));
}
