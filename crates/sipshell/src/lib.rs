//! The sans-IO [`UserAgent`] on real sockets: WebSocket (RFC 7118, `ws://` and `wss://`) and UDP,
//! with tokio. One task owns the agent; commands reach it as closures, events come back on a
//! channel. A test and diagnostic tool: the browser has its own shell.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use sip::Millis;
use sip::agent::{AgentConfig, Event, FlowId, Output, Server, TransportKind, UserAgent};
use sip::random::ChaCha;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// What the network tells the agent task.
enum NetInput {
    Connected { flow: FlowId, local: Option<String> },
    Received { flow: FlowId, bytes: Vec<u8> },
    Closed { flow: FlowId },
}

type Command = Box<dyn FnOnce(&mut UserAgent, Millis) + Send>;

/// A running agent.
pub struct Phone {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<Event>,
    /// Events read but not yet asked for by [`Phone::wait_for`].
    backlog: Vec<Event>,
}

impl Phone {
    /// Starts an agent for `config` on the current tokio runtime and tells it to register.
    pub fn start(config: AgentConfig) -> Result<Phone, sip::agent::ConfigError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        // Tags, branches and Call-IDs must be unpredictable (RFC 3261 §19.3): ChaCha20 keyed
        // from the OS. A machine without an entropy source cannot run a phone safely.
        let mut seed = [0u8; 32];
        if let Err(error) = getrandom::fill(&mut seed) {
            panic!("the operating system gave no random bytes for the SIP tags and branches: {error}");
        }
        let agent = UserAgent::new(config, Box::new(ChaCha::from_seed(seed)))?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::unbounded_channel();
        tokio::spawn(run_agent(agent, command_rx, event_tx));
        let phone = Phone { commands, events, backlog: Vec::new() };
        phone.send(|ua, now| ua.start(now));
        Ok(phone)
    }

    /// Runs `command` on the agent without waiting for it.
    pub fn send(&self, command: impl FnOnce(&mut UserAgent, Millis) + Send + 'static) {
        let _ = self.commands.send(Box::new(command));
    }

    /// Runs `command` on the agent and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        command: impl FnOnce(&mut UserAgent, Millis) -> T + Send + 'static,
    ) -> T {
        let (reply, answer) = oneshot::channel();
        self.send(move |ua, now| {
            let _ = reply.send(command(ua, now));
        });
        answer.await.expect("the agent task ended")
    }

    /// The next event, waiting at most `timeout`.
    pub async fn next_event(&mut self, timeout: Duration) -> Option<Event> {
        if !self.backlog.is_empty() {
            return Some(self.backlog.remove(0));
        }
        tokio::time::timeout(timeout, self.events.recv()).await.ok().flatten()
    }

    /// Waits for the first event `pick` accepts; events it skips stay for later calls.
    pub async fn wait_for<T>(
        &mut self,
        timeout: Duration,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> Result<T, String> {
        if let Some(index) = self.backlog.iter().position(|e| pick(e).is_some()) {
            let event = self.backlog.remove(index);
            return pick(&event).ok_or_else(|| "unreachable".to_owned());
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => match pick(&event) {
                    Some(found) => return Ok(found),
                    None => self.backlog.push(event),
                },
                Ok(None) => return Err("the agent stopped".into()),
                Err(_) => return Err(format!("timed out; events seen: {:?}", self.backlog)),
            }
        }
    }

    /// Events received and not yet taken.
    pub fn drain(&mut self) -> Vec<Event> {
        while let Ok(event) = self.events.try_recv() {
            self.backlog.push(event);
        }
        std::mem::take(&mut self.backlog)
    }
}

