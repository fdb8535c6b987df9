//! Order entry: validating `order`, `cancel` and `modify` commands,
//! sending them to the book, and turning what the book reports into events.
//!
//! Must not: match orders (the book does) or decide liquidations (the
//! cascade does).

use super::{Engine, EngineError, LiveOrder};
use crate::book::{
    BookEvent, OrderRequest, SelfTradePrevention, StopRequest, TimeInForce, TriggerSource,
};
use crate::event::{Event, EventSink, InstrumentIdx, RejectReason};
use crate::script::{OrderCommand, OrderType, Stp, Tif, TriggerBy};
use crate::types::{Decimal, DecimalError, OrderId, Price, Qty, Side};

fn qty_reject(e: DecimalError) -> RejectReason {
    match e {
        DecimalError::OffStep { .. } | DecimalError::TooLarge | DecimalError::TooPrecise(_) => {
            RejectReason::BadLot
        }
        _ => RejectReason::BadLot,
    }
}

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
        if !self.accounts.contains_key(&o.account) {
            return self.reject(sink, o.id, RejectReason::UnknownAccount);
        }
        let spec = &self.markets[inst as usize].spec;
        let qty = match spec.qty(o.qty) {
            Ok(q) if q.0 > 0 => q,
            Ok(_) => return self.reject(sink, o.id, RejectReason::BadLot),
            Err(e) => return self.reject(sink, o.id, qty_reject(e)),
        };
        let price = match o.price.map(|p| spec.price(p)).transpose() {
            Ok(p) => p,
            Err(_) => return self.reject(sink, o.id, RejectReason::BadTick),
        };
        let trigger = match o.trigger.map(|p| spec.price(p)).transpose() {
            Ok(p) => p,
            Err(_) => return self.reject(sink, o.id, RejectReason::BadTick),
        };
        if self.markets[inst as usize].halted {
            return self.reject(sink, o.id, RejectReason::Halted);
        }
        if self.orders.contains_key(&o.id) {
            return self.reject(sink, o.id, RejectReason::DuplicateId);
        }
        let req = OrderRequest {
            id: o.id,
            account: o.account,
            side: o.side,
            qty,
            price,
            tif: match (o.order_type, o.tif) {
                (OrderType::Market | OrderType::StopMarket, _) => TimeInForce::Ioc,
                (_, Tif::Gtc) => TimeInForce::Gtc,
                (_, Tif::Ioc) => TimeInForce::Ioc,
                (_, Tif::Fok) => TimeInForce::Fok,
                (_, Tif::PostOnly) => TimeInForce::PostOnly,
            },
            stp: match o.stp {
                Stp::None => SelfTradePrevention::None,
                Stp::CancelTaker => SelfTradePrevention::CancelTaker,
                Stp::CancelMaker => SelfTradePrevention::CancelMaker,
                Stp::CancelBoth => SelfTradePrevention::CancelBoth,
                Stp::Decrement => SelfTradePrevention::Decrement,
            },
        };
        let live = LiveOrder {
            inst,
            account: o.account,
            side: o.side,
            reduce_only: o.reduce_only,
        };
        if let Some(trigger) = trigger {
            let trigger_by = match o.trigger_by {
                TriggerBy::Mark => TriggerSource::Mark,
                TriggerBy::Last => TriggerSource::Last,
            };
            let watched = match trigger_by {
                TriggerSource::Last => self.markets[inst as usize].last,
                TriggerSource::Mark => self.mark_of(inst),
            };
            let fires = |p: Price| match o.side {
                Side::Buy => p >= trigger,
                Side::Sell => p <= trigger,
            };
            if watched.is_some_and(fires) {
                return self.reject(sink, o.id, RejectReason::WouldTrigger);
            }
            let stop = StopRequest {
                order: req,
                trigger,
                trigger_by,
            };
            match self.markets[inst as usize].book.add_stop(stop) {
                Ok(()) => {
                    self.orders.insert(o.id, live);
                    self.emit(sink, Event::Accepted { id: o.id });
                }
                Err(r) => return self.reject(sink, o.id, r.into()),
            }
            return Ok(());
        }
        self.submit(inst, &req, live, true, sink);
        self.settle(sink);
        Ok(())
    }

    /// Sends an order to the book; emits `accepted` (or `rejected`), then
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
                    self.orders.insert(req.id, live);
                }
                self.apply_book_events(inst, &out, false, sink);
            }
            Err(r) => {
                let _ = self.reject(sink, req.id, r.into());
            }
        }
        self.book_out = out;
    }

    /// Emits fills and cancellations, and keeps the live-order table in step.
    pub(super) fn apply_book_events(
        &mut self,
        inst: InstrumentIdx,
        events: &[BookEvent],
        liquidation: bool,
        sink: &mut dyn EventSink,
    ) {
        for ev in events {
            match *ev {
                BookEvent::Fill(f) => {
                    if f.maker_remaining.0 == 0 {
                        self.orders.remove(&f.maker);
                    }
                    self.markets[inst as usize].last = Some(f.price);
                    self.collect_stops(inst, TriggerSource::Last, f.price);
                    self.emit(
                        sink,
                        Event::Fill {
                            inst,
                            price: f.price,
                            qty: f.qty,
                            maker: f.maker,
                            taker: f.taker,
                            maker_account: f.maker_account,
                            taker_account: f.taker_account,
                            aggressor: f.aggressor,
                            liquidation,
                        },
                    );
                }
                BookEvent::Canceled(c) => {
                    if self.markets[inst as usize].book.order(c.id).is_none() {
                        self.orders.remove(&c.id);
                    }
                    self.emit(
                        sink,
                        Event::Canceled {
                            inst,
                            id: c.id,
                            remaining: c.remaining,
                            reason: c.reason,
                        },
                    );
                }
            }
        }
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
        match self.markets[live.inst as usize].book.cancel(id) {
            Ok(c) => {
                self.orders.remove(&id);
                self.emit(
                    sink,
                    Event::Canceled {
                        inst: live.inst,
                        id,
                        remaining: c.remaining,
                        reason: c.reason,
                    },
                );
            }
            Err(r) => return self.reject(sink, id, r.into()),
        }
        Ok(())
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
        let spec = &self.markets[inst as usize].spec;
        let price: Option<Price> = match price.map(|p| spec.price(p)).transpose() {
            Ok(p) => p,
            Err(_) => return self.reject(sink, id, RejectReason::BadTick),
        };
        let qty: Option<Qty> = match qty.map(|q| spec.qty(q)).transpose() {
            Ok(Some(q)) if q.0 <= 0 => return self.reject(sink, id, RejectReason::BadLot),
            Ok(q) => q,
            Err(e) => return self.reject(sink, id, qty_reject(e)),
        };
        if self.markets[inst as usize].halted {
            return self.reject(sink, id, RejectReason::Halted);
        }
        let mut out = std::mem::take(&mut self.book_out);
        out.clear();
        match self.markets[inst as usize]
            .book
            .modify(id, price, qty, &mut out)
        {
            Ok(_) => {
                self.emit(sink, Event::Accepted { id });
                if self.markets[inst as usize].book.order(id).is_none() {
                    self.orders.remove(&id);
                }
                self.apply_book_events(inst, &out, false, sink);
            }
            Err(r) => {
                self.book_out = out;
                return self.reject(sink, id, r.into());
            }
        }
        self.book_out = out;
        self.settle(sink);
        Ok(())
    }
}
