//! Presence documents, `application/pidf+xml`: RFC 3863, with the `<person>` of the RFC 4479
//! data model and the activities of RFC 4480 (RPID).
//!
//! A directory wants one word per person, so [`Presence::state`] folds the tuples and the
//! activities into a [`PresenceState`]; the tuples and activities stay available for anything
//! finer.

use std::fmt::Write as _;

use super::xml::{Element, Reader, escape_attribute, escape_text};
use super::{BodyError, expect_root, is_blank, non_empty};

/// What a directory shows for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PresenceState {
    /// Reachable and free.
    Available,
    /// Reachable but engaged: on the phone, in a meeting.
    Busy,
    /// Signed in but not at the phone.
    Away,
    /// Not reachable at all.
    Offline,
    /// The document does not say.
    Unknown,
}

/// The `<basic>` status of a tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BasicStatus {
    /// `open`: the service can be reached.
    Open,
    /// `closed`: it cannot.
    Closed,
}

/// One `<tuple>`: a service (a device, a client) of the presentity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tuple {
    /// Its `id` attribute (empty when a sender left it out).
    pub id: String,
    /// Its basic status, when it has one.
    pub basic: Option<BasicStatus>,
    /// Its `<contact>` URI, trimmed.
    pub contact: Option<String>,
    /// Its first non-empty `<note>`, trimmed.
    pub note: Option<String>,
}

/// A presence document, as far as a softphone's directory needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presence {
    /// The presentity, the `entity` attribute (`pres:` or `sip:` URI), trimmed.
    pub entity: String,
    /// The tuples in document order.
    pub tuples: Vec<Tuple>,
    /// RPID activities by local name (`on-the-phone`, `away`, …) in document order, from
    /// `<person>` elements and, as older RPID drafts placed them, from tuples' `<status>`.
    pub activities: Vec<String>,
    /// The note to show: the first non-empty `<note>` of a `<person>`, else of the tuple that
    /// decides the state, else of the document itself; trimmed.
    pub note: Option<String>,
}

impl Presence {
    /// Parses a PIDF document.
    pub fn parse(body: &[u8]) -> Result<Presence, BodyError> {
        if is_blank(body) {
            return Err(BodyError::Empty);
        }
        let mut reader = Reader::new(body)?;
        let root = reader.root()?;
        expect_root(&root, "presence")?;
        let entity = root
            .attribute("entity")
            .ok_or(BodyError::MissingAttribute { element: "presence", attribute: "entity" })?
            .trim()
            .to_owned();
        let depth = reader.depth();
        let (mut tuples, mut activities) = (Vec::new(), Vec::new());
        let (mut person_note, mut document_note) = (None, None);
        while let Some(child) = reader.next_child(depth)? {
            match child.local_name() {
                "tuple" => tuples.push(read_tuple(&mut reader, &child, &mut activities)?),
                "person" => read_person(&mut reader, &mut person_note, &mut activities)?,
                "note" => keep_first_note(&mut reader, &mut document_note)?,
                _ => {}
            }
        }
        reader.finish()?;
        let deciding_tuple = tuples.iter().find(|t| t.basic == Some(BasicStatus::Open)).or_else(|| tuples.first());
        let note = person_note.or_else(|| deciding_tuple.and_then(|t| t.note.clone())).or(document_note);
        Ok(Presence { entity, tuples, activities, note })
    }

    /// The basic status of the presentity: open when any tuple is open, closed when tuples
    /// say only closed, `None` when no tuple says.
    pub fn basic(&self) -> Option<BasicStatus> {
        let mut statuses = self.tuples.iter().filter_map(|t| t.basic);
        let first = statuses.next()?;
        Some(if first == BasicStatus::Open || statuses.any(|s| s == BasicStatus::Open) {
            BasicStatus::Open
        } else {
            BasicStatus::Closed
        })
    }

