//! The state the phone's components render, shared through a `Copy` context.

use leptos::prelude::*;

use crate::host::{DialRequest, HostKind};

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
    pub number_source: RwSignal<Option<String>>,
    /// The CRM record the agent is looking at.
    pub record_in_view: RwSignal<Option<String>>,
    /// A short message for the agent (a click-to-dial that could not be used).
    pub notice: RwSignal<Option<String>>,
}

impl PhoneState {
    /// A fresh state for a phone inside `host`.
    pub fn new(host: HostKind) -> Self {
        PhoneState {
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
        let source = match request.record_name {
            Some(name) => format!("{name} ({})", self.host.label()),
            None => self.host.label().to_owned(),
        };
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

    /// The text of the `status` region.
    pub fn status_text(&self) -> String {
        let host = self.host.label();
        let host_part = match (self.host, self.host_status.get()) {
            (HostKind::Standalone, _) => "Pop-out window".to_owned(),
            (_, HostStatus::Connecting) => format!("Connecting to {host}…"),
            (_, HostStatus::Connected) => format!("Connected to {host}"),
            (_, HostStatus::Failed(reason)) => format!("Could not connect to {host}: {reason}"),
        };
        format!("Phone offline · {host_part}")
    }
}
