//! A stable k-way merge of several event sources by time: the next event
//! is the head with the smallest ordering time (local receive time where
//! present, else exchange time); ties go to the source listed first.
//!
//! Owns: the head event of each source, the per-source counters, and
//! where (source, line) the event last returned came from.
//! Must not: reorder events within one source: a source's events come
//! out in its own order even where its times go backwards.

use super::event::MarketEvent;
use super::reader::EventSource;
use super::stats::ReplayStats;
use super::ReplayError;
use std::sync::Arc;

/// Several sources merged into one stream.
pub struct Merged {
    sources: Vec<Box<dyn EventSource>>,
    names: Vec<String>,
    heads: Vec<Option<MarketEvent>>,
    /// The line each head came from.
    head_lines: Vec<u64>,
    /// (source, line) of the event last returned.
    last: Option<(usize, u64)>,
    primed: bool,
    pending_err: Option<ReplayError>,
    failed: bool,
}

impl Merged {
    /// Merges `sources`, named for per-file statistics.
    pub fn new(sources: Vec<(String, Box<dyn EventSource>)>) -> Merged {
        let n = sources.len();
        let (names, sources) = sources.into_iter().unzip();
        Merged {
            sources,
            names,
            heads: vec![None; n],
            head_lines: vec![0; n],
            last: None,
            primed: false,
            pending_err: None,
            failed: false,
        }
    }

    /// Each source's name and counters.
    pub fn per_source(&self) -> Vec<(String, ReplayStats)> {
        self.names
            .iter()
            .cloned()
            .zip(self.sources.iter().map(|s| s.stats()))
            .collect()
    }

    fn refill(&mut self, i: usize) -> Result<(), ReplayError> {
        self.heads[i] = match self.sources[i].next_event() {
            Some(Ok(ev)) => {
                self.head_lines[i] = self.sources[i].line_no();
                Some(ev)
            }
            Some(Err(e)) => return Err(e),
            None => None,
        };
        Ok(())
    }
}

impl EventSource for Merged {
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>> {
        if self.failed {
            return None;
        }
        if let Some(e) = self.pending_err.take() {
            self.failed = true;
            return Some(Err(e));
        }
        if !self.primed {
            self.primed = true;
            for i in 0..self.sources.len() {
                if let Err(e) = self.refill(i) {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        let mut best: Option<(i64, usize)> = None;
        for (i, h) in self.heads.iter().enumerate() {
            if let Some(ev) = h {
                let k = ev.order_ts();
                if !matches!(best, Some((bk, _)) if bk <= k) {
                    best = Some((k, i));
                }
            }
        }
        let (_, i) = best?;
        let ev = self.heads[i].take();
        self.last = Some((i, self.head_lines[i]));
        if let Err(e) = self.refill(i) {
            self.pending_err = Some(e);
        }
        ev.map(Ok)
    }

    fn line_no(&self) -> u64 {
        self.last.map_or(0, |(_, l)| l)
    }

    fn origin(&self) -> Option<(Arc<str>, u64)> {
        let (i, line) = self.last?;
        let (file, _) = self.sources[i].origin()?;
        Some((file, line))
    }

    fn stats(&self) -> ReplayStats {
        let mut s = ReplayStats::default();
        for src in &self.sources {
            s.merge(&src.stats());
        }
        s
    }
}
