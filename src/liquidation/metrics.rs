//! Per-step and per-cascade measurements: what the liquidation orders of a
//! step took from the book (quantity, notional, VWAP, slippage against the
//! mid when the step began, levels walked) and what the cascade cost in
//! total.
//!
//! Must not: move money or positions; it only counts what the engine did.

use std::collections::BTreeSet;

use crate::event::{CascadeReport, InstrumentIdx, StepReport};
use crate::types::{Money, Price, Qty, Ratio, Side};

/// What one step did on one instrument.
#[derive(Clone, Debug)]
pub struct StepMetrics {
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Liquidations in the step.
    pub accounts: u32,
    /// Quantity filled in the book by liquidation orders.
    pub qty: Qty,
    /// Notional of those fills.
    pub notional: Money,
    /// Sum of price (ticks) x qty, for the VWAP.
    px_qty: i128,
    /// Sum of side sign x (2 x price - (bid + ask)) x qty, in half ticks.
    cost_half_ticks: i128,
    /// bid + ask when the step began (twice the mid, in ticks).
    mid2_before: Option<i128>,
    /// Mark that triggered the step.
    pub mark_before: Option<Price>,
    /// Distinct prices that gave a liquidation fill.
    levels: BTreeSet<Price>,
    /// Insurance fund when the step began.
    pub insurance_before: Money,
    /// Bad debt.
    pub bad_debt: Money,
    /// Auto-deleveraged quantity.
    pub adl_qty: Qty,
}

impl StepMetrics {
    /// Starts measuring a step.
    pub fn new(
        inst: InstrumentIdx,
        bid: Option<Price>,
        ask: Option<Price>,
        mark_before: Option<Price>,
        insurance_before: Money,
    ) -> StepMetrics {
        StepMetrics {
            inst,
            accounts: 0,
            qty: Qty::ZERO,
            notional: Money::ZERO,
            px_qty: 0,
            cost_half_ticks: 0,
            mid2_before: match (bid, ask) {
                (Some(b), Some(a)) => Some(b.0 as i128 + a.0 as i128),
                _ => None,
            },
            mark_before,
            levels: BTreeSet::new(),
            insurance_before,
            bad_debt: Money::ZERO,
            adl_qty: Qty::ZERO,
        }
    }

    /// Counts one liquidation fill of `side` (the liquidation order's side).
    pub fn record_fill(&mut self, side: Side, price: Price, qty: Qty, notional: Money) {
        self.qty += qty;
        self.notional += notional;
        self.px_qty += price.0 as i128 * qty.0 as i128;
        if let Some(mid2) = self.mid2_before {
            self.cost_half_ticks +=
                side.sign() as i128 * (2 * price.0 as i128 - mid2) * qty.0 as i128;
        }
        self.levels.insert(price);
    }

    /// VWAP of the fills so far, in ticks.
    pub fn vwap(&self) -> Option<Ratio> {
        (self.qty.0 > 0).then(|| Ratio::new(self.px_qty, self.qty.0 as i128))
    }

    /// Signed slippage in bps against the mid when the step began: positive
    /// is a cost to the liquidated accounts.
    pub fn slippage_bps(&self) -> Option<Ratio> {
        match self.mid2_before {
            Some(mid2) if self.qty.0 > 0 && mid2 > 0 => Some(Ratio::new(
                10_000 * self.cost_half_ticks,
                mid2 * self.qty.0 as i128,
            )),
            _ => None,
        }
    }

    /// The `step` event.
    pub fn report(
        &self,
        cascade: u32,
        step: u32,
        mark_after: Option<Price>,
        insurance_after: Money,
    ) -> StepReport {
        StepReport {
            cascade,
            step,
            inst: self.inst,
            accounts: self.accounts,
            qty: self.qty,
            notional: self.notional,
            vwap: self.vwap(),
            mid_before: self.mid2_before.map(|m| Ratio::new(m, 2)),
            mark_before: self.mark_before,
            mark_after,
            slippage_bps: self.slippage_bps(),
            levels_walked: self.levels.len() as u32,
            insurance_before: self.insurance_before,
            insurance_after,
            bad_debt: self.bad_debt,
            adl_qty: self.adl_qty,
        }
    }
}

