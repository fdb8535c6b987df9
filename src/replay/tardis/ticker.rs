//! Tardis `derivative_ticker`: each row gives whatever of funding rate,
//! open interest, index and mark price the exchange published; an empty
//! field means absent, and each present one becomes its own event (in the
//! order funding, open interest, index, mark). `last_price` and
//! `predicted_funding_rate` are not modelled.
//!
//! Owns: the column layout.
//! Must not: carry values forward from earlier rows.

use super::{check_width, col, TimeCols, US};
use crate::replay::error::RowError;
use crate::replay::event::Payload;
use crate::replay::fields::{field_decimal, field_opt_nonneg, field_ts, Fields};
use crate::replay::reader::Out;

/// Parser state for `derivative_ticker`.
pub(super) struct Ticker {
    t: TimeCols,
    funding_ts: Option<usize>,
    funding_rate: Option<usize>,
    open_interest: Option<usize>,
    index_price: Option<usize>,
    mark_price: Option<usize>,
    width: usize,
}

fn get<'a>(f: &Fields, line: &'a [u8], c: Option<usize>) -> &'a [u8] {
    c.map_or(&[][..], |c| f.get(line, c))
}

impl Ticker {
    pub fn from_header(h: &[&[u8]], t: TimeCols) -> Result<Ticker, RowError> {
        Ok(Ticker {
            t,
            funding_ts: col(h, "funding_timestamp"),
            funding_rate: col(h, "funding_rate"),
            open_interest: col(h, "open_interest"),
            index_price: col(h, "index_price"),
            mark_price: col(h, "mark_price"),
            width: h.len(),
        })
    }

    pub fn row(&mut self, f: &Fields, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        check_width(f, self.width)?;
        let (ts, local) = self.t.read(f, line)?;
        let rate = get(f, line, self.funding_rate);
        let rate = if rate.is_empty() {
            None
        } else {
            Some(field_decimal(rate, "funding_rate")?)
        };
        let fts = get(f, line, self.funding_ts);
        let funding_ts = if fts.is_empty() {
            None
        } else {
            Some(field_ts(fts, US, "funding_timestamp")?)
        };
        let oi = field_opt_nonneg(get(f, line, self.open_interest), "open_interest")?;
        let index = field_opt_nonneg(get(f, line, self.index_price), "index_price")?;
        let mark = field_opt_nonneg(get(f, line, self.mark_price), "mark_price")?;
        out.row_time(ts, Some(local));
        let l = Some(local);
        if let Some(rate) = rate {
            out.push(ts, l, Payload::Funding { rate, funding_ts });
        }
        if let Some(qty) = oi {
            out.push(ts, l, Payload::OpenInterest { qty });
        }
        if let Some(price) = index {
            out.push(ts, l, Payload::Index { price });
        }
        if let Some(price) = mark {
            out.push(ts, l, Payload::Mark { price });
        }
        Ok(())
    }
}
