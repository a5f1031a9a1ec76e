//! Everything one instance of the phone says to the others, as it travels between windows and
//! tabs: who owns the phone, the owner's model for the mirrors to show, the mirrors' commands
//! for the owner, and the kept sign-in a successor needs. Each envelope carries its sender and a
//! number so that an instance relaying between channels (a CRM tab between its sibling tabs and
//! the pop-out) passes each one on once.

use std::collections::{HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::call_move::MovingCall;
use super::crm_work::{CrmAnswer, CrmWork};
use super::message::{Message, MessageError, PeerId, Place};
use crate::activity::RecordRef;
use crate::command::Command;
use crate::credentials::KeptSignIn;
use crate::model::PhoneSnapshot;

/// Longest envelope read at all: a snapshot with a full history and directory fits many times.
pub const MAX_ENVELOPE_BYTES: usize = 512 * 1024;
/// How many envelope ids an instance remembers to pass each on once.
const SEEN_CAPACITY: usize = 512;

/// What an envelope says, as `{"variant": data}` (a unit variant as `"variant"`). This enum and
/// those inside it are externally tagged, serde's default, on purpose: with a `kind` tag that
/// may come after the data, serde buffers the value and compiles a second reader for every type
/// inside, which cost about 30 KB of the gzipped wasm. Only this build's own windows read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Body {
    /// About who owns the phone.
    Ownership(Message),
    /// The owner's model, whole, for the mirrors to show.
    Snapshot(PhoneSnapshot),
    /// A mirror's command for the owner (sign-in aside: see [`Body::SignIn`]).
    Command(Command),
    /// A sign-in typed into a mirror: the only message that carries a password, from one
    /// window of the phone's own origin to another, and never stored.
    SignIn {
        /// The SIP username.
        username: String,
        /// The password as typed.
        password: String,
        /// "Remember me on this computer".
        remember: bool,
    },
    /// The owner's kept sign-in (no password: the HA1 the server accepted), so that whoever
    /// owns the phone next signs in without asking; none after a sign-out.
    KeptSignIn(Option<KeptSignIn>),
    /// A mirror asks the pop-out to give the phone back and close.
    PopIn,
    /// A mirror's Dial, with the CRM record it was dialled from: the owner's window may have
    /// no CRM page to know it by.
    Dial {
        /// The number as typed or clicked.
        number: String,
        /// The record the call is logged against.
        record: Option<RecordRef>,
    },
    /// The owner hands its calls in progress to another instance, which takes them over: the
    /// pop-out waiting for the phone (none named), or the CRM window the phone pops into.
    MoveCalls {
        /// The instance that takes them (none: the pop-out waiting for the phone).
        to: Option<PeerId>,
        /// The calls.
        calls: Vec<MovingCall>,
    },
    /// The pop-out took a call over (`Ok`), or could not (the reason), by Call-ID.
    CallMoved {
        /// The call's SIP Call-ID.
        call_id: String,
        /// What came of it.
        result: Result<(), String>,
    },
    /// A framed instance attached to its CRM offers to do the CRM work of an owner without one.
    CrmReady,
    /// An owner without a CRM asks which framed instance can do its CRM work.
    CrmWanted,
    /// A framed instance that offered CRM work goes away.
    CrmGone,
    /// The owner asks one framed instance for CRM work.
    CrmWork {
        /// The framed instance asked.
        to: PeerId,
        /// The owner's number for this piece of work, repeated in the answer.
        id: u32,
        /// What to do.
        work: CrmWork,
    },
    /// A framed instance's answer to the owner's work.
    CrmAnswer {
        /// The owner that asked.
        to: PeerId,
        /// The work's number.
        id: u32,
        /// What came of it.
        answer: CrmAnswer,
    },
}

impl Body {
    /// The envelope a command travels in: a sign-in with its password, the rest as they are.
    pub fn for_command(command: Command) -> Body {
        match command {
            Command::SignIn { username, password, remember } => {
                Body::SignIn { username, password: password.0, remember }
            }
            command => Body::Command(command),
        }
    }

