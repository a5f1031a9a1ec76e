//! What a user agent does with bytes it received, before any transaction or dialog sees them
//! (RFC 3261 §8.2 for requests, §8.1.3.3 and §18.1.2 for responses).
//!
//! A request that fails a check gets the response the RFC names (400, 416, 420, 415, 481,
//! 501, 505); an ACK is never answered; a response that fails a check is dropped silently.

use std::fmt;

use crate::headers::{CSeq, NameAddr, Via, parse_tokens, split_values, value_with_params};
use crate::message::{HeaderName, Message, Method, ParseError, Request, Response, SIP_2_0, Scheme, parse_lenient};

/// What to do with received bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Process the message.
    Accept(Message),
    /// Send this response and do not process the request.
    Respond(Response),
    /// Ignore the bytes, without answering.
    Drop(DropReason),
}

/// Why bytes are dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Not readable as a SIP message at all.
    Unreadable(ParseError),
    /// An ACK that fails a check (ACK is never answered).
    BadAck(String),
    /// A response that fails a check.
    BadResponse(String),
    /// A request whose Via, From, To, Call-ID or CSeq holds a NUL or a stray CR or LF: every
    /// answer must repeat those headers, and the serializer refuses such bytes, so it cannot be
    /// answered (nor may it ring).
    Unanswerable(String),
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Unreadable(error) => write!(f, "unreadable: {error}"),
            DropReason::BadAck(why) => write!(f, "ACK dropped: {why}"),
            DropReason::BadResponse(why) => write!(f, "response dropped: {why}"),
            DropReason::Unanswerable(name) => {
                write!(f, "request dropped: its {name} holds a NUL, CR or LF byte that no answer may repeat")
            }
        }
    }
}

/// What the user agent knows about its own dialogs and transactions, for 481.
pub trait UaState {
    /// Whether a dialog exists with this Call-ID and tags (ours is the request's To tag).
    fn has_dialog(&self, call_id: &[u8], local_tag: &str, remote_tag: Option<&str>) -> bool;
    /// Whether a server transaction exists that this CANCEL cancels.
    fn has_transaction_to_cancel(&self, cancel: &Request) -> bool;
}

/// A user agent with no dialogs and no transactions (what `sip-check` assumes).
pub struct NoState;

impl UaState for NoState {
    fn has_dialog(&self, _: &[u8], _: &str, _: Option<&str>) -> bool {
        false
    }
    fn has_transaction_to_cancel(&self, _: &Request) -> bool {
        false
    }
}

/// What the user agent implements.
pub struct Capabilities<'a> {
    /// Methods it handles; others get 501 with an Allow header.
    pub methods: &'a [Method],
    /// Option tags it supports; a Require naming another gets 420.
    pub extensions: &'a [&'a str],
    /// Body types it understands; others get 415.
    pub content_types: &'a [&'a str],
    /// Its dialogs and transactions.
    pub state: &'a dyn UaState,
}

/// The methods a softphone handles.
pub const SOFTPHONE_METHODS: &[Method] = &[
    Method::Invite,
    Method::Ack,
    Method::Bye,
    Method::Cancel,
    Method::Options,
    Method::Info,
    Method::Update,
    Method::Notify,
    Method::Refer,
    Method::Message,
];

/// The option tags a softphone supports.
pub const SOFTPHONE_EXTENSIONS: &[&str] = &["replaces", "outbound", "path", "timer", "norefersub"];

/// The body types a softphone understands.
pub const SOFTPHONE_CONTENT_TYPES: &[&str] = &[
    "application/sdp",
    "application/dtmf-relay",
    "application/dtmf",
    "message/sipfrag",
    "text/plain",
    "application/pidf+xml",
    "application/dialog-info+xml",
];

impl Default for Capabilities<'_> {
    fn default() -> Self {
        Capabilities {
            methods: SOFTPHONE_METHODS,
            extensions: SOFTPHONE_EXTENSIONS,
            content_types: SOFTPHONE_CONTENT_TYPES,
            state: &NoState,
        }
    }
}

