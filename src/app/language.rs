//! The language the phone speaks in this window: the configuration's, else the browser's first
//! that the phone knows, else English; the page's `lang` says it, for screen readers' voices.
//! A language whose catalog is not compiled in is downloaded first (once: the file is named
//! after its content and cached for good); when it cannot be had, the phone speaks English.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

use crate::i18n::{self, Language};

/// Longest catalog read: both of today's are under 50 KB.
const MAX_CATALOG_BYTES: usize = 256 * 1024;

/// The browser's languages, most preferred first.
fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let listed: Vec<String> = navigator.languages().iter().filter_map(|tag| tag.as_string()).collect();
    if listed.is_empty() { navigator.language().into_iter().collect() } else { listed }
}

/// Speaks the configured language, or the browser's, from now on.
pub async fn speak(configured: Option<Language>) {
    let mut language = Language::choose(configured, &browser_languages());
    if let Some(path) = language.download_path()
        && let Err(problem) = download(path).await
    {
        web_sys::console::warn_1(&format!("framephone: {path}: {problem}; the phone speaks English").into());
        language = Language::English;
    }
    i18n::set_language(language);
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", language.tag());
    }
}

/// Downloads and installs the catalog at `path` (relative to the page).
async fn download(path: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(path)).await.map_err(|_| "no answer".to_owned())?;
    let response: Response = response.unchecked_into();
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = response.text().map_err(|_| "unreadable")?;
    let text = JsFuture::from(text).await.ok().and_then(|text| text.as_string()).ok_or("unreadable")?;
    if text.len() > MAX_CATALOG_BYTES {
        return Err(format!("{} bytes, more than a catalog", text.len()));
    }
    i18n::install_japanese(text)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
}
