//! Golden stress configs whose outcomes are checked by hand.
//!
//! Conventions: one instrument `X` with tick 1, lot 1, one tier of
//! maintenance rate 1% and no fees; the street quotes one lot at every
//! price from 99 down and from 101 up; the shock is an index move that the
//! arbitrageur follows by selling every bid at or above the new index, so
//! the mark (last trade) lands exactly on the index.
//!
//! A long of 1 at 100 with collateral B has the liquidation price
//! (100 - B) / 0.99 and the bankruptcy price 100 - B.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use cascade::stress::{stress, Shard, StressOptions};

const MARKET: &str = r#"
settle_steps = 1

[[market]]
price = "100"
[market.instrument]
symbol = "X"
kind = "linear"
tick = "1"
lot = "1"
tiers = [{ mmr = "0.01", imr = "0.02" }]
"#;

const BOOK: &str = r#"
[market.book]
levels = 20
half_spread_ticks = 1
gap_ticks = 1
size = "1"
"#;

fn run(name: &str, config: &str) -> Vec<BTreeMap<String, String>> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("cascade-golden-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("c.toml");
    fs::write(&path, config).unwrap();
    stress(&StressOptions {
        config: path,
        out: dir.join("out"),
        threads: 2,
        shard: Shard::WHOLE,
        seed: None,
        quiet: true,
    })
    .unwrap();
    let rows = read_csv(&dir.join("out/scenarios.csv"));
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["conservation_residual"], "0", "{name}");
    fs::remove_dir_all(&dir).unwrap();
    rows
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn col<'a>(rows: &'a [BTreeMap<String, String>], name: &str) -> Vec<&'a str> {
    rows.iter().map(|r| r[name].as_str()).collect()
}

#[test]
fn no_shock_at_or_below_five_percent_liquidates_anyone() {
    // Account 1: B = 6, liquidation at 94.95; account 2: B = 7, at 93.94;
    // account 3 is short (liquidation at 106 / 1.01 = 104.95).
    let config = format!(
        r#"{MARKET}{BOOK}
[[population.account]]
id = 1
deposit = "6"
position = [{{ symbol = "X", qty = "1", entry = "100" }}]
[[population.account]]
id = 2
deposit = "7"
position = [{{ symbol = "X", qty = "1", entry = "100" }}]
[[population.account]]
id = 3
deposit = "6"
position = [{{ symbol = "X", qty = "-1", entry = "100" }}]

[[shock]]
kind = "index"
symbol = "X"
move = ["-0.01", "-0.02", "-0.03", "-0.04", "-0.05", "-0.06", "-0.07"]
"#
    );
    let rows = run("threshold", &config);
    assert_eq!(
        col(&rows, "shock_size"),
        ["0.01", "0.02", "0.03", "0.04", "0.05", "0.06", "0.07"]
    );
    // At 95 (5%) account 1 has equity 1 > maintenance 0.95: nobody goes.
    // At 94 only account 1; at 93 accounts 1 and 2.
    assert_eq!(
        col(&rows, "accounts_liquidated"),
        ["0", "0", "0", "0", "0", "1", "2"]
    );
    // The arbitrageur took every bid down to the index: no bid is left
    // within the bankruptcy limits (94 and 93), so the backstop takes the
    // positions and the mark stays on the index: no amplification.
    assert_eq!(
        col(&rows, "final_move"),
        ["-0.01", "-0.02", "-0.03", "-0.04", "-0.05", "-0.06", "-0.07"]
    );
    assert!(col(&rows, "amplification").iter().all(|a| *a == "1"));
    assert!(col(&rows, "liquidated_notional").iter().all(|a| *a == "0"));
    assert!(col(&rows, "setup_liquidations").iter().all(|a| *a == "0"));
    // At 7%, account 1 (bankrupt at 94) is taken over by an empty fund at a
    // mark of 93: its 1 lot goes to auto-deleveraging against the short at
    // 94, a notional of 94.
    assert_eq!(col(&rows, "adl_notional")[6], "94");
}

/// Four longs of 1 at 100 with liquidation prices 98.5, 97.5, 96.5 and
/// 95.5 (B = 100 - 0.99 L: 2.485, 3.475, 4.465, 5.455). A 2% drop to 98
/// liquidates the first; with no price limit its sale fills at the next
/// bid, 97, which liquidates the second, and so on: four steps, each one
/// tick lower, down to 94. (Each sale also leaves bad debt; what the fund
/// cannot pay is socialized when the cascade is over.)
fn chain(extra: &str, breaker: &str, insurance: &str) -> String {
    let market = MARKET.replace(
        "price = \"100\"",
        &format!("price = \"100\"\ninsurance = {insurance}"),
    );
    format!(
        r#"{market}liquidation = {{ price_limit = "none" }}
breaker = {{ halt_move = {breaker} }}
{BOOK}
[[population.account]]
id = 1
deposit = "2.485"
position = [{{ symbol = "X", qty = "1", entry = "100" }}]
[[population.account]]
id = 2
deposit = "3.475"
position = [{{ symbol = "X", qty = "1", entry = "100" }}]
[[population.account]]
id = 3
deposit = "4.465"
position = [{{ symbol = "X", qty = "1", entry = "100" }}]
[[population.account]]
id = 4
deposit = "5.455"
position = [{{ symbol = "X", qty = "1", entry = "100" }}]

[[shock]]
kind = "index"
symbol = "X"
move = "-0.02"
{extra}"#
    )
}

