//! Short-lived call credentials from the integration service, as a request and its answer: SIP
//! credentials for the agent's own SIP user (`<expiry>:<user>`, for Kamailio `auth_ephemeral`)
//! and TURN credentials (coturn's REST API). The agent types no SIP password and the widget's
//! configuration carries no TURN secret; the phone holds these in memory only and asks again at
//! half their lifetime. Pure: `host::service_session` sends the request built here.

use serde_json::Value;

use super::service::describe;
use super::servicenow::answer::Answer;
use super::servicenow::{Method, Request};
use crate::config::IceServer;
use crate::i18n::{t, t_args};
use crate::origin::Origin;

/// Longest username or password believed (the service's are under 100 characters).
const MAX_CHARS: usize = 512;
/// Shortest lifetime believed: a shorter one would have the phone asking all the time.
const MIN_LIFETIME_S: u64 = 30;
/// Longest lifetime believed.
const MAX_LIFETIME_S: u64 = 12 * 3_600;

/// Credentials the service minted.
#[derive(Clone, PartialEq, Eq)]
pub struct CallCredentials {
    /// The SIP user the credentials are for (the address's user); `None` when the service mints
    /// no SIP credentials.
    pub sip: Option<SipCredentials>,
    /// A TURN server with its credentials, when the service mints them.
    pub turn: Option<IceServer>,
    /// When to ask for new ones (ms since 1970): half-way through the shorter lifetime.
    pub renew_at: u64,
}

/// SIP digest credentials for one SIP user.
#[derive(Clone, PartialEq, Eq)]
pub struct SipCredentials {
    /// The address's user (`1001` in `sip:1001@…`).
    pub user: String,
    /// The digest username (`<expiry>:<user>`).
    pub username: String,
    /// The digest password.
    pub password: String,
}

impl std::fmt::Debug for CallCredentials {
    // Credentials: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let user = self.sip.as_ref().map(|s| s.user.as_str());
        f.debug_struct("CallCredentials").field("sip_user", &user).field("renew_at", &self.renew_at).finish()
    }
}

/// Why the service's answer gives the phone no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallCredentialsError {
    /// The bearer token was refused: the agent signs in again.
    Unauthorised,
    /// The service refused, or answered what the phone cannot use.
    Refused(String),
    /// The service is busy or failing: worth asking again later.
    Unavailable(String),
}

