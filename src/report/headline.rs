//! The closing lines of a stress run or a merge, for the terminal: the
//! worst scenario (the most bad debt, then the most liquidated notional)
//! with its amplification, liquidated notional, bad debt, insurance
//! drawdown and socialized loss, the range of each over all scenarios, and
//! where the report is.
//!
//! Must not: read anything but `Results` (the same rows as the page).

use std::path::Path;

use super::labels::{point_words, short_keys};
use super::results::{parse_f64, Results};
use super::units::money;

/// A scenario's figures, from its row.
struct Figures {
    row: usize,
    amplification: Option<f64>,
    notional: f64,
    accounts: u64,
    bad_debt: f64,
    drawdown: f64,
    socialized: f64,
}

fn figures(r: &Results) -> Vec<Figures> {
    let cell = |row: &[String], name: &str| {
        r.col(name)
            .and_then(|c| row.get(c))
            .and_then(|s| parse_f64(s))
    };
    r.rows
        .iter()
        .enumerate()
        .map(|(i, row)| Figures {
            row: i,
            amplification: cell(row, "amplification"),
            notional: cell(row, "liquidated_notional").unwrap_or(0.0),
            accounts: cell(row, "accounts_liquidated").unwrap_or(0.0) as u64,
            bad_debt: cell(row, "bad_debt").unwrap_or(0.0),
            drawdown: cell(row, "insurance_drawdown").unwrap_or(0.0),
            socialized: cell(row, "socialized_loss").unwrap_or(0.0),
        })
        .collect()
}

/// The grid point of row `i` in words (every axis, shock first).
pub fn scenario_words(r: &Results, i: usize) -> String {
    let mut axes: Vec<&super::results::AxisMeta> = r.axes.iter().collect();
    axes.sort_by_key(|a| !a.shock);
    let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    let names = short_keys(&keys);
    let row = r.rows[i];
    let pairs: Vec<(String, &str)> = axes
        .iter()
        .zip(names)
        .filter_map(|(a, n)| Some((n, r.col(&a.key).and_then(|c| row.get(c))?.as_str())))
        .collect();
    point_words(&pairs, &r.settlement())
}

fn range(v: impl Iterator<Item = f64>, show: impl Fn(f64) -> String) -> String {
    let v: Vec<f64> = v.collect();
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match v.len() {
        0 => "-".into(),
        _ if lo == hi => show(lo),
        _ => format!("{} to {}", show(lo), show(hi)),
    }
}

/// The closing lines; `out` is the results folder.
pub fn headline(r: &Results, out: &Path) -> String {
    let asset = r.settlement();
    let m = |v: f64| money(v, &asset);
    let figs = figures(r);
    let report = format!(
        "Report: {} (scenarios.csv, steps.csv, summary.json)",
        out.join("report.html").display()
    );
    let Some(worst) = figs.iter().max_by(|a, b| {
        a.bad_debt
            .total_cmp(&b.bad_debt)
            .then(a.notional.total_cmp(&b.notional))
            .then(b.row.cmp(&a.row))
    }) else {
        return format!("No scenarios.\n{report}");
    };
    let id = r
        .col("scenario")
        .and_then(|c| r.rows[worst.row].get(c))
        .map_or("?", |s| s.as_str());
    let amp = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{a:.2}x"));
    let words = scenario_words(r, worst.row);
    let n = figs.len();
    format!(
        "Worst of {n} scenario(s) (most bad debt, then most liquidated notional): #{id}{}\n  amplification {}, liquidated {} ({} accounts), bad debt {}, insurance drawdown {}, socialized loss {}.\nAll {n}: amplification {}; liquidated {}; bad debt in {} of {n}.\n{report}",
        if words.is_empty() { String::new() } else { format!(", {words}") },
        amp(worst.amplification),
        m(worst.notional),
        worst.accounts,
        m(worst.bad_debt),
        m(worst.drawdown),
        m(worst.socialized),
        range(figs.iter().filter_map(|f| f.amplification), |a| format!("{a:.2}x")),
        range(figs.iter().map(|f| f.notional), m),
        figs.iter().filter(|f| f.bad_debt > 0.0).count(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::AxisMeta;

    #[test]
    fn names_the_worst_scenario_in_words_with_money_units() {
        let columns: Vec<String> = [
            "scenario",
            "market[0].instrument.breaker",
            "shock[0].move",
            "amplification",
            "liquidated_notional",
            "accounts_liquidated",
            "bad_debt",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows: Vec<Vec<String>> = [
            ["0", "{}", "-0.05", "1.5", "9000000", "90", "0"],
            [
                "1",
                "{halt_move=0.02}",
                "-0.05",
                "1.2",
                "4340000",
                "40",
                "520.5",
            ],
            ["2", "{}", "-0.1", "2.5", "80000000", "900", "520.5"],
        ]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect();
        let axis = |key: &str, shock: bool| AxisMeta {
            key: key.into(),
            shock,
            values: vec![],
        };
        let r = Results {
            config_hash: "h",
            shard: None,
            scenarios_total: 3,
            points: 3,
            seeds: 1,
            seed: 0,
            columns: &columns,
            rows: rows.iter().map(|r| r.as_slice()).collect(),
            step_columns: &[],
            steps: vec![],
            axes: vec![
                axis("market[0].instrument.breaker", false),
                axis("shock[0].move", true),
            ],
            markets: vec![("BTCUSDT".into(), "USDT".into())],
            about: "",
        };
        let h = headline(&r, Path::new("out"));
        // Bad debt ties between #1 and #2; #2 liquidated more.
        assert!(
            h.starts_with("Worst of 3 scenario(s) (most bad debt, then most liquidated notional): #2, shock move -10%, no breaker\n"),
            "{h}"
        );
        assert!(
            h.contains(
                "amplification 2.50x, liquidated 80 M USDT (900 accounts), bad debt 520 USDT"
            ),
            "{h}"
        );
        assert!(h.contains("All 3: amplification 1.20x to 2.50x; liquidated 4.34 M USDT to 80 M USDT; bad debt in 2 of 3."), "{h}");
        assert!(
            h.ends_with("Report: out/report.html (scenarios.csv, steps.csv, summary.json)"),
            "{h}"
        );
    }
}
