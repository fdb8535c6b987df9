//! Turns a sequence of full depth snapshots (each row or message a top-N
//! book) into level updates: the first snapshot becomes `BookClear`, its
//! levels and `SnapshotEnd`; each later one becomes only the levels whose
//! size changed, plus a zero-size update for every level that vanished.
//!
//! Owns: the previous snapshot of both sides and the scratch for the
//! next one (reused, no allocation in steady state).
//! Must not: parse any format. Note the policy: a level that drops out of
//! a top-N window is reported as deleted (size 0), since the window is all
//! the file shows.

use super::error::RowError;
use super::event::Payload;
use super::num::decimal_key;
use super::reader::Out;
use crate::types::{Decimal, Side};

#[derive(Clone, Copy, Debug)]
struct Lvl {
    key: i128,
    price: Decimal,
    qty: Decimal,
}

/// Diffs successive full snapshots into level updates.
#[derive(Debug, Default)]
pub(crate) struct SnapshotDiffer {
    prev: [Vec<Lvl>; 2],
    next: [Vec<Lvl>; 2],
    have_prev: bool,
}

fn idx(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

impl SnapshotDiffer {
    /// Starts collecting a new snapshot (drops any half-collected one).
    pub fn begin(&mut self) {
        self.next[0].clear();
        self.next[1].clear();
    }

    /// Adds one level of the snapshot being collected; size zero means the
    /// level is absent.
    #[inline]
    pub fn push(&mut self, side: Side, price: Decimal, qty: Decimal) {
        if !qty.is_zero() {
            self.next[idx(side)].push(Lvl {
                key: decimal_key(price),
                price,
                qty,
            });
        }
    }

    /// Forgets the previous snapshot: the next commit starts a fresh book.
    #[allow(dead_code)]
    pub fn reset(&mut self) {
        self.have_prev = false;
    }

    /// Validates the collected snapshot (no price twice on one side) and
    /// emits it as updates against the previous one. On error nothing is
    /// emitted and the previous snapshot stays.
    pub fn commit(
        &mut self,
        exchange_ts: i64,
        local_ts: Option<i64>,
        out: &mut Out,
    ) -> Result<(), RowError> {
        for side in &mut self.next {
            if !side.windows(2).all(|w| w[0].key < w[1].key) {
                side.sort_unstable_by_key(|l| l.key);
                if side.windows(2).any(|w| w[0].key == w[1].key) {
                    return Err(RowError::row("snapshot lists one price twice on a side"));
                }
            }
        }
        if !self.have_prev {
            out.push(exchange_ts, local_ts, Payload::BookClear);
            out.stats.snapshots += 1;
            for (i, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
                let levels = &self.next[i];
                // Bids best (highest) first, asks best (lowest) first.
                let mut emit = |l: &Lvl| {
                    out.push(
                        exchange_ts,
                        local_ts,
                        Payload::BookLevel {
                            side,
                            price: l.price,
                            qty: l.qty,
                        },
                    )
                };
                match side {
                    Side::Buy => levels.iter().rev().for_each(&mut emit),
                    Side::Sell => levels.iter().for_each(&mut emit),
                }
            }
            out.push(exchange_ts, local_ts, Payload::SnapshotEnd);
            self.have_prev = true;
        } else {
            for (i, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
                diff_side(
                    &self.prev[i],
                    &self.next[i],
                    side,
                    exchange_ts,
                    local_ts,
                    out,
                );
            }
        }
        std::mem::swap(&mut self.prev, &mut self.next);
        Ok(())
    }
}

fn diff_side(
    old: &[Lvl],
    new: &[Lvl],
    side: Side,
    exchange_ts: i64,
    local_ts: Option<i64>,
    out: &mut Out,
) {
    let (mut i, mut j) = (0, 0);
    let level = |price, qty| Payload::BookLevel { side, price, qty };
    while i < old.len() || j < new.len() {
        match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) if o.key == n.key => {
                if o.qty != n.qty {
                    out.push(exchange_ts, local_ts, level(n.price, n.qty));
                }
                i += 1;
                j += 1;
            }
            (Some(o), Some(n)) if o.key < n.key => {
                out.push(exchange_ts, local_ts, level(o.price, Decimal::new(0, 0)));
                i += 1;
                let _ = n;
            }
            (Some(o), None) => {
                out.push(exchange_ts, local_ts, level(o.price, Decimal::new(0, 0)));
                i += 1;
            }
            (_, Some(n)) => {
                out.push(exchange_ts, local_ts, level(n.price, n.qty));
                j += 1;
            }
            (None, None) => break,
        }
    }
}
