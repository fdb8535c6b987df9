//! Order entry: validating `order`, `cancel` and `modify` commands (ticks
//! and lots, halts, duplicate ids, the price band, reduce-only, initial
//! margin), sending them to the book, and keeping the table of live orders.
//!
//! Must not: match orders (the book does) or decide liquidations (the
//! cascade does).

use super::{Engine, EngineError, LiveOrder};
use crate::book::{CancelReason, OrderRequest, StopRequest, TimeInForce, TriggerSource};
use crate::command::{OrderCommand, OrderType};
use crate::event::{Event, EventSink, InstrumentIdx, RejectReason};
use crate::instrument::MAX_QTY_LOTS;
use crate::margin::{self, OpenOrder};
use crate::types::{AccountId, Decimal, DecimalError, OrderId, Price, Qty, Side, STREET};

impl Engine {
    /// Emits a `rejected` event; the command itself ran (so `Ok`).
    fn reject(
        &self,
        sink: &mut dyn EventSink,
        id: OrderId,
        reason: RejectReason,
    ) -> Result<(), EngineError> {
        self.emit(sink, Event::Rejected { id, reason });
        Ok(())
    }

    /// Records a live order (numbering its placement: it goes to the end
    /// of its owner's order list).
    pub(super) fn track_order(&mut self, id: OrderId, mut live: LiveOrder) {
        live.seq = self.placements;
        self.placements += 1;
        self.orders.insert(id, live);
        self.account_orders
            .entry(live.account)
            .or_default()
            .push(live.seq, id);
    }

    /// Forgets a finished order, in O(log k) for an owner of k orders;
    /// returns what was known of it.
    pub(super) fn forget_order(&mut self, id: OrderId) -> Option<LiveOrder> {
        let live = self.orders.remove(&id)?;
        if let Some(ids) = self.account_orders.get_mut(&live.account) {
            ids.remove(live.seq);
            if ids.is_empty() {
                self.account_orders.remove(&live.account);
            }
        }
        Some(live)
    }

    /// The open orders of an account as initial margin sees them
    /// (reduce-only orders need none).
    pub(super) fn open_orders_of(
        &self,
        account: AccountId,
        except: Option<OrderId>,
    ) -> Vec<OpenOrder> {
        let Some(ids) = self.account_orders.get(&account) else {
            return Vec::new();
        };
        ids.iter()
            .filter(|id| Some(**id) != except)
            .filter_map(|id| {
                let o = self.orders.get(id)?;
                if o.reduce_only {
                    return None;
                }
                let qty = if o.stop {
                    o.qty
                } else {
                    self.markets[o.inst as usize].book.order(*id)?.remaining
                };
                // A stop is valued at the mark; before there is one, at the
                // last trade or the best opposite price; with none of those
                // there is nothing it could fill against yet.
                let price = match (o.stop, o.price) {
                    (false, p) => p,
                    (true, _) => {
                        let m = &self.markets[o.inst as usize];
                        let opposite = match o.side {
                            Side::Buy => m.book.best_ask(),
                            Side::Sell => m.book.best_bid(),
                        };
                        Some(self.marks.mark(o.inst).or(m.last).or(opposite)?)
                    }
                };
                Some(OpenOrder {
                    inst: o.inst,
                    side: o.side,
                    qty,
                    price,
                })
            })
            .collect()
    }

    /// True when an order keeps within the engine's size limits: the
    /// resulting position at most `MAX_QTY_LOTS`, and the order and the
    /// resulting position each at most `MAX_NOTIONAL` at the order's price
    /// (a market order: at the mark or the best opposite price).
    fn within_limits(
        &self,
        inst: InstrumentIdx,
        pos: Qty,
        side: Side,
        qty: Qty,
        price: Option<Price>,
    ) -> bool {
        let after = pos.0 as i128 + side.sign() as i128 * qty.0 as i128;
        if after.unsigned_abs() > MAX_QTY_LOTS as u128 {
            return false;
        }
        let book = &self.markets[inst as usize].book;
        let at = price.or(self.marks.mark(inst)).or(match side {
            Side::Buy => book.best_ask(),
            Side::Sell => book.best_bid(),
        });
        let spec = &self.instruments[inst as usize];
        at.is_none_or(|p| {
            spec.bounded_notional(qty, p).is_some()
                && spec.bounded_notional(Qty(after as i64), p).is_some()
        })
    }

