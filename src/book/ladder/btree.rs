//! Ladder layout: a `BTreeMap` from price to level (the baseline).
//!
//! O(log n) for everything; allocates tree nodes as levels come and go.
//! Kept for comparison in the benchmarks.

use std::collections::BTreeMap;

use super::Ladder;
use crate::types::{Price, Side};

/// B-tree ladder; see the module documentation.
#[derive(Clone, Debug)]
pub struct BTreeLadder {
    /// `price ^ mask` grows towards the best (see `SortedVecLadder`).
    mask: i64,
    /// key -> level; the best is the last key.
    map: BTreeMap<i64, u32>,
}

impl Ladder for BTreeLadder {
    fn new(side: Side) -> Self {
        BTreeLadder {
            mask: match side {
                Side::Buy => 0,
                Side::Sell => -1,
            },
            map: BTreeMap::new(),
        }
    }

    #[inline]
    fn best(&self) -> Option<(Price, u32)> {
        self.map
            .last_key_value()
            .map(|(&k, &l)| (Price(k ^ self.mask), l))
    }

    #[inline]
    fn get(&self, price: Price) -> Option<u32> {
        self.map.get(&(price.0 ^ self.mask)).copied()
    }

    #[inline]
    fn get_or_insert_with(&mut self, price: Price, make: impl FnOnce() -> u32) -> u32 {
        *self.map.entry(price.0 ^ self.mask).or_insert_with(make)
    }

    #[inline]
    fn remove(&mut self, price: Price) {
        self.map.remove(&(price.0 ^ self.mask));
    }

    #[inline]
    fn remove_best(&mut self) {
        self.map.pop_last();
    }

    #[inline]
    fn len(&self) -> usize {
        self.map.len()
    }

    fn iter(&self) -> impl Iterator<Item = (Price, u32)> + '_ {
        let mask = self.mask;
        self.map
            .iter()
            .rev()
            .map(move |(&k, &l)| (Price(k ^ mask), l))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn meets_the_ladder_contract() {
        super::super::tests::exercise::<super::BTreeLadder>();
    }
}
