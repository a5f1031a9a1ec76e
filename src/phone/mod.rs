//! The phone shell: the SIP user agent of `crates/sip` running in the page. It carries the
//! agent's bytes over WebSockets, runs its timers with `setTimeout`, gives every call its own
//! RTCPeerConnection, and hands what the agent reports to the desk (`crate::desk`), which keeps
//! the model; the shell publishes the model after each change. Every SIP decision stays in the
//! agent and every contact-center rule in the desk; this module only connects them to the
//! browser. It knows nothing of the components that show the model.

mod calling;
mod events;
mod hold_audio;
mod ice_errors;
mod link;
mod media;
mod messaging;
mod network;
mod presence;
mod setup;
mod socket_ahead;
mod spare;
mod transport;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use leptos::task::spawn_local;
use sip::Millis;
use sip::agent::{CallRef, FlowId, Output, SubscriptionRef, UserAgent};
use sip::auth::AuthCredentials;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::MediaStream;

use crate::browser::{mark, sleep, stop_tracks};
use crate::config::{Config, DtmfMode, IceServer, IceTransportPolicy};
use crate::desk::{AppEvent, Desk, DeskAction, DeskEvent};
use crate::dial_plan::DialPlan;
use crate::ice_gathering::ServerRecord;
use crate::ice_restart::LinkEvent;
use crate::model::{PhoneSnapshot, Session};
use media::CallMedia;
pub use media::{MediaError, MediaStep};
pub use setup::SignInError;
use transport::{Flow, FlowEvent};

/// A signed-in phone. Cloning shares it.
#[derive(Clone)]
pub struct Softphone(Rc<RefCell<Shell>>);

/// Where the phone reports: its model after each change, and what the app must hear of.
#[derive(Clone)]
pub struct PhoneOutputs {
    /// Receives the whole model after each change.
    pub model: Rc<dyn Fn(PhoneSnapshot)>,
    /// Receives calls ringing, answered and ended.
    pub event: Rc<dyn Fn(AppEvent)>,
}

struct Shell {
    agent: UserAgent,
    desk: Desk,
    outputs: PhoneOutputs,
    /// The SIP username, whose history is stored.
    user: String,
    /// The ICE servers of new calls: the configured ones and, with minted credentials, the
    /// service's TURN server.
    ice_servers: Vec<IceServer>,
    configured_ice_servers: Vec<IceServer>,
    /// Minted credentials were refused and new ones asked for: a second refusal stops the phone.
    new_credentials_asked: bool,
    ice_transport_policy: IceTransportPolicy,
    /// Which ICE servers answered in earlier calls: one that stayed silent is not waited for.
    ice_record: Rc<RefCell<ServerRecord>>,
    /// The connection made ahead of the next call (`spare.rs`).
    prepared: Option<media::Prepared>,
    dtmf: DtmfMode,
    dial_plan: DialPlan,
    /// What the model shows once the phone has stopped: signed out, or why the sign-in failed.
    ending: Session,
    flows: HashMap<FlowId, Flow>,
    media: HashMap<CallRef, Rc<CallMedia>>,
    /// Each call's ICE restart policy (`link.rs`).
    links: HashMap<CallRef, crate::ice_restart::LinkPolicy>,
    /// The browser's network events, for the calls' policies.
    network: Option<network::NetworkWatch>,
    /// Offers of incoming calls, kept until the agent answers.
    offers: HashMap<CallRef, Option<String>>,
    /// Presence subscriptions, by the directory number they watch.
    watched: HashMap<SubscriptionRef, String>,
    microphone: Option<MediaStream>,
    /// `media.musicOnHold`: what held parties hear (silence when none).
    music_on_hold: Option<String>,
    /// The track held calls send instead of the microphone, made at the first hold.
    hold_audio: Option<Rc<hold_audio::HoldAudio>>,
    tick: Option<Closure<dyn FnMut()>>,
    /// Stops the agent when the page goes away, so that the registrar and the presence server
    /// do not keep a dead binding and a stale state until they expire.
    on_page_hide: Option<Closure<dyn FnMut()>>,
    timer: Option<i32>,
    /// The once-a-second refresh: its interval handle and callback.
    every_second: Option<(i32, Closure<dyn FnMut()>)>,
    /// How the sign-in is kept once the server accepts it.
    keeping: Keeping,
    /// Sign out (or the page going away) stopped the agent.
    stopping: bool,
    /// Media, sockets and clocks have been released.
    shut: bool,
}

