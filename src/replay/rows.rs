//! The results of a replay as rows: one [`MeasureRow`] per measured order
//! (a historical liquidation, a real taker, an exchange backstop print),
//! handed to a [`RowSink`] the moment it is measured (`events.csv` is one
//! sink; a test's `Vec` another), and summed into [`Measured`] for the
//! summary without being kept.
//!
//! Owns: the row type and its kinds, the sink trait, and the totals kept
//! per kind (with a bounded sample of rows for the charts).
//! Must not: format rows (the sinks do) or measure anything (the driver
//! and `measure` do).

use super::accuracy::{KindStats, RowSample};
use super::measure::{diff_bps, Walk};
use crate::instrument::Instrument;
use crate::types::{Price, Qty, Ratio, Side};

/// Which measurement a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKind {
    /// A historical liquidation order.
    Liquidation,
    /// A real aggressive order (the prints of one taker).
    Taker,
    /// A print of the exchange's insurance fund taking over a bankrupt
    /// position (Binance `X = "INSURANCE_FUND"`): not a trade in the book.
    InsuranceFund,
    /// An auto-deleveraging print (Binance `X = "ADL"`): not a trade in
    /// the book.
    Adl,
}

impl RowKind {
    /// Every kind, in the order summaries list them.
    pub const ALL: [RowKind; 4] = [
        RowKind::Liquidation,
        RowKind::Taker,
        RowKind::InsuranceFund,
        RowKind::Adl,
    ];

    /// The name in `events.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Liquidation => "liquidation",
            RowKind::Taker => "taker",
            RowKind::InsuranceFund => "insurance_fund",
            RowKind::Adl => "adl",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One measured order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasureRow {
    /// What was measured.
    pub kind: RowKind,
    /// Exchange time, ns.
    pub ts: i64,
    /// Side of the order (a liquidation's own side; a taker's side; for a
    /// backstop print the side of the close it made: buy above the mid,
    /// sell below).
    pub side: Side,
    /// Its quantity, lots.
    pub qty: Qty,
    /// Prints in the group (takers).
    pub trades: u32,
    /// The price the exchange reported, in ticks (taker: its VWAP).
    pub reported: Option<Ratio>,
    /// Best bid + best ask just before.
    pub mid2: Option<i128>,
    /// Mark just before.
    pub mark: Option<Price>,
    /// The dry-run walk.
    pub walk: Walk,
}

impl MeasureRow {
    /// `vwap - reported` in bps of the mid, for a row that has all three.
    pub fn diff_bps(&self) -> Option<Ratio> {
        diff_bps(self.walk.vwap()?, self.reported?, self.mid2?)
    }
}

/// Receives every measured row, in time order, as it is measured.
pub trait RowSink: Send {
    /// One row of `instrument`.
    fn row(&mut self, row: &MeasureRow, instrument: &Instrument) -> std::io::Result<()>;

    /// The replay ended well: publish what was written (a sink dropped
    /// without it publishes nothing).
    fn close(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Keeps every row (tests, small runs).
impl RowSink for Vec<MeasureRow> {
    fn row(&mut self, row: &MeasureRow, _: &Instrument) -> std::io::Result<()> {
        self.push(*row);
        Ok(())
    }
}

/// Drops every row (a replay run for its summary alone).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRows;

impl RowSink for NoRows {
    fn row(&mut self, _: &MeasureRow, _: &Instrument) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rows kept per kind for the charts.
pub const CHART_ROWS: usize = 4096;

/// What the summary needs of the measured rows: totals per kind and a
/// bounded sample for the charts.
#[derive(Clone, Debug)]
pub struct Measured {
    kinds: [KindStats; 4],
    samples: [RowSample<MeasureRow>; 4],
}

impl Default for Measured {
    fn default() -> Self {
        Measured {
            kinds: Default::default(),
            samples: std::array::from_fn(|_| RowSample::new(CHART_ROWS)),
        }
    }
}

impl Measured {
    /// Counts one row.
    pub fn add(&mut self, r: &MeasureRow) {
        let k = &mut self.kinds[r.kind.index()];
        k.rows += 1;
        k.qty += r.qty.0 as i128;
        if let Some(d) = r.diff_bps() {
            k.accuracy.add(d.to_f64());
        }
        self.samples[r.kind.index()].offer(*r);
    }

    /// The totals of one kind.
    pub fn kind(&self, k: RowKind) -> &KindStats {
        &self.kinds[k.index()]
    }

    /// The chart sample: every kind's kept rows, in time order.
    pub fn into_sample(self) -> Vec<MeasureRow> {
        let mut v: Vec<MeasureRow> = self
            .samples
            .into_iter()
            .flat_map(RowSample::into_items)
            .collect();
        v.sort_by_key(|r| r.ts);
        v
    }
}
