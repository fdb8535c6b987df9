//! Side-by-side throughput of cascade's book and three other Rust matching
//! engines on the same pre-generated operation streams (same seed, same
//! prefill), in one run.
//!
//! ```sh
//! cargo run --release --example sidebyside            # both mixes
//! cargo run --release --example sidebyside -- --ops 200000 --reps 9
//! cargo run --release --example sidebyside -- --moves-as-cancel-new
//! cargo run --release --example sidebyside -- --only cascade   # profiling
//! ```
//!
//! Prints one JSON line per mix with each engine's ops/s (median of the
//! repetitions; engines interleaved within each repetition so that machine
//! noise hits them alike) and the total quantity each filled. Before timing
//! anything it replays the stream once per engine and checks that every
//! operation filled exactly the same quantity in every engine (so the same
//! orders matched the same way); it exits with status 1 if not.
//!
//! How the operations map onto each engine (every engine does the same
//! work):
//! - GTC limit: a GTC limit order everywhere.
//! - IOC limit: an IOC order in cascade, matchcore and orderbook-rs;
//!   lobster has no IOC, so there it is a limit order followed by a cancel
//!   of whatever rested.
//! - cancel: each engine's cancel.
//! - move (price change of a resting order, which loses time priority and
//!   may trade): cascade `modify` and matchcore `Amend` natively; lobster
//!   has no amend, and orderbook-rs's `update_order` does not report the
//!   fills of the re-entered order, so for those two a move is a cancel
//!   plus a new limit order of the unfilled quantity with the same id
//!   (which is what a price amend means). `--moves-as-cancel-new` makes
//!   every engine, cascade and matchcore included, use cancel + new.
//! - ids: cascade, lobster and orderbook-rs take the stream's ids;
//!   matchcore assigns an order the sequence number of the command that
//!   submitted it, so its commands are pre-mapped to those ids.
//!
//! Commands are built before timing; building and filling a fresh book
//! (the prefill), and dropping it, are not timed.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use cascade::book::workload::{generate, run_op, Mix, WorkOp, Workload};
use cascade::book::BookEvent;
use cascade::types::Side;

/// One engine under test: how to build a book, convert the stream to its
/// native commands, and execute one command (returning the filled qty).
trait Engine {
    type Book;
    type Cmd;
    const NAME: &'static str;
    fn new_book() -> Self::Book;
    /// Native commands for prefill + ops (same length as the inputs).
    fn convert(w: &Workload, cancel_new: bool) -> (Vec<Self::Cmd>, Vec<Self::Cmd>);
    fn exec(&mut self, book: &mut Self::Book, cmd: &Self::Cmd) -> u64;
}

/// Measured results of one engine.
struct Runner<E: Engine> {
    engine: E,
    prefill: Vec<E::Cmd>,
    ops: Vec<E::Cmd>,
    rates: Vec<f64>,
    filled: u64,
}

impl<E: Engine> Runner<E> {
    fn new(engine: E, w: &Workload, cancel_new: bool) -> Self {
        let (prefill, ops) = E::convert(w, cancel_new);
        Runner {
            engine,
            prefill,
            ops,
            rates: Vec::new(),
            filled: 0,
        }
    }

    fn fresh(&mut self) -> E::Book {
        let mut book = E::new_book();
        for c in &self.prefill {
            self.engine.exec(&mut book, c);
        }
        book
    }

    /// Filled quantity of every operation (untimed check).
    fn per_op(&mut self) -> Vec<u64> {
        let mut book = self.fresh();
        let out = self
            .ops
            .iter()
            .map(|c| self.engine.exec(&mut book, c))
            .collect();
        drop(book);
        out
    }

    /// One timed repetition.
    fn rep(&mut self) {
        let mut book = self.fresh();
        let t = Instant::now();
        let mut filled = 0;
        for c in &self.ops {
            filled += self.engine.exec(&mut book, c);
        }
        let secs = t.elapsed().as_secs_f64();
        black_box(&mut book);
        drop(book);
        self.filled = filled;
        self.rates.push(self.ops.len() as f64 / secs);
    }

    fn median(&self) -> f64 {
        let mut r = self.rates.clone();
        r.sort_by(|a, b| a.total_cmp(b));
        r.get(r.len() / 2).copied().unwrap_or(0.0)
    }
}

// ---------------------------------------------------------------- cascade

struct Cascade {
    out: Vec<BookEvent>,
}