/// Whether and where the sign-in is kept once the server accepts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keeping {
    /// "Remember me on this computer": kept across sessions too (`localStorage`).
    pub remember: bool,
    /// The sign-in came from a kept HA1 (a reload), not from the password just typed.
    pub resumed: bool,
    /// The integration service minted the credentials: nothing is kept, and a refusal asks it
    /// for new ones ([`AppEvent::CredentialsRefused`]) before the phone gives up.
    pub minted: bool,
}

/// How long Sign out waits for the registrar to confirm the unregistration before it closes
/// everything anyway.
const STOP_DEADLINE_MS: i32 = 2_000;

/// What a shell releases: callbacks and sockets to drop once no handler can reach them.
type Released = (
    Vec<Flow>,
    Option<Closure<dyn FnMut()>>,
    Option<(i32, Closure<dyn FnMut()>)>,
    Option<Closure<dyn FnMut()>>,
    Option<network::NetworkWatch>,
);

impl Shell {
    /// Stops every clock and unregisters every handler the page holds for this shell (timers,
    /// the interval, `pagehide`, sockets, peer connections), then hands back the callbacks, to
    /// be dropped only afterwards: a callback the page can still reach must never be dropped,
    /// or its next call throws "closure invoked recursively or after being dropped".
    fn release(&mut self) -> Released {
        self.shut = true;
        if let Some(window) = web_sys::window() {
            if let Some(timer) = self.timer.take() {
                window.clear_timeout_with_handle(timer);
            }
            if let Some((interval, _)) = &self.every_second {
                window.clear_interval_with_handle(*interval);
            }
            if let Some(listener) = self.on_page_hide.as_ref() {
                let _ = window.remove_event_listener_with_callback("pagehide", listener.as_ref().unchecked_ref());
            }
        }
        if let Some(network) = &self.network {
            network.stop();
        }
        self.links.clear();
        for (_, media) in self.media.drain() {
            media.close();
        }
        if let Some(spare) = self.prepared.take() {
            spare.connection.close();
        }
        if let Some(stream) = self.microphone.take() {
            stop_tracks(&stream);
        }
        if let Some(hold_audio) = self.hold_audio.take() {
            hold_audio.close();
        }
        // A flow unregisters its socket's handlers when it is dropped, before its closures go.
        let flows: Vec<Flow> = self.flows.drain().map(|(_, flow)| flow).collect();
        (flows, self.tick.take(), self.every_second.take(), self.on_page_hide.take(), self.network.take())
    }
}

impl Drop for Shell {
    // The last handle went without a shut-down (a new sign-in, the component gone): release in
    // the same order. A callback running right now is dropped when it returns.
    fn drop(&mut self) {
        if !self.shut {
            drop(self.release());
        }
    }
}

/// Milliseconds on the page's monotonic clock.
fn now() -> Millis {
    let millis = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
    Millis(millis as u64)
}

/// How long the model waits for the answer to a request that has just left before it is
/// drawn anyway (`Softphone::publish_soon`): a server nearby answers within it, and the agent
/// sees no wait.
const ANSWER_WAIT_MS: i32 = 50;

/// Opens the WebSocket to the first configured SIP server ahead of a sign-in (unless one is
/// open already), for the sign-in's REGISTER to leave at once.
pub fn connect_ahead(config: &Config) {
    if let Some(url) = config.sip.servers.first() {
        socket_ahead::open(url);
    }
}

/// Takes the WebSocket the page opened for a kept sign-in (`index.html`), if it is to the first
/// SIP server of `config`, for the resumed sign-in's REGISTER to leave at once; else (or with
/// no usable configuration) closes it.
pub async fn take_the_pages_socket(config: Option<&Config>) {
    socket_ahead::take_the_pages(config.and_then(|c| c.sip.servers.first()).map(String::as_str)).await;
}

