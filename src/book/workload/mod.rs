//! Deterministic operation streams for the matching benchmarks
//! (`benches/matching.rs`) and the side-by-side comparison with other
//! engines (`examples/sidebyside.rs`): the same seed gives the same stream.
//!
//! Owns: the operation type, the list of mixes (one file each: the two
//! small-book mixes in `synthetic.rs`, then `large.rs`, `drift.rs`,
//! `sweep.rs`, `far.rs`, and the LOBSTER replay in `l3.rs`), a tiny PRNG
//! (splitmix64, so no `rand` dependency), and the code that drives an
//! `OrderBook` through a stream. Must not: be used by the engine.
//!
//! Each generator simulates the stream on an `OrderBook` while it writes it,
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

mod drift;
mod far;
mod l3;
mod large;
mod sim;
mod sweep;
mod synthetic;

pub use l3::{l3_replay, parse_lobster, L3Message};

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

/// Which benchmark stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// Like exchange-core's benchmark: about 9% new GTC limits, 3% IOC,
    /// 6% cancels and 82% moves of resting orders to a new price, on a book
    /// of about 1,000 orders over about 750 levels.
    ExchangeCore,
    /// Like replaying an exchange feed: 55% GTC limits, 30% cancels,
    /// 15% IOC.
    Replay,
    /// 520,000 resting orders on 10,000 levels, random cancels and new
    /// orders on random levels (`large.rs`).
    LargeBook,
    /// A trending mid with 300 stale orders far from it (`drift.rs`).
    Drift,
    /// IOCs that take 5-50 whole levels (`sweep.rs`).
    Sweep,
    /// One buy 600,000 ticks below the market, then buys near it with
    /// cancels 32 behind (`far.rs`).
    FarOrder,
    /// `FarOrder` without the far order.
    NearOnly,
    /// An L3 replay of LOBSTER messages (`l3.rs`; made by [`l3_replay`],
    /// not by [`generate`]).
    LobsterL3,
}

impl Mix {
    /// Every mix [`generate`] makes.
    pub const GENERATED: [Mix; 7] = [
        Mix::ExchangeCore,
        Mix::Replay,
        Mix::LargeBook,
        Mix::Drift,
        Mix::Sweep,
        Mix::FarOrder,
        Mix::NearOnly,
    ];

    /// Short name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mix::ExchangeCore => "exchange_core",
            Mix::Replay => "replay",
            Mix::LargeBook => "large_book",
            Mix::Drift => "drift",
            Mix::Sweep => "sweeps",
            Mix::FarOrder => "far_order",
            Mix::NearOnly => "near_only",
            Mix::LobsterL3 => "lobster_l3",
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
    /// The mix's name ([`Mix::name`]).
    pub name: &'static str,
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

/// Generates `n` measured operations of `mix` from `seed`, after the
/// mix's prefill. `Mix::LobsterL3` is not generated: see [`l3_replay`]
/// (asked for here, it gives an empty stream).
pub fn generate(mix: Mix, n: usize, seed: u64) -> Workload {
    match mix {
        Mix::ExchangeCore | Mix::Replay => synthetic::generate(mix, n, seed),
        Mix::LargeBook => large::generate(n, seed),
        Mix::Drift => drift::generate(n, seed),
        Mix::Sweep => sweep::generate(n, seed),
        Mix::FarOrder => far::generate(n, seed, true),
        Mix::NearOnly => far::generate(n, seed, false),
        Mix::LobsterL3 => l3_replay(&[], 0),
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

    /// Replays `w` on a fresh book: fills what the generator measured,
    /// and the book stays sound.
    fn replays(w: &Workload) -> OrderBook {
        let mut book = OrderBook::new();
        let mut out = Vec::new();
        run_all(&mut book, &w.prefill, &mut out);
        assert_eq!(run_all(&mut book, &w.ops, &mut out), w.filled, "{}", w.name);
        book.check_invariants().unwrap();
        assert_eq!(book.len(), w.final_orders);
        book
    }

    #[test]
    fn the_other_mixes_are_shaped_as_documented() {
        for mix in [Mix::Drift, Mix::Sweep, Mix::FarOrder, Mix::NearOnly] {
            let w = generate(mix, 20_000, 7);
            assert_eq!(w.ops, generate(mix, 20_000, 7).ops);
            assert_eq!(w.ops.len(), 20_000);
            let book = replays(&w);
            match mix {
                Mix::Drift => {
                    // The stale orders stay, far behind the market.
                    let far = |side| {
                        book.levels(side)
                            .filter(|(p, _)| (p.0 - 10_000_000).abs() >= 90_000)
                            .count()
                    };
                    assert!(far(Side::Buy) >= 140 && far(Side::Sell) >= 140);
                    assert!(w.filled > 0);
                }
                Mix::Sweep => {
                    // Some IOCs take 5 levels or more.
                    let deep = w.ops.iter().filter(|op| match op {
                        WorkOp::Ioc { qty, .. } => *qty > 500,
                        _ => false,
                    });
                    assert!(deep.count() > 10);
                }
                Mix::FarOrder | Mix::NearOnly => {
                    let far = book.levels(Side::Buy).any(|(p, _)| p.0 == 400_000);
                    assert_eq!(far, mix == Mix::FarOrder);
                    assert_eq!(book.len(), 32 + far as usize);
                }
                _ => unreachable!(),
            }
        }
    }

    /// The dense ladder keeps the market in its window: in the far-order
    /// and drifting streams only the stale orders far from the market end
    /// up in its far map, wherever they came in the stream.
    #[test]
    fn far_orders_stay_out_of_the_window() {
        let mut out = Vec::new();
        for (mix, n) in [(Mix::Drift, 200_000), (Mix::FarOrder, 2_000)] {
            let w = generate(mix, n, 7);
            let mut book = OrderBook::new();
            for (k, op) in w.prefill.iter().chain(&w.ops).enumerate() {
                out.clear();
                run_op(&mut book, op, &mut out);
                if k % 500 == 0 || k == w.prefill.len() {
                    let best = |s| match s {
                        Side::Buy => book.best_bid(),
                        Side::Sell => book.best_ask(),
                    };
                    for (side, ladder) in [(Side::Buy, &book.bids), (Side::Sell, &book.asks)] {
                        let far = ladder.far_len();
                        let outliers = best(side).map_or(0, |b| {
                            book.levels(side)
                                .filter(|(p, _)| (p.0 - b.0).abs() >= 1 << 19)
                                .count()
                        });
                        assert!(
                            far <= outliers,
                            "{} op {k}: {side} far {far} > {outliers}",
                            w.name
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_large_book_holds_520k_orders_on_10k_levels() {
        let w = generate(Mix::LargeBook, 20_000, 7);
        let book = replays(&w);
        let levels = book.levels(Side::Buy).count() + book.levels(Side::Sell).count();
        assert_eq!(levels, 10_000);
        assert!((510_000..=530_000).contains(&book.len()), "{}", book.len());
    }
}
