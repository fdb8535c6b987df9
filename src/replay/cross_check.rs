//! Detects crossed books in a stream of L2 level updates: keeps every
//! non-empty level of both sides and, at each batch boundary (a change of
//! event time, a `SnapshotEnd`, the end of the stream), checks whether the
//! best bid is at or above the best ask.
//!
//! Owns: a shadow L2 book used only for this check (`CrossCheck`) and the
//! `CrossChecked` adapter that counts crossings into a stream's stats.
//! Must not: change or drop events, or be mistaken for the engine's book
//! (it has no orders, no matching, and allocates per new level).

use super::event::{MarketEvent, Payload};
use super::num::decimal_key;
use super::reader::EventSource;
use super::stats::ReplayStats;
use super::ReplayError;
use crate::types::{Decimal, Side};
use std::collections::BTreeMap;

/// A shadow L2 book that reports crossed states at batch boundaries.
#[derive(Debug, Default)]
pub struct CrossCheck {
    bids: BTreeMap<i128, Decimal>,
    asks: BTreeMap<i128, Decimal>,
    in_snapshot: bool,
    after_gap: bool,
    dirty: bool,
    batch: Option<(i64, Option<i64>)>,
    crossed: u64,
}

impl CrossCheck {
    /// An empty checker.
    pub fn new() -> CrossCheck {
        CrossCheck::default()
    }

    /// Best bid price, if any.
    pub fn best_bid(&self) -> Option<Decimal> {
        self.bids.iter().next_back().map(|(_, p)| *p)
    }

    /// Best ask price, if any.
    pub fn best_ask(&self) -> Option<Decimal> {
        self.asks.iter().next().map(|(_, p)| *p)
    }

    /// True when both sides exist and the best bid is at or above the best
    /// ask.
    pub fn is_crossed(&self) -> bool {
        match (self.bids.keys().next_back(), self.asks.keys().next()) {
            (Some(b), Some(a)) => b >= a,
            _ => false,
        }
    }

    /// Number of crossed batches seen.
    pub fn crossed(&self) -> u64 {
        self.crossed
    }

    fn check(&mut self) -> bool {
        if self.dirty && !self.after_gap && !self.in_snapshot {
            self.dirty = false;
            if self.is_crossed() {
                self.crossed += 1;
                return true;
            }
        }
        self.dirty = false;
        false
    }

    /// Feeds one event; returns true when a crossed book was found at the
    /// batch boundary this event marks.
    pub fn observe(&mut self, ev: &MarketEvent) -> bool {
        let mut found = false;
        let t = (ev.exchange_ts, ev.local_ts);
        let is_book = matches!(
            ev.payload,
            Payload::BookLevel { .. } | Payload::BookClear | Payload::SnapshotEnd | Payload::Gap
        );
        if is_book && self.batch != Some(t) {
            found |= self.check();
            self.batch = Some(t);
        }
        match ev.payload {
            Payload::BookClear => {
                self.bids.clear();
                self.asks.clear();
                self.in_snapshot = true;
                self.after_gap = false;
                self.dirty = false;
            }
            Payload::SnapshotEnd => {
                self.in_snapshot = false;
                self.dirty = true;
                found |= self.check();
            }
            Payload::Gap => {
                self.bids.clear();
                self.asks.clear();
                self.after_gap = true;
                self.dirty = false;
            }
            Payload::BookLevel { side, price, qty } => {
                let map = match side {
                    Side::Buy => &mut self.bids,
                    Side::Sell => &mut self.asks,
                };
                let k = decimal_key(price);
                if qty.is_zero() {
                    map.remove(&k);
                } else {
                    map.insert(k, price);
                }
                self.dirty = true;
            }
            _ => {}
        }
        found
    }

    /// Ends the stream: checks the last batch.
    pub fn finish(&mut self) -> bool {
        self.check()
    }
}

/// Wraps an event source and counts crossed books into its stats.
pub struct CrossChecked<S> {
    inner: S,
    check: CrossCheck,
    done: bool,
}

impl<S: EventSource> CrossChecked<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        CrossChecked {
            inner,
            check: CrossCheck::new(),
            done: false,
        }
    }
}

impl<S> CrossChecked<S> {
    /// The wrapped source.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The wrapped source, mutably (reading from it directly bypasses the
    /// check).
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The checker.
    pub fn checker(&self) -> &CrossCheck {
        &self.check
    }
}

impl<S: EventSource> EventSource for CrossChecked<S> {
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>> {
        match self.inner.next_event() {
            Some(Ok(ev)) => {
                self.check.observe(&ev);
                Some(Ok(ev))
            }
            None => {
                if !self.done {
                    self.done = true;
                    self.check.finish();
                }
                None
            }
            other => other,
        }
    }

    fn line_no(&self) -> u64 {
        self.inner.line_no()
    }

    fn origin(&self) -> Option<(std::sync::Arc<str>, u64)> {
        self.inner.origin()
    }

    fn stats(&self) -> ReplayStats {
        let mut s = self.inner.stats();
        s.crossed += self.check.crossed();
        s
    }
}
