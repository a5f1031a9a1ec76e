//! The administrator's configuration file, `framephone.json`, served beside the widget.
//!
//! It is input like any other: [`Config::parse`] validates it strictly and returns every problem
//! at once, each naming the key (`sip.servers[1]`) and what is wrong with it.

mod crm;
mod dialling;
mod fetch;
pub mod headers;
mod media;
mod reader;
mod secure_page;
mod service;

use std::fmt;

use serde_json::Value;

use crate::dial_plan::DialPlan;
use crate::display_name::clean;
use crate::i18n::{Language, t, t_args};
use crate::origin::{AllowList, OriginError, OriginPattern, is_loopback_host};
pub use crm::{CrmSettings, LogTarget, ScreenPopWhen, SearchTable, ServiceNowSettings};
pub use fetch::fetch_config;
pub use media::{MAX_MUSIC_PATH_CHARS, MediaSettings};
use reader::{ObjectReader, Problems, as_array, as_str, item_path};
pub use secure_page::problems_on_page;
pub use service::ServiceSettings;

/// Where the widget fetches its configuration, relative to its own page.
pub const CONFIG_PATH: &str = "framephone.json";

/// A validated configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// SIP account settings shared by every agent.
    pub sip: SipSettings,
    /// STUN and TURN servers for WebRTC.
    pub ice_servers: Vec<IceServer>,
    /// Which ICE candidates a call may use (`ice.transportPolicy`).
    pub ice_transport_policy: IceTransportPolicy,
    /// Which host pages may embed the widget.
    pub allowed_origins: AllowList,
    /// The Open CTI flavour the administrator set (`hosts.salesforceMode`), which overrides
    /// detection; unset, the widget tells from the page.
    pub salesforce_mode: Option<SalesforceMode>,
    /// Title and size of the host's panel.
    pub panel: PanelSettings,
    /// Agent states: Not Ready reasons, After Call Work, how unavailable agents refuse calls.
    pub agent: AgentSettings,
    /// Colleagues and contacts in the Directory tab.
    pub directory: Vec<Contact>,
    /// How dialled numbers are rewritten for the telephone system.
    pub dialling: DialPlan,
    /// What held parties hear.
    pub media: MediaSettings,
    /// Screen pop, wrap-up and call logging in the CRM.
    pub crm: CrmSettings,
    /// The integration service, when the CRM's tokens and the call logs go through one.
    pub service: Option<ServiceSettings>,
    /// The phone's language (`language`: `"en"`, `"ja"`, or `"auto"`, the browser's); none:
    /// the browser's.
    pub language: Option<crate::i18n::Language>,
}

/// One entry of the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// The name shown.
    pub name: String,
    /// What to dial (an extension, a number, or a `sip:` address).
    pub number: String,
}

/// The most directory entries a configuration may list (each one is a presence subscription).
pub const MAX_CONTACTS: usize = 200;

/// Agent state settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSettings {
    /// The reasons an agent can give for Not Ready.
    pub not_ready_reasons: Vec<String>,
    /// Seconds of After Call Work after each answered call (0: none).
    pub after_call_work_seconds: u32,
    /// The status a call gets while the agent is not Ready (486 Busy Here by default).
    pub not_ready_status: u16,
    /// Which calls still ring while the agent is not Ready.
    pub ring_when_not_ready: RingWhenNotReady,
}

/// `agent.ringWhenNotReady`: the calls a Not Ready agent is still offered; every other call
/// gets `agent.notReadyStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingWhenNotReady {
    /// `"colleagues"`: calls from a number in the directory (a supervisor, a colleague's
    /// consultation).
    pub colleagues: bool,
    /// `"transfers"`: calls a directory colleague transfers to the agent (their Referred-By
    /// names the colleague).
    pub transfers: bool,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            not_ready_reasons: ["Break", "Lunch", "Meeting", "Training"].map(String::from).to_vec(),
            after_call_work_seconds: 0,
            not_ready_status: 486,
            ring_when_not_ready: RingWhenNotReady { colleagues: true, transfers: false },
        }
    }
}

/// SIP settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SipSettings {
    /// The SIP domain agents register in, e.g. `pbx.example.com`.
    pub domain: String,
    /// WebSocket servers in order of preference (`wss://`, or `ws://` on loopback).
    pub servers: Vec<String>,
    /// How keypad digits travel during a call.
    pub dtmf: DtmfMode,
    /// Calls at once (ringing, in progress, on hold); more get 486 Busy Here.
    pub max_calls: usize,
    /// Where a transfer asked for by the other party (REFER) may send the agent besides
    /// `domain`: `partner.example`, `*.partner.example`, `+4420*@gw.example`.
    pub transfer_targets: Vec<sip::agent::TransferPattern>,
}

/// Calls at once unless `sip.maxCalls` says otherwise.
pub const DEFAULT_MAX_CALLS: usize = sip::agent::DEFAULT_MAX_CALLS;
/// The most `sip.maxCalls` may allow.
pub const MAX_CALLS_RANGE: std::ops::RangeInclusive<u32> = 1..=20;

/// How keypad digits travel during a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DtmfMode {
    /// In the audio stream as RTP telephone events (RFC 4733), the browser's own way.
    Rfc4733,
    /// As SIP INFO requests (`application/dtmf-relay`), for servers that want them.
    Info,
}

/// One entry of `RTCConfiguration.iceServers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceServer {
    /// `stun:`, `stuns:`, `turn:` or `turns:` URLs.
    pub urls: Vec<String>,
    /// TURN user name.
    pub username: Option<String>,
    /// TURN password.
    pub credential: Option<String>,
}

/// `ice.transportPolicy`, passed to `RTCConfiguration.iceTransportPolicy`: which candidates a
/// call may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IceTransportPolicy {
    /// `"all"`: host, server-reflexive and relayed candidates (the browser's default).
    #[default]
    All,
    /// `"relay"`: relayed candidates only, for sites whose firewall lets media out only through
    /// TURN (and to hide the agent's addresses from the other party).
    Relay,
}

