//! Any bytes: parsing and validation never panic, and whatever parses survives a round trip.
#![no_main]

#[path = "../../tests/support/message_checks.rs"]
mod message_checks;

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| message_checks::check(bytes));
