//! The agent's Status control: Ready, Not Ready with a reason, and the After Call Work
//! countdown while it runs; Offline while the phone is not registered; each in its colour.

use leptos::prelude::*;

use super::state::PhoneState;
use crate::agent_state::AgentState;
use crate::command::Command;
use crate::i18n::{t, t_args};

/// A `select` named "Status".
#[component]
pub fn AgentStatus() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let reasons = state.config.with_value(|config| config.agent.not_ready_reasons.clone());
    let registered = move || state.session.with(|s| s.registered());
    let choose = {
        let reasons = reasons.clone();
        move |value: String| {
            let chosen = match value.strip_prefix("not-ready:").and_then(|i| i.parse::<usize>().ok()) {
                Some(index) => reasons.get(index).cloned().map(AgentState::NotReady),
                None => (value == "ready").then_some(AgentState::Ready),
            };
            if let Some(chosen) = chosen {
                state.commands.send(Command::SetAgentState(chosen));
            }
        }
    };
    // A Not Ready reason the desk gave (no microphone) is not among the configured ones.
    let other_reason = {
        let reasons = reasons.clone();
        move || match state.agent_state.get() {
            AgentState::NotReady(reason) if !reasons.contains(&reason) => Some(reason),
            _ => None,
        }
    };
    let selected = {
        let reasons = reasons.clone();
        Memo::new(move |_| {
            if !registered() {
                return "offline".to_owned();
            }
            match state.agent_state.get() {
                AgentState::Ready => "ready".to_owned(),
                AgentState::NotReady(reason) => reasons
                    .iter()
                    .position(|r| *r == reason)
                    .map_or("not-ready:other".to_owned(), |i| format!("not-ready:{i}")),
                AgentState::AfterCallWork { .. } => "after-call-work".to_owned(),
            }
        })
    };
    // The state's colour (Ready green, Not Ready amber, After Call Work blue, Offline grey) comes
    // with its words, never instead of them.
    let kind = move || match selected.get() {
        value if value.starts_with("not-ready") => "not-ready",
        value if value == "ready" => "ready",
        value if value == "after-call-work" => "after-call-work",
        _ => "offline",
    };
    // Signed in, the sign-in form has gone with the focus in it: the Status is where the work
    // starts, once it can be used.
    let select = NodeRef::<leptos::html::Select>::new();
    // After the change is rendered: focusing lays the page out at once, and the status line
    // saying "Registered" need not wait for that.
    Effect::new(move |_| {
        if registered() {
            super::focus::rescue_later(move || {
                // Gone by then (signed out at once), it needs no focus.
                if let Some(select) = select.try_get_untracked().flatten() {
                    let _ = select.focus();
                }
            });
        }
    });
    // A change the agent did not make here (After Call Work starting or ending, the microphone
    // failing, another window's choice) is told to screen readers; one made in the control is
    // told by the control itself.
    let announcement = RwSignal::new(String::new());
    Effect::new(move |previous: Option<String>| {
        let now = selected.get();
        let focused = select.get_untracked().is_some_and(|s| super::focus::has_focus(&s));
        if previous.is_some_and(|before| before != now) && !focused {
            let label = if registered() {
                state.agent_state.with_untracked(|s| s.label(state.clock.get_untracked()))
            } else {
                t("panel.agent.offline")
            };
            announcement.set(t_args("panel.agent.announce", &[("state", &label)]));
        }
        now
    });
    view! {
        <span class="fp-sr-only" aria-live="polite">{move || announcement.get()}</span>
        <span class="fp-agent" data-state=kind>
        <select
            node_ref=select
            class="fp-agent-status"
            aria-label=t("panel.agent.status")
            disabled=move || !registered()
            prop:value=move || selected.get()
            on:change=move |ev| {
                choose(event_target_value(&ev));
                // The control shows the model, not the click: a Ready the desk refuses (no
                // microphone) leaves the model as it was, and the control must go back to it.
                let select: web_sys::HtmlSelectElement = event_target(&ev);
                select.set_value(&selected.get_untracked());
            }
        >
            {move || (!registered()).then(|| view! { <option value="offline" disabled=true>{t("panel.agent.offline")}</option> })}
            <option value="ready">{AgentState::Ready.label(0.0)}</option>
            {reasons
                .into_iter()
                .enumerate()
                .map(|(i, reason)| {
                    view! { <option value=format!("not-ready:{i}")>{AgentState::NotReady(reason).label(0.0)}</option> }
                })
                .collect_view()}
            {move || {
                other_reason()
                    .map(|reason| {
                        view! { <option value="not-ready:other" disabled=true>{AgentState::NotReady(reason).label(0.0)}</option> }
                    })
            }}
            {move || {
                matches!(state.agent_state.get(), AgentState::AfterCallWork { .. })
                    .then(|| {
                        view! {
                            <option value="after-call-work" disabled=true>
                                {move || state.agent_state.get().label(state.clock.get())}
                            </option>
                        }
                    })
            }}
        </select>
        </span>
    }
}
