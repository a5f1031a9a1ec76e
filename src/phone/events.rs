//! What the user agent reports, turned into what the agent sees: calls appearing and ending,
//! registration, presence, and the history.

use leptos::prelude::*;
use sip::agent::{CallEnd, Event, RejectKind};
use sip::registration::RegistrationFailure;

use super::{Softphone, mark};
use crate::agent_state::AgentState;
use crate::credentials::{self, KeptSignIn};
use crate::history::{self, CallRecord};
use crate::ui::{CallStage, CallView, Registration};

impl Softphone {
    pub(super) fn on_event(&self, event: Event) {
        if self.0.borrow().stopping {
            // Signed out: the page's state may already belong to the next sign-in, and the
            // calls the stop ends were cleared with it. Only the shut-down is left to do.
            if event == Event::Stopped {
                self.shut_down();
            }
            return;
        }
        let ui = self.ui();
        match event {
            Event::Connecting { .. } if ui.registration.get_untracked() == Registration::SignedOut => {
                ui.registration.set(Registration::Connecting);
            }
            Event::Disconnected { retry_in } => ui.registration.set(Registration::Reconnecting { retry_in }),
            Event::Registered { .. } => {
                mark("registered");
                ui.registration.set(Registration::Registered);
                self.0.borrow_mut().published = None;
                self.publish_presence();
            }
            Event::SecretAccepted { username, ha1 } => {
                let (keeping, stopping) = {
                    let shell = self.0.borrow();
                    (shell.keeping, shell.stopping)
                };
                // Kept only now that the server accepted it, and never once signing out.
                if !stopping {
                    credentials::keep(&KeptSignIn::accepted(&username, &ha1), keeping.remember);
                }
            }
            Event::RegistrationFailed(failure) => {
                let resumed = self.0.borrow().keeping.resumed;
                if matches!(failure, RegistrationFailure::BadCredentials | RegistrationFailure::PasswordNeeded { .. }) {
                    // A kept secret the server refuses is worthless: the agent must type the
                    // password again, and a reload must not replay it.
                    credentials::forget();
                }
                ui.registration.set(Registration::Failed(failure_text(&failure, resumed)));
            }
            Event::Stopped => {
                ui.registration.set(Registration::SignedOut);
                self.shut_down();
            }
            Event::Transferring { new_call, target, .. } => self.follow_transfer(new_call, target),
            Event::TransferResult { succeeded: false, status, .. } => {
                ui.notice.set(Some(format!("The transfer failed ({status}); the call is still yours.")));
            }
            Event::Incoming { call, from, sdp, replaces, .. } => {
                let view = CallView::new(call, true, party_text(&from), from.user().to_owned(), CallStage::Incoming);
                // An attended transfer's new call replaces one in progress: it needs no decision.
                if !ui.agent_state.with_untracked(AgentState::takes_calls) && replaces.is_none() {
                    let status = self.0.borrow().agent_settings.not_ready_status;
                    let _ = self.run(|agent, now| agent.reject(now, call, status));
                    self.record(&view, "Not Ready");
                    return;
                }
                self.0.borrow_mut().offers.insert(call, sdp);
                ui.calls.update(|calls| calls.push(view));
                if replaces.is_some() {
                    // The transferred party takes the place of a call in progress: no ringing.
                    self.answer(call);
                } else {
                    ui.attention.update(|n| *n += 1);
                }
            }
            Event::Progress { call, status, sdp, .. } => {
                if status >= 180 {
                    if ui
                        .calls
                        .with_untracked(|calls| calls.iter().any(|c| c.id == call && c.stage == CallStage::Dialing))
                    {
                        mark("ringing");
                    }
                    ui.update_call(call, |view| view.stage = CallStage::Ringing);
                }
                if let Some(sdp) = sdp {
                    self.apply_answer(call, sdp);
                }
            }
            Event::Established { call, sdp } => {
                ui.update_call(call, |view| {
                    view.stage = CallStage::Active;
                    view.answered_at = Some(js_sys::Date::now());
                });
                self.publish_presence();
                if let Some(sdp) = sdp {
                    self.apply_answer(call, sdp);
                }
            }
            Event::OfferAnswered { call, sdp: Some(sdp) } => self.apply_answer(call, sdp),
            Event::OfferRefused { call, status } => {
                ui.notice.set(Some(format!("The other side refused the change ({status}).")));
                let held = ui.calls.with_untracked(|calls| calls.iter().any(|c| c.id == call && c.held));
                if let Some(media) = self.media(call) {
                    media.set_direction(held);
                }
            }
            Event::RemoteOffer { call, sdp } => self.answer_offer(call, sdp),
            Event::Dtmf { call, digit, .. } => ui.update_call(call, |view| view.keys_received.push(digit)),
            Event::Presence { subscription, state, note } => {
                let number = self.0.borrow().watched.get(&subscription).cloned();
                if let Some(number) = number {
                    ui.presence.update(|known| {
                        known.insert(number, (state, note));
                    });
                }
            }
            Event::Ended { call, reason } => {
                if let Some(media) = self.0.borrow_mut().media.remove(&call) {
                    media.close();
                }
                self.0.borrow_mut().offers.remove(&call);
                let view = ui.calls.with_untracked(|calls| calls.iter().find(|c| c.id == call).cloned());
                ui.calls.update(|calls| calls.retain(|c| c.id != call));
                let party = view.as_ref().map_or_else(|| "Call".to_owned(), |v| v.party.clone());
                if let Some(text) = end_text(&reason) {
                    ui.notice.set(Some(format!("{party}: {text}.")));
                }
                if let Some(view) = view {
                    let result = result_text(view.incoming, view.answered_at.is_some(), &reason);
                    self.record(&view, result);
                    if view.answered_at.is_some() {
                        let seconds = self.0.borrow().agent_settings.after_call_work_seconds;
                        ui.agent_state.update(|state| *state = state.after_call(seconds, js_sys::Date::now()));
                    }
                }
                self.publish_presence();
            }
            _ => {}
        }
    }