    /// True when `price` is outside the instrument's band around the mark.
    fn outside_band(&self, inst: InstrumentIdx, price: Price) -> bool {
        let (Some(band), Some(mark)) = (
            self.instruments[inst as usize].price_band,
            self.marks.mark(inst),
        ) else {
            return false;
        };
        // |price - mark| > band * mark, exactly (band in 10^-12 units).
        let diff = (price.0 as i128 - mark.0 as i128).abs() * 1_000_000_000_000;
        diff > band.0 as i128 * mark.0 as i128
    }

    /// Runs an `order` command.
    pub(super) fn place_order(
        &mut self,
        o: &OrderCommand,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        // Structure first: a malformed command is an error, not a rejection.
        let (needs_price, needs_trigger) = match o.order_type {
            OrderType::Limit => (true, false),
            OrderType::Market => (false, false),
            OrderType::StopMarket => (false, true),
            OrderType::StopLimit => (true, true),
        };
        if needs_price != o.price.is_some() {
            return Err(EngineError::Invalid(if needs_price {
                "this order type needs a price".into()
            } else {
                "this order type takes no price".into()
            }));
        }
        if needs_trigger != o.trigger.is_some() {
            return Err(EngineError::Invalid(if needs_trigger {
                "this order type needs a trigger".into()
            } else {
                "only stop orders take a trigger".into()
            }));
        }
        let Some(inst) = self.symbol(&o.symbol) else {
            return self.reject(sink, o.id, RejectReason::UnknownSymbol);
        };
        let Some(acct_idx) = self.accounts.idx_of(o.account) else {
            return self.reject(sink, o.id, RejectReason::UnknownAccount);
        };
        let spec = &self.instruments[inst as usize];
        let mut qty = match spec.qty(o.qty) {
            Ok(q) if q.0 > 0 => q,
            Err(DecimalError::TooLarge) => return self.reject(sink, o.id, RejectReason::TooLarge),
            _ => return self.reject(sink, o.id, RejectReason::BadLot),
        };
        let Ok(price) = o.price.map(|p| spec.price(p)).transpose() else {
            return self.reject(sink, o.id, RejectReason::BadTick);
        };
        let Ok(trigger) = o.trigger.map(|p| spec.price(p)).transpose() else {
            return self.reject(sink, o.id, RejectReason::BadTick);
        };
        if self.markets[inst as usize].halted {
            return self.reject(sink, o.id, RejectReason::Halted);
        }
        if o.id >= super::ENGINE_ORDER_IDS {
            return self.reject(sink, o.id, RejectReason::ReservedId);
        }
        if self.orders.contains_key(&o.id) {
            return self.reject(sink, o.id, RejectReason::DuplicateId);
        }
        if price.is_some_and(|p| self.outside_band(inst, p)) {
            return self.reject(sink, o.id, RejectReason::PriceBand);
        }
        let pos = self.position_qty(o.account, inst);
        if o.reduce_only {
            let reduces = pos.0 != 0 && (pos.0 > 0) != (o.side == Side::Buy);
            if !reduces {
                return self.reject(sink, o.id, RejectReason::ReduceOnly);
            }
            qty = qty.min(pos.abs());
        } else if !self.within_limits(inst, pos, o.side, qty, price) {
            return self.reject(sink, o.id, RejectReason::TooLarge);
        }
        let stop = trigger.is_some();
        if !o.reduce_only
            && o.account != STREET
            && !self.affordable(acct_idx, o.account, inst, o.side, qty, price, None)
        {
            return self.reject(sink, o.id, RejectReason::InsufficientMargin);
        }
        let req = OrderRequest {
            id: o.id,
            account: o.account,
            side: o.side,
            qty,
            price,
            tif: match o.order_type {
                OrderType::Market | OrderType::StopMarket => TimeInForce::Ioc,
                OrderType::Limit | OrderType::StopLimit => o.tif,
            },
            stp: o.stp,
        };
        let live = LiveOrder {
            inst,
            account: o.account,
            idx: acct_idx,
            seq: 0,
            side: o.side,
            reduce_only: o.reduce_only,
            qty,
            price,
            stop,
        };
        if let Some(trigger) = trigger {
            return self.place_stop(inst, req, live, trigger, o.trigger_by, sink);
        }
        self.submit(inst, &req, live, true, sink);
        Ok(())
    }

