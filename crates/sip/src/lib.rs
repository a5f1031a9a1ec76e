//! Sans-IO SIP for Framephone.
//!
//! This crate does no I/O and reads no clock. It is fed bytes and time, and returns what to do:
//!
//! - [`Message::parse`] turns one received message (one WebSocket message, RFC 7118, or one
//!   datagram) into an owned [`Message`]; [`Message::to_bytes`] serializes it again, and
//!   `parse(to_bytes(m)) == m` for every message this crate can build.
//! - [`validate()`] applies the checks a user agent makes before processing a message (RFC 3261
//!   §8.1.3.3, §8.2) and says whether to process it, answer it with an error response, or drop it.
//! - [`auth`] answers digest challenges (RFC 3261 §22, RFC 7616, RFC 8760).
//! - [`transaction`] holds the four transaction state machines of RFC 3261 §17 with the RFC 6026
//!   fixes; every timer is an input that carries the current time.
//! - [`agent`] is the user agent built on them (registration, calls, transfers, presence,
//!   messages), which the widget and the native shell drive as the contract below says.
//!
//! Time is a plain millisecond count ([`Millis`]) supplied by the caller, so the same code runs
//! natively, in tests with a virtual clock, and in the browser.
//!
//! # The sans-IO contract
//!
//! The [`UserAgent`] owns no socket, clock or timer. The shell (a browser page, a native tool, a
//! test) owns them, and the media, and feeds the agent inputs, each carrying the current time
//! `now` in milliseconds on any monotonic clock:
//!
//! - [`start`] connects and registers; [`stop`] hangs up, unregisters and closes, and reports
//!   [`Event::Stopped`] when done;
//! - what happens on a flow (one WebSocket connection, or a UDP socket towards one server):
//!   [`connected`], [`receive`] (one whole WebSocket message or one datagram) and [`closed`];
//! - [`handle_timeout`] once the time [`poll_timeout`] gave has come (early or late is harmless:
//!   it runs whatever is due at `now`);
//! - commands: [`call`], [`answer`], [`reject`], [`hang_up`], [`transfer`], [`publish`],
//!   [`subscribe`], [`send_message`]… Those that can be refused say why with a
//!   [`CommandError`].
//!
//! The agent answers only through [`poll_output`], which hands out one [`Output`] at a time until
//! none is left: connect to a server (then report that flow with [`connected`] or [`closed`]),
//! send bytes on a flow, close a flow, or an [`Event`] for the application. After any input the
//! shell drains the outputs, then arms a single timer for [`poll_timeout`] (`None`: none is
//! needed). SDP is opaque text: the application's RTCPeerConnection makes offers and answers,
//! and the agent carries them.
//!
//! ## Commands while draining
//!
//! The outputs wait in one first-in, first-out queue. Every input, commands included, only
//! appends what it produces to the back of that queue; [`poll_output`] only takes from the
//! front; nothing else reorders, merges or drops a queued output. So the shell may issue a
//! command, or feed any other input, between two [`poll_output`] calls, typically from its
//! handler of an event it has just taken (turning away a call offered to an agent who is Not
//! Ready, answering one, publishing a new presence): the outputs still queued from earlier inputs
//! come out first, then the command's, each exactly once and in the order produced. That is the
//! same outputs, byte for byte and in the same order, as when the command is issued once the
//! queue is empty. A handler that drains the queue itself before it returns (a nested drain),
//! and a shell that feeds several inputs before it drains, see the same order too.
//!
//! A command acts on the agent's present state, which includes every input fed so far, whether
//! or not its outputs have been taken. An event taken from the queue can therefore be older than
//! that state: a call taken as [`Event::Incoming`] may already have been cancelled by a CANCEL
//! received in the same batch, its [`Event::Ended`] still queued behind; answering it then fails
//! with [`CommandError::NoSuchCall`] and sends nothing. Queued outputs are never taken back
//! either: one may name a flow the shell has reported closed since, and the shell drops it. And
//! [`poll_timeout`] is read after the drain, since commands issued during it may have armed an
//! earlier timer. (`tests/sans_io_contract.rs` holds both rules to this.)
//!
//! ```
//! use sip::agent::{AgentConfig, Event, FlowId, Output, Server, TransportKind, UserAgent};
//! use sip::auth::Credentials;
//! use sip::random::ChaCha;
//! use sip::{Millis, Uri};
//!
//! let config = AgentConfig::new(
//!     Uri::parse(b"sip:1001@framephone.test").unwrap(),
//!     Credentials { username: "1001".into(), password: "secret".into() },
//!     vec![Server { address: "wss://sip.example.com/ws".into(), transport: TransportKind::Wss }],
//!     "urn:uuid:0f4bd7c2-3a61-4b7e-9a53-7cf1e2a6b9de".into(),
//! );
//! // 32 bytes from the OS or `crypto.getRandomValues`; a constant only in this example.
//! let mut agent = UserAgent::new(config, Box::new(ChaCha::from_seed([7; 32]))).unwrap();
//! agent.start(Millis(0));
//! let mut flow = None;
//! while let Some(output) = agent.poll_output() {
//!     match output {
//!         Output::Connect { flow: id, server } => {
//!             assert_eq!(server.address, "wss://sip.example.com/ws");
//!             flow = Some(id); // open the WebSocket, then report it:
//!         }
//!         Output::Event(Event::Connecting { .. }) => {}
//!         other => panic!("unexpected {other:?}"),
//!     }
//! }
//! agent.connected(Millis(40), flow.unwrap(), None);
//! match agent.poll_output() {
//!     Some(Output::Event(Event::Connected { .. })) => {}
//!     other => panic!("unexpected {other:?}"),
//! }
//! match agent.poll_output() {
//!     Some(Output::Send { bytes, .. }) => assert!(bytes.starts_with(b"REGISTER sip:framephone.test SIP/2.0")),
//!     other => panic!("unexpected {other:?}"),
//! }
//! // The REGISTER's transaction timers are armed.
//! assert!(agent.poll_timeout().is_some());
//! ```
//!
//! [`UserAgent`]: agent::UserAgent
//! [`start`]: agent::UserAgent::start
//! [`stop`]: agent::UserAgent::stop
//! [`Event::Stopped`]: agent::Event::Stopped
//! [`Event::Incoming`]: agent::Event::Incoming
//! [`Event::Ended`]: agent::Event::Ended
//! [`Event`]: agent::Event
//! [`Output`]: agent::Output
//! [`CommandError`]: agent::CommandError
//! [`CommandError::NoSuchCall`]: agent::CommandError::NoSuchCall
//! [`connected`]: agent::UserAgent::connected
//! [`receive`]: agent::UserAgent::receive
//! [`closed`]: agent::UserAgent::closed
//! [`handle_timeout`]: agent::UserAgent::handle_timeout
//! [`poll_timeout`]: agent::UserAgent::poll_timeout
//! [`poll_output`]: agent::UserAgent::poll_output
//! [`call`]: agent::UserAgent::call
//! [`answer`]: agent::UserAgent::answer
//! [`reject`]: agent::UserAgent::reject
//! [`hang_up`]: agent::UserAgent::hang_up
//! [`transfer`]: agent::UserAgent::transfer
//! [`publish`]: agent::UserAgent::publish
//! [`subscribe`]: agent::UserAgent::subscribe
//! [`send_message`]: agent::UserAgent::send_message

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
