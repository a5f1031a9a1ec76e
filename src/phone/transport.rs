//! WebSocket flows (RFC 7118): one connection per `Output::Connect`, its events handed back to
//! the agent. SIP over WebSocket uses the `sip` subprotocol and one message per SIP message.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What a flow reports.
pub(super) enum FlowEvent {
    Opened,
    Message(Vec<u8>),
    Closed,
}

/// One open (or opening) WebSocket and the listeners that keep it reporting.
pub(super) struct Flow {
    socket: WebSocket,
    _listeners: [Closure<dyn FnMut(JsValue)>; 4],
}

impl Flow {
    /// Opens `url` with the `sip` subprotocol; `report` receives what happens to it.
    pub(super) fn open(url: &str, report: impl Fn(FlowEvent) + 'static) -> Result<Flow, String> {
        let socket = WebSocket::new_with_str(url, "sip").map_err(|e| crate::host::js::describe(&e))?;
        socket.set_binary_type(BinaryType::Arraybuffer);
        let report = std::rc::Rc::new(report);
        let on = |event: fn(JsValue) -> Option<FlowEvent>| {
            let report = report.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |value: JsValue| {
                if let Some(event) = event(value) {
                    report(event);
                }
            })
        };
        let listeners = [
            on(|_| Some(FlowEvent::Opened)),
            on(|value| {
                let data = value.dyn_into::<MessageEvent>().ok()?.data();
                let bytes = match data.as_string() {
                    Some(text) => text.into_bytes(),
                    None => js_sys::Uint8Array::new(&data).to_vec(),
                };
                Some(FlowEvent::Message(bytes))
            }),
            on(|_| Some(FlowEvent::Closed)),
            on(|_| Some(FlowEvent::Closed)),
        ];
        socket.set_onopen(Some(listeners[0].as_ref().unchecked_ref()));
        socket.set_onmessage(Some(listeners[1].as_ref().unchecked_ref()));
        socket.set_onclose(Some(listeners[2].as_ref().unchecked_ref()));
        socket.set_onerror(Some(listeners[3].as_ref().unchecked_ref()));
        Ok(Flow { socket, _listeners: listeners })
    }

    /// Sends one SIP message (text when it is UTF-8, as servers expect) or a keepalive.
    pub(super) fn send(&self, bytes: &[u8]) {
        let _ = match std::str::from_utf8(bytes) {
            Ok(text) => self.socket.send_with_str(text),
            Err(_) => self.socket.send_with_u8_array(bytes),
        };
    }
}

impl Drop for Flow {
    fn drop(&mut self) {
        for unset in [WebSocket::set_onopen, WebSocket::set_onmessage, WebSocket::set_onclose, WebSocket::set_onerror] {
            unset(&self.socket, None);
        }
        let _ = self.socket.close();
    }
}
