//! The depletion overlay: historical L2 levels are anonymous liquidity;
//! what simulated orders (liquidations, shocks, users' own orders) take
//! from a level stays taken, and the next historical update of that level
//! does not silently give it back.
//!
//! Per level the overlay keeps the last historical size `H` and the
//! depleted amount `D` at time `t0`; the level the book shows at time `t`
//! is `max(0, H - round(D * 2^(-(t - t0) / half_life)))`. A half-life of
//! zero gives depth back at once (at the next market event), an infinite
//! one never. The depletion never exceeds the historical level it applies
//! to: when history shows less than what we took, the difference left the
//! historical book too (someone else took or cancelled it), so `D` shrinks
//! to `H`, and depth added afterwards is fully available.
//!
//! Owns: the depleted levels (a small ordered map, empty on the hot path
//! unless something simulated traded), the decay, and its determinism:
//! `2^-x` is computed with basic IEEE operations only (no libm), so every
//! platform gets the same lots.
//! Must not: touch the engine; the driver asks it for sizes and applies
//! them.

use std::collections::BTreeMap;

use crate::types::{Price, Qty, Side};

/// How fast depleted depth comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resilience {
    /// Never: what was taken stays taken (until history shows less).
    Never,
    /// Half of what is still missing comes back every this many ns
    /// (0: all of it, at the next market event).
    HalfLife(i64),
    /// A half-life per side of the book, ns (`--resilience measured`: the
    /// refill measured on the data).
    Sides {
        /// Half-life of depleted bids.
        bids: i64,
        /// Half-life of depleted asks.
        asks: i64,
    },
}

impl Resilience {
    /// Parses `0`, `inf`, or a duration such as `500ms`, `2s`, `1.5s`,
    /// `250us`, `100ns`, `1m`.
    pub fn parse(s: &str) -> Result<Resilience, String> {
        let t = s.trim();
        if t == "inf" || t == "never" {
            return Ok(Resilience::Never);
        }
        parse_duration_ns(t).map(Resilience::HalfLife)
    }
}

impl std::fmt::Display for Resilience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resilience::Never => f.write_str("inf"),
            Resilience::HalfLife(ns) => f.write_str(&format_duration_ns(*ns)),
            Resilience::Sides { bids, asks } => write!(
                f,
                "bids {}, asks {}",
                format_duration_ns(*bids),
                format_duration_ns(*asks)
            ),
        }
    }
}

/// Parses a non-negative duration: a decimal number and a unit (`ns`,
/// `us`, `ms`, `s`, `m`, `h`); a bare `0` is zero.
pub fn parse_duration_ns(s: &str) -> Result<i64, String> {
    let bad = || format!("not a duration: {s:?} (write e.g. 0, 500ms, 2s, inf)");
    if s == "0" {
        return Ok(0);
    }
    let split = s.find(|c: char| c.is_ascii_alphabetic()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let scale: i128 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(bad()),
    };
    let d = crate::types::Decimal::parse(num).map_err(|_| bad())?;
    if d.is_negative() {
        return Err(bad());
    }
    let ns = d
        .mantissa()
        .checked_mul(scale)
        .ok_or_else(bad)?
        .checked_div(10i128.pow(d.scale()))
        .ok_or_else(bad)?;
    i64::try_from(ns).map_err(|_| bad())
}

/// A duration in the shortest exact unit (`0`, `500ms`, `2s`).
pub fn format_duration_ns(ns: i64) -> String {
    if ns == 0 {
        return "0".into();
    }
    for (unit, scale) in [
        ("h", 3_600_000_000_000),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
    ] {
        if ns % scale == 0 {
            return format!("{}{unit}", ns / scale);
        }
    }
    format!("{ns}ns")
}

/// `2^-x` for `x >= 0`, with basic IEEE operations only (deterministic on
/// every platform): `2^-k` by exact halving, `2^-f = e^(-f ln 2)` for the
/// fraction by its Taylor series (error below 1e-20 on `[0, ln 2)`).
pub fn exp2_neg(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return 1.0;
    }
    if x >= 1100.0 {
        return 0.0;
    }
    let k = x as u32; // floor: x is positive and below 1100
    let y = (x - k as f64) * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0f64, 1.0f64);
    for n in 1..24 {
        term = -term * y / n as f64;
        sum += term;
    }
    for _ in 0..k {
        sum *= 0.5;
    }
    sum
}

/// One depleted level.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Entry {
    /// Last historical size, in lots.
    hist: i64,
    /// Depleted lots at `t0` (unrounded).
    depleted: f64,
    /// When `depleted` was last set, ns.
    t0: i64,
    /// The snapshot generation in which history last set this level.
    seen: u64,
}

/// The depletion overlay of one instrument.
#[derive(Clone, Debug)]
pub struct Overlay {
    resilience: Resilience,
    levels: BTreeMap<(Side, Price), Entry>,
    /// Fills against street levels not yet absorbed: (side of the street
    /// level, price, lots).
    pending: Vec<(Side, Price, Qty)>,
    /// Snapshot generation (one per `BookClear`).
    generation: u64,
    /// Total lots ever taken from historical depth.
    taken: i128,
}

