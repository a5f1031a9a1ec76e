//! ServiceNow's side of calls in the CRM, as requests and answers: the OAuth endpoints
//! (`oauth`), the Table API search for a caller's records (`search`), the phone log and the
//! voice-interaction API (`phone_log`), and what each answer means for a log (`answer`). Pure:
//! the shell (`host::openframe` and its helpers) only sends the [`Request`]s built here.
//!
//! Every URL starts with the validated instance [`Origin`] (the `topDomain` that passed the
//! allow-list); table names, field names and ids are checked or percent-encoded before they go
//! into one, so nothing a caller, a click-to-dial payload or the instance sends can point a
//! request, or the token it carries, anywhere else.

pub mod answer;
pub mod oauth;
pub mod phone_log;
pub mod search;

use crate::origin::Origin;

/// The HTTP methods the widget uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Creates (and the token exchange).
    Post,
    /// Updates a row.
    Patch,
}

impl Method {
    /// The method as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

/// A request body and its media type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// `application/json` (the REST APIs).
    Json(String),
    /// `application/x-www-form-urlencoded` (the token endpoint takes nothing else).
    Form(String),
}

impl Body {
    /// The `Content-Type` header value.
    pub fn content_type(&self) -> &'static str {
        match self {
            Body::Json(_) => "application/json",
            Body::Form(_) => "application/x-www-form-urlencoded",
        }
    }

    /// The body text.
    pub fn text(&self) -> &str {
        match self {
            Body::Json(text) | Body::Form(text) => text,
        }
    }
}

/// One request to the instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The whole URL, at the instance's origin.
    pub url: String,
    /// The body, if any.
    pub body: Option<Body>,
    /// Whether it carries the bearer token (every REST call; not the token exchange).
    pub authorised: bool,
}

/// Longest `sys_id` accepted from a payload or an answer (ServiceNow's are 32 hex digits).
const MAX_SYS_ID_CHARS: usize = 64;

/// Whether `id` can be a ServiceNow `sys_id`: ASCII letters and digits only, so that it can go
/// into a path or an encoded query (`sys_id=<id>`) without changing either.
pub fn is_sys_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_SYS_ID_CHARS && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `<instance>/api/now/table/<table>`, for a table name that passed
/// [`crate::activity::caller_match::is_field_name`].
fn table_url(instance: &Origin, table: &str) -> String {
    format!("{instance}/api/now/table/{table}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_ids_are_letters_and_digits() {
        assert!(is_sys_id("c0a7ac7000000000000000000000000a1"));
        assert!(!is_sys_id(""));
        assert!(!is_sys_id("-1"));
        assert!(!is_sys_id("abc/../sys_user"));
        assert!(!is_sys_id("abc^ORactive=true"));
        assert!(!is_sys_id(&"a".repeat(MAX_SYS_ID_CHARS + 1)));
    }
}
