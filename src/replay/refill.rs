//! Resilience measured, not guessed: how fast the depth a large taker
//! took comes back at the levels it took it from.
//!
//! Every taker that empties at least the best level it meets is an event.
//! For each level it took from, the tracker knows the size before and what
//! was taken; history then updates the level. The take is "seen" at the
//! first update that shows at most half of the taken amount still there
//! (the depth diff may reach the data after the trades); from then on
//! the refilled share of the level is `clamp(size - (before - taken), 0,
//! taken) / taken`. An event's refill curve `R(t)` is the taken-weighted
//! share over its seen levels, sampled at fixed times after the taker
//! (logarithmically spaced from 10 ms to the window). Events none of
//! whose takes is seen within a second are dropped (counted); an event
//! still open when another one takes from one of its levels, or when the
//! data ends, contributes the points it reached.
//!
//! Per side of the book, the mean curve over events is fitted with
//! `R(t) = A (1 - 2^(-t / h))` by weighted least squares (a scan of `h`
//! on a fine logarithmic grid, then a golden-section refinement; `A` in
//! closed form, kept in [0, 1]): `h` is the half-life, `1 - A` the share
//! that does not come back at all, and `1 - R(window)` the share not
//! refilled within the window. The spread of `h` is the interquartile
//! range of the same fit on ten interleaved subsets of the events.
//!
//! Owns: the events in flight, the accumulated curves and the fit.
//! Must not: touch the book; the driver reports takes, level updates and
//! the clock.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use smallvec::SmallVec;

use crate::types::{Price, Side};

/// The window after a taker over which refill is followed.
pub const WINDOW_NS: i64 = 30_000_000_000;
/// The first sampling time after a taker.
const FIRST_NS: i64 = 10_000_000;
/// Successive sampling times grow by this factor.
const GRID_RATIO: f64 = 1.2;
/// An event whose takes are not seen in history within this time is
/// dropped.
const SEEN_WITHIN_NS: i64 = 1_000_000_000;
/// Interleaved subsets for the spread.
const SUBSETS: usize = 10;

/// The sampling times after a taker, ns.
fn grid() -> Vec<i64> {
    let mut g = Vec::new();
    let mut t = FIRST_NS as f64;
    while (t as i64) < WINDOW_NS {
        g.push(t as i64);
        t *= GRID_RATIO;
    }
    g.push(WINDOW_NS);
    g
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

/// One level a taker took from.
#[derive(Clone, Copy, Debug)]
struct Take {
    price: Price,
    /// Lots the level holds once the take shows in history.
    base: i64,
    taken: i64,
    seen: bool,
    refilled: i64,
}

/// An event in flight.
#[derive(Debug)]
struct Event {
    side: Side,
    t0: i64,
    takes: SmallVec<[Take; 4]>,
    /// Curve values at the grid points reached so far.
    values: Vec<f64>,
    seen_any: bool,
    subset: usize,
}

impl Event {
    fn value(&self) -> f64 {
        let (mut num, mut den) = (0i64, 0i64);
        for t in self.takes.iter().filter(|t| t.seen) {
            num += t.refilled;
            den += t.taken;
        }
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    }
}

/// Accumulated curves of one side of the book.
#[derive(Clone, Debug, Default)]
struct Curves {
    sum: Vec<f64>,
    n: Vec<u64>,
    subset_sum: Vec<Vec<f64>>,
    subset_n: Vec<Vec<u64>>,
    events: u64,
    unseen: u64,
}

impl Curves {
    fn new(points: usize) -> Curves {
        Curves {
            sum: vec![0.0; points],
            n: vec![0; points],
            subset_sum: vec![vec![0.0; points]; SUBSETS],
            subset_n: vec![vec![0; points]; SUBSETS],
            events: 0,
            unseen: 0,
        }
    }

    fn add(&mut self, e: &Event) {
        if !e.seen_any {
            self.unseen += 1;
            return;
        }
        self.events += 1;
        for (k, &v) in e.values.iter().enumerate() {
            self.sum[k] += v;
            self.n[k] += 1;
            self.subset_sum[e.subset][k] += v;
            self.subset_n[e.subset][k] += 1;
        }
    }
}

/// The fitted refill law of one side of the book.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RefillFit {
    /// Events the fit used.
    pub events: u64,
    /// Events dropped because their takes never showed in history.
    pub unseen: u64,
    /// The fitted half-life, ns (`None` when nothing could be fitted).
    pub half_life_ns: Option<i64>,
    /// Interquartile range of the half-life over ten interleaved subsets
    /// of the events, ns.
    pub spread_ns: Option<(i64, i64)>,
    /// The fitted share that comes back at all (`A`).
    pub refilling_share: Option<f64>,
    /// The mean share not refilled within the window.
    pub never_refilled: Option<f64>,
}

