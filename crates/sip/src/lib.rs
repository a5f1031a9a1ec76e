//! Sans-IO SIP for Framephone.
//!
//! This crate does no I/O and reads no clock. It is fed bytes and time, and returns what to do:
//!
//! - [`Message::parse`] turns one received message (one WebSocket message, RFC 7118, or one
//!   datagram) into an owned [`Message`]; [`Message::to_bytes`] serializes it again, and
//!   `parse(to_bytes(m)) == m` for every message this crate can build.
//! - [`validate`] applies the checks a user agent makes before processing a message (RFC 3261
//!   §8.1.3.3, §8.2) and says whether to process it, answer it with an error response, or drop it.
//! - [`auth`] answers digest challenges (RFC 3261 §22, RFC 7616, RFC 8760).
//! - [`transaction`] holds the four transaction state machines of RFC 3261 §17 with the RFC 6026
//!   fixes; every timer is an input that carries the current time.
//!
//! Time is a plain millisecond count ([`Millis`]) supplied by the caller, so the same code runs
//! natively, in tests with a virtual clock, and in the browser.

pub mod agent;
pub mod auth;
pub mod body;
pub mod headers;
pub mod message;
pub mod random;
pub mod registration;
pub mod transaction;
pub mod validate;
mod vec_map;

mod time;

pub use message::{HeaderName, Headers, Message, Method, ParseError, Request, Response, Uri};
pub use time::Millis;
pub use validate::{Capabilities, Verdict, validate};
