//! Presence: the directory's contacts watched, and the agent's state as the desk publishes it.

use leptos::task::spawn_local;
use sip::agent::Package;

use super::Softphone;
use crate::agent_state::AgentState;
use crate::desk::DeskEvent;

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

    /// The agent chose a state. Ready only once the microphone opens: an agent who cannot
    /// talk stays Not Ready, and is told why.
    pub fn set_agent_state(&self, state: AgentState) {
        if state != AgentState::Ready {
            self.tell_desk(DeskEvent::StateChosen(state));
            return;
        }
        let phone = self.clone();
        spawn_local(async move {
            let event = match phone.microphone().await {
                Ok(_) => DeskEvent::StateChosen(AgentState::Ready),
                Err(error) => DeskEvent::MicrophoneFailed(error.to_string()),
            };
            if !phone.0.borrow().stopping {
                phone.tell_desk(event);
            }
        });
    }
}
