//! The server INVITE transaction (RFC 3261 §17.2.1 with RFC 6026's Accepted state).

use super::{Action, Failure, State, Timer, TimerValues, Transport};
use crate::Millis;
use crate::message::{Method, Request, Response};

/// A server INVITE transaction.
#[derive(Debug)]
pub struct ServerInvite {
    state: State,
    timers: TimerValues,
    transport: Transport,
    last_response: Vec<u8>,
    retransmit_interval: u64,
}

impl ServerInvite {
    /// Starts the transaction for a received INVITE: a 100 Trying is sent at once, so that
    /// the caller stops retransmitting whatever the transaction user takes to decide.
    pub fn start(invite: &Request, timers: TimerValues, transport: Transport) -> (Self, Vec<Action>) {
        let trying = Response::to_request(invite, 100, None).to_bytes().unwrap_or_default();
        let transaction = ServerInvite {
            state: State::Proceeding,
            timers,
            transport,
            last_response: trying.clone(),
            retransmit_interval: timers.t1,
        };
        (transaction, vec![Action::Send(trying)])
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// A request matched this transaction: an INVITE retransmission or an ACK.
    pub fn on_request(&mut self, now: Millis, request: Request) -> Vec<Action> {
        match (self.state, request.method == Method::Ack) {
            (State::Proceeding | State::Completed, false) => vec![Action::Send(self.last_response.clone())],
            (State::Completed, true) => {
                let mut actions = vec![Action::Cancel(Timer::H)];
                if self.transport == Transport::Unreliable {
                    actions.insert(0, Action::Cancel(Timer::G));
                    self.state = State::Confirmed;
                    actions.push(Action::Schedule(Timer::I, now + self.timers.t4));
                } else {
                    self.state = State::Terminated;
                    actions.push(Action::Terminated);
                }
                actions
            }
            // RFC 6026: an ACK for a 2xx belongs to the transaction user.
            (State::Accepted, true) => vec![Action::DeliverRequest(request)],
            _ => vec![],
        }
    }

    /// The transaction user answers.
    pub fn respond(&mut self, now: Millis, response: Response) -> Vec<Action> {
        let bytes = response.to_bytes().unwrap_or_default();
        match (self.state, response.status) {
            (State::Proceeding, 100..=199) => {
                self.last_response = bytes.clone();
                vec![Action::Send(bytes)]
            }
            (State::Proceeding, 200..=299) => {
                self.state = State::Accepted;
                self.last_response = bytes.clone();
                vec![Action::Send(bytes), Action::Schedule(Timer::L, now + self.timers.t1_64())]
            }
            // The transaction user retransmits its 2xx until the ACK arrives.
            (State::Accepted, 200..=299) => vec![Action::Send(bytes)],
            (State::Proceeding, 300..=699) => {
                self.state = State::Completed;
                self.last_response = bytes.clone();
                let mut actions = vec![Action::Send(bytes)];
                if self.transport == Transport::Unreliable {
                    actions.push(Action::Schedule(Timer::G, now + self.timers.t1));
                }
                actions.push(Action::Schedule(Timer::H, now + self.timers.t1_64()));
                actions
            }
            _ => vec![],
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, now: Millis, timer: Timer) -> Vec<Action> {
        match (self.state, timer) {
            (State::Completed, Timer::G) => {
                self.retransmit_interval = self.retransmit_interval.saturating_mul(2).min(self.timers.t2);
                vec![
                    Action::Send(self.last_response.clone()),
                    Action::Schedule(Timer::G, now + self.retransmit_interval),
                ]
            }
            (State::Completed, Timer::H) => {
                self.state = State::Terminated;
                vec![Action::Cancel(Timer::G), Action::Failed(Failure::NoAck), Action::Terminated]
            }
            (State::Confirmed, Timer::I) | (State::Accepted, Timer::L) => {
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
