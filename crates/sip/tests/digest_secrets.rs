//! Signing in without the password: an agent answers a scripted registrar's digest challenges
//! from a password or from kept HA1 values (RFC 7616 §3.4.2), reports the HA1 the registrar
//! accepted (never the password), and asks for the password when no kept HA1 fits.
//!
//! The HA1 values below were computed with Python's hashlib, independently of this crate:
//! `hashlib.md5(b"1001:framephone.test:lab-1001-pw").hexdigest()` and the same with sha256.

use sip::Millis;
use sip::agent::{AgentConfig, Event, FlowId, Output, Server, TransportKind, UserAgent};
use sip::auth::{Algorithm, AuthCredentials, Challenge, Credentials, Ha1, RequestDigest, response_from_ha1};
use sip::message::{HeaderName, Message, Method, Request, Response, Uri};
use sip::random::SplitMix;
use sip::registration::RegistrationFailure;

const PASSWORD: &str = "lab-1001-pw";
const REALM: &str = "framephone.test";
const MD5_HA1: &str = "57f20519003d00270b2de26936274101";
const SHA256_HA1: &str = "0435e36fb02ef0501f3746e778e7ec24325f232e542edf5ae81f79da74a02161";

/// A registrar that challenges every REGISTER without credentials (when it has challenges) and checks the answer
/// against the HA1 it knows for each algorithm.
struct Registrar {
    /// `WWW-Authenticate` values sent with each 401.
    challenges: Vec<String>,
    /// The HA1 the registrar holds per hash function (what a real one derives from its users).
    known: Vec<(Algorithm, &'static str)>,
    nonce: u32,
    /// Authorization values received.
    answers: Vec<String>,
    accepted: u32,
}

impl Registrar {
    fn new(challenges: &[&str]) -> Registrar {
        Registrar {
            challenges: challenges.iter().map(|c| (*c).to_owned()).collect(),
            known: vec![(Algorithm::Md5, MD5_HA1), (Algorithm::Sha256, SHA256_HA1)],
            nonce: 0,
            answers: Vec::new(),
            accepted: 0,
        }
    }

    fn answer(&mut self, request: &Request) -> Response {
        let authorization = request.headers.get_str(&HeaderName::Authorization);
        if authorization.is_none() && !self.challenges.is_empty() {
            return self.challenge(request);
        }
        if let Some(authorization) = authorization {
            self.answers.push(authorization.to_owned());
        }
        // A registrar without challenges accepts everyone.
        if authorization.is_none_or(|a| self.verify(request, a)) {
            self.accepted += 1;
            let mut ok = Response::to_request(request, 200, Some("reg"));
            if let Some(contact) = request.headers.get(&HeaderName::Contact) {
                ok.headers.push(HeaderName::Contact, contact.to_vec());
            }
            ok
        } else {
            // The same nonce again: the answer was wrong.
            let mut refused = Response::to_request(request, 401, Some("reg"));
            for challenge in &self.challenges {
                refused.headers.push(HeaderName::WwwAuthenticate, challenge.replace("NONCE", &self.nonce.to_string()));
            }
            refused
        }
    }

    fn challenge(&mut self, request: &Request) -> Response {
        self.nonce += 1;
        let mut response = Response::to_request(request, 401, Some("reg"));
        for challenge in &self.challenges {
            response.headers.push(HeaderName::WwwAuthenticate, challenge.replace("NONCE", &self.nonce.to_string()));
        }
        response
    }

