//! Call control: placing, answering, holding, muting, transferring and ending calls, each
//! call with its own media.

use std::rc::Rc;

use leptos::task::spawn_local;
use sip::agent::{CallRef, MovableCall};
use web_sys::MediaStream;

use super::events::party_text;
use super::hold_audio::HoldAudio;
use super::media::{self, CallMedia, MediaError};
use super::{Softphone, now};
use crate::activity::RecordRef;
use crate::browser::{mark, stop_tracks};
use crate::call_audio::{HoldSources, Outgoing, music_plays, outgoing};
use crate::config::DtmfMode;
use crate::desk::{AppEvent, DeskEvent};
use crate::devices::{self, Role};
use crate::dial_string::DialStringError;
use crate::display_name::Party;
use crate::i18n::t_args;
use crate::ice_restart::{LinkEvent, restarts_ice};
use crate::model::{CallStage, CallView};
use crate::sync::call_move::TAKE_OVER_ANSWER_MS;

/// How long after a call connects its hold track's graph is made (`prepare_hold_audio`):
/// after the call's own first work (media, its first rendering).
const HOLD_AUDIO_AHEAD_MS: i32 = 300;

impl Softphone {
    pub(super) async fn microphone(&self) -> Result<MediaStream, MediaError> {
        if let Some(stream) = self.0.borrow().microphone.clone() {
            return Ok(stream);
        }
        let stream = media::microphone(devices::chosen(Role::Microphone)).await?;
        self.0.borrow_mut().microphone = Some(stream.clone());
        Ok(stream)
    }

    pub(super) async fn new_media(&self) -> Result<Rc<CallMedia>, MediaError> {
        let microphone = self.microphone().await?;
        let connection = self.take_connection()?;
        let (ice_servers, policy, record) = {
            let shell = self.0.borrow();
            (shell.ice_servers.clone(), shell.ice_transport_policy, shell.ice_record.clone())
        };
        Ok(Rc::new(CallMedia::new(connection, &ice_servers, policy, record, &microphone)?))
    }

    pub(super) fn media(&self, call: CallRef) -> Option<Rc<CallMedia>> {
        self.0.borrow().media.get(&call).cloned()
    }

    /// What the SIP server is sent for a number as written in a CRM or a directory
    /// ("+1 (555) 010-0199", "1-800-FLOWERS"): the keys, rewritten by the dialling rules.
    pub(super) fn sip_target(&self, number: &str) -> Result<String, DialStringError> {
        self.0.borrow().dial_plan.target(number)
    }

    /// Calls `number`: media first (the offer leaves as soon as its candidates are in), then
    /// the INVITE.
    pub fn dial(&self, number: String, record: Option<RecordRef>) {
        mark("dial");
        let phone = self.clone();
        spawn_local(async move {
            phone.place_call(number, record).await;
        });
    }

    /// Media for a new outgoing call, and its offer.
    pub(super) async fn new_offer(&self) -> Result<(Rc<CallMedia>, String), MediaError> {
        let media = self.new_media().await?;
        match media.offer().await {
            Ok(offer) => Ok((media, offer)),
            Err(error) => {
                media.close();
                Err(error)
            }
        }
    }

    /// Shows the agent a message.
    fn tell_agent(&self, notice: String) {
        self.tell_desk(DeskEvent::Notice(Some(notice)));
    }

