//! Tardis.dev downloadable CSV files: the data type is detected from the
//! header row, then each row becomes events.
//!
//! Owns: header detection (`TardisKind`) and the dispatch to one parser
//! per data type (`incremental_book_L2`, `book_snapshot_N`, `trades`,
//! `liquidations`, `quotes`, `derivative_ticker`).
//! Must not: merge files (see `merge`) or reorder rows.
//!
//! Timestamps: `timestamp` (exchange) and `local_timestamp` (Tardis'
//! receive time) are integer microseconds; events carry them in ns.
//! `trades` and `liquidations` share one header; a file whose name contains
//! `liquidation` is read as liquidations (or say so with
//! [`TardisKind::Liquidations`]).

mod incremental;
mod quotes;
mod snapshot;
mod ticker;
mod trades;

use super::error::RowError;
use super::fields::{field_ts, show, Fields};
use super::reader::{Out, RowParser};

/// The Tardis data types this reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TardisKind {
    /// `incremental_book_L2`: level updates, with `is_snapshot` runs.
    IncrementalBookL2,
    /// `book_snapshot_N`: top-N snapshots, N from the header.
    BookSnapshot,
    /// `trades`.
    Trades,
    /// `liquidations` (same columns as trades).
    Liquidations,
    /// `quotes`: top of book.
    Quotes,
    /// `derivative_ticker`: mark, index, funding, open interest.
    DerivativeTicker,
}

/// Microseconds to ns.
const US: i64 = 1_000;

/// Index of the column named `name`.
fn col(header: &[&[u8]], name: &str) -> Option<usize> {
    header.iter().position(|h| *h == name.as_bytes())
}

/// Index of a required column.
fn need(header: &[&[u8]], name: &str) -> Result<usize, RowError> {
    col(header, name).ok_or_else(|| RowError::fatal(format!("header has no `{name}` column")))
}

/// The two time columns every Tardis file has.
#[derive(Clone, Copy, Debug)]
struct TimeCols {
    ts: usize,
    local: usize,
}

impl TimeCols {
    fn from_header(h: &[&[u8]]) -> Result<TimeCols, RowError> {
        Ok(TimeCols {
            ts: need(h, "timestamp")?,
            local: need(h, "local_timestamp")?,
        })
    }

    /// (exchange ns, local ns) of a row; records the row time in `out`.
    #[inline]
    fn read(&self, f: &Fields, line: &[u8]) -> Result<(i64, i64), RowError> {
        let ts = field_ts(f.get(line, self.ts), US, "timestamp")?;
        let local = field_ts(f.get(line, self.local), US, "local_timestamp")?;
        Ok((ts, local))
    }
}

/// Detects the data type from the header fields.
pub fn detect(header: &[&[u8]], name_hint: &str) -> Option<TardisKind> {
    let has = |n: &str| col(header, n).is_some();
    if has("is_snapshot") && has("side") && has("price") && has("amount") {
        Some(TardisKind::IncrementalBookL2)
    } else if has("asks[0].price") || has("bids[0].price") {
        Some(TardisKind::BookSnapshot)
    } else if has("funding_rate") || has("mark_price") || has("open_interest") {
        Some(TardisKind::DerivativeTicker)
    } else if has("ask_price") && has("bid_price") {
        Some(TardisKind::Quotes)
    } else if has("side") && has("price") && has("amount") {
        if name_hint.to_ascii_lowercase().contains("liquidation") {
            Some(TardisKind::Liquidations)
        } else {
            Some(TardisKind::Trades)
        }
    } else {
        None
    }
}

enum State {
    Header,
    Incremental(incremental::Incremental),
    Snapshot(Box<snapshot::Snapshot>),
    Trades(trades::Trades),
    Quotes(quotes::Quotes),
    Ticker(ticker::Ticker),
}

/// The row parser for one Tardis CSV file.
pub(crate) struct TardisParser {
    fields: Fields,
    state: State,
    name_hint: String,
    forced: Option<TardisKind>,
    kind: Option<TardisKind>,
}

impl TardisParser {
    /// A parser for a file called `name_hint` (used only to tell
    /// liquidations from trades); `forced` overrides header detection.
    pub fn new(name_hint: &str, forced: Option<TardisKind>) -> TardisParser {
        TardisParser {
            fields: Fields::default(),
            state: State::Header,
            name_hint: name_hint.to_string(),
            forced,
            kind: None,
        }
    }

    /// The detected data type (after the header row).
    #[allow(dead_code)]
    pub fn kind(&self) -> Option<TardisKind> {
        self.kind
    }

    fn header(&mut self, line: &[u8]) -> Result<(), RowError> {
        self.fields.split(line, b',');
        let h: Vec<&[u8]> = (0..self.fields.len())
            .map(|i| self.fields.get(line, i))
            .collect();
        let kind = match self.forced.or_else(|| detect(&h, &self.name_hint)) {
            Some(k) => k,
            None => {
                return Err(RowError::fatal(format!(
                    "not a Tardis CSV header (unknown columns): {:?}",
                    show(line)
                )))
            }
        };
        let t = TimeCols::from_header(&h)?;
        self.state = match kind {
            TardisKind::IncrementalBookL2 => {
                State::Incremental(incremental::Incremental::from_header(&h, t)?)
            }
            TardisKind::BookSnapshot => {
                State::Snapshot(Box::new(snapshot::Snapshot::from_header(&h, t)?))
            }
            TardisKind::Trades => State::Trades(trades::Trades::from_header(&h, t, false)?),
            TardisKind::Liquidations => State::Trades(trades::Trades::from_header(&h, t, true)?),
            TardisKind::Quotes => State::Quotes(quotes::Quotes::from_header(&h, t)?),
            TardisKind::DerivativeTicker => State::Ticker(ticker::Ticker::from_header(&h, t)?),
        };
        self.kind = Some(kind);
        Ok(())
    }
}

impl RowParser for TardisParser {
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        if let State::Header = self.state {
            return self.header(line);
        }
        let f = &mut self.fields;
        f.split(line, b',');
        match &mut self.state {
            State::Header => Ok(()),
            State::Incremental(p) => p.row(f, line, out),
            State::Snapshot(p) => p.row(f, line, out),
            State::Trades(p) => p.row(f, line, out),
            State::Quotes(p) => p.row(f, line, out),
            State::Ticker(p) => p.row(f, line, out),
        }
    }

    fn finish(&mut self, out: &mut Out) {
        if let State::Incremental(p) = &mut self.state {
            p.finish(out);
        }
    }
}

/// Checks that a row has as many fields as the header.
#[inline]
fn check_width(f: &Fields, width: usize) -> Result<(), RowError> {
    if f.len() != width {
        return Err(RowError::row(format!(
            "expected {width} fields, found {}",
            f.len()
        )));
    }
    Ok(())
}
