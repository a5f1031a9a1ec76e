//! The test network: a registrar and a transparent forwarding proxy in memory. Requests go to
//! the agent whose Contact or address of record the Request-URI names; responses go back to
//! the agent whose Via host they carry. The proxy record-routes dialogs and refuses in-dialog
//! requests that do not route through it, as Kamailio does.

use std::collections::{HashMap, VecDeque};

use crate::Millis;
use crate::agent::{AgentConfig, Event, FlowId, Output, Server, TransportKind, UserAgent};
use crate::auth::Credentials;
use crate::headers::{NameAddr, Via};
use crate::message::{HeaderName, Message, Method, Response, Uri};
use crate::random::{Random, SplitMix};

pub(super) const DOMAIN: &str = "framephone.test";
const PROXY: &str = "proxy.test";

pub(super) struct Node {
    pub ua: UserAgent,
    pub flow: Option<FlowId>,
    pub events: Vec<Event>,
    pub user: String,
}

/// Decides whether the proxy passes on a message from an agent.
pub(super) type Filter = Box<dyn FnMut(usize, &Message) -> bool>;

pub(super) struct Net {
    pub now: Millis,
    pub nodes: Vec<Node>,
    queue: VecDeque<(usize, Vec<u8>)>,
    contacts: HashMap<String, usize>,
    aors: HashMap<String, (usize, Uri)>,
    via_hosts: HashMap<String, usize>,
    /// New connections are refused while true.
    pub server_down: bool,
    /// The proxy answers INVITEs without credentials with 407.
    pub challenge_invites: bool,
    /// The server stops answering anything, keepalives included.
    pub silent: bool,
    /// Percentage of messages lost (UDP tests).
    pub loss_percent: u64,
    /// Hand every request and response to this hook first; `false` drops it.
    pub filter: Option<Filter>,
    random: SplitMix,
    /// Every message that crossed the proxy, as text, for assertions.
    pub wire: Vec<String>,
}

pub(super) fn config(user: &str, transport: TransportKind) -> AgentConfig {
    let address = match transport {
        TransportKind::Udp => "127.0.0.1:5060".to_owned(),
        TransportKind::Ws => "ws://proxy.test/ws".to_owned(),
        TransportKind::Wss => "wss://proxy.test/ws".to_owned(),
    };
    let mut config = AgentConfig::new(
        Uri::parse(format!("sip:{user}@{DOMAIN}").as_bytes()).expect("aor"),
        Credentials { username: user.into(), password: format!("{user}-pw") },
        vec![Server { address, transport }],
        format!("urn:uuid:00000000-0000-4000-8000-00000000{user:0>4}"),
    );
    config.display_name = Some(format!("Agent {user}"));
    config
}

impl Net {
    pub fn new() -> Net {
        Net {
            now: Millis(1_000),
            nodes: Vec::new(),
            queue: VecDeque::new(),
            contacts: HashMap::new(),
            aors: HashMap::new(),
            via_hosts: HashMap::new(),
            server_down: false,
            challenge_invites: false,
            silent: false,
            loss_percent: 0,
            filter: None,
            random: SplitMix(7),
            wire: Vec::new(),
        }
    }

    /// Adds a started, registered agent; returns its index.
    pub fn agent(&mut self, user: &str) -> usize {
        self.agent_with(config(user, TransportKind::Ws))
    }

    pub fn agent_with(&mut self, config: AgentConfig) -> usize {
        let user = config.aor.user.clone().unwrap_or_default();
        let seed = 1000 + self.nodes.len() as u64;
        let ua = UserAgent::new(config, Box::new(SplitMix(seed))).expect("config");
        self.nodes.push(Node { ua, flow: None, events: Vec::new(), user });
        let index = self.nodes.len() - 1;
        let now = self.now;
        self.nodes[index].ua.start(now);
        self.run();
        index
    }

