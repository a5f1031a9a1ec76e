//! Dialog state documents, `application/dialog-info+xml` (RFC 4235): what a busy lamp field
//! subscribes to.

use super::xml::{Element, Reader};
use super::{BodyError, expect_root, is_blank, non_empty};

/// Whether a document lists every dialog or only those that changed (RFC 4235 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentState {
    /// Every dialog of the entity.
    Full,
    /// Only the dialogs that changed since the previous version.
    Partial,
}

/// Which side sent the dialog's initial INVITE, from the entity's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The entity called.
    Initiator,
    /// The entity is being called.
    Recipient,
}

/// The state of one dialog (RFC 4235 §3.7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DialogState {
    /// An INVITE is on its way; no answer yet.
    Trying,
    /// A provisional response without a To tag arrived.
    Proceeding,
    /// A provisional response with a To tag: typically ringing.
    Early,
    /// Answered.
    Confirmed,
    /// Over, or never established.
    Terminated,
}

/// One side of a dialog: `<local>` or `<remote>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Participant {
    /// The `<identity>` URI, trimmed.
    pub identity: Option<String>,
    /// The `display` attribute of `<identity>`, trimmed.
    pub display: Option<String>,
    /// The `uri` attribute of `<target>`.
    pub target: Option<String>,
    /// The `<param>`s of `<target>`, name and value (`+sip.rendering`, `no`).
    pub target_params: Vec<(String, String)>,
}

/// One `<dialog>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialog {
    /// Its `id`, unique within the subscription.
    pub id: String,
    /// Its Call-ID, when given.
    pub call_id: Option<String>,
    /// The entity's tag, when given.
    pub local_tag: Option<String>,
    /// The peer's tag, when given.
    pub remote_tag: Option<String>,
    /// Who called, when given.
    pub direction: Option<Direction>,
    /// Its state.
    pub state: DialogState,
    /// The `event` attribute of `<state>` (`cancelled`, `rejected`, `replaced`, `local-bye`,
    /// `remote-bye`, `error`, `timeout`).
    pub event: Option<String>,
    /// The `code` attribute of `<state>`: the response that ended or advanced the dialog.
    pub code: Option<u16>,
    /// The entity's side.
    pub local: Option<Participant>,
    /// The peer's side: who the entity is talking to.
    pub remote: Option<Participant>,
}

impl Dialog {
    /// Whether the entity has put the call on hold: its target says it renders no media
    /// (`+sip.rendering="no"`, RFC 4235 §4.1.6.2).
    pub fn is_on_hold(&self) -> bool {
        self.local.as_ref().is_some_and(|local| {
            local.target_params.iter().any(|(name, value)| name == "+sip.rendering" && value.eq_ignore_ascii_case("no"))
        })
    }

    /// Whether the dialog is still being set up (trying, proceeding or early).
    pub fn is_setting_up(&self) -> bool {
        matches!(self.state, DialogState::Trying | DialogState::Proceeding | DialogState::Early)
    }
}

/// What a busy lamp shows for a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineState {
    /// No call.
    Idle,
    /// A call to the line is ringing: it can be picked up.
    Ringing,
    /// On a call, or placing one.
    Busy,
}

/// A dialog-info document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialogInfo {
    /// Its version; each NOTIFY of a subscription carries a higher one.
    pub version: u64,
    /// Whether it is full or partial.
    pub state: DocumentState,
    /// The entity whose dialogs these are, trimmed.
    pub entity: String,
    /// The dialogs in document order.
    pub dialogs: Vec<Dialog>,
}

impl DialogInfo {
    /// Brings what we know up to date with the next NOTIFY's document (RFC 4235 §4.1): a full
    /// document replaces it, a partial one replaces or adds dialogs by id; an older or repeated
    /// version changes nothing. Ended dialogs are forgotten. False when `update` was ignored.
    pub fn apply(&mut self, update: DialogInfo) -> bool {
        if update.version <= self.version && !(update.version == 0 && update.state == DocumentState::Full) {
            return false;
        }
        match update.state {
            DocumentState::Full => *self = update,
            DocumentState::Partial => {
                self.version = update.version;
                for dialog in update.dialogs {
                    match self.dialogs.iter_mut().find(|known| known.id == dialog.id) {
                        Some(known) => *known = dialog,
                        None => self.dialogs.push(dialog),
                    }
                }
            }
        }
        self.dialogs.retain(|d| d.state != DialogState::Terminated);
        true
    }

