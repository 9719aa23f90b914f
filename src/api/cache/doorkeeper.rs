//! Which misses a full cache should offer to its store: a URL's second recent miss.
//!
//! The store (moka) decides by TinyLFU *after* an insert whether the new entry stays, and on a
//! full cache it mostly refuses a URL asked for the first time: the long tail. Each of those
//! was still packed and inserted (~12 µs of a miss) for nothing. A fixed table of recent first
//! misses (TinyLFU's "doorkeeper") lets only a URL missed again through while the store is
//! full; with room to spare, every response is kept at once, as before.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

/// Recent first misses remembered (8 bytes each): more than a 64 MB store's entries, so a URL
/// asked twice within a few seconds of long-tail traffic is still remembered.
const SLOTS: u64 = 1 << 16;

pub(super) struct Doorkeeper {
    hasher: RandomState,
    /// A key's hash in its slot; a later key landing on the slot takes it over.
    slots: Box<[AtomicU64]>,
}

impl Default for Doorkeeper {
    fn default() -> Self {
        Doorkeeper {
            hasher: RandomState::new(),
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Doorkeeper {
    /// Whether `key` missed recently before this miss, which it records.
    pub(super) fn missed_before(&self, key: &str) -> bool {
        // Never 0, the empty slot.
        let hash = self.hasher.hash_one(key) | 1;
        let at = usize::try_from(hash % SLOTS).unwrap_or_default();
        self.slots
            .get(at)
            .is_some_and(|slot| slot.swap(hash, Ordering::Relaxed) == hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_passes_on_its_second_miss() {
        let door = Doorkeeper::default();
        assert!(!door.missed_before("/api/v1/articles/a"));
        assert!(!door.missed_before("/api/v1/articles/b"));
        assert!(door.missed_before("/api/v1/articles/a"));
        assert!(door.missed_before("/api/v1/articles/a"));
        assert!(door.missed_before("/api/v1/articles/b"));
    }
}
