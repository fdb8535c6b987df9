//! Ladder layout: a dense array indexed by price over a window of ticks,
//! with an occupancy bitmap (and a summary bitmap over its words) to find
//! the next best level, plus a `BTreeMap` for the rare prices far outside
//! the window.
//!
//! Insert, remove and lookup of a level inside the window are O(1); after
//! the best level empties, the next one is found by scanning bitmap words
//! (almost always the same word; the summary bounds a long gap to a few
//! hundred word reads at most). The window re-centres (O(window)) when a
//! price falls outside it and the occupied span still fits; prices that
//! would stretch it beyond `MAX_CAP` ticks go to the far map, so arbitrary
//! `i64` prices stay correct.
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

    #[inline]
    fn far_best(&self) -> Option<(Price, u32)> {
        self.far
            .last_key_value()
            .map(|(&k, &l)| (Price(k ^ self.mask), l))
    }

    /// Re-centres the window so that it holds every level it holds now and
    /// `price`; false (nothing changed) when that would exceed `MAX_CAP`.
    fn rebase(&mut self, price: Price) -> bool {
        let (mut lo, mut hi) = (price.0 as i128, price.0 as i128);
        if self.in_window > 0 {
            let a = self.next_set(0).map_or(0, |i| i);
            let b = self.prev_set(self.slots.len() - 1).map_or(0, |i| i);
            lo = lo.min(self.price_at(a).0 as i128);
            hi = hi.max(self.price_at(b).0 as i128);
        }
        let span = hi - lo + 1;
        if span * 2 > MAX_CAP as i128 {
            return false;
        }
        let cap = ((span * 2) as usize).next_power_of_two().max(MIN_CAP);
        let mut base = lo - (cap as i128 - span) / 2;
        // Keep the whole window inside i64.
        base = base.clamp(i64::MIN as i128, i64::MAX as i128 - cap as i128 + 1);
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
        self.base = base as i64;
        self.in_window = 0;
        // Far levels that the new window covers move into it.
        let mask = self.mask;
        let from_window = moving.len();
        for (&k, &l) in &self.far {
            let p = Price(k ^ mask);
            let d = p.0 as i128 - self.base as i128;
            if d >= 0 && d < cap as i128 {
                moving.push((p, l));
            }
        }
        for (n, &(p, l)) in moving.iter().enumerate() {
            if n >= from_window {
                self.far.remove(&(p.0 ^ mask));
            }
            // In range: the new window covers [lo, hi] and those far levels.
            if let Some(j) = self.index(p) {
                self.set(j, l);
            }
        }
        self.moving = moving;
        self.best_ix = self.scan_best();
        true
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
            moving: Vec::new(),
        }
    }

    #[inline]
    fn best(&self) -> Option<(Price, u32)> {
        let w = self.best_ix.map(|i| (self.price_at(i), self.slots[i]));
        if self.far.is_empty() {
            return w;
        }
        match (w, self.far_best()) {
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
            None => {
                if !self.rebase(price) {
                    return *self.far.entry(price.0 ^ self.mask).or_insert_with(make);
                }
                match self.index(price) {
                    Some(i) => i,
                    // Unreachable: the rebased window covers `price`.
                    None => return *self.far.entry(price.0 ^ self.mask).or_insert_with(make),
                }
            }
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
                self.far.remove(&(price.0 ^ self.mask));
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
}
