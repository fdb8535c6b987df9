//! Structural checks of the fast book, for tests and fuzzing.
//!
//! Owns: `check_invariants`. Must not: change anything, or be called on a
//! hot path (it walks the whole book and is O(n^2) in freed slots).

use super::arena::NIL;
use super::ladder::{better, Ladder};
use super::{OrderBook, TimeInForce};
use crate::types::Side;

impl<L: Ladder> OrderBook<L> {
    /// Checks the book's structure and returns the first violation found:
    /// not crossed; each side's levels strictly ordered best first, none
    /// empty; each level's cached total equal to the sum of its orders;
    /// FIFO links consistent both ways; every order on the side, price and
    /// level it claims, with a positive remaining quantity and filled +
    /// remaining within `i64`; the id index and the arenas matching the
    /// levels exactly; stops consistent and their ids disjoint from resting
    /// ids.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let (Some(b), Some(a)) = (self.best_bid(), self.best_ask()) {
            if b >= a {
                return Err(format!("crossed book: bid {} >= ask {}", b.0, a.0));
            }
        }
        let mut orders_seen = 0usize;
        let mut levels_seen = 0usize;
        for side in [Side::Buy, Side::Sell] {
            let ladder = self.ladder(side);
            ladder.check()?;
            let mut prev_price = None;
            for (price, lvl) in ladder.iter() {
                levels_seen += 1;
                if prev_price.is_some_and(|p| !better(side, p, price)) {
                    return Err(format!("{side} ladder out of order at {}", price.0));
                }
                prev_price = Some(price);
                if ladder.get(price) != Some(lvl) {
                    return Err(format!("{side} ladder lookup of {} fails", price.0));
                }
                if self.levels.is_free(lvl) {
                    return Err(format!("level {} at {} is freed", lvl, price.0));
                }
                let level = &self.levels[lvl];
                if level.price != price {
                    return Err(format!("level at {} says {}", price.0, level.price.0));
                }
                if level.head == NIL {
                    return Err(format!("empty level at {} on {side}", price.0));
                }
                let mut sum: i128 = 0;
                let mut prev = NIL;
                let mut s = level.head;
                while s != NIL {
                    if self.orders.is_free(s) {
                        return Err(format!("slot {s} in level {} is freed", price.0));
                    }
                    let o = &self.orders[s];
                    orders_seen += 1;
                    if orders_seen > self.orders.live() {
                        return Err("more linked orders than live slots (a cycle?)".into());
                    }
                    if o.prev != prev {
                        return Err(format!("order {} has a wrong prev link", o.id));
                    }
                    if o.side != side || o.price != price || o.level != lvl {
                        return Err(format!("order {} misplaced", o.id));
                    }
                    if o.remaining <= 0
                        || o.filled < 0
                        || o.filled.checked_add(o.remaining).is_none()
                    {
                        return Err(format!("order {} has bad quantities", o.id));
                    }
                    if !matches!(o.tif, TimeInForce::Gtc | TimeInForce::PostOnly) {
                        return Err(format!("order {} rests with tif {:?}", o.id, o.tif));
                    }
                    if self.index.get(o.id) != Some(s) {
                        return Err(format!("order {} not indexed at its slot", o.id));
                    }
                    if self.stops.contains(o.id) {
                        return Err(format!("id {} both resting and a stop", o.id));
                    }
                    sum += o.remaining as i128;
                    prev = s;
                    s = o.next;
                }
                if level.tail != prev {
                    return Err(format!("level {} has a wrong tail", price.0));
                }
                if sum != level.total {
                    return Err(format!(
                        "level {} total {} != sum of orders {}",
                        price.0, level.total, sum
                    ));
                }
            }
        }
        self.index.check()?;
        if orders_seen != self.index.len() || orders_seen != self.orders.live() {
            return Err(format!(
                "{} orders linked, {} indexed, {} live slots",
                orders_seen,
                self.index.len(),
                self.orders.live()
            ));
        }
        if levels_seen != self.levels.live() {
            return Err(format!(
                "{} levels in ladders, {} live level slots",
                levels_seen,
                self.levels.live()
            ));
        }
        self.stops.check()
    }
}

#[cfg(test)]
mod tests {
    use crate::book::ladder::Ladder;
    use crate::book::{BookEvent, OrderBook, OrderRequest, SelfTradePrevention, TimeInForce};
    use crate::types::{Price, Qty, Side};

    fn book() -> OrderBook {
        let mut b = OrderBook::new();
        let mut out: Vec<BookEvent> = Vec::new();
        for (id, side, price) in [(1, Side::Buy, 99), (2, Side::Buy, 99), (3, Side::Sell, 101)] {
            let o = OrderRequest {
                id,
                account: id,
                side,
                qty: Qty(5),
                price: Some(Price(price)),
                tif: TimeInForce::Gtc,
                stp: SelfTradePrevention::None,
            };
            b.submit(&o, &mut out).unwrap();
        }
        b.check_invariants().unwrap();
        b
    }

    #[test]
    fn detects_a_wrong_level_total() {
        let mut b = book();
        let (_, lvl) = b.bids.iter().next().unwrap();
        b.levels[lvl].total += 1;
        assert!(b.check_invariants().unwrap_err().contains("total"));
    }

    #[test]
    fn detects_a_broken_link_and_a_stale_index() {
        let mut b = book();
        let slot = b.index.get(2).unwrap();
        b.orders[slot].prev = slot;
        assert!(b.check_invariants().is_err());
        let mut b = book();
        b.index.insert(9, b.index.get(1).unwrap());
        assert!(b.check_invariants().is_err());
    }

    #[test]
    fn detects_bad_quantities() {
        let mut b = book();
        let slot = b.index.get(3).unwrap();
        b.orders[slot].remaining = 0;
        assert!(b.check_invariants().is_err());
        let mut b = book();
        let s = b.index.get(3).unwrap();
        b.orders[s].filled = i64::MAX;
        assert!(b.check_invariants().unwrap_err().contains("quantities"));
    }
}
