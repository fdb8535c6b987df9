//! The Binance depth synchroniser as a stage of the stream: it sits after
//! the merge of the input files, so one symbol's chain of diffs stays one
//! chain across files (a capture split at midnight into two files is one
//! book), and turns the readers' marked runs of levels
//! ([`Payload::DepthDiff`], [`Payload::DepthSnapshot`]) into a book that
//! follows Binance's rules (`sync::DepthSync`, one per symbol); every
//! other event passes through in order.
//!
//! A REST snapshot that names no symbol (USD-M) belongs to the one symbol
//! the stream has shown, or among several to the one whose waiting diffs
//! it bridges; a snapshot that comes before any symbol is held until the
//! first one appears.
//!
//! Owns: the per-symbol synchronisers, the snapshot attribution and the
//! counters they keep (snapshots, gaps, resyncs, dropped diffs).
//! Must not: parse anything.

use std::sync::Arc;

use super::sync::{DepthSync, Diff};
use crate::replay::event::{MarketEvent, Payload, PriceQty};
use crate::replay::reader::{EventSource, Out};
use crate::replay::stats::{EventCounts, ReplayStats};
use crate::replay::symbols::{PerSymbol, SymbolId, UNATTRIBUTED};
use crate::replay::ReplayError;
use crate::types::Side;

/// A snapshot waiting for its symbol.
#[derive(Debug)]
struct Held {
    id: i64,
    ts: i64,
    local: Option<i64>,
    bids: Vec<PriceQty>,
    asks: Vec<PriceQty>,
}

/// A stream whose Binance depth runs are synchronised into a book.
pub(crate) struct DepthSynced<S> {
    inner: S,
    syncs: PerSymbol<DepthSync>,
    max_buffer: usize,
    out: Out,
    held: Option<Held>,
    diff: Diff,
    bids: Vec<PriceQty>,
    asks: Vec<PriceQty>,
    failed: bool,
}

impl<S: EventSource> DepthSynced<S> {
    /// Synchronises `inner`, holding at most `max_buffer` diffs per
    /// symbol while waiting for a snapshot.
    pub fn new(inner: S, max_buffer: usize) -> DepthSynced<S> {
        DepthSynced {
            inner,
            syncs: PerSymbol::default(),
            max_buffer,
            out: Out::default(),
            held: None,
            diff: Diff::default(),
            bids: Vec::new(),
            asks: Vec::new(),
            failed: false,
        }
    }

