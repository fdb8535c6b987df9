//! The generators' simulated market: an `OrderBook` that every generated
//! operation is applied to as it is written, the set of resting ids a
//! cancel or move may name, and the pricing helpers the mixes share.
//!
//! Owns: the simulation state and the recorded prefill and operations.
//! Must not: decide what a mix looks like (each mix's file does).

use std::collections::HashMap;

use super::{run_op, SplitMix64, WorkOp, Workload};
use crate::book::{BookEvent, OrderBook};
use crate::types::{OrderId, Side};

/// A stream being written on a simulated book.
pub(super) struct Sim {
    /// The generator's randomness.
    pub rng: SplitMix64,
    /// The simulated book (the state after every recorded operation).
    pub book: OrderBook,
    out: Vec<BookEvent>,
    /// Resting ids a cancel or move may name.
    live: Vec<OrderId>,
    pos: HashMap<OrderId, usize>,
    next_id: OrderId,
    prefill: Vec<WorkOp>,
    /// The measured operations so far.
    pub ops: Vec<WorkOp>,
    filled: i64,
}

impl Sim {
    pub fn new(seed: u64) -> Sim {
        Sim {
            rng: SplitMix64(seed),
            book: OrderBook::new(),
            out: Vec::new(),
            live: Vec::new(),
            pos: HashMap::new(),
            next_id: 0,
            prefill: Vec::new(),
            ops: Vec::new(),
            filled: 0,
        }
    }

    /// Resting orders a cancel or move may name.
    pub fn live(&self) -> usize {
        self.live.len()
    }

    pub fn side(&mut self) -> Side {
        if self.rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    /// 1 to 100 lots.
    pub fn qty(&mut self) -> i64 {
        1 + self.rng.below(100) as i64
    }

    pub fn new_id(&mut self) -> OrderId {
        self.next_id += 1;
        self.next_id
    }

    /// Applies `op` to the book as part of the prefill.
    pub fn prefill(&mut self, op: WorkOp) {
        self.apply(op);
        self.prefill.push(op);
    }

    /// Applies `op` to the book as a measured operation.
    pub fn push(&mut self, op: WorkOp) {
        self.filled += self.apply(op);
        self.ops.push(op);
    }

    /// The finished stream.
    pub fn finish(self, name: &'static str) -> Workload {
        Workload {
            name,
            final_orders: self.book.len(),
            final_levels: self.book.levels(Side::Buy).count()
                + self.book.levels(Side::Sell).count(),
            prefill: self.prefill,
            ops: self.ops,
            filled: self.filled,
        }
    }

    /// Applies `op` to the simulated book and tracks which ids rest.
    /// Returns the quantity it filled.
    fn apply(&mut self, op: WorkOp) -> i64 {
        self.out.clear();
        let filled = run_op(&mut self.book, &op, &mut self.out);
        for e in std::mem::take(&mut self.out) {
            match e {
                BookEvent::Fill(f) if f.maker_remaining.0 == 0 => self.forget(f.maker),
                BookEvent::Canceled(c) => self.forget(c.id),
                _ => {}
            }
        }
        match op {
            WorkOp::Limit { id, .. } | WorkOp::Move { id, .. } => {
                if self.book.order(id).is_some() {
                    self.add_live(id);
                } else {
                    self.forget(id);
                }
            }
            WorkOp::Cancel { id, .. } => self.forget(id),
            WorkOp::Ioc { .. } => {}
        }
        filled
    }

    fn add_live(&mut self, id: OrderId) {
        if !self.pos.contains_key(&id) {
            self.pos.insert(id, self.live.len());
            self.live.push(id);
        }
    }

    /// Takes `id` out of the set a cancel or move may name (it may still
    /// rest: a stale order that nobody cancels).
    pub fn forget(&mut self, id: OrderId) {
        if let Some(i) = self.pos.remove(&id) {
            self.live.swap_remove(i);
            if let Some(&moved) = self.live.get(i) {
                self.pos.insert(moved, i);
            }
        }
    }

    /// A random resting order: (id, side, price, remaining).
    pub fn pick_live(&mut self) -> Option<(OrderId, Side, i64, i64)> {
        if self.live.is_empty() {
            return None;
        }
        let id = self.live[self.rng.below(self.live.len() as u64) as usize];
        self.book
            .order(id)
            .map(|o| (id, o.side, o.price.0, o.remaining.0))
    }

    /// A cancel of a random resting order.
    pub fn cancel(&mut self) -> Option<WorkOp> {
        self.pick_live()
            .map(|(id, side, _, _)| WorkOp::Cancel { id, side })
    }

    /// A passive price `off` ticks behind the opposite best (or behind
    /// `centre` when that side is empty): it never crosses.
    pub fn behind_opposite(&self, side: Side, off: i64, centre: i64) -> i64 {
        match side {
            Side::Buy => self.book.best_ask().map_or(centre, |p| p.0) - off,
            Side::Sell => self.book.best_bid().map_or(centre, |p| p.0) + off,
        }
    }

    /// The opposite-side price at which the quantity from the top reaches
    /// `qty`: an order of `qty` limited there fills in full without its
    /// limit ever stopping it. `None` when the side holds less.
    pub fn sweep_price(&self, side: Side, qty: i64) -> Option<i64> {
        let mut acc = 0;
        for (p, q) in self.book.levels(side.opposite()) {
            acc += q.0;
            if acc >= qty {
                return Some(p.0);
            }
        }
        None
    }

    /// The worst price of the opposite side (or `centre` when empty).
    pub fn far_price(&self, side: Side, centre: i64) -> i64 {
        self.book
            .levels(side.opposite())
            .last()
            .map_or(centre, |(p, _)| p.0)
    }

    /// An IOC on `side` of `qty` that fills in full (or takes the whole
    /// opposite side when it holds less): limited at the sweep price.
    pub fn ioc_of(&mut self, side: Side, qty: i64, centre: i64) -> WorkOp {
        let price = match self.sweep_price(side, qty) {
            Some(p) => p,
            None => self.far_price(side, centre),
        };
        WorkOp::Ioc {
            id: self.new_id(),
            side,
            price,
            qty,
        }
    }

    /// An IOC that takes about `k` levels from the opposite top, at most
    /// 100 lots of each (0: a few lots of the top level).
    pub fn ioc(&mut self, k: usize, centre: i64) -> WorkOp {
        let side = self.side();
        let mut qty = 0;
        for (_, q) in self.book.levels(side.opposite()).take(k.max(1)) {
            qty += q.0.min(100);
        }
        if k == 0 {
            qty = qty.min(1 + self.rng.below(5) as i64);
        }
        self.ioc_of(side, qty.max(1), centre)
    }

    /// An IOC that takes exactly the `k` best opposite levels in full
    /// (fewer if the side has fewer); `None` when that side is empty.
    pub fn sweep_levels(&mut self, side: Side, k: usize) -> Option<WorkOp> {
        let mut qty = 0;
        let mut price = None;
        for (p, q) in self.book.levels(side.opposite()).take(k) {
            qty += q.0;
            price = Some(p.0);
        }
        Some(WorkOp::Ioc {
            id: self.new_id(),
            side,
            price: price?,
            qty,
        })
    }
}