/// cascade with `--moves-as-cancel-new`: a move is two operations.
enum CascadeCmd {
    Op(WorkOp),
    CancelNew(WorkOp, WorkOp),
}

impl Engine for Cascade {
    type Book = cascade::book::OrderBook;
    type Cmd = CascadeCmd;
    const NAME: &'static str = "cascade";

    fn new_book() -> Self::Book {
        cascade::book::OrderBook::new()
    }

    fn convert(w: &Workload, cancel_new: bool) -> (Vec<CascadeCmd>, Vec<CascadeCmd>) {
        let conv = |op: &WorkOp| match *op {
            WorkOp::Move {
                id,
                side,
                price,
                remaining,
            } if cancel_new => CascadeCmd::CancelNew(
                WorkOp::Cancel { id, side },
                WorkOp::Limit {
                    id,
                    side,
                    price,
                    qty: remaining,
                },
            ),
            op => CascadeCmd::Op(op),
        };
        (
            w.prefill.iter().map(conv).collect(),
            w.ops.iter().map(conv).collect(),
        )
    }

    #[inline]
    fn exec(&mut self, book: &mut Self::Book, cmd: &CascadeCmd) -> u64 {
        self.out.clear();
        match cmd {
            CascadeCmd::Op(op) => run_op(book, op, &mut self.out) as u64,
            CascadeCmd::CancelNew(c, n) => {
                run_op(book, c, &mut self.out);
                run_op(book, n, &mut self.out) as u64
            }
        }
    }
}

// ---------------------------------------------------------------- matchcore

struct Matchcore;

enum McCmd {
    One(matchcore::Command),
    Two(matchcore::Command, matchcore::Command),
}

fn mc_side(s: Side) -> matchcore::Side {
    match s {
        Side::Buy => matchcore::Side::Buy,
        Side::Sell => matchcore::Side::Sell,
    }
}

fn mc_filled(o: &matchcore::CommandOutcome) -> u64 {
    use matchcore::{CommandOutcome, CommandReport};
    let effects = match o {
        CommandOutcome::Applied(CommandReport::Submit(e))
        | CommandOutcome::Applied(CommandReport::Amend(e)) => e,
        _ => return 0,
    };
    let mut q = effects
        .target_order()
        .match_result()
        .map_or(0, |m| m.executed_quantity().0);
    for t in effects.triggered_orders() {
        q += t.match_result().map_or(0, |m| m.executed_quantity().0);
    }
    q
}

impl Engine for Matchcore {
    type Book = matchcore::OrderBook;
    type Cmd = McCmd;
    const NAME: &'static str = "matchcore";

    fn new_book() -> Self::Book {
        matchcore::OrderBook::new("BENCH")
    }

    fn convert(w: &Workload, cancel_new: bool) -> (Vec<McCmd>, Vec<McCmd>) {
        use matchcore::*;
        let mut seq = 0u64;
        // stream id -> matchcore id (the sequence number that submitted it)
        let mut ids: HashMap<u64, OrderId> = HashMap::new();
        // Sequence numbers start at 0 and go up by one per command.
        let mut cmd = |kind: CommandKind| {
            let c = Command {
                meta: CommandMeta {
                    sequence_number: SequenceNumber(seq),
                    timestamp: Timestamp(seq),
                },
                kind,
            };
            seq += 1;
            c
        };
        let submit = |side: cascade::types::Side, price: i64, qty: i64, tif: TimeInForce| {
            CommandKind::Submit(SubmitCmd {
                order: NewOrder::Limit(LimitOrder::new(
                    Price(price as u64),
                    QuantityPolicy::Standard {
                        quantity: Quantity(qty as u64),
                    },
                    OrderFlags::new(mc_side(side), false, tif),
                )),
            })
        };
        let cancel = |id: OrderId| {
            CommandKind::Cancel(CancelCmd {
                order_id: id,
                order_kind: OrderKind::Limit,
            })
        };
        let mut conv = |op: &WorkOp| -> McCmd {
            match *op {
                WorkOp::Limit {
                    id,
                    side,
                    price,
                    qty,
                } => {
                    let c = cmd(submit(side, price, qty, TimeInForce::Gtc));
                    ids.insert(id, OrderId(c.meta.sequence_number.0));
                    McCmd::One(c)
                }
                WorkOp::Ioc {
                    side, price, qty, ..
                } => McCmd::One(cmd(submit(side, price, qty, TimeInForce::Ioc))),
                WorkOp::Cancel { id, .. } => McCmd::One(cmd(cancel(ids[&id]))),
                WorkOp::Move {
                    id,
                    side,
                    price,
                    remaining,
                } => {
                    if cancel_new {
                        let c = cmd(cancel(ids[&id]));
                        let n = cmd(submit(side, price, remaining, TimeInForce::Gtc));
                        ids.insert(id, OrderId(n.meta.sequence_number.0));
                        McCmd::Two(c, n)
                    } else {
                        McCmd::One(cmd(CommandKind::Amend(AmendCmd {
                            order_id: ids[&id],
                            patch: AmendPatch::Limit(
                                LimitOrderPatch::new().with_price(Price(price as u64)),
                            ),
                        })))
                    }
                }
            }
        };
        let prefill = w.prefill.iter().map(&mut conv).collect();
        let ops = w.ops.iter().map(&mut conv).collect();
        (prefill, ops)
    }

