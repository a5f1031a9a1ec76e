//! WebSocket flows (RFC 7118): one connection per `Output::Connect`, its events handed back to
//! the agent. SIP over WebSocket uses the `sip` subprotocol and one message per SIP message.
//!
//! A frame larger than the SIP core accepts ([`MAX_MESSAGE_BYTES`]) is dropped by its length,
//! read on the JavaScript side, before any of it is copied into wasm memory: that memory never
//! shrinks, so a hostile server could otherwise grow it at will.

use sip::message::MAX_MESSAGE_BYTES;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// What a flow reports.
pub(super) enum FlowEvent {
    Opened,
    Message(Vec<u8>),
    Closed,
}

/// What the shell does with a frame, decided from its length alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FrameCheck {
    /// Small enough whatever it holds: copy it in.
    Take,
    /// A text frame whose UTF-8 size may be over the limit: measure it first, outside wasm.
    Measure,
    /// Over the limit: drop it unread.
    Drop,
}

/// A text frame of `units` UTF-16 code units (JavaScript's `string.length`) is `units` to
/// `3 × units` bytes of UTF-8 (a surrogate pair is 2 units and 4 bytes).
pub(super) fn check_text(units: usize) -> FrameCheck {
    if units > MAX_MESSAGE_BYTES {
        FrameCheck::Drop
    } else if units.saturating_mul(3) <= MAX_MESSAGE_BYTES {
        FrameCheck::Take
    } else {
        FrameCheck::Measure
    }
}

/// A binary frame (or a measured text frame) of `bytes` bytes.
pub(super) fn check_bytes(bytes: usize) -> FrameCheck {
    if bytes > MAX_MESSAGE_BYTES { FrameCheck::Drop } else { FrameCheck::Take }
}

/// The bytes of a received frame, or none (with one log line) when it is over the limit.
fn received(data: JsValue) -> Option<Vec<u8>> {
    if let Some(text) = data.dyn_ref::<js_sys::JsString>() {
        let units = text.length() as usize;
        let fits = match check_text(units) {
            FrameCheck::Take => true,
            // The browser's own UTF-8 encoding of the string, in the JS heap: its exact size.
            FrameCheck::Measure => utf8_length(&data).is_some_and(|bytes| check_bytes(bytes) == FrameCheck::Take),
            FrameCheck::Drop => false,
        };
        if !fits {
            return dropped("text", units, "characters");
        }
        return data.as_string().map(String::into_bytes);
    }
    if let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() {
        let bytes = buffer.byte_length() as usize;
        if check_bytes(bytes) == FrameCheck::Drop {
            return dropped("binary", bytes, "bytes");
        }
        return Some(js_sys::Uint8Array::new(buffer).to_vec());
    }
    // `binaryType` is "arraybuffer": a Blob (or anything else) is not what was asked for.
    let size = data.dyn_ref::<web_sys::Blob>().map_or(0, |blob| blob.size() as usize);
    dropped("unexpected", size, "bytes")
}

/// The UTF-8 size of the string `text`, measured by the browser (a Blob of it).
fn utf8_length(text: &JsValue) -> Option<usize> {
    let parts = js_sys::Array::of1(text);
    web_sys::Blob::new_with_str_sequence(&parts).ok().map(|blob| blob.size() as usize)
}

fn dropped(kind: &str, length: usize, unit: &str) -> Option<Vec<u8>> {
    web_sys::console::warn_1(
        &format!(
            "SIP over WebSocket: a {kind} frame of {length} {unit} was dropped unread \
             (a SIP message has at most {MAX_MESSAGE_BYTES} bytes)"
        )
        .into(),
    );
    None
}

/// One open (or opening) WebSocket and the listeners that keep it reporting.
pub(super) struct Flow {
    socket: WebSocket,
    _listeners: [Closure<dyn FnMut(JsValue)>; 4],
}

/// The browser would not open a WebSocket (a malformed or forbidden URL).
#[derive(Debug, thiserror::Error)]
#[error("{url}: {reason}")]
pub(super) struct OpenError {
    url: String,
    reason: String,
}

impl Flow {
    /// Opens `url` with the `sip` subprotocol, or takes the socket opened ahead to it
    /// ([`socket_ahead`](super::socket_ahead)); `report` receives what happens to it from now on.
    /// A socket taken already open reports no `Opened`: [`is_open`](Self::is_open) says so.
    pub(super) fn open(url: &str, report: impl Fn(FlowEvent) + 'static) -> Result<Flow, OpenError> {
        let socket = match super::socket_ahead::take(url) {
            Some(socket) => socket,
            None => WebSocket::new_with_str(url, "sip")
                .map_err(|e| OpenError { url: url.to_owned(), reason: crate::browser::describe(&e) })?,
        };
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
            on(|value| received(value.dyn_into::<MessageEvent>().ok()?.data()).map(FlowEvent::Message)),
            on(|_| Some(FlowEvent::Closed)),
            on(|_| Some(FlowEvent::Closed)),
        ];
        socket.set_onopen(Some(listeners[0].as_ref().unchecked_ref()));
        socket.set_onmessage(Some(listeners[1].as_ref().unchecked_ref()));
        socket.set_onclose(Some(listeners[2].as_ref().unchecked_ref()));
        socket.set_onerror(Some(listeners[3].as_ref().unchecked_ref()));
        Ok(Flow { socket, _listeners: listeners })
    }

    /// Whether the socket is open already (one opened ahead of the sign-in).
    pub(super) fn is_open(&self) -> bool {
        self.socket.ready_state() == WebSocket::OPEN
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_frames_are_dropped_by_length_and_measured_when_their_utf8_size_is_unknown() {
        assert_eq!(check_text(0), FrameCheck::Take);
        assert_eq!(check_text(MAX_MESSAGE_BYTES / 3), FrameCheck::Take);
        assert_eq!(check_text(MAX_MESSAGE_BYTES / 3 + 1), FrameCheck::Measure);
        assert_eq!(check_text(MAX_MESSAGE_BYTES), FrameCheck::Measure);
        assert_eq!(check_text(MAX_MESSAGE_BYTES + 1), FrameCheck::Drop);
        assert_eq!(check_text(usize::MAX), FrameCheck::Drop);
    }

    #[test]
    fn binary_frames_over_the_cores_limit_are_dropped() {
        assert_eq!(check_bytes(MAX_MESSAGE_BYTES), FrameCheck::Take);
        assert_eq!(check_bytes(MAX_MESSAGE_BYTES + 1), FrameCheck::Drop);
    }
}
