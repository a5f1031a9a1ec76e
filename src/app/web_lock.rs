//! One holder at a time across the tabs of a CRM site: a Web Lock (`navigator.locks`), which the
//! browser keys like the site's storage, so that exactly the tabs sharing an outbox share its
//! lock. Held for the life of the page, or until another tab steals it.

use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Asks for the lock `name` (`steal`: at once, taking it from its holder): `granted` runs once
/// it is held, `lost` when another tab steals it. Without Web Locks (an old browser), it is
/// granted at once.
pub(super) fn hold(name: &str, steal: bool, granted: impl FnOnce() + 'static, lost: impl FnOnce() + 'static) {
    let locks = web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window.navigator(), &"locks".into()).ok())
        .filter(JsValue::is_object);
    let request = locks
        .as_ref()
        .and_then(|locks| js_sys::Reflect::get(locks, &"request".into()).ok())
        .and_then(|request| request.dyn_into::<js_sys::Function>().ok());
    let (Some(locks), Some(request)) = (locks, request) else { return granted() };
    // The lock is held while the promise this returns is pending: for ever.
    let hold_it = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        granted();
        js_sys::Promise::new(&mut |_, _| {}).into()
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"steal".into(), &steal.into());
    let Ok(asked) = request.call3(&locks, &name.into(), &options, &hold_it) else { return };
    let Ok(asked) = asked.dyn_into::<js_sys::Promise>() else { return };
    spawn_local(async move {
        // Settles only when the lock is stolen (AbortError) or the request fails.
        if wasm_bindgen_futures::JsFuture::from(asked).await.is_err() {
            lost();
        }
    });
}