#[test]
fn a_breaker_stops_the_cascade_at_step_two() {
    // halt_move 1.5%: the cascade starts at mark 98; after step 1 the mark
    // is 97 (1.02% away), after step 2 it is 96 (2.04%): halt.
    let rows = run("breaker", &chain("", "[\"0.5\", \"0.015\"]", "\"0\""));
    assert_eq!(
        col(&rows, "market[0].instrument.breaker.halt_move"),
        ["0.5", "0.015"]
    );
    assert_eq!(col(&rows, "steps"), ["4", "2"]);
    assert_eq!(col(&rows, "halts"), ["0", "1"]);
    assert_eq!(col(&rows, "accounts_liquidated"), ["4", "2"]);
    assert_eq!(col(&rows, "cascades"), ["1", "1"]);
    // Fills at 97 + 96 + 95 + 94, or 97 + 96.
    assert_eq!(col(&rows, "liquidated_notional"), ["382", "193"]);
    // The mark ends at 94 (or 96) against 98 without accounts.
    assert_eq!(col(&rows, "exogenous_move"), ["-0.02", "-0.02"]);
    assert_eq!(col(&rows, "final_move"), ["-0.06", "-0.04"]);
    assert_eq!(col(&rows, "amplification"), ["3", "2"]);
}

#[test]
fn an_insurance_fund_absorbs_the_bad_debt_it_can() {
    // Each sale fills one point below its bankruptcy price (97 vs 97.515,
    // 96 vs 96.525, ...): bad debts 0.515, 0.525, 0.535, 0.545, in all 2.12.
    // A fund of 10 covers them (drawdown 2.12, nothing socialized); a fund
    // of 1 pays 1 and runs a deficit of 1.12, socialized when the cascade
    // ends; an empty fund socializes all 2.12. The cascade itself is the
    // same in all three (the deficit is charged only at its end).
    let rows = run("insurance", &chain("", "\"0.5\"", "[\"0\", \"1\", \"10\"]"));
    assert_eq!(col(&rows, "market[0].insurance"), ["0", "1", "10"]);
    assert_eq!(col(&rows, "insurance_drawdown")[2], "2.12");
    assert_eq!(col(&rows, "bad_debt")[2], "2.12");
    assert_eq!(col(&rows, "socialized_loss")[2], "0");
    assert_eq!(col(&rows, "insurance_drawdown")[1], "1");
    let loss: Vec<f64> = col(&rows, "socialized_loss")
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(loss, [2.12, 1.12, 0.0]);
    assert_eq!(col(&rows, "steps"), ["4", "4", "4"]);
}

#[test]
fn a_market_order_walks_the_book_and_funding_drains_equity() {
    // Selling 3 into bids of one lot at 99, 98, 97 leaves the last trade,
    // and the mark, at 97: an exogenous move of -3%.
    let config = format!(
        r#"{MARKET}{BOOK}
[[shock]]
kind = "market_order"
symbol = "X"
side = "sell"
qty = ["3", "5"]
"#
    );
    let rows = run("order", &config);
    assert_eq!(col(&rows, "exogenous_move"), ["-0.03", "-0.05"]);
    assert_eq!(col(&rows, "final_move"), ["-0.03", "-0.05"]);
    assert_eq!(col(&rows, "shock_size"), ["3", "5"]);

    // Long 1 at 100 with 1.5: maintenance 1. Funding of 1% costs it 1
    // (equity 0.5 < 1: liquidated); 0.4% costs 0.4 (1.1 > 1: safe).
    let config = format!(
        r#"{MARKET}{BOOK}
[[population.account]]
id = 1
deposit = "1.5"
position = [{{ symbol = "X", qty = "1", entry = "100" }}]
[[population.account]]
id = 2
deposit = "50"
position = [{{ symbol = "X", qty = "-1", entry = "100" }}]

[[shock]]
kind = "funding"
symbol = "X"
rate = ["0.004", "0.01"]
"#
    );
    let rows = run("funding", &config);
    assert_eq!(col(&rows, "accounts_liquidated"), ["0", "1"]);
    // No exogenous price move: no amplification to report.
    assert_eq!(col(&rows, "exogenous_move"), ["0", "0"]);
    assert_eq!(col(&rows, "amplification"), ["", ""]);
}
