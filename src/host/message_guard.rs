//! A capture-phase `message` listener installed before any host script: messages from any origin
//! other than the validated host (or the widget itself), and messages of the host's origin that
//! come from another window than the host page, never reach the host library, whose own listener
//! checks nothing at all (`hosts.md` §2.5). The one exception is a popup the widget opened and
//! now waits for ([`await_popup`]), at the origin it sent the popup to.
//!
//! Which messages pass ([`admits`]) and what is logged about the others ([`DropLog`]) are pure
//! and tested natively; [`install`] is the thin browser part.

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::{AddEventListenerOptions, MessageEvent, Window};

use crate::origin::Origin;

/// Where a message came from, as far as the guard can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sender<'a> {
    /// `event.origin`.
    pub origin: &'a str,
    /// Whether `event.source` is the host's own window (the parent or the top window).
    pub from_host_window: bool,
    /// Whether `event.source` is a popup the widget waits for, at the origin it was sent to.
    pub from_awaited_popup: bool,
}

/// Why a message was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// Neither the host's origin nor the widget's own.
    Origin,
    /// The host's origin, but another window than the host page (another frame of that origin).
    Window,
}

/// Whether a message may reach the host library: the widget's own messages pass; the host's only
/// from the host page itself, so that another frame of the same origin (a second instance tab,
/// a user-content frame) cannot speak for it.
pub(crate) fn admits(sender: Sender<'_>, host: &str, own: &str) -> Result<(), DropReason> {
    if sender.origin == own || sender.from_awaited_popup {
        Ok(())
    } else if sender.origin != host {
        Err(DropReason::Origin)
    } else if sender.from_host_window {
        Ok(())
    } else {
        Err(DropReason::Window)
    }
}

/// Most distinct origins counted one by one; the rest share one count, so that a page posting
/// from ever new origins cannot grow the log's memory.
const MAX_ORIGINS: usize = 16;

/// Counts dropped messages per origin and says when a line is worth logging: at the first drop
/// from an origin and then at 10, 100, 1000… drops, instead of one line per message (a hostile
/// page can post thousands a second).
#[derive(Debug, Default)]
pub(crate) struct DropLog {
    counts: Vec<(String, u64)>,
    others: u64,
}

impl DropLog {
    /// Counts one dropped message; the line to log, when this drop deserves one.
    pub(crate) fn record(&mut self, origin: &str, reason: DropReason) -> Option<String> {
        let known = self.counts.iter().position(|(o, _)| o == origin);
        let slot = match known {
            Some(i) => Some(i),
            None if self.counts.len() < MAX_ORIGINS => {
                self.counts.push((origin.to_owned(), 0));
                Some(self.counts.len() - 1)
            }
            None => None,
        };
        let count = match slot {
            Some(i) => &mut self.counts[i].1,
            None => &mut self.others,
        };
        *count += 1;
        let n = *count;
        let tracked = slot.is_some();
        let from = if tracked { origin.to_owned() } else { format!("{MAX_ORIGINS}+ other origins") };
        let why = match reason {
            DropReason::Origin => "it is not the host page",
            DropReason::Window => "it comes from another window than the host page",
        };
        match n {
            1 => Some(format!(
                "Framephone ignores messages from {from}: {why} (logged once; counts follow at 10, 100, 1000…)"
            )),
            n if is_power_of_ten(n) => Some(format!("Framephone has ignored {n} messages from {from}")),
            _ => None,
        }
    }
}

fn is_power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}

thread_local! {
    /// The popups the widget waits for, each with the origin its answer must come from.
    static AWAITED: RefCell<Vec<(Window, String)>> = const { RefCell::new(Vec::new()) };
}

/// While alive, the guard lets `popup`'s messages from `origin` through.
pub(super) struct AwaitedPopup(Window);

impl Drop for AwaitedPopup {
    fn drop(&mut self) {
        AWAITED.with(|awaited| awaited.borrow_mut().retain(|(w, _)| !js_sys::Object::is(w, &self.0)));
    }
}

/// Lets `popup`'s messages from `origin` through until the result is dropped.
pub(super) fn await_popup(popup: &Window, origin: &str) -> AwaitedPopup {
    AWAITED.with(|awaited| awaited.borrow_mut().push((popup.clone(), origin.to_owned())));
    AwaitedPopup(popup.clone())
}

