//! What the population's cascades cost, cascade by cascade and step by
//! step, in the settlement asset, as the closing text and the page show
//! them: slippage cost (notional x slippage against the mid before the
//! step), insurance drawdown, bad debt, ADL and socialized loss; and what
//! started each cascade (a shock sent at that time, or the replayed
//! prices). Also the units of the replayed instrument.
//!
//! Must not: compute anything the outcome does not hold (these are sums
//! and labels of the engine's own step and cascade events).

use super::driver::DriveOutcome;
use super::outputs::RunMeta;
use crate::instrument::ContractKind;
use crate::report::units::{quantity_unit, settlement_asset, QUOTE_UNITS};

/// The units of a replay's numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Units {
    /// The settlement asset: money (`USDT`, `BTC`).
    pub money: String,
    /// Quantities (`BTC`, `contracts`).
    pub qty: String,
}

/// The units of the replayed instrument: from its symbol, or from the
/// venue where the symbol does not say (Hyperliquid settles in USDC,
/// LOBSTER's stocks in USD).
pub fn units(o: &DriveOutcome, meta: &RunMeta) -> Units {
    let inverse = o.spec.kind == ContractKind::Inverse;
    let mut money = settlement_asset(&o.spec.symbol, inverse);
    if money == QUOTE_UNITS {
        match meta.format.as_str() {
            "hyperliquid" => money = "USDC".into(),
            "lobster" => money = "USD".into(),
            _ => {}
        }
    }
    Units {
        money,
        qty: quantity_unit(&o.spec.symbol, inverse),
    }
}

/// What one step cost, in the settlement asset (floats: for people).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepCost {
    /// Cascade number.
    pub cascade: u32,
    /// Step number within it.
    pub step: u32,
    /// Replay clock, ns.
    pub ts: i64,
    /// Accounts liquidated.
    pub accounts: u32,
    /// Quantity filled in the book.
    pub qty: f64,
    /// Notional filled in the book.
    pub notional: f64,
    /// Slippage against the mid before the step, bps.
    pub slippage_bps: Option<f64>,
    /// Notional x slippage: what the liquidations paid the book beyond the mid.
    pub slippage_cost: f64,
    /// What the insurance fund lost in the step (0 when it gained).
    pub insurance_drawdown: f64,
    /// Bad debt.
    pub bad_debt: f64,
    /// Quantity auto-deleveraged.
    pub adl_qty: f64,
    /// Book levels walked.
    pub levels: u32,
}

/// What one cascade cost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CascadeCost {
    /// Cascade number.
    pub cascade: u32,
    /// When its first step ran, ns.
    pub start: i64,
    /// Started at the time a shock was sent (else by the replayed prices).
    pub by_shock: bool,
    /// Steps.
    pub steps: u32,
    /// Accounts liquidated.
    pub accounts: u32,
    /// Notional filled in the book.
    pub notional: f64,
    /// Slippage cost, summed over its steps.
    pub slippage_cost: f64,
    /// Insurance drawdown (the engine's figure for the cascade).
    pub insurance_drawdown: f64,
    /// Bad debt.
    pub bad_debt: f64,
    /// Quantity auto-deleveraged.
    pub adl_qty: f64,
    /// Insurance deficit charged to the accounts when it ended.
    pub socialized: f64,
    /// Price move of the mark, bps.
    pub move_bps: Option<f64>,
}

/// The cost of every step, in order.
pub fn step_costs(o: &DriveOutcome) -> Vec<StepCost> {
    let lot = o.spec.lot.to_f64();
    o.steps
        .iter()
        .map(|s| {
            let st = &s.step;
            let notional = st.notional.to_f64();
            let slippage_bps = st.slippage_bps.map(|b| b.to_f64());
            StepCost {
                cascade: st.cascade,
                step: st.step,
                ts: s.ts,
                accounts: st.accounts,
                qty: st.qty.0 as f64 * lot,
                notional,
                slippage_bps,
                slippage_cost: slippage_bps.map_or(0.0, |b| b * notional / 10_000.0),
                insurance_drawdown: (st.insurance_before.to_f64() - st.insurance_after.to_f64())
                    .max(0.0),
                bad_debt: st.bad_debt.to_f64(),
                adl_qty: st.adl_qty.0 as f64 * lot,
                levels: st.levels_walked,
            }
        })
        .collect()
}

/// The cost of every cascade, in cascade order.
pub fn cascade_costs(o: &DriveOutcome) -> Vec<CascadeCost> {
    let steps = step_costs(o);
    let lot = o.spec.lot.to_f64();
    o.cascades
        .iter()
        .map(|(end_ts, c)| {
            let mine: Vec<&StepCost> = steps.iter().filter(|s| s.cascade == c.cascade).collect();
            let start = mine.first().map_or(*end_ts, |s| s.ts);
            CascadeCost {
                cascade: c.cascade,
                start,
                by_shock: o.shocks.iter().any(|sh| sh.ts == start),
                steps: c.steps,
                accounts: c.accounts,
                notional: c.notional.to_f64(),
                slippage_cost: mine.iter().map(|s| s.slippage_cost).sum(),
                insurance_drawdown: c.insurance_drawdown.to_f64(),
                bad_debt: c.bad_debt.to_f64(),
                adl_qty: c.adl_qty.0 as f64 * lot,
                socialized: c.socialized.to_f64(),
                move_bps: c.price_move_bps.map(|m| m.to_f64()),
            }
        })
        .collect()
}

/// The cascades' costs added up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CostTotals {
    /// Slippage cost.
    pub slippage_cost: f64,
    /// Insurance drawdown.
    pub insurance_drawdown: f64,
    /// Bad debt.
    pub bad_debt: f64,
    /// Quantity auto-deleveraged.
    pub adl_qty: f64,
    /// Socialized loss.
    pub socialized: f64,
    /// Cascades started by a shock.
    pub by_shock: usize,
    /// Cascades started by the replayed prices.
    pub by_market: usize,
}

/// Adds up `cascades`.
pub fn totals(cascades: &[CascadeCost]) -> CostTotals {
    let mut t = CostTotals::default();
    for c in cascades {
        t.slippage_cost += c.slippage_cost;
        t.insurance_drawdown += c.insurance_drawdown;
        t.bad_debt += c.bad_debt;
        t.adl_qty += c.adl_qty;
        t.socialized += c.socialized;
        if c.by_shock {
            t.by_shock += 1;
        } else {
            t.by_market += 1;
        }
    }
    t
}
