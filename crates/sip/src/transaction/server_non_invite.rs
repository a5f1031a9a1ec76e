//! The server non-INVITE transaction (RFC 3261 §17.2.2).

use super::{Action, State, Timer, TimerValues, Transport};
use crate::Millis;
use crate::message::{Request, Response};

/// A server transaction for any method but INVITE and ACK.
#[derive(Debug)]
pub struct ServerNonInvite {
    state: State,
    timers: TimerValues,
    transport: Transport,
    last_response: Option<Vec<u8>>,
}

impl ServerNonInvite {
    /// Starts the transaction for a received request; the transaction user decides the answer.
    pub fn start(timers: TimerValues, transport: Transport) -> Self {
        ServerNonInvite { state: State::Trying, timers, transport, last_response: None }
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// A retransmission of the request arrived.
    pub fn on_request(&mut self, _now: Millis, _request: Request) -> Vec<Action> {
        match self.state {
            State::Proceeding | State::Completed => self.last_response.iter().cloned().map(Action::Send).collect(),
            _ => vec![],
        }
    }

    /// The transaction user answers.
    pub fn respond(&mut self, now: Millis, response: Response) -> Vec<Action> {
        let bytes = response.to_bytes().unwrap_or_default();
        match (self.state, response.status) {
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                self.last_response = Some(bytes.clone());
                vec![Action::Send(bytes)]
            }
            (State::Trying | State::Proceeding, 200..=699) => {
                self.last_response = Some(bytes.clone());
                match self.transport {
                    Transport::Unreliable => {
                        self.state = State::Completed;
                        vec![Action::Send(bytes), Action::Schedule(Timer::J, now + self.timers.t1_64())]
                    }
                    Transport::Reliable => {
                        self.state = State::Terminated;
                        vec![Action::Send(bytes), Action::Terminated]
                    }
                }
            }
            _ => vec![],
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, _now: Millis, timer: Timer) -> Vec<Action> {
        match (self.state, timer) {
            (State::Completed, Timer::J) => {
                self.state = State::Terminated;
                vec![Action::Terminated]
            }
            _ => vec![],
        }
    }

    /// The transport failed to send.
    pub fn on_transport_error(&mut self) -> Vec<Action> {
        super::fail_on_transport_error(&mut self.state)
    }
}
