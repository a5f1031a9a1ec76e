//! What the user agent reports, handed to the desk: calls appearing and ending, registration,
//! presence; and what only the shell can do about it (media, the kept sign-in).

use leptos::task::spawn_local;
use sip::agent::Event;
use sip::registration::RegistrationFailure;

use super::{Keeping, Softphone};
use crate::browser::mark;
use crate::conversations::Delivery;
use crate::credentials::{self, KeptSignIn};
use crate::desk::{AppEvent, DeskEvent};
use crate::display_name::{DisplayName, Party};
use crate::i18n::{t, t_args};
use crate::ice_restart::LinkEvent;
use crate::model::{CallStage, Session};

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
        match event {
            Event::Disconnected { retry_in } => {
                self.tell_desk(DeskEvent::Session(Session::Reconnecting { retry_in }));
            }
            Event::Registered { .. } => {
                mark("registered");
                self.0.borrow_mut().new_credentials_asked = false;
                self.tell_desk(DeskEvent::Session(Session::Registered));
                // After the page has shown it: a new RTCPeerConnection costs the main thread.
                let phone = self.clone();
                spawn_local(async move {
                    crate::browser::sleep(0).await;
                    phone.keep_connection_ready();
                });
            }
            Event::SecretAccepted { username, ha1 } => {
                // Kept only now that the server accepted it (never once signing out: see above),
                // and never when the service minted it.
                let Keeping { remember, minted, .. } = self.0.borrow().keeping;
                if !minted {
                    credentials::keep(&KeptSignIn::accepted(&username, &ha1), remember);
                }
            }
            Event::RegistrationFailed(failure) => {
                let Keeping { resumed, minted, .. } = self.0.borrow().keeping;
                let reason = failure_text(&failure, resumed);
                let ask_again = minted && refuses_the_agent(&failure) && {
                    let mut shell = self.0.borrow_mut();
                    !std::mem::replace(&mut shell.new_credentials_asked, true)
                };
                if ask_again {
                    // Expired (a computer that slept past the renewal) or a rotated secret: the
                    // service mints new ones, which register at once.
                    self.tell_desk(DeskEvent::Session(Session::Offline(t("session.sign-in.renewing"))));
                    let tell = self.0.borrow().outputs.event.clone();
                    tell(AppEvent::CredentialsRefused);
                } else if refuses_the_agent(&failure) {
                    let reason = if minted { t("session.sign-in.minted-refused") } else { reason };
                    // The agent must type the password again: a kept secret the server refuses
                    // is worthless and a reload must not replay it, and a phone that would
                    // retry the same credentials for ever stops here, completely.
                    credentials::forget();
                    self.stop(Session::Failed(reason));
                } else {
                    self.tell_desk(DeskEvent::Session(Session::Offline(reason)));
                }
            }
            Event::RegistrationRetry { retry_in } => {
                let session = match &self.0.borrow().desk.model().session {
                    Session::Offline(reason) => Some(Session::Offline(retry_text(reason, retry_in))),
                    _ => None,
                };
                if let Some(session) = session {
                    self.tell_desk(DeskEvent::Session(session));
                }
            }
            Event::ServerProblem(problem) => web_sys::console::warn_1(&format!("SIP server problem: {problem}").into()),
            Event::Stopped => self.shut_down(),
            Event::Transferring { call, new_call, target, by, dial } => {
                let line = transfer_line(by.as_ref(), &target);
                self.tell_desk(DeskEvent::Note(call, line.clone()));
                self.follow_transfer(new_call, target, dial, line);
            }
            Event::TransferRefused { call, by, target, reason } => {
                self.tell_desk(DeskEvent::Note(call, refused_transfer_line(by.as_ref(), &target, &reason)));
            }
            Event::TransferResult { succeeded: false, status, .. } => {
                let notice = t_args("session.transfer.failed", &[("status", &status.to_string())]);
                self.tell_desk(DeskEvent::Notice(Some(notice)));
            }
            Event::Incoming { call, from, sdp, auto_answer, referred_by, .. } => {
                // The INVITE has been read: where the screen pop's benchmark starts.
                mark("incoming");
                self.0.borrow_mut().offers.insert(call, sdp);
                let call_id = self.call_id(call);
                self.tell_desk(DeskEvent::Offered {
                    call,
                    call_id,
                    party: party_text(&from),
                    number: from.user().to_owned(),
                    auto_answer,
                    referred_by: referred_by.map(|by| by.user().to_owned()),
                });
                if self.0.borrow().desk.model().call(call).is_none() {
                    // Turned away by the desk.
                    self.0.borrow_mut().offers.remove(&call);
                } else if auto_answer {
                    // The transferred party takes the place of a call in progress: no ringing.
                    self.answer(call);
                }
            }
            Event::Progress { call, status, sdp, .. } => {
                if status >= 180 {
                    let dialing =
                        self.0.borrow().desk.model().call(call).is_some_and(|c| c.stage == CallStage::Dialing);
                    if dialing {
                        mark("ringing");
                    }
                    self.tell_desk(DeskEvent::RingingThere(call));
                }
                if let Some(sdp) = sdp {
                    self.apply_answer(call, sdp);
                }
            }
            Event::Established { call, sdp } => {
                self.tell_desk(DeskEvent::Established(call));
                self.link_event(call, LinkEvent::Established);
                self.prepare_hold_audio();
                if let Some(sdp) = sdp {
                    self.apply_answer(call, sdp);
                }
            }
            Event::OfferAnswered { call, sdp: Some(sdp) } => self.apply_answer(call, sdp),
            Event::OfferRefused { call, status } => {
                let notice = t_args("session.change-refused", &[("status", &status.to_string())]);
                self.tell_desk(DeskEvent::Notice(Some(notice)));
                let held = self.0.borrow().desk.model().call(call).is_some_and(|c| c.held);
                if let Some(media) = self.media(call) {
                    media.set_direction(held);
                }
                self.link_event(call, LinkEvent::Failed);
            }
            Event::RemoteOffer { call, sdp } => self.answer_offer(call, sdp),
            Event::Dtmf { call, digit, .. } => {
                self.tell_desk(DeskEvent::KeyReceived(call, digit));
            }
            Event::Presence { subscription, state, note } => {
                let number = self.0.borrow().watched.get(&subscription).cloned();
                if let Some(number) = number {
                    self.tell_desk(DeskEvent::Presence { number, state, note });
                }
            }
            Event::MessageReceived { from, text } => {
                let name = from.display_name.clone();
                self.tell_desk(DeskEvent::MessageReceived { number: from.user().to_owned(), name, text });
            }
            Event::MessageDelivered { message } => {
                self.tell_desk(DeskEvent::MessageSettled { id: u64::from(message.0), delivery: Delivery::Delivered });
            }
            Event::MessageFailed { message, status, reason } => {
                let delivery = Delivery::Failed(message_failure_text(status, &reason));
                self.tell_desk(DeskEvent::MessageSettled { id: u64::from(message.0), delivery });
            }
            Event::Ended { call, reason } => {
                let media = self.0.borrow_mut().media.remove(&call);
                if let Some(media) = media {
                    media.close();
                    // A held call that ends may leave none held: the music stops.
                    self.play_music_while_held();
                }
                self.0.borrow_mut().offers.remove(&call);
                self.0.borrow_mut().links.remove(&call);
                self.tell_desk(DeskEvent::Ended { call, reason });
            }
            _ => {}
        }
    }

    /// The SIP Call-ID of a call, for its record.
    pub(super) fn call_id(&self, call: sip::agent::CallRef) -> String {
        self.0.borrow().agent.call_id(call).unwrap_or_default().to_owned()
    }
}

