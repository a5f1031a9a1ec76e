//! Randomness as the caller supplies it: the crate has no source of its own, so tests can be
//! deterministic and each platform uses its own generator.

/// Where fresh random values come from.
pub trait Random {
    /// A new token of at least 10 URL-safe characters, for a branch, a tag, a Call-ID or a cnonce.
    fn token(&mut self) -> String;
    /// A number in `0..bound` (0 when `bound` is 0), for backoff jitter and glare retry delays.
    fn below(&mut self, bound: u64) -> u64;
}

/// SplitMix64: a small, fast generator for tests and tools. Seed it from the platform's
/// entropy (the OS, `crypto.getRandomValues`) so that tags and branches are unpredictable.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

impl Random for SplitMix {
    fn token(&mut self) -> String {
        format!("{:016x}{:08x}", self.next_u64(), self.next_u64() as u32)
    }

    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 { 0 } else { self.next_u64() % bound }
    }
}
