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

use crate::agent_state::AgentState;
use crate::config::{AgentSettings, Contact};
use crate::dial_string::normalise;
use crate::display_name::Party;
use crate::history::{self, CallRecord, Outcome};
use crate::model::{CallStage, CallView, PhoneSnapshot, Session};
pub use outcome::{end_text, outcome_of};

/// The Not Ready reason the desk gives while the microphone cannot be opened.
pub const NO_MICROPHONE: &str = "Microphone unavailable";

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
    /// Time passed (once a second).
    Tick,
    /// The page holding the phone is going away (a host reload or navigation, a closed
    /// window): every call is cut off now, and recorded so.
    PageClosing,
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
    /// Tell colleagues this presence.
    Publish(PresenceState, String),
    /// Keep this finished call in the agent's history (it is already in the model's).
    Record(CallRecord),
    /// Tell the app.
    Tell(AppEvent),
}

/// What the app hears of the phone, to show the panel, label the host and log calls.
#[derive(Clone, Debug, PartialEq)]
pub enum AppEvent {
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
}

/// The desk: the model and the rules that change it.
#[derive(Debug)]
pub struct Desk {
    rules: AgentSettings,
    /// The directory's numbers, normalised, for the Not Ready rules.
    colleagues: Vec<String>,
    model: PhoneSnapshot,
    /// What colleagues were last told, so that it is published once per change.
    published: Option<(PresenceState, String)>,
}

impl Desk {
    /// A desk for `user` signing in, with their stored history.
    pub fn new(rules: AgentSettings, directory: &[Contact], user: String, history: Vec<CallRecord>) -> Desk {
        let colleagues = directory.iter().filter_map(|c| normalise(&c.number).ok()).collect();
        let model =
            PhoneSnapshot { session: Session::SigningIn, user: Some(user), history, ..PhoneSnapshot::default() };
        Desk { rules, colleagues, model, published: None }
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
                self.model.calls.push(view);
                if !auto_answer {
                    actions.push(DeskAction::Tell(AppEvent::Ringing { call, party }));
                }
            }
            DeskEvent::Placed { call, call_id, party, number, note } => {
                let mut view = CallView::new(call, false, party, number, CallStage::Dialing, now);
                view.call_id = call_id;
                view.notes.extend(note);
                self.model.calls.push(view);
                self.model.notice = None;
            }
            DeskEvent::Answering(call) => {
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
                actions.push(DeskAction::Tell(AppEvent::Answered { call }));
            }
            DeskEvent::Held { call, held } => self.change(call, |view| view.held = held),
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
                if let Some(text) = end_text(&reason) {
                    self.model.notice = Some(format!("{}: {text}.", view.party));
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
                self.model.agent_state = AgentState::NotReady(NO_MICROPHONE.to_owned());
            }
            DeskEvent::Notice(notice) => self.model.notice = notice,
            DeskEvent::PageClosing => {
                for view in std::mem::take(&mut self.model.calls) {
                    self.record(&view, Outcome::PageClosed, now, &mut actions);
                }
            }
            DeskEvent::Tick => {
                if let Some(ready) = self.model.agent_state.tick(now) {
                    self.model.agent_state = ready;
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
        if reason == NO_MICROPHONE {
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
        };
        history::add(&mut self.model.history, record.clone());
        actions.push(DeskAction::Record(record.clone()));
        actions.push(DeskAction::Tell(AppEvent::Ended(record)));
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
