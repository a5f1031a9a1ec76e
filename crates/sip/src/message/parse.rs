//! The byte parser: start line, header lines (with folding), and a body framed by
//! Content-Length. It never panics and never allocates more than the input's size.

use thiserror::Error;

use super::{Header, HeaderName, Headers, Message, Method, Request, Response, Uri, UriError};

/// Larger messages are refused before anything is parsed.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// More header lines than this are refused.
pub const MAX_HEADERS: usize = 512;

/// Why bytes are not a SIP message.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ParseError {
    /// Nothing but whitespace.
    #[error("the message is empty")]
    Empty,
    /// Over [`MAX_MESSAGE_BYTES`].
    #[error("the message is larger than {MAX_MESSAGE_BYTES} bytes")]
    TooLarge,
    /// The first line is neither `METHOD uri SIP/2.0` nor `SIP/2.0 code reason`.
    #[error("the first line is neither a request line nor a status line")]
    StartLine,
    /// The Request-URI cannot be read.
    #[error("the Request-URI is invalid: {0}")]
    RequestUri(UriError),
    /// A header line without a name and a colon.
    #[error("line {line} is not a header (name: value)")]
    HeaderLine {
        /// 1-based line number.
        line: usize,
    },
    /// Over [`MAX_HEADERS`] header lines.
    #[error("the message has more than {MAX_HEADERS} headers")]
    TooManyHeaders,
    /// No empty line after the headers.
    #[error("the headers do not end with an empty line")]
    Unterminated,
    /// Content-Length is not a number.
    #[error("Content-Length is not a number")]
    ContentLength,
    /// Several Content-Length values disagree.
    #[error("the Content-Length headers disagree")]
    ConflictingContentLength,
    /// Content-Length promises more bytes than arrived.
    #[error("Content-Length is {declared} but only {available} body bytes arrived")]
    BodyTooShort {
        /// What Content-Length said.
        declared: usize,
        /// What arrived.
        available: usize,
    },
}

/// `token` characters of RFC 3261 §25.1.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~')
}

/// Parses strictly: the first problem is the error.
pub(super) fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
    let (message, problems) = parse_lenient(bytes)?;
    match problems.into_iter().next() {
        Some(problem) => Err(problem),
        None => Ok(message),
    }
}

/// Parses as far as possible: a start line that cannot be read is fatal; other problems are
/// returned beside a best-effort message, so that a user agent can still answer a broken
/// request with 400.
pub(crate) fn parse_lenient(bytes: &[u8]) -> Result<(Message, Vec<ParseError>), ParseError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge);
    }
    // RFC 3261 §7.5: CRLFs before the start line are ignored (they are also keepalives).
    let start = bytes.iter().position(|b| !matches!(b, b'\r' | b'\n')).ok_or(ParseError::Empty)?;
    let bytes = &bytes[start..];
    let mut problems = Vec::new();
    let (head, body) = match find_header_end(bytes) {
        Some((head_end, body_start)) => (&bytes[..head_end], &bytes[body_start..]),
        None => {
            problems.push(ParseError::Unterminated);
            (bytes, &bytes[bytes.len()..])
        }
    };
    let mut lines = head.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let start_line = lines.next().ok_or(ParseError::Empty)?;
    let mut headers = parse_headers(lines, &mut problems);
    let body = frame_body(&headers, body, &mut problems).to_vec();
    // Content-Length frames the message; it is not part of the message's value.
    headers.remove(&HeaderName::ContentLength);
    let message = if starts_with_ignore_case(start_line, b"SIP/") {
        let (version, status, reason) = parse_status_line(start_line)?;
        Message::Response(Response { version, status, reason, headers, body })
    } else {
        let (method, uri, version) = parse_request_line(start_line, &mut problems)?;
        Message::Request(Request { method, uri, version, headers, body })
    };
    Ok((message, problems))
}

