//! The agent's session in this page: one phone at a time, from sign-in to sign-out, torn down
//! completely before the next starts, and every command carried out on it. The app owns it;
//! the sign-in form only sends `Command::SignIn` (or `Command::SignInAtService`, see [`minted`]).

mod minted;

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use leptos::task::spawn_local;
use sip::auth::{AuthCredentials, Credentials};

use crate::activity::RecordRef;
use crate::command::Command;
use crate::config::{Config, IceServer};
use crate::credentials;
use crate::desk::{AppEvent, DeskEvent};
use crate::devices::{self, Role};
use crate::host::ServiceSession;
use crate::model::{CallView, PhoneSnapshot, Session};
use crate::phone::{Keeping, PhoneOutputs, Softphone};
use sip::agent::MovableCall;

/// The session; cloning shares it.
#[derive(Clone)]
pub struct PhoneSession(Rc<Inner>);

struct Inner {
    config: Config,
    /// Shows the phone's model.
    show: Rc<dyn Fn(PhoneSnapshot)>,
    /// Hears calls ringing, answered and ended.
    tell: Rc<dyn Fn(AppEvent)>,
    /// The phone running now, or stopping.
    phone: RefCell<Option<Softphone>>,
    /// Counts sign-ins and sign-outs: what an older phone still reports is not shown.
    generation: Cell<u32>,
    /// Who signed in last, whose history Sign out forgets.
    user: RefCell<Option<String>>,
    /// A sign-in waits for the previous phone to stop before its phone starts.
    signing_in: Cell<bool>,
    /// The window's session at the integration service, which mints call credentials.
    service: Option<ServiceSession>,
    /// The SIP server refused the minted credentials: new ones are wanted now.
    renew_now: Cell<bool>,
}

impl PhoneSession {
    /// A session with nobody signed in.
    pub fn new(
        config: Config,
        service: Option<ServiceSession>,
        show: impl Fn(PhoneSnapshot) + 'static,
        tell: impl Fn(AppEvent) + 'static,
    ) -> Self {
        PhoneSession(Rc::new(Inner {
            config,
            service,
            renew_now: Cell::new(false),
            show: Rc::new(show),
            tell: Rc::new(tell),
            phone: RefCell::new(None),
            generation: Cell::new(0),
            user: RefCell::new(None),
            signing_in: Cell::new(false),
        }))
    }

    /// Signs in again with the sign-in kept for this tab (after a reload), or a remembered
    /// one, if there is one.
    pub fn resume(&self) {
        if self.0.config.service.as_ref().is_some_and(|s| s.call_credentials) {
            // Minted credentials are never kept: the agent signs in at the service again.
            return credentials::forget();
        }
        let Some((kept, remember)) = credentials::kept() else { return };
        match kept.credentials() {
            Ok(secret) => self.sign_in(secret, Keeping { remember, resumed: true, minted: false }),
            Err(_) => credentials::forget(),
        }
    }

    /// Signs in with the sign-in another instance of this phone kept (the owner before this
    /// one), kept from then on for this tab's session.
    pub fn resume_with(&self, kept: &credentials::KeptSignIn) {
        match kept.credentials() {
            Ok(secret) => self.sign_in(secret, Keeping { remember: false, resumed: true, minted: false }),
            Err(_) => self.resume(),
        }
    }

    /// Stops the phone here without signing the agent out (nothing kept is forgotten): another
    /// instance runs it from now on. What the phone reports while it stops is not shown.
    pub fn stop(&self) {
        self.next_generation();
        if let Some(phone) = self.0.phone.borrow().as_ref() {
            phone.sign_out();
        }
    }

