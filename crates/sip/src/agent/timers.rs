//! The agent's timers: one deadline per key, the earliest first.

use crate::Millis;
use crate::vec_map::{LinearMap, VecMap};

/// Deadlines keyed by what they are for; setting a key again moves its deadline.
#[derive(Debug)]
pub(crate) struct TimerQueue<K> {
    by_time: VecMap<(Millis, u64), K>,
    by_key: LinearMap<K, (Millis, u64)>,
    sequence: u64,
}

impl<K: Clone + Eq> TimerQueue<K> {
    pub(crate) fn new() -> Self {
        TimerQueue { by_time: VecMap::new(), by_key: LinearMap::new(), sequence: 0 }
    }

    /// Arms `key` at `at`, replacing its earlier deadline.
    pub(crate) fn set(&mut self, key: K, at: Millis) {
        self.cancel(&key);
        self.sequence += 1;
        self.by_time.insert((at, self.sequence), key.clone());
        self.by_key.insert(key, (at, self.sequence));
    }

    /// Disarms `key` (nothing happens when it is not armed).
    pub(crate) fn cancel(&mut self, key: &K) {
        if let Some(slot) = self.by_key.remove(key) {
            self.by_time.remove(&slot);
        }
    }

    /// Disarms every key `matches` selects.
    pub(crate) fn cancel_where(&mut self, matches: impl Fn(&K) -> bool) {
        let keys: Vec<K> = self.by_key.keys().filter(|k| matches(k)).cloned().collect();
        for key in keys {
            self.cancel(&key);
        }
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Millis> {
        self.by_time.keys().next().map(|(at, _)| *at)
    }

    /// Removes and returns the earliest key due at `now`.
    pub(crate) fn pop_due(&mut self, now: Millis) -> Option<K> {
        let (&slot, _) = self.by_time.iter().next().filter(|((at, _), _)| *at <= now)?;
        let key = self.by_time.remove(&slot)?;
        self.by_key.remove(&key);
        Some(key)
    }

    /// The armed keys.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.by_key.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fire_in_deadline_order_and_rearming_moves_them() {
        let mut queue = TimerQueue::new();
        queue.set("a", Millis(30));
        queue.set("b", Millis(10));
        queue.set("c", Millis(20));
        queue.set("a", Millis(5));
        queue.cancel(&"c");
        assert_eq!(queue.next(), Some(Millis(5)));
        assert_eq!(queue.pop_due(Millis(9)), Some("a"));
        assert_eq!(queue.pop_due(Millis(9)), None);
        assert_eq!(queue.pop_due(Millis(10)), Some("b"));
        assert_eq!(queue.next(), None);
    }
}