/// Lightning or Classic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SalesforceMode {
    /// Lightning Experience: `sforce.opencti`.
    Lightning,
    /// Salesforce Classic: `sforce.interaction`.
    Classic,
}

/// The panel the host shows the widget in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelSettings {
    /// Panel title (OpenFrame header, Salesforce utility item label).
    pub title: String,
    /// Width in CSS pixels.
    pub width: u32,
    /// Height in CSS pixels, excluding the host's header.
    pub height: u32,
}

/// Default panel width: the usual OpenFrame size.
pub const DEFAULT_WIDTH: u32 = 373;
/// Default panel height.
pub const DEFAULT_HEIGHT: u32 = 300;
/// Open CTI accepts panel widths from 200 to 1920 pixels.
pub const WIDTH_RANGE: std::ops::RangeInclusive<u32> = 200..=1920;
/// Open CTI accepts panel heights from 240 to 2560 pixels.
pub const HEIGHT_RANGE: std::ops::RangeInclusive<u32> = 240..=2560;
/// Hosts refuse titles longer than this (OpenFrame `setTitle`).
pub const MAX_TITLE_CHARS: usize = 256;

/// One thing wrong with the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The key concerned, e.g. `sip.servers[1]`.
    pub path: String,
    /// What is wrong, in words an administrator can act on.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&t_args("config.problem", &[("path", &self.path), ("message", &self.message)]))
    }
}

impl Config {
    /// Parses and validates the text of `framephone.json`.
    pub fn parse(text: &str) -> Result<Config, Vec<ConfigProblem>> {
        let root: Value = serde_json::from_str(text).map_err(|e| {
            let (line, column) = (e.line().to_string(), e.column().to_string());
            let position = [("file", CONFIG_PATH), ("line", line.as_str()), ("column", column.as_str())];
            vec![ConfigProblem {
                path: t_args("config.json.position", &position),
                message: t_args("config.json.invalid", &[("error", &json_error_message(&e))]),
            }]
        })?;
        let mut problems = Problems::default();
        let config = read_config(&root, &mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(problems.into_vec()),
        }
    }
}

fn json_error_message(error: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the path already says where.
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

fn read_config(root: &Value, problems: &mut Problems) -> Option<Config> {
    let mut top = ObjectReader::new("", root, problems)?;
    let sip = top.required("sip", problems).and_then(|v| read_sip(v, problems));
    // With callCredentials the service hands TURN servers over with their credentials.
    let minted_turn = root.pointer("/service/callCredentials") == Some(&Value::Bool(true));
    let ice = match top.value("ice") {
        Some(v) => read_ice(v, minted_turn, problems),
        None => Some((vec![], IceTransportPolicy::All)),
    };
    let hosts = top.required("hosts", problems).and_then(|v| read_hosts(v, problems));
    let panel = match top.value("panel") {
        Some(v) => read_panel(v, problems),
        None => Some(PanelSettings::default()),
    };
    let agent = match top.value("agent") {
        Some(v) => read_agent(v, problems),
        None => Some(AgentSettings::default()),
    };
    let directory = match top.value("directory") {
        Some(v) => read_directory(v, problems),
        None => Some(Vec::new()),
    };
    let dialling = match top.value("dialling") {
        Some(v) => dialling::read_dialling(v, problems),
        None => Some(DialPlan::new()),
    };
    let media = match top.value("media") {
        Some(v) => media::read_media(v, problems),
        None => Some(MediaSettings::default()),
    };
    let crm = match top.value("crm") {
        Some(v) => crm::read_crm(v, problems),
        None => Some(CrmSettings::default()),
    };
    let service = top.value("service").map(|v| service::read_service(v, problems));
    let language = top.choice(
        "language",
        None,
        &[("auto", None), ("en", Some(Language::English)), ("ja", Some(Language::Japanese))],
        &t_args("config.language-choices", &[("en", "en"), ("ja", "ja"), ("auto", "auto")]),
        problems,
    );
    top.finish(problems);
    let (allowed_origins, salesforce_mode) = hosts?;
    let (ice_servers, ice_transport_policy) = ice?;
    Some(Config {
        sip: sip?,
        ice_servers,
        ice_transport_policy,
        allowed_origins,
        salesforce_mode,
        panel: panel?,
        agent: agent?,
        directory: directory?,
        dialling: dialling?,
        media: media?,
        crm: crm?,
        service: match service {
            Some(read) => Some(read?),
            None => None,
        },
        language: language?,
    })
}

fn read_sip(value: &Value, problems: &mut Problems) -> Option<SipSettings> {
    let mut sip = ObjectReader::new("sip", value, problems)?;
    let domain_path = sip.path_of("domain");
    let domain = sip.required("domain", problems).and_then(|v| as_str(&domain_path, v, problems));
    let domain = domain.and_then(|d| {
        let valid = !d.is_empty() && d.split('.').all(|l| !l.is_empty() && l.bytes().all(is_host_byte));
        if !valid {
            let args = [("value", d), ("example", "pbx.example.com")];
            problems.push(&domain_path, t_args("config.sip.domain-invalid", &args));
        }
        valid.then(|| d.to_ascii_lowercase())
    });
    let servers_path = sip.path_of("servers");
    let servers = sip.required("servers", problems).and_then(|v| as_array(&servers_path, v, problems));
    let servers = servers.and_then(|items| {
        if items.is_empty() {
            problems.push(&servers_path, t("config.sip.no-servers"));
            return None;
        }
        let checked: Vec<Option<String>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = item_path(&servers_path, i);
                as_str(&path, item, problems).and_then(|url| check_sip_server(&path, url, problems))
            })
            .collect();
        checked.into_iter().collect::<Option<Vec<_>>>()
    });
    let dtmf = sip.choice(
        "dtmf",
        DtmfMode::Rfc4733,
        &[("rfc4733", DtmfMode::Rfc4733), ("info", DtmfMode::Info)],
        &t_args("config.sip.dtmf-choices", &[("audio", "rfc4733"), ("info", "info"), ("method", "INFO")]),
        problems,
    );
    let max_calls = sip.integer("maxCalls", MAX_CALLS_RANGE, problems).map_or(DEFAULT_MAX_CALLS, |n| n as usize);
    let targets_path = sip.path_of("transferTargets");
    let transfer_targets = match sip.value("transferTargets") {
        None => Some(Vec::new()),
        Some(value) => as_array(&targets_path, value, problems).and_then(|items| {
            let read: Vec<Option<sip::agent::TransferPattern>> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let path = item_path(&targets_path, i);
                    let text = as_str(&path, item, problems)?;
                    sip::agent::TransferPattern::parse(text).map_err(|e| problems.push(&path, pattern_problem(&e))).ok()
                })
                .collect();
            read.into_iter().collect()
        }),
    };
    sip.finish(problems);
    Some(SipSettings {
        domain: domain?,
        servers: servers?,
        dtmf: dtmf?,
        max_calls,
        transfer_targets: transfer_targets?,
    })
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn check_sip_server(path: &str, url: &str, problems: &mut Problems) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = if let Some(rest) = lower.strip_prefix("wss://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("ws://") {
        (false, rest)
    } else {
        problems.push(path, t_args("config.sip.server-not-websocket", &[("value", url)]));
        return None;
    };
    if url.chars().any(char::is_control) {
        problems.push(path, t_args("config.control-character", &[("nul", "NUL")]));
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => format!("[{}]", v6.split(']').next().unwrap_or_default()),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h).to_owned(),
    };
    if host.is_empty() || host == "[]" || authority.contains('@') {
        problems.push(path, t_args("config.sip.server-no-host", &[("value", url)]));
        return None;
    }
    if !secure && !is_loopback_host(&host) {
        problems.push(path, t_args("config.sip.server-insecure", &[("value", url), ("localhost", "localhost")]));
        return None;
    }
    Some(url.to_owned())
}

