//! Fetching `framephone.json` from the widget's own origin.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCache, RequestInit, Response};

use super::{CONFIG_PATH, Config, ConfigProblem, problems_on_page};
use crate::i18n::{t, t_args};

/// Loads and validates the configuration, and checks it against the page it runs on (no `ws://`
/// server on an https page); a transport failure is reported like any other problem.
pub async fn fetch_config() -> Result<Config, Vec<ConfigProblem>> {
    let text = fetch_text().await.map_err(|message| vec![ConfigProblem { path: CONFIG_PATH.into(), message }])?;
    let config = Config::parse(&text)?;
    let protocol = web_sys::window().and_then(|w| w.location().protocol().ok()).unwrap_or_default();
    let problems = problems_on_page(&config, &protocol);
    if problems.is_empty() { Ok(config) } else { Err(problems) }
}

async fn fetch_text() -> Result<String, String> {
    let window = web_sys::window().ok_or_else(|| t("config.fetch.no-window"))?;
    let asked = match early_request(&window) {
        Some(asked) => asked,
        None => {
            let init = RequestInit::new();
            // An administrator's fix must show on the next reload, not after a cache expires.
            init.set_cache(RequestCache::NoStore);
            window.fetch_with_str_and_init(CONFIG_PATH, &init)
        }
    };
    let response = JsFuture::from(asked).await.ok().and_then(|answer| answer.dyn_into::<Response>().ok());
    let response = response.ok_or_else(|| t("config.fetch.no-answer"))?;
    if !response.ok() {
        return Err(t_args("config.fetch.http-status", &[("status", &response.status().to_string())]));
    }
    let text = response.text().map_err(|_| t("config.fetch.unreadable"))?;
    JsFuture::from(text).await.ok().and_then(|text| text.as_string()).ok_or_else(|| t("config.fetch.unreadable"))
}

/// The request for the configuration that the page (`index.html`) made before the wasm ran,
/// with the same path and cache mode: taken once.
fn early_request(window: &web_sys::Window) -> Option<js_sys::Promise> {
    let key = wasm_bindgen::JsValue::from_str(EARLY_REQUEST);
    let asked = js_sys::Reflect::get(window, &key).ok()?.dyn_into::<js_sys::Promise>().ok();
    let _ = js_sys::Reflect::delete_property(window, &key);
    asked
}

/// The page's global holding its early request for the configuration.
const EARLY_REQUEST: &str = "framephoneConfig";
