//! The LOBSTER message file: one event per row.
//!
//! Owns: the row layout and its mapping to events: 1 `OrderAdd`,
//! 2 `OrderReduce` (size is the amount cancelled), 3 `OrderDelete`,
//! 4 `OrderExecute` (of the visible resting order: direction -1, a sell
//! order, means a buyer took it), 5 `HiddenExecute`, 6 `Cross` (order id
//! -1 opening, -2 closing, other negatives other crosses), 7 `Halt`
//! (price -1), `QuoteResume` (price 0), `Resume` (price 1).
//! Must not: track orders.

use super::price;
use crate::replay::error::RowError;
use crate::replay::event::Payload;
use crate::replay::fields::{field_i64, show, Fields};
use crate::replay::num::parse_seconds_ns;
use crate::replay::reader::{Out, RowParser};
use crate::replay::symbols::SymbolId;
use crate::types::{Decimal, Side};

/// One message row, in LOBSTER's raw integer units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LobsterMessage {
    /// ns after midnight.
    pub time_ns: i64,
    /// Event type, 1..=7.
    pub kind: u8,
    /// Order id (negative for crosses).
    pub order_id: i64,
    /// Size in shares.
    pub size: i64,
    /// Price in USD x 10000.
    pub price: i64,
    /// 1 buy order, -1 sell order.
    pub direction: i8,
}

impl LobsterMessage {
    /// The side of the order the message is about.
    pub fn side(&self) -> Side {
        if self.direction > 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    /// The event payload.
    pub fn payload(&self) -> Payload {
        let (side, p, q) = (
            self.side(),
            price(self.price),
            Decimal::new(self.size as i128, 0),
        );
        let id = self.order_id.max(0) as u64;
        match self.kind {
            1 => Payload::OrderAdd {
                id,
                side,
                price: p,
                qty: q,
            },
            2 => Payload::OrderReduce {
                id,
                side,
                price: p,
                qty: q,
            },
            3 => Payload::OrderDelete {
                id,
                side,
                price: p,
                qty: q,
            },
            4 => Payload::OrderExecute {
                id,
                side,
                price: p,
                qty: q,
            },
            5 => Payload::HiddenExecute {
                side,
                price: p,
                qty: q,
            },
            6 => Payload::Cross {
                price: p,
                qty: q,
                kind: self.order_id,
            },
            _ => match self.price {
                -1 => Payload::Halt,
                0 => Payload::QuoteResume,
                _ => Payload::Resume,
            },
        }
    }
}

/// Parses one message row.
pub fn parse_message(line: &[u8]) -> Result<LobsterMessage, String> {
    let mut f = Fields::default();
    parse_with(&mut f, line).map_err(|e| e.message)
}

fn parse_with(f: &mut Fields, line: &[u8]) -> Result<LobsterMessage, RowError> {
    f.split(line, b',');
    if f.len() != 6 {
        return Err(RowError::row(format!(
            "expected 6 fields (time,type,order_id,size,price,direction), found {}",
            f.len()
        )));
    }
    let t = f.get(line, 0);
    let time_ns = parse_seconds_ns(t)
        .map_err(|e| RowError::row(format!("time: {} ({:?})", e.as_str(), show(t))))?;
    let kind = field_i64(f.get(line, 1), "type")?;
    if !(1..=7).contains(&kind) {
        return Err(RowError::row(format!("type: expected 1 to 7 ({kind})")));
    }
    let kind = kind as u8;
    let order_id = field_i64(f.get(line, 2), "order_id")?;
    let size = field_i64(f.get(line, 3), "size")?;
    let price = field_i64(f.get(line, 4), "price")?;
    let direction = field_i64(f.get(line, 5), "direction")?;
    if kind != 7 {
        if direction != 1 && direction != -1 {
            return Err(RowError::row(format!(
                "direction: expected 1 or -1 ({direction})"
            )));
        }
        if size < 0 {
            return Err(RowError::row(format!("size: negative ({size})")));
        }
        if price < 0 {
            return Err(RowError::row(format!("price: negative ({price})")));
        }
        if kind != 6 && order_id < 0 {
            return Err(RowError::row(format!("order_id: negative ({order_id})")));
        }
    } else if !(-1..=1).contains(&price) {
        return Err(RowError::row(format!(
            "type 7 (halt) price: expected -1, 0 or 1 ({price})"
        )));
    }
    Ok(LobsterMessage {
        time_ns,
        kind,
        order_id,
        size,
        price,
        direction: direction.clamp(-1, 1) as i8,
    })
}

/// The row parser for a LOBSTER message file.
pub(crate) struct MessageParser {
    fields: Fields,
    day_start_ns: i64,
    symbol: SymbolId,
}

impl MessageParser {
    /// A parser adding `day_start_ns` to every time (see
    /// [`super::clock`]), its events of `symbol`.
    pub fn new(day_start_ns: i64, symbol: SymbolId) -> MessageParser {
        MessageParser {
            fields: Fields::default(),
            day_start_ns,
            symbol,
        }
    }
}

impl RowParser for MessageParser {
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        let m = parse_with(&mut self.fields, line)?;
        let ts = m
            .time_ns
            .checked_add(self.day_start_ns)
            .ok_or_else(|| RowError::row("time out of range"))?;
        out.symbol = self.symbol;
        out.row_time(ts, None);
        out.push(ts, None, m.payload());
        Ok(())
    }
}
