//! Margin benchmarks: the trigger index on 1,000,000 accounts with
//! liquidation prices spread around the price.
//!
//! - `rekey`: cost of `TriggerIndex::update` for one account after its
//!   collateral changed (solve + remove + insert);
//! - `on_mark/k`: a mark move that triggers about k accounts (range scan +
//!   exact re-check), reported per triggered account;
//! - `brute_force`: the exact test on every account at the same mark;
//! - a cascade of 100,000 liquidations (1,000 per mark step) with the index
//!   in the loop: on-mark cost per triggered account with cold caches, and
//!   close + re-key cost per liquidated account.
//!
//! Also prints bytes per account (counting allocator) and the index versus
//! brute-force ratio. Run: `cargo bench --bench margin`.

use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use cascade::instrument::{Instrument, InstrumentSpec, MarkPolicy};
use cascade::margin::{
    brute_force_liquidatable, AccountIdx, Accounts, MarginMode, Market, Marks, TriggerIndex,
};
use cascade::types::{Money, Price, Qty};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::LIVE;

const N: u64 = 1_000_000;
const MARK: Price = Price(500_000); // 50,000.0

struct Pop {
    insts: Vec<Instrument>,
    marks: Marks,
    accts: Accounts,
    index: TriggerIndex,
    bytes_per_account: f64,
    /// Long keys, descending: the mark that triggers about k longs is
    /// just below `long_keys[k]`.
    long_keys: Vec<f64>,
}

fn population() -> Pop {
    let spec: InstrumentSpec = serde_json::from_str(
        r#"{"symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001",
            "tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},
                     {"notional_max":"250000","mmr":"0.005","imr":"0.01"},
                     {"notional_max":"1000000","mmr":"0.01","imr":"0.02"},
                     {"mmr":"0.025","imr":"0.05"}]}"#,
    )
    .expect("bench spec parses");
    let insts = vec![Instrument::new(&spec).expect("bench spec is valid")];
    let mut marks = Marks::new();
    marks.push(MarkPolicy::Last);
    marks.force(0, MARK);
    let before = LIVE.load(Ordering::Relaxed);
    let mut accts = Accounts::with_capacity(N as usize + 1);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for id in 1..=N {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let lev = 2 + (seed >> 33) % 49; // 2x..50x
        let q: i64 = (1 + (seed >> 20) % 500) as i64 * if id % 2 == 0 { 1 } else { -1 };
        // Entered around the mark (49,900..50,100): at 2x..50x leverage
        // longs liquidate between about 25,000 and 49,300, shorts between
        // 50,700 and 75,000; none at the starting mark.
        let entry = Price(499_000 + ((seed >> 7) % 2_000) as i64);
        let deposit = Money(insts[0].notional(Qty(q), entry).0 / lev as i128);
        let mode = if id % 10 == 0 {
            MarginMode::Isolated
        } else {
            MarginMode::Cross
        };
        let x = accts.create(id, deposit, mode).expect("fresh id");
        let margin = (mode == MarginMode::Isolated).then_some(deposit);
        accts
            .open_position(x, 0, &insts[0], Qty(q), entry, margin)
            .expect("bench position");
    }
    let index = TriggerIndex::build(&mut accts, &Market::new(&insts, &marks));
    let after = LIVE.load(Ordering::Relaxed);
    let inline = std::mem::size_of::<Accounts>() + std::mem::size_of::<TriggerIndex>();
    let bytes_per_account = ((after - before) as f64 + inline as f64) / N as f64;
    let mut long_keys: Vec<f64> = (1..=N as AccountIdx)
        .filter_map(|a| index.key_of(&accts, a, 0))
        .filter(|&(k, long)| long && k.is_finite())
        .map(|(k, _)| k)
        .collect();
    long_keys.sort_by(|a, b| b.total_cmp(a));
    Pop {
        insts,
        marks,
        accts,
        index,
        bytes_per_account,
        long_keys,
    }
}

/// A mark just below the k-th highest long key (about k longs triggered).
fn mark_for(pop: &Pop, k: usize) -> Price {
    Price(pop.long_keys[k].floor() as i64)
}

