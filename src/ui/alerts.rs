//! How a ringing call gets the agent's attention: the ringtone on the ringer device, or the
//! call-waiting tone on the speaker during another call, and a desktop notification while the
//! page is hidden.

use leptos::html::Audio;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAudioElement, Url};

use super::state::{CallStage, PhoneState, Registration};
use crate::phone::devices::{self, Role};
use crate::phone::notifications::{self, Shown};
use crate::tones::{Alert, CALL_WAITING, Cadence, RINGTONE, alert_for};

/// A `blob:` URL of the cadence as a WAV file.
fn wav_url(cadence: &Cadence) -> Option<String> {
    let bytes = js_sys::Uint8Array::from(cadence.wav().as_slice());
    let options = BlobPropertyBag::new();
    options.set_type("audio/wav");
    let blob = Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&bytes), &options).ok()?;
    Url::create_object_url_with_blob(&blob).ok()
}

/// Starts `audio` from the top on the device chosen for `role`.
fn play(audio: HtmlAudioElement, role: Role, state: PhoneState) {
    devices::play_through(&audio, &devices::chosen(role).unwrap_or_default());
    audio.set_current_time(0.0);
    let Ok(started) = audio.play() else { return };
    spawn_local(async move {
        if JsFuture::from(started).await.is_err() {
            state
                .notice
                .set(Some("The browser blocked the ringtone: click once in the phone to allow its sounds.".into()));
        }
    });
}

/// The two tones (hidden audio elements) and the notification of a ringing call.
#[component]
pub fn Alerts() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let ringtone = NodeRef::<Audio>::new();
    let waiting = NodeRef::<Audio>::new();
    // The sounds load once registered, while the agent is looking: Chrome defers loading media
    // in a page that is in the background, and a ringtone is most needed when the agent is
    // elsewhere. Not before: loading them at sign-in delayed the registration by about 20 ms.
    Effect::new(move |loaded: Option<bool>| {
        if loaded == Some(true) || state.registration.get() != Registration::Registered {
            return loaded.unwrap_or(false);
        }
        for (node, cadence) in [(ringtone, &RINGTONE), (waiting, &CALL_WAITING)] {
            if let (Some(audio), Some(url)) = (node.get_untracked(), wav_url(cadence)) {
                let audio: HtmlAudioElement = audio;
                audio.set_src(&url);
            }
        }
        true
    });
    let alert = Memo::new(move |_| state.calls.with(|calls| alert_for(calls.iter().map(|c| c.stage))));
    Effect::new(move |_| {
        let alert = alert.get();
        for (node, sound, role) in
            [(ringtone, Alert::Ringtone, Role::Ringer), (waiting, Alert::CallWaiting, Role::Speaker)]
        {
            let Some(audio) = node.get_untracked() else { continue };
            let audio: HtmlAudioElement = audio;
            if alert == Some(sound) {
                play(audio, role, state);
            } else if !audio.paused() {
                let _ = audio.pause();
            }
        }
    });

    // One notification per ringing call while the page is hidden; gone when the call stops
    // ringing or the page shows again.
    let document = web_sys::window().and_then(|w| w.document());
    let page_hidden = {
        let document = document.clone();
        move || document.as_ref().is_some_and(web_sys::Document::hidden)
    };
    let hidden = RwSignal::new(page_hidden());
    let on_visibility = Closure::<dyn FnMut()>::new(move || hidden.set(page_hidden()));
    if let Some(document) = &document {
        let _ = document.add_event_listener_with_callback("visibilitychange", on_visibility.as_ref().unchecked_ref());
    }
    let shown = StoredValue::new_local(None::<(sip::agent::CallRef, Shown)>);
    Effect::new(move |_| {
        let ringing = state
            .calls
            .with(|calls| calls.iter().find(|c| c.stage == CallStage::Incoming).map(|c| (c.id, c.party.isolated())));
        let wanted = ringing.filter(|_| hidden.get());
        let current = shown.with_value(|s| s.as_ref().map(|(id, _)| *id));
        if current == wanted.as_ref().map(|(id, _)| *id) {
            return;
        }
        shown.set_value(None);
        if let Some((call, party)) = wanted.filter(|_| notifications::enabled()) {
            let tag = format!("framephone-call-{call:?}");
            let bring_forward = move || state.attention.update(|n| *n += 1);
            shown.set_value(notifications::show("Incoming call", &party, &tag, bring_forward).map(|n| (call, n)));
        }
    });

    let listening = StoredValue::new_local((document, on_visibility));
    on_cleanup(move || {
        listening.try_with_value(|(document, listener)| {
            if let Some(document) = document {
                let listener = listener.as_ref().unchecked_ref();
                let _ = document.remove_event_listener_with_callback("visibilitychange", listener);
            }
        });
        shown.try_set_value(None);
        for node in [ringtone, waiting] {
            if let Some(audio) = node.get_untracked() {
                let _ = audio.pause();
                if !audio.src().is_empty() {
                    let _ = Url::revoke_object_url(&audio.src());
                }
            }
        }
    });
    view! {
        <audio node_ref=ringtone data-sound="ringtone" loop=true hidden=true ></audio>
        <audio node_ref=waiting data-sound="call-waiting" loop=true hidden=true ></audio>
    }
}
