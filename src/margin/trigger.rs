//! The trigger index: per instrument, the liquidation prices of every
//! margin unit holding it, in two ordered trees (longs, liquidated when the
//! mark falls below their key; shorts, when it rises above), so a mark
//! change costs O(log n + k) for k candidates, never a scan of all
//! accounts.
//!
//! Owns: the float keys (`ordered_float`, with the account index to make
//! them unique), each account's current keys (to remove them when it is
//! re-keyed), and per instrument the set of cross accounts that hold it
//! together with something else: their keys for the other instruments
//! depend on this instrument's mark, so they are re-keyed when it moves.
//!
//! Must not: decide anything on a float. Every candidate a range scan
//! finds is re-checked with the exact integer test (`valuation`); keys are
//! widened (a relative epsilon on the scan, and the solver's rounding pad
//! for inverse contracts) so that the scan never misses one. Must not
//! mutate accounts: the engine calls `update` after anything about an
//! account changed (fill, deposit, funding, fee) and `on_mark` after every
//! mark change, the first one included.

use std::collections::BTreeSet;

use ordered_float::OrderedFloat;
use smallvec::SmallVec;

use crate::types::STREET;

use super::accounts::{Accounts, MarginMode};
use super::solver::{trigger_key, TriggerKey};
use super::valuation::{account_liquidatable, unit_liquidatable, Market};
use super::{AccountIdx, InstIdx};

/// Relative widening of a scan around the mark (keys are f64 renderings
/// of exact ratios, good to about 1e-15).
const SCAN_EPS: f64 = 1e-9;

const BELOW: u8 = 1;
const ABOVE: u8 = 2;
const MULTI: u8 = 4;

/// One key an account holds for one instrument.
#[derive(Clone, Copy, Debug)]
struct Slot {
    key: f64,
    inst: InstIdx,
    flags: u8,
}

impl Slot {
    fn same_key(&self, o: &Slot) -> bool {
        self.inst == o.inst
            && self.flags & (BELOW | ABOVE) == o.flags & (BELOW | ABOVE)
            && self.key.to_bits() == o.key.to_bits()
    }
}

type Tree = BTreeSet<(OrderedFloat<f64>, AccountIdx)>;

/// The trees of one instrument.
#[derive(Clone, Debug, Default)]
struct Trees {
    /// Long positions: liquidatable when the mark is below the key.
    below: Tree,
    /// Short positions: liquidatable when the mark is above the key.
    above: Tree,
    /// Cross accounts holding this instrument and at least one other.
    multi: BTreeSet<AccountIdx>,
}

/// Liquidation prices of all margin units, by instrument and side.
#[derive(Clone, Debug, Default)]
pub struct TriggerIndex {
    trees: Vec<Trees>,
    slots: Vec<SmallVec<[Slot; 1]>>,
    scratch: Vec<AccountIdx>,
}

impl TriggerIndex {
    /// An empty index.
    pub fn new() -> TriggerIndex {
        TriggerIndex::default()
    }

    /// An index of every account in `accounts`.
    pub fn build(accounts: &Accounts, market: &Market) -> TriggerIndex {
        let mut t = TriggerIndex::new();
        t.slots.reserve(accounts.len());
        for (idx, _) in accounts.iter() {
            t.update(accounts, market, idx);
        }
        t
    }

    /// Re-keys every account (after funding, or any change to many).
    pub fn rebuild(&mut self, accounts: &Accounts, market: &Market) {
        *self = TriggerIndex::build(accounts, market);
    }

