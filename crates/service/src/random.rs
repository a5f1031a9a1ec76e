//! Unguessable values from the operating system's random source: ids, tokens, keys, nonces.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `N` random bytes. The service cannot work safely without a random source, so a failure of
/// it stops the process rather than producing guessable values.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Err(error) = getrandom::fill(&mut bytes) {
        panic!("the operating system's random source failed: {error}");
    }
    bytes
}

/// A new row id: 128 random bits, base64url.
pub fn id() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<16>())
}

/// A new bearer token, session token or setup token: 256 random bits, base64url.
pub fn token() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<32>())
}

/// What the database keeps of a token: its SHA-256, base64url.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}