    /// The stream it reads.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn cut(&self, what: &str) -> ReplayError {
        let (file, line) = self
            .inner
            .origin()
            .unwrap_or_else(|| (Arc::from("(input)"), 0));
        ReplayError::new(&file, line, format!("{what} is cut short"))
    }

    /// Reads the `n` level updates of a run into `bids` and `asks`.
    fn collect(&mut self, n: u32, symbol: SymbolId, what: &str) -> Result<(), ReplayError> {
        self.bids.clear();
        self.asks.clear();
        for _ in 0..n {
            match self.inner.next_event() {
                Some(Ok(MarketEvent {
                    symbol: s,
                    payload: Payload::BookLevel { side, price, qty },
                    ..
                })) if s == symbol => match side {
                    Side::Buy => self.bids.push(PriceQty { price, qty }),
                    Side::Sell => self.asks.push(PriceQty { price, qty }),
                },
                Some(Err(e)) => return Err(e),
                _ => return Err(self.cut(what)),
            }
        }
        Ok(())
    }

    /// The symbol of a snapshot that names none; `Ok(None)` when the
    /// stream has shown no symbol yet (the snapshot is then held).
    fn attribute(&self, id: i64) -> Result<Option<SymbolId>, ReplayError> {
        let ids: Vec<SymbolId> = self.syncs.ids().collect();
        match ids.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => {
                let bridged: Vec<SymbolId> = many
                    .iter()
                    .copied()
                    .filter(|&s| self.syncs.find(s).is_some_and(|d| d.bridges(id)))
                    .collect();
                match bridged.as_slice() {
                    [one] => Ok(Some(*one)),
                    _ => {
                        let (file, line) = self
                            .inner
                            .origin()
                            .unwrap_or_else(|| (Arc::from("(input)"), 0));
                        Err(ReplayError::new(
                            &file,
                            line,
                            format!(
                                "a depth snapshot without a symbol (lastUpdateId {id}) among \
                                 several symbols, and no single symbol's waiting diffs bridge it"
                            ),
                        ))
                    }
                }
            }
        }
    }

    /// Handles one event from the merged stream.
    fn handle(&mut self, ev: MarketEvent) -> Result<(), ReplayError> {
        match ev.payload {
            Payload::DepthDiff {
                first,
                last,
                prev,
                levels,
            } => {
                self.collect(levels, ev.symbol, "a depth diff")?;
                self.diff.exchange_ts = ev.exchange_ts;
                self.diff.local_ts = ev.local_ts;
                self.diff.first = first;
                self.diff.last = last;
                self.diff.prev = prev;
                std::mem::swap(&mut self.diff.bids, &mut self.bids);
                std::mem::swap(&mut self.diff.asks, &mut self.asks);
                self.out.symbol = ev.symbol;
                let max = self.max_buffer;
                self.syncs
                    .get_with(ev.symbol, || DepthSync::new(max))
                    .on_diff(&self.diff, &mut self.out);
                if let Some(h) = self.held.take() {
                    self.syncs
                        .get_with(ev.symbol, || DepthSync::new(max))
                        .on_snapshot(h.id, h.ts, h.local, &h.bids, &h.asks, &mut self.out);
                }
            }
            Payload::DepthSnapshot {
                last_update_id,
                levels,
            } => {
                self.collect(levels, ev.symbol, "a depth snapshot")?;
                let symbol = if ev.symbol == UNATTRIBUTED {
                    self.attribute(last_update_id)?
                } else {
                    Some(ev.symbol)
                };
                match symbol {
                    Some(s) => {
                        self.out.symbol = s;
                        let max = self.max_buffer;
                        self.syncs.get_with(s, || DepthSync::new(max)).on_snapshot(
                            last_update_id,
                            ev.exchange_ts,
                            ev.local_ts,
                            &self.bids,
                            &self.asks,
                            &mut self.out,
                        );
                    }
                    None => {
                        if self.held.is_some() {
                            self.out.stats.snapshots_ignored += 1;
                        }
                        self.held = Some(Held {
                            id: last_update_id,
                            ts: ev.exchange_ts,
                            local: ev.local_ts,
                            bids: std::mem::take(&mut self.bids),
                            asks: std::mem::take(&mut self.asks),
                        });
                    }
                }
            }
            _ => self.out.queue.push(ev),
        }
        Ok(())
    }
}

impl<S: EventSource> EventSource for DepthSynced<S> {
    #[inline]
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>> {
        loop {
            if let Some(ev) = self.out.pop() {
                self.out.stats.count_event(&ev);
                return Some(Ok(ev));
            }
            if self.failed {
                return None;
            }
            let ev = match self.inner.next_event() {
                None => {
                    if self.held.take().is_some() {
                        self.out.stats.snapshots_ignored += 1;
                    }
                    return None;
                }
                Some(Err(e)) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                Some(Ok(ev)) => ev,
            };
            if let Err(e) = self.handle(ev) {
                self.failed = true;
                self.out.queue.clear();
                return Some(Err(e));
            }
        }
    }

    /// The readers' counters, with the events this stage yields and the
    /// book's counters it keeps.
    fn stats(&self) -> ReplayStats {
        let mut s = self.inner.stats();
        s.events = EventCounts::default();
        s.merge(&self.out.stats);
        s
    }

    fn line_no(&self) -> u64 {
        self.inner.line_no()
    }

    fn origin(&self) -> Option<(Arc<str>, u64)> {
        self.inner.origin()
    }
}
