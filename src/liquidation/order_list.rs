//! One account's live order ids, in placement order, with removal in
//! O(log k) (k: the account's orders): each entry carries the order's
//! placement number, so removing finds it by binary search and marks it
//! dead; dead entries are dropped once they are half the list. The street
//! may hold tens of thousands of resting orders, and every fill that
//! completes one removes it, so a scan per removal is not an option.
//!
//! Must not: know what an order is (the engine's live-order table does),
//! or change the order of the ids it yields.

use smallvec::SmallVec;

use crate::types::OrderId;

/// Set in an entry's placement number when the order has left.
const DEAD: u64 = 1 << 63;

/// Live order ids of one account in placement order.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderList {
    /// (placement number, id), ascending placement numbers; a dead entry
    /// has `DEAD` set in its number.
    entries: SmallVec<[(u64, OrderId); 4]>,
    /// Dead entries still in `entries`.
    dead: usize,
}

impl OrderList {
    /// Appends an order; `seq` must exceed every number pushed before and
    /// stay below 2^63 (the engine counts placements from 0).
    pub fn push(&mut self, seq: u64, id: OrderId) {
        debug_assert!(seq & DEAD == 0);
        debug_assert!(self.entries.last().is_none_or(|e| e.0 & !DEAD < seq));
        self.entries.push((seq, id));
    }

    /// Removes the order pushed with `seq`; false when there is none.
    pub fn remove(&mut self, seq: u64) -> bool {
        let Ok(k) = self.entries.binary_search_by_key(&seq, |e| e.0 & !DEAD) else {
            return false;
        };
        if self.entries[k].0 & DEAD != 0 {
            return false;
        }
        self.entries[k].0 |= DEAD;
        self.dead += 1;
        if self.dead * 2 > self.entries.len() {
            self.entries.retain(|e| e.0 & DEAD == 0);
            self.dead = 0;
        }
        true
    }

    /// True when no order is live.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == self.dead
    }

    /// The live ids, in placement order.
    pub fn iter(&self) -> impl Iterator<Item = &OrderId> + '_ {
        self.entries
            .iter()
            .filter(|e| e.0 & DEAD == 0)
            .map(|(_, id)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_placement_order_through_removals() {
        let mut l = OrderList::default();
        let mut naive: Vec<(u64, OrderId)> = Vec::new();
        // A fixed pseudo-random mix of pushes and removals, checked
        // against a plain vector after every operation.
        let mut x: u64 = 12345;
        let mut seq = 0;
        for _ in 0..5000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            if (x >> 60) < 9 || naive.is_empty() {
                let id = x >> 40;
                l.push(seq, id);
                naive.push((seq, id));
                seq += 1;
            } else {
                let k = (x >> 20) as usize % naive.len();
                let (s, _) = naive.remove(k);
                assert!(l.remove(s));
                assert!(!l.remove(s), "a second removal finds nothing");
            }
            let got: Vec<OrderId> = l.iter().copied().collect();
            let want: Vec<OrderId> = naive.iter().map(|e| e.1).collect();
            assert_eq!(got, want);
            assert_eq!(l.is_empty(), naive.is_empty());
            assert!(l.entries.len() <= 2 * naive.len() + 1);
        }
        assert!(!l.remove(seq + 7));
    }
}
