//! The contact-center desk: the rules between what the phone hears and what the agent sees, in
//! the SIP core's own style. It owns the phone's model ([`PhoneSnapshot`]), takes what happened
//! as [`DeskEvent`]s with the time, changes the model and answers with [`DeskAction`]s for the
//! shell to carry out: turn a call away with a status, hold the others, publish presence, keep
//! a finished call's record, tell the app. No browser, no clock: tested natively.

mod outcome;
#[cfg(test)]
mod tests;

use sip::agent::{CallEnd, CallRef};
use sip::body::PresenceState;

use crate::activity::{CallDirection, CallLog, RecordRef};
use crate::agent_state::AgentState;
use crate::config::{AgentSettings, Contact, CrmSettings, ScreenPopWhen};
use crate::conversations::{self, Conversation, Delivery, TextMessage};
use crate::dial_string::normalise;
use crate::display_name::{DisplayName, Party};
use crate::history::{self, CallRecord, Outcome};
use crate::i18n::{t, t_args};
use crate::model::{CallStage, CallView, PhoneSnapshot, Session, WrapUp};
pub use outcome::{end_text, outcome_of};

/// The Not Ready reason the desk gives while the microphone cannot be opened, in English: the
/// agent reads it in their language ([`no_microphone`]).
pub const NO_MICROPHONE: &str = "Microphone unavailable";

/// The Not Ready reason the desk gives while the microphone cannot be opened.
pub fn no_microphone() -> String {
    t("session.no-microphone")
}

