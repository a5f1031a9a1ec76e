//! Keyboard shortcuts for calls. They work while the phone has the focus, so they never reach
//! (or fight) the host page; Alt with a letter, matched by key position so that they work on
//! every keyboard layout.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::state::{CallStage, PhoneState};

/// Each shortcut: the `KeyboardEvent.code`, what the help panel shows, and what it does.
const SHORTCUTS: [(&str, &str, &str); 5] = [
    ("KeyA", "Alt+A", "Answer the ringing call"),
    ("KeyD", "Alt+D", "Decline the ringing call"),
    ("KeyH", "Alt+H", "Hang up"),
    ("KeyM", "Alt+M", "Mute or unmute"),
    ("KeyO", "Alt+O", "Hold or resume"),
];

fn act(state: PhoneState, code: &str) -> bool {
    let Some(phone) = state.phone.get_value() else { return false };
    let (ringing, current) = state.calls.with_untracked(|calls| {
        let ringing = calls.iter().find(|c| c.stage == CallStage::Incoming).map(|c| c.id);
        // The call being talked on, else the newest one.
        let current = calls
            .iter()
            .rev()
            .find(|c| c.stage != CallStage::Incoming && !c.held)
            .or_else(|| calls.iter().rev().find(|c| c.stage != CallStage::Incoming))
            .map(|c| c.id);
        (ringing, current)
    });
    match (code, ringing, current) {
        ("KeyA", Some(call), _) => phone.answer(call),
        ("KeyD", Some(call), _) => phone.decline(call),
        ("KeyH", _, Some(call)) => phone.hang_up(call),
        ("KeyM", _, Some(call)) => phone.toggle_mute(call),
        ("KeyO", _, Some(call)) => phone.toggle_hold(call),
        _ => return false,
    }
    true
}

/// Installs the shortcuts and renders the help panel's button and list.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let open = RwSignal::new(false);
    let keys = window_event_listener(leptos::ev::keydown, move |event: KeyboardEvent| {
        if event.alt_key() && !event.ctrl_key() && !event.meta_key() && act(state, &event.code()) {
            event.prevent_default();
        }
    });
    on_cleanup(move || keys.remove());
    view! {
        <div class="fp-shortcuts">
            <button
                type="button"
                class="fp-button fp-button--quiet"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Keyboard shortcuts"
            </button>
            {move || {
                open.get()
                    .then(|| {
                        view! {
                            <ul class="fp-shortcuts__list" aria-label="Keyboard shortcuts">
                                {SHORTCUTS
                                    .into_iter()
                                    .map(|(_, keys, what)| view! { <li><kbd>{keys}</kbd>" "{what}</li> })
                                    .collect_view()}
                            </ul>
                        }
                    })
            }}
        </div>
    }
}
