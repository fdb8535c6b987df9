//! The fast order book: the public API of `OrderBook` on top of the order
//! arena, the price ladders, the id index and the stop book.
//!
//! Owns: request validation, resting and removing orders, modify, resize,
//! stops and the read-only queries. The matching loop itself lives in
//! `matching.rs`, the structural checks in `invariants.rs`.
//!
//! Must not: allocate per order once warmed up (arena slots, ladder and
//! index capacity are reused; events go to the caller's buffer), or panic
//! on any input.

use super::arena::{Arena, NIL};
use super::index::IdIndex;
use super::ladder::{DenseLadder, Ladder};
use super::level::Level;
use super::matching::crosses;
use super::resting::OrderNode;
use super::stops::StopBook;
use super::{
    BookEvent, BookReject, Cancel, CancelReason, OrderRequest, OrderView, Placed, StopRequest,
    TimeInForce, TriggerSource,
};
use crate::types::{OrderId, Price, Qty, Side};

/// The order book of one instrument: price-time priority matching of limit,
/// market, IOC, FOK and post-only orders with self-trade prevention,
/// modify, cancel, in-place resize and pending stops.
///
/// Semantics (the [`ReferenceBook`](super::ReferenceBook) oracle implements
/// the same, and property tests and the fuzz target hold the two equal):
///
/// - Every trade happens at the resting (maker) order's price; orders at
///   one price match oldest first, and a partial fill keeps its place.
/// - Self-trade prevention applies when taker and maker have the same
///   account and the taker's mode is not `None` (see
///   [`SelfTradePrevention`](super::SelfTradePrevention)). A `Cancel`'s
///   `remaining` is always the quantity it removed.
/// - Events go to `out` in the order they happen (fills and STP cancels
///   interleaved), then the taker's remainder cancel, if any.
/// - Quantities are bounded so nothing overflows: an order's filled plus
///   remaining quantity never exceeds `i64::MAX` (a `resize` that would
///   break this is refused with `BadQty`); level totals are kept in `i128`
///   and reported saturated at `i64::MAX`.
///
/// `L` is the ladder layout (one side's price levels); the default won the
/// benchmarks, the others exist to be measured against it.
#[derive(Clone, Debug)]
pub struct OrderBook<L: Ladder = DenseLadder> {
    /// Resting orders.
    pub(super) orders: Arena<OrderNode>,
    /// Price levels of both sides.
    pub(super) levels: Arena<Level>,
    /// Bid levels.
    pub(super) bids: L,
    /// Ask levels.
    pub(super) asks: L,
    /// Id -> slot of every resting order.
    pub(super) index: IdIndex,
    /// Pending stops.
    pub(super) stops: StopBook,
}

impl Default for OrderBook {
    fn default() -> Self {
        OrderBook::empty()
    }
}

impl OrderBook {
    /// An empty book.
    pub fn new() -> OrderBook {
        OrderBook::empty()
    }

    /// An empty book with room for `orders` resting orders (and as many
    /// price levels) before it allocates.
    pub fn with_capacity(orders: usize) -> OrderBook {
        OrderBook::empty_with_capacity(orders)
    }
}

/// A level total as the public `Qty`, saturated at `i64::MAX`.
#[inline]
pub(super) fn saturate(total: i128) -> Qty {
    Qty(total.min(i64::MAX as i128) as i64)
}

impl<L: Ladder> OrderBook<L> {
    /// An empty book with ladder layout `L`.
    pub fn empty() -> Self {
        Self::empty_with_capacity(0)
    }

    /// An empty book with room for `orders` resting orders (and as many
    /// price levels) before it allocates, with ladder layout `L`.
    pub fn empty_with_capacity(orders: usize) -> Self {
        OrderBook {
            orders: Arena::with_capacity(orders),
            levels: Arena::with_capacity(orders),
            bids: L::new(Side::Buy),
            asks: L::new(Side::Sell),
            index: IdIndex::with_capacity(orders),
            stops: StopBook::default(),
        }
    }

