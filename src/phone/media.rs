//! WebRTC for one call: the RTCPeerConnection (made ahead of the call, its candidates gathered
//! into its pool), the microphone (or what replaces it while the agent holds the call), offers
//! and answers that leave once the servers worth waiting for have answered
//! (`crate::ice_gathering`), the remote audio element, packet counts from `getStats`, and the
//! servers' errors (`icecandidateerror`, and asked for anew when a TURN server gave the call
//! nothing: `super::ice_errors`), kept for the shell; the ICE connection's state for the
//! restart policy (`crate::ice_restart`), and offers that restart ICE, gathered anew.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlAudioElement, MediaStream, MediaStreamConstraints, MediaStreamTrack, RtcConfiguration, RtcIceGatheringState,
    RtcIceServer, RtcOfferOptions, RtcPeerConnection, RtcRtpSender, RtcRtpTransceiver, RtcRtpTransceiverDirection,
    RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

use crate::audio_level::{AudioStats, EnergyCounters};
use crate::browser::{describe, stop_tracks, wakeable_sleep};
use crate::config::{IceServer, IceTransportPolicy};
use crate::i18n::{t, t_args};
use crate::ice_gathering::{CandidateType, Gathering, ServerRecord};
use crate::ice_restart::IceState;
use crate::turn_refusal::CandidateError;

/// How long a connection made ahead of a call is kept before it is made anew: its pooled
/// server-reflexive candidates name NAT bindings that home routers drop after a few minutes
/// of silence.
const PREPARED_LIFETIME_MS: f64 = 120_000.0;

/// Why media could not be set up, in words for the agent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    /// No `navigator.mediaDevices` (an insecure page, an old browser).
    NoDevices,
    /// The browser or the agent refused the microphone.
    Denied,
    /// No microphone, or not the chosen one.
    NoMicrophone,
    /// Another program holds the microphone.
    InUse,
    /// A step of the browser's media machinery failed.
    Browser {
        /// What was being done.
        step: MediaStep,
        /// What the browser said.
        detail: String,
    },
}

impl std::fmt::Display for MediaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            MediaError::NoDevices => t("session.media.no-devices"),
            MediaError::Denied => t("session.media.denied"),
            MediaError::NoMicrophone => t("session.media.no-microphone"),
            MediaError::InUse => t("session.media.in-use"),
            MediaError::Browser { step, detail } => {
                t_args("session.media.failed", &[("step", &step.label()), ("detail", detail)])
            }
        };
        f.write_str(&text)
    }
}

/// A step of the browser's media machinery, as the agent is told it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaStep {
    /// Asking for the microphone.
    Microphone,
    /// Opening the microphone (a failure the browser does not name).
    OpenMicrophone,
    /// Making the peer connection.
    WebRtc,
    /// Making the element that plays the call.
    Audio,
    /// Making an offer.
    Offer,
    /// Making an answer.
    Answer,
    /// Changing what the call sends.
    AudioSource,
    /// Applying our offer or answer.
    LocalDescription,
    /// Applying the other side's.
    RemoteDescription,
    /// Making the hold track.
    HoldAudio,
}

impl MediaStep {
    /// The step in the agent's words.
    pub fn label(self) -> String {
        t(match self {
            MediaStep::Microphone => "session.media.step.microphone",
            MediaStep::OpenMicrophone => "session.media.step.open-microphone",
            MediaStep::WebRtc => "session.media.step.webrtc",
            MediaStep::Audio => "session.media.step.audio",
            MediaStep::Offer => "session.media.step.offer",
            MediaStep::Answer => "session.media.step.answer",
            MediaStep::AudioSource => "session.media.step.audio-source",
            MediaStep::LocalDescription => "session.media.step.local-description",
            MediaStep::RemoteDescription => "session.media.step.remote-description",
            MediaStep::HoldAudio => "session.media.step.hold-audio",
        })
    }
}

