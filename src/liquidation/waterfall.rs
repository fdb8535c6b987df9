//! Liquidating one margin unit, and the loss waterfall behind it
//! (`spec/scenario.md`, "The waterfall").
//!
//! For each position of the unit: cancel the account's open orders, send a
//! reduce-only IOC liquidation order into the book (limited as the policy
//! says), charge the liquidation fee (capped at the equity left) to the
//! insurance fund, then close what the book did not take at one price, the
//! close price: the bankruptcy price of what is left, never more
//! favourable to the unit than the bankruptcy price at the start of its
//! liquidation. The insurance fund takes over at that price (passing the
//! position to the street at the mark) as far as it can without going
//! below zero; auto-deleveraging closes the rest against the best-ranked
//! opposite positions at the same price; what neither takes, the fund
//! takes into a deficit. A loss beyond the unit's collateral that remains
//! after that (fills beyond the bankruptcy price) is bad debt, paid by the
//! fund; an isolated position's is what its own margin could not pay. A
//! fund deficit is charged to the other accounts pro rata when the cascade
//! ends (`socialize`), so that the path of a cascade does not depend on
//! the size of the fund.
//!
//! Must not: decide who is liquidatable or in what order (the step loop),
//! or value accounts (the margin module).

use smallvec::SmallVec;

use super::{Engine, Trigger, Unit};
use crate::book::{BookEvent, CancelReason, OrderRequest, SelfTradePrevention, TimeInForce};
use crate::event::{AdlReport, Event, EventSink, InstrumentIdx, LiquidationReport};
use crate::instrument::{Backstop, LiquidationMode, PriceLimit, MAX_PRICE_TICKS};
use crate::margin::{self, AccountIdx, MarginMode};
use crate::muldiv::{mul_div, Rounding};
use crate::types::{div_ceil, div_floor, AccountId, Money, Price, Qty, Ratio, Side, STREET};

/// What became of one position's liquidation.
enum Closing {
    /// It ran; here is its report.
    Done(Box<LiquidationReport>),
    /// It must wait for the next step (the step's notional cap is used up).
    Wait,
    /// There was nothing to close.
    Nothing,
}

/// Where a margin unit stands against bankruptcy as one instrument's mark
/// moves (other marks fixed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Solvency {
    /// Its equity is zero at this price (in ticks).
    BankruptAt(Ratio),
    /// Its equity is positive at every price.
    Never,
    /// Its equity is negative at every price.
    Always,
}

impl Solvency {
    /// The bankruptcy price, when there is one.
    pub(super) fn price(self) -> Option<Ratio> {
        match self {
            Solvency::BankruptAt(r) => Some(r),
            _ => None,
        }
    }
}

/// The price in ticks a liquidation of `side` may not go beyond, from an
/// exact price: a sell may not sell below it (round up), a buy may not buy
/// above it (round down, at least one tick).
fn limit_tick(r: Ratio, side: Side) -> Price {
    match side {
        Side::Sell => Price(div_ceil(r.num, r.den).clamp(1, MAX_PRICE_TICKS as i128) as i64),
        Side::Buy => Price(div_floor(r.num, r.den).clamp(1, MAX_PRICE_TICKS as i128) as i64),
    }
}

/// An exact price rounded to a tick against the liquidated unit (a sell
/// down, a buy up), within the engine's price range.
fn tick_against(r: Ratio, side: Side) -> i128 {
    let t = match side {
        Side::Sell => div_floor(r.num, r.den),
        Side::Buy => div_ceil(r.num, r.den),
    };
    t.clamp(1, MAX_PRICE_TICKS as i128)
}

/// The one price at which the backstop or ADL closes what the book did not
/// take of a liquidation of `side` (`spec/scenario.md` 1.1): the bankruptcy
/// price of what is left (`now`), but never more favourable to the unit
/// than its bankruptcy price at the start (`start`), rounded to a tick
/// against the unit. A unit solvent at every price closes at the mark; one
/// bankrupt at every price, at its starting bankruptcy price (the mark
/// when it had none either).
pub(super) fn close_price(side: Side, now: Solvency, start: Solvency, mark: Price) -> Price {
    let candidate = match now {
        Solvency::BankruptAt(r) => Some(tick_against(r, side)),
        Solvency::Never => Some(mark.0 as i128),
        Solvency::Always => None,
    };
    let bound = start.price().map(|r| tick_against(r, side));
    let t = match (candidate, bound, side) {
        (Some(c), Some(b), Side::Sell) => c.min(b),
        (Some(c), Some(b), Side::Buy) => c.max(b),
        (Some(c), None, _) => c,
        (None, Some(b), _) => b,
        (None, None, _) => mark.0 as i128,
    };
    // Both candidates lie in [1, MAX_PRICE_TICKS] (a mark is a price).
    Price(t as i64)
}

