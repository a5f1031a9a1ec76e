use std::collections::BTreeSet;
use std::path::Path;

use super::catalog::{ENGLISH_FILES, JAPANESE_FILES};
use super::*;

/// The `{name}` placeholders of a text.
fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split('{').skip(1).filter_map(|part| part.split_once('}').map(|(name, _)| name)).collect()
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read the sources").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push((path.display().to_string(), std::fs::read_to_string(&path).expect("a source file")));
        }
    }
}

fn all_sources() -> Vec<(String, String)> {
    let mut found = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    found
}

/// The keys the code asks for by literal: `t("k")`, `t_args("k", …)`, `t_count("k", …)` (the
/// latter as `k.one` and `k.other`).
fn asked_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for (call, counted) in [("t(\"", false), ("t_args(\"", false), ("t_count(\"", true)] {
        for (at, _) in text.match_indices(call) {
            // Not the tail of a longer name (`font(\"`).
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[at + call.len()..];
            let Some(key) = rest.split('"').next() else { continue };
            if counted {
                keys.push(format!("{key}.one"));
                keys.push(format!("{key}.other"));
            } else {
                keys.push(key.to_owned());
            }
        }
    }
    keys
}

#[test]
fn both_catalogs_read_and_hold_the_same_keys_with_the_same_placeholders() {
    let english = Catalog::read(ENGLISH_FILES).expect("the English catalog");
    let japanese = Catalog::read(JAPANESE_FILES).expect("the Japanese catalog");
    let en: BTreeSet<_> = english.keys().collect();
    let ja: BTreeSet<_> = japanese.keys().collect();
    assert_eq!(en.difference(&ja).collect::<Vec<_>>(), Vec::<&&str>::new(), "missing in Japanese");
    assert_eq!(ja.difference(&en).collect::<Vec<_>>(), Vec::<&&str>::new(), "missing in English");
    for key in en {
        let (e, j) = (english.get(key).unwrap_or_default(), japanese.get(key).unwrap_or_default());
        assert_eq!(placeholders(e), placeholders(j), "{key}: {e:?} and {j:?} fill in different values");
        assert!(!e.is_empty() && !j.is_empty(), "{key} is empty");
    }
}

#[test]
fn every_key_the_code_asks_for_exists_and_every_key_is_used() {
    let english = Catalog::read(ENGLISH_FILES).expect("the English catalog");
    let sources = all_sources();
    // This module's own texts name the calls as examples.
    for (file, text) in sources.iter().filter(|(file, _)| !file.contains("/src/i18n/")) {
        for key in asked_keys(text) {
            assert!(english.get(&key).is_some(), "{file} asks for {key}, which no catalog holds");
        }
    }
    for key in english.keys() {
        let base = key.strip_suffix(".one").or_else(|| key.strip_suffix(".other")).unwrap_or(key);
        let quoted = format!("\"{base}\"");
        assert!(sources.iter().any(|(_, text)| text.contains(&quoted)), "{key} is in the catalog but never used");
    }
}

#[test]
fn japanese_texts_hold_no_english_words() {
    let japanese = Catalog::read(JAPANESE_FILES).expect("the Japanese catalog");
    for key in japanese.keys() {
        let text = japanese.get(key).unwrap_or_default();
        let mut without = text.to_owned();
        for name in placeholders(text) {
            without = without.replace(&format!("{{{name}}}"), " ");
        }
        let words = without.split(|c: char| !(c.is_ascii_alphabetic() || c == '-')).filter(|w| !w.is_empty());
        for word in words {
            let word = word.trim_matches('-');
            assert!(word.is_empty() || UNTRANSLATED.contains(&word), "{key}: {word:?} is English in {text:?}");
        }
    }
}

#[test]
fn texts_fill_in_their_values_and_fall_back_to_english_then_the_key() {
    set_language(Language::Japanese);
    assert_eq!(fill("{who} ({n})", &[("who", "Ana"), ("n", "2")]), "Ana (2)");
    assert_eq!(fill("{a {b} {", &[("b", "x")]), "{a x {");
    assert_eq!(t("no.such.key"), "no.such.key");
    set_language(Language::English);
    assert_eq!(Language::choose(None, &["fr-FR".into(), "ja-JP".into()]), Language::Japanese);
    assert_eq!(Language::choose(Some(Language::English), &["ja".into()]), Language::English);
    assert_eq!(Language::choose(None, &["de".into()]), Language::English);
    assert_eq!(Language::from_tag("EN_gb"), Some(Language::English));
}
