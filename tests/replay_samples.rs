//! The readers on the real samples in `../shared/data`, checked against
//! the facts in its PROVENANCE.md and against a naive serde_json oracle.
//! Skipped, with a note, where the samples are absent.

use cascade::replay::lobster::{BookRow, OrderbookReader};
use cascade::replay::{open, Format, MarketEvent, Payload, ReplayOptions, ReplayStats};
use cascade::types::{Decimal, Side};
use flate2::read::MultiGzDecoder;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn sample(rel: &str) -> Option<PathBuf> {
    let p = Path::new(DATA).join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: sample {} absent; test skipped", p.display());
        None
    }
}

fn read_all(format: Format, paths: &[PathBuf]) -> (Vec<MarketEvent>, ReplayStats) {
    let mut s = open(format, paths, &ReplayOptions::default()).expect("open");
    let evs: Vec<MarketEvent> = (&mut s).map(|e| e.expect("event")).collect();
    (evs, s.stats())
}

fn gz_lines(p: &Path) -> Vec<String> {
    let f = std::fs::File::open(p).unwrap();
    BufReader::new(MultiGzDecoder::new(f))
        .lines()
        .map(|l| l.unwrap())
        .collect()
}

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn local_of(line: &str) -> i64 {
    line.split(' ').next().unwrap().parse().unwrap()
}

struct BinanceFacts {
    file: &'static str,
    lines: u64,
    diffs: usize,
    tickers: u64,
    trades: u64,
    snapshot_line: usize,
    bridge_line: usize,
    min_trade: &'static str,
    max_trade: &'static str,
}

/// The expected number of level events by Binance's rules, computed
/// naively with serde_json: the snapshot's levels, then every diff from
/// the bridging one on.
fn oracle_levels(lines: &[String], f: &BinanceFacts) -> usize {
    let json = |l: &str| -> serde_json::Value {
        serde_json::from_str(l.split_once(' ').unwrap().1).unwrap()
    };
    let snap = json(&lines[f.snapshot_line]);
    let lid = snap["lastUpdateId"].as_i64().unwrap();
    let nz = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|l| d(l[1].as_str().unwrap()) != Decimal::new(0, 0))
            .count()
    };
    let mut n = nz(&snap["bids"]) + nz(&snap["asks"]);
    let mut diffs = 0;
    let mut started = false;
    for l in lines {
        if !l.contains("depthUpdate") {
            continue;
        }
        diffs += 1;
        let v = json(l);
        let data = &v["data"];
        let (u0, u1) = (data["U"].as_i64().unwrap(), data["u"].as_i64().unwrap());
        if !started {
            if u1 < lid {
                continue;
            }
            assert!(u0 <= lid, "bridging diff must straddle lastUpdateId");
            started = true;
        }
        n += data["b"].as_array().unwrap().len() + data["a"].as_array().unwrap().len();
    }
    assert_eq!(diffs, f.diffs, "depth diffs in {}", f.file);
    n
}

fn check_binance(f: BinanceFacts) {
    let Some(p) = sample(f.file) else { return };
    let lines = gz_lines(&p);
    assert_eq!(lines.len() as u64, f.lines);
    assert!(lines[f.snapshot_line].contains("lastUpdateId"));
    let (evs, st) = read_all(Format::Binance, &[p]);
    assert_eq!(st.rows, f.lines);
    assert_eq!(st.gaps, 0);
    assert_eq!(st.resyncs, 0);
    assert_eq!(st.snapshots, 1);
    assert_eq!(st.bad_rows_skipped, 0);
    assert_eq!(st.out_of_order, 0, "local times are monotone");
    assert_eq!(st.crossed, 0);
    assert_eq!(
        st.events.get(cascade::replay::PayloadKind::Quote),
        f.tickers
    );
    assert_eq!(st.events.get(cascade::replay::PayloadKind::Trade), f.trades);
    let levels = evs
        .iter()
        .filter(|e| matches!(e.payload, Payload::BookLevel { .. }))
        .count();
    assert_eq!(levels, oracle_levels(&lines, &f));
    // The snapshot comes first, stamped with the snapshot line's receive
    // time; right after it, the bridging diff (written earlier in the file).
    let clear = evs
        .iter()
        .position(|e| e.payload == Payload::BookClear)
        .unwrap();
    assert_eq!(evs[clear].local_ts, Some(local_of(&lines[f.snapshot_line])));
    assert!(!evs[..clear]
        .iter()
        .any(|e| matches!(e.payload, Payload::BookLevel { .. })));
    let end = evs
        .iter()
        .position(|e| e.payload == Payload::SnapshotEnd)
        .unwrap();
    let first_diff = &evs[end + 1..]
        .iter()
        .find(|e| matches!(e.payload, Payload::BookLevel { .. }))
        .unwrap();
    assert_eq!(first_diff.local_ts, Some(local_of(&lines[f.bridge_line])));
    // Trade price range.
    let prices: Vec<i128> = evs
        .iter()
        .filter_map(|e| match e.payload {
            Payload::Trade { price, .. } => Some(cascade::replay::decimal_key(price)),
            _ => None,
        })
        .collect();
    assert_eq!(
        *prices.iter().min().unwrap(),
        cascade::replay::decimal_key(d(f.min_trade))
    );
    assert_eq!(
        *prices.iter().max().unwrap(),
        cascade::replay::decimal_key(d(f.max_trade))
    );
}