    /// Carries out one command.
    pub fn run(&self, command: Command) {
        if let Command::SignIn { username, password, remember } = command {
            let typed = Credentials { username, password: password.0 };
            return self.sign_in(typed.into(), Keeping { remember, resumed: false, minted: false });
        }
        if command == Command::SignInAtService {
            return self.sign_in_at_service();
        }
        if command == Command::PrepareSignIn {
            if !self.runs() {
                crate::phone::connect_ahead(&self.0.config);
            }
            return;
        }
        if command == Command::SignOut {
            return self.sign_out();
        }
        if let Command::ChooseDevice(role, id) = &command {
            // Remembered whether or not a phone runs; the ringer's is read at each ring.
            devices::choose(*role, id);
        }
        let Some(phone) = self.0.phone.borrow().clone() else { return };
        match command {
            Command::Dial(number) => phone.dial(number, None),
            Command::Answer(call) => phone.answer(call),
            Command::Decline(call) => phone.decline(call),
            Command::HangUp(call) => phone.hang_up(call),
            Command::ToggleHold(call) => phone.toggle_hold(call),
            Command::ToggleMute(call) => phone.toggle_mute(call),
            Command::SendDigit(call, digit) => phone.send_digit(call, digit),
            Command::Transfer(call, number) => phone.transfer(call, &number),
            Command::Consult(call, number) => phone.consult(call, number),
            Command::CompleteTransfer(call) => phone.complete_transfer(call),
            Command::SetAgentState(state) => phone.set_agent_state(state),
            Command::ChooseDevice(Role::Microphone, _) => phone.set_microphone(),
            Command::ChooseDevice(Role::Speaker, id) => phone.set_speaker(&id),
            Command::PickRecord(call, record) => phone.tell(DeskEvent::RecordPicked { call, record }),
            Command::EditWrapUp { call_id, disposition, notes } => {
                phone.tell(DeskEvent::WrapUpEdited { call_id, disposition, notes })
            }
            Command::FinishWrapUp(call_id) => phone.tell(DeskEvent::WrapUpDone(call_id)),
            Command::SendMessage { to, text } => phone.send_message(&to, &text),
            Command::ReadConversation(number) => phone.tell(DeskEvent::ConversationRead(number)),
            // The app's: the CRM link carries them out.
            Command::RetryLog(_) | Command::AuthoriseCrm | Command::PopOut | Command::PopIn | Command::UsePhoneHere => {
            }
            Command::ChooseDevice(Role::Ringer, _)
            | Command::SignIn { .. }
            | Command::SignInAtService
            | Command::PrepareSignIn
            | Command::SignOut => {}
        }
    }

    /// Calls `number` for the CRM `record` it was dialled from.
    pub fn dial(&self, number: String, record: Option<RecordRef>) {
        if let Some(phone) = self.0.phone.borrow().clone() {
            phone.dial(number, record);
        }
    }

    /// Whether a phone runs here (signed in or signing in, not stopping).
    pub fn runs(&self) -> bool {
        self.0.signing_in.get() || self.0.phone.borrow().as_ref().is_some_and(|phone| !phone.stopping())
    }

    /// Shows the running phone's model again: this window shows it from now on.
    pub fn republish(&self) {
        if let Some(phone) = self.0.phone.borrow().clone() {
            phone.republish();
        }
    }

    /// The dialogs of the calls that can move to another window of the phone: every call the
    /// agent is on, talking or held (none while one rings, is being placed or transferred).
    pub fn movable_calls(&self) -> Option<Vec<(MovableCall, CallView)>> {
        let phone = self.0.phone.borrow().clone()?;
        let calls = phone.calls();
        if calls.is_empty() || !calls.iter().all(crate::sync::call_move::can_move) {
            return None;
        }
        calls.into_iter().map(|view| Some((phone.movable(view.id)?, view))).collect()
    }

    /// Whether the phone here has calls.
    pub fn has_calls(&self) -> bool {
        self.0.phone.borrow().as_ref().is_some_and(|phone| !phone.calls().is_empty())
    }

    /// Takes over a call that another window of the phone holds.
    pub fn take_over(&self, dialog: MovableCall, view: CallView) {
        if let Some(phone) = self.0.phone.borrow().clone() {
            phone.take_over(dialog, view);
        }
    }

    /// Tells the running phone's desk what the CRM found (the screen pop's search).
    pub fn tell(&self, event: DeskEvent) {
        if let Some(phone) = self.0.phone.borrow().clone() {
            phone.tell(event);
        }
    }

