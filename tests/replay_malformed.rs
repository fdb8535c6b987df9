//! Malformed inputs: a truncated .gz, garbage rows, negative sizes, huge
//! numbers, bad headers, out-of-order rows. Each gives an error naming
//! file and line, or (with `skip_bad_rows`) a counted skip; never a panic.

use cascade::replay::{
    open, open_bytes, EventSource, Format, MarketEvent, ReplayError, ReplayOptions, ReplayStats,
};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

fn run_opts(
    format: Format,
    name: &str,
    bytes: Vec<u8>,
    skip: bool,
) -> (Vec<MarketEvent>, ReplayStats, Option<ReplayError>) {
    let opts = ReplayOptions {
        skip_bad_rows: skip,
        lobster_day_start_ns: Some(0),
        ..ReplayOptions::default()
    };
    let mut src = open_bytes(format, name, bytes, &opts).unwrap();
    let mut evs = Vec::new();
    let mut err = None;
    while let Some(r) = src.next_event() {
        match r {
            Ok(e) => evs.push(e),
            Err(e) => {
                assert!(err.is_none(), "only one error");
                err = Some(e)
            }
        }
    }
    (evs, src.stats(), err)
}

const TRADES: &str = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n";

fn trades(rows: &[&str]) -> Vec<u8> {
    let mut s = TRADES.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn truncated_gzip_is_an_error_at_the_line_where_it_breaks() {
    let mut text = TRADES.to_string();
    for i in 0..20_000 {
        text.push_str(&format!(
            "x,S,{i},{i},{i},buy,{}.5,{}\n",
            1000 + i % 97,
            1 + i % 13
        ));
    }
    let gz = gzip(text.as_bytes());
    let cut = gz[..gz.len() / 2].to_vec();
    for skip in [false, true] {
        let (evs, _, err) = run_opts(Format::Tardis, "cut.csv.gz", cut.clone(), skip);
        let err = err.expect("a truncated stream is an error, even when skipping rows");
        assert!(err.message.contains("truncated"), "{err}");
        assert!(err.line > 1000, "{err}");
        // Every complete line before the break was delivered.
        assert!(
            evs.len() as u64 >= err.line - 3,
            "{} events, {err}",
            evs.len()
        );
        assert!(err
            .to_string()
            .starts_with(&format!("cut.csv.gz:{}: ", err.line)));
    }
    // The whole file reads fine, gzip detected by magic bytes.
    let (evs, _, err) = run_opts(Format::Tardis, "whole", gz, false);
    assert!(err.is_none());
    assert_eq!(evs.len(), 20_000);
}

#[test]
fn garbage_row_is_an_error_or_a_counted_skip() {
    let bytes = trades(&[
        "x,S,1,1,1,buy,10,1",
        "this is not a row",
        "x,S,2,2,2,sell,10,1",
    ]);
    let (evs, _, err) = run_opts(Format::Tardis, "t.csv", bytes.clone(), false);
    let err = err.unwrap();
    assert_eq!(err.line, 3);
    assert_eq!(evs.len(), 1, "nothing after the error");
    assert_eq!(&*err.file, "t.csv");
    assert!(
        err.to_string().starts_with("t.csv:3: expected 8 fields"),
        "{err}"
    );
    let (evs, st, err) = run_opts(Format::Tardis, "t.csv", bytes, true);
    assert!(err.is_none());
    assert_eq!(evs.len(), 2);
    assert_eq!(st.bad_rows_skipped, 1);
    assert_eq!(st.first_bad_row.unwrap().line, 3);
}

#[test]
fn negative_sizes_and_prices_are_refused() {
    for (row, what) in [
        ("x,S,1,1,1,buy,10,-1", "amount: negative"),
        ("x,S,1,1,1,buy,-10,1", "price: negative"),
        ("x,S,-1,1,1,buy,10,1", "timestamp"),
    ] {
        let (_, _, err) = run_opts(Format::Tardis, "n.csv", trades(&[row]), false);
        let err = err.unwrap();
        assert!(err.message.contains(what), "{err}");
        assert_eq!(err.line, 2);
    }
    let lob = b"34200.1,1,1,-100,1000000,1\n".to_vec();
    let (_, _, err) = run_opts(Format::Lobster, "m.csv", lob, false);
    assert!(err.unwrap().message.contains("size: negative"));
    let bin =
        br#"1 {"e":"trade","E":1,"T":1,"s":"X","t":1,"p":"-1.0","q":"1","X":"MARKET","m":true}"#;
    let (_, _, err) = run_opts(Format::Binance, "b.txt", bin.to_vec(), false);
    assert!(err.unwrap().message.contains("negative"));
}

#[test]
fn huge_numbers_are_refused() {
    for row in [
        "x,S,1,1,1,buy,12345678901234567890,1",
        "x,S,1,1,1,buy,1.0000000000000000001,1",
        "x,S,1,1,1,buy,1,1e400",
        "x,S,99999999999999999999,1,1,buy,1,1",
        "x,S,9223372036854775807,1,1,buy,1,1",
    ] {
        let (_, _, err) = run_opts(Format::Tardis, "h.csv", trades(&[row]), false);
        let err = err.unwrap_or_else(|| panic!("{row} should be refused"));
        assert_eq!(err.line, 2, "{err}");
    }
    let bin = br#"1 {"e":"depthUpdate","E":1,"T":1,"s":"X","U":99999999999999999999,"u":1,"pu":0,"b":[],"a":[]}"#;
    let (_, _, err) = run_opts(Format::Binance, "b.txt", bin.to_vec(), false);
    assert!(err.unwrap().message.contains("too large"));
}

#[test]
fn out_of_order_rows_are_counted_and_kept_in_file_order() {
    let bytes = trades(&[
        "x,S,3,30,1,buy,10,1",
        "x,S,1,10,2,buy,10,1",
        "x,S,2,20,3,buy,10,1",
    ]);
    let (evs, st, err) = run_opts(Format::Tardis, "o.csv", bytes, false);
    assert!(err.is_none());
    assert_eq!(st.out_of_order, 1);
    assert_eq!(st.exchange_ts_regressions, 1);
    let locals: Vec<_> = evs.iter().map(|e| e.local_ts.unwrap()).collect();
    assert_eq!(locals, vec![30_000, 10_000, 20_000]);
}

#[test]
fn bad_header_stops_even_when_skipping() {
    let (_, _, err) = run_opts(Format::Tardis, "h.csv", b"a,b,c\n1,2,3\n".to_vec(), true);
    let err = err.unwrap();
    assert_eq!(err.line, 1);
    assert!(err.message.contains("not a Tardis CSV header"), "{err}");
    let (_, _, err) = run_opts(
        Format::Tardis,
        "h.csv",
        b"exchange,symbol,side,price,amount\nx,S,buy,1,1\n".to_vec(),
        true,
    );
    assert!(err.unwrap().message.contains("timestamp"));
}

#[test]
fn binance_garbage_lines() {
    let text = b"1 {\"e\":\"trade\",\"E\":1,\n\
        not json at all\n\
        2 {\"stream\":\"x\",\"data\":{\"E\":5}}\n\
        3 [1,2,3]\n\
        {\"e\":\"trade\",\"E\":1,\"T\":1,\"s\":\"X\",\"t\":1,\"p\":\"1.0\",\"q\":\"1\",\"m\":false}\n"
        .to_vec();
    let (_, _, err) = run_opts(Format::Binance, "g.txt", text.clone(), false);
    let err = err.unwrap();
    assert_eq!(err.line, 1);
    assert!(err.message.starts_with("JSON:"), "{err}");
    let (evs, st, err) = run_opts(Format::Binance, "g.txt", text, true);
    assert!(err.is_none());
    assert_eq!(st.bad_rows_skipped, 4);
    assert_eq!(evs.len(), 1);
}

#[test]
fn lobster_bad_rows() {
    for (row, what) in [
        ("34200.1,8,1,100,1000000,1", "type"),
        ("34200.1,1,1,100,1000000,0", "direction"),
        ("34200.1,1,1,100,1000000", "6 fields"),
        ("34200.1234567890,1,1,100,1000000,1", "time"),
        ("abc,1,1,100,1000000,1", "time"),
        ("34200.1,7,0,0,5,-1", "halt"),
    ] {
        let (_, _, err) = run_opts(Format::Lobster, "m.csv", row.as_bytes().to_vec(), false);
        let err = err.unwrap_or_else(|| panic!("{row}"));
        assert!(err.message.contains(what), "{row}: {err}");
    }
}

#[test]
fn missing_file_is_an_error_not_a_panic() {
    let err = open(
        Format::Tardis,
        &["/nonexistent/x.csv"],
        &ReplayOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.line, 0);
    assert!(err.to_string().starts_with("/nonexistent/x.csv: "));
    let none: [&str; 0] = [];
    assert!(open(Format::Binance, &none, &ReplayOptions::default()).is_err());
}

#[test]
fn empty_and_blank_inputs_are_errors_naming_the_file() {
    for f in [
        Format::Tardis,
        Format::Binance,
        Format::Hyperliquid,
        Format::Lobster,
    ] {
        let opts = ReplayOptions {
            lobster_day_start_ns: Some(0),
            ..ReplayOptions::default()
        };
        let e = open_bytes(f, "e", Vec::new(), &opts).unwrap_err();
        assert_eq!(e.to_string(), "e: is empty", "{f}");
        let (evs, _, err) = run_opts(f, "e", b"\n\n  \n".to_vec(), false);
        assert!(evs.is_empty());
        assert_eq!(
            err.unwrap().to_string(),
            "e: is empty (blank lines only)",
            "{f}"
        );
    }
}
