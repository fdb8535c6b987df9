//! Binance futures websocket captures (USD-M and COIN-M), one message per
//! line: `<local_recv_time> <json>` as hftbacktest's collector writes them
//! (the receive time in ns, µs or ms, told apart by its size), or the raw
//! JSON alone as most home-made collectors write it. Both the
//! combined-stream wrapper `{"stream":..,"data":{..}}` and bare payloads
//! are read: depth diffs kept in sync with the REST snapshots (see `sync`),
//! trades, book tickers, mark price updates and liquidation orders
//! (`forceOrder`).
//!
//! Owns: the mapping from each Binance message to events, and the symbol
//! of each: `s` (`symbol` in a COIN-M REST snapshot, `o.s` in a
//! `forceOrder`). Depth diffs and REST snapshots leave the reader as
//! marked runs of level updates ([`Payload::DepthDiff`],
//! [`Payload::DepthSnapshot`]); the depth synchroniser (`synced`), which
//! sits after the files are merged so that a capture split over several
//! files stays one chain of diffs, turns them into a book. A USD-M REST
//! snapshot names no symbol and leaves the reader unattributed.
//! Must not: reorder lines (file order is kept) or repair gaps.
//!
//! Times: the exchange time is `T` (transaction or trade time) where the
//! message has one, else `E` (event time); for `markPriceUpdate`, whose
//! `T` is the next funding time, it is `E`; for `forceOrder` it is the
//! order's trade time `o.T`. All are ms, carried in ns. Messages the
//! reader does not model (`kline`, `aggTrade`, array payloads) are counted
//! in `rows_ignored`.

mod msg;
mod sync;
mod synced;

use super::error::RowError;
use super::event::{Payload, PriceQty};
use super::json::split_capture_line;
use super::reader::{Out, RowParser};
use super::symbols::{SymbolCache, Symbols, UNATTRIBUTED};
use crate::types::Side;
use msg::{Kind, Msg};
pub(crate) use synced::DepthSynced;

/// ms to ns.
const MS: i64 = 1_000_000;

fn ms(v: i64, what: &str) -> Result<i64, RowError> {
    v.checked_mul(MS)
        .filter(|&t| t >= 0)
        .ok_or_else(|| RowError::row(format!("{what}: time out of range ({v})")))
}

/// The row parser for one Binance capture file.
pub(crate) struct BinanceParser {
    symbols: SymbolCache,
    bids: Vec<PriceQty>,
    asks: Vec<PriceQty>,
}

impl BinanceParser {
    /// A parser naming symbols in `symbols`.
    pub fn new(symbols: Symbols) -> BinanceParser {
        BinanceParser {
            symbols: SymbolCache::new(symbols),
            bids: Vec::new(),
            asks: Vec::new(),
        }
    }

    /// The levels just parsed, bids then asks, as level updates.
    fn push_levels(&self, ts: i64, local: Option<i64>, out: &mut Out) {
        for (side, levels) in [(Side::Buy, &self.bids), (Side::Sell, &self.asks)] {
            for l in levels {
                out.push(
                    ts,
                    local,
                    Payload::BookLevel {
                        side,
                        price: l.price,
                        qty: l.qty,
                    },
                );
            }
        }
    }

    fn level_count(&self) -> Result<u32, RowError> {
        u32::try_from(self.bids.len() + self.asks.len())
            .map_err(|_| RowError::row("too many levels in one message"))
    }
}

impl RowParser for BinanceParser {
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        let (local, json) = split_capture_line(line)?;
        self.bids.clear();
        self.asks.clear();
        let m = Msg::parse(json, &mut self.bids, &mut self.asks)?;
        let kind = m.kind()?;
        let named = m.symbol().map(|s| self.symbols.id(b"binance", s));
        if let Some(s) = named {
            out.symbol = s;
        }
        let kind = match kind {
            Some(k) => k,
            None => {
                out.stats.rows_ignored += 1;
                if let Some(t) = m.time() {
                    if let Ok(t) = ms(t, "E") {
                        out.row_time(t, local);
                    }
                }
                return Ok(());
            }
        };
        if kind != Kind::Snapshot && named.is_none() {
            return Err(RowError::row("message has no symbol (`s`)"));
        }
        match kind {
            Kind::Depth => {
                let ts = ms(m.need_time()?, "T")?;
                let payload = Payload::DepthDiff {
                    first: m.need_int(m.first_id, "U")?,
                    last: m.need_int(m.last_id, "u")?,
                    prev: m.prev_id,
                    levels: self.level_count()?,
                };
                out.row_time(ts, local);
                out.push(ts, local, payload);
                self.push_levels(ts, local, out);
            }
            Kind::Snapshot => {
                let ts = ms(m.need_time()?, "T")?;
                let payload = Payload::DepthSnapshot {
                    last_update_id: m.need_int(m.last_update_id, "lastUpdateId")?,
                    levels: self.level_count()?,
                };
                if named.is_none() {
                    out.symbol = UNATTRIBUTED;
                }
                out.row_time(ts, local);
                out.push(ts, local, payload);
                self.push_levels(ts, local, out);
            }
            Kind::Trade => {
                let ts = ms(m.need_time()?, "T")?;
                let p = m.trade()?;
                out.row_time(ts, local);
                out.push(ts, local, p);
            }
            Kind::BookTicker => {
                let ts = ms(m.need_time()?, "T")?;
                let p = m.book_ticker()?;
                out.row_time(ts, local);
                out.push(ts, local, p);
            }
            Kind::MarkPrice => {
                let ts = ms(m.need_int(m.event_time, "E")?, "E")?;
                let (mark, index, funding) = m.mark_price()?;
                let funding_ts = match m.trade_time {
                    Some(t) if t > 0 => Some(ms(t, "T")?),
                    _ => None,
                };
                out.row_time(ts, local);
                out.push(ts, local, Payload::Mark { price: mark });
                if let Some(price) = index {
                    out.push(ts, local, Payload::Index { price });
                }
                if let Some(rate) = funding {
                    out.push(ts, local, Payload::Funding { rate, funding_ts });
                }
            }
            Kind::ForceOrder => {
                let (p, t) = m.force_order()?;
                let ts = ms(t, "o.T")?;
                out.row_time(ts, local);
                out.push(ts, local, p);
            }
        }
        Ok(())
    }
}
