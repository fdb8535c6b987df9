//! A resting order as the fast book stores it: one arena slot, linked into
//! the FIFO of its price level.
//!
//! Owns: the node layout. Must not: hold anything a resting order does not
//! need (the book's hot loop walks these nodes).

use super::{OrderView, SelfTradePrevention, TimeInForce};
use crate::types::{AccountId, OrderId, Price, Qty, Side};

/// One resting order, a node of its level's intrusive doubly-linked list.
#[derive(Clone, Copy, Debug)]
pub struct OrderNode {
    /// Order id.
    pub id: OrderId,
    /// Owner (for self-trade prevention).
    pub account: AccountId,
    /// Limit price.
    pub price: Price,
    /// Unfilled lots, > 0 while resting.
    pub remaining: i64,
    /// Lots filled so far; `filled + remaining` never exceeds `i64::MAX`.
    pub filled: i64,
    /// Previous (older) order at the same price, or `NIL`.
    pub prev: u32,
    /// Next (younger) order at the same price, or `NIL`.
    pub next: u32,
    /// Handle of the level it rests in.
    pub level: u32,
    /// Side.
    pub side: Side,
    /// Time in force (`Gtc` or `PostOnly` while resting).
    pub tif: TimeInForce,
    /// Self-trade prevention mode it was submitted with.
    pub stp: SelfTradePrevention,
}

impl OrderNode {
    /// The public view.
    #[inline]
    pub fn view(&self) -> OrderView {
        OrderView {
            id: self.id,
            account: self.account,
            side: self.side,
            price: self.price,
            remaining: Qty(self.remaining),
            filled: Qty(self.filled),
        }
    }
}
