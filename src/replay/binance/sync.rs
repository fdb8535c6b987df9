//! Keeps a Binance futures depth stream in sync with its REST snapshots,
//! by Binance's documented rules: buffer diffs from the start; on a
//! snapshot drop buffered diffs with `u < lastUpdateId`; the first applied
//! diff must have `U <= lastUpdateId <= u`; each next diff's `pu` must equal
//! the previous diff's `u` (streams without `pu`: `U` = previous `u` + 1).
//! A break is a gap: `Gap` is emitted and counted, no level is emitted
//! until the next snapshot re-syncs the book; it is never papered over.
//!
//! Owns: the sync state and the buffer of waiting diffs (a pool of reused
//! diff buffers, so no allocation per diff in steady state).
//! Must not: parse JSON (see `binance::msg`).
//!
//! Timestamps: a buffered diff released after its snapshot keeps its own
//! times, which are earlier in local time than the snapshot line (the REST
//! reply arrives after the websocket diffs that straddle it) but not in
//! exchange update-id order.

use crate::replay::event::Payload;
use crate::replay::event::PriceQty;
use crate::replay::reader::Out;
use crate::types::Side;
use std::collections::VecDeque;

/// One depth diff's ids, times and levels.
#[derive(Debug, Default, Clone)]
pub(crate) struct Diff {
    pub exchange_ts: i64,
    pub local_ts: Option<i64>,
    /// `U`: first update id in the diff.
    pub first: i64,
    /// `u`: last update id in the diff.
    pub last: i64,
    /// `pu`: the previous diff's `u`, where the stream has it.
    pub prev: Option<i64>,
    pub bids: Vec<PriceQty>,
    pub asks: Vec<PriceQty>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No usable book: diffs are buffered until a snapshot.
    Unsynced,
    /// A snapshot was emitted; waiting for the diff that bridges it.
    AwaitBridge { last_update_id: i64 },
    /// In sync; `last` is the last applied diff's `u`.
    Synced { last: i64 },
}

/// The depth synchroniser of one Binance capture.
#[derive(Debug)]
pub(crate) struct DepthSync {
    state: State,
    buffer: VecDeque<Diff>,
    pool: Vec<Diff>,
    max_buffer: usize,
    gap_since_sync: bool,
}

fn emit_levels(d: &Diff, out: &mut Out) {
    for (side, levels) in [(Side::Buy, &d.bids), (Side::Sell, &d.asks)] {
        for l in levels {
            out.push(
                d.exchange_ts,
                d.local_ts,
                Payload::BookLevel {
                    side,
                    price: l.price,
                    qty: l.qty,
                },
            );
        }
    }
}

fn continues(d: &Diff, last: i64) -> bool {
    match d.prev {
        Some(pu) => pu == last,
        None => d.first == last.wrapping_add(1),
    }
}

impl DepthSync {
    /// A synchroniser holding at most `max_buffer` waiting diffs.
    pub fn new(max_buffer: usize) -> DepthSync {
        DepthSync {
            state: State::Unsynced,
            buffer: VecDeque::new(),
            pool: Vec::new(),
            max_buffer: max_buffer.max(1),
            gap_since_sync: false,
        }
    }

    /// True when this symbol waits for a snapshot and its waiting diffs
    /// cover update id `id` (a snapshot with that `lastUpdateId` can
    /// start its book).
    pub fn bridges(&self, id: i64) -> bool {
        !matches!(self.state, State::Synced { .. })
            && self.buffer.front().is_some_and(|d| d.first <= id)
            && self.buffer.back().is_some_and(|d| d.last >= id)
    }

    /// True when the book is in sync (levels are being emitted).
    #[allow(dead_code)]
    pub fn is_synced(&self) -> bool {
        matches!(self.state, State::Synced { .. })
    }

    fn gap(&mut self, d: &Diff, out: &mut Out) {
        out.push(d.exchange_ts, d.local_ts, Payload::Gap);
        out.stats.gaps += 1;
        self.gap_since_sync = true;
        self.state = State::Unsynced;
    }

