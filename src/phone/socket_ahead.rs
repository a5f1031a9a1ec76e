//! The WebSocket to the first SIP server, opened ahead of a sign-in so that its REGISTER
//! leaves the moment it is made instead of after a TCP, TLS and WebSocket handshake: while the
//! agent fills in the sign-in form, and, for a page that kept a sign-in (a reload), by the
//! page itself while the wasm loads (`index.html`). The first flow the phone opens to that URL
//! takes it; one left unused for [`UNUSED_FOR_MS`] is closed (the next keystroke opens
//! another).

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::WebSocket;

use crate::browser::sleep;

/// How long a socket opened ahead waits for its sign-in before it is closed.
const UNUSED_FOR_MS: i32 = 30_000;

/// The socket opened ahead and the URL it was opened to.
struct Ahead {
    url: String,
    socket: WebSocket,
}

thread_local! {
    static AHEAD: RefCell<Option<Ahead>> = const { RefCell::new(None) };
}

/// The page's global holding the promise of the socket `index.html` opened for a kept sign-in
/// (or of `null`).
const EARLY_SOCKET: &str = "framephoneSocket";

/// Opens a WebSocket to `url` with the `sip` subprotocol unless one opened ahead is there and
/// still usable. Nothing is sent on it until a sign-in takes it.
pub(super) fn open(url: &str) {
    let usable = AHEAD.with_borrow(|ahead| ahead.as_ref().is_some_and(|a| a.url == url && alive(&a.socket)));
    if usable {
        return;
    }
    // A URL the browser refuses fails again, with its reason, when the sign-in opens it.
    let Ok(socket) = WebSocket::new_with_str(url, "sip") else { return };
    hold(url, socket);
}

/// Takes the socket the page opened for a kept sign-in, if it is to `url` (the first server of
/// the configuration the widget read and checked); one to anywhere else, or with no `url`, is
/// closed. Taken once.
pub(super) async fn take_the_pages(url: Option<&str>) {
    let Some(window) = web_sys::window() else { return };
    let key = JsValue::from_str(EARLY_SOCKET);
    let opened = js_sys::Reflect::get(&window, &key).ok().and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    let _ = js_sys::Reflect::delete_property(&window, &key);
    let Some(opened) = opened else { return };
    let Some(socket) = JsFuture::from(opened).await.ok().and_then(|s| s.dyn_into::<WebSocket>().ok()) else { return };
    // The browser's serialisation of both, as `WebSocket.url` holds it.
    let configured = url.filter(|url| web_sys::Url::new(url).is_ok_and(|u| u.href() == socket.url()));
    match configured {
        Some(url) => hold(url, socket),
        None => {
            let _ = socket.close();
        }
    }
}

/// Keeps `socket`, opened to `url`, for the next sign-in, for [`UNUSED_FOR_MS`] at most.
fn hold(url: &str, socket: WebSocket) {
    discard();
    let held = socket.clone();
    AHEAD.with_borrow_mut(|ahead| *ahead = Some(Ahead { url: url.to_owned(), socket }));
    spawn_local(async move {
        sleep(UNUSED_FOR_MS).await;
        // Still this one (not taken, not replaced by a later one).
        if AHEAD.with_borrow(|ahead| ahead.as_ref().is_some_and(|a| a.socket == held)) {
            discard();
        }
    });
}

/// The socket opened ahead to `url`, if there is one still connecting or open; any other is
/// closed.
pub(super) fn take(url: &str) -> Option<WebSocket> {
    let ahead = AHEAD.with_borrow_mut(Option::take)?;
    if ahead.url == url && alive(&ahead.socket) {
        return Some(ahead.socket);
    }
    let _ = ahead.socket.close();
    None
}

/// Closes the socket opened ahead, if any (signed in elsewhere, or left unused).
pub(super) fn discard() {
    if let Some(ahead) = AHEAD.with_borrow_mut(Option::take) {
        let _ = ahead.socket.close();
    }
}

fn alive(socket: &WebSocket) -> bool {
    matches!(socket.ready_state(), WebSocket::CONNECTING | WebSocket::OPEN)
}
