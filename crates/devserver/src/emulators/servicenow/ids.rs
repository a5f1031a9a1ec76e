//! Fresh identifiers: record `sys_id`s and the OAuth codes and tokens, from the system's random
//! source so that a test cannot guess one it was not handed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source does not fail on the systems the dev server runs on; should it, the
    // ids still differ by the clock, which is enough for an emulator.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (nanos >> ((i % 16) * 8)) as u8 ^ i as u8;
        }
    }
    bytes
}

/// A new record id: 32 lowercase hex digits, as the instance makes them.
pub(crate) fn sys_id() -> String {
    random_bytes::<16>().iter().map(|b| format!("{b:02x}")).collect()
}

/// A new authorisation code, access token or consent id: 256 random bits, base64url.
pub(crate) fn secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}
