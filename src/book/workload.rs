//! Deterministic synthetic operation streams for the matching benchmarks
//! (`benches/matching.rs`) and the side-by-side comparison with other
//! engines (`examples/sidebyside.rs`): the same seed gives the same stream.
//!
//! Owns: the two benchmark mixes, their generator and a tiny PRNG
//! (splitmix64, so no `rand` dependency), and the code that drives an
//! `OrderBook` through a stream. Must not: be used by the engine.
//!
//! The generator simulates the stream on an `OrderBook` while it writes it,
//! so every cancel and move names an order that is resting at that point,
//! and a move carries the order's unfilled quantity (engines without an
//! amend express a move as cancel + new with that quantity).
//!
//! An order that crosses is priced at the level where the opposite depth
//! covers its quantity, so it fills in full before its limit price could
//! stop it (only an IOC larger than the whole opposite side is cut short,
//! by the side running out). Reason: matchcore 0.4 matches a crossing limit
//! order without its limit price (`submit_crossable_order` and the amend
//! path call `match_order` with `None`), so a stream in which limits bind
//! would make it do different work from the other engines.

use std::collections::HashMap;

use super::ladder::Ladder;
use super::{BookEvent, OrderBook, OrderRequest, SelfTradePrevention, TimeInForce};
use crate::types::{OrderId, Price, Qty, Side};

/// splitmix64: a tiny, fast, well-mixed deterministic PRNG.
#[derive(Clone, Debug)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the tiny modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Which benchmark mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Like exchange-core's benchmark: about 9% new GTC limits, 3% IOC,
    /// 6% cancels and 82% moves of resting orders to a new price, on a book
    /// of about 1,000 orders over about 750 levels.
    ExchangeCore,
    /// Like replaying an exchange feed: 55% GTC limits, 30% cancels,
    /// 15% IOC.
    Replay,
}

impl Mix {
    /// Short name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mix::ExchangeCore => "exchange_core",
            Mix::Replay => "replay",
        }
    }
}

/// One benchmark operation. No self-trade prevention (all accounts
/// differ), prices are positive ticks, quantities positive lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkOp {
    /// A GTC limit order: it trades while it crosses, its remainder rests.
    Limit {
        /// New id.
        id: OrderId,
        /// Side.
        side: Side,
        /// Limit price in ticks.
        price: i64,
        /// Quantity in lots.
        qty: i64,
    },
    /// An immediate-or-cancel limit order.
    Ioc {
        /// New id.
        id: OrderId,
        /// Side.
        side: Side,
        /// Limit price in ticks.
        price: i64,
        /// Quantity in lots.
        qty: i64,
    },
    /// Cancel of a resting order.
    Cancel {
        /// Resting order.
        id: OrderId,
        /// Its side (some engines want it).
        side: Side,
    },
    /// Move of a resting order to a new price: it loses time priority and
    /// may trade (a modify; or cancel + new limit of `remaining`).
    Move {
        /// Resting order.
        id: OrderId,
        /// Its side.
        side: Side,
        /// New price in ticks (always different from the old one).
        price: i64,
        /// Its unfilled quantity just before the move.
        remaining: i64,
    },
}

/// A generated stream: `prefill` builds the starting book (not timed),
/// `ops` is what is measured.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The mix.
    pub mix: Mix,
    /// Passive limits that build the starting book.
    pub prefill: Vec<WorkOp>,
    /// The measured operations.
    pub ops: Vec<WorkOp>,
    /// Total quantity `ops` fill (on the generating book).
    pub filled: i64,
    /// Resting orders at the end.
    pub final_orders: usize,
    /// Price levels at the end (both sides).
    pub final_levels: usize,
}

/// Centre price in ticks.
const MID: i64 = 1_000_000;
/// Passive orders sit up to this many ticks away from the centre.
const SPAN: f64 = 1000.0;
/// Target size of the book.
const TARGET_ORDERS: usize = 1_000;

/// Generator state: the simulated book and the set of resting ids.
struct Gen {
    rng: SplitMix64,
    book: OrderBook,
    out: Vec<BookEvent>,
    live: Vec<OrderId>,
    pos: HashMap<OrderId, usize>,
    next_id: OrderId,
}