    /// Whether `peer`, an instance at `place`, is to act on this: work, answers and calls moving
    /// into a CRM window name one instance; calls moving out name the pop-out by its place; the
    /// rest are for every instance.
    pub fn addressed_to(&self, peer: &PeerId, place: Place) -> bool {
        match self {
            Body::CrmWork { to, .. } | Body::CrmAnswer { to, .. } | Body::MoveCalls { to: Some(to), .. } => to == peer,
            Body::MoveCalls { to: None, .. } => place == Place::PopOut,
            _ => true,
        }
    }

    /// The command a mirror sent, as the owner carries it out.
    pub fn into_command(self) -> Option<Command> {
        match self {
            Body::Command(Command::SignIn { .. }) => None, // a password never travels as that
            Body::Command(command) => Some(command),
            Body::SignIn { username, password, remember } => {
                Some(Command::SignIn { username, password: crate::command::Password(password), remember })
            }
            _ => None,
        }
    }
}

/// One message between instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The instance that wrote it.
    pub from: PeerId,
    /// Its number among the sender's envelopes.
    pub seq: u64,
    /// What it says.
    pub body: Body,
}

impl Envelope {
    /// Reads an envelope as it travels (JSON text); an ownership message inside must come from
    /// the envelope's own sender.
    pub fn parse(text: &str) -> Result<Envelope, MessageError> {
        if text.len() > MAX_ENVELOPE_BYTES {
            return Err(MessageError::TooLong(text.len()));
        }
        let envelope: Envelope =
            serde_json::from_str(text).map_err(|error| MessageError::Unreadable(error.to_string()))?;
        if let Body::Ownership(message) = &envelope.body
            && *message.sender() != envelope.from
        {
            return Err(MessageError::Unreadable("an ownership message inside another instance's envelope".into()));
        }
        Ok(envelope)
    }

