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
    /// A wildcard over a domain where a CRM vendor hosts every customer's instance.
    #[error(
        "would trust every customer's instance under {suffix}, free developer instances included, which anyone \
         can get: each could embed the phone, and they share the browser storage the phone keeps in your own \
         instance. Write your own instance's exact origin instead, e.g. {example}"
    )]
    SharedTenantWildcard {
        /// The domain the wildcard covers, e.g. `service-now.com`.
        suffix: String,
        /// The exact origin to write instead, e.g. `https://yourcompany.service-now.com`.
        example: String,
    },
}

/// Domains under which a CRM vendor gives every customer (and every free developer org or
/// personal developer instance) a name of its own: a wildcard over any of them, or over any
/// name below them, trusts strangers. Each comes with the usual shape of one customer's origin.
const SHARED_TENANT_DOMAINS: &[(&str, &str)] = &[
    ("service-now.com", "yourcompany.service-now.com"),
    ("servicenowservices.com", "yourcompany.servicenowservices.com"),
    ("servicenow.com", "yourcompany.service-now.com"),
    ("lightning.force.com", "yourcompany.lightning.force.com"),
    ("force.com", "yourcompany.lightning.force.com"),
    ("my.salesforce.com", "yourcompany.my.salesforce.com"),
    ("salesforce.com", "yourcompany.my.salesforce.com"),
    ("salesforce-setup.com", "yourcompany.my.salesforce-setup.com"),
    ("visualforce.com", "yourcompany--c.vf.force.com"),
    ("my.site.com", "yourcompany.my.site.com"),
    ("site.com", "yourcompany.my.site.com"),
    ("salesforce-sites.com", "yourcompany.my.salesforce-sites.com"),
    ("force-user-content.com", "yourcompany.lightning.force.com"),
    ("cloudforce.com", "yourcompany.my.salesforce.com"),
    ("database.com", "yourcompany.my.salesforce.com"),
    ("salesforceliveagent.com", "yourcompany.my.salesforce.com"),
];

/// The shared CRM domain `suffix` lies in, if any, with the example origin to suggest. A name
/// below a shared domain (`sandbox.my.salesforce.com`) is as shared as the domain itself.
fn shared_tenant_domain(suffix: &str) -> Option<(&'static str, String)> {
    SHARED_TENANT_DOMAINS.iter().find_map(|(domain, example)| {
        let below = suffix.strip_suffix(domain).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
        below.then(|| {
            // Suggest a name in the very domain the administrator wrote when it is deeper.
            let example = if suffix == *domain { (*example).to_owned() } else { format!("yourcompany.{suffix}") };
            (*domain, example)
        })
    })
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
/// for exactly one DNS label (so `https://*.crm.example.com` admits `eu.crm.example.com` but
/// neither `crm.example.com` nor `a.b.crm.example.com`). A wildcard over a CRM vendor's shared
/// domain (`https://*.service-now.com`) is refused: it would trust every customer's instance.
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
        if let Some((_, example)) = shared_tenant_domain(&suffix) {
            let port =
                if probe.port == probe.scheme.default_port() { String::new() } else { format!(":{}", probe.port) };
            return Err(OriginError::SharedTenantWildcard {
                suffix,
                example: format!("{}://{example}{port}", probe.scheme.as_str()),
            });
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
        let pattern = OriginPattern::parse("https://*.crm.example.com").unwrap();
        assert!(pattern.matches(&origin("https://eu.crm.example.com")));
        assert!(pattern.matches(&origin("https://EU.crm.example.com")));
        assert!(!pattern.matches(&origin("https://crm.example.com")));
        assert!(!pattern.matches(&origin("https://a.b.crm.example.com")));
        assert!(!pattern.matches(&origin("https://evilcrm.example.com")));
        assert!(!pattern.matches(&origin("https://eu.crm.example.com.evil.test")));
        assert!(!pattern.matches(&origin("https://eu.crm.example.com:8443")));
        assert_eq!(pattern.to_string(), "https://*.crm.example.com");
    }

    #[test]
    fn wildcards_over_shared_crm_domains_are_refused_with_the_origin_to_write() {
        for (pattern, suffix, example) in [
            ("https://*.service-now.com", "service-now.com", "https://yourcompany.service-now.com"),
            ("https://*.Service-Now.com.", "service-now.com", "https://yourcompany.service-now.com"),
            (
                "https://*.servicenowservices.com",
                "servicenowservices.com",
                "https://yourcompany.servicenowservices.com",
            ),
            ("https://*.force.com", "force.com", "https://yourcompany.lightning.force.com"),
            ("https://*.lightning.force.com", "lightning.force.com", "https://yourcompany.lightning.force.com"),
            ("https://*.salesforce.com", "salesforce.com", "https://yourcompany.my.salesforce.com"),
            ("https://*.my.salesforce.com", "my.salesforce.com", "https://yourcompany.my.salesforce.com"),
            (
                "https://*.sandbox.my.salesforce.com",
                "sandbox.my.salesforce.com",
                "https://yourcompany.sandbox.my.salesforce.com",
            ),
            ("https://*.visualforce.com", "visualforce.com", "https://yourcompany--c.vf.force.com"),
            ("https://*.my.site.com", "my.site.com", "https://yourcompany.my.site.com"),
            ("https://*.salesforce-setup.com", "salesforce-setup.com", "https://yourcompany.my.salesforce-setup.com"),
            ("https://*.service-now.com:8443", "service-now.com", "https://yourcompany.service-now.com:8443"),
        ] {
            let error = OriginPattern::parse(pattern).expect_err(pattern);
            assert_eq!(
                error,
                OriginError::SharedTenantWildcard { suffix: suffix.to_owned(), example: example.to_owned() },
                "{pattern}"
            );
            let text = error.to_string();
            assert!(text.contains("every customer's instance") && text.contains("developer"), "{text}");
            assert!(text.ends_with(example), "{text}");
        }
    }

    #[test]
    fn exact_crm_origins_and_lookalike_domains_stay_allowed() {
        for allowed in [
            "https://acme.service-now.com",
            "https://acme.lightning.force.com",
            "https://acme.my.salesforce.com",
            "https://*.notservice-now.com",
            "https://*.service-now.com.example.org",
            "https://*.force.company.example",
        ] {
            assert!(OriginPattern::parse(allowed).is_ok(), "{allowed}");
        }
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
            OriginPattern::parse("https://*.crm.example.com").unwrap(),
            OriginPattern::parse("https://crm.example.org").unwrap(),
        ]);
        assert!(list.admits(&origin("https://dev1.crm.example.com")));
        assert!(list.admits(&origin("https://crm.example.org")));
        assert!(!list.admits(&origin("https://evil.test")));
    }
}
