//! What the instance's answer to a REST call means: for a log, one of the outbox's
//! [`PostOutcome`]s; for anything, the instance's own error message. And the words for the
//! two failures that have no answer at all: a fetch that rejects (the network, or CORS, which
//! the browser does not tell apart) and a request that ran out of time.

use serde_json::Value;

use crate::activity::outbox::{POST_TIMEOUT_MS, PostOutcome};
use crate::i18n::t_args;
use crate::origin::Origin;

/// Longest instance message shown to the agent.
const MAX_MESSAGE_CHARS: usize = 300;

/// An HTTP answer as the shell read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The status code.
    pub status: u16,
    /// The `Retry-After` header, when the instance's CORS rule exposes it.
    pub retry_after: Option<&'a str>,
    /// The body text.
    pub body: &'a str,
}

impl Answer<'_> {
    /// Whether the instance did what was asked.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// What a log post's answer means for the outbox.
pub fn post_outcome(instance: &Origin, answer: &Answer<'_>) -> PostOutcome {
    match answer.status {
        200..=299 => PostOutcome::Posted,
        401 => PostOutcome::Unauthorised,
        429 | 500..=599 => PostOutcome::Busy {
            reason: describe(instance, answer),
            retry_after_ms: answer.retry_after.and_then(retry_after_ms),
        },
        _ => PostOutcome::Refused(describe(instance, answer)),
    }
}

/// "<instance> answered HTTP 400: Invalid table x", in words for the agent.
pub fn describe(instance: &Origin, answer: &Answer<'_>) -> String {
    answered_http(&instance.to_string(), answer.status, message(answer.body).as_deref())
}

/// "<origin> answered HTTP <status>", with the server's own message when it gave one.
pub fn answered_http(origin: &str, status: u16, message: Option<&str>) -> String {
    let status = status.to_string();
    match message {
        Some(message) => {
            t_args("crm.answered-http-message", &[("origin", origin), ("status", &status), ("message", message)])
        }
        None => t_args("crm.answered-http", &[("origin", origin), ("status", &status)]),
    }
}

/// The instance's error message in a REST answer: `{"error":{"message":…,"detail":…}}` (the
/// REST APIs) or `{"error":…,"error_description":…}` (OAuth).
pub fn message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let error = value.get("error")?;
    let message = match error {
        Value::Object(_) => match (text(error.get("message")), text(error.get("detail"))) {
            (Some(message), Some(detail)) => format!("{message} ({detail})"),
            (Some(message), None) => message.to_owned(),
            (None, detail) => detail?.to_owned(),
        },
        _ => text(value.get("error_description")).or(text(Some(error)))?.to_owned(),
    };
    Some(message.chars().take(MAX_MESSAGE_CHARS).collect())
}

/// A JSON string's trimmed text, if there is any.
fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

/// `Retry-After` in seconds (the HTTP-date form is not used by ServiceNow and is ignored).
pub fn retry_after_ms(header: &str) -> Option<u64> {
    header.trim().parse::<u64>().ok().map(|seconds| seconds.saturating_mul(1_000))
}

/// Why a fetch to the instance rejected: no answer reached the page, either because none came
/// or because the instance's CORS rules do not name the widget's origin. The browser hides
/// which, so the words name both and the fix for the second.
pub fn no_answer(instance: &Origin, widget: &Origin) -> String {
    // The menu, methods and headers are the instance's own words, as its forms show them.
    let (instance, widget) = (instance.to_string(), widget.to_string());
    let args = [
        ("instance", instance.as_str()),
        ("widget", &widget),
        ("menu", "System Web Services > REST > CORS Rules"),
        ("get", "GET"),
        ("post", "POST"),
        ("patch", "PATCH"),
        ("authorization", "Authorization"),
        ("content-type", "Content-Type"),
        ("accept", "Accept"),
    ];
    t_args("crm.servicenow.no-answer-cors", &args)
}

/// Why a request ended without an answer: it ran out of time.
pub fn timed_out(instance: &Origin) -> String {
    let seconds = (POST_TIMEOUT_MS / 1_000).to_string();
    t_args("crm.timed-out", &[("origin", &instance.to_string()), ("seconds", &seconds)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance() -> Origin {
        Origin::parse("https://acme.service-now.com").expect("origin")
    }

    fn outcome(status: u16, retry_after: Option<&str>, body: &str) -> PostOutcome {
        post_outcome(&instance(), &Answer { status, retry_after, body })
    }

    #[test]
    fn every_class_of_answer_has_its_outcome() {
        assert_eq!(outcome(201, None, r#"{"result":{}}"#), PostOutcome::Posted);
        assert_eq!(outcome(200, None, ""), PostOutcome::Posted);
        let unauthenticated = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;
        assert_eq!(outcome(401, None, unauthenticated), PostOutcome::Unauthorised);
        assert_eq!(
            outcome(503, Some("120"), r#"{"error":{"message":"Service Unavailable"}}"#),
            PostOutcome::Busy {
                reason: "https://acme.service-now.com answered HTTP 503: Service Unavailable".into(),
                retry_after_ms: Some(120_000)
            }
        );
        assert_eq!(
            outcome(429, Some("Wed, 21 Oct 2015 07:28:00 GMT"), "Too many"),
            PostOutcome::Busy { reason: "https://acme.service-now.com answered HTTP 429".into(), retry_after_ms: None }
        );
        assert_eq!(
            outcome(400, None, r#"{"error":{"message":"Invalid table sn_openframe_phone_log"},"status":"failure"}"#),
            PostOutcome::Refused(
                "https://acme.service-now.com answered HTTP 400: Invalid table sn_openframe_phone_log".into()
            )
        );
        assert!(matches!(outcome(403, None, "{}"), PostOutcome::Refused(_)));
        assert!(matches!(outcome(404, None, ""), PostOutcome::Refused(_)));
        assert!(matches!(outcome(302, None, ""), PostOutcome::Refused(_)));
    }

    #[test]
    fn the_instances_message_is_read_from_either_error_shape_and_capped() {
        let rest = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"}}"#;
        assert_eq!(message(rest).as_deref(), Some("User Not Authenticated (Required to provide Auth information)"));
        assert_eq!(message(r#"{"error":{"detail":"only detail"}}"#).as_deref(), Some("only detail"));
        let oauth = r#"{"error":"server_error","error_description":"unspecified error"}"#;
        assert_eq!(message(oauth).as_deref(), Some("unspecified error"));
        assert_eq!(message(r#"{"error":"access_denied"}"#).as_deref(), Some("access_denied"));
        assert_eq!(message("<html>Bad gateway</html>"), None);
        assert_eq!(message(r#"{"error":{"message":"  "}}"#), None);
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(1_000));
        assert_eq!(message(&long).map(|m| m.chars().count()), Some(MAX_MESSAGE_CHARS));
    }

    #[test]
    fn failures_without_an_answer_name_the_fix() {
        let widget = Origin::parse("https://phone.example.com").expect("origin");
        let text = no_answer(&instance(), &widget);
        assert!(
            text.starts_with(
                "No answer from https://acme.service-now.com, or its CORS rules do not allow https://phone.example.com"
            ),
            "{text}"
        );
        assert!(text.contains("add a CORS rule") && text.contains("Domain https://phone.example.com"), "{text}");
        assert_eq!(timed_out(&instance()), "https://acme.service-now.com did not answer within 30 s");
    }
}