impl Gen {
    fn side(&mut self) -> Side {
        if self.rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn qty(&mut self) -> i64 {
        1 + self.rng.below(100) as i64
    }

    /// A passive price: behind the opposite best (so it never crosses),
    /// denser near it (the square of a uniform).
    fn passive_price(&mut self, side: Side) -> i64 {
        let u = self.rng.unit();
        let off = 1 + (SPAN * u * u) as i64;
        match side {
            Side::Buy => self.book.best_ask().map_or(MID, |p| p.0) - off,
            Side::Sell => self.book.best_bid().map_or(MID, |p| p.0) + off,
        }
    }

    /// The opposite-side price at which the quantity from the top reaches
    /// `qty`: an order of `qty` limited there fills in full without its
    /// limit ever stopping it. `None` when the side holds less.
    fn sweep_price(&self, side: Side, qty: i64) -> Option<i64> {
        let mut acc = 0;
        for (p, q) in self.book.levels(side.opposite()) {
            acc += q.0;
            if acc >= qty {
                return Some(p.0);
            }
        }
        None
    }

    /// The worst price of the opposite side (or the centre when empty).
    fn far_price(&self, side: Side) -> i64 {
        self.book
            .levels(side.opposite())
            .last()
            .map_or(MID, |(p, _)| p.0)
    }

    fn add_live(&mut self, id: OrderId) {
        if !self.pos.contains_key(&id) {
            self.pos.insert(id, self.live.len());
            self.live.push(id);
        }
    }

    fn drop_live(&mut self, id: OrderId) {
        if let Some(i) = self.pos.remove(&id) {
            self.live.swap_remove(i);
            if let Some(&moved) = self.live.get(i) {
                self.pos.insert(moved, i);
            }
        }
    }

    /// Applies `op` to the simulated book and tracks which ids rest.
    /// Returns the quantity it filled.
    fn apply(&mut self, op: WorkOp) -> i64 {
        self.out.clear();
        let filled = run_op(&mut self.book, &op, &mut self.out);
        for e in std::mem::take(&mut self.out) {
            match e {
                BookEvent::Fill(f) if f.maker_remaining.0 == 0 => self.drop_live(f.maker),
                BookEvent::Canceled(c) => self.drop_live(c.id),
                _ => {}
            }
        }
        match op {
            WorkOp::Limit { id, .. } | WorkOp::Move { id, .. } => {
                if self.book.order(id).is_some() {
                    self.add_live(id);
                } else {
                    self.drop_live(id);
                }
            }
            WorkOp::Cancel { id, .. } => self.drop_live(id),
            WorkOp::Ioc { .. } => {}
        }
        filled
    }

    fn new_id(&mut self) -> OrderId {
        self.next_id += 1;
        self.next_id
    }

    fn limit(&mut self, aggressive: bool) -> WorkOp {
        let side = self.side();
        let qty = self.qty();
        let price = match aggressive.then(|| self.sweep_price(side, qty)).flatten() {
            Some(p) => p,
            None => self.passive_price(side),
        };
        WorkOp::Limit {
            id: self.new_id(),
            side,
            price,
            qty,
        }
    }

    /// An IOC that takes about `k` levels from the opposite top (0: a few
    /// lots of the top level).
    fn ioc(&mut self, k: usize) -> WorkOp {
        let side = self.side();
        let opp = side.opposite();
        let mut qty = 0;
        for (_, q) in self.book.levels(opp).take(k.max(1)) {
            qty += q.0.min(100);
        }
        if k == 0 {
            qty = qty.min(1 + self.rng.below(5) as i64);
        }
        let qty = qty.max(1);
        let price = match self.sweep_price(side, qty) {
            Some(p) => p,
            None => self.far_price(side),
        };
        WorkOp::Ioc {
            id: self.new_id(),
            side,
            price,
            qty,
        }
    }

    fn pick_live(&mut self) -> Option<(OrderId, Side, i64, i64)> {
        if self.live.is_empty() {
            return None;
        }
        let id = self.live[self.rng.below(self.live.len() as u64) as usize];
        self.book
            .order(id)
            .map(|o| (id, o.side, o.price.0, o.remaining.0))
    }

    fn cancel(&mut self) -> Option<WorkOp> {
        self.pick_live()
            .map(|(id, side, _, _)| WorkOp::Cancel { id, side })
    }

    /// Moves a random resting order; `aggressive_pct` percent of moves
    /// cross the spread.
    fn moved(&mut self, aggressive_pct: u64) -> Option<WorkOp> {
        let (id, side, old, remaining) = self.pick_live()?;
        let aggressive = self.rng.below(100) < aggressive_pct;
        let mut price = match aggressive
            .then(|| self.sweep_price(side, remaining))
            .flatten()
        {
            Some(p) => p,
            None => self.passive_price(side),
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
}

/// Generates `n` measured operations of `mix` from `seed`, after a prefill
/// of about 1,000 passive orders.
pub fn generate(mix: Mix, n: usize, seed: u64) -> Workload {
    let mut g = Gen {
        rng: SplitMix64(seed),
        book: OrderBook::new(),
        out: Vec::new(),
        live: Vec::new(),
        pos: HashMap::new(),
        next_id: 0,
    };
    let mut prefill = Vec::with_capacity(TARGET_ORDERS);
    for _ in 0..TARGET_ORDERS {
        let op = g.limit(false);
        g.apply(op);
        prefill.push(op);
    }
    let mut ops = Vec::with_capacity(n);
    let mut filled = 0;
    while ops.len() < n {
        // Take more liquidity while the book is above its target size, less
        // while below, so that it hovers around it.
        let above = g.live.len() > TARGET_ORDERS;
        let r = g.rng.below(100);
        let op = match mix {
            Mix::ExchangeCore => match r {
                0..=8 => {
                    let aggressive = above && g.rng.below(100) < 30;
                    Some(g.limit(aggressive))
                }
                9..=11 => Some(g.ioc(if above { 2 } else { 0 })),
                12..=17 => g.cancel(),
                _ => g.moved(if above { 6 } else { 0 }),
            },
            Mix::Replay => match r {
                0..=54 => {
                    let aggressive = above && g.rng.below(100) < 20;
                    Some(g.limit(aggressive))
                }
                55..=84 => g.cancel(),
                _ => Some(g.ioc(if above { 2 } else { 1 })),
            },
        };
        if let Some(op) = op {
            filled += g.apply(op);
            ops.push(op);
        }
    }
    Workload {
        mix,
        prefill,
        ops,
        filled,
        final_orders: g.book.len(),
        final_levels: g.book.levels(Side::Buy).count() + g.book.levels(Side::Sell).count(),
    }
}

/// Applies one operation to a cascade book (a move is a `modify` of the
/// price); returns the quantity filled. Events go to `out` (not cleared).
#[inline]
pub fn run_op<L: Ladder>(book: &mut OrderBook<L>, op: &WorkOp, out: &mut Vec<BookEvent>) -> i64 {
    let req = |id, side, price, qty, tif| OrderRequest {
        id,
        account: id,
        side,
        qty: Qty(qty),
        price: Some(Price(price)),
        tif,
        stp: SelfTradePrevention::None,
    };
    let r = match *op {
        WorkOp::Limit {
            id,
            side,
            price,
            qty,
        } => book.submit(&req(id, side, price, qty, TimeInForce::Gtc), out),
        WorkOp::Ioc {
            id,
            side,
            price,
            qty,
        } => book.submit(&req(id, side, price, qty, TimeInForce::Ioc), out),
        WorkOp::Cancel { id, .. } => {
            // A cancel fills nothing; the generator only cancels live ids.
            let _ = book.cancel(id);
            return 0;
        }
        WorkOp::Move { id, price, .. } => book.modify(id, Some(Price(price)), None, out),
    };
    r.map_or(0, |p| p.filled.0)
}

/// Runs a whole stream on a cascade book, clearing `out` after each
/// operation; returns the total quantity filled.
pub fn run_all<L: Ladder>(
    book: &mut OrderBook<L>,
    ops: &[WorkOp],
    out: &mut Vec<BookEvent>,
) -> i64 {
    let mut filled = 0;
    for op in ops {
        out.clear();
        filled += run_op(book, op, out);
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_shaped_as_documented() {
        for mix in [Mix::ExchangeCore, Mix::Replay] {
            let a = generate(mix, 20_000, 7);
            let b = generate(mix, 20_000, 7);
            assert_eq!(a.ops, b.ops);
            assert_eq!(a.filled, b.filled);
            assert!(a.filled > 0);
            eprintln!(
                "{}: filled {} final orders {} levels {}",
                mix.name(),
                a.filled,
                a.final_orders,
                a.final_levels
            );
            assert!((700..=1300).contains(&a.final_orders), "{}", a.final_orders);
            // Replaying the stream on a fresh book fills the same.
            let mut book = OrderBook::new();
            let mut out = Vec::new();
            run_all(&mut book, &a.prefill, &mut out);
            assert_eq!(run_all(&mut book, &a.ops, &mut out), a.filled);
            book.check_invariants().unwrap();
        }
    }
}
