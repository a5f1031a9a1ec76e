//! The phone shell: the SIP user agent of `crates/sip` running in the page. It carries the
//! agent's bytes over WebSockets, runs its timers with `setTimeout`, gives every call its own
//! RTCPeerConnection, and turns the agent's events into what the UI shows. Every SIP decision
//! stays in the agent; this module only connects it to the browser.

pub mod devices;
mod media;
pub mod notifications;
mod setup;
mod transport;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use leptos::prelude::*;
use leptos::task::spawn_local;
use sip::Millis;
use sip::agent::{CallEnd, CallRef, Event, FlowId, Output, Package, RejectKind, SubscriptionRef, UserAgent};
use sip::registration::RegistrationFailure;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::MediaStream;

use crate::agent_state::AgentState;
use crate::audio_level::level_between;
use crate::config::{AgentSettings, Config, DtmfMode, IceServer};
use crate::dial_plan::DialPlan;
use crate::dial_string::DialStringError;
use crate::history::{self, CallRecord};
use crate::ui::{CallStage, CallView, PhoneState, Registration};
use media::CallMedia;
pub use media::{AudioStats, MediaError};
use sip::body::PresenceState;
use transport::{Flow, FlowEvent};

/// A signed-in phone. Cloning shares it.
#[derive(Clone)]
pub struct Softphone(Rc<RefCell<Shell>>);

struct Shell {
    agent: UserAgent,
    ui: PhoneState,
    ice_servers: Vec<IceServer>,
    dtmf: DtmfMode,
    dial_plan: DialPlan,
    agent_settings: AgentSettings,
    /// What colleagues were last told, so that it is published once per change.
    published: Option<(PresenceState, String)>,
    flows: HashMap<FlowId, Flow>,
    media: HashMap<CallRef, Rc<CallMedia>>,
    /// Offers of incoming calls, kept until the agent answers.
    offers: HashMap<CallRef, Option<String>>,
    /// Presence subscriptions, by the directory number they watch.
    watched: HashMap<SubscriptionRef, String>,
    microphone: Option<MediaStream>,
    tick: Option<Closure<dyn FnMut()>>,
    /// Stops the agent when the page goes away, so that the registrar and the presence server
    /// do not keep a dead binding and a stale state until they expire.
    on_page_hide: Option<Closure<dyn FnMut()>>,
    timer: Option<i32>,
    /// The once-a-second refresh: its interval handle and callback.
    every_second: Option<(i32, Closure<dyn FnMut()>)>,
}

/// Records a User Timing mark (visible in the browser's performance tools; the benchmarks read
/// them): `framephone:dial`, `framephone:invite`, `framephone:ringing` (the first 180 of a call we
/// placed), `framephone:answer`, `framephone:audio` (a call's first RTP packet),
/// `framephone:sign-in`, `framephone:registered`.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(&format!("framephone:{name}"));
    }
}

/// Milliseconds on the page's monotonic clock.
fn now() -> Millis {
    let millis = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
    Millis(millis as u64)
}

impl Softphone {
    /// Signs `username` in with the configured servers and starts registering.
    pub fn sign_in(config: &Config, username: &str, password: &str, ui: PhoneState) -> Result<Softphone, String> {
        mark("sign-in");
        let agent = setup::agent(config, username, password)?;
        let shell = Shell {
            agent,
            ui,
            ice_servers: config.ice_servers.clone(),
            dtmf: config.sip.dtmf,
            dial_plan: config.dialling.clone(),
            agent_settings: config.agent.clone(),
            published: None,
            flows: HashMap::new(),
            media: HashMap::new(),
            offers: HashMap::new(),
            watched: HashMap::new(),
            microphone: None,
            tick: None,
            on_page_hide: None,
            timer: None,
            every_second: None,
        };
        let phone = Softphone(Rc::new(RefCell::new(shell)));
        phone.start_clocks();
        ui.registration.set(Registration::Connecting);
        phone.run(|agent, now| agent.start(now));
        phone.watch_directory(&config.directory);
        // Ask for the microphone now, so that the first call does not wait for it.
        let warm = phone.clone();
        spawn_local(async move {
            if let Err(error) = warm.microphone().await {
                warm.ui().notice.set(Some(error.to_string()));
            }
        });
        Ok(phone)
    }

