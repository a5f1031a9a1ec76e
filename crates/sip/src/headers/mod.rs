//! Typed views of header values, parsed on demand from the bytes a [`crate::Headers`] keeps.
//!
//! RFC 3261 §7.3 and §25: comma-separated values (commas inside quoted strings and `<…>` do not
//! separate), quoted strings with quoted-pairs, parameters with and without values.

mod name_addr;
mod params;
mod via;

pub use name_addr::{Contact, NameAddr};
pub use params::{Params, parse_params};
pub use via::Via;

use thiserror::Error;

use crate::message::{Method, UriError};

/// Why a header value cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum HeaderError {
    /// The value is empty.
    #[error("the value is empty")]
    Empty,
    /// A quoted string is not closed.
    #[error("a quoted string is not closed")]
    Unclosed,
    /// A `<` without its `>`.
    #[error("a < has no matching >")]
    UnclosedAngle,
    /// The URI inside the value is invalid.
    #[error("its URI is invalid: {0}")]
    Uri(UriError),
    /// Something else does not follow the grammar; the text says what.
    #[error("{0}")]
    Syntax(&'static str),
}

/// Splits a header value at the commas that separate values, skipping commas inside quoted
/// strings and angle brackets. Empty pieces are dropped. Nothing is allocated.
pub fn split_values(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    SplitValues { rest: Some(value) }.map(crate::message::trim_lws).filter(|p| !p.is_empty())
}

struct SplitValues<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for SplitValues<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let value = self.rest?;
        let (mut quoted, mut escaped, mut angle) = (false, false, false);
        for (index, &b) in value.iter().enumerate() {
            if quoted {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => quoted = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => quoted = true,
                b'<' => angle = true,
                b'>' => angle = false,
                b',' if !angle => {
                    self.rest = Some(&value[index + 1..]);
                    return Some(&value[..index]);
                }
                _ => {}
            }
        }
        self.rest = None;
        Some(value)
    }
}

/// Reads a quoted string starting at `bytes[0] == b'"'`: its unescaped content and the number
/// of bytes it spans.
pub(crate) fn quoted_string(bytes: &[u8]) -> Result<(Vec<u8>, usize), HeaderError> {
    let mut out = Vec::new();
    let mut index = 1;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => {
                let next = *bytes.get(index + 1).ok_or(HeaderError::Unclosed)?;
                // A quoted-pair may not escape CR or LF (RFC 3261 §25.1).
                if next == b'\r' || next == b'\n' {
                    return Err(HeaderError::Syntax("a quoted-pair escapes a line break"));
                }
                out.push(next);
                index += 2;
            }
            b'"' => return Ok((out, index + 1)),
            b => {
                out.push(b);
                index += 1;
            }
        }
    }
    Err(HeaderError::Unclosed)
}

/// `CSeq: 4711 INVITE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number (below 2^31, RFC 3261 §8.1.1.5).
    pub number: u32,
    /// The method.
    pub method: Method,
}

impl CSeq {
    /// Parses a CSeq value.
    pub fn parse(value: &[u8]) -> Result<CSeq, HeaderError> {
        let text = crate::message::trim_lws(value);
        let split = text
            .iter()
            .position(|b| *b == b' ' || *b == b'\t')
            .ok_or(HeaderError::Syntax("CSeq needs a number and a method"))?;
        let digits = &text[..split];
        let method = crate::message::trim_lws(&text[split..]);
        if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(HeaderError::Syntax("the CSeq number is not a number"));
        }
        let number = digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        if number >= 1 << 31 {
            return Err(HeaderError::Syntax("the CSeq number is 2^31 or more"));
        }
        let method = Method::parse(method).ok_or(HeaderError::Syntax("the CSeq method is not a token"))?;
        Ok(CSeq { number: number as u32, method })
    }
}

/// A header that is a whole number of seconds or hops (Expires, Max-Forwards, Min-Expires).
pub fn parse_number(value: &[u8]) -> Result<u32, HeaderError> {
    let digits = crate::message::trim_lws(value);
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(HeaderError::Syntax("not a whole number"));
    }
    let number = digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    // RFC 3261: Expires values above 2^32-1 are to be treated as 2^32-1.
    Ok(number.min(u64::from(u32::MAX)) as u32)
}

/// A comma-separated list of tokens (Allow, Supported, Require, Unsupported).
pub fn parse_tokens(value: &[u8]) -> Result<Vec<String>, HeaderError> {
    split_values(value)
        .map(|token| {
            if token.iter().all(|b| crate::message::is_token_byte(*b)) {
                Ok(String::from_utf8_lossy(token).into_owned())
            } else {
                Err(HeaderError::Syntax("a list item is not a token"))
            }
        })
        .collect()
}

