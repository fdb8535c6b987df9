//! L3 (order-by-order) messages folded into L2 level sizes: each resting
//! order by id, each level's total, and the anonymous part of a level
//! (liquidity resting before the file began, seeded from the first
//! orderbook row) that executions and cancels of unknown ids draw from.
//!
//! Owns: the order table and the level totals, in ticks and lots.
//! Must not: touch the engine; it returns the new historical size of the
//! level a message changed, and the driver applies it.

use std::collections::HashMap;

use crate::types::{Price, Qty, Side};

/// A level and its new total size: (side, price, lots).
pub type LevelSize = (Side, Price, Qty);

/// One level's size: all of it, and the part of known orders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Level {
    total: i64,
    known: i64,
}

/// What a message did that the data does not explain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L3Anomalies {
    /// An add reused a live id (the old order was replaced).
    pub duplicate_ids: u64,
    /// A cancel or execution of an unknown id found less anonymous
    /// liquidity at its level than it removed.
    pub unexplained: u64,
}

/// The L3 book of one instrument as level sizes.
#[derive(Clone, Debug, Default)]
pub struct L3Book {
    orders: HashMap<u64, (Side, Price, i64)>,
    levels: HashMap<(Side, Price), Level>,
    anomalies: L3Anomalies,
}

impl L3Book {
    /// An empty book.
    pub fn new() -> L3Book {
        L3Book::default()
    }

    /// What the messages did that the data does not explain.
    pub fn anomalies(&self) -> L3Anomalies {
        self.anomalies
    }

    /// Forgets everything (a new snapshot).
    pub fn clear(&mut self) {
        self.orders.clear();
        self.levels.clear();
    }

    /// Seeds anonymous liquidity: the level holds `qty` lots of unknown
    /// orders. Returns the level's new total.
    pub fn seed(&mut self, side: Side, price: Price, qty: Qty) -> Qty {
        let l = self.levels.entry((side, price)).or_default();
        l.total = l.known.saturating_add(qty.0.max(0));
        Qty(l.total)
    }

    /// Forgets a level and the known orders resting there (its liquidity
    /// left what the data can follow; it may be seeded again later).
    pub fn forget(&mut self, side: Side, price: Price) {
        if self.levels.remove(&(side, price)).is_some() {
            self.orders.retain(|_, o| (o.0, o.1) != (side, price));
        }
    }

    /// A new order rests. Returns the level's new total, and when the id
    /// was live, the level its old order left with that level's new total.
    pub fn add(
        &mut self,
        id: u64,
        side: Side,
        price: Price,
        qty: Qty,
    ) -> (LevelSize, Option<LevelSize>) {
        let mut replaced = None;
        if let Some((s, p, q)) = self.orders.remove(&id) {
            self.anomalies.duplicate_ids += 1;
            let l = self.levels.entry((s, p)).or_default();
            l.total = l.total.saturating_sub(q);
            l.known = l.known.saturating_sub(q);
            replaced = Some((s, p, Qty(l.total)));
        }
        let q = qty.0.max(0);
        self.orders.insert(id, (side, price, q));
        let l = self.levels.entry((side, price)).or_default();
        l.total = l.total.saturating_add(q);
        l.known = l.known.saturating_add(q);
        ((side, price, Qty(l.total)), replaced)
    }

    /// `qty` lots of order `id` leave the book (a partial cancel or an
    /// execution; `delete`: the whole order goes). An unknown id draws
    /// from the anonymous liquidity at (`side`, `price`). Returns the
    /// level changed and its new total.
    pub fn remove(
        &mut self,
        id: u64,
        side: Side,
        price: Price,
        qty: Qty,
        delete: bool,
    ) -> LevelSize {
        let q = qty.0.max(0);
        if let Some(o) = self.orders.get_mut(&id) {
            let (s, p) = (o.0, o.1);
            let take = if delete { o.2 } else { q.min(o.2) };
            o.2 -= take;
            if o.2 == 0 {
                self.orders.remove(&id);
            }
            let l = self.levels.entry((s, p)).or_default();
            l.total = l.total.saturating_sub(take);
            l.known = l.known.saturating_sub(take);
            return (s, p, Qty(l.total));
        }
        let l = self.levels.entry((side, price)).or_default();
        let anonymous = l.total - l.known;
        if anonymous < q {
            self.anomalies.unexplained += 1;
        }
        l.total -= q.min(anonymous);
        (side, price, Qty(l.total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_anonymous_liquidity() {
        let mut b = L3Book::new();
        assert_eq!(b.seed(Side::Sell, Price(100), Qty(50)), Qty(50));
        assert_eq!(b.add(1, Side::Sell, Price(100), Qty(10)).0 .2, Qty(60));
        // An execution of an unknown id draws from the anonymous 50.
        assert_eq!(
            b.remove(9, Side::Sell, Price(100), Qty(20), false).2,
            Qty(40)
        );
        // Partial cancel of order 1, then its deletion.
        assert_eq!(
            b.remove(1, Side::Sell, Price(100), Qty(4), false).2,
            Qty(36)
        );
        assert_eq!(b.remove(1, Side::Sell, Price(100), Qty(6), true).2, Qty(30));
        // More than the anonymous part is left: counted, clamped.
        assert_eq!(b.remove(8, Side::Sell, Price(100), Qty(31), true).2, Qty(0));
        assert_eq!(b.anomalies().unexplained, 1);
        // Id reuse replaces the old order.
        b.add(2, Side::Buy, Price(90), Qty(5));
        let (new, old) = b.add(2, Side::Buy, Price(91), Qty(3));
        assert_eq!(new.2, Qty(3));
        assert_eq!(old, Some((Side::Buy, Price(90), Qty(0))));
        assert_eq!(b.remove(7, Side::Buy, Price(90), Qty(0), true).2, Qty(0));
        assert_eq!(b.anomalies().duplicate_ids, 1);
        // A forgotten level starts again from its seed alone.
        b.forget(Side::Buy, Price(91));
        assert_eq!(b.seed(Side::Buy, Price(91), Qty(7)), Qty(7));
        assert_eq!(b.remove(2, Side::Buy, Price(91), Qty(3), true).2, Qty(4));
    }
}
