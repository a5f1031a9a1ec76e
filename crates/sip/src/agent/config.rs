//! What a user agent is configured with.

use thiserror::Error;

use super::transfer_policy::TransferPattern;
use crate::auth::AuthCredentials;
use crate::message::{Scheme, Uri, has_line_breaking_byte};
use crate::transaction::TimerValues;

/// How the agent reaches a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// WebSocket over TLS (RFC 7118), what browsers use in production.
    Wss,
    /// WebSocket without TLS (loopback labs).
    Ws,
    /// UDP datagrams (native tools and tests).
    Udp,
}

impl TransportKind {
    /// The Via transport token.
    pub fn via_token(self) -> &'static str {
        match self {
            TransportKind::Wss => "WSS",
            TransportKind::Ws => "WS",
            TransportKind::Udp => "UDP",
        }
    }

    /// Whether the transport delivers or fails (no retransmissions needed).
    pub fn is_reliable(self) -> bool {
        self != TransportKind::Udp
    }
}

/// One SIP server (outbound proxy and registrar) the agent may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Where the shell connects: a `ws://`/`wss://` URL, or `host:port` for UDP.
    pub address: String,
    /// The transport.
    pub transport: TransportKind,
}

/// Everything the agent needs to know to run.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    /// The address of record, e.g. `sip:1001@framephone.test`.
    pub aor: Uri,
    /// Shown to the people we call.
    pub display_name: Option<String>,
    /// Digest credentials: the password, or HA1 values kept from an earlier sign-in.
    pub credentials: AuthCredentials,
    /// Servers in order of preference; the agent fails over to the next when one fails.
    pub servers: Vec<Server>,
    /// RFC 5626 instance id, `urn:uuid:…`, the same every time this agent runs.
    pub instance_id: String,
    /// Registration lifetime requested, in seconds.
    pub register_expires: u32,
    /// Seconds between CRLF keepalive pings on a reliable flow (0: none).
    pub keepalive_seconds: u32,
    /// RFC 4028 session interval requested on calls, in seconds (0: no session timer).
    pub session_expires: u32,
    /// Subscription lifetime requested, in seconds.
    pub subscribe_expires: u32,
    /// Presence publication lifetime, in seconds.
    pub publish_expires: u32,
    /// The most subscriptions (watched contacts) the agent holds at once; one more is refused
    /// with [`super::CommandError::TooManySubscriptions`].
    pub max_subscriptions: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Transaction timer bases.
    pub timers: TimerValues,
    /// Calls at once (ringing, in progress or on hold); an INVITE beyond them gets 486.
    pub max_calls: usize,
    /// Where a REFER may send us besides our own domain (`partner.example`, `*.partner.example`,
    /// `+4420*@gw.example`).
    pub transfer_targets: Vec<TransferPattern>,
    /// Whether incoming MESSAGEs are taken (200, [`super::Event::MessageReceived`]) because
    /// the application shows them; otherwise they are refused with 480.
    pub accept_messages: bool,
}

/// Calls at once unless configured otherwise.
pub const DEFAULT_MAX_CALLS: usize = 4;
/// How many subscriptions an agent holds at most unless configured otherwise: the widget's
/// directory holds at most 200 contacts, each watched once.
pub const DEFAULT_MAX_SUBSCRIPTIONS: usize = 200;

/// Why a configuration cannot be used.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// No server to connect to.
    #[error("no SIP server is configured: add at least one")]
    NoServer,
    /// The address of record is not a `sip:`/`sips:` URI with a user part.
    #[error("the address of record {0} needs the form sip:user@domain")]
    BadAor(String),
    /// The instance id is not a URN.
    #[error("the instance id {0} must be a URN such as urn:uuid:…")]
    BadInstanceId(String),
    /// A server address does not fit its transport.
    #[error("server {address}: {problem}")]
    BadServer {
        /// The address as configured.
        address: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A lifetime is too short to be useful.
    #[error("{0} must be at least 60 seconds")]
    TooShort(&'static str),
    /// A text that goes on the wire holds a CR, LF or NUL, which could inject headers.
    #[error("{0} holds a line break or NUL character: remove it")]
    UnsafeText(&'static str),
    /// No call would ever be taken.
    #[error("max_calls must be at least 1")]
    NoCalls,
}

impl AgentConfig {
    /// A configuration with the usual lifetimes for `aor` on `servers`.
    pub fn new(aor: Uri, credentials: impl Into<AuthCredentials>, servers: Vec<Server>, instance_id: String) -> Self {
        AgentConfig {
            aor,
            display_name: None,
            credentials: credentials.into(),
            servers,
            instance_id,
            register_expires: 600,
            keepalive_seconds: 30,
            session_expires: 1800,
            subscribe_expires: 600,
            publish_expires: 3600,
            max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
            user_agent: concat!("Framephone/", env!("CARGO_PKG_VERSION")).to_owned(),
            timers: TimerValues::default(),
            max_calls: DEFAULT_MAX_CALLS,
            transfer_targets: Vec::new(),
            accept_messages: false,
        }
    }

    /// Checks what the agent relies on.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.servers.is_empty() {
            return Err(ConfigError::NoServer);
        }
        let texts = [
            ("the display name", self.display_name.as_deref().unwrap_or_default()),
            ("the username", self.credentials.username()),
            ("the user agent", self.user_agent.as_str()),
            ("the instance id", self.instance_id.as_str()),
        ];
        for (name, text) in texts {
            if has_line_breaking_byte(text.as_bytes()) {
                return Err(ConfigError::UnsafeText(name));
            }
        }
        if self.servers.iter().any(|s| has_line_breaking_byte(s.address.as_bytes())) {
            return Err(ConfigError::UnsafeText("a server address"));
        }
        if self.max_calls == 0 {
            return Err(ConfigError::NoCalls);
        }
        if !matches!(self.aor.scheme, Scheme::Sip | Scheme::Sips) || self.aor.user.is_none() {
            return Err(ConfigError::BadAor(self.aor.to_string()));
        }
        if !self.instance_id.to_ascii_lowercase().starts_with("urn:") {
            return Err(ConfigError::BadInstanceId(self.instance_id.clone()));
        }
        for server in &self.servers {
            let web = server.address.starts_with("ws://") || server.address.starts_with("wss://");
            let problem = match server.transport {
                TransportKind::Ws if !server.address.starts_with("ws://") => Some("a WS server needs a ws:// URL"),
                TransportKind::Wss if !server.address.starts_with("wss://") => Some("a WSS server needs a wss:// URL"),
                TransportKind::Udp if web || !server.address.contains(':') => Some("a UDP server needs host:port"),
                _ => None,
            };
            if let Some(problem) = problem {
                return Err(ConfigError::BadServer { address: server.address.clone(), problem });
            }
        }
        for (name, value) in
            [("register_expires", self.register_expires), ("subscribe_expires", self.subscribe_expires)]
        {
            if value < 60 {
                return Err(ConfigError::TooShort(name));
            }
        }
        if self.session_expires != 0 && self.session_expires < 90 {
            return Err(ConfigError::TooShort("session_expires (or 0 to turn it off)"));
        }
        Ok(())
    }
}
