//! The machinery every line-based reader shares: pull a line, hand it to a
//! format's row parser, queue the events it emits, turn row errors into
//! `ReplayError`s (or count and skip them), track row order.
//!
//! Owns: `EventSource` (the trait every reader and merged stream
//! implements), `RowParser` (what a format implements), `Out` (where a
//! parser emits) and `LineReader` (the loop joining them).
//! Must not: know any vendor format.

use super::error::RowError;
use super::event::{MarketEvent, Payload};
use super::input::LineSource;
use super::stats::ReplayStats;
use super::symbols::SymbolId;
use super::ReplayError;
use std::sync::Arc;

/// A stream of market events with the counters it kept. Every reader, and
/// the merged stream `open` returns, implements it; it is also an
/// `Iterator` through [`Events`].
pub trait EventSource: Send {
    /// The next event; `None` at the end. After an error the source is
    /// finished and returns `None`.
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>>;
    /// What the source has counted so far.
    fn stats(&self) -> ReplayStats;

    /// The 1-based line the event last returned came from (0: unknown).
    /// Cheap: called once per event by merged streams.
    fn line_no(&self) -> u64 {
        0
    }

    /// The file and line the event last returned came from, where known
    /// (for errors found after reading, e.g. a price off the tick).
    fn origin(&self) -> Option<(Arc<str>, u64)> {
        None
    }

    /// Feeds every event to `f` (the callback form of the stream); stops
    /// at, and returns, the first error.
    fn for_each_event<F: FnMut(&MarketEvent)>(&mut self, mut f: F) -> Result<(), ReplayError>
    where
        Self: Sized,
    {
        while let Some(r) = self.next_event() {
            f(&r?);
        }
        Ok(())
    }
}

impl<S: EventSource + ?Sized> EventSource for Box<S> {
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>> {
        (**self).next_event()
    }
    fn stats(&self) -> ReplayStats {
        (**self).stats()
    }
    fn line_no(&self) -> u64 {
        (**self).line_no()
    }
    fn origin(&self) -> Option<(Arc<str>, u64)> {
        (**self).origin()
    }
}

/// Adapts any [`EventSource`] into an `Iterator`.
#[derive(Debug)]
pub struct Events<S>(pub S);

impl<S: EventSource> Iterator for Events<S> {
    type Item = Result<MarketEvent, ReplayError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_event()
    }
}

/// Where a row parser emits events and reports row times.
#[derive(Debug, Default)]
pub(crate) struct Out {
    /// Events emitted and not yet yielded; `head` is the next to yield.
    pub queue: Vec<MarketEvent>,
    head: usize,
    pub stats: ReplayStats,
    /// The symbol of the row being parsed: every event pushed carries it.
    pub symbol: SymbolId,
    last_order_ts: Option<i64>,
    last_exchange_ts: Option<i64>,
}

impl Out {
    /// Queues one event.
    #[inline]
    pub fn push(&mut self, exchange_ts: i64, local_ts: Option<i64>, payload: Payload) {
        self.queue.push(MarketEvent {
            exchange_ts,
            local_ts,
            symbol: self.symbol,
            payload,
        });
    }

    /// The next queued event, if any.
    #[inline]
    pub fn pop(&mut self) -> Option<MarketEvent> {
        match self.queue.get(self.head) {
            Some(&ev) => {
                self.head += 1;
                Some(ev)
            }
            None => {
                self.queue.clear();
                self.head = 0;
                None
            }
        }
    }

    /// Records the times of one row (of symbol `self.symbol`), counting
    /// rows that go back in time. Call once per row, after the row parsed.
    #[inline]
    pub fn row_time(&mut self, exchange_ts: i64, local_ts: Option<i64>) {
        self.stats.count_symbol_row(self.symbol);
        let order = local_ts.unwrap_or(exchange_ts);
        if let Some(prev) = self.last_order_ts {
            if order < prev {
                self.stats.out_of_order += 1;
            }
        }
        if let Some(prev) = self.last_exchange_ts {
            if exchange_ts < prev {
                self.stats.exchange_ts_regressions += 1;
            }
        }
        self.last_order_ts = Some(order);
        self.last_exchange_ts = Some(exchange_ts);
    }
}