    /// Calls `number`; the call shows it as the agent gave it (cleaned), and the INVITE goes to
    /// the dialling rules' rewriting of it.
    pub(super) async fn place_call(&self, number: String, record: Option<RecordRef>) -> Option<CallRef> {
        let target = match self.sip_target(&number) {
            Ok(target) => target,
            Err(error) => {
                self.tell_agent(cannot_dial(&number, &error.to_string()));
                return None;
            }
        };
        let shown = crate::dial_string::normalise(&number).unwrap_or_else(|_| number.trim().to_owned());
        let (media, offer) = match self.new_offer().await {
            Ok(prepared) => prepared,
            Err(error) => {
                self.tell_agent(error.to_string());
                return None;
            }
        };
        let placed = self.0.borrow_mut().agent.call(now(), &target, offer);
        // The INVITE leaves before the call is shown (a new call has no events yet).
        self.pump();
        match placed {
            Ok(call) => {
                self.add_media(call, media, true);
                let call_id = self.call_id(call);
                let party = Party::new(None, &shown);
                // Drawn with the first answer that changes it (180, 200, a refusal) if that comes
                // within a moment, so that drawing the new call does not hold it back.
                self.tell_desk_quietly(DeskEvent::Placed { call, call_id, party, number: shown, note: None, record });
                self.publish_soon();
                Some(call)
            }
            Err(error) => {
                media.close();
                let error = error.to_string();
                self.tell_agent(t_args("session.call-failed", &[("number", &number), ("error", &error)]));
                None
            }
        }
    }

    /// Blind transfer: the other party of `call` is sent to `target`; the call ends when the
    /// target answers.
    pub fn transfer(&self, call: CallRef, number: &str) {
        let target = match self.sip_target(number) {
            Ok(target) => target,
            Err(error) => return self.tell_agent(cannot_dial(number, &error.to_string())),
        };
        if let Err(error) = self.run(|agent, now| agent.transfer(now, call, &target)) {
            self.tell_agent(t_args("session.transfer.could-not-start", &[("error", &error.to_string())]));
        }
    }

    /// Attended transfer, first step: `call` goes on hold and `target` is called.
    pub fn consult(&self, call: CallRef, target: String) {
        let phone = self.clone();
        spawn_local(async move {
            if !phone.is_held(call) {
                phone.hold(call, true).await;
            }
            if let Some(consultation) = phone.place_call(target, None).await {
                phone.tell_desk(DeskEvent::Consulting { call, consultation });
            }
        });
    }

    /// Attended transfer, last step: the held party and the consulted party are connected.
    pub fn complete_transfer(&self, call: CallRef) {
        let consultation = self.0.borrow().desk.model().call(call).and_then(|c| c.consultation);
        let Some(consultation) = consultation else { return };
        if let Err(error) = self.run(|agent, now| agent.transfer_attended(now, call, consultation)) {
            self.tell_agent(t_args("session.transfer.could-not-complete", &[("error", &error.to_string())]));
        }
    }

    /// Answers a ringing call.
    pub fn answer(&self, call: CallRef) {
        mark("answer");
        let phone = self.clone();
        spawn_local(async move {
            // Only a call still ringing, answered once (a double click, a shortcut).
            let Some(offer) = phone.0.borrow_mut().offers.remove(&call) else { return };
            // Drawn once the 200 OK has left: drawing the call in progress would hold up the
            // answer's description, and the caller's first sound with it.
            for other in phone.tell_desk_quietly(DeskEvent::Answering(call)) {
                phone.hold(other, true).await;
            }
            let media = match phone.new_media().await {
                Ok(media) => media,
                Err(error) => {
                    phone.tell_desk(DeskEvent::MicrophoneFailed(error.to_string()));
                    return phone.run(|agent, now| agent.reject(now, call, 480)).unwrap_or(());
                }
            };
            let sdp = media.reply(offer.as_deref()).await;
            let answered = match sdp {
                Ok(sdp) => phone.run(|agent, now| agent.answer(now, call, sdp)).map_err(|e| e.to_string()),
                Err(error) => {
                    let _ = phone.run(|agent, now| agent.reject(now, call, 488));
                    Err(error.to_string())
                }
            };
            match answered {
                Ok(()) => {
                    phone.add_media(call, media, false);
                    phone.publish();
                }
                Err(error) => {
                    media.close();
                    phone.tell_agent(t_args("session.answer-failed", &[("error", &error)]));
                }
            }
        });
    }

    /// The dialog of a call in progress, for another window of the phone to take it over.
    pub fn movable(&self, call: CallRef) -> Option<MovableCall> {
        self.0.borrow().agent.movable(call)
    }

