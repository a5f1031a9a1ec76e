//! What the user agent reports, turned into what the agent sees: calls appearing and ending,
//! registration, presence, and the history.

use leptos::prelude::*;
use sip::agent::{CallEnd, Event, RejectKind};
use sip::registration::RegistrationFailure;

use super::{Softphone, mark};
use crate::agent_state::AgentState;
use crate::credentials::{self, KeptSignIn};
use crate::display_name::{DisplayName, Party};
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
                if matches!(
                    failure,
                    RegistrationFailure::BadCredentials
                        | RegistrationFailure::PasswordNeeded { .. }
                        | RegistrationFailure::KeepsChallenging { stale: false }
                ) {
                    // A kept secret the server refuses (some servers refuse with a fresh
                    // challenge) is worthless: the agent must type the password again, and a
                    // reload must not replay it.
                    credentials::forget();
                }
                ui.registration.set(Registration::Failed(failure_text(&failure, resumed)));
            }
            Event::RegistrationRetry { retry_in } => ui.registration.update(|registration| {
                if let Registration::Failed(reason) = registration {
                    *reason = retry_text(reason, retry_in);
                }
            }),
            Event::ServerProblem(problem) => web_sys::console::warn_1(&format!("SIP server problem: {problem}").into()),
            Event::Stopped => {
                ui.registration.set(Registration::SignedOut);
                self.shut_down();
            }
            Event::Transferring { call, new_call, target, by, dial } => {
                let line = transfer_line(by.as_ref(), &target);
                ui.update_call(call, |view| view.notes.push(line.clone()));
                self.follow_transfer(new_call, target, dial, line);
            }
            Event::TransferRefused { call, by, target, reason } => {
                let line = refused_transfer_line(by.as_ref(), &target, &reason);
                ui.update_call(call, |view| view.notes.push(line));
            }
            Event::TransferResult { succeeded: false, status, .. } => {
                ui.notice.set(Some(format!("The transfer failed ({status}); the call is still yours.")));
            }
            Event::Incoming { call, from, sdp, auto_answer, .. } => {
                let view = CallView::new(call, true, party_text(&from), from.user().to_owned(), CallStage::Incoming);
                // The core decides which calls need no decision: only one that completes a
                // transfer into a call in progress. Every other call rings and may be turned away.
                if !ui.agent_state.with_untracked(AgentState::takes_calls) && !auto_answer {
                    let status = self.0.borrow().agent_settings.not_ready_status;
                    let _ = self.run(|agent, now| agent.reject(now, call, status));
                    self.record(&view, "Not Ready");
                    return;
                }
                self.0.borrow_mut().offers.insert(call, sdp);
                ui.calls.update(|calls| calls.push(view));
                if auto_answer {
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
                let media = self.0.borrow_mut().media.remove(&call);
                if let Some(media) = media {
                    media.close();
                    // A held call that ends may leave none held: the music stops.
                    self.play_music_while_held();
                }
                self.0.borrow_mut().offers.remove(&call);
                let view = ui.calls.with_untracked(|calls| calls.iter().find(|c| c.id == call).cloned());
                ui.calls.update(|calls| calls.retain(|c| c.id != call));
                let party = view.as_ref().map_or_else(|| "Call".to_owned(), |v| v.party.to_string());
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
            party: view.party.to_string(),
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

/// The call view's line for a transfer the other side asked for: who sends the agent where,
/// each name cleaned and isolated (the line mixes them with the widget's own words).
pub(super) fn transfer_line(by: Option<&sip::agent::Party>, target: &sip::agent::Party) -> String {
    let target = party_text(target).isolated();
    match by {
        Some(by) => format!("{} is transferring you to {target}", party_text(by).isolated()),
        None => format!("Transferred to {target}"),
    }
}

/// The call view's line for a transfer the phone refused to follow.
pub(super) fn refused_transfer_line(
    by: Option<&sip::agent::Party>,
    target: &str,
    reason: &sip::agent::ReferRefusal,
) -> String {
    let who = by.map_or_else(|| "The other side".to_owned(), |by| party_text(by).isolated());
    let target = DisplayName::with_limit(target, 120);
    let target = if target.is_empty() { "an unknown target".to_owned() } else { target.isolated() };
    let reason = crate::display_name::clean(&reason.to_string());
    format!("Refused: {who} tried to transfer you to {target} ({reason})")
}

/// What the agent sees of a caller: the name when there is one, and the number or address,
/// both cleaned of control characters and capped (`display_name`).
pub(super) fn party_text(party: &sip::agent::Party) -> Party {
    Party::new(party.display_name.as_deref(), party.user())
}

/// Why registration failed, in the agent's words; `resumed` when the sign-in came from the
/// saved one rather than a password just typed.
pub(super) fn failure_text(failure: &RegistrationFailure, resumed: bool) -> String {
    match failure {
        RegistrationFailure::BadCredentials if resumed => {
            "the server no longer accepts the saved sign-in; enter your password".into()
        }
        RegistrationFailure::BadCredentials => "the username or password is wrong".into(),
        RegistrationFailure::KeepsChallenging { stale: false } if resumed => {
            "the server no longer accepts the saved sign-in; enter your password".into()
        }
        RegistrationFailure::KeepsChallenging { stale: false } => {
            "the server keeps refusing these credentials (check the password)".into()
        }
        RegistrationFailure::KeepsChallenging { stale: true } => {
            "the server keeps refusing the sign-in as expired".into()
        }
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

/// A registration failure the phone retries by itself, with when.
pub(super) fn retry_text(reason: &str, retry_in: u64) -> String {
    format!("{reason}; next try in {} s", retry_in.div_ceil(1000))
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
    use crate::display_name::isolate;

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
    fn transfers_are_shown_with_who_asked_and_where_to() {
        let party = |name: Option<&str>, uri: &str| sip::agent::Party {
            uri: uri.into(),
            display_name: name.map(str::to_owned),
        };
        let by = party(Some("Supervisor"), "sip:1002@framephone.test");
        let target = party(None, "sip:1003@framephone.test");
        let (supervisor, one_o_o_three) = (format!("{} ({})", isolate("Supervisor"), isolate("1002")), isolate("1003"));
        assert_eq!(transfer_line(Some(&by), &target), format!("{supervisor} is transferring you to {one_o_o_three}"));
        assert_eq!(transfer_line(None, &target), format!("Transferred to {one_o_o_three}"));
        let reason = sip::agent::ReferRefusal::Foreign("sip:+19005550199@evil.example".into());
        assert_eq!(
            refused_transfer_line(Some(&by), "sip:+19005550199@evil.example\r\n", &reason),
            format!(
                "Refused: {supervisor} tried to transfer you to {} (the transfer target \
                 sip:+19005550199@evil.example is not in this phone's SIP domain nor among the allowed transfer targets)",
                isolate("sip:+19005550199@evil.example")
            )
        );
        assert!(
            refused_transfer_line(None, "", &sip::agent::ReferRefusal::NotConfirmed)
                .starts_with("Refused: The other side tried to transfer you to an unknown target")
        );
        let hostile = party(Some("Eve\u{202E}<b>x</b>"), "sip:1004@framephone.test");
        assert!(!transfer_line(Some(&hostile), &target).contains('\u{202E}'));
    }

    #[test]
    fn a_server_that_keeps_challenging_is_named_and_the_next_try_announced() {
        let reason = failure_text(&RegistrationFailure::KeepsChallenging { stale: false }, false);
        assert_eq!(reason, "the server keeps refusing these credentials (check the password)");
        assert_eq!(
            retry_text(&reason, 29_001),
            "the server keeps refusing these credentials (check the password); next try in 30 s"
        );
        assert!(failure_text(&RegistrationFailure::KeepsChallenging { stale: true }, false).contains("expired"));
    }

    #[test]
    fn the_agent_is_told_why_a_call_failed_but_not_about_ordinary_hang_ups() {
        assert_eq!(end_text(&CallEnd::HungUpThere), None);
        assert_eq!(end_text(&rejected(RejectKind::NotFound, 404)).as_deref(), Some("number not found"));
        assert_eq!(end_text(&rejected(RejectKind::Other, 503)).as_deref(), Some("failed (503 Reason)"));
        assert_eq!(end_text(&CallEnd::SessionExpired).as_deref(), Some("the call was lost (session expired)"));
    }
}
