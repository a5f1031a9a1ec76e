//! Web origins and the allow-list patterns that decide which hosts may embed the widget.
//!
//! Everything that comes from outside (`topDomain`, `sfdcIframeOrigin`, `event.origin`) is parsed
//! into an [`Origin`] before it is compared, so that `https://acme.service-now.com.evil.test` or
//! `https://acme.service-now.com@evil.test` can never pass as a ServiceNow instance.

use std::fmt;

use thiserror::Error;

/// A bare web origin: scheme, host and port, nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
}

/// The two schemes a host page can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http`, accepted only for loopback hosts.
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Why a string is not an acceptable origin.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum OriginError {
    /// Nothing was given.
    #[error("is empty")]
    Empty,
    /// The scheme is neither http nor https.
    #[error("must start with https://")]
    Scheme,
    /// Plain http to a machine other than this one.
    #[error("must use https:// (http:// is accepted only for 127.0.0.1, localhost and [::1])")]
    InsecureRemote,
    /// A path, query, fragment or user name follows the host.
    #[error("must be a bare origin such as https://example.com, without path, query or user name")]
    NotBare,
    /// The host part is not a valid DNS name or IP literal.
    #[error("has an invalid host name")]
    Host,
    /// The port is not a number from 1 to 65535.
    #[error("has an invalid port")]
    Port,
}

impl Origin {
    /// Parses `scheme://host[:port]` (one trailing `/` tolerated); a bare host name means https.
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(OriginError::Empty);
        }
        let (scheme, rest) = match input.split_once("://") {
            Some((scheme, rest)) => (parse_scheme(scheme)?, rest),
            None if input.contains(':') && !looks_like_host_port(input) => {
                return Err(OriginError::Scheme);
            }
            None => (Scheme::Https, input),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@', '\\']) {
            return Err(OriginError::NotBare);
        }
        let (host, port) = split_host_port(rest)?;
        let host = normalise_host(host)?;
        let port = match port {
            Some(p) => parse_port(p)?,
            None => scheme.default_port(),
        };
        let origin = Origin { scheme, host, port };
        if scheme == Scheme::Http && !origin.is_loopback() {
            return Err(OriginError::InsecureRemote);
        }
        Ok(origin)
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host name in lower case (IPv6 literals keep their brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// True for 127.0.0.0/8, `localhost` and `[::1]`.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }
}

/// True for 127.0.0.0/8, `localhost` and `[::1]`: the only hosts where plain http/ws is accepted.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets[0] == "127"
        && octets.iter().all(|o| !o.is_empty() && o.len() <= 3 && o.parse::<u8>().is_ok())
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

fn parse_scheme(scheme: &str) -> Result<Scheme, OriginError> {
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(Scheme::Https),
        "http" => Ok(Scheme::Http),
        _ => Err(OriginError::Scheme),
    }
}

fn looks_like_host_port(input: &str) -> bool {
    input.rsplit_once(':').is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

fn split_host_port(rest: &str) -> Result<(&str, Option<&str>), OriginError> {
    if rest.starts_with('[') {
        let end = rest.find(']').ok_or(OriginError::Host)?;
        let (host, after) = rest.split_at(end + 1);
        return match after {
            "" => Ok((host, None)),
            _ => after.strip_prefix(':').map(|p| (host, Some(p))).ok_or(OriginError::Host),
        };
    }
    Ok(match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    })
}

fn parse_port(port: &str) -> Result<u16, OriginError> {
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OriginError::Port);
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(OriginError::Port),
        Ok(p) => Ok(p),
    }
}

fn normalise_host(host: &str) -> Result<String, OriginError> {
    let host = host.to_ascii_lowercase();
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let valid = !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        return if valid { Ok(host) } else { Err(OriginError::Host) };
    }
    let host = host.strip_suffix('.').unwrap_or(&host).to_owned();
    if host.is_empty() || host.len() > 253 || !host.split('.').all(is_dns_label) {
        return Err(OriginError::Host);
    }
    Ok(host)
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// One entry of the allow-list: an exact origin, or `https://*.example.com`, where `*` stands
/// for exactly one DNS label (so `https://*.service-now.com` admits `acme.service-now.com` but
/// neither `service-now.com` nor `a.b.service-now.com`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginPattern {
    /// Matches one origin.
    Exact(Origin),
    /// Matches any single label in front of `suffix`, with the same scheme and port.
    Wildcard {
        /// Scheme every match must have.
        scheme: Scheme,
        /// The part after `*.`, e.g. `service-now.com`.
        suffix: String,
        /// Port every match must have.
        port: u16,
    },
}

impl OriginPattern {
    /// Parses an allow-list entry.
    pub fn parse(input: &str) -> Result<Self, OriginError> {
        let input = input.trim();
        let Some((scheme, rest)) = input.split_once("://*.") else {
            if input.contains('*') {
                return Err(OriginError::Host);
            }
            return Origin::parse(input).map(OriginPattern::Exact);
        };
        // Parse the pattern as if `*` were a concrete label, then keep what follows it.
        let probe = Origin::parse(&format!("{scheme}://wildcard.{rest}"))?;
        let suffix = probe.host.strip_prefix("wildcard.").ok_or(OriginError::Host)?.to_owned();
        if !suffix.contains('.') {
            // `*.com` would admit every site in a top-level domain.
            return Err(OriginError::Host);
        }
        Ok(OriginPattern::Wildcard { scheme: probe.scheme, suffix, port: probe.port })
    }