    /// Number of keys in the trees.
    pub fn len(&self) -> usize {
        self.trees
            .iter()
            .map(|t| t.below.len() + t.above.len())
            .sum()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn trees_mut(&mut self, inst: InstIdx) -> &mut Trees {
        let i = inst as usize;
        if self.trees.len() <= i {
            self.trees.resize_with(i + 1, Trees::default);
        }
        &mut self.trees[i]
    }

    /// Re-keys account `idx` after anything about it changed: its keys
    /// for every instrument it holds, and its membership in the
    /// multi-instrument sets. Unchanged keys are left in place.
    pub fn update(&mut self, accounts: &Accounts, market: &Market, idx: AccountIdx) {
        let Some(acct) = accounts.get(idx) else {
            return;
        };
        let i = idx as usize;
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, SmallVec::new);
        }
        let old = std::mem::take(&mut self.slots[i]);
        let mut new: SmallVec<[Slot; 1]> = SmallVec::new();
        if acct.id() != STREET {
            let multi = acct.mode() == MarginMode::Cross && acct.positions().len() >= 2;
            for &(inst, _) in acct.positions() {
                let (key, side) = match trigger_key(acct, inst, market) {
                    TriggerKey::None => (0.0, 0),
                    TriggerKey::Below(k) => (k, BELOW),
                    TriggerKey::Above(k) => (k, ABOVE),
                };
                new.push(Slot {
                    key,
                    inst,
                    flags: side | if multi { MULTI } else { 0 },
                });
            }
        }
        for o in &old {
            let kept_key = new.iter().any(|n| n.same_key(o));
            let kept_multi = new.iter().any(|n| n.inst == o.inst && n.flags & MULTI != 0);
            let t = self.trees_mut(o.inst);
            if !kept_key {
                let k = (OrderedFloat(o.key), idx);
                if o.flags & BELOW != 0 {
                    t.below.remove(&k);
                } else if o.flags & ABOVE != 0 {
                    t.above.remove(&k);
                }
            }
            if o.flags & MULTI != 0 && !kept_multi {
                t.multi.remove(&idx);
            }
        }
        for n in &new {
            let had_key = old.iter().any(|o| o.same_key(n));
            let had_multi = old.iter().any(|o| o.inst == n.inst && o.flags & MULTI != 0);
            let t = self.trees_mut(n.inst);
            if !had_key {
                let k = (OrderedFloat(n.key), idx);
                if n.flags & BELOW != 0 {
                    t.below.insert(k);
                } else if n.flags & ABOVE != 0 {
                    t.above.insert(k);
                }
            }
            if n.flags & MULTI != 0 && !had_multi {
                t.multi.insert(idx);
            }
        }
        self.slots[i] = new;
    }

    /// After the mark of `inst` changed (the marks in `market` already
    /// hold the new one): re-keys the cross accounts holding `inst` and
    /// something else, then range-scans the longs keyed at or above the
    /// mark and the shorts keyed at or below it (widened by a relative
    /// 1e-9), re-checks each candidate exactly, and appends the
    /// liquidatable ones to `out` in ascending index order. For a cross
    /// account the whole account is liquidatable; for an isolated one, its
    /// position in `inst`. A check that overflows counts as liquidatable
    /// (as in [`brute_force_liquidatable`]).
    pub fn on_mark(
        &mut self,
        accounts: &Accounts,
        market: &Market,
        inst: InstIdx,
        out: &mut Vec<AccountIdx>,
    ) {
        self.on_mark_move(accounts, market, inst, None, out);
    }

    /// Like [`TriggerIndex::on_mark`], but only the keys the mark crossed
    /// on its way from `from` to the new mark are scanned (longs for a
    /// fall, shorts for a rise): the units keyed beyond `from` were found
    /// when the mark got there, and a unit re-keyed since was checked by
    /// whoever re-keyed it. This keeps a cascade, whose every fill moves
    /// the mark a little, at O(log n + k) per move with k the units newly
    /// crossed, instead of re-finding every unit still waiting for its
    /// turn. `from: None` (or equal to the mark) scans everything.
    pub fn on_mark_move(
        &mut self,
        accounts: &Accounts,
        market: &Market,
        inst: InstIdx,
        from: Option<crate::types::Price>,
        out: &mut Vec<AccountIdx>,
    ) {
        let Some(mark) = market.mark(inst) else {
            return;
        };
        let i = inst as usize;
        if i >= self.trees.len() {
            return;
        }
        if !self.trees[i].multi.is_empty() {
            let mut scratch = std::mem::take(&mut self.scratch);
            scratch.clear();
            scratch.extend(self.trees[i].multi.iter().copied());
            for &a in &scratch {
                self.update(accounts, market, a);
            }
            self.scratch = scratch;
        }
        let m = mark.0 as f64;
        let lo = OrderedFloat(m * (1.0 - SCAN_EPS));
        let hi = OrderedFloat(m * (1.0 + SCAN_EPS));
        let (scan_below, scan_above) = match from {
            Some(f) if f < mark => (false, true),
            Some(f) if f > mark => (true, false),
            _ => (true, true),
        };
        let from_f = from.filter(|f| *f != mark).map(|f| f.0 as f64);
        let start = out.len();
        let t = &self.trees[i];
        let check = |a: AccountIdx| {
            accounts
                .get(a)
                .is_some_and(|acct| unit_liquidatable(acct, inst, market).unwrap_or(true))
        };
        if scan_below {
            // Longs keyed in [mark, from], widened.
            let top = from_f.map_or(OrderedFloat(f64::INFINITY), |f| {
                OrderedFloat(f * (1.0 + SCAN_EPS))
            });
            for &(_, a) in t.below.range((lo, 0)..=(top, AccountIdx::MAX)) {
                if check(a) {
                    out.push(a);
                }
            }
        }
        if scan_above {
            // Shorts keyed in [from, mark], widened.
            let bottom = from_f.map_or(OrderedFloat(f64::NEG_INFINITY), |f| {
                OrderedFloat(f * (1.0 - SCAN_EPS))
            });
            for &(_, a) in t.above.range((bottom, 0)..=(hi, AccountIdx::MAX)) {
                if check(a) {
                    out.push(a);
                }
            }
        }
        out[start..].sort_unstable();
    }

    /// The key account `idx` holds for `inst`: `Some((key, long))`, `None`
    /// when it holds none (never liquidatable, or no position).
    pub fn key_of(&self, idx: AccountIdx, inst: InstIdx) -> Option<(f64, bool)> {
        let s = self
            .slots
            .get(idx as usize)?
            .iter()
            .find(|s| s.inst == inst)?;
        match s.flags & (BELOW | ABOVE) {
            BELOW => Some((s.key, true)),
            ABOVE => Some((s.key, false)),
            _ => None,
        }
    }

    /// Heap bytes held (tree nodes estimated from the B-tree's node
    /// layout at its worst-case half fill, slot vectors, sets).
    pub fn heap_bytes(&self) -> usize {
        // A std B-tree leaf holds up to 11 keys; nodes are at least half
        // full except the root: count 16 bytes per key over a 6/11 fill,
        // plus the node headers.
        let per_key = 16.0 * 11.0 / 6.0 + 2.0;
        let keys: usize = self
            .trees
            .iter()
            .map(|t| t.below.len() + t.above.len() + t.multi.len())
            .sum();
        let spilled: usize = self
            .slots
            .iter()
            .filter(|s| s.spilled())
            .map(|s| s.capacity() * std::mem::size_of::<Slot>())
            .sum();
        (keys as f64 * per_key) as usize
            + self.slots.capacity() * std::mem::size_of::<SmallVec<[Slot; 1]>>()
            + spilled
    }
}

