//! The agent's Status control: Ready, Not Ready with a reason, and the After Call Work
//! countdown while it runs.

use leptos::prelude::*;

use super::state::PhoneState;
use crate::agent_state::AgentState;

/// A `select` named "Status".
#[component]
pub fn AgentStatus() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let reasons = state.config.with_value(|config| config.agent.not_ready_reasons.clone());
    let choose = {
        let reasons = reasons.clone();
        move |value: String| {
            let chosen = match value.strip_prefix("not-ready:").and_then(|i| i.parse::<usize>().ok()) {
                Some(index) => reasons.get(index).cloned().map(AgentState::NotReady),
                None => (value == "ready").then_some(AgentState::Ready),
            };
            if let (Some(chosen), Some(phone)) = (chosen, state.phone.get_value()) {
                phone.set_agent_state(chosen);
            }
        }
    };
    let selected = {
        let reasons = reasons.clone();
        move || match state.agent_state.get() {
            AgentState::Ready => "ready".to_owned(),
            AgentState::NotReady(reason) => {
                reasons.iter().position(|r| *r == reason).map_or("ready".to_owned(), |i| format!("not-ready:{i}"))
            }
            AgentState::AfterCallWork { .. } => "after-call-work".to_owned(),
        }
    };
    view! {
        <select
            class="fp-agent-status"
            aria-label="Status"
            prop:value=selected
            on:change=move |ev| choose(event_target_value(&ev))
        >
            <option value="ready">"Ready"</option>
            {reasons
                .into_iter()
                .enumerate()
                .map(|(i, reason)| view! { <option value=format!("not-ready:{i}")>{format!("Not Ready: {reason}")}</option> })
                .collect_view()}
            {move || {
                let state_now = state.agent_state.get();
                matches!(state_now, AgentState::AfterCallWork { .. })
                    .then(|| {
                        view! {
                            <option value="after-call-work" disabled=true>
                                {move || state.agent_state.get().label(state.clock.get())}
                            </option>
                        }
                    })
            }}
        </select>
    }
}