    fn buffer_copy(&mut self, d: &Diff, out: &mut Out) {
        let mut slot = self.pool.pop().unwrap_or_default();
        slot.clone_from(d);
        self.buffer.push_back(slot);
        while self.buffer.len() > self.max_buffer {
            if let Some(old) = self.buffer.pop_front() {
                self.pool.push(old);
                out.stats.diffs_dropped += 1;
            }
        }
    }

    /// Handles one diff as parsed (the parser's scratch, copied only when
    /// it must wait in the buffer).
    pub fn on_diff(&mut self, d: &Diff, out: &mut Out) {
        match self.state {
            State::Synced { last } => {
                if continues(d, last) {
                    emit_levels(d, out);
                    self.state = State::Synced { last: d.last };
                } else {
                    self.gap(d, out);
                    self.buffer_copy(d, out);
                }
            }
            State::AwaitBridge { last_update_id } => {
                if d.last < last_update_id {
                    out.stats.diffs_dropped += 1;
                } else if d.first <= last_update_id {
                    emit_levels(d, out);
                    self.state = State::Synced { last: d.last };
                } else {
                    self.gap(d, out);
                    self.buffer_copy(d, out);
                }
            }
            State::Unsynced => self.buffer_copy(d, out),
        }
    }

    /// Handles a REST snapshot: emits it (`BookClear`, levels,
    /// `SnapshotEnd`) when it can start a book, then releases the buffered
    /// diffs that follow it.
    pub fn on_snapshot(
        &mut self,
        last_update_id: i64,
        exchange_ts: i64,
        local_ts: Option<i64>,
        bids: &[PriceQty],
        asks: &[PriceQty],
        out: &mut Out,
    ) {
        if let State::Synced { .. } = self.state {
            out.stats.snapshots_ignored += 1;
            return;
        }
        while self.buffer.front().is_some_and(|d| d.last < last_update_id) {
            if let Some(d) = self.buffer.pop_front() {
                self.pool.push(d);
                out.stats.diffs_dropped += 1;
            }
        }
        if let Some(first) = self.buffer.front() {
            if first.first > last_update_id {
                // The snapshot is older than every waiting diff: it cannot
                // be bridged. The book stays unknown until a newer one.
                out.push(exchange_ts, local_ts, Payload::Gap);
                out.stats.gaps += 1;
                self.gap_since_sync = true;
                return;
            }
        }
        out.push(exchange_ts, local_ts, Payload::BookClear);
        for (side, levels) in [(Side::Buy, bids), (Side::Sell, asks)] {
            for l in levels.iter().filter(|l| !l.qty.is_zero()) {
                out.push(
                    exchange_ts,
                    local_ts,
                    Payload::BookLevel {
                        side,
                        price: l.price,
                        qty: l.qty,
                    },
                );
            }
        }
        out.push(exchange_ts, local_ts, Payload::SnapshotEnd);
        out.stats.snapshots += 1;
        if self.gap_since_sync {
            out.stats.resyncs += 1;
            self.gap_since_sync = false;
        }
        self.state = State::AwaitBridge { last_update_id };
        while let Some(d) = self.buffer.pop_front() {
            match self.state {
                State::Unsynced => {
                    // A gap inside the buffer: keep the rest waiting.
                    self.buffer.push_front(d);
                    break;
                }
                _ => self.on_diff(&d, out),
            }
            self.pool.push(d);
        }
        // `on_diff` re-buffers the diff that broke the chain; everything
        // after it is still in the buffer behind it, in order.
        if self.state == State::Unsynced {
            self.rotate_rebuffered();
        }
    }

    /// After a gap inside the released buffer, `on_diff` appended the
    /// breaking diff at the back; move it to the front so that file order
    /// is kept.
    fn rotate_rebuffered(&mut self) {
        if let Some(d) = self.buffer.pop_back() {
            self.buffer.push_front(d);
        }
    }
}
