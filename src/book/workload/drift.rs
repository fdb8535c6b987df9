//! The drifting mix: a mid price that trends fast (two ticks per
//! operation, the trend reversing now and then: about 400,000 ticks, 4% of
//! the price, in 200,000 operations, so that the market leaves any fixed
//! window of 2^20 ticks), about 1,000 orders around it, 300 stale orders,
//! the oldest in the book, 100,000 to 1,000,000 ticks behind the market,
//! and one new passive order in 500 that is never cancelled either and is
//! left behind as the mid moves on. Asks the rising mid overtakes (bids, when it
//! falls) are swept by an IOC, as the market would.
//!
//! Owns: that mix. Must not: change a stream for a given seed.

use super::sim::Sim;
use super::{Mix, WorkOp, Workload};
use crate::types::Side;

/// Starting mid in ticks (far enough from zero for every stale order).
const MID: i64 = 10_000_000;
/// Passive orders sit up to this many ticks away from the mid.
const SPAN: f64 = 1000.0;
/// Target size of the book near the mid.
const TARGET_ORDERS: usize = 1_000;
/// Stale orders, half on each side.
const STALE: usize = 300;
/// One in this many new passive orders is never cancelled.
const NEVER_CANCELLED: u64 = 500;
/// One in this many operations reverses the trend.
const REVERSAL: u64 = 150_000;

/// A passive price behind the mid (and behind the opposite best, so it
/// never crosses), denser near it.
fn passive_price(s: &mut Sim, side: Side, mid: i64) -> i64 {
    let u = s.rng.unit();
    let off = 1 + (SPAN * u * u) as i64;
    match side {
        Side::Buy => s.book.best_ask().map_or(mid, |a| a.0.min(mid)) - off,
        Side::Sell => s.book.best_bid().map_or(mid, |b| b.0.max(mid)) + off,
    }
}

fn limit(s: &mut Sim, mid: i64, aggressive: bool) -> WorkOp {
    let side = s.side();
    let qty = s.qty();
    let price = match aggressive.then(|| s.sweep_price(side, qty)).flatten() {
        Some(p) => p,
        None => passive_price(s, side, mid),
    };
    WorkOp::Limit {
        id: s.new_id(),
        side,
        price,
        qty,
    }
}

/// An IOC that takes every opposite order the mid has overtaken (asks at
/// or below it, bids at or above it), if any.
fn follow(s: &mut Sim, mid: i64) -> Option<WorkOp> {
    let (side, overtaken): (Side, fn(i64, i64) -> bool) =
        match (s.book.best_ask(), s.book.best_bid()) {
            (Some(a), _) if a.0 <= mid => (Side::Buy, |p, m| p <= m),
            (_, Some(b)) if b.0 >= mid => (Side::Sell, |p, m| p >= m),
            _ => return None,
        };
    let mut qty = 0;
    let mut price = 0;
    for (p, q) in s.book.levels(side.opposite()) {
        if !overtaken(p.0, mid) {
            break;
        }
        qty += q.0;
        price = p.0;
    }
    Some(WorkOp::Ioc {
        id: s.new_id(),
        side,
        price,
        qty,
    })
}

/// `n` operations after a prefill of 300 stale orders far from the mid
/// (the oldest orders in the book), then 1,000 orders near it. While the
/// book is below its target size: 70% new passive limits, 15% cancels,
/// 15% IOCs; above it: 40% new limits (a fifth of them crossing), 35%
/// cancels, 25% IOCs. Plus the sweeps of what the moving mid overtakes.
pub(super) fn generate(n: usize, seed: u64) -> Workload {
    let mut s = Sim::new(seed);
    let mut mid = MID;
    for k in 0..STALE {
        let side = if k % 2 == 0 { Side::Buy } else { Side::Sell };
        let off = 100_000 + s.rng.below(900_000) as i64;
        let id = s.new_id();
        let qty = s.qty();
        s.prefill(WorkOp::Limit {
            id,
            side,
            price: match side {
                Side::Buy => mid - off,
                Side::Sell => mid + off,
            },
            qty,
        });
        // Never cancelled.
        s.forget(id);
    }
    for _ in 0..TARGET_ORDERS {
        let op = limit(&mut s, mid, false);
        s.prefill(op);
    }
    let mut trend = 1;
    while s.ops.len() < n {
        if s.rng.below(REVERSAL) == 0 {
            trend = -trend;
        }
        mid += 2 * trend;
        if let Some(op) = follow(&mut s, mid) {
            s.push(op);
            continue;
        }
        let above = s.live() > TARGET_ORDERS;
        let r = s.rng.below(100);
        let op = match (above, r) {
            (false, 0..=69) | (true, 0..=39) => {
                let aggressive = above && s.rng.below(100) < 20;
                let op = limit(&mut s, mid, aggressive);
                if s.rng.below(NEVER_CANCELLED) == 0 {
                    s.push(op);
                    // Never cancelled: it goes stale as the mid moves on.
                    if let WorkOp::Limit { id, .. } = op {
                        s.forget(id);
                    }
                    continue;
                }
                Some(op)
            }
            (false, 70..=84) | (true, 40..=74) => s.cancel(),
            _ => Some(s.ioc(if above { 2 } else { 1 }, mid)),
        };
        if let Some(op) = op {
            s.push(op);
        }
    }
    s.finish(Mix::Drift.name())
}
