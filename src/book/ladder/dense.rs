//! Ladder layout: a dense array indexed by price over a window of ticks,
//! with an occupancy bitmap (and a summary bitmap over its words) to find
//! the next best level, plus a `BTreeMap` for the rare prices far outside
//! the window.
//!
//! Insert, remove and lookup of a level inside the window are O(1); after
//! the best level empties, the next one is found by scanning bitmap words
//! (almost always the same word; the summary bounds a long gap to a few
//! hundred word reads at most).
//!
//! The window follows the best prices. A level at least `HALF` ticks
//! behind the best is an outlier (a stale order far from the market): it
//! goes to the far map when it arrives, and when the window moves it is
//! left behind there. A price outside the window and within `HALF` of the
//! best (or better than it) re-centres the window on the levels within
//! `HALF` of the new best (O(window / 64 + levels moved)); levels the new
//! window does not cover move to the far map, far levels it covers move
//! in. So one far-away order can never hold the window away from the
//! market, and arbitrary `i64` prices stay correct.
//!
//! Must not: hold a price both in the window range and in the far map.

use std::collections::BTreeMap;

use super::{better, Ladder};
use crate::book::arena::NIL;
use crate::types::{Price, Side};

/// Smallest window, in ticks.
const MIN_CAP: usize = 1 << 12;
/// Largest window, in ticks (4 MiB of handles).
const MAX_CAP: usize = 1 << 20;
/// A level this many ticks or more behind the best is an outlier.
const HALF: i128 = (MAX_CAP / 2) as i128;

/// Dense-array ladder; see the module documentation.
#[derive(Clone, Debug)]
pub struct DenseLadder {
    side: Side,
    /// `price ^ mask` grows towards the best (see `SortedVecLadder`).
    mask: i64,
    /// Price of slot 0. Invariant: `base + cap - 1 <= i64::MAX`.
    base: i64,
    /// Level handle per tick of the window, `NIL` when empty.
    slots: Vec<u32>,
    /// One bit per slot: occupied.
    bits: Vec<u64>,
    /// One bit per word of `bits`: that word is non-zero.
    summary: Vec<u64>,
    /// Occupied slots.
    in_window: usize,
    /// Slot of the best level in the window.
    best_ix: Option<usize>,
    /// Levels outside the window: key `price ^ mask` -> handle (best last).
    far: BTreeMap<i64, u32>,
    /// The far map's best level (its last entry), cached: `best` is on the
    /// matching path.
    far_best: Option<(Price, u32)>,
    /// Reused buffer of the levels a re-centring moves, so that a drifting
    /// market allocates nothing once the window's size has settled.
    moving: Vec<(Price, u32)>,
}

impl DenseLadder {
    #[inline]
    fn index(&self, p: Price) -> Option<usize> {
        let d = p.0 as i128 - self.base as i128;
        if d >= 0 && d < self.slots.len() as i128 {
            Some(d as usize)
        } else {
            None
        }
    }

    #[inline]
    fn price_at(&self, i: usize) -> Price {
        // In range by the `base` invariant.
        Price(self.base + i as i64)
    }

    #[inline]
    fn set(&mut self, i: usize, level: u32) {
        self.slots[i] = level;
        let w = i >> 6;
        self.bits[w] |= 1 << (i & 63);
        self.summary[w >> 6] |= 1 << (w & 63);
        self.in_window += 1;
    }

    #[inline]
    fn clear(&mut self, i: usize) {
        self.slots[i] = NIL;
        let w = i >> 6;
        self.bits[w] &= !(1 << (i & 63));
        if self.bits[w] == 0 {
            self.summary[w >> 6] &= !(1 << (w & 63));
        }
        self.in_window -= 1;
    }

    /// Highest occupied slot `<= i`.
    fn prev_set(&self, i: usize) -> Option<usize> {
        let w = i >> 6;
        let m = self.bits[w] & (u64::MAX >> (63 - (i & 63)));
        if m != 0 {
            return Some((w << 6) + 63 - m.leading_zeros() as usize);
        }
        // Words below w.
        let mut sw = w >> 6;
        let below = w & 63;
        let mut sm = if below == 0 {
            0
        } else {
            self.summary[sw] & (u64::MAX >> (64 - below))
        };
        loop {
            if sm != 0 {
                let word = (sw << 6) + 63 - sm.leading_zeros() as usize;
                let b = self.bits[word];
                return Some((word << 6) + 63 - b.leading_zeros() as usize);
            }
            if sw == 0 {
                return None;
            }
            sw -= 1;
            sm = self.summary[sw];
        }
    }