/// What happened, as the desk needs to know it.
#[derive(Clone, Debug, PartialEq)]
pub enum DeskEvent {
    /// The registration's state changed.
    Session(Session),
    /// Someone calls.
    Offered {
        /// The phone's handle.
        call: CallRef,
        /// The SIP Call-ID.
        call_id: String,
        /// The caller, cleaned.
        party: Party,
        /// What to dial to call them back.
        number: String,
        /// The call completes an attended transfer into a call in progress: it is answered at
        /// once, whatever the agent's state (the SIP core decided).
        auto_answer: bool,
        /// The user part of whoever transferred the caller here, if anyone.
        referred_by: Option<String>,
    },
    /// The agent placed a call (or a transfer placed one for them).
    Placed {
        /// The phone's handle.
        call: CallRef,
        /// The SIP Call-ID.
        call_id: String,
        /// Whom.
        party: Party,
        /// The number as the agent gave it.
        number: String,
        /// A line to show with it (who transferred the agent there).
        note: Option<String>,
        /// The CRM record it was dialled from (the call is logged against it).
        record: Option<RecordRef>,
    },
    /// The agent answers a ringing call.
    Answering(CallRef),
    /// The other end of a call we placed is ringing.
    RingingThere(CallRef),
    /// The call is up.
    Established(CallRef),
    /// A hold or resume went through.
    Held {
        /// Which call.
        call: CallRef,
        /// Held now.
        held: bool,
    },
    /// The other party's offer put the call on hold, or took it off.
    HeldThere {
        /// Which call.
        call: CallRef,
        /// Held by them now.
        held: bool,
    },
    /// The microphone went off or on for one call.
    Muted {
        /// Which call.
        call: CallRef,
        /// Off now.
        muted: bool,
    },
    /// A keypad digit went out on a call.
    KeySent(CallRef, char),
    /// The other side sent a keypad digit.
    KeyReceived(CallRef, char),
    /// An attended transfer of `call` consults `consultation`.
    Consulting {
        /// The call being transferred.
        call: CallRef,
        /// The consultation call.
        consultation: CallRef,
    },
    /// A line the agent must see on a call.
    Note(CallRef, String),
    /// The call's audio path changed: reconnecting, lost, restarted
    /// (`crate::ice_restart::LinkPolicy`).
    Link {
        /// Which call.
        call: CallRef,
        /// What the agent sees of it now.
        link: crate::ice_restart::LinkView,
    },
    /// A new audio reading and the levels made from it.
    Audio {
        /// Which call.
        call: CallRef,
        /// The reading.
        stats: crate::audio_level::AudioStats,
    },
    /// A call ended.
    Ended {
        /// Which call.
        call: CallRef,
        /// Why.
        reason: CallEnd,
    },
    /// A directory contact's presence changed.
    Presence {
        /// The contact's number as configured.
        number: String,
        /// Their state.
        state: PresenceState,
        /// The note their phone published.
        note: Option<String>,
    },
    /// The agent chose a state (choosing Ready is only passed on once the microphone works).
    StateChosen(AgentState),
    /// The microphone could not be opened: the text says why.
    MicrophoneFailed(String),
    /// A message for the agent, or none to clear it.
    Notice(Option<String>),
    /// The CRM's records carrying a call's number (the screen pop's search).
    RecordsFound {
        /// Which call.
        call: CallRef,
        /// The matches, best first.
        records: Vec<RecordRef>,
    },
    /// The agent picked the caller's record among several.
    RecordPicked {
        /// Which call.
        call: CallRef,
        /// The record.
        record: RecordRef,
    },
    /// The agent changed a wrap-up's disposition or notes.
    WrapUpEdited {
        /// The call's SIP Call-ID.
        call_id: String,
        /// The disposition chosen (none: not yet).
        disposition: Option<String>,
        /// The notes as they stand.
        notes: String,
    },
    /// The agent clicked Done on a wrap-up.
    WrapUpDone(String),
    /// A colleague's text message arrived (the SIP core took it: plain text of a sane size).
    MessageReceived {
        /// Their number (the SIP user part).
        number: String,
        /// The name their phone sent, untrusted.
        name: Option<String>,
        /// What they wrote, untrusted.
        text: String,
    },
    /// The agent's message went out (or could not: `failure` says why).
    MessageSent {
        /// Ours to match its outcome by.
        id: u64,
        /// To whom, as the conversation knows them.
        number: String,
        /// What the agent wrote, cleaned.
        text: String,
        /// Why it could not go at all.
        failure: Option<String>,
    },
    /// The outcome of one of the agent's messages.
    MessageSettled {
        /// Which.
        id: u64,
        /// Delivered or why not.
        delivery: Delivery,
    },
    /// The agent has seen the conversation with this number.
    ConversationRead(String),
    /// Time passed (once a second).
    Tick,
    /// The page holding the phone is going away (a host reload or navigation, a closed
    /// window): every call is cut off now, and recorded so.
    PageClosing,
    /// This call is being moved to another window of the phone, which takes it over: its end
    /// here is not the call's end.
    Moving(String),
    /// The other window took the call over (`Ok`) or could not (the reason), by Call-ID.
    Moved {
        /// The call's SIP Call-ID.
        call_id: String,
        /// What came of it.
        result: Result<(), String>,
    },
    /// This phone takes over a call that another window of the phone had: `view` as it was
    /// there, now `call` here.
    TakingOver {
        /// The phone's handle of the new dialog.
        call: CallRef,
        /// The call as the other window showed it.
        view: Box<CallView>,
    },
}

/// What the desk asks the shell to do.
#[derive(Clone, Debug, PartialEq)]
pub enum DeskAction {
    /// Turn the call away with this status.
    Reject {
        /// Which call.
        call: CallRef,
        /// The SIP status.
        status: u16,
    },
    /// Hold this call (the agent answers another).
    Hold(CallRef),
    /// Hang this call up (another window of the phone took it over).
    HangUp(CallRef),
    /// Tell colleagues this presence.
    Publish(PresenceState, String),
    /// Keep this finished call in the agent's history (it is already in the model's).
    Record(CallRecord),
    /// Keep the agent's conversations (the model's have changed).
    KeepConversations,
    /// Tell the app.
    Tell(AppEvent),
}

