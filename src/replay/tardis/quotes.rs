//! Tardis `quotes`: best bid and offer per row; empty fields mean that
//! side of the book is empty.
//!
//! Owns: the column layout.
//! Must not: derive anything (mid, spread) from the quote.

use super::{check_width, need, TimeCols};
use crate::replay::error::RowError;
use crate::replay::event::{Payload, PriceQty};
use crate::replay::fields::{field_opt_nonneg, Fields};
use crate::replay::reader::Out;

/// Parser state for `quotes`.
pub(super) struct Quotes {
    t: TimeCols,
    ask_amount: usize,
    ask_price: usize,
    bid_price: usize,
    bid_amount: usize,
    width: usize,
}

fn side(
    p: Option<crate::types::Decimal>,
    q: Option<crate::types::Decimal>,
    what: &str,
) -> Result<Option<PriceQty>, RowError> {
    match (p, q) {
        (Some(price), Some(qty)) => Ok(Some(PriceQty { price, qty })),
        (None, None) => Ok(None),
        _ => Err(RowError::row(format!(
            "{what}: price and amount must both be present or both empty"
        ))),
    }
}

impl Quotes {
    pub fn from_header(h: &[&[u8]], t: TimeCols) -> Result<Quotes, RowError> {
        Ok(Quotes {
            t,
            ask_amount: need(h, "ask_amount")?,
            ask_price: need(h, "ask_price")?,
            bid_price: need(h, "bid_price")?,
            bid_amount: need(h, "bid_amount")?,
            width: h.len(),
        })
    }

    pub fn row(&mut self, f: &Fields, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        check_width(f, self.width)?;
        let (ts, local) = self.t.read(f, line)?;
        let bid = side(
            field_opt_nonneg(f.get(line, self.bid_price), "bid_price")?,
            field_opt_nonneg(f.get(line, self.bid_amount), "bid_amount")?,
            "bid",
        )?;
        let ask = side(
            field_opt_nonneg(f.get(line, self.ask_price), "ask_price")?,
            field_opt_nonneg(f.get(line, self.ask_amount), "ask_amount")?,
            "ask",
        )?;
        out.row_time(ts, Some(local));
        out.push(ts, Some(local), Payload::Quote { bid, ask });
        Ok(())
    }
}
