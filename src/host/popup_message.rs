//! A popup the widget opens within the agent's click (the random state it carries, the window
//! itself) and the one message it posts back: from that window itself, from the origin it was
//! sent to, of an expected type. Anything else (another window, another origin, a forged type)
//! is ignored; the popup closing without answering ends the wait.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Window};

use super::js::field;
use super::message_guard;
use super::servicenow_fetch;
use crate::activity::token::AuthoriseError;
use crate::i18n::{t, t_args};
use crate::origin::Origin;

/// How often the widget looks whether the agent closed the popup.
const CLOSED_POLL_MS: i32 = 500;

/// The widget's own origin, which the popup answers to.
pub(super) fn widget_origin() -> Result<Origin, AuthoriseError> {
    servicenow_fetch::widget_origin().ok_or_else(|| AuthoriseError::Browser(t("crm.browser.no-origin")))
}

/// `N` random bytes from the browser, for a request's state or PKCE verifier.
pub(super) fn random_bytes<const N: usize>() -> Result<[u8; N], AuthoriseError> {
    let mut bytes = [0u8; N];
    web_sys::window()
        .and_then(|window| window.crypto().ok())
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).ok())
        .map(|_| bytes)
        .ok_or_else(|| AuthoriseError::Browser(t_args("crm.browser.failed", &[("api", "crypto.getRandomValues")])))
}

/// Opens the popup `name` at `url` for the widget at `widget`. Browsers allow it only within
/// the agent's click, before anything is awaited.
pub(super) fn open(url: &str, name: &str, features: &str, widget: &Origin) -> Result<Window, AuthoriseError> {
    let window = web_sys::window().ok_or_else(|| AuthoriseError::Browser(t("crm.browser.no-window")))?;
    window
        .open_with_url_and_target_and_features(url, name, features)
        .ok()
        .flatten()
        .ok_or_else(|| AuthoriseError::Blocked { widget: widget.to_string() })
}

/// The data of `popup`'s message of one of the types `kinds` from `origin`; `None` when the
/// popup closed, or nothing came within `timeout_ms`.
pub(super) async fn from_popup(popup: &Window, origin: &str, kinds: &[&str], timeout_ms: i32) -> Option<JsValue> {
    let window = web_sys::window()?;
    // The page's message guard lets this popup's answer through while it is awaited.
    let _awaited = message_guard::await_popup(popup, origin);
    let settle: Rc<RefCell<Option<js_sys::Function>>> = Rc::new(RefCell::new(None));
    let answer = Promise::new(&mut |resolve, _| *settle.borrow_mut() = Some(resolve));
    let resolve = move |value: &JsValue| {
        if let Some(resolve) = settle.borrow_mut().take() {
            let _ = resolve.call1(&JsValue::UNDEFINED, value);
        }
    };
    let resolve = Rc::new(resolve);
    let on_message = {
        let kinds: Vec<String> = kinds.iter().map(|k| (*k).to_owned()).collect();
        let (resolve, popup, origin) = (resolve.clone(), popup.clone(), origin.to_owned());
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let from_popup = event.source().is_some_and(|source| Object::is(&source, &popup));
            let data = event.data();
            let ours = field(&data, "type").as_string().is_some_and(|kind| kinds.contains(&kind));
            if event.origin() == origin && from_popup && ours {
                resolve(&data);
            }
        })
    };
    let (mut waited, mut closed_ticks) = (0, 0);
    let on_tick = {
        let (resolve, popup) = (resolve.clone(), popup.clone());
        Closure::<dyn FnMut()>::new(move || {
            waited += CLOSED_POLL_MS;
            // The popup posts, then closes: its message may still be queued behind this tick,
            // so a popup counts as closed without answering only a tick later.
            closed_ticks = if popup.closed().unwrap_or(true) { closed_ticks + 1 } else { 0 };
            if closed_ticks >= 2 || waited >= timeout_ms {
                resolve(&JsValue::NULL);
            }
        })
    };
    let _ = window.add_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    let interval =
        window.set_interval_with_callback_and_timeout_and_arguments_0(on_tick.as_ref().unchecked_ref(), CLOSED_POLL_MS);
    let data = match interval {
        Ok(_) => JsFuture::from(answer).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    let _ = window.remove_event_listener_with_callback("message", on_message.as_ref().unchecked_ref());
    if let Ok(handle) = interval {
        window.clear_interval_with_handle(handle);
    }
    (!data.is_null()).then_some(data)
}