impl Engine {
    /// Liquidates `unit` if it is still liquidatable at the current marks.
    pub(super) fn liquidate(&mut self, unit: Unit, trigger: Trigger, sink: &mut dyn EventSink) {
        let view = self.view();
        let Ok(acct) = self.accounts.account(unit.account) else {
            return;
        };
        let still = match unit.isolated {
            Some(i) => margin::unit_liquidatable(acct, i, &view),
            None => margin::account_liquidatable(acct, &view),
        };
        if !still.unwrap_or(false) {
            return;
        }
        let account = acct.id();
        let insts: SmallVec<[InstrumentIdx; 4]> = match unit.isolated {
            Some(i) => SmallVec::from_slice(&[i]),
            None => acct
                .positions()
                .iter()
                .filter(|(i, p)| p.qty.0 != 0 && self.marks.mark(*i).is_some())
                .map(|(i, _)| *i)
                .collect(),
        };
        let balance_before = acct.balance();
        self.cancel_for_liquidation(account, unit.isolated, sink);
        let mut reports: SmallVec<[LiquidationReport; 2]> = SmallVec::new();
        // True when a position must wait for the next step (the step's
        // notional cap is used up); a halted instrument parks the unit
        // until `resume` instead.
        let mut waits = false;
        for inst in insts {
            if self.markets[inst as usize].halted {
                self.parked.insert(unit, trigger);
                continue;
            }
            match self.liquidate_position(unit, account, inst, trigger, balance_before, sink) {
                Closing::Done(r) => reports.push(*r),
                Closing::Wait => waits = true,
                Closing::Nothing => {}
            }
        }
        let Some(last) = reports.last().map(|r| r.inst) else {
            if waits {
                self.pending_liqs.insert(unit, trigger);
            }
            return;
        };
        let fund_before = self.funds.insurance(last);
        let bad_debt = self.cover_bad_debt(unit, last);
        if let Some(r) = reports.last_mut() {
            r.bad_debt += bad_debt;
            r.insurance_delta += self.funds.insurance(last) - fund_before;
        }
        self.record_bad_debt(last, bad_debt);
        for r in reports {
            self.emit(sink, Event::Liquidation(r));
        }
        self.rekey_quiet(unit.account);
        // Partial liquidation (or a step cap) may leave it liquidatable:
        // it goes again in the next step.
        let view = self.view();
        if let Ok(acct) = self.accounts.account(unit.account) {
            let again = match unit.isolated {
                Some(i) => margin::unit_liquidatable(acct, i, &view),
                None => margin::account_liquidatable(acct, &view),
            };
            if waits || again.unwrap_or(false) {
                let inst = unit.isolated.unwrap_or(last);
                let mark = self.marks.mark(inst).unwrap_or(trigger.mark);
                self.pending_liqs
                    .entry(unit)
                    .or_insert(Trigger { inst, mark });
            }
        }
    }

    /// Cancels the account's live orders (on `only` when given) with
    /// reason `liquidation`.
    fn cancel_for_liquidation(
        &mut self,
        account: AccountId,
        only: Option<InstrumentIdx>,
        sink: &mut dyn EventSink,
    ) {
        let Some(ids) = self.account_orders.get(&account) else {
            return;
        };
        let ids: SmallVec<[u64; 8]> = ids
            .iter()
            .copied()
            .filter(|id| {
                self.orders
                    .get(id)
                    .is_some_and(|o| only.is_none_or(|i| i == o.inst))
            })
            .collect();
        for id in ids {
            self.cancel_live(id, CancelReason::Liquidation, sink);
        }
    }

