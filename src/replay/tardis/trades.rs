//! Tardis `trades` and `liquidations`: one print per row. For trades
//! `side` is the taker's side (`unknown` allowed); for liquidations it is
//! the liquidation order's side. Non-numeric ids (BitMEX UUIDs) become
//! `None`.
//!
//! Owns: the column layout of both files.
//! Must not: guess an unknown side.

use super::{check_width, col, need, TimeCols};
use crate::replay::error::RowError;
use crate::replay::event::{Payload, TradeKind};
use crate::replay::fields::{field_nonneg, show, Fields};
use crate::replay::num::parse_u64;
use crate::replay::reader::Out;
use crate::types::Side;

/// Parser state for `trades` / `liquidations`.
pub(super) struct Trades {
    t: TimeCols,
    id: Option<usize>,
    side: usize,
    price: usize,
    amount: usize,
    width: usize,
    liquidations: bool,
}

impl Trades {
    pub fn from_header(h: &[&[u8]], t: TimeCols, liquidations: bool) -> Result<Trades, RowError> {
        Ok(Trades {
            t,
            id: col(h, "id"),
            side: need(h, "side")?,
            price: need(h, "price")?,
            amount: need(h, "amount")?,
            width: h.len(),
            liquidations,
        })
    }

    pub fn row(&mut self, f: &Fields, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        check_width(f, self.width)?;
        let (ts, local) = self.t.read(f, line)?;
        let side = match f.get(line, self.side) {
            b"buy" => Some(Side::Buy),
            b"sell" => Some(Side::Sell),
            b"unknown" | b"" if !self.liquidations => None,
            other => {
                return Err(RowError::row(format!(
                    "side: expected buy or sell ({:?})",
                    show(other)
                )))
            }
        };
        let price = field_nonneg(f.get(line, self.price), "price")?;
        let qty = field_nonneg(f.get(line, self.amount), "amount")?;
        let payload = match (self.liquidations, side) {
            (true, Some(side)) => Payload::Liquidation {
                side,
                price,
                qty,
                avg_price: None,
                filled_qty: None,
            },
            _ => Payload::Trade {
                aggressor: side,
                price,
                qty,
                id: self.id.and_then(|i| parse_u64(f.get(line, i)).ok()),
                kind: TradeKind::Regular,
            },
        };
        out.row_time(ts, Some(local));
        out.push(ts, Some(local), payload);
        Ok(())
    }
}