/// The end of the header section and the start of the body: the first empty line.
fn find_header_end(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut index = 0;
    while let Some(offset) = bytes[index..].iter().position(|b| *b == b'\n') {
        let newline = index + offset;
        let next = newline + 1;
        if bytes[next..].starts_with(b"\r\n") {
            return Some((newline, next + 2));
        }
        if bytes[next..].starts_with(b"\n") {
            return Some((newline, next + 1));
        }
        index = next;
    }
    None
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_request_line(line: &[u8], problems: &mut Vec<ParseError>) -> Result<(Method, Uri, String), ParseError> {
    // `Method SP Request-URI SP SIP-Version`: a line that starts with a method and ends with a
    // version is a request even when the middle is broken, so that it can be answered with 400.
    // Spaces after the version (RFC 4475 §3.1.2.10) leave nothing in doubt: they are trimmed,
    // so that such a request is answered instead of dropped and retransmitted for 32 s.
    let line = trim_end(line);
    let first_space = line.iter().position(|b| *b == b' ').ok_or(ParseError::StartLine)?;
    let last_space = line.iter().rposition(|b| *b == b' ').ok_or(ParseError::StartLine)?;
    let method = Method::parse(&line[..first_space]).ok_or(ParseError::StartLine)?;
    let version = &line[last_space + 1..];
    if last_space == first_space || !is_version(version) {
        return Err(ParseError::StartLine);
    }
    let middle = &line[first_space + 1..last_space];
    let uri = match Uri::parse(middle) {
        Ok(uri) => uri,
        Err(error) => {
            problems.push(ParseError::RequestUri(error));
            Uri::opaque(middle)
        }
    };
    Ok((method, uri, text(version)))
}

/// `"SIP" "/" 1*DIGIT "." 1*DIGIT`, in any case.
fn is_version(version: &[u8]) -> bool {
    let Some(number) = version.get(4..).filter(|_| starts_with_ignore_case(version, b"SIP/")) else {
        return false;
    };
    let mut halves = number.split(|b| *b == b'.');
    matches!(
        (halves.next(), halves.next(), halves.next()),
        (Some(major), Some(minor), None)
            if !major.is_empty() && !minor.is_empty()
                && major.iter().chain(minor).all(u8::is_ascii_digit)
    )
}

fn parse_status_line(line: &[u8]) -> Result<(String, u16, Vec<u8>), ParseError> {
    let mut parts = line.splitn(3, |b| *b == b' ');
    let version = parts.next().filter(|v| is_version(v)).ok_or(ParseError::StartLine)?;
    let code = parts.next().ok_or(ParseError::StartLine)?;
    if code.len() != 3 || !code.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::StartLine);
    }
    let status = code.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let reason = parts.next().unwrap_or_default().to_vec();
    Ok((text(version), status, reason))
}

fn parse_headers<'a>(lines: impl Iterator<Item = &'a [u8]>, problems: &mut Vec<ParseError>) -> Headers {
    let mut headers: Vec<Header> = Vec::with_capacity(16);
    for (index, line) in lines.enumerate() {
        let line_number = index + 2;
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            // A folded continuation: LWS is one space (RFC 3261 §7.3.1).
            match headers.last_mut() {
                Some(last) => {
                    let more = trim(line);
                    if !more.is_empty() {
                        if !last.value.is_empty() {
                            last.value.push(b' ');
                        }
                        last.value.extend_from_slice(more);
                    }
                }
                None => problems.push(ParseError::HeaderLine { line: line_number }),
            }
            continue;
        }
        let parsed = line.iter().position(|b| *b == b':').and_then(|colon| {
            let name = trim_end(&line[..colon]);
            HeaderName::parse(name).map(|name| Header { name, value: trim(&line[colon + 1..]).to_vec() })
        });
        match parsed {
            Some(header) if headers.len() < MAX_HEADERS => headers.push(header),
            Some(_) => {
                problems.push(ParseError::TooManyHeaders);
                break;
            }
            None => problems.push(ParseError::HeaderLine { line: line_number }),
        }
    }
    Headers(headers)
}

fn frame_body<'a>(headers: &Headers, available: &'a [u8], problems: &mut Vec<ParseError>) -> &'a [u8] {
    let mut declared: Option<usize> = None;
    for value in headers.all(&HeaderName::ContentLength) {
        let Some(length) = parse_length(value) else {
            problems.push(ParseError::ContentLength);
            return available;
        };
        if declared.is_some_and(|d| d != length) {
            problems.push(ParseError::ConflictingContentLength);
            return available;
        }
        declared = Some(length);
    }
    match declared {
        // Without Content-Length the message's end is the body's end (RFC 7118, datagrams).
        None => available,
        Some(length) if length > available.len() => {
            problems.push(ParseError::BodyTooShort { declared: length, available: available.len() });
            available
        }
        // Bytes past Content-Length are not part of the message (RFC 3261 §18.3).
        Some(length) => &available[..length],
    }
}

fn parse_length(value: &[u8]) -> Option<usize> {
    if value.is_empty() || value.len() > 9 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0usize, |n, d| n * 10 + usize::from(d - b'0')))
}

