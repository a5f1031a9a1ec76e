//! What the settings forms share: labels told apart by a visually hidden suffix (the same
//! fields appear once per scope or kind on one page, and each needs its own accessible name),
//! a refusal in the form's words, and the focus moved to the field at fault.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::Problem;

/// A field's label: `text` shown, `suffix` (" for agents") heard only.
#[component]
pub fn Label(#[prop(into)] target: String, text: &'static str, suffix: &'static str) -> impl IntoView {
    view! { <label for=target>{text}<span class="fp-sr-only">{suffix}</span></label> }
}

/// The service's "field: what is wrong" with the field's label in place of its API name.
pub fn in_words(problem: &Problem, label: Option<&str>) -> String {
    let named = problem.field.as_deref().zip(label).and_then(|(field, label)| {
        problem.message.strip_prefix(field)?.strip_prefix(": ").map(|rest| format!("{label}: {rest}"))
    });
    named.unwrap_or_else(|| problem.message.clone())
}

/// Moves the focus to the element `id`, so that whoever fixes a refused field starts there.
pub fn focus(id: &str) {
    let element = document().get_element_by_id(id).and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
    }
}
