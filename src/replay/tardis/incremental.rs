//! Tardis `incremental_book_L2`: one level update per row. A run of
//! `is_snapshot=true` rows that follows update rows (or opens the file) is
//! a fresh snapshot: `BookClear` before its first row, `SnapshotEnd` when
//! the first update row (or the end of the file) follows it.
//!
//! Owns: the snapshot-run state of each symbol of one file (a grouped
//! file interleaves several symbols' runs).
//! Must not: check book consistency (see `CrossCheck`).

use super::{check_width, need, TimeCols};
use crate::replay::error::RowError;
use crate::replay::event::Payload;
use crate::replay::fields::{field_nonneg, show, Fields};
use crate::replay::reader::Out;
use crate::replay::symbols::PerSymbol;
use crate::types::Side;

/// Where one symbol's snapshot run stands.
#[derive(Debug, Default)]
struct Run {
    in_snapshot: bool,
    last: (i64, Option<i64>),
}

/// Parser state for `incremental_book_L2`.
pub(super) struct Incremental {
    t: TimeCols,
    is_snapshot: usize,
    side: usize,
    price: usize,
    amount: usize,
    width: usize,
    runs: PerSymbol<Run>,
}

impl Incremental {
    pub fn from_header(h: &[&[u8]], t: TimeCols) -> Result<Incremental, RowError> {
        Ok(Incremental {
            t,
            is_snapshot: need(h, "is_snapshot")?,
            side: need(h, "side")?,
            price: need(h, "price")?,
            amount: need(h, "amount")?,
            width: h.len(),
            runs: PerSymbol::default(),
        })
    }

    #[inline]
    pub fn row(&mut self, f: &Fields, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        check_width(f, self.width)?;
        let (ts, local) = self.t.read(f, line)?;
        let snap = match f.get(line, self.is_snapshot) {
            b"true" => true,
            b"false" => false,
            other => {
                return Err(RowError::row(format!(
                    "is_snapshot: expected true or false ({:?})",
                    show(other)
                )))
            }
        };
        let side = match f.get(line, self.side) {
            b"bid" | b"buy" => Side::Buy,
            b"ask" | b"sell" => Side::Sell,
            other => {
                return Err(RowError::row(format!(
                    "side: expected bid or ask ({:?})",
                    show(other)
                )))
            }
        };
        let price = field_nonneg(f.get(line, self.price), "price")?;
        let qty = field_nonneg(f.get(line, self.amount), "amount")?;
        // The row is valid: commit.
        out.row_time(ts, Some(local));
        let run = self.runs.get(out.symbol);
        if snap && !run.in_snapshot {
            out.push(ts, Some(local), Payload::BookClear);
            out.stats.snapshots += 1;
            run.in_snapshot = true;
        } else if !snap && run.in_snapshot {
            out.push(run.last.0, run.last.1, Payload::SnapshotEnd);
            run.in_snapshot = false;
        }
        out.push(ts, Some(local), Payload::BookLevel { side, price, qty });
        run.last = (ts, Some(local));
        Ok(())
    }

    pub fn finish(&mut self, out: &mut Out) {
        for (sym, run) in self.runs.iter_mut() {
            if run.in_snapshot {
                out.symbol = sym;
                out.push(run.last.0, run.last.1, Payload::SnapshotEnd);
                run.in_snapshot = false;
            }
        }
    }
}