/// Decides what to do with one received message.
pub fn validate(bytes: &[u8], capabilities: &Capabilities<'_>) -> Verdict {
    let (message, problems) = match parse_lenient(bytes) {
        Ok(parsed) => parsed,
        Err(error) => return Verdict::Drop(DropReason::Unreadable(error)),
    };
    match message {
        Message::Response(response) => match check_response(&response, &problems) {
            Ok(()) => Verdict::Accept(Message::Response(response)),
            Err(why) => Verdict::Drop(DropReason::BadResponse(why)),
        },
        Message::Request(request) if let Some(name) = unanswerable(&request) => {
            Verdict::Drop(DropReason::Unanswerable(name))
        }
        Message::Request(request) => match check_request(&request, &problems, capabilities) {
            Ok(()) => Verdict::Accept(Message::Request(request)),
            Err(response) if request.method == Method::Ack => {
                Verdict::Drop(DropReason::BadAck(String::from_utf8_lossy(&response.reason).into_owned()))
            }
            Err(response) => Verdict::Respond(response),
        },
    }
}

/// The first header every response repeats that holds a byte the serializer refuses.
fn unanswerable(request: &Request) -> Option<String> {
    let copied = [HeaderName::Via, HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq];
    copied
        .into_iter()
        .find(|name| request.headers.all(name).any(crate::message::has_line_breaking_byte))
        .map(|n| n.to_string())
}

fn check_response(response: &Response, problems: &[ParseError]) -> Result<(), String> {
    if !(100..=699).contains(&response.status) {
        return Err(format!("status code {} is outside 100–699", response.status));
    }
    if !response.version.eq_ignore_ascii_case(SIP_2_0) {
        return Err(format!("version {} is not SIP/2.0", response.version));
    }
    if let Some(problem) = problems.first() {
        return Err(problem.to_string());
    }
    let vias = response.headers.values(&HeaderName::Via).count();
    if vias != 1 {
        return Err(format!("it has {vias} Via values; a response to us has exactly one"));
    }
    check_common(&response.headers).map(drop)
}

/// Checks Via, From, To, Call-ID and CSeq; returns the CSeq.
fn check_common(headers: &crate::Headers) -> Result<CSeq, String> {
    for via in headers.values(&HeaderName::Via) {
        Via::parse(via).map_err(|e| format!("Via: {e}"))?;
    }
    if headers.count(&HeaderName::Via) == 0 {
        return Err("Via is missing".into());
    }
    for name in [HeaderName::From, HeaderName::To, HeaderName::CallId, HeaderName::CSeq] {
        match headers.count(&name) {
            0 => return Err(format!("{name} is missing")),
            1 => {}
            _ => return Err(format!("{name} appears more than once")),
        }
    }
    for name in [HeaderName::From, HeaderName::To] {
        let value = headers.get(&name).unwrap_or_default();
        NameAddr::parse(value).map_err(|e| format!("{name}: {e}"))?;
    }
    let call_id = headers.get(&HeaderName::CallId).unwrap_or_default();
    if call_id.is_empty() || call_id.iter().any(|b| b.is_ascii_whitespace()) {
        return Err("Call-ID is empty or holds spaces".into());
    }
    CSeq::parse(headers.get(&HeaderName::CSeq).unwrap_or_default()).map_err(|e| format!("CSeq: {e}"))
}

fn check_request(request: &Request, problems: &[ParseError], capabilities: &Capabilities<'_>) -> Result<(), Response> {
    let reply = |status: u16, detail: &str| {
        let mut response = Response::to_request(request, status, None);
        if !detail.is_empty() {
            response.reason = format!("{} ({detail})", crate::message::reason_phrase(status)).into_bytes();
        }
        response
    };
    if !request.version.eq_ignore_ascii_case(SIP_2_0) {
        return Err(reply(505, ""));
    }
    if let Some(problem) = problems.first() {
        return Err(reply(400, &problem.to_string()));
    }
    let cseq = check_common(&request.headers).map_err(|why| reply(400, &why))?;
    if cseq.method != request.method {
        return Err(reply(400, "the CSeq method differs from the request's"));
    }
    if let Some(max_forwards) = request.headers.get(&HeaderName::MaxForwards) {
        crate::headers::parse_number(max_forwards).map_err(|_| reply(400, "Max-Forwards is not a number"))?;
    }
    if !matches!(request.uri.scheme, Scheme::Sip | Scheme::Sips) {
        return Err(reply(416, ""));
    }
    if !capabilities.methods.contains(&request.method) {
        let mut response = reply(501, "");
        response.headers.push(HeaderName::Allow, join(capabilities.methods.iter().map(Method::as_str)));
        return Err(response);
    }
    if request.method != Method::Cancel && request.method != Method::Ack {
        let mut unsupported = Vec::new();
        for value in request.headers.all(&HeaderName::Require) {
            let tokens = parse_tokens(value).map_err(|_| reply(400, "Require is not a list of option tags"))?;
            for tag in tokens {
                if !capabilities.extensions.iter().any(|e| e.eq_ignore_ascii_case(&tag)) {
                    unsupported.push(tag);
                }
            }
        }
        if !unsupported.is_empty() {
            let mut response = reply(420, "");
            response.headers.push(HeaderName::Unsupported, unsupported.join(", "));
            return Err(response);
        }
    }
    check_body(request, capabilities).map_err(|(status, detail)| {
        let mut response = reply(status, detail);
        if status == 415 {
            response.headers.push(HeaderName::Accept, join(capabilities.content_types.iter().copied()));
            response.headers.push(HeaderName::AcceptEncoding, "identity");
        }
        response
    })?;
    if request.method == Method::Invite && !accepts_sdp(request) {
        // RFC 4475 §3.3.15: our answer would be SDP, which the caller says it cannot take.
        let mut response = reply(406, "the Accept header excludes application/sdp");
        response.headers.push(HeaderName::Accept, "application/sdp");
        return Err(response);
    }
    check_state(request, capabilities).map_err(|detail| reply(481, detail))
}

