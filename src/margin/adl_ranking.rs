//! The ADL queue kept between auto-deleveraging events, so that finding
//! the next counterparty costs O(log n) instead of a scan and sort of
//! every account: exactly the order [`adl_queue`] gives at the current
//! state, at any mark.
//!
//! How: per (instrument, side) asked for, a max-heap of every position on
//! that side keyed by an upper bound of its rank (class, then score) over
//! a window of marks: every instrument's mark within `WINDOW` of where it
//! was when the heap was built. A score is a function of the marks only
//! through position values, each monotone in its own mark, so its bound
//! over the window follows from the values at the window's ends (interval
//! arithmetic, padded for float rounding). A query pops bounds in order
//! and scores those accounts exactly at the current marks; once the next
//! bound is below the best exact score found, nothing left can rank
//! before it, so it is the next in the queue. Popped entries go back.
//! When a mark leaves its window, the heaps are rebuilt around the marks
//! of the moment (a cascade moving the mark by x% rebuilds about
//! x% / `WINDOW` times).
//!
//! Entries are tagged with the account's `rev`; an account that changed
//! (the ledger logs every change while a heap is live) gets a fresh entry
//! and its old ones are skipped when they surface.
//!
//! Must not: move money or quantity, or decide anything on a float: the
//! order returned is the exact one ([`by_rank`] on exact scores); floats
//! only decide which accounts need scoring.

use std::collections::BinaryHeap;

use crate::types::{Price, Qty, Side};

use super::accounts::{Account, Accounts, MarginMode};
use super::adl::{adl_queue, by_rank, on_side, score, AdlEntry, Scored};
use super::valuation::{checked_value, Market};
use super::{AccountIdx, InstIdx, MarginError};

/// Relative half-width of the mark window a heap's bounds hold for.
const WINDOW: f64 = 0.01;

/// Relative pad on a float bound, far above its rounding (a few ulps).
const PAD: f64 = 1e-9;

/// The best rank a position can have over the window: the lowest class it
/// can reach, and an upper bound of its score in that class. Max-heap
/// order: a lower class, then a higher bound, ranks first.
#[derive(Clone, Copy, Debug)]
struct Bound {
    class: u8,
    hi: f64,
    idx: AccountIdx,
    rev: u32,
}

impl PartialEq for Bound {
    fn eq(&self, o: &Bound) -> bool {
        self.cmp(o) == std::cmp::Ordering::Equal
    }
}

impl Eq for Bound {}

impl PartialOrd for Bound {
    fn partial_cmp(&self, o: &Bound) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Bound {
    fn cmp(&self, o: &Bound) -> std::cmp::Ordering {
        o.class
            .cmp(&self.class)
            .then(self.hi.total_cmp(&o.hi))
            .then(o.idx.cmp(&self.idx))
            .then(self.rev.cmp(&o.rev))
    }
}

/// The heap of one (instrument, side).
#[derive(Clone, Debug)]
struct Queue {
    inst: InstIdx,
    long: bool,
    heap: BinaryHeap<Bound>,
}

/// The ADL queues asked for since the marks last left their windows.
#[derive(Clone, Debug, Default)]
pub struct AdlRanking {
    /// Per instrument, the window of marks (inclusive, ticks) the bounds
    /// hold for; `None` for an instrument that had no mark.
    windows: Vec<Option<(Price, Price)>>,
    queues: Vec<Queue>,
    changed: Vec<AccountIdx>,
}

/// Whether a position bounded by `b` may rank before, or tie with, `best`
/// (then it must be scored before `best` is handed out).
fn may_precede(b: &Bound, best: &Scored, best_approx: f64) -> bool {
    if b.class != best.class {
        return b.class < best.class;
    }
    b.class == 0 || b.hi >= best_approx - PAD * best_approx.abs() - f64::MIN_POSITIVE
}

/// `x` moved up by the pad (a bound computed in floats, made safe).
fn pad_up(x: f64) -> f64 {
    x + PAD * x.abs() + f64::MIN_POSITIVE
}

/// The range of a position's value over the window of its instrument
/// (values are monotone in the mark, so the ends give it).
fn value_range(
    market: &Market,
    inst: InstIdx,
    qty: Qty,
    window: (Price, Price),
) -> Result<(i128, i128), MarginError> {
    let instrument = market.instrument(inst)?;
    let a = checked_value(instrument, qty, window.0)?.0;
    let b = checked_value(instrument, qty, window.1)?.0;
    Ok((a.min(b), a.max(b)))
}

impl AdlRanking {
    /// An empty ranking.
    pub fn new() -> AdlRanking {
        AdlRanking::default()
    }