    /// Lowest occupied slot `>= i`.
    fn next_set(&self, i: usize) -> Option<usize> {
        if i >= self.slots.len() {
            return None;
        }
        let w = i >> 6;
        let m = self.bits[w] & (u64::MAX << (i & 63));
        if m != 0 {
            return Some((w << 6) + m.trailing_zeros() as usize);
        }
        // Words above w.
        let mut sw = w >> 6;
        let above = (w & 63) + 1;
        let mut sm = if above == 64 {
            0
        } else {
            self.summary[sw] & (u64::MAX << above)
        };
        loop {
            if sm != 0 {
                let word = (sw << 6) + sm.trailing_zeros() as usize;
                let b = self.bits[word];
                return Some((word << 6) + b.trailing_zeros() as usize);
            }
            sw += 1;
            if sw >= self.summary.len() {
                return None;
            }
            sm = self.summary[sw];
        }
    }

    /// The next worse occupied slot after `i` (exclusive).
    #[inline]
    fn worse_than(&self, i: usize) -> Option<usize> {
        match self.side {
            Side::Buy => i.checked_sub(1).and_then(|j| self.prev_set(j)),
            Side::Sell => self.next_set(i + 1),
        }
    }

    /// The best occupied slot.
    fn scan_best(&self) -> Option<usize> {
        if self.in_window == 0 {
            return None;
        }
        match self.side {
            Side::Buy => self.prev_set(self.slots.len() - 1),
            Side::Sell => self.next_set(0),
        }
    }

    /// Levels in the far map (for tests).
    #[cfg(test)]
    pub(crate) fn far_len(&self) -> usize {
        self.far.len()
    }

    /// Recomputes the cached far best.
    fn refresh_far_best(&mut self) {
        let mask = self.mask;
        self.far_best = self
            .far
            .last_key_value()
            .map(|(&k, &l)| (Price(k ^ mask), l));
    }

    /// The far level at `price`, inserting the one `make` returns if absent.
    fn far_entry(&mut self, price: Price, make: impl FnOnce() -> u32) -> u32 {
        let l = *self.far.entry(price.0 ^ self.mask).or_insert_with(make);
        if self
            .far_best
            .is_none_or(|(b, _)| better(self.side, price, b))
        {
            self.far_best = Some((price, l));
        }
        l
    }

    /// Far keys of the prices in `[lo, hi]` (clamped to `i64`), as a key
    /// range (`price ^ mask` reverses the order on the ask side).
    fn far_keys(&self, lo: i128, hi: i128) -> Option<std::ops::RangeInclusive<i64>> {
        let lo = lo.max(i64::MIN as i128) as i64;
        let hi = hi.min(i64::MAX as i128) as i64;
        if lo > hi {
            return None;
        }
        let (a, b) = (lo ^ self.mask, hi ^ self.mask);
        Some(a.min(b)..=a.max(b))
    }

    /// The lowest and highest occupied prices in `[lo, hi]`, in the window
    /// and in the far map.
    fn occupied_span(&self, lo: i128, hi: i128) -> Option<(i128, i128)> {
        let mut span: Option<(i128, i128)> = None;
        let mut add = |p: i128| {
            span = Some(span.map_or((p, p), |(a, b)| (a.min(p), b.max(p))));
        };
        let (base, cap) = (self.base as i128, self.slots.len() as i128);
        if self.in_window > 0 && lo < base + cap && hi >= base {
            let from = (lo - base).max(0) as usize;
            let to = (hi - base).min(cap - 1) as usize;
            if let Some(a) = self.next_set(from).filter(|&a| a <= to) {
                add(self.price_at(a).0 as i128);
                // Some: `a` itself is set and <= to.
                if let Some(b) = self.prev_set(to) {
                    add(self.price_at(b).0 as i128);
                }
            }
        }
        if let Some(keys) = self.far_keys(lo, hi) {
            let mut r = self.far.range(keys);
            for (&k, _) in r.next().into_iter().chain(r.next_back()) {
                add((k ^ self.mask) as i128);
            }
        }
        span
    }

