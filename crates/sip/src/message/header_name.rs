//! Header names: case-insensitive, with the compact forms of RFC 3261 §7.3.3 and later RFCs.

use std::fmt;

macro_rules! header_names {
    ($( $variant:ident => $canonical:literal, $lower:literal $(, $compact:literal)? ;)*) => {
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
                // Lower-case into a stack buffer, then one `match` on the bytes: the compiler
                // turns it into a switch on length and a few comparisons.
                let mut buffer = [0u8; 24];
                if let Some(lower) = buffer.get_mut(..name.len()) {
                    lower.copy_from_slice(name);
                    lower.make_ascii_lowercase();
                    match &*lower {
                        $( $lower $(| $compact)? => return Some(HeaderName::$variant), )*
                        _ => {}
                    }
                }
                // Token bytes are ASCII.
                Some(HeaderName::Other(String::from_utf8_lossy(name).into_owned()))
            }
        }
    };
}

header_names! {
    Accept => "Accept", b"accept";
    AcceptContact => "Accept-Contact", b"accept-contact", b"a";
    AcceptEncoding => "Accept-Encoding", b"accept-encoding";
    Allow => "Allow", b"allow";
    AllowEvents => "Allow-Events", b"allow-events", b"u";
    Authorization => "Authorization", b"authorization";
    CallId => "Call-ID", b"call-id", b"i";
    Contact => "Contact", b"contact", b"m";
    ContentDisposition => "Content-Disposition", b"content-disposition";
    ContentEncoding => "Content-Encoding", b"content-encoding", b"e";
    ContentLength => "Content-Length", b"content-length", b"l";
    ContentType => "Content-Type", b"content-type", b"c";
    CSeq => "CSeq", b"cseq";
    Event => "Event", b"event", b"o";
    Expires => "Expires", b"expires";
    From => "From", b"from", b"f";
    MaxForwards => "Max-Forwards", b"max-forwards";
    MinExpires => "Min-Expires", b"min-expires";
    MinSe => "Min-SE", b"min-se";
    ProxyAuthenticate => "Proxy-Authenticate", b"proxy-authenticate";
    ProxyAuthorization => "Proxy-Authorization", b"proxy-authorization";
    ProxyRequire => "Proxy-Require", b"proxy-require";
    Reason => "Reason", b"reason";
    RecordRoute => "Record-Route", b"record-route";
    ReferTo => "Refer-To", b"refer-to", b"r";
    ReferredBy => "Referred-By", b"referred-by", b"b";
    Replaces => "Replaces", b"replaces";
    Require => "Require", b"require";
    RetryAfter => "Retry-After", b"retry-after";
    Route => "Route", b"route";
    Server => "Server", b"server";
    SipETag => "SIP-ETag", b"sip-etag";
    SipIfMatch => "SIP-If-Match", b"sip-if-match";
    SessionExpires => "Session-Expires", b"session-expires", b"x";
    Subject => "Subject", b"subject", b"s";
    SubscriptionState => "Subscription-State", b"subscription-state";
    Supported => "Supported", b"supported", b"k";
    To => "To", b"to", b"t";
    Unsupported => "Unsupported", b"unsupported";
    UserAgent => "User-Agent", b"user-agent";
    Via => "Via", b"via", b"v";
    WwwAuthenticate => "WWW-Authenticate", b"www-authenticate";
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
