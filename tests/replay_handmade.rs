//! The readers on small hand-made inputs with known answers: a Binance
//! gap and resync, mark price and liquidation lines, a Tardis re-snapshot,
//! ticker and liquidation files, snapshot diffs, crossed books, the merge,
//! LOBSTER halts, crosses, dummy levels and seeding.

use cascade::replay::lobster::{parse_book_row, parse_message, seed_book, BookRow};
use cascade::replay::{
    open_bytes, CrossCheck, EventSource, Format, MarketEvent, Merged, Payload, PriceQty,
    ReplayError, ReplayOptions, ReplayStats, TradeKind,
};
use cascade::types::{Decimal, Side};

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn run(
    format: Format,
    name: &str,
    text: &str,
) -> (Vec<MarketEvent>, ReplayStats, Option<ReplayError>) {
    let mut src = open_bytes(
        format,
        name,
        text.as_bytes().to_vec(),
        &ReplayOptions::default(),
    )
    .unwrap();
    let mut evs = Vec::new();
    let mut err = None;
    while let Some(r) = src.next_event() {
        match r {
            Ok(e) => evs.push(e),
            Err(e) => err = Some(e),
        }
    }
    (evs, src.stats(), err)
}

fn lvl(side: Side, p: &str, q: &str) -> Payload {
    Payload::BookLevel {
        side,
        price: d(p),
        qty: d(q),
    }
}

fn payloads(evs: &[MarketEvent]) -> Vec<Payload> {
    evs.iter().map(|e| e.payload).collect()
}

fn diff(local: u64, first: i64, last: i64, prev: i64, bids: &str) -> String {
    format!(
        r#"{local} {{"stream":"x@depth@0ms","data":{{"e":"depthUpdate","E":{local},"T":{local},"s":"X","U":{first},"u":{last},"pu":{prev},"b":[{bids}],"a":[]}}}}"#
    )
}