fn read_ice(value: &Value, minted_turn: bool, problems: &mut Problems) -> Option<(Vec<IceServer>, IceTransportPolicy)> {
    let mut ice = ObjectReader::new("ice", value, problems)?;
    let servers_path = ice.path_of("servers");
    let items = match ice.value("servers") {
        Some(v) => as_array(&servers_path, v, problems),
        None => Some(&[][..]),
    };
    let policy_path = ice.path_of("transportPolicy");
    let policy = ice.choice(
        "transportPolicy",
        IceTransportPolicy::All,
        &[("all", IceTransportPolicy::All), ("relay", IceTransportPolicy::Relay)],
        &t_args("config.ice.policy-choices", &[("all", "all"), ("relay", "relay")]),
        problems,
    );
    ice.finish(problems);
    let servers: Vec<Option<IceServer>> = items?
        .iter()
        .enumerate()
        .map(|(i, item)| read_ice_server(&item_path(&servers_path, i), item, problems))
        .collect();
    let servers: Vec<IceServer> = servers.into_iter().collect::<Option<_>>()?;
    let policy = policy?;
    // Relay only without a TURN server: every call would ring and connect with no audio path.
    let relays = servers.iter().flat_map(|s| &s.urls).any(|u| u.to_ascii_lowercase().starts_with("turn"));
    if policy == IceTransportPolicy::Relay && !relays && !minted_turn {
        let args = [
            ("relay", "relay"),
            ("turn", "turn:"),
            ("turns", "turns:"),
            ("servers", "ice.servers"),
            ("credentials", "service.callCredentials"),
        ];
        problems.push(&policy_path, t_args("config.ice.relay-without-turn", &args));
        return None;
    }
    Some((servers, policy))
}

fn read_ice_server(path: &str, value: &Value, problems: &mut Problems) -> Option<IceServer> {
    let mut server = ObjectReader::new(path, value, problems)?;
    let urls_path = server.path_of("urls");
    // RTCIceServer.urls is either one string or a list of strings.
    let urls: Option<Vec<String>> = match server.required("urls", problems) {
        Some(Value::String(url)) => check_ice_url(&urls_path, url, problems).map(|u| vec![u]),
        Some(Value::Array(items)) if items.is_empty() => {
            problems.push(&urls_path, t_args("config.ice.no-urls", &[("stun", "stun:"), ("turn", "turn:")]));
            None
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = item_path(&urls_path, i);
                as_str(&path, item, problems).and_then(|u| check_ice_url(&path, u, problems))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect(),
        Some(other) => {
            as_str(&urls_path, other, problems);
            None
        }
        None => None,
    };
    let username = server.string("username", problems).map(str::to_owned);
    let credential = server.string("credential", problems).map(str::to_owned);
    let is_turn = urls.as_ref().is_some_and(|u| u.iter().any(|u| u.starts_with("turn")));
    if is_turn && (username.is_none() || credential.is_none()) {
        let args = [("username", "username"), ("credential", "credential")];
        problems.push(path, t_args("config.ice.turn-credentials", &args));
    }
    server.finish(problems);
    Some(IceServer { urls: urls?, username, credential })
}

fn check_ice_url(path: &str, url: &str, problems: &mut Problems) -> Option<String> {
    let scheme = url.split(':').next().unwrap_or_default().to_ascii_lowercase();
    let host = url.split_once(':').map(|(_, rest)| rest).unwrap_or_default();
    if !matches!(scheme.as_str(), "stun" | "stuns" | "turn" | "turns") || host.is_empty() {
        let args = [("value", url), ("stun", "stun:"), ("stuns", "stuns:"), ("turn", "turn:"), ("turns", "turns:")];
        problems.push(path, t_args("config.ice.url-invalid", &args));
        return None;
    }
    Some(url.to_owned())
}

fn read_hosts(value: &Value, problems: &mut Problems) -> Option<(AllowList, Option<SalesforceMode>)> {
    let mut hosts = ObjectReader::new("hosts", value, problems)?;
    let list_path = hosts.path_of("allowedOrigins");
    let items = hosts.required("allowedOrigins", problems).and_then(|v| as_array(&list_path, v, problems));
    let allow_list = items.and_then(|items| {
        if items.is_empty() {
            let examples = [
                ("servicenow", "https://yourcompany.service-now.com"),
                ("salesforce", "https://yourcompany.lightning.force.com"),
            ];
            problems.push(&list_path, t_args("config.hosts.none", &examples));
            return None;
        }
        let patterns: Vec<Option<OriginPattern>> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = item_path(&list_path, i);
                let text = as_str(&path, item, problems)?;
                OriginPattern::parse(text)
                    .map_err(|e| problems.push(&path, value_problem(text, &origin_reason(&e))))
                    .ok()
            })
            .collect();
        patterns.into_iter().collect::<Option<Vec<_>>>().map(AllowList::new)
    });
    let mode = hosts.choice(
        "salesforceMode",
        None,
        &[("lightning", Some(SalesforceMode::Lightning)), ("classic", Some(SalesforceMode::Classic))],
        &t_args("config.hosts.salesforce-mode-choices", &[("lightning", "lightning"), ("classic", "classic")]),
        problems,
    );
    hosts.finish(problems);
    Some((allow_list?, mode?))
}