    /// Parses a dialog-info document.
    pub fn parse(body: &[u8]) -> Result<DialogInfo, BodyError> {
        if is_blank(body) {
            return Err(BodyError::Empty);
        }
        let mut reader = Reader::new(body)?;
        let root = reader.root()?;
        expect_root(&root, "dialog-info")?;
        let required = |attribute| {
            root.attribute(attribute)
                .map(str::trim)
                .ok_or(BodyError::MissingAttribute { element: "dialog-info", attribute })
        };
        let version = required("version")?;
        let version = version.parse().map_err(|_| BodyError::invalid("the version", version, "a whole number"))?;
        let state = match required("state")? {
            "full" => DocumentState::Full,
            "partial" => DocumentState::Partial,
            other => return Err(BodyError::invalid("the document state", other, "full or partial")),
        };
        let entity = required("entity")?.to_owned();
        let depth = reader.depth();
        let mut dialogs = Vec::new();
        while let Some(child) = reader.next_child(depth)? {
            if child.local_name() == "dialog" {
                dialogs.push(read_dialog(&mut reader, &child)?);
            }
        }
        reader.finish()?;
        Ok(DialogInfo { version, state, entity, dialogs })
    }

    /// The summary a busy lamp shows.
    ///
    /// Terminated dialogs are ignored. A dialog being set up ringing towards the entity
    /// (recipient, or no direction given, as Asterisk sends for a ringing extension) makes the
    /// line ringing; any other live dialog (confirmed, or a call the entity is placing) makes it
    /// busy. Ringing wins over busy, since a call that can be picked up is what the lamp must
    /// not hide. A partial document only describes the dialogs it lists; merge partial
    /// documents into the last full one before asking.
    pub fn line_state(&self) -> LineState {
        let live = self.dialogs.iter().filter(|d| d.state != DialogState::Terminated);
        let mut state = LineState::Idle;
        for dialog in live {
            if dialog.is_setting_up() && dialog.direction != Some(Direction::Initiator) {
                return LineState::Ringing;
            }
            state = LineState::Busy;
        }
        state
    }
}

fn read_dialog(reader: &mut Reader<'_>, dialog: &Element<'_>) -> Result<Dialog, BodyError> {
    let id = dialog.attribute("id").ok_or(BodyError::MissingAttribute { element: "dialog", attribute: "id" })?;
    let direction = match dialog.attribute("direction").map(str::trim) {
        None => None,
        Some("initiator") => Some(Direction::Initiator),
        Some("recipient") => Some(Direction::Recipient),
        Some(other) => return Err(BodyError::invalid("the dialog direction", other, "initiator or recipient")),
    };
    let attribute = |name| dialog.attribute(name).and_then(non_empty);
    let mut read = Dialog {
        id: id.trim().to_owned(),
        call_id: attribute("call-id"),
        local_tag: attribute("local-tag"),
        remote_tag: attribute("remote-tag"),
        direction,
        state: DialogState::Terminated,
        event: None,
        code: None,
        local: None,
        remote: None,
    };
    let mut state_seen = false;
    let depth = reader.depth();
    while let Some(child) = reader.next_child(depth)? {
        match child.local_name() {
            "state" if !state_seen => {
                state_seen = true;
                read.event = child.attribute("event").and_then(non_empty);
                read.code = match child.attribute("code").map(str::trim) {
                    None => None,
                    Some(code) => Some(
                        code.parse()
                            .map_err(|_| BodyError::invalid("the state code", code, "a response code such as 486"))?,
                    ),
                };
                read.state = dialog_state(reader.read_text()?.trim())?;
            }
            "local" => read.local = Some(read_participant(reader)?),
            "remote" => read.remote = Some(read_participant(reader)?),
            _ => {}
        }
    }
    if !state_seen {
        return Err(BodyError::MissingElement { element: "dialog", child: "state" });
    }
    Ok(read)
}

