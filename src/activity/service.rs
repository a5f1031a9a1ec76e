//! The integration service's side of the phone, as requests and answers: the agent's sign-in
//! window and the bearer token it hands back, the token's renewal, the CRM access token the
//! service hands out for the host's instance, and a finished call's log handed over for the
//! service's own outbox. Pure: `host::service_session` only sends the [`Request`]s built here.
//!
//! Every URL starts with the configured service origin; the only value that goes into one (the
//! widget's origin and the request's state, in the sign-in window's address) is encoded.

use serde_json::{Value, json};

use super::CallLog;
use super::form_encoding;
use super::outbox::PostOutcome;
use super::servicenow::answer::{Answer, answered_http};
use super::servicenow::{Body, Method, Request};
use super::token::{AccessToken, AuthoriseError, TokenError};
use crate::i18n::{t, t_args};
use crate::origin::Origin;

/// The `type` of the sign-in window's message to the widget.
pub const MESSAGE_TYPE: &str = "framephone.agent-session";
/// The `type` of the message that ends a single sign-on: the agent signed in at the identity
/// provider and the phone claims its token with the nonce (the message carries none).
pub const SSO_MESSAGE_TYPE: &str = "framephone.agent-sso";
/// A token is used until this long before the service says it ends (clocks and requests in
/// flight).
const EXPIRY_MARGIN_MS: u64 = 30_000;
/// The agent's bearer token is renewed once less than this is left of it.
pub const RENEW_WITHIN_MS: u64 = 5 * 60_000;
/// Longest token accepted from the service (its own are 43 characters; CRM tokens are longer).
const MAX_TOKEN_CHARS: usize = 4_096;
/// Longest lifetime believed: a longer one in an answer is cut to this.
const MAX_LIFETIME_S: u64 = 12 * 3_600;
/// Longest service message shown to the agent.
const MAX_MESSAGE_CHARS: usize = 300;

/// The agent's bearer token at the service.
#[derive(Clone, PartialEq, Eq)]
pub struct AgentSession {
    /// The bearer value.
    pub value: String,
    /// When the service stops accepting it (ms since 1970), less [`EXPIRY_MARGIN_MS`].
    pub expires_at: u64,
}

impl AgentSession {
    /// Whether it may still be used at `now`.
    pub fn valid_at(&self, now: u64) -> bool {
        now < self.expires_at
    }

    /// Whether it is time to ask for a new one.
    pub fn due_for_renewal(&self, now: u64) -> bool {
        now.saturating_add(RENEW_WITHIN_MS) >= self.expires_at
    }
}

impl std::fmt::Debug for AgentSession {
    // A credential: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSession").field("value", &"…").field("expires_at", &self.expires_at).finish()
    }
}

/// The sign-in window's address: the service's own page, told which origin to answer, the
/// request's `state`, and the hash of the nonce a single sign-on is claimed with.
pub fn sign_in_url(service: &Origin, widget: &Origin, state: &str, nonce: &str) -> String {
    let pairs = [("origin", widget.to_string()), ("state", state.to_owned()), ("nonce_hash", nonce_hash(nonce))];
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("{service}/agent/sign-in?{}", form_encoding::pairs(&pairs))
}

/// base64url(SHA-256(`nonce`)): what the sign-in window and the service see of the nonce.
pub fn nonce_hash(nonce: &str) -> String {
    use sha2::{Digest, Sha256};
    super::servicenow::oauth::base64url(&Sha256::digest(nonce.as_bytes()))
}

/// `POST /api/agent/sso/claim`: the token of the single sign-on started with `nonce`.
pub fn sso_claim_request(service: &Origin, nonce: &str) -> Request {
    Request {
        method: Method::Post,
        url: format!("{service}/api/agent/sso/claim"),
        body: Some(Body::Json(json!({ "nonce": nonce }).to_string())),
        authorised: false,
    }
}

/// What the claim of a single sign-on found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoClaim {
    /// Signed in.
    Session(AgentSession),
    /// The agent is still at the identity provider.
    Pending,
    /// No single sign-on under way for the nonce (none started, or it ended).
    NotStarted,
    /// The service failed or refused.
    Failed(String),
}

