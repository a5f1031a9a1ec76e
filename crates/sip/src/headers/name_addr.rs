//! `name-addr` and `addr-spec` with header parameters: From, To, Contact, Route,
//! Record-Route, Refer-To, Referred-By.

use super::{HeaderError, Params, parse_params, quoted_string, split_values};
use crate::message::{Uri, is_token_byte, trim_lws};

/// `"Display Name" <uri>;params` or `uri;params`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name, unquoted, as bytes (it may be any UTF-8, or not UTF-8 at all).
    pub display_name: Option<Vec<u8>>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (tag, expires, q, …).
    pub params: Params,
}

impl NameAddr {
    /// Parses one value.
    pub fn parse(value: &[u8]) -> Result<NameAddr, HeaderError> {
        let value = trim_lws(value);
        if value.is_empty() {
            return Err(HeaderError::Empty);
        }
        let (display_name, rest) = if value[0] == b'"' {
            let (name, used) = quoted_string(value)?;
            let rest = trim_lws(&value[used..]);
            if rest.first() != Some(&b'<') {
                return Err(HeaderError::Syntax("a quoted display name must be followed by <uri>"));
            }
            (Some(name), rest)
        } else if let Some(open) = value.iter().position(|b| *b == b'<') {
            let name = trim_lws(&value[..open]);
            let tokens_ok = name.iter().all(|b| is_token_byte(*b) || *b == b' ' || *b == b'\t');
            if !tokens_ok {
                return Err(HeaderError::Syntax("an unquoted display name may hold only tokens"));
            }
            ((!name.is_empty()).then(|| name.to_vec()), &value[open..])
        } else {
            // addr-spec: the URI ends at the first ';', which starts the header's parameters.
            let end = value.iter().position(|b| *b == b';').unwrap_or(value.len());
            let uri = Uri::parse(trim_lws(&value[..end])).map_err(HeaderError::Uri)?;
            return Ok(NameAddr { display_name: None, uri, params: parse_params(&value[end..])? });
        };
        let close = rest.iter().position(|b| *b == b'>').ok_or(HeaderError::UnclosedAngle)?;
        let uri = Uri::parse(&rest[1..close]).map_err(HeaderError::Uri)?;
        Ok(NameAddr { display_name, uri, params: parse_params(&rest[close + 1..])? })
    }

    /// The display name as text (invalid UTF-8 replaced), for showing to a person.
    pub fn display_text(&self) -> Option<String> {
        self.display_name.as_deref().map(|n| String::from_utf8_lossy(n).into_owned())
    }

    /// A header parameter.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params.get(name)
    }

    /// The `tag` parameter (From, To).
    pub fn tag(&self) -> Option<&str> {
        self.param("tag").flatten()
    }
}

/// The value of Contact headers: `*`, or addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Contact {
    /// `Contact: *` (REGISTER, remove all bindings).
    Star,
    /// One or more addresses.
    Addresses(Vec<NameAddr>),
}

impl Contact {
    /// Parses every Contact value of a message, given each line's bytes.
    pub fn parse_lines<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Result<Contact, HeaderError> {
        let values: Vec<&[u8]> = lines.into_iter().flat_map(split_values).collect();
        if values == [b"*".as_slice()] {
            return Ok(Contact::Star);
        }
        if values.contains(&b"*".as_slice()) {
            return Err(HeaderError::Syntax("Contact: * cannot be combined with addresses"));
        }
        values.into_iter().map(NameAddr::parse).collect::<Result<_, _>>().map(Contact::Addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_addr_forms() {
        let quoted = NameAddr::parse(br#""Alice \"A\" O'Neil" <sip:alice@atlanta.com>;tag=88"#).unwrap();
        assert_eq!(quoted.display_text().as_deref(), Some("Alice \"A\" O'Neil"));
        assert_eq!(quoted.tag(), Some("88"));
        let tokens = NameAddr::parse(b"Bob Smith <sip:bob@biloxi.com;transport=ws>;expires=60").unwrap();
        assert_eq!(tokens.display_text().as_deref(), Some("Bob Smith"));
        assert_eq!(tokens.uri.param("transport"), Some(Some("ws")));
        assert_eq!(tokens.param("expires"), Some(Some("60")));
        let bare = NameAddr::parse(b"sip:carol@chicago.com;tag=x").unwrap();
        assert_eq!((bare.display_name.as_deref(), bare.tag()), (None, Some("x")));
        assert_eq!(bare.uri.param("tag"), None, "in addr-spec form the parameter is the header's");
        let utf8 = NameAddr::parse("\"Zoë\" <sip:z@a.com>".as_bytes()).unwrap();
        assert_eq!(utf8.display_text().as_deref(), Some("Zoë"));
        let raw = NameAddr::parse(b"\"J\xfcrgen\" <sip:j@a.com>").unwrap();
        assert_eq!(raw.display_name.as_deref(), Some(&b"J\xfcrgen"[..]));
    }

    #[test]
    fn malformed_name_addrs() {
        assert_eq!(NameAddr::parse(b""), Err(HeaderError::Empty));
        assert_eq!(NameAddr::parse(b"<sip:a@b"), Err(HeaderError::UnclosedAngle));
        assert_eq!(NameAddr::parse(b"\"open <sip:a@b>"), Err(HeaderError::Unclosed));
        assert!(NameAddr::parse(b"\"x\" sip:a@b").is_err());
        assert!(NameAddr::parse(b"A@B <sip:a@b>").is_err());
        assert!(matches!(NameAddr::parse(b"<sip:a@b c>"), Err(HeaderError::Uri(_))));
    }

    #[test]
    fn contact_star_and_lists() {
        assert_eq!(Contact::parse_lines([&b"*"[..]]), Ok(Contact::Star));
        assert!(Contact::parse_lines([&b"*, <sip:a@b>"[..]]).is_err());
        let Ok(Contact::Addresses(list)) =
            Contact::parse_lines([&b"<sip:a@b>;q=0.7, \"X, Y\" <sip:c@d>"[..], b"sip:e@f"])
        else {
            panic!("a list")
        };
        assert_eq!(list.len(), 3);
        assert_eq!(list[1].display_text().as_deref(), Some("X, Y"));
    }
}
