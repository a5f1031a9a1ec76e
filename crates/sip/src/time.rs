//! Time as the caller gives it: milliseconds on any monotonic clock.

use std::ops::{Add, Sub};

/// A point in time in milliseconds, on whatever monotonic clock the caller uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Add<u64> for Millis {
    type Output = Millis;
    fn add(self, millis: u64) -> Millis {
        Millis(self.0.saturating_add(millis))
    }
}

impl Sub for Millis {
    type Output = u64;
    fn sub(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}
