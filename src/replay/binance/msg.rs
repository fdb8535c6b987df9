//! One Binance message, scanned in place: the fields of every modelled
//! stream, borrowed from the line, and the conversions to payloads.
//!
//! Owns: field names and meanings of the Binance futures messages
//! (`depthUpdate`, REST depth snapshot, `trade`, `bookTicker`,
//! `markPriceUpdate`, `forceOrder`).
//! Must not: hold state between lines.

use crate::replay::error::RowError;
use crate::replay::event::{Payload, PriceQty, TradeKind};
use crate::replay::fields::{field_decimal, field_nonneg, show};
use crate::replay::json::{JResult, Json};
use crate::types::{Decimal, Side};

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Depth,
    Snapshot,
    Trade,
    BookTicker,
    MarkPrice,
    ForceOrder,
}

/// The `o` object of a `forceOrder` event.
#[derive(Default, Debug)]
pub(super) struct Order<'a> {
    pub symbol: Option<&'a [u8]>,
    side: Option<&'a [u8]>,
    qty: Option<&'a [u8]>,
    price: Option<&'a [u8]>,
    avg_price: Option<&'a [u8]>,
    filled: Option<&'a [u8]>,
    trade_time: Option<i64>,
}

/// The fields of one message (wrapper or bare payload).
#[derive(Default, Debug)]
pub(super) struct Msg<'a> {
    event: Option<&'a [u8]>,
    /// `s` (every stream) or `symbol` (COIN-M REST snapshot).
    pub symbol: Option<&'a [u8]>,
    pub event_time: Option<i64>,
    pub trade_time: Option<i64>,
    pub first_id: Option<i64>,
    pub last_id: Option<i64>,
    pub prev_id: Option<i64>,
    pub last_update_id: Option<i64>,
    levels: bool,
    bid: Option<&'a [u8]>,
    bid_qty: Option<&'a [u8]>,
    ask: Option<&'a [u8]>,
    ask_qty: Option<&'a [u8]>,
    price: Option<&'a [u8]>,
    qty: Option<&'a [u8]>,
    index: Option<&'a [u8]>,
    rate: Option<&'a [u8]>,
    order_type: Option<&'a [u8]>,
    maker: Option<bool>,
    trade_id: Option<u64>,
    order: Option<Order<'a>>,
    array_data: bool,
}

fn levels(j: &mut Json<'_>, into: &mut Vec<PriceQty>) -> JResult<()> {
    j.array(|j| {
        let mut k = 0;
        let mut pq = [&b""[..]; 2];
        j.array(|j| {
            if k < 2 {
                pq[k] = j.string()?;
            } else {
                j.skip()?;
            }
            k += 1;
            Ok(())
        })?;
        if k < 2 {
            return Err(RowError::row("depth level needs a price and a quantity"));
        }
        into.push(PriceQty {
            price: field_nonneg(pq[0], "level price")?,
            qty: field_nonneg(pq[1], "level quantity")?,
        });
        Ok(())
    })
}

fn str_or_skip<'a>(j: &mut Json<'a>) -> JResult<Option<&'a [u8]>> {
    if j.peek() == Some(b'"') {
        j.string().map(Some)
    } else {
        j.skip().map(|_| None)
    }
}

fn order<'a>(j: &mut Json<'a>) -> JResult<Order<'a>> {
    let mut o = Order::default();
    j.object(|j, k| {
        match k {
            b"s" => o.symbol = Some(j.string()?),
            b"S" => o.side = Some(j.string()?),
            b"q" => o.qty = Some(j.string()?),
            b"p" => o.price = Some(j.string()?),
            b"ap" => o.avg_price = Some(j.string()?),
            b"z" => o.filled = Some(j.string()?),
            b"T" => o.trade_time = Some(j.int()?),
            _ => j.skip()?,
        }
        Ok(())
    })?;
    Ok(o)
}

/// Scans the fields of one object into `m`; depth levels go into `bids`
/// and `asks`.
fn fields<'a>(
    j: &mut Json<'a>,
    m: &mut Msg<'a>,
    bids: &mut Vec<PriceQty>,
    asks: &mut Vec<PriceQty>,
) -> JResult<()> {
    j.object(|j, k| field_one(j, k, m, bids, asks))
}