    /// Liquidates the account's position in `inst`.
    #[allow(clippy::too_many_arguments)]
    fn liquidate_position(
        &mut self,
        unit: Unit,
        account: AccountId,
        inst: InstrumentIdx,
        trigger: Trigger,
        balance_before: Money,
        sink: &mut dyn EventSink,
    ) -> Closing {
        let idx = unit.account;
        let Some(mark) = self.marks.mark(inst) else {
            return Closing::Nothing;
        };
        let q = match self
            .accounts
            .account(idx)
            .ok()
            .and_then(|a| a.position(inst))
        {
            Some(p) if p.qty.0 != 0 => p.qty,
            _ => return Closing::Nothing,
        };
        let side = if q.0 > 0 { Side::Sell } else { Side::Buy };
        let policy = self.instruments[inst as usize].liquidation;
        let breaker = self.instruments[inst as usize].breaker;
        let start = self.solvency(idx, inst);
        let (equity, maint) = self.unit_values(idx, inst);
        let mut close = match policy.mode {
            LiquidationMode::Full => q.abs(),
            LiquidationMode::Partial => self.partial_close(unit, inst, q),
        };
        self.ensure_step_metrics(inst);
        if let Some(cap) = breaker.step_notional_cap {
            let used = self.step_notional(inst);
            let per_lot = self.instruments[inst as usize]
                .notional(Qty(1), mark)
                .max(Money(1));
            let left = cap - used;
            if left <= Money::ZERO {
                return Closing::Wait;
            }
            let lots = (left.0 / per_lot.0).max(1);
            close = close.min(Qty(lots.min(i64::MAX as i128) as i64));
        }
        let trigger_mark = if trigger.inst == inst {
            trigger.mark
        } else {
            mark
        };
        // `None`: the book may not take any of it (a unit bankrupt at every
        // price cannot fill within its bankruptcy price).
        let limit: Option<Option<Price>> = match policy.price_limit {
            PriceLimit::Bankruptcy => match start {
                Solvency::BankruptAt(bp) => Some(Some(limit_tick(bp, side))),
                Solvency::Never => Some(None),
                Solvency::Always => None,
            },
            PriceLimit::None => Some(None),
            PriceLimit::Band(b) => {
                let one = crate::types::Rate::ONE.0 as i128;
                let m = trigger_mark.0 as i128;
                let r = match side {
                    Side::Sell => Ratio::new(m * (one - b.0 as i128), one),
                    Side::Buy => Ratio::new(m * (one + b.0 as i128), one),
                };
                Some(Some(limit_tick(r, side)))
            }
        };
        let fund_before = self.funds.insurance(inst);
        let shortfall_before = self.liquidated_shortfall;
        self.liquidating = Some(idx);
        let totals = match limit {
            Some(price) => self.send_liquidation_order(inst, idx, side, close, price, sink),
            None => Default::default(),
        };
        // The fee, capped at the equity left.
        let fee = self.charge_liquidation_fee(unit, inst, totals.notional, balance_before);
        // What the book did not take is closed at one price.
        let rest = close - totals.qty;
        let mut close_at = None;
        let (backstop_qty, adl_qty) = if rest.0 > 0 {
            let now_mark = self.marks.mark(inst).unwrap_or(mark);
            let price = close_price(side, self.solvency(idx, inst), start, now_mark);
            close_at = Some(price);
            self.backstop(unit, account, inst, side, rest, price, sink)
        } else {
            (Qty::ZERO, Qty::ZERO)
        };
        self.liquidating = None;
        let bad_debt = self.liquidated_shortfall - shortfall_before;
        self.rekey_quiet(idx);
        if let Some(c) = self.cascade.as_mut() {
            if let Some(m) = c.current.get_mut(&inst) {
                m.accounts += 1;
                m.adl_qty += adl_qty;
            }
        }
        let (cascade, step) = self.cascade_step();
        Closing::Done(Box::new(LiquidationReport {
            cascade,
            step,
            account,
            inst,
            side,
            qty: close,
            filled: totals.qty,
            vwap: (totals.qty.0 > 0).then(|| Ratio::new(totals.px_qty, totals.qty.0 as i128)),
            mark: trigger_mark,
            bankruptcy: start.price(),
            equity,
            maint_margin: maint,
            close_price: close_at,
            fee,
            insurance_delta: self.funds.insurance(inst) - fund_before,
            bad_debt,
            backstop_qty,
            adl_qty,
        }))
    }