/// Closes the WebSocket opened ahead of a sign-in, if there is one (the phone runs elsewhere).
pub fn drop_socket_ahead() {
    socket_ahead::discard();
}

impl Softphone {
    /// Signs in with the configured servers and starts registering, with the password just
    /// typed or an HA1 kept from an earlier sign-in; `keeping` says what to keep once the
    /// server accepts it. The model goes to `outputs` from now until the phone has stopped.
    pub fn sign_in(
        config: &Config,
        user: String,
        credentials: AuthCredentials,
        keeping: Keeping,
        outputs: PhoneOutputs,
    ) -> Result<Softphone, SignInError> {
        mark("sign-in");
        let agent = setup::agent(config, &user, credentials)?;
        let history = crate::history::load(&user);
        let conversations = crate::conversations::load(&user);
        let shell = Shell {
            agent,
            desk: Desk::new(
                config.agent.clone(),
                config.crm.clone(),
                &config.directory,
                user.clone(),
                history,
                conversations,
            ),
            outputs,
            user,
            ice_servers: config.ice_servers.clone(),
            configured_ice_servers: config.ice_servers.clone(),
            new_credentials_asked: false,
            ice_transport_policy: config.ice_transport_policy,
            ice_record: Rc::default(),
            prepared: None,
            dtmf: config.sip.dtmf,
            dial_plan: config.dialling.clone(),
            ending: Session::SignedOut,
            flows: HashMap::new(),
            media: HashMap::new(),
            links: HashMap::new(),
            network: None,
            offers: HashMap::new(),
            watched: HashMap::new(),
            microphone: None,
            music_on_hold: config.media.music_on_hold.clone(),
            hold_audio: None,
            tick: None,
            on_page_hide: None,
            timer: None,
            every_second: None,
            keeping,
            stopping: false,
            shut: false,
        };
        let phone = Softphone(Rc::new(RefCell::new(shell)));
        // The WebSocket opens before anything is shown: its handshake runs while the page
        // renders (or, opened ahead of the sign-in, the REGISTER leaves now).
        phone.run(|agent, now| agent.start(now));
        phone.start_clocks();
        if phone.0.borrow().flows.values().any(Flow::is_open) {
            // Its REGISTER has left on a socket opened ahead: nothing is drawn while it and its
            // challenge cross the network.
            phone.publish_soon();
        } else {
            phone.publish();
        }
        phone.watch_directory(&config.directory);
        // The microphone is checked now: a blocked one is found before the first call rings,
        // and keeps the agent Not Ready until it works.
        let warm = phone.clone();
        spawn_local(async move {
            if let Err(error) = warm.microphone().await {
                warm.tell_desk(DeskEvent::MicrophoneFailed(error.to_string()));
            }
        });
        Ok(phone)
    }

    /// Stops the phone for a reason the agent must act on (credentials the service can no
    /// longer renew).
    pub fn give_up(&self, reason: String) {
        self.stop(Session::Failed(reason));
    }

    /// Answers later challenges with `sip` (credentials the service minted anew) and gives new
    /// calls the service's TURN server `turn`.
    pub fn replace_credentials(&self, sip: Option<AuthCredentials>, turn: Option<IceServer>) {
        {
            let mut shell = self.0.borrow_mut();
            shell.ice_servers = shell.configured_ice_servers.iter().cloned().chain(turn).collect();
        }
        if let Some(sip) = sip {
            self.run(|agent, now| agent.replace_credentials(now, sip));
        }
    }

    /// Unregisters and closes everything: at once when the agent stops, else after
    /// [`STOP_DEADLINE_MS`]. The phone stays alive until then even when nobody holds it.
    pub fn sign_out(&self) {
        self.stop(Session::SignedOut);
    }

    /// Stops the agent; once it has stopped, the model shows `ending`.
    fn stop(&self, ending: Session) {
        {
            let mut shell = self.0.borrow_mut();
            if std::mem::replace(&mut shell.stopping, true) {
                return;
            }
            shell.ending = ending;
        }
        self.run(|agent, now| agent.stop(now));
        if self.0.borrow().shut {
            return;
        }
        let phone = self.clone();
        spawn_local(async move {
            sleep(STOP_DEADLINE_MS).await;
            phone.shut_down();
        });
    }