    #[inline]
    fn exec(&mut self, book: &mut Self::Book, cmd: &McCmd) -> u64 {
        match cmd {
            McCmd::One(c) => mc_filled(&book.execute(c)),
            McCmd::Two(a, b) => {
                book.execute(a);
                mc_filled(&book.execute(b))
            }
        }
    }
}

// ---------------------------------------------------------------- lobster

struct Lobster;

fn lob_side(s: Side) -> lobster::Side {
    match s {
        Side::Buy => lobster::Side::Bid,
        Side::Sell => lobster::Side::Ask,
    }
}

fn lob_filled(e: &lobster::OrderEvent) -> (u64, bool) {
    match e {
        lobster::OrderEvent::Filled { filled_qty, .. } => (*filled_qty, true),
        lobster::OrderEvent::PartiallyFilled { filled_qty, .. } => (*filled_qty, false),
        _ => (0, false),
    }
}

impl Engine for Lobster {
    type Book = lobster::OrderBook;
    type Cmd = WorkOp;
    const NAME: &'static str = "lobster";

    fn new_book() -> Self::Book {
        lobster::OrderBook::default()
    }

    fn convert(w: &Workload, _cancel_new: bool) -> (Vec<WorkOp>, Vec<WorkOp>) {
        (w.prefill.clone(), w.ops.clone())
    }

    #[inline]
    fn exec(&mut self, book: &mut Self::Book, op: &WorkOp) -> u64 {
        use lobster::OrderType;
        match *op {
            WorkOp::Limit {
                id,
                side,
                price,
                qty,
            } => {
                lob_filled(&book.execute(OrderType::Limit {
                    id: id as u128,
                    side: lob_side(side),
                    qty: qty as u64,
                    price: price as u64,
                }))
                .0
            }
            WorkOp::Ioc {
                id,
                side,
                price,
                qty,
            } => {
                // No IOC in lobster: limit, then cancel what rested.
                let (f, done) = lob_filled(&book.execute(OrderType::Limit {
                    id: id as u128,
                    side: lob_side(side),
                    qty: qty as u64,
                    price: price as u64,
                }));
                if !done {
                    book.execute(OrderType::Cancel { id: id as u128 });
                }
                f
            }
            WorkOp::Cancel { id, .. } => {
                book.execute(OrderType::Cancel { id: id as u128 });
                0
            }
            WorkOp::Move {
                id,
                side,
                price,
                remaining,
            } => {
                book.execute(OrderType::Cancel { id: id as u128 });
                lob_filled(&book.execute(OrderType::Limit {
                    id: id as u128,
                    side: lob_side(side),
                    qty: remaining as u64,
                    price: price as u64,
                }))
                .0
            }
        }
    }
}

// ---------------------------------------------------------------- orderbook-rs

struct OrderbookRs;

fn obr_side(s: Side) -> orderbook_rs::Side {
    match s {
        Side::Buy => orderbook_rs::Side::Buy,
        Side::Sell => orderbook_rs::Side::Sell,
    }
}

fn obr_add(
    book: &orderbook_rs::OrderBook<()>,
    id: u64,
    side: Side,
    price: i64,
    qty: i64,
    tif: orderbook_rs::TimeInForce,
) -> u64 {
    match book.add_limit_order_with_result(
        orderbook_rs::Id::sequential(id),
        price as u128,
        qty as u64,
        obr_side(side),
        tif,
        None,
    ) {
        Ok((_, Some(t))) => t.match_result.executed_quantity().map_or(0, |q| q.as_u64()),
        // An IOC that does not fill in full reports its fills this way.
        Err(orderbook_rs::prelude::OrderBookError::InsufficientLiquidity { available, .. }) => {
            available
        }
        _ => 0,
    }
}

