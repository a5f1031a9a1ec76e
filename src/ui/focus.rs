//! Where the keyboard focus goes when the element that had it leaves the page (an answered or
//! declined call, a hung-up call, the sign-in form once signed in): to the next place a
//! keyboard or screen-reader user works in, never to the page's body.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Whether the agent works in the phone but the focus is nowhere in particular in it (the
/// element that had it went, as the sign-in form does once signed in).
pub fn lost_in_phone() -> bool {
    phone_has_focus() && document().is_some_and(|document| focus_is_lost(&document))
}

/// Whether the focus is nowhere in particular: on the body, or gone.
fn focus_is_lost(document: &web_sys::Document) -> bool {
    match document.active_element() {
        None => true,
        Some(element) => document.body().is_some_and(|body| element == *body),
    }
}

/// Focuses the first element matching one of `selectors`, in order. Returns whether one was.
pub fn focus_first(selectors: &[&str]) -> bool {
    let Some(document) = document() else { return false };
    selectors
        .iter()
        .filter_map(|selector| document.query_selector(selector).ok().flatten())
        .filter_map(|element| element.dyn_into::<HtmlElement>().ok())
        .any(|element| element.focus().is_ok())
}

/// After the current change is rendered, and only if the agent works in the phone and the
/// focus was lost with the change (never from the CRM page around the phone, whose frame's
/// focus is on its body too): runs `rescue`.
pub fn rescue_later(rescue: impl FnOnce() + 'static) {
    let rescue = move || {
        if lost_in_phone() {
            rescue();
        }
    };
    leptos::prelude::set_timeout(rescue, std::time::Duration::ZERO);
}

/// Whether this document has the keyboard focus (the agent is working in the phone, not in the
/// CRM page around it): only then may the phone move the focus by itself.
pub fn phone_has_focus() -> bool {
    document().and_then(|document| document.has_focus().ok()).unwrap_or(false)
}

/// Whether `element` has the keyboard focus now.
pub fn has_focus(element: &web_sys::Element) -> bool {
    document().and_then(|document| document.active_element()).is_some_and(|active| active == *element)
}
