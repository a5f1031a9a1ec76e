//! The browser's network as the calls need to know it: `online` and `offline` on the window,
//! and `navigator.connection`'s `change` where the browser has it (Chromium), with whether its
//! `type` (wifi, ethernet, cellular…) changed.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::ice_restart::Network;

/// The listeners, registered until [`NetworkWatch::stop`].
pub(super) struct NetworkWatch {
    on_online: Closure<dyn FnMut()>,
    on_offline: Closure<dyn FnMut()>,
    on_change: Closure<dyn FnMut()>,
    /// `navigator.connection`, when the browser has one.
    connection: Option<web_sys::EventTarget>,
}

/// `navigator.connection`, not in web-sys's stable API.
fn connection() -> Option<web_sys::EventTarget> {
    let navigator = web_sys::window()?.navigator();
    let connection = Reflect::get(&navigator, &"connection".into()).ok()?;
    connection.dyn_into::<web_sys::EventTarget>().ok()
}

/// The connection's `type`, where the browser tells it (Chromium on Android and ChromeOS).
fn kind(connection: &web_sys::EventTarget) -> Option<String> {
    Reflect::get(connection, &"type".into()).ok()?.as_string()
}

impl NetworkWatch {
    /// Starts listening; `report` hears each change.
    pub(super) fn start(report: impl Fn(Network) + 'static) -> NetworkWatch {
        let report = Rc::new(report);
        let on_online = {
            let report = report.clone();
            Closure::<dyn FnMut()>::new(move || report(Network::Online))
        };
        let on_offline = {
            let report = report.clone();
            Closure::<dyn FnMut()>::new(move || report(Network::Offline))
        };
        let connection = connection();
        let last_kind = Rc::new(RefCell::new(connection.as_ref().and_then(kind)));
        let on_change = {
            let connection = connection.clone();
            Closure::<dyn FnMut()>::new(move || {
                let now = connection.as_ref().and_then(kind);
                let before = last_kind.replace(now.clone());
                report(Network::Changed { kind_changed: now.is_some() && now != before });
            })
        };
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("online", on_online.as_ref().unchecked_ref());
            let _ = window.add_event_listener_with_callback("offline", on_offline.as_ref().unchecked_ref());
        }
        if let Some(connection) = &connection {
            let _ = connection.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        }
        NetworkWatch { on_online, on_offline, on_change, connection }
    }

    /// Unregisters every listener; the closures may be dropped afterwards.
    pub(super) fn stop(&self) {
        if let Some(window) = web_sys::window() {
            let _ = window.remove_event_listener_with_callback("online", self.on_online.as_ref().unchecked_ref());
            let _ = window.remove_event_listener_with_callback("offline", self.on_offline.as_ref().unchecked_ref());
        }
        if let Some(connection) = &self.connection {
            let _ = connection.remove_event_listener_with_callback("change", self.on_change.as_ref().unchecked_ref());
        }
    }
}
