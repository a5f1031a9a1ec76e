//! Registration of one contact with one registrar (RFC 3261 §10, RFC 5626 outbound, RFC 7118).
//!
//! A [`Registration`] builds the REGISTER requests and reads their final responses; the user
//! agent runs each request in a client transaction and feeds back what came of it. It answers
//! digest challenges (and sends credentials again on refreshes), retries with Min-Expires after
//! 423, tells when to refresh, and reports failures the agent can act on (wrong password,
//! forbidden, timeout). Once the registrar accepts an authenticated REGISTER it tells the HA1
//! that answered ([`Registration::take_accepted_secret`]), so that an application may keep that
//! instead of the password. Fresh branches and cnonces come from the caller's [`Random`].
//!
//! Every retry is bounded, whatever the registrar answers: one answer per challenge (a new
//! challenge to our answer is a refusal) unless the challenge says `stale=true`, and at most
//! [`MAX_STALE_RETRIES`] of those in a row; Min-Expires honoured once per attempt and only up to
//! [`MAX_MIN_EXPIRES`]; and the refresh never comes sooner than [`REFRESH_FLOOR_SECONDS`] after a
//! grant, however short the grant (a grant below that floor is reported, not obeyed).

use crate::Millis;
use crate::auth::{AuthCredentials, AuthError, Challenge, DigestClient, Ha1, RequestDigest, answer_header};
use crate::headers::{Contact, parse_number};
use crate::message::{HeaderName, Method, Request, Response, Uri};
use crate::random::Random;
use crate::transaction::Failure;

/// What one registration needs to know.
#[derive(Clone, Debug)]
pub struct RegistrationConfig {
    /// The Request-URI: the registrar's domain, e.g. `sip:framephone.test`.
    pub registrar: Uri,
    /// The address of record, e.g. `sip:1001@framephone.test`.
    pub aor: Uri,
    /// Where we can be reached, e.g. `sip:k3j9d2@h7df.invalid;transport=ws`.
    pub contact: Uri,
    /// `Via` sent-by host (for WebSocket, a random `.invalid` name, RFC 7118 §5).
    pub via_host: String,
    /// `Via` transport: `WSS`, `WS`, `UDP`, `TCP` or `TLS`.
    pub via_transport: String,
    /// RFC 5626 instance id, `urn:uuid:…`, stable across restarts of the same agent.
    pub instance_id: String,
    /// RFC 5626 reg-id (1 for the first flow).
    pub reg_id: u32,
    /// Requested lifetime in seconds.
    pub expires: u32,
    /// The agent's credentials: the password, or HA1 values kept from an earlier sign-in.
    pub credentials: AuthCredentials,
}

/// What a registration reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationEvent {
    /// The registrar accepted the binding for this many seconds.
    Registered {
        /// The granted lifetime.
        expires: u32,
    },
    /// The registrar granted a lifetime below [`REFRESH_FLOOR_SECONDS`]: a server problem. The
    /// refresh still waits for the floor (reported once until a normal grant comes).
    GrantBelowFloor {
        /// The lifetime granted, in seconds.
        granted: u32,
        /// The floor the refresh waits for instead, in seconds.
        floor: u32,
    },
    /// The binding was removed.
    Unregistered,
    /// Registration stopped; the reason says whether retrying could help.
    Failed(RegistrationFailure),
}

/// Why a registration failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationFailure {
    /// The registrar challenged the answer to its own challenge: the password is wrong.
    BadCredentials,
    /// The registrar keeps challenging: a new challenge after our answer (`stale: false`; a
    /// wrong password with a server that never repeats a nonce, or a broken server), or more
    /// than [`MAX_STALE_RETRIES`] `stale=true` challenges in a row (`stale: true`).
    KeepsChallenging {
        /// Whether the last challenges said `stale=true`.
        stale: bool,
    },
    /// The registrar refused with a final response.
    Rejected {
        /// The status code.
        status: u16,
        /// The reason phrase as text.
        reason: String,
    },
    /// A challenge could not be answered (unknown scheme or algorithm).
    UnusableChallenge,
    /// Only the password can answer the challenge: no kept HA1 is for its realm and algorithm.
    PasswordNeeded {
        /// The challenge's realm.
        realm: String,
        /// The challenge's algorithm.
        algorithm: &'static str,
    },
    /// No final response arrived (timer F).
    Timeout,
    /// The flow to the registrar failed.
    Transport,
}

