//! The dial pad: the Number box with Backspace and Call, and twelve keys. Digits typed anywhere in the panel
//! (outside a text field) land in the Number box too.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::icon::{Icon, IconView};
use super::repeat_guard::RepeatGuard;
use super::state::PhoneState;
use super::untrusted::{Name, around};
use crate::command::Command;
use crate::dial_string::is_dial_key;
use crate::i18n::{t, t_args};

/// A second Call within this of the first, before the calls have changed, is the same click.
const RECALL_WITHIN_MS: f64 = 1_000.0;

/// Keys in keypad order, each with the letters printed under it.
pub(super) const KEYS: [(char, &str); 12] = [
    ('1', ""),
    ('2', "ABC"),
    ('3', "DEF"),
    ('4', "GHI"),
    ('5', "JKL"),
    ('6', "MNO"),
    ('7', "PQRS"),
    ('8', "TUV"),
    ('9', "WXYZ"),
    ('*', ""),
    ('0', "+"),
    ('#', ""),
];

/// The dial pad tab's content.
#[component]
pub fn DialPad() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let typing = window_event_listener(leptos::ev::keydown, move |event: KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() || typed_in_a_field(&event) {
            return;
        }
        let key = event.key();
        let mut chars = key.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if is_dial_key(c) => state.press_key(c),
            _ if key == "Backspace" => state.backspace(),
            _ => return,
        }
        event.prevent_default();
    });
    on_cleanup(move || typing.remove());

    let can_call = move || state.session.with(|s| s.registered()) && state.number.with(|n| !n.trim().is_empty());
    // A second Call before the calls have changed is the same click.
    let presses = RepeatGuard::until_changed(RECALL_WITHIN_MS, move || state.calls.track());
    let call = move || {
        if can_call() && presses.new_press() {
            state.commands.send(Command::Dial(state.number.get_untracked().trim().to_owned()));
        }
    };
    // One keypad at a time: during a call the call's own keypad sends tones, and the dial pad
    // keeps its Number box and Call (a second call, a consultation) without keys.
    let keys_shown = Memo::new(move |_| {
        state.keypad.get().is_none() && state.calls.with(|calls| !calls.iter().any(|c| c.engaged()))
    });
    view! {
        <div class="fp-dialpad">
            <label class="fp-sr-only" for="fp-number">{t("panel.dial-pad.number")}</label>
            <div class="fp-dialpad__entry">
                <input
                    id="fp-number"
                    class="fp-dialpad__number"
                    type="tel"
                    inputmode="tel"
                    autocomplete="off"
                    spellcheck="false"
                    placeholder=t("panel.dial-pad.enter-number")
                    prop:value=move || state.number.get()
                    on:input=move |ev| {
                        state.number.set(event_target_value(&ev));
                        state.number_source.set(None);
                    }
                    on:keydown=move |ev: KeyboardEvent| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            call();
                        }
                    }
                />
                <button
                    type="button"
                    class="fp-dialpad__backspace"
                    aria-label=t("panel.dial-pad.backspace")
                    title=t("panel.dial-pad.backspace")
                    disabled=move || state.number.with(String::is_empty)
                    on:click=move |_| state.backspace()
                >
                    "⌫"
                </button>
                <button
                    type="button"
                    class="fp-button fp-button--answer fp-dialpad__call"
                    disabled=move || !can_call()
                    on:click=move |_| call()
                >
                    <IconView icon=Icon::Phone />
                    {t("panel.call")}
                </button>
            </div>
            <p class="fp-dialpad__source" aria-live="polite">
                {move || {
                    state.number_source.get().map(|source| match source.record {
                        Some(record) => {
                            let text = t_args("panel.dial-pad.from-record", &[("host", &source.host)]);
                            let (before, after) = around(&text, "record");
                            view! { {before} <Name name=record /> {after} }.into_any()
                        }
                        None => t_args("panel.dial-pad.from-host", &[("host", &source.host)]).into_any(),
                    })
                }}
            </p>
            <div class="fp-keypad" role="group" aria-label=t("panel.dial-pad.keypad") hidden=move || !keys_shown.get()>
                {KEYS
                    .into_iter()
                    .map(|(key, letters)| {
                        view! {
                            <button
                                type="button"
                                class="fp-keypad__key"
                                aria-label=key.to_string()
                                on:click=move |_| state.press_key(key)
                            >
                                // The letters are drawn by CSS, so that the key's text is its name.
                                <span class="fp-keypad__digit" data-letters=letters>{key.to_string()}</span>
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
        </div>
    }
}

/// True when the key went to a text field, which handles it itself.
fn typed_in_a_field(event: &KeyboardEvent) -> bool {
    event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).is_some_and(|element| {
        matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
            || element.has_attribute("contenteditable")
    })
}
