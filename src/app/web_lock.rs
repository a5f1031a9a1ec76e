//! One holder at a time across the tabs of a CRM site: a Web Lock (`navigator.locks`), which the
//! browser keys like the site's storage (and its `BroadcastChannel`s), so that exactly the tabs
//! sharing an outbox share its lock. Held for the life of the page, until another tab steals
//! it, or until released; the browser releases a page's locks when the page goes.

use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Asks for the lock `name` (`steal`: at once, taking it from its holder): `granted` runs once
/// it is held, `lost` when another tab steals it. Without Web Locks (an old browser), it is
/// granted at once.
pub(super) fn hold(name: &str, steal: bool, granted: impl FnOnce() + 'static, lost: impl FnOnce() + 'static) {
    let Some((locks, request)) = lock_manager() else { return granted() };
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

/// A lock held here until [`Held::release`].
pub(super) struct Held(js_sys::Function);

impl Held {
    /// Lets the lock go.
    pub(super) fn release(self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

/// Asks for the lock `name`, only if nobody holds it (`if_available`) or once it is free:
/// `answer` gets it, or none when another page holds it, the request fails, or the browser has
/// no Web Locks.
pub(super) fn try_hold(name: &str, if_available: bool, answer: impl FnOnce(Option<Held>) + 'static) {
    let Some((locks, request)) = lock_manager() else { return answer(None) };
    let answer = std::rc::Rc::new(std::cell::RefCell::new(Some(answer)));
    let give = answer.clone();
    // The lock is held while the promise this returns is pending: until `Held::release`.
    let hold_it = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let Some(answer) = give.borrow_mut().take() else { return JsValue::UNDEFINED };
        if lock.is_null() {
            answer(None);
            return JsValue::UNDEFINED;
        }
        let mut release = None;
        let pending = js_sys::Promise::new(&mut |resolve, _| release = Some(resolve));
        answer(release.map(Held));
        pending.into()
    });
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &if_available.into());
    let asked =
        request.call3(&locks, &name.into(), &options, &hold_it).ok().and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    let Some(asked) = asked else {
        if let Some(answer) = answer.borrow_mut().take() {
            answer(None);
        }
        return;
    };
    spawn_local(async move {
        // A refused request never calls back.
        if wasm_bindgen_futures::JsFuture::from(asked).await.is_err()
            && let Some(answer) = answer.borrow_mut().take()
        {
            answer(None);
        }
    });
}

/// `navigator.locks` and its `request`, where the browser has them.
fn lock_manager() -> Option<(JsValue, js_sys::Function)> {
    let locks = web_sys::window()
        .and_then(|window| js_sys::Reflect::get(&window.navigator(), &"locks".into()).ok())
        .filter(JsValue::is_object)?;
    let request = js_sys::Reflect::get(&locks, &"request".into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
    Some((locks, request))
}
