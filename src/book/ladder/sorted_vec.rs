//! Ladder layout: a sorted `Vec` with the best price at the end.
//!
//! Most activity is near the best price, so the best is O(1), popping it is
//! O(1), and inserting or removing a level near the top moves only the few
//! entries above it. A search scans the last few entries before falling back
//! to binary search. Must not: allocate once its capacity covers the side.

use super::Ladder;
use crate::types::{Price, Side};

/// How many entries next to the best a lookup scans linearly before
/// switching to binary search.
const NEAR: usize = 8;

/// Sorted-vector ladder; see the module documentation.
#[derive(Clone, Debug)]
pub struct SortedVecLadder {
    /// `price ^ mask` is increasing towards the best: 0 for bids (higher is
    /// better), all ones for asks (`!price` reverses the order exactly,
    /// without overflow).
    mask: i64,
    /// (key, level), sorted by key ascending: best last.
    entries: Vec<(i64, u32)>,
}

impl SortedVecLadder {
    #[inline]
    fn key(&self, p: Price) -> i64 {
        p.0 ^ self.mask
    }

    /// Like `binary_search`: `Ok(index)` of `key`, or `Err(insert index)`.
    #[inline]
    fn search(&self, key: i64) -> Result<usize, usize> {
        let e = &self.entries;
        let n = e.len();
        let mut i = n;
        while i > 0 && n - i < NEAR {
            let k = e[i - 1].0;
            if k == key {
                return Ok(i - 1);
            }
            if k < key {
                return Err(i);
            }
            i -= 1;
        }
        e[..i].binary_search_by_key(&key, |x| x.0)
    }
}

impl Ladder for SortedVecLadder {
    fn new(side: Side) -> Self {
        SortedVecLadder {
            mask: match side {
                Side::Buy => 0,
                Side::Sell => -1,
            },
            entries: Vec::new(),
        }
    }

    #[inline]
    fn best(&self) -> Option<(Price, u32)> {
        self.entries.last().map(|&(k, l)| (Price(k ^ self.mask), l))
    }

    #[inline]
    fn get(&self, price: Price) -> Option<u32> {
        self.search(self.key(price)).ok().map(|i| self.entries[i].1)
    }

    #[inline]
    fn get_or_insert_with(&mut self, price: Price, make: impl FnOnce() -> u32) -> u32 {
        let key = self.key(price);
        match self.search(key) {
            Ok(i) => self.entries[i].1,
            Err(i) => {
                let l = make();
                self.entries.insert(i, (key, l));
                l
            }
        }
    }

    #[inline]
    fn remove(&mut self, price: Price) {
        if let Ok(i) = self.search(self.key(price)) {
            self.entries.remove(i);
        }
    }

    #[inline]
    fn remove_best(&mut self) {
        self.entries.pop();
    }

    #[inline]
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn iter(&self) -> impl Iterator<Item = (Price, u32)> + '_ {
        let mask = self.mask;
        self.entries
            .iter()
            .rev()
            .map(move |&(k, l)| (Price(k ^ mask), l))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn meets_the_ladder_contract() {
        super::super::tests::exercise::<super::SortedVecLadder>();
    }
}
