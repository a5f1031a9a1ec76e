//! Serialization: start line, headers in order, a Content-Length that matches the body.

use super::{HeaderName, Headers, Message, Request, Response};

pub(super) fn to_bytes(message: &Message) -> Vec<u8> {
    match message {
        Message::Request(request) => request_bytes(request),
        Message::Response(response) => response_bytes(response),
    }
}

pub(super) fn request_bytes(request: &Request) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate(&request.headers, &request.body));
    out.extend_from_slice(request.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(request.uri.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(request.version.as_bytes());
    out.extend_from_slice(b"\r\n");
    finish(out, &request.headers, &request.body)
}

pub(super) fn response_bytes(response: &Response) -> Vec<u8> {
    let mut out = Vec::with_capacity(estimate(&response.headers, &response.body));
    out.extend_from_slice(response.version.as_bytes());
    out.push(b' ');
    out.extend_from_slice(format!("{:03}", response.status).as_bytes());
    out.push(b' ');
    out.extend_from_slice(&response.reason);
    out.extend_from_slice(b"\r\n");
    finish(out, &response.headers, &response.body)
}

fn estimate(headers: &Headers, body: &[u8]) -> usize {
    64 + body.len() + headers.iter().map(|h| h.name.as_str().len() + h.value.len() + 4).sum::<usize>()
}

fn finish(mut out: Vec<u8>, headers: &Headers, body: &[u8]) -> Vec<u8> {
    for header in headers.iter().filter(|h| h.name != HeaderName::ContentLength) {
        out.extend_from_slice(header.name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(&header.value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Content-Length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}
