//! The browser's "Leave site?" question while a call is in progress in this window: closing or
//! reloading the window that holds the phone cuts the call off, so the agent is asked first (a
//! window that only shows the phone of another closes without a question). Inside a host's
//! frame the browser decides whether the host's own navigation asks too; a call cut off anyway
//! is recorded as such (`Outcome::PageClosed`).

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::ui::PhoneState;

/// Asks before the page goes away while a call is in progress in it.
pub fn ask_before_leaving_a_call(state: PhoneState) {
    let Some(window) = web_sys::window() else { return };
    let on_before_unload = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        if state.home.get_untracked().here() && state.calls.with_untracked(|calls| !calls.is_empty()) {
            // Both, for browsers that still read the return value.
            event.prevent_default();
            let _ = js_sys::Reflect::set(&event, &"returnValue".into(), &"".into());
        }
    });
    let _ = window.add_event_listener_with_callback("beforeunload", on_before_unload.as_ref().unchecked_ref());
    // For the life of the page, like the app.
    on_before_unload.forget();
}