    /// Watches every directory contact's presence (the agent subscribes once registered).
    fn watch_directory(&self, contacts: &[crate::config::Contact]) {
        for contact in contacts {
            let Ok(target) = self.sip_target(&contact.number) else { continue };
            if let Ok(subscription) = self.run(|agent, now| agent.subscribe(now, &target, Package::Presence)) {
                self.0.borrow_mut().watched.insert(subscription, contact.number.clone());
            }
        }
    }

    /// Unregisters and closes everything.
    pub fn sign_out(&self) {
        self.run(|agent, now| agent.stop(now));
    }

    fn ui(&self) -> PhoneState {
        self.0.borrow().ui
    }

    /// Runs `command` on the agent, then carries out what it asks.
    fn run<T>(&self, command: impl FnOnce(&mut UserAgent, Millis) -> T) -> T {
        let result = command(&mut self.0.borrow_mut().agent, now());
        self.pump();
        result
    }

    /// Carries out the agent's outputs, then re-arms its timer.
    fn pump(&self) {
        loop {
            let output = self.0.borrow_mut().agent.poll_output();
            let Some(output) = output else { break };
            match output {
                Output::Connect { flow, server } => self.open(flow, &server.address),
                Output::Send { flow, bytes } => {
                    if bytes.starts_with(b"INVITE ") {
                        mark("invite");
                    }
                    if let Some(open) = self.0.borrow().flows.get(&flow) {
                        open.send(&bytes);
                    }
                }
                Output::Close { flow } => {
                    let closed = self.0.borrow_mut().flows.remove(&flow);
                    // Its listeners may be running right now: let them finish first.
                    spawn_local(async move { drop(closed) });
                }
                Output::Event(event) => self.on_event(event),
            }
        }
        self.arm_timer();
    }

    fn open(&self, flow: FlowId, url: &str) {
        let weak: Weak<RefCell<Shell>> = Rc::downgrade(&self.0);
        let report = move |event: FlowEvent| {
            let Some(shell) = weak.upgrade() else { return };
            let phone = Softphone(shell);
            match event {
                FlowEvent::Opened => phone.run(|agent, now| agent.connected(now, flow, None)),
                FlowEvent::Message(bytes) => phone.run(|agent, now| agent.receive(now, flow, &bytes)),
                FlowEvent::Closed => phone.run(|agent, now| agent.closed(now, flow)),
            }
        };
        match Flow::open(url, report) {
            Ok(open) => {
                self.0.borrow_mut().flows.insert(flow, open);
            }
            Err(error) => {
                web_sys::console::warn_1(&format!("{url}: {error}").into());
                let phone = self.clone();
                spawn_local(async move { phone.run(|agent, now| agent.closed(now, flow)) });
            }
        }
    }

    /// One timer callback for the life of the phone, and a once-a-second refresh of call timers
    /// and packet counts.
    fn start_clocks(&self) {
        let weak = Rc::downgrade(&self.0);
        let tick = Closure::<dyn FnMut()>::new(move || {
            if let Some(shell) = weak.upgrade() {
                let phone = Softphone(shell);
                phone.0.borrow_mut().timer = None;
                phone.run(|agent, now| agent.handle_timeout(now));
            }
        });
        let weak = Rc::downgrade(&self.0);
        let every_second = Closure::<dyn FnMut()>::new(move || {
            if let Some(shell) = weak.upgrade() {
                Softphone(shell).refresh_calls();
            }
        });
        let interval = web_sys::window()
            .and_then(|w| {
                w.set_interval_with_callback_and_timeout_and_arguments_0(every_second.as_ref().unchecked_ref(), 1000)
                    .ok()
            })
            .unwrap_or(0);
        let weak = Rc::downgrade(&self.0);
        let on_page_hide = Closure::<dyn FnMut()>::new(move || {
            if let Some(shell) = weak.upgrade() {
                Softphone(shell).sign_out();
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("pagehide", on_page_hide.as_ref().unchecked_ref());
        }
        let mut shell = self.0.borrow_mut();
        shell.tick = Some(tick);
        shell.on_page_hide = Some(on_page_hide);
        shell.every_second = Some((interval, every_second));
    }

    fn arm_timer(&self) {
        let Some(window) = web_sys::window() else { return };
        let mut shell = self.0.borrow_mut();
        if let Some(timer) = shell.timer.take() {
            window.clear_timeout_with_handle(timer);
        }
        let (Some(at), Some(tick)) = (shell.agent.poll_timeout(), shell.tick.as_ref()) else { return };
        let delay = at.0.saturating_sub(now().0).min(i32::MAX as u64) as i32;
        shell.timer =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), delay).ok();
    }