fn need<'a>(v: Option<&'a [u8]>, what: &str) -> Result<&'a [u8], RowError> {
    v.ok_or_else(|| RowError::row(format!("message has no `{what}` field")))
}

fn side(b: &[u8]) -> Result<Side, RowError> {
    match b {
        b"BUY" => Ok(Side::Buy),
        b"SELL" => Ok(Side::Sell),
        other => Err(RowError::row(format!(
            "side: expected BUY or SELL ({:?})",
            show(other)
        ))),
    }
}

impl<'a> Msg<'a> {
    /// Scans one JSON text: a combined-stream wrapper (its `data` object is
    /// the message) or a bare payload.
    pub fn parse(
        json: &'a [u8],
        bids: &mut Vec<PriceQty>,
        asks: &mut Vec<PriceQty>,
    ) -> Result<Msg<'a>, RowError> {
        let mut j = Json::new(json);
        let mut top = Msg::default();
        let mut data: Option<Msg<'a>> = None;
        let mut array_data = false;
        j.object(|j, k| {
            if k == b"data" {
                match j.peek() {
                    Some(b'{') => {
                        let mut d = Msg::default();
                        fields(j, &mut d, bids, asks)?;
                        data = Some(d);
                    }
                    _ => {
                        array_data = true;
                        j.skip()?;
                    }
                }
                Ok(())
            } else {
                field_one(j, k, &mut top, bids, asks)
            }
        })?;
        j.end()?;
        let mut m = data.unwrap_or(top);
        m.array_data = array_data;
        Ok(m)
    }

    /// The message kind; `None` for messages the reader does not model.
    pub fn kind(&self) -> Result<Option<Kind>, RowError> {
        if self.array_data {
            return Ok(None);
        }
        if self.last_update_id.is_some() && self.levels && self.event.is_none() {
            return Ok(Some(Kind::Snapshot));
        }
        Ok(match self.event {
            Some(b"depthUpdate") => Some(Kind::Depth),
            Some(b"trade") => Some(Kind::Trade),
            Some(b"bookTicker") => Some(Kind::BookTicker),
            Some(b"markPriceUpdate") => Some(Kind::MarkPrice),
            Some(b"forceOrder") => Some(Kind::ForceOrder),
            Some(_) => None,
            None => {
                return Err(RowError::row(
                    "message has neither an event type `e` nor `lastUpdateId`",
                ))
            }
        })
    }

    /// The symbol the message names (`s`, `symbol`, or a forceOrder's
    /// `o.s`).
    pub fn symbol(&self) -> Option<&'a [u8]> {
        self.symbol
            .or_else(|| self.order.as_ref().and_then(|o| o.symbol))
    }

    /// `T`, else `E`.
    pub fn time(&self) -> Option<i64> {
        self.trade_time.or(self.event_time)
    }

    /// `T`, else `E`, required.
    pub fn need_time(&self) -> Result<i64, RowError> {
        self.time()
            .ok_or_else(|| RowError::row("message has no time (`T` or `E`)"))
    }

    /// A required integer field.
    pub fn need_int(&self, v: Option<i64>, what: &str) -> Result<i64, RowError> {
        v.ok_or_else(|| RowError::row(format!("message has no `{what}` field")))
    }

    /// A `trade` event's payload.
    pub fn trade(&self) -> Result<Payload, RowError> {
        let price = field_nonneg(need(self.price, "p")?, "p")?;
        let qty = field_nonneg(need(self.qty, "q")?, "q")?;
        let maker = self
            .maker
            .ok_or_else(|| RowError::row("message has no `m` field"))?;
        let kind = match self.order_type {
            None | Some(b"MARKET") => TradeKind::Regular,
            Some(b"LIQUIDATION") => TradeKind::Liquidation,
            Some(b"INSURANCE_FUND") => TradeKind::InsuranceFund,
            Some(b"ADL") => TradeKind::Adl,
            Some(other) => {
                return Err(RowError::row(format!(
                    "X: unknown trade type ({:?})",
                    show(other)
                )))
            }
        };
        Ok(Payload::Trade {
            // m = true: the buyer was the maker, so the taker sold.
            aggressor: Some(if maker { Side::Sell } else { Side::Buy }),
            price,
            qty,
            id: self.trade_id,
            kind,
        })
    }

    /// A `bookTicker` event's payload.
    pub fn book_ticker(&self) -> Result<Payload, RowError> {
        let side = |p: Option<&[u8]>,
                    q: Option<&[u8]>,
                    wp: &str,
                    wq: &str|
         -> Result<Option<PriceQty>, RowError> {
            let price = field_nonneg(need(p, wp)?, wp)?;
            let qty = field_nonneg(need(q, wq)?, wq)?;
            Ok(if price.is_zero() && qty.is_zero() {
                None
            } else {
                Some(PriceQty { price, qty })
            })
        };
        Ok(Payload::Quote {
            bid: side(self.bid, self.bid_qty, "b", "B")?,
            ask: side(self.ask, self.ask_qty, "a", "A")?,
        })
    }

    /// A `markPriceUpdate`'s mark, index (if any) and funding rate (absent
    /// for delivery contracts, where Binance sends `""`).
    pub fn mark_price(&self) -> Result<(Decimal, Option<Decimal>, Option<Decimal>), RowError> {
        let mark = field_nonneg(need(self.price, "p")?, "p")?;
        let index = match self.index {
            Some(i) if !i.is_empty() => Some(field_nonneg(i, "i")?),
            _ => None,
        };
        let rate = match self.rate {
            Some(r) if !r.is_empty() => Some(field_decimal(r, "r")?),
            _ => None,
        };
        Ok((mark, index, rate))
    }

    /// A `forceOrder`'s payload and its trade time (ms; `E` if no `o.T`).
    pub fn force_order(&self) -> Result<(Payload, i64), RowError> {
        let o = self
            .order
            .as_ref()
            .ok_or_else(|| RowError::row("forceOrder has no `o` object"))?;
        let side = side(need(o.side, "o.S")?)?;
        let price = field_nonneg(need(o.price, "o.p")?, "o.p")?;
        let qty = field_nonneg(need(o.qty, "o.q")?, "o.q")?;
        let avg_price = o.avg_price.map(|a| field_nonneg(a, "o.ap")).transpose()?;
        let filled_qty = o.filled.map(|z| field_nonneg(z, "o.z")).transpose()?;
        let t = o
            .trade_time
            .or(self.event_time)
            .ok_or_else(|| RowError::row("forceOrder has no time (`o.T` or `E`)"))?;
        Ok((
            Payload::Liquidation {
                side,
                price,
                qty,
                avg_price,
                filled_qty,
            },
            t,
        ))
    }
}

