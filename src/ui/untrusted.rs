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
    view! { <bdi title=title>{name.shown().to_owned()}</bdi> }
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
                <bdi>{name.shown().to_owned()}</bdi>" ("<bdi>{number}</bdi>")"
            </span>
        }
        .into_any(),
        None => view! { <span class="fp-party" title=title><bdi>{number}</bdi></span> }.into_any(),
    }
}
