//! Which transfers the agent follows. A REFER asks the phone to place a call on someone else's
//! behalf, so a caller could use it for toll fraud (a premium number on another server) or to
//! listen in (a call placed to them, or an injected `Replaces`). The agent follows a REFER
//! only in a confirmed dialog, only to a `sip:`, `sips:` or `tel:` target in its own SIP domain
//! or one the administrator allowed ([`TransferPattern`]), and only with no embedded header but a
//! well-formed `Replaces`.

use thiserror::Error;

use crate::headers::{NameAddr, value_with_params};
use crate::message::{Scheme, Uri, has_line_breaking_byte};

/// A target the administrator allows transfers to besides the agent's own domain:
/// `[user@]host`, where the user may end in `*` (any rest: `+4420*`) and the host may start
/// with `*.` (exactly one more DNS label: `*.partner.example`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferPattern {
    user: Option<String>,
    host: String,
    text: String,
}

/// Why a transfer pattern cannot be used.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PatternError {
    /// Nothing was given.
    #[error("a transfer target pattern cannot be empty")]
    Empty,
    /// The host part is not a domain name (with an optional leading `*.`).
    #[error("\"{0}\" needs a domain name such as partner.example or *.partner.example after the @")]
    Host(String),
    /// The user part holds something other than the characters of a user or number.
    #[error("\"{0}\": the part before @ may hold letters, digits, + - _ . and one * at its end only")]
    User(String),
}

impl TransferPattern {
    /// Reads `[user@]host` (see the type's documentation).
    pub fn parse(text: &str) -> Result<TransferPattern, PatternError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(PatternError::Empty);
        }
        let (user, host) = match trimmed.rsplit_once('@') {
            Some((user, host)) => (Some(user), host),
            None => (None, trimmed),
        };
        if let Some(user) = user {
            let body = user.strip_suffix('*').unwrap_or(user);
            let ok = (!body.is_empty() || user == "*")
                && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'_' | b'.'));
            if !ok {
                return Err(PatternError::User(trimmed.to_owned()));
            }
        }
        let domain = host.strip_prefix("*.").unwrap_or(host);
        let labels_ok = !domain.is_empty()
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !labels_ok {
            return Err(PatternError::Host(trimmed.to_owned()));
        }
        Ok(TransferPattern { user: user.map(str::to_owned), host: host.to_ascii_lowercase(), text: trimmed.to_owned() })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a target with this user part (unescaped) and host matches.
    pub fn matches(&self, user: Option<&str>, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        let host_ok = match self.host.strip_prefix("*.") {
            Some(parent) => host
                .strip_suffix(parent)
                .and_then(|rest| rest.strip_suffix('.'))
                .is_some_and(|label| !label.is_empty() && !label.contains('.')),
            None => host == self.host,
        };
        let user_ok = match (&self.user, user) {
            (None, _) => true,
            (Some(pattern), Some(user)) => match pattern.strip_suffix('*') {
                Some(prefix) => user.starts_with(prefix),
                None => user == pattern,
            },
            (Some(_), None) => false,
        };
        host_ok && user_ok
    }
}

/// Why a REFER is refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ReferRefusal {
    /// The REFER came in a dialog that is not confirmed (still ringing, or not yet acknowledged).
    #[error("a transfer is only followed in a call in progress")]
    NotConfirmed,
    /// There is no Refer-To, or it is not a name-addr or addr-spec.
    #[error("the transfer target is missing or unreadable")]
    Unreadable,
    /// The target is not a `sip:`, `sips:` or `tel:` URI.
    #[error("the transfer target {0} is not a SIP or telephone address")]
    Scheme(String),
    /// The target is outside our domain and no pattern allows it.
    #[error("the transfer target {0} is not in this phone's SIP domain nor among the allowed transfer targets")]
    Foreign(String),
    /// An escaped header in the target decodes to a CR, LF or NUL, or to invalid text.
    #[error("the transfer target carries a header with line breaks or invalid bytes")]
    UnsafeHeader,
    /// The target carries a header other than Replaces, or a Replaces that names no dialog.
    #[error("the transfer target carries a header other than a well-formed Replaces ({0})")]
    ForbiddenHeader(String),
    /// The target asks for a method other than INVITE.
    #[error("the transfer asks for a {0} instead of a call")]
    Method(String),
}

impl ReferRefusal {
    /// The status the REFER is answered with: 400 when there is no readable Refer-To (RFC 3515
    /// §2.4.1), else 403, injected bytes included.
    pub fn status(&self) -> u16 {
        match self {
            ReferRefusal::Unreadable => 400,
            _ => 403,
        }
    }
}

