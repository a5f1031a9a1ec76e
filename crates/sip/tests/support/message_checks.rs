//! The properties every input must keep: validation never panics, whatever parses survives
//! serialize-and-parse unchanged, and the serializer refuses exactly the messages that hold a
//! CR, LF or NUL outside their body. Shared by the `parse_validate` fuzz target and the test
//! that replays its corpus.

use sip::message::has_line_breaking_byte;
use sip::{Capabilities, Message, Verdict, validate};

/// Checks one input; panics if a property breaks.
pub fn check(bytes: &[u8]) {
    if let Verdict::Respond(response) = validate(bytes, &Capabilities::default()) {
        // A request whose answer would repeat a NUL, CR or LF is dropped instead, so every
        // error response can be sent.
        let out = response.to_bytes().expect("an error response the serializer refuses");
        assert!(Message::parse(&out).is_ok(), "our error response must parse");
    }
    if let Ok(message) = Message::parse(bytes) {
        match message.to_bytes() {
            Ok(out) => {
                let again = Message::parse(&out);
                assert_eq!(again.as_ref(), Ok(&message), "a parsed message must survive serialize and parse");
            }
            Err(_) => assert!(unsafe_outside_body(&message), "the serializer refused a clean message"),
        }
    }
}

/// Whether a start line or header holds a CR, LF or NUL.
fn unsafe_outside_body(message: &Message) -> bool {
    let start = match message {
        Message::Request(request) => request.uri.to_string().into_bytes(),
        Message::Response(response) => response.reason.clone(),
    };
    has_line_breaking_byte(&start)
        || message
            .headers()
            .iter()
            .any(|h| has_line_breaking_byte(&h.value) || has_line_breaking_byte(h.name.as_str().as_bytes()))
}