/// What the app hears of the phone, to show the panel, label the host and log calls.
#[derive(Clone, Debug, PartialEq)]
pub enum AppEvent {
    /// The agent signed in at the integration service, whose session also serves the CRM: what
    /// waited for the agent's Authorise goes now.
    SignedInAtService,
    /// The SIP server refused the credentials the integration service minted: new ones are
    /// needed (the phone waits for them, or gives up at the next refusal).
    CredentialsRefused,
    /// A call rings here (not one answered at once).
    Ringing {
        /// Which call.
        call: CallRef,
        /// Who calls.
        party: Party,
    },
    /// A call was answered here or there.
    Answered {
        /// Which call.
        call: CallRef,
    },
    /// A call ended, with its record.
    Ended(CallRecord),
    /// Search the CRM for the records carrying this call's number.
    FindRecords {
        /// Which call.
        call: CallRef,
        /// The number.
        number: String,
        /// Which way the call goes.
        direction: CallDirection,
    },
    /// Open this record in the CRM.
    OpenRecord(RecordRef),
    /// Open the CRM's new-record form with this number.
    OpenNewRecord(String),
    /// Keep this call's log (durably) and deliver it once `complete`; until then the agent is
    /// wrapping it up and the same Call-ID comes again with more.
    Log {
        /// The log as it stands.
        log: CallLog,
        /// Wrap-up is over: deliver it.
        complete: bool,
    },
    /// A call this phone was taking over from another window is here (`Ok`), or stayed there
    /// (the reason), by its Call-ID.
    TookOver {
        /// The call's SIP Call-ID (the one it had from the start).
        call_id: String,
        /// What came of it.
        result: Result<(), String>,
    },
}

/// A call of this phone being moved to another window.
#[derive(Debug)]
struct Moving {
    call_id: String,
    /// The other window has it: the dialog here only has to end.
    taken: bool,
    /// The dialog here ended first: the call as it was, why and when, recorded only if the
    /// other window could not take it.
    ended: Option<(CallView, CallEnd, f64)>,
}

/// The desk: the model and the rules that change it.
#[derive(Debug)]
pub struct Desk {
    rules: AgentSettings,
    crm: CrmSettings,
    /// The logs of calls being wrapped up, by Call-ID, completed from the wrap-ups.
    drafts: Vec<CallLog>,
    /// The directory's numbers, normalised, for the Not Ready rules.
    colleagues: Vec<String>,
    /// The directory's names by normalised number, for the conversations.
    names: Vec<(String, String)>,
    model: PhoneSnapshot,
    /// What colleagues were last told, so that it is published once per change.
    published: Option<(PresenceState, String)>,
    /// Calls being moved to another window of the phone.
    moving: Vec<Moving>,
    /// Calls being taken over from another window, not established yet.
    taking_over: Vec<CallRef>,
}

impl Desk {
    /// A desk for `user` signing in, with their stored history and conversations.
    pub fn new(
        rules: AgentSettings,
        crm: CrmSettings,
        directory: &[Contact],
        user: String,
        history: Vec<CallRecord>,
        conversations: Vec<Conversation>,
    ) -> Desk {
        let names: Vec<(String, String)> =
            directory.iter().filter_map(|c| Some((normalise(&c.number).ok()?, c.name.clone()))).collect();
        let colleagues = names.iter().map(|(number, _)| number.clone()).collect();
        let model = PhoneSnapshot {
            session: Session::SigningIn,
            user: Some(user),
            history,
            conversations,
            ..PhoneSnapshot::default()
        };
        Desk {
            rules,
            crm,
            drafts: Vec::new(),
            colleagues,
            names,
            model,
            published: None,
            moving: Vec::new(),
            taking_over: Vec::new(),
        }
    }

    /// The model as it is now.
    pub fn model(&self) -> &PhoneSnapshot {
        &self.model
    }

