//! Commands up: everything a person (or, next, a host or another window) can ask of the phone,
//! as one serializable enum, and the small context components send them through. Components
//! never hold the phone; the app carries each command out.

use std::fmt;
use std::rc::Rc;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use sip::agent::CallRef;

use crate::activity::RecordRef;
use crate::agent_state::AgentState;
use crate::devices::Role;

/// A password typed into the sign-in form. It never leaves the page: serialized as nothing
/// (read back empty), and hidden from `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(pub String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A unit, as written: the binary envelopes cannot skip a value of unknown shape.
        <()>::deserialize(deserializer)?;
        Ok(Password::default())
    }
}

/// What the phone is asked to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Command {
    /// Sign in with a typed password; `remember` keeps the sign-in on this computer.
    SignIn {
        /// The SIP username.
        username: String,
        /// The password.
        password: Password,
        /// "Remember me on this computer".
        remember: bool,
    },
    /// Sign in at the integration service (a window opens from this click) and register with
    /// the short-lived SIP credentials it mints.
    SignInAtService,
    /// The agent is filling in the sign-in form: the phone may connect to its SIP server now.
    PrepareSignIn,
    /// Sign out and forget what this browser kept of the agent.
    SignOut,
    /// Call a number as written (a CRM's, a directory's, typed).
    Dial(String),
    /// Answer a ringing call.
    Answer(CallRef),
    /// Turn a ringing call away (603).
    Decline(CallRef),
    /// Hang up, cancel or decline, whatever the call's state.
    HangUp(CallRef),
    /// Hold or resume a call.
    ToggleHold(CallRef),
    /// Mute or unmute the microphone on a call.
    ToggleMute(CallRef),
    /// Send a keypad digit on a call.
    SendDigit(CallRef, char),
    /// Blind transfer of a call to a number.
    Transfer(CallRef, String),
    /// Attended transfer, first step: hold the call and call the number.
    Consult(CallRef, String),
    /// Attended transfer, last step: connect the held party with the consulted one.
    CompleteTransfer(CallRef),
    /// Ready, Not Ready with a reason.
    SetAgentState(AgentState),
    /// Use another device for a role (empty: the default), from now on and remembered.
    ChooseDevice(Role, String),
    /// The caller's record, picked among several that carry the number.
    PickRecord(CallRef, RecordRef),
    /// Wrap-up changed: the disposition chosen (none yet) and the notes as they stand.
    EditWrapUp {
        /// The call's SIP Call-ID.
        call_id: String,
        /// The disposition.
        disposition: Option<String>,
        /// The notes.
        notes: String,
    },
    /// Wrap-up of this Call-ID is done: its log goes to the CRM.
    FinishWrapUp(String),
    /// Post this call log (by Call-ID) again now.
    RetryLog(String),
    /// Let the widget use the CRM's REST API again (opens the CRM's authorisation popup).
    AuthoriseCrm,
    /// Open the pop-out window and move the phone there.
    PopOut,
    /// Give the phone back from the pop-out to the CRM window, and close the pop-out.
    PopIn,
    /// Run the phone in this window, whose pop-out is out of reach.
    UsePhoneHere,
    /// Send a text message to a colleague's number.
    SendMessage {
        /// The number, as written in the directory or typed.
        to: String,
        /// What the agent wrote.
        text: String,
    },
    /// The agent has seen the conversation with this number.
    ReadConversation(String),
}

/// Where components send commands: a `Copy` handle in the context.
#[derive(Clone, Copy)]
pub struct Commands(StoredValue<Rc<dyn Fn(Command)>, LocalStorage>);

impl Commands {
    /// Commands carried out by `run`.
    pub fn new(run: impl Fn(Command) + 'static) -> Commands {
        Commands(StoredValue::new_local(Rc::new(run)))
    }

    /// Sends one command.
    pub fn send(&self, command: Command) {
        // The handler runs outside the borrow: it may set signals that rebuild components.
        if let Some(run) = self.0.try_get_value() {
            run(command);
        }
    }
}