    /// The envelope as it travels.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The envelopes an instance has already taken (and passed on), the newest few hundred.
#[derive(Debug, Default)]
pub struct Seen {
    order: VecDeque<(PeerId, u64)>,
    set: HashSet<(PeerId, u64)>,
}

impl Seen {
    /// Whether this envelope is new here; it counts as seen from now on.
    pub fn first_time(&mut self, envelope: &Envelope) -> bool {
        let key = (envelope.from.clone(), envelope.seq);
        if !self.set.insert(key.clone()) {
            return false;
        }
        self.order.push_back(key);
        if self.order.len() > SEEN_CAPACITY
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use sip::agent::CallRef;

    use super::*;
    use crate::command::Password;
    use crate::model::Session;

    fn peer(id: &str) -> PeerId {
        PeerId::parse(id).unwrap()
    }

    fn envelope(body: Body) -> Envelope {
        Envelope { from: peer("a1"), seq: 3, body }
    }

    #[test]
    fn envelopes_travel_as_json_and_come_back_the_same() {
        let snapshot = PhoneSnapshot::session_only(Session::Registered, Some("1001".into()));
        let kept = KeptSignIn {
            username: "1001".into(),
            realm: "lab".into(),
            algorithm: "MD5".into(),
            ha1: "0123456789abcdef0123456789abcdef".into(),
        };
        for body in [
            Body::Ownership(Message::Hello { peer: peer("a1"), place: Place::Embedded }),
            Body::Snapshot(snapshot),
            Body::Command(Command::Answer(CallRef(2))),
            Body::SignIn { username: "1001".into(), password: "pw".into(), remember: true },
            Body::KeptSignIn(Some(kept)),
            Body::KeptSignIn(None),
            Body::PopIn,
            Body::Dial { number: "+14155550131".into(), record: None },
            Body::CallMoved { call_id: "abc@lab".into(), result: Err("420 Bad Extension".into()) },
            Body::CallMoved { call_id: "abc@lab".into(), result: Ok(()) },
            Body::CrmReady,
            Body::CrmWanted,
            Body::CrmGone,
            Body::CrmWork { to: peer("b2"), id: 7, work: CrmWork::OpenNewRecord("1002".into()) },
            Body::CrmAnswer { to: peer("b2"), id: 7, answer: CrmAnswer::Started },
        ] {
            let sent = envelope(body);
            assert_eq!(Envelope::parse(&sent.to_text()), Ok(sent.clone()), "{}", sent.to_text());
        }
    }

    #[test]
    fn a_sign_in_keeps_its_password_only_in_its_own_envelope() {
        let typed = Command::SignIn { username: "1001".into(), password: Password("pw".into()), remember: false };
        let body = Body::for_command(typed.clone());
        assert!(envelope(body.clone()).to_text().contains("\"pw\""));
        let Some(Command::SignIn { password, .. }) = body.into_command() else { panic!("a sign-in") };
        assert_eq!(password.0, "pw");
        // The plain command form reads back without a password: refused rather than signing
        // in with an empty one.
        let plain = Envelope::parse(&envelope(Body::Command(typed)).to_text()).unwrap();
        assert_eq!(plain.body.into_command(), None);
        assert_eq!(Body::PopIn.into_command(), None);
    }

    #[test]
    fn the_envelopes_the_end_to_end_test_forges_are_well_formed() {
        // crates/e2e/tests/one_phone.rs sends these from another origin: they must be refused
        // for where they come from, not for their form.
        for text in [
            r#"{"from":"f0","seq":1,"body":{"ownership":{"owner":{"peer":"f0","place":"popOut","epoch":99}}}}"#,
            r#"{"from":"f0","seq":2,"body":{"ownership":{"claim":{"peer":"f0","place":"popOut","epoch":99}}}}"#,
            r#"{"from":"f0","seq":3,"body":{"command":{"Dial":"1070"}}}"#,
            r#"{"from":"f0","seq":4,"body":{"signIn":{"username":"1070","password":"x","remember":false}}}"#,
            r#"{"from":"f0","seq":5,"body":{"keptSignIn":null}}"#,
        ] {
            assert!(Envelope::parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            "{}",
            r#"{"from":"a1","seq":1}"#,
            r#"{"from":"a1","seq":1,"body":"popIn","extra":1}"#,
            r#"{"from":"a1","seq":-1,"body":"popIn"}"#,
            r#"{"from":"<a>","seq":1,"body":"popIn"}"#,
            r#"{"from":"a1","seq":1,"body":"reload"}"#,
            r#"{"from":"a1","seq":1,"body":{"command":{"Dial":5}}}"#,
            // Another instance's ownership message, relayed under a forged envelope.
            r#"{"from":"a1","seq":1,"body":{"ownership":{"release":{"peer":"b2","epoch":4,"to":"a1"}}}}"#,
        ] {
            assert!(Envelope::parse(text).is_err(), "{text}");
        }
        let huge =
            format!(r#"{{"from":"a1","seq":1,"body":{{"command":{{"Dial":"{}"}}}}}}"#, "1".repeat(MAX_ENVELOPE_BYTES));
        assert!(matches!(Envelope::parse(&huge), Err(MessageError::TooLong(_))));
    }

    #[test]
    fn each_envelope_is_taken_once_and_memory_stays_bounded() {
        let mut seen = Seen::default();
        let first = envelope(Body::PopIn);
        assert!(seen.first_time(&first));
        assert!(!seen.first_time(&first), "a relayed copy is dropped");
        assert!(seen.first_time(&Envelope { seq: 4, ..first.clone() }));
        assert!(seen.first_time(&Envelope { from: peer("b2"), ..first.clone() }));
        for seq in 100..(100 + SEEN_CAPACITY as u64 * 3) {
            seen.first_time(&Envelope { seq, ..first.clone() });
        }
        assert!(seen.set.len() <= SEEN_CAPACITY && seen.order.len() <= SEEN_CAPACITY);
    }
}
