//! Transfers (RFC 3515 REFER, RFC 5589): blind and attended as the transferor, and the
//! transferee's side: accepting REFER, placing the new call and reporting its progress in
//! NOTIFYs with `message/sipfrag` bodies.

use super::call::Phase;
use super::dialog::{party_of, quoted};
use super::events::{CallEnd, CallRef, Event, Party};
use super::transactions::{Owner, TxId};
use super::transfer_policy::{ReferRefusal, check_refer_to, shown_target};
use super::{CommandError, UserAgent};
use crate::Millis;
use crate::body::{SipfragStatus, sipfrag_status};
use crate::headers::{NameAddr, value_with_params};
use crate::message::{HeaderName, Method, Request, Response, Uri, has_line_breaking_byte};

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

    /// A REFER in a call's dialog: when [`check_refer_to`] allows it, accept it, report
    /// 100 Trying, and create the new call for the application to send its offer on; else
    /// refuse it (403, or 400 without a readable Refer-To) with no NOTIFY and no
    /// implicit subscription, and tell the application.
    pub(super) fn on_refer(&mut self, call: CallRef, tx: TxId, request: Request) {
        let Some(state) = self.calls.get(&call) else { return };
        let tag = state.local_tag.clone();
        let confirmed = state.phase == Phase::Confirmed && !state.ended;
        let by = referrer(&request);
        let refer_to = request.headers.get(&HeaderName::ReferTo);
        let checked = if confirmed {
            check_refer_to(refer_to, &self.ctx.config.aor.host, &self.ctx.config.transfer_targets)
        } else {
            Err(ReferRefusal::NotConfirmed)
        };
        let target = match checked {
            Ok(target) => target,
            Err(reason) => {
                self.ctx.respond(tx, Response::to_request(&request, reason.status(), Some(&tag)));
                let target = refer_to.map(shown_target).unwrap_or_default();
                return self.ctx.event(Event::TransferRefused { call, by, target, reason });
            }
        };
        if self.calls.values().any(|c| c.referred_from == Some(call) && !c.ended) {
            return self.ctx.respond(tx, Response::to_request(&request, 491, Some(&tag)));
        }
        let mut extra = Vec::new();
        if let Some(referred_by) = referred_by_value(&request) {
            extra.push((HeaderName::ReferredBy, referred_by));
        }
        if let Some(replaces) = target.replaces {
            extra.push((HeaderName::Replaces, replaces));
        }
        self.ctx.respond(tx, Response::to_request(&request, 202, Some(&tag)));
        let party = party_of(format!("<{}>", target.uri).as_bytes());
        let new_call = self.new_outgoing(target.uri, extra);
        if let Some(state) = self.calls.get_mut(&new_call) {
            state.referred_from = Some(call);
        }
        self.notify_transferor(call, 100);
        self.ctx.event(Event::Transferring { call, new_call, target: party, by, dial: target.dial });
    }

    /// Sets where a call the agent created for a transfer goes, before its offer is sent: the
    /// application passes the [`Event::Transferring`] `dial` number through its dialling rules
    /// (outside-line and country prefixes) and gives the result here. The new target must
    /// still be one a REFER may name (our domain, or an allowed transfer target).
    pub fn retarget_transfer(&mut self, now: Millis, call: CallRef, target: &str) -> Result<(), CommandError> {
        self.ctx.now = now;
        let uri = self.target(target)?;
        let state = self.calls.get(&call).filter(|c| !c.ended).ok_or(CommandError::NoSuchCall)?;
        if state.phase != Phase::AwaitingOffer || state.referred_from.is_none() {
            return Err(CommandError::WrongState("only a transfer's call can be sent elsewhere, before its offer"));
        }
        let allowed = check_refer_to(
            Some(format!("<{uri}>").as_bytes()),
            &self.ctx.config.aor.host,
            &self.ctx.config.transfer_targets,
        );
        if allowed.is_err() {
            return Err(CommandError::BadTarget(target.to_owned()));
        }
        if let Some(state) = self.calls.get_mut(&call) {
            state.target = Some(uri);
        }
        Ok(())
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

/// Who asks for the transfer: the Referred-By, else the REFER's From.
fn referrer(request: &Request) -> Option<Party> {
    request.headers.get(&HeaderName::ReferredBy).or(request.headers.get(&HeaderName::From)).map(party_of)
}

/// The Referred-By of the new INVITE, rebuilt from what the REFER named (RFC 3892), so that
/// nothing but a clean name-addr is copied to the wire.
fn referred_by_value(request: &Request) -> Option<String> {
    let value = request.headers.get(&HeaderName::ReferredBy).or(request.headers.get(&HeaderName::From))?;
    let address = NameAddr::parse(value).ok()?;
    let name = address.display_text();
    let uri = Uri { headers: vec![], ..address.uri };
    let rebuilt = match name {
        Some(name) => format!("{} <{uri}>", quoted(&name)),
        None => format!("<{uri}>"),
    };
    (!has_line_breaking_byte(rebuilt.as_bytes())).then_some(rebuilt)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_survives_the_trip_through_a_refer_to_uri() {
        let value = "a84b4c76e66710@pc33;to-tag=9fxced76sl;from-tag=1928301774";
        let refer_to = format!("<sip:1003@framephone.test?Replaces={}>", escape_header_value(value));
        assert!(!escape_header_value(value).contains(';'));
        let target = check_refer_to(Some(refer_to.as_bytes()), "framephone.test", &[]).expect("allowed");
        assert_eq!(target.replaces.as_deref(), Some(value));
    }
}
