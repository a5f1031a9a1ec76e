//! The properties every input must keep: validation never panics, and whatever parses survives
//! serialize-and-parse unchanged. Shared by the `parse_validate` fuzz target and the test that
//! replays its corpus.

use sip::{Capabilities, Message, validate};

/// Checks one input; panics if a property breaks.
pub fn check(bytes: &[u8]) {
    let _ = validate(bytes, &Capabilities::default());
    if let Ok(message) = Message::parse(bytes) {
        let again = Message::parse(&message.to_bytes());
        assert_eq!(again.as_ref(), Ok(&message), "a parsed message must survive serialize and parse");
    }
}