#[test]
fn binance_gap_then_resync() {
    let lines = [
        diff(1, 95, 99, 94, r#"["1.0","1"]"#),
        r#"2 {"lastUpdateId":100,"E":2,"T":2,"bids":[["10.0","1"],["9.5","0"]],"asks":[["11.0","2"]]}"#.to_string(),
        diff(3, 100, 105, 99, r#"["10.0","3"]"#),
        diff(4, 106, 110, 105, r#"["9.0","1"]"#),
        diff(5, 120, 125, 115, r#"["8.0","1"]"#),
        diff(6, 126, 130, 125, r#"["7.0","1"]"#),
        r#"7 {"lastUpdateId":128,"E":7,"T":7,"bids":[["10.0","4"]],"asks":[["12.0","1"]]}"#.to_string(),
        diff(8, 131, 133, 130, r#"["6.0","1"]"#),
    ];
    let (evs, st, err) = run(Format::Binance, "gap.txt", &(lines.join("\n") + "\n"));
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        payloads(&evs),
        vec![
            Payload::BookClear,
            lvl(Side::Buy, "10", "1"),
            lvl(Side::Sell, "11", "2"),
            Payload::SnapshotEnd,
            lvl(Side::Buy, "10", "3"),
            lvl(Side::Buy, "9", "1"),
            Payload::Gap,
            Payload::BookClear,
            lvl(Side::Buy, "10", "4"),
            lvl(Side::Sell, "12", "1"),
            Payload::SnapshotEnd,
            lvl(Side::Buy, "7", "1"),
            lvl(Side::Buy, "6", "1"),
        ]
    );
    assert_eq!((st.gaps, st.resyncs, st.snapshots), (1, 1, 2));
    // Line 1 (u 99 < 100) and line 5 (u 125 < 128) were dropped.
    assert_eq!(st.diffs_dropped, 2);
    // The gap is stamped with the diff that broke the chain.
    // Capture times below 10^14 are ms (the collector's unit is told by
    // the number's size).
    assert_eq!(evs[6].local_ts, Some(5_000_000));
    assert_eq!(evs[11].local_ts, Some(6_000_000));
}

#[test]
fn binance_snapshot_that_cannot_bridge_is_a_gap() {
    let lines = [
        diff(1, 200, 210, 199, r#"["1.0","1"]"#),
        r#"2 {"lastUpdateId":150,"E":2,"T":2,"bids":[["10.0","1"]],"asks":[["11.0","2"]]}"#
            .to_string(),
        diff(3, 211, 220, 210, r#"["2.0","1"]"#),
    ];
    let (evs, st, _) = run(Format::Binance, "old.txt", &lines.join("\n"));
    assert_eq!(payloads(&evs), vec![Payload::Gap]);
    assert_eq!(st.gaps, 1);
    assert_eq!(st.snapshots, 0);
}

#[test]
fn binance_snapshot_while_in_sync_is_ignored() {
    let lines = [
        r#"1 {"lastUpdateId":100,"E":1,"T":1,"bids":[["10.0","1"]],"asks":[["11.0","2"]]}"#
            .to_string(),
        diff(2, 99, 101, 98, r#"["10.0","2"]"#),
        r#"3 {"lastUpdateId":101,"E":3,"T":3,"bids":[["10.0","1"]],"asks":[["11.0","2"]]}"#
            .to_string(),
        diff(4, 102, 103, 101, r#"["10.0","5"]"#),
    ];
    let (evs, st, _) = run(Format::Binance, "sync.txt", &lines.join("\n"));
    assert_eq!(st.snapshots_ignored, 1);
    assert_eq!(st.gaps, 0);
    assert_eq!(evs.last().unwrap().payload, lvl(Side::Buy, "10", "5"));
}

#[test]
fn binance_mark_price_and_force_order() {
    let text = [
        r#"1700000000000000000 {"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1700000001000,"s":"BTCUSDT","p":"35000.10000000","P":"35001.00000000","i":"34990.55000000","r":"-0.00012500","T":1700006400000}}"#,
        r#"1700000000000000001 {"e":"markPriceUpdate","E":1700000002000,"s":"BTCUSD_240927","p":"36000.5","P":"0","i":"35999.1","r":"","T":0}"#,
        r#"1700000000000000002 {"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1700000003000,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.250","p":"34800.00","ap":"34850.40","X":"FILLED","l":"0.100","z":"0.250","T":1700000002999}}}"#,
        r#"{"e":"forceOrder","E":1700000004000,"o":{"s":"BTCUSD_PERP","ps":"BTCUSD","S":"BUY","o":"LIMIT","f":"IOC","q":"3","p":"35100.1","ap":"0","X":"NEW","l":"0","z":"0","T":1700000004000}}"#,
        r#"1700000000000000004 {"stream":"btcusdt@trade","data":{"e":"trade","E":1700000005000,"T":1700000005000,"s":"BTCUSDT","t":7,"p":"34800.00","q":"0.100","X":"LIQUIDATION","m":true}}"#,
        r#"1700000000000000005 {"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1700000006000,"s":"BTCUSDT","k":{}}}"#,
    ]
    .join("\n");
    let (evs, st, err) = run(Format::Binance, "mark.txt", &text);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        payloads(&evs),
        vec![
            Payload::Mark {
                price: d("35000.1")
            },
            Payload::Index {
                price: d("34990.55")
            },
            Payload::Funding {
                rate: d("-0.000125"),
                funding_ts: Some(1_700_006_400_000_000_000)
            },
            Payload::Mark {
                price: d("36000.5")
            },
            Payload::Index {
                price: d("35999.1")
            },
            Payload::Liquidation {
                side: Side::Sell,
                price: d("34800"),
                qty: d("0.25"),
                avg_price: Some(d("34850.4")),
                filled_qty: Some(d("0.25")),
            },
            Payload::Liquidation {
                side: Side::Buy,
                price: d("35100.1"),
                qty: d("3"),
                avg_price: Some(d("0")),
                filled_qty: Some(d("0")),
            },
            Payload::Trade {
                aggressor: Some(Side::Sell),
                price: d("34800"),
                qty: d("0.1"),
                id: Some(7),
                kind: TradeKind::Liquidation
            },
        ]
    );
    // Mark time is E; the liquidation's is o.T; no local time on a bare line.
    assert_eq!(evs[0].exchange_ts, 1_700_000_001_000_000_000);
    assert_eq!(evs[5].exchange_ts, 1_700_000_002_999_000_000);
    assert_eq!(evs[6].local_ts, None);
    assert_eq!(st.rows_ignored, 1);
}

const L2_HEADER: &str = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n";

#[test]
fn tardis_re_snapshot_clears_the_book() {
    let text = L2_HEADER.to_string()
        + "x,S,1,1,true,bid,100,5\n\
           x,S,1,1,true,ask,101,5\n\
           x,S,2,2,false,bid,100,0\n\
           x,S,3,3,true,bid,99,1\n\
           x,S,3,3,true,ask,102,1\n\
           x,S,4,4,false,ask,102,3\n";
    let (evs, st, err) = run(Format::Tardis, "l2.csv", &text);
    assert!(err.is_none());
    assert_eq!(
        payloads(&evs),
        vec![
            Payload::BookClear,
            lvl(Side::Buy, "100", "5"),
            lvl(Side::Sell, "101", "5"),
            Payload::SnapshotEnd,
            lvl(Side::Buy, "100", "0"),
            Payload::BookClear,
            lvl(Side::Buy, "99", "1"),
            lvl(Side::Sell, "102", "1"),
            Payload::SnapshotEnd,
            lvl(Side::Sell, "102", "3"),
        ]
    );
    assert_eq!(st.snapshots, 2);
    // SnapshotEnd carries the last snapshot row's times.
    assert_eq!(evs[3].local_ts, Some(1000));
    assert_eq!(evs[8].exchange_ts, 3000);
}

#[test]
fn tardis_crossed_book_is_counted_per_batch() {
    let text = L2_HEADER.to_string()
        + "x,S,1,1,true,bid,100,5\n\
           x,S,1,1,true,ask,101,5\n\
           x,S,2,2,false,bid,101,1\n\
           x,S,2,2,false,ask,101,0\n\
           x,S,3,3,false,bid,102,1\n\
           x,S,4,4,false,bid,102,0\n\
           x,S,4,4,false,bid,101,0\n";
    let (_, st, _) = run(Format::Tardis, "l2.csv", &text);
    // Batch 2 raises the bid to 101 and removes the 101 ask in one message:
    // crossed half-way, not at its end, so not counted; afterwards the ask
    // side is empty, and a book with one side cannot be crossed.
    assert_eq!(st.crossed, 0);
    let text = L2_HEADER.to_string()
        + "x,S,1,1,true,bid,100,5\n\
           x,S,1,1,true,ask,101,5\n\
           x,S,2,2,false,bid,101,1\n\
           x,S,3,3,false,bid,101,0\n";
    let mut check = CrossCheck::new();
    let (evs, _, _) = run(Format::Tardis, "l2.csv", &text);
    let found: Vec<bool> = evs.iter().map(|e| check.observe(e)).collect();
    check.finish();
    assert_eq!(check.crossed(), 1);
    assert!(found[5], "found at the start of the next batch");
    let mut opened = cascade::replay::open(
        Format::Tardis,
        &[write_tmp("crossed.csv", &text)],
        &ReplayOptions::default(),
    )
    .unwrap();
    for e in &mut opened {
        e.unwrap();
    }
    assert_eq!(opened.stats().crossed, 1);
}

fn write_tmp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cascade-replay-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn tardis_book_snapshot_diffs() {
    let text = "exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,asks[1].price,asks[1].amount,bids[1].price,bids[1].amount\n\
        x,S,1,1,101,1,100,1,102,2,99,2\n\
        x,S,2,2,101,1,100,3,103,2,99,2\n\
        x,S,3,3,101,1,100,3,,,99,2\n\
        x,S,4,4,101,1,100,3,,,99,2\n";
    let (evs, st, err) = run(Format::Tardis, "book_snapshot_2.csv", text);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        payloads(&evs),
        vec![
            Payload::BookClear,
            lvl(Side::Buy, "100", "1"),
            lvl(Side::Buy, "99", "2"),
            lvl(Side::Sell, "101", "1"),
            lvl(Side::Sell, "102", "2"),
            Payload::SnapshotEnd,
            lvl(Side::Buy, "100", "3"),
            lvl(Side::Sell, "102", "0"),
            lvl(Side::Sell, "103", "2"),
            lvl(Side::Sell, "103", "0"),
        ]
    );
    assert_eq!(st.rows, 5);
}

#[test]
fn tardis_derivative_ticker_and_liquidations() {
    let text = "exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price\n\
        bitmex,XBTUSD,1000,1001,2000,0.0001,0.0002,500,10,11,12\n\
        bitmex,XBTUSD,1002,1003,,,,,,,12.5\n\
        bitmex,XBTUSD,1004,1005,2000,-1.5e-7,,,,,\n";
    let (evs, _, err) = run(Format::Tardis, "derivative_ticker.csv", text);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        payloads(&evs),
        vec![
            Payload::Funding {
                rate: d("0.0001"),
                funding_ts: Some(2_000_000)
            },
            Payload::OpenInterest { qty: d("500") },
            Payload::Index { price: d("11") },
            Payload::Mark { price: d("12") },
            Payload::Mark { price: d("12.5") },
            Payload::Funding {
                rate: d("-0.00000015"),
                funding_ts: Some(2_000_000)
            },
        ]
    );
    let text = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
        binance-futures,BTCUSDT,1000,1001,,sell,9910,0.014\n\
        binance-futures,BTCUSDT,1002,1003,42,buy,9920.5,1\n";
    let (evs, _, err) = run(
        Format::Tardis,
        "binance-futures_liquidations_BTCUSDT.csv",
        text,
    );
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        evs[0].payload,
        Payload::Liquidation {
            side: Side::Sell,
            price: d("9910"),
            qty: d("0.014"),
            avg_price: None,
            filled_qty: None
        }
    );
    // Named as trades, the same file is still liquidations: its first row
    // has no trade id, which Binance futures trades always have.
    let (evs, st, _) = run(Format::Tardis, "trades.csv", text);
    assert!(matches!(evs[0].payload, Payload::Liquidation { .. }));
    assert_eq!(
        st.data_kind.as_deref(),
        Some("liquidations (content: rows without a trade id)")
    );
    // With a trade id on the first row it is trades.
    let rows: Vec<&str> = text.lines().collect();
    let trades = format!("{}\n{}\n{}\n", rows[0], rows[2], rows[1]);
    let (evs, st, _) = run(Format::Tardis, "trades.csv", &trades);
    assert!(matches!(
        evs[0].payload,
        Payload::Trade {
            aggressor: Some(Side::Buy),
            id: Some(42),
            ..
        }
    ));
    assert_eq!(st.data_kind.as_deref(), Some("trades (header)"));
}

#[test]
fn tardis_quotes_with_an_empty_side() {
    let text =
        "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount\n\
        x,S,1,2,,,99.5,3\n";
    let (evs, _, err) = run(Format::Tardis, "quotes.csv", text);
    assert!(err.is_none());
    assert_eq!(
        evs[0].payload,
        Payload::Quote {
            bid: Some(PriceQty {
                price: d("99.5"),
                qty: d("3")
            }),
            ask: None
        }
    );
}

#[test]
fn merge_is_stable_on_ties() {
    let a = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
        x,S,1,10,1,buy,1,1\nx,S,1,20,2,buy,1,1\nx,S,1,30,3,buy,1,1\n";
    let b = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
        x,S,1,10,4,sell,1,1\nx,S,1,25,5,sell,1,1\nx,S,1,30,6,sell,1,1\n";
    let opts = ReplayOptions::default();
    let mut m = Merged::new(vec![
        (
            "a".into(),
            Box::new(open_bytes(Format::Tardis, "a", a.into(), &opts).unwrap()),
        ),
        (
            "b".into(),
            Box::new(open_bytes(Format::Tardis, "b", b.into(), &opts).unwrap()),
        ),
    ]);
    let mut ids = Vec::new();
    while let Some(e) = m.next_event() {
        if let Payload::Trade { id, .. } = e.unwrap().payload {
            ids.push(id.unwrap());
        }
    }
    assert_eq!(ids, vec![1, 4, 2, 5, 3, 6]);
    assert_eq!(m.stats().rows, 8);
    assert_eq!(m.per_source().len(), 2);
}

#[test]
fn hyperliquid_handmade_book_and_trades() {
    let text = [
        r#"5 {"channel":"subscriptionResponse","data":{"method":"subscribe"}}"#,
        r#"10 {"channel":"l2Book","data":{"coin":"BTC","time":1,"levels":[[{"px":"100.0","sz":"1","n":1},{"px":"99.0","sz":"2","n":1}],[{"px":"101.0","sz":"3","n":2}]]}}"#,
        r#"20 {"channel":"l2Book","data":{"coin":"BTC","time":2,"levels":[[{"px":"100.0","sz":"1.5","n":1}],[{"px":"101.0","sz":"3","n":2},{"px":"102.0","sz":"1","n":1}]]}}"#,
        r#"30 {"channel":"trades","data":[{"coin":"BTC","side":"A","px":"100.0","sz":"0.5","time":3,"hash":"0x0","tid":9,"users":["a","b"]},{"coin":"BTC","side":"B","px":"101.0","sz":"1","time":4,"tid":10}]}"#,
    ]
    .join("\n");
    let (evs, st, err) = run(Format::Hyperliquid, "hl.txt", &text);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(st.rows_ignored, 1);
    let p = payloads(&evs);
    assert_eq!(p[4], Payload::SnapshotEnd);
    assert_eq!(
        p[5..].to_vec(),
        vec![
            lvl(Side::Buy, "99", "0"),
            lvl(Side::Buy, "100", "1.5"),
            lvl(Side::Sell, "102", "1"),
            Payload::Trade {
                aggressor: Some(Side::Sell),
                price: d("100"),
                qty: d("0.5"),
                id: Some(9),
                kind: TradeKind::Regular
            },
            Payload::Trade {
                aggressor: Some(Side::Buy),
                price: d("101"),
                qty: d("1"),
                id: Some(10),
                kind: TradeKind::Regular
            },
        ]
    );
    assert_eq!(evs.last().unwrap().exchange_ts, 4_000_000);
}

#[test]
fn lobster_halts_crosses_and_dummy_levels() {
    let text = "34200.1,1,1,100,1000000,1\n\
        34200.2,6,-1,500,1000100,1\n\
        34200.3,7,0,0,-1,-1\n\
        34200.4,7,0,0,0,-1\n\
        34200.5,7,0,0,1,-1\n\
        34200.6,2,1,40,1000000,1\n\
        34200.7,5,0,10,1000000,-1\n\
        34200.8,3,1,60,1000000,1\n\
        34200.9,4,2,5,1000100,-1";
    let (evs, st, err) = run(Format::Lobster, "X_2012-06-21_0_0_message_1.csv", text);
    assert!(err.is_none(), "{err:?}");
    let px = |r: i128| Decimal::new(r, 4);
    assert_eq!(
        payloads(&evs),
        vec![
            Payload::OrderAdd {
                id: 1,
                side: Side::Buy,
                price: px(1_000_000),
                qty: d("100")
            },
            Payload::Cross {
                price: px(1_000_100),
                qty: d("500"),
                kind: -1
            },
            Payload::Halt,
            Payload::QuoteResume,
            Payload::Resume,
            Payload::OrderReduce {
                id: 1,
                side: Side::Buy,
                price: px(1_000_000),
                qty: d("40")
            },
            Payload::HiddenExecute {
                side: Side::Sell,
                price: px(1_000_000),
                qty: d("10")
            },
            Payload::OrderDelete {
                id: 1,
                side: Side::Buy,
                price: px(1_000_000),
                qty: d("60")
            },
            Payload::OrderExecute {
                id: 2,
                side: Side::Sell,
                price: px(1_000_100),
                qty: d("5")
            },
        ]
    );
    // 34200.1 s after midnight in New York on 2012-06-21 (EDT, UTC-4):
    // 13:30:00.1 UTC.
    assert_eq!(evs[0].exchange_ts, 1_340_285_400_100_000_000);
    assert_eq!(st.rows, 9);

    let mut row = BookRow::default();
    parse_book_row(b"1000100,5,1000000,10,9999999999,0,-9999999999,0", &mut row).unwrap();
    assert_eq!(row.depth, 2);
    assert_eq!(row.asks.len(), 1);
    assert_eq!(row.bids.len(), 1);
    assert!(parse_book_row(b"1000100,5,-3,10", &mut row).is_err());
    assert!(parse_book_row(b"1000100,5,1000000", &mut row).is_err());
}

#[test]
fn lobster_seed_undoes_the_first_message() {
    let mut row = BookRow::default();
    // After an execution of 5 at the best ask 100.01 that emptied it.
    parse_book_row(b"1000200,7,1000000,10,1000300,1,999900,4", &mut row).unwrap();
    let m = parse_message(b"34200.9,4,2,5,1000100,-1").unwrap();
    let s = seed_book(&row, &m);
    let px = |r: i128| Decimal::new(r, 4);
    assert_eq!(
        s.asks,
        vec![
            PriceQty {
                price: px(1_000_100),
                qty: d("5")
            },
            PriceQty {
                price: px(1_000_200),
                qty: d("7")
            },
        ],
        "the executed level comes back; the window keeps 2 levels"
    );
    assert_eq!(s.bids.len(), 2);
    // A partial cancel adds its size back to the level.
    let m = parse_message(b"34200.9,2,2,3,1000000,1").unwrap();
    let s = seed_book(&row, &m);
    assert_eq!(
        s.bids[0],
        PriceQty {
            price: px(1_000_000),
            qty: d("13")
        }
    );
    let evs = s.events(7);
    assert_eq!(evs.first().unwrap().payload, Payload::BookClear);
    assert_eq!(evs.last().unwrap().payload, Payload::SnapshotEnd);
    assert_eq!(evs.len(), 6);
}

#[test]
fn callback_form_stops_at_the_first_error() {
    let text = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n\
        x,S,1,1,1,buy,1,1\nx,S,2,2,2,buy,oops,1\nx,S,3,3,3,buy,1,1\n";
    let mut src = open_bytes(
        Format::Tardis,
        "cb.csv",
        text.into(),
        &ReplayOptions::default(),
    )
    .unwrap();
    let mut n = 0;
    let err = src.for_each_event(|_| n += 1).unwrap_err();
    assert_eq!((n, err.line), (1, 3));
}
