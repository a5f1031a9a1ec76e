//! Text the phone did not write (a caller's name, a CRM record, a contact), shown isolated in a
//! `<bdi>` so that its direction cannot reorder the widget's own words around it, and with its
//! whole value in a tooltip when it was cut short.

use leptos::prelude::*;

use crate::display_name::{DisplayName, Party};

/// One untrusted name in a `<bdi>`.
#[component]
pub fn Name(
    /// The cleaned name.
    name: DisplayName,
) -> impl IntoView {
    let title = name.is_shortened().then(|| name.full().to_owned());
    view! { <bdi title=title translate="no">{name.shown().to_owned()}</bdi> }
}

/// A call's other party: `<bdi>name</bdi> (<bdi>number</bdi>)`, the whole value in a tooltip
/// when a part was cut short.
#[component]
pub fn PartyName(
    /// The party.
    party: Party,
) -> impl IntoView {
    let title = party.is_shortened().then(|| party.full());
    let number = party.number.shown().to_owned();
    match party.name {
        Some(name) => view! {
            <span class="fp-party" title=title>
                <bdi translate="no">{name.shown().to_owned()}</bdi>" ("<bdi translate="no">{number}</bdi>")"
            </span>
        }
        .into_any(),
        None => view! { <span class="fp-party" title=title><bdi translate="no">{number}</bdi></span> }.into_any(),
    }
}

/// The phone's words of `text` before and after its unfilled `{placeholder}`, so that the
/// untrusted value between them is shown in its own element; all of `text` before when the
/// placeholder is missing.
pub fn around(text: &str, placeholder: &str) -> (String, String) {
    let marker = format!("{{{placeholder}}}");
    match text.split_once(&marker) {
        Some((before, after)) => (before.to_owned(), after.to_owned()),
        None => (text.to_owned(), String::new()),
    }
}
