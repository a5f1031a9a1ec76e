//! One language's catalog: the `locales/<language>/*.txt` files, read once into a map. A line is
//! `key = text`; blank lines and `#` comments are skipped; keys are `a-z 0-9 . -`; a text is
//! everything after the first ` = `, trimmed.
//!
//! English is compiled into the widget: it is the fallback of every key. In the browser the
//! Japanese catalog is not: the build writes it beside the page as one file named after a hash
//! of its text ([`JAPANESE_PATH`]), which only an agent who speaks Japanese downloads and which
//! is cached for good like the wasm. Native builds (the tests, the deployment tools) compile it
//! in.

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

/// The files of `files` as one text, as the Japanese catalog is served: each file after a
/// `# <name>` comment line.
pub fn served_text(files: &[(&str, &str)]) -> String {
    files.iter().map(|(name, text)| format!("# {name}\n{text}\n")).collect()
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over `bytes`, from `hash`: at compile time, so that the wasm names the served file
/// without carrying its text.
const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut at = 0;
    while at < bytes.len() {
        hash ^= bytes[at] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        at += 1;
    }
    hash
}

/// The hash of [`served_text`]`(files)`, computed from the pieces it joins.
const fn served_hash(files: &[(&str, &str)]) -> u64 {
    let mut hash = FNV_OFFSET;
    let mut at = 0;
    while at < files.len() {
        hash = fnv1a(hash, b"# ");
        hash = fnv1a(hash, files[at].0.as_bytes());
        hash = fnv1a(hash, b"\n");
        hash = fnv1a(hash, files[at].1.as_bytes());
        hash = fnv1a(hash, b"\n");
        at += 1;
    }
    hash
}

const PATH_STEM: &[u8] = b"locales/ja-";

/// `locales/ja-<16 hex digits of hash>.txt`.
const fn served_path(hash: u64) -> [u8; PATH_STEM.len() + 20] {
    let mut path = [0u8; PATH_STEM.len() + 20];
    let mut at = 0;
    while at < PATH_STEM.len() {
        path[at] = PATH_STEM[at];
        at += 1;
    }
    let mut digit = 0;
    while digit < 16 {
        let nibble = ((hash >> (60 - 4 * digit)) & 0xf) as u8;
        path[at] = if nibble < 10 { b'0' + nibble } else { b'a' + nibble - 10 };
        at += 1;
        digit += 1;
    }
    let suffix = b".txt";
    let mut s = 0;
    while s < suffix.len() {
        path[at + s] = suffix[s];
        s += 1;
    }
    path
}

const JAPANESE_PATH_BYTES: [u8; PATH_STEM.len() + 20] = served_path(served_hash(JAPANESE_FILES));

/// Where the build puts the Japanese catalog, relative to the page (`locales/ja-<hash>.txt`).
pub const JAPANESE_PATH: &str = match std::str::from_utf8(&JAPANESE_PATH_BYTES) {
    Ok(path) => path,
    Err(_) => panic!("the served path is ASCII"),
};

/// A language's texts by key.
#[derive(Debug, Default)]
pub struct Catalog(HashMap<&'static str, &'static str>);

impl Catalog {
    /// Reads a catalog as it is served ([`served_text`]), from a download kept for good.
    pub fn read_served(text: String) -> Result<Catalog, Vec<CatalogError>> {
        let text: &'static str = Box::leak(text.into_boxed_str());
        Catalog::read(&[("catalog", text)])
    }

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

/// The Japanese catalog installed from its download ([`install_japanese`]).
static JAPANESE: OnceLock<Catalog> = OnceLock::new();

/// Takes the downloaded Japanese catalog; a second one changes nothing.
pub fn install_japanese(text: String) -> Result<(), Vec<CatalogError>> {
    let catalog = Catalog::read_served(text)?;
    let _ = JAPANESE.set(catalog);
    Ok(())
}

/// The Japanese catalog, once downloaded.
#[cfg(target_arch = "wasm32")]
pub fn japanese() -> Option<&'static Catalog> {
    JAPANESE.get()
}

/// The Japanese catalog, compiled in.
#[cfg(not(target_arch = "wasm32"))]
pub fn japanese() -> Option<&'static Catalog> {
    Some(once(&JAPANESE, JAPANESE_FILES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_japanese_catalog_is_named_after_its_text_and_reads_as_its_files() {
        let text = served_text(JAPANESE_FILES);
        assert_eq!(JAPANESE_PATH, format!("locales/ja-{:016x}.txt", fnv1a(FNV_OFFSET, text.as_bytes())));
        let served = Catalog::read_served(text).expect("the served catalog reads");
        let files = Catalog::read(JAPANESE_FILES).expect("the files read");
        let mut keys: Vec<_> = served.keys().map(|key| (key, served.get(key))).collect();
        let mut expected: Vec<_> = files.keys().map(|key| (key, files.get(key))).collect();
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected);
    }

    #[test]
    fn a_served_catalog_with_a_broken_line_is_refused() {
        let problems = Catalog::read_served("ok = fine\nbroken line\n".into()).expect_err("refused");
        assert_eq!(problems, vec![CatalogError::NotAnEntry { file: "catalog", line: 2 }]);
    }
}
