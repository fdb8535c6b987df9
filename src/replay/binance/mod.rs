//! Binance futures raw websocket captures (USD-M and COIN-M), one record
//! per line as `<local_recv_ns> <json>`: depth diffs kept in sync with the
//! REST snapshots (see `sync`), trades, book tickers, mark price updates
//! and liquidation orders (`forceOrder`). Both the combined-stream wrapper
//! `{"stream":..,"data":{..}}` and bare payloads are read.
//!
//! Owns: the mapping from each Binance message to events.
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

use super::error::RowError;
use super::event::{Payload, PriceQty};
use super::json::split_capture_line;
use super::reader::{Out, RowParser};
use msg::{Kind, Msg};
use sync::{DepthSync, Diff};

/// ms to ns.
const MS: i64 = 1_000_000;

fn ms(v: i64, what: &str) -> Result<i64, RowError> {
    v.checked_mul(MS)
        .filter(|&t| t >= 0)
        .ok_or_else(|| RowError::row(format!("{what}: time out of range ({v})")))
}

/// The row parser for one Binance capture file.
pub(crate) struct BinanceParser {
    sync: DepthSync,
    diff: Diff,
    bids: Vec<PriceQty>,
    asks: Vec<PriceQty>,
}

impl BinanceParser {
    /// A parser that buffers at most `max_buffered_diffs` diffs while
    /// waiting for a snapshot.
    pub fn new(max_buffered_diffs: usize) -> BinanceParser {
        BinanceParser {
            sync: DepthSync::new(max_buffered_diffs),
            diff: Diff::default(),
            bids: Vec::new(),
            asks: Vec::new(),
        }
    }
}

impl RowParser for BinanceParser {
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        let (local, json) = split_capture_line(line)?;
        self.bids.clear();
        self.asks.clear();
        let m = Msg::parse(json, &mut self.bids, &mut self.asks)?;
        let kind = match m.kind()? {
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
        match kind {
            Kind::Depth => {
                let ts = ms(m.need_time()?, "T")?;
                self.diff.exchange_ts = ts;
                self.diff.local_ts = local;
                self.diff.first = m.need_int(m.first_id, "U")?;
                self.diff.last = m.need_int(m.last_id, "u")?;
                self.diff.prev = m.prev_id;
                std::mem::swap(&mut self.diff.bids, &mut self.bids);
                std::mem::swap(&mut self.diff.asks, &mut self.asks);
                out.row_time(ts, local);
                self.sync.on_diff(&self.diff, out);
            }
            Kind::Snapshot => {
                let ts = ms(m.need_time()?, "T")?;
                let id = m.need_int(m.last_update_id, "lastUpdateId")?;
                out.row_time(ts, local);
                self.sync
                    .on_snapshot(id, ts, local, &self.bids, &self.asks, out);
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
