//! Random numbers for the tests' own needs: a test voice that is the same for the same seed, and
//! the fate of each packet a relay passes on. A xorshift generator; no test needs better.

/// A xorshift64 generator.
pub(crate) struct Dice(u64);

impl Dice {
    /// The same numbers for the same `seed`; different seeds, even neighbours, start apart
    /// (SplitMix64 scrambles the seed, one to one).
    pub(crate) fn seeded(seed: u64) -> Dice {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        // Xorshift never leaves zero.
        Dice((z ^ (z >> 31)).max(1))
    }

    /// Numbers seeded from the clock.
    pub(crate) fn from_clock() -> Dice {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        Dice::seeded(now.map_or(1, |d| d.as_nanos() as u64))
    }

    /// A number in `0..1`.
    pub(crate) fn roll(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `low..high`.
    pub(crate) fn between(&mut self, low: f64, high: f64) -> f64 {
        low + self.roll() * (high - low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_neighbouring_seeds_others() {
        let numbers = |seed| {
            let mut dice = Dice::seeded(seed);
            (0..4).map(|_| dice.roll()).collect::<Vec<_>>()
        };
        assert_eq!(numbers(7), numbers(7));
        assert_ne!(numbers(2), numbers(3));
        assert!(numbers(0).iter().all(|n| (0.0..1.0).contains(n)));
    }
}