fn is_awaited(source: &JsValue, origin: &str) -> bool {
    AWAITED.with(|awaited| awaited.borrow().iter().any(|(w, o)| o == origin && js_sys::Object::is(w, source)))
}

/// Installs the guard on `window` for the life of the page.
pub(super) fn install(host: &Origin) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let own = window.location().origin().unwrap_or_default();
    let host = host.to_string();
    // The host page is the parent (Salesforce) or the top window (ServiceNow's workspace); both
    // are fixed for the life of this frame.
    let host_windows: Vec<JsValue> = [window.parent().ok().flatten(), window.top().ok().flatten()]
        .into_iter()
        .flatten()
        .filter(|w| !js_sys::Object::is(w, &window))
        .map(JsValue::from)
        .collect();
    let mut log = DropLog::default();
    let guard = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let origin = event.origin();
        let source = event.source().map(JsValue::from);
        let from_host_window = source.as_ref().is_some_and(|s| host_windows.iter().any(|w| js_sys::Object::is(w, s)));
        let from_awaited_popup = source.as_ref().is_some_and(|s| is_awaited(s, &origin));
        let sender = Sender { origin: &origin, from_host_window, from_awaited_popup };
        if let Err(reason) = admits(sender, &host, &own) {
            event.stop_immediate_propagation();
            if let Some(line) = log.record(&origin, reason) {
                web_sys::console::warn_1(&line.into());
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "https://acme.service-now.com";
    const OWN: &str = "https://phone.example.com";

    fn from(origin: &str, from_host_window: bool) -> Result<(), DropReason> {
        admits(Sender { origin, from_host_window, from_awaited_popup: false }, HOST, OWN)
    }

    #[test]
    fn only_the_host_page_and_the_widget_itself_are_heard() {
        assert_eq!(from(HOST, true), Ok(()));
        assert_eq!(from(OWN, false), Ok(()), "the widget's own messages");
        assert_eq!(from(HOST, false), Err(DropReason::Window), "another frame of the host's origin");
        assert_eq!(from("https://evil.test", true), Err(DropReason::Origin));
        assert_eq!(from("https://acme.service-now.com.evil.test", true), Err(DropReason::Origin));
        assert_eq!(from("null", true), Err(DropReason::Origin), "a sandboxed frame");
        assert_eq!(from("", false), Err(DropReason::Origin));
        let popup = Sender { origin: "https://fp.example.com", from_host_window: false, from_awaited_popup: true };
        assert_eq!(admits(popup, HOST, OWN), Ok(()), "the popup the widget waits for, at its origin");
    }

    #[test]
    fn drops_are_logged_once_per_origin_then_at_powers_of_ten() {
        let mut log = DropLog::default();
        let lines: Vec<(u64, String)> =
            (1..=1000).filter_map(|n| log.record("https://evil.test", DropReason::Origin).map(|l| (n, l))).collect();
        let at: Vec<u64> = lines.iter().map(|(n, _)| *n).collect();
        assert_eq!(at, [1, 10, 100, 1000]);
        assert!(lines[0].1.contains("https://evil.test") && lines[0].1.contains("not the host page"), "{}", lines[0].1);
        assert_eq!(lines[2].1, "Framephone has ignored 100 messages from https://evil.test");
        // Another origin gets its own first line.
        let other = log.record(HOST, DropReason::Window).expect("first drop from the host's origin");
        assert!(other.contains(HOST) && other.contains("another window"), "{other}");
        assert_eq!(log.record("https://evil.test", DropReason::Origin), None);
    }

    #[test]
    fn ever_new_origins_share_one_count_beyond_the_limit() {
        let mut log = DropLog::default();
        let lines =
            (0..10_000).filter_map(|i| log.record(&format!("https://a{i}.evil.test"), DropReason::Origin)).count();
        // One line for each tracked origin, then the shared count's 1, 10, 100, 1000.
        assert_eq!(lines, MAX_ORIGINS + 4);
        assert_eq!(log.counts.len(), MAX_ORIGINS);
        assert_eq!(log.others, 10_000 - MAX_ORIGINS as u64);
    }

    #[test]
    fn powers_of_ten() {
        let found: Vec<u64> = (0..=10_000).filter(|n| is_power_of_ten(*n)).collect();
        assert_eq!(found, [1, 10, 100, 1000, 10_000]);
    }
}