/// One key of a message object (bare payload or the wrapper's `data`).
fn field_one<'a>(
    j: &mut Json<'a>,
    k: &'a [u8],
    m: &mut Msg<'a>,
    bids: &mut Vec<PriceQty>,
    asks: &mut Vec<PriceQty>,
) -> JResult<()> {
    match k {
        b"e" => m.event = Some(j.string()?),
        b"s" | b"symbol" => m.symbol = str_or_skip(j)?,
        b"E" => m.event_time = Some(j.int()?),
        b"T" => m.trade_time = Some(j.int()?),
        b"U" => m.first_id = Some(j.int()?),
        b"u" => m.last_id = Some(j.int()?),
        b"pu" => m.prev_id = Some(j.int()?),
        b"lastUpdateId" => m.last_update_id = Some(j.int()?),
        b"b" | b"bids" if j.peek() == Some(b'[') => {
            m.levels = true;
            levels(j, bids)?
        }
        b"a" | b"asks" if j.peek() == Some(b'[') => {
            m.levels = true;
            levels(j, asks)?
        }
        b"b" => m.bid = str_or_skip(j)?,
        b"B" => m.bid_qty = str_or_skip(j)?,
        b"a" => m.ask = str_or_skip(j)?,
        b"A" => m.ask_qty = str_or_skip(j)?,
        b"p" => m.price = str_or_skip(j)?,
        b"q" => m.qty = str_or_skip(j)?,
        b"i" => m.index = str_or_skip(j)?,
        b"r" => m.rate = str_or_skip(j)?,
        b"X" => m.order_type = str_or_skip(j)?,
        b"m" => m.maker = Some(j.boolean()?),
        b"t" => m.trade_id = Some(j.uint()?),
        b"o" if j.peek() == Some(b'{') => m.order = Some(order(j)?),
        _ => j.skip()?,
    }
    Ok(())
}
