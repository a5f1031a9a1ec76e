//! Checks of the fields an administrator types, each failure naming its field.

use serde::de::DeserializeOwned;
use url::Url;

/// A field's problem: which field and what is wrong, in words an administrator can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field's path in the request (`settings.instanceUrl`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError { field: field.to_owned(), message: message.into() }
    }
}

/// `value` read as `T`, an unknown, missing or mistyped field named.
pub fn from_json<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldError> {
    serde_json::from_value(value).map_err(|e| FieldError::new("settings", e.to_string()))
}

/// A non-empty text of at most `max` characters without control characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        Err(FieldError::new(field, "is required"))
    } else if value.chars().count() > max {
        Err(FieldError::new(field, format!("must have at most {max} characters")))
    } else if value.chars().any(char::is_control) {
        Err(FieldError::new(field, "must not contain control characters"))
    } else {
        Ok(())
    }
}

/// An origin the service may send credentials to: `https://host[:port]`, or `http://` to a
/// loopback host (a local emulator or proxy), with no user, path, query or fragment.
pub fn origin_url(field: &str, value: &str) -> Result<(), FieldError> {
    let url = Url::parse(value.trim()).map_err(|e| FieldError::new(field, format!("is not a URL ({e})")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(FieldError::new(field, "must start with https:// (credentials are never sent in clear)"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FieldError::new(field, "must not contain a username or password"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(FieldError::new(
            field,
            format!("must be the site's address only, like {}", url.origin().ascii_serialization()),
        ));
    }
    Ok(())
}

/// The origin of a URL [`origin_url`] accepted: lowercase host, no trailing slash.
pub fn canonical_origin(value: &str) -> String {
    Url::parse(value.trim()).map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_origins_or_loopback_http_are_accepted() {
        assert!(origin_url("f", "https://acme.service-now.com").is_ok());
        assert!(origin_url("f", "https://acme.service-now.com/").is_ok());
        assert!(origin_url("f", "http://127.0.0.1:8781").is_ok());
        assert!(origin_url("f", "http://localhost:8781").is_ok());
        for bad in [
            "http://acme.service-now.com",
            "acme.service-now.com",
            "https://u:p@acme.service-now.com",
            "https://acme.service-now.com/now/nav",
            "https://a.com?x=1",
            "ftp://a.com",
        ] {
            assert!(origin_url("f", bad).is_err(), "{bad}");
        }
        assert_eq!(canonical_origin("https://ACME.service-now.com:443/"), "https://acme.service-now.com");
    }
}
