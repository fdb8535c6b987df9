//! `cascade replay` and `cascade demo` as a user runs them: hand-made
//! files with known answers (a taker row computed by hand; crossed books,
//! out-of-order rows and a gap counted), exit statuses and `FILE:LINE`
//! error messages, the LOBSTER check, byte-identical outputs for the same
//! inputs, the demo, and the shared samples end to end (skipped with a
//! note where `../shared/data` is absent).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_cascade");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");
const DEMO_SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/binance-usdm-btcusdt-20240808-head20000.gz"
);
const DEMO_POPULATION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo_population.toml");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cascade-replay-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn cascade(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

fn sample(rel: &str) -> Option<String> {
    let p = Path::new(DATA).join(rel);
    if p.exists() {
        Some(p.display().to_string())
    } else {
        eprintln!("note: sample {} absent; test skipped", p.display());
        None
    }
}

const BOOK_HEADER: &str =
    "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n";
const TRADES_HEADER: &str = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n";

/// Bids 99 x 50, 98 x 50, asks 101 x 20, 102 x 30 at 1 s; after the taker
/// of 2 s, the bid at 99 goes.
fn tardis_files(dir: &Path) -> (String, String) {
    let book = dir.join("book.csv");
    let trades = dir.join("trades.csv");
    fs::write(
        &book,
        format!(
            "{BOOK_HEADER}\
             deribit,TEST,1000000,1000000,true,bid,99,50\n\
             deribit,TEST,1000000,1000000,true,bid,98,50\n\
             deribit,TEST,1000000,1000000,true,ask,101,20\n\
             deribit,TEST,1000000,1000000,true,ask,102,30\n\
             deribit,TEST,3000000,3000000,false,bid,99,0\n"
        ),
    )
    .unwrap();
    fs::write(
        &trades,
        format!(
            "{TRADES_HEADER}\
             deribit,TEST,2000000,2000000,a,sell,99,50\n\
             deribit,TEST,2000000,2000000,b,sell,98,20\n"
        ),
    )
    .unwrap();
    (book.display().to_string(), trades.display().to_string())
}

