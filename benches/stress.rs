//! Stress sweep throughput: scenarios per second for a 10,000-account
//! population hit by a 5% index drop, on one thread and on all of them,
//! and the scaling between the two (goal: at least 0.9 x N on N cores).
//!
//! One sweep is 16 scenarios: 8 insurance-fund sizes (a mitigation axis,
//! so each population is built once and shared) x 2 seeds, plus the
//! baseline run without accounts. Populations and baselines are built
//! inside the measured sweep, as in a real run.
//!
//! Run: `cargo bench --bench stress`. After criterion's figures it prints
//! one line with both rates and the scaling ratio.

use std::path::Path;
use std::time::Instant;

use cascade::stress::grid::Plan;
use cascade::stress::sweep::run_sweep;
use criterion::{criterion_group, Criterion, Throughput};

const CONFIG: &str = r#"
seeds = 2
[[market]]
price = "60000"
open_interest = "300000000"
insurance = ["0", "50000", "100000", "200000", "400000", "800000", "1600000", "3200000"]
[market.instrument]
symbol = "BTCUSDT"
kind = "linear"
tick = "0.1"
lot = "0.001"
liquidation_fee = "0.005"
tiers = [
  { notional_max = "50000", mmr = "0.004", imr = "0.008" },
  { notional_max = "250000", mmr = "0.005", imr = "0.01" },
  { notional_max = "3000000", mmr = "0.01", imr = "0.02" },
  { mmr = "0.025", imr = "0.05" },
]
[market.book]
levels = 200
half_spread_ticks = 5
gap_ticks = 100
size = "2"
growth = "0.1"
[market.liquidity]
refill = "0.3"
widen = "0.5"

[population.generate]
accounts = 10000
size = { dist = "lognormal", sigma = "1.2" }
leverage = { dist = "lognormal", median = "10", sigma = "0.6", min = "1", max = "40" }
long_share = "0.6"
stop_loss_share = "0.1"

[[shock]]
kind = "index"
symbol = "BTCUSDT"
move = "-0.05"
steps = 5
"#;

fn plan() -> Plan {
    // The config above is part of this file and checked by the tests of
    // its sections; a failure here is a bug in the bench itself.
    Plan::load(CONFIG, None).expect("the bench config is valid")
}

fn sweep(plan: &Plan, threads: usize) -> usize {
    let mut n = 0;
    run_sweep(
        plan,
        &mut (0..plan.scenario_count()),
        threads,
        Path::new("."),
        &mut |_| {
            n += 1;
            Ok(())
        },
    )
    .expect("the bench scenarios run");
    n
}

fn all_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn bench(c: &mut Criterion) {
    let plan = plan();
    let mut g = c.benchmark_group("stress_sweep_10k_accounts_5pct");
    g.sample_size(10);
    g.throughput(Throughput::Elements(plan.scenario_count()));
    g.bench_function("threads_1", |b| b.iter(|| sweep(&plan, 1)));
    let n = all_threads();
    g.bench_function(format!("threads_{n}"), |b| b.iter(|| sweep(&plan, n)));
    g.finish();
}

criterion_group!(benches, bench);

/// Scenarios per second over `rounds` sweeps.
fn rate(plan: &Plan, threads: usize, rounds: usize) -> f64 {
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        n += sweep(plan, threads);
    }
    n as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
    // `cargo bench --no-run` builds this; `cargo test --benches` runs it
    // once in test mode: skip the long measurement there.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let plan = plan();
    let n = all_threads();
    let one = rate(&plan, 1, 3);
    let many = rate(&plan, n, 3);
    println!(
        "stress scaling: {one:.1} scenarios/s on 1 thread, {many:.1} on {n} threads: {:.2}x ({:.2} x N)",
        many / one,
        many / one / n as f64
    );
}
