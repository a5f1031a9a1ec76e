//! Getting the agent's attention for a ringing call: the host brings the panel forward, and
//! while the page is hidden a desktop notification names the caller until the call stops
//! ringing or the page shows again. Clicking it brings the panel forward too.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use sip::agent::CallRef;
use wasm_bindgen::prelude::*;

use crate::host::Host;
use crate::i18n::{t, t_args};
use crate::notifications::{self, Shown};
use crate::ui::PhoneState;

/// Asks the host to show the panel (OpenFrame show, Open CTI panel visibility).
pub fn show_panel(host: &Rc<dyn Host>) {
    let host = host.clone();
    spawn_local(async move {
        if let Err(error) = host.show().await {
            web_sys::console::warn_1(&error.to_string().into());
        }
    });
}

/// Whether the page is hidden (another browser tab, a minimised window), as a signal.
fn page_hidden() -> RwSignal<bool> {
    let document = web_sys::window().and_then(|w| w.document());
    let page_hidden = {
        let document = document.clone();
        move || document.as_ref().is_some_and(web_sys::Document::hidden)
    };
    let hidden = RwSignal::new(page_hidden());
    // For the life of the page, like the app.
    let on_visibility = Closure::<dyn FnMut()>::new(move || hidden.set(page_hidden()));
    if let Some(document) = &document {
        let _ = document.add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
    }
    on_visibility.forget();
    hidden
}

/// Keeps one notification for the oldest ringing call, and one for the newest message, while
/// the page is hidden.
pub fn notify_while_hidden(state: PhoneState, host: Rc<dyn Host>) {
    let hidden = page_hidden();
    notify_messages(state, host.clone(), hidden);
    let shown = StoredValue::new_local(None::<(CallRef, Shown)>);
    let host = StoredValue::new_local(host);
    Effect::new(move |_| {
        let ringing = state.calls.with(|calls| {
            calls.iter().find(|c| c.stage == crate::model::CallStage::Incoming).map(|c| (c.id, c.party.isolated()))
        });
        // Only the window that has the phone notifies: one notification per call.
        let wanted = ringing.filter(|_| hidden.get() && state.home.get().here());
        let current = shown.with_value(|s| s.as_ref().map(|(id, _)| *id));
        if current == wanted.as_ref().map(|(id, _)| *id) {
            return;
        }
        shown.set_value(None);
        if let Some((call, party)) = wanted.filter(|_| notifications::enabled()) {
            let tag = format!("framephone-call-{}", call.0);
            let bring_forward = move || host.with_value(show_panel);
            let title = t("session.notify.incoming-call");
            shown.set_value(notifications::show(&title, &party, &tag, bring_forward).map(|n| (call, n)));
        }
    });
}

/// While the page is hidden, a colleague's new message shows as a notification naming them
/// with the start of the text; clicking it brings the panel forward with the conversation
/// open. It goes when the page shows again.
fn notify_messages(state: PhoneState, host: Rc<dyn Host>, hidden: RwSignal<bool>) {
    let newest = Memo::new(move |_| {
        state.conversations.with(|all| {
            let theirs = all.iter().filter_map(|c| Some((c, c.messages.iter().rev().find(|m| m.incoming)?)));
            let (conversation, message) = theirs.max_by_key(|(_, m)| m.at)?;
            let who = crate::display_name::Party::new(conversation.name.as_deref(), &conversation.number);
            Some((message.at, conversation.number.clone(), who.isolated(), message.text.clone()))
        })
    });
    let shown = StoredValue::new_local(None::<Shown>);
    let host = StoredValue::new_local(host);
    let mut last = newest.get_untracked().map(|(at, ..)| at);
    Effect::new(move |_| {
        let current = newest.get();
        let fresh = current.filter(|(at, ..)| last.is_none_or(|seen| *at > seen));
        if let Some((at, ..)) = &fresh {
            last = Some(*at);
        }
        if !hidden.get() {
            shown.set_value(None);
            return;
        }
        // Only the window that has the phone notifies: one notification per message.
        let Some((_, number, who, text)) = fresh.filter(|_| state.home.get_untracked().here()) else { return };
        if !notifications::enabled() {
            return;
        }
        let tag = "framephone-message";
        let title = t_args("session.notify.message-from", &[("who", &who)]);
        let body = crate::display_name::DisplayName::new(&text).shown().to_owned();
        let open = move || {
            host.with_value(show_panel);
            state.open_conversation(number.clone());
        };
        shown.set_value(notifications::show(&title, &body, tag, open));
    });
}

/// Asks the host to show the panel when a call starts ringing, in every window attached to a
/// host, whether the phone runs there or in the pop-out.
pub fn show_panel_when_ringing(state: PhoneState, host: Rc<dyn Host>) {
    let ringing = Memo::new(move |_| {
        state.calls.with(|calls| calls.iter().find(|c| c.stage == crate::model::CallStage::Incoming).map(|c| c.id))
    });
    Effect::new(move |_| {
        if ringing.get().is_some() {
            show_panel(&host);
        }
    });
}