impl Overlay {
    /// An empty overlay.
    pub fn new(resilience: Resilience) -> Overlay {
        Overlay {
            resilience,
            levels: BTreeMap::new(),
            pending: Vec::new(),
            generation: 0,
            taken: 0,
        }
    }

    /// The resilience it applies.
    pub fn resilience(&self) -> Resilience {
        self.resilience
    }

    /// Number of levels currently depleted.
    pub fn len(&self) -> usize {
        self.levels.len()
    }

    /// True when no level is depleted.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Total lots simulated orders took from historical depth so far.
    pub fn taken(&self) -> i128 {
        self.taken
    }

    /// The share of a depletion of `side` left after `dt` ns.
    fn factor(&self, side: Side, dt: i64) -> f64 {
        let h = match self.resilience {
            Resilience::Never => return 1.0,
            Resilience::HalfLife(h) => h,
            Resilience::Sides { bids, asks } => match side {
                Side::Buy => bids,
                Side::Sell => asks,
            },
        };
        if h <= 0 {
            0.0
        } else {
            exp2_neg(dt.max(0) as f64 / h as f64)
        }
    }

    fn depleted_at(&self, side: Side, e: &Entry, now: i64) -> f64 {
        e.depleted * self.factor(side, now - e.t0)
    }

    /// Records that a simulated order took `qty` lots of the street level
    /// at (`side`, `price`) (called from the engine's event sink).
    #[inline]
    pub fn on_street_fill(&mut self, side: Side, price: Price, qty: Qty) {
        self.pending.push((side, price, qty));
    }

    /// True when fills wait to be absorbed.
    #[inline]
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Turns the pending fills into depletion at time `now`. `current`
    /// gives the street's size at a level after the fills (the historical
    /// size of a level not yet depleted is that plus what was taken).
    pub fn absorb(&mut self, now: i64, mut current: impl FnMut(Side, Price) -> Qty) {
        let pending = std::mem::take(&mut self.pending);
        for (i, &(side, price, qty)) in pending.iter().enumerate() {
            self.taken += qty.0 as i128;
            if let Some(e) = self.levels.get(&(side, price)).copied() {
                let d = self.depleted_at(side, &e, now) + qty.0 as f64;
                self.levels.insert(
                    (side, price),
                    Entry {
                        depleted: d,
                        t0: now,
                        ..e
                    },
                );
                continue;
            }
            // First depletion of this level: every pending fill of it
            // (this one and later ones) came out of its historical size.
            let taken: i64 = pending[i..]
                .iter()
                .filter(|p| p.0 == side && p.1 == price)
                .map(|p| p.2 .0)
                .sum();
            let hist = current(side, price).0.saturating_add(taken);
            self.levels.insert(
                (side, price),
                Entry {
                    hist,
                    depleted: qty.0 as f64,
                    t0: now,
                    seen: self.generation,
                },
            );
        }
        self.pending = pending;
        self.pending.clear();
    }

    /// History sets the level at (`side`, `price`) to `hist` lots at time
    /// `now`: returns the size the book should show.
    #[inline]
    pub fn historical(&mut self, side: Side, price: Price, hist: Qty, now: i64) -> Qty {
        if self.levels.is_empty() {
            return hist;
        }
        let Some(e) = self.levels.get(&(side, price)).copied() else {
            return hist;
        };
        let d = self.depleted_at(side, &e, now).min(hist.0 as f64);
        let shown = hist.0 - d.round() as i64;
        if d < 0.5 {
            self.levels.remove(&(side, price));
        } else {
            self.levels.insert(
                (side, price),
                Entry {
                    hist: hist.0,
                    depleted: d,
                    t0: now,
                    seen: self.generation,
                },
            );
        }
        Qty(shown.max(0))
    }

    /// A full snapshot starts: levels it does not send again are gone from
    /// history (see [`Overlay::end_snapshot`]).
    pub fn begin_snapshot(&mut self) {
        self.generation += 1;
    }

    /// The snapshot is complete: depletion of levels it did not send ends.
    pub fn end_snapshot(&mut self) {
        let g = self.generation;
        self.levels.retain(|_, e| e.seen == g);
    }

    /// True when `refresh` has work: depleted levels that recover over time.
    #[inline]
    pub fn recovers(&self) -> bool {
        !self.levels.is_empty() && self.resilience != Resilience::Never
    }