    /// Moves the window so that it covers `price`, centred on the levels
    /// within `HALF` of the new best; returns `price`'s slot. `None`
    /// (nothing changed) when `price` is itself an outlier.
    fn recentre(&mut self, price: Price) -> Option<usize> {
        let top = match self.best() {
            Some((b, _)) if better(self.side, b, price) => b,
            _ => price,
        };
        let (top, p) = (top.0 as i128, price.0 as i128);
        if (top - p).abs() >= HALF {
            return None;
        }
        let (core_lo, core_hi) = match self.side {
            Side::Buy => (top - HALF + 1, top),
            Side::Sell => (top, top + HALF - 1),
        };
        let (lo, hi) = match self.occupied_span(core_lo, core_hi) {
            Some((a, b)) => (a.min(p), b.max(p)),
            None => (p, p),
        };
        let span = hi - lo + 1;
        // span <= HALF, so cap <= MAX_CAP.
        let cap = ((span * 2) as usize).next_power_of_two().max(MIN_CAP);
        let base = lo - (cap as i128 - span) / 2;
        // Keep the whole window inside i64.
        let base = base.clamp(i64::MIN as i128, i64::MAX as i128 - cap as i128 + 1);
        self.rebase(base as i64, cap);
        self.index(price)
    }

    /// Moves the window to `[base, base + cap)`: its levels that the new
    /// range does not cover go to the far map, far levels it covers come in.
    fn rebase(&mut self, base: i64, cap: usize) {
        // Take the window's levels out, clearing only what they used (no
        // pass over the whole window unless its size changes).
        let mut moving = std::mem::take(&mut self.moving);
        moving.clear();
        for w in 0..self.bits.len() {
            let mut m = self.bits[w];
            while m != 0 {
                let i = (w << 6) + m.trailing_zeros() as usize;
                m &= m - 1;
                moving.push((self.price_at(i), self.slots[i]));
                self.slots[i] = NIL;
            }
            self.bits[w] = 0;
        }
        self.summary.iter_mut().for_each(|s| *s = 0);
        if cap != self.slots.len() {
            // Allocates only beyond the largest window seen so far.
            self.slots.resize(cap, NIL);
            self.bits.resize(cap / 64, 0);
            self.summary.resize((cap / 64).div_ceil(64), 0);
        }
        self.base = base;
        self.in_window = 0;
        // Far levels that the new window covers move into it.
        let from_window = moving.len();
        if let Some(keys) = self.far_keys(base as i128, base as i128 + cap as i128 - 1) {
            let mask = self.mask;
            moving.extend(self.far.range(keys).map(|(&k, &l)| (Price(k ^ mask), l)));
        }
        for (n, &(p, l)) in moving.iter().enumerate() {
            if n >= from_window {
                self.far.remove(&(p.0 ^ self.mask));
            }
            match self.index(p) {
                Some(j) => self.set(j, l),
                None => {
                    self.far.insert(p.0 ^ self.mask, l);
                }
            }
        }
        self.moving = moving;
        self.best_ix = self.scan_best();
        self.refresh_far_best();
    }
}

impl Ladder for DenseLadder {
    fn new(side: Side) -> Self {
        DenseLadder {
            side,
            mask: match side {
                Side::Buy => 0,
                Side::Sell => -1,
            },
            base: 0,
            slots: Vec::new(),
            bits: Vec::new(),
            summary: Vec::new(),
            in_window: 0,
            best_ix: None,
            far: BTreeMap::new(),
            far_best: None,
            moving: Vec::new(),
        }
    }

