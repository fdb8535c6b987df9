//! The LOBSTER orderbook file: row i is the visible book (top N levels)
//! right after message i. Empty levels carry LOBSTER's dummy values (ask
//! price 9999999999, bid price -9999999999, size 0) and are left out.
//!
//! Owns: the row layout and a streaming row reader that reuses one row.
//! Must not: compare books (the `--verify` driver does).

use super::price;
use crate::replay::error::RowError;
use crate::replay::event::PriceQty;
use crate::replay::fields::{field_i64, Fields};
use crate::replay::input::LineSource;
use crate::replay::ReplayError;
use crate::types::Decimal;
use std::path::Path;

/// LOBSTER's ask price for an empty level.
pub const EMPTY_ASK: i64 = 9_999_999_999;
/// LOBSTER's bid price for an empty level.
pub const EMPTY_BID: i64 = -9_999_999_999;

/// One orderbook row: the non-empty levels of each side, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BookRow {
    /// Ask levels, lowest price first.
    pub asks: Vec<PriceQty>,
    /// Bid levels, highest price first.
    pub bids: Vec<PriceQty>,
    /// Number of levels per side the file carries (N).
    pub depth: usize,
}

/// Parses one orderbook row into `row` (reusing its vectors).
pub fn parse_book_row(line: &[u8], row: &mut BookRow) -> Result<(), String> {
    let mut f = Fields::default();
    parse_with(&mut f, line, row).map_err(|e| e.message)
}

fn parse_with(f: &mut Fields, line: &[u8], row: &mut BookRow) -> Result<(), RowError> {
    f.split(line, b',');
    if !f.len().is_multiple_of(4) || f.len() == 0 {
        return Err(RowError::row(format!(
            "expected 4 fields per level, found {}",
            f.len()
        )));
    }
    row.asks.clear();
    row.bids.clear();
    row.depth = f.len() / 4;
    for k in 0..row.depth {
        let ap = field_i64(f.get(line, 4 * k), "ask price")?;
        let az = field_i64(f.get(line, 4 * k + 1), "ask size")?;
        let bp = field_i64(f.get(line, 4 * k + 2), "bid price")?;
        let bz = field_i64(f.get(line, 4 * k + 3), "bid size")?;
        for (p, z, empty, into, what) in [
            (ap, az, EMPTY_ASK, &mut row.asks, "ask"),
            (bp, bz, EMPTY_BID, &mut row.bids, "bid"),
        ] {
            if p == empty {
                continue;
            }
            if p < 0 || z < 0 {
                return Err(RowError::row(format!(
                    "{what} level {}: negative price or size ({p}, {z})",
                    k + 1
                )));
            }
            into.push(PriceQty {
                price: price(p),
                qty: Decimal::new(z as i128, 0),
            });
        }
    }
    Ok(())
}

/// Streams the rows of an orderbook file, one reused row at a time. Every
/// row must carry as many levels as the first.
pub struct OrderbookReader {
    src: LineSource,
    fields: Fields,
    row: BookRow,
    depth: Option<usize>,
}

impl OrderbookReader {
    /// Opens an orderbook file (plain or gzip).
    pub fn open(path: &Path) -> Result<OrderbookReader, ReplayError> {
        Ok(OrderbookReader::from_source(LineSource::open(path, None)?))
    }

    /// Reads from an already opened source.
    pub fn from_source(src: LineSource) -> OrderbookReader {
        OrderbookReader {
            src,
            fields: Fields::default(),
            row: BookRow::default(),
            depth: None,
        }
    }

    /// The file's name.
    pub fn name(&self) -> &std::sync::Arc<str> {
        self.src.name()
    }

    /// The 1-based number of the row last returned.
    pub fn line_no(&self) -> u64 {
        self.src.line_no()
    }

    /// The next row; `None` at the end. Errors name file and line.
    pub fn next_row(&mut self) -> Option<Result<&BookRow, ReplayError>> {
        let line = loop {
            match self.src.next_line() {
                Err(e) => return Some(Err(e)),
                Ok(None) => return None,
                Ok(Some(l)) if l.iter().all(u8::is_ascii_whitespace) => continue,
                Ok(Some(l)) => break l,
            }
        };
        let parsed = parse_with(&mut self.fields, line, &mut self.row).and_then(|()| {
            let depth = *self.depth.get_or_insert(self.row.depth);
            if self.row.depth == depth {
                Ok(())
            } else {
                Err(RowError::row(format!(
                    "expected {} fields ({depth} levels, as row 1), found {}",
                    4 * depth,
                    4 * self.row.depth
                )))
            }
        });
        match parsed {
            Ok(()) => Some(Ok(&self.row)),
            Err(e) => Some(Err(ReplayError::new(
                self.src.name(),
                self.src.line_no(),
                e.message,
            ))),
        }
    }
}