/// Whether a registration failure means the server refuses this agent's sign-in (trying again
/// cannot help), rather than the server or the network failing for now.
fn refuses_the_agent(failure: &RegistrationFailure) -> bool {
    matches!(
        failure,
        RegistrationFailure::BadCredentials
            | RegistrationFailure::PasswordNeeded { .. }
            | RegistrationFailure::KeepsChallenging { stale: false }
            | RegistrationFailure::UnusableChallenge
            | RegistrationFailure::Rejected { status: 403 | 404, .. }
    )
}

/// The call view's line for a transfer the other side asked for: who sends the agent where,
/// each name cleaned and isolated (the line mixes them with the widget's own words).
pub(super) fn transfer_line(by: Option<&sip::agent::Party>, target: &sip::agent::Party) -> String {
    let target = party_text(target).isolated();
    match by {
        Some(by) => t_args("session.transfer.by", &[("by", &party_text(by).isolated()), ("target", &target)]),
        None => t_args("session.transfer.to", &[("target", &target)]),
    }
}

/// The call view's line for a transfer the phone refused to follow.
pub(super) fn refused_transfer_line(
    by: Option<&sip::agent::Party>,
    target: &str,
    reason: &sip::agent::ReferRefusal,
) -> String {
    let who = by.map_or_else(|| t("session.transfer.the-other-side"), |by| party_text(by).isolated());
    let target = DisplayName::with_limit(target, 120);
    let target = if target.is_empty() { t("session.transfer.unknown-target") } else { target.isolated() };
    let reason = crate::display_name::clean(&reason.to_string());
    t_args("session.transfer.refused", &[("who", &who), ("target", &target), ("reason", &reason)])
}