    /// Recovers depleted levels to time `now`: calls `set(side, price,
    /// size)` for every depleted level (bids then asks, in price order;
    /// the engine ignores a size that did not change), and forgets levels
    /// fully recovered.
    pub fn refresh(&mut self, now: i64, mut set: impl FnMut(Side, Price, Qty)) {
        if !self.recovers() {
            return;
        }
        let mut done: smallvec::SmallVec<[(Side, Price); 8]> = smallvec::SmallVec::new();
        for (&(side, price), e) in &self.levels {
            let d = self.depleted_at(side, e, now);
            let shown = Qty((e.hist - d.round() as i64).max(0));
            set(side, price, shown);
            if d < 0.5 {
                done.push((side, price));
            }
        }
        for k in done {
            self.levels.remove(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(Resilience::parse("0"), Ok(Resilience::HalfLife(0)));
        assert_eq!(
            Resilience::parse("500ms"),
            Ok(Resilience::HalfLife(500_000_000))
        );
        assert_eq!(
            Resilience::parse("1.5s"),
            Ok(Resilience::HalfLife(1_500_000_000))
        );
        assert_eq!(Resilience::parse("inf"), Ok(Resilience::Never));
        assert!(Resilience::parse("-1s").is_err());
        assert!(Resilience::parse("2").is_err());
        assert!(Resilience::parse("2 weeks").is_err());
        assert_eq!(Resilience::HalfLife(2 * S).to_string(), "2s");
        assert_eq!(Resilience::HalfLife(1_500_000_000).to_string(), "1500ms");
        assert_eq!(Resilience::Never.to_string(), "inf");
    }

    #[test]
    fn exp2_is_exact_at_whole_numbers_and_close_between() {
        assert_eq!(exp2_neg(0.0), 1.0);
        assert_eq!(exp2_neg(1.0), 0.5);
        assert_eq!(exp2_neg(3.0), 0.125);
        assert!((exp2_neg(0.5) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-15);
        assert!((exp2_neg(2.25) - 0.25 * 2f64.powf(-0.25)).abs() < 1e-15);
        assert_eq!(exp2_neg(5000.0), 0.0);
    }

    /// Takes 6 of a 10-lot bid at t = 0, then history says 10 again.
    fn taken(res: Resilience) -> Overlay {
        let mut o = Overlay::new(res);
        o.on_street_fill(Side::Buy, Price(100), Qty(6));
        o.absorb(0, |_, _| Qty(4));
        o
    }

    #[test]
    fn resilience_zero_gives_depth_back_at_once() {
        let mut o = taken(Resilience::HalfLife(0));
        assert_eq!(o.historical(Side::Buy, Price(100), Qty(10), 0), Qty(10));
        assert!(o.is_empty());
        let mut o = taken(Resilience::HalfLife(0));
        let mut set = Vec::new();
        o.refresh(1, |s, p, q| set.push((s, p, q)));
        assert_eq!(set, vec![(Side::Buy, Price(100), Qty(10))]);
        assert!(o.is_empty());
    }

    #[test]
    fn a_half_life_brings_half_back_per_half_life() {
        let mut o = taken(Resilience::HalfLife(2 * S));
        // At t = 0 nothing is back: 10 - 6.
        assert_eq!(o.historical(Side::Buy, Price(100), Qty(10), 0), Qty(4));
        // One half-life later 3 are still missing.
        assert_eq!(o.historical(Side::Buy, Price(100), Qty(10), 2 * S), Qty(7));
        // Two more: 0.75 missing, shown as 1 (rounded).
        let mut set = Vec::new();
        o.refresh(6 * S, |s, p, q| set.push((s, p, q)));
        assert_eq!(set, vec![(Side::Buy, Price(100), Qty(9))]);
        // Then it rounds to nothing and the level is forgotten.
        set.clear();
        o.refresh(8 * S, |s, p, q| set.push((s, p, q)));
        assert_eq!(set, vec![(Side::Buy, Price(100), Qty(10))]);
        assert!(o.is_empty());
    }

    #[test]
    fn infinite_resilience_never_gives_back() {
        let mut o = taken(Resilience::Never);
        assert_eq!(
            o.historical(Side::Buy, Price(100), Qty(10), 3600 * S),
            Qty(4)
        );
        assert_eq!(
            o.historical(Side::Buy, Price(100), Qty(25), 7200 * S),
            Qty(19)
        );
        assert!(!o.recovers());
        // History drops below what we took: the depletion shrinks to it,
        // and depth added later is all there.
        assert_eq!(
            o.historical(Side::Buy, Price(100), Qty(2), 7300 * S),
            Qty(0)
        );
        assert_eq!(
            o.historical(Side::Buy, Price(100), Qty(5), 7400 * S),
            Qty(3)
        );
        assert_eq!(o.taken(), 6);
    }

    #[test]
    fn several_fills_of_one_level_in_one_batch() {
        let mut o = Overlay::new(Resilience::Never);
        o.on_street_fill(Side::Sell, Price(7), Qty(2));
        o.on_street_fill(Side::Sell, Price(7), Qty(3));
        // The level shows 1 after both fills: history had 6.
        o.absorb(5, |_, _| Qty(1));
        assert_eq!(o.historical(Side::Sell, Price(7), Qty(6), 9), Qty(1));
    }

    #[test]
    fn a_snapshot_ends_depletion_of_levels_it_leaves_out() {
        let mut o = taken(Resilience::Never);
        o.on_street_fill(Side::Sell, Price(200), Qty(1));
        o.absorb(0, |_, _| Qty(0));
        o.begin_snapshot();
        assert_eq!(o.historical(Side::Buy, Price(100), Qty(10), 1), Qty(4));
        o.end_snapshot();
        assert_eq!(o.len(), 1);
        assert_eq!(o.historical(Side::Sell, Price(200), Qty(3), 2), Qty(3));
    }
}