    async fn microphone(&self) -> Result<MediaStream, MediaError> {
        if let Some(stream) = self.0.borrow().microphone.clone() {
            return Ok(stream);
        }
        let stream = media::microphone(devices::chosen(devices::Role::Microphone)).await?;
        self.0.borrow_mut().microphone = Some(stream.clone());
        Ok(stream)
    }

    async fn new_media(&self) -> Result<Rc<CallMedia>, MediaError> {
        let microphone = self.microphone().await?;
        let ice_servers = self.0.borrow().ice_servers.clone();
        Ok(Rc::new(CallMedia::new(&ice_servers, &microphone)?))
    }

    fn media(&self, call: CallRef) -> Option<Rc<CallMedia>> {
        self.0.borrow().media.get(&call).cloned()
    }

    /// What the SIP server is sent for a number as written in a CRM or a directory
    /// ("+1 (555) 010-0199", "1-800-FLOWERS"): the keys, rewritten by the dialling rules.
    fn sip_target(&self, number: &str) -> Result<String, DialStringError> {
        self.0.borrow().dial_plan.target(number)
    }

    /// Calls `number`: media first (the offer leaves as soon as its candidates are in), then
    /// the INVITE.
    pub fn dial(&self, number: String) {
        mark("dial");
        let phone = self.clone();
        spawn_local(async move {
            phone.place_call(number).await;
        });
    }

    /// Media for a new outgoing call, and its offer.
    async fn new_offer(&self) -> Result<(Rc<CallMedia>, String), MediaError> {
        let media = self.new_media().await?;
        match media.offer().await {
            Ok(offer) => Ok((media, offer)),
            Err(error) => {
                media.close();
                Err(error)
            }
        }
    }

    /// Calls `number`; the call shows it as the agent gave it (cleaned), and the INVITE goes to
    /// the dialling rules' rewriting of it.
    async fn place_call(&self, number: String) -> Option<CallRef> {
        let ui = self.ui();
        let target = match self.sip_target(&number) {
            Ok(target) => target,
            Err(error) => {
                ui.notice.set(Some(format!("{number} cannot be dialled: {error}.")));
                return None;
            }
        };
        let shown = crate::dial_string::normalise(&number).unwrap_or_else(|_| number.trim().to_owned());
        let (media, offer) = match self.new_offer().await {
            Ok(prepared) => prepared,
            Err(error) => {
                ui.notice.set(Some(error.to_string()));
                return None;
            }
        };
        let placed = self.0.borrow_mut().agent.call(now(), &target, offer);
        let call = match placed {
            Ok(call) => {
                self.0.borrow_mut().media.insert(call, media);
                let view = CallView::new(call, false, shown.clone(), shown, CallStage::Dialing);
                ui.calls.update(|calls| calls.push(view));
                ui.notice.set(None);
                Some(call)
            }
            Err(error) => {
                media.close();
                ui.notice.set(Some(format!("{number} could not be called: {error}.")));
                None
            }
        };
        self.pump();
        call
    }

    /// Blind transfer: the other party of `call` is sent to `target`; the call ends when the
    /// target answers.
    pub fn transfer(&self, call: CallRef, number: &str) {
        let target = match self.sip_target(number) {
            Ok(target) => target,
            Err(error) => return self.ui().notice.set(Some(format!("{number} cannot be dialled: {error}."))),
        };
        if let Err(error) = self.run(|agent, now| agent.transfer(now, call, &target)) {
            self.ui().notice.set(Some(format!("The transfer could not start: {error}.")));
        }
    }

    /// Attended transfer, first step: `call` goes on hold and `target` is called.
    pub fn consult(&self, call: CallRef, target: String) {
        let phone = self.clone();
        spawn_local(async move {
            let ui = phone.ui();
            if !ui.calls.with_untracked(|calls| calls.iter().any(|c| c.id == call && c.held)) {
                phone.hold(call, true).await;
            }
            if let Some(consultation) = phone.place_call(target).await {
                ui.update_call(call, |view| view.consultation = Some(consultation));
            }
        });
    }

    /// Attended transfer, last step: the held party and the consulted party are connected.
    pub fn complete_transfer(&self, call: CallRef) {
        let consultation =
            self.ui().calls.with_untracked(|calls| calls.iter().find(|c| c.id == call).and_then(|c| c.consultation));
        let Some(consultation) = consultation else { return };
        if let Err(error) = self.run(|agent, now| agent.transfer_attended(now, call, consultation)) {
            self.ui().notice.set(Some(format!("The transfer could not complete: {error}.")));
        }
    }