/// The agent task: feeds the agent with commands, network input and timers, and carries out
/// its outputs.
async fn run_agent(
    mut agent: UserAgent,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<Event>,
) {
    let started = Instant::now();
    let now = move || Millis(started.elapsed().as_millis() as u64);
    let (net_tx, mut net_rx) = mpsc::unbounded_channel::<NetInput>();
    let mut flows: HashMap<FlowId, mpsc::UnboundedSender<Vec<u8>>> = HashMap::new();
    let trace = std::env::var_os("SIPSHELL_TRACE").is_some();
    loop {
        while let Some(output) = agent.poll_output() {
            match output {
                Output::Connect { flow, server } => {
                    let (send_tx, send_rx) = mpsc::unbounded_channel();
                    flows.insert(flow, send_tx);
                    tokio::spawn(run_flow(flow, server, send_rx, net_tx.clone()));
                }
                Output::Send { flow, bytes } => {
                    if trace {
                        eprintln!("--> flow {} at {:?}\n{}", flow.0, now(), String::from_utf8_lossy(&bytes));
                    }
                    if let Some(flow) = flows.get(&flow) {
                        let _ = flow.send(bytes);
                    }
                }
                Output::Close { flow } => {
                    flows.remove(&flow);
                }
                Output::Event(event) => {
                    let _ = events.send(event);
                }
            }
        }
        let wake = agent.poll_timeout().map(|at| started + Duration::from_millis(at.0));
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => command(&mut agent, now()),
                None => return,
            },
            Some(input) = net_rx.recv() => match input {
                NetInput::Connected { flow, local } => agent.connected(now(), flow, local.as_deref()),
                NetInput::Received { flow, bytes } => {
                    if trace {
                        eprintln!("<-- flow {} at {:?}\n{}", flow.0, now(), String::from_utf8_lossy(&bytes));
                    }
                    agent.receive(now(), flow, &bytes)
                }
                NetInput::Closed { flow } => {
                    flows.remove(&flow);
                    agent.closed(now(), flow);
                }
            },
            () = sleep_until(wake) => agent.handle_timeout(now()),
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// One flow: opens it, then carries bytes both ways until either side closes.
async fn run_flow(
    flow: FlowId,
    server: Server,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    net: mpsc::UnboundedSender<NetInput>,
) {
    let result = match server.transport {
        TransportKind::Udp => run_udp(flow, &server.address, &mut outgoing, &net).await,
        TransportKind::Ws | TransportKind::Wss => run_websocket(flow, &server.address, &mut outgoing, &net).await,
    };
    if let Err(why) = result {
        eprintln!("flow {}: {}: {why}", flow.0, server.address);
    }
    let _ = net.send(NetInput::Closed { flow });
}

async fn run_udp(
    flow: FlowId,
    address: &str,
    outgoing: &mut mpsc::UnboundedReceiver<Vec<u8>>,
    net: &mpsc::UnboundedSender<NetInput>,
) -> Result<(), String> {
    let socket = UdpSocket::bind("0.0.0.0:0").await.map_err(|e| e.to_string())?;
    socket.connect(address).await.map_err(|e| e.to_string())?;
    let mut local = socket.local_addr().map_err(|e| e.to_string())?;
    if local.ip().is_unspecified() {
        // The Via and Contact need an address the server can answer.
        local.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let _ = net.send(NetInput::Connected { flow, local: Some(local.to_string()) });
    let mut buffer = vec![0u8; 65_535];
    loop {
        tokio::select! {
            bytes = outgoing.recv() => match bytes {
                Some(bytes) => { socket.send(&bytes).await.map_err(|e| e.to_string())?; }
                None => return Ok(()),
            },
            received = socket.recv(&mut buffer) => {
                // ICMP "port unreachable" shows up here; UDP has no connection to lose, so go on.
                if let Ok(length) = received {
                    let _ = net.send(NetInput::Received { flow, bytes: buffer[..length].to_vec() });
                }
            }
        }
    }
}

async fn run_websocket(
    flow: FlowId,
    address: &str,
    outgoing: &mut mpsc::UnboundedReceiver<Vec<u8>>,
    net: &mpsc::UnboundedSender<NetInput>,
) -> Result<(), String> {
    let mut request = address.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "sip".parse().map_err(|_| "header")?);
    let connect = tokio_tungstenite::connect_async(request);
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(10), connect)
        .await
        .map_err(|_| "no answer in 10 s".to_owned())?
        .map_err(|e| e.to_string())?;
    let _ = net.send(NetInput::Connected { flow, local: None });
    loop {
        tokio::select! {
            bytes = outgoing.recv() => match bytes {
                Some(bytes) => {
                    let message = match String::from_utf8(bytes) {
                        Ok(text) => WsMessage::Text(text.into()),
                        Err(bytes) => WsMessage::Binary(bytes.into_bytes().into()),
                    };
                    socket.send(message).await.map_err(|e| e.to_string())?;
                }
                None => {
                    let _ = socket.close(None).await;
                    return Ok(());
                }
            },
            received = socket.next() => match received {
                Some(Ok(WsMessage::Text(text))) => { let _ = net.send(NetInput::Received { flow, bytes: text.as_bytes().to_vec() }); }
                Some(Ok(WsMessage::Binary(bytes))) => { let _ = net.send(NetInput::Received { flow, bytes: bytes.to_vec() }); }
                Some(Ok(WsMessage::Close(_))) | None => return Ok(()),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.to_string()),
            },
        }
    }
}