/// Reads the service's answer to a claim.
pub fn read_sso_claim(service: &Origin, answer: &Answer<'_>, now: u64) -> SsoClaim {
    match answer.status {
        200 => read_renewal(answer, now).map_or_else(
            || SsoClaim::Failed(t_args("crm.service.no-usable-token", &[("service", &service.to_string())])),
            SsoClaim::Session,
        ),
        202 => SsoClaim::Pending,
        404 => SsoClaim::NotStarted,
        _ => SsoClaim::Failed(describe(service, answer)),
    }
}

/// What the sign-in window posted back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInMessage {
    /// The request's state, as the window was given it.
    pub state: Option<String>,
    /// The agent's bearer token.
    pub access_token: Option<String>,
    /// Its lifetime in seconds.
    pub expires_in: Option<u64>,
}

/// The agent's session from the sign-in window's message, which must answer this request.
pub fn read_sign_in(message: &SignInMessage, state: &str, now: u64) -> Result<AgentSession, AuthoriseError> {
    if message.state.as_deref() != Some(state) {
        return Err(AuthoriseError::Mismatch);
    }
    let value = message
        .access_token
        .as_deref()
        .filter(|token| is_token(token))
        .ok_or_else(|| AuthoriseError::Token(t("crm.service.sign-in-no-token")))?;
    Ok(AgentSession { value: value.to_owned(), expires_at: expiry(now, message.expires_in.unwrap_or(0)) })
}

/// `POST /api/agent/session/renew`: a new bearer token for the same shift.
pub fn renew_request(service: &Origin) -> Request {
    Request { method: Method::Post, url: format!("{service}/api/agent/session/renew"), body: None, authorised: true }
}

/// The renewed session from the service's answer; `None` when the shift is over or the
/// session ended (the agent signs in again).
pub fn read_renewal(answer: &Answer<'_>, now: u64) -> Option<AgentSession> {
    if !answer.is_success() {
        return None;
    }
    let body: Value = serde_json::from_str(answer.body).ok()?;
    let value = body["accessToken"].as_str().filter(|token| is_token(token))?;
    Some(AgentSession { value: value.to_owned(), expires_at: expiry(now, body["expiresIn"].as_u64().unwrap_or(0)) })
}

/// `POST /api/crm-token` for ServiceNow; `refused` is a token the instance just refused, which
/// the service then no longer hands out.
pub fn crm_token_request(service: &Origin, refused: Option<&AccessToken>) -> Request {
    let body = match refused {
        Some(token) => json!({"kind": "servicenow", "refused": token.value}),
        None => json!({"kind": "servicenow"}),
    };
    Request {
        method: Method::Post,
        url: format!("{service}/api/crm-token"),
        body: Some(Body::Json(body.to_string())),
        authorised: true,
    }
}

/// The CRM access token from the service's answer. It must be for `instance`, the instance the
/// phone runs in: a token for another site is never used (nor sent anywhere).
pub fn read_crm_token(
    service: &Origin,
    instance: &Origin,
    answer: &Answer<'_>,
    now: u64,
) -> Result<AccessToken, TokenError> {
    match answer.status {
        200 => {}
        401 => return Err(TokenError::Unauthorised),
        409 => return Err(TokenError::NotConfigured(describe(service, answer))),
        _ => return Err(TokenError::Unavailable(describe(service, answer))),
    }
    let unusable =
        || TokenError::Unavailable(t_args("crm.service.no-usable-crm-token", &[("service", &service.to_string())]));
    let body: Value = serde_json::from_str(answer.body).map_err(|_| unusable())?;
    let value = body["accessToken"].as_str().filter(|token| is_token(token)).ok_or_else(unusable)?;
    let site = body["site"].as_str().unwrap_or_default();
    if Origin::parse(site).ok().as_ref() != Some(instance) {
        let site: String = site.chars().take(100).collect();
        let instance = instance.to_string();
        let args = [("site", site.as_str()), ("instance", &instance)];
        return Err(TokenError::NotConfigured(t_args("crm.service.other-instance", &args)));
    }
    Ok(AccessToken { value: value.to_owned(), expires_at: expiry(now, body["expiresIn"].as_u64().unwrap_or(0)) })
}

/// `POST /api/call-logs`: a finished call's log, for the service to post to ServiceNow.
pub fn hand_over_request(service: &Origin, log: &CallLog) -> Request {
    Request {
        method: Method::Post,
        url: format!("{service}/api/call-logs"),
        body: Some(Body::Json(json!({"kind": "servicenow", "log": log}).to_string())),
        authorised: true,
    }
}