    /// Whether the phone is stopping or has stopped.
    pub fn stopping(&self) -> bool {
        self.0.borrow().stopping
    }

    /// The calls as the agent sees them.
    pub fn calls(&self) -> Vec<crate::model::CallView> {
        self.0.borrow().desk.model().calls.clone()
    }

    /// Shows the model again (the window became the one showing this phone's model).
    pub fn republish(&self) {
        self.publish();
    }

    /// Resolves once everything is closed (after [`sign_out`](Self::sign_out)).
    pub async fn stopped(&self) {
        while !self.has_stopped() {
            sleep(50).await;
        }
    }

    /// Whether everything is closed (after [`sign_out`](Self::sign_out)).
    pub fn has_stopped(&self) -> bool {
        self.0.borrow().shut
    }

    /// Tells the desk what the agent entered or the CRM found (records, wrap-up).
    pub fn tell(&self, event: DeskEvent) {
        self.tell_desk(event);
    }

    /// Tells the desk what happened at this moment, carries out what it asks, and publishes
    /// the model. Hands back the calls to hold, which only answering asks for.
    fn tell_desk(&self, event: DeskEvent) -> Vec<CallRef> {
        let to_hold = self.tell_desk_quietly(event);
        self.publish();
        to_hold
    }

    /// [`tell_desk`](Self::tell_desk) without publishing the model.
    fn tell_desk_quietly(&self, event: DeskEvent) -> Vec<CallRef> {
        let actions = self.0.borrow_mut().desk.on_event(js_sys::Date::now(), event);
        let mut to_hold = Vec::new();
        for action in actions {
            match action {
                DeskAction::Reject { call, status } => {
                    let _ = self.run(|agent, now| agent.reject(now, call, status));
                }
                DeskAction::Hold(call) => to_hold.push(call),
                DeskAction::HangUp(call) => {
                    let _ = self.run(|agent, now| agent.hang_up(now, call));
                }
                DeskAction::Publish(state, note) => self.run(|agent, now| agent.publish(now, state, Some(&note))),
                DeskAction::Record(_) => {
                    let shell = self.0.borrow();
                    crate::history::save(&shell.user, &shell.desk.model().history);
                }
                DeskAction::KeepConversations => {
                    let shell = self.0.borrow();
                    crate::conversations::save(&shell.user, &shell.desk.model().conversations);
                }
                DeskAction::Tell(event) => {
                    let tell = self.0.borrow().outputs.event.clone();
                    tell(event);
                }
            }
        }
        to_hold
    }

    /// Publishes the model in [`ANSWER_WAIT_MS`], unless the phone has stopped by then: for a
    /// request that has just left (a sign-in's REGISTER, a call's INVITE), whose answer would
    /// otherwise wait behind the page drawing the model. The answer publishes it, usually
    /// sooner.
    fn publish_soon(&self) {
        let later = self.clone();
        spawn_local(async move {
            sleep(ANSWER_WAIT_MS).await;
            // A refused sign-in has said so already, and stopped.
            if !later.stopping() {
                later.publish();
            }
        });
    }

    /// Hands the model to whoever shows it.
    fn publish(&self) {
        let (model, show) = {
            let shell = self.0.borrow();
            (shell.desk.model().clone(), shell.outputs.model.clone())
        };
        show(model);
    }

    /// Runs `command` on the agent, then carries out what it asks.
    fn run<T>(&self, command: impl FnOnce(&mut UserAgent, Millis) -> T) -> T {
        let result = command(&mut self.0.borrow_mut().agent, now());
        self.pump();
        result
    }

