//! Transfers (RFC 3515 REFER, RFC 5589): blind and attended as the transferor, and the
//! transferee's side: accepting REFER, placing the new call and reporting its progress in
//! NOTIFYs with `message/sipfrag` bodies.

use super::call::Phase;
use super::dialog::party_of;
use super::events::{CallEnd, CallRef, Event};
use super::transactions::{Owner, TxId};
use super::{CommandError, UserAgent};
use crate::Millis;
use crate::body::{SipfragStatus, sipfrag_status};
use crate::headers::{NameAddr, value_with_params};
use crate::message::{HeaderName, Method, Request, Response, Uri};

impl UserAgent {
    /// Blind transfer: asks the other party of `call` to call `target` (REFER). Progress comes
    /// as [`Event::TransferProgress`], the outcome as [`Event::TransferResult`]; on success the
    /// agent hangs up `call` ([`CallEnd::Transferred`]).
    pub fn transfer(&mut self, now: Millis, call: CallRef, target: &str) -> Result<(), CommandError> {
        self.ctx.now = now;
        let target = self.target(target)?;
        self.send_refer(call, format!("<{target}>"))
    }

    /// Attended transfer: connects the other party of `call` with the other party of
    /// `consultation` (REFER with Replaces built from the consultation's dialog, RFC 3891).
    pub fn transfer_attended(&mut self, now: Millis, call: CallRef, consultation: CallRef) -> Result<(), CommandError> {
        self.ctx.now = now;
        let consulted = self.calls.get(&consultation).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        let dialog = match (&consulted.dialog, consulted.phase) {
            (Some(dialog), Phase::Confirmed) => dialog,
            _ => return Err(CommandError::WrongState("the consultation call is not established")),
        };
        let target = NameAddr::parse(dialog.remote_uri.as_bytes()).map_err(|_| CommandError::NoSuchCall)?.uri;
        // The tags as the consulted party sees them: its own tag is our remote tag.
        let replaces = format!("{};to-tag={};from-tag={}", dialog.call_id, dialog.remote_tag, dialog.local_tag);
        let mut uri = Uri { headers: vec![], ..target };
        uri.headers.push(("Replaces".into(), escape_header_value(&replaces)));
        self.send_refer(call, format!("<{uri}>"))
    }

