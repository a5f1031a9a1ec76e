//! A keyed list, as Leptos' `For`, whose items leave nothing behind in the list once they go.
//!
//! `For` makes each item's reactive owner a child of the list's. An owner keeps a weak link to
//! every child it ever had until it is itself cleaned up, and a weak link keeps the child's
//! allocation (72 bytes) alive: a list that lives as long as the page, such as the history,
//! kept one for every entry it ever showed (one per call in the 500-call soak). Here each item's
//! owner is linked from nowhere: its view holds it and drops it when the item goes. The phone's
//! state, the one context the items read, is provided to each item directly.

use std::hash::Hash;

use leptos::prelude::*;
use leptos::tachys::reactive_graph::OwnedView;
use leptos::tachys::view::keyed::{SerializableKey, keyed};

use super::state::PhoneState;

/// The items of `each`, keyed by `key`, each shown by `children`.
#[component]
pub fn KeyedList<IF, I, T, EF, N, KF, K>(
    /// The items.
    each: IF,
    /// What identifies an item from one update to the next.
    key: KF,
    /// An item's view.
    children: EF,
) -> impl IntoView
where
    IF: Fn() -> I + Send + 'static,
    I: IntoIterator<Item = T> + Send + 'static,
    EF: Fn(T) -> N + Send + Clone + 'static,
    N: IntoView + 'static,
    KF: Fn(&T) -> K + Send + Clone + 'static,
    K: Eq + Hash + SerializableKey + 'static,
    T: Send + 'static,
{
    let state = use_context::<PhoneState>();
    let children = move |_, item| {
        let owner = unlinked_owner();
        let view = owner.with(|| {
            if let Some(state) = state {
                provide_context(state);
            }
            children(item)
        });
        (drop, OwnedView::new_with_owner(view, owner))
    };
    move || keyed(each(), key.clone(), children.clone())
}

/// A reactive owner with no parent: made while no owner is current, the current one restored.
fn unlinked_owner() -> Owner {
    let current = Owner::current();
    if let Some(current) = current.clone() {
        current.unset();
    }
    let owner = Owner::new();
    if let Some(current) = current {
        current.set();
    }
    owner
}
