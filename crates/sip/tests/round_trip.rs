//! `parse(serialize(m)) == m` for every message this crate can build (property tests).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use sip::message::{HeaderName, Headers, Message, Method, Request, Response, Scheme, Uri};

/// A URI parameter or header name: unreserved characters only.
fn uri_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.!~*'()-]{1,12}"
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

fn escaped(plain: &'static str) -> impl Strategy<Value = String> {
    prop::collection::vec(prop_oneof![plain.prop_map(|s: String| s), "%[0-9A-Fa-f]{2}"], 1..4).prop_map(|p| p.concat())
}

fn uri() -> impl Strategy<Value = Uri> {
    let user = prop::option::of(escaped("[A-Za-z0-9_.!~*'()&=+$,;?/-]{1,6}"));
    let password = prop::option::of(escaped("[A-Za-z0-9_.!~*'()&=+$,-]{1,6}"));
    let host = prop_oneof![
        prop::collection::vec(label(), 1..4).prop_map(|l| l.join(".")),
        (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255).prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        "\\[[0-9a-f]{1,4}(:[0-9a-f]{1,4}){1,7}\\]",
    ];
    let params =
        prop::collection::vec((uri_name(), prop::option::of(escaped("[A-Za-z0-9_.!~*'()\\[\\]/:&+$-]{1,6}"))), 0..3);
    let headers = prop::collection::vec((uri_name(), escaped("[A-Za-z0-9_.!~*'()\\[\\]/?:+$-]{1,6}")), 0..2);
    (any::<bool>(), user, password, host, prop::option::of(1u16..), params, headers).prop_map(
        |(secure, user, password, host, port, params, headers)| Uri {
            scheme: if secure { Scheme::Sips } else { Scheme::Sip },
            password: user.as_ref().and(password),
            user,
            host,
            port,
            params,
            headers,
        },
    )
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Invite),
        Just(Method::Ack),
        Just(Method::Bye),
        Just(Method::Register),
        Just(Method::Notify),
        Just(Method::Refer),
        "X[A-Z0-9.!%*_+`'~-]{0,10}".prop_map(|t| Method::parse(t.as_bytes()).expect("a token")),
    ]
}

/// A header value: any bytes but CR, LF and NUL (which the serializer refuses), without
/// surrounding whitespace.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>().prop_filter("no line breaks", |b| !matches!(b, b'\r' | b'\n' | 0)), 0..40)
        .prop_map(|v| sip_trim(&v).to_vec())
}

fn sip_trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != b' ' && *b != b'\t').unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| *b != b' ' && *b != b'\t').map_or(start, |i| i + 1);
    &bytes[start..end]
}

fn header_name() -> impl Strategy<Value = HeaderName> {
    prop_oneof![
        Just(HeaderName::Via),
        Just(HeaderName::From),
        Just(HeaderName::To),
        Just(HeaderName::CallId),
        Just(HeaderName::CSeq),
        Just(HeaderName::Contact),
        Just(HeaderName::WwwAuthenticate),
        Just(HeaderName::SessionExpires),
        "X-[A-Za-z0-9.!%*_+`'~-]{1,10}".prop_map(HeaderName::Other),
    ]
}

fn headers() -> impl Strategy<Value = Headers> {
    prop::collection::vec((header_name(), value()), 0..12).prop_map(|list| {
        let mut headers = Headers::new();
        for (name, value) in list {
            headers.push(name, value);
        }
        headers
    })
}

fn message() -> impl Strategy<Value = Message> {
    let body = prop::collection::vec(any::<u8>(), 0..64);
    let request = (method(), uri(), headers(), body.clone()).prop_map(|(method, uri, headers, body)| {
        let mut request = Request::new(method, uri);
        request.headers = headers;
        request.body = body;
        Message::Request(request)
    });
    let reason =
        prop::collection::vec(any::<u8>().prop_filter("no line breaks", |b| !matches!(b, b'\r' | b'\n' | 0)), 0..30);
    let response = (100u16..=699, reason, headers(), body).prop_map(|(status, reason, headers, body)| {
        let mut response = Response::new(status);
        response.reason = reason;
        response.headers = headers;
        response.body = body;
        Message::Response(response)
    });
    prop_oneof![request, response]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn parse_of_serialize_is_identity(message in message()) {
        let bytes = message.to_bytes().expect("no CR, LF or NUL outside the body");
        prop_assert_eq!(Message::parse(&bytes), Ok(message));
    }

    #[test]
    fn a_cr_lf_or_nul_in_any_header_value_is_refused(
        message in message(),
        value in value(),
        at in any::<prop::sample::Index>(),
        byte in prop_oneof![Just(b'\r'), Just(b'\n'), Just(0u8)],
    ) {
        let mut value = value;
        value.insert(at.index(value.len() + 1), byte);
        let mut message = message;
        match &mut message {
            Message::Request(request) => request.headers.push(HeaderName::Subject, value),
            Message::Response(response) => response.headers.push(HeaderName::Subject, value),
        }
        prop_assert!(message.to_bytes().is_err());
    }

    #[test]
    fn uris_survive_display_and_parse(uri in uri()) {
        prop_assert_eq!(Uri::parse(uri.to_string().as_bytes()), Ok(uri));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Message::parse(&bytes);
        let _ = sip::validate(&bytes, &sip::Capabilities::default());
    }
}
