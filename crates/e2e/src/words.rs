//! The phone's words in one language, read from the catalogs the widget is built with
//! (`locales/<language>/*.txt`), so that a test finds elements by the names a person hears in
//! that language.

use std::collections::HashMap;
use std::path::Path;

/// One language's catalog.
pub struct Words(HashMap<String, String>);

impl Words {
    /// The catalog of `language` (`en`, `ja`).
    pub fn of(language: &str) -> Words {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../locales").join(language);
        let mut entries = HashMap::new();
        for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("the {language} catalog: {e}")).flatten() {
            let text = std::fs::read_to_string(file.path()).expect("a catalog file");
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                if let Some((key, value)) = line.split_once(" = ") {
                    entries.insert(key.trim().to_owned(), value.trim().to_owned());
                }
            }
        }
        Words(entries)
    }

    /// The text of `key`.
    pub fn get(&self, key: &str) -> String {
        self.with(key, &[])
    }

    /// The text of `key` with `args` filled in.
    pub fn with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.0.get(key).unwrap_or_else(|| panic!("no {key} in the catalog")).clone();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The text of `key` around its `{name}` placeholder: what comes before and after it.
    pub fn around(&self, key: &str, name: &str) -> (String, String) {
        let text = self.get(key);
        let marker = format!("{{{name}}}");
        let (before, after) = text.split_once(&marker).unwrap_or((&text, ""));
        (before.to_owned(), after.to_owned())
    }
}
