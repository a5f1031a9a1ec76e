//! The message bodies a softphone reads and writes besides SDP:
//!
//! - presence, `application/pidf+xml` (RFC 3863 with RFC 4479 persons and RFC 4480 activities):
//!   [`Presence::parse`] for a directory, [`pidf_document`] for PUBLISH;
//! - dialog state, `application/dialog-info+xml` (RFC 4235): [`DialogInfo::parse`] and
//!   [`DialogInfo::line_state`] for a busy lamp;
//! - transfer progress, `message/sipfrag` (RFC 3420, as RFC 3515 uses it in NOTIFY):
//!   [`SipfragStatus::parse`] and [`sipfrag_status`];
//! - DTMF in INFO, `application/dtmf-relay` and `application/dtmf`: [`DtmfRelay`] and [`Dtmf`].
//!
//! The XML bodies are read by the small reader in [`xml`]; it refuses documents over 1 MiB or
//! nested over 64 levels, and nothing here panics on any input.

mod dialog_info;
mod dtmf_relay;
mod pidf;
mod sipfrag;
pub mod xml;

pub use dialog_info::{Dialog, DialogInfo, DialogState, Direction, DocumentState, LineState, Participant};
pub use dtmf_relay::{Dtmf, DtmfRelay};
pub use pidf::{BasicStatus, Presence, PresenceState, Tuple, pidf_document};
pub use sipfrag::{SipfragStatus, sipfrag_status};
pub use xml::{XmlError, XmlErrorKind};

use thiserror::Error;

/// Why a body cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BodyError {
    /// Nothing but whitespace (a NOTIFY may legitimately have no body: the caller decides).
    #[error("the body is empty")]
    Empty,
    /// The XML is not well-formed.
    #[error("the body is not well-formed XML: {0}")]
    Xml(#[from] XmlError),
    /// The root element is not the one the content type promises.
    #[error("expected a <{expected}> document but the root element is <{found}>")]
    UnexpectedRoot {
        /// The local name expected.
        expected: &'static str,
        /// The name found.
        found: String,
    },
    /// A required attribute is missing.
    #[error("<{element}> has no {attribute} attribute, which is required")]
    MissingAttribute {
        /// The element's local name.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A required child element is missing.
    #[error("<{element}> has no <{child}> element, which is required")]
    MissingElement {
        /// The element's local name.
        element: &'static str,
        /// The missing child's local name.
        child: &'static str,
    },
    /// A value the specification does not allow.
    #[error("{field} is {value:?}; expected {expected}")]
    InvalidValue {
        /// What the value is.
        field: &'static str,
        /// The value (at most 40 characters of it).
        value: String,
        /// What would have been valid.
        expected: &'static str,
    },
    /// A `message/sipfrag` body that does not start with a status line.
    #[error("the sipfrag body does not start with a status line such as \"SIP/2.0 200 OK\"")]
    NotAStatusLine,
    /// Not a DTMF signal.
    #[error("{0:?} is not a DTMF signal; expected 0-9, *, #, A-D, or an event code 0-15")]
    InvalidDtmf(String),
    /// An `application/dtmf-relay` body without a `Signal=` line.
    #[error("the dtmf-relay body has no Signal= line")]
    MissingSignal,
}

impl BodyError {
    /// A [`BodyError::InvalidValue`], keeping only the start of a value that may be huge.
    fn invalid(field: &'static str, value: &str, expected: &'static str) -> Self {
        BodyError::InvalidValue { field, value: excerpt(value), expected }
    }
}

/// At most 40 characters of `text`, for error messages.
fn excerpt(text: &str) -> String {
    text.chars().take(40).collect()
}

/// True for a body of nothing but whitespace.
fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Checks that the root element is `expected`, by local name.
fn expect_root(root: &xml::Element<'_>, expected: &'static str) -> Result<(), BodyError> {
    if root.local_name() == expected {
        Ok(())
    } else {
        Err(BodyError::UnexpectedRoot { expected, found: excerpt(root.name.as_str()) })
    }
}

/// Trimmed text, or `None` when nothing is left.
fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Pieces that make arbitrary input look like the documents the parsers expect, so that
    /// the generated cases get past the first byte.
    fn xmlish() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("</".to_owned()),
            Just("/>".to_owned()),
            Just("<![CDATA[".to_owned()),
            Just("]]>".to_owned()),
            Just("<!--".to_owned()),
            Just("-->".to_owned()),
            Just("<?xml version='1.0'?>".to_owned()),
            Just("&#x".to_owned()),
            Just("&amp;".to_owned()),
            Just(";".to_owned()),
            Just("=\"".to_owned()),
            Just("'".to_owned()),
            Just(" ".to_owned()),
            Just("presence entity='sip:a@b'".to_owned()),
            Just("dialog-info version='1' state='full' entity='sip:a@b'".to_owned()),
            Just("dialog id='x' direction='recipient'".to_owned()),
            Just("dm:person".to_owned()),
            Just("rpid:activities".to_owned()),
            Just("tuple id='t'".to_owned()),
            Just("status".to_owned()),
            Just("basic".to_owned()),
            Just("open".to_owned()),
            Just("state".to_owned()),
            Just("early".to_owned()),
            Just("note".to_owned()),
            Just("SIP/2.0 180 Ringing\r\n".to_owned()),
            Just("Signal=".to_owned()),
            Just("Duration=".to_owned()),
            "[0-9a-fA-F#*]{1,3}",
            "\\PC{0,4}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat().into_bytes())
    }

    fn parse_all(bytes: &[u8]) {
        let _ = Presence::parse(bytes);
        let _ = DialogInfo::parse(bytes).map(|info| info.line_state());
        let _ = SipfragStatus::parse(bytes);
        let _ = DtmfRelay::parse(bytes);
        let _ = Dtmf::parse_body(bytes);
        if let Ok(mut reader) = xml::Reader::new(bytes) {
            while let Ok(Some(_)) = reader.next_event() {}
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            parse_all(&bytes);
        }

        #[test]
        fn xml_like_input_never_panics(bytes in xmlish()) {
            parse_all(&bytes);
        }

        #[test]
        fn published_presence_reads_back(
            entity in "\\PC{0,30}",
            state in prop_oneof![
                Just(PresenceState::Available),
                Just(PresenceState::Busy),
                Just(PresenceState::Away),
                Just(PresenceState::Offline),
                Just(PresenceState::Unknown),
            ],
            note in prop::option::of("\\PC{0,30}"),
        ) {
            let presence = Presence::parse(pidf_document(&entity, state, note.as_deref()).as_bytes()).unwrap();
            prop_assert_eq!(presence.entity.as_str(), entity.trim());
            prop_assert_eq!(presence.state(), state);
            prop_assert_eq!(presence.note, note.as_deref().and_then(non_empty));
        }
    }

    #[test]
    fn errors_read_as_advice() {
        assert_eq!(
            BodyError::invalid("the basic status", &"x".repeat(100), "open or closed").to_string(),
            format!("the basic status is {:?}; expected open or closed", "x".repeat(40))
        );
        assert_eq!(
            BodyError::MissingAttribute { element: "presence", attribute: "entity" }.to_string(),
            "<presence> has no entity attribute, which is required"
        );
    }
}