    /// Applies what happened at `now` (milliseconds since 1970) and says what to do about it.
    pub fn on_event(&mut self, now: f64, event: DeskEvent) -> Vec<DeskAction> {
        let mut actions = Vec::new();
        match event {
            DeskEvent::Session(session) => {
                if session.registered() && !self.model.session.registered() {
                    // A new registration: the presence server may have forgotten ours.
                    self.published = None;
                }
                self.model.session = session;
            }
            DeskEvent::Offered { call, call_id, party, number, auto_answer, referred_by } => {
                let mut view = CallView::new(call, true, party.clone(), number, CallStage::Incoming, now);
                view.call_id = call_id;
                if !auto_answer && !self.offers(&view.number, referred_by.as_deref()) {
                    let status = self.rules.not_ready_status;
                    actions.push(DeskAction::Reject { call, status });
                    self.record(&view, Outcome::NotReady, now, &mut actions);
                    return actions;
                }
                if let Some(by) = referred_by.as_deref().map(DisplayName::new).filter(|by| !by.is_empty()) {
                    view.notes.push(t_args("session.transferred-from", &[("name", by.shown())]));
                }
                let number = view.number.clone();
                self.model.calls.push(view);
                if !auto_answer {
                    actions.push(DeskAction::Tell(AppEvent::Ringing { call, party }));
                }
                if self.crm.screen_pop == ScreenPopWhen::Ring
                    || (auto_answer && self.crm.screen_pop == ScreenPopWhen::Answer)
                {
                    actions.push(DeskAction::Tell(AppEvent::FindRecords {
                        call,
                        number,
                        direction: CallDirection::Inbound,
                    }));
                }
            }
            DeskEvent::Placed { call, call_id, party, number, note, record } => {
                let mut view = CallView::new(call, false, party, number, CallStage::Dialing, now);
                view.call_id = call_id;
                view.notes.extend(note);
                view.record = record;
                self.model.calls.push(view);
                self.model.notice = None;
            }
            DeskEvent::Answering(call) => {
                if self.crm.screen_pop == ScreenPopWhen::Answer
                    && let Some(view) = self.model.call(call)
                {
                    let number = view.number.clone();
                    actions.push(DeskAction::Tell(AppEvent::FindRecords {
                        call,
                        number,
                        direction: CallDirection::Inbound,
                    }));
                }
                // Answering a waiting call holds the one in progress, as desk phones do.
                let talking =
                    self.model.calls.iter().filter(|c| c.id != call && c.stage == CallStage::Active && !c.held);
                actions.extend(talking.map(|c| DeskAction::Hold(c.id)));
                self.change(call, |view| view.stage = CallStage::Connecting);
            }
            DeskEvent::RingingThere(call) => self.change(call, |view| view.stage = CallStage::Ringing),
            DeskEvent::Established(call) => {
                self.change(call, |view| {
                    view.stage = CallStage::Active;
                    view.answered_at.get_or_insert(now);
                });
                if let Some(index) = self.taking_over.iter().position(|c| *c == call) {
                    self.taking_over.remove(index);
                    let call_id = self.model.call(call).map(|view| view.call_id.clone()).unwrap_or_default();
                    actions.push(DeskAction::Tell(AppEvent::TookOver { call_id, result: Ok(()) }));
                }
                actions.push(DeskAction::Tell(AppEvent::Answered { call }));
            }
            DeskEvent::Held { call, held } => self.change(call, |view| view.held = held),
            DeskEvent::HeldThere { call, held } => self.change(call, |view| view.held_there = held),
            DeskEvent::Muted { call, muted } => self.change(call, |view| view.muted = muted),
            DeskEvent::KeySent(call, digit) => self.change(call, |view| view.keys_sent.push(digit)),
            DeskEvent::KeyReceived(call, digit) => self.change(call, |view| view.keys_received.push(digit)),
            DeskEvent::Consulting { call, consultation } => {
                self.change(call, |view| view.consultation = Some(consultation));
            }
            DeskEvent::Note(call, line) => self.change(call, |view| view.notes.push(line)),
            DeskEvent::Link { call, link } => self.change(call, |view| view.link = link),
            DeskEvent::Audio { call, stats } => self.change(call, |view| {
                use crate::audio_level::level_between;
                view.levels =
                    (level_between(view.audio.sent, stats.sent), level_between(view.audio.received, stats.received));
                // An interval with no packets (held, or before media) leaves the last estimate.
                let codec = crate::call_quality::Codec::OPUS;
                if let Some(estimate) = crate::call_quality::estimate(codec, &view.audio.quality, &stats.quality) {
                    view.quality_tally.add(estimate.mos);
                    view.quality = Some(estimate);
                }
                view.audio = stats;
            }),
            DeskEvent::Ended { call, reason } => {
                let Some(index) = self.model.calls.iter().position(|c| c.id == call) else { return actions };
                let view = self.model.calls.remove(index);
                if let Some(index) = self.taking_over.iter().position(|c| *c == call) {
                    // Never established: the call goes on in the other window.
                    self.taking_over.remove(index);
                    let why = match &reason {
                        CallEnd::Rejected { status, reason, .. } => {
                            t_args("session.take-over.refused", &[("status", &status.to_string()), ("reason", reason)])
                        }
                        other => end_text(other).unwrap_or_else(|| t("session.take-over.too-late")),
                    };
                    let result = Err(why);
                    actions.push(DeskAction::Tell(AppEvent::TookOver { call_id: view.call_id, result }));
                    return actions;
                }
                if let Some(index) = self.moving.iter().position(|m| m.call_id == view.call_id) {
                    if self.moving[index].taken {
                        self.moving.remove(index);
                    } else {
                        self.moving[index].ended = Some((view, reason, now));
                    }
                    return actions;
                }
                if let Some(text) = end_text(&reason) {
                    let party = view.party.to_string();
                    self.model.notice = Some(t_args("session.call-ended", &[("party", &party), ("reason", &text)]));
                }
                let answered = view.answered_at.is_some();
                self.record(&view, outcome_of(view.incoming, answered, &reason), now, &mut actions);
                if answered {
                    let seconds = self.rules.after_call_work_seconds;
                    self.model.agent_state = self.model.agent_state.after_call(seconds, now);
                }
            }
            DeskEvent::Presence { number, state, note } => {
                self.model.presence.insert(number, (state, note));
            }
            DeskEvent::StateChosen(state) => self.model.agent_state = state,
            DeskEvent::MicrophoneFailed(reason) => {
                self.model.notice = Some(reason);
                self.model.agent_state = AgentState::NotReady(no_microphone());
            }
            DeskEvent::Notice(notice) => self.model.notice = notice,
            DeskEvent::PageClosing => {
                for view in std::mem::take(&mut self.model.calls) {
                    self.record(&view, Outcome::PageClosed, now, &mut actions);
                }
            }
            DeskEvent::RecordsFound { call, records } => self.found(call, records, &mut actions),
            DeskEvent::Moving(call_id) => {
                let known = self.model.calls.iter().any(|c| c.call_id == call_id);
                if known && !self.moving.iter().any(|m| m.call_id == call_id) {
                    self.moving.push(Moving { call_id, taken: false, ended: None });
                }
            }
            DeskEvent::Moved { call_id, result } => {
                let Some(index) = self.moving.iter().position(|m| m.call_id == call_id) else { return actions };
                match (result, self.moving[index].ended.take()) {
                    // The old dialog ended already, or ends now.
                    (Ok(()), None) => {
                        self.moving[index].taken = true;
                        let here = self.model.calls.iter().find(|c| c.call_id == call_id);
                        actions.extend(here.map(|view| DeskAction::HangUp(view.id)));
                    }
                    (Ok(()), Some(_)) => {
                        self.moving.remove(index);
                    }
                    // The call stays here; one that ended meanwhile ended for good.
                    (Err(why), ended) => {
                        self.moving.remove(index);
                        self.model.notice = Some(t_args("session.move-failed", &[("reason", &why)]));
                        if let Some((view, reason, at)) = ended {
                            self.record(
                                &view,
                                outcome_of(view.incoming, view.answered_at.is_some(), &reason),
                                at,
                                &mut actions,
                            );
                        }
                    }
                }
            }
            DeskEvent::TakingOver { call, view } => {
                let view = CallView { id: call, stage: CallStage::Connecting, consultation: None, ..*view };
                self.model.calls.push(view);
                self.taking_over.push(call);
            }
            DeskEvent::RecordPicked { call, record } => {
                let Some(view) = self.model.call_mut(call) else { return actions };
                if view.record_choices.contains(&record) {
                    view.record_choices.clear();
                    view.record = Some(record.clone());
                    actions.push(DeskAction::Tell(AppEvent::OpenRecord(record)));
                }
            }
            DeskEvent::WrapUpEdited { call_id, disposition, notes } => {
                let known = disposition.as_ref().is_none_or(|d| self.crm.dispositions.contains(d));
                let Some(wrap_up) = self.model.wrap_ups.iter_mut().find(|w| w.call_id == call_id) else {
                    return actions;
                };
                if known {
                    wrap_up.disposition = disposition;
                    wrap_up.problem = None;
                }
                wrap_up.notes = crate::activity::clean_notes(&notes);
                if let Some(log) = self.drafts.iter_mut().find(|l| l.call_id == call_id) {
                    log.disposition = wrap_up.disposition.clone();
                    log.notes = wrap_up.notes.clone();
                    actions.push(DeskAction::Tell(AppEvent::Log { log: log.clone(), complete: false }));
                }
            }
            DeskEvent::WrapUpDone(call_id) => {
                let missing = self.crm.disposition_required
                    && self.model.wrap_ups.iter().any(|w| w.call_id == call_id && w.disposition.is_none());
                if missing {
                    if let Some(wrap_up) = self.model.wrap_ups.iter_mut().find(|w| w.call_id == call_id) {
                        wrap_up.problem = Some(t("session.wrap-up.choose-disposition"));
                    }
                    return actions;
                }
                self.end_wrap_up(&call_id, &mut actions);
                if self.model.wrap_ups.is_empty()
                    && let AgentState::AfterCallWork { .. } = self.model.agent_state
                {
                    // Wrap-up was what After Call Work is for: the agent takes calls again.
                    self.model.agent_state = AgentState::Ready;
                }
            }
            DeskEvent::MessageReceived { number, name, text } => {
                let Some(text) = conversations::incoming_text(&text) else { return actions };
                let name = self.name_of(&number).or(name);
                let message =
                    TextMessage { id: 0, incoming: true, text, at: now as u64, delivery: Delivery::Delivered };
                conversations::add(&mut self.model.conversations, &number, name, message);
                actions.push(DeskAction::KeepConversations);
            }
            DeskEvent::MessageSent { id, number, text, failure } => {
                let delivery = failure.map_or(Delivery::Sending, Delivery::Failed);
                let message = TextMessage { id, incoming: false, text, at: now as u64, delivery };
                let name = self.name_of(&number);
                conversations::add(&mut self.model.conversations, &number, name, message);
                actions.push(DeskAction::KeepConversations);
            }
            DeskEvent::MessageSettled { id, delivery } => {
                if conversations::settle(&mut self.model.conversations, id, delivery) {
                    actions.push(DeskAction::KeepConversations);
                }
            }
            DeskEvent::ConversationRead(number) => {
                if conversations::read(&mut self.model.conversations, &number) {
                    actions.push(DeskAction::KeepConversations);
                }
            }
            DeskEvent::Tick => {
                if let Some(ready) = self.model.agent_state.tick(now) {
                    self.model.agent_state = ready;
                    // After Call Work is over: every wrap-up ends with what was entered.
                    let open: Vec<String> = self.model.wrap_ups.iter().map(|w| w.call_id.clone()).collect();
                    for call_id in open {
                        self.end_wrap_up(&call_id, &mut actions);
                    }
                }
            }
        }
        self.publish_presence(&mut actions);
        actions
    }