#[test]
fn binance_usdm_btcusdt() {
    check_binance(BinanceFacts {
        file: "binance-usdm/btcusdt_20240808.gz",
        lines: 93_954,
        diffs: 6_551,
        tickers: 66_089,
        trades: 21_313,
        snapshot_line: 54,
        bridge_line: 41,
        min_trade: "61590.3",
        max_trade: "61839.9",
    });
    let Some(p) = sample("binance-usdm/btcusdt_20240808.gz") else {
        return;
    };
    let (evs, _) = read_all(Format::Binance, &[p]);
    let sells = evs
        .iter()
        .filter(|e| {
            matches!(
                e.payload,
                Payload::Trade {
                    aggressor: Some(Side::Sell),
                    ..
                }
            )
        })
        .count();
    assert_eq!(sells, 11_697, "m=true trades are seller-initiated");
    let first = evs.first().unwrap();
    assert_eq!(first.local_ts, Some(1_723_161_255_088_169_167));
}

#[test]
fn binance_usdm_ethusdt() {
    check_binance(BinanceFacts {
        file: "binance-usdm/ethusdt_20240808.gz",
        lines: 74_655,
        diffs: 6_586,
        tickers: 53_992,
        trades: 14_076,
        snapshot_line: 40,
        bridge_line: 38,
        min_trade: "2677.90",
        max_trade: "2684.82",
    });
}

#[test]
fn binance_coinm_btcusd_perp() {
    check_binance(BinanceFacts {
        file: "binance-coinm/btcusd_perp_20240808.gz",
        lines: 48_270,
        diffs: 26_847,
        tickers: 19_136,
        trades: 2_286,
        snapshot_line: 36,
        bridge_line: 34,
        min_trade: "61610.0",
        max_trade: "61845.0",
    });
}

#[test]
fn hyperliquid_btc() {
    let Some(p) = sample("hyperliquid/btcusd_20250126.gz") else {
        return;
    };
    let lines = gz_lines(&p);
    assert_eq!(lines.len(), 55);
    let books = lines.iter().filter(|l| l.contains("\"l2Book\"")).count();
    assert_eq!(books, 46);
    let expected_trades: usize = lines
        .iter()
        .filter(|l| l.contains("\"trades\""))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l.split_once(' ').unwrap().1).unwrap();
            v["data"].as_array().unwrap().len()
        })
        .sum();
    let (evs, st) = read_all(Format::Hyperliquid, &[p]);
    assert_eq!(st.rows, 55);
    assert_eq!(st.snapshots, 1);
    assert_eq!(st.crossed, 0);
    assert_eq!(
        st.events.get(cascade::replay::PayloadKind::Trade) as usize,
        expected_trades
    );
    // The first snapshot: BookClear, 20 bids, 20 asks, SnapshotEnd.
    assert_eq!(evs[0].payload, Payload::BookClear);
    assert_eq!(evs[41].payload, Payload::SnapshotEnd);
    assert_eq!(
        evs[1].payload,
        Payload::BookLevel {
            side: Side::Buy,
            price: d("105055.0"),
            qty: d("3.03622")
        }
    );
    // Rebuilding the book from the diffs reproduces the last snapshot.
    let last: serde_json::Value = serde_json::from_str(
        lines
            .iter()
            .rev()
            .find(|l| l.contains("l2Book"))
            .unwrap()
            .split_once(' ')
            .unwrap()
            .1,
    )
    .unwrap();
    let mut book = std::collections::BTreeMap::new();
    for e in &evs {
        match e.payload {
            Payload::BookClear => book.clear(),
            Payload::BookLevel { side, price, qty } => {
                let k = (side == Side::Buy, cascade::replay::decimal_key(price));
                if qty.is_zero() {
                    book.remove(&k);
                } else {
                    book.insert(k, qty);
                }
            }
            _ => {}
        }
    }
    let mut want = std::collections::BTreeMap::new();
    for (i, side) in last["data"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for l in side.as_array().unwrap() {
            let k = (
                i == 0,
                cascade::replay::decimal_key(d(l["px"].as_str().unwrap())),
            );
            want.insert(k, d(l["sz"].as_str().unwrap()));
        }
    }
    assert_eq!(book, want);
    // The first trades message replays older prints: counted, kept in order.
    assert!(st.exchange_ts_regressions >= 1);
}

