//! Randomness as the caller supplies it: the crate reads no entropy of its own, so each platform
//! seeds it from its own source and tests can be deterministic.
//!
//! RFC 3261 §19.3 asks for cryptographically random tags (at least 32 bits), branches and
//! Call-IDs: whoever sees one must not be able to guess the next, or they could forge a CANCEL,
//! a BYE or a NOTIFY into our dialogs. [`ChaCha`] is the generator for real use (ChaCha20,
//! seeded with 32 bytes from the OS or `crypto.getRandomValues`); [`SplitMix`] is for
//! deterministic tests only: one of its outputs gives away its whole state.

use chacha20::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

/// Random bits in a tag (From/To tags, and our Contact and Via names).
pub const TAG_BITS: usize = 64;
/// Random bits in a Call-ID, a branch or a cnonce.
pub const ID_BITS: usize = 128;

/// Where fresh random values come from.
pub trait Random {
    /// Fills `out` with random bytes.
    fn fill(&mut self, out: &mut [u8]);

    /// A tag: [`TAG_BITS`] random bits as lower-case hex.
    fn tag(&mut self) -> String {
        let mut bytes = [0u8; TAG_BITS / 8];
        self.fill(&mut bytes);
        hex(&bytes)
    }

    /// A Call-ID, branch or cnonce: [`ID_BITS`] random bits as lower-case hex.
    fn token(&mut self) -> String {
        let mut bytes = [0u8; ID_BITS / 8];
        self.fill(&mut bytes);
        hex(&bytes)
    }

    /// A number in `0..bound` (0 when `bound` is 0), for backoff jitter and glare retry delays.
    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Rejection sampling: drop the top values that would make the remainder uneven.
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let mut bytes = [0u8; 8];
            self.fill(&mut bytes);
            let value = u64::from_le_bytes(bytes);
            if value < zone {
                return value % bound;
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// The generator for real use: ChaCha20 keyed with 32 bytes of the platform's entropy.
pub struct ChaCha(ChaCha20Rng);

impl ChaCha {
    /// A generator keyed with `seed`, which must come from a cryptographic source (the OS,
    /// `crypto.getRandomValues`).
    pub fn from_seed(seed: [u8; 32]) -> ChaCha {
        ChaCha(ChaCha20Rng::from_seed(seed))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
}

impl std::fmt::Debug for ChaCha {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("ChaCha(..)")
    }
}

impl Random for ChaCha {
    fn fill(&mut self, out: &mut [u8]) {
        self.0.fill_bytes(out);
    }
}

/// SplitMix64, for deterministic tests and tools only: it is fast and reproducible, but one of
/// its outputs reveals its state and so every later tag and branch. Never use it on a network.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Random for SplitMix {
    fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_ids_carry_the_promised_bits() {
        let mut random = ChaCha::from_seed([7; 32]);
        let (tag, id) = (random.tag(), random.token());
        assert_eq!(tag.len() * 4, TAG_BITS);
        assert_eq!(id.len() * 4, ID_BITS);
        assert!(tag.bytes().chain(id.bytes()).all(|b| b.is_ascii_hexdigit()));
        assert_ne!(random.token(), id, "each token is fresh");
    }

    #[test]
    fn chacha_outputs_follow_no_simple_step() {
        // SplitMix's outputs are a fixed function of a counter: from one, the next follows.
        // ChaCha20's successive outputs are not related by any such step.
        let mut a = ChaCha::from_seed([1; 32]);
        let mut b = ChaCha::from_seed([2; 32]);
        let (a1, a2, b1) = (a.next_u64(), a.next_u64(), b.next_u64());
        assert_ne!(a1, b1, "the seed matters");
        assert_ne!(a1, a2);
        let mut s = SplitMix(a1);
        assert_ne!(s.next_u64(), a2);
    }

    #[test]
    fn below_stays_below_its_bound() {
        let mut random = ChaCha::from_seed([3; 32]);
        assert_eq!(random.below(0), 0);
        let values: Vec<u64> = (0..500).map(|_| random.below(7)).collect();
        assert!(values.iter().all(|v| *v < 7));
        assert!((0..7).all(|v| values.contains(&v)), "every value turns up");
    }
}