/// What the user agent must do for the registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistrationOutput {
    /// Send this REGISTER in a new client transaction.
    Send(Box<Request>),
    /// Call [`Registration::register`] again at this time to refresh.
    RefreshAt(Millis),
    /// Tell the application.
    Event(RegistrationEvent),
}

/// Where the registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistrationState {
    /// No binding, nothing in progress.
    Unregistered,
    /// A REGISTER adding or refreshing the binding is in progress.
    Registering,
    /// The binding is in place until the given time.
    Registered(Millis),
    /// A REGISTER with Expires 0 is in progress.
    Unregistering,
}

/// One contact's registration with one registrar.
#[derive(Debug)]
pub struct Registration {
    config: RegistrationConfig,
    call_id: String,
    from_tag: String,
    cseq: u32,
    state: RegistrationState,
    expires: u32,
    digest: DigestClient,
    challenge: Option<(HeaderName, Challenge)>,
    answered_nonce: Option<String>,
    /// What this attempt (one REGISTER and its retries) has used up of its retries.
    attempt: Attempt,
    /// A grant below the floor was reported (until a normal grant).
    short_grant_reported: bool,
    /// The HA1 of the last accepted authenticated REGISTER, until taken.
    accepted_secret: Option<Ha1>,
    /// The HA1 last taken, so that each is told once.
    reported: Option<Ha1>,
}

/// The retries one registration attempt has made so far.
#[derive(Clone, Copy, Debug, Default)]
struct Attempt {
    /// A `WWW-Authenticate` challenge was answered.
    answered_www: bool,
    /// A `Proxy-Authenticate` challenge was answered.
    answered_proxy: bool,
    /// `stale=true` challenges answered in a row.
    stale_in_row: u32,
    /// Min-Expires from a 423 was honoured.
    interval_raised: bool,
}

/// At most this many `stale=true` challenges are answered in a row.
pub const MAX_STALE_RETRIES: u32 = 2;
/// The earliest refresh after any grant, in seconds: a registrar granting `Expires: 1` does not
/// get a REGISTER every second.
pub const REFRESH_FLOOR_SECONDS: u32 = 30;
/// The largest Min-Expires (RFC 3261 §10.2.8) we follow; a larger one fails the registration.
pub const MAX_MIN_EXPIRES: u32 = 86_400;

/// Refresh when this share of the granted lifetime has passed.
const REFRESH_PERCENT: u64 = 90;
/// ... but never later than this many seconds before expiry (leave room for a challenge and a
/// retransmission over an unreliable transport).
const REFRESH_MARGIN_SECONDS: u64 = 35;

impl Registration {
    /// A registration that keeps one Call-ID and From tag for its whole life (RFC 3261 §10.2).
    pub fn new(config: RegistrationConfig, call_id: String, from_tag: String) -> Self {
        let digest = DigestClient::new(config.credentials.clone());
        let expires = config.expires;
        Registration {
            config,
            call_id,
            from_tag,
            cseq: 0,
            state: RegistrationState::Unregistered,
            expires,
            digest,
            challenge: None,
            answered_nonce: None,
            attempt: Attempt::default(),
            short_grant_reported: false,
            accepted_secret: None,
            reported: None,
        }
    }

    /// Where the registration stands.
    pub fn state(&self) -> RegistrationState {
        self.state
    }

    /// Registers, or refreshes the binding.
    pub fn register(&mut self, ids: &mut dyn Random) -> Vec<RegistrationOutput> {
        self.state = RegistrationState::Registering;
        self.attempt = Attempt::default();
        vec![RegistrationOutput::Send(Box::new(self.build(self.expires, ids)))]
    }

    /// Removes the binding (Expires 0).
    pub fn unregister(&mut self, ids: &mut dyn Random) -> Vec<RegistrationOutput> {
        self.state = RegistrationState::Unregistering;
        self.attempt = Attempt::default();
        vec![RegistrationOutput::Send(Box::new(self.build(0, ids)))]
    }

