//! The agent's transactions: which machine a message belongs to, and who owns each machine.

use crate::vec_map::LinearMap;

use super::events::{CallRef, MessageRef, SubscriptionRef};
use crate::Millis;
use crate::message::{Method, Request, Response};
use crate::transaction::{
    Action, ClientInvite, ClientKey, ClientNonInvite, Failure, ServerInvite, ServerKey, ServerNonInvite, Timer,
    TimerValues, Transport,
};

/// A transaction's handle inside the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TxId(u64);

/// The part of the agent a transaction reports to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Owner {
    Registration,
    Call(CallRef),
    Subscription(SubscriptionRef),
    Publication,
    Message(MessageRef),
    /// Requests the agent answers by itself (OPTIONS, MESSAGE in, stray requests).
    Agent,
}

/// What a transaction reports to its owner.
#[derive(Debug)]
pub(crate) enum Notice {
    /// A response to the request we sent.
    Response { tx: TxId, owner: Owner, request: Box<Request>, response: Response },
    /// An ACK for a 2xx we sent (it reached the server INVITE transaction in its Accepted state).
    Ack { owner: Owner, ack: Request },
    /// The transaction ended without a final response (or without an ACK).
    Failed { tx: TxId, owner: Owner, request: Box<Request>, failure: Failure },
    /// The transaction is gone.
    Terminated { tx: TxId, owner: Owner },
}

#[derive(Debug)]
#[allow(clippy::enum_variant_names)] // the RFC's names for the four machines
enum Machine {
    ClientInvite(ClientInvite),
    ClientNonInvite(ClientNonInvite),
    ServerInvite(ServerInvite),
    ServerNonInvite(ServerNonInvite),
}

#[derive(Debug)]
struct Entry {
    machine: Machine,
    owner: Owner,
    request: Request,
    client_key: Option<ClientKey>,
    server_key: Option<ServerKey>,
}

/// What a transaction step asks of the agent beyond notices: bytes to send and timers.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    pub sends: Vec<Vec<u8>>,
    pub schedule: Vec<(TxId, Timer, Millis)>,
    pub cancel: Vec<(TxId, Timer)>,
    pub notices: Vec<Notice>,
}

/// Every live transaction.
#[derive(Debug, Default)]
pub(crate) struct Transactions {
    next: u64,
    entries: LinearMap<TxId, Entry>,
    clients: LinearMap<ClientKey, TxId>,
    servers: LinearMap<ServerKey, TxId>,
}

impl Transactions {
    /// Starts a client transaction for `request` (INVITE or not) and sends it.
    pub(crate) fn start_client(
        &mut self,
        request: Request,
        owner: Owner,
        now: Millis,
        timers: TimerValues,
        transport: Transport,
        effects: &mut Effects,
    ) -> TxId {
        let id = self.fresh();
        let client_key = ClientKey::of_request(&request);
        let (machine, actions) = if request.method == Method::Invite {
            let (machine, actions) = ClientInvite::start(request.clone(), now, timers, transport);
            (Machine::ClientInvite(machine), actions)
        } else {
            let (machine, actions) = ClientNonInvite::start(request.clone(), now, timers, transport);
            (Machine::ClientNonInvite(machine), actions)
        };
        if let Some(key) = &client_key {
            self.clients.insert(key.clone(), id);
        }
        self.entries.insert(id, Entry { machine, owner, request, client_key, server_key: None });
        self.apply(id, actions, effects);
        id
    }

    /// Starts a server transaction for a received request that matched none (not for ACK).
    pub(crate) fn start_server(
        &mut self,
        request: &Request,
        owner: Owner,
        timers: TimerValues,
        transport: Transport,
        effects: &mut Effects,
    ) -> TxId {
        let id = self.fresh();
        let server_key = ServerKey::of_request(request);
        let (machine, actions) = if request.method == Method::Invite {
            let (machine, actions) = ServerInvite::start(request, timers, transport);
            (Machine::ServerInvite(machine), actions)
        } else {
            (Machine::ServerNonInvite(ServerNonInvite::start(timers, transport)), vec![])
        };
        if let Some(key) = &server_key {
            self.servers.insert(key.clone(), id);
        }
        self.entries.insert(id, Entry { machine, owner, request: request.clone(), client_key: None, server_key });
        self.apply(id, actions, effects);
        id
    }

    /// The owner answers a request through its server transaction.
    pub(crate) fn respond(&mut self, id: TxId, now: Millis, response: Response, effects: &mut Effects) {
        let actions = match self.entries.get_mut(&id).map(|e| &mut e.machine) {
            Some(Machine::ServerInvite(m)) => m.respond(now, response),
            Some(Machine::ServerNonInvite(m)) => m.respond(now, response),
            _ => return,
        };
        self.apply(id, actions, effects);
    }

    /// A response arrived; false when no transaction wants it (RFC 3261 §18.1.2: drop it).
    pub(crate) fn on_response(&mut self, now: Millis, response: Response, effects: &mut Effects) -> bool {
        let Some(id) = ClientKey::of_response(&response).and_then(|key| self.clients.get(&key).copied()) else {
            return false;
        };
        let actions = match self.entries.get_mut(&id).map(|e| &mut e.machine) {
            Some(Machine::ClientInvite(m)) => m.on_response(now, response),
            Some(Machine::ClientNonInvite(m)) => m.on_response(now, response),
            _ => return false,
        };
        self.apply(id, actions, effects);
        true
    }

