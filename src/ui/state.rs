//! The state the phone's components render, shared through a `Copy` context.

use leptos::prelude::*;
use sip::agent::CallRef;

use crate::config::Config;
use crate::display_name::{DisplayName, Party};
use crate::host::{DialRequest, HostKind};
use crate::phone::{AudioStats, Softphone};

/// The three tabs of the phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// Number entry and keypad.
    DialPad,
    /// Colleagues and contacts.
    Directory,
    /// Recent calls.
    History,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Tab; 3] = [Tab::DialPad, Tab::Directory, Tab::History];

    /// The tab's accessible name and label.
    pub fn label(self) -> &'static str {
        match self {
            Tab::DialPad => "Dial pad",
            Tab::Directory => "Directory",
            Tab::History => "History",
        }
    }

    /// A stable id fragment for `aria-controls`.
    pub fn id(self) -> &'static str {
        match self {
            Tab::DialPad => "dialpad",
            Tab::Directory => "directory",
            Tab::History => "history",
        }
    }
}

/// How far the conversation with the host has got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostStatus {
    /// Loading the host script and completing its handshake.
    Connecting,
    /// The handshake completed.
    Connected,
    /// The handshake failed; the text says why.
    Failed(String),
}

/// Where the agent's sign-in stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registration {
    /// Nobody is signed in.
    SignedOut,
    /// Connecting and registering.
    Connecting,
    /// Registered: calls can come in.
    Registered,
    /// The connection dropped; the phone tries again in `retry_in` milliseconds.
    Reconnecting {
        /// Milliseconds until the next attempt.
        retry_in: u64,
    },
    /// Registration failed; the text says why, and when the phone tries again by itself.
    Failed(String),
}

/// Where a call is, as the agent sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallStage {
    /// Ours, placed, no answer yet.
    Dialing,
    /// Ours, ringing at the other end.
    Ringing,
    /// Theirs, ringing here.
    Incoming,
    /// Answered, being connected.
    Connecting,
    /// Talking.
    Active,
}

/// Where a number in the dial pad came from: a host, and the CRM record it was clicked on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberSource {
    /// The record's name, cleaned and capped, when the host gave one.
    pub record: Option<DisplayName>,
    /// The host's name.
    pub host: &'static str,
}

/// One call as the UI shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CallView {
    /// The agent's handle.
    pub id: CallRef,
    /// Whether the other side called us.
    pub incoming: bool,
    /// The other party: name and number, cleaned and capped.
    pub party: Party,
    /// What to dial to reach them again.
    pub number: String,
    /// When the call started (`Date.now()`).
    pub started: f64,
    /// Where it is.
    pub stage: CallStage,
    /// When it was answered (`Date.now()`), for the call timer.
    pub answered_at: Option<f64>,
    /// Our microphone is off on this call.
    pub muted: bool,
    /// We put it on hold.
    pub held: bool,
    /// The last `getStats` reading: packets, and the energy the level meters are made from.
    pub audio: AudioStats,
    /// Microphone and incoming audio levels over the last second, in percent.
    pub levels: (u8, u8),
    /// Keypad digits sent on this call.
    pub keys_sent: String,
    /// Digits the other side sent by SIP INFO.
    pub keys_received: String,
    /// The consultation call of an attended transfer of this call.
    pub consultation: Option<CallRef>,
    /// Lines about the call the agent must see: who is transferring them where, a transfer
    /// that was refused.
    pub notes: Vec<String>,
}

impl CallView {
    /// A call that just started.
    pub fn new(id: CallRef, incoming: bool, party: Party, number: String, stage: CallStage) -> CallView {
        CallView {
            id,
            incoming,
            party,
            number,
            started: js_sys::Date::now(),
            stage,
            answered_at: None,
            muted: false,
            held: false,
            audio: AudioStats::default(),
            levels: (0, 0),
            keys_sent: String::new(),
            keys_received: String::new(),
            consultation: None,
            notes: Vec::new(),
        }
    }

    /// The state in words.
    pub fn stage_text(&self) -> &'static str {
        match (self.stage, self.held) {
            (CallStage::Active, true) => "On hold",
            (CallStage::Dialing, _) => "Calling…",
            (CallStage::Ringing, _) => "Ringing…",
            (CallStage::Incoming, _) => "Incoming call",
            (CallStage::Connecting, _) => "Connecting…",
            (CallStage::Active, false) => "Connected",
        }
    }
}

/// `m:ss` (or `h:mm:ss`) since `start`, both in milliseconds.
pub fn elapsed_text(start: f64, now: f64) -> String {
    let seconds = ((now - start).max(0.0) / 1000.0) as u64;
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 { format!("{hours}:{minutes:02}:{seconds:02}") } else { format!("{minutes}:{seconds:02}") }
}

