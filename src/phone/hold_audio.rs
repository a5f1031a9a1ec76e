//! What held parties hear: one Web Audio graph per phone whose output track takes the
//! microphone's place in every call the agent holds. A constant zero plays into it, so that the
//! track is silent but RTP goes on (the far end's media timers and NAT bindings stay content);
//! with `media.musicOnHold` configured, that file plays into it too, looped, while a call is held.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{AudioContext, HtmlAudioElement, MediaStreamTrack};

use super::media::{MediaError, MediaStep};
use crate::browser::describe;
use crate::i18n::t_args;

/// The hold track and, when configured, the music playing into it.
pub(super) struct HoldAudio {
    context: AudioContext,
    track: MediaStreamTrack,
    music: Option<Music>,
}

struct Music {
    element: HtmlAudioElement,
    _on_error: Closure<dyn FnMut()>,
}

impl HoldAudio {
    /// The graph, with the music at `music` (a path on the widget's origin) when given.
    pub(super) fn new(music: Option<&str>) -> Result<HoldAudio, MediaError> {
        let failed = |error: JsValue| MediaError::Browser { step: MediaStep::HoldAudio, detail: describe(&error) };
        let context = AudioContext::new().map_err(failed)?;
        // Made on a click (Hold, Answer, Consult), so the browser lets it run; asked at every
        // hold anyway ([`HoldAudio::wake`]).
        let destination = context.create_media_stream_destination().map_err(failed)?;
        // A destination with nothing playing into it delivers no audio at all, and the sender
        // then sends no packets: a steady zero keeps the silence flowing.
        let silence = context.create_constant_source().map_err(failed)?;
        silence.offset().set_value(0.0);
        silence.connect_with_audio_node(&destination).map_err(failed)?;
        silence.start().map_err(failed)?;
        let track = destination.stream().get_audio_tracks().get(0).dyn_into::<MediaStreamTrack>().map_err(|_| {
            MediaError::Browser {
                step: MediaStep::HoldAudio,
                detail: t_args("session.media.no-track", &[("api", "Web Audio")]),
            }
        })?;
        let music = music.and_then(|path| {
            let music = Music::new(path)?;
            let connected = context
                .create_media_element_source(&music.element)
                .and_then(|source| source.connect_with_audio_node(&destination));
            match connected {
                Ok(_) => Some(music),
                Err(error) => {
                    warn(&format!("Music on hold: {}; held parties hear silence.", describe(&error)));
                    None
                }
            }
        });
        Ok(HoldAudio { context, track, music })
    }

    /// Asks the browser to run the graph: one made without a click (a call answered by
    /// itself holding another) starts suspended, and a suspended graph sends no packets (never
    /// the microphone either) until a later hold wakes it.
    pub(super) fn wake(&self) {
        if let Ok(resumed) = self.context.resume() {
            settle(resumed);
        }
    }

    /// Lets the graph rest (made ahead of the first hold, with no call held): a suspended
    /// graph costs the audio thread nothing, and [`wake`](Self::wake) runs it again.
    pub(super) fn rest(&self) {
        if let Ok(suspended) = self.context.suspend() {
            settle(suspended);
        }
    }

    /// The track a held call sends.
    pub(super) fn track(&self) -> &MediaStreamTrack {
        &self.track
    }

    /// Whether music plays into the track (otherwise it is silent).
    pub(super) fn has_music(&self) -> bool {
        self.music.is_some()
    }

    /// Plays the music while some call is held, pauses it otherwise.
    pub(super) fn play(&self, playing: bool) {
        let Some(music) = &self.music else { return };
        if playing && music.element.paused() {
            if let Ok(started) = music.element.play() {
                settle(started);
            }
        } else if !playing && !music.element.paused() {
            let _ = music.element.pause();
        }
    }

    /// Stops everything (at sign-out).
    pub(super) fn close(&self) {
        if let Some(music) = &self.music {
            let _ = music.element.pause();
            music.element.set_onerror(None);
            let _ = music.element.remove_attribute("src");
        }
        self.track.stop();
        let _ = self.context.close();
    }
}

impl Music {
    /// The looping player of `path`, resolved against the page; none when it would leave the
    /// widget's origin (the configuration refuses such values already: this is the last guard).
    fn new(path: &str) -> Option<Music> {
        let location = web_sys::window()?.location();
        let page = location.href().ok()?;
        let url = web_sys::Url::new_with_base(path, &page).ok()?;
        if Some(url.origin()) != location.origin().ok() {
            warn(&format!("Music on hold: {path} is not on the widget's origin; held parties hear silence."));
            return None;
        }
        let href = url.href();
        let element = HtmlAudioElement::new_with_src(&href).ok()?;
        element.set_loop(true);
        element.set_preload("auto");
        let on_error = Closure::<dyn FnMut()>::new(move || {
            warn(&format!("Music on hold: {href} could not be played; held parties hear silence."));
        });
        element.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Music { element, _on_error: on_error })
    }
}

/// Waits for `promise` out of line, so that a refusal (the browser's autoplay policy) is not
/// reported as an uncaught error; a refused graph or music stays silent.
fn settle(promise: js_sys::Promise) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    });
}

fn warn(text: &str) {
    web_sys::console::warn_1(&text.into());
}
