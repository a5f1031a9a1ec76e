//! Audio devices: what the browser offers, and the agent's choice of microphone, speaker and
//! ringer, remembered in `localStorage`.

use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaDeviceInfo, MediaDeviceKind};

use crate::browser::local_storage as storage;
use crate::i18n::t_args;

/// Which device a choice is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Role {
    /// Where the agent's voice comes from.
    Microphone,
    /// Where the other party's voice plays (and the call-waiting tone).
    Speaker,
    /// Where the ringtone plays.
    Ringer,
}

impl Role {
    fn key(self) -> &'static str {
        match self {
            Role::Microphone => "framephone.microphone",
            Role::Speaker => "framephone.speaker",
            Role::Ringer => "framephone.ringer",
        }
    }
}

/// A device as a choice list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The browser's id for it.
    pub id: String,
    /// Its name ("Default", "Jabra Evolve 40"…).
    pub label: String,
}

/// The devices the browser offers for `role` (names appear once microphone access was granted).
pub async fn list(role: Role) -> Vec<Device> {
    let Some(devices) = web_sys::window().and_then(|w| w.navigator().media_devices().ok()) else { return vec![] };
    let Ok(request) = devices.enumerate_devices() else { return vec![] };
    let Ok(found) = JsFuture::from(request).await else { return vec![] };
    let wanted = if role == Role::Microphone { MediaDeviceKind::Audioinput } else { MediaDeviceKind::Audiooutput };
    Array::from(&found)
        .iter()
        .filter_map(|d| d.dyn_into::<MediaDeviceInfo>().ok())
        .filter(|d| d.kind() == wanted)
        .enumerate()
        .map(|(i, d)| {
            let label = d.label();
            let label = if label.is_empty() { t_args("session.device", &[("n", &(i + 1).to_string())]) } else { label };
            Device { id: d.device_id(), label }
        })
        .collect()
}

/// The device the agent chose for `role`, if any.
pub fn chosen(role: Role) -> Option<String> {
    storage().and_then(|s| s.get_item(role.key()).ok().flatten()).filter(|id| !id.is_empty())
}

/// Remembers the agent's choice (an empty id means the browser's default).
pub fn choose(role: Role, id: &str) {
    if let Some(storage) = storage() {
        let _ = if id.is_empty() { storage.remove_item(role.key()) } else { storage.set_item(role.key(), id) };
    }
}

/// Plays `audio` through the chosen speaker, where the browser can (`setSinkId`).
pub fn play_through(audio: &web_sys::HtmlAudioElement, id: &str) {
    let Ok(set_sink) = Reflect::get(audio, &"setSinkId".into()).and_then(|f| f.dyn_into::<js_sys::Function>()) else {
        return;
    };
    let _ = set_sink.call1(audio, &JsValue::from_str(id));
}