    /// Sends the engine's reduce-only IOC order for `qty` on `side` into the
    /// book of `inst` for account `idx`, limited at `price` when given, and
    /// applies its fills.
    fn send_liquidation_order(
        &mut self,
        inst: InstrumentIdx,
        idx: AccountIdx,
        side: Side,
        qty: Qty,
        price: Option<Price>,
        sink: &mut dyn EventSink,
    ) -> super::fills::FillTotals {
        let Ok(account) = self.accounts.account(idx).map(|a| a.id()) else {
            return Default::default();
        };
        let id = self.next_engine_order;
        self.next_engine_order += 1;
        let req = OrderRequest {
            id,
            account,
            side,
            qty,
            price,
            tif: TimeInForce::Ioc,
            stp: SelfTradePrevention::None,
        };
        let mut out = std::mem::take(&mut self.book_out);
        out.clear();
        let totals = match self.markets[inst as usize].book.submit(&req, &mut out) {
            Ok(_) => {
                // The IOC remainder of the engine's own order is reported by
                // the liquidation event (`qty` vs `filled`), not as a cancel.
                out.retain(|e| !matches!(e, BookEvent::Canceled(c) if c.id == id));
                self.apply_book_events(inst, &out, idx, true, sink)
            }
            Err(_) => Default::default(),
        };
        self.book_out = out;
        totals
    }

    /// Where the unit holding account `idx`'s position in `inst` stands
    /// against bankruptcy at the current marks.
    pub(super) fn solvency(&self, idx: AccountIdx, inst: InstrumentIdx) -> Solvency {
        let Ok(acct) = self.accounts.account(idx) else {
            return Solvency::Never;
        };
        let view = self.view();
        if let Ok(Some(bp)) = margin::bankruptcy_price(acct, inst, &view) {
            return Solvency::BankruptAt(bp);
        }
        // No positive price zeroes the equity: its sign is the same at
        // every price, so the current one tells which.
        match margin::unit_equity_maint(acct, inst, &view) {
            Ok(Some((e, _))) if e <= Money::ZERO => Solvency::Always,
            _ => Solvency::Never,
        }
    }

    /// The unit's equity and maintenance margin (rounded as `account`
    /// events round it) at the current marks.
    fn unit_values(&self, idx: AccountIdx, inst: InstrumentIdx) -> (Money, Money) {
        let view = self.view();
        self.accounts
            .account(idx)
            .ok()
            .and_then(|a| margin::unit_equity_maint(a, inst, &view).ok().flatten())
            .map_or((Money::ZERO, Money::ZERO), |(e, mm)| {
                (
                    e,
                    Money(crate::types::div_round_half_away(mm, margin::WIDE)),
                )
            })
    }

