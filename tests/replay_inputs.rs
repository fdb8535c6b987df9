//! What `cascade replay` does with the inputs people have: files of many
//! symbols (one replayed, the others counted; or each into its own book),
//! standard input, inputs that are missing, empty, binary or of another
//! format (each named with its real cause), the kinds of Tardis files
//! told apart by content or `--kind`, takers whose prints a quote splits,
//! the LOBSTER check held to every level of every row, and the real
//! Binance capture with the mark-price stream and an insurance-fund
//! print (skipped with a note where `../shared/data` is absent).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cascade");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cascade-replay-in-{}-{name}", std::process::id()));
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

fn csv_rows(dir: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(dir.join("events.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

const BOOK_HEADER: &str =
    "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n";
const TRADES_HEADER: &str = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n";

/// A grouped-symbol Tardis book and trades: BTCUSDT with asks 101 x 20,
/// 102 x 30 and a buying taker of 30 at 2 s; with `eth`, ETHUSDT rows in
/// between (a snapshot and a taker of its own, and an ETHUSDT ask at 101.5
/// that would change the BTCUSDT taker's VWAP if it went into its book).
fn grouped(dir: &Path, eth: bool) -> (String, String) {
    let e = |row: &str| {
        if eth {
            format!("{row}\n")
        } else {
            String::new()
        }
    };
    let book = dir.join(if eth { "book_all.csv" } else { "book_btc.csv" });
    let trades = dir.join(if eth {
        "trades_all.csv"
    } else {
        "trades_btc.csv"
    });
    fs::write(
        &book,
        format!(
            "{BOOK_HEADER}\
             binance-futures,BTCUSDT,1000000,1000000,true,bid,99,50\n\
             {}\
             binance-futures,BTCUSDT,1000000,1000000,true,ask,101,20\n\
             binance-futures,BTCUSDT,1000000,1000000,true,ask,102,30\n\
             {}{}\
             binance-futures,BTCUSDT,3000000,3000000,false,ask,101,0\n",
            e("binance-futures,ETHUSDT,1000000,1000000,true,bid,90,5"),
            e("binance-futures,ETHUSDT,1000000,1000000,true,ask,101.5,40"),
            e("binance-futures,ETHUSDT,1500000,1500000,false,ask,101.5,40"),
        ),
    )
    .unwrap();
    fs::write(
        &trades,
        format!(
            "{TRADES_HEADER}\
             {}\
             binance-futures,BTCUSDT,2000000,2000000,7,buy,101,20\n\
             binance-futures,BTCUSDT,2000000,2000000,8,buy,102,10\n",
            e("binance-futures,ETHUSDT,1800000,1800000,3,buy,101.5,1"),
        ),
    )
    .unwrap();
    (book.display().to_string(), trades.display().to_string())
}

#[test]
fn rows_of_other_symbols_are_counted_never_replayed() {
    let dir = tmp("symbols");
    let steps = ["--tick", "0.1", "--lot", "1"];
    let (b1, t1) = grouped(&dir, false);
    let (b2, t2) = grouped(&dir, true);
    let alone = dir.join("alone");
    let mixed = dir.join("mixed");
    let run = |b: &str, t: &str, out: &Path, extra: &[&str]| {
        let mut a = vec!["replay", "--format", "tardis", b, t, "--out"];
        a.push(out.to_str().unwrap());
        a.extend_from_slice(&steps);
        a.extend_from_slice(extra);
        cascade(&a)
    };
    let o = run(&b1, &t1, &alone, &["--quiet"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(&b2, &t2, &mixed, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("replaying BTCUSDT (the first symbol in the data"),
        "{}",
        text(&o.stderr)
    );
    // The BTCUSDT taker: 20 at 101 and 10 at 102, as if ETHUSDT were not
    // there (its ask at 101.5 would have made the VWAP 101.33...).
    assert_eq!(csv_rows(&alone), csv_rows(&mixed));
    let r = &csv_rows(&mixed)[0];
    assert_eq!((r[3].as_str(), r[10].as_str()), ("BTCUSDT", "101.33333333"));
    let s = summary(&mixed);
    assert_eq!(s["symbol"], "BTCUSDT");
    assert_eq!(s["symbol_choice"], "first seen");
    assert_eq!(s["counts"]["ignored_by_symbol"]["ETHUSDT"], 4);
    // --symbol picks ETHUSDT; --symbol all replays both, each in its book.
    let eth = dir.join("eth");
    let o = run(&b2, &t2, &eth, &["--symbol", "ETHUSDT", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(summary(&eth)["counts"]["ignored_by_symbol"]["BTCUSDT"], 6);
    assert_eq!(csv_rows(&eth)[0][10], "101.5");
    let all = dir.join("all");
    let o = run(&b2, &t2, &all, &["--symbol", "all", "--quiet"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let index = summary(&all);
    assert_eq!(index["symbols"]["BTCUSDT"]["folder"], "BTCUSDT");
    assert_eq!(index["symbols"]["ETHUSDT"]["taker_rows"], 1);
    assert_eq!(csv_rows(&all.join("BTCUSDT")), csv_rows(&alone));
    assert_eq!(csv_rows(&all.join("ETHUSDT")), csv_rows(&eth));
    // A symbol the data does not hold is an error that lists what it holds.
    let o = run(
        &b2,
        &t2,
        &dir.join("x"),
        &["--symbol", "XRPUSDT", "--quiet"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr)
            .contains("--symbol XRPUSDT: the input has no rows of it (it holds BTCUSDT, ETHUSDT)"),
        "{}",
        text(&o.stderr)
    );
}

/// A Binance capture: a snapshot, a diff, then one buying taker's two
/// trades with a bookTicker line between them (same `T`, same side).
fn binance_capture() -> String {
    [
        r#"{"lastUpdateId":10,"E":1000,"T":1000,"bids":[["99.0","5"]],"asks":[["101.0","2"],["102.0","3"]]}"#,
        r#"{"stream":"x@depth","data":{"e":"depthUpdate","E":1001,"T":1001,"s":"XYZ","U":9,"u":11,"pu":8,"b":[],"a":[["103.0","4"]]}}"#,
        r#"{"e":"trade","E":1002,"T":1002,"s":"XYZ","t":1,"p":"101.0","q":"2","X":"MARKET","m":false}"#,
        r#"{"e":"bookTicker","u":12,"s":"XYZ","b":"99.0","B":"5","a":"102.0","A":"3","T":1002,"E":1002}"#,
        r#"{"e":"trade","E":1002,"T":1002,"s":"XYZ","t":2,"p":"102.0","q":"1","X":"MARKET","m":false}"#,
    ]
    .join("\n")
        + "\n"
}

#[test]
fn standard_input_is_read_once_and_a_quote_does_not_split_a_taker() {
    let dir = tmp("stdin");
    let f = dir.join("raw.jsonl");
    fs::write(&f, binance_capture()).unwrap();
    let steps = ["--tick", "1", "--lot", "1", "--quiet", "--out"];
    let from_file = dir.join("file");
    let mut a = vec!["replay", "--format", "binance", f.to_str().unwrap()];
    a.extend_from_slice(&steps);
    a.push(from_file.to_str().unwrap());
    let o = cascade(&a);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let from_stdin = dir.join("stdin");
    let mut child = Command::new(BIN)
        .args(["replay", "--format", "binance", "-"])
        .args(steps)
        .arg(&from_stdin)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(binance_capture().as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(csv_rows(&from_file), csv_rows(&from_stdin));
    // One taker of 3 in two prints (the bookTicker between them does not
    // end it), walked against the asks 101 x 2, 102 x 3: VWAP 101.33.
    let rows = csv_rows(&from_stdin);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(
        (r[0].as_str(), r[6].as_str(), r[5].as_str()),
        ("taker", "2", "3")
    );
    assert_eq!(
        (r[7].as_str(), r[10].as_str()),
        ("101.33333333", "101.33333333")
    );
    assert_eq!(summary(&from_stdin)["counts"]["rows"], 5);
}

#[test]
fn bad_inputs_name_the_file_and_the_real_cause() {
    let dir = tmp("causes");
    let empty = dir.join("empty.csv.gz");
    fs::write(&empty, b"").unwrap();
    let random = dir.join("random.csv");
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    fs::write(&random, &bytes).unwrap();
    let capture = dir.join("capture.jsonl");
    fs::write(&capture, binance_capture()).unwrap();
    let p = |x: &Path| x.display().to_string();
    let missing = dir.join("missing.csv");
    for (format, file, want) in [
        (
            "tardis",
            p(&missing),
            format!("error: {}: no such file", p(&missing)),
        ),
        (
            "binance",
            p(&empty),
            format!("error: {}: is empty", p(&empty)),
        ),
        (
            "tardis",
            p(&random),
            format!("error: {}:1: binary data, not text", p(&random)),
        ),
        (
            "tardis",
            p(&capture),
            format!("error: {}:1: not a Tardis CSV header", p(&capture)),
        ),
        (
            "lobster",
            p(&capture),
            format!("error: {}:1: neither a LOBSTER message row", p(&capture)),
        ),
    ] {
        let o = cascade(&[
            "replay",
            "--format",
            format,
            &file,
            "--quiet",
            "--out",
            &p(&dir.join("o")),
        ]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.starts_with(&want), "{format} {file}: {err}");
        assert!(!err.contains("preset"), "{err}");
    }
    // A wrong --format says which format the file looks like.
    let o = cascade(&["replay", "--format", "tardis", &p(&capture), "--quiet"]);
    assert!(
        text(&o.stderr).contains("this looks like a binance file (give --format binance)"),
        "{}",
        text(&o.stderr)
    );
    // No output folder was left half-written.
    assert!(!dir.join("o").join("events.csv").exists());
}

#[test]
fn kind_names_what_a_file_holds() {
    let dir = tmp("kind");
    let (book, _) = grouped(&dir, false);
    // Liquidations with trade ids (BitMEX style): only --kind can tell.
    let liq = dir.join("liq.csv");
    fs::write(
        &liq,
        format!("{TRADES_HEADER}binance-futures,BTCUSDT,2000000,2000000,77,sell,99,10\n"),
    )
    .unwrap();
    let out = dir.join("out");
    let args = |kind: &[&str]| {
        let mut a = vec!["replay", "--format", "tardis", &book];
        a.extend_from_slice(kind);
        a.extend_from_slice(&[
            liq.to_str().unwrap(),
            "--tick",
            "0.1",
            "--lot",
            "1",
            "--quiet",
        ]);
        a.extend_from_slice(&["--out", out.to_str().unwrap()]);
        cascade(&a)
    };
    let o = args(&[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(csv_rows(&out)[0][0], "taker");
    assert_eq!(summary(&out)["file_kinds"]["liq.csv"], "trades (header)");
    let o = args(&["--kind", "liquidations"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(csv_rows(&out)[0][0], "liquidation");
    assert_eq!(
        summary(&out)["file_kinds"]["liq.csv"],
        "liquidations (--kind)"
    );
    // --kind applies to the files after it: the book before it is a book.
    assert_eq!(summary(&out)["counts"]["snapshots"], 1);
    let o = args(&["--kind", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A LOBSTER pair whose orderbook row 2 has `row2`.
fn lobster(dir: &Path, rows: &str) -> (String, String) {
    let m = dir.join("T_2012-06-21_34200000_57600000_message_2.csv");
    let o = dir.join("T_2012-06-21_34200000_57600000_orderbook_2.csv");
    fs::write(&m, "34200.1,1,5,10,1000100,-1\n34200.2,1,6,3,999800,1\n").unwrap();
    fs::write(&o, rows).unwrap();
    (m.display().to_string(), o.display().to_string())
}

fn verify(m: &str, o: &str) -> Output {
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
}

#[test]
fn lobster_verify_compares_every_level_of_every_row() {
    let dir = tmp("verify");
    // Two levels a side. Row 1: the add of 10 at 100.01 over a resting ask
    // at 100.05 and a bid at 99.99. Row 2: a bid of 3 at 99.98 added.
    let good = "1000100,10,999900,7,1000500,4,-9999999999,0\n\
                1000100,10,999900,7,1000500,4,999800,3\n";
    let (m, o) = lobster(&dir, good);
    let out = verify(&m, &o);
    assert_eq!(
        text(&out.stdout),
        "rows=2 mismatches=0 first_mismatch=0\n",
        "{}",
        text(&out.stderr)
    );
    // An ask level no message created, inside the depth, in row 2.
    let extra = "1000100,10,999900,7,1000500,4,-9999999999,0\n\
                 1000100,10,999900,7,1000300,9,999800,3\n";
    let (m, o) = lobster(&dir, extra);
    let out = verify(&m, &o);
    assert_eq!(text(&out.stdout), "rows=2 mismatches=1 first_mismatch=2\n");
    assert_eq!(out.status.code(), Some(1));
    // A 4-column row in an 8-column file: FILE:LINE, exit 2.
    let short = "1000100,10,999900,7,1000500,4,-9999999999,0\n1000100,10,999900,7\n";
    let (m, o) = lobster(&dir, short);
    let out = verify(&m, &o);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(&format!("error: {o}:2: expected 8 fields")),
        "{}",
        text(&out.stderr)
    );
    // Verifying nothing is an error.
    fs::write(&m, "").unwrap();
    fs::write(&o, "").unwrap();
    let out = verify(&m, &o);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn the_2023_capture_with_its_mark_stream_and_insurance_fund_print() {
    let files: Vec<String> = ["btcusdt_20230404.gz", "btcusdt_20230405.gz"]
        .iter()
        .map(|f| format!("{DATA}/binance-usdm/{f}"))
        .collect();
    if !Path::new(&files[0]).exists() {
        eprintln!("note: {} absent; test skipped", files[0]);
        return;
    }
    let out = tmp("capture2023");
    let o = cascade(&[
        "replay",
        "--format",
        "binance",
        &files[0],
        &files[1],
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let s = summary(&out);
    // The exchange's mark drives the instrument; the two files are one
    // chain of diffs (no gap at midnight).
    assert_eq!(s["mark_policy"], "external");
    assert_eq!(s["counts"]["gaps"], 0);
    assert_eq!(s["counts"]["snapshots"], 1);
    assert_eq!(s["counts"]["backstop_prints"], 1);
    let within: f64 = s["measured"]["taker"]["within_1bp"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(within > 0.99, "{within}");
    // The insurance fund's 0.001 at 28,722.50, against a book whose best
    // ask was 28,147.10 and a mark of 28,147.0 (the exchange's, rounded
    // to the tick): about 204 bps of the mid above what the book offered.
    let rows = csv_rows(&out);
    let f: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "insurance_fund").collect();
    assert_eq!(f.len(), 1);
    let r = f[0];
    assert_eq!(&r[1], "2023-04-05T00:01:14.400Z");
    assert_eq!(
        (r[4].as_str(), r[5].as_str(), r[7].as_str()),
        ("buy", "0.001", "28722.5")
    );
    assert_eq!(
        (r[8].as_str(), r[9].as_str(), r[10].as_str()),
        ("28147.05", "28147", "28147.1")
    );
    assert_eq!(r[17], "-575.4");
}
