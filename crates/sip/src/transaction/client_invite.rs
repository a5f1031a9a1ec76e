//! The client INVITE transaction (RFC 3261 §17.1.1 with RFC 6026's Accepted state).

use super::{Action, Failure, State, Timer, TimerValues, Transport};
use crate::Millis;
use crate::message::{HeaderName, Method, Request, Response};

/// A client INVITE transaction.
#[derive(Debug)]
pub struct ClientInvite {
    request: Request,
    bytes: Vec<u8>,
    state: State,
    timers: TimerValues,
    transport: Transport,
    retransmit_interval: u64,
    ack: Option<Vec<u8>>,
}

impl ClientInvite {
    /// Starts the transaction: the INVITE is sent and timers A (unreliable only) and B armed.
    pub fn start(request: Request, now: Millis, timers: TimerValues, transport: Transport) -> (Self, Vec<Action>) {
        let bytes = request.to_bytes().unwrap_or_default();
        let actions = super::client_start(&bytes, now, [Timer::A, Timer::B], timers, transport);
        let transaction = ClientInvite {
            request,
            bytes,
            state: State::Calling,
            timers,
            transport,
            retransmit_interval: timers.t1,
            ack: None,
        };
        (transaction, actions)
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The INVITE this transaction sent.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// A response that matched this transaction arrived.
    pub fn on_response(&mut self, now: Millis, response: Response) -> Vec<Action> {
        match (self.state, response.status) {
            (State::Calling | State::Proceeding, 100..=199) => {
                let mut actions = self.leave_calling();
                self.state = State::Proceeding;
                actions.push(Action::Deliver(response));
                actions
            }
            (State::Calling | State::Proceeding, 200..=299) => {
                let mut actions = self.leave_calling();
                self.state = State::Accepted;
                actions.push(Action::Deliver(response));
                actions.push(Action::Schedule(Timer::M, now + self.timers.t1_64()));
                actions
            }
            (State::Calling | State::Proceeding, 300..=699) => {
                let mut actions = self.leave_calling();
                let ack = build_ack(&self.request, &response).to_bytes().unwrap_or_default();
                actions.push(Action::Send(ack.clone()));
                self.ack = Some(ack);
                actions.push(Action::Deliver(response));
                match self.transport {
                    Transport::Unreliable => {
                        self.state = State::Completed;
                        actions.push(Action::Schedule(Timer::D, now + 32_000));
                    }
                    Transport::Reliable => {
                        self.state = State::Terminated;
                        actions.push(Action::Terminated);
                    }
                }
                actions
            }
            // RFC 6026: 2xx retransmissions (and forked 2xx) go to the TU, which ACKs them.
            (State::Accepted, 200..=299) => vec![Action::Deliver(response)],
            (State::Completed, 300..=699) => self.ack.iter().cloned().map(Action::Send).collect(),
            _ => vec![],
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, now: Millis, timer: Timer) -> Vec<Action> {
        match (self.state, timer) {
            (State::Calling, Timer::A) => {
                self.retransmit_interval = self.retransmit_interval.saturating_mul(2);
                vec![Action::Send(self.bytes.clone()), Action::Schedule(Timer::A, now + self.retransmit_interval)]
            }
            (State::Calling, Timer::B) => {
                self.state = State::Terminated;
                vec![Action::Cancel(Timer::A), Action::Failed(Failure::Timeout), Action::Terminated]
            }
            (State::Completed, Timer::D) | (State::Accepted, Timer::M) => {
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

    fn leave_calling(&self) -> Vec<Action> {
        if self.state != State::Calling {
            return vec![];
        }
        let mut actions = vec![Action::Cancel(Timer::B)];
        if self.transport == Transport::Unreliable {
            actions.insert(0, Action::Cancel(Timer::A));
        }
        actions
    }
}

/// The ACK for a non-2xx final response (RFC 3261 §17.1.1.3).
pub(super) fn build_ack(invite: &Request, response: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    if let Some(via) = invite.headers.get(&HeaderName::Via) {
        // Only the top Via, whose branch identifies this transaction.
        let top = crate::headers::split_values(via).next().unwrap_or(via);
        ack.headers.push(HeaderName::Via, top.to_vec());
    }
    for (name, source) in [
        (HeaderName::From, &invite.headers),
        (HeaderName::To, &response.headers),
        (HeaderName::CallId, &invite.headers),
    ] {
        if let Some(value) = source.get(&name) {
            ack.headers.push(name, value.to_vec());
        }
    }
    let number = invite
        .headers
        .get(&HeaderName::CSeq)
        .and_then(|v| crate::headers::CSeq::parse(v).ok())
        .map_or(1, |cseq| cseq.number);
    ack.headers.push(HeaderName::CSeq, format!("{number} ACK"));
    for route in invite.headers.all(&HeaderName::Route) {
        ack.headers.push(HeaderName::Route, route.to_vec());
    }
    ack.headers.push(HeaderName::MaxForwards, "70");
    ack
}