    /// The final response to the last REGISTER arrived (provisional ones are ignored).
    pub fn on_response(&mut self, now: Millis, response: &Response, ids: &mut dyn Random) -> Vec<RegistrationOutput> {
        let requested = if self.state == RegistrationState::Unregistering { 0 } else { self.expires };
        match response.status {
            100..=199 => vec![],
            200..=299 => self.accepted(now, response, requested),
            401 | 407 => self.challenged(response, requested, ids),
            423 => {
                let minimum = response.headers.get(&HeaderName::MinExpires).and_then(|v| parse_number(v).ok());
                // Honoured once per attempt, and only when it asks for something sane.
                let raise = !self.attempt.interval_raised && requested != 0;
                match minimum {
                    Some(minimum) if raise && minimum > self.expires && minimum <= MAX_MIN_EXPIRES => {
                        self.attempt.interval_raised = true;
                        self.expires = minimum;
                        vec![RegistrationOutput::Send(Box::new(self.build(minimum, ids)))]
                    }
                    _ => self.fail(RegistrationFailure::Rejected { status: 423, reason: reason_text(response) }),
                }
            }
            status => self.fail(RegistrationFailure::Rejected { status, reason: reason_text(response) }),
        }
    }

    /// The REGISTER's transaction ended without a final response.
    pub fn on_failure(&mut self, failure: Failure) -> Vec<RegistrationOutput> {
        self.fail(match failure {
            Failure::Transport => RegistrationFailure::Transport,
            Failure::Timeout | Failure::NoAck => RegistrationFailure::Timeout,
        })
    }

    fn accepted(&mut self, now: Millis, response: &Response, requested: u32) -> Vec<RegistrationOutput> {
        let authenticated = self.answered_nonce.take().is_some();
        if requested == 0 {
            self.state = RegistrationState::Unregistered;
            return vec![RegistrationOutput::Event(RegistrationEvent::Unregistered)];
        }
        let granted = self.granted_expires(response).unwrap_or(requested);
        if granted == 0 {
            self.state = RegistrationState::Unregistered;
            return self
                .fail(RegistrationFailure::Rejected { status: response.status, reason: "no binding kept".into() });
        }
        let lifetime = u64::from(granted) * 1000;
        let refresh = (lifetime * REFRESH_PERCENT / 100).min(lifetime.saturating_sub(REFRESH_MARGIN_SECONDS * 1000));
        self.state = RegistrationState::Registered(now + lifetime);
        if authenticated && let Some((_, challenge)) = &self.challenge {
            self.accepted_secret = self.digest.credentials().ha1(challenge).ok();
        }
        let mut outputs = vec![RegistrationOutput::Event(RegistrationEvent::Registered { expires: granted })];
        if granted < REFRESH_FLOOR_SECONDS {
            if !self.short_grant_reported {
                self.short_grant_reported = true;
                outputs.push(RegistrationOutput::Event(RegistrationEvent::GrantBelowFloor {
                    granted,
                    floor: REFRESH_FLOOR_SECONDS,
                }));
            }
        } else {
            self.short_grant_reported = false;
        }
        outputs.push(RegistrationOutput::RefreshAt(now + refresh.max(u64::from(REFRESH_FLOOR_SECONDS) * 1000)));
        outputs
    }

    /// Answers challenges with `credentials` from now on (short-lived credentials renewed):
    /// the next REGISTER, a refresh or a new attempt, carries them.
    pub fn replace_credentials(&mut self, credentials: AuthCredentials) {
        self.config.credentials = credentials.clone();
        self.digest = DigestClient::new(credentials);
    }

    /// The HA1 (`H(username:realm:password)`) that answered the challenge of the REGISTER the
    /// registrar last accepted, once per HA1: what an application may keep instead of the
    /// password. `None` when that REGISTER carried no credentials or the HA1 was told before.
    pub fn take_accepted_secret(&mut self) -> Option<Ha1> {
        let ha1 = self.accepted_secret.take()?;
        if self.reported.as_ref() == Some(&ha1) {
            return None;
        }
        self.reported = Some(ha1.clone());
        Some(ha1)
    }

