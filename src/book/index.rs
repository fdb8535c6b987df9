//! The id index: order id -> arena slot, for O(1) cancel, modify and
//! lookup by id.
//!
//! Owns: the map and its hash function. Must not: iterate in hash order
//! where that could reach an output (nothing here iterates).
//!
//! Ids are integers chosen by users, so the hash must be cheap but still
//! spread ids that differ only in high bits (e.g. multiples of 2^32): a
//! 64x64->128-bit multiply folded onto itself does both. SipHash (the std
//! default) costs several times more per lookup for no benefit here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::types::OrderId;

/// A hasher for integer keys: one widening multiply, high and low halves
/// folded together.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        let p = ((n ^ self.0) as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Not used by u64 keys; kept correct for any other key type.
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
}

/// A `HashMap` keyed by order id with [`IdHasher`].
pub type IdMap<V> = HashMap<OrderId, V, BuildHasherDefault<IdHasher>>;

/// Order id -> slot of the resting order.
#[derive(Clone, Debug, Default)]
pub struct IdIndex {
    map: IdMap<u32>,
}

impl IdIndex {
    /// The slot of `id`.
    #[inline]
    pub fn get(&self, id: OrderId) -> Option<u32> {
        self.map.get(&id).copied()
    }

    /// True when `id` rests.
    #[inline]
    pub fn contains(&self, id: OrderId) -> bool {
        self.map.contains_key(&id)
    }

    /// Records `id` at `slot`.
    #[inline]
    pub fn insert(&mut self, id: OrderId, slot: u32) {
        self.map.insert(id, slot);
    }

    /// Forgets `id`, returning its slot.
    #[inline]
    pub fn remove(&mut self, id: OrderId) -> Option<u32> {
        self.map.remove(&id)
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn spreads_ids_that_differ_in_high_bits() {
        let b = BuildHasherDefault::<IdHasher>::default();
        let mut low: Vec<u64> = (0..64u64).map(|i| b.hash_one(i << 40) & 1023).collect();
        low.sort_unstable();
        low.dedup();
        assert!(low.len() > 50, "{}", low.len());
    }

    #[test]
    fn maps_ids() {
        let mut ix = IdIndex::default();
        ix.insert(u64::MAX, 3);
        ix.insert(0, 4);
        assert_eq!(
            (ix.get(u64::MAX), ix.get(0), ix.get(1)),
            (Some(3), Some(4), None)
        );
        assert_eq!(ix.remove(0), Some(4));
        assert!(!ix.contains(0) && ix.len() == 1);
    }
}
