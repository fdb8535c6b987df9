//! The reference order book: the test oracle for [`OrderBook`](super::OrderBook).
//!
//! Owns: a second, independent implementation of exactly the book semantics
//! documented on `OrderBook`, written to be obviously right rather than fast:
//! a `BTreeMap<Price, VecDeque<order>>` per side, linear scans to find an
//! order by id, a plain `Vec` of pending stops in insertion order. Property
//! tests and the fuzz target run the same operations through both books and
//! require identical results, events and state after every operation.
//!
//! Must not: share code with the fast book's matching (an oracle that reuses
//! the code under test proves nothing), or be used where speed matters.

use std::collections::{BTreeMap, VecDeque};

use super::{
    BookEvent, BookReject, Cancel, CancelReason, Fill, OrderRequest, OrderView, Placed, Reduce,
    SelfTradePrevention, StopRequest, TimeInForce, TriggerSource,
};
use crate::types::{OrderId, Price, Qty, Side};

/// A resting order as the reference book keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Resting {
    /// The order as submitted, with `qty` unused once resting.
    req: OrderRequest,
    /// Limit price (resting orders always have one).
    price: Price,
    /// Unfilled quantity, always > 0 while resting.
    remaining: Qty,
    /// Quantity filled so far (across modifies).
    filled: Qty,
}

/// The oracle book: same public API and semantics as `OrderBook`, simple
/// data structures, no attention to speed. See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct ReferenceBook {
    /// Bids by price; the best bid is the last key.
    bids: BTreeMap<Price, VecDeque<Resting>>,
    /// Asks by price; the best ask is the first key.
    asks: BTreeMap<Price, VecDeque<Resting>>,
    /// Pending stops, in insertion order.
    stops: Vec<StopRequest>,
}

/// True when a taker on `side` with limit `limit` (None: market) may trade
/// with a maker resting at `maker_price`.
fn crosses(side: Side, limit: Option<Price>, maker_price: Price) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => maker_price <= l,
        (Side::Sell, Some(l)) => maker_price >= l,
    }
}

/// A level's total as the public `Qty`, saturating (a level total may
/// exceed `i64::MAX` lots in theory; both books report it the same way).
fn saturate(total: i128) -> Qty {
    Qty(total.min(i64::MAX as i128) as i64)
}

impl ReferenceBook {
    /// An empty book.
    pub fn new() -> ReferenceBook {
        ReferenceBook::default()
    }

    fn side(&self, side: Side) -> &BTreeMap<Price, VecDeque<Resting>> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<Price, VecDeque<Resting>> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Best price of a side: highest bid, lowest ask.
    fn best(&self, side: Side) -> Option<Price> {
        match side {
            Side::Buy => self.bids.keys().next_back().copied(),
            Side::Sell => self.asks.keys().next().copied(),
        }
    }

    /// Prices of a side, best first.
    fn prices_best_first(&self, side: Side) -> Vec<Price> {
        match side {
            Side::Buy => self.bids.keys().rev().copied().collect(),
            Side::Sell => self.asks.keys().copied().collect(),
        }
    }

    fn find(&self, id: OrderId) -> Option<&Resting> {
        self.bids
            .values()
            .chain(self.asks.values())
            .flat_map(|level| level.iter())
            .find(|o| o.req.id == id)
    }

    fn find_mut(&mut self, id: OrderId) -> Option<&mut Resting> {
        self.bids
            .values_mut()
            .chain(self.asks.values_mut())
            .flat_map(|level| level.iter_mut())
            .find(|o| o.req.id == id)
    }

    fn is_known(&self, id: OrderId) -> bool {
        self.find(id).is_some() || self.stops.iter().any(|s| s.order.id == id)
    }

    /// Removes a resting order by id, dropping its level if it empties.
    fn remove(&mut self, id: OrderId) -> Option<Resting> {
        let o = self.find(id)?.clone();
        let levels = self.side_mut(o.req.side);
        let level = levels.get_mut(&o.price)?;
        level.retain(|r| r.req.id != id);
        if level.is_empty() {
            levels.remove(&o.price);
        }
        Some(o)
    }