    /// Initial-margin check of a new order (priced at its limit, else at
    /// the mark, else at the best opposite price; with no price at all there
    /// is nothing it could fill against, so it passes). `replacing`: an
    /// order this one amends, left out of the account's open orders.
    #[allow(clippy::too_many_arguments)]
    fn affordable(
        &self,
        idx: margin::AccountIdx,
        account: AccountId,
        inst: InstrumentIdx,
        side: Side,
        qty: Qty,
        price: Option<Price>,
        replacing: Option<OrderId>,
    ) -> bool {
        let book = &self.markets[inst as usize].book;
        let at = price.or(self.marks.mark(inst)).or(match side {
            Side::Buy => book.best_ask(),
            Side::Sell => book.best_bid(),
        });
        let Some(at) = at else {
            return true;
        };
        let new = OpenOrder {
            inst,
            side,
            qty,
            price: Some(at),
        };
        let orders = self.open_orders_of(account, replacing);
        let Ok(acct) = self.accounts.account(idx) else {
            return false;
        };
        margin::can_afford(acct, &self.view(), &orders, &new).unwrap_or(false)
    }

    fn place_stop(
        &mut self,
        inst: InstrumentIdx,
        req: OrderRequest,
        live: LiveOrder,
        trigger: Price,
        trigger_by: TriggerSource,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        let watched = match trigger_by {
            TriggerSource::Last => self.markets[inst as usize].last,
            TriggerSource::Mark => self.marks.mark(inst),
        };
        let fires = |p: Price| match req.side {
            Side::Buy => p >= trigger,
            Side::Sell => p <= trigger,
        };
        if watched.is_some_and(fires) {
            return self.reject(sink, req.id, RejectReason::WouldTrigger);
        }
        let stop = StopRequest {
            order: req,
            trigger,
            trigger_by,
        };
        match self.markets[inst as usize].book.add_stop(stop) {
            Ok(()) => {
                self.track_order(req.id, live);
                self.emit(sink, Event::Accepted { id: req.id });
                Ok(())
            }
            Err(r) => self.reject(sink, req.id, r.into()),
        }
    }

    /// Sends an order to the book; emits `accepted` (when `announce`; a
    /// triggered stop was announced when it was placed) or `rejected`, then
    /// what the book reports.
    pub(super) fn submit(
        &mut self,
        inst: InstrumentIdx,
        req: &OrderRequest,
        live: LiveOrder,
        announce: bool,
        sink: &mut dyn EventSink,
    ) {
        let mut out = std::mem::take(&mut self.book_out);
        out.clear();
        let result = self.markets[inst as usize].book.submit(req, &mut out);
        match result {
            Ok(placed) => {
                if announce {
                    self.emit(sink, Event::Accepted { id: req.id });
                }
                if placed.resting.0 > 0 {
                    self.track_order(
                        req.id,
                        LiveOrder {
                            stop: false,
                            ..live
                        },
                    );
                }
                self.apply_book_events(inst, &out, live.idx, false, sink);
            }
            Err(r) => {
                let _ = self.reject(sink, req.id, r.into());
            }
        }
        self.book_out = out;
    }

