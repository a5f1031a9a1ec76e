//! Instant messages (RFC 3428 MESSAGE, `text/plain`), in and out.

use super::dialog::party_of;
use super::events::{Event, MessageRef};
use super::transactions::{Notice, Owner, TxId};
use super::{CommandError, UserAgent, reason_text};
use crate::Millis;
use crate::message::{HeaderName, Method, Request, Response};

/// The Reason of our 480 to an incoming MESSAGE.
pub const MESSAGE_REFUSED_REASON: &str = "SIP;cause=480;text=\"Messages are not shown on this phone\"";

/// A MESSAGE waiting for its final response.
#[derive(Debug)]
pub(super) struct PendingMessage {
    cseq: u32,
    /// Already retried with credentials once.
    answered_challenge: bool,
}

impl UserAgent {
    /// Sends `text` to `target`; the outcome comes as [`Event::MessageDelivered`] or
    /// [`Event::MessageFailed`].
    pub fn send_message(&mut self, now: Millis, target: &str, text: &str) -> Result<MessageRef, CommandError> {
        self.ctx.now = now;
        let target = self.target(target)?;
        if self.ctx.flow().is_none() || self.stopping {
            return Err(CommandError::Offline);
        }
        let id = MessageRef(self.next_handle());
        let (call_id, tag) = (self.ctx.token(), self.ctx.tag());
        let mut request = self.ctx.new_request(Method::Message, &target, &call_id, &tag, 1);
        request.headers.push(HeaderName::ContentType, "text/plain;charset=UTF-8");
        request.body = text.as_bytes().to_vec();
        self.ctx.authorize_in_advance(&mut request);
        self.messages.insert(id, PendingMessage { cseq: 1, answered_challenge: false });
        self.ctx.send_request(request, Owner::Message(id));
        self.dispatch();
        Ok(id)
    }

    pub(super) fn on_message_notice(&mut self, id: MessageRef, notice: Notice) {
        match notice {
            Notice::Response { tx, request, response, .. } => self.on_message_response(id, tx, &request, &response),
            Notice::Failed { failure, .. } if self.messages.remove(&id).is_some() => {
                let reason = match failure {
                    crate::transaction::Failure::Transport => "connection lost",
                    _ => "no response",
                };
                self.ctx.event(Event::MessageFailed { message: id, status: 0, reason: reason.into() });
            }
            _ => {}
        }
    }

    fn on_message_response(&mut self, id: MessageRef, tx: TxId, request: &Request, response: &Response) {
        let status = response.status;
        if status < 200 {
            return;
        }
        if matches!(status, 401 | 407) && self.messages.get(&id).is_some_and(|m| !m.answered_challenge) {
            let Some(pending) = self.messages.get_mut(&id) else { return };
            pending.cseq += 1;
            pending.answered_challenge = true;
            let cseq = pending.cseq;
            if self.ctx.retry_challenged(tx, request, response, cseq, Owner::Message(id)).is_ok() {
                return;
            }
        }
        if self.messages.remove(&id).is_none() {
            return;
        }
        if status < 300 {
            self.ctx.event(Event::MessageDelivered { message: id });
        } else {
            self.ctx.event(Event::MessageFailed { message: id, status, reason: reason_text(response) });
        }
    }

    /// A MESSAGE outside any dialog.
    pub(super) fn on_incoming_message(&mut self, request: Request) {
        let tx = self.ctx.start_server(&request, Owner::Agent);
        let tag = self.ctx.tag();
        self.refuse_message(tx, &request, &tag);
    }

    /// The phone shows no messages: acknowledging one (200) would tell the sender it was read,
    /// so it is refused with 480 and a Reason saying why (RFC 3326), and the application only
    /// learns that someone tried.
    pub(super) fn refuse_message(&mut self, tx: TxId, request: &Request, tag: &str) {
        let mut refused = Response::to_request(request, 480, Some(tag));
        refused.headers.push(HeaderName::Reason, MESSAGE_REFUSED_REASON);
        self.ctx.respond(tx, refused);
        let from = request.headers.get(&HeaderName::From).map_or_else(|| party_of(b""), party_of);
        self.ctx.event(Event::MessageRefused { from });
    }
}
