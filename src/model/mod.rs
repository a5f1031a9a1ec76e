//! The phone's model: everything the agent sees of the phone, owned by the phone, changed only
//! by the desk (`crate::desk`) and published whole after each change. Serializable, so that
//! another window can show the same phone; plain data with plain questions, so that it is
//! tested without a browser. Time enters as an argument.

mod call;
mod session;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sip::agent::CallRef;
use sip::body::PresenceState;

use crate::agent_state::AgentState;
use crate::conversations::Conversation;
use crate::history::CallRecord;
use crate::i18n::t_args;
use crate::tones::{Alert, alert_for};
pub use call::{CallStage, CallView, elapsed_text};
pub use session::Session;

/// What a directory contact's presence says: the state, and the note their phone published.
pub type Presence = (PresenceState, Option<String>);

/// The whole phone, as it is now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhoneSnapshot {
    /// Where the sign-in stands.
    pub session: Session,
    /// The SIP username signing in or signed in; kept after a refused sign-in for the form.
    pub user: Option<String>,
    /// Ready, Not Ready or After Call Work.
    pub agent_state: AgentState,
    /// Calls, oldest first.
    pub calls: Vec<CallView>,
    /// Recent calls, newest first.
    pub history: Vec<CallRecord>,
    /// What each directory contact's presence says, by the contact's number as configured.
    pub presence: HashMap<String, Presence>,
    /// A short message for the agent: why a call failed, a blocked microphone.
    pub notice: Option<String>,
    /// Finished calls the agent is wrapping up (disposition and notes), oldest first.
    #[serde(default)]
    pub wrap_ups: Vec<WrapUp>,
    /// Text messages with colleagues, the most recent conversation first.
    #[serde(default)]
    pub conversations: Vec<Conversation>,
}

/// A finished call being wrapped up: what its log will say besides the call itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapUp {
    /// The SIP Call-ID (the log's key).
    pub call_id: String,
    /// Who the call was with, as shown.
    pub party: String,
    /// The disposition chosen so far.
    pub disposition: Option<String>,
    /// The notes typed so far.
    pub notes: String,
    /// Why Done was refused (a disposition is required), for the agent.
    pub problem: Option<String>,
}

impl PhoneSnapshot {
    /// A phone with no calls or history: starting, or gone (and why, when a sign-in was
    /// refused, with its username kept for the form).
    pub fn session_only(session: Session, user: Option<String>) -> PhoneSnapshot {
        PhoneSnapshot { session, user, ..PhoneSnapshot::default() }
    }

    /// One call.
    pub fn call(&self, id: CallRef) -> Option<&CallView> {
        self.calls.iter().find(|c| c.id == id)
    }

    /// One call, to change it.
    pub fn call_mut(&mut self, id: CallRef) -> Option<&mut CallView> {
        self.calls.iter_mut().find(|c| c.id == id)
    }

    /// The call ringing here that a shortcut or a notification is about: the oldest.
    pub fn ringing(&self) -> Option<&CallView> {
        ringing(&self.calls)
    }

    /// The call the agent is on: the one being talked on (not held), else the newest.
    pub fn current(&self) -> Option<&CallView> {
        current(&self.calls)
    }

    /// Whether the agent is on a call (ringing ones aside).
    pub fn on_call(&self) -> bool {
        self.calls.iter().any(CallView::engaged)
    }

    /// The sound a ringing call asks for: the ringtone, or the call-waiting tone during another.
    pub fn alert(&self) -> Option<Alert> {
        alert_for(self.calls.iter().map(|c| c.stage))
    }

    /// What the host shows of the calls while the panel may be minimised (OpenFrame subtitle,
    /// Salesforce utility item label, the pop-out's tab title) at `now`; `None` with no call.
    /// The party's name and number are isolated (FSI…PDI) so that they cannot reorder the
    /// words around them.
    pub fn label(&self, now: f64) -> Option<String> {
        label(&self.calls, now)
    }

    /// The phone's part of the status line.
    pub fn status_text(&self) -> String {
        self.session.text(self.user.as_deref())
    }
}

/// Of `calls`, the one ringing here that a shortcut or a notification is about: the oldest.
pub fn ringing(calls: &[CallView]) -> Option<&CallView> {
    calls.iter().find(|c| c.stage == CallStage::Incoming)
}

/// Of `calls`, the one the agent is on: the one being talked on (not held), else the newest.
pub fn current(calls: &[CallView]) -> Option<&CallView> {
    let mut engaged = calls.iter().rev().filter(|c| c.engaged());
    let newest = engaged.clone().next();
    engaged.find(|c| !c.held).or(newest)
}

/// The host's label for `calls` at `now` (see [`PhoneSnapshot::label`]).
pub fn label(calls: &[CallView], now: f64) -> Option<String> {
    let call = ringing(calls).or_else(|| calls.last())?;
    let timer = call.answered_at.map(|start| elapsed_text(start, now.max(start))).unwrap_or_default();
    let party = call.party.isolated();
    Some(match (call.stage, call.held) {
        (CallStage::Incoming, _) => t_args("calls.host.ringing", &[("party", &party)]),
        (CallStage::Dialing | CallStage::Ringing | CallStage::Connecting, _) => {
            t_args("calls.host.calling", &[("party", &party)])
        }
        (CallStage::Active, true) => t_args("calls.host.on-hold", &[("timer", &timer)]),
        (CallStage::Active, false) => t_args("calls.host.on-call", &[("timer", &timer)]),
    })
}

#[cfg(test)]
mod tests;