fn read_panel(value: &Value, problems: &mut Problems) -> Option<PanelSettings> {
    let mut panel = ObjectReader::new("panel", value, problems)?;
    let defaults = PanelSettings::default();
    let title_path = panel.path_of("title");
    // Shown in the host's header and the tab title: control and bidi characters are removed.
    let title = match panel.string("title", problems).map(clean) {
        Some(title) if title.is_empty() => {
            problems.push(&title_path, t("config.empty"));
            None
        }
        Some(title) if title.chars().count() > MAX_TITLE_CHARS => {
            problems.push(&title_path, t_args("config.too-long", &[("max", &MAX_TITLE_CHARS.to_string())]));
            None
        }
        Some(title) => Some(title),
        None => Some(defaults.title),
    };
    let width = panel.integer("width", WIDTH_RANGE, problems).unwrap_or(defaults.width);
    let height = panel.integer("height", HEIGHT_RANGE, problems).unwrap_or(defaults.height);
    panel.finish(problems);
    Some(PanelSettings { title: title?, width, height })
}

fn read_directory(value: &Value, problems: &mut Problems) -> Option<Vec<Contact>> {
    let items = as_array("directory", value, problems)?;
    if items.len() > MAX_CONTACTS {
        let (count, max) = (items.len().to_string(), MAX_CONTACTS.to_string());
        problems.push("directory", t_args("config.directory.too-many", &[("count", &count), ("max", &max)]));
        return None;
    }
    let contacts: Vec<Option<Contact>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = item_path("directory", i);
            let mut entry = ObjectReader::new(&path, item, problems)?;
            let name = entry.required("name", problems).and_then(|v| as_str(&entry.path_of("name"), v, problems));
            let number = entry.required("number", problems).and_then(|v| as_str(&entry.path_of("number"), v, problems));
            let name = name.map(clean).filter(|n| {
                if n.is_empty() {
                    problems.push(&entry.path_of("name"), t("config.empty"));
                }
                !n.is_empty()
            });
            let number = number.and_then(|n| {
                let n = n.trim();
                let dialable = n.starts_with("sip:") || crate::dial_string::normalise(n).is_ok();
                if !dialable {
                    let args = [("value", n), ("sip", "sip:")];
                    problems.push(&entry.path_of("number"), t_args("config.directory.not-dialable", &args));
                }
                dialable.then(|| n.to_owned())
            });
            entry.finish(problems);
            Some(Contact { name: name?, number: number? })
        })
        .collect();
    contacts.into_iter().collect()
}

fn read_agent(value: &Value, problems: &mut Problems) -> Option<AgentSettings> {
    let mut agent = ObjectReader::new("agent", value, problems)?;
    let defaults = AgentSettings::default();
    let reasons = match agent.labels("notReadyReasons", &t("config.agent.reason"), 40, problems) {
        None => Some(defaults.not_ready_reasons),
        Some(read) => read,
    };
    let after_call =
        agent.integer("afterCallWorkSeconds", 0..=3600, problems).unwrap_or(defaults.after_call_work_seconds);
    let status = agent.integer("notReadyStatus", 400..=699, problems).map_or(defaults.not_ready_status, |s| s as u16);
    let ring_path = agent.path_of("ringWhenNotReady");
    let ring = match agent.value("ringWhenNotReady") {
        None => Some(defaults.ring_when_not_ready),
        Some(v) => as_array(&ring_path, v, problems).map(|items| {
            let mut ring = RingWhenNotReady { colleagues: false, transfers: false };
            for (i, item) in items.iter().enumerate() {
                let path = item_path(&ring_path, i);
                match as_str(&path, item, problems) {
                    Some("colleagues") => ring.colleagues = true,
                    Some("transfers") => ring.transfers = true,
                    Some(other) => {
                        let found = format!("{:?}", clean(other));
                        let args =
                            [("colleagues", "colleagues"), ("transfers", "transfers"), ("found", found.as_str())];
                        problems.push(&path, t_args("config.agent.ring-choices", &args));
                    }
                    None => {}
                }
            }
            ring
        }),
    };
    agent.finish(problems);
    Some(AgentSettings {
        not_ready_reasons: reasons?,
        after_call_work_seconds: after_call,
        not_ready_status: status,
        ring_when_not_ready: ring?,
    })
}

/// A problem with a value quoted from the configuration: the value, then what is wrong with it.
fn value_problem(value: &str, reason: &str) -> String {
    t_args("config.value-problem", &[("value", value), ("reason", reason)])
}

