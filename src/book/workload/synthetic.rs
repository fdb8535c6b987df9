//! The two small-book mixes: exchange-core-like (mostly moves of resting
//! orders) and replay-like (limits, cancels, IOC), on a book of about
//! 1,000 orders over about 750 levels around a fixed centre.
//!
//! Owns: those two mixes. Must not: change a stream for a given seed (the
//! README's figures and the allocation test are measured on them).

use super::sim::Sim;
use super::{Mix, WorkOp, Workload};
use crate::types::Side;

/// Centre price in ticks.
const MID: i64 = 1_000_000;
/// Passive orders sit up to this many ticks away from the opposite best.
const SPAN: f64 = 1000.0;
/// Target size of the book.
const TARGET_ORDERS: usize = 1_000;

/// A passive price: behind the opposite best (so it never crosses),
/// denser near it (the square of a uniform).
fn passive_price(s: &mut Sim, side: Side) -> i64 {
    let u = s.rng.unit();
    let off = 1 + (SPAN * u * u) as i64;
    s.behind_opposite(side, off, MID)
}

fn limit(s: &mut Sim, aggressive: bool) -> WorkOp {
    let side = s.side();
    let qty = s.qty();
    let price = match aggressive.then(|| s.sweep_price(side, qty)).flatten() {
        Some(p) => p,
        None => passive_price(s, side),
    };
    WorkOp::Limit {
        id: s.new_id(),
        side,
        price,
        qty,
    }
}

/// Moves a random resting order; `aggressive_pct` percent of moves cross
/// the spread.
fn moved(s: &mut Sim, aggressive_pct: u64) -> Option<WorkOp> {
    let (id, side, old, remaining) = s.pick_live()?;
    let aggressive = s.rng.below(100) < aggressive_pct;
    let mut price = match aggressive.then(|| s.sweep_price(side, remaining)).flatten() {
        Some(p) => p,
        None => passive_price(s, side),
    };
    if price == old {
        price += match side {
            Side::Buy => -1,
            Side::Sell => 1,
        };
    }
    Some(WorkOp::Move {
        id,
        side,
        price,
        remaining,
    })
}

/// `n` operations of `mix` (`ExchangeCore` or `Replay`) after a prefill of
/// 1,000 passive orders.
pub(super) fn generate(mix: Mix, n: usize, seed: u64) -> Workload {
    let mut s = Sim::new(seed);
    for _ in 0..TARGET_ORDERS {
        let op = limit(&mut s, false);
        s.prefill(op);
    }
    while s.ops.len() < n {
        // Take more liquidity while the book is above its target size, less
        // while below, so that it hovers around it.
        let above = s.live() > TARGET_ORDERS;
        let r = s.rng.below(100);
        let op = if mix == Mix::ExchangeCore {
            match r {
                0..=8 => {
                    let aggressive = above && s.rng.below(100) < 30;
                    Some(limit(&mut s, aggressive))
                }
                9..=11 => Some(s.ioc(if above { 2 } else { 0 }, MID)),
                12..=17 => s.cancel(),
                _ => moved(&mut s, if above { 6 } else { 0 }),
            }
        } else {
            match r {
                0..=54 => {
                    let aggressive = above && s.rng.below(100) < 20;
                    Some(limit(&mut s, aggressive))
                }
                55..=84 => s.cancel(),
                _ => Some(s.ioc(if above { 2 } else { 1 }, MID)),
            }
        };
        if let Some(op) = op {
            s.push(op);
        }
    }
    s.finish(mix.name())
}
