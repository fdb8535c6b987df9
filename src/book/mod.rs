//! The limit order book of one instrument: price-time priority matching of
//! limit, market, IOC, FOK and post-only orders, modify and cancel, pending
//! stop orders, and self-trade prevention.
//!
//! Owns: resting orders and pending stops, and nothing else. It reports
//! fills and cancellations as `BookEvent`s, in order, into a buffer the
//! caller owns (no allocation per order in steady state).
//!
//! Must not: know about margin, positions, marks, fees, halts or files.
//! Those belong to the engine (`liquidation`) and the readers (`replay`).

mod arena;
pub mod fuzzing;
mod index;
mod invariants;
pub mod ladder;
mod level;
mod matching;
mod order;
mod orderbook;
mod outcome;
pub mod reference;
mod resting;
mod stops;
pub mod workload;

pub use order::{OrderRequest, SelfTradePrevention, StopRequest, TimeInForce, TriggerSource};
pub use orderbook::OrderBook;
pub use outcome::{BookEvent, BookReject, Cancel, CancelReason, Fill, Placed, Reduce};
pub use reference::ReferenceBook;

use crate::types::{AccountId, OrderId, Price, Qty, Side};

/// A read-only view of a resting order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderView {
    /// Id.
    pub id: OrderId,
    /// Owner.
    pub account: AccountId,
    /// Side.
    pub side: Side,
    /// Limit price.
    pub price: Price,
    /// Unfilled quantity resting.
    pub remaining: Qty,
    /// Quantity filled so far.
    pub filled: Qty,
}
