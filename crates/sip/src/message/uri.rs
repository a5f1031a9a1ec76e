//! SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966), and any other scheme kept opaque.
//!
//! Components are stored as written (still %-escaped), so a URI serializes back to the same
//! text; [`Uri::user_unescaped`] and [`Uri::equivalent`] apply the RFC's decoding and
//! comparison rules.

use std::fmt;

use thiserror::Error;

/// The scheme of a URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `sip:`
    Sip,
    /// `sips:`
    Sips,
    /// `tel:`
    Tel,
    /// Anything else, lower-cased.
    Other(String),
}

/// A URI.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Uri {
    /// The scheme.
    pub scheme: Scheme,
    /// The user part, %-escaped as written.
    pub user: Option<String>,
    /// The password part (deprecated, but it parses).
    pub password: Option<String>,
    /// Host (with brackets for IPv6); for tel, the number; for other schemes, all after `:`.
    pub host: String,
    /// The port.
    pub port: Option<u16>,
    /// `;name[=value]` parameters in order.
    pub params: Vec<(String, Option<String>)>,
    /// `?name=value` headers in order.
    pub headers: Vec<(String, String)>,
}

/// Why a URI cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum UriError {
    /// Nothing was given.
    #[error("it is empty")]
    Empty,
    /// No `scheme:`.
    #[error("it has no scheme")]
    Scheme,
    /// A character a URI cannot hold unescaped.
    #[error("it holds a character that must be escaped")]
    Character,
    /// A bad %-escape.
    #[error("it holds an invalid %-escape")]
    Escape,
    /// The host part is not a host name, IPv4 or IPv6 address.
    #[error("its host is invalid")]
    Host,
    /// The port is not a number up to 65535.
    #[error("its port is invalid")]
    Port,
    /// A parameter without a name.
    #[error("it has an empty parameter")]
    Parameter,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')')
}

fn check_chars(part: &str, extra: &[u8]) -> Result<(), UriError> {
    let bytes = part.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let b = bytes[index];
        if b == b'%' {
            let valid = bytes.get(index + 1..index + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err(UriError::Escape);
            }
            index += 3;
            continue;
        }
        if !is_unreserved(b) && !extra.contains(&b) {
            return Err(UriError::Character);
        }
        index += 1;
    }
    Ok(())
}

const USER_EXTRA: &[u8] = b"&=+$,;?/";
const PASSWORD_EXTRA: &[u8] = b"&=+$,";
const PARAM_EXTRA: &[u8] = b"[]/:&+$";
const HEADER_EXTRA: &[u8] = b"[]/?:+$";

impl Uri {
    /// Parses a URI from bytes (it must be ASCII).
    pub fn parse(bytes: &[u8]) -> Result<Uri, UriError> {
        if bytes.is_empty() {
            return Err(UriError::Empty);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| UriError::Character)?;
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(UriError::Character);
        }
        let (scheme, rest) = text.split_once(':').ok_or(UriError::Scheme)?;
        let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !scheme_ok {
            return Err(UriError::Scheme);
        }
        match scheme.to_ascii_lowercase().as_str() {
            "sip" => parse_sip(Scheme::Sip, rest),
            "sips" => parse_sip(Scheme::Sips, rest),
            "tel" => parse_tel(rest),
            other => {
                if rest.is_empty() {
                    return Err(UriError::Host);
                }
                Ok(Uri::with(Scheme::Other(other.to_owned()), rest.to_owned()))
            }
        }
    }

    /// A URI of an unknown scheme holding `bytes` as they are (used when a Request-URI
    /// cannot be read, so that a 400 can still be built).
    pub(crate) fn opaque(bytes: &[u8]) -> Uri {
        Uri::with(Scheme::Other(String::new()), String::from_utf8_lossy(bytes).into_owned())
    }

    fn with(scheme: Scheme, host: String) -> Uri {
        Uri { scheme, user: None, password: None, host, port: None, params: vec![], headers: vec![] }
    }

    /// `sip:user@host` with no port, parameters or headers.
    pub fn sip(user: Option<&str>, host: &str) -> Uri {
        let mut uri = Uri::with(Scheme::Sip, host.to_owned());
        uri.user = user.map(str::to_owned);
        uri
    }

    /// The value of parameter `name` (names compare case-insensitively); `Some(None)` for a
    /// parameter without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_deref())
    }

    /// The user part with %-escapes decoded.
    pub fn user_unescaped(&self) -> Option<Vec<u8>> {
        self.user.as_deref().map(unescape)
    }

    /// URI equality by RFC 3261 §19.1.4 for SIP/SIPS: scheme, user (escapes decoded, case
    /// kept), password, host (case-insensitive), port, and the parameters that matter.
    pub fn equivalent(&self, other: &Uri) -> bool {
        if self.scheme != other.scheme {
            return false;
        }
        if !matches!(self.scheme, Scheme::Sip | Scheme::Sips) {
            return self.host.eq_ignore_ascii_case(&other.host) && self.params == other.params;
        }
        let same_user = self.user_unescaped() == other.user_unescaped();
        let same_password = self.password.as_deref().map(unescape) == other.password.as_deref().map(unescape);
        let same_host = self.host.eq_ignore_ascii_case(&other.host) && self.port == other.port;
        // user, ttl, method and maddr must match when either side has them.
        let significant = ["user", "ttl", "method", "maddr", "transport"];
        let params_match = significant.iter().all(|name| {
            let mine = self.param(name).map(|v| v.map(str::to_ascii_lowercase));
            let theirs = other.param(name).map(|v| v.map(str::to_ascii_lowercase));
            mine == theirs
        });
        // Other parameters present on both sides must agree.
        let common_match = self.params.iter().all(|(name, value)| match other.param(name) {
            Some(theirs) => value.as_deref().map(str::to_ascii_lowercase) == theirs.map(str::to_ascii_lowercase),
            None => true,
        });
        same_user && same_password && same_host && params_match && common_match
    }
}

fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = bytes.get(index + 1..index + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    out
}

/// URI headers: `?name=value&…`.
type UriHeaders = Vec<(String, String)>;

fn split_headers(rest: &str) -> Result<(&str, UriHeaders), UriError> {
    let Some((before, headers)) = rest.split_once('?') else { return Ok((rest, vec![])) };
    let mut parsed = Vec::new();
    for header in headers.split('&') {
        let (name, value) = header.split_once('=').ok_or(UriError::Parameter)?;
        if name.is_empty() {
            return Err(UriError::Parameter);
        }
        check_chars(name, HEADER_EXTRA)?;
        check_chars(value, HEADER_EXTRA)?;
        parsed.push((name.to_owned(), value.to_owned()));
    }
    Ok((before, parsed))
}

/// URI parameters: `;name[=value]…`.
type UriParams = Vec<(String, Option<String>)>;

fn split_params(rest: &str) -> Result<(&str, UriParams), UriError> {
    let mut parts = rest.split(';');
    let first = parts.next().unwrap_or_default();
    let mut params = Vec::new();
    for param in parts {
        let (name, value) = match param.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (param, None),
        };
        if name.is_empty() {
            return Err(UriError::Parameter);
        }
        check_chars(name, PARAM_EXTRA)?;
        if let Some(value) = value {
            check_chars(value, PARAM_EXTRA)?;
        }
        params.push((name.to_owned(), value.map(str::to_owned)));
    }
    Ok((first, params))
}

fn parse_sip(scheme: Scheme, rest: &str) -> Result<Uri, UriError> {
    // The user part may hold ';' and '?', so it is cut off before headers and parameters are
    // split; no other part may hold an unescaped '@'.
    let (userinfo, hostpart) = match rest.split_once('@') {
        Some((userinfo, hostpart)) => (Some(userinfo), hostpart),
        None => (None, rest),
    };
    let (hostpart, headers) = split_headers(hostpart)?;
    let (hostport, params) = split_params(hostpart)?;
    let (user, password) = match userinfo {
        None => (None, None),
        Some(userinfo) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            if user.is_empty() {
                return Err(UriError::Character);
            }
            check_chars(user, USER_EXTRA)?;
            if let Some(password) = password {
                check_chars(password, PASSWORD_EXTRA)?;
            }
            (Some(user.to_owned()), password.map(str::to_owned))
        }
    };
    let (host, port) = split_host_port(hostport)?;
    Ok(Uri { scheme, user, password, host, port, params, headers })
}

/// Splits `host[:port]`, checking the host is a DNS name, IPv4 or `[IPv6]`.
pub(crate) fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), UriError> {
    let (host, port) = if hostport.starts_with('[') {
        let end = hostport.find(']').ok_or(UriError::Host)?;
        let (host, after) = hostport.split_at(end + 1);
        let inner = &host[1..host.len() - 1];
        if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
            return Err(UriError::Host);
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(UriError::Host)?)),
        }
    } else {
        match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        }
    };
    if !host.starts_with('[') {
        let labels_ok = !host.is_empty()
            && host.trim_end_matches('.').split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !labels_ok {
            return Err(UriError::Host);
        }
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| UriError::Port)?)
        }
        Some(_) => return Err(UriError::Port),
    };
    Ok((host.to_owned(), port))
}