fn failed(step: MediaStep, error: &JsValue) -> MediaError {
    MediaError::Browser { step, detail: describe(error) }
}

/// The microphone (the chosen one, else the default), asked for once and shared by every call.
pub async fn microphone(device: Option<String>) -> Result<MediaStream, MediaError> {
    let devices = web_sys::window().and_then(|w| w.navigator().media_devices().ok()).ok_or(MediaError::NoDevices)?;
    let constraints = MediaStreamConstraints::new();
    match device {
        Some(id) => {
            let exact = js_sys::Object::new();
            let _ = Reflect::set(&exact, &"exact".into(), &id.into());
            let audio = js_sys::Object::new();
            let _ = Reflect::set(&audio, &"deviceId".into(), &exact);
            constraints.set_audio(&audio);
        }
        None => constraints.set_audio_bool(true),
    }
    constraints.set_video_bool(false);
    let request =
        devices.get_user_media_with_constraints(&constraints).map_err(|e| failed(MediaStep::Microphone, &e))?;
    match JsFuture::from(request).await {
        Ok(stream) => Ok(stream.unchecked_into()),
        Err(error) => {
            let name = Reflect::get(&error, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
            Err(match name.as_str() {
                "NotAllowedError" | "SecurityError" => MediaError::Denied,
                "NotFoundError" | "OverconstrainedError" => MediaError::NoMicrophone,
                "NotReadableError" => MediaError::InUse,
                _ => failed(MediaStep::OpenMicrophone, &error),
            })
        }
    }
}

/// A peer connection for the configured ICE servers and policy that gathers its candidates at
/// once, into its pool (`iceCandidatePoolSize` 1), before any offer or answer asks for them.
pub fn connection(ice_servers: &[IceServer], policy: IceTransportPolicy) -> Result<RtcPeerConnection, MediaError> {
    let configuration = configuration(ice_servers, policy);
    // Not in web-sys's RTCConfiguration dictionary.
    let _ = Reflect::set(&configuration, &"iceCandidatePoolSize".into(), &1.into());
    RtcPeerConnection::new_with_configuration(&configuration).map_err(|e| failed(MediaStep::WebRtc, &e))
}

/// `RTCConfiguration` for the configured ICE servers and policy.
pub(super) fn configuration(ice_servers: &[IceServer], policy: IceTransportPolicy) -> RtcConfiguration {
    let configuration = RtcConfiguration::new();
    let servers: Array = ice_servers
        .iter()
        .map(|server| {
            let entry = RtcIceServer::new();
            entry.set_urls(&server.urls.iter().map(|u| JsValue::from_str(u)).collect::<Array>());
            if let Some(username) = &server.username {
                entry.set_username(username);
            }
            if let Some(credential) = &server.credential {
                entry.set_credential(credential);
            }
            JsValue::from(entry)
        })
        .collect();
    configuration.set_ice_servers(&servers);
    configuration.set_ice_transport_policy(match policy {
        IceTransportPolicy::All => web_sys::RtcIceTransportPolicy::All,
        IceTransportPolicy::Relay => web_sys::RtcIceTransportPolicy::Relay,
    });
    configuration
}

/// A connection made ahead of the next call, and when.
pub struct Prepared {
    /// The connection, gathering into its pool.
    pub connection: RtcPeerConnection,
    /// When it was made (ms since the epoch).
    pub made_at: f64,
}

impl Prepared {
    /// Whether its pooled candidates are still worth offering at `now` (ms since the epoch).
    pub fn is_fresh(&self, now: f64) -> bool {
        now - self.made_at < PREPARED_LIFETIME_MS
    }
}

/// What an offer or answer waits for, fed by the connection's ICE events for the call's life
/// (a server that answers late is still written down for the next call).
struct IceWatch {
    gathering: RefCell<Gathering>,
    record: Rc<RefCell<ServerRecord>>,
    /// When the last local description was set (ms since the epoch).
    started: Cell<f64>,
    /// Resolves the wait in progress, so that it looks again at once.
    wake: RefCell<Option<js_sys::Function>>,
    /// The servers' errors since the shell last read them.
    errors: RefCell<Vec<CandidateError>>,
    /// The TURN servers configured, asked anew when they give a call nothing.
    turn_servers: Vec<IceServer>,
    /// The ICE servers and policy, for a restart's gathering.
    servers: Vec<IceServer>,
    relay_only: bool,
    /// Whether they were asked for this call already.
    asked: Cell<bool>,
}

impl IceWatch {
    fn elapsed(&self) -> f64 {
        js_sys::Date::now() - self.started.get()
    }

    /// Writes the news down and lets the waiting description look again.
    fn changed(&self) {
        self.gathering.borrow().record(&mut self.record.borrow_mut());
        if let Some(wake) = self.wake.borrow_mut().take() {
            let _ = wake.call0(&JsValue::NULL);
        }
    }

    /// An ICE restart gathers new candidates from the start, waiting for the servers as a
    /// connection made now would (the pool served the first description only).
    fn gather_anew(&self) {
        let gathering = Gathering::new(&self.servers, self.relay_only, &self.record.borrow(), 0.0);
        *self.gathering.borrow_mut() = gathering;
    }

    fn on_candidate(&self, event: &web_sys::RtcPeerConnectionIceEvent) {
        match event.candidate() {
            Some(candidate) => {
                let text = |target: &JsValue, key: &str| Reflect::get(target, &key.into()).ok()?.as_string();
                let Some(kind) = text(&candidate, "type").as_deref().and_then(CandidateType::parse) else { return };
                // `RTCIceCandidate.url` in current browsers, the event's `url` in older ones.
                let url = text(&candidate, "url").or_else(|| text(event, "url"));
                self.gathering.borrow_mut().candidate(kind, url.as_deref(), self.elapsed());
            }
            // The end-of-candidates event.
            None => self.gathering.borrow_mut().complete(),
        }
        self.changed();
    }

    fn on_candidate_error(&self, event: &JsValue) {
        if let Some(error) = super::ice_errors::candidate_error(event) {
            self.gathering.borrow_mut().error(&error.url);
            self.errors.borrow_mut().push(error);
            self.changed();
        }
    }

    /// Asks the TURN servers that gave this call's gathering nothing why (once a call), in the
    /// background: the description does not wait for it.
    fn ask_silent_turn_servers(self: &Rc<Self>) {
        let silent = !self.gathering.borrow().silent_turn_servers().is_empty();
        if !silent || self.asked.replace(true) {
            return;
        }
        let watch = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let errors = super::ice_errors::ask(&watch.turn_servers).await;
            watch.errors.borrow_mut().extend(errors);
        });
    }
}