/// Every margin unit that is liquidatable, by scanning all accounts: with
/// `Some(inst)`, the accounts whose unit holding a position in `inst` is
/// liquidatable (what [`TriggerIndex::on_mark`] must return); with `None`,
/// every liquidatable account. Ascending index order; a check that
/// overflows counts as liquidatable. For tests and benchmarks.
pub fn brute_force_liquidatable(
    accounts: &Accounts,
    market: &Market,
    inst: Option<InstIdx>,
) -> Vec<AccountIdx> {
    let mut out = Vec::new();
    for (idx, acct) in accounts.iter() {
        let hit = match inst {
            Some(i) => unit_liquidatable(acct, i, market).unwrap_or(true),
            None => account_liquidatable(acct, market).unwrap_or(true),
        };
        if hit && acct.id() != STREET {
            out.push(idx);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::{Instrument, MarkPolicy};
    use crate::margin::testutil::*;
    use crate::margin::Marks;
    use crate::types::Price;

    fn setup() -> (Vec<Instrument>, Marks, Accounts) {
        let insts = vec![btcusdt(), btcusd()];
        let mut marks = Marks::new();
        marks.push(MarkPolicy::Last);
        marks.push(MarkPolicy::Last);
        let mut a = Accounts::new();
        let i0 = &insts[0];
        let i1 = &insts[1];
        // Longs and shorts at 10x-ish leverage around 50,000.
        for k in 0..40u64 {
            let bal = m(&format!("{}", 500 + 25 * k));
            let mode = if k % 3 == 0 {
                MarginMode::Isolated
            } else {
                MarginMode::Cross
            };
            let x = a.create(k + 1, bal, mode).unwrap();
            let side = if k % 2 == 0 { "0.1" } else { "-0.1" };
            let margin = (mode == MarginMode::Isolated).then(|| m("400"));
            a.open_position(x, 0, i0, qty(i0, side), px(i0, "50000"), margin)
                .unwrap();
            if k % 5 == 1 {
                // A second, inverse position: multi-instrument cross account.
                a.credit(x, m("0.1")).unwrap();
                let q = if k % 2 == 0 { "-20" } else { "20" };
                a.open_position(x, 1, i1, qty(i1, q), px(i1, "50000"), None)
                    .unwrap();
            }
        }
        (insts, marks, a)
    }

    #[test]
    fn on_mark_matches_brute_force_along_a_path() {
        let (insts, mut marks, accts) = setup();
        let mut idx = TriggerIndex::build(&accts, &Market::new(&insts, &marks));
        assert!(!idx.is_empty());
        let path = [
            50000, 48000, 46000, 45500, 52000, 54000, 55500, 60000, 40000,
        ];
        for (step, &p) in path.iter().enumerate() {
            let inst = (step % 2) as u32;
            let price = Price(if inst == 0 { p * 100 } else { p * 10 });
            marks.force(inst, price);
            let mk = Market::new(&insts, &marks);
            let mut got = Vec::new();
            idx.on_mark(&accts, &mk, inst, &mut got);
            assert_eq!(
                got,
                brute_force_liquidatable(&accts, &mk, Some(inst)),
                "step {step}"
            );
            // The other instrument's trees stay consistent too.
            let other = 1 - inst;
            let mut got = Vec::new();
            idx.on_mark(&accts, &mk, other, &mut got);
            assert_eq!(got, brute_force_liquidatable(&accts, &mk, Some(other)));
        }
    }

    #[test]
    fn update_moves_and_removes_keys() {
        let (insts, marks, mut accts) = setup();
        let mk = Market::new(&insts, &marks);
        let mut idx = TriggerIndex::build(&accts, &mk);
        let n = idx.len();
        let (k0, long) = idx.key_of(3, 0).unwrap();
        assert!(long);
        accts.credit(3, m("100")).unwrap();
        idx.update(&accts, &mk, 3);
        let (k1, _) = idx.key_of(3, 0).unwrap();
        assert!(k1 < k0, "more collateral lowers a long's liquidation price");
        assert_eq!(idx.len(), n);
        // Closing the position removes its key.
        let q = accts.get(3).unwrap().position(0).unwrap().qty;
        accts
            .apply_fill(3, 0, &insts[0], Qty(-q.0), Price(5_000_000))
            .unwrap();
        accts
            .apply_fill(0, 0, &insts[0], q, Price(5_000_000))
            .unwrap();
        idx.update(&accts, &mk, 3);
        idx.update(&accts, &mk, 0);
        assert_eq!(idx.key_of(3, 0), None);
        assert_eq!(idx.len(), n - 1);
        let rebuilt = TriggerIndex::build(&accts, &mk);
        assert_eq!(rebuilt.len(), idx.len());
    }

    use crate::types::Qty;
}