    fn send_refer(&mut self, call: CallRef, refer_to: String) -> Result<(), CommandError> {
        let state = self.calls.get(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        if state.refer_pending {
            return Err(CommandError::WrongState("a transfer of this call is already in progress"));
        }
        let mut refer = self.in_dialog_request(call, Method::Refer)?;
        refer.headers.push(HeaderName::ReferTo, refer_to);
        refer.headers.push(HeaderName::ReferredBy, format!("<{}>", self.ctx.config.aor));
        refer.headers.push(HeaderName::Contact, self.ctx.contact());
        self.ctx.send_request(refer, Owner::Call(call));
        if let Some(state) = self.calls.get_mut(&call) {
            state.refer_pending = true;
        }
        self.dispatch();
        Ok(())
    }

    pub(super) fn on_refer_response(&mut self, call: CallRef, response: &Response) {
        match response.status {
            100..=299 => self.ctx.event(Event::TransferProgress { call, status: response.status }),
            status => self.transfer_finished(call, false, status),
        }
    }

    pub(super) fn on_refer_failure(&mut self, call: CallRef) {
        self.transfer_finished(call, false, 408);
    }

    fn transfer_finished(&mut self, call: CallRef, succeeded: bool, status: u16) {
        let Some(state) = self.calls.get_mut(&call).filter(|c| c.refer_pending) else { return };
        state.refer_pending = false;
        self.ctx.event(Event::TransferResult { call, succeeded, status });
        if succeeded && self.calls.get(&call).is_some_and(|c| !c.ended) {
            self.send_bye(call);
            self.end_call(call, CallEnd::Transferred);
        }
    }

    /// A NOTIFY in a call's dialog: the progress of the transfer we asked for.
    pub(super) fn on_refer_notify(&mut self, call: CallRef, tx: TxId, request: Request) {
        let tag = self.calls.get(&call).map(|c| c.local_tag.clone()).unwrap_or_default();
        let event = request.headers.get(&HeaderName::Event).and_then(|v| value_with_params(v).ok());
        if !event.is_some_and(|(package, _)| package.eq_ignore_ascii_case("refer")) {
            return self.ctx.respond(tx, Response::to_request(&request, 489, Some(&tag)));
        }
        self.ctx.respond(tx, Response::to_request(&request, 200, Some(&tag)));
        let Ok(status) = SipfragStatus::parse(&request.body) else { return };
        if status.is_final() {
            self.transfer_finished(call, status.is_success(), status.code);
        } else if self.calls.get(&call).is_some_and(|c| c.refer_pending) {
            self.ctx.event(Event::TransferProgress { call, status: status.code });
        }
    }

    /// A REFER in a call's dialog: accept it, report 100 Trying, and create the new call for
    /// the application to send its offer on.
    pub(super) fn on_refer(&mut self, call: CallRef, tx: TxId, request: Request) {
        let tag = self.calls.get(&call).map(|c| c.local_tag.clone()).unwrap_or_default();
        let refer_to = request.headers.get(&HeaderName::ReferTo).and_then(|v| NameAddr::parse(v).ok());
        let Some(refer_to) = refer_to else {
            return self.ctx.respond(tx, Response::to_request(&request, 400, Some(&tag)));
        };
        if self.calls.values().any(|c| c.referred_from == Some(call) && !c.ended) {
            return self.ctx.respond(tx, Response::to_request(&request, 491, Some(&tag)));
        }
        let mut target = refer_to.uri.clone();
        let replaces = target
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("replaces"))
            .map(|(_, value)| unescape(value));
        target.headers.clear();
        let mut extra = Vec::new();
        let referred_by = request.headers.get(&HeaderName::ReferredBy).or(request.headers.get(&HeaderName::From));
        if let Some(referred_by) = referred_by {
            extra.push((HeaderName::ReferredBy, String::from_utf8_lossy(referred_by).into_owned()));
        }
        if let Some(replaces) = replaces {
            extra.push((HeaderName::Replaces, replaces));
        }
        self.ctx.respond(tx, Response::to_request(&request, 202, Some(&tag)));
        let party = party_of(format!("<{target}>").as_bytes());
        let new_call = self.new_outgoing(target, extra);
        if let Some(state) = self.calls.get_mut(&new_call) {
            state.referred_from = Some(call);
        }
        self.notify_transferor(call, 100);
        self.ctx.event(Event::Transferring { call, new_call, target: party });
    }

    /// Tells the transferor how the call it referred us to is going (RFC 3515 §2.4.5).
    pub(super) fn notify_transferor(&mut self, transferor: CallRef, status: u16) {
        if self.calls.get(&transferor).is_none_or(|c| c.ended) {
            return;
        }
        let Ok(mut notify) = self.in_dialog_request(transferor, Method::Notify) else { return };
        let state = if status >= 200 { "terminated;reason=noresource".to_owned() } else { "active;expires=60".into() };
        notify.headers.push(HeaderName::Event, "refer");
        notify.headers.push(HeaderName::SubscriptionState, state);
        notify.headers.push(HeaderName::Contact, self.ctx.contact());
        notify.headers.push(HeaderName::ContentType, "message/sipfrag;version=2.0");
        notify.body = sipfrag_status(status).into_bytes();
        self.ctx.send_request(notify, Owner::Call(transferor));
    }
}

/// A header value as it may appear in a URI's `?name=value` (RFC 3261 §19.1.1).
fn escape_header_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()[]/?:+$".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `%XX` escapes undone (invalid ones kept as written).
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_survives_the_trip_through_a_refer_to_uri() {
        let value = "a84b4c76e66710@pc33;to-tag=9fxced76sl;from-tag=1928301774";
        assert_eq!(unescape(&escape_header_value(value)), value);
        assert!(!escape_header_value(value).contains(';'));
        assert_eq!(unescape("100%"), "100%");
    }
}