/// One call's media.
pub struct CallMedia {
    connection: RtcPeerConnection,
    audio: HtmlAudioElement,
    ice: Rc<IceWatch>,
    _on_candidate: Closure<dyn FnMut(web_sys::RtcPeerConnectionIceEvent)>,
    _on_candidate_error: Closure<dyn FnMut(JsValue)>,
    _on_track: Closure<dyn FnMut(RtcTrackEvent)>,
    _on_unmute: Closure<dyn FnMut()>,
    /// Reports `iceConnectionState` to the phone (`CallMedia::watch_ice`).
    on_ice_state: RefCell<Option<Closure<dyn FnMut()>>>,
    /// A restart offer is being made: hold and resume wait for it.
    restarting: Cell<bool>,
    /// What the connection has received so far, from the last `getStats` reading: payload
    /// bytes and ICE checks of every candidate pair.
    received: Cell<u64>,
    /// How long before that reading the last packet came, when the browser says.
    silent_ms: Cell<Option<f64>>,
    /// The other side's tracks, which call `_on_unmute` until they are told otherwise.
    remote_tracks: std::rc::Rc<std::cell::RefCell<Vec<MediaStreamTrack>>>,
    /// This call's own copy of the microphone (its tracks are clones), so that muting one call
    /// leaves the others alone.
    microphone: MediaStream,
    /// The id of the shared microphone track this call's copy was cloned from: another id means
    /// the agent chose another microphone since.
    microphone_source: RefCell<String>,
    /// The sender of our audio: the microphone, or the hold track while the agent holds the call.
    sender: Option<RtcRtpSender>,
    /// Whether the agent holds this call (set when Hold is pressed, before the re-INVITE).
    held_here: Cell<bool>,
    /// Whether the agent muted this call.
    muted: Cell<bool>,
}