    /// One word for a directory.
    ///
    /// The basic status decides reachability, and activities refine it:
    ///
    /// | basic   | a busy activity | an away activity | neither |
    /// |---------|-----------------|------------------|---------|
    /// | open    | Busy            | Away             | Available |
    /// | closed  | Busy            | Offline          | Offline |
    /// | none    | Busy            | Away             | Unknown, or Offline when there are no tuples |
    ///
    /// Busy activities are on-the-phone, busy, meeting, presentation and performance; away
    /// activities are those of someone not at the phone (away, appointment, meal, vacation,
    /// travel, sleeping, …). Busy wins over away. A busy activity beats a closed status because
    /// some servers report every tuple closed while the person is on a call. A document without
    /// tuples and activities means nothing can be reached: once every publication has expired, a
    /// presence server has nothing else to send.
    pub fn state(&self) -> PresenceState {
        let busy = self.activities.iter().any(|a| is_busy_activity(a));
        let away = self.activities.iter().any(|a| is_away_activity(a));
        match (self.basic(), busy, away) {
            (_, true, _) => PresenceState::Busy,
            (Some(BasicStatus::Closed), false, _) => PresenceState::Offline,
            (_, false, true) => PresenceState::Away,
            (Some(BasicStatus::Open), false, false) => PresenceState::Available,
            (None, false, false) if self.tuples.is_empty() => PresenceState::Offline,
            (None, false, false) => PresenceState::Unknown,
        }
    }
}

/// Activities of RFC 4480 §3.2 that mean the person is there but engaged.
fn is_busy_activity(activity: &str) -> bool {
    matches!(activity, "on-the-phone" | "busy" | "meeting" | "presentation" | "performance")
}

/// Activities of RFC 4480 §3.2 that mean the person is not at the phone.
fn is_away_activity(activity: &str) -> bool {
    matches!(
        activity,
        "away"
            | "appointment"
            | "breakfast"
            | "dinner"
            | "holiday"
            | "in-transit"
            | "looking-for-work"
            | "meal"
            | "permanent-absence"
            | "playing"
            | "shopping"
            | "sleeping"
            | "spectator"
            | "steering"
            | "travel"
            | "tv"
            | "vacation"
            | "worship"
    )
}

fn read_tuple(reader: &mut Reader<'_>, tuple: &Element<'_>, activities: &mut Vec<String>) -> Result<Tuple, BodyError> {
    let depth = reader.depth();
    let mut read = Tuple { id: tuple.attribute("id").unwrap_or_default().trim().to_owned(), ..Tuple::default() };
    while let Some(child) = reader.next_child(depth)? {
        match child.local_name() {
            "status" => read_status(reader, &mut read.basic, activities)?,
            "contact" if read.contact.is_none() => read.contact = non_empty(&reader.read_text()?),
            "note" => keep_first_note(reader, &mut read.note)?,
            _ => {}
        }
    }
    Ok(read)
}

fn read_status(
    reader: &mut Reader<'_>,
    basic: &mut Option<BasicStatus>,
    activities: &mut Vec<String>,
) -> Result<(), BodyError> {
    let depth = reader.depth();
    while let Some(child) = reader.next_child(depth)? {
        match child.local_name() {
            "basic" => {
                let text = reader.read_text()?;
                *basic = Some(match text.trim() {
                    t if t.eq_ignore_ascii_case("open") => BasicStatus::Open,
                    t if t.eq_ignore_ascii_case("closed") => BasicStatus::Closed,
                    t => return Err(BodyError::invalid("the <basic> status", t, "open or closed")),
                });
            }
            "activities" => read_activities(reader, activities)?,
            _ => find_activities(reader, activities)?,
        }
    }
    Ok(())
}

fn read_person(
    reader: &mut Reader<'_>,
    note: &mut Option<String>,
    activities: &mut Vec<String>,
) -> Result<(), BodyError> {
    let depth = reader.depth();
    while let Some(child) = reader.next_child(depth)? {
        match child.local_name() {
            "note" => keep_first_note(reader, note)?,
            "activities" => read_activities(reader, activities)?,
            _ => find_activities(reader, activities)?,
        }
    }
    Ok(())
}

/// The children of the `<activities>` element just started: each one's local name is an
/// activity (`<rpid:other>` included, its free text dropped).
fn read_activities(reader: &mut Reader<'_>, activities: &mut Vec<String>) -> Result<(), BodyError> {
    let depth = reader.depth();
    while let Some(activity) = reader.next_child(depth)? {
        activities.push(activity.local_name().to_owned());
    }
    Ok(())
}