/// What is wrong with an origin, in the phone's language, as it follows the quoted value.
pub fn origin_reason(error: &OriginError) -> String {
    match error {
        OriginError::Empty => t("config.origin.empty"),
        OriginError::Scheme => t("config.origin.scheme"),
        OriginError::InsecureRemote => t_args("config.origin.insecure", &[("localhost", "localhost")]),
        OriginError::NotBare => t_args("config.origin.not-bare", &[("example", "https://example.com")]),
        OriginError::Host => t("config.origin.host"),
        OriginError::Port => t("config.origin.port"),
        OriginError::SharedTenantWildcard { suffix, example } => {
            t_args("config.origin.shared-tenant", &[("suffix", suffix.as_str()), ("example", example.as_str())])
        }
    }
}

/// What is wrong with a `sip.transferTargets` pattern, in the phone's language.
fn pattern_problem(error: &sip::agent::PatternError) -> String {
    use sip::agent::PatternError;
    match error {
        PatternError::Empty => t("config.sip.transfer-target-empty"),
        PatternError::Host(text) => {
            let args = [("value", text.as_str()), ("example", "partner.example"), ("wildcard", "*.partner.example")];
            t_args("config.sip.transfer-target-host", &args)
        }
        PatternError::User(text) => t_args("config.sip.transfer-target-user", &[("value", text.as_str())]),
    }
}

impl Default for PanelSettings {
    fn default() -> Self {
        PanelSettings { title: "Framephone".to_owned(), width: DEFAULT_WIDTH, height: DEFAULT_HEIGHT }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::Origin;

    const GOOD: &str = r#"{
        "sip": { "domain": "Pbx.Example.com", "servers": ["wss://sip.example.com:7443", "ws://127.0.0.1:8088"] },
        "ice": { "servers": [
            { "urls": "stun:stun.example.com:3478" },
            { "urls": ["turn:turn.example.com:3478?transport=udp"], "username": "u", "credential": "p" }
        ] },
        "hosts": { "allowedOrigins": ["https://*.crm.example.com", "http://127.0.0.1:8781"], "salesforceMode": "Lightning" },
        "panel": { "title": "Phone", "width": 400, "height": 520 }
    }"#;

    fn problems(text: &str) -> Vec<String> {
        Config::parse(text).expect_err("should be refused").iter().map(ToString::to_string).collect()
    }

    #[test]
    fn accepts_a_complete_configuration() {
        let config = Config::parse(GOOD).unwrap();
        assert_eq!(config.sip.domain, "pbx.example.com");
        assert_eq!(config.sip.servers.len(), 2);
        assert_eq!(config.sip.dtmf, DtmfMode::Rfc4733, "RFC 4733 unless the administrator asks for INFO");
        assert_eq!(config.ice_servers[0].urls, vec!["stun:stun.example.com:3478"]);
        assert_eq!(config.ice_servers[1].username.as_deref(), Some("u"));
        assert_eq!(config.salesforce_mode, Some(SalesforceMode::Lightning));
        assert_eq!(config.panel, PanelSettings { title: "Phone".into(), width: 400, height: 520 });
        assert!(config.allowed_origins.admits(&Origin::parse("https://eu.crm.example.com").unwrap()));
    }