/// Everything the phone's components show, as signals.
#[derive(Clone, Copy)]
pub struct PhoneState {
    /// Where the widget runs.
    pub host: HostKind,
    /// The host handshake's progress.
    pub host_status: RwSignal<HostStatus>,
    /// The selected tab.
    pub tab: RwSignal<Tab>,
    /// The number in the dial pad.
    pub number: RwSignal<String>,
    /// Where the number in the dial pad came from, when a host put it there.
    pub number_source: RwSignal<Option<NumberSource>>,
    /// The CRM record the agent is looking at (its name, cleaned and capped).
    pub record_in_view: RwSignal<Option<DisplayName>>,
    /// A short message for the agent (a click-to-dial that could not be used).
    pub notice: RwSignal<Option<String>>,
    /// The validated configuration.
    pub config: StoredValue<Config>,
    /// The signed-in phone, if any.
    pub phone: StoredValue<Option<Softphone>, LocalStorage>,
    /// The agent's SIP username once signed in.
    pub user: RwSignal<Option<String>>,
    /// Registration state.
    pub registration: RwSignal<Registration>,
    /// Calls, oldest first.
    pub calls: RwSignal<Vec<CallView>>,
    /// `Date.now()`, refreshed every second while signed in (call timers).
    pub clock: RwSignal<f64>,
    /// Counts requests for the host to show the panel (an incoming call).
    pub attention: RwSignal<u32>,
    /// Recent calls, newest first.
    pub history: RwSignal<Vec<crate::history::CallRecord>>,
    /// Ready, Not Ready or After Call Work.
    pub agent_state: RwSignal<crate::agent_state::AgentState>,
    /// What each directory contact's presence says, by the contact's number.
    pub presence: RwSignal<std::collections::HashMap<String, (sip::body::PresenceState, Option<String>)>>,
}

impl PhoneState {
    /// A fresh state for a phone inside `host`.
    pub fn new(host: HostKind, config: Config) -> Self {
        PhoneState {
            config: StoredValue::new(config),
            phone: StoredValue::new_local(None),
            user: RwSignal::new(None),
            registration: RwSignal::new(Registration::SignedOut),
            calls: RwSignal::new(Vec::new()),
            clock: RwSignal::new(0.0),
            attention: RwSignal::new(0),
            history: RwSignal::new(Vec::new()),
            agent_state: RwSignal::new(crate::agent_state::AgentState::Ready),
            presence: RwSignal::new(std::collections::HashMap::new()),
            host,
            host_status: RwSignal::new(HostStatus::Connecting),
            tab: RwSignal::new(Tab::DialPad),
            number: RwSignal::new(String::new()),
            number_source: RwSignal::new(None),
            record_in_view: RwSignal::new(None),
            notice: RwSignal::new(None),
        }
    }

    /// Puts a host's click-to-dial into the dial pad and brings the dial pad forward.
    pub fn apply_dial_request(&self, request: DialRequest) {
        let record = request.record_name.as_deref().map(DisplayName::new).filter(|name| !name.is_empty());
        let source = NumberSource { record, host: self.host.label() };
        self.number.set(request.number);
        self.number_source.set(Some(source));
        self.notice.set(None);
        self.tab.set(Tab::DialPad);
    }

    /// Adds one key to the number typed by hand.
    pub fn press_key(&self, key: char) {
        self.number.update(|n| n.push(key));
        self.number_source.set(None);
    }

    /// Removes the last character of the number.
    pub fn backspace(&self) {
        self.number.update(|n| {
            n.pop();
        });
        self.number_source.set(None);
    }

    /// Changes one call's view.
    pub fn update_call(&self, call: CallRef, change: impl FnOnce(&mut CallView)) {
        self.calls.update(|calls| {
            if let Some(view) = calls.iter_mut().find(|c| c.id == call) {
                change(view);
            }
        });
    }

    /// What the host shows of the calls while the panel may be minimised (OpenFrame subtitle,
    /// Salesforce utility item label, the pop-out's tab title); `None` with no call. The party's
    /// name and number are isolated (FSI…PDI) so that they cannot reorder the words around them.
    pub fn call_label(&self) -> Option<String> {
        let now = self.clock.get();
        self.calls.with(|calls| {
            let call = calls.iter().find(|c| c.stage == CallStage::Incoming).or_else(|| calls.last())?;
            let timer = call.answered_at.map(|start| elapsed_text(start, now.max(start))).unwrap_or_default();
            Some(match (call.stage, call.held) {
                (CallStage::Incoming, _) => format!("Ringing: {}", call.party.isolated()),
                (CallStage::Dialing | CallStage::Ringing | CallStage::Connecting, _) => {
                    format!("Calling {}", call.party.isolated())
                }
                (CallStage::Active, true) => format!("On hold {timer}"),
                (CallStage::Active, false) => format!("On call {timer}"),
            })
        })
    }

    /// The text of the `status` region.
    pub fn status_text(&self) -> String {
        let host = self.host.label();
        let host_part = match (self.host, self.host_status.get()) {
            (HostKind::Standalone, _) => "Pop-out window".to_owned(),
            (_, HostStatus::Connecting) => format!("Connecting to {host}…"),
            (_, HostStatus::Connected) => format!("Connected to {host}"),
            (_, HostStatus::Failed(reason)) => format!("Could not connect to {host}: {reason}"),
        };
        let phone = match self.registration.get() {
            Registration::SignedOut => "Phone offline".to_owned(),
            Registration::Connecting => "Connecting…".to_owned(),
            Registration::Registered => match self.user.get() {
                Some(user) => format!("Registered as {user}"),
                None => "Registered".to_owned(),
            },
            Registration::Reconnecting { retry_in } => {
                format!("Reconnecting (next try in {} s)…", retry_in.div_ceil(1000))
            }
            Registration::Failed(reason) => format!("Offline: {reason}"),
        };
        format!("{phone} · {host_part}")
    }
}

#[cfg(test)]
mod tests {
    use super::elapsed_text;

    #[test]
    fn call_timers_read_as_minutes_and_seconds_then_hours() {
        assert_eq!(elapsed_text(1_000.0, 1_000.0), "0:00");
        assert_eq!(elapsed_text(1_000.0, 66_500.0), "1:05");
        assert_eq!(elapsed_text(0.0, 3_725_000.0), "1:02:05");
        assert_eq!(elapsed_text(5_000.0, 1_000.0), "0:00", "a clock behind the start reads zero");
    }
}
