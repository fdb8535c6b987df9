//! What `summary.json` says of the measured rows without keeping them:
//! per row kind the count, the quantity, and the distribution of
//! |simulated VWAP - reported price| in bps of the mid (median and 90th
//! percentile from a streaming sketch, mean and the share within 1 bp
//! exact), plus a bounded, evenly thinned sample of rows for the charts.
//! Memory stays flat however long the input.
//!
//! Owns: `Quantiles` (the sketch), `Accuracy`, `KindStats` and
//! `RowSample`.
//! Must not: format anything or see the book.

use std::collections::BTreeMap;

/// Relative width of a sketch bucket: quantiles are exact to within
/// half of it (0.01%) of their value.
pub const QUANTILE_RELATIVE_ERROR: f64 = 1e-4;

/// How summary.json describes its quantiles.
pub const QUANTILE_METHOD: &str =
    "streaming: logarithmic buckets 0.02% wide (value within 0.01%), zero exact; nearest rank";

/// A streaming quantile sketch of non-negative values: exact zero count,
/// positive values in logarithmic buckets (bounded memory: at most a few
/// hundred thousand buckets over 18 orders of magnitude, in practice a
/// few thousand).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Quantiles {
    zeros: u64,
    buckets: BTreeMap<i32, u64>,
    n: u64,
}

fn ln_gamma() -> f64 {
    (2.0 * QUANTILE_RELATIVE_ERROR).ln_1p()
}

impl Quantiles {
    /// Adds a value (negative values count as their magnitude, NaN is
    /// ignored).
    pub fn add(&mut self, v: f64) {
        let v = v.abs();
        if v.is_nan() {
            return;
        }
        self.n += 1;
        if v == 0.0 {
            self.zeros += 1;
            return;
        }
        let k = (v.ln() / ln_gamma())
            .floor()
            .clamp(i32::MIN as f64, i32::MAX as f64) as i32;
        *self.buckets.entry(k).or_insert(0) += 1;
    }

    /// Values added.
    pub fn len(&self) -> u64 {
        self.n
    }

    /// True when no value was added.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The nearest-rank `q` quantile (`0 < q <= 1`): the value of rank
    /// `ceil(q n)`, as the centre of its bucket; 0 when empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.n == 0 {
            return 0.0;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        if rank <= self.zeros {
            return 0.0;
        }
        let mut seen = self.zeros;
        for (&k, &c) in &self.buckets {
            seen += c;
            if seen >= rank {
                return ((k as f64 + 0.5) * ln_gamma()).exp();
            }
        }
        0.0
    }
}

/// The distribution of |simulated VWAP - reported price| in bps of the
/// mid over the rows of one kind that have all three.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accuracy {
    /// Rows compared.
    pub rows: u64,
    sum: f64,
    within_1bp: u64,
    sketch: Quantiles,
}

impl Accuracy {
    /// Adds one row's error in bps.
    pub fn add(&mut self, err_bps: f64) {
        let v = err_bps.abs();
        if v.is_nan() {
            return;
        }
        self.rows += 1;
        self.sum += v;
        self.within_1bp += u64::from(v <= 1.0);
        self.sketch.add(v);
    }

    /// Median (nearest rank, from the sketch).
    pub fn median(&self) -> f64 {
        self.sketch.quantile(0.5)
    }

    /// 90th percentile (nearest rank, from the sketch).
    pub fn p90(&self) -> f64 {
        self.sketch.quantile(0.9)
    }

    /// Mean (exact).
    pub fn mean(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.sum / self.rows as f64
        }
    }

    /// Share of rows within 1 bp (exact).
    pub fn within_1bp(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.within_1bp as f64 / self.rows as f64
        }
    }
}

/// Totals of one row kind.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KindStats {
    /// Rows measured.
    pub rows: u64,
    /// Their summed quantity, lots.
    pub qty: i128,
    /// The VWAP comparison.
    pub accuracy: Accuracy,
}

/// An evenly thinned sample of at most `cap` items: every item while
/// there is room, then every 2nd, 4th, ... (deterministic).
#[derive(Clone, Debug, PartialEq)]
pub struct RowSample<T> {
    items: Vec<T>,
    every: u64,
    seen: u64,
    cap: usize,
}

impl<T> RowSample<T> {
    /// A sample of at most `cap` items (at least 2).
    pub fn new(cap: usize) -> RowSample<T> {
        RowSample {
            items: Vec::new(),
            every: 1,
            seen: 0,
            cap: cap.max(2),
        }
    }

    /// Offers one item.
    pub fn offer(&mut self, item: T) {
        if self.seen.is_multiple_of(self.every) {
            self.items.push(item);
            if self.items.len() > self.cap {
                let mut i = 0;
                self.items.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.every *= 2;
            }
        }
        self.seen += 1;
    }

    /// Items offered in all.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The sample, in the order offered.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_their_stated_error_of_the_exact_ones() {
        let mut s = Quantiles::default();
        let mut exact = Vec::new();
        let mut x: u64 = 7;
        for i in 0..20_000u64 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let v = if i % 3 == 0 {
                0.0
            } else {
                (x >> 11) as f64 / (1u64 << 53) as f64 * 5.0
            };
            s.add(v);
            exact.push(v);
        }
        exact.sort_by(f64::total_cmp);
        for q in [0.1, 0.3, 0.5, 0.9, 0.99, 1.0] {
            let rank = ((q * exact.len() as f64).ceil() as usize).clamp(1, exact.len());
            let want = exact[rank - 1];
            let got = s.quantile(q);
            assert!(
                (got - want).abs() <= want * QUANTILE_RELATIVE_ERROR * 1.0001,
                "q {q}: {got} vs {want}"
            );
        }
        assert_eq!(s.quantile(0.2), 0.0, "a third are zeros");
        assert_eq!(Quantiles::default().quantile(0.5), 0.0);
    }

    #[test]
    fn accuracy_keeps_mean_and_share_exact() {
        let mut a = Accuracy::default();
        for v in [0.0, -0.5, 1.0, 3.0] {
            a.add(v);
        }
        assert_eq!(a.rows, 4);
        assert_eq!(a.mean(), 1.125);
        assert_eq!(a.within_1bp(), 0.75);
        assert!((a.median() - 0.5).abs() < 1e-4);
    }

    #[test]
    fn the_sample_stays_bounded_and_even() {
        let mut s = RowSample::new(100);
        for i in 0..10_000 {
            s.offer(i);
        }
        assert_eq!(s.seen(), 10_000);
        let v = s.into_items();
        assert!(v.len() <= 100 && v.len() > 50, "{}", v.len());
        let step = v[1] - v[0];
        assert!(v.windows(2).all(|w| w[1] - w[0] == step), "{v:?}");
    }
}