    /// A request arrived; it is handed back when it starts something new (or is an ACK for a
    /// 2xx that no transaction holds).
    pub(crate) fn on_request(&mut self, now: Millis, request: Request, effects: &mut Effects) -> Option<Request> {
        let Some(id) = ServerKey::of_request(&request).and_then(|key| self.servers.get(&key).copied()) else {
            return Some(request);
        };
        let actions = match self.entries.get_mut(&id).map(|e| &mut e.machine) {
            Some(Machine::ServerInvite(m)) => m.on_request(now, request),
            Some(Machine::ServerNonInvite(m)) => m.on_request(now, request),
            _ => return Some(request),
        };
        self.apply(id, actions, effects);
        None
    }

    /// The server INVITE transaction a CANCEL is for.
    pub(crate) fn cancelled_by(&self, cancel: &Request) -> Option<(TxId, Owner)> {
        let id = ServerKey::cancelled_by(cancel).and_then(|key| self.servers.get(&key).copied())?;
        self.entries.get(&id).map(|entry| (id, entry.owner))
    }

    /// Whether a server INVITE transaction still waits for the owner's final response.
    pub(crate) fn is_proceeding(&self, id: TxId) -> bool {
        matches!(self.entries.get(&id).map(|e| &e.machine),
            Some(Machine::ServerInvite(m)) if m.state() == crate::transaction::State::Proceeding)
    }

    /// A transaction's timer fired.
    pub(crate) fn on_timer(&mut self, id: TxId, timer: Timer, now: Millis, effects: &mut Effects) {
        let actions = match self.entries.get_mut(&id).map(|e| &mut e.machine) {
            Some(Machine::ClientInvite(m)) => m.on_timer(now, timer),
            Some(Machine::ClientNonInvite(m)) => m.on_timer(now, timer),
            Some(Machine::ServerInvite(m)) => m.on_timer(now, timer),
            Some(Machine::ServerNonInvite(m)) => m.on_timer(now, timer),
            None => return,
        };
        self.apply(id, actions, effects);
    }

    /// The flow failed: every transaction ends.
    pub(crate) fn fail_all(&mut self, effects: &mut Effects) {
        let mut ids: Vec<TxId> = self.entries.keys().copied().collect();
        ids.sort();
        for id in ids {
            self.fail(id, effects);
        }
    }

    /// One transaction's flow failed.
    pub(crate) fn fail(&mut self, id: TxId, effects: &mut Effects) {
        let actions = match self.entries.get_mut(&id).map(|e| &mut e.machine) {
            Some(Machine::ClientInvite(m)) => m.on_transport_error(),
            Some(Machine::ClientNonInvite(m)) => m.on_transport_error(),
            Some(Machine::ServerInvite(m)) => m.on_transport_error(),
            Some(Machine::ServerNonInvite(m)) => m.on_transport_error(),
            None => return,
        };
        self.apply(id, actions, effects);
    }

    /// Whether transaction `id` is still live.
    pub(crate) fn contains(&self, id: TxId) -> bool {
        self.entries.get(&id).is_some()
    }

    /// Whether any live transaction belongs to `owner`.
    pub(crate) fn owned_by(&self, owner: Owner) -> bool {
        self.entries.values().any(|entry| entry.owner == owner)
    }

    /// Whether a request we sent still waits for its final response.
    pub(crate) fn awaiting_response(&self) -> bool {
        use crate::transaction::State;
        self.entries.values().any(|entry| match &entry.machine {
            Machine::ClientInvite(m) => matches!(m.state(), State::Calling | State::Proceeding),
            Machine::ClientNonInvite(m) => matches!(m.state(), State::Trying | State::Proceeding),
            _ => false,
        })
    }

    /// Each live transaction as "METHOD machine-state", for diagnostics.
    pub(crate) fn describe(&self) -> Vec<String> {
        self.entries
            .values()
            .map(|entry| {
                let state = match &entry.machine {
                    Machine::ClientInvite(m) => format!("client {:?}", m.state()),
                    Machine::ClientNonInvite(m) => format!("client {:?}", m.state()),
                    Machine::ServerInvite(m) => format!("server {:?}", m.state()),
                    Machine::ServerNonInvite(m) => format!("server {:?}", m.state()),
                };
                format!("{} {state}", entry.request.method)
            })
            .collect()
    }

    /// How many transactions are live.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn fresh(&mut self) -> TxId {
        self.next += 1;
        TxId(self.next)
    }

    fn apply(&mut self, id: TxId, actions: Vec<Action>, effects: &mut Effects) {
        for action in actions {
            let Some(entry) = self.entries.get(&id) else { return };
            let owner = entry.owner;
            match action {
                // Empty: the message could not be serialized, and nothing leaves.
                Action::Send(bytes) if bytes.is_empty() => {}
                Action::Send(bytes) => effects.sends.push(bytes),
                Action::Schedule(timer, at) => effects.schedule.push((id, timer, at)),
                Action::Cancel(timer) => effects.cancel.push((id, timer)),
                Action::Deliver(response) => effects.notices.push(Notice::Response {
                    tx: id,
                    owner,
                    request: Box::new(entry.request.clone()),
                    response,
                }),
                Action::DeliverRequest(ack) => effects.notices.push(Notice::Ack { owner, ack }),
                Action::Failed(failure) => effects.notices.push(Notice::Failed {
                    tx: id,
                    owner,
                    request: Box::new(entry.request.clone()),
                    failure,
                }),
                Action::Terminated => {
                    if let Some(entry) = self.entries.remove(&id) {
                        if let Some(key) = entry.client_key {
                            self.clients.remove(&key);
                        }
                        if let Some(key) = entry.server_key {
                            self.servers.remove(&key);
                        }
                    }
                    effects.notices.push(Notice::Terminated { tx: id, owner });
                }
            }
        }
    }
}
