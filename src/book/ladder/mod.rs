//! One side of the book: the map from price to level handle, best first.
//!
//! Owns: the ordering of price levels on one side and which price is best.
//! Must not: hold orders or quantities (levels live in the book's level
//! arena) or know about matching.
//!
//! Several layouts implement [`Ladder`]; the book is generic over it so the
//! benchmarks can compare them on the same operation streams
//! (`cargo bench --bench matching`). The default, [`SortedVecLadder`], won
//! on both benchmark mixes; see `benches/matching.rs`.

mod btree;
mod sorted_vec;

pub use btree::BTreeLadder;
pub use sorted_vec::SortedVecLadder;

use crate::types::{Price, Side};

/// The price levels of one side of a book, as (price, level handle).
pub trait Ladder: Clone + std::fmt::Debug {
    /// An empty ladder for `side` (bids: highest price best; asks: lowest).
    fn new(side: Side) -> Self;
    /// The best price and its level.
    fn best(&self) -> Option<(Price, u32)>;
    /// The level at `price`, if any.
    fn get(&self, price: Price) -> Option<u32>;
    /// The level at `price`, inserting the one `make` returns if absent.
    fn get_or_insert_with(&mut self, price: Price, make: impl FnOnce() -> u32) -> u32;
    /// Removes the level at `price` (no-op if absent).
    fn remove(&mut self, price: Price);
    /// Removes the best level (no-op if empty).
    fn remove_best(&mut self);
    /// Number of levels.
    fn len(&self) -> usize;
    /// True when the side is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Levels best first.
    fn iter(&self) -> impl Iterator<Item = (Price, u32)> + '_;
}

/// Whether `a` is a strictly better price than `b` on `side`.
#[inline]
pub fn better(side: Side, a: Price, b: Price) -> bool {
    match side {
        Side::Buy => a > b,
        Side::Sell => a < b,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The contract every layout must meet, against a sorted model.
    pub fn exercise<L: Ladder>() {
        for side in [Side::Buy, Side::Sell] {
            let mut l = L::new(side);
            let mut model: Vec<(Price, u32)> = Vec::new();
            let mut x = 12345u64;
            for step in 0..3000u32 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let p = Price(((x >> 33) % 200) as i64 - 100);
                match (x >> 20) % 4 {
                    0 | 1 => {
                        let h = l.get_or_insert_with(p, || step);
                        if let Some(&(_, mh)) = model.iter().find(|e| e.0 == p) {
                            assert_eq!(h, mh);
                        } else {
                            assert_eq!(h, step);
                            model.push((p, step));
                        }
                    }
                    2 => {
                        l.remove(p);
                        model.retain(|e| e.0 != p);
                    }
                    _ => {
                        l.remove_best();
                        model.sort_by(|a, b| {
                            if better(side, a.0, b.0) {
                                std::cmp::Ordering::Less
                            } else {
                                std::cmp::Ordering::Greater
                            }
                        });
                        if !model.is_empty() {
                            model.remove(0);
                        }
                    }
                }
                model.sort_by(|a, b| {
                    if better(side, a.0, b.0) {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    }
                });
                assert_eq!(l.iter().collect::<Vec<_>>(), model);
                assert_eq!(l.best(), model.first().copied());
                assert_eq!(l.len(), model.len());
                assert_eq!(l.get(p), model.iter().find(|e| e.0 == p).map(|e| e.1));
            }
            // Extreme prices.
            let mut l = L::new(side);
            for p in [i64::MIN, i64::MAX, 0, -1, 1] {
                l.get_or_insert_with(Price(p), || p as u32);
            }
            assert_eq!(l.len(), 5);
            let best = if side == Side::Buy {
                i64::MAX
            } else {
                i64::MIN
            };
            assert_eq!(l.best().map(|b| b.0), Some(Price(best)));
        }
    }
}