/// What a whole cascade did on one instrument.
#[derive(Clone, Debug)]
pub struct CascadeMetrics {
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Steps with liquidations on this instrument.
    pub steps: u32,
    /// Liquidations.
    pub accounts: u32,
    /// Quantity filled by liquidation orders.
    pub qty: Qty,
    /// Notional of those fills.
    pub notional: Money,
    /// Mark before the cascade.
    pub mark_start: Option<Price>,
    /// Insurance fund at the start.
    pub insurance_start: Money,
    /// Lowest insurance fund seen.
    pub insurance_low: Money,
    /// Bad debt.
    pub bad_debt: Money,
    /// Auto-deleveraged quantity.
    pub adl_qty: Qty,
    /// A breaker halted the instrument.
    pub halted: bool,
}

impl CascadeMetrics {
    /// Starts measuring a cascade on an instrument.
    pub fn new(inst: InstrumentIdx, mark_start: Option<Price>, insurance: Money) -> CascadeMetrics {
        CascadeMetrics {
            inst,
            steps: 0,
            accounts: 0,
            qty: Qty::ZERO,
            notional: Money::ZERO,
            mark_start,
            insurance_start: insurance,
            insurance_low: insurance,
            bad_debt: Money::ZERO,
            adl_qty: Qty::ZERO,
            halted: false,
        }
    }

    /// Adds a finished step.
    pub fn add_step(&mut self, s: &StepMetrics, insurance_after: Money) {
        self.steps += 1;
        self.accounts += s.accounts;
        self.qty += s.qty;
        self.notional += s.notional;
        self.bad_debt += s.bad_debt;
        self.adl_qty += s.adl_qty;
        self.insurance_low = self.insurance_low.min(insurance_after);
    }

    /// The `cascade` event.
    pub fn report(&self, cascade: u32, mark_end: Option<Price>) -> CascadeReport {
        let price_move_bps = match (self.mark_start, mark_end) {
            (Some(a), Some(b)) if a.0 > 0 => Some(Ratio::new(
                10_000 * (b.0 as i128 - a.0 as i128),
                a.0 as i128,
            )),
            _ => None,
        };
        CascadeReport {
            cascade,
            inst: self.inst,
            steps: self.steps,
            accounts: self.accounts,
            qty: self.qty,
            notional: self.notional,
            mark_start: self.mark_start,
            mark_end,
            price_move_bps,
            // What the fund itself paid: a deficit below zero is socialized,
            // not drawn from the fund.
            insurance_drawdown: (self.insurance_start - self.insurance_low.max(Money::ZERO))
                .max(Money::ZERO),
            bad_debt: self.bad_debt,
            adl_qty: self.adl_qty,
            socialized: Money::ZERO,
            halted: self.halted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vwap_and_slippage_of_a_sell_step() {
        // Mid 100.0 (bid 99.9, ask 100.1 at tick 0.1 -> 999 + 1001 ticks).
        let mut m = StepMetrics::new(
            0,
            Some(Price(999)),
            Some(Price(1001)),
            Some(Price(1000)),
            Money::ZERO,
        );
        m.record_fill(Side::Sell, Price(999), Qty(2), Money(0));
        m.record_fill(Side::Sell, Price(990), Qty(2), Money(0));
        // VWAP 994.5 ticks; a sell 5.5 ticks below a 1000-tick mid = 55 bps cost.
        assert_eq!(m.vwap(), Some(Ratio::new(3978, 4)));
        let s = m.slippage_bps().unwrap();
        assert_eq!(s.to_f64(), 55.0, "{s:?}");
        let r = m.report(1, 1, Some(Price(990)), Money::ZERO);
        assert_eq!(r.levels_walked, 2);
        assert_eq!(r.mid_before, Some(Ratio::new(2000, 2)));
    }

    #[test]
    fn slippage_of_a_buy_is_positive_above_mid() {
        let mut m = StepMetrics::new(0, Some(Price(999)), Some(Price(1001)), None, Money::ZERO);
        m.record_fill(Side::Buy, Price(1010), Qty(1), Money(0));
        let s = m.slippage_bps().unwrap();
        assert!(s.num > 0);
        assert_eq!(s.to_f64(), 100.0);
    }

    #[test]
    fn cascade_drawdown_tracks_the_lowest_fund() {
        let mut c = CascadeMetrics::new(0, Some(Price(1000)), Money(100));
        let s = StepMetrics::new(0, None, None, None, Money(100));
        c.add_step(&s, Money(40));
        c.add_step(&s, Money(70));
        let r = c.report(1, Some(Price(950)));
        assert_eq!(r.insurance_drawdown, Money(60));
        assert_eq!(r.price_move_bps.unwrap().to_f64(), -500.0);
        assert_eq!(r.steps, 2);
    }
}