    /// Takes over a call another window of the phone holds: new media, its hold and mute as
    /// they were there, and an INVITE that replaces the other window's dialog. The call keeps
    /// what the agent saw of it (`view`: its Call-ID, start, record, notes).
    pub fn take_over(&self, dialog: MovableCall, view: CallView) {
        let phone = self.clone();
        spawn_local(async move {
            let failed = |phone: &Softphone, why: String| {
                let tell = phone.0.borrow().outputs.event.clone();
                tell(AppEvent::TookOver { call_id: view.call_id.clone(), result: Err(why) });
            };
            let media = match phone.new_media().await {
                Ok(media) => media,
                Err(error) => return failed(&phone, error.to_string()),
            };
            media.set_held_here(view.held);
            media.set_direction(view.held);
            let offer = match media.offer().await {
                Ok(offer) => offer,
                Err(error) => {
                    media.close();
                    return failed(&phone, error.to_string());
                }
            };
            let taken = phone.run(|agent, now| agent.take_over(now, &dialog, offer));
            match taken {
                Ok(call) => {
                    media.set_muted(view.muted);
                    phone.add_media(call, media.clone(), true);
                    phone.tell_desk(DeskEvent::TakingOver { call, view: Box::new(view) });
                    if media.held_here() {
                        phone.send_what_the_call_needs(&media).await;
                    }
                    // Given up well before the other window stops waiting for word of it. The
                    // call keeps its first answer time, so only its stage says it connected.
                    crate::browser::sleep(TAKE_OVER_ANSWER_MS).await;
                    let unanswered =
                        phone.0.borrow().desk.model().call(call).is_some_and(|c| c.stage != CallStage::Active);
                    if unanswered {
                        phone.hang_up(call);
                    }
                }
                Err(error) => {
                    media.close();
                    failed(&phone, error.to_string());
                }
            }
        });
    }

    /// Declines a ringing call (603).
    pub fn decline(&self, call: CallRef) {
        let _ = self.run(|agent, now| agent.reject(now, call, 603));
    }

    /// Hangs up, cancels or declines, whatever the call's state.
    pub fn hang_up(&self, call: CallRef) {
        let _ = self.run(|agent, now| agent.hang_up(now, call));
    }

    /// Mutes or unmutes the microphone on one call.
    pub fn toggle_mute(&self, call: CallRef) {
        let Some(media) = self.media(call) else { return };
        let muted = !self.0.borrow().desk.model().call(call).is_some_and(|c| c.muted);
        media.set_muted(muted);
        self.tell_desk(DeskEvent::Muted { call, muted });
    }

    /// Puts a call on hold, or resumes it (a new offer: sendonly, or sendrecv again).
    pub fn toggle_hold(&self, call: CallRef) {
        let phone = self.clone();
        spawn_local(async move {
            let held = !phone.is_held(call);
            phone.hold(call, held).await;
        });
    }