fn dialog_state(text: &str) -> Result<DialogState, BodyError> {
    Ok(match text {
        "trying" => DialogState::Trying,
        "proceeding" => DialogState::Proceeding,
        "early" => DialogState::Early,
        "confirmed" => DialogState::Confirmed,
        "terminated" => DialogState::Terminated,
        other => {
            return Err(BodyError::invalid(
                "the dialog state",
                other,
                "trying, proceeding, early, confirmed or terminated",
            ));
        }
    })
}

fn read_participant(reader: &mut Reader<'_>) -> Result<Participant, BodyError> {
    let mut participant = Participant::default();
    let depth = reader.depth();
    while let Some(child) = reader.next_child(depth)? {
        match child.local_name() {
            "identity" if participant.identity.is_none() => {
                participant.display = child.attribute("display").and_then(non_empty);
                participant.identity = non_empty(&reader.read_text()?);
            }
            "target" if participant.target.is_none() => {
                participant.target = child.attribute("uri").and_then(non_empty);
                let target_depth = reader.depth();
                while let Some(param) = reader.next_child(target_depth)? {
                    // RFC 4235 names the value pval; Asterisk writes pvalue.
                    let value = param.attribute("pval").or_else(|| param.attribute("pvalue"));
                    if let (Some(name), Some(value)) = (param.attribute("pname"), value) {
                        participant.target_params.push((name.trim().to_owned(), value.trim().to_owned()));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(participant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::XmlErrorKind;

    fn parse(document: &str) -> DialogInfo {
        DialogInfo::parse(document.as_bytes()).unwrap_or_else(|e| panic!("{e}: {document}"))
    }

    fn with_dialogs(dialogs: &str) -> DialogInfo {
        parse(&format!(
            r#"<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:1001@x">{dialogs}</dialog-info>"#
        ))
    }

    #[test]
    fn asterisk_ringing_hint() {
        // res_pjsip_dialog_info_body_generator: one dialog named after the extension, no direction.
        let info = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="7" state="full" entity="sip:1001@pbx.example.com">
 <dialog id="1001">
  <state>early</state>
 </dialog>
</dialog-info>
"#,
        );
        assert_eq!((info.version, info.state), (7, DocumentState::Full));
        assert_eq!(info.entity, "sip:1001@pbx.example.com");
        assert_eq!(info.dialogs.len(), 1);
        assert_eq!((info.dialogs[0].id.as_str(), info.dialogs[0].state), ("1001", DialogState::Early));
        assert_eq!(info.line_state(), LineState::Ringing);
    }

    #[test]
    fn asterisk_on_hold_hint() {
        let info = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="8" state="full" entity="sip:1001@pbx.example.com">
 <dialog id="1001">
  <state>confirmed</state>
  <local>
   <target uri="sip:1001@pbx.example.com">
    <param pname="+sip.rendering" pvalue="no" />
   </target>
  </local>
 </dialog>
</dialog-info>"#,
        );
        assert_eq!(info.line_state(), LineState::Busy);
        assert!(info.dialogs[0].is_on_hold());
        let local = info.dialogs[0].local.as_ref().unwrap();
        assert_eq!(local.target.as_deref(), Some("sip:1001@pbx.example.com"));
        assert_eq!(local.identity, None);
    }

    #[test]
    fn freeswitch_incoming_call_with_identities() {
        let info = parse(
            r#"<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="12" state="full" entity="sip:1000@192.0.2.5">
<dialog id="8c4b6bb2-2a4c-4f43-a9a1-1d2b3e0f6c77" direction="recipient" call-id="a84b4c76e66710@pc33.example.com" local-tag="1928301774" remote-tag="a6c85cf">
<state>early</state>
<local>
<identity display="1000">sip:1000@192.0.2.5</identity>
<target uri="sip:1000@192.0.2.5"><param pname="+sip.rendering" pval="yes"/></target>
</local>
<remote>
<identity display="Bob &amp; Co">sip:1002@192.0.2.5</identity>
<target uri="sip:**1000@192.0.2.5"/>
</remote>
</dialog>
</dialog-info>"#,
        );
        let dialog = &info.dialogs[0];
        assert_eq!(dialog.direction, Some(Direction::Recipient));
        assert_eq!(dialog.call_id.as_deref(), Some("a84b4c76e66710@pc33.example.com"));
        assert_eq!((dialog.local_tag.as_deref(), dialog.remote_tag.as_deref()), (Some("1928301774"), Some("a6c85cf")));
        assert_eq!(
            dialog.remote,
            Some(Participant {
                identity: Some("sip:1002@192.0.2.5".into()),
                display: Some("Bob & Co".into()),
                target: Some("sip:**1000@192.0.2.5".into()),
                target_params: vec![],
            })
        );
        assert!(!dialog.is_on_hold());
        assert_eq!(info.line_state(), LineState::Ringing);
    }

    #[test]
    fn kamailio_pua_dialoginfo_outgoing_then_answered() {
        let calling = parse(
            r#"<?xml version="1.0"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" entity="sip:alice@example.com">
  <dialog id="a84b4c76e66710" call-id="a84b4c76e66710" local-tag="1928301774" direction="initiator">
    <state>early</state>
    <remote><identity>sip:bob@example.com</identity><target uri="sip:bob@example.com"/></remote>
  </dialog>
</dialog-info>"#,
        );
        assert_eq!(calling.line_state(), LineState::Busy);
        let answered = with_dialogs(
            r#"<dialog id="d1" direction="initiator"><state event="remote-bye" code="200">terminated</state></dialog>
               <dialog id="d2" direction="recipient"><state>confirmed</state></dialog>"#,
        );
        assert_eq!(answered.dialogs[0].event.as_deref(), Some("remote-bye"));
        assert_eq!(answered.dialogs[0].code, Some(200));
        assert_eq!(answered.line_state(), LineState::Busy);
    }

    #[test]
    fn line_states() {
        assert_eq!(with_dialogs("").line_state(), LineState::Idle);
        assert_eq!(with_dialogs("<dialog id='1'><state>terminated</state></dialog>").line_state(), LineState::Idle);
        assert_eq!(
            with_dialogs("<dialog id='1' direction='recipient'><state>trying</state></dialog>").line_state(),
            LineState::Ringing
        );
        assert_eq!(
            with_dialogs("<dialog id='1' direction='initiator'><state>proceeding</state></dialog>").line_state(),
            LineState::Busy
        );
        // On a call with a second one ringing: the ringing one must show.
        assert_eq!(
            with_dialogs(
                "<dialog id='1'><state>confirmed</state></dialog>\
                 <dialog id='2' direction='recipient'><state>early</state></dialog>"
            )
            .line_state(),
            LineState::Ringing
        );
    }

    #[test]
    fn partial_documents_and_unknown_children() {
        let info = parse(
            r#"<d:dialog-info xmlns:d="urn:ietf:params:xml:ns:dialog-info" xmlns:x="urn:example" version="4294967296"
 state="partial" entity="sip:a@x"><x:extension><d:dialog id="ignored"/></x:extension>
<d:dialog id="z"><d:duration>30</d:duration><d:state>confirmed</d:state><d:state>early</d:state></d:dialog></d:dialog-info>"#,
        );
        assert_eq!((info.version, info.state), (4_294_967_296, DocumentState::Partial));
        assert_eq!(info.dialogs.len(), 1);
        assert_eq!(info.dialogs[0].state, DialogState::Confirmed);
    }

    #[test]
    fn malformed_dialog_info_documents() {
        let header = r#"<dialog-info version="1" state="full" entity="sip:a@x">"#;
        let cases: &[(String, BodyError)] = &[
            ("".into(), BodyError::Empty),
            ("<presence/>".into(), BodyError::UnexpectedRoot { expected: "dialog-info", found: "presence".into() }),
            (
                r#"<dialog-info state="full" entity="e"/>"#.into(),
                BodyError::MissingAttribute { element: "dialog-info", attribute: "version" },
            ),
            (
                r#"<dialog-info version="-1" state="full" entity="e"/>"#.into(),
                BodyError::invalid("the version", "-1", "a whole number"),
            ),
            (
                r#"<dialog-info version="1" state="some" entity="e"/>"#.into(),
                BodyError::invalid("the document state", "some", "full or partial"),
            ),
            (
                r#"<dialog-info version="1" state="full"/>"#.into(),
                BodyError::MissingAttribute { element: "dialog-info", attribute: "entity" },
            ),
            (
                format!("{header}<dialog><state>early</state></dialog></dialog-info>"),
                BodyError::MissingAttribute { element: "dialog", attribute: "id" },
            ),
            (
                format!("{header}<dialog id='1'/></dialog-info>"),
                BodyError::MissingElement { element: "dialog", child: "state" },
            ),
            (
                format!("{header}<dialog id='1'><state>ringing</state></dialog></dialog-info>"),
                BodyError::invalid("the dialog state", "ringing", "trying, proceeding, early, confirmed or terminated"),
            ),
            (
                format!("{header}<dialog id='1' direction='outbound'><state>early</state></dialog></dialog-info>"),
                BodyError::invalid("the dialog direction", "outbound", "initiator or recipient"),
            ),
            (
                format!("{header}<dialog id='1'><state code='99999'>early</state></dialog></dialog-info>"),
                BodyError::invalid("the state code", "99999", "a response code such as 486"),
            ),
        ];
        for (document, expected) in cases {
            assert_eq!(DialogInfo::parse(document.as_bytes()).as_ref(), Err(expected), "{document}");
        }
        let unterminated = format!("{header}<dialog id='1'><state>early</state>");
        assert!(matches!(
            DialogInfo::parse(unterminated.as_bytes()),
            Err(BodyError::Xml(e)) if e.kind == XmlErrorKind::Unclosed("dialog".into())
        ));
        let nested = format!("{header}<dialog id='1'>{}", "<remote>".repeat(100));
        assert!(matches!(
            DialogInfo::parse(nested.as_bytes()),
            Err(BodyError::Xml(e)) if e.kind == XmlErrorKind::TooDeep
        ));
    }

    #[test]
    fn partial_documents_update_the_known_dialogs_and_old_versions_are_ignored() {
        let document = |version: u32, state: &str, dialogs: &str| {
            format!(
                "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"{version}\" state=\"{state}\" \
                 entity=\"sip:1005@framephone.test\">{dialogs}</dialog-info>"
            )
        };
        let dialog = |id: &str, state: &str| {
            format!("<dialog id=\"{id}\" direction=\"recipient\"><state>{state}</state></dialog>")
        };
        let parse = |text: String| DialogInfo::parse(text.as_bytes()).expect("document");
        let mut known = parse(document(0, "full", ""));
        assert_eq!(known.line_state(), LineState::Idle);
        assert!(known.apply(parse(document(1, "partial", &dialog("a", "early")))));
        assert_eq!(known.line_state(), LineState::Ringing);
        assert!(known.apply(parse(document(2, "partial", &dialog("a", "confirmed")))));
        assert_eq!(known.line_state(), LineState::Busy);
        assert!(!known.apply(parse(document(2, "partial", &dialog("a", "terminated")))), "a repeated version");
        assert_eq!(known.line_state(), LineState::Busy);
        assert!(known.apply(parse(document(3, "partial", &dialog("a", "terminated")))));
        assert_eq!((known.line_state(), known.dialogs.len()), (LineState::Idle, 0));
        assert!(known.apply(parse(document(0, "full", &dialog("b", "confirmed")))), "a new subscription starts over");
        assert_eq!(known.line_state(), LineState::Busy);
    }
}