/// The measurement of both sides of the book.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RefillReport {
    /// Bids (refilled after selling takers).
    pub bids: RefillFit,
    /// Asks (refilled after buying takers).
    pub asks: RefillFit,
    /// The window, ns.
    pub window_ns: i64,
}

/// Follows large takers and accumulates their refill curves.
#[derive(Debug)]
pub struct RefillTracker {
    grid: Vec<i64>,
    events: Vec<Option<Event>>,
    free: Vec<usize>,
    /// (side, price) -> events taking there.
    levels: BTreeMap<(Side, Price), SmallVec<[usize; 2]>>,
    /// (next sampling time, event).
    due: BinaryHeap<Reverse<(i64, usize)>>,
    curves: [Curves; 2],
    started: u64,
}

impl Default for RefillTracker {
    fn default() -> Self {
        RefillTracker::new()
    }
}

impl RefillTracker {
    /// An empty tracker.
    pub fn new() -> RefillTracker {
        let grid = grid();
        let n = grid.len();
        RefillTracker {
            grid,
            events: Vec::new(),
            free: Vec::new(),
            levels: BTreeMap::new(),
            due: BinaryHeap::new(),
            curves: [Curves::new(n), Curves::new(n)],
            started: 0,
        }
    }

    /// True when no event is in flight (the driver then skips the calls
    /// below).
    #[inline]
    pub fn is_idle(&self) -> bool {
        self.due.is_empty()
    }

    /// A taker emptied levels of book side `side` at `t0`: `takes` is
    /// (price, lots before, lots taken) per level, best first.
    pub fn start(&mut self, side: Side, t0: i64, takes: &[(Price, i64, i64)]) {
        let takes: SmallVec<[Take; 4]> = takes
            .iter()
            .filter(|&&(_, before, taken)| taken > 0 && before >= taken)
            .map(|&(price, before, taken)| Take {
                price,
                base: before - taken,
                taken,
                seen: false,
                refilled: 0,
            })
            .collect();
        if takes.is_empty() {
            return;
        }
        // An event still following one of these levels ends here: what
        // comes next at the level is this taker's refill, not its own.
        for t in &takes {
            if let Some(ids) = self.levels.get(&(side, t.price)).cloned() {
                for id in ids {
                    self.close(id);
                }
            }
        }
        let id = self.free.pop().unwrap_or(self.events.len());
        for t in &takes {
            self.levels.entry((side, t.price)).or_default().push(id);
        }
        let ev = Event {
            side,
            t0,
            takes,
            values: Vec::with_capacity(self.grid.len()),
            seen_any: false,
            subset: (self.started % SUBSETS as u64) as usize,
        };
        self.started += 1;
        if id == self.events.len() {
            self.events.push(Some(ev));
        } else {
            self.events[id] = Some(ev);
        }
        self.due.push(Reverse((t0 + self.grid[0], id)));
    }

    /// History set level (`side`, `price`) to `qty` lots at `ts`.
    #[inline]
    pub fn on_level(&mut self, side: Side, price: Price, qty: i64, ts: i64) {
        let Some(ids) = self.levels.get(&(side, price)) else {
            return;
        };
        for &id in ids {
            let Some(Some(e)) = self.events.get_mut(id) else {
                continue;
            };
            for t in e.takes.iter_mut().filter(|t| t.price == price) {
                if !t.seen {
                    if qty > t.base + t.taken / 2 || ts > e.t0 + SEEN_WITHIN_NS {
                        continue;
                    }
                    t.seen = true;
                    e.seen_any = true;
                }
                t.refilled = (qty - t.base).clamp(0, t.taken);
            }
        }
    }

