//! Desktop notifications of incoming calls: the agent's choice (remembered in `localStorage`)
//! and the browser's permission, which it grants only to the top-level page and the pop-out.

use std::sync::OnceLock;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

use crate::browser::local_storage as storage;
use crate::i18n::t;

const KEY: &str = "framephone.notifications";

/// Whether the browser has this API at all (it throws when it does not).
fn supported() -> bool {
    web_sys::window().is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false))
}

/// The agent asked for notifications and the browser allows them.
pub fn enabled() -> bool {
    supported()
        && Notification::permission() == NotificationPermission::Granted
        && storage().and_then(|s| s.get_item(KEY).ok().flatten()).is_some_and(|v| v == "on")
}

/// Turns notifications on (asking the browser first) or off; whether they are now on, or why not.
pub async fn set_enabled(on: bool) -> Result<bool, &'static str> {
    let remember = |on: bool| {
        if let Some(storage) = storage() {
            let _ = if on { storage.set_item(KEY, "on") } else { storage.remove_item(KEY) };
        }
    };
    if !on {
        remember(false);
        return Ok(false);
    }
    if !supported() {
        static UNSUPPORTED: OnceLock<String> = OnceLock::new();
        return Err(kept(&UNSUPPORTED, || t("session.notifications.unsupported")));
    }
    let granted = match Notification::permission() {
        NotificationPermission::Granted => true,
        _ => match Notification::request_permission() {
            Ok(request) => JsFuture::from(request).await.ok().and_then(|p| p.as_string()).as_deref() == Some("granted"),
            Err(_) => false,
        },
    };
    remember(granted);
    if granted {
        Ok(true)
    } else {
        static REFUSED: OnceLock<String> = OnceLock::new();
        Err(kept(&REFUSED, || t("session.notifications.refused")))
    }
}

/// A reason in the phone's language, made once: the language is set at start, and the reason
/// is kept as a `&'static str`.
fn kept(cell: &'static OnceLock<String>, text: impl FnOnce() -> String) -> &'static str {
    cell.get_or_init(text)
}

/// A shown notification; closed when dropped.
pub struct Shown {
    notification: Notification,
    _on_click: Closure<dyn FnMut()>,
}

/// Shows "`title`: `body`"; clicking it brings the page forward and runs `on_click`.
pub fn show(title: &str, body: &str, tag: &str, mut on_click: impl FnMut() + 'static) -> Option<Shown> {
    let options = NotificationOptions::new();
    options.set_body(body);
    options.set_tag(tag);
    options.set_require_interaction(true);
    let notification = Notification::new_with_options(title, &options).ok()?;
    let closing = notification.clone();
    let on_click = Closure::<dyn FnMut()>::new(move || {
        if let Some(window) = web_sys::window() {
            let _ = window.focus();
        }
        closing.close();
        on_click();
    });
    notification.set_onclick(Some(on_click.as_ref().unchecked_ref()));
    Some(Shown { notification, _on_click: on_click })
}

impl Drop for Shown {
    fn drop(&mut self) {
        self.notification.set_onclick(None);
        self.notification.close();
    }
}