/// A REFER target the agent may call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReferTarget {
    /// Where to call, without embedded headers (a `tel:` target as `sip:number@our-domain`).
    pub uri: Uri,
    /// The decoded `Replaces` value, for the INVITE.
    pub replaces: Option<String>,
    /// The number to run through the dialling rules: the user part of a target in our domain
    /// when it is a telephone number (or a `tel:` number), none for a name or a target elsewhere.
    pub dial: Option<String>,
}

/// The text of a Refer-To value for events, with any embedded headers left out.
pub(crate) fn shown_target(value: &[u8]) -> String {
    match NameAddr::parse(value) {
        Ok(address) => Uri { headers: vec![], ..address.uri }.to_string(),
        Err(_) => String::from_utf8_lossy(value).chars().filter(|c| !c.is_control()).take(256).collect(),
    }
}

/// Checks a Refer-To value against the rules above; `domain` is our SIP domain.
pub(crate) fn check_refer_to(
    value: Option<&[u8]>,
    domain: &str,
    patterns: &[TransferPattern],
) -> Result<ReferTarget, ReferRefusal> {
    let address = value.and_then(|v| NameAddr::parse(v).ok()).ok_or(ReferRefusal::Unreadable)?;
    let mut uri = address.uri;
    let mut replaces = None;
    for (name, escaped) in &uri.headers {
        let decoded = unescape_strict(escaped).ok_or(ReferRefusal::UnsafeHeader)?;
        let name_decoded = unescape_strict(name).ok_or(ReferRefusal::UnsafeHeader)?;
        if !name_decoded.eq_ignore_ascii_case("replaces") || replaces.is_some() {
            return Err(ReferRefusal::ForbiddenHeader(name_decoded));
        }
        let well_formed = value_with_params(decoded.as_bytes()).is_ok_and(|(call_id, params)| {
            !call_id.contains(char::is_whitespace)
                && params.get("to-tag").flatten().is_some()
                && params.get("from-tag").flatten().is_some()
        });
        if !well_formed {
            return Err(ReferRefusal::ForbiddenHeader("Replaces".into()));
        }
        replaces = Some(decoded);
    }
    uri.headers.clear();
    if let Some(method) = uri.param("method").map(|m| m.unwrap_or_default().to_owned())
        && !method.eq_ignore_ascii_case("INVITE")
    {
        return Err(ReferRefusal::Method(method));
    }
    match uri.scheme {
        Scheme::Tel => {
            // A telephone number goes through our own server, like a dialled number.
            let number = uri.host.clone();
            let target = Uri::sip(Some(&number), domain);
            return Ok(ReferTarget { uri: target, replaces, dial: Some(number) });
        }
        Scheme::Sip | Scheme::Sips => {}
        Scheme::Other(_) => return Err(ReferRefusal::Scheme(uri.to_string())),
    }
    let user = uri.user_unescaped().map(|u| String::from_utf8_lossy(&u).into_owned());
    if user.as_deref().is_some_and(|u| has_line_breaking_byte(u.as_bytes())) {
        return Err(ReferRefusal::UnsafeHeader);
    }
    if uri.host.eq_ignore_ascii_case(domain) {
        let dial = user.filter(|u| is_telephone_number(u));
        return Ok(ReferTarget { uri, replaces, dial });
    }
    if patterns.iter().any(|p| p.matches(user.as_deref(), &uri.host)) {
        return Ok(ReferTarget { uri, replaces, dial: None });
    }
    Err(ReferRefusal::Foreign(uri.to_string()))
}

/// Whether a user part is a telephone number or extension (digits with an optional leading `+`,
/// `*`, `#` and visual separators), which the dialling rules may rewrite; names are not.
fn is_telephone_number(user: &str) -> bool {
    let digits = user.strip_prefix('+').unwrap_or(user);
    digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'#' | b'-' | b'.' | b'(' | b')'))
}