    /// Takes the events an agent reported so far.
    pub fn events(&mut self, node: usize) -> Vec<Event> {
        std::mem::take(&mut self.nodes[node].events)
    }

    /// Runs `command` on an agent at the current time, then lets the network settle.
    pub fn with<T>(&mut self, node: usize, command: impl FnOnce(&mut UserAgent, Millis) -> T) -> T {
        let now = self.now;
        let result = command(&mut self.nodes[node].ua, now);
        self.run();
        result
    }

    /// Moves the clock by `millis`, running every timer on the way.
    pub fn advance(&mut self, millis: u64) {
        let end = self.now + millis;
        loop {
            let next = self.nodes.iter().filter_map(|n| n.ua.poll_timeout()).min();
            match next {
                Some(at) if at <= end => {
                    self.now = self.now.max(at);
                    let now = self.now;
                    for node in &mut self.nodes {
                        node.ua.handle_timeout(now);
                    }
                    self.run();
                }
                _ => break,
            }
        }
        self.now = end;
    }

    /// A hostile peer's bytes reach an agent as if the proxy passed them on; what the agent
    /// answers lands in [`Net::wire`] (its Via names nobody, so it goes no further).
    pub fn inject(&mut self, node: usize, bytes: &[u8]) {
        let now = self.now;
        if let Some(flow) = self.nodes[node].flow {
            self.nodes[node].ua.receive(now, flow, bytes);
        }
        self.run();
    }

    /// The flow of an agent drops (the server restarted, the network went away).
    pub fn drop_flow(&mut self, node: usize) {
        if let Some(flow) = self.nodes[node].flow.take() {
            let now = self.now;
            self.nodes[node].ua.closed(now, flow);
            self.run();
        }
    }

