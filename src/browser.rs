//! Small browser helpers the shells share: storage, describing a thrown value, stopping a
//! stream's tracks, waiting, and User Timing marks.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The page's `localStorage`, when the browser lets the page have it.
pub fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The tab's `sessionStorage`, when the browser lets the page have it.
pub fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

/// A human-readable text for a thrown value or an error payload.
pub fn describe(value: &JsValue) -> String {
    if let Some(text) = value.as_string() {
        return text;
    }
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    js_sys::JSON::stringify(value).map(String::from).unwrap_or_else(|_| "unknown error".into())
}

/// Stops every track of `stream`: the browser's recording indicator goes off.
pub fn stop_tracks(stream: &web_sys::MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<web_sys::MediaStreamTrack>().stop();
    }
}

/// Whether this page is framed (inside a CRM page) rather than a window of its own. `window.top`
/// can be read across origins; a failure to read it counts as framed.
pub fn framed() -> bool {
    let Some(window) = web_sys::window() else { return false };
    !window.top().ok().flatten().is_some_and(|top| js_sys::Object::is(&top, &window))
}

/// Resolves after `millis` milliseconds (`setTimeout`).
pub async fn sleep(millis: i32) {
    wakeable_sleep(millis).1.await;
}

/// A wait of at most `millis` milliseconds that ends at once when its waker (the first value,
/// the promise's `resolve`; always there, since a promise runs its executor at once) is called:
/// for waits that an event may cut short.
pub fn wakeable_sleep(millis: i32) -> (Option<js_sys::Function>, impl std::future::Future<Output = ()>) {
    let mut waker = None;
    let done = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis);
        }
        waker = Some(resolve);
    });
    (waker, async move {
        let _ = wasm_bindgen_futures::JsFuture::from(done).await;
    })
}

/// Records a User Timing mark, replacing the previous one of that name (visible in the
/// browser's performance tools; the benchmarks read them): `framephone:dial`,
/// `framephone:invite`, `framephone:ringing` (the first 180 of a call we placed),
/// `framephone:answer`, `framephone:audio` (a call's first RTP packet), `framephone:sign-in`,
/// `framephone:registered`, `framephone:interactive`.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let name = format!("framephone:{name}");
        // Only the latest of each: the timeline would otherwise keep a few entries per call
        // for the life of the page.
        performance.clear_marks_with_mark_name(&name);
        let _ = performance.mark(&name);
    }
}
