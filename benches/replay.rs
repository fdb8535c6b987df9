//! Replay throughput: rows/s parsing a Tardis `incremental_book_L2` file
//! from .csv.gz and from plain CSV, Binance capture lines/s from the shared
//! .gz sample, each next to the time `zcat FILE > /dev/null` takes on the
//! same .gz in the same run (decompression is the floor); then the same
//! files parsed AND applied to the engine by the replay driver (street
//! levels, overlay, batches, mark, measurement of every taker), and the L2
//! updates/s the driver applies from events already in memory.
//!
//! The Tardis file is built in a temp dir by perturbing the shape of the
//! shared Deribit sample rows: `CASCADE_BENCH_ROWS` rows (default
//! 1,000,000), gzip level 6 (gzip's default). A summary (best of 3 runs,
//! wall clock) is printed first, then criterion measures the same work.

use cascade::replay::driver::{Driver, DriverConfig};
use cascade::replay::overlay::Resilience;
use cascade::replay::presets::{instrument_spec, Detected, Overrides};
use cascade::replay::{open_file, EventSource, Format, MarketEvent, ReplayOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BINANCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/binance-usdm/btcusdt_20240808.gz"
);

fn rows() -> usize {
    std::env::var("CASCADE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Writes the plain and gzip Tardis files once; returns their paths.
fn tardis_files(n: usize) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("cascade-bench-replay-{n}"));
    let plain = dir.join("deribit_incremental_book_L2_BTC-PERPETUAL.csv");
    let gz = dir.join("deribit_incremental_book_L2_BTC-PERPETUAL.csv.gz");
    if plain.exists() && gz.exists() {
        return (plain, gz);
    }
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut text = Vec::with_capacity(n * 80);
    text.extend_from_slice(
        b"exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n",
    );
    // A deterministic walk: snapshot rows first, then updates around a
    // drifting mid, several rows per message (same timestamps).
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut ts: u64 = 1_585_699_200_245_000;
    let mut mid: i64 = 12_843; // in half-dollar ticks: 6421.5
    for i in 0..n {
        let snapshot = i < 400;
        if !snapshot && rnd() % 4 == 0 {
            ts += 1 + rnd() % 900;
            if rnd() % 16 == 0 {
                mid += (rnd() % 3) as i64 - 1;
            }
        }
        let off = (rnd() % 200) as i64 + 1;
        let (side, tick) = if rnd() % 2 == 0 {
            ("bid", mid - off)
        } else {
            ("ask", mid + off)
        };
        let amount = if !snapshot && rnd() % 5 == 0 {
            0
        } else {
            10 * (1 + rnd() % 5000)
        };
        let price = if tick % 2 == 0 {
            format!("{}", tick / 2)
        } else {
            format!("{}.5", tick / 2)
        };
        writeln!(
            text,
            "deribit,BTC-PERPETUAL,{ts},{},{},{side},{price},{amount}",
            ts + 110_684,
            snapshot
        )
        .expect("write to memory");
    }
    std::fs::write(&plain, &text).expect("write plain");
    let mut e = GzEncoder::new(
        BufWriter::new(std::fs::File::create(&gz).expect("create gz")),
        Compression::new(6),
    );
    e.write_all(&text).expect("gzip");
    e.finish().expect("gzip").flush().expect("flush");
    (plain, gz)
}

/// Drains a reader; returns the number of events.
fn drain(format: Format, path: &Path, opts: &ReplayOptions) -> u64 {
    let mut src = open_file(format, path, opts).expect("open");
    let mut n = 0u64;
    while let Some(ev) = src.next_event() {
        ev.expect("event");
        n += 1;
    }
    n
}

/// The driver of a replay of `symbol` on `exchange` (Tardis) or `format`.
fn driver(format: Format, exchange: Option<&str>, symbol: &str) -> Driver {
    let d = Detected {
        symbol: Some(symbol.into()),
        exchange: exchange.map(str::to_string),
        mark_stream: false,
        l2: true,
    };
    let spec = instrument_spec(format, &d, &Overrides::default()).expect("preset");
    Driver::new(DriverConfig {
        format,
        spec,
        resilience: Resilience::HalfLife(2_000_000_000),
        population: None,
        skip_bad_rows: false,
        quotes_as_book: false,
        measure_refill: false,
    })
    .expect("driver")
}

fn deribit() -> Driver {
    driver(Format::Tardis, Some("deribit"), "BTC-PERPETUAL")
}

/// Parses and applies a file; returns the events applied.
fn replay(format: Format, path: &Path, mut d: Driver) -> u64 {
    let opts = ReplayOptions {
        check_crossed: false,
        ..ReplayOptions::default()
    };
    let mut src = open_file(format, path, &opts).expect("open");
    while let Some(ev) = src.next_event() {
        d.on_event(&ev.expect("event")).expect("apply");
    }
    let out = d.finish().expect("finish");
    assert_eq!(out.consistency, None);
    out.counters.events
}

fn read_events(format: Format, path: &Path) -> Vec<MarketEvent> {
    let mut src = open_file(format, path, &ReplayOptions::default()).expect("open");
    let mut v = Vec::new();
    while let Some(ev) = src.next_event() {
        v.push(ev.expect("event"));
    }
    v
}

/// Applies events already in memory; returns the L2 updates applied.
fn apply(events: &[MarketEvent], mut d: Driver) -> u64 {
    for ev in events {
        d.on_event(ev).expect("apply");
    }
    d.counters().book_updates
}

