//! Tardis `incremental_book_L2`: one level update per row. A run of
//! `is_snapshot=true` rows that follows update rows (or opens the file) is
//! a fresh snapshot: `BookClear` before its first row, `SnapshotEnd` when
//! the first update row (or the end of the file) follows it.
//!
//! Owns: the snapshot-run state of one file.
//! Must not: check book consistency (see `CrossCheck`).

use super::{check_width, need, TimeCols};
use crate::replay::error::RowError;
use crate::replay::event::Payload;
use crate::replay::fields::{field_nonneg, show, Fields};
use crate::replay::reader::Out;
use crate::types::Side;

/// Parser state for `incremental_book_L2`.
pub(super) struct Incremental {
    t: TimeCols,
    is_snapshot: usize,
    side: usize,
    price: usize,
    amount: usize,
    width: usize,
    in_snapshot: bool,
    last: (i64, Option<i64>),
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
            in_snapshot: false,
            last: (0, None),
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
        if snap && !self.in_snapshot {
            out.push(ts, Some(local), Payload::BookClear);
            out.stats.snapshots += 1;
            self.in_snapshot = true;
        } else if !snap && self.in_snapshot {
            out.push(self.last.0, self.last.1, Payload::SnapshotEnd);
            self.in_snapshot = false;
        }
        out.push(ts, Some(local), Payload::BookLevel { side, price, qty });
        self.last = (ts, Some(local));
        Ok(())
    }

    pub fn finish(&mut self, out: &mut Out) {
        if self.in_snapshot {
            out.push(self.last.0, self.last.1, Payload::SnapshotEnd);
            self.in_snapshot = false;
        }
    }
}