    /// Carries out the agent's outputs, then re-arms its timer. Of each batch, what goes to
    /// the network goes first: the agent has decided those bytes already, and what its events
    /// set off (the model and its rendering, storage, tones, media) can wait until they are on
    /// the wire.
    fn pump(&self) {
        loop {
            let batch: Vec<Output> = {
                let mut shell = self.0.borrow_mut();
                std::iter::from_fn(|| shell.agent.poll_output()).collect()
            };
            if batch.is_empty() {
                break;
            }
            let (wire, events): (Vec<Output>, Vec<Output>) =
                batch.into_iter().partition(|output| !matches!(output, Output::Event(_)));
            for output in wire.into_iter().chain(events) {
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
                let opened = open.is_open();
                self.0.borrow_mut().flows.insert(flow, open);
                if opened {
                    // Opened ahead of the sign-in: its REGISTER goes now, before the batch's
                    // events (and the rendering they set off) are carried out.
                    self.run(|agent, now| agent.connected(now, flow, None));
                }
            }
            Err(error) => {
                web_sys::console::warn_1(&error.to_string().into());
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
                let phone = Softphone(shell);
                // The calls end with the page: they go into the history as such (stored now,
                // synchronously, while the page still can), not silently.
                if !phone.0.borrow().stopping {
                    phone.tell_desk(DeskEvent::PageClosing);
                }
                phone.sign_out();
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.add_event_listener_with_callback("pagehide", on_page_hide.as_ref().unchecked_ref());
        }
        let weak = Rc::downgrade(&self.0);
        let network = network::NetworkWatch::start(move |change| {
            if let Some(shell) = weak.upgrade() {
                Softphone(shell).network_changed(change);
            }
        });
        let mut shell = self.0.borrow_mut();
        shell.network = Some(network);
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

    fn refresh_calls(&self) {
        if self.0.borrow().stopping {
            return;
        }
        #[cfg(feature = "heap-count")]
        {
            let shell = self.0.borrow();
            crate::heap_count::note_phone(format!(
                "{:?} {:?} media {} offers {} flows {} watched {}",
                shell.agent.stats(),
                shell.agent.describe_pending(),
                shell.media.len(),
                shell.offers.len(),
                shell.flows.len(),
                shell.watched.len()
            ));
        }
        self.tell_desk(DeskEvent::Tick);
        self.keep_connection_ready();
        let media: Vec<(CallRef, Rc<CallMedia>)> = self.0.borrow().media.iter().map(|(c, m)| (*c, m.clone())).collect();
        for (call, media) in media {
            self.report_turn_refusals(&media);
            let phone = self.clone();
            spawn_local(async move {
                let stats = media.stats().await;
                if !phone.0.borrow().stopping {
                    phone.tell_desk(DeskEvent::Audio { call, stats });
                    let reading = LinkEvent::Reading {
                        received: media.received(),
                        silent_ms: media.silent_ms(),
                        expecting: media.expects_audio(),
                    };
                    phone.link_event(call, reading);
                }
            });
        }
    }

    /// Shows the agent a TURN server's refusal among the call's server errors. Read once a
    /// second rather than as the errors come: they come while the description is gathered or
    /// after (`media::CallMedia::take_candidate_errors`), before the desk knows the call, whose
    /// placing clears the notice.
    fn report_turn_refusals(&self, media: &CallMedia) {
        let errors = media.take_candidate_errors();
        if errors.is_empty() {
            return;
        }
        let refusal = {
            let shell = self.0.borrow();
            errors.iter().rev().find_map(|e| crate::turn_refusal::refusal(e, &shell.ice_servers))
        };
        // One notice at a time: the last refusal (each call reports its own again).
        if let Some(refusal) = refusal {
            self.tell_desk(DeskEvent::Notice(Some(refusal.to_string())));
        }
    }

    /// After the agent stopped: media, sockets and clocks go.
    fn shut_down(&self) {
        let mut shell = self.0.borrow_mut();
        if shell.shut {
            return;
        }
        let released = shell.release();
        let last = PhoneSnapshot::session_only(shell.ending.clone(), Some(shell.user.clone()));
        let show = shell.outputs.model.clone();
        drop(shell);
        // The last word: no phone runs any more, and why.
        show(last);
        // Listeners and clocks may be on the stack right now: drop them after it unwinds.
        spawn_local(async move { drop(released) });
    }
}