    /// Whether a call from `number` (transferred by `referred_by`) rings: always for a Ready
    /// agent, else as `agent.ringWhenNotReady` says; never while not registered.
    fn offers(&self, number: &str, referred_by: Option<&str>) -> bool {
        if !self.model.session.registered() {
            return false;
        }
        if self.model.agent_state.takes_calls() {
            return true;
        }
        // After Call Work is the agent's time to finish the last call: only Not Ready has
        // exceptions, and never a microphone that does not work.
        let AgentState::NotReady(reason) = &self.model.agent_state else { return false };
        if *reason == no_microphone() {
            return false;
        }
        let ring = self.rules.ring_when_not_ready;
        (ring.colleagues && self.is_colleague(number))
            || (ring.transfers && referred_by.is_some_and(|by| self.is_colleague(by)))
    }

    fn is_colleague(&self, number: &str) -> bool {
        normalise(number).is_ok_and(|number| self.colleagues.contains(&number))
    }

    fn change(&mut self, call: CallRef, change: impl FnOnce(&mut CallView)) {
        if let Some(view) = self.model.call_mut(call) {
            change(view);
        }
    }

    /// The directory's name for `number`, cleaned, when it has one.
    fn name_of(&self, number: &str) -> Option<String> {
        let number = normalise(number).ok()?;
        let (_, name) = self.names.iter().find(|(known, _)| *known == number)?;
        Some(crate::display_name::clean(name)).filter(|name| !name.is_empty())
    }

