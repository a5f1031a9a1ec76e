//! How a ringing call sounds: the ringtone on the ringer device, or the call-waiting tone on
//! the speaker during another call, as the model's calls ask (`crate::tones::alert_for`).

use leptos::html::Audio;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, HtmlAudioElement, Url};

use super::state::PhoneState;
use crate::devices::{self, Role};
use crate::i18n::t;
use crate::tones::{Alert, CALL_WAITING, Cadence, RINGTONE, alert_for};

/// A `blob:` URL of the cadence as a WAV file.
fn wav_url(cadence: &Cadence) -> Option<String> {
    let bytes = js_sys::Uint8Array::from(cadence.wav().as_slice());
    let options = BlobPropertyBag::new();
    options.set_type("audio/wav");
    let blob = Blob::new_with_u8_array_sequence_and_options(&js_sys::Array::of1(&bytes), &options).ok()?;
    Url::create_object_url_with_blob(&blob).ok()
}

/// Starts `audio` from the top on the device chosen for `role`; the agent is told when the
/// browser refuses to play it.
fn play(audio: HtmlAudioElement, role: Role, state: PhoneState) {
    devices::play_through(&audio, &devices::chosen(role).unwrap_or_default());
    audio.set_current_time(0.0);
    let Ok(started) = audio.play() else { return };
    spawn_local(async move {
        if JsFuture::from(started).await.is_err() {
            state.view_notice.try_set(Some(t("calls.ringtone-blocked")));
        }
    });
}

/// The two tones (hidden audio elements).
#[component]
pub fn Alerts() -> impl IntoView {
    let state = expect_context::<PhoneState>();
    let ringtone = NodeRef::<Audio>::new();
    let waiting = NodeRef::<Audio>::new();
    // The sounds load once registered, while the agent is looking: Chrome defers loading media
    // in a page that is in the background, and a ringtone is most needed when the agent is
    // elsewhere. Not before: loading them at sign-in delayed the registration by about 20 ms.
    Effect::new(move |loaded: Option<bool>| {
        if loaded == Some(true) || !state.session.with(|s| s.registered()) {
            return loaded.unwrap_or(false);
        }
        // After the registration is on screen: making the WAV files takes a few milliseconds.
        // Gone by then (signed out at once), the elements need none.
        let load = move || {
            for (node, cadence) in [(ringtone, &RINGTONE), (waiting, &CALL_WAITING)] {
                let Some(audio) = node.try_get_untracked().flatten() else { continue };
                if let Some(url) = wav_url(cadence) {
                    let audio: HtmlAudioElement = audio;
                    audio.set_src(&url);
                }
            }
        };
        set_timeout(load, std::time::Duration::ZERO);
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
    on_cleanup(move || {
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
