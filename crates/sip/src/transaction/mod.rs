//! The four transaction state machines of RFC 3261 §17, with the RFC 6026 corrections.
//!
//! Each machine is fed inputs (a message received, a message from the transaction user, a
//! timer that fired at time `now`) and returns [`Action`]s: bytes to send, a message for the
//! transaction user, a timer to arm at an absolute deadline or to cancel, and the end of the
//! transaction. Nothing here reads a clock or touches a socket.
//!
//! ```text
//! client INVITE (§17.1.1, RFC 6026)         client non-INVITE (§17.1.2)
//!   Calling --1xx--> Proceeding                Trying --1xx--> Proceeding
//!   Calling/Proceeding --2xx--> Accepted       Trying/Proceeding --final--> Completed
//!   Calling/Proceeding --3xx-6xx--> Completed  Completed --K--> Terminated
//!   Accepted --M--> Terminated                 Trying/Proceeding --F--> Terminated (timeout)
//!   Completed --D--> Terminated
//!   Calling --B--> Terminated (timeout)
//!
//! server INVITE (§17.2.1, RFC 6026)         server non-INVITE (§17.2.2)
//!   Proceeding --TU 2xx--> Accepted            Trying --TU 1xx--> Proceeding
//!   Proceeding --TU 3xx-6xx--> Completed       Trying/Proceeding --TU final--> Completed
//!   Accepted --L--> Terminated                 Completed --J--> Terminated
//!   Completed --ACK--> Confirmed
//!   Completed --H--> Terminated (no ACK)
//!   Confirmed --I--> Terminated
//! ```
//!
//! | timer | value                          | on a reliable transport (WebSocket) |
//! |-------|--------------------------------|-------------------------------------|
//! | A     | T1, doubling: INVITE retransmit | not armed                          |
//! | B     | 64·T1: INVITE timeout           | armed                               |
//! | D     | 32 s: absorb response retransmits | 0                                 |
//! | E     | T1, doubling to T2: retransmit | not armed                           |
//! | F     | 64·T1: non-INVITE timeout      | armed                               |
//! | G     | T1, doubling to T2: response retransmit | not armed                  |
//! | H     | 64·T1: wait for ACK            | armed                               |
//! | I     | T4: absorb ACK retransmits     | 0                                   |
//! | J     | 64·T1: absorb request retransmits | 0                                |
//! | K     | T4: absorb response retransmits | 0                                  |
//! | L     | 64·T1: server Accepted (RFC 6026) | armed                            |
//! | M     | 64·T1: client Accepted (RFC 6026) | armed                            |

mod client_invite;
mod client_non_invite;
mod matching;
mod server_invite;
mod server_non_invite;

pub use client_invite::ClientInvite;
pub use client_non_invite::ClientNonInvite;
pub use matching::{ClientKey, ServerKey};
pub use server_invite::ServerInvite;
pub use server_non_invite::ServerNonInvite;

use crate::Millis;
use crate::message::{Request, Response};

/// The timers of RFC 3261 §17 and RFC 6026.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// INVITE retransmission.
    A,
    /// INVITE transaction timeout.
    B,
    /// Client INVITE: wait for response retransmissions.
    D,
    /// Non-INVITE retransmission.
    E,
    /// Non-INVITE transaction timeout.
    F,
    /// INVITE final response retransmission.
    G,
    /// Wait for ACK.
    H,
    /// Wait for ACK retransmissions.
    I,
    /// Server non-INVITE: wait for request retransmissions.
    J,
    /// Client non-INVITE: wait for response retransmissions.
    K,
    /// Server INVITE Accepted state.
    L,
    /// Client INVITE Accepted state.
    M,
}

/// The RFC's timer base values, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerValues {
    /// Round-trip estimate (500 ms).
    pub t1: u64,
    /// Longest retransmit interval for non-INVITE requests and INVITE responses (4 s).
    pub t2: u64,
    /// Longest time a message stays in the network (5 s).
    pub t4: u64,
}

impl Default for TimerValues {
    fn default() -> Self {
        TimerValues { t1: 500, t2: 4_000, t4: 5_000 }
    }
}

impl TimerValues {
    fn t1_64(&self) -> u64 {
        self.t1.saturating_mul(64)
    }
}

/// Whether the transport retransmits for us (TCP, TLS, WebSocket) or not (UDP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Messages may be lost: the transaction retransmits.
    Unreliable,
    /// Messages arrive or the flow fails: no retransmission timers.
    Reliable,
}

/// Why a transaction ended without a final response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Timer B or F fired: no final response.
    Timeout,
    /// Timer H fired: the final response was never acknowledged.
    NoAck,
    /// The transport reported an error.
    Transport,
}

/// What a transaction asks its owner to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes on the transaction's flow. Empty when the message could not be
    /// serialized (it held a CR, LF or NUL outside its body): then nothing must be sent, and
    /// the machine goes on as if it had been lost.
    Send(Vec<u8>),
    /// Pass this response to the transaction user.
    Deliver(Response),
    /// Pass this request (an ACK for a 2xx, in the server INVITE's Accepted state) to the
    /// transaction user.
    DeliverRequest(Request),
    /// Arm `timer` to fire at the given time.
    Schedule(Timer, Millis),
    /// Disarm `timer`.
    Cancel(Timer),
    /// The transaction failed; the transaction user is told why.
    Failed(Failure),
    /// The transaction is over and can be forgotten.
    Terminated,
}

/// A transaction's life: the state name, for tests and diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Client INVITE, request sent.
    Calling,
    /// Client non-INVITE, request sent; server non-INVITE, request received.
    Trying,
    /// A provisional response was received or sent.
    Proceeding,
    /// A final response was received or sent; retransmissions are absorbed.
    Completed,
    /// RFC 6026: a 2xx to INVITE was received or sent.
    Accepted,
    /// Server INVITE: the ACK arrived.
    Confirmed,
    /// Over.
    Terminated,
}

/// What every client transaction does first: send the request, arm its retransmission timer
/// (on an unreliable transport only) at T1 and its timeout at 64·T1.
fn client_start(
    bytes: &[u8],
    now: Millis,
    [retransmit, timeout]: [Timer; 2],
    timers: TimerValues,
    transport: Transport,
) -> Vec<Action> {
    let mut actions = vec![Action::Send(bytes.to_vec())];
    if transport == Transport::Unreliable {
        actions.push(Action::Schedule(retransmit, now + timers.t1));
    }
    actions.push(Action::Schedule(timeout, now + timers.t1_64()));
    actions
}

/// Every machine ends the same way when its flow fails: once, telling the transaction user.
fn fail_on_transport_error(state: &mut State) -> Vec<Action> {
    if *state == State::Terminated {
        return vec![];
    }
    *state = State::Terminated;
    vec![Action::Failed(Failure::Transport), Action::Terminated]
}

#[cfg(test)]
mod tests;