    /// Recomputes the answer from the registrar's own HA1 for the algorithm the agent named.
    fn verify(&self, request: &Request, authorization: &str) -> bool {
        let param = |name: &str| {
            authorization.split(", ").find_map(|p| {
                let p = p.strip_prefix("Digest ").unwrap_or(p);
                let (n, v) = p.split_once('=')?;
                (n == name).then(|| v.trim_matches('"').to_owned())
            })
        };
        let (Some(algorithm), Some(nonce), Some(response)) = (param("algorithm"), param("nonce"), param("response"))
        else {
            return false;
        };
        let Some(algorithm) = Algorithm::from_name(&algorithm) else { return false };
        let Some((_, ha1)) = self.known.iter().find(|(a, _)| *a == algorithm.base()) else { return false };
        let offered = self
            .challenges
            .iter()
            .map(|c| c.replace("NONCE", &nonce))
            .filter_map(|c| Challenge::parse(c.as_bytes()).ok())
            .find(|c| c.algorithm == algorithm);
        let Some(challenge) = offered else { return false };
        let uri = request.uri.to_string();
        let cnonce = param("cnonce").unwrap_or_default();
        let nc = param("nc").unwrap_or_default();
        let expected = response_from_ha1(
            ha1,
            &challenge,
            RequestDigest { method: "REGISTER", uri: &uri, body: b"" },
            &cnonce,
            &nc,
        );
        expected == response
    }
}

/// One agent on one WebSocket flow to the scripted registrar.
struct Run {
    ua: UserAgent,
    now: Millis,
    flow: Option<FlowId>,
    registrar: Registrar,
    events: Vec<Event>,
    /// Every byte the agent sent, as text.
    wire: String,
}

impl Run {
    fn start(credentials: AuthCredentials, registrar: Registrar) -> Run {
        let config = AgentConfig::new(
            Uri::parse(b"sip:1001@framephone.test").expect("aor"),
            credentials,
            vec![Server { address: "ws://registrar.test/ws".into(), transport: TransportKind::Ws }],
            "urn:uuid:0f4bd7c2-3a61-4b7e-9a53-7cf1e2a6b9de".into(),
        );
        let ua = UserAgent::new(config, Box::new(SplitMix(11))).expect("a valid configuration");
        let mut run = Run { ua, now: Millis(1_000), flow: None, registrar, events: Vec::new(), wire: String::new() };
        run.ua.start(run.now);
        run.pump();
        run
    }

    fn pump(&mut self) {
        while let Some(output) = self.ua.poll_output() {
            match output {
                Output::Connect { flow, .. } => {
                    self.flow = Some(flow);
                    self.ua.connected(self.now, flow, None);
                }
                Output::Close { .. } => self.flow = None,
                Output::Send { bytes, .. } => {
                    self.wire.push_str(&String::from_utf8_lossy(&bytes));
                    if let Ok(Message::Request(request)) = Message::parse(&bytes)
                        && request.method == Method::Register
                    {
                        let response = self.registrar.answer(&request);
                        if let Some(flow) = self.flow {
                            self.ua.receive(self.now, flow, &response.to_bytes().expect("a clean answer"));
                        }
                    }
                }
                Output::Event(event) => self.events.push(event),
            }
        }
    }

    /// Moves the clock by `millis`, running every timer on the way.
    fn advance(&mut self, millis: u64) {
        let end = self.now + millis;
        while let Some(at) = self.ua.poll_timeout().filter(|at| *at <= end) {
            self.now = at.max(self.now);
            self.ua.handle_timeout(self.now);
            self.pump();
        }
        self.now = end;
    }

    fn accepted_secrets(&self) -> Vec<(String, Ha1)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::SecretAccepted { username, ha1 } => Some((username.clone(), ha1.clone())),
                _ => None,
            })
            .collect()
    }

    fn registered(&self) -> bool {
        self.events.iter().any(|e| matches!(e, Event::Registered { .. }))
    }

    fn failure(&self) -> Option<RegistrationFailure> {
        self.events.iter().find_map(|e| match e {
            Event::RegistrationFailed(failure) => Some(failure.clone()),
            _ => None,
        })
    }
}

fn password() -> AuthCredentials {
    Credentials { username: "1001".into(), password: PASSWORD.into() }.into()
}

fn kept(ha1: &[(Algorithm, &str, &str)]) -> AuthCredentials {
    AuthCredentials::Ha1 {
        username: "1001".into(),
        ha1: ha1.iter().map(|(a, realm, hex)| Ha1::from_stored(realm, *a, hex).expect("a valid HA1")).collect(),
    }
}

const MD5_CHALLENGE: &str = r#"Digest realm="framephone.test", nonce="NONCE", qop="auth", algorithm=MD5"#;
const SHA256_CHALLENGE: &str = r#"Digest realm="framephone.test", nonce="NONCE", qop="auth", algorithm=SHA-256"#;

#[test]
fn the_accepted_ha1_is_reported_once_and_the_password_never() {
    let mut run = Run::start(password(), Registrar::new(&[MD5_CHALLENGE]));
    assert!(run.registered(), "{:?}", run.events);
    let expected = Ha1::from_stored(REALM, Algorithm::Md5, MD5_HA1).unwrap();
    assert_eq!(run.accepted_secrets(), vec![("1001".to_owned(), expected)]);
    // Refreshes answer the challenge again and are accepted again: nothing new to report.
    run.advance(2_000_000);
    assert!(run.registrar.accepted >= 3, "refreshed: {}", run.registrar.accepted);
    assert_eq!(run.accepted_secrets().len(), 1, "{:?}", run.events);
    let events = format!("{:?}", run.events);
    assert!(!events.contains(PASSWORD) && !events.contains(MD5_HA1), "events leak a secret: {events}");
    assert!(!run.wire.contains(PASSWORD) && !run.wire.contains(MD5_HA1), "a secret went on the wire");
}