    /// Whether `origin` is admitted by this entry.
    pub fn matches(&self, origin: &Origin) -> bool {
        match self {
            OriginPattern::Exact(exact) => exact == origin,
            OriginPattern::Wildcard { scheme, suffix, port } => {
                *scheme == origin.scheme
                    && *port == origin.port
                    && origin
                        .host
                        .strip_suffix(suffix.as_str())
                        .and_then(|label| label.strip_suffix('.'))
                        .is_some_and(|label| !label.is_empty() && !label.contains('.'))
            }
        }
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginPattern::Exact(origin) => origin.fmt(f),
            OriginPattern::Wildcard { scheme, suffix, port } => {
                write!(f, "{}://*.{suffix}", scheme.as_str())?;
                if *port != scheme.default_port() {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

/// The host origins the administrator allows to embed the widget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowList(Vec<OriginPattern>);

impl AllowList {
    /// Builds the list from parsed entries.
    pub fn new(patterns: Vec<OriginPattern>) -> Self {
        AllowList(patterns)
    }

    /// Whether any entry admits `origin`.
    pub fn admits(&self, origin: &Origin) -> bool {
        self.0.iter().any(|p| p.matches(origin))
    }

    /// The entries, for display.
    pub fn patterns(&self) -> &[OriginPattern] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        Origin::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_normalises_bare_origins() {
        assert_eq!(origin("https://Acme.Service-Now.com/").to_string(), "https://acme.service-now.com");
        assert_eq!(origin("https://acme.service-now.com:443").to_string(), "https://acme.service-now.com");
        assert_eq!(origin("acme.service-now.com").to_string(), "https://acme.service-now.com");
        assert_eq!(origin("http://127.0.0.1:8781").to_string(), "http://127.0.0.1:8781");
        assert_eq!(origin("http://[::1]:9000").port(), 9000);
        assert_eq!(origin("https://example.com:8443").port(), 8443);
    }

    #[test]
    fn refuses_anything_that_is_not_a_bare_origin() {
        for (input, error) in [
            ("", OriginError::Empty),
            ("ftp://example.com", OriginError::Scheme),
            ("javascript:alert(1)", OriginError::Scheme),
            ("http://example.com", OriginError::InsecureRemote),
            ("http://127.0.0.1.evil.test", OriginError::InsecureRemote),
            ("https://example.com/path", OriginError::NotBare),
            ("https://example.com?x=1", OriginError::NotBare),
            ("https://acme.service-now.com@evil.test", OriginError::NotBare),
            ("https://example.com#frag", OriginError::NotBare),
            ("https://exa mple.com", OriginError::Host),
            ("https://-bad.com", OriginError::Host),
            ("https://", OriginError::Host),
            ("https://example.com:0", OriginError::Port),
            ("https://example.com:99999", OriginError::Port),
            ("https://example.com:", OriginError::Port),
            ("https://[zz]:1", OriginError::Host),
        ] {
            assert_eq!(Origin::parse(input), Err(error), "{input}");
        }
    }

    #[test]
    fn loopback_is_recognised() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("127.1.2.3"));
        assert!(is_loopback_host("LOCALHOST"));
        assert!(is_loopback_host("[::1]"));
        assert!(!is_loopback_host("127.0.0.1.nip.io"));
        assert!(!is_loopback_host("128.0.0.1"));
        assert!(!is_loopback_host("127.0.0.256"));
    }

    #[test]
    fn wildcard_admits_exactly_one_label() {
        let pattern = OriginPattern::parse("https://*.service-now.com").unwrap();
        assert!(pattern.matches(&origin("https://acme.service-now.com")));
        assert!(pattern.matches(&origin("https://ACME.service-now.com")));
        assert!(!pattern.matches(&origin("https://service-now.com")));
        assert!(!pattern.matches(&origin("https://a.b.service-now.com")));
        assert!(!pattern.matches(&origin("https://evilservice-now.com")));
        assert!(!pattern.matches(&origin("https://acme.service-now.com.evil.test")));
        assert!(!pattern.matches(&origin("https://acme.service-now.com:8443")));
        assert_eq!(pattern.to_string(), "https://*.service-now.com");
    }

    #[test]
    fn exact_pattern_compares_scheme_host_and_port() {
        let pattern = OriginPattern::parse("http://127.0.0.1:8781").unwrap();
        assert!(pattern.matches(&origin("http://127.0.0.1:8781/")));
        assert!(!pattern.matches(&origin("http://127.0.0.1:8782")));
        assert!(!pattern.matches(&origin("http://localhost:8781")));
    }

    #[test]
    fn overly_broad_or_malformed_patterns_are_refused() {
        assert_eq!(OriginPattern::parse("https://*.com"), Err(OriginError::Host));
        assert_eq!(OriginPattern::parse("*"), Err(OriginError::Host));
        assert_eq!(OriginPattern::parse("https://acme.*.com"), Err(OriginError::Host));
        assert_eq!(OriginPattern::parse("http://*.example.com"), Err(OriginError::InsecureRemote));
    }

    #[test]
    fn allow_list_admits_any_matching_entry() {
        let list = AllowList::new(vec![
            OriginPattern::parse("https://*.service-now.com").unwrap(),
            OriginPattern::parse("https://crm.example.org").unwrap(),
        ]);
        assert!(list.admits(&origin("https://dev1.service-now.com")));
        assert!(list.admits(&origin("https://crm.example.org")));
        assert!(!list.admits(&origin("https://evil.test")));
    }
}