    /// Our binding's expires in a 2xx: the Contact that is ours, else the Expires header.
    fn granted_expires(&self, response: &Response) -> Option<u32> {
        let contacts = Contact::parse_lines(response.headers.all(&HeaderName::Contact)).ok();
        if let Some(Contact::Addresses(bindings)) = contacts {
            let instance = format!("<{}>", self.config.instance_id);
            let ours = bindings.iter().find(|b| {
                b.param("+sip.instance").flatten() == Some(instance.as_str()) || b.uri.equivalent(&self.config.contact)
            });
            if let Some(expires) = ours.and_then(|b| b.param("expires").flatten()) {
                return parse_number(expires.as_bytes()).ok();
            }
        }
        response.headers.get(&HeaderName::Expires).and_then(|v| parse_number(v).ok())
    }

    fn challenged(&mut self, response: &Response, requested: u32, ids: &mut dyn Random) -> Vec<RegistrationOutput> {
        let header = if response.status == 407 { HeaderName::ProxyAuthenticate } else { HeaderName::WwwAuthenticate };
        let challenge = match self.digest.credentials().choose(response.headers.all(&header)) {
            Ok(challenge) => challenge,
            Err(AuthError::NoSecret { realm, algorithm }) => {
                return self.fail(RegistrationFailure::PasswordNeeded { realm, algorithm });
            }
            Err(_) => return self.fail(RegistrationFailure::UnusableChallenge),
        };
        // A new challenge for the nonce we just answered means the answer was wrong; a stale
        // nonce only means it expired.
        if !challenge.stale && self.answered_nonce.as_deref() == Some(challenge.nonce.as_str()) {
            return self.fail(RegistrationFailure::BadCredentials);
        }
        // One answer per challenge: a fresh challenge to an answer we made in this attempt is a
        // refusal too (servers that never repeat a nonce), and stale ones may not go on forever.
        let attempt = &mut self.attempt;
        let answered = if header == HeaderName::ProxyAuthenticate {
            &mut attempt.answered_proxy
        } else {
            &mut attempt.answered_www
        };
        if challenge.stale {
            attempt.stale_in_row += 1;
            if attempt.stale_in_row > MAX_STALE_RETRIES {
                return self.fail(RegistrationFailure::KeepsChallenging { stale: true });
            }
        } else if *answered {
            return self.fail(RegistrationFailure::KeepsChallenging { stale: false });
        } else {
            attempt.stale_in_row = 0;
        }
        *answered = true;
        self.challenge = Some((header, challenge));
        vec![RegistrationOutput::Send(Box::new(self.build(requested, ids)))]
    }

    fn fail(&mut self, failure: RegistrationFailure) -> Vec<RegistrationOutput> {
        self.state = RegistrationState::Unregistered;
        self.answered_nonce = None;
        vec![RegistrationOutput::Event(RegistrationEvent::Failed(failure))]
    }

    fn build(&mut self, expires: u32, ids: &mut dyn Random) -> Request {
        self.cseq += 1;
        let config = &self.config;
        let mut request = Request::new(Method::Register, config.registrar.clone());
        let headers = &mut request.headers;
        headers.push(
            HeaderName::Via,
            format!("SIP/2.0/{} {};branch=z9hG4bK{}", config.via_transport, config.via_host, ids.token()),
        );
        headers.push(HeaderName::MaxForwards, "70");
        headers.push(HeaderName::To, format!("<{}>", config.aor));
        headers.push(HeaderName::From, format!("<{}>;tag={}", config.aor, self.from_tag));
        headers.push(HeaderName::CallId, self.call_id.clone());
        headers.push(HeaderName::CSeq, format!("{} REGISTER", self.cseq));
        headers.push(
            HeaderName::Contact,
            format!(
                "<{};ob>;+sip.instance=\"<{}>\";reg-id={};expires={expires}",
                config.contact, config.instance_id, config.reg_id
            ),
        );
        headers.push(HeaderName::Expires, expires.to_string());
        headers.push(HeaderName::Supported, "path, outbound, gruu");
        if let Some((challenge_header, challenge)) = &self.challenge {
            let uri = config.registrar.to_string();
            // The challenge was chosen as one these credentials answer.
            if let Ok(value) = self.digest.authorize(
                challenge,
                RequestDigest { method: "REGISTER", uri: &uri, body: b"" },
                &ids.token(),
            ) {
                headers.push(answer_header(challenge_header), value);
                self.answered_nonce = Some(challenge.nonce.clone());
            }
        }
        request
    }
}

fn reason_text(response: &Response) -> String {
    String::from_utf8_lossy(&response.reason).into_owned()
}

#[cfg(test)]
mod tests;
