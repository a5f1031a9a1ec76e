//! A capture-phase `message` listener installed before any host script: messages from any origin
//! other than the validated host (or the widget itself) never reach the host library, whose own
//! listener checks no origin at all (`hosts.md` §2.5).

use wasm_bindgen::prelude::*;
use web_sys::{AddEventListenerOptions, MessageEvent};

use crate::origin::Origin;

/// Installs the guard on `window` for the life of the page.
pub(super) fn install(host: &Origin) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let own = window.location().origin().unwrap_or_default();
    let host = host.to_string();
    let guard = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let origin = event.origin();
        if origin != host && origin != own {
            event.stop_immediate_propagation();
            web_sys::console::warn_1(&format!("Framephone ignored a message from {origin}").into());
        }
    });
    let options = AddEventListenerOptions::new();
    options.set_capture(true);
    let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
        "message",
        guard.as_ref().unchecked_ref(),
        &options,
    );
    guard.forget();
}
