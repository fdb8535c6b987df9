//! Liquidating one margin unit, and the loss waterfall behind it.
//!
//! For each position of the unit: cancel the account's open orders, send a
//! reduce-only IOC liquidation order into the book (limited as the policy
//! says), charge the liquidation fee (capped at the equity left) to the
//! insurance fund, hand what the book could not take to the backstop (the
//! insurance fund takes it at the bankruptcy price and passes it to the
//! street at the mark; auto-deleveraging when the fund cannot pay or the
//! policy says so), then cover any loss beyond collateral from the fund.
//! The fund may run a deficit during a cascade; `socialize` charges it to
//! the other accounts pro rata when the cascade ends, so that the path of
//! a cascade does not depend on the size of the fund.
//!
//! Must not: decide who is liquidatable or in what order (the step loop),
//! or value accounts (the margin module).

use smallvec::SmallVec;

use super::{Engine, Trigger, Unit};
use crate::book::{BookEvent, CancelReason, OrderRequest, SelfTradePrevention, TimeInForce};
use crate::event::{AdlReport, Event, EventSink, InstrumentIdx, LiquidationReport};
use crate::instrument::{Backstop, LiquidationMode, PriceLimit};
use crate::margin::{self, AccountIdx, MarginMode};
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

/// The price in ticks a liquidation of `side` may not go beyond, from an
/// exact price: a sell may not sell below it (round up), a buy may not buy
/// above it (round down, at least one tick).
fn limit_tick(r: Ratio, side: Side) -> Price {
    match side {
        Side::Sell => Price(div_ceil(r.num, r.den).clamp(1, i64::MAX as i128) as i64),
        Side::Buy => Price(div_floor(r.num, r.den).clamp(1, i64::MAX as i128) as i64),
    }
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
        let bad_debt = self.cover_bad_debt(unit, last, balance_before);
        if let Some(r) = reports.last_mut() {
            r.bad_debt = bad_debt;
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
        let bankruptcy = self.bankruptcy(idx, inst);
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
        let limit = match policy.price_limit {
            PriceLimit::Bankruptcy => bankruptcy.map(|bp| limit_tick(bp, side)),
            PriceLimit::None => None,
            PriceLimit::Band(b) => {
                let one = crate::types::Rate::ONE.0 as i128;
                let m = trigger_mark.0 as i128;
                let r = match side {
                    Side::Sell => Ratio::new(m * (one - b.0 as i128), one),
                    Side::Buy => Ratio::new(m * (one + b.0 as i128), one),
                };
                Some(limit_tick(r, side))
            }
        };
        let fund_before = self.funds.insurance(inst);
        let id = self.next_engine_order;
        self.next_engine_order += 1;
        let req = OrderRequest {
            id,
            account,
            side,
            qty: close,
            price: limit,
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
                self.apply_book_events(inst, &out, true, sink)
            }
            Err(_) => Default::default(),
        };
        self.book_out = out;
        // The fee, capped at the equity left.
        let fee = self.charge_liquidation_fee(unit, inst, totals.notional, balance_before);
        // What the book did not take goes to the backstop.
        let rest = close - totals.qty;
        let (backstop_qty, adl_qty) = if rest.0 > 0 {
            self.backstop(unit, account, inst, side, rest, sink)
        } else {
            (Qty::ZERO, Qty::ZERO)
        };
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
            bankruptcy,
            fee,
            insurance_delta: self.funds.insurance(inst) - fund_before,
            bad_debt: Money::ZERO,
            backstop_qty,
            adl_qty,
        }))
    }

    /// The bankruptcy price of the unit holding account `idx`'s position in
    /// `inst`, in ticks.
    fn bankruptcy(&self, idx: AccountIdx, inst: InstrumentIdx) -> Option<Ratio> {
        let acct = self.accounts.account(idx).ok()?;
        margin::bankruptcy_price(acct, inst, &self.view())
            .ok()
            .flatten()
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

    /// Hands `rest` lots the book did not take to the backstop. Returns the
    /// lots the insurance fund took and the lots auto-deleveraged.
    fn backstop(
        &mut self,
        unit: Unit,
        account: AccountId,
        inst: InstrumentIdx,
        side: Side,
        rest: Qty,
        sink: &mut dyn EventSink,
    ) -> (Qty, Qty) {
        let idx = unit.account;
        let Some(mark) = self.marks.mark(inst) else {
            return (Qty::ZERO, Qty::ZERO);
        };
        let bp = self
            .bankruptcy(idx, inst)
            .map(|r| limit_tick(r, side))
            .unwrap_or(mark);
        let policy = self.instruments[inst as usize].liquidation;
        let mut left = rest;
        let mut fund_qty = Qty::ZERO;
        let mut adl_qty = Qty::ZERO;
        if policy.backstop == Backstop::Insurance {
            let x = self.fund_capacity(inst, side, left, mark, bp);
            self.fund_takeover(idx, inst, side, x, mark, bp);
            fund_qty += x;
            left -= x;
        }
        if left.0 > 0 && policy.adl {
            let done = self.auto_deleverage(idx, account, inst, side, left, bp, sink);
            adl_qty += done;
            left -= done;
        }
        if left.0 > 0 {
            // Nobody else can take it: the fund does, even into a deficit,
            // which is socialized when the cascade ends.
            self.fund_takeover(idx, inst, side, left, mark, bp);
            fund_qty += left;
        }
        (fund_qty, adl_qty)
    }

    /// What closing `x` lots at the mark instead of at the bankruptcy price
    /// is worth to the fund (negative: it costs the fund).
    fn takeover_value(
        &self,
        inst: InstrumentIdx,
        side: Side,
        x: Qty,
        mark: Price,
        bp: Price,
    ) -> Money {
        let spec = &self.instruments[inst as usize];
        let delta = if side == Side::Sell { -x } else { x };
        // fill_cash at the mark minus at bp = value at bp minus at the mark.
        match (
            margin::checked_value(spec, delta, bp),
            margin::checked_value(spec, delta, mark),
        ) {
            (Ok(at_bp), Ok(at_mark)) => at_bp.checked_sub(at_mark).unwrap_or(Money::ZERO),
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
        bp: Price,
    ) -> Qty {
        let fund = self.funds.insurance(inst);
        if self.takeover_value(inst, side, rest, mark, bp) + fund >= Money::ZERO {
            return rest;
        }
        let (mut lo, mut hi) = (0i64, rest.0);
        while lo < hi {
            let mid = lo + (hi - lo + 1) / 2;
            if self.takeover_value(inst, side, Qty(mid), mark, bp) + fund >= Money::ZERO {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        Qty(lo)
    }

    /// The fund takes `x` lots at the bankruptcy price and passes them to
    /// the street at the mark: the account's position moves to the street
    /// at the mark, and the account pays the fund the difference.
    fn fund_takeover(
        &mut self,
        idx: AccountIdx,
        inst: InstrumentIdx,
        side: Side,
        x: Qty,
        mark: Price,
        bp: Price,
    ) {
        if x.0 <= 0 {
            return;
        }
        let delta = if side == Side::Sell { -x } else { x };
        self.book_fill(idx, inst, delta, mark);
        self.book_fill(0, inst, -delta, mark);
        let t = self.takeover_value(inst, side, x, mark, bp);
        if self.accounts.credit(idx, -t).is_ok() {
            *self.funds.insurance_mut(inst) += t;
        }
    }

    /// Closes up to `rest` lots against the best-ranked opposite positions
    /// at the bankruptcy price. Returns the lots closed.
    #[allow(clippy::too_many_arguments)]
    fn auto_deleverage(
        &mut self,
        idx: AccountIdx,
        account: AccountId,
        inst: InstrumentIdx,
        side: Side,
        rest: Qty,
        bp: Price,
        sink: &mut dyn EventSink,
    ) -> Qty {
        let queue = margin::adl_queue(&self.accounts, &self.view(), inst, side.opposite(), idx)
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
            self.book_fill(idx, inst, delta, bp);
            self.book_fill(cp, inst, -delta, bp);
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
                    price: bp,
                }),
            );
        }
        done
    }

    /// Covers the unit's loss beyond its collateral, once its positions are
    /// closed, from the insurance fund, into a deficit if need be (the
    /// deficit is socialized when the cascade ends). Returns the loss (the
    /// bad debt).
    fn cover_bad_debt(&mut self, unit: Unit, inst: InstrumentIdx, balance_before: Money) -> Money {
        let Ok(acct) = self.accounts.account(unit.account) else {
            return Money::ZERO;
        };
        let loss = match (unit.isolated, acct.mode()) {
            (Some(i), MarginMode::Isolated) => {
                if acct.position(i).is_some_and(|p| p.qty.0 != 0) {
                    return Money::ZERO;
                }
                balance_before - acct.balance()
            }
            _ => {
                if acct.positions().iter().any(|(_, p)| p.qty.0 != 0) {
                    return Money::ZERO;
                }
                -acct.balance()
            }
        };
        if loss <= Money::ZERO {
            return Money::ZERO;
        }
        if self.accounts.credit(unit.account, loss).is_ok() {
            *self.funds.insurance_mut(inst) -= loss;
        }
        loss
    }

    /// Takes `amount` pro rata from the positive balances of the real
    /// accounts; the caller has already credited the receiver. What the
    /// accounts cannot give, the street gives (the last resort). Payers are
    /// re-keyed: paying may put them under maintenance in turn.
    pub(super) fn socialize(&mut self, amount: Money) {
        let payers: Vec<(AccountIdx, Money)> = self
            .accounts
            .iter()
            .filter(|(i, a)| *i != 0 && a.balance() > Money::ZERO)
            .map(|(i, a)| (i, a.balance()))
            .collect();
        let total: Money = payers.iter().map(|(_, b)| *b).sum();
        let mut taken = Money::ZERO;
        if total > Money::ZERO {
            let due = amount.min(total);
            let mut shares: Vec<Money> = payers
                .iter()
                .map(|(_, b)| Money(b.0 * due.0 / total.0))
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
                    // Paying may put the payer under maintenance in turn.
                    self.rekey(*i);
                }
            }
        }
        let street_part = amount - taken;
        if street_part > Money::ZERO {
            let _ = self.accounts.credit(0, -street_part);
        }
        self.funds.socialized += amount;
    }
}
