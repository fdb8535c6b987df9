//! Hyperliquid websocket captures, one record per line as
//! `<local_recv_ns> <json>`: `l2Book` messages (each a full top-20
//! snapshot of both sides, diffed into level updates by `SnapshotDiffer`)
//! and `trades` messages (an array of prints; `side` `B` is a buying taker,
//! `A` a selling one).
//!
//! Owns: the mapping from Hyperliquid messages to events.
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
use crate::types::Side;

/// ms to ns.
const MS: i64 = 1_000_000;

fn ms(v: i64) -> Result<i64, RowError> {
    v.checked_mul(MS)
        .filter(|&t| t >= 0)
        .ok_or_else(|| RowError::row(format!("time out of range ({v})")))
}

/// The row parser for one Hyperliquid capture file.
#[derive(Default)]
pub(crate) struct HyperliquidParser {
    differ: SnapshotDiffer,
    trades: Vec<(i64, Payload)>,
}

impl HyperliquidParser {
    /// A fresh parser.
    pub fn new() -> HyperliquidParser {
        HyperliquidParser::default()
    }
}

impl RowParser for HyperliquidParser {
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        let (local, json) = split_capture_line(line)?;
        let mut j = Json::new(json);
        let mut channel: Option<&[u8]> = None;
        let mut book_time: Option<i64> = None;
        let mut shape: Option<bool> = None; // Some(true): object (book), Some(false): array (trades)
        let differ = &mut self.differ;
        let trades = &mut self.trades;
        differ.begin();
        trades.clear();
        j.object(|j, k| {
            match k {
                b"channel" => channel = Some(j.string()?),
                b"data" if j.peek() == Some(b'{') => {
                    shape = Some(true);
                    j.object(|j, k| {
                        match k {
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
                                        differ.push(
                                            side,
                                            field_nonneg(px, "px")?,
                                            field_nonneg(sz, "sz")?,
                                        );
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
                        j.object(|j, k| {
                            match k {
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
                        trades.push((
                            ts,
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
                self.differ.commit(ts, local, out)?;
                out.row_time(ts, local);
            }
            (Some(b"trades"), Some(false)) => {
                if let Some(&(last, _)) = self.trades.last() {
                    out.row_time(last, local);
                }
                for &(ts, p) in &self.trades {
                    out.push(ts, local, p);
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
