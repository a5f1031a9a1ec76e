//! What the phone's instances of one agent say to each other about who owns the phone, and how
//! such a message is read: every field checked, anything else refused, since a message may come
//! from any page that can reach the channel.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest peer id accepted.
const MAX_PEER_CHARS: usize = 64;
/// Longest message text the tests' JSON reader takes.
#[cfg(test)]
const MAX_MESSAGE_BYTES: usize = 1_024;

/// One running instance of the phone: a page load of the widget, framed or popped out.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PeerId(String);

impl PeerId {
    /// A peer id from `text`: 1–64 of `A–Z a–z 0–9 -`.
    pub fn parse(text: &str) -> Result<PeerId, MessageError> {
        let valid =
            (1..=MAX_PEER_CHARS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if valid { Ok(PeerId(text.to_owned())) } else { Err(MessageError::BadPeer) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for PeerId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PeerId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Where an instance runs, which decides who should own the phone: the pop-out outlives the
/// CRM's reloads and navigations, a framed instance does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Place {
    /// Inside a CRM page (OpenFrame, Open CTI).
    Embedded,
    /// The pop-out window (the standalone view).
    PopOut,
}

impl Place {
    /// Where an instance inside `host` runs: the standalone view is the pop-out.
    pub fn of(host: crate::host_kind::HostKind) -> Place {
        if host == crate::host_kind::HostKind::Standalone { Place::PopOut } else { Place::Embedded }
    }
}

/// Why an owner keeps the phone for now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Refusal {
    /// A call is in progress here and cannot move without dropping it: the phone moves when
    /// the last call ends.
    CallsInProgress,
}

/// A message about the phone's ownership.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// Externally tagged, as the envelope that carries it (see `Body`).
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Message {
    /// A new instance asks who owns the phone.
    Hello {
        /// Who asks.
        peer: PeerId,
        /// Where it runs.
        place: Place,
    },
    /// The owner says it owns the phone (in answer to Hello, and once a second).
    Owner {
        /// The owner.
        peer: PeerId,
        /// Where it runs.
        place: Place,
        /// Its ownership's number: each new owner counts one up.
        epoch: u64,
    },
    /// An instance wants to own the phone.
    Claim {
        /// Who claims.
        peer: PeerId,
        /// Where it runs.
        place: Place,
        /// The ownership it would start.
        epoch: u64,
    },
    /// The owner keeps the phone for now.
    Refuse {
        /// The owner.
        peer: PeerId,
        /// The claim refused.
        to: PeerId,
        /// Why.
        reason: Refusal,
    },
    /// The owner gives the phone up, to one instance or to whoever claims it.
    Release {
        /// The owner that lets go.
        peer: PeerId,
        /// Its ownership.
        epoch: u64,
        /// Who takes over (none: the first claim).
        to: Option<PeerId>,
    },
}

impl Message {
    /// Who sent it, by its own account (the shell checks the channel it came by).
    pub fn sender(&self) -> &PeerId {
        match self {
            Message::Hello { peer, .. }
            | Message::Owner { peer, .. }
            | Message::Claim { peer, .. }
            | Message::Refuse { peer, .. }
            | Message::Release { peer, .. } => peer,
        }
    }

    /// Reads a message as JSON text. Messages travel inside envelopes as postcard bytes
    /// (`sync::envelope`); this form is the tests', whose cases read better as JSON, and the
    /// checks (every peer id read through `PeerId::parse`) are the same.
    #[cfg(test)]
    fn parse(text: &str) -> Result<Message, MessageError> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(MessageError::TooLong(text.len()));
        }
        serde_json::from_str(text).map_err(|error| MessageError::Unreadable(error.to_string()))
    }

    /// The message as JSON text, for the tests.
    #[cfg(test)]
    fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Why a message was not taken.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MessageError {
    /// Longer than any message the phone sends.
    #[error("a phone-ownership message of {0} bytes is longer than any the phone sends")]
    TooLong(usize),
    /// Not a message the phone sends.
    #[error("not a phone-ownership message: {0}")]
    Unreadable(String),
    /// A peer id the phone would not make.
    #[error("a peer id must be 1 to 64 letters, digits or dashes")]
    BadPeer,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: &str) -> PeerId {
        PeerId::parse(id).unwrap()
    }

    #[test]
    fn messages_travel_as_json_and_come_back_the_same() {
        let messages = [
            Message::Hello { peer: peer("a1"), place: Place::Embedded },
            Message::Owner { peer: peer("a1"), place: Place::PopOut, epoch: 7 },
            Message::Claim { peer: peer("b-2"), place: Place::PopOut, epoch: 8 },
            Message::Refuse { peer: peer("a1"), to: peer("b-2"), reason: Refusal::CallsInProgress },
            Message::Release { peer: peer("a1"), epoch: 7, to: Some(peer("b-2")) },
            Message::Release { peer: peer("a1"), epoch: 7, to: None },
        ];
        for message in messages {
            assert_eq!(Message::parse(&message.to_text()), Ok(message.clone()), "{}", message.to_text());
        }
        assert_eq!(
            Message::Owner { peer: peer("a1"), place: Place::PopOut, epoch: 7 }.to_text(),
            r#"{"owner":{"peer":"a1","place":"popOut","epoch":7}}"#
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "null",
            r#"{"owner":{"peer":"a1","place":"popOut"}}"#,
            r#"{"owner":{"peer":"a1","place":"popOut","epoch":7,"snapshot":{}}}"#,
            r#"{"owner":{"peer":"a1","place":"desk","epoch":7}}"#,
            r#"{"owner":{"peer":"a1","place":"popOut","epoch":-1}}"#,
            r#"{"takeOver":{"peer":"a1"}}"#,
            r#"{"hello":{"peer":"<script>","place":"embedded"}}"#,
            r#"{"hello":{"peer":"","place":"embedded"}}"#,
        ] {
            assert!(Message::parse(text).is_err(), "{text}");
        }
        let long = format!(r#"{{"hello":{{"peer":"{}","place":"embedded"}}}}"#, "a".repeat(65));
        assert!(Message::parse(&long).is_err());
        let huge = " ".repeat(MAX_MESSAGE_BYTES + 1);
        assert_eq!(Message::parse(&huge), Err(MessageError::TooLong(MAX_MESSAGE_BYTES + 1)));
    }
}
