//! The trigger index: per instrument, the liquidation prices of every
//! margin unit holding it, in two ordered trees (longs, liquidated when the
//! mark falls below their key; shorts, when it rises above), so a mark
//! change costs O(log n + k) for k candidates, never a scan of all
//! accounts.
//!
//! Owns: the float keys (stored as their order-preserving bit patterns,
//! with the account index to make them unique), each account's current keys (to remove them when it is
//! re-keyed; stored in the account record, `Account::keys`, so that
//! re-keying touches no memory beyond the account's own and the trees'),
//! and per instrument the set of cross accounts that hold it
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

use smallvec::SmallVec;

use crate::types::STREET;

use super::accounts::{Account, Accounts, MarginMode};
use super::solver::{trigger_key, TriggerKey};
use super::valuation::{account_liquidatable, unit_liquidatable, Market};
use super::wide::float_order_bits;
use super::{AccountIdx, InstIdx};

/// Relative widening of a scan around the mark (keys are f64 renderings
/// of exact ratios, good to about 1e-15).
const SCAN_EPS: f64 = 1e-9;

/// How many candidates ahead `on_mark` prefetches.
const PREFETCH_AHEAD: usize = 8;

const BELOW: u8 = 1;
const ABOVE: u8 = 2;
const MULTI: u8 = 4;

/// One key an account holds for one instrument.
#[derive(Clone, Copy, Debug)]
pub(super) struct Slot {
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

/// The keys one account holds, kept in its account record (one per
/// position, in the order of its positions).
#[derive(Clone, Debug, Default)]
pub(crate) struct Keys(SmallVec<[Slot; 1]>);

impl Keys {
    /// Heap bytes held (when more than one key spilled out of line).
    pub(super) fn heap_bytes(&self) -> usize {
        if self.0.spilled() {
            self.0.capacity() * std::mem::size_of::<Slot>()
        } else {
            0
        }
    }
}

/// Keys as (order-preserving bits of the float, account index): one
/// integer comparison per step of a search (`float_order_bits`).
type Tree = BTreeSet<(u64, AccountIdx)>;

/// A tree key for a float key (never NaN) and an account.
#[inline]
fn tree_key(key: f64, idx: AccountIdx) -> (u64, AccountIdx) {
    (float_order_bits(key), idx)
}

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

/// Liquidation prices of all margin units, by instrument and side. One
/// index serves one [`Accounts`] table: it keeps each account's current
/// keys in the account record.
#[derive(Clone, Debug, Default)]
pub struct TriggerIndex {
    trees: Vec<Trees>,
    scratch: Vec<AccountIdx>,
}

impl TriggerIndex {
    /// An empty index.
    pub fn new() -> TriggerIndex {
        TriggerIndex::default()
    }

    /// An index of every account in `accounts`, bulk-loaded (sorted keys
    /// build full B-tree nodes: faster and smaller than inserting one by
    /// one). Writes each account's keys into its record.
    pub fn build(accounts: &mut Accounts, market: &Market) -> TriggerIndex {
        let mut t = TriggerIndex::new();
        let mut below: Vec<Vec<(u64, AccountIdx)>> = Vec::new();
        let mut above: Vec<Vec<(u64, AccountIdx)>> = Vec::new();
        let mut multi: Vec<Vec<AccountIdx>> = Vec::new();
        for idx in 0..accounts.len() as AccountIdx {
            let Some(acct) = accounts.get(idx) else {
                continue;
            };
            let slots = slots_of(acct, market);
            for s in &slots {
                let i = s.inst as usize;
                if below.len() <= i {
                    below.resize_with(i + 1, Vec::new);
                    above.resize_with(i + 1, Vec::new);
                    multi.resize_with(i + 1, Vec::new);
                }
                if s.flags & BELOW != 0 {
                    below[i].push(tree_key(s.key, idx));
                } else if s.flags & ABOVE != 0 {
                    above[i].push(tree_key(s.key, idx));
                }
                if s.flags & MULTI != 0 {
                    multi[i].push(idx);
                }
            }
            if let Some(k) = accounts.keys_mut(idx) {
                *k = Keys(slots);
            }
        }
        t.trees = below
            .into_iter()
            .zip(above)
            .zip(multi)
            .map(|((b, a), m)| Trees {
                below: b.into_iter().collect(),
                above: a.into_iter().collect(),
                multi: m.into_iter().collect(),
            })
            .collect();
        t
    }

