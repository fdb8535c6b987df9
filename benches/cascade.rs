//! The cascade benchmark of issue 4: 1,000,000 accounts with long positions
//! whose liquidation prices are spread below the price, a deep street book,
//! and a shock (a street market sell that walks the book down 3.3%) that
//! liquidates over 100,000 of them, each liquidation walking the same book
//! and moving the mark further.
//!
//! Reports, for one run: the whole cascade's time, ns per liquidation,
//! bytes of heap per account (a counting allocator), the cost of one mark
//! change through the trigger index against one brute-force scan of all
//! accounts, and the projected time of the same cascade had every mark
//! change scanned all accounts. A small criterion group (10,000 accounts)
//! tracks the same path for regressions.
//!
//! `cargo bench --bench cascade` (set `CASCADE_BENCH_ACCOUNTS` to change
//! the population of the big run).

use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::Instant;

use cascade::command::{
    Command, MarginMode, OrderCommand, OrderType, SelfTradePrevention, TimeInForce, TriggerSource,
};
use cascade::event::{Event, EventSink, NullSink};
use cascade::instrument::Instrument;
use cascade::liquidation::Engine;
use cascade::script::parse_line;
use cascade::types::Decimal;
use criterion::{criterion_group, Criterion};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::LIVE;

/// Counts what the cascade did.
#[derive(Default)]
struct Counts {
    liquidations: u64,
    fills: u64,
    marks: u64,
    steps: u64,
}

impl EventSink for Counts {
    fn emit(&mut self, e: &Event, _: &[Instrument]) {
        match e {
            Event::Liquidation(_) => self.liquidations += 1,
            Event::Fill { .. } => self.fills += 1,
            Event::Mark { .. } => self.marks += 1,
            Event::Step(_) => self.steps += 1,
            _ => {}
        }
    }
}

fn line(s: &str) -> Command {
    parse_line(s)
        .expect("bench script line")
        .expect("not blank")
}