    /// The first positions of the queue [`adl_queue`] gives for these
    /// arguments, in its order, as many as it takes for their quantities
    /// to cover `qty` lots (all of them when they hold less); the same
    /// errors. `accounts` is `&mut` for its change log: this ranking
    /// turns it on while it holds heaps.
    pub fn queue(
        &mut self,
        accounts: &mut Accounts,
        market: &Market,
        inst: InstIdx,
        liquidated_side: Side,
        liquidated: AccountIdx,
        qty: Qty,
    ) -> Result<Vec<AdlEntry>, MarginError> {
        market.instrument(inst)?;
        market.mark(inst).ok_or(MarginError::NoMark(inst))?;
        let long = liquidated_side == Side::Sell;
        self.catch_up(accounts, market);
        let q = match self
            .queues
            .iter()
            .position(|q| q.inst == inst && q.long == long)
        {
            Some(q) => q,
            None => {
                let heap = self.build(accounts, market, inst, long);
                self.queues.push(Queue { inst, long, heap });
                accounts.log_changes(true);
                self.queues.len() - 1
            }
        };
        let heap = &mut self.queues[q].heap;
        let mut out = Vec::new();
        let mut covered: i128 = 0;
        // Scored candidates, best last; their bounds, to go back.
        let mut candidates: Vec<Scored> = Vec::new();
        let mut popped: Vec<Bound> = Vec::new();
        let mut failed = None;
        while covered < qty.0 as i128 {
            // Score every position that may precede the best one found.
            while let Some(top) = heap.peek().copied() {
                if let Some(best) = candidates.last() {
                    if !may_precede(&top, best, best.approx()) {
                        break;
                    }
                }
                heap.pop();
                let acct = match accounts.get(top.idx) {
                    Some(a) if a.rev() == top.rev => a,
                    // Stale: the account changed and has a newer entry.
                    _ => continue,
                };
                popped.push(top);
                if top.idx == liquidated {
                    continue;
                }
                match score(acct, top.idx, market, inst, long) {
                    Ok(Some(s)) => {
                        // Keep candidates sorted, best last.
                        let at = candidates.partition_point(|c| by_rank(c, &s).is_gt());
                        candidates.insert(at, s);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            if failed.is_some() {
                break;
            }
            let Some(best) = candidates.pop() else {
                break;
            };
            covered += best.entry.qty.0 as i128;
            out.push(best.entry);
        }
        heap.extend(popped);
        match failed {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Brings the heaps up to date: all dropped when a mark left its
    /// window (or the change log is long enough that rebuilding is
    /// cheaper), else a fresh entry for every account that changed.
    fn catch_up(&mut self, accounts: &mut Accounts, market: &Market) {
        let marks_moved = self.windows.len() != market.instruments.len()
            || self.windows.iter().enumerate().any(|(i, w)| {
                let m = market.mark(i as InstIdx);
                match (w, m) {
                    (None, None) => false,
                    (Some((lo, hi)), Some(m)) => m < *lo || m > *hi,
                    _ => true,
                }
            });
        if marks_moved || accounts.pending_changes() > accounts.len() / 4 {
            self.queues.clear();
            accounts.log_changes(false);
            self.windows = (0..market.instruments.len() as InstIdx)
                .map(|i| {
                    market.mark(i).map(|m| {
                        let f = m.0 as f64;
                        let lo = ((f * (1.0 - WINDOW)).floor() as i64).clamp(1, m.0);
                        let hi = ((f * (1.0 + WINDOW)).ceil() as i64).max(m.0);
                        (Price(lo), Price(hi))
                    })
                })
                .collect();
            return;
        }
        let mut changed = std::mem::take(&mut self.changed);
        changed.clear();
        accounts.take_changes(&mut changed);
        changed.sort_unstable();
        changed.dedup();
        for &idx in &changed {
            let Some(acct) = accounts.get(idx) else {
                continue;
            };
            for q in &mut self.queues {
                if let Some(b) = self_bound(&self.windows, acct, idx, market, q.inst, q.long) {
                    q.heap.push(b);
                }
            }
        }
        self.changed = changed;
    }

    /// The heap of every position in `inst` on the `long` side.
    fn build(
        &self,
        accounts: &Accounts,
        market: &Market,
        inst: InstIdx,
        long: bool,
    ) -> BinaryHeap<Bound> {
        let v: Vec<Bound> = accounts
            .iter()
            .filter_map(|(idx, acct)| self_bound(&self.windows, acct, idx, market, inst, long))
            .collect();
        BinaryHeap::from(v)
    }

    /// Checks every heap held against a fresh [`adl_queue`] (for tests):
    /// the whole queue, and a short prefix.
    pub fn check(&mut self, accounts: &mut Accounts, market: &Market) -> Result<(), String> {
        let held: Vec<(InstIdx, bool)> = self.queues.iter().map(|q| (q.inst, q.long)).collect();
        for (inst, long) in held {
            let side = if long { Side::Sell } else { Side::Buy };
            let want = adl_queue(accounts, market, inst, side, 0).map_err(|e| e.to_string())?;
            for qty in [Qty(1), Qty(i64::MAX)] {
                let got = self
                    .queue(accounts, market, inst, side, 0, qty)
                    .map_err(|e| e.to_string())?;
                let agrees = if qty.0 == i64::MAX {
                    got == want
                } else {
                    want.starts_with(&got)
                };
                if !agrees {
                    return Err(format!(
                        "ADL ranking of instrument {inst} (longs: {long}) gives {got:?}, a full sort {want:?}"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The bound entry of `acct`'s position in `inst` on the `long` side, or
/// `None` when it holds none there. A position whose bound cannot be
/// computed (an overflow at a window's end) is put first, so that it is
/// always scored exactly.
fn self_bound(
    windows: &[Option<(Price, Price)>],
    acct: &Account,
    idx: AccountIdx,
    market: &Market,
    inst: InstIdx,
    long: bool,
) -> Option<Bound> {
    if !on_side(acct, inst, long) {
        return None;
    }
    let (class, hi) = rank_bound(windows, acct, market, inst).unwrap_or((0, f64::INFINITY));
    Some(Bound {
        class,
        hi,
        idx,
        rev: acct.rev(),
    })
}

/// The lowest class and the highest score (padded) the position of
/// `acct` in `inst` can have with every mark inside its window. Mirrors
/// `adl::score`: upnl = cash + value, notional = |value| (at least 1),
/// entry = |cash| (at least 1), equity of the unit (the account if
/// cross, the position if isolated; unmarked positions count nothing).
fn rank_bound(
    windows: &[Option<(Price, Price)>],
    acct: &Account,
    market: &Market,
    inst: InstIdx,
) -> Result<(u8, f64), MarginError> {
    let pos = acct.position(inst).ok_or(MarginError::Overflow)?;
    let w = windows
        .get(inst as usize)
        .copied()
        .flatten()
        .ok_or(MarginError::NoMark(inst))?;
    let (v_lo, v_hi) = value_range(market, inst, pos.qty, w)?;
    let add = |a: i128, b: i128| a.checked_add(b).ok_or(MarginError::Overflow);
    let u = (add(pos.cash.0, v_lo)?, add(pos.cash.0, v_hi)?);
    let abs = |v: i128| v.checked_abs().ok_or(MarginError::Overflow);
    // The value keeps its sign over the window (prices are positive).
    let (n_lo, n_hi) = {
        let (a, b) = (abs(v_lo)?, abs(v_hi)?);
        (a.min(b).max(1), a.max(b).max(1))
    };
    let entry = abs(pos.cash.0)?.max(1);
    let e = match acct.mode() {
        MarginMode::Isolated => (add(pos.margin.0, u.0)?, add(pos.margin.0, u.1)?),
        MarginMode::Cross => {
            let mut e = (acct.balance().0, acct.balance().0);
            for &(i, ref p) in acct.positions() {
                if p.qty.0 == 0 {
                    continue;
                }
                let Some(wi) = windows.get(i as usize).copied().flatten() else {
                    continue;
                };
                let (lo, hi) = value_range(market, i, p.qty, wi)?;
                e = (add(add(e.0, p.cash.0)?, lo)?, add(add(e.1, p.cash.0)?, hi)?);
            }
            e
        }
    };
    let f = |v: i128| v as f64;
    if u.1 > 0 && e.0 <= 0 {
        return Ok((0, f64::INFINITY));
    }
    if u.1 > 0 {
        // Class 1 (equity positive throughout): upnl x notional / (entry x
        // equity) is largest at the largest upnl and notional, the
        // smallest equity.
        return Ok((1, pad_up(f(u.1) * f(n_hi) / (f(entry) * f(e.0)))));
    }
    // Class 2: upnl x equity / (entry x notional), upnl <= 0.
    let p = [
        f(u.0) * f(e.0),
        f(u.0) * f(e.1),
        f(u.1) * f(e.0),
        f(u.1) * f(e.1),
    ]
    .into_iter()
    .fold(f64::NEG_INFINITY, f64::max);
    let n = if p >= 0.0 { n_lo } else { n_hi };
    Ok((2, pad_up(p / (f(entry) * f(n)))))
}