fn with_mark(pop: &Pop, p: Price) -> Marks {
    let mut m = pop.marks.clone();
    m.force(0, p);
    m
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The summary this bench exists for, timed by hand (median of runs).
fn summary(pop: &mut Pop) {
    println!(
        "margin: {N} accounts, {} index keys, {:.1} bytes/account (counting allocator)",
        pop.index.len(),
        pop.bytes_per_account
    );
    // Re-keying.
    let n_rekey = 100_000u32;
    let mk_marks = pop.marks.clone();
    let t = Instant::now();
    for a in 1..=n_rekey {
        let amt = Money(if a.is_multiple_of(2) {
            1_000_000
        } else {
            -1_000_000
        });
        pop.accts.credit(a, amt).expect("credit");
        pop.index
            .update(&mut pop.accts, &Market::new(&pop.insts, &mk_marks), a);
    }
    let rekey_ns = t.elapsed().as_nanos() as f64 / n_rekey as f64;
    println!("margin: re-key {rekey_ns:.0} ns/account (credit + solve + remove + insert)");
    for k in [1_000usize, 10_000, 100_000] {
        let marks = with_mark(pop, mark_for(pop, k));
        let mk = Market::new(&pop.insts, &marks);
        let mut out = Vec::with_capacity(2 * k);
        let mut runs = Vec::new();
        for _ in 0..7 {
            out.clear();
            let t = Instant::now();
            pop.index.on_mark(&mut pop.accts, &mk, 0, &mut out);
            runs.push(t.elapsed());
        }
        let idx_t = median(runs);
        let mut runs = Vec::new();
        let mut brute = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            brute = brute_force_liquidatable(&pop.accts, &mk, Some(0));
            runs.push(t.elapsed());
        }
        let bf_t = median(runs);
        assert_eq!(out, brute, "index and scan agree");
        println!(
            "margin: on_mark triggering {:>6}: {:>9.1} us, {:>6.1} ns per triggered account; \
             brute-force scan {:>8.1} us; scan/index = {:.1}x",
            out.len(),
            idx_t.as_secs_f64() * 1e6,
            idx_t.as_nanos() as f64 / out.len().max(1) as f64,
            bf_t.as_secs_f64() * 1e6,
            bf_t.as_secs_f64() / idx_t.as_secs_f64()
        );
    }
}

/// A cascade with the index in the loop: the mark steps down so that each
/// step triggers about `per_step` new longs; each triggered account is
/// closed against the street at the mark and re-keyed (its key leaves the
/// index), until `total` are liquidated. On-mark time is per triggered
/// account with cold caches (every step meets new accounts).
fn cascade(pop: &mut Pop, per_step: usize, total: usize) {
    let mut on_mark = Duration::ZERO;
    let mut close = Duration::ZERO;
    let mut liquidated = 0usize;
    let mut steps = 0usize;
    let mut out = Vec::with_capacity(4 * per_step);
    let mut k = per_step;
    let t_all = Instant::now();
    while liquidated < total && k < pop.long_keys.len() {
        let p = mark_for(pop, k);
        pop.marks.force(0, p);
        let mk_marks = pop.marks.clone();
        out.clear();
        let t = Instant::now();
        pop.index.on_mark(
            &mut pop.accts,
            &Market::new(&pop.insts, &mk_marks),
            0,
            &mut out,
        );
        on_mark += t.elapsed();
        let t = Instant::now();
        for &a in &out {
            let q = match pop.accts.get(a).and_then(|x| x.position(0)) {
                Some(pos) => pos.qty,
                None => continue,
            };
            let inst = &pop.insts[0];
            pop.accts
                .apply_fill(a, 0, inst, Qty(-q.0), p)
                .expect("close");
            pop.accts.apply_fill(0, 0, inst, q, p).expect("street");
            pop.index
                .update(&mut pop.accts, &Market::new(&pop.insts, &mk_marks), a);
        }
        close += t.elapsed();
        liquidated += out.len();
        steps += 1;
        k += per_step;
    }
    let all = t_all.elapsed();
    println!(
        "margin: cascade of {liquidated} liquidations in {steps} steps: {:.1} ms in all; \
         on_mark {:.0} ns per triggered account (cold), close + re-key {:.0} ns per account",
        all.as_secs_f64() * 1e3,
        on_mark.as_nanos() as f64 / liquidated.max(1) as f64,
        close.as_nanos() as f64 / liquidated.max(1) as f64,
    );
}

fn bench(c: &mut Criterion) {
    let mut pop = population();
    summary(&mut pop);

    {
        let mut g = c.benchmark_group("margin");
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        let base = pop.marks.clone();
        let mut a: AccountIdx = 0;
        g.bench_function("rekey", |b| {
            b.iter(|| {
                a = a % (N as AccountIdx) + 1;
                let amt = Money(if a.is_multiple_of(2) {
                    1_000_000
                } else {
                    -1_000_000
                });
                pop.accts.credit(a, amt).expect("credit");
                pop.index
                    .update(&mut pop.accts, &Market::new(&pop.insts, &base), a);
            })
        });
        for k in [1_000usize, 10_000] {
            let marks = with_mark(&pop, mark_for(&pop, k));
            let mut out = Vec::with_capacity(2 * k);
            g.bench_with_input(BenchmarkId::new("on_mark", k), &k, |b, _| {
                b.iter(|| {
                    out.clear();
                    pop.index.on_mark(
                        &mut pop.accts,
                        &Market::new(&pop.insts, &marks),
                        0,
                        &mut out,
                    );
                    black_box(out.len())
                })
            });
        }
        let marks = with_mark(&pop, mark_for(&pop, 1_000));
        g.bench_function("brute_force", |b| {
            b.iter(|| {
                black_box(brute_force_liquidatable(
                    &pop.accts,
                    &Market::new(&pop.insts, &marks),
                    Some(0),
                ))
            })
        });
        g.finish();
    }
    cascade(&mut pop, 1_000, 100_000);
}

criterion_group!(benches, bench);
criterion_main!(benches);