    #[test]
    fn agent_settings_have_defaults_and_limits() {
        let base =
            r#""sip":{"domain":"d.test","servers":["wss://s.test"]},"hosts":{"allowedOrigins":["https://a.test"]}"#;
        let config = Config::parse(&format!("{{{base}}}")).unwrap();
        assert_eq!(config.agent, AgentSettings::default());
        let custom = Config::parse(&format!(
            r#"{{{base},"agent":{{"notReadyReasons":["Coaching"],"afterCallWorkSeconds":30,"notReadyStatus":480}}}}"#
        ))
        .unwrap();
        assert_eq!(custom.agent.not_ready_reasons, ["Coaching"]);
        assert_eq!((custom.agent.after_call_work_seconds, custom.agent.not_ready_status), (30, 480));
        assert_eq!(custom.agent.ring_when_not_ready, RingWhenNotReady { colleagues: true, transfers: false });
        let ring = Config::parse(&format!(r#"{{{base},"agent":{{"ringWhenNotReady":["transfers"]}}}}"#)).unwrap();
        assert_eq!(ring.agent.ring_when_not_ready, RingWhenNotReady { colleagues: false, transfers: true });
        let none = Config::parse(&format!(r#"{{{base},"agent":{{"ringWhenNotReady":[]}}}}"#)).unwrap();
        assert_eq!(none.agent.ring_when_not_ready, RingWhenNotReady { colleagues: false, transfers: false });
        let wrong = Config::parse(&format!(r#"{{{base},"agent":{{"ringWhenNotReady":["everyone"]}}}}"#)).unwrap_err();
        assert_eq!(
            wrong.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [r#"agent.ringWhenNotReady[0]: must be "colleagues" or "transfers", found "everyone""#]
        );
        assert_eq!(
            problems(&format!(
                r#"{{{base},"agent":{{"notReadyReasons":[""],"afterCallWorkSeconds":-1,"notReadyStatus":200}}}}"#
            )),
            [
                "agent.notReadyReasons[0]: must be a reason of 1 to 40 characters",
                "agent.afterCallWorkSeconds: expected a whole number, found a number",
                "agent.notReadyStatus: must be from 400 to 699, found 200",
            ]
        );
    }

    #[test]
    fn directory_entries_need_a_name_and_a_dialable_number() {
        let base =
            r#""sip":{"domain":"d.test","servers":["wss://s.test"]},"hosts":{"allowedOrigins":["https://a.test"]}"#;
        let config =
            Config::parse(&format!(r#"{{{base},"directory":[{{"name":" Ana Díaz ","number":"1002"}}]}}"#)).unwrap();
        assert_eq!(config.directory, [Contact { name: "Ana Díaz".into(), number: "1002".into() }]);
        assert_eq!(
            problems(&format!(r#"{{{base},"directory":[{{"name":"Bob","number":"call me!"}},{{"number":"1003"}}]}}"#)),
            ["directory[0].number: \"call me!\" is not a number or a sip: address", "directory[1].name: is required",]
        );
    }

    #[test]
    fn dialling_rules_are_read_and_checked() {
        let base =
            r#""sip":{"domain":"d.test","servers":["wss://s.test"]},"hosts":{"allowedOrigins":["https://a.test"]}"#;
        assert_eq!(Config::parse(&format!("{{{base}}}")).unwrap().dialling, DialPlan::new());
        let config = Config::parse(&format!(
            r#"{{{base},"dialling":{{"outsideLinePrefix":"9","extensionDigits":4,"countryCode":"1","nationalPrefix":"1","internationalPrefix":"011"}}}}"#
        ))
        .unwrap();
        assert_eq!(config.dialling.target("+1 555 010 0199").unwrap(), "915550100199");
        assert_eq!(
            problems(&format!(
                r#"{{{base},"dialling":{{"outsideLinePrefix":"9#","extensionDigits":0,"countryCode":"1"}}}}"#
            )),
            [
                "dialling.outsideLinePrefix: \"9#\" must be the digits dialled for an outside line of at most 4 digits",
                "dialling.extensionDigits: must be from 1 to 10, found 0",
                "dialling.nationalPrefix: is needed with countryCode: the digits dialled before a national number \
                 (\"0\" in most countries, \"1\" in North America, \"\" for none)",
            ]
        );
        assert_eq!(
            problems(&format!(r#"{{{base},"dialling":{{"countryCode":"+44","nationalPrefix":"0","prefix":"9"}}}}"#)),
            [
                "dialling.countryCode: \"+44\" must be a country code without + of at most 4 digits",
                "dialling.prefix: is not a known setting (expected one of: outsideLinePrefix, countryCode, \
                 nationalPrefix, internationalPrefix, extensionDigits)",
            ]
        );
    }

    #[test]
    fn the_call_cap_and_transfer_targets_are_checked_with_their_keys() {
        let with = |sip: &str| {
            format!(
                r#"{{"sip":{{"domain":"d.test","servers":["wss://s.test"]{sip}}},"hosts":{{"allowedOrigins":["https://a.test"]}}}}"#
            )
        };
        let defaults = Config::parse(&with("")).expect("valid");
        assert_eq!((defaults.sip.max_calls, defaults.sip.transfer_targets.len()), (4, 0));
        let set = Config::parse(&with(r#","maxCalls":2,"transferTargets":["partner.example","+4420*@gw.example"]"#))
            .expect("valid");
        assert_eq!(set.sip.max_calls, 2);
        let patterns: Vec<&str> = set.sip.transfer_targets.iter().map(|p| p.as_str()).collect();
        assert_eq!(patterns, ["partner.example", "+4420*@gw.example"]);
        assert_eq!(
            problems(&with(r#","maxCalls":0,"transferTargets":["*", 5, "a*b@gw.example", "ok.example"]"#)),
            [
                "sip.maxCalls: must be from 1 to 20, found 0",
                "sip.transferTargets[0]: \"*\" needs a domain name such as partner.example or *.partner.example after the @",
                "sip.transferTargets[1]: expected a string, found a number",
                "sip.transferTargets[2]: \"a*b@gw.example\": the part before @ may hold letters, digits, + - _ . and one * at its end only",
            ]
        );
        assert_eq!(
            problems(&with(r#","transferTargets":"partner.example""#)),
            ["sip.transferTargets: expected a list, found a string"]
        );
        assert_eq!(
            problems(
                r#"{"sip":{"domain":"d.test","servers":["wss://s.test/ws\r\nX-Injected: yes"]},"hosts":{"allowedOrigins":["https://a.test"]}}"#
            ),
            ["sip.servers[0]: holds a control character (a line break, a tab or NUL): remove it"]
        );
    }

    #[test]
    fn music_on_hold_is_a_path_on_the_widgets_origin() {
        let with = |media: &str| {
            format!(
                r#"{{"sip":{{"domain":"d.test","servers":["wss://s.test"]}},"hosts":{{"allowedOrigins":["https://a.test"]}},"media":{media}}}"#
            )
        };
        let base =
            r#"{"sip":{"domain":"d.test","servers":["wss://s.test"]},"hosts":{"allowedOrigins":["https://a.test"]}}"#;
        assert_eq!(Config::parse(base).unwrap().media.music_on_hold, None);
        assert_eq!(Config::parse(&with("{}")).unwrap().media.music_on_hold, None);
        assert_eq!(
            Config::parse(&with(r#"{"musicOnHold":"audio/hold.mp3"}"#)).unwrap().media.music_on_hold.as_deref(),
            Some("audio/hold.mp3")
        );
        assert_eq!(
            problems(&with(r#"{"musicOnHold":"https://cdn.example.com/hold.mp3","music":"x"}"#)),
            [
                "media.musicOnHold: \"https://cdn.example.com/hold.mp3\" must be a path on the widget's own origin, \
                 such as \"audio/hold.mp3\" or \"/audio/hold.mp3\" (files on other origins are not played)",
                "media.music: is not a known setting (expected one of: musicOnHold)",
            ]
        );
        assert_eq!(problems(&with(r#"{"musicOnHold":5}"#)), ["media.musicOnHold: expected a string, found a number"]);
        assert_eq!(problems(&with("[]")), ["media: expected an object, found a list"]);
    }

    #[test]
    fn dtmf_is_rfc4733_or_info() {
        let with = |mode: &str| {
            format!(
                r#"{{"sip":{{"domain":"d.test","servers":["wss://s.test"],"dtmf":"{mode}"}},"hosts":{{"allowedOrigins":["https://a.test"]}}}}"#
            )
        };
        assert_eq!(Config::parse(&with("INFO")).unwrap().sip.dtmf, DtmfMode::Info);
        assert_eq!(
            problems(&with("inband")),
            ["sip.dtmf: \"inband\" must be \"rfc4733\" (in the audio) or \"info\" (SIP INFO)"]
        );
    }

    #[test]
    fn ice_transport_policy_is_all_or_relay() {
        let with = |ice: &str| {
            format!(
                r#"{{"sip":{{"domain":"d.test","servers":["wss://s.test"]}},"ice":{ice},"hosts":{{"allowedOrigins":["https://a.test"]}}}}"#
            )
        };
        let turn = r#"{"urls":"turn:t.test:3478","username":"u","credential":"p"}"#;
        let policy = |ice: &str| Config::parse(&with(ice)).map(|c| c.ice_transport_policy);
        assert_eq!(policy(&format!(r#"{{"servers":[{turn}]}}"#)), Ok(IceTransportPolicy::All));
        assert_eq!(policy(r#"{"transportPolicy":"all"}"#), Ok(IceTransportPolicy::All));
        assert_eq!(
            policy(&format!(r#"{{"servers":[{turn}],"transportPolicy":"relay"}}"#)),
            Ok(IceTransportPolicy::Relay)
        );
        assert_eq!(
            policy(&format!(r#"{{"servers":[{turn}],"transportPolicy":"Relay"}}"#)),
            Ok(IceTransportPolicy::Relay)
        );
        assert_eq!(
            problems(&with(&format!(r#"{{"servers":[{turn}],"transportPolicy":"relays"}}"#))),
            [
                "ice.transportPolicy: \"relays\" must be \"all\" (every candidate, the default) or \"relay\" (through TURN only)"
            ]
        );
        assert_eq!(
            problems(&with(r#"{"transportPolicy":true}"#)),
            ["ice.transportPolicy: expected a string, found true/false"]
        );
        assert_eq!(
            problems(&with(r#"{"servers":[{"urls":"stun:s.test"}],"transportPolicy":"relay"}"#)),
            [
                "ice.transportPolicy: \"relay\" needs a turn: or turns: server in ice.servers, or service.callCredentials (calls would have no audio)"
            ]
        );
        assert_eq!(
            problems(&with(r#"{"policy":"relay"}"#)),
            ["ice.policy: is not a known setting (expected one of: servers, transportPolicy)"]
        );
    }

    #[test]
    fn optional_sections_have_defaults() {
        let config = Config::parse(
            r#"{"sip":{"domain":"d.test","servers":["wss://s.test"]},"hosts":{"allowedOrigins":["https://a.test"]}}"#,
        )
        .unwrap();
        assert!(config.ice_servers.is_empty());
        assert_eq!(config.ice_transport_policy, IceTransportPolicy::All);
        assert_eq!(config.panel, PanelSettings::default());
        assert_eq!(config.salesforce_mode, None);
    }

    #[test]
    fn reports_every_problem_at_once_with_its_path() {
        let found = problems(
            r#"{
            "sip": { "domain": "pbx.example.com", "servers": ["ws://pbx.example.com", 5], "transport": "udp" },
            "ice": { "servers": [ { "urls": "turn:t.example.com" }, { "urls": "http://x" } ] },
            "hosts": { "allowedOrigins": [] },
            "panel": { "width": "wide", "height": 100 },
            "colour": "blue"
        }"#,
        );
        assert_eq!(
            found,
            vec![
                "sip.servers[0]: \"ws://pbx.example.com\" must use wss:// (ws:// is accepted only for 127.0.0.1, localhost and [::1])",
                "sip.servers[1]: expected a string, found a number",
                "sip.transport: is not a known setting (expected one of: domain, servers, dtmf, maxCalls, transferTargets)",
                "ice.servers[0]: a TURN server needs both \"username\" and \"credential\"",
                "ice.servers[1].urls: \"http://x\" must be a stun:, stuns:, turn: or turns: URL",
                "hosts.allowedOrigins: must list at least one host origin, e.g. \"https://yourcompany.service-now.com\" or \"https://yourcompany.lightning.force.com\" (exact origins: a wildcard over a CRM's shared domain is refused)",
                "panel.width: expected a whole number, found a string",
                "panel.height: must be from 240 to 2560, found 100",
                "colour: is not a known setting (expected one of: sip, ice, hosts, panel, agent, directory, dialling, \
                 media, crm, service, language)",
            ]
        );
    }

    #[test]
    fn the_integration_service_is_a_bare_secure_origin() {
        let with = |service: &str| {
            format!(
                r#"{{"sip":{{"domain":"d.test","servers":["wss://s.test"]}},"hosts":{{"allowedOrigins":["https://a.test"]}},"service":{service}}}"#
            )
        };
        let config = Config::parse(&with(r#"{"url": "https://fp.example.com/"}"#)).unwrap();
        assert_eq!(config.service.map(|s| s.url.to_string()).as_deref(), Some("https://fp.example.com"));
        assert_eq!(Config::parse(GOOD).unwrap().service, None);
        assert_eq!(
            problems(&with(r#"{"url": "http://fp.example.com"}"#)),
            vec![
                "service.url: \"http://fp.example.com\" must use https:// (http:// is accepted only for 127.0.0.1, localhost and [::1])"
            ]
        );
        assert_eq!(
            problems(&with(r#"{"url": "https://fp.example.com/api", "token": "x"}"#)),
            vec![
                "service.token: is not a known setting (expected one of: url, callCredentials)",
                "service.url: \"https://fp.example.com/api\" must be a bare origin such as https://example.com, without path, query or user name",
            ]
        );
        assert_eq!(problems(&with("{}")), vec!["service.url: is required"]);
        let minted = Config::parse(&with(r#"{"url": "https://fp.example.com", "callCredentials": true}"#)).unwrap();
        assert!(minted.service.is_some_and(|s| s.call_credentials));
        assert_eq!(problems(&with(r#"{"url": "https://fp.example.com", "callCredentials": "yes"}"#)).len(), 1);
    }

    #[test]
    fn missing_sections_and_wrong_types_are_named() {
        assert_eq!(problems("{}"), vec!["sip: is required", "hosts: is required"]);
        assert_eq!(problems("[]"), vec!["(top level): expected an object, found a list"]);
        assert_eq!(
            problems(r#"{"sip": "x", "hosts": {"allowedOrigins": "https://a.test", "salesforceMode": "mobile"}}"#),
            vec![
                "sip: expected an object, found a string",
                "hosts.allowedOrigins: expected a list, found a string",
                "hosts.salesforceMode: \"mobile\" must be \"lightning\" or \"classic\"",
            ]
        );
    }

    #[test]
    fn bad_origins_in_the_allow_list_are_explained() {
        let found = problems(
            r#"{"sip":{"domain":"d.test","servers":["wss://s.test"]},
                "hosts":{"allowedOrigins":["http://crm.example.com","https://*.com","https://a.test/path", null, "https://*.service-now.com"]}}"#,
        );
        assert_eq!(
            found,
            vec![
                "hosts.allowedOrigins[0]: \"http://crm.example.com\" must use https:// (http:// is accepted only for 127.0.0.1, localhost and [::1])",
                "hosts.allowedOrigins[1]: \"https://*.com\" has an invalid host name",
                "hosts.allowedOrigins[2]: \"https://a.test/path\" must be a bare origin such as https://example.com, without path, query or user name",
                "hosts.allowedOrigins[3]: expected a string, found null",
                "hosts.allowedOrigins[4]: \"https://*.service-now.com\" would trust every customer's instance under \
                 service-now.com, free developer instances included, which anyone can get: each could embed the \
                 phone, and they share the browser storage the phone keeps in your own instance. Write your own \
                 instance's exact origin instead, e.g. https://yourcompany.service-now.com",
            ]
        );
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let found = problems("{\n  \"sip\": {,\n}");
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("framephone.json line 2, column 11: is not valid JSON: "), "{}", found[0]);
    }

    #[test]
    fn sip_servers_and_domain_are_checked() {
        let found = problems(
            r#"{"sip":{"domain":"bad domain","servers":["https://s.test","wss://user@s.test","wss://"]},
                "hosts":{"allowedOrigins":["https://a.test"]}}"#,
        );
        assert_eq!(
            found,
            vec![
                "sip.domain: \"bad domain\" is not a domain name such as pbx.example.com",
                "sip.servers[0]: \"https://s.test\" must be a WebSocket URL starting with wss://",
                "sip.servers[1]: \"wss://user@s.test\" has no valid host name",
                "sip.servers[2]: \"wss://\" has no valid host name",
            ]
        );
        assert_eq!(
            problems(r#"{"sip":{"domain":"d.test","servers":[]},"hosts":{"allowedOrigins":["https://a.test"]}}"#),
            vec!["sip.servers: must list at least one WebSocket server (wss://…)"]
        );
    }

    #[test]
    fn names_from_the_configuration_lose_control_and_bidi_characters() {
        let base =
            r#""sip":{"domain":"d.test","servers":["wss://s.test"]},"hosts":{"allowedOrigins":["https://a.test"]}"#;
        let config = Config::parse(&format!(
            r#"{{{base},"panel":{{"title":"Phone\u202e\u0000"}},"agent":{{"notReadyReasons":["Br\u200beak\n"]}},
                "directory":[{{"name":"Ana\u202e (boss)","number":"1002"}}]}}"#
        ))
        .unwrap();
        assert_eq!(config.panel.title, "Phone");
        assert_eq!(config.agent.not_ready_reasons, ["Break"]);
        assert_eq!(config.directory[0].name, "Ana (boss)");
        assert_eq!(
            problems(&format!(
                r#"{{{base},"panel":{{"title":"\u202e\u200b"}},"directory":[{{"name":"\u0007","number":"1"}}]}}"#
            )),
            ["panel.title: must not be empty", "directory[0].name: must not be empty"]
        );
    }

    #[test]
    fn origin_and_pattern_reasons_keep_the_words_of_their_errors_in_english() {
        let shared = OriginError::SharedTenantWildcard {
            suffix: "service-now.com".into(),
            example: "https://yourcompany.service-now.com".into(),
        };
        for error in [
            OriginError::Empty,
            OriginError::Scheme,
            OriginError::InsecureRemote,
            OriginError::NotBare,
            OriginError::Host,
            OriginError::Port,
            shared,
        ] {
            assert_eq!(origin_reason(&error), error.to_string());
        }
        use sip::agent::PatternError;
        for error in [PatternError::Empty, PatternError::Host("*".into()), PatternError::User("a*b".into())] {
            assert_eq!(pattern_problem(&error), error.to_string());
        }
    }

    #[test]
    fn problems_are_told_in_the_phones_language() {
        crate::i18n::set_language(Language::Japanese);
        let found = problems(r#"{"sip":[],"hosts":{"allowedOrigins":["http://crm.example.com"]}}"#);
        crate::i18n::set_language(Language::English);
        assert_eq!(
            found,
            [
                "sip：オブジェクトが必要ですが、リストが指定されています",
                "hosts.allowedOrigins[0]：\"http://crm.example.com\" は暗号化されていません。https:// を使用してください\
                 （http:// を使用できるのは 127.0.0.1、localhost、[::1] のみです）",
            ]
        );
    }

    #[test]
    fn panel_title_limits() {
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        let text = format!(
            r#"{{"sip":{{"domain":"d.test","servers":["wss://s.test"]}},"hosts":{{"allowedOrigins":["https://a.test"]}},"panel":{{"title":"{long}"}}}}"#
        );
        assert_eq!(problems(&text), vec!["panel.title: must be at most 256 characters"]);
    }
}

#[cfg(test)]
mod example_tests {
    use super::Config;

    #[test]
    fn the_shipped_example_is_valid() {
        Config::parse(include_str!("../../framephone.example.json")).expect("framephone.example.json is valid");
    }
}