    /// Re-keys every account (after funding, or any change to many).
    pub fn rebuild(&mut self, accounts: &mut Accounts, market: &Market) {
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

    /// Re-keys account `idx` after anything about it changed: its keys
    /// for every instrument it holds, and its membership in the
    /// multi-instrument sets. Unchanged keys are left in place.
    pub fn update(&mut self, accounts: &mut Accounts, market: &Market, idx: AccountIdx) {
        let Some(acct) = accounts.get(idx) else {
            return;
        };
        let new = slots_of(acct, market);
        let Some(keys) = accounts.keys_mut(idx) else {
            return;
        };
        let old = std::mem::replace(&mut keys.0, new);
        let new = &keys.0;
        for o in &old {
            let kept_key = new.iter().any(|n| n.same_key(o));
            let kept_multi = new.iter().any(|n| n.inst == o.inst && n.flags & MULTI != 0);
            if kept_key && (o.flags & MULTI == 0 || kept_multi) {
                continue;
            }
            let t = trees_mut(&mut self.trees, o.inst);
            if !kept_key {
                let k = tree_key(o.key, idx);
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
        for n in new {
            let had_key = old.iter().any(|o| o.same_key(n));
            let had_multi = old.iter().any(|o| o.inst == n.inst && o.flags & MULTI != 0);
            if had_key && (n.flags & MULTI == 0 || had_multi) {
                continue;
            }
            let t = trees_mut(&mut self.trees, n.inst);
            if !had_key {
                let k = tree_key(n.key, idx);
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
        accounts: &mut Accounts,
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
        accounts: &mut Accounts,
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
        let lo = float_order_bits(m * (1.0 - SCAN_EPS));
        let hi = float_order_bits(m * (1.0 + SCAN_EPS));
        let (scan_below, scan_above) = match from {
            Some(f) if f < mark => (false, true),
            Some(f) if f > mark => (true, false),
            _ => (true, true),
        };
        let from_f = from.filter(|f| *f != mark).map(|f| f.0 as f64);
        let start = out.len();
        let t = &self.trees[i];
        if scan_below {
            // Longs keyed in [mark, from], widened.
            let top = float_order_bits(from_f.map_or(f64::INFINITY, |f| f * (1.0 + SCAN_EPS)));
            out.extend(
                t.below
                    .range((lo, 0)..=(top, AccountIdx::MAX))
                    .map(|&(_, a)| a),
            );
        }
        if scan_above {
            // Shorts keyed in [from, mark], widened.
            let bottom =
                float_order_bits(from_f.map_or(f64::NEG_INFINITY, |f| f * (1.0 - SCAN_EPS)));
            out.extend(
                t.above
                    .range((bottom, 0)..=(hi, AccountIdx::MAX))
                    .map(|&(_, a)| a),
            );
        }
        // Check in index order (memory order of the accounts), prefetching
        // a few ahead: the re-check is bound by loading each account.
        out[start..].sort_unstable();
        let mut keep = start;
        for r in start..out.len() {
            if let Some(&ahead) = out.get(r + PREFETCH_AHEAD) {
                accounts.prefetch(ahead);
            }
            let a = out[r];
            let hit = accounts
                .get(a)
                .is_some_and(|acct| unit_liquidatable(acct, inst, market).unwrap_or(true));
            if hit {
                out[keep] = a;
                keep += 1;
            }
        }
        out.truncate(keep);
    }

    /// The key account `idx` of `accounts` holds for `inst`:
    /// `Some((key, long))`, `None` when it holds none (never liquidatable,
    /// or no position).
    pub fn key_of(
        &self,
        accounts: &Accounts,
        idx: AccountIdx,
        inst: InstIdx,
    ) -> Option<(f64, bool)> {
        let s = accounts.get(idx)?.keys.0.iter().find(|s| s.inst == inst)?;
        match s.flags & (BELOW | ABOVE) {
            BELOW => Some((s.key, true)),
            ABOVE => Some((s.key, false)),
            _ => None,
        }
    }

    /// Heap bytes held (tree nodes estimated from the B-tree's node
    /// layout at its worst-case half fill, sets; the per-account keys are
    /// counted by [`Accounts::heap_bytes`]).
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
        (keys as f64 * per_key) as usize
    }
}

/// The trees of `inst`, created when first needed.
fn trees_mut(trees: &mut Vec<Trees>, inst: InstIdx) -> &mut Trees {
    let i = inst as usize;
    if trees.len() <= i {
        trees.resize_with(i + 1, Trees::default);
    }
    &mut trees[i]
}

/// The keys account `acct` should hold now.
fn slots_of(acct: &Account, market: &Market) -> SmallVec<[Slot; 1]> {
    let mut new: SmallVec<[Slot; 1]> = SmallVec::new();
    if acct.id() == STREET {
        return new;
    }
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
    new
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
        let (insts, mut marks, mut accts) = setup();
        let mut idx = TriggerIndex::build(&mut accts, &Market::new(&insts, &marks));
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
            idx.on_mark(&mut accts, &mk, inst, &mut got);
            assert_eq!(
                got,
                brute_force_liquidatable(&accts, &mk, Some(inst)),
                "step {step}"
            );
            // The other instrument's trees stay consistent too.
            let other = 1 - inst;
            let mut got = Vec::new();
            idx.on_mark(&mut accts, &mk, other, &mut got);
            assert_eq!(got, brute_force_liquidatable(&accts, &mk, Some(other)));
        }
    }

    #[test]
    fn update_moves_and_removes_keys() {
        let (insts, marks, mut accts) = setup();
        let mk = Market::new(&insts, &marks);
        let mut idx = TriggerIndex::build(&mut accts, &mk);
        let n = idx.len();
        let (k0, long) = idx.key_of(&accts, 3, 0).unwrap();
        assert!(long);
        accts.credit(3, m("100")).unwrap();
        idx.update(&mut accts, &mk, 3);
        let (k1, _) = idx.key_of(&accts, 3, 0).unwrap();
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
        idx.update(&mut accts, &mk, 3);
        idx.update(&mut accts, &mk, 0);
        assert_eq!(idx.key_of(&accts, 3, 0), None);
        assert_eq!(idx.len(), n - 1);
        let rebuilt = TriggerIndex::build(&mut accts, &mk);
        assert_eq!(rebuilt.len(), idx.len());
    }

    use crate::types::Qty;
}