    /// The clock reached `now`: samples every event whose next sampling
    /// time has come, and closes the ones past the window.
    #[inline]
    pub fn advance(&mut self, now: i64) {
        while let Some(&Reverse((at, id))) = self.due.peek() {
            if at > now {
                break;
            }
            self.due.pop();
            let Some(Some(e)) = self.events.get_mut(id) else {
                continue;
            };
            let v = e.value();
            e.values.push(v);
            match self.grid.get(e.values.len()) {
                Some(&next) => self.due.push(Reverse((e.t0 + next, id))),
                None => self.close(id),
            }
        }
    }

    /// Ends an event: its points so far join its side's curves.
    fn close(&mut self, id: usize) {
        let Some(slot) = self.events.get_mut(id) else {
            return;
        };
        let Some(e) = slot.take() else {
            return;
        };
        for t in &e.takes {
            if let Some(ids) = self.levels.get_mut(&(e.side, t.price)) {
                ids.retain(|i| *i != id);
                if ids.is_empty() {
                    self.levels.remove(&(e.side, t.price));
                }
            }
        }
        self.curves[side_index(e.side)].add(&e);
        self.free.push(id);
        // Its next sampling time goes too, so a reused slot has one entry.
        self.due.retain(|Reverse((_, i))| *i != id);
    }

    /// Closes every event in flight and fits both sides.
    pub fn finish(mut self) -> RefillReport {
        let open: Vec<usize> = (0..self.events.len())
            .filter(|&i| self.events[i].is_some())
            .collect();
        for id in open {
            self.close(id);
        }
        RefillReport {
            bids: fit_curves(&self.grid, &self.curves[0]),
            asks: fit_curves(&self.grid, &self.curves[1]),
            window_ns: WINDOW_NS,
        }
    }
}

