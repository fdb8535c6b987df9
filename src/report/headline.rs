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

/// The smallest and largest of some values.
#[derive(Default)]
struct Range(Option<(f64, f64)>);

impl Range {
    fn add(&mut self, v: f64) {
        let (lo, hi) = self.0.unwrap_or((f64::INFINITY, f64::NEG_INFINITY));
        self.0 = Some((lo.min(v), hi.max(v)));
    }

    fn text(&self, show: impl Fn(f64) -> String) -> String {
        match self.0 {
            None => "-".into(),
            Some((lo, hi)) if lo == hi => show(lo),
            Some((lo, hi)) => format!("{} to {}", show(lo), show(hi)),
        }
    }
}

/// What the headline needs of all rows, gathered in one pass: the worst
/// scenario (and its row), the ranges and the count with bad debt.
struct Gathered {
    worst: Option<(Figures, Vec<String>)>,
    count: usize,
    amplification: Range,
    notional: Range,
    with_bad_debt: usize,
}

fn gather(r: &Results) -> Gathered {
    let cols: Vec<Option<usize>> = [
        "amplification",
        "liquidated_notional",
        "accounts_liquidated",
        "bad_debt",
        "insurance_drawdown",
        "socialized_loss",
    ]
    .iter()
    .map(|n| r.col(n))
    .collect();
    let mut g = Gathered {
        worst: None,
        count: 0,
        amplification: Range::default(),
        notional: Range::default(),
        with_bad_debt: 0,
    };
    r.rows.for_each(|i, row| {
        let cell = |k: usize| cols[k].and_then(|c| row.get(c)).and_then(|s| parse_f64(s));
        let f = Figures {
            row: i,
            amplification: cell(0),
            notional: cell(1).unwrap_or(0.0),
            accounts: cell(2).unwrap_or(0.0) as u64,
            bad_debt: cell(3).unwrap_or(0.0),
            drawdown: cell(4).unwrap_or(0.0),
            socialized: cell(5).unwrap_or(0.0),
        };
        g.count += 1;
        if let Some(a) = f.amplification {
            g.amplification.add(a);
        }
        g.notional.add(f.notional);
        if f.bad_debt > 0.0 {
            g.with_bad_debt += 1;
        }
        // The most bad debt, then the most notional; ties to the first row.
        let worse = g.worst.as_ref().is_none_or(|(w, _)| {
            f.bad_debt
                .total_cmp(&w.bad_debt)
                .then(f.notional.total_cmp(&w.notional))
                .is_gt()
        });
        if worse {
            g.worst = Some((f, row.to_vec()));
        }
    });
    g
}

/// The grid point of a row in words (every axis, shock first).
pub fn scenario_words(r: &Results, row: &[String]) -> String {
    let mut axes: Vec<&super::results::AxisMeta> = r.axes.iter().collect();
    axes.sort_by_key(|a| !a.shock);
    let keys: Vec<&str> = axes.iter().map(|a| a.key.as_str()).collect();
    let names = short_keys(&keys);
    let pairs: Vec<(String, &str)> = axes
        .iter()
        .zip(names)
        .filter_map(|(a, n)| Some((n, r.col(&a.key).and_then(|c| row.get(c))?.as_str())))
        .collect();
    point_words(&pairs, &r.settlement())
}

/// The closing lines; `out` is the results folder.
pub fn headline(r: &Results, out: &Path) -> String {
    let asset = r.settlement();
    let m = |v: f64| money(v, &asset);
    let g = gather(r);
    let report = format!(
        "Report: {} (scenarios.csv, steps.csv, summary.json)",
        out.join("report.html").display()
    );
    let Some((worst, worst_row)) = &g.worst else {
        return format!("No scenarios.\n{report}");
    };
    let id = r
        .col("scenario")
        .and_then(|c| worst_row.get(c))
        .map_or("?", |s| s.as_str());
    let amp = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{a:.2}x"));
    let words = scenario_words(r, worst_row);
    let n = g.count;
    debug_assert!(worst.row < n);
    format!(
        "Worst of {n} scenario(s) (most bad debt, then most liquidated notional): #{id}{}\n  amplification {}, liquidated {} ({} accounts), bad debt {}, insurance drawdown {}, socialized loss {}.\nAll {n}: amplification {}; liquidated {}; bad debt in {} of {n}.\n{report}",
        if words.is_empty() { String::new() } else { format!(", {words}") },
        amp(worst.amplification),
        m(worst.notional),
        worst.accounts,
        m(worst.bad_debt),
        m(worst.drawdown),
        m(worst.socialized),
        g.amplification.text(|a| format!("{a:.2}x")),
        g.notional.text(m),
        g.with_bad_debt,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::{AxisMeta, Rows};

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
            steps: Rows::Memory(vec![]),
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