/// One vendor format's row logic. A parser must leave its state unchanged
/// when it returns an error (validate first, then commit), so that a
/// skipped row leaves no trace.
pub(crate) trait RowParser: Send {
    /// Parses one non-blank line and emits its events into `out`.
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError>;
    /// Called once at the end of the input (e.g. to close a snapshot).
    fn finish(&mut self, _out: &mut Out) {}
}

/// Reader options every format shares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RowPolicy {
    /// Skip (and count) rows that do not parse instead of stopping with an
    /// error. A truncated or corrupt compressed stream, and a bad header,
    /// still stop the reader.
    pub skip_bad_rows: bool,
}

/// A line-based reader: a [`LineSource`] driven through a [`RowParser`].
pub(crate) struct LineReader<P> {
    src: LineSource,
    parser: P,
    out: Out,
    policy: RowPolicy,
    finished: bool,
    /// The `--format` name, for the hint when the first row fails.
    format: &'static str,
}

impl<P: RowParser> LineReader<P> {
    /// A reader of `src` with `parser`, for format `format` (as `--format`
    /// names it).
    pub fn new(src: LineSource, parser: P, policy: RowPolicy, format: &'static str) -> Self {
        LineReader {
            src,
            parser,
            out: Out::default(),
            policy,
            finished: false,
            format,
        }
    }

    /// A reader whose first events are `prelude` (e.g. a seeded book).
    pub fn with_prelude(mut self, prelude: Vec<MarketEvent>) -> Self {
        self.out.queue.extend(prelude);
        self
    }

    /// The end of the input: every row refused means the file is not what
    /// the reader reads (with `skip_bad_rows` too).
    fn end_error(&self) -> Option<ReplayError> {
        let st = &self.out.stats;
        if st.rows == 0 {
            return Some(ReplayError::file(
                self.src.name(),
                "is empty (blank lines only)",
            ));
        }
        if st.bad_rows_skipped > 0 && st.events.total() == 0 {
            let first = st.first_bad_row.as_ref()?;
            return Some(ReplayError::new(
                self.src.name(),
                first.line,
                format!("no row could be read, the first: {}", first.message),
            ));
        }
        None
    }
}

impl<P: RowParser> EventSource for LineReader<P> {
    fn next_event(&mut self) -> Option<Result<MarketEvent, ReplayError>> {
        loop {
            if let Some(ev) = self.out.pop() {
                self.out.stats.count_event(&ev);
                return Some(Ok(ev));
            }
            if self.finished {
                return None;
            }
            let line = match self.src.next_line() {
                Err(e) => {
                    self.finished = true;
                    return Some(Err(e));
                }
                Ok(None) => {
                    self.finished = true;
                    if let Some(e) = self.end_error() {
                        self.out.queue.clear();
                        return Some(Err(e));
                    }
                    self.parser.finish(&mut self.out);
                    continue;
                }
                Ok(Some(line)) => line,
            };
            if line.iter().all(|c| c.is_ascii_whitespace()) {
                continue;
            }
            self.out.stats.rows += 1;
            let mark = self.out.queue.len();
            if let Err(e) = self.parser.parse_row(line, &mut self.out) {
                self.out.queue.truncate(mark);
                let mut message = e.message;
                if self.out.stats.rows == 1 {
                    message.push_str(&super::sniff::hint(line, self.format));
                }
                let err = ReplayError::new(self.src.name(), self.src.line_no(), message);
                if self.policy.skip_bad_rows && !e.fatal {
                    self.out.stats.bad_rows_skipped += 1;
                    if self.out.stats.first_bad_row.is_none() {
                        self.out.stats.first_bad_row = Some(err);
                    }
                    continue;
                }
                self.finished = true;
                self.out.queue.clear();
                return Some(Err(err));
            }
        }
    }

    fn stats(&self) -> ReplayStats {
        self.out.stats.clone()
    }

    fn line_no(&self) -> u64 {
        self.src.line_no()
    }

    fn origin(&self) -> Option<(Arc<str>, u64)> {
        Some((Arc::clone(self.src.name()), self.src.line_no()))
    }
}
