//! The client non-INVITE transaction (RFC 3261 §17.1.2).

use super::{Action, Failure, State, Timer, TimerValues, Transport};
use crate::Millis;
use crate::message::{Request, Response};

/// A client transaction for any method but INVITE and ACK.
#[derive(Debug)]
pub struct ClientNonInvite {
    request: Request,
    bytes: Vec<u8>,
    state: State,
    timers: TimerValues,
    transport: Transport,
    retransmit_interval: u64,
}

impl ClientNonInvite {
    /// Starts the transaction: the request is sent and timers E (unreliable only) and F armed.
    pub fn start(request: Request, now: Millis, timers: TimerValues, transport: Transport) -> (Self, Vec<Action>) {
        let bytes = request.to_bytes().unwrap_or_default();
        let actions = super::client_start(&bytes, now, [Timer::E, Timer::F], timers, transport);
        let transaction =
            ClientNonInvite { request, bytes, state: State::Trying, timers, transport, retransmit_interval: timers.t1 };
        (transaction, actions)
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The request this transaction sent.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// A response that matched this transaction arrived.
    pub fn on_response(&mut self, now: Millis, response: Response) -> Vec<Action> {
        match (self.state, response.status) {
            (State::Trying | State::Proceeding, 100..=199) => {
                self.state = State::Proceeding;
                vec![Action::Deliver(response)]
            }
            (State::Trying | State::Proceeding, 200..=699) => {
                let mut actions = vec![Action::Cancel(Timer::F)];
                if self.transport == Transport::Unreliable {
                    actions.insert(0, Action::Cancel(Timer::E));
                }
                actions.push(Action::Deliver(response));
                match self.transport {
                    Transport::Unreliable => {
                        self.state = State::Completed;
                        actions.push(Action::Schedule(Timer::K, now + self.timers.t4));
                    }
                    Transport::Reliable => {
                        self.state = State::Terminated;
                        actions.push(Action::Terminated);
                    }
                }
                actions
            }
            _ => vec![],
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, now: Millis, timer: Timer) -> Vec<Action> {
        match (self.state, timer) {
            (State::Trying | State::Proceeding, Timer::E) => {
                // In Proceeding the interval is T2; in Trying it doubles up to T2.
                self.retransmit_interval = match self.state {
                    State::Proceeding => self.timers.t2,
                    _ => self.retransmit_interval.saturating_mul(2).min(self.timers.t2),
                };
                vec![Action::Send(self.bytes.clone()), Action::Schedule(Timer::E, now + self.retransmit_interval)]
            }
            (State::Trying | State::Proceeding, Timer::F) => {
                self.state = State::Terminated;
                vec![Action::Cancel(Timer::E), Action::Failed(Failure::Timeout), Action::Terminated]
            }
            (State::Completed, Timer::K) => {
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