/// Looks for `<activities>` anywhere inside the element just started: older senders nest them
/// in a `<status>` of their own.
fn find_activities(reader: &mut Reader<'_>, activities: &mut Vec<String>) -> Result<(), BodyError> {
    // Recursion is bounded by the reader's depth limit.
    let depth = reader.depth();
    while let Some(child) = reader.next_child(depth)? {
        if child.local_name() == "activities" {
            read_activities(reader, activities)?;
        } else {
            find_activities(reader, activities)?;
        }
    }
    Ok(())
}

/// Reads the `<note>` just started, keeping it when no non-empty note came before.
fn keep_first_note(reader: &mut Reader<'_>, note: &mut Option<String>) -> Result<(), BodyError> {
    let text = reader.read_text()?;
    if note.is_none() {
        *note = non_empty(&text);
    }
    Ok(())
}

/// A PIDF document for PUBLISH (RFC 3903) saying `state` for `entity` (the user's AOR), with
/// `note` as the tuple's note when it is not blank.
///
/// Available, busy and away publish a basic status of open, with the RPID activity
/// `on-the-phone` for busy and `away` for away; offline publishes closed; unknown publishes a
/// status without a basic value. [`Presence::parse`] reads every such document back to the same
/// state and trimmed note.
pub fn pidf_document(entity: &str, state: PresenceState, note: Option<&str>) -> String {
    let mut document = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\r\n",
        r#"<presence xmlns="urn:ietf:params:xml:ns:pidf""#,
        r#" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model""#,
        r#" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid""#,
    ));
    // Writing to a String cannot fail.
    let _ = write!(document, " entity=\"{}\">\r\n", escape_attribute(entity));
    let basic = match state {
        PresenceState::Available | PresenceState::Busy | PresenceState::Away => "<basic>open</basic>",
        PresenceState::Offline => "<basic>closed</basic>",
        PresenceState::Unknown => "",
    };
    let _ = write!(document, "  <tuple id=\"framephone\">\r\n    <status>{basic}</status>\r\n");
    if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
        let _ = write!(document, "    <note>{}</note>\r\n", escape_text(note));
    }
    document.push_str("  </tuple>\r\n");
    let activity = match state {
        PresenceState::Busy => Some("on-the-phone"),
        PresenceState::Away => Some("away"),
        _ => None,
    };
    if let Some(activity) = activity {
        let _ = write!(
            document,
            "  <dm:person id=\"framephone-person\">\r\n    \
             <rpid:activities><rpid:{activity}/></rpid:activities>\r\n  </dm:person>\r\n"
        );
    }
    document.push_str("</presence>\r\n");
    document
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::XmlErrorKind;

    fn parse(document: &str) -> Presence {
        Presence::parse(document.as_bytes()).unwrap_or_else(|e| panic!("{e}: {document}"))
    }

    /// What Kamailio's presence_xml sends for a presentity with no publication when asked to
    /// invent one (`force_dummy_presence`).
    const KAMAILIO_DUMMY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:c="urn:ietf:params:xml:ns:pidf:cipid" entity="sip:1001@pbx.example.com">
  <tuple xmlns="urn:ietf:params:xml:ns:pidf" id="615293b33c62dec073e05d9421e9f48b">
    <status>
      <basic>open</basic>
    </status>
  </tuple>
  <note xmlns="urn:ietf:params:xml:ns:pidf">Available</note>
  <dm:person xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" id="1">
    <rpid:activities/>
    <dm:note>Available</dm:note>
  </dm:person>
