//! Side-by-side throughput of cascade's book and three other Rust matching
//! engines on the same pre-generated operation streams (same seed, same
//! prefill), in one run.
//!
//! ```sh
//! cargo run --release --example sidebyside            # every workload
//! cargo run --release --example sidebyside -- --ops 200000 --reps 9
//! cargo run --release --example sidebyside -- --mix large_book
//! cargo run --release --example sidebyside -- --moves-as-cancel-new
//! cargo run --release --example sidebyside -- --only cascade   # one engine (profiling)
//! ```
//!
//! The workloads (`cascade::book::workload`): the exchange-core-like and
//! replay-like mixes on a book of about 1,000 orders; `large_book`, 520,000
//! resting orders on 10,000 levels with random cancels; `drift`, a trending
//! mid with 300 stale orders 100,000-1,000,000 ticks away; `sweeps`, IOCs
//! that take 5-50 whole levels; `far_order`, one buy 600,000 ticks below
//! the market and buys near it cancelled 32 behind; `lobster_l3`, the
//! LOBSTER AAPL sample (`data/lobster/`, `--lobster FILE` for another)
//! replayed as L3 orders, pass after pass. `--mix NAME` runs one of them.
//!
//! Prints one JSON line per workload with each engine's ops/s (median of
//! the repetitions; engines interleaved within each repetition so that
//! machine noise hits them alike), the total quantity each filled and the
//! notional (price x quantity, in ticks x lots) it filled per operation,
//! then a table of the ratios. Before timing anything it replays the
//! stream once per engine and checks that every operation filled exactly
//! the same quantity at the same notional in every engine (so the same
//! orders matched at the same prices); it exits with status 1 if not.
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
//! (the prefill), and dropping it, are not timed. The timed loop adds up
//! filled quantities only; notionals are summed in the untimed check pass
//! (orderbook-rs reports an IOC cut short by the side running out as an
//! error without its trades, so its check pass reads the notional from a
//! trade listener that the timed books do not have).

use std::collections::HashMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use cascade::book::workload::{generate, l3_replay, parse_lobster, run_op, Mix, WorkOp, Workload};
use cascade::book::BookEvent;
use cascade::types::Side;

/// What one operation filled: quantity, and notional (price x quantity)
/// when asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Fills {
    qty: u64,
    notional: u128,
}

impl std::ops::AddAssign for Fills {
    fn add_assign(&mut self, o: Fills) {
        self.qty += o.qty;
        self.notional += o.notional;
    }
}

/// One engine under test: how to build a book, convert the stream to its
/// native commands, and execute one command.
trait Engine {
    type Book;
    type Cmd;
    const NAME: &'static str;
    /// A fresh book; `checked`: the untimed pass that reads notionals.
    fn new_book(&self, checked: bool) -> Self::Book;
    /// Native commands for prefill + ops (same length as the inputs).
    fn convert(w: &Workload, cancel_new: bool) -> (Vec<Self::Cmd>, Vec<Self::Cmd>);
    /// Executes `cmd`; the notional is summed only when `notional` (the
    /// timed loop passes `false`, and the compiler drops that work).
    fn exec(&mut self, book: &mut Self::Book, cmd: &Self::Cmd, notional: bool) -> Fills;
}