const LOB_MSG: &str = "lobster/AAPL_2012-06-21_34200000_57600000_message_10.csv";
const LOB_BOOK: &str = "lobster/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv";

#[test]
fn lobster_messages_and_seed() {
    let (Some(m), Some(b)) = (sample(LOB_MSG), sample(LOB_BOOK)) else {
        return;
    };
    let (evs, st) = read_all(Format::Lobster, std::slice::from_ref(&m));
    assert_eq!(st.rows, 999);
    use cascade::replay::PayloadKind as K;
    assert_eq!(st.events.get(K::OrderAdd), 471);
    assert_eq!(st.events.get(K::OrderReduce), 0);
    assert_eq!(st.events.get(K::OrderDelete), 369);
    assert_eq!(st.events.get(K::OrderExecute), 98);
    assert_eq!(st.events.get(K::HiddenExecute), 61);
    assert_eq!(st.out_of_order, 0);
    // True UTC: the date from the file name, New York's offset that day
    // (EDT, UTC-4): 09:30:00.004241176 local is 13:30:00.004241176 UTC.
    let day = 1_340_236_800_000_000_000 + 4 * 3_600_000_000_000;
    assert_eq!(evs[0].exchange_ts, day + 34_200_004_241_176);
    assert_eq!(
        cascade::replay::time::iso_time(evs[0].exchange_ts),
        "2012-06-21T13:30:00.004241176Z"
    );
    assert_eq!(evs.last().unwrap().exchange_ts, day + 34_249_086_375_027);
    assert_eq!(
        evs[0].payload,
        Payload::OrderAdd {
            id: 16_113_575,
            side: Side::Buy,
            price: Decimal::new(5_853_300, 4),
            qty: d("18")
        }
    );
    // With the orderbook file, the stream starts with the seeded book.
    let (evs, st) = read_all(Format::Lobster, &[m, b.clone()]);
    assert_eq!(evs[0].payload, Payload::BookClear);
    let seed_end = evs
        .iter()
        .position(|e| e.payload == Payload::SnapshotEnd)
        .unwrap();
    // Message 1 added bid 585.33 x 18 at the top: undone, 9 bids remain;
    // the 10th bid before it is outside the window and unknown.
    let bids: Vec<_> = evs[..seed_end]
        .iter()
        .filter_map(|e| match e.payload {
            Payload::BookLevel {
                side: Side::Buy,
                price,
                qty,
            } => Some((price, qty)),
            _ => None,
        })
        .collect();
    assert_eq!(bids.len(), 9);
    assert_eq!(bids[0], (Decimal::new(5_853_000, 4), d("150")));
    assert_eq!(st.events.get(K::BookLevel), 19);
    assert_eq!(evs[seed_end + 1].exchange_ts, day + 34_200_004_241_176);
    // The orderbook reader: 999 rows of 10 full levels, no dummies.
    let mut r = OrderbookReader::open(&b).unwrap();
    let mut n = 0;
    let mut first = BookRow::default();
    while let Some(row) = r.next_row() {
        let row = row.unwrap();
        assert_eq!((row.asks.len(), row.bids.len(), row.depth), (10, 10, 10));
        if n == 0 {
            first = row.clone();
        }
        n += 1;
    }
    assert_eq!(n, 999);
    // LOBSTER prices keep scale 4 (USD x 10000).
    assert_eq!(first.asks[0].price, Decimal::new(5_859_400, 4));
    assert_eq!(first.bids[0].price, Decimal::new(5_853_300, 4));
    assert_eq!(first.bids[0].qty, d("18"));
}