fn apply_summary(
    label: &str,
    path: &Path,
    format: Format,
    rows: u64,
    gz: bool,
    mk: &dyn Fn() -> Driver,
) {
    let t = best_of(3, || {
        replay(format, path, mk());
    });
    print!(
        "replay summary: {label} parse+apply: {rows} rows in {:.3} s = {:.2} M rows/s",
        t.as_secs_f64(),
        rows as f64 / t.as_secs_f64() / 1e6
    );
    match if gz { zcat(path) } else { None } {
        Some(z) => println!(
            "; zcat {:.3} s = {:.2} M rows/s; parse+apply/zcat time ratio {:.2}",
            z.as_secs_f64(),
            rows as f64 / z.as_secs_f64() / 1e6,
            t.as_secs_f64() / z.as_secs_f64()
        ),
        None => println!(),
    }
}

fn best_of<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn zcat(path: &Path) -> Option<Duration> {
    let ok = Command::new("sh")
        .arg("-c")
        .arg("command -v zcat >/dev/null")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        return None;
    }
    Some(best_of(3, || {
        let s = Command::new("sh")
            .arg("-c")
            .arg(format!("zcat '{}' > /dev/null", path.display()))
            .status()
            .expect("zcat");
        assert!(s.success(), "zcat failed");
    }))
}

fn summary(label: &str, path: &Path, format: Format, rows: u64, gz: bool) {
    let opts = ReplayOptions::default();
    let t = best_of(3, || {
        drain(format, path, &opts);
    });
    let rate = rows as f64 / t.as_secs_f64();
    print!(
        "replay summary: {label}: {rows} rows in {:.3} s = {:.2} M rows/s",
        t.as_secs_f64(),
        rate / 1e6
    );
    if gz {
        match zcat(path) {
            Some(z) => println!(
                "; zcat {:.3} s = {:.2} M rows/s; reader/zcat time ratio {:.2}",
                z.as_secs_f64(),
                rows as f64 / z.as_secs_f64() / 1e6,
                t.as_secs_f64() / z.as_secs_f64()
            ),
            None => println!("; zcat not found"),
        }
    } else {
        println!();
    }
}

fn count_lines(path: &Path) -> u64 {
    let mut src = cascade::replay::LineSource::open(path, None).expect("open");
    let mut n = 0;
    while let Ok(Some(_)) = src.next_line() {
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let n = rows();
    let (plain, gz) = tardis_files(n);
    let rows = n as u64 + 1;
    summary(
        "tardis incremental_book_L2 .csv.gz",
        &gz,
        Format::Tardis,
        rows,
        true,
    );
    summary(
        "tardis incremental_book_L2 plain .csv",
        &plain,
        Format::Tardis,
        rows,
        false,
    );
    let binance = Path::new(BINANCE);
    let have_binance = binance.exists();
    if have_binance {
        let lines = count_lines(binance);
        summary(
            "binance btcusdt .gz lines",
            binance,
            Format::Binance,
            lines,
            true,
        );
    } else {
        println!("replay summary: binance sample absent, skipped");
    }

    apply_summary(
        "tardis incremental_book_L2 .csv.gz",
        &gz,
        Format::Tardis,
        rows,
        true,
        &deribit,
    );
    apply_summary(
        "tardis incremental_book_L2 plain .csv",
        &plain,
        Format::Tardis,
        rows,
        false,
        &deribit,
    );
    let events = read_events(Format::Tardis, &plain);
    let t = best_of(3, || {
        apply(&events, deribit());
    });
    let updates = apply(&events, deribit());
    println!(
        "replay summary: L2 updates applied from memory: {updates} in {:.3} s = {:.2} M updates/s",
        t.as_secs_f64(),
        updates as f64 / t.as_secs_f64() / 1e6
    );
    let bin_driver = || driver(Format::Binance, None, "BTCUSDT");
    if have_binance {
        let lines = count_lines(binance);
        apply_summary(
            "binance btcusdt .gz lines",
            binance,
            Format::Binance,
            lines,
            true,
            &bin_driver,
        );
        let events = read_events(Format::Binance, binance);
        let t = best_of(3, || {
            apply(&events, bin_driver());
        });
        let updates = apply(&events, bin_driver());
        println!(
            "replay summary: binance btcusdt events applied from memory: {} events ({updates} L2 updates) in {:.3} s = {:.2} M L2 updates/s",
            events.len(),
            t.as_secs_f64(),
            updates as f64 / t.as_secs_f64() / 1e6
        );
    }

    let opts = ReplayOptions::default();
    let mut g = c.benchmark_group("replay");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(rows));
    g.bench_function("tardis_l2_gz", |b| {
        b.iter(|| drain(Format::Tardis, &gz, &opts))
    });
    g.bench_function("tardis_l2_plain", |b| {
        b.iter(|| drain(Format::Tardis, &plain, &opts))
    });
    g.bench_function("tardis_l2_gz_parse_apply", |b| {
        b.iter(|| replay(Format::Tardis, &gz, deribit()))
    });
    g.bench_function("tardis_l2_apply_from_memory", |b| {
        b.iter(|| apply(&events, deribit()))
    });
    g.bench_function("zcat_tardis_l2_gz", |b| {
        b.iter(|| {
            Command::new("sh")
                .arg("-c")
                .arg(format!("zcat '{}' > /dev/null", gz.display()))
                .status()
                .expect("zcat")
        })
    });
    if have_binance {
        let lines = count_lines(binance);
        g.throughput(Throughput::Elements(lines));
        g.bench_function("binance_btcusdt_gz", |b| {
            b.iter(|| drain(Format::Binance, binance, &opts))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
