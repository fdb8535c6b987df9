//! The book resting before a LOBSTER message file starts is unknown; the
//! first orderbook row shows it only after the first message. `seed_book`
//! undoes that message on the first row to get the starting book, as one
//! anonymous quantity per level (the L3 replay treats each as one order of
//! unknown id that executions and cancels of unknown ids draw from).
//!
//! Owns: the seeding rule. Limits: only the N visible levels are known; a
//! level that the first message pushed out of (or pulled into) the window
//! cannot be recovered, so the seed may show N-1 levels on that side.
//! Must not: guess hidden liquidity.

use super::{price, BookRow, LobsterMessage};
use crate::replay::event::{MarketEvent, Payload, PriceQty};
use crate::types::{Decimal, Side};

/// The seeded starting book: anonymous quantity per level, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seed {
    /// Bid levels, highest first.
    pub bids: Vec<PriceQty>,
    /// Ask levels, lowest first.
    pub asks: Vec<PriceQty>,
}

/// Raw integer levels (price x 10000, shares), best first.
fn raw(levels: &[PriceQty]) -> Vec<(i64, i64)> {
    levels
        .iter()
        .map(|l| {
            let p = l.price.to_scaled(super::PRICE_SCALE).unwrap_or(0) as i64;
            let q = l.qty.to_scaled(0).unwrap_or(0) as i64;
            (p, q)
        })
        .collect()
}

/// The book before `first` (the first message), from `row` (the
/// orderbook row right after it).
pub fn seed_book(row: &BookRow, first: &LobsterMessage) -> Seed {
    let mut bids = raw(&row.bids);
    let mut asks = raw(&row.asks);
    let depth = row.depth.max(bids.len()).max(asks.len());
    let (levels, better): (&mut Vec<(i64, i64)>, fn(i64, i64) -> bool) = match first.side() {
        Side::Buy => (&mut bids, |a, b| a > b),
        Side::Sell => (&mut asks, |a, b| a < b),
    };
    let pos = levels.iter().position(|&(p, _)| p == first.price);
    match first.kind {
        // An add: take its size back out.
        1 => {
            if let Some(i) = pos {
                levels[i].1 -= first.size;
                if levels[i].1 <= 0 {
                    levels.remove(i);
                }
            }
        }
        // A cancel, delete or execution: put the size back.
        2..=4 => match pos {
            Some(i) => levels[i].1 += first.size,
            None => {
                let at = levels
                    .iter()
                    .position(|&(p, _)| better(first.price, p))
                    .unwrap_or(levels.len());
                if at < depth {
                    levels.insert(at, (first.price, first.size));
                    levels.truncate(depth);
                }
            }
        },
        _ => {}
    }
    let back = |v: Vec<(i64, i64)>| {
        v.into_iter()
            .map(|(p, q)| PriceQty {
                price: price(p),
                qty: Decimal::new(q as i128, 0),
            })
            .collect()
    };
    Seed {
        bids: back(bids),
        asks: back(asks),
    }
}

impl Seed {
    /// The seed as events at time `ts`: `BookClear`, every level, then
    /// `SnapshotEnd`.
    pub fn events(&self, ts: i64) -> Vec<MarketEvent> {
        let mut v = Vec::with_capacity(self.bids.len() + self.asks.len() + 2);
        v.push(MarketEvent::new(ts, None, Payload::BookClear));
        for (side, levels) in [(Side::Buy, &self.bids), (Side::Sell, &self.asks)] {
            for l in levels {
                v.push(MarketEvent::new(
                    ts,
                    None,
                    Payload::BookLevel {
                        side,
                        price: l.price,
                        qty: l.qty,
                    },
                ));
            }
        }
        v.push(MarketEvent::new(ts, None, Payload::SnapshotEnd));
        v
    }
}