    /// Adds a finished call to the agent's history.
    pub(super) fn record(&self, view: &CallView, result: &str) {
        let ui = self.ui();
        let now = js_sys::Date::now();
        let record = CallRecord {
            incoming: view.incoming,
            party: view.party.clone(),
            number: view.number.clone(),
            started: view.started as u64,
            seconds: view.answered_at.map_or(0, |at| ((now - at) / 1000.0) as u64),
            result: result.to_owned(),
        };
        ui.history.update(|records| history::add(records, record));
        if let Some(user) = ui.user.get_untracked() {
            ui.history.with_untracked(|records| history::save(&user, records));
        }
    }
}

/// What the agent sees of a caller: the name when there is one, and the number or address.
pub(super) fn party_text(party: &sip::agent::Party) -> String {
    match &party.display_name {
        Some(name) if !name.trim().is_empty() => format!("{} ({})", name.trim(), party.user()),
        _ => party.user().to_owned(),
    }
}

/// Why registration failed, in the agent's words; `resumed` when the sign-in came from the
/// saved one rather than a password just typed.
pub(super) fn failure_text(failure: &RegistrationFailure, resumed: bool) -> String {
    match failure {
        RegistrationFailure::BadCredentials if resumed => {
            "the server no longer accepts the saved sign-in; enter your password".into()
        }
        RegistrationFailure::BadCredentials => "the username or password is wrong".into(),
        RegistrationFailure::PasswordNeeded { realm, algorithm } => {
            format!(
                "the server asks for a sign-in the saved one cannot answer ({realm}, {algorithm}); enter your password"
            )
        }
        RegistrationFailure::Rejected { status, reason } => format!("the server refused: {status} {reason}"),
        RegistrationFailure::UnusableChallenge => {
            "the server asks for an authentication this phone does not support".into()
        }
        RegistrationFailure::Timeout => "the server does not answer".into(),
        RegistrationFailure::Transport => "the connection to the server failed".into(),
    }
}