impl std::fmt::Display for CallCredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallCredentialsError::Unauthorised => f.write_str(&t("crm.credentials.unauthorised")),
            CallCredentialsError::Refused(reason) | CallCredentialsError::Unavailable(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for CallCredentialsError {}

/// `POST /api/agent/call-credentials`.
pub fn request(service: &Origin) -> Request {
    Request { method: Method::Post, url: format!("{service}/api/agent/call-credentials"), body: None, authorised: true }
}

/// Reads the service's answer at `now` (ms since 1970).
pub fn read(service: &Origin, answer: &Answer<'_>, now: u64) -> Result<CallCredentials, CallCredentialsError> {
    match answer.status {
        200 => {}
        401 => return Err(CallCredentialsError::Unauthorised),
        429 | 500..=599 => return Err(CallCredentialsError::Unavailable(describe(service, answer))),
        _ => return Err(CallCredentialsError::Refused(describe(service, answer))),
    }
    let service_text = service.to_string();
    let unusable = |what: String| {
        let args = [("service", service_text.as_str()), ("what", &what)];
        CallCredentialsError::Refused(t_args("crm.credentials.unusable", &args))
    };
    let sip_field = |field: &str| unusable(t_args("crm.credentials.sip", &[("field", field)]));
    let body: Value = serde_json::from_str(answer.body).map_err(|_| unusable(t("crm.credentials.not-json")))?;
    let mut lifetimes = Vec::new();
    let sip = match &body["sip"] {
        Value::Null => None,
        sip => {
            let user = text(&sip["user"]).filter(|u| is_sip_user(u)).ok_or_else(|| sip_field("user"))?;
            let username = text(&sip["username"])
                .filter(|n| n.rsplit_once(':').is_some_and(|(_, u)| u == user))
                .ok_or_else(|| sip_field("username"))?;
            let password = text(&sip["password"]).ok_or_else(|| sip_field("password"))?;
            lifetimes.push(lifetime(&sip["expiresIn"]).ok_or_else(|| sip_field("expiresIn"))?);
            Some(SipCredentials { user, username, password })
        }
    };
    let turn = match &body["turn"] {
        Value::Null => None,
        turn => {
            let urls: Vec<String> = turn["urls"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(text)
                .filter(|u| {
                    let lower = u.to_ascii_lowercase();
                    lower.starts_with("turn:") || lower.starts_with("turns:")
                })
                .take(8)
                .collect();
            let username = text(&turn["username"]);
            let credential = text(&turn["credential"]);
            if urls.is_empty() || username.is_none() || credential.is_none() {
                return Err(unusable(t("crm.credentials.turn")));
            }
            let no_lifetime = || unusable(t_args("crm.credentials.turn-field", &[("field", "expiresIn")]));
            lifetimes.push(lifetime(&turn["expiresIn"]).ok_or_else(no_lifetime)?);
            Some(IceServer { urls, username, credential })
        }
    };
    let shortest = lifetimes.into_iter().min().ok_or_else(|| unusable(t("crm.credentials.neither")))?;
    Ok(CallCredentials { sip, turn, renew_at: now + shortest * 1_000 / 2 })
}

fn text(value: &Value) -> Option<String> {
    value
        .as_str()
        .filter(|t| !t.is_empty() && t.len() <= MAX_CHARS && !t.chars().any(char::is_control))
        .map(str::to_owned)
}

fn lifetime(value: &Value) -> Option<u64> {
    value.as_u64().filter(|s| *s >= MIN_LIFETIME_S).map(|s| s.min(MAX_LIFETIME_S))
}

/// A SIP user as a SIP address can carry it unescaped.
fn is_sip_user(user: &str) -> bool {
    user.len() <= 64 && user.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> Origin {
        Origin::parse("https://svc.example").expect("origin")
    }

    fn read_body(status: u16, body: &str) -> Result<CallCredentials, CallCredentialsError> {
        read(&service(), &Answer { status, retry_after: None, body }, 1_000_000)
    }

    const BOTH: &str = r#"{"sip":{"user":"1001","username":"1700000600:1001","password":"c2lw","expiresIn":600},
        "turn":{"urls":["turn:t.example:3478","stun:ignored"],"username":"1700003600:agent1001","credential":"dHVybg==","expiresIn":3600}}"#;

    #[test]
    fn sip_and_turn_credentials_are_read_and_renewed_half_way_through_the_shorter() {
        let credentials = read_body(200, BOTH).expect("read");
        let sip = credentials.sip.clone().expect("sip");
        assert_eq!(
            (sip.user.as_str(), sip.username.as_str(), sip.password.as_str()),
            ("1001", "1700000600:1001", "c2lw")
        );
        let turn = credentials.turn.clone().expect("turn");
        assert_eq!(turn.urls, ["turn:t.example:3478"]);
        assert_eq!(turn.credential.as_deref(), Some("dHVybg=="));
        assert_eq!(credentials.renew_at, 1_000_000 + 300_000);
        assert!(!format!("{credentials:?}").contains("c2lw"), "no password in debug output");
    }

    #[test]
    fn refusals_say_whether_to_sign_in_again_or_wait() {
        assert_eq!(read_body(401, "{}"), Err(CallCredentialsError::Unauthorised));
        let refused = read_body(409, r#"{"message":"agent1001 has no SIP user"}"#).unwrap_err();
        assert_eq!(
            refused,
            CallCredentialsError::Refused("https://svc.example answered HTTP 409: agent1001 has no SIP user".into())
        );
        assert!(matches!(read_body(429, "{}"), Err(CallCredentialsError::Unavailable(_))));
        assert!(matches!(read_body(503, ""), Err(CallCredentialsError::Unavailable(_))));
    }

    #[test]
    fn answers_the_phone_cannot_use_are_refused() {
        for body in [
            "not json",
            r#"{"sip":null,"turn":null}"#,
            // The username must name the user the phone registers as.
            r#"{"sip":{"user":"1001","username":"1700000600:1002","password":"p","expiresIn":600},"turn":null}"#,
            r#"{"sip":{"user":"10 01","username":"1:10 01","password":"p","expiresIn":600},"turn":null}"#,
            r#"{"sip":{"user":"1001","username":"1:1001","password":"","expiresIn":600},"turn":null}"#,
            r#"{"sip":{"user":"1001","username":"1:1001","password":"p","expiresIn":5},"turn":null}"#,
            r#"{"sip":null,"turn":{"urls":["stun:x"],"username":"u","credential":"c","expiresIn":600}}"#,
            r#"{"sip":null,"turn":{"urls":["turn:x"],"username":"u","expiresIn":600}}"#,
        ] {
            assert!(matches!(read_body(200, body), Err(CallCredentialsError::Refused(_))), "{body}");
        }
    }
}