#[test]
fn the_strongest_offered_algorithm_is_answered_and_reported() {
    let run = Run::start(password(), Registrar::new(&[MD5_CHALLENGE, SHA256_CHALLENGE]));
    assert!(run.registered(), "{:?}", run.events);
    let expected = Ha1::from_stored(REALM, Algorithm::Sha256, SHA256_HA1).unwrap();
    assert_eq!(run.accepted_secrets(), vec![("1001".to_owned(), expected)]);
}

#[test]
fn a_kept_ha1_signs_in_without_the_password() {
    for (algorithm, challenge, hex) in [
        (Algorithm::Md5, MD5_CHALLENGE, MD5_HA1),
        (Algorithm::Sha256, SHA256_CHALLENGE, SHA256_HA1),
        (Algorithm::Md5, &MD5_CHALLENGE.replace("MD5", "MD5-sess"), MD5_HA1),
        (Algorithm::Sha256, &SHA256_CHALLENGE.replace("SHA-256", "SHA-256-sess"), SHA256_HA1),
    ] {
        let run = Run::start(kept(&[(algorithm, REALM, hex)]), Registrar::new(&[challenge]));
        assert!(run.registered(), "{challenge}: {:?}", run.events);
        assert_eq!(run.registrar.accepted, 1, "{challenge}");
        assert!(run.failure().is_none(), "{challenge}: {:?}", run.events);
    }
}

#[test]
fn of_several_offers_the_one_a_kept_ha1_answers_is_chosen() {
    // Only an MD5 HA1 is kept; the registrar prefers SHA-256 but accepts MD5 too.
    let run = Run::start(kept(&[(Algorithm::Md5, REALM, MD5_HA1)]), Registrar::new(&[SHA256_CHALLENGE, MD5_CHALLENGE]));
    assert!(run.registered(), "{:?}", run.events);
    assert!(run.registrar.answers.iter().all(|a| a.contains("algorithm=MD5")), "{:?}", run.registrar.answers);
}

#[test]
fn no_kept_ha1_for_the_realm_or_algorithm_asks_for_the_password() {
    let other_realm = r#"Digest realm="elsewhere.test", nonce="NONCE", qop="auth", algorithm=MD5"#;
    for (credentials, challenge, realm, algorithm) in [
        (kept(&[(Algorithm::Md5, REALM, MD5_HA1)]), SHA256_CHALLENGE, REALM, "SHA-256"),
        (kept(&[(Algorithm::Md5, REALM, MD5_HA1)]), other_realm, "elsewhere.test", "MD5"),
        (kept(&[]), MD5_CHALLENGE, REALM, "MD5"),
    ] {
        let run = Run::start(credentials, Registrar::new(&[challenge]));
        assert_eq!(
            run.failure(),
            Some(RegistrationFailure::PasswordNeeded { realm: realm.into(), algorithm }),
            "{challenge}: {:?}",
            run.events
        );
        assert!(run.registrar.answers.is_empty(), "nothing was answered with a secret that does not fit");
        assert!(!run.registered() && run.accepted_secrets().is_empty());
    }
}

#[test]
fn a_kept_ha1_the_registrar_refuses_fails_as_bad_credentials_and_is_not_reported() {
    let wrong = "0123456789abcdef0123456789abcdef";
    let run = Run::start(kept(&[(Algorithm::Md5, REALM, wrong)]), Registrar::new(&[MD5_CHALLENGE]));
    assert_eq!(run.failure(), Some(RegistrationFailure::BadCredentials), "{:?}", run.events);
    assert!(run.accepted_secrets().is_empty());
    assert_eq!(run.registrar.answers.len(), 1, "one try, no loop");
}

#[test]
fn a_wrong_password_is_never_reported_as_accepted() {
    let wrong: AuthCredentials = Credentials { username: "1001".into(), password: "not-the-password".into() }.into();
    let run = Run::start(wrong, Registrar::new(&[MD5_CHALLENGE]));
    assert_eq!(run.failure(), Some(RegistrationFailure::BadCredentials), "{:?}", run.events);
    assert!(run.accepted_secrets().is_empty());
}

#[test]
fn a_registrar_that_asks_nothing_gets_nothing_reported() {
    let mut run = Run::start(password(), Registrar::new(&[]));
    assert!(run.registered(), "{:?}", run.events);
    run.advance(2_000_000);
    assert!(run.registrar.accepted >= 3);
    assert!(run.accepted_secrets().is_empty(), "{:?}", run.events);
}