/// How a call ended, in the history's words.
pub(super) fn result_text(incoming: bool, answered: bool, reason: &CallEnd) -> &'static str {
    match (reason, answered, incoming) {
        (CallEnd::Transferred, ..) => "Transferred",
        (_, true, _) => "Answered",
        (CallEnd::AnsweredElsewhere, ..) => "Answered elsewhere",
        (CallEnd::CallerCancelled | CallEnd::Timeout, _, true) => "Missed",
        (CallEnd::HungUpHere, _, true) => "Declined",
        (CallEnd::HungUpHere, _, false) => "Cancelled",
        (CallEnd::Rejected { kind: RejectKind::Busy, .. }, ..) => "Busy",
        (CallEnd::Rejected { kind: RejectKind::Declined, .. }, ..) => "Declined",
        (CallEnd::Rejected { kind: RejectKind::NoAnswer, .. } | CallEnd::Timeout, ..) => "No answer",
        _ => "Failed",
    }
}

/// Why a call ended, when the agent should be told (not after an ordinary hang-up).
pub(super) fn end_text(reason: &CallEnd) -> Option<String> {
    Some(match reason {
        CallEnd::HungUpHere | CallEnd::HungUpThere | CallEnd::Replaced | CallEnd::Transferred => return None,
        CallEnd::CallerCancelled => "missed call".into(),
        CallEnd::AnsweredElsewhere => "answered on another device".into(),
        CallEnd::Rejected { kind, status, reason } => match kind {
            RejectKind::Busy => "busy".into(),
            RejectKind::Declined => "declined".into(),
            RejectKind::NotFound => "number not found".into(),
            RejectKind::Unavailable => "not available".into(),
            RejectKind::NoAnswer => "no answer".into(),
            RejectKind::NotAllowed => "not allowed to call this number".into(),
            RejectKind::MediaRefused => "the other side could not accept the audio".into(),
            RejectKind::Other => format!("failed ({status} {reason})"),
        },
        CallEnd::Timeout => "no answer".into(),
        CallEnd::ConnectionLost => "the connection to the server was lost".into(),
        CallEnd::SessionExpired => "the call was lost (session expired)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(kind: RejectKind, status: u16) -> CallEnd {
        CallEnd::Rejected { status, reason: "Reason".into(), kind }
    }

    #[test]
    fn the_history_says_how_each_call_ended() {
        assert_eq!(result_text(true, true, &CallEnd::HungUpThere), "Answered");
        assert_eq!(result_text(true, false, &CallEnd::CallerCancelled), "Missed");
        assert_eq!(result_text(true, false, &CallEnd::HungUpHere), "Declined");
        assert_eq!(result_text(false, false, &CallEnd::HungUpHere), "Cancelled");
        assert_eq!(result_text(false, false, &rejected(RejectKind::Busy, 486)), "Busy");
        assert_eq!(result_text(false, false, &CallEnd::Timeout), "No answer");
        assert_eq!(result_text(false, true, &CallEnd::Transferred), "Transferred");
        assert_eq!(result_text(false, false, &CallEnd::ConnectionLost), "Failed");
    }

    #[test]
    fn the_agent_is_told_why_a_call_failed_but_not_about_ordinary_hang_ups() {
        assert_eq!(end_text(&CallEnd::HungUpThere), None);
        assert_eq!(end_text(&rejected(RejectKind::NotFound, 404)).as_deref(), Some("number not found"));
        assert_eq!(end_text(&rejected(RejectKind::Other, 503)).as_deref(), Some("failed (503 Reason)"));
        assert_eq!(end_text(&CallEnd::SessionExpired).as_deref(), Some("the call was lost (session expired)"));
    }
}
