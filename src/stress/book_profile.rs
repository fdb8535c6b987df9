//! The starting book of a market and the depth profile makers return to:
//! a synthetic profile (levels, spread, size growing with distance), or
//! the L2 book of a replay sample at a chosen moment.
//!
//! Owns: turning a `BookSource` into price levels in ticks and lots, and
//! into a `Profile` (each level as a distance from the centre and a size),
//! which the liquidity response (`liquidity.rs`) uses as its target.
//!
//! Must not: post orders (the maker does), or keep anything between runs
//! (the sweep memoizes the result per market).

use std::collections::BTreeMap;
use std::path::Path;

use super::point::{BookProfile, BookSource, MarketPlan, ReplaySource};
use crate::instrument::Instrument;
use crate::replay::{EventSource, Payload, ReplayOptions};
use crate::types::{Price, Qty, Side};

/// Depth as distances from a centre: each side best first, each level
/// `(ticks from the centre, size)`, distances positive and increasing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Bid levels.
    pub bids: Vec<(i64, Qty)>,
    /// Ask levels.
    pub asks: Vec<(i64, Qty)>,
}

impl Profile {
    /// The levels of `side`.
    pub fn side(&self, side: Side) -> &[(i64, Qty)] {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// Distance of the best level of `side` (the half spread), if any.
    pub fn half_spread(&self, side: Side) -> Option<i64> {
        self.side(side).first().map(|l| l.0)
    }
}

/// Bids and asks, each best first: `(price, size)` levels.
pub type Levels = (Vec<(Price, Qty)>, Vec<(Price, Qty)>);

/// A market's starting book and its profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartingBook {
    /// Bids, best first.
    pub bids: Vec<(Price, Qty)>,
    /// Asks, best first.
    pub asks: Vec<(Price, Qty)>,
    /// The same levels as distances from the market's starting price.
    pub profile: Profile,
}

/// Why a starting book could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BookError {
    /// Line of the config's `replay` table.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

/// The synthetic profile: level k at `half_spread + k * gap` ticks from
/// the centre with `size * (1 + growth * k)` lots, on both sides.
pub fn synthetic(p: &BookProfile) -> Profile {
    let levels: Vec<(i64, Qty)> = (0..p.levels)
        .map(|k| (p.half_spread + k as i64 * p.gap, p.level_size(k)))
        .collect();
    Profile {
        bids: levels.clone(),
        asks: levels,
    }
}

/// Builds a market's starting book. `config_dir` anchors relative replay
/// file names.
pub fn starting_book(m: &MarketPlan, config_dir: &Path) -> Result<StartingBook, BookError> {
    let centre = m.price;
    let (bids, asks) = match &m.book {
        BookSource::Profile(p) => {
            let prof = synthetic(p);
            let bids = prof
                .bids
                .iter()
                .map(|&(d, q)| (Price(centre.0 - d), q))
                .collect();
            let asks = prof
                .asks
                .iter()
                .map(|&(d, q)| (Price(centre.0 + d), q))
                .collect();
            return Ok(StartingBook {
                bids,
                asks,
                profile: prof,
            });
        }
        BookSource::Replay(r) => replay_levels(r, &m.inst, config_dir)?,
    };
    // Distances from the centre; levels on the wrong side of it (a sample
    // whose mid is far from `price`) keep a distance of at least one tick.
    let profile = Profile {
        bids: bids
            .iter()
            .map(|&(p, q)| ((centre.0 - p.0).max(1), q))
            .collect(),
        asks: asks
            .iter()
            .map(|&(p, q)| ((p.0 - centre.0).max(1), q))
            .collect(),
    };
    Ok(StartingBook {
        bids,
        asks,
        profile,
    })
}

/// The L2 book of a replay sample after its last event at or before
/// `r.at`, the best `r.depth` levels per side, in ticks and lots of `inst`.
/// Quantities are rounded down to whole lots (levels that round to zero
/// are dropped); a price off the tick is an error.
pub fn replay_levels(
    r: &ReplaySource,
    inst: &Instrument,
    config_dir: &Path,
) -> Result<Levels, BookError> {
    // A sample may be any file: its text reaches the error only as a
    // short, escaped excerpt.
    let err = |message: String| BookError {
        line: r.line,
        message: format!(
            "replay sample: {}",
            crate::report::excerpt::excerpt(&message, 160)
        ),
    };
    let paths: Vec<std::path::PathBuf> = r.files.iter().map(|f| config_dir.join(f)).collect();
    let mut stream = crate::replay::open(r.format, &paths, &ReplayOptions::default())
        .map_err(|e| err(e.to_string()))?;
    let mut bids: BTreeMap<Price, Qty> = BTreeMap::new();
    let mut asks: BTreeMap<Price, Qty> = BTreeMap::new();
    let mut seen = false;
    while let Some(ev) = stream.next_event() {
        let ev = ev.map_err(|e| err(e.to_string()))?;
        if ev.exchange_ts > r.at {
            break;
        }
        match ev.payload {
            Payload::BookClear | Payload::Gap => {
                bids.clear();
                asks.clear();
            }
            Payload::BookLevel { side, price, qty } => {
                seen = true;
                let p = inst
                    .price(price)
                    .map_err(|e| err(format!("price {price}: {e}")))?;
                let lots = lots_down(inst, qty);
                let book = match side {
                    Side::Buy => &mut bids,
                    Side::Sell => &mut asks,
                };
                if lots.0 > 0 {
                    book.insert(p, lots);
                } else {
                    book.remove(&p);
                }
            }
            _ => {}
        }
    }
    if !seen || (bids.is_empty() && asks.is_empty()) {
        return Err(err(format!(
            "no book levels at or before {} ns (the sample needs L2 depth)",
            r.at
        )));
    }
    let depth = r.depth as usize;
    let bids: Vec<(Price, Qty)> = bids.into_iter().rev().take(depth).collect();
    let asks: Vec<(Price, Qty)> = asks.into_iter().take(depth).collect();
    if let (Some(b), Some(a)) = (bids.first(), asks.first()) {
        if b.0 >= a.0 {
            return Err(err(format!(
                "the book is crossed at {} ns (best bid {} >= best ask {})",
                r.at,
                inst.price_decimal(b.0),
                inst.price_decimal(a.0)
            )));
        }
    }
    Ok((bids, asks))
}

/// A decimal quantity in whole lots, rounded down (never negative).
fn lots_down(inst: &Instrument, qty: crate::types::Decimal) -> Qty {
    let lot = inst.lot;
    let s = qty.scale().max(lot.scale());
    let (Ok(q), Ok(l)) = (qty.to_scaled(s), lot.to_scaled(s)) else {
        return Qty(0);
    };
    if l <= 0 || q <= 0 {
        return Qty(0);
    }
    Qty(i64::try_from(q / l).unwrap_or(crate::instrument::MAX_QTY_LOTS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Rate;

    #[test]
    fn the_synthetic_profile_grows_with_distance() {
        let p = BookProfile {
            levels: 3,
            half_spread: 2,
            gap: 5,
            size: Qty(10),
            growth: Rate::parse("0.5").unwrap(),
        };
        let prof = synthetic(&p);
        assert_eq!(prof.bids, [(2, Qty(10)), (7, Qty(15)), (12, Qty(20))]);
        assert_eq!(prof.asks, prof.bids);
        assert_eq!(prof.half_spread(Side::Sell), Some(2));
    }
}