/// Whether the request's Accept (if any) admits `application/sdp`; an Accept present but empty
/// admits nothing (RFC 3261 §20.1).
fn accepts_sdp(request: &Request) -> bool {
    if request.headers.count(&HeaderName::Accept) == 0 {
        return true;
    }
    request.headers.values(&HeaderName::Accept).any(|value| {
        let media = value_with_params(value).map(|(media, params)| {
            let refused = params.get("q").flatten().is_some_and(|q| at_most_zero(q.trim()));
            (media.trim().to_ascii_lowercase(), refused)
        });
        matches!(media, Ok((media, false)) if matches!(media.as_str(), "application/sdp" | "application/*" | "*/*"))
    })
}

/// Whether an Accept `q` value refuses its type: a number no greater than zero. A q-value is 0
/// to 1 with at most three decimals (RFC 3261 §25.1); it is read leniently, as an optional sign,
/// digits and a fraction, so that `0.0000` and `-1` refuse too, while what does not read so (an
/// exponent, a word, NaN) refuses nothing. Our own reader, because `str::parse::<f32>` brings
/// the float parser's tables (about 11 KB of the wasm) that nothing else needs.
fn at_most_zero(text: &str) -> bool {
    let (negative, number) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let reads =
        !(whole.is_empty() && fraction.is_empty()) && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit());
    reads && (negative || whole.bytes().chain(fraction.bytes()).all(|b| b == b'0'))
}

fn check_body(request: &Request, capabilities: &Capabilities<'_>) -> Result<(), (u16, &'static str)> {
    if let Some(encoding) = request.headers.get(&HeaderName::ContentEncoding) {
        let identity = split_values(encoding).all(|e| e.eq_ignore_ascii_case(b"identity"));
        if !identity {
            return Err((415, "unsupported Content-Encoding"));
        }
    }
    if request.body.is_empty() {
        return Ok(());
    }
    let Some(content_type) = request.headers.get(&HeaderName::ContentType) else {
        return Err((400, "a body without Content-Type"));
    };
    let (media_type, _) = value_with_params(content_type).map_err(|_| (400, "Content-Type cannot be read"))?;
    let known = capabilities.content_types.iter().any(|t| t.eq_ignore_ascii_case(media_type.trim()));
    if known { Ok(()) } else { Err((415, "")) }
}

