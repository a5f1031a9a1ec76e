//! The master keys that seal secrets at rest (AES-256-GCM), read from the environment or a
//! file. The first key seals; every key opens, so that a new key can be put first while values
//! sealed under older ones still open until `framephone-service reseal` has moved them.
//!
//! A key is written `<key id>:<32 bytes, standard base64>`, one per line in a file or separated
//! by commas in `FRAMEPHONE_MASTER_KEY`; `#` starts a comment in a file.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use thiserror::Error;

use crate::random;
use crate::secret::Secret;

/// Why the master keys could not be read, naming where the bad value is.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    /// Neither the variable nor the file is set.
    #[error(
        "no master key: set FRAMEPHONE_MASTER_KEY or FRAMEPHONE_MASTER_KEY_FILE (make one with `framephone-service generate-key`)"
    )]
    Missing,
    /// The key file could not be read.
    #[error("cannot read the master key file {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// The system's reason.
        reason: String,
    },
    /// An entry is not `<id>:<base64>`.
    #[error("{place}: a master key is written <key id>:<base64 of 32 bytes>; this entry has no key id")]
    NoKeyId {
        /// Where (file and line, or the variable and entry).
        place: String,
    },
    /// The key id has characters other than letters, digits, `-`, `_` and `.`.
    #[error("{place}: the key id {id:?} may hold only letters, digits, '-', '_' and '.' (at most 64)")]
    BadKeyId {
        /// Where.
        place: String,
        /// The id as written.
        id: String,
    },
    /// The key is not 32 bytes of base64.
    #[error("{place}: the key {id:?} is not 32 bytes of standard base64 ({reason})")]
    BadKey {
        /// Where.
        place: String,
        /// Its id.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two keys share an id.
    #[error("{place}: the key id {id:?} is used twice")]
    DuplicateId {
        /// Where the second one is.
        place: String,
        /// The id.
        id: String,
    },
    /// The file or variable holds no key.
    #[error("{place} holds no key")]
    Empty {
        /// The file or variable.
        place: String,
    },
}

/// Why a sealed value did not open.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum OpenError {
    /// It was sealed under a key that is no longer configured.
    #[error("the value was sealed with master key {0:?}, which is not configured: add it back to open the value")]
    UnknownKey(String),
    /// It was altered, or moved to another row or column, or the key is wrong.
    #[error(
        "the sealed value does not open: it was altered or moved, or master key {0:?} is not the one it was sealed with"
    )]
    Corrupt(String),
}

/// A sealed value: which key sealed it and `base64(nonce ‖ ciphertext ‖ tag)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// The master key's id.
    pub key_id: String,
    /// Nonce, ciphertext and tag, standard base64.
    pub sealed: String,
}

struct MasterKey {
    id: String,
    cipher: Aes256Gcm,
}

/// The configured master keys; the first one seals.
pub struct Keyring {
    keys: Vec<MasterKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

const NONCE_LEN: usize = 12;

impl Keyring {
    /// The keys from `FRAMEPHONE_MASTER_KEY` (the variable's value, if set) or else from the file
    /// `FRAMEPHONE_MASTER_KEY_FILE` names.
    pub fn from_sources(variable: Option<&str>, file: Option<&str>) -> Result<Keyring, KeyError> {
        if let Some(value) = variable.filter(|v| !v.trim().is_empty()) {
            let entries = value
                .split(',')
                .enumerate()
                .map(|(i, entry)| (format!("FRAMEPHONE_MASTER_KEY entry {}", i + 1), entry));
            return Keyring::parse(entries, "FRAMEPHONE_MASTER_KEY");
        }
        let Some(path) = file.filter(|p| !p.trim().is_empty()) else {
            return Err(KeyError::Missing);
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| KeyError::Unreadable { path: path.to_owned(), reason: e.to_string() })?;
        let lines = text.lines().enumerate().map(|(i, line)| (format!("{path} line {}", i + 1), line));
        Keyring::parse(lines.filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#')), path)
    }

    fn parse<'a>(entries: impl Iterator<Item = (String, &'a str)>, source: &str) -> Result<Keyring, KeyError> {
        let mut keys: Vec<MasterKey> = Vec::new();
        for (place, entry) in entries {
            let Some((id, key)) = entry.trim().split_once(':') else {
                return Err(KeyError::NoKeyId { place });
            };
            let (id, key) = (id.trim(), key.trim());
            let id_ok = !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if !id_ok {
                return Err(KeyError::BadKeyId { place, id: id.to_owned() });
            }
            let bytes = STANDARD.decode(key).map_err(|e| KeyError::BadKey {
                place: place.clone(),
                id: id.to_owned(),
                reason: e.to_string(),
            })?;
            if bytes.len() != 32 {
                let reason = format!("{} bytes", bytes.len());
                return Err(KeyError::BadKey { place, id: id.to_owned(), reason });
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(KeyError::DuplicateId { place, id: id.to_owned() });
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|e| KeyError::BadKey {
                place,
                id: id.to_owned(),
                reason: e.to_string(),
            })?;
            keys.push(MasterKey { id: id.to_owned(), cipher });
        }
        if keys.is_empty() {
            return Err(KeyError::Empty { place: source.to_owned() });
        }
        Ok(Keyring { keys })
    }