/// Removes leading and trailing spaces and tabs.
pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| !matches!(b, b' ' | b'\t')).unwrap_or(bytes.len());
    trim_end(&bytes[start..])
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| !matches!(b, b' ' | b'\t')).map_or(0, |i| i + 1);
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &[u8] = b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKnashds7\r\n\
Max-Forwards: 70\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
CSeq: 314159 INVITE\r\n\
Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 4\r\n\
\r\n\
v=0\n";

    #[test]
    fn parses_a_request() {
        let Message::Request(request) = Message::parse(INVITE).unwrap() else { panic!("a request") };
        assert_eq!(request.method, Method::Invite);
        assert_eq!(request.uri.to_string(), "sip:bob@biloxi.example.com");
        assert_eq!(request.headers.len(), 8, "Content-Length is framing, not a stored header");
        assert_eq!(request.headers.get_str(&HeaderName::CallId), Some("a84b4c76e66710"));
        assert_eq!(request.body, b"v=0\n");
    }

    #[test]
    fn parses_a_response_with_folding_and_compact_names() {
        let bytes = b"SIP/2.0 200 OK\r\nv: SIP/2.0/WS a.invalid\r\n ;branch=z9hG4bK1\r\ni: x\r\nl: 0\r\n\r\n";
        let Message::Response(response) = Message::parse(bytes).unwrap() else { panic!("a response") };
        assert_eq!(response.status, 200);
        assert_eq!(response.reason, b"OK");
        assert_eq!(response.headers.get(&HeaderName::Via), Some(&b"SIP/2.0/WS a.invalid ;branch=z9hG4bK1"[..]));
        assert_eq!(response.headers.get_str(&HeaderName::CallId), Some("x"));
    }

    #[test]
    fn body_is_framed_by_content_length() {
        let mut bytes = INVITE.to_vec();
        bytes.extend_from_slice(b"trailing garbage");
        assert_eq!(Message::parse(&bytes).unwrap().body(), b"v=0\n");
        let short = String::from_utf8_lossy(INVITE).replace("Content-Length: 4", "Content-Length: 400");
        assert_eq!(Message::parse(short.as_bytes()), Err(ParseError::BodyTooShort { declared: 400, available: 4 }));
        let huge = String::from_utf8_lossy(INVITE).replace("Content-Length: 4", "Content-Length: 99999999999999999");
        assert_eq!(Message::parse(huge.as_bytes()), Err(ParseError::ContentLength));
    }

    #[test]
    fn broken_start_lines_are_refused() {
        for line in [
            &b"INVITE sip:a@b SIP/2.0 extra\r\n\r\n"[..],
            b"INVITE sip:a@b HTTP/1.1\r\n\r\n",
            b"SIP/2.0 20 OK\r\n\r\n",
            b"SIP/2.0 2000 OK\r\n\r\n",
            b"SIP/x.0 200 OK\r\n\r\n",
            b"IN\x00VITE sip:a@b SIP/2.0\r\n\r\n",
        ] {
            assert_eq!(Message::parse(line), Err(ParseError::StartLine), "{}", String::from_utf8_lossy(line));
        }
        assert_eq!(Message::parse(b"\r\n\r\n"), Err(ParseError::Empty));
        // A broken middle still makes a request, so that it can be answered.
        let (_, problems) = parse_lenient(b"INVITE  sip:a@b SIP/2.0\r\n\r\n").unwrap();
        assert_eq!(problems, vec![ParseError::RequestUri(UriError::Character)]);
        let (_, problems) = parse_lenient(b"INVITE sip:a@b SIP/2.0\r\n\r\n").unwrap();
        assert!(problems.is_empty());
    }

    #[test]
    fn non_utf8_and_nul_bytes_in_values_are_kept() {
        let bytes = b"MESSAGE sip:a@b SIP/2.0\r\nSubject: caf\xe9 \x00 ok\r\nContent-Length: 0\r\n\r\n";
        let message = Message::parse(bytes).unwrap();
        assert_eq!(message.headers().get(&HeaderName::Subject), Some(&b"caf\xe9 \x00 ok"[..]));
    }

    #[test]
    fn bad_header_lines_are_reported_by_line() {
        let bytes = b"OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\nno colon here\r\nBad Name: y\r\n\r\n";
        let (_, problems) = parse_lenient(bytes).unwrap();
        assert_eq!(problems, vec![ParseError::HeaderLine { line: 3 }, ParseError::HeaderLine { line: 4 }]);
    }
}
