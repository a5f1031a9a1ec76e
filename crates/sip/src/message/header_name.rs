//! Header names: case-insensitive, with the compact forms of RFC 3261 §7.3.3 and later RFCs.

use std::fmt;

macro_rules! header_names {
    ($( $variant:ident => $canonical:literal $(, $compact:literal)? ;)*) => {
        /// A header name. Known names are variants; any other token is kept as written.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum HeaderName {
            $(
                #[doc = $canonical]
                $variant,
            )*
            /// A header this crate has no name for, spelled as it arrived.
            Other(String),
        }

        impl HeaderName {
            /// The name as this crate writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(HeaderName::$variant => $canonical,)*
                    HeaderName::Other(name) => name,
                }
            }

            /// Recognises a name in any case, long or compact; `None` if it is not a token.
            pub fn parse(name: &[u8]) -> Option<HeaderName> {
                if name.is_empty() || !name.iter().all(|b| super::parse::is_token_byte(*b)) {
                    return None;
                }
                $(
                    if name.eq_ignore_ascii_case($canonical.as_bytes()) $(|| name.eq_ignore_ascii_case($compact.as_bytes()))? {
                        return Some(HeaderName::$variant);
                    }
                )*
                // Token bytes are ASCII.
                Some(HeaderName::Other(String::from_utf8_lossy(name).into_owned()))
            }
        }
    };
}

header_names! {
    Accept => "Accept";
    AcceptContact => "Accept-Contact", "a";
    AcceptEncoding => "Accept-Encoding";
    Allow => "Allow";
    AllowEvents => "Allow-Events", "u";
    Authorization => "Authorization";
    CallId => "Call-ID", "i";
    Contact => "Contact", "m";
    ContentDisposition => "Content-Disposition";
    ContentEncoding => "Content-Encoding", "e";
    ContentLength => "Content-Length", "l";
    ContentType => "Content-Type", "c";
    CSeq => "CSeq";
    Event => "Event", "o";
    Expires => "Expires";
    From => "From", "f";
    MaxForwards => "Max-Forwards";
    MinExpires => "Min-Expires";
    MinSe => "Min-SE";
    ProxyAuthenticate => "Proxy-Authenticate";
    ProxyAuthorization => "Proxy-Authorization";
    ProxyRequire => "Proxy-Require";
    Reason => "Reason";
    RecordRoute => "Record-Route";
    ReferTo => "Refer-To", "r";
    ReferredBy => "Referred-By", "b";
    Replaces => "Replaces";
    Require => "Require";
    Route => "Route";
    SessionExpires => "Session-Expires", "x";
    Subject => "Subject", "s";
    SubscriptionState => "Subscription-State";
    Supported => "Supported", "k";
    To => "To", "t";
    Unsupported => "Unsupported";
    UserAgent => "User-Agent";
    Via => "Via", "v";
    WwwAuthenticate => "WWW-Authenticate";
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for HeaderName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str().eq_ignore_ascii_case(other)
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderName;

    #[test]
    fn long_and_compact_forms_in_any_case() {
        assert_eq!(HeaderName::parse(b"via"), Some(HeaderName::Via));
        assert_eq!(HeaderName::parse(b"V"), Some(HeaderName::Via));
        assert_eq!(HeaderName::parse(b"cAlL-iD"), Some(HeaderName::CallId));
        assert_eq!(HeaderName::parse(b"i"), Some(HeaderName::CallId));
        assert_eq!(HeaderName::parse(b"x"), Some(HeaderName::SessionExpires));
        assert_eq!(HeaderName::parse(b"X-Custom"), Some(HeaderName::Other("X-Custom".into())));
        assert_eq!(HeaderName::parse(b"Bad Name"), None);
        assert_eq!(HeaderName::parse(b""), None);
        assert_eq!(HeaderName::parse("Vía".as_bytes()), None);
    }
}
