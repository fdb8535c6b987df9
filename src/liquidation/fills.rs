//! What a fill does beyond the book: both accounts' positions and fees,
//! the mark (each fill reprices it), and what the new mark triggers
//! (liquidatable units and stop orders, queued for the next round).
//!
//! Must not: run liquidations or stops itself; the step loop does, one
//! round later, so that nothing interleaves inside a step.

use super::{Engine, Trigger, Unit};
use crate::book::{BookEvent, CancelReason, Fill, TriggerSource};
use crate::event::{Event, EventSink, InstrumentIdx};
use crate::margin::{self, AccountIdx};
use crate::types::{AccountId, Money, OrderId, Price, Qty, Side, STREET};

/// A price that feeds the mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MarkInput {
    /// A trade (ours or a historical print): the last price.
    Trade,
    /// The external index.
    Index,
    /// A forced mark (`mark` command, a vendor's mark stream).
    Force,
}

/// What the fills of one order added up to.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FillTotals {
    /// Quantity filled.
    pub qty: Qty,
    /// Notional of the fills.
    pub notional: Money,
    /// Sum of price (ticks) x qty.
    pub px_qty: i128,
}

impl Engine {
    /// Emits fills and cancellations of one book call on `inst`, applies the
    /// fills to accounts and marks, and keeps the live-order table in step.
    /// `taker`: the dense index of the incoming order's owner (every fill
    /// of one book call has the same taker); `liquidation`: the taker is a
    /// liquidation order.
    pub(super) fn apply_book_events(
        &mut self,
        inst: InstrumentIdx,
        events: &[BookEvent],
        taker: AccountIdx,
        liquidation: bool,
        sink: &mut dyn EventSink,
    ) -> FillTotals {
        let mut totals = FillTotals::default();
        let mut touched: smallvec::SmallVec<[(AccountId, AccountIdx); 8]> =
            smallvec::SmallVec::new();
        for ev in events {
            match *ev {
                BookEvent::Fill(f) => {
                    let (notional, maker) = self.apply_fill(inst, &f, taker, liquidation, sink);
                    totals.qty += f.qty;
                    totals.notional += notional;
                    totals.px_qty += f.price.0 as i128 * f.qty.0 as i128;
                    for a in [(f.taker_account, taker), (f.maker_account, maker)] {
                        if a.0 != STREET && !touched.contains(&a) {
                            touched.push(a);
                        }
                    }
                }
                BookEvent::Reduced(r) => self.emit(
                    sink,
                    Event::Reduced {
                        inst,
                        id: r.id,
                        qty: r.qty,
                        remaining: r.remaining,
                        reason: r.reason,
                    },
                ),
                BookEvent::Canceled(c) => {
                    if self.markets[inst as usize].book.order(c.id).is_none() {
                        self.forget_order(c.id);
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
        for (a, idx) in touched {
            self.trim_reduce_only(a, idx, inst, sink);
        }
        self.refresh_book_mark(inst, sink);
        totals
    }

    /// The dense index of the owner of resting order `maker` (a fill's
    /// maker, `account` its owner): carried by the live-order table, so no
    /// id lookup; street levels are not in the table and belong to the
    /// street.
    fn maker_idx(&self, maker: OrderId, account: AccountId) -> Option<AccountIdx> {
        match self.orders.get(&maker) {
            Some(o) => Some(o.idx),
            None if account == STREET => Some(0),
            None => self.accounts.idx_of(account),
        }
    }

    /// One fill: event, positions, fees, mark. Returns its notional and
    /// the maker's dense index.
    fn apply_fill(
        &mut self,
        inst: InstrumentIdx,
        f: &Fill,
        taker: AccountIdx,
        liquidation: bool,
        sink: &mut dyn EventSink,
    ) -> (Money, AccountIdx) {
        let maker = self.maker_idx(f.maker, f.maker_account);
        if f.maker_remaining.0 == 0 {
            self.forget_order(f.maker);
        }
        debug_assert_eq!(
            self.accounts.get(taker).map(|a| a.id()),
            Some(f.taker_account),
            "the taker index names the taker"
        );
        let spec = &self.instruments[inst as usize];
        let notional = spec.notional(f.qty, f.price);
        // Fees are charged to real accounts; a liquidation order pays the
        // liquidation fee instead of the taker fee.
        let fee = |rate: crate::types::Rate, account: AccountId, charged: bool| {
            if charged && account != STREET {
                rate.apply(notional)
            } else {
                Money::ZERO
            }
        };
        let taker_fee = fee(spec.taker_fee, f.taker_account, !liquidation);
        let maker_fee = fee(spec.maker_fee, f.maker_account, true);
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
                taker_fee,
                maker_fee,
            },
        );
        let taker_delta = match f.aggressor {
            Side::Buy => f.qty,
            Side::Sell => -f.qty,
        };
        let sides = [
            (Some(taker), taker_delta, taker_fee),
            (maker, -taker_delta, maker_fee),
        ];
        for (idx, delta, fee) in sides {
            let Some(idx) = idx else {
                continue;
            };
            self.book_fill(idx, inst, delta, f.price, sink);
            if fee != Money::ZERO {
                if self.accounts.credit(idx, -fee).is_ok() {
                    self.funds.collect_fee(inst, fee);
                } else {
                    // A balance beyond i128: unreachable within the limits.
                    self.faults += 1;
                }
            }
            self.rekey(idx);
        }
        if let (true, Some(c)) = (liquidation, self.cascade.as_mut()) {
            c.record_fill(inst, f.aggressor, f.price, f.qty, notional);
        }
        self.feed_mark(inst, MarkInput::Trade, f.price, sink);
        (notional, maker.unwrap_or(0))
    }

    /// Feeds a price to the mark of `inst` (a trade also sets the last
    /// price and runs the last-price stops), and reacts if the mark moved.
    pub(super) fn feed_mark(
        &mut self,
        inst: InstrumentIdx,
        input: MarkInput,
        price: Price,
        sink: &mut dyn EventSink,
    ) {
        let moved = match input {
            MarkInput::Trade => {
                self.markets[inst as usize].last = Some(price);
                self.collect_stops(inst, TriggerSource::Last, price);
                self.marks.on_trade(inst, price)
            }
            MarkInput::Index => self.marks.on_index(inst, price),
            MarkInput::Force => self.marks.force(inst, price),
        };
        if let Some(m) = moved {
            self.mark_changed(inst, m, sink);
        }
    }

    /// Moves `delta` lots of `inst` at `price` into account `idx`'s
    /// position, funding an isolated increase from its balance, and covering
    /// from the insurance fund what a closed isolated position's margin
    /// could not pay.
    pub(super) fn book_fill(
        &mut self,
        idx: AccountIdx,
        inst: InstrumentIdx,
        delta: Qty,
        price: Price,
        sink: &mut dyn EventSink,
    ) {
        let spec = &self.instruments[inst as usize];
        match self.accounts.apply_fill(idx, inst, spec, delta, price) {
            Ok(r) => {
                if r.opened.0 > 0 {
                    // Only isolated accounts move margin; cross returns
                    // zero. Within the engine's limits it cannot fail.
                    if self
                        .accounts
                        .fund_isolated_increase(idx, inst, spec, r.opened, price)
                        .is_err()
                    {
                        self.faults += 1;
                    }
                }
                if r.shortfall > Money::ZERO {
                    self.cover_shortfall(idx, inst, r.shortfall, sink);
                }
            }
            // Input bounds (MAX_PRICE_TICKS, MAX_QTY_LOTS) keep every value
            // inside i128; an overflow here would be a bug, counted so
            // that tests see it.
            Err(_) => self.faults += 1,
        }
    }

    /// The insurance fund pays what an isolated position's margin could
    /// not (bad debt): into the liquidation's report when the position is
    /// the one being liquidated, else a `bad_debt` event of its own.
    fn cover_shortfall(
        &mut self,
        idx: AccountIdx,
        inst: InstrumentIdx,
        amount: Money,
        sink: &mut dyn EventSink,
    ) {
        *self.funds.insurance_mut(inst) -= amount;
        self.record_bad_debt(inst, amount);
        if self.liquidating == Some(idx) {
            self.liquidated_shortfall += amount;
            return;
        }
        let account = self.accounts.account(idx).map_or(STREET, |a| a.id());
        self.emit(
            sink,
            Event::BadDebt {
                account,
                inst,
                amount,
            },
        );
    }

    /// Re-keys an account in the trigger index, and queues it when the
    /// change made it liquidatable at the current marks.
    pub(super) fn rekey(&mut self, idx: AccountIdx) {
        if idx == 0 {
            return;
        }
        let view = margin::Market::new(&self.instruments, &self.marks);
        self.index.update(&mut self.accounts, &view, idx);
        self.queue_at_marks(idx);
    }

    /// Queues account `idx`'s units that the current marks put under
    /// maintenance; the trigger reported is the first marked instrument
    /// it holds.
    pub(super) fn queue_at_marks(&mut self, idx: AccountIdx) {
        let inst_mark = self.accounts.account(idx).ok().and_then(|a| {
            a.positions()
                .iter()
                .find_map(|(i, _)| self.marks.mark(*i).map(|m| (*i, m)))
        });
        if let Some((inst, mark)) = inst_mark {
            self.queue_if_liquidatable(idx, Trigger { inst, mark });
        }
    }

    /// A new mark: emit it, then queue what it triggers.
    pub(super) fn mark_changed(
        &mut self,
        inst: InstrumentIdx,
        mark: Price,
        sink: &mut dyn EventSink,
    ) {
        self.emit(sink, Event::Mark { inst, price: mark });
        self.collect_stops(inst, TriggerSource::Mark, mark);
        let from = self.markets[inst as usize].scanned.replace(mark);
        self.scan_index(inst, mark, from);
    }

    /// Queues the units the trigger index finds liquidatable after the
    /// mark of `inst` moved from `from` to `mark` (`None`: everything).
    pub(super) fn scan_index(&mut self, inst: InstrumentIdx, mark: Price, from: Option<Price>) {
        let view = margin::Market::new(&self.instruments, &self.marks);
        let mut hits = std::mem::take(&mut self.hits_buf);
        hits.clear();
        self.index
            .on_mark_move(&mut self.accounts, &view, inst, from, &mut hits);
        for &account in &hits {
            let isolated = match self.accounts.account(account).map(|a| a.mode()) {
                Ok(margin::MarginMode::Isolated) => Some(inst),
                _ => None,
            };
            self.pending_liqs
                .entry(Unit { account, isolated })
                .or_insert(Trigger { inst, mark });
        }
        self.hits_buf = hits;
    }

    /// Under the `mid` and `median` policies the book itself moves the mark.
    pub(super) fn refresh_book_mark(&mut self, inst: InstrumentIdx, sink: &mut dyn EventSink) {
        let book = &self.markets[inst as usize].book;
        let (bid, ask) = (book.best_bid(), book.best_ask());
        if let Some(m) = self.marks.on_book(inst, bid, ask) {
            self.mark_changed(inst, m, sink);
        }
    }

    /// Cancels `account`'s reduce-only orders on `inst` that would no longer
    /// reduce its position, and shrinks those larger than the position.
    fn trim_reduce_only(
        &mut self,
        account: AccountId,
        idx: AccountIdx,
        inst: InstrumentIdx,
        sink: &mut dyn EventSink,
    ) {
        let Some(ids) = self.account_orders.get(&account) else {
            return;
        };
        let ids: smallvec::SmallVec<[u64; 4]> = ids
            .iter()
            .copied()
            .filter(|id| {
                self.orders
                    .get(id)
                    .is_some_and(|o| o.reduce_only && o.inst == inst)
            })
            .collect();
        if ids.is_empty() {
            return;
        }
        let pos = self
            .accounts
            .get(idx)
            .and_then(|a| a.position(inst))
            .map_or(Qty::ZERO, |p| p.qty);
        for id in ids {
            let Some(live) = self.orders.get(&id).copied() else {
                continue;
            };
            let reduces = pos.0 != 0 && (pos.0 > 0) != (live.side == Side::Buy);
            if !reduces {
                self.cancel_live(id, CancelReason::ReduceOnly, sink);
            } else if !live.stop {
                let book = &mut self.markets[inst as usize].book;
                if let Some(view) = book.order(id) {
                    if view.remaining > pos.abs() {
                        let _ = book.resize(id, pos.abs());
                    }
                }
            }
        }
    }

    /// The signed position of an account in an instrument.
    pub(super) fn position_qty(&self, account: AccountId, inst: InstrumentIdx) -> Qty {
        self.accounts
            .by_id(account)
            .ok()
            .and_then(|a| a.position(inst).map(|p| p.qty))
            .unwrap_or(Qty::ZERO)
    }
}