/// What the agent sees of a caller: the name when there is one, and the number or address,
/// both cleaned of control characters and capped (`display_name`).
pub(super) fn party_text(party: &sip::agent::Party) -> Party {
    Party::new(party.display_name.as_deref(), party.user())
}

/// Why a message was not delivered, in the agent's words, from the SIP status and reason.
pub(super) fn message_failure_text(status: u16, reason: &str) -> String {
    let why = t(match status {
        0 => return t_args("session.message.not-delivered", &[("reason", reason)]),
        404 | 484 | 604 => "session.message.no-such-number",
        480 | 486 | 600 => "session.message.not-taking",
        403 | 401 | 407 => "session.message.not-allowed",
        408 | 503 | 504 => "session.message.not-through",
        413 => "session.message.too-long",
        415 => "session.message.no-text",
        _ => "session.message.refused",
    });
    let (status, reason) = (status.to_string(), crate::display_name::clean(reason));
    t_args("session.message.not-delivered-why", &[("why", &why), ("status", &status), ("reason", &reason)])
}

/// Why registration failed, in the agent's words; `resumed` when the sign-in came from the
/// saved one rather than a password just typed.
pub(super) fn failure_text(failure: &RegistrationFailure, resumed: bool) -> String {
    match failure {
        RegistrationFailure::BadCredentials if resumed => t("session.sign-in.saved-refused"),
        RegistrationFailure::BadCredentials => t("session.sign-in.wrong-password"),
        RegistrationFailure::KeepsChallenging { stale: false } if resumed => t("session.sign-in.saved-refused"),
        RegistrationFailure::KeepsChallenging { stale: false } => t("session.sign-in.keeps-refusing"),
        RegistrationFailure::KeepsChallenging { stale: true } => t("session.sign-in.keeps-expired"),
        RegistrationFailure::PasswordNeeded { realm, algorithm } => {
            t_args("session.sign-in.password-needed", &[("realm", realm), ("algorithm", algorithm)])
        }
        RegistrationFailure::Rejected { status, reason } => {
            t_args("session.sign-in.server-refused", &[("status", &status.to_string()), ("reason", reason)])
        }
        RegistrationFailure::UnusableChallenge => t("session.sign-in.unusable-challenge"),
        RegistrationFailure::Timeout => t("session.sign-in.no-answer"),
        RegistrationFailure::Transport => t("session.sign-in.connection-failed"),
    }
}

/// A registration failure the phone retries by itself, with when.
pub(super) fn retry_text(reason: &str, retry_in: u64) -> String {
    let seconds = retry_in.div_ceil(1000).to_string();
    t_args("session.sign-in.retry", &[("reason", reason), ("seconds", &seconds)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display_name::isolate;

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
}