    /// Delivers everything until nothing moves.
    pub fn run(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            for index in 0..self.nodes.len() {
                while let Some(output) = self.nodes[index].ua.poll_output() {
                    moved = true;
                    self.output(index, output);
                }
            }
            if let Some((to, bytes)) = self.queue.pop_front() {
                moved = true;
                let node = &mut self.nodes[to];
                if let Some(flow) = node.flow {
                    node.ua.receive(self.now, flow, &bytes);
                }
            }
            if !moved {
                return;
            }
        }
        panic!("the network never settled");
    }

    fn output(&mut self, index: usize, output: Output) {
        match output {
            Output::Connect { flow, .. } => {
                let now = self.now;
                if self.server_down {
                    self.nodes[index].ua.closed(now, flow);
                } else {
                    self.nodes[index].flow = Some(flow);
                    self.nodes[index].ua.connected(now, flow, Some("127.0.0.1:40000"));
                }
            }
            Output::Close { flow } => {
                if self.nodes[index].flow == Some(flow) {
                    self.nodes[index].flow = None;
                }
            }
            Output::Send { flow, bytes } => {
                if self.nodes[index].flow == Some(flow) {
                    self.route(index, bytes);
                }
            }
            Output::Event(event) => self.nodes[index].events.push(event),
        }
    }

    fn route(&mut self, from: usize, bytes: Vec<u8>) {
        if self.silent {
            return;
        }
        if bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            if bytes == b"\r\n\r\n" {
                self.queue.push_back((from, b"\r\n".to_vec()));
            }
            return;
        }
        if self.loss_percent > 0 && self.random.below(100) < self.loss_percent {
            return;
        }
        let Ok(message) = Message::parse(&bytes) else { panic!("agent sent unparsable bytes: {bytes:?}") };
        self.wire.push(String::from_utf8_lossy(&bytes).into_owned());
        if let Some(filter) = self.filter.as_mut()
            && !filter(from, &message)
        {
            return;
        }
        match message {
            Message::Request(mut request) => {
                if let Some(via) = request.headers.get(&HeaderName::Via).and_then(|v| Via::parse(v).ok()) {
                    self.via_hosts.insert(via.host.clone(), from);
                }
                let original = request.clone();
                let respond = |net: &mut Net, status: u16, extra: &[(HeaderName, String)]| {
                    if original.method == Method::Ack {
                        return;
                    }
                    let mut response = Response::to_request(&original, status, Some("proxy"));
                    for (name, value) in extra {
                        response.headers.push(name.clone(), value.clone());
                    }
                    net.queue.push_back((from, response.to_bytes().expect("serializable")));
                };
                match request.method {
                    Method::Register => {
                        let contact = request.headers.get(&HeaderName::Contact).map(<[u8]>::to_vec).unwrap_or_default();
                        let expires = request.headers.get_str(&HeaderName::Expires).unwrap_or("600").to_owned();
                        let address = NameAddr::parse(&contact).expect("contact");
                        let aor =
                            NameAddr::parse(request.headers.get(&HeaderName::To).unwrap_or_default()).expect("to");
                        let aor_user = aor.uri.user.clone().unwrap_or_default();
                        let contact_user = address.uri.user.clone().unwrap_or_default();
                        if expires == "0" {
                            self.aors.remove(&aor_user);
                        } else {
                            self.aors.insert(aor_user, (from, address.uri.clone()));
                            self.contacts.insert(contact_user, from);
                        }
                        let mut value = String::from_utf8_lossy(&contact).into_owned();
                        value = value.replace(";expires=600", "");
                        respond(self, 200, &[(HeaderName::Contact, format!("{value};expires={expires}"))]);
                    }
                    Method::Publish => respond(
                        self,
                        200,
                        &[(HeaderName::SipETag, "etag1".into()), (HeaderName::Expires, "3600".into())],
                    ),
                    Method::Subscribe => respond(self, 202, &[(HeaderName::Expires, "600".into())]),
                    _ => {
                        let in_dialog = request.headers.get_str(&HeaderName::To).is_some_and(|to| to.contains("tag="));
                        let routed = request.headers.get_str(&HeaderName::Route).is_some_and(|r| r.contains(PROXY));
                        if in_dialog && request.method != Method::Cancel {
                            if !routed {
                                return respond(self, 404, &[]);
                            }
                            let mut routes: Vec<Vec<u8>> =
                                request.headers.all(&HeaderName::Route).map(<[u8]>::to_vec).collect();
                            routes.remove(0);
                            request.headers.remove(&HeaderName::Route);
                            for route in routes {
                                request.headers.push(HeaderName::Route, route);
                            }
                        }
                        if !in_dialog && request.method == Method::Invite {
                            request.headers.push_front(HeaderName::RecordRoute, format!("<sip:{PROXY};lr>"));
                        }
                        if self.challenge_invites
                            && request.method == Method::Invite
                            && request.headers.get(&HeaderName::ProxyAuthorization).is_none()
                            && !request.headers.get_str(&HeaderName::To).unwrap_or("").contains("tag=")
                        {
                            let challenge = format!("Digest realm=\"{DOMAIN}\", nonce=\"n0nce\", qop=\"auth\"");
                            return respond(self, 407, &[(HeaderName::ProxyAuthenticate, challenge)]);
                        }
                        let user = request.uri.user.clone().unwrap_or_default();
                        let target = if let Some(node) = self.contacts.get(&user) {
                            Some(*node)
                        } else if let Some((node, contact)) = self.aors.get(&user) {
                            request.uri = contact.clone();
                            Some(*node)
                        } else {
                            None
                        };
                        match target {
                            Some(node) => self
                                .queue
                                .push_back((node, Message::Request(request).to_bytes().expect("serializable"))),
                            None => respond(self, 404, &[]),
                        }
                    }
                }
            }
            Message::Response(response) => {
                let via = response.headers.get(&HeaderName::Via).and_then(|v| Via::parse(v).ok());
                if let Some(node) = via.and_then(|via| self.via_hosts.get(&via.host).copied()) {
                    self.queue.push_back((node, response.to_bytes().expect("serializable")));
                }
            }
        }
    }
}
