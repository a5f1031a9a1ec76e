//! One language's catalog: the `locales/<language>/*.txt` files compiled in, read once into a
//! map. A line is `key = text`; blank lines and `#` comments are skipped; keys are
//! `a-z 0-9 . -`; a text is everything after the first ` = `, trimmed.

use std::collections::HashMap;
use std::sync::OnceLock;

use thiserror::Error;

/// The English catalog's files, in the order read.
pub const ENGLISH_FILES: &[(&str, &str)] = &[
    ("phone.txt", include_str!("../../locales/en/phone.txt")),
    ("calls.txt", include_str!("../../locales/en/calls.txt")),
    ("panel.txt", include_str!("../../locales/en/panel.txt")),
    ("session.txt", include_str!("../../locales/en/session.txt")),
    ("crm.txt", include_str!("../../locales/en/crm.txt")),
    ("config.txt", include_str!("../../locales/en/config.txt")),
];

/// The Japanese catalog's files, in the order read.
pub const JAPANESE_FILES: &[(&str, &str)] = &[
    ("phone.txt", include_str!("../../locales/ja/phone.txt")),
    ("calls.txt", include_str!("../../locales/ja/calls.txt")),
    ("panel.txt", include_str!("../../locales/ja/panel.txt")),
    ("session.txt", include_str!("../../locales/ja/session.txt")),
    ("crm.txt", include_str!("../../locales/ja/crm.txt")),
    ("config.txt", include_str!("../../locales/ja/config.txt")),
];

/// What is wrong with a catalog line.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CatalogError {
    /// Not `key = text`.
    #[error("{file} line {line}: not `key = text`")]
    NotAnEntry {
        /// The file.
        file: &'static str,
        /// Its line, from 1.
        line: usize,
    },
    /// The key has characters other than `a-z 0-9 . -`.
    #[error("{file} line {line}: the key {key:?} may only hold a-z, 0-9, '.' and '-'")]
    BadKey {
        /// The file.
        file: &'static str,
        /// Its line.
        line: usize,
        /// The key.
        key: String,
    },
    /// The key came before.
    #[error("{file} line {line}: {key} is there already")]
    Duplicate {
        /// The file.
        file: &'static str,
        /// Its line.
        line: usize,
        /// The key.
        key: String,
    },
}

/// A language's texts by key.
#[derive(Debug, Default)]
pub struct Catalog(HashMap<&'static str, &'static str>);

impl Catalog {
    /// Reads `files`; every problem, or the catalog.
    pub fn read(files: &[(&'static str, &'static str)]) -> Result<Catalog, Vec<CatalogError>> {
        let mut entries = HashMap::new();
        let mut problems = Vec::new();
        for (file, text) in files {
            for (index, line) in text.lines().enumerate() {
                let (file, line_number) = (*file, index + 1);
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let Some((key, value)) = line.split_once(" = ") else {
                    problems.push(CatalogError::NotAnEntry { file, line: line_number });
                    continue;
                };
                let key = key.trim();
                if key.is_empty()
                    || !key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
                {
                    problems.push(CatalogError::BadKey { file, line: line_number, key: key.to_owned() });
                    continue;
                }
                if entries.insert(key, value.trim()).is_some() {
                    problems.push(CatalogError::Duplicate { file, line: line_number, key: key.to_owned() });
                }
            }
        }
        if problems.is_empty() { Ok(Catalog(entries)) } else { Err(problems) }
    }

    /// The text of `key`.
    pub fn get(&self, key: &str) -> Option<&'static str> {
        self.0.get(key).copied()
    }

    /// Every key.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.keys().copied()
    }
}

/// A catalog read once; a broken one (which the tests refuse) reads as empty, so that English
/// and then the keys show rather than nothing.
fn once(cell: &'static OnceLock<Catalog>, files: &[(&'static str, &'static str)]) -> &'static Catalog {
    cell.get_or_init(|| Catalog::read(files).unwrap_or_default())
}

/// The English catalog.
pub fn english() -> &'static Catalog {
    static CELL: OnceLock<Catalog> = OnceLock::new();
    once(&CELL, ENGLISH_FILES)
}

/// The Japanese catalog.
pub fn japanese() -> &'static Catalog {
    static CELL: OnceLock<Catalog> = OnceLock::new();
    once(&CELL, JAPANESE_FILES)
}
