//! Pop out and Pop in: the phone moves to a window of its own, which outlives the CRM page's
//! reloads and navigations, and back into the CRM page.

use leptos::prelude::*;

use super::instances::{Instances, POP_OUT_NAME};
use crate::i18n::t;
use crate::sync::envelope::Body;
use crate::sync::message::Place;
use crate::ui::PhoneState;

/// The pop-out's size: the phone's panel with room for a second call.
const POP_OUT_FEATURES: &str = "popup,width=420,height=720";

/// Opens the pop-out (or brings the open one forward), which then takes the phone: at once
/// with no call in progress, else when the calls here end. Runs in the click, which the
/// browser requires for a new window.
pub fn pop_out(instances: &Instances, state: PhoneState) {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    // The standalone view: this page without the host's parameters.
    let url = format!("{}{}", location.origin().unwrap_or_default(), location.pathname().unwrap_or_default());
    match window.open_with_url_and_target_and_features(&url, POP_OUT_NAME, POP_OUT_FEATURES) {
        Ok(Some(pop_out)) => {
            let _ = pop_out.focus();
            instances.link(pop_out);
        }
        _ => state.view_notice.set(Some(t("session.pop-out-blocked"))),
    }
}

/// Gives the phone back to the CRM window and closes the pop-out; asked in a framed window,
/// asks the pop-out to. The pop-out's calls have moved or ended by then (`super::moves`).
pub fn pop_in(instances: &Instances) {
    if instances.place() == Place::Embedded {
        return instances.send(Body::PopIn);
    }
    instances.leave();
    if let Some(window) = web_sys::window() {
        let _ = window.close();
    }
}

/// Tells the instances whether calls are in progress here: an owner with calls keeps the
/// phone until they end.
pub fn keep_busy_in_step(state: PhoneState, instances: StoredValue<Option<Instances>, LocalStorage>) {
    let busy = Memo::new(move |_| state.calls.with(|calls| !calls.is_empty()));
    Effect::new(move |_| {
        let busy = busy.get();
        instances.with_value(|i| i.as_ref().map(|i| i.set_busy(busy)));
    });
}
