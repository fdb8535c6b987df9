//! The far-order reproduction (issue 14): one resting buy 600,000 ticks
//! below the market, then buys near the market, each cancelled 32
//! operations after it arrived. `Mix::NearOnly` is the same stream without
//! the far order; a ladder that handles outliers well runs both at the same
//! speed (before the fix, the dense ladder ran the first at half the speed
//! of the second: the far order held its window, and every level near the
//! market went to the `BTreeMap` fallback).
//!
//! Owns: those two streams. Must not: change them for a given seed.

use std::collections::VecDeque;

use super::sim::Sim;
use super::{Mix, WorkOp, Workload};
use crate::types::Side;

/// The market, in ticks.
const MID: i64 = 1_000_000;
/// How far below the market the far order rests.
const FAR: i64 = 600_000;
/// Buys rest up to this many ticks below the market.
const NEAR: u64 = 1_000;
/// A buy is cancelled this many buys after it arrived.
const BEHIND: usize = 32;

/// A new buy near the market, remembered in `resting`.
fn buy(s: &mut Sim, resting: &mut VecDeque<u64>) -> WorkOp {
    let id = s.new_id();
    let qty = s.qty();
    let price = MID - 1 - s.rng.below(NEAR) as i64;
    resting.push_back(id);
    WorkOp::Limit {
        id,
        side: Side::Buy,
        price,
        qty,
    }
}

/// `n` operations, alternating a new buy near the market and the cancel of
/// the buy `BEHIND` before it; with `far`, a buy rests `FAR` ticks below
/// the market from the start and is never cancelled.
pub(super) fn generate(n: usize, seed: u64, far: bool) -> Workload {
    let mut s = Sim::new(seed);
    if far {
        let id = s.new_id();
        s.prefill(WorkOp::Limit {
            id,
            side: Side::Buy,
            price: MID - FAR,
            qty: 1,
        });
    }
    let mut resting = VecDeque::with_capacity(BEHIND + 1);
    for _ in 0..BEHIND {
        let op = buy(&mut s, &mut resting);
        s.prefill(op);
    }
    while s.ops.len() < n {
        let op = buy(&mut s, &mut resting);
        s.push(op);
        if s.ops.len() < n {
            if let Some(id) = resting.pop_front() {
                s.push(WorkOp::Cancel {
                    id,
                    side: Side::Buy,
                });
            }
        }
    }
    let mix = if far { Mix::FarOrder } else { Mix::NearOnly };
    s.finish(mix.name())
}