    /// A new key entry, `<id>:<base64>`, for `generate-key`.
    pub fn generate_entry() -> String {
        let id: String = random::bytes::<4>().iter().map(|b| format!("{b:02x}")).collect();
        format!("k{id}:{}", STANDARD.encode(random::bytes::<32>()))
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `value` under the first key, bound to `place` (`<table>/<row>/<column>`).
    pub fn seal(&self, place: &str, value: &Secret) -> Sealed {
        let key = &self.keys[0];
        let nonce = random::bytes::<NONCE_LEN>();
        let payload = Payload { msg: value.expose().as_bytes(), aad: place.as_bytes() };
        // AES-GCM fails only for messages over 64 GiB, which no request body can carry.
        let ciphertext = key.cipher.encrypt(Nonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        Sealed { key_id: key.id.clone(), sealed: STANDARD.encode(out) }
    }

    /// Opens a value sealed for `place`.
    pub fn open(&self, place: &str, sealed: &Sealed) -> Result<Secret, OpenError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| OpenError::UnknownKey(sealed.key_id.clone()))?;
        let corrupt = || OpenError::Corrupt(sealed.key_id.clone());
        let bytes = STANDARD.decode(&sealed.sealed).map_err(|_| corrupt())?;
        if bytes.len() < NONCE_LEN {
            return Err(corrupt());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: place.as_bytes() })
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map(Secret::new).map_err(|_| corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(entries: &str) -> Keyring {
        Keyring::from_sources(Some(entries), None).expect("keys")
    }

    #[test]
    fn a_value_opens_only_in_its_own_place_and_under_its_key() {
        let first = Keyring::generate_entry();
        let keys = ring(&first);
        let sealed = keys.seal("integration_accounts/a1/client_secret", &Secret::new("s3cret"));
        assert!(!sealed.sealed.contains("s3cret"));
        assert_eq!(keys.open("integration_accounts/a1/client_secret", &sealed), Ok(Secret::new("s3cret")));
        let moved = keys.open("integration_accounts/a2/client_secret", &sealed);
        assert!(matches!(moved, Err(OpenError::Corrupt(_))), "moved to another row");
        let mut altered = sealed.clone();
        altered.sealed.replace_range(20..21, if &altered.sealed[20..21] == "A" { "B" } else { "A" });
        assert!(keys.open("integration_accounts/a1/client_secret", &altered).is_err(), "altered");
        let other = ring(&Keyring::generate_entry());
        assert!(matches!(other.open("integration_accounts/a1/client_secret", &sealed), Err(OpenError::UnknownKey(_))));
    }

    #[test]
    fn a_new_key_first_seals_while_the_old_one_still_opens() {
        let old = Keyring::generate_entry();
        let sealed = ring(&old).seal("t/r/c", &Secret::new("v"));
        let rotated = ring(&format!("{},{old}", Keyring::generate_entry()));
        assert_eq!(rotated.open("t/r/c", &sealed), Ok(Secret::new("v")));
        assert_ne!(rotated.seal("t/r/c", &Secret::new("v")).key_id, sealed.key_id);
    }

    #[test]
    fn bad_keys_are_named_with_their_place() {
        let err = |text: &str| Keyring::from_sources(Some(text), None).expect_err("refused").to_string();
        assert_eq!(Keyring::from_sources(None, None).expect_err("none"), KeyError::Missing);
        assert!(err("AAAA").contains("entry 1") && err("AAAA").contains("no key id"));
        assert!(err("k1:AAAA").contains("3 bytes"), "{}", err("k1:AAAA"));
        assert!(err("k 1:AAAA").contains("key id"));
        assert!(err("k1:!!").contains("base64"));
        let one = Keyring::generate_entry();
        let (id, key) = one.split_once(':').expect("entry");
        assert!(err(&format!("{one},{id}:{key}")).contains("used twice"));
        let file = std::env::temp_dir().join(format!("fp-key-{}", random::id()));
        std::fs::write(&file, format!("# keys\n\n{one}\nbroken\n")).expect("write");
        let path = file.to_string_lossy().into_owned();
        let refused = Keyring::from_sources(None, Some(&path)).expect_err("line 4").to_string();
        assert!(refused.contains("line 4"), "{refused}");
        std::fs::remove_file(&file).ok();
    }
}