/// `%XX` escapes undone; `None` for an invalid escape, invalid UTF-8, or a decoded CR, LF or NUL.
fn unescape_strict(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok())?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if has_line_breaking_byte(&out) {
        return None;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "framephone.test";

    fn check(value: &str, patterns: &[&str]) -> Result<ReferTarget, ReferRefusal> {
        let patterns: Vec<TransferPattern> =
            patterns.iter().map(|p| TransferPattern::parse(p).expect("pattern")).collect();
        check_refer_to(Some(value.as_bytes()), DOMAIN, &patterns)
    }

    #[test]
    fn targets_in_our_domain_and_tel_numbers_are_followed_with_their_number_for_the_dial_plan() {
        let target = check("<sip:1003@FramePhone.test>", &[]).expect("own domain");
        assert_eq!((target.uri.to_string(), target.dial.as_deref()), ("sip:1003@FramePhone.test".into(), Some("1003")));
        assert_eq!(check("<sip:alice@framephone.test>", &[]).expect("own domain").dial, None, "a name is no number");
        let target = check("<tel:+15550100199>", &[]).expect("tel");
        assert_eq!(target.uri.to_string(), "sip:+15550100199@framephone.test");
        assert_eq!(target.dial.as_deref(), Some("+15550100199"));
    }

    #[test]
    fn foreign_domains_need_a_pattern() {
        let foreign = "<sip:+19005550199@evil.example>";
        assert_eq!(check(foreign, &[]), Err(ReferRefusal::Foreign("sip:+19005550199@evil.example".into())));
        assert_eq!(
            check(foreign, &["partner.example", "*.evil.example"]).map(|_| ()),
            Err(ReferRefusal::Foreign("sip:+19005550199@evil.example".into()))
        );
        assert!(check(foreign, &["evil.example"]).is_ok());
        assert!(check("<sip:42@a.partner.example>", &["*.partner.example"]).is_ok());
        assert!(check("<sip:42@a.b.partner.example>", &["*.partner.example"]).is_err());
        assert!(check("<sip:42@partner.example.evil.test>", &["partner.example"]).is_err());
        assert!(check("<sip:+4420123@gw.example>", &["+4420*@gw.example"]).is_ok());
        assert!(check("<sip:+1900123@gw.example>", &["+4420*@gw.example"]).is_err());
        assert!(check("<sip:gw.example>", &["+4420*@gw.example"]).is_err(), "a user pattern needs a user");
        let target = check("<sip:42@partner.example>", &["partner.example"]).expect("allowed");
        assert_eq!(target.dial, None, "a number on another server is not ours to rewrite");
    }

    #[test]
    fn other_schemes_and_methods_are_refused() {
        assert!(matches!(check("<http://evil.example/>", &[]), Err(ReferRefusal::Scheme(_))));
        assert!(matches!(check("<sip:1003@framephone.test;method=BYE>", &[]), Err(ReferRefusal::Method(_))));
        assert!(check("<sip:1003@framephone.test;method=INVITE>", &[]).is_ok());
        assert_eq!(check("not a uri at all", &[]), Err(ReferRefusal::Unreadable));
        assert_eq!(check_refer_to(None, DOMAIN, &[]), Err(ReferRefusal::Unreadable));
    }

    #[test]
    fn embedded_headers_are_replaces_only_and_never_break_lines() {
        let good = "<sip:1003@framephone.test?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>";
        assert_eq!(check(good, &[]).expect("replaces").replaces.as_deref(), Some("abc@h;to-tag=1;from-tag=2"));
        for injected in [
            "<sip:1003@framephone.test?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2%0D%0AX-Injected%3A%20yes>",
            "<sip:1003@framephone.test?Replaces=abc%0Ato-tag%3D1%3Bfrom-tag%3D2>",
            "<sip:1003@framephone.test?Replaces=abc%00%3Bto-tag%3D1%3Bfrom-tag%3D2>",
            "<sip:1003@framephone.test?Replaces=%FF%FE>",
            "<sip:1003@framephone.test?X%0D%0AY=1>",
        ] {
            assert_eq!(check(injected, &[]).map(|_| ()), Err(ReferRefusal::UnsafeHeader), "{injected}");
        }
        let bad_escape = check("<sip:1003@framephone.test?Replaces=abc%ZZ>", &[]);
        assert_eq!(bad_escape.map(|_| ()).map_err(|e| e.status()), Err(400));
        for other in [
            "<sip:1003@framephone.test?Subject=hi>",
            "<sip:1003@framephone.test?Replaces=abc>",
            "<sip:1003@framephone.test?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2&Replaces=b%3Bto-tag%3D1%3Bfrom-tag%3D2>",
        ] {
            assert!(matches!(check(other, &[]), Err(ReferRefusal::ForbiddenHeader(_))), "{other}");
        }
    }

    #[test]
    fn patterns_are_checked_when_read() {
        assert!(TransferPattern::parse("partner.example").is_ok());
        assert!(TransferPattern::parse("*.partner.example").is_ok());
        assert!(TransferPattern::parse("+4420*@gw.example").is_ok());
        assert!(TransferPattern::parse("*@gw.example").is_ok());
        assert_eq!(TransferPattern::parse(" "), Err(PatternError::Empty));
        assert!(matches!(TransferPattern::parse("a.*.example"), Err(PatternError::Host(_))));
        assert!(matches!(TransferPattern::parse("*"), Err(PatternError::Host(_))));
        assert!(matches!(TransferPattern::parse("a*b@gw.example"), Err(PatternError::User(_))));
        assert!(TransferPattern::parse("x@gw.example\r\n").is_ok(), "surrounding space is trimmed");
        assert!(matches!(TransferPattern::parse("x\r\ny@gw.example"), Err(PatternError::User(_))));
    }
}
