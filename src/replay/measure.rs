//! What an aggressive order of a given size would have cost against the
//! book as it stood: a dry-run walk of the opposite side, best level
//! first, that changes nothing.
//!
//! Owns: the walk and the figures of one measurement (VWAP, levels walked,
//! slippage against mid and mark, the visible depth within 1% of the mid
//! and the share of it consumed, the difference to a reported price), all
//! exact (integers and ratios) until printed.
//! Must not: mutate the book, or decide which orders are measured (the
//! driver does).

use crate::book::OrderBook;
use crate::types::{div_ceil, div_floor, Price, Qty, Ratio, Side};

/// The result of walking the book for one order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    /// Lots the book could fill.
    pub filled: Qty,
    /// Sum of price (ticks) x lots over the fills.
    pub px_qty: i128,
    /// Distinct price levels that gave a fill.
    pub levels: u32,
    /// Visible lots on the side walked within 1% of the mid.
    pub depth_1pct: i128,
    /// Lots of the fill taken from within that band.
    pub within_1pct: i128,
}

/// Walks the side a `taker` order of `qty` lots would take from, without
/// changing the book. `mid2` is best bid + best ask (twice the mid, in
/// ticks) for the 1% band; with none, the band is empty.
pub fn walk(book: &OrderBook, taker: Side, qty: Qty, mid2: Option<i128>) -> Walk {
    let mut w = Walk::default();
    let mut left = qty.0.max(0);
    // The band's edge in ticks: a buy takes asks up to mid * 1.01, a sell
    // bids down to mid * 0.99 (200 p <= 101 mid2; 200 p >= 99 mid2).
    let edge = mid2.map(|m| match taker {
        Side::Buy => div_floor(101 * m, 200),
        Side::Sell => div_ceil(99 * m, 200),
    });
    let in_band = |p: Price| match (edge, taker) {
        (None, _) => false,
        (Some(e), Side::Buy) => p.0 as i128 <= e,
        (Some(e), Side::Sell) => p.0 as i128 >= e,
    };
    let mut levels = book.levels(taker.opposite());
    while left > 0 {
        let Some((p, q)) = levels.next() else { break };
        let band = in_band(p);
        if band {
            w.depth_1pct += q.0 as i128;
        }
        let take = left.min(q.0);
        left -= take;
        w.filled.0 += take;
        w.px_qty += p.0 as i128 * take as i128;
        w.levels += 1;
        if band {
            w.within_1pct += take as i128;
        }
    }
    // The rest of the band only adds to its depth.
    for (p, q) in levels {
        if !in_band(p) {
            break;
        }
        w.depth_1pct += q.0 as i128;
    }
    w
}

impl Walk {
    /// The VWAP of the fills, in ticks.
    pub fn vwap(&self) -> Option<Ratio> {
        (self.filled.0 > 0).then(|| Ratio::new(self.px_qty, self.filled.0 as i128))
    }

    /// Signed slippage in bps against a reference price `ref2 / 2` ticks
    /// (pass twice the price): positive is a cost to the taker.
    pub fn slippage_bps(&self, taker: Side, ref2: i128) -> Option<Ratio> {
        if self.filled.0 <= 0 || ref2 <= 0 {
            return None;
        }
        let f = self.filled.0 as i128;
        // 10000 * side * (vwap - ref) / ref, vwap = px_qty / f, ref = ref2 / 2
        // (absent in the far reaches of i128 where it would overflow).
        let num = self
            .px_qty
            .checked_mul(2)?
            .checked_sub(ref2.checked_mul(f)?)?
            .checked_mul(10_000 * taker.sign() as i128)?;
        Some(Ratio::new(num, ref2.checked_mul(f)?))
    }

    /// The share of the visible depth within 1% of the mid that the order
    /// consumed (absent when that depth is zero).
    pub fn depth_share(&self) -> Option<Ratio> {
        (self.depth_1pct > 0).then(|| Ratio::new(self.within_1pct, self.depth_1pct))
    }
}

