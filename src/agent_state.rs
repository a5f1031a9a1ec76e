//! The agent's availability for calls: Ready, Not Ready (with a reason), or After Call Work (a
//! countdown after each answered call). Only a Ready agent is offered calls; colleagues see the
//! state as presence.

use serde::{Deserialize, Serialize};
use sip::body::PresenceState;

use crate::i18n::{t, t_args};

/// Where the agent stands.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum AgentState {
    /// Takes calls.
    #[default]
    Ready,
    /// Takes no calls, for this reason ("Break", "Lunch"…).
    NotReady(String),
    /// Wrapping up the last call until this time (`Date.now()` milliseconds).
    AfterCallWork {
        /// When the agent becomes Ready again.
        until: f64,
    },
}

impl AgentState {
    /// Whether new calls ring.
    pub fn takes_calls(&self) -> bool {
        *self == AgentState::Ready
    }

    /// The state in the agent's words; After Call Work counts down from `now`.
    pub fn label(&self, now: f64) -> String {
        match self {
            AgentState::Ready => t("panel.agent.ready"),
            AgentState::NotReady(reason) => t_args("panel.agent.not-ready", &[("reason", &reason_label(reason))]),
            AgentState::AfterCallWork { until } => {
                let seconds = ((until - now).max(0.0) / 1000.0).ceil() as u64;
                let left = format!("{}:{:02}", seconds / 60, seconds % 60);
                t_args("panel.agent.after-call-work", &[("time", &left)])
            }
        }
    }

    /// What colleagues see: on a call is busy whatever the state.
    pub fn presence(&self, on_call: bool) -> (PresenceState, String) {
        match (on_call, self) {
            (true, _) => (PresenceState::Busy, "On a call".into()),
            (false, AgentState::Ready) => (PresenceState::Available, "Ready".into()),
            (false, AgentState::NotReady(reason)) => (PresenceState::Away, format!("Not Ready: {reason}")),
            (false, AgentState::AfterCallWork { .. }) => (PresenceState::Away, "After Call Work".into()),
        }
    }

    /// The state after an answered call ends at `now`: After Call Work when it is configured
    /// and the agent was Ready; a Not Ready agent stays Not Ready.
    pub fn after_call(&self, after_call_seconds: u32, now: f64) -> AgentState {
        match self {
            AgentState::Ready if after_call_seconds > 0 => {
                AgentState::AfterCallWork { until: now + f64::from(after_call_seconds) * 1000.0 }
            }
            other => other.clone(),
        }
    }

    /// After Call Work ends by itself.
    pub fn tick(&self, now: f64) -> Option<AgentState> {
        matches!(self, AgentState::AfterCallWork { until } if *until <= now).then_some(AgentState::Ready)
    }
}

/// A Not Ready reason in the agent's words: the phone's own (the default reasons, the missing
/// microphone) translated, one the configuration names as it is written there. The state keeps
/// the English, which colleagues see as presence.
pub fn reason_label(reason: &str) -> String {
    match reason {
        "Break" => t("panel.reason.break"),
        "Lunch" => t("panel.reason.lunch"),
        "Meeting" => t("panel.reason.meeting"),
        "Training" => t("panel.reason.training"),
        crate::desk::NO_MICROPHONE => t("panel.reason.no-microphone"),
        other => other.to_owned(),
    }
}

/// A note the phone itself publishes ([`AgentState::presence`], in English on the wire), in
/// the phone's language for a colleague's directory; `None` for any other phone's note.
pub fn note_label(note: &str) -> Option<String> {
    match note {
        "On a call" => Some(t("panel.presence.on-a-call")),
        "Ready" => Some(t("panel.agent.ready")),
        "After Call Work" => Some(t("panel.presence.after-call-work")),
        _ => note
            .strip_prefix("Not Ready: ")
            .map(|reason| t_args("panel.agent.not-ready", &[("reason", &reason_label(reason))])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ready_takes_calls_and_after_call_work_counts_down_to_ready() {
        let ready = AgentState::Ready;
        assert!(ready.takes_calls());
        assert!(!AgentState::NotReady("Lunch".into()).takes_calls());
        let wrap_up = ready.after_call(30, 1_000.0);
        assert!(!wrap_up.takes_calls());
        assert_eq!(wrap_up.label(1_000.0), "After Call Work (0:30)");
        assert_eq!(wrap_up.label(21_500.0), "After Call Work (0:10)");
        assert_eq!(wrap_up.tick(30_999.0), None);
        assert_eq!(wrap_up.tick(31_000.0), Some(AgentState::Ready));
        assert_eq!(ready.after_call(0, 1_000.0), AgentState::Ready, "no after call work configured");
        let lunch = AgentState::NotReady("Lunch".into());
        assert_eq!(lunch.after_call(30, 1_000.0), lunch, "Not Ready stays Not Ready");
    }

    #[test]
    fn colleagues_see_busy_on_a_call_and_the_reason_otherwise() {
        assert_eq!(AgentState::Ready.presence(true), (PresenceState::Busy, "On a call".into()));
        assert_eq!(AgentState::Ready.presence(false), (PresenceState::Available, "Ready".into()));
        assert_eq!(
            AgentState::NotReady("Break".into()).presence(false),
            (PresenceState::Away, "Not Ready: Break".into())
        );
    }

    #[test]
    fn the_agent_reads_the_state_in_their_language_and_colleagues_in_english() {
        use crate::i18n::{Language, set_language};
        set_language(Language::Japanese);
        let lunch = AgentState::NotReady("Lunch".into());
        let shown = (lunch.label(0.0), AgentState::NotReady("Coaching".into()).label(0.0), lunch.presence(false).1);
        set_language(Language::English);
        assert_eq!(shown, ("受付不可：昼休憩".into(), "受付不可：Coaching".into(), "Not Ready: Lunch".into()));
    }
}