    /// Appends an order at the back of its level (lowest time priority).
    fn rest(&mut self, o: Resting) {
        self.side_mut(o.req.side)
            .entry(o.price)
            .or_default()
            .push_back(o);
    }

    /// Submits a limit or market order; see `OrderBook::submit`.
    pub fn submit(
        &mut self,
        order: &OrderRequest,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject> {
        if order.qty.0 <= 0 {
            return Err(BadQty);
        }
        if self.is_known(order.id) {
            return Err(BookReject::DuplicateId);
        }
        self.enter(order, Qty::ZERO, out)
    }

    /// Runs `req` (whose `qty` is the quantity to work now) as a taker and
    /// rests or cancels its remainder; `prior_filled` is what the order had
    /// filled before (non-zero when a modify re-enters it).
    fn enter(
        &mut self,
        req: &OrderRequest,
        prior_filled: Qty,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject> {
        if let Some(limit) = req.price {
            match req.tif {
                TimeInForce::PostOnly => {
                    let opp = self.best(req.side.opposite());
                    if opp.is_some_and(|p| crosses(req.side, Some(limit), p)) {
                        return Err(BookReject::PostOnlyWouldCross);
                    }
                }
                TimeInForce::Fok => {
                    if !self.fok_fillable(req) {
                        return Err(BookReject::FokUnfillable);
                    }
                }
                TimeInForce::Gtc | TimeInForce::Ioc => {}
            }
        }
        let (filled, remaining) = self.take(req, out);
        let mut resting = Qty::ZERO;
        if remaining.0 > 0 {
            let reason = match (req.price, req.tif) {
                (Some(price), TimeInForce::Gtc | TimeInForce::PostOnly) => {
                    resting = remaining;
                    self.rest(Resting {
                        req: *req,
                        price,
                        remaining,
                        filled: Qty(prior_filled.0 + filled.0),
                    });
                    None
                }
                (None, _) => Some(CancelReason::NoLiquidity),
                (Some(_), TimeInForce::Ioc) => Some(CancelReason::Ioc),
                // The dry run guarantees a full fill: never reached.
                (Some(_), TimeInForce::Fok) => Some(CancelReason::Fok),
            };
            if let Some(reason) = reason {
                out.push(BookEvent::Canceled(Cancel {
                    id: req.id,
                    account: req.account,
                    remaining,
                    reason,
                }));
            }
        }
        Ok(Placed { filled, resting })
    }

    /// Would `req` fill in full, self-trade prevention applied as the real
    /// run applies it? Changes nothing.
    fn fok_fillable(&self, req: &OrderRequest) -> bool {
        let mut need = req.qty.0;
        let opp = req.side.opposite();
        for price in self.prices_best_first(opp) {
            if !crosses(req.side, req.price, price) {
                break;
            }
            // Indexing cannot fail: `price` is a key of this very map.
            for m in &self.side(opp)[&price] {
                if m.req.account == req.account && req.stp != SelfTradePrevention::None {
                    if req.stp == SelfTradePrevention::CancelMaker {
                        continue;
                    }
                    return false;
                }
                need -= need.min(m.remaining.0);
                if need == 0 {
                    return true;
                }
            }
        }
        false
    }

    /// The matching loop: trades `req` against the opposite side while it
    /// crosses. Returns (filled, remaining); remaining is 0 when self-trade
    /// prevention canceled the taker.
    fn take(&mut self, req: &OrderRequest, out: &mut Vec<BookEvent>) -> (Qty, Qty) {
        let mut rem = req.qty.0;
        let mut filled = 0i64;
        let opp = req.side.opposite();
        while rem > 0 {
            let Some(price) = self.best(opp) else { break };
            if !crosses(req.side, req.price, price) {
                break;
            }
            let levels = self.side_mut(opp);
            let Some(level) = levels.get_mut(&price) else {
                break; // unreachable: `price` is a key of `levels`
            };
            let Some(maker) = level.front_mut() else {
                break; // unreachable: no empty levels are kept
            };
            let taker_cancel = |out: &mut Vec<BookEvent>, q: i64| {
                out.push(BookEvent::Canceled(Cancel {
                    id: req.id,
                    account: req.account,
                    remaining: Qty(q),
                    reason: CancelReason::Stp,
                }))
            };
            let maker_cancel = |out: &mut Vec<BookEvent>, m: &Resting, q: i64| {
                out.push(BookEvent::Canceled(Cancel {
                    id: m.req.id,
                    account: m.req.account,
                    remaining: Qty(q),
                    reason: CancelReason::Stp,
                }))
            };
            let mut stop = false;
            if maker.req.account == req.account && req.stp != SelfTradePrevention::None {
                match req.stp {
                    SelfTradePrevention::None => {}
                    SelfTradePrevention::CancelTaker => {
                        taker_cancel(out, rem);
                        rem = 0;
                        stop = true;
                    }
                    SelfTradePrevention::CancelMaker => {
                        maker_cancel(out, maker, maker.remaining.0);
                        maker.remaining = Qty::ZERO;
                    }
                    SelfTradePrevention::CancelBoth => {
                        maker_cancel(out, maker, maker.remaining.0);
                        maker.remaining = Qty::ZERO;
                        taker_cancel(out, rem);
                        rem = 0;
                        stop = true;
                    }
                    SelfTradePrevention::Decrement => {
                        let d = rem.min(maker.remaining.0);
                        maker.remaining.0 -= d;
                        rem -= d;
                        // Reduced while something is left open, else done.
                        for (id, account, left) in [
                            (maker.req.id, maker.req.account, maker.remaining.0),
                            (req.id, req.account, rem),
                        ] {
                            out.push(if left > 0 {
                                BookEvent::Reduced(Reduce {
                                    id,
                                    account,
                                    qty: Qty(d),
                                    remaining: Qty(left),
                                    reason: CancelReason::Stp,
                                })
                            } else {
                                BookEvent::Canceled(Cancel {
                                    id,
                                    account,
                                    remaining: Qty(d),
                                    reason: CancelReason::Stp,
                                })
                            });
                        }
                    }
                }
            } else {
                let q = rem.min(maker.remaining.0);
                maker.remaining.0 -= q;
                maker.filled.0 += q;
                rem -= q;
                filled += q;
                out.push(BookEvent::Fill(Fill {
                    maker: maker.req.id,
                    maker_account: maker.req.account,
                    taker: req.id,
                    taker_account: req.account,
                    price,
                    qty: Qty(q),
                    aggressor: req.side,
                    maker_remaining: maker.remaining,
                }));
            }
            if maker.remaining.0 == 0 {
                level.pop_front();
                if level.is_empty() {
                    levels.remove(&price);
                }
            }
            if stop {
                break;
            }
        }
        (Qty(filled), Qty(rem))
    }

    /// Removes a resting order or pending stop; see `OrderBook::cancel`.
    pub fn cancel(&mut self, id: OrderId) -> Result<Cancel, BookReject> {
        if let Some(o) = self.remove(id) {
            return Ok(Cancel {
                id,
                account: o.req.account,
                remaining: o.remaining,
                reason: CancelReason::User,
            });
        }
        if let Some(i) = self.stops.iter().position(|s| s.order.id == id) {
            let s = self.stops.remove(i);
            return Ok(Cancel {
                id,
                account: s.order.account,
                remaining: s.order.qty,
                reason: CancelReason::User,
            });
        }
        Err(BookReject::UnknownOrder)
    }

    /// Amends a resting order; see `OrderBook::modify`.
    pub fn modify(
        &mut self,
        id: OrderId,
        price: Option<Price>,
        qty: Option<Qty>,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject> {
        let Some(o) = self.find(id).cloned() else {
            return Err(BookReject::UnknownOrder);
        };
        if qty.is_some_and(|q| q.0 < 0) {
            return Err(BadQty);
        }
        let new_remaining = match qty {
            Some(q) if q.0 <= o.filled.0 => {
                self.remove(id);
                out.push(BookEvent::Canceled(Cancel {
                    id,
                    account: o.req.account,
                    remaining: o.remaining,
                    reason: CancelReason::User,
                }));
                return Ok(Placed::default());
            }
            Some(q) => Qty(q.0 - o.filled.0),
            None => o.remaining,
        };
        let new_price = price.unwrap_or(o.price);
        if new_price == o.price && new_remaining <= o.remaining {
            if let Some(r) = self.find_mut(id) {
                r.remaining = new_remaining;
            }
            return Ok(Placed {
                filled: Qty::ZERO,
                resting: new_remaining,
            });
        }
        if o.req.tif == TimeInForce::PostOnly {
            let opp = self.best(o.req.side.opposite());
            if opp.is_some_and(|p| crosses(o.req.side, Some(new_price), p)) {
                return Err(BookReject::PostOnlyWouldCross);
            }
        }
        self.remove(id);
        let req = OrderRequest {
            qty: new_remaining,
            price: Some(new_price),
            ..o.req
        };
        self.enter(&req, o.filled, out)
    }

    /// Sets a resting order's remaining quantity in place; see
    /// `OrderBook::resize`.
    pub fn resize(&mut self, id: OrderId, remaining: Qty) -> Result<(), BookReject> {
        let Some(o) = self.find(id).cloned() else {
            return Err(BookReject::UnknownOrder);
        };
        if remaining.0 < 0 || o.filled.0.checked_add(remaining.0).is_none() {
            return Err(BadQty);
        }
        if remaining.0 == 0 {
            self.remove(id);
        } else if let Some(r) = self.find_mut(id) {
            r.remaining = remaining;
        }
        Ok(())
    }

    /// Adds a pending stop order; see `OrderBook::add_stop`.
    pub fn add_stop(&mut self, stop: StopRequest) -> Result<(), BookReject> {
        if stop.order.qty.0 <= 0 {
            return Err(BadQty);
        }
        if self.is_known(stop.order.id) {
            return Err(BookReject::DuplicateId);
        }
        self.stops.push(stop);
        Ok(())
    }

    /// Removes and returns (in insertion order) the stops of `source` that
    /// `price` triggers; see `OrderBook::trigger_stops`.
    pub fn trigger_stops(
        &mut self,
        source: TriggerSource,
        price: Price,
        out: &mut Vec<StopRequest>,
    ) {
        let fires = |s: &StopRequest| {
            s.trigger_by == source
                && match s.order.side {
                    Side::Buy => price >= s.trigger,
                    Side::Sell => price <= s.trigger,
                }
        };
        out.extend(self.stops.iter().filter(|s| fires(s)).copied());
        self.stops.retain(|s| !fires(s));
    }

    /// Best bid price.
    pub fn best_bid(&self) -> Option<Price> {
        self.best(Side::Buy)
    }

    /// Best ask price.
    pub fn best_ask(&self) -> Option<Price> {
        self.best(Side::Sell)
    }

    /// Up to `levels` levels of one side, best first, as (price, total
    /// quantity, saturated at `i64::MAX`).
    pub fn depth(&self, side: Side, levels: usize) -> Vec<(Price, Qty)> {
        self.prices_best_first(side)
            .into_iter()
            .take(levels)
            .map(|p| {
                // Indexing cannot fail: `p` is a key of this very map.
                let total: i128 = self.side(side)[&p]
                    .iter()
                    .map(|o| o.remaining.0 as i128)
                    .sum();
                (p, saturate(total))
            })
            .collect()
    }

    /// A resting order.
    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        self.find(id).map(|o| OrderView {
            id: o.req.id,
            account: o.req.account,
            side: o.req.side,
            price: o.price,
            remaining: o.remaining,
            filled: o.filled,
        })
    }

    /// A pending stop.
    pub fn stop(&self, id: OrderId) -> Option<StopRequest> {
        self.stops.iter().find(|s| s.order.id == id).copied()
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.bids
            .values()
            .chain(self.asks.values())
            .map(|l| l.len())
            .sum()
    }

    /// True when no order rests.
    pub fn is_empty(&self) -> bool {
        self.bids.is_empty() && self.asks.is_empty()
    }

    /// Number of pending stops.
    pub fn stop_count(&self) -> usize {
        self.stops.len()
    }

    /// Ids of the resting orders of one side, best price first and in time
    /// priority within a price.
    pub fn queue(&self, side: Side) -> Vec<OrderId> {
        self.prices_best_first(side)
            .iter()
            // Indexing cannot fail: `p` is a key of this very map.
            .flat_map(|p| self.side(side)[p].iter().map(|o| o.req.id))
            .collect()
    }

    /// Checks the book's structure: not crossed, no empty levels, every
    /// order on the right side and level with a positive remaining
    /// quantity, ids unique across resting orders and stops.
    pub fn check_invariants(&self) -> Result<(), String> {
        if let (Some(b), Some(a)) = (self.best_bid(), self.best_ask()) {
            if b >= a {
                return Err(format!("crossed book: bid {} >= ask {}", b.0, a.0));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for side in [Side::Buy, Side::Sell] {
            for (p, level) in self.side(side) {
                if level.is_empty() {
                    return Err(format!("empty level {} on {side}", p.0));
                }
                for o in level {
                    if o.req.side != side || o.price != *p {
                        return Err(format!("order {} misplaced", o.req.id));
                    }
                    if o.remaining.0 <= 0 || o.filled.0 < 0 {
                        return Err(format!("order {} has bad quantities", o.req.id));
                    }
                    if o.filled.0.checked_add(o.remaining.0).is_none() {
                        return Err(format!("order {} total overflows", o.req.id));
                    }
                    if !matches!(o.req.tif, TimeInForce::Gtc | TimeInForce::PostOnly) {
                        return Err(format!("order {} rests with tif {:?}", o.req.id, o.req.tif));
                    }
                    if !ids.insert(o.req.id) {
                        return Err(format!("duplicate id {}", o.req.id));
                    }
                }
            }
        }
        for s in &self.stops {
            if !ids.insert(s.order.id) {
                return Err(format!("duplicate id {} (stop)", s.order.id));
            }
        }
        Ok(())
    }
}

use BookReject::BadQty;

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(id: u64, account: u64, side: Side, price: i64, qty: i64) -> OrderRequest {
        OrderRequest {
            id,
            account,
            side,
            qty: Qty(qty),
            price: Some(Price(price)),
            tif: TimeInForce::Gtc,
            stp: SelfTradePrevention::None,
        }
    }

    #[test]
    fn rests_and_matches_at_maker_price() {
        let mut b = ReferenceBook::new();
        let mut out = Vec::new();
        b.submit(&limit(1, 1, Side::Sell, 100, 5), &mut out)
            .unwrap();
        let p = b.submit(&limit(2, 2, Side::Buy, 101, 3), &mut out).unwrap();
        assert_eq!(
            p,
            Placed {
                filled: Qty(3),
                resting: Qty(0)
            }
        );
        assert_eq!(out.len(), 1);
        let BookEvent::Fill(f) = out[0] else {
            panic!("expected a fill")
        };
        assert_eq!(
            (f.price, f.qty, f.maker_remaining),
            (Price(100), Qty(3), Qty(2))
        );
        assert_eq!(b.depth(Side::Sell, 5), vec![(Price(100), Qty(2))]);
        b.check_invariants().unwrap();
    }

    #[test]
    fn stops_trigger_in_insertion_order() {
        let mut b = ReferenceBook::new();
        let mk = |id, side, trigger| StopRequest {
            order: OrderRequest {
                price: None,
                ..limit(id, 1, side, 0, 1)
            },
            trigger: Price(trigger),
            trigger_by: TriggerSource::Last,
        };
        b.add_stop(mk(1, Side::Buy, 105)).unwrap();
        b.add_stop(mk(2, Side::Buy, 101)).unwrap();
        b.add_stop(mk(3, Side::Sell, 90)).unwrap();
        assert_eq!(
            b.add_stop(mk(3, Side::Sell, 90)),
            Err(BookReject::DuplicateId)
        );
        let mut out = Vec::new();
        b.trigger_stops(TriggerSource::Mark, Price(200), &mut out);
        assert!(out.is_empty());
        b.trigger_stops(TriggerSource::Last, Price(106), &mut out);
        assert_eq!(
            out.iter().map(|s| s.order.id).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(b.stop_count(), 1);
    }
}