    #[inline]
    pub(super) fn ladder(&self, side: Side) -> &L {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    fn ladder_mut(&mut self, side: Side) -> &mut L {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Would a `side` order limited at `limit` trade with the opposite best?
    #[inline]
    fn would_cross(&self, side: Side, limit: Price) -> bool {
        self.ladder(side.opposite())
            .best()
            .is_some_and(|(p, _)| crosses(side, Some(limit), p))
    }

    /// Submits a limit or market order: matches it against the opposite
    /// side at the resting orders' prices, in price-time priority, then rests
    /// what is left (GTC / post-only) or cancels it (IOC: `Ioc`; market:
    /// `NoLiquidity`). Events are appended to `out` in order.
    ///
    /// Refused, with nothing changed: `BadQty` (qty <= 0), `DuplicateId` (id
    /// resting or pending as a stop), `PostOnlyWouldCross`, `FokUnfillable`
    /// (a dry run that applies self-trade prevention as the real run would
    /// finds less than the full quantity). A market order (`price: None`)
    /// ignores `tif` and never rests.
    pub fn submit(
        &mut self,
        order: &OrderRequest,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject> {
        if order.qty.0 <= 0 {
            return Err(BookReject::BadQty);
        }
        if self.index.contains(order.id) || self.stops.contains(order.id) {
            return Err(BookReject::DuplicateId);
        }
        if let Some(limit) = order.price {
            match order.tif {
                TimeInForce::PostOnly if self.would_cross(order.side, limit) => {
                    return Err(BookReject::PostOnlyWouldCross)
                }
                TimeInForce::Fok if !self.fok_fillable(order) => {
                    return Err(BookReject::FokUnfillable)
                }
                _ => {}
            }
        }
        Ok(self.execute(order, 0, NIL, out))
    }

    /// Runs `req` (its `qty` is what to work now) as a taker, then rests or
    /// cancels the remainder. `prior_filled` is what the order filled
    /// before; `slot` is its arena slot when a modify re-enters it (still
    /// indexed, unlinked), else `NIL`.
    fn execute(
        &mut self,
        req: &OrderRequest,
        prior_filled: i64,
        slot: u32,
        out: &mut Vec<BookEvent>,
    ) -> Placed {
        let (filled, remaining) = self.take(req, out);
        let reason = match (req.price, req.tif) {
            _ if remaining == 0 => None,
            (Some(price), TimeInForce::Gtc | TimeInForce::PostOnly) => {
                // prior_filled + req.qty <= i64::MAX, filled <= req.qty.
                self.rest(req, price, remaining, prior_filled + filled, slot);
                return Placed {
                    filled: Qty(filled),
                    resting: Qty(remaining),
                };
            }
            (None, _) => Some(CancelReason::NoLiquidity),
            (Some(_), TimeInForce::Ioc) => Some(CancelReason::Ioc),
            // The dry run guarantees a full fill: never reached.
            (Some(_), TimeInForce::Fok) => Some(CancelReason::Fok),
        };
        if slot != NIL {
            self.index.remove(req.id);
            self.orders.release(slot);
        }
        if let Some(reason) = reason {
            out.push(BookEvent::Canceled(Cancel {
                id: req.id,
                account: req.account,
                remaining: Qty(remaining),
                reason,
            }));
        }
        Placed {
            filled: Qty(filled),
            resting: Qty::ZERO,
        }
    }

    /// Puts an order at the back of its price level, creating the level if
    /// needed. Reuses `slot` (already indexed) unless it is `NIL`.
    fn rest(&mut self, req: &OrderRequest, price: Price, remaining: i64, filled: i64, slot: u32) {
        let node = OrderNode {
            id: req.id,
            account: req.account,
            price,
            remaining,
            filled,
            prev: NIL,
            next: NIL,
            level: NIL,
            side: req.side,
            tif: req.tif,
            stp: req.stp,
        };
        let slot = if slot == NIL {
            let s = self.orders.alloc(node);
            self.index.insert(req.id, s);
            s
        } else {
            self.orders[slot] = node;
            slot
        };
        let Self {
            levels,
            bids,
            asks,
            orders,
            ..
        } = self;
        let ladder = match req.side {
            Side::Buy => bids,
            Side::Sell => asks,
        };
        let lvl = ladder.get_or_insert_with(price, || levels.alloc(Level::new(price)));
        levels[lvl].push_back(lvl, orders, slot);
    }

    /// Unlinks the order in `slot` from its level, dropping the level if it
    /// empties. The slot and the index entry stay.
    fn unlink(&mut self, slot: u32) -> OrderNode {
        let node = self.orders[slot];
        let level = &mut self.levels[node.level];
        level.unlink(&mut self.orders, slot);
        if level.is_empty() {
            self.ladder_mut(node.side).remove(node.price);
            self.levels.release(node.level);
        }
        node
    }

    /// Removes the order in `slot` (already taken out of the index).
    fn remove(&mut self, slot: u32) -> OrderNode {
        let node = self.unlink(slot);
        self.orders.release(slot);
        node
    }

    /// Removes a resting order or pending stop; returns its unfilled quantity
    /// (`CancelReason::User`). Nothing is pushed to any event buffer.
    pub fn cancel(&mut self, id: OrderId) -> Result<Cancel, BookReject> {
        if let Some(slot) = self.index.remove(id) {
            let node = self.remove(slot);
            return Ok(Cancel {
                id,
                account: node.account,
                remaining: Qty(node.remaining),
                reason: CancelReason::User,
            });
        }
        if let Some(s) = self.stops.remove(id) {
            return Ok(Cancel {
                id,
                account: s.order.account,
                remaining: s.order.qty,
                reason: CancelReason::User,
            });
        }
        Err(BookReject::UnknownOrder)
    }

    /// Amends a resting order (pending stops are not amendable:
    /// `UnknownOrder`). `qty` is the new total quantity (filled part
    /// included; `None` keeps it), `price` the new limit (`None` keeps it).
    ///
    /// - `qty < 0`: `BadQty`.
    /// - new total at or below the filled quantity (zero included): the order is canceled
    ///   (`Canceled{User, remaining}` pushed) and `Placed{0, 0}` returned.
    /// - same price and a remaining quantity no larger: reduced in place,
    ///   time priority kept (equal: no-op).
    /// - otherwise the order leaves and re-enters as a taker with the same
    ///   id, account, side, tif and STP mode and new time priority: it may
    ///   trade (events pushed), its remainder rests. A post-only order whose
    ///   new price would cross is refused (`PostOnlyWouldCross`) unchanged.
    pub fn modify(
        &mut self,
        id: OrderId,
        price: Option<Price>,
        qty: Option<Qty>,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject> {
        let Some(slot) = self.index.get(id) else {
            return Err(BookReject::UnknownOrder);
        };
        // Zero (like any quantity at or below the filled one) cancels.
        if qty.is_some_and(|q| q.0 < 0) {
            return Err(BookReject::BadQty);
        }
        let node = self.orders[slot];
        let new_remaining = match qty {
            Some(q) if q.0 <= node.filled => {
                self.index.remove(id);
                self.remove(slot);
                out.push(BookEvent::Canceled(Cancel {
                    id,
                    account: node.account,
                    remaining: Qty(node.remaining),
                    reason: CancelReason::User,
                }));
                return Ok(Placed::default());
            }
            Some(q) => q.0 - node.filled,
            None => node.remaining,
        };
        let new_price = price.unwrap_or(node.price);
        if new_price == node.price && new_remaining <= node.remaining {
            self.orders[slot].remaining = new_remaining;
            self.levels[node.level].total -= (node.remaining - new_remaining) as i128;
            return Ok(Placed {
                filled: Qty::ZERO,
                resting: Qty(new_remaining),
            });
        }
        if node.tif == TimeInForce::PostOnly && self.would_cross(node.side, new_price) {
            return Err(BookReject::PostOnlyWouldCross);
        }
        self.unlink(slot);
        let req = OrderRequest {
            id,
            account: node.account,
            side: node.side,
            qty: Qty(new_remaining),
            price: Some(new_price),
            tif: node.tif,
            stp: node.stp,
        };
        Ok(self.execute(&req, node.filled, slot, out))
    }

    /// Sets the remaining quantity of a resting order in place, keeping its
    /// time priority whether it grows or shrinks (for anonymous L2 depth in
    /// replays); O(1) after the id lookup. Zero removes it. `BadQty` when
    /// negative or when filled + remaining would exceed `i64::MAX`.
    pub fn resize(&mut self, id: OrderId, remaining: Qty) -> Result<(), BookReject> {
        let Some(slot) = self.index.get(id) else {
            return Err(BookReject::UnknownOrder);
        };
        let node = self.orders[slot];
        if remaining.0 < 0 || node.filled.checked_add(remaining.0).is_none() {
            return Err(BookReject::BadQty);
        }
        if remaining.0 == 0 {
            self.index.remove(id);
            self.remove(slot);
        } else {
            self.orders[slot].remaining = remaining.0;
            self.levels[node.level].total += remaining.0 as i128 - node.remaining as i128;
        }
        Ok(())
    }

    /// Adds a pending stop order (`BadQty`: qty <= 0; `DuplicateId`: the id
    /// rests or is pending). The book never triggers it by itself.
    pub fn add_stop(&mut self, stop: StopRequest) -> Result<(), BookReject> {
        if stop.order.qty.0 <= 0 {
            return Err(BookReject::BadQty);
        }
        if self.index.contains(stop.order.id) || self.stops.contains(stop.order.id) {
            return Err(BookReject::DuplicateId);
        }
        self.stops.add(stop);
        Ok(())
    }

    /// Removes the stops watching `source` that `price` triggers (buy:
    /// `price >= trigger`; sell: `price <= trigger`), appending them to
    /// `out` in insertion order. O(log n + k).
    pub fn trigger_stops(
        &mut self,
        source: TriggerSource,
        price: Price,
        out: &mut Vec<StopRequest>,
    ) {
        self.stops.trigger(source, price, out);
    }

    /// Best bid price.
    #[inline]
    pub fn best_bid(&self) -> Option<Price> {
        self.bids.best().map(|b| b.0)
    }

    /// Best ask price.
    #[inline]
    pub fn best_ask(&self) -> Option<Price> {
        self.asks.best().map(|b| b.0)
    }

    /// The levels of one side, best first, as (price, total quantity
    /// saturated at `i64::MAX`). Allocates nothing.
    pub fn levels(&self, side: Side) -> impl Iterator<Item = (Price, Qty)> + '_ {
        self.ladder(side)
            .iter()
            .map(|(p, l)| (p, saturate(self.levels[l].total)))
    }

    /// Up to `levels` levels of one side, best first, as (price, total qty).
    pub fn depth(&self, side: Side, levels: usize) -> Vec<(Price, Qty)> {
        self.levels(side).take(levels).collect()
    }

    /// A resting order.
    #[inline]
    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        self.index.get(id).map(|s| self.orders[s].view())
    }

    /// A pending stop.
    pub fn stop(&self, id: OrderId) -> Option<StopRequest> {
        self.stops.get(id)
    }

    /// Ids of the resting orders of one side, best price first and in time
    /// priority within a price.
    pub fn queue(&self, side: Side) -> Vec<OrderId> {
        self.ladder(side)
            .iter()
            .flat_map(|(_, l)| self.levels[l].slots(&self.orders))
            .map(|s| self.orders[s].id)
            .collect()
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no order rests.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Number of pending stops.
    pub fn stop_count(&self) -> usize {
        self.stops.len()
    }
}
