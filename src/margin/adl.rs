//! The auto-deleveraging queue: which opposite-side positions take over a
//! liquidated position the book and the insurance fund could not absorb,
//! in which order.
//!
//! Ranking as Binance documents it (FAQ "What Is Auto-Deleveraging (ADL)
//! and How Does It Work", binance.com/en/support/faq/360033525471; the
//! same formula is published by BitMEX and Poloniex): longs and shorts are
//! ranked separately, and
//!   ranking = PnL% x effective leverage  when PnL% > 0,
//!   ranking = PnL% / effective leverage  otherwise,
//! with PnL% = (mark value - entry value) / |entry value| (here: upnl /
//! |cash|) and effective leverage = |mark value| / (mark value - bankrupt
//! value), which is the position's notional over the equity of its margin
//! unit (the account if cross, the position if isolated).
//!
//! Owns: the exact ordering (fractions compared by cross-multiplication in
//! 512-bit arithmetic; ties by account id). Must not: move money or
//! quantity (the engine closes the positions at the bankruptcy price).

use std::cmp::Ordering;

use crate::types::{AccountId, Qty, Side, STREET};

use super::accounts::{Account, Accounts};
use super::valuation::{abs, checked_value, unit_equity_maint, Market};
use super::wide::cmp_prod4;
use super::{AccountIdx, InstIdx, MarginError};

/// One position in the ADL queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdlEntry {
    /// The account.
    pub account: AccountId,
    /// Its dense index.
    pub idx: AccountIdx,
    /// The quantity it holds (unsigned, lots): the most it can take over.
    pub qty: Qty,
}

/// A candidate's score `num1*num2 / (den1*den2)` (dens positive) within a
/// class: 0 = profitable with non-positive equity (infinite leverage,
/// ranked first), 1 = profitable, 2 = not profitable.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scored {
    /// 0, 1 or 2 (lower ranks first).
    pub class: u8,
    /// The score's numerator factors.
    pub num: [i128; 2],
    /// The score's denominator factors (positive).
    pub den: [i128; 2],
    /// The position.
    pub entry: AdlEntry,
}

pub(super) fn by_rank(a: &Scored, b: &Scored) -> Ordering {
    a.class
        .cmp(&b.class)
        .then_with(|| {
            if a.class == 0 {
                return Ordering::Equal;
            }
            // Higher score first: compare b's score with a's.
            cmp_prod4(
                [b.num[0], b.num[1], a.den[0], a.den[1]],
                [a.num[0], a.num[1], b.den[0], b.den[1]],
            )
        })
        .then_with(|| a.entry.account.cmp(&b.entry.account))
}

/// The positions opposite a liquidated position in `inst` (`liquidated_side`
/// = `Buy` for a liquidated long, so shorts are ranked), of real accounts
/// other than `liquidated`, highest ranking first: profitable ones (upnl >
/// 0) by PnL% x effective leverage, then the others by PnL% / effective
/// leverage; ties by account id. Needs a mark. A full scan and sort: the
/// reference for [`AdlRanking`], which answers the same in O(log n).
pub fn adl_queue(
    accounts: &Accounts,
    market: &Market,
    inst: InstIdx,
    liquidated_side: Side,
    liquidated: AccountIdx,
) -> Result<Vec<AdlEntry>, MarginError> {
    market.instrument(inst)?;
    market.mark(inst).ok_or(MarginError::NoMark(inst))?;
    let want_long = liquidated_side == Side::Sell;
    let mut scored = Vec::new();
    for (idx, acct) in accounts.iter() {
        if idx == liquidated {
            continue;
        }
        if let Some(s) = score(acct, idx, market, inst, want_long)? {
            scored.push(s);
        }
    }
    scored.sort_by(by_rank);
    Ok(scored.into_iter().map(|s| s.entry).collect())
}

/// True when `acct` holds a position in `inst` on the ranked side (and is
/// not the street).
pub(super) fn on_side(acct: &Account, inst: InstIdx, want_long: bool) -> bool {
    acct.id() != STREET
        && acct
            .position(inst)
            .is_some_and(|p| p.qty.0 != 0 && (p.qty.0 > 0) == want_long)
}