    /// Holds or resumes `call`. The microphone leaves a call the moment it is held, before the
    /// re-INVITE, and comes back once the resuming offer has left.
    pub(super) async fn hold(&self, call: CallRef, held: bool) {
        let Some(media) = self.media(call) else { return };
        // An ICE restart's offer being gathered goes first (a second or so at most); the hold's
        // offer then keeps its new credentials.
        for _ in 0..60 {
            if !media.restarting() {
                break;
            }
            crate::browser::sleep(50).await;
        }
        media.set_held_here(held);
        media.set_direction(held);
        if held {
            // The microphone leaves now, and the offer is made meanwhile: the re-INVITE does
            // not wait for the hold track to be in place.
            let (phone, held_media) = (self.clone(), media.clone());
            spawn_local(async move { phone.send_what_the_call_needs(&held_media).await });
        }
        let offered = match media.offer().await {
            Ok(offer) => self.run(|agent, now| agent.reoffer(now, call, offer)).map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match offered {
            Ok(()) => {
                self.tell_desk(DeskEvent::Held { call, held });
            }
            Err(error) => {
                // The call stays as the agent sees it: not held after a failed hold, held after
                // a failed resume.
                media.set_held_here(!held);
                media.set_direction(!held);
                self.tell_agent(t_args("session.hold-failed", &[("error", &error)]));
            }
        }
        if !media.held_here() {
            self.send_what_the_call_needs(&media).await;
        }
    }

    /// Gives the call the audio its hold state asks for (`call_audio::outgoing`): the agent's
    /// microphone as chosen now, or the hold track (silence or music), or nothing.
    async fn send_what_the_call_needs(&self, media: &CallMedia) {
        let held = media.held_here();
        let hold_audio = if held { self.hold_audio() } else { None };
        if let Some(audio) = &hold_audio {
            audio.wake();
        }
        let sources = HoldSources {
            silence: hold_audio.is_some(),
            music: hold_audio.as_ref().is_some_and(|audio| audio.has_music()),
        };
        let track = match outgoing(held, sources) {
            Outgoing::Microphone => {
                let current = self.microphone().await.ok();
                // Held again while the microphone was being opened: that hold decided already.
                if media.held_here() {
                    return;
                }
                media.microphone_track(current.as_ref())
            }
            // The same track for every held call (`Clone` of the handle, not JS `track.clone()`).
            Outgoing::Music | Outgoing::Silence => hold_audio.as_ref().map(|audio| Clone::clone(audio.track())),
            Outgoing::Nothing => None,
        };
        let sent = media.send(track.as_ref()).await;
        if let Err(error) = sent {
            web_sys::console::warn_1(&error.to_string().into());
            if held {
                // The hold track could not be attached: send nothing rather than the voice.
                let _ = media.send(None).await;
            }
        }
        self.play_music_while_held();
    }

    /// Makes the hold track's graph a moment after a call connects, resting until a hold, so
    /// that the first Hold click (a new audio context, several milliseconds) does not hold up
    /// the re-INVITE it sends.
    pub(super) fn prepare_hold_audio(&self) {
        if self.0.borrow().hold_audio.is_some() {
            return;
        }
        let phone = self.clone();
        spawn_local(async move {
            crate::browser::sleep(HOLD_AUDIO_AHEAD_MS).await;
            if phone.stopping() || phone.0.borrow().hold_audio.is_some() {
                return;
            }
            if let Some(audio) = phone.hold_audio()
                && !phone.0.borrow().media.values().any(|media| media.held_here())
            {
                audio.rest();
            }
        });
    }

    /// The hold track's graph, made ahead of the first hold or at it (on a click, so the
    /// browser lets it run).
    fn hold_audio(&self) -> Option<Rc<HoldAudio>> {
        if let Some(audio) = self.0.borrow().hold_audio.clone() {
            return Some(audio);
        }
        let music = self.0.borrow().music_on_hold.clone();
        match HoldAudio::new(music.as_deref()) {
            Ok(audio) => {
                let audio = Rc::new(audio);
                self.0.borrow_mut().hold_audio = Some(audio.clone());
                Some(audio)
            }
            Err(error) => {
                web_sys::console::warn_1(&format!("{error}; held calls send nothing.").into());
                None
            }
        }
    }

    /// Plays the music on hold while some call is held here, and pauses it otherwise.
    pub(super) fn play_music_while_held(&self) {
        let shell = self.0.borrow();
        let Some(audio) = &shell.hold_audio else { return };
        let held = shell.media.values().filter(|media| media.held_here()).count();
        audio.play(music_plays(held));
    }

    /// Whether the agent holds `call`.
    fn is_held(&self, call: CallRef) -> bool {
        self.0.borrow().desk.model().call(call).is_some_and(|c| c.held)
    }

    /// Uses another microphone from the next call on.
    pub fn set_microphone(&self) {
        let stream = self.0.borrow_mut().microphone.take();
        if let Some(stream) = stream {
            stop_tracks(&stream);
        }
    }

    /// Plays calls through another speaker, the current ones too.
    pub fn set_speaker(&self, id: &str) {
        for media in self.0.borrow().media.values() {
            media.set_speaker(id);
        }
    }

    /// Sends a keypad digit on a call: in the audio (RFC 4733) unless the configuration asks for
    /// SIP INFO, or the other side cannot take telephone events.
    pub fn send_digit(&self, call: CallRef, digit: char) {
        let in_audio = self.0.borrow().dtmf == DtmfMode::Rfc4733
            && self.media(call).is_some_and(|media| media.send_tones(&digit.to_string()));
        let sent = in_audio || self.run(|agent, now| agent.send_dtmf(now, call, digit, 160)).is_ok();
        if sent {
            self.tell_desk(DeskEvent::KeySent(call, digit));
        }
    }

    /// The other side transferred us (the core checked where to): the target goes through the
    /// dialling rules like a dialled number, then the call is placed.
    pub(super) fn follow_transfer(&self, call: CallRef, target: sip::agent::Party, dial: Option<String>, line: String) {
        if let Some(number) = dial {
            // The core gives a number only for a telephone number in our own domain; the
            // rewritten target must still be one the core allows.
            let rewritten = self.sip_target(&number).map_err(|e| e.to_string()).and_then(|target| {
                self.run(|agent, now| agent.retarget_transfer(now, call, &target)).map_err(|e| e.to_string())
            });
            if let Err(error) = rewritten {
                let args = [("number", number.as_str()), ("error", error.as_str())];
                self.tell_agent(t_args("session.transfer.cannot-dial", &args));
                let _ = self.run(|agent, now| agent.hang_up(now, call));
                return;
            }
        }
        let phone = self.clone();
        spawn_local(async move {
            let (media, offer) = match phone.new_offer().await {
                Ok(prepared) => prepared,
                Err(error) => {
                    phone.tell_agent(error.to_string());
                    let _ = phone.run(|agent, now| agent.hang_up(now, call));
                    return;
                }
            };
            phone.add_media(call, media, true);
            let call_id = phone.call_id(call);
            let (party, number) = (party_text(&target), target.user().to_owned());
            phone.tell_desk(DeskEvent::Placed { call, call_id, party, number, note: Some(line), record: None });
            let _ = phone.run(|agent, now| agent.send_offer(now, call, offer));
        });
    }

    pub(super) fn apply_answer(&self, call: CallRef, sdp: String) {
        let Some(media) = self.media(call).filter(|m| m.awaiting_answer()) else { return };
        let phone = self.clone();
        spawn_local(async move {
            if let Err(error) = media.accept_answer(&sdp).await {
                web_sys::console::warn_1(&error.to_string().into());
            }
            phone.link_event(call, LinkEvent::Negotiated);
        });
    }

    pub(super) fn answer_offer(&self, call: CallRef, sdp: Option<String>) {
        let Some(media) = self.media(call) else {
            let _ = self.run(|agent, now| agent.refuse_offer(now, call));
            return;
        };
        // The other side restarted ICE: our answer gathers anew (`CallMedia::set_local`), and
        // our own restart, if one was coming, is not needed.
        if let Some(offer) = &sdp
            && restarts_ice(media.remote_sdp().as_deref(), offer)
        {
            self.link_event(call, LinkEvent::RemoteRestart);
        }
        if let Some(offer) = &sdp {
            self.tell_desk(DeskEvent::HeldThere { call, held: crate::remote_hold::holds_us(offer) });
        }
        let phone = self.clone();
        spawn_local(async move {
            let local = media.reply(sdp.as_deref()).await;
            let _ = match local {
                Ok(local) => phone.run(|agent, now| agent.accept_offer(now, call, local)),
                Err(_) => phone.run(|agent, now| agent.refuse_offer(now, call)),
            };
            phone.link_event(call, LinkEvent::Negotiated);
        });
    }
}

/// Why `number` cannot be dialled, for the agent.
fn cannot_dial(number: &str, error: &str) -> String {
    t_args("session.cannot-dial", &[("number", number), ("error", error)])
}
