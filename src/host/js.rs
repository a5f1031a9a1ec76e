//! The small JavaScript plumbing the host back-ends share: loading a script, finding a global
//! API, calling a method, and turning a host callback into a future with a deadline.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::HostError;
use crate::i18n::t;

/// How long a host method may take before the phone stops waiting.
pub(super) const CALL_TIMEOUT_MS: u32 = 5_000;

/// Adds `<script src=url>` to the page and waits until it has run.
pub(super) async fn load_script(url: &str) -> Result<(), HostError> {
    let failed = || HostError::ScriptLoad { url: url.to_owned() };
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(failed)?;
    let script: web_sys::HtmlScriptElement = document.create_element("script").map_err(|_| failed())?.unchecked_into();
    let loaded = Promise::new(&mut |resolve, reject| {
        script.set_onload(Some(&resolve));
        script.set_onerror(Some(&reject));
    });
    script.set_src(url);
    let head = document.head().ok_or_else(failed)?;
    head.append_child(&script).map_err(|_| failed())?;
    JsFuture::from(loaded).await.map_err(|_| failed())?;
    Ok(())
}

/// `window.a.b.c` for `path = ["a", "b", "c"]`, if every step is an object.
pub(super) fn global(path: &[&str]) -> Option<Object> {
    let mut value: JsValue = js_sys::global().into();
    for name in path {
        value = Reflect::get(&value, &JsValue::from_str(name)).ok()?;
        if !value.is_object() {
            return None;
        }
    }
    value.dyn_into().ok()
}

/// Calls `target[name](...args)`, turning a throw into [`HostError::Call`].
pub(super) fn call(target: &Object, method: &'static str, args: &[JsValue]) -> Result<JsValue, HostError> {
    let name = method.rsplit('.').next().unwrap_or(method);
    let function: Function = Reflect::get(target, &JsValue::from_str(name))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| HostError::Call { method, message: t("crm.host.no-such-method") })?;
    let args: Array = args.iter().collect();
    function.apply(target, &args).map_err(|e| HostError::Call { method, message: describe(&e) })
}

/// Runs `start` with a `resolve` and a `reject` function and waits for either, or for
/// `timeout_ms`. This is how every callback-style host method becomes a future.
pub(super) async fn callback(
    method: &'static str,
    timeout_ms: u32,
    start: impl FnOnce(&Function, &Function) -> Result<JsValue, HostError>,
) -> Result<JsValue, HostError> {
    let mut started = Ok(JsValue::UNDEFINED);
    let mut start = Some(start);
    let answer = Promise::new(&mut |resolve, reject| {
        if let Some(start) = start.take() {
            started = start(&resolve, &reject);
        }
    });
    started?;
    let timed_out = Object::new();
    let timer = {
        let timed_out = timed_out.clone();
        Promise::new(&mut |resolve, _| {
            let timed_out = timed_out.clone();
            let fire = Closure::once_into_js(move || {
                let _ = resolve.call1(&JsValue::UNDEFINED, &timed_out);
            });
            if let Some(window) = web_sys::window() {
                let _ = window
                    .set_timeout_with_callback_and_timeout_and_arguments_0(fire.unchecked_ref(), timeout_ms as i32);
            }
        })
    };
    let race = Promise::race(&Array::of2(&answer, &timer));
    match JsFuture::from(race).await {
        Ok(value) if Object::is(&value, &timed_out) => Err(HostError::Timeout { method, millis: timeout_ms }),
        Ok(value) => Ok(value),
        Err(error) => Err(HostError::Call { method, message: describe(&error) }),
    }
}

/// A plain object `{key: value, ...}`.
pub(super) fn object(entries: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object
}

/// Reads `value[key]`.
pub(crate) fn field(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(crate) use crate::browser::describe;

/// Keeps a listener alive for the life of the page and hands it to JavaScript.
pub(super) fn listener<T: wasm_bindgen::convert::FromWasmAbi + 'static>(f: impl Fn(T) + 'static) -> JsValue {
    Closure::<dyn Fn(T)>::new(f).into_js_value()
}

/// A JSON value as the plain JavaScript object, array or primitive a host API expects (maps
/// become objects, never `Map`s).
pub(super) fn from_json(value: &serde_json::Value) -> JsValue {
    use serde::Serialize;
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// A host's answer as JSON (functions and `undefined` dropped); `Null` for what cannot be read.
pub(super) fn to_json(value: &JsValue) -> serde_json::Value {
    serde_wasm_bindgen::from_value(value.clone()).unwrap_or(serde_json::Value::Null)
}

/// The `[key, value]` entries of a JavaScript object, in its own key order.
pub(super) fn entries(value: &JsValue) -> Vec<(String, serde_json::Value)> {
    if !value.is_object() {
        return Vec::new();
    }
    Object::entries(value.unchecked_ref())
        .iter()
        .filter_map(|entry| {
            let pair: Array = entry.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, to_json(&pair.get(1))))
        })
        .collect()
}

/// Reads a host payload into a typed struct; anything but a plain object is refused, because
/// serde would happily read a list as a struct's fields in order.
pub(super) fn from_object<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, String> {
    if !value.is_object() || Array::is_array(&value) {
        return Err(t("crm.host.not-an-object"));
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}
