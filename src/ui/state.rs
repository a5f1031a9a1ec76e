//! The state the phone's components render, shared through a `Copy` context: the phone's
//! model as signals (only the app writes them, from each published snapshot), the host's side,
//! and what belongs to the view alone (the tab, the number being typed).

use std::collections::HashMap;

use leptos::prelude::*;
use sip::agent::CallRef;

use crate::activity::outbox::ActivityView;
use crate::agent_state::AgentState;
use crate::command::Commands;
use crate::config::Config;
use crate::conversations::Conversation;
use crate::display_name::DisplayName;
use crate::history::CallRecord;
use crate::host_kind::HostKind;
use crate::i18n::{t, t_args};
use crate::model::{CallView, PhoneSnapshot, Presence, Session, WrapUp};
use crate::sync::home::PhoneHome;
use crate::sync::message::Place;

/// The tabs of the phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// Number entry and keypad.
    DialPad,
    /// Colleagues and contacts.
    Directory,
    /// Recent calls.
    History,
    /// Text messages with colleagues.
    Messages,
    /// Devices, notifications and the keyboard shortcuts.
    Settings,
}

impl Tab {
    /// Every tab, in display order.
    pub const ALL: [Tab; 5] = [Tab::DialPad, Tab::Directory, Tab::History, Tab::Messages, Tab::Settings];

    /// The tab's accessible name and label.
    pub fn label(self) -> String {
        t(match self {
            Tab::DialPad => "tab.dial-pad",
            Tab::Directory => "tab.directory",
            Tab::History => "tab.history",
            Tab::Messages => "tab.messages",
            Tab::Settings => "tab.settings",
        })
    }

    /// A stable id fragment for `aria-controls`.
    pub fn id(self) -> &'static str {
        match self {
            Tab::DialPad => "dialpad",
            Tab::Directory => "directory",
            Tab::History => "history",
            Tab::Messages => "messages",
            Tab::Settings => "settings",
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

/// Where a number in the dial pad came from: a host, and the CRM record it was clicked on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberSource {
    /// The record's name, cleaned and capped, when the host gave one.
    pub record: Option<DisplayName>,
    /// The host's name.
    pub host: String,
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
    /// The call whose keypad is open: only one keypad shows at a time, and the dial pad's
    /// keys make way for it.
    pub keypad: RwSignal<Option<CallRef>>,
    /// Where the number in the dial pad came from, when a host put it there.
    pub number_source: RwSignal<Option<NumberSource>>,
    /// The CRM record the agent is looking at (its name, cleaned and capped).
    pub record_in_view: RwSignal<Option<DisplayName>>,
    /// The validated configuration.
    pub config: StoredValue<Config>,
    /// Where clicks go.
    pub commands: Commands,
    /// `Date.now()`, refreshed every second (call timers, the After Call Work countdown).
    pub clock: RwSignal<f64>,
    /// Where the sign-in stands.
    pub session: RwSignal<Session>,
    /// The agent's SIP username (kept after a refused sign-in, for the form).
    pub user: RwSignal<Option<String>>,
    /// Ready, Not Ready or After Call Work.
    pub agent_state: RwSignal<AgentState>,
    /// Calls, oldest first.
    pub calls: RwSignal<Vec<CallView>>,
    /// Recent calls, newest first.
    pub history: RwSignal<Vec<CallRecord>>,
    /// When the agent last saw the History tab (milliseconds since 1970): missed calls since
    /// are counted on it.
    pub history_seen: RwSignal<f64>,
    /// Text messages with colleagues, the most recent conversation first.
    pub conversations: RwSignal<Vec<Conversation>>,
    /// The conversation open in the Messages tab, by number (none: the list).
    pub conversation: RwSignal<Option<String>>,
    /// What each directory contact's presence says, by the contact's number.
    pub presence: RwSignal<HashMap<String, Presence>>,
    /// A short message for the agent from the phone.
    pub notice: RwSignal<Option<String>>,
    /// Finished calls being wrapped up.
    pub wrap_ups: RwSignal<Vec<WrapUp>>,
    /// Call logs not yet in the CRM, and why.
    pub activity: RwSignal<ActivityView>,
    /// Where the phone lives: this window, the pop-out, another CRM tab.
    pub home: RwSignal<PhoneHome>,
    /// A short message for the agent that is not the phone's: a click-to-dial the host sent
    /// that could not be used, a ringtone the browser blocked.
    pub view_notice: RwSignal<Option<String>>,
}

impl PhoneState {
    /// A fresh state for a phone inside `host`, whose clicks go to `commands`.
    pub fn new(host: HostKind, config: Config, commands: Commands) -> Self {
        PhoneState {
            host,
            host_status: RwSignal::new(HostStatus::Connecting),
            tab: RwSignal::new(Tab::DialPad),
            number: RwSignal::new(String::new()),
            keypad: RwSignal::new(None),
            number_source: RwSignal::new(None),
            record_in_view: RwSignal::new(None),
            config: StoredValue::new(config),
            commands,
            clock: RwSignal::new(0.0),
            session: RwSignal::new(Session::SignedOut),
            user: RwSignal::new(None),
            agent_state: RwSignal::new(AgentState::Ready),
            calls: RwSignal::new(Vec::new()),
            history: RwSignal::new(Vec::new()),
            history_seen: RwSignal::new(js_sys::Date::now()),
            conversations: RwSignal::new(Vec::new()),
            conversation: RwSignal::new(None),
            presence: RwSignal::new(HashMap::new()),
            notice: RwSignal::new(None),
            wrap_ups: RwSignal::new(Vec::new()),
            activity: RwSignal::new(ActivityView::default()),
            home: RwSignal::new(PhoneHome::default()),
            view_notice: RwSignal::new(None),
        }
    }