/// What the service's answer to a hand-over means for the phone's outbox: once the service has
/// the log (202), its own outbox delivers it.
pub fn hand_over_outcome(service: &Origin, answer: &Answer<'_>) -> PostOutcome {
    match answer.status {
        200..=299 => PostOutcome::Posted,
        401 => PostOutcome::Unauthorised,
        429 | 500..=599 => PostOutcome::Busy { reason: describe(service, answer), retry_after_ms: None },
        _ => PostOutcome::Refused(describe(service, answer)),
    }
}

/// "<service> answered HTTP 409: …", with the service's own message (`{"message": …}`).
pub fn describe(service: &Origin, answer: &Answer<'_>) -> String {
    let message = serde_json::from_str::<Value>(answer.body)
        .ok()
        .and_then(|body| body["message"].as_str().map(|m| m.trim().chars().take(MAX_MESSAGE_CHARS).collect::<String>()))
        .filter(|m| !m.is_empty());
    answered_http(&service.to_string(), answer.status, message.as_deref())
}

/// Why a request to the service had no answer: the network, or its widget origins (CORS)
/// leaving this one out, which the browser does not tell apart.
pub fn no_answer(service: &Origin, widget: &Origin) -> String {
    let (service, widget) = (service.to_string(), widget.to_string());
    let args = [("service", service.as_str()), ("widget", &widget), ("variable", "FRAMEPHONE_WIDGET_ORIGINS")];
    t_args("crm.service.no-answer-cors", &args)
}

/// A bearer value as HTTP carries it: visible ASCII without spaces, quotes or backslashes.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_TOKEN_CHARS
        && text.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b','))
}