    /// Partial mode: the fewest lots that, closed at the mark, bring the
    /// unit back to maintenance (at least one lot, at most `max_fraction`
    /// of the position, rounded up to a lot).
    fn partial_close(&self, unit: Unit, inst: InstrumentIdx, q: Qty) -> Qty {
        let spec = &self.instruments[inst as usize];
        let size = q.abs();
        let frac = spec.liquidation.max_fraction.0 as i128;
        let cap = Qty(
            div_ceil(size.0 as i128 * frac, crate::types::Rate::ONE.0 as i128)
                .clamp(1, size.0 as i128) as i64,
        );
        let view = self.view();
        let Ok(acct) = self.accounts.account(unit.account) else {
            return cap;
        };
        let Some(mark) = self.marks.mark(inst) else {
            return cap;
        };
        let Ok(Some((equity, maint))) = margin::unit_equity_maint(acct, inst, &view) else {
            return cap;
        };
        let Ok(own) = margin::position_maint_wide(spec, q, mark) else {
            return cap;
        };
        let others = maint - own;
        let healthy = |x: i64| -> bool {
            let left = Qty(q.0 - q.0.signum() * x);
            match margin::position_maint_wide(spec, left, mark) {
                Ok(m) => equity.0.saturating_mul(margin::WIDE) >= others + m,
                Err(_) => false,
            }
        };
        // Binary search for the least x in [1, size] with healthy(x).
        let (mut lo, mut hi) = (1i64, size.0);
        if !healthy(hi) {
            return cap;
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if healthy(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Qty(lo).min(cap)
    }

    /// Takes the liquidation fee (rate x filled notional, capped at the
    /// unit's equity left) into the insurance fund. For an isolated unit
    /// whose position the book closed entirely, what it left is what it
    /// released to the balance since `balance_before`.
    fn charge_liquidation_fee(
        &mut self,
        unit: Unit,
        inst: InstrumentIdx,
        filled_notional: Money,
        balance_before: Money,
    ) -> Money {
        let full = self.instruments[inst as usize]
            .liquidation_fee
            .apply(filled_notional);
        if full <= Money::ZERO {
            return Money::ZERO;
        }
        let view = self.view();
        let Ok(acct) = self.accounts.account(unit.account) else {
            return Money::ZERO;
        };
        let isolated_open =
            unit.isolated.is_some() && acct.position(inst).is_some_and(|p| p.qty.0 != 0);
        let equity = if unit.isolated.is_some() && !isolated_open {
            acct.balance() - balance_before
        } else if unit.isolated.is_some() {
            margin::unit_equity_maint(acct, inst, &view)
                .ok()
                .flatten()
                .map_or(Money::ZERO, |(e, _)| e)
        } else {
            margin::account_equity(acct, &view).unwrap_or(Money::ZERO)
        };
        let fee = full.min(equity.max(Money::ZERO));
        if fee <= Money::ZERO {
            return Money::ZERO;
        }
        let taken = if isolated_open {
            self.accounts.credit_isolated(unit.account, inst, -fee)
        } else {
            self.accounts.credit(unit.account, -fee)
        };
        if taken.is_err() {
            return Money::ZERO;
        }
        *self.funds.insurance_mut(inst) += fee;
        fee
    }

    /// Closes `rest` lots the book did not take at `price`: the insurance
    /// fund as far as it can without going below zero (when the policy's
    /// backstop is the fund), then auto-deleveraging, then the fund into a
    /// deficit. Returns the lots the fund took and the lots deleveraged.
    #[allow(clippy::too_many_arguments)]
    fn backstop(
        &mut self,
        unit: Unit,
        account: AccountId,
        inst: InstrumentIdx,
        side: Side,
        rest: Qty,
        price: Price,
        sink: &mut dyn EventSink,
    ) -> (Qty, Qty) {
        let idx = unit.account;
        let Some(mark) = self.marks.mark(inst) else {
            return (Qty::ZERO, Qty::ZERO);
        };
        let policy = self.instruments[inst as usize].liquidation;
        let within = match policy.backstop {
            Backstop::Insurance => self.fund_capacity(inst, side, rest, mark, price),
            _ => Qty::ZERO,
        };
        let adl_qty = if rest > within && policy.adl {
            self.auto_deleverage(idx, account, inst, side, rest - within, price, sink)
        } else {
            Qty::ZERO
        };
        // The fund takes what it can afford and what nobody else took (even
        // into a deficit, socialized when the cascade ends), in one
        // takeover: one amount, rounded once, as the event reports it.
        let fund_qty = rest - adl_qty;
        self.fund_takeover(idx, inst, side, fund_qty, mark, price, sink);
        (fund_qty, adl_qty)
    }

    /// What taking over `x` lots at `price` and passing them to the street
    /// at the mark is worth to the fund (negative: it costs the fund).
    fn takeover_value(
        &self,
        inst: InstrumentIdx,
        side: Side,
        x: Qty,
        mark: Price,
        price: Price,
    ) -> Money {
        let spec = &self.instruments[inst as usize];
        let delta = if side == Side::Sell { -x } else { x };
        // The unit pays fill_cash at `price`, the street at the mark: the
        // fund keeps the value at `price` minus the value at the mark.
        match (
            margin::checked_value(spec, delta, price),
            margin::checked_value(spec, delta, mark),
        ) {
            (Ok(at_price), Ok(at_mark)) => at_price.checked_sub(at_mark).unwrap_or(Money::ZERO),
            // Unreachable within MAX_NOTIONAL (both prices bound the
            // position's value); no transfer rather than a wrong one.
            _ => Money::ZERO,
        }
    }

    /// The most lots (up to `rest`) the fund can take over without going
    /// below zero.
    fn fund_capacity(
        &self,
        inst: InstrumentIdx,
        side: Side,
        rest: Qty,
        mark: Price,
        price: Price,
    ) -> Qty {
        let fund = self.funds.insurance(inst);
        if self.takeover_value(inst, side, rest, mark, price) + fund >= Money::ZERO {
            return rest;
        }
        let (mut lo, mut hi) = (0i64, rest.0);
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if self.takeover_value(inst, side, Qty(mid), mark, price) + fund >= Money::ZERO {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Qty(lo)
    }

    /// The fund takes `x` lots of the unit at `price` and passes them to
    /// the street at the mark, keeping the difference.
    #[allow(clippy::too_many_arguments)]
    fn fund_takeover(
        &mut self,
        idx: AccountIdx,
        inst: InstrumentIdx,
        side: Side,
        x: Qty,
        mark: Price,
        price: Price,
        sink: &mut dyn EventSink,
    ) {
        if x.0 <= 0 {
            return;
        }
        let delta = if side == Side::Sell { -x } else { x };
        let t = self.takeover_value(inst, side, x, mark, price);
        self.book_fill(idx, inst, delta, price, sink);
        self.book_fill(0, inst, -delta, mark, sink);
        *self.funds.insurance_mut(inst) += t;
    }

    /// Closes up to `rest` lots against the best-ranked opposite positions
    /// at `price`. Returns the lots closed.
    #[allow(clippy::too_many_arguments)]
    fn auto_deleverage(
        &mut self,
        idx: AccountIdx,
        account: AccountId,
        inst: InstrumentIdx,
        side: Side,
        rest: Qty,
        price: Price,
        sink: &mut dyn EventSink,
    ) -> Qty {
        let view = margin::Market::new(&self.instruments, &self.marks);
        let queue = self
            .adl
            .queue(&mut self.accounts, &view, inst, side.opposite(), idx, rest)
            .unwrap_or_default();
        let mut done = Qty::ZERO;
        for entry in queue {
            let (cp, cp_qty) = (entry.idx, entry.qty);
            if done >= rest {
                break;
            }
            let take = cp_qty.abs().min(rest - done);
            if take.0 <= 0 {
                continue;
            }
            let delta = if side == Side::Sell { -take } else { take };
            self.book_fill(idx, inst, delta, price, sink);
            self.book_fill(cp, inst, -delta, price, sink);
            self.rekey(cp);
            done += take;
            let cp_id = self.accounts.account(cp).map(|a| a.id()).unwrap_or(STREET);
            let (cascade, step) = self.cascade_step();
            self.emit(
                sink,
                Event::Adl(AdlReport {
                    cascade,
                    step,
                    account: cp_id,
                    counterparty: account,
                    inst,
                    qty: take,
                    price,
                }),
            );
        }
        done
    }

    /// Covers a cross account's loss beyond its collateral, once its
    /// positions are closed, from the insurance fund, into a deficit if
    /// need be (the deficit is socialized when the cascade ends). Returns
    /// the loss (the bad debt). An isolated unit's loss beyond its margin
    /// was covered as its position closed (`book_fill`).
    fn cover_bad_debt(&mut self, unit: Unit, inst: InstrumentIdx) -> Money {
        let Ok(acct) = self.accounts.account(unit.account) else {
            return Money::ZERO;
        };
        if unit.isolated.is_some() || acct.mode() == MarginMode::Isolated {
            return Money::ZERO;
        }
        if acct.positions().iter().any(|(_, p)| p.qty.0 != 0) {
            return Money::ZERO;
        }
        let loss = -acct.balance();
        if loss <= Money::ZERO {
            return Money::ZERO;
        }
        if self.accounts.credit(unit.account, loss).is_ok() {
            *self.funds.insurance_mut(inst) -= loss;
        }
        loss
    }

    /// Takes `amount` pro rata from the positive balances of the real
    /// accounts (each share `floor(balance x due / total)`, exact for any
    /// amounts, the rounding remainder handed out one unit at a time in
    /// account order); the caller has already credited the receiver. What
    /// the accounts cannot give, the street gives (the last resort). Payers
    /// are re-keyed: paying may put them under maintenance in turn. Returns
    /// what each account paid, in account order (the street last).
    pub(super) fn socialize(&mut self, amount: Money) -> Vec<(AccountId, Money)> {
        let payers: Vec<(AccountIdx, Money)> = self
            .accounts
            .iter()
            .filter(|(i, a)| *i != 0 && a.balance() > Money::ZERO)
            .map(|(i, a)| (i, a.balance()))
            .collect();
        let total: Money = payers.iter().map(|(_, b)| *b).sum();
        let mut charged = Vec::new();
        let mut taken = Money::ZERO;
        if total > Money::ZERO {
            let due = amount.min(total);
            // b x due / total <= b: the share always fits.
            let mut shares: Vec<Money> = payers
                .iter()
                .map(|(_, b)| Money(mul_div(b.0, due.0, total.0, Rounding::Floor).unwrap_or(0)))
                .collect();
            // Hand out the rounding remainder one unit at a time, in
            // account order, to those who can still pay.
            let mut rem = due - shares.iter().copied().sum::<Money>();
            for (n, (_, b)) in payers.iter().enumerate() {
                if rem <= Money::ZERO {
                    break;
                }
                if shares[n] < *b {
                    shares[n] += Money(1);
                    rem -= Money(1);
                }
            }
            for ((i, _), share) in payers.iter().zip(shares) {
                if share > Money::ZERO && self.accounts.credit(*i, -share).is_ok() {
                    taken += share;
                    if let Ok(a) = self.accounts.account(*i) {
                        charged.push((a.id(), share));
                    }
                    // Paying may put the payer under maintenance in turn.
                    self.rekey(*i);
                }
            }
        }
        let street_part = amount - taken;
        if street_part > Money::ZERO && self.accounts.credit(0, -street_part).is_ok() {
            charged.push((STREET, street_part));
        }
        self.funds.socialized += amount;
        charged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(num: i128, den: i128) -> Solvency {
        Solvency::BankruptAt(Ratio::new(num, den))
    }

    #[test]
    fn close_price_is_never_better_for_the_unit_than_its_start() {
        // A short (buy) whose book fills went beyond its bankruptcy price
        // 110: what is left would be bankrupt at 90; it closes at 110.
        assert_eq!(
            close_price(Side::Buy, r(90, 1), r(110, 1), Price(130)),
            Price(110)
        );
        // A long (sell) the other way round: 105 now, 100 at the start.
        assert_eq!(
            close_price(Side::Sell, r(105, 1), r(100, 1), Price(99)),
            Price(100)
        );
        // The worse of the two is kept.
        assert_eq!(
            close_price(Side::Sell, r(95, 1), r(100, 1), Price(99)),
            Price(95)
        );
        assert_eq!(
            close_price(Side::Buy, r(120, 1), r(110, 1), Price(99)),
            Price(120)
        );
    }

    #[test]
    fn close_price_rounds_against_the_unit() {
        // 100.5 ticks: a sell closes at 100, a buy at 101.
        assert_eq!(
            close_price(Side::Sell, r(201, 2), r(201, 2), Price(99)),
            Price(100)
        );
        assert_eq!(
            close_price(Side::Buy, r(201, 2), r(201, 2), Price(99)),
            Price(101)
        );
        // Never below one tick.
        assert_eq!(
            close_price(Side::Sell, r(1, 3), r(1, 3), Price(5)),
            Price(1)
        );
    }

    #[test]
    fn close_price_without_a_bankruptcy_price() {
        // Solvent at every price: the mark (still bounded by the start).
        assert_eq!(
            close_price(Side::Sell, Solvency::Never, Solvency::Never, Price(77)),
            Price(77)
        );
        assert_eq!(
            close_price(Side::Sell, Solvency::Never, r(70, 1), Price(77)),
            Price(70)
        );
        // Bankrupt at every price: the start's bankruptcy price, else the mark.
        assert_eq!(
            close_price(Side::Buy, Solvency::Always, r(110, 1), Price(130)),
            Price(110)
        );
        assert_eq!(
            close_price(Side::Buy, Solvency::Always, Solvency::Always, Price(130)),
            Price(130)
        );
    }
}
