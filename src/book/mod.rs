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

mod order;
mod outcome;
pub mod reference;

pub use order::{OrderRequest, SelfTradePrevention, StopRequest, TimeInForce, TriggerSource};
pub use outcome::{BookEvent, BookReject, Cancel, CancelReason, Fill, Placed};
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

/// The order book of one instrument. (Stage 1: delegates to the reference
/// implementation; the fast one replaces it behind the same API.)
#[derive(Clone, Debug, Default)]
pub struct OrderBook {
    inner: ReferenceBook,
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> OrderBook {
        OrderBook::default()
    }

    /// Submits a limit or market order: matches it against the opposite
    /// side at the resting orders' prices, in price-time priority, then rests
    /// what is left (GTC / post-only) or cancels it (IOC: `Ioc`; market:
    /// `NoLiquidity`). Events are appended to `out` in order.
    pub fn submit(
        &mut self,
        order: &OrderRequest,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject> {
        self.inner.submit(order, out)
    }

    /// Removes a resting order or pending stop; returns its unfilled quantity.
    pub fn cancel(&mut self, id: OrderId) -> Result<Cancel, BookReject> {
        self.inner.cancel(id)
    }

    /// Amends a resting order. `qty` is the new total quantity (filled part
    /// included). A lower quantity at the same price keeps time priority;
    /// a price change or a higher quantity re-enters the order as a taker
    /// (it may trade). `qty` at or below the filled quantity cancels it
    /// (`CancelReason::User`). A post-only order that would cross is
    /// refused and left as it was.
    pub fn modify(
        &mut self,
        id: OrderId,
        price: Option<Price>,
        qty: Option<Qty>,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject> {
        self.inner.modify(id, price, qty, out)
    }

    /// Sets the remaining quantity of a resting order in place, keeping its
    /// time priority whether it grows or shrinks (for anonymous L2 depth in
    /// replays). Zero removes it.
    pub fn resize(&mut self, id: OrderId, remaining: Qty) -> Result<(), BookReject> {
        self.inner.resize(id, remaining)
    }

    /// Adds a pending stop order.
    pub fn add_stop(&mut self, stop: StopRequest) -> Result<(), BookReject> {
        self.inner.add_stop(stop)
    }

    /// Removes the stops watching `source` that `price` triggers, appending
    /// them to `out` in insertion order.
    pub fn trigger_stops(
        &mut self,
        source: TriggerSource,
        price: Price,
        out: &mut Vec<StopRequest>,
    ) {
        self.inner.trigger_stops(source, price, out)
    }

    /// Best bid price.
    pub fn best_bid(&self) -> Option<Price> {
        self.inner.best_bid()
    }

    /// Best ask price.
    pub fn best_ask(&self) -> Option<Price> {
        self.inner.best_ask()
    }

    /// Up to `levels` levels of one side, best first, as (price, total qty).
    pub fn depth(&self, side: Side, levels: usize) -> Vec<(Price, Qty)> {
        self.inner.depth(side, levels)
    }

    /// A resting order.
    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        self.inner.order(id)
    }

    /// A pending stop.
    pub fn stop(&self, id: OrderId) -> Option<StopRequest> {
        self.inner.stop(id)
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// True when no order rests.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Number of pending stops.
    pub fn stop_count(&self) -> usize {
        self.inner.stop_count()
    }

    /// Checks the book's structure; `Err` describes the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.inner.check_invariants()
    }
}
