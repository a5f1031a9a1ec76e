//! What one list item (a call, a history entry, a wrap-up) reads of the phone's long-lived
//! state: a memo of its own that lets go of that state when the item goes.
//!
//! Leptos' signals keep every subscriber that ever read them until the subscriber runs again;
//! one dropped with its item never runs again, and the signal keeps its allocation for the rest
//! of the page's life. A call region has some 25 reactive parts reading the call list: read
//! through one memo that unsubscribes itself at cleanup, the call list keeps nothing of a call
//! once it is gone (the soak in `scripts/bench-calls.sh` counts it).

use leptos::prelude::*;
use leptos::reactive::graph::{Subscriber, ToAnySubscriber};

/// A memo of `read` owned by the current item, unsubscribed from what it read when the item's
/// owner is cleaned up.
pub fn item_memo<T>(read: impl Fn() -> T + Send + Sync + 'static) -> Memo<T>
where
    T: PartialEq + Send + Sync + 'static,
{
    let memo = ArcMemo::new(move |_| read());
    let subscriber = memo.clone();
    on_cleanup(move || subscriber.clear_sources(&subscriber.to_any_subscriber()));
    Memo::from(memo)
}
