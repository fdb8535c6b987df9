//! Counters a reader keeps while it streams: rows, events per kind, and
//! every data-quality finding (skipped rows, gaps, resyncs, out-of-order
//! rows, crossed books).
//!
//! Owns: `ReplayStats` and `EventCounts`, and how they add up.
//! Must not: hold events or decide anything; readers and the driver do.

use super::event::{MarketEvent, PayloadKind};
use super::symbols::SymbolId;
use super::ReplayError;
use std::fmt;

/// Number of events of each [`PayloadKind`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventCounts([u64; PayloadKind::COUNT]);

impl EventCounts {
    /// The count for one kind.
    pub fn get(&self, kind: PayloadKind) -> u64 {
        self.0[kind as usize]
    }

    /// Counts one more event of `kind`.
    #[inline]
    pub fn add(&mut self, kind: PayloadKind) {
        self.0[kind as usize] += 1;
    }

    /// All events counted.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Adds another set of counts to this one.
    pub fn merge(&mut self, o: &EventCounts) {
        for (a, b) in self.0.iter_mut().zip(o.0.iter()) {
            *a += b;
        }
    }
}

/// What a reader (or a merged stream) saw. Every finding is counted, never
/// silently repaired; the policies are documented on each field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Non-empty lines read, headers included.
    pub rows: u64,
    /// Rows that parsed, per symbol id (index: [`crate::replay::SymbolId`]).
    pub rows_by_symbol: Vec<u64>,
    /// Events yielded, per kind.
    pub events: EventCounts,
    /// What the file holds and how that was decided, where the reader had
    /// to decide (Tardis: `liquidations (file name)`); merged counters keep
    /// the first file's.
    pub data_kind: Option<String>,
    /// Rows that did not parse and were skipped (`skip_bad_rows`).
    pub bad_rows_skipped: u64,
    /// The first skipped row's error, for the report.
    pub first_bad_row: Option<ReplayError>,
    /// Rows understood but not turned into events (a stream kind the
    /// reader does not model, e.g. a Binance `kline`).
    pub rows_ignored: u64,
    /// Full snapshots that started a book (`BookClear` emitted).
    pub snapshots: u64,
    /// Book continuity breaks (`Gap` emitted).
    pub gaps: u64,
    /// Books rebuilt from a snapshot after a gap.
    pub resyncs: u64,
    /// Binance: depth diffs dropped because they were older than the
    /// snapshot they waited for (`u < lastUpdateId`), or because the wait
    /// buffer overflowed.
    pub diffs_dropped: u64,
    /// Binance: snapshots that arrived while the book was already in sync
    /// and older than it, so not applied.
    pub snapshots_ignored: u64,
    /// Rows whose ordering time (local receive time where the file has
    /// one, else exchange time) is earlier than the previous row's. Policy:
    /// counted, kept in file order, never reordered within one file.
    pub out_of_order: u64,
    /// Rows whose exchange time is earlier than the previous row's in the
    /// same file (informational: different streams of one capture carry
    /// slightly different exchange clocks). Kept in file order.
    pub exchange_ts_regressions: u64,
    /// Batches of book updates after which best bid >= best ask (counted
    /// by [`crate::replay::CrossCheck`]; the driver decides what to do).
    pub crossed: u64,
}

impl ReplayStats {
    /// Adds the counters of `o` into `self` (for merged streams).
    pub fn merge(&mut self, o: &ReplayStats) {
        self.rows += o.rows;
        if self.data_kind.is_none() {
            self.data_kind.clone_from(&o.data_kind);
        }
        if self.rows_by_symbol.len() < o.rows_by_symbol.len() {
            self.rows_by_symbol.resize(o.rows_by_symbol.len(), 0);
        }
        for (a, b) in self.rows_by_symbol.iter_mut().zip(&o.rows_by_symbol) {
            *a += b;
        }
        self.events.merge(&o.events);
        self.bad_rows_skipped += o.bad_rows_skipped;
        if self.first_bad_row.is_none() {
            self.first_bad_row.clone_from(&o.first_bad_row);
        }
        self.rows_ignored += o.rows_ignored;
        self.snapshots += o.snapshots;
        self.gaps += o.gaps;
        self.resyncs += o.resyncs;
        self.diffs_dropped += o.diffs_dropped;
        self.snapshots_ignored += o.snapshots_ignored;
        self.out_of_order += o.out_of_order;
        self.exchange_ts_regressions += o.exchange_ts_regressions;
        self.crossed += o.crossed;
    }

    /// Counts one row of `symbol`.
    #[inline]
    pub fn count_symbol_row(&mut self, symbol: SymbolId) {
        if symbol == super::symbols::UNATTRIBUTED {
            return;
        }
        let i = symbol as usize;
        match self.rows_by_symbol.get_mut(i) {
            Some(n) => *n += 1,
            None => {
                self.rows_by_symbol.resize(i + 1, 0);
                self.rows_by_symbol[i] = 1;
            }
        }
    }

    /// Counts one yielded event.
    #[inline]
    pub fn count_event(&mut self, ev: &MarketEvent) {
        self.events.add(ev.payload.kind());
    }
}

impl fmt::Display for ReplayStats {
    /// One line, `key=value` pairs, zero event kinds left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rows={} events={} bad_rows_skipped={} rows_ignored={} snapshots={} gaps={} resyncs={} \
             diffs_dropped={} snapshots_ignored={} out_of_order={} exchange_ts_regressions={} crossed={}",
            self.rows,
            self.events.total(),
            self.bad_rows_skipped,
            self.rows_ignored,
            self.snapshots,
            self.gaps,
            self.resyncs,
            self.diffs_dropped,
            self.snapshots_ignored,
            self.out_of_order,
            self.exchange_ts_regressions,
            self.crossed
        )?;
        for k in PayloadKind::ALL {
            let n = self.events.get(k);
            if n > 0 {
                write!(f, " {}={}", k.as_str(), n)?;
            }
        }
        Ok(())
    }
}