    #[inline]
    fn best(&self) -> Option<(Price, u32)> {
        let w = self.best_ix.map(|i| (self.price_at(i), self.slots[i]));
        match (w, self.far_best) {
            (Some(a), Some(b)) => Some(if better(self.side, a.0, b.0) { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    #[inline]
    fn get(&self, price: Price) -> Option<u32> {
        match self.index(price) {
            Some(i) => Some(self.slots[i]).filter(|&l| l != NIL),
            None => self.far.get(&(price.0 ^ self.mask)).copied(),
        }
    }

    #[inline]
    fn get_or_insert_with(&mut self, price: Price, make: impl FnOnce() -> u32) -> u32 {
        let i = match self.index(price) {
            Some(i) => i,
            None => match self.recentre(price) {
                Some(i) => i,
                None => return self.far_entry(price, make),
            },
        };
        let l = self.slots[i];
        if l != NIL {
            return l;
        }
        let l = make();
        self.set(i, l);
        let improves = match self.best_ix {
            None => true,
            Some(b) => match self.side {
                Side::Buy => i > b,
                Side::Sell => i < b,
            },
        };
        if improves {
            self.best_ix = Some(i);
        }
        l
    }

    #[inline]
    fn remove(&mut self, price: Price) {
        match self.index(price) {
            Some(i) => {
                if self.slots[i] != NIL {
                    self.clear(i);
                    if self.best_ix == Some(i) {
                        self.best_ix = self.worse_than(i);
                    }
                }
            }
            None => {
                if self.far.remove(&(price.0 ^ self.mask)).is_some()
                    && self.far_best.is_some_and(|(b, _)| b == price)
                {
                    self.refresh_far_best();
                }
            }
        }
    }

    #[inline]
    fn remove_best(&mut self) {
        if let Some((p, _)) = self.best() {
            self.remove(p);
        }
    }

    #[inline]
    fn len(&self) -> usize {
        self.in_window + self.far.len()
    }

    fn iter(&self) -> impl Iterator<Item = (Price, u32)> + '_ {
        let mut win = self.best_ix;
        let mut far = self.far.iter().rev().peekable();
        let mask = self.mask;
        std::iter::from_fn(move || {
            let w = win.map(|i| (self.price_at(i), self.slots[i]));
            let f = far.peek().map(|(&k, &l)| (Price(k ^ mask), l));
            match (w, f) {
                (Some(a), Some(b)) if better(self.side, b.0, a.0) => {
                    far.next();
                    Some(b)
                }
                (Some(a), _) => {
                    win = win.and_then(|i| self.worse_than(i));
                    Some(a)
                }
                (None, Some(b)) => {
                    far.next();
                    Some(b)
                }
                (None, None) => None,
            }
        })
    }

    fn check(&self) -> Result<(), String> {
        // O(window / 64): the slots themselves are only written together
        // with their bit (`set`, `clear`), and the unit tests scan them.
        let set: usize = self.bits.iter().map(|w| w.count_ones() as usize).sum();
        if set != self.in_window {
            return Err(format!("dense: {set} bits set, {} counted", self.in_window));
        }
        for (w, &word) in self.bits.iter().enumerate() {
            let mut m = word;
            while m != 0 {
                let i = (w << 6) + m.trailing_zeros() as usize;
                m &= m - 1;
                if self.slots[i] == NIL {
                    return Err(format!("dense: bit {i} set on an empty slot"));
                }
            }
        }
        for (w, &b) in self.bits.iter().enumerate() {
            let s = self.summary[w >> 6] >> (w & 63) & 1 == 1;
            if s != (b != 0) {
                return Err(format!("dense: summary bit {w} wrong"));
            }
        }
        if self.best_ix != self.scan_best() {
            return Err("dense: best slot wrong".into());
        }
        let mask = self.mask;
        let far_best = self
            .far
            .last_key_value()
            .map(|(&k, &l)| (Price(k ^ mask), l));
        if self.far_best != far_best {
            return Err("dense: cached far best wrong".into());
        }
        for &k in self.far.keys() {
            if self.index(Price(k ^ self.mask)).is_some() {
                return Err(format!(
                    "dense: far price {} inside the window",
                    k ^ self.mask
                ));
            }
        }
        if !self.slots.is_empty()
            && (self.base as i128 + self.slots.len() as i128 - 1) > i64::MAX as i128
        {
            return Err("dense: window leaves i64".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `check` plus a scan of every slot.
    fn check_full(l: &DenseLadder) {
        l.check().unwrap();
        let occupied = l.slots.iter().filter(|&&s| s != NIL).count();
        assert_eq!(occupied, l.in_window);
    }

    #[test]
    fn meets_the_ladder_contract() {
        super::super::tests::exercise::<DenseLadder>();
    }

    #[test]
    fn far_prices_and_rebasing() {
        for side in [Side::Buy, Side::Sell] {
            let mut l = DenseLadder::new(side);
            let prices = [
                100,
                5000,
                -3000,
                i64::MAX,
                i64::MIN,
                100_000_000,
                101,
                9_000_000,
            ];
            for (n, &p) in prices.iter().enumerate() {
                l.get_or_insert_with(Price(p), || n as u32);
                check_full(&l);
            }
            let mut sorted: Vec<i64> = prices.to_vec();
            sorted.sort_unstable();
            if side == Side::Buy {
                sorted.reverse();
            }
            let got: Vec<i64> = l.iter().map(|(p, _)| p.0).collect();
            assert_eq!(got, sorted);
            for &p in &prices {
                assert!(l.get(Price(p)).is_some());
            }
            while l.best().is_some() {
                l.remove_best();
                check_full(&l);
            }
            assert_eq!(l.len(), 0);
        }
    }

    #[test]
    fn scans_long_gaps() {
        let mut l = DenseLadder::new(Side::Sell);
        l.get_or_insert_with(Price(0), || 1);
        l.get_or_insert_with(Price(400_000), || 2);
        l.get_or_insert_with(Price(1), || 3);
        l.check().unwrap();
        l.remove_best();
        l.remove_best();
        assert_eq!(l.best(), Some((Price(400_000), 2)));
        l.check().unwrap();
    }

    #[test]
    fn a_far_order_does_not_hold_the_window() {
        // The reproduction of issue 14: one buy 600,000 ticks below the
        // market first, then levels near the market.
        let mut l = DenseLadder::new(Side::Buy);
        l.get_or_insert_with(Price(400_000), || 0);
        for (n, p) in (999_000..1_000_000).step_by(7).enumerate() {
            l.get_or_insert_with(Price(p), || n as u32 + 1);
            check_full(&l);
        }
        // Only the outlier is in the far map; the market is in the window.
        assert_eq!(l.far.len(), 1);
        assert_eq!(l.far_best, Some((Price(400_000), 0)));
        assert!(l.index(Price(999_000)).is_some());
        // A new outlier goes straight to the far map, the window stays.
        let base = l.base;
        l.get_or_insert_with(Price(300_000), || 9_999);
        assert_eq!((l.far.len(), l.base), (2, base));
        // Emptying the market leaves the outliers, best first.
        while l.in_window > 0 {
            l.remove_best();
            check_full(&l);
        }
        let left: Vec<_> = l.iter().collect();
        assert_eq!(left, vec![(Price(400_000), 0), (Price(300_000), 9_999)]);
    }

    #[test]
    fn the_window_follows_a_market_and_leaves_stale_levels_behind() {
        for side in [Side::Buy, Side::Sell] {
            let dir = if side == Side::Buy { 1 } else { -1 };
            let mut l = DenseLadder::new(side);
            // Stale levels behind a market that then moves 2,000,000 ticks
            // towards the better side, one level every 1,000 ticks.
            let start = 5_000_000i64;
            l.get_or_insert_with(Price(start), || 0);
            for k in 1..=2_000i64 {
                let p = start + dir * k * 1_000;
                l.get_or_insert_with(Price(p), || k as u32);
                if k % 97 == 0 {
                    check_full(&l);
                }
            }
            check_full(&l);
            // The window covers the newest levels (within HALF of the
            // best); everything older went to the far map.
            let best = start + dir * 2_000_000;
            assert_eq!(l.best(), Some((Price(best), 2_000)));
            for k in 1..=2_000i64 {
                let p = start + dir * k * 1_000;
                let behind = (best - p).abs() as i128;
                if behind < HALF - MIN_CAP as i128 {
                    assert!(l.index(Price(p)).is_some(), "{side} {p}");
                }
                assert_eq!(l.get(Price(p)), Some(k as u32));
            }
            assert!(l.far.len() > 900, "{}", l.far.len());
            assert_eq!(l.len(), 2_001);
        }
    }

    #[test]
    fn far_levels_come_back_when_the_window_reaches_them() {
        let mut l = DenseLadder::new(Side::Sell);
        // An outlier best ask far below the rest (a one-sided book).
        l.get_or_insert_with(Price(1_000), || 0);
        for p in 2_000_000..2_000_050 {
            l.get_or_insert_with(Price(p), || p as u32);
        }
        assert_eq!(l.far.len(), 50);
        // The outlier leaves; the next new level re-centres on the best,
        // which brings the far levels near it into the window.
        l.remove_best();
        l.get_or_insert_with(Price(2_000_100), || 7);
        check_full(&l);
        assert_eq!((l.far.len(), l.in_window), (0, 51));
        assert_eq!(l.best(), Some((Price(2_000_000), 2_000_000)));
    }
}
