//! Instant messages (RFC 3428 MESSAGE, `text/plain`), in and out.

use super::dialog::party_of;
use super::events::{Event, MessageRef};
use super::transactions::{Notice, Owner, TxId};
use super::{CommandError, UserAgent, reason_text};
use crate::Millis;
use crate::message::{HeaderName, Method, Request, Response};

/// The Reason of our 480 to an incoming MESSAGE.
pub const MESSAGE_REFUSED_REASON: &str = "SIP;cause=480;text=\"Messages are not shown on this phone\"";

/// The longest text an incoming MESSAGE may carry, in bytes; a longer one gets 413. RFC 3428
/// keeps pager-mode messages short (§9); a colleague's note needs far less than this.
pub const MAX_TEXT_BYTES: usize = 4_096;

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
        self.take_message(tx, &request, &tag);
    }

    /// Takes a MESSAGE (in or outside a dialog) when the application shows them, else refuses
    /// it. Only plain UTF-8 text of a sane size is taken; anything else is answered with the
    /// status that says what is wrong, and the application never sees it.
    pub(super) fn take_message(&mut self, tx: TxId, request: &Request, tag: &str) {
        if !self.ctx.config.accept_messages {
            return self.refuse_message(tx, request, tag);
        }
        let content_type = request.headers.get(&HeaderName::ContentType);
        let verdict = match (content_type, std::str::from_utf8(&request.body)) {
            (_, _) if request.body.len() > MAX_TEXT_BYTES => Err((413, None)),
            (Some(kind), _) if !is_plain_text(kind) => Err((415, Some("text/plain"))),
            (_, Err(_)) => Err((400, None)),
            (_, Ok(text)) if text.trim().is_empty() => Err((400, None)),
            (_, Ok(text)) => Ok(text.to_owned()),
        };
        match verdict {
            Ok(text) => {
                self.ctx.respond(tx, Response::to_request(request, 200, Some(tag)));
                let from = request.headers.get(&HeaderName::From).map_or_else(|| party_of(b""), party_of);
                self.ctx.event(Event::MessageReceived { from, text });
            }
            Err((status, accept)) => {
                let mut refused = Response::to_request(request, status, Some(tag));
                if let Some(accept) = accept {
                    refused.headers.push(HeaderName::Accept, accept);
                }
                self.ctx.respond(tx, refused);
            }
        }
    }

    /// The phone shows no messages: acknowledging one (200) would tell the sender it was read,
    /// so it is refused with 480 and a Reason saying why (RFC 3326), and the application only
    /// learns that someone tried.
    fn refuse_message(&mut self, tx: TxId, request: &Request, tag: &str) {
        let mut refused = Response::to_request(request, 480, Some(tag));
        refused.headers.push(HeaderName::Reason, MESSAGE_REFUSED_REASON);
        self.ctx.respond(tx, refused);
        let from = request.headers.get(&HeaderName::From).map_or_else(|| party_of(b""), party_of);
        self.ctx.event(Event::MessageRefused { from });
    }
}

/// Whether a Content-Type is `text/plain` in UTF-8 (or its subset US-ASCII, or no charset,
/// read as UTF-8 when the bytes are).
fn is_plain_text(content_type: &[u8]) -> bool {
    let Ok(value) = std::str::from_utf8(content_type) else { return false };
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case("text/plain") {
        return false;
    }
    parts.filter_map(|p| p.split_once('=')).filter(|(name, _)| name.trim().eq_ignore_ascii_case("charset")).all(
        |(_, charset)| {
            let charset = charset.trim().trim_matches('"');
            charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::is_plain_text;

    #[test]
    fn only_plain_utf8_text_is_taken() {
        for taken in
            ["text/plain", "TEXT/Plain ; charset=UTF-8", "text/plain;charset=\"utf-8\"", "text/plain; charset=us-ascii"]
        {
            assert!(is_plain_text(taken.as_bytes()), "{taken}");
        }
        for refused in
            ["text/html", "text/plain; charset=iso-8859-1", "application/im-iscomposing+xml", "text/plainx", ""]
        {
            assert!(!is_plain_text(refused.as_bytes()), "{refused}");
        }
        assert!(!is_plain_text(b"text/plain; charset=\xff"));
    }
}