fn check_state(request: &Request, capabilities: &Capabilities<'_>) -> Result<(), &'static str> {
    let to = request.headers.get(&HeaderName::To).and_then(|v| NameAddr::parse(v).ok());
    let from = request.headers.get(&HeaderName::From).and_then(|v| NameAddr::parse(v).ok());
    let call_id = request.headers.get(&HeaderName::CallId).unwrap_or_default();
    if request.method == Method::Cancel {
        return if capabilities.state.has_transaction_to_cancel(request) { Ok(()) } else { Err("no such transaction") };
    }
    match to.as_ref().and_then(NameAddr::tag) {
        Some(local_tag) if request.method != Method::Ack => {
            let remote_tag = from.as_ref().and_then(NameAddr::tag);
            if capabilities.state.has_dialog(call_id, local_tag, remote_tag) { Ok(()) } else { Err("no such dialog") }
        }
        _ => Ok(()),
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_f32_says(text: &str) -> bool {
        text.parse::<f32>().is_ok_and(|q| q <= 0.0)
    }

    #[test]
    fn a_q_value_is_at_most_zero_exactly_when_the_f32_parser_says_so() {
        // Every string of up to six characters of digits, a point and a sign.
        let alphabet = b"0159.+-";
        let mut text = Vec::new();
        fn each(text: &mut Vec<u8>, alphabet: &[u8], left: usize) {
            let s = std::str::from_utf8(text).unwrap();
            assert_eq!(at_most_zero(s), as_f32_says(s), "{s:?}");
            if left > 0 {
                for &c in alphabet {
                    text.push(c);
                    each(text, alphabet, left - 1);
                    text.pop();
                }
            }
        }
        each(&mut text, alphabet, 6);
        for (text, refused) in [
            ("0", true),
            ("0.", true),
            ("0.000", true),
            ("000.000", true),
            ("+.0", true),
            ("-0", true),
            ("-1", true),
            ("0.001", false),
            ("1", false),
            ("1.000", false),
            ("", false),
            (".", false),
            ("-", false),
            (" 0", false),
            ("0x0", false),
            // Not q-values, and not read as numbers: they refuse nothing.
            ("0e5", false),
            ("1e-99", false),
            ("-inf", false),
            ("NaN", false),
        ] {
            assert_eq!(at_most_zero(text), refused, "{text:?}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        // Up to 40 decimals: a positive number stays above f32's rounding to zero (2^-150).
        #[test]
        fn q_values_read_as_the_f32_parser_reads_them(text in "[+-]?[0-9]{0,3}(\\.[0-9]{0,40})?") {
            proptest::prop_assert_eq!(at_most_zero(&text), as_f32_says(&text), "{:?}", text);
        }
    }

    fn request(start: &str, extra: &str, body: &str) -> Vec<u8> {
        let method = start.split(' ').next().unwrap_or_default();
        format!(
            "{start}\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK776\r\nMax-Forwards: 70\r\n\
             To: <sip:bob@b.example>\r\nFrom: <sip:alice@a.example>;tag=1\r\nCall-ID: c1\r\n\
             CSeq: 1 {method}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    fn status(bytes: &[u8]) -> Option<u16> {
        match validate(bytes, &Capabilities::default()) {
            Verdict::Respond(response) => Some(response.status),
            Verdict::Accept(_) => Some(0),
            Verdict::Drop(_) => None,
        }
    }

    #[test]
    fn rfc_4475_trailing_spaces_after_the_request_line_are_trimmed_and_accepted() {
        // §3.1.2.10: answered (here: processed) instead of dropped and retransmitted for 32 s.
        assert_eq!(status(&request("OPTIONS sip:bob@b.example SIP/2.0  \t ", "", "")), Some(0));
        assert_eq!(
            status(&request("OPTIONS sip:bob@b.example  SIP/2.0", "", "")),
            Some(400),
            "inner spaces still count"
        );
    }

    #[test]
    fn rfc_4475_an_invite_whose_accept_excludes_sdp_gets_406_naming_sdp() {
        // §3.3.15.
        let sdp = "Content-Type: application/sdp\r\n";
        for accept in ["Accept: text/nobodyKnowsThis\r\n", "Accept: \r\n", "Accept: application/sdp;q=0\r\n"] {
            let bytes = request("INVITE sip:bob@b.example SIP/2.0", &format!("{accept}{sdp}"), "v=0\r\n");
            let Verdict::Respond(response) = validate(&bytes, &Capabilities::default()) else { panic!("{accept}") };
            assert_eq!(response.status, 406, "{accept}");
            assert_eq!(response.headers.get_str(&HeaderName::Accept), Some("application/sdp"));
        }
        for accept in ["Accept: application/sdp\r\n", "Accept: text/plain, application/*\r\n", "Accept: */*\r\n", ""] {
            let bytes = request("INVITE sip:bob@b.example SIP/2.0", &format!("{accept}{sdp}"), "v=0\r\n");
            assert_eq!(status(&bytes), Some(0), "{accept}");
        }
        let options = request("OPTIONS sip:bob@b.example SIP/2.0", "Accept: text/nobodyKnowsThis\r\n", "");
        assert_eq!(status(&options), Some(0), "only an INVITE needs SDP back");
    }

    #[test]
    fn a_request_whose_answer_would_repeat_a_nul_is_dropped() {
        let bytes = request("INVITE sip:bob@b.example SIP/2.0", "", "");
        let text = String::from_utf8(bytes)
            .expect("text")
            .replace("From: <sip:alice@a.example>", "From: \"a\0b\" <sip:alice@a.example>");
        assert!(
            matches!(validate(text.as_bytes(), &Capabilities::default()), Verdict::Drop(DropReason::Unanswerable(name)) if name == "From")
        );
        let subject = request("INVITE sip:bob@b.example SIP/2.0", "Subject: a\0b\r\n", "");
        assert_eq!(status(&subject), Some(0), "a header no answer repeats may hold one");
    }

    #[test]
    fn a_good_invite_is_accepted() {
        let bytes = request("INVITE sip:bob@b.example SIP/2.0", "Content-Type: application/sdp\r\n", "v=0\r\n");
        assert_eq!(status(&bytes), Some(0));
    }

    #[test]
    fn each_check_gives_its_response() {
        assert_eq!(status(&request("INVITE sip:bob@b.example SIP/3.0", "", "")), Some(505));
        assert_eq!(status(&request("INVITE tel:+15550100 SIP/2.0", "", "")), Some(416));
        assert_eq!(status(&request("INVITE urn:x:y SIP/2.0", "", "")), Some(416));
        assert_eq!(status(&request("FOO sip:bob@b.example SIP/2.0", "", "")), Some(501));
        assert_eq!(status(&request("INVITE sip:bob@b.example SIP/2.0", "Require: foo, replaces\r\n", "")), Some(420));
        assert_eq!(status(&request("INVITE sip:bob@b.example SIP/2.0", "Content-Type: image/png\r\n", "x")), Some(415));
        assert_eq!(status(&request("INVITE sip:bob@b.example SIP/2.0", "", "x")), Some(400));
        assert_eq!(
            status(&request(
                "INVITE sip:bob@b.example SIP/2.0",
                "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n",
                "x"
            )),
            Some(415)
        );
        let in_dialog = String::from_utf8(request("BYE sip:bob@b.example SIP/2.0", "", ""))
            .unwrap()
            .replace("To: <sip:bob@b.example>", "To: <sip:bob@b.example>;tag=9");
        assert_eq!(status(in_dialog.as_bytes()), Some(481));
        assert_eq!(status(&request("CANCEL sip:bob@b.example SIP/2.0", "", "")), Some(481));
        let wrong_cseq = String::from_utf8(request("BYE sip:bob@b.example SIP/2.0", "", ""))
            .unwrap()
            .replace("CSeq: 1 BYE", "CSeq: 1 INVITE");
        assert_eq!(status(wrong_cseq.as_bytes()), Some(400));
    }

    #[test]
    fn responses_carry_the_right_headers() {
        let bytes = request("FOO sip:bob@b.example SIP/2.0", "", "");
        let Verdict::Respond(response) = validate(&bytes, &Capabilities::default()) else { panic!("a response") };
        assert!(response.headers.get_str(&HeaderName::Allow).unwrap().contains("INVITE"));
        assert_eq!(response.headers.get_str(&HeaderName::CallId), Some("c1"));
        let bytes = request("INVITE sip:bob@b.example SIP/2.0", "Require: foo, replaces, bar\r\n", "");
        let Verdict::Respond(response) = validate(&bytes, &Capabilities::default()) else { panic!("a response") };
        assert_eq!(response.headers.get_str(&HeaderName::Unsupported), Some("foo, bar"));
    }

    #[test]
    fn ack_is_never_answered() {
        assert_eq!(status(&request("ACK tel:+15550100 SIP/2.0", "", "")), None);
        assert_eq!(status(&request("ACK sip:bob@b.example SIP/2.0", "", "")), Some(0));
    }

    #[test]
    fn bad_responses_are_dropped() {
        let good = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nTo: <sip:b@b>;tag=2\r\nFrom: <sip:a@a>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n";
        assert_eq!(status(good), Some(0));
        let text = String::from_utf8_lossy(good);
        let two_vias = text.replace(
            "Via: SIP/2.0/WSS a.invalid;branch=z9hG4bK1",
            "Via: SIP/2.0/WSS a.invalid;branch=z9hG4bK1, SIP/2.0/UDP p.example",
        );
        assert_eq!(status(two_vias.as_bytes()), None);
        assert_eq!(status(text.replace("200 OK", "099 Odd").as_bytes()), None);
        assert_eq!(status(text.replace("200 OK", "700 Odd").as_bytes()), None);
        assert_eq!(status(text.replace("Call-ID: c\r\n", "").as_bytes()), None);
    }
}