/// Prices in USD with 0.1 ticks; the population is long 0.010..0.019 BTC at
/// 60,000 with liquidation prices spread evenly over [45,000, 59,500].
fn world(accounts: u64) -> (Engine, u64) {
    let mut e = Engine::new();
    let mut sink = NullSink;
    e.apply(&line(r#"{"cmd":"instrument","symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001","liquidation_fee":"0.005","tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},{"notional_max":"250000","mmr":"0.005","imr":"0.01"},{"mmr":"0.01","imr":"0.02"}]}"#), &mut sink).unwrap();
    e.apply(
        &line(r#"{"cmd":"insurance","amount":"10000000"}"#),
        &mut sink,
    )
    .unwrap();
    // Street bids every 1 USD from 59,999 down to 40,000, thin near the
    // price and deeper further away: 0.3 BTC + 0.0005 BTC per USD of
    // distance (so the cascade feeds itself at first and dies out).
    let mut id = 1u64;
    for k in 1..=20_000i64 {
        let price = Decimal::new((60_000 - k) as i128, 0);
        let size_lots = 300 + k / 2;
        let cmd = Command::Order(OrderCommand {
            account: 0,
            id,
            symbol: "BTCUSDT".into(),
            side: cascade::types::Side::Buy,
            order_type: OrderType::Limit,
            qty: Decimal::new(size_lots as i128, 3),
            price: Some(price),
            trigger: None,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            stp: SelfTradePrevention::None,
            trigger_by: TriggerSource::Mark,
        });
        e.apply(&cmd, &mut sink).unwrap();
        id += 1;
    }
    e.apply(&line(r#"{"cmd":"order","account":0,"id":999999999,"symbol":"BTCUSDT","side":"sell","type":"limit","price":"60001","qty":"5"}"#), &mut sink).unwrap();
    // Position q lots (0.001 BTC each) at 60,000 with liquidation price L:
    // balance = q x (60000 - L x (1 - 0.004)), in USD, rounded up to a cent.
    for a in 1..=accounts {
        let q_lots = 10 + (a % 10) as i128;
        let l = 45_000.0 + 14_500.0 * ((a * 7919) % accounts) as f64 / accounts as f64;
        let bal = q_lots as f64 / 1000.0 * (60_000.0 - l * 0.996);
        let cents = (bal * 100.0).ceil() as i128;
        e.apply(
            &Command::Account {
                id: a,
                deposit: Decimal::new(cents, 2),
                mode: MarginMode::Cross,
            },
            &mut sink,
        )
        .unwrap();
        e.apply(
            &Command::Position {
                account: a,
                symbol: "BTCUSDT".into(),
                qty: Decimal::new(q_lots, 3),
                entry: Decimal::new(60_000, 0),
                margin: None,
            },
            &mut sink,
        )
        .unwrap();
    }
    (e, id)
}

/// The shock: the street sells at market down to 59,400 (1%), repricing
/// the mark on every level it takes.
fn shock() -> Command {
    line(
        r#"{"cmd":"order","account":0,"id":1000000000,"symbol":"BTCUSDT","side":"sell","type":"limit","price":"59400","qty":"10000","tif":"ioc"}"#,
    )
}

fn big_run() {
    let n: u64 = std::env::var("CASCADE_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let (empty_world, _) = world(0);
    let base = LIVE.load(Ordering::Relaxed);
    drop(empty_world);
    let (mut e, _) = world(n);
    let setup = t.elapsed();
    let with_accounts = LIVE.load(Ordering::Relaxed);
    let per_account = (with_accounts - base) as f64 / n as f64;
    let _ = before;

    // One mark change through the index (nobody triggered: a tick up).
    let probe = 2000;
    let t = Instant::now();
    for k in 0..probe {
        let p = Decimal::new(600_000 + (k % 2) as i128, 1);
        e.apply(
            &Command::Mark {
                symbol: "BTCUSDT".into(),
                price: p,
            },
            &mut NullSink,
        )
        .unwrap();
    }
    let per_mark_ns = t.elapsed().as_nanos() as f64 / probe as f64;
    // One brute-force scan of all accounts at the same mark.
    let t = Instant::now();
    let scans = 3;
    for _ in 0..scans {
        black_box(e.brute_force_liquidatable());
    }
    let scan_ns = t.elapsed().as_nanos() as f64 / scans as f64;

    let mut counts = Counts::default();
    let t = Instant::now();
    e.apply(&shock(), &mut counts).unwrap();
    let cascade = t.elapsed();
    assert_eq!(e.conservation_residual(), cascade::types::Money::ZERO);
    assert_eq!(e.faults(), 0);
    let ns_per_liq = cascade.as_nanos() as f64 / counts.liquidations.max(1) as f64;
    let projected_brute = scan_ns * counts.marks as f64 / 1e9;
    println!(
        "cascade: accounts={n} setup={:.1}s liquidations={} steps={} fills={} mark_changes={} \
         cascade_time={:.3}s ns_per_liquidation={:.0} bytes_per_account={:.1} \
         mark_change_via_index_ns={:.0} brute_force_scan_ms={:.1} index_speedup={:.0}x \
         projected_cascade_with_brute_force_scans={:.1}s",
        setup.as_secs_f64(),
        counts.liquidations,
        counts.steps,
        counts.fills,
        counts.marks,
        cascade.as_secs_f64(),
        ns_per_liq,
        per_account,
        per_mark_ns,
        scan_ns / 1e6,
        scan_ns / per_mark_ns,
        projected_brute,
    );
}

fn small(c: &mut Criterion) {
    let mut g = c.benchmark_group("cascade_10k");
    g.sample_size(10);
    g.bench_function("shock_and_cascade", |b| {
        b.iter_batched(
            || world(10_000).0,
            |mut e| {
                let mut counts = Counts::default();
                e.apply(&shock(), &mut counts).unwrap();
                black_box(counts.liquidations)
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, small);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    big_run();
}