/// `value *(;param)` for headers such as Event, Subscription-State, Session-Expires, Reason,
/// Content-Type and Replaces: the leading value and its parameters.
pub fn value_with_params(value: &[u8]) -> Result<(String, Params), HeaderError> {
    let value = crate::message::trim_lws(value);
    if value.is_empty() {
        return Err(HeaderError::Empty);
    }
    let end = value.iter().position(|b| *b == b';').unwrap_or(value.len());
    let head = crate::message::trim_lws(&value[..end]);
    if head.is_empty() {
        return Err(HeaderError::Syntax("the value before the parameters is empty"));
    }
    Ok((String::from_utf8_lossy(head).into_owned(), parse_params(&value[end..])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_inside_quotes_and_brackets_do_not_split() {
        let value = br#""Doe, John" <sip:j@a.com;x=1,2>;q=0.5, <sip:k@b.com>,sip:l@c.com , "a\"," <sip:m@d>"#;
        let pieces: Vec<&[u8]> = split_values(value).collect();
        assert_eq!(
            pieces,
            vec![
                &br#""Doe, John" <sip:j@a.com;x=1,2>;q=0.5"#[..],
                b"<sip:k@b.com>",
                b"sip:l@c.com",
                br#""a\"," <sip:m@d>"#,
            ]
        );
    }

    #[test]
    fn cseq() {
        assert_eq!(CSeq::parse(b"4711 INVITE"), Ok(CSeq { number: 4711, method: Method::Invite }));
        assert_eq!(CSeq::parse(b"  1\t  REGISTER "), Ok(CSeq { number: 1, method: Method::Register }));
        assert!(CSeq::parse(b"INVITE").is_err());
        assert!(CSeq::parse(b"-1 INVITE").is_err());
        assert!(CSeq::parse(b"2147483648 INVITE").is_err());
        assert!(CSeq::parse(b"99999999999999999999 INVITE").is_err());
    }

    #[test]
    fn numbers_tokens_and_values_with_params() {
        assert_eq!(parse_number(b"3600"), Ok(3600));
        assert_eq!(parse_number(b"99999999999"), Err(HeaderError::Syntax("not a whole number")));
        assert_eq!(parse_number(b"4294967296"), Ok(u32::MAX));
        assert_eq!(parse_tokens(b"INVITE, ACK ,BYE"), Ok(vec!["INVITE".into(), "ACK".into(), "BYE".into()]));
        assert!(parse_tokens(b"INVITE, A C K").is_err());
        let (event, params) = value_with_params(b"presence ;id=7").unwrap();
        assert_eq!(event, "presence");
        assert_eq!(params.get("id"), Some(Some("7")));
        let (state, params) = value_with_params(b"terminated;reason=timeout").unwrap();
        assert_eq!((state.as_str(), params.get("reason")), ("terminated", Some(Some("timeout"))));
    }

    #[test]
    fn dialog_and_session_headers() {
        let (call_id, params) =
            value_with_params(b"98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only").unwrap();
        assert_eq!(call_id, "98732@sip.example.com");
        assert_eq!((params.get("from-tag"), params.get("to-tag")), (Some(Some("r33th4x0r")), Some(Some("ff87ff"))));
        assert!(params.has("early-only"));
        let (protocol, params) = value_with_params(br#"SIP ;cause=200 ;text="Call completed; elsewhere""#).unwrap();
        assert_eq!((protocol.as_str(), params.get("cause")), ("SIP", Some(Some("200"))));
        assert_eq!(params.get("text"), Some(Some("Call completed; elsewhere")));
        let (interval, params) = value_with_params(b"1800;refresher=uac").unwrap();
        assert_eq!((parse_number(interval.as_bytes()), params.get("refresher")), (Ok(1800), Some(Some("uac"))));
        let (state, params) = value_with_params(b"active;expires=3599").unwrap();
        assert_eq!((state.as_str(), params.get("expires")), ("active", Some(Some("3599"))));
        assert_eq!(value_with_params(b""), Err(HeaderError::Empty));
        assert!(value_with_params(b";tag=x").is_err());
        let refer_to =
            NameAddr::parse(b"<sip:1003@framephone.test?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>").unwrap();
        assert_eq!(
            refer_to.uri.headers,
            vec![("Replaces".to_owned(), "abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2".to_owned())]
        );
    }
}
