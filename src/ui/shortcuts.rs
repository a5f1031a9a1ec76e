//! Keyboard shortcuts for calls. They work while the phone has the focus, so they never reach
//! (or fight) the host page; Alt with a letter, matched by key position so that they work on
//! every keyboard layout.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::state::PhoneState;
use crate::command::Command;
use crate::i18n::t;
use crate::model::{current, ringing};

/// A shortcut: the `KeyboardEvent.code`, the keys the help panel shows, and what it does in
/// the agent's words.
type Shortcut = (&'static str, &'static str, fn() -> String);

/// Each shortcut.
const SHORTCUTS: [Shortcut; 5] = [
    ("KeyA", "Alt+A", || t("panel.shortcuts.answer")),
    ("KeyD", "Alt+D", || t("panel.shortcuts.decline")),
    ("KeyH", "Alt+H", || t("panel.shortcuts.hang-up")),
    ("KeyM", "Alt+M", || t("panel.shortcuts.mute")),
    ("KeyO", "Alt+O", || t("panel.shortcuts.hold")),
];

/// The command a shortcut stands for now, if any.
fn command_for(state: PhoneState, code: &str) -> Option<Command> {
    let (ringing, current) =
        state.calls.with_untracked(|calls| (ringing(calls).map(|c| c.id), current(calls).map(|c| c.id)));
    Some(match (code, ringing, current) {
        ("KeyA", Some(call), _) => Command::Answer(call),
        ("KeyD", Some(call), _) => Command::Decline(call),
        ("KeyH", _, Some(call)) => Command::HangUp(call),
        ("KeyM", _, Some(call)) => Command::ToggleMute(call),
        ("KeyO", _, Some(call)) => Command::ToggleHold(call),
        _ => return None,
    })
}

/// Installs the shortcuts and renders the help panel's button and list.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let open = RwSignal::new(false);
    let keys = window_event_listener(leptos::ev::keydown, move |event: KeyboardEvent| {
        if !event.alt_key() || event.ctrl_key() || event.meta_key() {
            return;
        }
        if let Some(command) = command_for(state, &event.code()) {
            event.prevent_default();
            state.commands.send(command);
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
                {t("panel.shortcuts.title")}
            </button>
            {move || {
                open.get()
                    .then(|| {
                        view! {
                            <ul class="fp-shortcuts__list" aria-label=t("panel.shortcuts.title")>
                                {SHORTCUTS
                                    .into_iter()
                                    .map(|(_, keys, what)| view! { <li><kbd>{keys}</kbd>" "{what()}</li> })
                                    .collect_view()}
                            </ul>
                        }
                    })
            }}
        </div>
    }
}