    /// Shows a snapshot of the phone: each signal changes only when its part did, so that a
    /// new audio reading does not rebuild the history.
    pub fn show(&self, snapshot: PhoneSnapshot) {
        fn put<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
            if signal.with_untracked(|old| *old != value) {
                signal.set(value);
            }
        }
        let PhoneSnapshot { session, user, agent_state, calls, history, presence, notice, wrap_ups, conversations } =
            snapshot;
        put(self.session, session);
        put(self.user, user);
        put(self.agent_state, agent_state);
        put(self.calls, calls);
        put(self.history, history);
        put(self.presence, presence);
        put(self.notice, notice);
        put(self.wrap_ups, wrap_ups);
        put(self.conversations, conversations);
    }

    /// The phone's model as shown now.
    pub fn snapshot(&self) -> PhoneSnapshot {
        PhoneSnapshot {
            session: self.session.get_untracked(),
            user: self.user.get_untracked(),
            agent_state: self.agent_state.get_untracked(),
            calls: self.calls.get_untracked(),
            history: self.history.get_untracked(),
            presence: self.presence.get_untracked(),
            notice: self.notice.get_untracked(),
            wrap_ups: self.wrap_ups.get_untracked(),
            conversations: self.conversations.get_untracked(),
        }
    }

    /// Puts a host's click-to-dial into the dial pad and brings the dial pad forward.
    pub fn apply_dial_request(&self, number: String, record_name: Option<&str>) {
        let record = record_name.map(DisplayName::new).filter(|name| !name.is_empty());
        let source = NumberSource { record, host: self.host.label() };
        self.number.set(number);
        self.number_source.set(Some(source));
        self.view_notice.set(None);
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

    /// Missed calls the agent has not seen in the History tab yet.
    pub fn unseen_missed(&self) -> usize {
        let seen = self.history_seen.get();
        self.history.with(|records| {
            records.iter().filter(|r| r.outcome == crate::history::Outcome::Missed && r.started as f64 > seen).count()
        })
    }

    /// Opens the conversation with `number` (as written: the same conversation the desk keeps
    /// its messages in) in the Messages tab.
    pub fn open_conversation(&self, number: String) {
        self.conversation.set(Some(crate::conversations::key_of(&number)));
        self.tab.set(Tab::Messages);
    }

    /// Where this window runs: the pop-out (the standalone view) or inside a CRM page.
    pub fn place(&self) -> Place {
        Place::of(self.host)
    }

    /// The text of the `status` region.
    pub fn status_text(&self) -> String {
        let host = self.host.label();
        let host_part = match (self.host, self.host_status.get()) {
            (HostKind::Standalone, _) => t("panel.status.pop-out"),
            (_, HostStatus::Connecting) => t_args("panel.status.connecting", &[("host", &host)]),
            (_, HostStatus::Connected) => t_args("panel.status.connected", &[("host", &host)]),
            (_, HostStatus::Failed(reason)) => {
                t_args("panel.status.connect-failed", &[("host", &host), ("reason", &reason)])
            }
        };
        let phone = self.session.with(|session| self.user.with(|user| session.text(user.as_deref())));
        format!("{phone} · {host_part}")
    }
}
