//! Everything one instance of the phone says to the others, as it travels between windows and
//! tabs: who owns the phone, the owner's model for the mirrors to show, the mirrors' commands
//! for the owner, and the kept sign-in a successor needs. Each envelope carries its sender and a
//! number so that an instance relaying between channels (a CRM tab between its sibling tabs and
//! the pop-out) passes each one on once.
//!
//! Envelopes travel as postcard bytes (a `Uint8Array`): only this build's own windows read them,
//! and a reader that knows the fields by their order is far smaller in the wasm than a JSON
//! reader of the same types (the snapshot holds most of the model). A field skipped when empty
//! (`skip_serializing_if`) or read as "anything" (`IgnoredAny`, `serde_json::Value`) cannot be
//! in them: the round-trip tests below would fail.

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

/// What an envelope says. This enum and those inside it are externally tagged, serde's default:
/// an internally or adjacently tagged one needs a self-describing format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct Envelope {
    /// The instance that wrote it.
    pub from: PeerId,
    /// Its number among the sender's envelopes.
    pub seq: u64,
    /// What it says.
    pub body: Body,
}

impl Envelope {
    /// Reads an envelope as it travels (postcard bytes, nothing after them); an ownership
    /// message inside must come from the envelope's own sender.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, MessageError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(MessageError::TooLong(bytes.len()));
        }
        let (envelope, rest): (Envelope, _) =
            postcard::take_from_bytes(bytes).map_err(|error| MessageError::Unreadable(error.to_string()))?;
        if !rest.is_empty() {
            return Err(MessageError::Unreadable(format!("{} bytes after the envelope", rest.len())));
        }
        if let Body::Ownership(message) = &envelope.body
            && *message.sender() != envelope.from
        {
            return Err(MessageError::Unreadable("an ownership message inside another instance's envelope".into()));
        }
        Ok(envelope)
    }

    /// The envelope as it travels.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
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
    use sip::body::PresenceState;

    use crate::activity::outbox::PostOutcome;
    use crate::activity::{CallDirection, CallLog};
    use crate::agent_state::AgentState;
    use crate::call_quality::Estimate;
    use crate::command::Password;
    use crate::conversations::{Conversation, Delivery, TextMessage};
    use crate::display_name::Party;
    use crate::history::{CallRecord, Outcome};
    use crate::model::{CallStage, CallView, Session, WrapUp};
    use crate::sync::crm_work::CrmFailure;

    fn peer(id: &str) -> PeerId {
        PeerId::parse(id).unwrap()
    }

    fn envelope(body: Body) -> Envelope {
        Envelope { from: peer("a1"), seq: 3, body }
    }

    #[test]
    fn envelopes_travel_as_bytes_and_come_back_the_same() {
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
            assert_eq!(Envelope::parse(&sent.to_bytes()), Ok(sent.clone()), "{sent:?}");
        }
    }

    /// A snapshot with every optional part filled in and every kind of message, conversation
    /// and record: the binary form has no field names, so a field it cannot carry shows here.
    fn busy_snapshot() -> PhoneSnapshot {
        let record = RecordRef {
            object: "Contact".into(),
            id: "003Dn00000RosaQuin".into(),
            name: "Rosa Quint".into(),
            phone: Some("+1 (415) 555-0131".into()),
        };
        let mut call =
            CallView::new(CallRef(4), true, Party::new(Some("Rosa"), "1072"), "1072".into(), CallStage::Active, 1.5e12);
        call.call_id = "abc@lab".into();
        call.answered_at = Some(1.5e12 + 3000.0);
        call.quality = Some(Estimate {
            delay_ms: 42.5,
            jitter_ms: 3.25,
            round_trip_ms: Some(12.0),
            loss_ratio: 0.01,
            concealment_ratio: 0.0,
            rating: 88.1,
            mos: 4.3,
        });
        call.consultation = Some(CallRef(5));
        call.notes = vec!["Transferred by 1003".into()];
        call.record = Some(record.clone());
        call.record_choices = vec![record.clone(), RecordRef { phone: None, ..record.clone() }];
        let history = CallRecord {
            id: "abc@lab".into(),
            incoming: true,
            party: "Rosa".into(),
            number: "1072".into(),
            started: 1_500_000_000_000,
            seconds: 61,
            outcome: Outcome::AnsweredElsewhere,
            worst_mos: Some(380),
            average_mos: Some(421),
            record_name: Some("Rosa Quint".into()),
            number_as_written: Some("+1 (415) 555-0131".into()),
        };
        let message = |id, delivery| TextMessage { id, incoming: id == 0, text: "hi\nthere".into(), at: 7, delivery };
        let conversation = Conversation {
            number: "1003".into(),
            name: Some("Bob".into()),
            messages: vec![
                message(0, Delivery::Delivered),
                message(1, Delivery::Sending),
                message(2, Delivery::Failed("404 Not Found".into())),
            ],
            unread: 1,
        };
        PhoneSnapshot {
            session: Session::Registered,
            user: Some("1071".into()),
            agent_state: AgentState::NotReady("Break".into()),
            calls: vec![call],
            history: vec![history.clone(), CallRecord { record_name: None, number_as_written: None, ..history }],
            presence: [("1003".to_owned(), (PresenceState::Available, Some("Ready".to_owned())))].into_iter().collect(),
            notice: Some("The microphone is blocked".into()),
            wrap_ups: vec![WrapUp {
                call_id: "abc@lab".into(),
                party: "Rosa".into(),
                disposition: Some("Resolved".into()),
                notes: "called back".into(),
                problem: Some("Pick a disposition".into()),
            }],
            conversations: vec![conversation],
        }
    }

    #[test]
    fn a_busy_phone_and_every_crm_exchange_travel_whole() {
        let snapshot = busy_snapshot();
        let log = CallLog {
            call_id: "abc@lab".into(),
            agent: "1071".into(),
            direction: CallDirection::Inbound,
            number: "1072".into(),
            party: "Rosa".into(),
            started: 1_500_000_000_000,
            seconds: 61,
            outcome: Outcome::Answered,
            disposition: Some("Resolved".into()),
            notes: "called back".into(),
            record: snapshot.calls[0].record.clone(),
        };
        let record = snapshot.calls[0].record.clone().unwrap();
        let works = [
            CrmWork::FindRecords { number: "1072".into(), direction: CallDirection::Outbound },
            CrmWork::OpenRecord(record.clone()),
            CrmWork::PostLog { log, update: true },
            CrmWork::NeedsAuthorisation,
        ];
        let answers = [
            CrmAnswer::Records(vec![record.clone()]),
            CrmAnswer::Posted(PostOutcome::Busy { reason: "429".into(), retry_after_ms: Some(2000) }),
            CrmAnswer::Posted(PostOutcome::Unauthorised),
            CrmAnswer::NeedsAuthorisation(true),
            CrmAnswer::Failed(CrmFailure::Unsupported("no Tasks".into())),
        ];
        let mut bodies = vec![
            Body::Snapshot(snapshot.clone()),
            Body::Dial { number: "1072".into(), record: Some(record) },
            Body::Command(Command::SetAgentState(AgentState::AfterCallWork { until: 1.5e12 })),
        ];
        bodies.extend(works.into_iter().enumerate().map(|(id, work)| Body::CrmWork {
            to: peer("b2"),
            id: id as u32,
            work,
        }));
        bodies.extend(answers.into_iter().enumerate().map(|(id, answer)| Body::CrmAnswer {
            to: peer("b2"),
            id: id as u32,
            answer,
        }));
        for body in bodies {
            let sent = envelope(body);
            assert_eq!(Envelope::parse(&sent.to_bytes()), Ok(sent.clone()), "{sent:?}");
        }
    }

    #[test]
    fn a_sign_in_keeps_its_password_only_in_its_own_envelope() {
        let typed = Command::SignIn { username: "1001".into(), password: Password("pw".into()), remember: false };
        let body = Body::for_command(typed.clone());
        assert!(envelope(body.clone()).to_bytes().windows(3).any(|w| w == b"\x02pw"));
        let Some(Command::SignIn { password, .. }) = body.into_command() else { panic!("a sign-in") };
        assert_eq!(password.0, "pw");
        // The plain command form reads back without a password: refused rather than signing
        // in with an empty one.
        let plain = Envelope::parse(&envelope(Body::Command(typed)).to_bytes()).unwrap();
        assert_eq!(plain.body.into_command(), None);
        assert_eq!(Body::PopIn.into_command(), None);
    }

    #[test]
    fn anything_else_is_refused() {
        let good = envelope(Body::Command(Command::Dial("1070".into()))).to_bytes();
        let mut trailing = good.clone();
        trailing.push(0);
        let mut bad_variant = good.clone();
        // The body's variant: after the sender (its length, two bytes) and the number (one byte).
        assert_eq!(bad_variant[4], 2, "Body::Command");
        bad_variant[4] = 0x7f;
        let json = br#"{"from":"a1","seq":1,"body":"popIn"}"#.to_vec();
        for bytes in [vec![], good[..good.len() - 1].to_vec(), trailing, bad_variant, json, vec![0xff; 16]] {
            assert!(Envelope::parse(&bytes).is_err(), "{bytes:?}");
        }
        // A sender that is not an instance id, and another instance's ownership message
        // relayed under a forged envelope.
        let mut forged_sender = good.clone();
        forged_sender[1] = b'<';
        assert!(Envelope::parse(&forged_sender).is_err());
        let release = Message::Release { peer: peer("b2"), epoch: 4, to: Some(peer("a1")) };
        assert!(Envelope::parse(&envelope(Body::Ownership(release)).to_bytes()).is_err());
        let huge = envelope(Body::Command(Command::Dial("1".repeat(MAX_ENVELOPE_BYTES)))).to_bytes();
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