/// `a - b` for two prices in ticks (absent where i128 would overflow).
pub fn ratio_sub(a: Ratio, b: Ratio) -> Option<Ratio> {
    let num = a
        .num
        .checked_mul(b.den)?
        .checked_sub(b.num.checked_mul(a.den)?)?;
    Some(Ratio::new(num, a.den.checked_mul(b.den)?))
}

/// `10000 * (a - b) / (mid2 / 2)`: a price difference in bps of the mid.
pub fn diff_bps(a: Ratio, b: Ratio, mid2: i128) -> Option<Ratio> {
    if mid2 <= 0 {
        return None;
    }
    let d = ratio_sub(a, b)?;
    Some(Ratio::new(
        d.num.checked_mul(20_000)?,
        d.den.checked_mul(mid2)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{OrderRequest, SelfTradePrevention, TimeInForce};

    fn book() -> OrderBook {
        let mut b = OrderBook::new();
        let mut out = Vec::new();
        // Bids 99 x 5, 98 x 5, 90 x 10; asks 101 x 2, 102 x 3, 150 x 100.
        for (id, side, p, q) in [
            (1, Side::Buy, 99, 5),
            (2, Side::Buy, 98, 5),
            (3, Side::Buy, 90, 10),
            (4, Side::Sell, 101, 2),
            (5, Side::Sell, 102, 3),
            (6, Side::Sell, 150, 100),
        ] {
            b.submit(
                &OrderRequest {
                    id,
                    account: 0,
                    side,
                    qty: Qty(q),
                    price: Some(Price(p)),
                    tif: TimeInForce::Gtc,
                    stp: SelfTradePrevention::None,
                },
                &mut out,
            )
            .unwrap();
        }
        b
    }

    #[test]
    fn a_buy_walks_the_asks() {
        let b = book();
        // Mid 100: the 1% band of the asks is up to 101.
        let w = walk(&b, Side::Buy, Qty(4), Some(200));
        assert_eq!(w.filled, Qty(4));
        assert_eq!(w.px_qty, 2 * 101 + 2 * 102);
        assert_eq!(w.levels, 2);
        assert_eq!((w.depth_1pct, w.within_1pct), (2, 2));
        assert_eq!(w.vwap(), Some(Ratio::new(406, 4)));
        // VWAP 101.5 against mid 100: 150 bps.
        assert_eq!(w.slippage_bps(Side::Buy, 200).unwrap().to_f64(), 150.0);
        assert_eq!(w.depth_share().unwrap().to_f64(), 1.0);
        // Against a reported 101: +0.5 tick = 50 bps of the mid.
        let d = diff_bps(w.vwap().unwrap(), Ratio::int(101), 200).unwrap();
        assert_eq!(d.to_f64(), 50.0);
    }

    #[test]
    fn a_sell_walks_the_bids_and_counts_the_band() {
        let b = book();
        // Band of the bids: down to 99 (mid 100).
        let w = walk(&b, Side::Sell, Qty(7), Some(200));
        assert_eq!(w.px_qty, 5 * 99 + 2 * 98);
        assert_eq!(w.levels, 2);
        assert_eq!((w.depth_1pct, w.within_1pct), (5, 5));
        // VWAP 98.714..: 128.57 bps below the mid, a cost for a sell.
        let s = w.slippage_bps(Side::Sell, 200).unwrap().to_f64();
        assert!((s - 10_000.0 * (100.0 - 691.0 / 7.0) / 100.0).abs() < 1e-9);
        // Against a mark of 99.5.
        let m = w.slippage_bps(Side::Sell, 199).unwrap().to_f64();
        assert!((m - 10_000.0 * (99.5 - 691.0 / 7.0) / 99.5).abs() < 1e-9);
    }

    #[test]
    fn a_thin_book_fills_what_it_has() {
        let b = book();
        let w = walk(&b, Side::Sell, Qty(1000), None);
        assert_eq!(w.filled, Qty(20));
        assert_eq!(w.levels, 3);
        assert_eq!(w.depth_share(), None);
        assert_eq!(walk(&b, Side::Buy, Qty(0), Some(200)).vwap(), None);
    }
}
