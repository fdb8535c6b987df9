//! One price level: the FIFO of the orders resting at one price, an
//! intrusive doubly-linked list through the order arena, with the level's
//! total quantity cached.
//!
//! Owns: the links and the cached total. Must not: touch the id index or the
//! ladder (the book removes empty levels), or free order slots.

use super::arena::{Arena, NIL};
use super::resting::OrderNode;
use crate::types::Price;

/// The orders resting at one price, oldest first.
#[derive(Clone, Copy, Debug)]
pub struct Level {
    /// The price.
    pub price: Price,
    /// Oldest order (first to match), or `NIL` when empty.
    pub head: u32,
    /// Youngest order, or `NIL` when empty.
    pub tail: u32,
    /// Sum of the remaining quantities (i128: cannot overflow).
    pub total: i128,
}

impl Level {
    /// An empty level at `price`.
    #[inline]
    pub fn new(price: Price) -> Level {
        Level {
            price,
            head: NIL,
            tail: NIL,
            total: 0,
        }
    }

    /// True when no order rests here.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// Appends the order in `slot` (lowest time priority); `me` is this
    /// level's handle, stored in the node.
    #[inline]
    pub fn push_back(&mut self, me: u32, orders: &mut Arena<OrderNode>, slot: u32) {
        let node = &mut orders[slot];
        node.prev = self.tail;
        node.next = NIL;
        node.level = me;
        self.total += node.remaining as i128;
        if self.tail == NIL {
            self.head = slot;
        } else {
            orders[self.tail].next = slot;
        }
        self.tail = slot;
    }

    /// Unlinks the order in `slot` (anywhere in the list) in O(1) and takes
    /// its remaining quantity off the total. The slot stays allocated.
    #[inline]
    pub fn unlink(&mut self, orders: &mut Arena<OrderNode>, slot: u32) {
        let OrderNode {
            prev,
            next,
            remaining,
            ..
        } = orders[slot];
        self.total -= remaining as i128;
        if prev == NIL {
            self.head = next;
        } else {
            orders[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            orders[next].prev = prev;
        }
    }

    /// Iterates the slots of this level, oldest first.
    pub fn slots<'a>(&self, orders: &'a Arena<OrderNode>) -> impl Iterator<Item = u32> + 'a {
        let mut cur = self.head;
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let s = cur;
            cur = orders[s].next;
            Some(s)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{SelfTradePrevention, TimeInForce};
    use crate::types::Side;

    fn node(id: u64, remaining: i64) -> OrderNode {
        OrderNode {
            id,
            account: 0,
            price: Price(1),
            remaining,
            filled: 0,
            prev: NIL,
            next: NIL,
            level: NIL,
            side: Side::Buy,
            tif: TimeInForce::Gtc,
            stp: SelfTradePrevention::None,
        }
    }

    #[test]
    fn fifo_links_and_total() {
        let mut orders = Arena::default();
        let mut l = Level::new(Price(1));
        let s: Vec<u32> = (1..=3).map(|i| orders.alloc(node(i, i as i64))).collect();
        for &x in &s {
            l.push_back(7, &mut orders, x);
        }
        assert_eq!(l.total, 6);
        assert_eq!(l.slots(&orders).collect::<Vec<_>>(), s);
        l.unlink(&mut orders, s[1]);
        assert_eq!(l.slots(&orders).collect::<Vec<_>>(), vec![s[0], s[2]]);
        l.unlink(&mut orders, s[0]);
        l.unlink(&mut orders, s[2]);
        assert!(l.is_empty());
        assert_eq!((l.total, l.tail), (0, NIL));
        assert_eq!(orders[s[0]].level, 7);
    }
}