    /// Runs a `cancel` command.
    pub(super) fn cancel_order(
        &mut self,
        id: OrderId,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        let Some(live) = self.orders.get(&id).copied() else {
            return self.reject(sink, id, RejectReason::UnknownOrder);
        };
        if self.cancel_live(id, CancelReason::User, sink) {
            self.refresh_book_mark(live.inst, sink);
            Ok(())
        } else {
            self.reject(sink, id, RejectReason::UnknownOrder)
        }
    }

    /// Removes a live order (resting or pending stop) from its book and the
    /// live-order table and emits `canceled` with `reason`. False when the
    /// book no longer had it.
    pub(super) fn cancel_live(
        &mut self,
        id: OrderId,
        reason: CancelReason,
        sink: &mut dyn EventSink,
    ) -> bool {
        let Some(live) = self.orders.get(&id).copied() else {
            return false;
        };
        let Ok(c) = self.markets[live.inst as usize].book.cancel(id) else {
            return false;
        };
        self.forget_order(id);
        self.emit(
            sink,
            Event::Canceled {
                inst: live.inst,
                id,
                remaining: c.remaining,
                reason,
            },
        );
        true
    }

    /// Runs a `modify` command.
    pub(super) fn modify_order(
        &mut self,
        id: OrderId,
        price: Option<Decimal>,
        qty: Option<Decimal>,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        let Some(live) = self.orders.get(&id).copied() else {
            return self.reject(sink, id, RejectReason::UnknownOrder);
        };
        let inst = live.inst;
        let spec = &self.instruments[inst as usize];
        let Ok(price) = price.map(|p| spec.price(p)).transpose() else {
            return self.reject(sink, id, RejectReason::BadTick);
        };
        // A quantity at or below what the order has filled (zero
        // included) cancels it; a negative one is malformed.
        let qty: Option<Qty> = match qty.map(|q| spec.qty(q)).transpose() {
            Ok(Some(q)) if q.0 < 0 => return self.reject(sink, id, RejectReason::BadLot),
            Ok(q) => q,
            Err(DecimalError::TooLarge) => return self.reject(sink, id, RejectReason::TooLarge),
            Err(_) => return self.reject(sink, id, RejectReason::BadLot),
        };
        if self.markets[inst as usize].halted {
            return self.reject(sink, id, RejectReason::Halted);
        }
        if price.is_some_and(|p| self.outside_band(inst, p)) {
            return self.reject(sink, id, RejectReason::PriceBand);
        }
        if let Some(view) = self.markets[inst as usize].book.order(id) {
            let new_price = price.unwrap_or(view.price);
            let new_remaining = qty.map_or(view.remaining, |q| q - view.filled);
            let grows = new_price != view.price || new_remaining > view.remaining;
            let affordable = |e: &Engine| {
                e.accounts.idx_of(live.account).is_some_and(|idx| {
                    e.affordable(
                        idx,
                        live.account,
                        inst,
                        live.side,
                        new_remaining,
                        Some(new_price),
                        Some(id),
                    )
                })
            };
            if grows
                && new_remaining.0 > 0
                && !live.reduce_only
                && live.account != STREET
                && !affordable(self)
            {
                return self.reject(sink, id, RejectReason::InsufficientMargin);
            }
        }
        let mut out = std::mem::take(&mut self.book_out);
        out.clear();
        let result = self.markets[inst as usize]
            .book
            .modify(id, price, qty, &mut out);
        match result {
            Ok(_) => {
                self.emit(sink, Event::Accepted { id });
                match self.markets[inst as usize].book.order(id) {
                    None => {
                        self.forget_order(id);
                    }
                    Some(v) => {
                        if let Some(o) = self.orders.get_mut(&id) {
                            o.price = Some(v.price);
                        }
                    }
                }
                self.apply_book_events(inst, &out, live.idx, false, sink);
                self.book_out = out;
                Ok(())
            }
            Err(r) => {
                self.book_out = out;
                self.reject(sink, id, r.into())
            }
        }
    }
}