    /// Answers a ringing call.
    pub fn answer(&self, call: CallRef) {
        mark("answer");
        let phone = self.clone();
        spawn_local(async move {
            let ui = phone.ui();
            // Answering a waiting call holds the one in progress, as desk phones do.
            let talking: Vec<CallRef> = ui.calls.with_untracked(|calls| {
                calls.iter().filter(|c| c.id != call && c.stage == CallStage::Active && !c.held).map(|c| c.id).collect()
            });
            for other in talking {
                phone.hold(other, true).await;
            }
            ui.update_call(call, |view| view.stage = CallStage::Connecting);
            let offer = phone.0.borrow_mut().offers.remove(&call).flatten();
            let media = match phone.new_media().await {
                Ok(media) => media,
                Err(error) => {
                    ui.notice.set(Some(error.to_string()));
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
                    phone.0.borrow_mut().media.insert(call, media);
                }
                Err(error) => {
                    media.close();
                    ui.notice.set(Some(format!("The call could not be answered: {error}")));
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
        let ui = self.ui();
        let muted = !ui.calls.with_untracked(|calls| calls.iter().any(|c| c.id == call && c.muted));
        media.set_muted(muted);
        ui.update_call(call, |view| view.muted = muted);
    }

    /// Puts a call on hold, or resumes it (a new offer: sendonly, or sendrecv again).
    pub fn toggle_hold(&self, call: CallRef) {
        let phone = self.clone();
        spawn_local(async move {
            let held = !phone.ui().calls.with_untracked(|calls| calls.iter().any(|c| c.id == call && c.held));
            phone.hold(call, held).await;
        });
    }

    async fn hold(&self, call: CallRef, held: bool) {
        let Some(media) = self.media(call) else { return };
        let ui = self.ui();
        media.set_direction(held);
        let offered = match media.offer().await {
            Ok(offer) => self.run(|agent, now| agent.reoffer(now, call, offer)).map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        match offered {
            Ok(()) => ui.update_call(call, |view| view.held = held),
            Err(error) => {
                media.set_direction(!held);
                ui.notice.set(Some(format!("Hold failed: {error}")));
            }
        }
    }

    /// Uses another microphone from the next call on (and remembers it).
    pub fn set_microphone(&self, id: &str) {
        devices::choose(devices::Role::Microphone, id);
        if let Some(stream) = self.0.borrow_mut().microphone.take() {
            for track in stream.get_tracks().iter() {
                track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
            }
        }
    }

    /// Plays calls through another speaker, the current ones too (and remembers it).
    pub fn set_speaker(&self, id: &str) {
        devices::choose(devices::Role::Speaker, id);
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
            self.ui().update_call(call, |view| view.keys_sent.push(digit));
        }
    }

    /// The agent chose a state (Ready, Not Ready with a reason).
    pub fn set_agent_state(&self, state: AgentState) {
        self.ui().agent_state.set(state);
        self.publish_presence();
    }

    /// Tells colleagues what changed: on a call, Ready, Not Ready or After Call Work.
    fn publish_presence(&self) {
        let ui = self.ui();
        if ui.registration.get_untracked() != Registration::Registered {
            return;
        }
        let on_call = ui.calls.with_untracked(|calls| calls.iter().any(|c| c.stage != CallStage::Incoming));
        let presence = ui.agent_state.with_untracked(|state| state.presence(on_call));
        if self.0.borrow().published.as_ref() == Some(&presence) {
            return;
        }
        self.0.borrow_mut().published = Some(presence.clone());
        self.run(|agent, now| agent.publish(now, presence.0, Some(&presence.1)));
    }

    fn refresh_calls(&self) {
        let ui = self.ui();
        let now = js_sys::Date::now();
        ui.clock.set(now);
        if let Some(ready) = ui.agent_state.with_untracked(|state| state.tick(now)) {
            self.set_agent_state(ready);
        }
        let media: Vec<(CallRef, Rc<CallMedia>)> = self.0.borrow().media.iter().map(|(c, m)| (*c, m.clone())).collect();
        for (call, media) in media {
            spawn_local(async move {
                let audio = media.stats().await;
                ui.update_call(call, |view| {
                    let levels = (
                        level_between(view.audio.sent, audio.sent),
                        level_between(view.audio.received, audio.received),
                    );
                    (view.audio, view.levels) = (audio, levels);
                });
            });
        }
    }

    fn on_event(&self, event: Event) {
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
            Event::RegistrationFailed(failure) => ui.registration.set(Registration::Failed(failure_text(&failure))),
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

    /// The other side transferred us: call the target at once, as it asked.
    fn follow_transfer(&self, call: CallRef, target: sip::agent::Party) {
        let phone = self.clone();
        spawn_local(async move {
            let ui = phone.ui();
            let (media, offer) = match phone.new_offer().await {
                Ok(prepared) => prepared,
                Err(error) => {
                    ui.notice.set(Some(error.to_string()));
                    let _ = phone.run(|agent, now| agent.hang_up(now, call));
                    return;
                }
            };
            phone.0.borrow_mut().media.insert(call, media);
            let view = CallView::new(call, false, party_text(&target), target.user().to_owned(), CallStage::Dialing);
            ui.calls.update(|calls| calls.push(view));
            let _ = phone.run(|agent, now| agent.send_offer(now, call, offer));
        });
    }

    /// Adds a finished call to the agent's history.
    fn record(&self, view: &CallView, result: &str) {
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

    fn apply_answer(&self, call: CallRef, sdp: String) {
        let Some(media) = self.media(call).filter(|m| m.awaiting_answer()) else { return };
        spawn_local(async move {
            if let Err(error) = media.accept_answer(&sdp).await {
                web_sys::console::warn_1(&error.to_string().into());
            }
        });
    }

    fn answer_offer(&self, call: CallRef, sdp: Option<String>) {
        let Some(media) = self.media(call) else {
            let _ = self.run(|agent, now| agent.refuse_offer(now, call));
            return;
        };
        let phone = self.clone();
        spawn_local(async move {
            let local = media.reply(sdp.as_deref()).await;
            let _ = match local {
                Ok(local) => phone.run(|agent, now| agent.accept_offer(now, call, local)),
                Err(_) => phone.run(|agent, now| agent.refuse_offer(now, call)),
            };
        });
    }

    /// After the agent stopped: media, sockets and clocks go.
    fn shut_down(&self) {
        let mut shell = self.0.borrow_mut();
        for (_, media) in shell.media.drain() {
            media.close();
        }
        if let Some(stream) = shell.microphone.take() {
            for track in stream.get_tracks().iter() {
                track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
            }
        }
        if let Some(window) = web_sys::window() {
            if let Some(timer) = shell.timer.take() {
                window.clear_timeout_with_handle(timer);
            }
            if let Some((interval, _)) = &shell.every_second {
                window.clear_interval_with_handle(*interval);
            }
        }
        let flows: Vec<Flow> = shell.flows.drain().map(|(_, flow)| flow).collect();
        let (tick, every_second, on_page_hide) =
            (shell.tick.take(), shell.every_second.take(), shell.on_page_hide.take());
        if let (Some(window), Some(listener)) = (web_sys::window(), on_page_hide.as_ref()) {
            let _ = window.remove_event_listener_with_callback("pagehide", listener.as_ref().unchecked_ref());
        }
        shell.ui.calls.set(Vec::new());
        drop(shell);
        // Listeners and clocks may be on the stack right now: drop them after it unwinds.
        spawn_local(async move { drop((flows, tick, every_second, on_page_hide)) });
    }
}

/// What the agent sees of a caller: the name when there is one, and the number or address.
fn party_text(party: &sip::agent::Party) -> String {
    match &party.display_name {
        Some(name) if !name.trim().is_empty() => format!("{} ({})", name.trim(), party.user()),
        _ => party.user().to_owned(),
    }
}

fn failure_text(failure: &RegistrationFailure) -> String {
    match failure {
        RegistrationFailure::BadCredentials => "the username or password is wrong".into(),
        RegistrationFailure::Rejected { status, reason } => format!("the server refused: {status} {reason}"),
        RegistrationFailure::UnusableChallenge => {
            "the server asks for an authentication this phone does not support".into()
        }
        RegistrationFailure::Timeout => "the server does not answer".into(),
        RegistrationFailure::Transport => "the connection to the server failed".into(),
    }
}

/// How a call ended, in the history's words.
fn result_text(incoming: bool, answered: bool, reason: &CallEnd) -> &'static str {
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
fn end_text(reason: &CallEnd) -> Option<String> {
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