/// Weighted least squares of `A (1 - 2^(-t/h))` on points `(t, mean, n)`
/// for a given `h`: (sum of squared errors, A).
fn sse(points: &[(f64, f64, f64)], h: f64) -> (f64, f64) {
    let f = |t: f64| 1.0 - (-(t / h) * std::f64::consts::LN_2).exp();
    let (mut sfr, mut sff) = (0.0, 0.0);
    for &(t, r, w) in points {
        let v = f(t);
        sfr += w * v * r;
        sff += w * v * v;
    }
    let a = if sff > 0.0 {
        (sfr / sff).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let e = points
        .iter()
        .map(|&(t, r, w)| w * (r - a * f(t)).powi(2))
        .sum();
    (e, a)
}

/// Fits the refill law to mean curve points; (half-life ns, A).
pub fn fit(points: &[(f64, f64, f64)]) -> Option<(f64, f64)> {
    if points.len() < 3 || points.iter().all(|p| p.1 <= 0.0) {
        return None;
    }
    // Scan 1 ms .. 10^4 s, 2% apart.
    let (lo, hi) = (1e6f64.ln(), 1e13f64.ln());
    let steps = ((hi - lo) / 0.02).ceil() as usize;
    let h_at = |i: usize| (lo + (hi - lo) * i as f64 / steps as f64).exp();
    let best = (0..=steps)
        .map(|i| (sse(points, h_at(i)).0, i))
        .min_by(|a, b| a.0.total_cmp(&b.0))?
        .1;
    // Golden-section refinement between the neighbours, in log h.
    let (mut a, mut b) = (
        h_at(best.saturating_sub(1)).ln(),
        h_at((best + 1).min(steps)).ln(),
    );
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..60 {
        let c = b - g * (b - a);
        let d = a + g * (b - a);
        if sse(points, c.exp()).0 <= sse(points, d.exp()).0 {
            b = d;
        } else {
            a = c;
        }
    }
    let h = ((a + b) / 2.0).exp();
    let (_, amp) = sse(points, h);
    (amp > 0.0).then_some((h, amp))
}

fn points(grid: &[i64], sum: &[f64], n: &[u64]) -> Vec<(f64, f64, f64)> {
    grid.iter()
        .zip(sum.iter().zip(n))
        .filter(|(_, (_, &n))| n > 0)
        .map(|(&t, (&s, &n))| (t as f64, s / n as f64, n as f64))
        .collect()
}

fn fit_curves(grid: &[i64], c: &Curves) -> RefillFit {
    let main = fit(&points(grid, &c.sum, &c.n));
    let mut subsets: Vec<f64> = (0..SUBSETS)
        .filter_map(|s| fit(&points(grid, &c.subset_sum[s], &c.subset_n[s])).map(|f| f.0))
        .collect();
    subsets.sort_by(f64::total_cmp);
    let spread = (subsets.len() >= 4).then(|| {
        let q = |p: f64| {
            subsets[((p * subsets.len() as f64).ceil() as usize).clamp(1, subsets.len()) - 1]
        };
        (q(0.25).round() as i64, q(0.75).round() as i64)
    });
    let last = c.n.iter().rposition(|&n| n > 0);
    RefillFit {
        events: c.events,
        unseen: c.unseen,
        half_life_ns: main.map(|f| f.0.round() as i64),
        spread_ns: spread,
        refilling_share: main.map(|f| f.1),
        never_refilled: last.map(|k| 1.0 - c.sum[k] / c.n[k] as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A synthetic book side: takers empty the best level at known times,
    /// and the level refills by `size = Q (1 - s) (1 - 2^(-t/h))` (plus
    /// whatever it had left), updated every `dt`.
    fn synthetic(h_s: f64, never: f64, side: Side, events: usize) -> RefillFit {
        let mut tr = RefillTracker::new();
        let q = 10_000i64;
        let dt = 5_000_000i64;
        let mut t = 1_000_000_000i64;
        for e in 0..events {
            let price = Price(1000 + (e % 7) as i64);
            tr.advance(t);
            tr.start(side, t, &[(price, q, q)]);
            // The depth diff arrives 3 ms after the trades.
            let mut u = t + 3_000_000;
            while u < t + WINDOW_NS + dt {
                tr.advance(u);
                let x = (u - t - 3_000_000) as f64 / 1e9 / h_s;
                let size = (q as f64 * (1.0 - never) * (1.0 - (-x * std::f64::consts::LN_2).exp()))
                    .round() as i64;
                tr.on_level(side, price, size, u);
                u += dt;
            }
            t += WINDOW_NS + 2 * dt + (e as i64 % 5) * 1_000_000;
        }
        tr.advance(t + 2 * WINDOW_NS);
        let r = tr.finish();
        match side {
            Side::Buy => r.bids,
            Side::Sell => r.asks,
        }
    }

    #[test]
    fn recovers_a_known_half_life() {
        for h in [0.2, 1.5, 6.0] {
            let f = synthetic(h, 0.0, Side::Sell, 40);
            let got = f.half_life_ns.unwrap() as f64 / 1e9;
            assert!((got - h).abs() / h < 0.05, "half-life {h}: fitted {got}");
            assert!(f.refilling_share.unwrap() > 0.97, "{f:?}");
            assert_eq!(f.events, 40);
            let (lo, hi) = f.spread_ns.unwrap();
            assert!(
                lo as f64 <= hi as f64 && (hi - lo) as f64 / 1e9 < 0.2 * h,
                "{f:?}"
            );
        }
    }

    #[test]
    fn recovers_the_share_that_never_comes_back() {
        let f = synthetic(0.5, 0.3, Side::Buy, 30);
        let got = f.half_life_ns.unwrap() as f64 / 1e9;
        assert!((got - 0.5).abs() / 0.5 < 0.05, "fitted {got}");
        assert!((f.refilling_share.unwrap() - 0.7).abs() < 0.02, "{f:?}");
        assert!((f.never_refilled.unwrap() - 0.3).abs() < 0.02, "{f:?}");
    }

    #[test]
    fn takes_never_seen_in_history_are_dropped() {
        let mut tr = RefillTracker::new();
        tr.start(Side::Sell, 0, &[(Price(5), 100, 100)]);
        // History keeps showing the level full: the take never appears.
        for k in 1..100 {
            tr.advance(k * 50_000_000);
            tr.on_level(Side::Sell, Price(5), 100, k * 50_000_000);
        }
        tr.advance(2 * WINDOW_NS);
        let r = tr.finish();
        assert_eq!((r.asks.events, r.asks.unseen), (0, 1));
        assert_eq!(r.asks.half_life_ns, None);
        assert_eq!(r.bids.events, 0);
    }
}
