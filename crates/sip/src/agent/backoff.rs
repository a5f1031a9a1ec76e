//! Bounded retries with growing, jittered delays: every recovery the agent makes after a
//! server's refusal goes through one of these, so that no answer a server can give makes the
//! agent send in a tight loop.

use crate::random::Random;

/// How a kind of retry grows and when it gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first delay, in milliseconds (each later ceiling doubles).
    pub first: u64,
    /// The largest ceiling.
    pub max: u64,
    /// How many retries in a row before giving up (`u32::MAX`: never give up).
    pub limit: u32,
}

/// Consecutive failures of one thing (a registration, a subscription, our publication).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// Counts a failure and returns how long to wait before the next try, or `None` once the
    /// policy's limit of retries in a row is used up. The delay is between half the ceiling and
    /// the ceiling (jitter from `random`, so that many agents do not retry together); ceilings
    /// double up to the policy's largest, so until then each delay is at least the one before.
    pub fn next_delay(&mut self, policy: RetryPolicy, random: &mut dyn Random) -> Option<u64> {
        if self.failures >= policy.limit {
            return None;
        }
        self.failures += 1;
        let ceiling = policy.first.saturating_mul(1 << (self.failures - 1).min(20)).min(policy.max);
        Some(ceiling / 2 + random.below(ceiling / 2 + 1))
    }

    /// How many failures in a row so far.
    pub fn failures(self) -> u32 {
        self.failures
    }

    /// The thing worked: the next failure starts from the first delay again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix;

    #[test]
    fn delays_grow_within_their_ceilings_and_the_limit_holds() {
        let policy = RetryPolicy { first: 1_000, max: 8_000, limit: 6 };
        let mut backoff = Backoff::default();
        let mut random = SplitMix(3);
        let delays: Vec<u64> = std::iter::from_fn(|| backoff.next_delay(policy, &mut random)).collect();
        assert_eq!(delays.len(), 6);
        for (n, delay) in delays.iter().enumerate() {
            let ceiling = (1_000u64 << n).min(8_000);
            assert!((ceiling / 2..=ceiling).contains(delay), "retry {n}: {delay} ms outside its window");
        }
        assert!(delays[..4].windows(2).all(|w| w[0] <= w[1]), "growing until the ceiling: {delays:?}");
        assert_eq!(backoff.failures(), 6);
        backoff.reset();
        assert!(backoff.next_delay(policy, &mut random).is_some_and(|d| d <= 1_000));
    }
}
