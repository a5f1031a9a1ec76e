//! Serialization: start line, headers in order, a Content-Length that matches the body.
//!
//! The serializer is the last line of defence against header injection: a CR or LF inside a
//! start line, a header name or a header value would end the line early and let the rest pose
//! as a header of its own (or a body), and a NUL cuts many stacks' parsing short. Whatever
//! built the message, such bytes never reach the wire: the message is refused with an error.

use thiserror::Error;

use super::{HeaderName, Headers, Message, Request, Response};

/// Why a message cannot be serialized.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum SerializeError {
    /// A part of the message holds a byte that would split or cut its line.
    #[error("the {0} holds a CR, LF or NUL byte: the message is not sent, so that nothing can be injected")]
    UnsafeByte(String),
}

/// Whether `bytes` hold a CR, LF or NUL, which no line of a SIP message may hold.
pub fn has_line_breaking_byte(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| matches!(b, b'\r' | b'\n' | 0))
}

fn checked(what: impl FnOnce() -> String, bytes: &[u8]) -> Result<&[u8], SerializeError> {
    if has_line_breaking_byte(bytes) { Err(SerializeError::UnsafeByte(what())) } else { Ok(bytes) }
}

pub(super) fn to_bytes(message: &Message) -> Result<Vec<u8>, SerializeError> {
    match message {
        Message::Request(request) => request_bytes(request),
        Message::Response(response) => response_bytes(response),
    }
}

pub(super) fn request_bytes(request: &Request) -> Result<Vec<u8>, SerializeError> {
    let mut out = Vec::with_capacity(estimate(&request.headers, &request.body));
    out.extend_from_slice(checked(|| "method".into(), request.method.as_str().as_bytes())?);
    out.push(b' ');
    out.extend_from_slice(checked(|| "Request-URI".into(), request.uri.to_string().as_bytes())?);
    out.push(b' ');
    out.extend_from_slice(checked(|| "SIP version".into(), request.version.as_bytes())?);
    out.extend_from_slice(b"\r\n");
    finish(out, &request.headers, &request.body)
}

pub(super) fn response_bytes(response: &Response) -> Result<Vec<u8>, SerializeError> {
    let mut out = Vec::with_capacity(estimate(&response.headers, &response.body));
    out.extend_from_slice(checked(|| "SIP version".into(), response.version.as_bytes())?);
    out.push(b' ');
    out.extend_from_slice(format!("{:03}", response.status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(checked(|| "reason phrase".into(), &response.reason)?);
    out.extend_from_slice(b"\r\n");
    finish(out, &response.headers, &response.body)
}

fn estimate(headers: &Headers, body: &[u8]) -> usize {
    64 + body.len() + headers.iter().map(|h| h.name.as_str().len() + h.value.len() + 4).sum::<usize>()
}

fn finish(mut out: Vec<u8>, headers: &Headers, body: &[u8]) -> Result<Vec<u8>, SerializeError> {
    for header in headers.iter().filter(|h| h.name != HeaderName::ContentLength) {
        let name = header.name.as_str();
        out.extend_from_slice(checked(|| format!("name of the header {name:?}"), name.as_bytes())?);
        out.extend_from_slice(b": ");
        out.extend_from_slice(checked(|| format!("{name} header"), &header.value)?);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Content-Length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Method, Uri};

    fn request() -> Request {
        let mut request = Request::new(Method::Invite, Uri::sip(Some("1002"), "framephone.test"));
        request.headers.push(HeaderName::CallId, "abc");
        request.body = b"v=0\r\n\0binary body is fine\r\n".to_vec();
        request
    }

    #[test]
    fn a_clean_message_serializes_with_any_body() {
        let bytes = request().to_bytes().expect("clean");
        assert!(bytes.starts_with(b"INVITE sip:1002@framephone.test SIP/2.0\r\nCall-ID: abc\r\n"));
    }

    #[test]
    fn cr_lf_or_nul_anywhere_outside_the_body_is_refused() {
        for bad in ["x\r\nX-Injected: yes", "x\ny", "x\ry", "x\0y"] {
            let mut value = request();
            value.headers.push(HeaderName::Subject, bad);
            assert!(matches!(value.to_bytes(), Err(SerializeError::UnsafeByte(part)) if part == "Subject header"));
            let mut name = request();
            name.headers.push(HeaderName::Other(bad.into()), "v");
            assert!(name.to_bytes().is_err(), "header name {bad:?}");
            let mut uri = request();
            uri.uri.host = bad.into();
            assert!(uri.to_bytes().is_err(), "Request-URI {bad:?}");
            let mut response = Response::new(200);
            response.reason = bad.as_bytes().to_vec();
            assert!(response.to_bytes().is_err(), "reason {bad:?}");
        }
    }
}
