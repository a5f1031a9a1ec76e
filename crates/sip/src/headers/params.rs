//! Header parameters: `;name`, `;name=token`, `;name="quoted string"`.

use super::{HeaderError, quoted_string};
use crate::message::{is_token_byte, trim_lws};

/// Parameters in order; names compare case-insensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(pub Vec<(String, Option<String>)>);

impl Params {
    /// The value of `name`: `Some(None)` for a parameter without a value.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_deref())
    }

    /// Whether `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

/// Parses `*(SEMI param)`; the input starts at the first `;` (or is empty).
pub fn parse_params(bytes: &[u8]) -> Result<Params, HeaderError> {
    let mut params = Vec::new();
    let mut rest = trim_lws(bytes);
    while !rest.is_empty() {
        rest = trim_lws(rest.strip_prefix(b";").ok_or(HeaderError::Syntax("parameters must start with ;"))?);
        let name_end = rest.iter().position(|b| !is_token_byte(*b)).unwrap_or(rest.len());
        if name_end == 0 {
            return Err(HeaderError::Syntax("a parameter has no name"));
        }
        let name = String::from_utf8_lossy(&rest[..name_end]).into_owned();
        rest = trim_lws(&rest[name_end..]);
        let value = if let Some(after) = rest.strip_prefix(b"=") {
            let after = trim_lws(after);
            if after.first() == Some(&b'"') {
                let (value, used) = quoted_string(after)?;
                rest = trim_lws(&after[used..]);
                Some(String::from_utf8_lossy(&value).into_owned())
            } else {
                // token, host or IPv6 reference: everything up to the next ';'.
                let end = after.iter().position(|b| *b == b';').unwrap_or(after.len());
                let value = trim_lws(&after[..end]);
                let valid =
                    !value.is_empty() && value.iter().all(|b| is_token_byte(*b) || matches!(b, b':' | b'[' | b']'));
                if !valid {
                    return Err(HeaderError::Syntax("a parameter value is neither a token nor a quoted string"));
                }
                rest = &after[end..];
                Some(String::from_utf8_lossy(value).into_owned())
            }
        } else {
            None
        };
        params.push((name, value));
    }
    Ok(Params(params))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_of_every_kind() {
        let params = parse_params(br#" ; tag = 1928301774;lr; received=[2001:db8::9];note="a;b \"c\"""#).unwrap();
        assert_eq!(params.get("TAG"), Some(Some("1928301774")));
        assert_eq!(params.get("lr"), Some(None));
        assert_eq!(params.get("received"), Some(Some("[2001:db8::9]")));
        assert_eq!(params.get("note"), Some(Some("a;b \"c\"")));
        assert_eq!(params.get("missing"), None);
    }

    #[test]
    fn malformed_params() {
        assert!(parse_params(b";").is_err());
        assert!(parse_params(b";=x").is_err());
        assert!(parse_params(b";a=").is_err());
        assert!(parse_params(b";a=\"open").is_err());
        assert!(parse_params(b"a=b").is_err());
        assert!(parse_params(b";a=b c").is_err());
    }
}