fn parse_tel(rest: &str) -> Result<Uri, UriError> {
    let (number, params) = split_params(rest)?;
    let valid = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_hexdigit() || matches!(b, b'+' | b'-' | b'.' | b'(' | b')' | b'*' | b'#'));
    if !valid {
        return Err(UriError::Host);
    }
    let mut uri = Uri::with(Scheme::Tel, number.to_owned());
    uri.params = params;
    Ok(uri)
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scheme {
            Scheme::Sip => f.write_str("sip:")?,
            Scheme::Sips => f.write_str("sips:")?,
            Scheme::Tel => f.write_str("tel:")?,
            Scheme::Other(scheme) if scheme.is_empty() => {}
            Scheme::Other(scheme) => write!(f, "{scheme}:")?,
        }
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(password) = &self.password {
                write!(f, ":{password}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        for (name, value) in &self.params {
            match value {
                Some(value) => write!(f, ";{name}={value}")?,
                None => write!(f, ";{name}")?,
            }
        }
        for (index, (name, value)) in self.headers.iter().enumerate() {
            write!(f, "{}{name}={value}", if index == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        Uri::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn sip_uri_parts() {
        let u = uri("sip:alice:secret@atlanta.example.com:5060;transport=ws;lr?subject=project%20x&priority=urgent");
        assert_eq!(u.scheme, Scheme::Sip);
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.host, "atlanta.example.com");
        assert_eq!(u.port, Some(5060));
        assert_eq!(u.param("TRANSPORT"), Some(Some("ws")));
        assert_eq!(u.param("lr"), Some(None));
        assert_eq!(u.headers, vec![("subject".into(), "project%20x".into()), ("priority".into(), "urgent".into())]);
        assert_eq!(
            u.to_string(),
            "sip:alice:secret@atlanta.example.com:5060;transport=ws;lr?subject=project%20x&priority=urgent"
        );
    }

    #[test]
    fn user_part_may_hold_semicolons_and_escapes() {
        let q = uri("sip:who?what;why@example.com?subject=x");
        assert_eq!((q.user.as_deref(), q.headers.len()), (Some("who?what;why"), 1));
        let u = uri("sip:+1-212-555-1212;phone-context=x%40y@gateway.example.com;user=phone");
        assert_eq!(u.user.as_deref(), Some("+1-212-555-1212;phone-context=x%40y"));
        assert_eq!(u.user_unescaped().unwrap(), b"+1-212-555-1212;phone-context=x@y");
        assert_eq!(u.param("user"), Some(Some("phone")));
    }

    #[test]
    fn ipv6_tel_and_unknown_schemes() {
        let u = uri("sips:[2001:db8::10]:5061");
        assert_eq!((u.host.as_str(), u.port), ("[2001:db8::10]", Some(5061)));
        let t = uri("tel:+1-201-555-0123;phone-context=example.com");
        assert_eq!((t.scheme, t.host.as_str()), (Scheme::Tel, "+1-201-555-0123"));
        let o = uri("urn:service:sos");
        assert_eq!(o.scheme, Scheme::Other("urn".into()));
        assert_eq!(o.to_string(), "urn:service:sos");
    }

    #[test]
    fn malformed_uris_are_refused() {
        assert_eq!(Uri::parse(b""), Err(UriError::Empty));
        assert_eq!(Uri::parse(b"alice@example.com"), Err(UriError::Scheme));
        assert_eq!(Uri::parse(b"sip:alice@exa mple.com"), Err(UriError::Character));
        assert_eq!(Uri::parse(b"sip:al<ice@example.com"), Err(UriError::Character));
        assert_eq!(Uri::parse(b"sip:alice%2@example.com"), Err(UriError::Escape));
        assert_eq!(Uri::parse(b"sip:alice@example.com:99999"), Err(UriError::Port));
        assert_eq!(Uri::parse(b"sip:alice@[::1"), Err(UriError::Host));
        assert_eq!(Uri::parse(b"sip:alice@example.com;;lr"), Err(UriError::Parameter));
        assert_eq!(Uri::parse(b"sip:@example.com"), Err(UriError::Character));
        assert_eq!(Uri::parse("sip:álice@example.com".as_bytes()), Err(UriError::Character));
    }

    #[test]
    fn equivalence_follows_rfc_3261() {
        assert!(uri("sip:%61lice@atlanta.com;transport=TCP").equivalent(&uri("sip:alice@AtLanTa.CoM;Transport=tcp")));
        assert!(!uri("sip:alice@atlanta.com").equivalent(&uri("sip:ALICE@atlanta.com")));
        assert!(!uri("sip:bob@biloxi.com").equivalent(&uri("sip:bob@biloxi.com:5060")));
        assert!(!uri("sip:bob@biloxi.com;transport=udp").equivalent(&uri("sip:bob@biloxi.com")));
        assert!(uri("sip:carol@chicago.com;security=on").equivalent(&uri("sip:carol@chicago.com")));
        assert!(!uri("sip:carol@chicago.com").equivalent(&uri("sips:carol@chicago.com")));
    }
}
