//! Matching benchmarks: the generated mixes of `cascade::book::workload`
//! (exchange-core-like: 9% GTC, 3% IOC, 6% cancel, 82% moves on a book of
//! ~1,000 orders over ~750 levels; replay-like: 55% GTC, 30% cancel,
//! 15% IOC; a 520,000-order book with random cancels; a drifting mid with
//! stale far orders; sweeps of 5-50 levels; and the far-order reproduction
//! with its twin without the far order), pre-generated from a fixed seed,
//! through the book with each ladder layout.
//!
//! `cargo bench --bench matching` reports ops/s (criterion's "elem/s") per
//! layout and mix: the timed region is the whole stream on a book that
//! already holds the prefill (cloning that book for each iteration is not
//! timed). A separate pass times single operations and prints their
//! latency percentiles (p50 / p99 / p99.9; `Instant` around each op, so
//! each figure includes the timer's own cost, printed alongside), then the
//! dense ladder's speed on the far-order stream over its speed on the same
//! stream without the far order (1.0: the far order costs nothing).
//! `cargo bench --bench matching -- dense` runs the dense layout alone.
//! Run without `--bench` (as `cargo test --benches` does) it checks that
//! everything runs, briefly.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cascade::book::ladder::{BTreeLadder, DenseLadder, Ladder, SortedVecLadder};
use cascade::book::workload::{generate, run_all, run_op, Mix, WorkOp, Workload};
use cascade::book::OrderBook;
use criterion::{BatchSize, Criterion, Throughput};

const SEED: u64 = 0x00C0_FFEE;
const OPS: usize = 100_000;

/// A book with the workload's prefill applied.
fn prefilled<L: Ladder>(w: &Workload) -> OrderBook<L> {
    let mut book = OrderBook::<L>::empty();
    let mut out = Vec::new();
    run_all(&mut book, &w.prefill, &mut out);
    book
}

fn bench_layout<L: Ladder>(c: &mut Criterion, w: &Workload, layout: &str) {
    let mut g = c.benchmark_group(w.name);
    g.throughput(Throughput::Elements(w.ops.len() as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let start = prefilled::<L>(w);
    let mut out = Vec::with_capacity(64);
    g.bench_function(layout, |b| {
        b.iter_batched_ref(
            || start.clone(),
            |book| black_box(run_all(book, &w.ops, &mut out)),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Times every operation of `ops` on its own; returns sorted nanoseconds.
fn latencies<L: Ladder>(w: &Workload, ops: &[WorkOp]) -> Vec<u64> {
    let mut book = prefilled::<L>(w);
    let mut out = Vec::with_capacity(64);
    let mut ns = Vec::with_capacity(ops.len());
    for op in ops {
        out.clear();
        let t = Instant::now();
        black_box(run_op(&mut book, op, &mut out));
        ns.push(t.elapsed().as_nanos() as u64);
    }
    ns.sort_unstable();
    ns
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The cost of an empty `Instant` pair, median of many.
fn timer_cost() -> u64 {
    let mut v: Vec<u64> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            t.elapsed().as_nanos() as u64
        })
        .collect();
    v.sort_unstable();
    pct(&v, 0.5)
}

/// Whole-stream throughput, median of `reps` runs on clones of the
/// prefilled book (the clone is not timed).
fn throughput<L: Ladder>(w: &Workload, reps: usize) -> f64 {
    let start = prefilled::<L>(w);
    let mut out = Vec::with_capacity(64);
    let mut rates: Vec<f64> = (0..reps)
        .map(|_| {
            let mut book = start.clone();
            let t = Instant::now();
            black_box(run_all(&mut book, &w.ops, &mut out));
            w.ops.len() as f64 / t.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(|a, b| a.total_cmp(b));
    rates[rates.len() / 2]
}

fn latency_report<L: Ladder>(w: &Workload, layout: &str, reps: usize) {
    let rate = throughput::<L>(w, reps);
    let ns = latencies::<L>(w, &w.ops);
    println!(
        "{:<14} {:<10} {:>12.0} ops/s  latency ns p50 {:>5} p99 {:>6} p99.9 {:>6} max {:>7}",
        w.name,
        layout,
        rate,
        pct(&ns, 0.5),
        pct(&ns, 0.99),
        pct(&ns, 0.999),
        ns.last().copied().unwrap_or(0),
    );
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let n = if full { OPS } else { 2_000 };
    let loads: Vec<Workload> = Mix::GENERATED
        .into_iter()
        .map(|m| generate(m, n, SEED))
        .collect();
    for w in &loads {
        eprintln!(
            "{}: {} ops, {} filled, book ends with {} orders on {} levels",
            w.name,
            w.ops.len(),
            w.filled,
            w.final_orders,
            w.final_levels
        );
    }
    if !full {
        // Test mode: run each layout once and check they agree.
        for w in &loads {
            let mut out = Vec::new();
            let a = run_all(&mut prefilled::<SortedVecLadder>(w), &w.ops, &mut out);
            let b = run_all(&mut prefilled::<BTreeLadder>(w), &w.ops, &mut out);
            let d = run_all(&mut prefilled::<DenseLadder>(w), &w.ops, &mut out);
            assert_eq!((a, b, d), (w.filled, w.filled, w.filled));
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    for w in &loads {
        bench_layout::<SortedVecLadder>(&mut c, w, "sorted_vec");
        bench_layout::<BTreeLadder>(&mut c, w, "btree");
        bench_layout::<DenseLadder>(&mut c, w, "dense");
    }
    c.final_summary();
    println!(
        "\nseparate pass: ops/s is the median of 11 whole-stream runs; latency is per op \
         (Instant around each; an empty Instant pair costs {} ns here)",
        timer_cost()
    );
    for w in &loads {
        latency_report::<SortedVecLadder>(w, "sorted_vec", 11);
        latency_report::<BTreeLadder>(w, "btree", 11);
        latency_report::<DenseLadder>(w, "dense", 11);
    }
    // Interleaved, so that machine noise hits both streams alike.
    let far = loads.iter().find(|w| w.name == Mix::FarOrder.name());
    let near = loads.iter().find(|w| w.name == Mix::NearOnly.name());
    if let (Some(far), Some(near)) = (far, near) {
        let (mut f, mut nr) = (Vec::new(), Vec::new());
        for _ in 0..11 {
            f.push(throughput::<DenseLadder>(far, 1));
            nr.push(throughput::<DenseLadder>(near, 1));
        }
        f.sort_by(|a, b| a.total_cmp(b));
        nr.sort_by(|a, b| a.total_cmp(b));
        println!(
            "dense ladder, far_order / near_only: {:.0} / {:.0} ops/s = {:.2}",
            f[5],
            nr[5],
            f[5] / nr[5]
        );
    }
}