/// The ADL score of `acct`'s position in `inst` at the current marks, or
/// `None` when it holds none on the ranked side. Needs a mark of `inst`.
pub(super) fn score(
    acct: &Account,
    idx: AccountIdx,
    market: &Market,
    inst: InstIdx,
    want_long: bool,
) -> Result<Option<Scored>, MarginError> {
    if !on_side(acct, inst, want_long) {
        return Ok(None);
    }
    let instrument = market.instrument(inst)?;
    let mark = market.mark(inst).ok_or(MarginError::NoMark(inst))?;
    // `on_side` found the position.
    let Some(pos) = acct.position(inst) else {
        return Ok(None);
    };
    let value = checked_value(instrument, pos.qty, mark)?;
    let upnl = pos.cash.checked_add(value).ok_or(MarginError::Overflow)?.0;
    let notional = abs(value)?.0.max(1);
    let entry_value = pos
        .cash
        .0
        .checked_abs()
        .ok_or(MarginError::Overflow)?
        .max(1);
    let (equity, _) = unit_equity_maint(acct, inst, market)?.ok_or(MarginError::Overflow)?;
    let equity = equity.0;
    let entry = AdlEntry {
        account: acct.id(),
        idx,
        qty: pos.qty.abs(),
    };
    Ok(Some(if upnl > 0 && equity <= 0 {
        Scored {
            class: 0,
            num: [0, 0],
            den: [1, 1],
            entry,
        }
    } else if upnl > 0 {
        // (upnl / entry) x (notional / equity)
        Scored {
            class: 1,
            num: [upnl, notional],
            den: [entry_value, equity],
            entry,
        }
    } else {
        // (upnl / entry) / (notional / equity) = upnl*equity / (entry*notional)
        Scored {
            class: 2,
            num: [upnl, equity],
            den: [entry_value, notional],
            entry,
        }
    }))
}

impl Scored {
    /// The score as a float (within a relative 1e-15; class 0 has none).
    pub(super) fn approx(&self) -> f64 {
        (self.num[0] as f64 * self.num[1] as f64) / (self.den[0] as f64 * self.den[1] as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::MarkPolicy;
    use crate::margin::testutil::*;
    use crate::margin::{MarginMode, Marks};

    #[test]
    fn ranks_by_pnl_times_leverage_then_losers() {
        // Shorts opposite a liquidated long, mark 45,000 (BTCUSDT):
        //  id 1: short 1 from 50,000, balance 1,000: upnl 5,000, equity
        //        6,000, PnL% 0.1, leverage 45,000/6,000 = 7.5 -> 0.75
        //  id 2: short 1 from 50,000, balance 10,000: PnL% 0.1, leverage
        //        45,000/15,000 = 3 -> 0.3
        //  id 3: short 0.5 from 60,000, balance 500: upnl 7,500, equity
        //        8,000, PnL% 0.25, leverage 22,500/8,000 -> 0.703125
        //  id 4: short 1 from 40,000 (losing 5,000), balance 20,000:
        //        PnL% -0.125 / (45,000/15,000) = -0.041666..
        //  id 5: short 1 from 44,000 (losing 1,000), balance 100,000:
        //        -0.0227 / (45,000/99,000) = -0.05
        //  id 6: long (same side as the liquidated one): not ranked.
        //  id 7: isolated short 1 from 50,000 with 500 margin: equity
        //        5,500, leverage 45,000/5,500 -> 0.818..
        let i = btcusdt();
        let mut a = Accounts::new();
        let rows: [(u64, &str, &str, &str, MarginMode); 7] = [
            (1, "1000", "-1", "50000", MarginMode::Cross),
            (2, "10000", "-1", "50000", MarginMode::Cross),
            (3, "500", "-0.5", "60000", MarginMode::Cross),
            (4, "20000", "-1", "40000", MarginMode::Cross),
            (5, "100000", "-1", "44000", MarginMode::Cross),
            (6, "100000", "1", "44000", MarginMode::Cross),
            (7, "1000", "-1", "50000", MarginMode::Isolated),
        ];
        for (id, bal, q, e, mode) in rows {
            let x = a.create(id, m(bal), mode).unwrap();
            let margin = (mode == MarginMode::Isolated).then(|| m("500"));
            a.open_position(x, 0, &i, qty(&i, q), px(&i, e), margin)
                .unwrap();
        }
        let liquidated = a.idx_of(6).unwrap();
        let mut marks = Marks::new();
        marks.push(MarkPolicy::Last);
        marks.force(0, px(&i, "45000"));
        let insts = [i];
        let q = adl_queue(&a, &Market::new(&insts, &marks), 0, Side::Buy, liquidated).unwrap();
        let ids: Vec<u64> = q.iter().map(|e| e.account).collect();
        assert_eq!(ids, vec![7, 1, 3, 2, 4, 5]);
        assert_eq!(q[2].qty, Qty(500));
        // Nothing to rank without a mark.
        let empty = Marks::new();
        assert!(adl_queue(&a, &Market::new(&insts, &empty), 0, Side::Buy, liquidated).is_err());
    }
}