/// Measured results of one engine.
struct Runner<E: Engine> {
    engine: E,
    prefill: Vec<E::Cmd>,
    ops: Vec<E::Cmd>,
    rates: Vec<f64>,
    filled: u64,
    /// Per-operation fills of the check pass.
    checked: Vec<Fills>,
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
            checked: Vec::new(),
        }
    }

    fn fresh(&mut self, checked: bool) -> E::Book {
        let mut book = self.engine.new_book(checked);
        for c in &self.prefill {
            self.engine.exec(&mut book, c, false);
        }
        book
    }

    /// Fills of every operation (the untimed check), kept in `checked`.
    fn check(&mut self) {
        let mut book = self.fresh(true);
        self.checked = self
            .ops
            .iter()
            .map(|c| self.engine.exec(&mut book, c, true))
            .collect();
        drop(book);
    }

    /// Total fills of the check pass.
    fn total(&self) -> Fills {
        let mut t = Fills::default();
        for &f in &self.checked {
            t += f;
        }
        t
    }

    /// One timed repetition.
    fn rep(&mut self) {
        let mut book = self.fresh(false);
        let t = Instant::now();
        let filled = self.timed_ops(&mut book);
        let secs = t.elapsed().as_secs_f64();
        black_box(&mut book);
        drop(book);
        self.filled = filled;
        self.rates.push(self.ops.len() as f64 / secs);
    }

    /// The timed region: every operation, nothing else (a function of its
    /// own so that a profiler can count inside it alone, e.g.
    /// `valgrind --tool=callgrind --toggle-collect='*timed_ops*'`).
    #[inline(never)]
    fn timed_ops(&mut self, book: &mut E::Book) -> u64 {
        let mut filled = 0;
        for c in &self.ops {
            filled += self.engine.exec(book, c, false).qty;
        }
        filled
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

    fn new_book(&self, _checked: bool) -> Self::Book {
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
    fn exec(&mut self, book: &mut Self::Book, cmd: &CascadeCmd, notional: bool) -> Fills {
        self.out.clear();
        let qty = match cmd {
            CascadeCmd::Op(op) => run_op(book, op, &mut self.out) as u64,
            CascadeCmd::CancelNew(c, n) => {
                run_op(book, c, &mut self.out);
                run_op(book, n, &mut self.out) as u64
            }
        };
        let mut f = Fills { qty, notional: 0 };
        if notional {
            for e in &self.out {
                if let BookEvent::Fill(x) = e {
                    f.notional += x.price.0 as u128 * x.qty.0 as u128;
                }
            }
        }
        f
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

fn mc_filled(o: &matchcore::CommandOutcome) -> Fills {
    use matchcore::{CommandOutcome, CommandReport};
    let effects = match o {
        CommandOutcome::Applied(CommandReport::Submit(e))
        | CommandOutcome::Applied(CommandReport::Amend(e)) => e,
        _ => return Fills::default(),
    };
    let mut f = Fills::default();
    let results = std::iter::once(effects.target_order())
        .chain(effects.triggered_orders())
        .filter_map(|o| o.match_result());
    for m in results {
        f += Fills {
            qty: m.executed_quantity().0,
            notional: m.executed_value().0,
        };
    }
    f
}

impl Engine for Matchcore {
    type Book = matchcore::OrderBook;
    type Cmd = McCmd;
    const NAME: &'static str = "matchcore";

    fn new_book(&self, _checked: bool) -> Self::Book {
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
    fn exec(&mut self, book: &mut Self::Book, cmd: &McCmd, _notional: bool) -> Fills {
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

/// The fills of one lobster event, and whether the order filled in full.
#[inline]
fn lob_filled(e: &lobster::OrderEvent, notional: bool) -> (Fills, bool) {
    let (filled_qty, fills, done) = match e {
        lobster::OrderEvent::Filled {
            filled_qty, fills, ..
        } => (*filled_qty, fills, true),
        lobster::OrderEvent::PartiallyFilled {
            filled_qty, fills, ..
        } => (*filled_qty, fills, false),
        _ => return (Fills::default(), false),
    };
    let mut f = Fills {
        qty: filled_qty,
        notional: 0,
    };
    if notional {
        f.notional = fills.iter().map(|x| x.price as u128 * x.qty as u128).sum();
    }
    (f, done)
}

impl Engine for Lobster {
    type Book = lobster::OrderBook;
    type Cmd = WorkOp;
    const NAME: &'static str = "lobster";

    fn new_book(&self, _checked: bool) -> Self::Book {
        lobster::OrderBook::default()
    }

    fn convert(w: &Workload, _cancel_new: bool) -> (Vec<WorkOp>, Vec<WorkOp>) {
        (w.prefill.clone(), w.ops.clone())
    }

    #[inline]
    fn exec(&mut self, book: &mut Self::Book, op: &WorkOp, notional: bool) -> Fills {
        use lobster::OrderType;
        match *op {
            WorkOp::Limit {
                id,
                side,
                price,
                qty,
            } => {
                lob_filled(
                    &book.execute(OrderType::Limit {
                        id: id as u128,
                        side: lob_side(side),
                        qty: qty as u64,
                        price: price as u64,
                    }),
                    notional,
                )
                .0
            }
            WorkOp::Ioc {
                id,
                side,
                price,
                qty,
            } => {
                // No IOC in lobster: limit, then cancel what rested.
                let (f, done) = lob_filled(
                    &book.execute(OrderType::Limit {
                        id: id as u128,
                        side: lob_side(side),
                        qty: qty as u64,
                        price: price as u64,
                    }),
                    notional,
                );
                if !done {
                    book.execute(OrderType::Cancel { id: id as u128 });
                }
                f
            }
            WorkOp::Cancel { id, .. } => {
                book.execute(OrderType::Cancel { id: id as u128 });
                Fills::default()
            }
            WorkOp::Move {
                id,
                side,
                price,
                remaining,
            } => {
                book.execute(OrderType::Cancel { id: id as u128 });
                lob_filled(
                    &book.execute(OrderType::Limit {
                        id: id as u128,
                        side: lob_side(side),
                        qty: remaining as u64,
                        price: price as u64,
                    }),
                    notional,
                )
                .0
            }
        }
    }
}

// ---------------------------------------------------------------- orderbook-rs

/// orderbook-rs; `notional` is what its trade listener has seen (checked
/// books only).
struct OrderbookRs {
    notional: Arc<AtomicU64>,
}

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

    fn new_book(&self, checked: bool) -> Self::Book {
        if !checked {
            return orderbook_rs::OrderBook::new("BENCH");
        }
        let seen = self.notional.clone();
        orderbook_rs::OrderBook::with_trade_listener(
            "BENCH",
            Arc::new(move |t: &orderbook_rs::TradeResult| {
                // Invariant: a workload's notional per operation fits in
                // u64 (prices of about 10^7 ticks, at most 10^8 lots).
                let v = t.match_result.executed_value().unwrap_or(0) as u64;
                seen.fetch_add(v, Ordering::Relaxed);
            }),
        )
    }

    fn convert(w: &Workload, _cancel_new: bool) -> (Vec<WorkOp>, Vec<WorkOp>) {
        (w.prefill.clone(), w.ops.clone())
    }

    #[inline]
    fn exec(&mut self, book: &mut Self::Book, op: &WorkOp, notional: bool) -> Fills {
        use orderbook_rs::TimeInForce;
        let qty = match *op {
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
        };
        let notional = if notional {
            self.notional.swap(0, Ordering::Relaxed) as u128
        } else {
            0
        };
        Fills { qty, notional }
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

/// The LOBSTER sample shipped with the repository.
const LOBSTER: &str = "data/lobster/AAPL_2012-06-21_34200000_57600000_message_10.csv";

/// The workloads to run, in order.
fn workloads(n: usize, seed: u64, only_mix: &str) -> Result<Vec<Workload>, String> {
    let mut out = Vec::new();
    let mixes = [
        Mix::ExchangeCore,
        Mix::Replay,
        Mix::LargeBook,
        Mix::Drift,
        Mix::Sweep,
        Mix::FarOrder,
        Mix::LobsterL3,
    ];
    for mix in mixes {
        if !only_mix.is_empty() && only_mix != mix.name() {
            continue;
        }
        out.push(if mix == Mix::LobsterL3 {
            let path: String = arg("--lobster", LOBSTER.to_string());
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
            // LOBSTER prices are 1/10,000 of a dollar; AAPL's tick is a cent.
            let messages = parse_lobster(&text, 100).map_err(|e| format!("{path}: {e}"))?;
            l3_replay(&messages, n)
        } else {
            generate(mix, n, seed)
        });
    }
    if out.is_empty() {
        return Err(format!("no workload named {only_mix:?}"));
    }
    Ok(out)
}

/// The median ops/s of `engine` alone over `reps` repetitions.
fn alone<E: Engine>(engine: E, w: &Workload, cancel_new: bool, reps: usize) -> f64 {
    let mut r = Runner::new(engine, w, cancel_new);
    for _ in 0..reps {
        r.rep();
    }
    r.median()
}

/// The first operation where `got` differs from cascade's `want`.
fn first_difference(w: &Workload, name: &str, want: &[Fills], got: &[Fills]) -> bool {
    match (0..want.len()).find(|&i| got[i] != want[i]) {
        Some(i) => {
            eprintln!(
                "{}: {name} filled {:?} at op #{i} ({:?}), cascade {:?}",
                w.name, got[i], w.ops[i], want[i]
            );
            false
        }
        None => true,
    }
}

fn main() -> ExitCode {
    let n: usize = arg("--ops", 200_000);
    let reps: usize = arg("--reps", 7);
    let seed: u64 = arg("--seed", 0x00C0_FFEE);
    let cancel_new = std::env::args().any(|a| a == "--moves-as-cancel-new");
    let only: String = arg("--only", String::new());
    let only_mix: String = arg("--mix", String::new());
    let loads = match workloads(n, seed, &only_mix) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sidebyside: {e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = true;
    let mut table = Vec::new();
    for w in &loads {
        let name = if cancel_new {
            format!("{}_cancel_new", w.name)
        } else {
            w.name.to_string()
        };
        if !only.is_empty() {
            // One engine alone, e.g. under a profiler.
            let rate = match only.as_str() {
                Cascade::NAME => alone(Cascade { out: Vec::new() }, w, cancel_new, reps),
                Matchcore::NAME => alone(Matchcore, w, cancel_new, reps),
                Lobster::NAME => alone(Lobster, w, cancel_new, reps),
                OrderbookRs::NAME => {
                    let notional = Arc::new(AtomicU64::new(0));
                    alone(OrderbookRs { notional }, w, cancel_new, reps)
                }
                _ => {
                    eprintln!("sidebyside: no engine named {only:?}");
                    return ExitCode::from(2);
                }
            };
            println!("{name} {only} {rate:.0} ops/s");
            continue;
        }
        let mut c = Runner::new(Cascade { out: Vec::new() }, w, cancel_new);
        let mut m = Runner::new(Matchcore, w, cancel_new);
        let mut l = Runner::new(Lobster, w, cancel_new);
        let notional = Arc::new(AtomicU64::new(0));
        let mut o = Runner::new(OrderbookRs { notional }, w, cancel_new);
        // Same work: every operation fills the same in every engine.
        c.check();
        m.check();
        l.check();
        o.check();
        let agree = first_difference(w, Matchcore::NAME, &c.checked, &m.checked)
            & first_difference(w, Lobster::NAME, &c.checked, &l.checked)
            & first_difference(w, OrderbookRs::NAME, &c.checked, &o.checked);
        ok &= agree;
        for _ in 0..reps {
            c.rep();
            m.rep();
            l.rep();
            o.rep();
        }
        let ops = w.ops.len();
        let per_op = |f: Fills| f.notional as f64 / ops as f64;
        println!(
            "{{\"ops\":{},\"mix\":\"{}\",\"reps\":{},\"cascade_ops_s\":{:.0},\"matchcore_ops_s\":{:.0},\
             \"lobster_ops_s\":{:.0},\"orderbook_rs_ops_s\":{:.0},\"cascade_vs_matchcore\":{:.2},\
             \"filled_qty\":{{\"cascade\":{},\"matchcore\":{},\"lobster\":{},\"orderbook_rs\":{}}},\
             \"notional_per_op\":{{\"cascade\":{:.1},\"matchcore\":{:.1},\"lobster\":{:.1},\"orderbook_rs\":{:.1}}},\
             \"agree\":{}}}",
            ops,
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
            per_op(c.total()),
            per_op(m.total()),
            per_op(l.total()),
            per_op(o.total()),
            agree
        );
        table.push(format!(
            "| {name} | {:.2} M | {:.2} M | **{:.2}x** | {:.2} M | {:.2} M | {} |",
            c.median() / 1e6,
            m.median() / 1e6,
            c.median() / m.median(),
            l.median() / 1e6,
            o.median() / 1e6,
            if agree { "yes" } else { "NO" }
        ));
    }
    if !table.is_empty() {
        println!("\n| workload | cascade ops/s | matchcore 0.4 | ratio | lobster 0.7 | orderbook-rs 0.15 | same fills |");
        println!("|---|---|---|---|---|---|---|");
        for row in table {
            println!("{row}");
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
