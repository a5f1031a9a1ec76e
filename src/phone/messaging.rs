//! Text messages to colleagues: what the agent typed goes out as a SIP MESSAGE, and its
//! conversation shows it at once, then whether it arrived.

use super::Softphone;
use crate::conversations::{key_of, outgoing_text};
use crate::desk::DeskEvent;
use crate::i18n::t_args;

impl Softphone {
    /// Sends `text` to `number` (as written in the directory or typed) and shows it in their
    /// conversation: sending, or why it could not go.
    pub fn send_message(&self, number: &str, text: &str) {
        let text = match outgoing_text(text) {
            Ok(text) => text,
            Err(error) => return self.tell(DeskEvent::Notice(Some(error.text()))),
        };
        let key = key_of(number);
        let sent = match self.sip_target(number) {
            Ok(target) => self.run(|agent, now| agent.send_message(now, &target, &text)).map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        let (id, failure) = match sent {
            Ok(message) => (u64::from(message.0), None),
            Err(reason) => (0, Some(t_args("session.message.not-sent", &[("reason", &reason)]))),
        };
        self.tell(DeskEvent::MessageSent { id, number: key, text, failure });
    }
}