impl Engine for OrderbookRs {
    type Book = orderbook_rs::OrderBook<()>;
    type Cmd = WorkOp;
    const NAME: &'static str = "orderbook_rs";

    fn new_book() -> Self::Book {
        orderbook_rs::OrderBook::new("BENCH")
    }

    fn convert(w: &Workload, _cancel_new: bool) -> (Vec<WorkOp>, Vec<WorkOp>) {
        (w.prefill.clone(), w.ops.clone())
    }

    #[inline]
    fn exec(&mut self, book: &mut Self::Book, op: &WorkOp) -> u64 {
        use orderbook_rs::TimeInForce;
        match *op {
            WorkOp::Limit {
                id,
                side,
                price,
                qty,
            } => obr_add(book, id, side, price, qty, TimeInForce::Gtc),
            WorkOp::Ioc {
                id,
                side,
                price,
                qty,
            } => obr_add(book, id, side, price, qty, TimeInForce::Ioc),
            WorkOp::Cancel { id, .. } => {
                let _ = book.cancel_order(orderbook_rs::Id::sequential(id));
                0
            }
            WorkOp::Move {
                id,
                side,
                price,
                remaining,
            } => {
                let _ = book.cancel_order(orderbook_rs::Id::sequential(id));
                obr_add(book, id, side, price, remaining, TimeInForce::Gtc)
            }
        }
    }
}

// ---------------------------------------------------------------- driver

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let n: usize = arg("--ops", 200_000);
    let reps: usize = arg("--reps", 7);
    let seed: u64 = arg("--seed", 0x00C0_FFEE);
    let cancel_new = std::env::args().any(|a| a == "--moves-as-cancel-new");
    let only: String = arg("--only", String::new());
    let mut ok = true;
    for mix in [Mix::ExchangeCore, Mix::Replay] {
        let w = generate(mix, n, seed);
        if only == Cascade::NAME {
            // One engine alone, e.g. under a profiler.
            let mut c = Runner::new(Cascade { out: Vec::new() }, &w, cancel_new);
            for _ in 0..reps {
                c.rep();
            }
            println!(
                "{} cascade {:.0} ops/s filled {}",
                mix.name(),
                c.median(),
                c.filled
            );
            continue;
        }
        let mut c = Runner::new(Cascade { out: Vec::new() }, &w, cancel_new);
        let mut m = Runner::new(Matchcore, &w, cancel_new);
        let mut l = Runner::new(Lobster, &w, cancel_new);
        let mut o = Runner::new(OrderbookRs, &w, cancel_new);
        // Same work: every operation fills the same in every engine.
        let want = c.per_op();
        let mut agree = true;
        for (name, got) in [
            (Matchcore::NAME, m.per_op()),
            (Lobster::NAME, l.per_op()),
            (OrderbookRs::NAME, o.per_op()),
        ] {
            if let Some(i) = (0..want.len()).find(|&i| got[i] != want[i]) {
                eprintln!(
                    "{}: {name} filled {} at op #{i} ({:?}), cascade {}",
                    mix.name(),
                    got[i],
                    w.ops[i],
                    want[i]
                );
                agree = false;
            }
        }
        ok &= agree;
        for _ in 0..reps {
            c.rep();
            m.rep();
            l.rep();
            o.rep();
        }
        let name = if cancel_new {
            format!("{}_cancel_new", mix.name())
        } else {
            mix.name().to_string()
        };
        println!(
            "{{\"ops\":{},\"mix\":\"{}\",\"reps\":{},\"cascade_ops_s\":{:.0},\"matchcore_ops_s\":{:.0},\
             \"lobster_ops_s\":{:.0},\"orderbook_rs_ops_s\":{:.0},\"cascade_vs_matchcore\":{:.2},\
             \"filled_qty\":{{\"cascade\":{},\"matchcore\":{},\"lobster\":{},\"orderbook_rs\":{}}},\
             \"agree\":{}}}",
            n,
            name,
            reps,
            c.median(),
            m.median(),
            l.median(),
            o.median(),
            c.median() / m.median(),
            c.filled,
            m.filled,
            l.filled,
            o.filled,
            agree
        );
    }
    if !ok {
        std::process::exit(1);
    }
}