impl CallMedia {
    /// The call's media on `prepared` (made for `ice_servers` and `policy`, ahead of time or
    /// now) with the microphone's audio track; its descriptions wait for the servers as
    /// `record` advises.
    pub fn new(
        prepared: Prepared,
        ice_servers: &[IceServer],
        policy: IceTransportPolicy,
        record: Rc<RefCell<ServerRecord>>,
        microphone: &MediaStream,
    ) -> Result<CallMedia, MediaError> {
        let Prepared { connection, made_at } = prepared;
        let head_start = js_sys::Date::now() - made_at;
        let relay_only = policy == IceTransportPolicy::Relay;
        let gathering = Gathering::new(ice_servers, relay_only, &record.borrow(), head_start);
        let is_turn = |server: &&IceServer| server.urls.iter().any(|u| u.to_ascii_lowercase().starts_with("turn"));
        let ice = Rc::new(IceWatch {
            gathering: RefCell::new(gathering),
            record,
            started: Cell::new(js_sys::Date::now()),
            wake: RefCell::new(None),
            errors: RefCell::new(Vec::new()),
            turn_servers: ice_servers.iter().filter(is_turn).cloned().collect(),
            servers: ice_servers.to_vec(),
            relay_only,
            asked: Cell::new(false),
        });
        let on_candidate = {
            let ice = ice.clone();
            Closure::<dyn FnMut(web_sys::RtcPeerConnectionIceEvent)>::new(
                move |event: web_sys::RtcPeerConnectionIceEvent| ice.on_candidate(&event),
            )
        };
        connection.set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
        let on_candidate_error = {
            let ice = ice.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| ice.on_candidate_error(&event))
        };
        let _ = Reflect::set(&connection, &"onicecandidateerror".into(), on_candidate_error.as_ref());
        // A stream of its own per call, so that muting one call leaves the others alone.
        let source = first_audio_track(microphone).map(|t| t.id()).unwrap_or_default();
        let microphone = MediaStream::clone(microphone);
        let sender = first_audio_track(&microphone).map(|track| connection.add_track_0(&track, &microphone));
        let document = web_sys::window()
            .and_then(|w| w.document())
            .ok_or_else(|| MediaError::Browser { step: MediaStep::Audio, detail: t("session.media.no-document") })?;
        let audio: HtmlAudioElement =
            document.create_element("audio").map_err(|e| failed(MediaStep::Audio, &e))?.unchecked_into();
        audio.set_autoplay(true);
        if let Some(speaker) = crate::devices::chosen(crate::devices::Role::Speaker) {
            crate::devices::play_through(&audio, &speaker);
        }
        let _ = audio.set_attribute("data-call-audio", "");
        if let Some(body) = document.body() {
            let _ = body.append_child(&audio);
        }
        // A remote track is muted until its first RTP packet arrives: the moment the agent can
        // hear the other side (the benchmarks read the mark).
        let on_unmute = Closure::<dyn FnMut()>::new(|| super::mark("audio"));
        let remote_tracks = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let on_track = {
            let audio = audio.clone();
            let remote_tracks = remote_tracks.clone();
            let on_unmute: js_sys::Function = on_unmute.as_ref().clone().unchecked_into();
            Closure::<dyn FnMut(RtcTrackEvent)>::new(move |event: RtcTrackEvent| {
                let track = event.track();
                track.set_onunmute(Some(&on_unmute));
                remote_tracks.borrow_mut().push(track);
                if let Ok(stream) = event.streams().get(0).dyn_into::<MediaStream>() {
                    audio.set_src_object(Some(&stream));
                    let _ = audio.play();
                }
            })
        };
        connection.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
        Ok(CallMedia {
            connection,
            audio,
            ice,
            _on_candidate: on_candidate,
            _on_candidate_error: on_candidate_error,
            _on_track: on_track,
            _on_unmute: on_unmute,
            on_ice_state: RefCell::new(None),
            restarting: Cell::new(false),
            received: Cell::new(0),
            silent_ms: Cell::new(None),
            remote_tracks,
            microphone,
            microphone_source: RefCell::new(source),
            sender,
            held_here: Cell::new(false),
            muted: Cell::new(false),
        })
    }

    /// What the STUN and TURN servers reported since the last call of this method: their
    /// `icecandidateerror` events, and the answers of those asked anew.
    pub fn take_candidate_errors(&self) -> Vec<CandidateError> {
        std::mem::take(&mut *self.ice.errors.borrow_mut())
    }

    /// Our offer (a new call, hold, resume).
    pub async fn offer(&self) -> Result<String, MediaError> {
        let offer = JsFuture::from(self.connection.create_offer()).await.map_err(|e| failed(MediaStep::Offer, &e))?;
        self.set_local(offer).await
    }

    /// Our offer with new ICE credentials (an ICE restart), its candidates gathered anew; the
    /// transceivers keep their direction, so a held call stays held.
    pub async fn restart_offer(&self) -> Result<String, MediaError> {
        self.restarting.set(true);
        let options = RtcOfferOptions::new();
        options.set_ice_restart(true);
        let offer = JsFuture::from(self.connection.create_offer_with_rtc_offer_options(&options)).await;
        let offer = match offer {
            Ok(offer) => self.set_local(offer).await,
            Err(error) => Err(failed(MediaStep::Offer, &error)),
        };
        self.restarting.set(false);
        offer
    }

    /// Whether a restart offer is being made.
    pub fn restarting(&self) -> bool {
        self.restarting.get()
    }

    /// Takes back `offer` when the call could not send it (another offer came first), so that
    /// the connection does not wait for an answer that never comes; an offer set since stays.
    pub async fn withdraw(&self, offer: &str) {
        if self.connection.pending_local_description().is_some_and(|d| d.sdp() == offer) {
            let rollback = RtcSessionDescriptionInit::new(RtcSdpType::Rollback);
            if let Err(error) = JsFuture::from(self.connection.set_local_description(&rollback)).await {
                web_sys::console::warn_1(&format!("Rollback: {}", describe(&error)).into());
            }
        }
    }

    /// The other side's description as applied now.
    pub fn remote_sdp(&self) -> Option<String> {
        self.connection.remote_description().map(|d| d.sdp())
    }

    /// Calls `report` with each new `iceConnectionState` of the call (one reporter at a time).
    pub fn watch_ice(&self, report: impl Fn(IceState) + 'static) {
        let connection = self.connection.clone();
        let on_change = Closure::<dyn FnMut()>::new(move || {
            let state = Reflect::get(&connection, &"iceConnectionState".into()).ok().and_then(|s| s.as_string());
            if let Some(state) = state.as_deref().and_then(IceState::parse) {
                report(state);
            }
        });
        self.connection.set_oniceconnectionstatechange(Some(on_change.as_ref().unchecked_ref()));
        // The old one (if any) is unreachable now, and dropped.
        *self.on_ice_state.borrow_mut() = Some(on_change);
    }

    /// What the connection had received at the last [`CallMedia::stats`] reading (payload bytes
    /// and ICE checks together): a count that grows whenever packets come.
    pub fn received(&self) -> u64 {
        self.received.get()
    }

    /// How long before the last [`CallMedia::stats`] reading the last packet came, when the
    /// browser dates its packets (`lastPacketReceivedTimestamp` of the candidate pairs).
    pub fn silent_ms(&self) -> Option<f64> {
        self.silent_ms.get()
    }

    /// Whether the other side is expected to send audio now: the negotiated direction is
    /// `sendrecv` (not held by us, nor inactive).
    pub fn expects_audio(&self) -> bool {
        self.connection.get_transceivers().iter().any(|transceiver| {
            let direction = Reflect::get(&transceiver, &"currentDirection".into()).ok().and_then(|d| d.as_string());
            direction.as_deref() == Some("sendrecv")
        })
    }

    /// Our answer to the other side's offer.
    pub async fn answer(&self, offer: &str) -> Result<String, MediaError> {
        self.set_remote(RtcSdpType::Offer, offer).await?;
        let answer =
            JsFuture::from(self.connection.create_answer()).await.map_err(|e| failed(MediaStep::Answer, &e))?;
        self.set_local(answer).await
    }

    /// Our SDP for the other side's request: the answer to its offer, or our offer when it sent
    /// none (an INVITE or re-INVITE without SDP).
    pub async fn reply(&self, offer: Option<&str>) -> Result<String, MediaError> {
        match offer {
            Some(offer) => self.answer(offer).await,
            None => self.offer().await,
        }
    }

    /// Applies the other side's answer to our offer.
    pub async fn accept_answer(&self, sdp: &str) -> Result<(), MediaError> {
        self.set_remote(RtcSdpType::Answer, sdp).await
    }

    /// Whether our offer still waits for its answer.
    pub fn awaiting_answer(&self) -> bool {
        self.connection.signaling_state() == web_sys::RtcSignalingState::HaveLocalOffer
    }

    /// Sends or stops sending our audio; receiving goes on (hold is `sendonly` from our side).
    pub fn set_direction(&self, held: bool) {
        let direction = if held { RtcRtpTransceiverDirection::Sendonly } else { RtcRtpTransceiverDirection::Sendrecv };
        for transceiver in self.connection.get_transceivers().iter() {
            transceiver.unchecked_into::<RtcRtpTransceiver>().set_direction(direction);
        }
    }

    /// Silences or restores the microphone for this call only. While the call is held its
    /// sender carries the hold track, so unmuting then reopens nothing to the held party.
    pub fn set_muted(&self, muted: bool) {
        self.muted.set(muted);
        for track in self.microphone.get_audio_tracks().iter() {
            track.unchecked_into::<MediaStreamTrack>().set_enabled(!muted);
        }
    }

    /// Whether the agent holds this call.
    pub fn held_here(&self) -> bool {
        self.held_here.get()
    }

    /// Records that the agent holds (or resumed) this call; what it sends follows through
    /// [`CallMedia::send`].
    pub fn set_held_here(&self, held: bool) {
        self.held_here.set(held);
    }

    /// This call's microphone track, taken anew from `current` (the agent's microphone as chosen
    /// now) when the agent chose another one since the call began; it keeps the call's mute.
    pub fn microphone_track(&self, current: Option<&MediaStream>) -> Option<MediaStreamTrack> {
        let own = first_audio_track(&self.microphone);
        let Some(fresh) = current.and_then(first_audio_track) else { return own };
        if *self.microphone_source.borrow() == fresh.id() && own.as_ref().is_some_and(is_live) {
            return own;
        }
        // JS `MediaStreamTrack.clone()`: a track of this call's own, muted on its own.
        let clone = MediaStreamTrack::clone(&fresh);
        clone.set_enabled(!self.muted.get());
        if let Some(old) = own {
            self.microphone.remove_track(&old);
            old.stop();
        }
        self.microphone.add_track(&clone);
        *self.microphone_source.borrow_mut() = fresh.id();
        Some(clone)
    }

    /// Makes the call send `track` (none: nothing). Replacements take effect in the order they
    /// are asked for (the peer connection chains them), so the last one asked for wins.
    pub async fn send(&self, track: Option<&MediaStreamTrack>) -> Result<(), MediaError> {
        let Some(sender) = &self.sender else { return Ok(()) };
        JsFuture::from(sender.replace_track(track)).await.map(|_| ()).map_err(|e| failed(MediaStep::AudioSource, &e))
    }

    /// Plays the other party through `speaker`.
    pub fn set_speaker(&self, speaker: &str) {
        crate::devices::play_through(&self.audio, speaker);
    }

    /// Plays keypad tones into the call as RTP telephone events (RFC 4733); false when the
    /// connection cannot (the other side did not accept telephone-event).
    pub fn send_tones(&self, tones: &str) -> bool {
        let dtmf = self
            .connection
            .get_senders()
            .iter()
            .filter_map(|sender| sender.unchecked_into::<web_sys::RtcRtpSender>().dtmf())
            // `insertDTMF` throws when it cannot send; web-sys does not catch that, so ask first.
            .find(|dtmf| Reflect::get(dtmf, &"canInsertDTMF".into()).ok().and_then(|v| v.as_bool()) == Some(true));
        dtmf.map(|dtmf| dtmf.insert_dtmf(tones)).is_some()
    }

    /// What `getStats` says of this call's audio so far.
    pub async fn stats(&self) -> AudioStats {
        let mut found = AudioStats::default();
        let Ok(report) = JsFuture::from(self.connection.get_stats()).await else { return found };
        let Ok(Some(entries)) = js_sys::try_iter(&report) else { return found };
        let mut received = 0.0;
        // The newest `lastPacketReceivedTimestamp` of any pair, and the report's own time.
        let (mut last_packet, mut reported) = (None::<f64>, 0.0_f64);
        for entry in entries.flatten() {
            let stats = Array::from(&entry).get(1);
            let text = |key: &str| Reflect::get(&stats, &key.into()).ok().and_then(|v| v.as_string());
            let number = |key: &str| Reflect::get(&stats, &key.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
            if text("type").as_deref() == Some("candidate-pair") {
                // Payload bytes leave out ICE checks; a path is alive when either comes.
                received += number("bytesReceived") + number("requestsReceived") + number("responsesReceived");
                let last = Reflect::get(&stats, &"lastPacketReceivedTimestamp".into()).ok().and_then(|v| v.as_f64());
                if let Some(last) = last {
                    last_packet = Some(last_packet.map_or(last, |newest| newest.max(last)));
                    reported = reported.max(number("timestamp"));
                }
            }
            if text("kind").as_deref() != Some("audio") {
                continue;
            }
            let energy =
                || EnergyCounters { energy: number("totalAudioEnergy"), duration: number("totalSamplesDuration") };
            match text("type").as_deref() {
                Some("outbound-rtp") => found.packets.0 += number("packetsSent") as u64,
                Some("inbound-rtp") => {
                    found.packets.1 += number("packetsReceived") as u64;
                    found.received = energy();
                    let quality = &mut found.quality;
                    quality.packets_received += number("packetsReceived") as u64;
                    quality.packets_lost += number("packetsLost") as i64;
                    quality.jitter_s = quality.jitter_s.max(number("jitter"));
                    quality.concealed_samples += number("concealedSamples") as u64;
                    quality.total_samples += number("totalSamplesReceived") as u64;
                }
                // The far end's receiver report: the round trip is only known from it.
                Some("remote-inbound-rtp") => {
                    let rtt = Reflect::get(&stats, &"roundTripTime".into()).ok().and_then(|v| v.as_f64());
                    if rtt.is_some() {
                        found.quality.round_trip_s = rtt;
                    }
                }
                // The microphone as it enters the call (silent while muted).
                Some("media-source") => found.sent = energy(),
                _ => {}
            }
        }
        self.received.set(received as u64);
        self.silent_ms.set(last_packet.map(|last| (reported - last).max(0.0)));
        found
    }

    async fn set_local(&self, description: JsValue) -> Result<String, MediaError> {
        let sdp = Reflect::get(&description, &"sdp".into()).ok().and_then(|s| s.as_string()).unwrap_or_default();
        let description: RtcSessionDescriptionInit = description.unchecked_into();
        // A later offer or answer (hold, resume) reuses the candidates gathered for the first;
        // one with new ICE credentials (a restart, ours or theirs) gathers anew.
        let previous = self.connection.local_description().map(|d| d.sdp());
        let first = previous.is_none();
        let restart = crate::ice_restart::restarts_ice(previous.as_deref(), &sdp);
        if restart {
            self.ice.gather_anew();
        }
        self.ice.started.set(js_sys::Date::now());
        JsFuture::from(self.connection.set_local_description(&description))
            .await
            .map_err(|e| failed(MediaStep::LocalDescription, &e))?;
        if first || restart {
            self.gathered(first).await;
            self.ice.ask_silent_turn_servers();
        }
        self.connection.local_description().map(|d| d.sdp()).ok_or_else(|| MediaError::Browser {
            step: MediaStep::LocalDescription,
            detail: t("session.media.no-description"),
        })
    }

    async fn set_remote(&self, kind: RtcSdpType, sdp: &str) -> Result<(), MediaError> {
        let description = RtcSessionDescriptionInit::new(kind);
        description.set_sdp(sdp);
        JsFuture::from(self.connection.set_remote_description(&description))
            .await
            .map(|_| ())
            .map_err(|e| failed(MediaStep::RemoteDescription, &e))
    }

    /// Waits until the gathering may leave (`Gathering::leave_at`), looking again at each
    /// candidate, error or the end of gathering. A restart's gathering may still read as the
    /// last one's "complete" at this point: only its own end-of-candidates counts.
    async fn gathered(&self, first: bool) {
        if first && self.connection.ice_gathering_state() == RtcIceGatheringState::Complete {
            self.ice.gathering.borrow_mut().complete();
        }
        loop {
            let left = self.ice.gathering.borrow().leave_at() - self.ice.elapsed();
            if left <= 0.0 {
                break;
            }
            let (wake, wait) = wakeable_sleep(left.ceil() as i32);
            *self.ice.wake.borrow_mut() = wake;
            wait.await;
        }
        self.ice.wake.borrow_mut().take();
        self.ice.changed();
    }

    /// Unregisters every handler the page gave this call's objects, so that none of them can
    /// call a closure of ours once it is dropped.
    fn unregister_handlers(&self) {
        self.connection.set_ontrack(None);
        self.connection.set_onicecandidate(None);
        self.connection.set_oniceconnectionstatechange(None);
        let _ = Reflect::set(&self.connection, &"onicecandidateerror".into(), &JsValue::NULL);
        for track in self.remote_tracks.borrow().iter() {
            track.set_onunmute(None);
        }
    }

    /// Ends the media: the connection closes and the audio element goes away.
    pub fn close(&self) {
        self.unregister_handlers();
        self.connection.close();
        stop_tracks(&self.microphone);
        self.audio.set_src_object(None);
        self.audio.remove();
    }
}

/// The first audio track of `stream`.
fn first_audio_track(stream: &MediaStream) -> Option<MediaStreamTrack> {
    stream.get_audio_tracks().get(0).dyn_into::<MediaStreamTrack>().ok()
}

/// Whether `track` still delivers audio (`readyState` "live", not "ended": a device unplugged).
fn is_live(track: &MediaStreamTrack) -> bool {
    track.ready_state() == web_sys::MediaStreamTrackState::Live
}

impl Drop for CallMedia {
    // The closures are fields: the handlers that point at them go first.
    fn drop(&mut self) {
        self.unregister_handlers();
    }
}