#[test]
fn tardis_incremental_l2() {
    let Some(p) = sample("tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv") else {
        return;
    };
    let (evs, st) = read_all(Format::Tardis, &[p]);
    assert_eq!(st.rows, 16);
    assert_eq!(evs.len(), 17);
    assert_eq!(evs[0].payload, Payload::BookClear);
    assert_eq!(evs[16].payload, Payload::SnapshotEnd);
    let asks: Vec<Decimal> = evs
        .iter()
        .filter_map(|e| match e.payload {
            Payload::BookLevel {
                side: Side::Sell,
                price,
                ..
            } => Some(price),
            Payload::BookLevel { .. } => panic!("no bids in this sample"),
            _ => None,
        })
        .collect();
    assert_eq!(asks.len(), 15);
    assert_eq!(asks[0], d("6421.5"));
    assert_eq!(*asks.last().unwrap(), d("6428.5"));
    assert_eq!(evs[1].exchange_ts, 1_585_699_200_245_000_000);
    assert_eq!(evs[1].local_ts, Some(1_585_699_200_355_684_000));
}

fn rebuild(evs: &[MarketEvent]) -> std::collections::BTreeMap<(bool, i128), Decimal> {
    let mut book = std::collections::BTreeMap::new();
    for e in evs {
        match e.payload {
            Payload::BookClear => book.clear(),
            Payload::BookLevel { side, price, qty } => {
                let k = (side == Side::Buy, cascade::replay::decimal_key(price));
                if qty.is_zero() {
                    book.remove(&k);
                } else {
                    book.insert(k, qty);
                }
            }
            _ => {}
        }
    }
    book
}

#[test]
fn tardis_book_snapshots_diff_back_to_each_row() {
    for (file, n) in [
        ("tardis/binance-futures_book_snapshot_25_BTCUSDT.csv", 25),
        ("tardis/binance-futures_book_snapshot_5_BTCUSDT.csv", 5),
    ] {
        let Some(p) = sample(file) else { return };
        let text = std::fs::read_to_string(&p).unwrap();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 10);
        let (evs, st) = read_all(Format::Tardis, &[p]);
        assert_eq!(st.snapshots, 1);
        assert_eq!(st.crossed, 0);
        // Replaying the events up to the end of each row's batch gives
        // exactly that row's levels.
        for (i, row) in rows.iter().enumerate() {
            let f: Vec<&str> = row.split(',').collect();
            let local: i64 = f[3].parse::<i64>().unwrap() * 1000;
            let upto = evs
                .iter()
                .rposition(|e| e.local_ts == Some(local))
                .unwrap_or_else(|| {
                    // An unchanged row emits nothing: use the previous batch.
                    evs.iter()
                        .rposition(|e| e.local_ts.unwrap() < local)
                        .unwrap()
                });
            let mut want = std::collections::BTreeMap::new();
            for k in 0..n {
                let c = 4 + 4 * k;
                want.insert((false, cascade::replay::decimal_key(d(f[c]))), d(f[c + 1]));
                want.insert(
                    (true, cascade::replay::decimal_key(d(f[c + 2]))),
                    d(f[c + 3]),
                );
            }
            assert_eq!(rebuild(&evs[..=upto]), want, "{file} row {i}");
        }
    }
}

#[test]
fn tardis_trades_and_quotes_merge_by_local_time() {
    let (Some(t), Some(q)) = (
        sample("tardis/bitmex_trades_XBTUSD.csv"),
        sample("tardis/huobi-dm-swap_quotes_BTC-USD.csv"),
    ) else {
        return;
    };
    let (evs, st) = read_all(Format::Tardis, std::slice::from_ref(&t));
    assert_eq!(st.rows, 11);
    assert_eq!(evs.len(), 10);
    assert!(matches!(
        evs[0].payload,
        Payload::Trade {
            aggressor: Some(Side::Sell),
            id: None,
            ..
        }
    ));
    let (qevs, _) = read_all(Format::Tardis, std::slice::from_ref(&q));
    assert_eq!(qevs.len(), 10);
    assert_eq!(
        qevs[0].payload,
        Payload::Quote {
            bid: Some(cascade::replay::PriceQty {
                price: d("8629.2"),
                qty: d("806")
            }),
            ask: Some(cascade::replay::PriceQty {
                price: d("8629.3"),
                qty: d("5494")
            }),
        }
    );
    // Merged: every event of both, ordered by local time.
    let (m, st) = read_all(Format::Tardis, &[t, q]);
    assert_eq!(m.len(), 20);
    assert_eq!(st.rows, 22);
    assert!(m.windows(2).all(|w| w[0].order_ts() <= w[1].order_ts()));
}