/// When a token given `seconds` of life at `now` stops being used.
fn expiry(now: u64, seconds: u64) -> u64 {
    (now + seconds.min(MAX_LIFETIME_S) * 1_000).saturating_sub(EXPIRY_MARGIN_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::CallDirection;
    use crate::history::Outcome;

    fn service() -> Origin {
        Origin::parse("https://fp.example.com").expect("origin")
    }

    fn instance() -> Origin {
        Origin::parse("https://acme.service-now.com").expect("origin")
    }

    fn ok(body: &str) -> Answer<'_> {
        Answer { status: 200, retry_after: None, body }
    }

    #[test]
    fn the_sign_in_window_is_told_the_widget_and_the_state_encoded() {
        let widget = Origin::parse("https://phone.example.com:8443").expect("origin");
        assert_eq!(
            sign_in_url(&service(), &widget, "a&b", "n"),
            "https://fp.example.com/agent/sign-in?origin=https%3A%2F%2Fphone.example.com%3A8443&state=a%26b&nonce_hash=Gxax31OLoS3D-X7buFyqcFDUbBSBNCkP66gPgjbIPbk"
        );
    }

    #[test]
    fn a_single_sign_on_claim_says_signed_in_pending_or_not_started() {
        let answer = |status, body| Answer { status, retry_after: None, body };
        let token = r#"{"accessToken":"t0k3n","expiresIn":900}"#;
        assert!(
            matches!(read_sso_claim(&service(), &answer(200, token), 0), SsoClaim::Session(s) if s.value == "t0k3n")
        );
        assert_eq!(read_sso_claim(&service(), &answer(202, "{}"), 0), SsoClaim::Pending);
        assert_eq!(read_sso_claim(&service(), &answer(404, "{}"), 0), SsoClaim::NotStarted);
        assert!(matches!(read_sso_claim(&service(), &answer(200, "{}"), 0), SsoClaim::Failed(_)));
        assert!(matches!(read_sso_claim(&service(), &answer(503, ""), 0), SsoClaim::Failed(_)));
    }

    #[test]
    fn the_sign_in_message_must_answer_this_request_with_a_token() {
        let message =
            SignInMessage { state: Some("s1".into()), access_token: Some("bearer-1".into()), expires_in: Some(900) };
        let session = read_sign_in(&message, "s1", 1_000).expect("a session");
        assert_eq!(session.value, "bearer-1");
        assert_eq!(session.expires_at, 1_000 + 900_000 - EXPIRY_MARGIN_MS);
        assert!(!format!("{session:?}").contains("bearer-1"), "never printed");
        assert_eq!(read_sign_in(&message, "s2", 1_000), Err(AuthoriseError::Mismatch));
        let forged = SignInMessage { access_token: Some("a b\r\nX-Evil: 1".into()), ..message.clone() };
        assert!(matches!(read_sign_in(&forged, "s1", 1_000), Err(AuthoriseError::Token(_))));
        let endless = SignInMessage { expires_in: Some(u64::MAX), ..message };
        assert_eq!(
            read_sign_in(&endless, "s1", 0).expect("a session").expires_at,
            MAX_LIFETIME_S * 1_000 - EXPIRY_MARGIN_MS
        );
    }

    #[test]
    fn a_session_is_renewed_in_its_last_minutes() {
        let session = AgentSession { value: "t".into(), expires_at: 900_000 };
        assert!(!session.due_for_renewal(0));
        assert!(session.due_for_renewal(900_000 - RENEW_WITHIN_MS));
        assert!(session.valid_at(899_999) && !session.valid_at(900_000));
        let renewed = read_renewal(&ok(r#"{"accessToken":"t2","expiresIn":900}"#), 0).expect("renewed");
        assert_eq!(renewed.value, "t2");
        assert_eq!(read_renewal(&Answer { status: 401, retry_after: None, body: "{}" }, 0), None);
    }

    #[test]
    fn a_crm_token_is_used_only_for_the_instance_the_phone_runs_in() {
        let body = r#"{"accessToken":"crm-1","site":"https://acme.service-now.com","expiresIn":1800}"#;
        let token = read_crm_token(&service(), &instance(), &ok(body), 0).expect("a token");
        assert_eq!(token.value, "crm-1");
        let other = r#"{"accessToken":"crm-1","site":"https://evil.service-now.com","expiresIn":1800}"#;
        let Err(TokenError::NotConfigured(why)) = read_crm_token(&service(), &instance(), &ok(other), 0) else {
            panic!("a token for another instance is refused");
        };
        assert!(why.contains("evil.service-now.com") && why.contains("https://acme.service-now.com"), "{why}");
        assert!(matches!(read_crm_token(&service(), &instance(), &ok("{}"), 0), Err(TokenError::Unavailable(_))));
    }

    #[test]
    fn the_services_refusals_keep_its_words() {
        let answer = |status, body| Answer { status, retry_after: None, body };
        let none = r#"{"error":"conflict","message":"no default ServiceNow account"}"#;
        assert_eq!(
            read_crm_token(&service(), &instance(), &answer(409, none), 0),
            Err(TokenError::NotConfigured(
                "https://fp.example.com answered HTTP 409: no default ServiceNow account".into()
            ))
        );
        assert_eq!(read_crm_token(&service(), &instance(), &answer(401, "{}"), 0), Err(TokenError::Unauthorised));
        assert!(matches!(
            read_crm_token(&service(), &instance(), &answer(502, "{}"), 0),
            Err(TokenError::Unavailable(_))
        ));
        assert_eq!(hand_over_outcome(&service(), &answer(202, "{}")), PostOutcome::Posted);
        assert_eq!(hand_over_outcome(&service(), &answer(401, "{}")), PostOutcome::Unauthorised);
        assert!(matches!(hand_over_outcome(&service(), &answer(503, "")), PostOutcome::Busy { .. }));
        let refused = hand_over_outcome(
            &service(),
            &answer(403, r#"{"message":"ana may hand over only logs of their own SIP user"}"#),
        );
        assert_eq!(
            refused,
            PostOutcome::Refused(
                "https://fp.example.com answered HTTP 403: ana may hand over only logs of their own SIP user".into()
            )
        );
    }

    #[test]
    fn a_log_is_handed_over_as_the_service_reads_it() {
        let log = CallLog {
            call_id: "c1@host".into(),
            agent: "1001".into(),
            direction: CallDirection::Inbound,
            number: "1002".into(),
            party: "Ana".into(),
            started: 1,
            seconds: 2,
            outcome: Outcome::Answered,
            disposition: None,
            notes: String::new(),
            record: None,
        };
        let request = hand_over_request(&service(), &log);
        assert_eq!(request.url, "https://fp.example.com/api/call-logs");
        let body: Value = serde_json::from_str(request.body.as_ref().expect("a body").text()).expect("json");
        assert_eq!(body["kind"], "servicenow");
        assert_eq!(serde_json::from_value::<CallLog>(body["log"].clone()).expect("a log"), log);
        assert!(request.authorised);
    }
}