    /// Adds a finished call to the history and asks for it to be kept and told.
    fn record(&mut self, view: &CallView, outcome: Outcome, now: f64, actions: &mut Vec<DeskAction>) {
        let record = CallRecord {
            id: view.call_id.clone(),
            incoming: view.incoming,
            party: view.party.to_string(),
            number: view.number.clone(),
            started: view.started as u64,
            seconds: view.answered_at.map_or(0, |at| ((now - at).max(0.0) / 1000.0) as u64),
            outcome,
            worst_mos: view.quality_tally.worst.map(hundredths),
            average_mos: view.quality_tally.average().map(hundredths),
            record_name: view.record.as_ref().map(|r| r.name.clone()).filter(|name| !name.trim().is_empty()),
            number_as_written: view.record.as_ref().and_then(|r| r.phone.clone()).filter(|n| !n.trim().is_empty()),
        };
        history::add(&mut self.model.history, record.clone());
        actions.push(DeskAction::Record(record.clone()));
        let log = CallLog {
            call_id: record.id.clone(),
            agent: self.model.user.clone().unwrap_or_default(),
            direction: if view.incoming { CallDirection::Inbound } else { CallDirection::Outbound },
            number: record.number.clone(),
            party: record.party.clone(),
            started: record.started,
            seconds: record.seconds,
            outcome,
            disposition: None,
            notes: String::new(),
            record: view.record.clone(),
        };
        // The agent wraps up the calls they took part in: answered ones and their own attempts.
        // Logged at once: calls that rang and were missed or turned away, and calls cut off by
        // the page going away (nobody is left to wrap them up).
        let wraps_up = (view.answered_at.is_some() || !view.incoming) && outcome != Outcome::PageClosed;
        if wraps_up && !record.id.is_empty() {
            self.model.wrap_ups.push(WrapUp {
                call_id: record.id.clone(),
                party: record.party.clone(),
                ..WrapUp::default()
            });
            self.drafts.push(log.clone());
        }
        actions.push(DeskAction::Tell(AppEvent::Log { log, complete: !wraps_up || record.id.is_empty() }));
        actions.push(DeskAction::Tell(AppEvent::Ended(record)));
    }

