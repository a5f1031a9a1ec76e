//! The phone's words in the agent's language. Every text the phone writes for a person lives in
//! the catalogs under `locales/<language>/`, one file per area, as `key = text` lines whose
//! `{name}` placeholders the code fills in. English and Japanese are complete: the tests below
//! check that both catalogs hold the same keys with the same placeholders, and that every key
//! the code asks for exists. The language is the configuration's (`language`), else the first
//! of the browser's languages the phone speaks, else English; it is set once at start.
//!
//! Texts the phone did not write (names, messages, a server's reason phrase) are never looked up:
//! they go into placeholders as they are.

mod catalog;
#[cfg(test)]
mod tests;

use std::cell::Cell;

pub use catalog::{Catalog, CatalogError, JAPANESE_FILES, JAPANESE_PATH, install_japanese, served_text};

/// Words every language writes as English does: names of products, protocols, standards and
/// files, and keys as printed on keyboards. A Japanese text holds no other English word (the
/// tests here check the catalogs, the end-to-end suite the rendered page).
pub const UNTRANSLATED: &[&str] = &[
    "Framephone",
    "framephone",
    "json",
    "JSON",
    "ServiceNow",
    "Salesforce",
    "Lightning",
    "Classic",
    "Open",
    "CTI",
    "OpenFrame",
    "CRM",
    "SIP",
    "MESSAGE",
    "INVITE",
    "REGISTER",
    "TURN",
    "STUN",
    "ICE",
    "WebRTC",
    "WebSocket",
    "Web",
    "DTMF",
    "RFC",
    "HTTPS",
    "HTTP",
    "https",
    "http",
    "wss",
    "ws",
    "TLS",
    "URL",
    "API",
    "REST",
    "OAuth",
    "PKCE",
    "SAML",
    "SSO",
    "IdP",
    "Azure",
    "AD",
    "Okta",
    "ID",
    "Id",
    "HA1",
    "MOS",
    "Call-ID",
    "Wi-Fi",
    "CORS",
    "UTF",
    "Task",
    "Chrome",
    "Chromium",
    "Firefox",
    "Safari",
    "Edge",
    "Alt",
    "Ctrl",
    "Shift",
    "Enter",
    "Tab",
    "Esc",
    "Space",
    "Backspace",
    "Home",
    "End",
    "A",
    "B",
    "C",
    "D",
    "H",
    "M",
    "O",
];

/// A language the phone speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Language {
    /// English, the default.
    #[default]
    English,
    /// Japanese.
    Japanese,
}

impl Language {
    /// Every language, English first.
    pub const ALL: [Language; 2] = [Language::English, Language::Japanese];

    /// The BCP 47 tag, for `lang` attributes and `Intl`.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Japanese => "ja",
        }
    }

    /// The language of a BCP 47 tag (`ja`, `ja-JP`, `en-GB`), when the phone speaks it.
    pub fn from_tag(tag: &str) -> Option<Language> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        Language::ALL.into_iter().find(|l| primary.eq_ignore_ascii_case(l.tag()))
    }

    /// The configured language, else the first of the browser's the phone speaks, else English.
    pub fn choose(configured: Option<Language>, browser: &[String]) -> Language {
        configured.or_else(|| browser.iter().find_map(|tag| Language::from_tag(tag))).unwrap_or_default()
    }

    /// This language's catalog, when the phone has it (Japanese is downloaded in the browser).
    fn catalog(self) -> Option<&'static Catalog> {
        match self {
            Language::English => Some(catalog::english()),
            Language::Japanese => catalog::japanese(),
        }
    }

    /// Where this language's catalog is to be downloaded from, while the phone lacks it.
    pub fn download_path(self) -> Option<&'static str> {
        match self {
            Language::Japanese if self.catalog().is_none() => Some(catalog::JAPANESE_PATH),
            _ => None,
        }
    }
}

thread_local! {
    static CURRENT: Cell<Language> = const { Cell::new(Language::English) };
}

/// Speaks `language` from now on (once, at start; tests switch freely).
pub fn set_language(language: Language) {
    CURRENT.with(|current| current.set(language));
}

/// The language the phone speaks now.
pub fn language() -> Language {
    CURRENT.with(Cell::get)
}

/// The text of `key` in the current language (English when a catalog lacks it, the key itself
/// when both do: never an empty label).
pub fn t(key: &str) -> String {
    t_args(key, &[])
}

/// The text of `key` with each `{name}` replaced by its value from `args`.
pub fn t_args(key: &str, args: &[(&str, &str)]) -> String {
    let text = language().catalog().and_then(|c| c.get(key)).or_else(|| catalog::english().get(key)).unwrap_or(key);
    fill(text, args)
}

/// The text of `key` for a count `n` (`{n}` in it): `key.one` for exactly one where the
/// language says so, else `key.other`.
pub fn t_count(key: &str, n: u64, args: &[(&str, &str)]) -> String {
    let form = match (language(), n) {
        (Language::English, 1) => "one",
        _ => "other",
    };
    let count = n.to_string();
    let mut all = vec![("n", count.as_str())];
    all.extend_from_slice(args);
    t_args(&format!("{key}.{form}"), &all)
}

/// `text` with each `{name}` of `args` replaced; unknown or unclosed braces stay as written.
fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)) {
            Some((name, close)) if args.iter().any(|(n, _)| *n == name) => {
                let value = args.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| *v);
                out.push_str(value);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
