//! Presence: the agent's state published to colleagues, and the directory's contacts watched.

use leptos::prelude::*;
use sip::agent::Package;

use super::Softphone;
use crate::agent_state::AgentState;
use crate::ui::{CallStage, Registration};

impl Softphone {
    /// Watches every directory contact's presence (the agent subscribes once registered).
    pub(super) fn watch_directory(&self, contacts: &[crate::config::Contact]) {
        for contact in contacts {
            let Ok(target) = self.sip_target(&contact.number) else { continue };
            if let Ok(subscription) = self.run(|agent, now| agent.subscribe(now, &target, Package::Presence)) {
                self.0.borrow_mut().watched.insert(subscription, contact.number.clone());
            }
        }
    }

    /// The agent chose a state (Ready, Not Ready with a reason).
    pub fn set_agent_state(&self, state: AgentState) {
        self.ui().agent_state.set(state);
        self.publish_presence();
    }

    /// Tells colleagues what changed: on a call, Ready, Not Ready or After Call Work.
    pub(super) fn publish_presence(&self) {
        let ui = self.ui();
        if ui.registration.get_untracked() != Registration::Registered {
            return;
        }
        let on_call = ui.calls.with_untracked(|calls| calls.iter().any(|c| c.stage != CallStage::Incoming));
        let presence = ui.agent_state.with_untracked(|state| state.presence(on_call));
        if self.0.borrow().published.as_ref() == Some(&presence) {
            return;
        }
        self.0.borrow_mut().published = Some(presence.clone());
        self.run(|agent, now| agent.publish(now, presence.0, Some(&presence.1)));
    }
}
