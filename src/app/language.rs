//! The language the phone speaks in this window: the configuration's, else the browser's first
//! that the phone knows, else English; the page's `lang` says it, for screen readers' voices.

use crate::i18n::{self, Language};

/// The browser's languages, most preferred first.
fn browser_languages() -> Vec<String> {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else { return Vec::new() };
    let listed: Vec<String> = navigator.languages().iter().filter_map(|tag| tag.as_string()).collect();
    if listed.is_empty() { navigator.language().into_iter().collect() } else { listed }
}

/// Speaks the configured language, or the browser's, from now on.
pub fn speak(configured: Option<Language>) {
    let language = Language::choose(configured, &browser_languages());
    i18n::set_language(language);
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("lang", language.tag());
    }
}