    /// Starts a new phone once the previous one (if any) has stopped completely. Nothing is
    /// stored until the server accepts the credentials.
    fn sign_in(&self, credentials: AuthCredentials, keeping: Keeping) {
        let user = credentials.username().to_owned();
        self.start_phone(user, credentials, keeping, None);
    }

    /// Starts a phone for SIP user `user` with these credentials (and the service's TURN server
    /// `turn`) once the previous one has stopped; the sign-in's generation.
    fn start_phone(
        &self,
        user: String,
        credentials: AuthCredentials,
        keeping: Keeping,
        turn: Option<IceServer>,
    ) -> u32 {
        let generation = self.next_generation();
        *self.0.user.borrow_mut() = Some(user.clone());
        let previous = self.0.phone.borrow_mut().take();
        let Some(previous) = previous.filter(|previous| !previous.has_stopped()) else {
            // Nothing to wait for: the phone starts in this very event, and its WebSocket
            // opens (or its REGISTER leaves) before anything is rendered.
            self.start_now(generation, user, credentials, keeping, turn);
            return generation;
        };
        (self.0.show)(PhoneSnapshot::session_only(Session::SigningIn, Some(user.clone())));
        let session = self.clone();
        self.0.signing_in.set(true);
        spawn_local(async move {
            previous.sign_out();
            previous.stopped().await;
            if session.0.generation.get() != generation {
                return; // Signed out, or signed in again, meanwhile.
            }
            session.0.signing_in.set(false);
            session.start_now(generation, user, credentials, keeping, turn);
        });
        generation
    }

    /// Starts the phone of sign-in `generation`, or shows why it cannot start.
    fn start_now(
        &self,
        generation: u32,
        user: String,
        credentials: AuthCredentials,
        keeping: Keeping,
        turn: Option<IceServer>,
    ) {
        let outputs = self.outputs(generation);
        match Softphone::sign_in(&self.0.config, user.clone(), credentials, keeping, outputs) {
            Ok(phone) => {
                if turn.is_some() {
                    phone.replace_credentials(None, turn);
                }
                *self.0.phone.borrow_mut() = Some(phone);
            }
            Err(error) => {
                if keeping.resumed {
                    credentials::forget();
                }
                (self.0.show)(PhoneSnapshot::session_only(Session::Failed(error.to_string()), Some(user)));
            }
        }
    }

    /// Signs the agent out and forgets everything of theirs this browser kept: the saved
    /// sign-in in both storages, their call history and their messages.
    fn sign_out(&self) {
        self.next_generation();
        // The phone unregisters in the background; a sign-in meanwhile waits for it.
        if let Some(phone) = self.0.phone.borrow().as_ref() {
            phone.sign_out();
        }
        credentials::forget();
        if let Some(user) = self.0.user.borrow_mut().take() {
            crate::history::forget(&user);
            crate::conversations::forget(&user);
        }
        (self.0.show)(PhoneSnapshot::default());
    }

    fn next_generation(&self) -> u32 {
        self.0.signing_in.set(false);
        let generation = self.0.generation.get().wrapping_add(1);
        self.0.generation.set(generation);
        generation
    }

    /// Where the phone of sign-in `generation` reports; nothing once it is no longer current.
    fn outputs(&self, generation: u32) -> PhoneOutputs {
        let weak: Weak<Inner> = Rc::downgrade(&self.0);
        let model = {
            let weak = weak.clone();
            move |snapshot: PhoneSnapshot| {
                let Some(inner) = weak.upgrade() else { return };
                if inner.generation.get() != generation {
                    return;
                }
                if !snapshot.session.phone_runs() {
                    // The phone stopped by itself (a refused sign-in): it goes, after this call
                    // returns to it.
                    let gone = inner.phone.borrow_mut().take();
                    spawn_local(async move { drop(gone) });
                }
                (inner.show)(snapshot);
            }
        };
        let event = move |event: AppEvent| {
            let Some(inner) = weak.upgrade() else { return };
            if inner.generation.get() == generation {
                match event {
                    // The session's own business: the renewal asks the service at once.
                    AppEvent::CredentialsRefused => inner.renew_now.set(true),
                    event => (inner.tell)(event),
                }
            }
        };
        PhoneOutputs { model: Rc::new(model), event: Rc::new(event) }
    }
}
