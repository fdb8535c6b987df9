//! Tardis `book_snapshot_N` (any N): each row is the top N levels of both
//! sides; successive rows are diffed into level updates by
//! `SnapshotDiffer`. Empty price/amount fields (fewer than N levels) mean
//! the level is absent.
//!
//! Owns: the column layout read from the header.
//! Must not: invent levels beyond the N the file shows.

use super::{check_width, TimeCols};
use crate::replay::error::RowError;
use crate::replay::fields::{field_nonneg, Fields};
use crate::replay::reader::Out;
use crate::replay::snapshot_diff::SnapshotDiffer;
use crate::replay::symbols::PerSymbol;
use crate::types::Side;

/// Parser state for `book_snapshot_N`.
pub(super) struct Snapshot {
    t: TimeCols,
    /// (side, price column, amount column) for every level in the header.
    levels: Vec<(Side, usize, usize)>,
    width: usize,
    /// The previous snapshot of each symbol.
    differ: PerSymbol<SnapshotDiffer>,
}

fn parse_level_col(name: &[u8]) -> Option<(Side, usize, bool)> {
    let s = std::str::from_utf8(name).ok()?;
    let (side, rest) = if let Some(r) = s.strip_prefix("asks[") {
        (Side::Sell, r)
    } else if let Some(r) = s.strip_prefix("bids[") {
        (Side::Buy, r)
    } else {
        return None;
    };
    let (n, field) = rest.split_once("].")?;
    let n: usize = n.parse().ok()?;
    match field {
        "price" => Some((side, n, true)),
        "amount" => Some((side, n, false)),
        _ => None,
    }
}

impl Snapshot {
    pub fn from_header(h: &[&[u8]], t: TimeCols) -> Result<Snapshot, RowError> {
        let mut levels = Vec::new();
        for (i, name) in h.iter().enumerate() {
            if let Some((side, n, true)) = parse_level_col(name) {
                let amount = h.iter().position(|a| {
                    parse_level_col(a).is_some_and(|(s2, n2, p)| s2 == side && n2 == n && !p)
                });
                match amount {
                    Some(a) => levels.push((side, i, a)),
                    None => {
                        return Err(RowError::fatal(format!(
                            "header has a price but no amount column for level {n}"
                        )))
                    }
                }
            }
        }
        if levels.is_empty() {
            return Err(RowError::fatal("header has no level columns"));
        }
        Ok(Snapshot {
            t,
            levels,
            width: h.len(),
            differ: PerSymbol::default(),
        })
    }

    pub fn row(&mut self, f: &Fields, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        check_width(f, self.width)?;
        let (ts, local) = self.t.read(f, line)?;
        let differ = self.differ.get(out.symbol);
        differ.begin();
        for &(side, pc, ac) in &self.levels {
            let (p, a) = (f.get(line, pc), f.get(line, ac));
            if p.is_empty() && a.is_empty() {
                continue;
            }
            let price = field_nonneg(p, "price")?;
            let qty = field_nonneg(a, "amount")?;
            differ.push(side, price, qty);
        }
        differ.commit(ts, Some(local), out)?;
        out.row_time(ts, Some(local));
        Ok(())
    }
}