</presence>
"#;

    #[test]
    fn kamailio_dummy_presence_is_available() {
        let presence = parse(KAMAILIO_DUMMY);
        assert_eq!(presence.entity, "sip:1001@pbx.example.com");
        assert_eq!(presence.state(), PresenceState::Available);
        assert_eq!(presence.note.as_deref(), Some("Available"));
        assert_eq!(
            presence.tuples,
            [Tuple {
                id: "615293b33c62dec073e05d9421e9f48b".into(),
                basic: Some(BasicStatus::Open),
                contact: None,
                note: None
            }]
        );
        assert!(presence.activities.is_empty());
    }

    #[test]
    fn a_client_on_the_phone_relayed_by_kamailio_is_busy() {
        // Linphone-style publication, aggregated and relayed by Kamailio presence_xml.
        let presence = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:alice@example.com">
  <tuple id="qmmutt">
    <status>
      <basic>open</basic>
    </status>
    <contact priority="0.8">sip:alice@192.0.2.10:5060;transport=ws</contact>
    <timestamp>2024-05-02T09:41:07Z</timestamp>
  </tuple>
  <dm:person id="znnehn">
    <rpid:activities>
      <rpid:on-the-phone/>
    </rpid:activities>
    <dm:note xml:lang="en">  With a customer  </dm:note>
    <dm:note xml:lang="fr">Avec un client</dm:note>
  </dm:person>
</presence>"#,
        );
        assert_eq!(presence.state(), PresenceState::Busy);
        assert_eq!(presence.activities, ["on-the-phone"]);
        assert_eq!(presence.note.as_deref(), Some("With a customer"));
        assert_eq!(presence.tuples[0].contact.as_deref(), Some("sip:alice@192.0.2.10:5060;transport=ws"));
    }

    #[test]
    fn away_activities_with_prefixes_other_than_the_usual() {
        let presence = parse(
            r#"<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf" xmlns:r="urn:ietf:params:xml:ns:pidf:rpid"
                 xmlns:d="urn:ietf:params:xml:ns:pidf:data-model" entity="pres:bob@example.com">
  <p:tuple id="t1"><p:status><p:basic>open</p:basic></p:status><p:note>Laptop</p:note></p:tuple>
  <d:person id="p1"><r:activities><r:meal/><r:other>Lunch &amp; errands</r:other></r:activities></d:person>
</p:presence>"#,
        );
        assert_eq!(presence.state(), PresenceState::Away);
        assert_eq!(presence.activities, ["meal", "other"]);
        assert_eq!(presence.note.as_deref(), Some("Laptop"));
    }

    #[test]
    fn open_wins_over_closed_and_its_note_is_shown() {
        let presence = parse(
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:carol@example.com">
  <tuple id="desk"><status><basic>closed</basic></status><note>Desk phone</note></tuple>
  <tuple id="web"><status><basic>open</basic></status><note>Web</note></tuple>
</presence>"#,
        );
        assert_eq!(presence.basic(), Some(BasicStatus::Open));
        assert_eq!(presence.state(), PresenceState::Available);
        assert_eq!(presence.note.as_deref(), Some("Web"));
    }

    #[test]
    fn asterisk_in_use_is_closed_and_therefore_offline() {
        // res_pjsip_pidf_body_generator: in use is "closed" with only a note to tell it apart.
        let presence = parse(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<presence entity="sip:201@pbx.example.com" xmlns="urn:ietf:params:xml:ns:pidf">
 <note>On the phone</note>
 <tuple id="201">
  <status>
   <basic>closed</basic>
  </status>
  <contact priority="1">sip:201@pbx.example.com</contact>
 </tuple>
</presence>"#,
        );
        assert_eq!(presence.state(), PresenceState::Offline);
        assert_eq!(presence.note.as_deref(), Some("On the phone"));
    }

    #[test]
    fn a_busy_activity_beats_closed() {
        // Older Asterisk (chan_sip) nests activities in a status of the person.
        let presence = parse(
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:pp="urn:ietf:params:xml:ns:pidf:person"
  xmlns:es="urn:ietf:params:xml:ns:pidf:rpid:status:rpid-status"
  xmlns:ep="urn:ietf:params:xml:ns:pidf:rpid:rpid-person" entity="sip:202@pbx.example.com">
<pp:person><status><ep:activities><ep:busy/></ep:activities></status></pp:person>
<note>On the phone</note>
<tuple id="202"><contact priority="1">sip:202@pbx.example.com</contact><status><basic>closed</basic></status></tuple>
</presence>"#,
        );
        assert_eq!(presence.activities, ["busy"]);
        assert_eq!(presence.state(), PresenceState::Busy);
    }

    #[test]
    fn activities_inside_a_tuple_status_count() {
        let presence = parse(
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:d@x">
<tuple id="a"><status><basic>open</basic><rpid:activities><rpid:vacation/></rpid:activities></status></tuple>
</presence>"#,
        );
        assert_eq!(presence.state(), PresenceState::Away);
    }

    #[test]
    fn closed_with_away_is_offline() {
        let presence = parse(
            r#"<presence entity="sip:e@x"><tuple id="a"><status><basic>closed</basic></status></tuple>
<person id="p"><activities><away/></activities></person></presence>"#,
        );
        assert_eq!(presence.state(), PresenceState::Offline);
    }

    #[test]
    fn documents_without_tuples() {
        // Nothing published at all: nobody can be reached.
        let empty = parse(r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:f@x"/>"#);
        assert_eq!((empty.basic(), empty.state()), (None, PresenceState::Offline));
        // Only a person: the activity is all there is to go by.
        let person = parse(
            r#"<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model"
 xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:f@x"><dm:person id="p"><rpid:activities><rpid:away/>
</rpid:activities><dm:note>Back at 3</dm:note></dm:person></presence>"#,
        );
        assert_eq!(person.state(), PresenceState::Away);
        assert_eq!(person.note.as_deref(), Some("Back at 3"));
        // Tuples that say nothing: unknown.
        let silent = parse(r#"<presence entity="sip:f@x"><tuple id="a"><status/><note> </note></tuple></presence>"#);
        assert_eq!((silent.state(), silent.note), (PresenceState::Unknown, None));
    }

    #[test]
    fn malformed_presence_documents() {
        assert_eq!(Presence::parse(b""), Err(BodyError::Empty));
        assert_eq!(Presence::parse(b" \r\n"), Err(BodyError::Empty));
        assert_eq!(
            Presence::parse(b"<dialog-info/>"),
            Err(BodyError::UnexpectedRoot { expected: "presence", found: "dialog-info".into() })
        );
        assert_eq!(
            Presence::parse(b"<presence/>"),
            Err(BodyError::MissingAttribute { element: "presence", attribute: "entity" })
        );
        assert_eq!(
            Presence::parse(
                b"<presence entity='a'><tuple id='t'><status><basic>half-open</basic></status></tuple></presence>"
            ),
            Err(BodyError::invalid("the <basic> status", "half-open", "open or closed"))
        );
        // A well-formed start is not enough: the whole document must be.
        let truncated = Presence::parse(b"<presence entity='a'><tuple id='t'><status><basic>open</basic></status>");
        assert!(matches!(truncated, Err(BodyError::Xml(e)) if e.kind == XmlErrorKind::Unclosed("tuple".into())));
        let trailing = Presence::parse(b"<presence entity='a'/><presence entity='b'/>");
        assert!(matches!(trailing, Err(BodyError::Xml(e)) if e.kind == XmlErrorKind::SecondRoot));
        let deep = format!("<presence entity='a'>{}{}</presence>", "<x>".repeat(100), "</x>".repeat(100));
        assert!(matches!(Presence::parse(deep.as_bytes()), Err(BodyError::Xml(e)) if e.kind == XmlErrorKind::TooDeep));
        let deep_person =
            format!("<presence entity='a'><person>{}{}</person></presence>", "<x>".repeat(100), "</x>".repeat(100));
        assert!(matches!(
            Presence::parse(deep_person.as_bytes()),
            Err(BodyError::Xml(e)) if e.kind == XmlErrorKind::TooDeep
        ));
    }

    #[test]
    fn published_documents_read_back() {
        for state in [
            PresenceState::Available,
            PresenceState::Busy,
            PresenceState::Away,
            PresenceState::Offline,
            PresenceState::Unknown,
        ] {
            let document = pidf_document("sip:agent@example.com", state, Some("  <Back> at 3 & \"soon\"  "));
            let presence = parse(&document);
            assert_eq!(presence.entity, "sip:agent@example.com");
            assert_eq!(presence.state(), state, "{document}");
            assert_eq!(presence.note.as_deref(), Some("<Back> at 3 & \"soon\""));
        }
        let document = pidf_document("sip:a&b@example.com", PresenceState::Busy, Some("   "));
        assert!(document.contains("entity=\"sip:a&amp;b@example.com\""));
        assert!(document.contains("<rpid:on-the-phone/>"));
        assert!(!document.contains("<note>"));
        assert_eq!(parse(&document).note, None);
    }

    #[test]
    fn the_published_document_is_what_servers_expect() {
        assert_eq!(
            pidf_document("sip:agent@example.com", PresenceState::Away, Some("Lunch")),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
             <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" \
             xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" entity=\"sip:agent@example.com\">\r\n  \
             <tuple id=\"framephone\">\r\n    <status><basic>open</basic></status>\r\n    <note>Lunch</note>\r\n  \
             </tuple>\r\n  <dm:person id=\"framephone-person\">\r\n    \
             <rpid:activities><rpid:away/></rpid:activities>\r\n  </dm:person>\r\n</presence>\r\n"
        );
    }
}