#[test]
fn a_taker_row_has_the_numbers_computed_by_hand() {
    let dir = tmp("taker");
    let (book, trades) = tardis_files(&dir);
    let out = dir.join("out");
    let o = cascade(&[
        "replay",
        "--format",
        "tardis",
        &book,
        &trades,
        "--tick",
        "1",
        "--lot",
        "10",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let csv = fs::read_to_string(out.join("events.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert_eq!(
        lines[0],
        "kind,time,time_ns,symbol,side,qty,trades,reported_price,mid,mark,sim_vwap,sim_filled,levels_walked,slippage_bps_mid,slippage_bps_mark,depth_1pct,depth_share_1pct,vwap_diff,vwap_diff_bps,unfilled"
    );
    // Sold 70: 50 at 99 and 20 at 98, VWAP 691/7 against a mid of 100:
    // 128.57 bps; the 1% band of the bids holds 50, all taken.
    assert_eq!(
        lines[1],
        "taker,1970-01-01T00:00:02.000Z,2000000000,TEST,sell,70,2,98.71428571,100,100,98.71428571,70,2,128.57142857,128.57142857,50,1,0,0,0"
    );
    let s = summary(&out);
    assert_eq!(s["conservation_residual"], "0");
    assert_eq!(s["measured"]["taker"]["rows"], 1);
    assert_eq!(s["measured"]["taker"]["vwap_error_bps_median"], "0.0000");
    assert_eq!(s["symbol"], "TEST");
    let steps = fs::read_to_string(out.join("steps.csv")).unwrap();
    assert_eq!(steps.lines().count(), 1, "header only without a population");
    assert!(fs::read_to_string(out.join("report.html"))
        .unwrap()
        .contains("<svg"));
}

#[test]
fn crossed_books_and_out_of_order_rows_are_counted() {
    let dir = tmp("crossed");
    let book = dir.join("book.csv");
    fs::write(
        &book,
        format!(
            "{BOOK_HEADER}\
             deribit,TEST,1000000,1000000,true,bid,99,10\n\
             deribit,TEST,1000000,1000000,true,ask,101,10\n\
             deribit,TEST,2000000,2000000,false,bid,101,10\n\
             deribit,TEST,3000000,1500000,false,bid,97,10\n\
             deribit,TEST,4000000,4000000,false,bid,102,10\n\
             deribit,TEST,4000000,4000000,false,ask,103,10\n"
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let o = cascade(&[
        "replay",
        "--format",
        "tardis",
        book.to_str().unwrap(),
        "--tick",
        "1",
        "--lot",
        "10",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = summary(&out);
    // The bid at 101 crossed the ask at 101 (never removed by the data);
    // the local time of row 5 goes back.
    assert_eq!(s["counts"]["crossed_books"], 1);
    assert_eq!(s["counts"]["uncrossed_levels"], 1);
    assert_eq!(s["counts"]["out_of_order"], 1);
    assert_eq!(s["conservation_residual"], "0");
}

#[test]
fn a_binance_gap_is_counted_and_resynced() {
    let dir = tmp("gap");
    let f = dir.join("x.txt");
    let diff = |local: u64, first: i64, last: i64, prev: i64, bids: &str| {
        format!(
            r#"{local} {{"stream":"x@depth@0ms","data":{{"e":"depthUpdate","E":{local},"T":{local},"s":"BTCUSDT","U":{first},"u":{last},"pu":{prev},"b":[{bids}],"a":[]}}}}"#
        )
    };
    let lines = [
        r#"2 {"lastUpdateId":100,"E":2,"T":2,"bids":[["10.0","1"]],"asks":[["11.0","2"]]}"#
            .to_string(),
        diff(3, 100, 105, 99, r#"["10.0","3"]"#),
        diff(5, 120, 125, 115, r#"["9.0","1"]"#),
        r#"7 {"lastUpdateId":128,"E":7,"T":7,"bids":[["10.0","4"]],"asks":[["12.0","1"]]}"#
            .to_string(),
        diff(8, 126, 130, 125, r#"["6.0","1"]"#),
    ];
    fs::write(&f, lines.join("\n") + "\n").unwrap();
    let out = dir.join("out");
    let o = cascade(&[
        "replay",
        "--format",
        "binance",
        f.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = summary(&out);
    assert_eq!(s["counts"]["gaps"], 1);
    assert_eq!(s["counts"]["resyncs"], 1);
    assert_eq!(s["counts"]["snapshots"], 2);
}

#[test]
fn bad_input_names_file_and_line_and_exits_2() {
    let dir = tmp("errors");
    let book = dir.join("book.csv");
    fs::write(
        &book,
        format!(
            "{BOOK_HEADER}\
             deribit,TEST,1000000,1000000,true,bid,99,10\n\
             deribit,TEST,1000000,1000000,true,ask,101,10\n\
             deribit,TEST,2000000,2000000,false,bid,99.5,10\n\
             deribit,TEST,x,2000000,false,bid,98,10\n"
        ),
    )
    .unwrap();
    let b = book.to_str().unwrap();
    let out = dir.join("out");
    let o_ = out.to_str().unwrap();
    let common = ["--tick", "1", "--lot", "10", "--quiet", "--out", o_];
    let run = |extra: &[&str]| {
        let mut a = vec!["replay", "--format", "tardis", b];
        a.extend_from_slice(&common);
        a.extend_from_slice(extra);
        cascade(&a)
    };
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.starts_with(&format!(
            "error: {b}:4: price 99.5 is not a positive multiple of the tick 1"
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    // Skipping: the off-tick row and the bad row are counted instead.
    let o = run(&["--skip-bad-rows"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = summary(&out);
    assert_eq!(s["counts"]["off_grid_skipped"], 1);
    assert_eq!(s["counts"]["bad_rows_skipped"], 1);
    // A row that does not parse stops at its line.
    fs::write(
        &book,
        format!("{BOOK_HEADER}deribit,TEST,1000000,1000000,true,bid,99,10\nderibit,TEST,x,2000000,false,bid,98,10\n"),
    )
    .unwrap();
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with(&format!("error: {b}:3: ")),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tmp("usage");
    let (book, _) = tardis_files(&dir);
    // No preset for TEST and no steps.
    let o = cascade(&["replay", "--format", "tardis", &book, "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--tick"), "{}", text(&o.stderr));
    // A missing file.
    let o = cascade(&["replay", "--format", "binance", "/nonexistent/x.gz"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).starts_with("error: /nonexistent/x.gz"),
        "{}",
        text(&o.stderr)
    );
    // An unknown format, a bad resilience, --verify without its files.
    for args in [
        vec!["replay", "--format", "csv", &book],
        vec![
            "replay",
            "--format",
            "tardis",
            &book,
            "--resilience",
            "soon",
        ],
        vec!["replay", "--format", "lobster", "--verify"],
        vec!["replay", "--format", "tardis"],
    ] {
        let o = cascade(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!text(&o.stderr).contains("panicked"));
    }
}

#[test]
fn a_bad_population_file_names_its_line() {
    let dir = tmp("pop");
    let (book, trades) = tardis_files(&dir);
    let pop = dir.join("pop.toml");
    fs::write(
        &pop,
        "seed = 1\n\n[[population.account]]\nid = 0\ndeposit = \"1\"\n",
    )
    .unwrap();
    let o = cascade(&[
        "replay",
        "--format",
        "tardis",
        &book,
        &trades,
        "--tick",
        "1",
        "--lot",
        "10",
        "--quiet",
        "--accounts",
        pop.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.starts_with(&format!("error: {}:4: ", pop.display())),
        "{err}"
    );
}

/// A two-message LOBSTER file pair; `wrong` spoils orderbook row 2.
fn lobster_pair(dir: &Path, wrong: bool) -> (String, String) {
    let m = dir.join("TEST_2012-06-21_34200000_57600000_message_1.csv");
    let o = dir.join("TEST_2012-06-21_34200000_57600000_orderbook_1.csv");
    fs::write(
        &m,
        "34200.1,1,5,10,1000100,-1\n34200.2,4,5,4,1000100,-1\n34200.3,3,9,7,999900,1",
    )
    .unwrap();
    let row2 = if wrong {
        "1000100,5,999900,7"
    } else {
        "1000100,6,999900,7"
    };
    fs::write(
        &o,
        format!("1000100,10,999900,7\n{row2}\n1000100,6,-9999999999,0"),
    )
    .unwrap();
    (m.display().to_string(), o.display().to_string())
}

#[test]
fn lobster_verify_reports_rows_and_the_first_mismatch() {
    let dir = tmp("lobster");
    let (m, o) = lobster_pair(&dir, false);
    let args = |m: &str, o: &str| {
        cascade(&[
            "replay",
            "--format",
            "lobster",
            "--messages",
            m,
            "--orderbook",
            o,
            "--verify",
            "--tick",
            "0.0001",
            "--lot",
            "1",
        ])
    };
    let out = args(&m, &o);
    assert_eq!(
        text(&out.stdout),
        "rows=3 mismatches=0 first_mismatch=0\n",
        "{}",
        text(&out.stderr)
    );
    assert!(out.status.success());
    let (m, o) = lobster_pair(&dir, true);
    let out = args(&m, &o);
    assert_eq!(text(&out.stdout), "rows=3 mismatches=1 first_mismatch=2\n");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn lobster_verify_on_the_shared_sample() {
    let (Some(m), Some(o)) = (
        sample("lobster/AAPL_2012-06-21_34200000_57600000_message_10.csv"),
        sample("lobster/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"),
    ) else {
        return;
    };
    let out = cascade(&[
        "replay",
        "--format",
        "lobster",
        "--messages",
        &m,
        "--orderbook",
        &o,
        "--verify",
    ]);
    assert_eq!(
        text(&out.stdout),
        "rows=999 mismatches=0 first_mismatch=0\n"
    );
    assert!(out.status.success());
}

#[test]
fn same_inputs_give_byte_identical_outputs() {
    let dir = tmp("determinism");
    let run = |name: &str| {
        let out = dir.join(name);
        let o = cascade(&[
            "replay",
            "--format",
            "binance",
            DEMO_SAMPLE,
            "--accounts",
            DEMO_POPULATION,
            "--resilience",
            "500ms",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        out
    };
    let (a, b) = (run("a"), run("b"));
    for f in ["events.csv", "steps.csv", "summary.json", "report.html"] {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
    let s = summary(&a);
    assert_eq!(s["resilience"], "500ms");
    assert!(s["population"]["steps"].as_u64().unwrap() >= 3, "{s}");
}

#[test]
fn the_demo_runs_a_cascade_on_the_bundled_sample() {
    let dir = tmp("demo");
    let out = dir.join("cascade-demo");
    let o = cascade(&["demo", "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = text(&o.stdout);
    for want in [
        "Replayed BTCUSDT",
        "real takers",
        "Shock:",
        "Cascades:",
        "Conservation residual: 0",
    ] {
        assert!(t.contains(want), "{want} missing from:\n{t}");
    }
    let s = summary(&out);
    assert_eq!(s["conservation_residual"], "0");
    assert_eq!(s["consistency"], "ok");
    let p = &s["population"];
    assert!(p["cascades"].as_u64().unwrap() >= 1, "{p}");
    assert!(p["steps"].as_u64().unwrap() >= 3, "{p}");
    assert!(p["liquidations"].as_u64().unwrap() >= 50, "{p}");
    let steps = fs::read_to_string(out.join("steps.csv")).unwrap();
    assert!(steps.lines().count() >= 4);
    let taker = &s["measured"]["taker"];
    assert!(taker["rows"].as_u64().unwrap() > 1000);
    let p90: f64 = taker["vwap_error_bps_p90"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(p90 < 1.0, "{p90}");
}

/// Replays a shared sample; returns its summary.
fn replay_sample(format: &str, files: &[String], extra: &[&str]) -> serde_json::Value {
    let dir = tmp(&format!("sample-{}", files[0].rsplit('/').next().unwrap()));
    let out = dir.join("out");
    let mut args = vec!["replay", "--format", format];
    args.extend(files.iter().map(|s| s.as_str()));
    args.extend_from_slice(&["--quiet", "--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    let o = cascade(&args);
    assert!(o.status.success(), "{files:?}: {}", text(&o.stderr));
    let s = summary(&out);
    assert_eq!(s["conservation_residual"], "0");
    assert_eq!(s["consistency"], "ok");
    s
}

fn error_bps(s: &serde_json::Value, q: &str) -> f64 {
    s["measured"]["taker"][q].as_str().unwrap().parse().unwrap()
}

#[test]
fn shared_binance_usdm_btcusdt_sample() {
    let Some(f) = sample("binance-usdm/btcusdt_20240808.gz") else {
        return;
    };
    let s = replay_sample("binance", &[f], &["--accounts", DEMO_POPULATION]);
    assert_eq!(s["symbol"], "BTCUSDT");
    assert_eq!(s["counts"]["rows"], 93_954);
    assert_eq!(s["counts"]["gaps"], 0);
    assert_eq!(s["counts"]["crossed_books"], 0);
    assert!(s["measured"]["taker"]["rows"].as_u64().unwrap() > 5000);
    assert!(error_bps(&s, "vwap_error_bps_median") < 0.1);
    assert!(error_bps(&s, "vwap_error_bps_p90") < 1.0);
    assert!(s["population"]["liquidations"].as_u64().unwrap() > 0);
}

#[test]
fn shared_binance_ethusdt_and_coinm_samples() {
    for (f, sym) in [
        ("binance-usdm/ethusdt_20240808.gz", "ETHUSDT"),
        ("binance-coinm/btcusd_perp_20240808.gz", "BTCUSD_PERP"),
    ] {
        let Some(f) = sample(f) else { continue };
        let s = replay_sample("binance", &[f], &[]);
        assert_eq!(s["symbol"], sym);
        assert_eq!(s["counts"]["crossed_books"], 0);
        assert!(error_bps(&s, "vwap_error_bps_p90") < 1.0);
    }
}

#[test]
fn shared_hyperliquid_lobster_and_tardis_samples() {
    if let Some(f) = sample("hyperliquid/btcusd_20250126.gz") {
        let s = replay_sample("hyperliquid", &[f], &[]);
        assert_eq!(s["symbol"], "BTC");
        assert!(s["measured"]["taker"]["rows"].as_u64().unwrap() > 10);
    }
    if let (Some(m), Some(o)) = (
        sample("lobster/AAPL_2012-06-21_34200000_57600000_message_10.csv"),
        sample("lobster/AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"),
    ) {
        let s = replay_sample("lobster", &[m, o], &[]);
        assert_eq!(s["symbol"], "AAPL");
        assert!(s["measured"]["taker"]["rows"].as_u64().unwrap() > 50);
    }
    for f in [
        "tardis/binance-futures_book_snapshot_25_BTCUSDT.csv",
        "tardis/binance-futures_book_snapshot_5_BTCUSDT.csv",
        "tardis/bitmex_trades_XBTUSD.csv",
        "tardis/deribit_incremental_book_L2_BTC-PERPETUAL.csv",
        "tardis/huobi-dm-swap_quotes_BTC-USD.csv",
    ] {
        let Some(f) = sample(f) else { continue };
        replay_sample("tardis", &[f], &[]);
    }
}
