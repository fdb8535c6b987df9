//! The large-book mix: 520,000 resting orders on 10,000 levels (5,000 a
//! side, about 52 orders each), then new passive orders on random levels,
//! cancels of random resting orders and small IOCs off the top. Every
//! operation lands somewhere random in a book far larger than the caches,
//! so this measures cache misses per operation more than instructions.
//!
//! Owns: that mix. Must not: change a stream for a given seed.

use super::sim::Sim;
use super::{Mix, WorkOp, Workload};
use crate::types::Side;

/// Centre price in ticks: bids rest below it, asks above.
const MID: i64 = 1_000_000;
/// Levels per side.
const LEVELS: u64 = 5_000;
/// Target size of the book.
pub(super) const TARGET_ORDERS: usize = 520_000;

/// A passive order on a random one of the side's `LEVELS` levels.
fn limit(s: &mut Sim) -> WorkOp {
    let side = s.side();
    let qty = s.qty();
    let off = 1 + s.rng.below(LEVELS) as i64;
    WorkOp::Limit {
        id: s.new_id(),
        side,
        price: match side {
            Side::Buy => MID - off,
            Side::Sell => MID + off,
        },
        qty,
    }
}

/// `n` operations after a prefill of `TARGET_ORDERS` passive orders:
/// about 46% new passive limits, 46% cancels and 8% IOCs of a few lots,
/// the balance tilted towards whichever keeps the book near its target.
pub(super) fn generate(n: usize, seed: u64) -> Workload {
    let mut s = Sim::new(seed);
    for _ in 0..TARGET_ORDERS {
        let op = limit(&mut s);
        s.prefill(op);
    }
    while s.ops.len() < n {
        let above = s.live() > TARGET_ORDERS;
        let r = s.rng.below(100);
        let op = match r {
            0..=7 => Some(s.ioc(0, MID)),
            8..=53 if !above => Some(limit(&mut s)),
            8..=49 => Some(limit(&mut s)),
            _ => s.cancel(),
        };
        if let Some(op) = op {
            s.push(op);
        }
    }
    s.finish(Mix::LargeBook.name())
}
