//! The cells of a `steps.csv` row, shared by replay and stress: a `step`
//! event's fields of `spec/scenario.md`, in its order, with `symbol` after
//! `step`. Each caller puts its own leading columns (time, or scenario and
//! path step) in front.
//!
//! Must not: know where the step came from or write files.

use crate::event::StepReport;
use crate::instrument::Instrument;
use crate::types::{format_fixed, Decimal, Money, Price, Ratio, MONEY_DECIMALS};

/// The columns `step_cells` fills, in order.
pub const STEP_CELL_COLUMNS: [&str; 16] = [
    "cascade",
    "step",
    "symbol",
    "accounts",
    "qty",
    "notional",
    "vwap",
    "mid_before",
    "mark_before",
    "mark_after",
    "slippage_bps",
    "levels_walked",
    "insurance_before",
    "insurance_after",
    "bad_debt",
    "adl_qty",
];

/// Exact text of an amount of money (up to 12 decimals, no trailing zeros).
pub fn money_text(m: Money) -> String {
    format_fixed(m.0, MONEY_DECIMALS)
}

/// The cells of a step, as `STEP_CELL_COLUMNS` names them; an absent value
/// is an empty cell.
pub fn step_cells(s: &StepReport, inst: &Instrument) -> Vec<String> {
    let px = |p: Option<Price>| {
        p.map(|p| inst.price_decimal(p).to_string())
            .unwrap_or_default()
    };
    let ratio_px = |r: Option<Ratio>| r.map(|r| r.format_in(inst.tick)).unwrap_or_default();
    vec![
        s.cascade.to_string(),
        s.step.to_string(),
        inst.symbol.clone(),
        s.accounts.to_string(),
        inst.qty_decimal(s.qty).to_string(),
        money_text(s.notional),
        ratio_px(s.vwap),
        ratio_px(s.mid_before),
        px(s.mark_before),
        px(s.mark_after),
        s.slippage_bps
            .map(|r| r.format_in(Decimal::new(1, 0)))
            .unwrap_or_default(),
        s.levels_walked.to_string(),
        money_text(s.insurance_before),
        money_text(s.insurance_after),
        money_text(s.bad_debt),
        inst.qty_decimal(s.adl_qty).to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_follow_the_columns() {
        let inst = Instrument::new(&crate::liquidation::fuzzing::linear_spec("BTCUSDT")).unwrap();
        let s = StepReport {
            cascade: 1,
            step: 2,
            inst: 0,
            accounts: 3,
            qty: crate::types::Qty(1500),
            notional: Money::parse("90000.75").unwrap(),
            vwap: Some(Ratio::new(600005, 1)),
            mid_before: None,
            mark_before: Some(Price(600000)),
            mark_after: Some(Price(599000)),
            slippage_bps: Some(Ratio::new(1, 3)),
            levels_walked: 4,
            insurance_before: Money::ZERO,
            insurance_after: Money::parse("-1.5").unwrap(),
            bad_debt: Money::ZERO,
            adl_qty: crate::types::Qty(0),
        };
        let cells = step_cells(&s, &inst);
        assert_eq!(cells.len(), STEP_CELL_COLUMNS.len());
        assert_eq!(
            cells,
            [
                "1",
                "2",
                "BTCUSDT",
                "3",
                "1.5",
                "90000.75",
                "60000.5",
                "",
                "60000",
                "59900",
                "0.33333333",
                "4",
                "0",
                "-1.5",
                "0",
                "0"
            ]
        );
    }
}
