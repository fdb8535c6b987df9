//! The deep-sweep mix: a book of about 2,000 orders a few hundred ticks
//! deep, refilled by passive limits, and IOCs that each take 5 to 50 whole
//! levels from the top whenever the book is above its target size.
//!
//! Owns: that mix. Must not: change a stream for a given seed.

use super::sim::Sim;
use super::{Mix, WorkOp, Workload};

/// Centre price in ticks.
const MID: i64 = 1_000_000;
/// Passive orders sit up to this many ticks behind the opposite best.
const SPAN: f64 = 400.0;
/// Target size of the book.
const TARGET_ORDERS: usize = 2_000;

fn passive(s: &mut Sim) -> WorkOp {
    let side = s.side();
    let qty = s.qty();
    let u = s.rng.unit();
    let off = 1 + (SPAN * u * u) as i64;
    let price = s.behind_opposite(side, off, MID);
    WorkOp::Limit {
        id: s.new_id(),
        side,
        price,
        qty,
    }
}

/// `n` operations after a prefill of 2,000 passive orders: about 80% new
/// passive limits, 10% cancels, and 10% sweeps of 5-50 levels while the
/// book is above its target size (passive limits while below).
pub(super) fn generate(n: usize, seed: u64) -> Workload {
    let mut s = Sim::new(seed);
    for _ in 0..TARGET_ORDERS {
        let op = passive(&mut s);
        s.prefill(op);
    }
    while s.ops.len() < n {
        let above = s.live() > TARGET_ORDERS;
        let op = match s.rng.below(100) {
            0..=9 if above => {
                let side = s.side();
                let k = 5 + s.rng.below(46) as usize;
                s.sweep_levels(side, k)
            }
            0..=89 => Some(passive(&mut s)),
            _ => s.cancel(),
        };
        if let Some(op) = op {
            s.push(op);
        }
    }
    s.finish(Mix::Sweep.name())
}
