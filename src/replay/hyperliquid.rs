//! Hyperliquid websocket captures, one record per line as
//! `<local_recv_ns> <json>`: `l2Book` messages (each a full top-20
//! snapshot of both sides, diffed into level updates by `SnapshotDiffer`)
//! and `trades` messages (an array of prints; `side` `B` is a buying taker,
//! `A` a selling one).
//!
//! Owns: the mapping from Hyperliquid messages to events; the symbol of
//! each is its `coin` (a book per coin, a trade's own coin).
//! Must not: reorder: the first `trades` message after subscribing
//! replays recent prints older than the book already seen; they are kept
//! in file order and show up in `exchange_ts_regressions`.
//! Other channels (subscription responses, pongs) count as ignored rows.

use super::error::RowError;
use super::event::{Payload, TradeKind};
use super::fields::{field_nonneg, show};
use super::json::{split_capture_line, Json};
use super::reader::{Out, RowParser};
use super::snapshot_diff::SnapshotDiffer;
use super::symbols::{PerSymbol, SymbolCache, SymbolId, Symbols};
use crate::types::{Decimal, Side};

/// ms to ns.
const MS: i64 = 1_000_000;

fn ms(v: i64) -> Result<i64, RowError> {
    v.checked_mul(MS)
        .filter(|&t| t >= 0)
        .ok_or_else(|| RowError::row(format!("time out of range ({v})")))
}

/// The row parser for one Hyperliquid capture file.
pub(crate) struct HyperliquidParser {
    /// The previous book of each coin.
    books: PerSymbol<SnapshotDiffer>,
    /// The levels of the book being read (its coin may come last).
    levels: Vec<(Side, Decimal, Decimal)>,
    trades: Vec<(i64, SymbolId, Payload)>,
    symbols: SymbolCache,
}

impl HyperliquidParser {
    /// A fresh parser naming coins in `symbols`.
    pub fn new(symbols: Symbols) -> HyperliquidParser {
        HyperliquidParser {
            books: PerSymbol::default(),
            levels: Vec::new(),
            trades: Vec::new(),
            symbols: SymbolCache::new(symbols),
        }
    }
}

impl RowParser for HyperliquidParser {
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        let (local, json) = split_capture_line(line)?;
        let mut j = Json::new(json);
        let mut channel: Option<&[u8]> = None;
        let mut book_time: Option<i64> = None;
        let mut shape: Option<bool> = None; // Some(true): object (book), Some(false): array (trades)
        let mut book_coin: Option<&[u8]> = None;
        let levels = &mut self.levels;
        let trades = &mut self.trades;
        let symbols = &mut self.symbols;
        levels.clear();
        trades.clear();
        j.object(|j, k| {
            match k {
                b"channel" => channel = Some(j.string()?),
                b"data" if j.peek() == Some(b'{') => {
                    shape = Some(true);
                    j.object(|j, k| {
                        match k {
                            b"coin" => book_coin = Some(j.string()?),
                            b"time" => book_time = Some(j.int()?),
                            b"levels" => {
                                let mut n = 0;
                                j.array(|j| {
                                    let side = match n {
                                        0 => Side::Buy,
                                        1 => Side::Sell,
                                        _ => {
                                            return Err(RowError::row(
                                                "levels: more than two sides",
                                            ))
                                        }
                                    };
                                    n += 1;
                                    j.array(|j| {
                                        let (mut px, mut sz) = (None, None);
                                        j.object(|j, k| {
                                            match k {
                                                b"px" => px = Some(j.string()?),
                                                b"sz" => sz = Some(j.string()?),
                                                _ => j.skip()?,
                                            }
                                            Ok(())
                                        })?;
                                        let (px, sz) = px.zip(sz).ok_or_else(|| {
                                            RowError::row("level needs `px` and `sz`")
                                        })?;
                                        levels.push((
                                            side,
                                            field_nonneg(px, "px")?,
                                            field_nonneg(sz, "sz")?,
                                        ));
                                        Ok(())
                                    })
                                })?;
                            }
                            _ => j.skip()?,
                        }
                        Ok(())
                    })?;
                }
                b"data" if j.peek() == Some(b'[') => {
                    shape = Some(false);
                    j.array(|j| {
                        let (mut side, mut px, mut sz, mut time, mut tid) =
                            (None, None, None, None, None);
                        let mut coin: Option<&[u8]> = None;
                        j.object(|j, k| {
                            match k {
                                b"coin" => coin = Some(j.string()?),
                                b"side" => side = Some(j.string()?),
                                b"px" => px = Some(j.string()?),
                                b"sz" => sz = Some(j.string()?),
                                b"time" => time = Some(j.int()?),
                                b"tid" => tid = Some(j.uint()?),
                                _ => j.skip()?,
                            }
                            Ok(())
                        })?;
                        let aggressor = match side {
                            Some(b"B") => Side::Buy,
                            Some(b"A") => Side::Sell,
                            other => {
                                return Err(RowError::row(format!(
                                    "trade side: expected B or A ({:?})",
                                    show(other.unwrap_or(b""))
                                )))
                            }
                        };
                        let price = field_nonneg(px.ok_or("trade has no `px`")?, "px")?;
                        let qty = field_nonneg(sz.ok_or("trade has no `sz`")?, "sz")?;
                        let ts = ms(time.ok_or("trade has no `time`")?)?;
                        let sym = symbols.id(b"hyperliquid", coin.ok_or("trade has no `coin`")?);
                        trades.push((
                            ts,
                            sym,
                            Payload::Trade {
                                aggressor: Some(aggressor),
                                price,
                                qty,
                                id: tid,
                                kind: TradeKind::Regular,
                            },
                        ));
                        Ok(())
                    })?;
                }
                _ => j.skip()?,
            }
            Ok(())
        })?;
        j.end()?;
        match (channel, shape) {
            (Some(b"l2Book"), Some(true)) => {
                let ts = ms(book_time.ok_or("l2Book has no `time`")?)?;
                let coin = book_coin.ok_or("l2Book has no `coin`")?;
                out.symbol = self.symbols.id(b"hyperliquid", coin);
                let book = self.books.get(out.symbol);
                book.begin();
                for &(side, price, qty) in &self.levels {
                    book.push(side, price, qty);
                }
                book.commit(ts, local, out)?;
                out.row_time(ts, local);
            }
            (Some(b"trades"), Some(false)) => {
                for &(ts, sym, p) in &self.trades {
                    out.symbol = sym;
                    out.push(ts, local, p);
                }
                if let Some(&(last, sym, _)) = self.trades.last() {
                    out.symbol = sym;
                    out.row_time(last, local);
                }
            }
            (Some(b"l2Book"), _) | (Some(b"trades"), _) => {
                return Err(RowError::row("`data` has the wrong shape for its channel"))
            }
            (None, _) => return Err(RowError::row("message has no `channel`")),
            (Some(_), _) => out.stats.rows_ignored += 1,
        }
        Ok(())
    }
}