    /// The screen pop's search answered: one record opens, several ask the agent, none opens
    /// a new-record form when configured. Outbound calls keep the record they were dialled from.
    fn found(&mut self, call: CallRef, records: Vec<RecordRef>, actions: &mut Vec<DeskAction>) {
        let new_record = self.crm.new_record_when_no_match;
        let Some(view) = self.model.call_mut(call) else { return };
        if view.record.is_some() {
            return;
        }
        match records.len() {
            0 if new_record && view.incoming => {
                actions.push(DeskAction::Tell(AppEvent::OpenNewRecord(view.number.clone())))
            }
            0 => {}
            1 => {
                view.record = records.into_iter().next();
                actions.extend(view.record.clone().map(|r| DeskAction::Tell(AppEvent::OpenRecord(r))));
            }
            _ => view.record_choices = records,
        }
    }

    /// Ends a wrap-up: its log is complete and goes to the CRM.
    fn end_wrap_up(&mut self, call_id: &str, actions: &mut Vec<DeskAction>) {
        self.model.wrap_ups.retain(|w| w.call_id != call_id);
        if let Some(index) = self.drafts.iter().position(|l| l.call_id == call_id) {
            let log = self.drafts.remove(index);
            actions.push(DeskAction::Tell(AppEvent::Log { log, complete: true }));
        }
    }

    /// Tells colleagues what changed: on a call, Ready, Not Ready or After Call Work; only
    /// while registered, once per change.
    fn publish_presence(&mut self, actions: &mut Vec<DeskAction>) {
        if !self.model.session.registered() {
            return;
        }
        let presence = self.model.agent_state.presence(self.model.on_call());
        if self.published.as_ref() != Some(&presence) {
            self.published = Some(presence.clone());
            actions.push(DeskAction::Publish(presence.0, presence.1));
        }
    }
}

/// A MOS in hundredths, as the call record keeps it.
fn hundredths(mos: f64) -> u16 {
    (mos.clamp(0.0, 5.0) * 100.0).round() as u16
}
