//! `report.html`: one self-contained page (inline CSS and SVG, no script)
//! with the run's totals, amplification and liquidated notional against
//! shock size (one line per mitigation), the insurance fund over the steps
//! of the largest shock, and the mitigations side by side on each shock.
//!
//! A "mitigation" is one combination of the values of the non-shock grid
//! axes; the x axis is the `shock_size` column (|move| of an index or mark
//! shock, the quantity of a market order, |rate| of a funding shock).
//! Points are means over seeds.
//!
//! Must not: read anything but `Results`, or format a number in a way
//! that depends on the platform.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::labels::short_keys;
use super::results::{parse_f64, Results};
use super::svg::{escape, render, tick_label, Chart, Kind, Series};

/// The mitigation axes: (column, short name).
fn mitigations(r: &Results) -> Vec<(usize, String)> {
    let axes: Vec<&str> = r
        .axes
        .iter()
        .filter(|a| !a.shock)
        .map(|a| a.key.as_str())
        .collect();
    let names = short_keys(&axes);
    axes.iter()
        .zip(names)
        .filter_map(|(k, n)| r.col(k).map(|c| (c, n)))
        .collect()
}

/// Means of a metric per (mitigation, shock size).
struct Grouped {
    /// Mitigation labels in order of first appearance.
    series: Vec<String>,
    /// Shock sizes, sorted by value: (value, text).
    sizes: Vec<(f64, String)>,
    /// (series index, size text) -> (sum, count) per metric.
    cells: BTreeMap<(usize, String), Vec<(f64, usize)>>,
    /// Whether rows of further mitigations were left out (`MAX_SERIES`).
    omitted: bool,
}

/// Most mitigations the charts and the table show (the first ones, in
/// grid order); the others are only in `scenarios.csv`.
pub const MAX_SERIES: usize = 30;

/// Number of mitigations of the grid (`None` beyond `u128`).
fn mitigation_count(r: &Results) -> Option<u128> {
    r.axes
        .iter()
        .filter(|a| !a.shock)
        .try_fold(1u128, |n, a| n.checked_mul(a.values.len().max(1) as u128))
}

/// The label of a row's mitigation: its values of the mitigation axes.
fn series_label(mit: &[(usize, String)], row: &[String]) -> String {
    if mit.is_empty() {
        "all scenarios".to_string()
    } else {
        mit.iter()
            .map(|(c, k)| format!("{k}={}", row.get(*c).map(String::as_str).unwrap_or("")))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn group(r: &Results, metrics: &[&str]) -> Grouped {
    let mit = mitigations(r);
    let size_col = r.col("shock_size");
    let metric_cols: Vec<Option<usize>> = metrics.iter().map(|m| r.col(m)).collect();
    let mut series: Vec<String> = Vec::new();
    let mut sizes: BTreeMap<String, f64> = BTreeMap::new();
    let mut cells: BTreeMap<(usize, String), Vec<(f64, usize)>> = BTreeMap::new();
    let mut omitted = false;
    r.rows.for_each(|_, row| {
        let size = size_col
            .and_then(|c| row.get(c))
            .cloned()
            .unwrap_or_default();
        sizes.insert(size.clone(), parse_f64(&size).unwrap_or(0.0));
        let label = series_label(&mit, row);
        let si = match series.iter().position(|s| *s == label) {
            Some(i) => i,
            None if series.len() < MAX_SERIES => {
                series.push(label);
                series.len() - 1
            }
            None => {
                omitted = true;
                return;
            }
        };
        let cell = cells
            .entry((si, size))
            .or_insert_with(|| vec![(0.0, 0); metrics.len()]);
        for (k, c) in metric_cols.iter().enumerate() {
            if let Some(v) = c.and_then(|c| row.get(c)).and_then(|s| parse_f64(s)) {
                cell[k].0 += v;
                cell[k].1 += 1;
            }
        }
    });
    let mut sizes: Vec<(f64, String)> = sizes.into_iter().map(|(t, v)| (v, t)).collect();
    sizes.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    Grouped {
        series,
        sizes,
        cells,
        omitted,
    }
}

impl Grouped {
    fn mean(&self, series: usize, size: &str, metric: usize) -> Option<f64> {
        let (sum, n) = *self.cells.get(&(series, size.to_string()))?.get(metric)?;
        (n > 0).then(|| sum / n as f64)
    }

    fn chart(&self, metric: usize, title: &str, y_label: &str) -> Chart {
        Chart {
            title: title.into(),
            x_label: "shock size".into(),
            y_label: y_label.into(),
            kind: Kind::Line,
            series: self
                .series
                .iter()
                .enumerate()
                .map(|(i, name)| Series {
                    name: name.clone(),
                    points: self
                        .sizes
                        .iter()
                        .filter_map(|(x, t)| self.mean(i, t, metric).map(|y| (*x, y)))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// The insurance fund over the cascade steps of the first seed of the
/// largest shock, one line per mitigation.
fn insurance_chart(r: &Results, g: &Grouped) -> Chart {
    let mut chart = Chart {
        title: "Insurance fund over the steps (largest shock, first seed)".into(),
        x_label: "cascade step (all cascades of the run, in order)".into(),
        y_label: "insurance fund".into(),
        kind: Kind::Line,
        series: Vec::new(),
    };
    let (Some(largest), Some(size_col), Some(id_col), Some(rep_col)) = (
        g.sizes.last(),
        r.col("shock_size"),
        r.col("scenario"),
        r.col("rep"),
    ) else {
        return chart;
    };
    let (Some(s_id), Some(s_before), Some(s_after)) = (
        r.step_col("scenario"),
        r.step_col("insurance_before"),
        r.step_col("insurance_after"),
    ) else {
        return chart;
    };
    // The first seed of each mitigation at the largest shock (rows are in
    // id order), then the steps of just those scenarios.
    let mit = mitigations(r);
    let mut chosen: Vec<(String, String)> = Vec::new();
    r.rows.for_each(|_, row| {
        if row.get(size_col) != Some(&largest.1) || row.get(rep_col).is_none() {
            return;
        }
        let label = series_label(&mit, row);
        if chosen.iter().any(|(l, _)| *l == label) || !g.series.contains(&label) {
            return;
        }
        let id = row.get(id_col).cloned().unwrap_or_default();
        chosen.push((label, id));
    });
    let mut by_id: BTreeMap<String, Vec<Vec<String>>> = chosen
        .iter()
        .map(|(_, id)| (id.clone(), Vec::new()))
        .collect();
    r.steps.for_each(|_, s| {
        if let Some(steps) = s.get(s_id).and_then(|id| by_id.get_mut(id)) {
            steps.push(s.to_vec());
        }
    });
    for (label, id) in chosen {
        let steps = by_id.get(&id).map(Vec::as_slice).unwrap_or(&[]);
        let mut points = Vec::new();
        if let Some(v) = steps
            .first()
            .and_then(|s| s.get(s_before))
            .and_then(|s| parse_f64(s))
        {
            points.push((0.0, v));
        }
        for (k, s) in steps.iter().enumerate() {
            if let Some(v) = s.get(s_after).and_then(|s| parse_f64(s)) {
                points.push(((k + 1) as f64, v));
            }
        }
        chart.series.push(Series {
            name: label,
            points,
        });
    }
    chart
}

/// The page.
pub fn report_html(r: &Results) -> Vec<u8> {
    let metrics = [
        "amplification",
        "liquidated_notional",
        "socialized_loss",
        "accounts_liquidated",
    ];
    let g = group(r, &metrics);
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<title>cascade stress report</title><style>");
    h.push_str("body{font-family:sans-serif;margin:2em;max-width:72em;color:#222}");
    h.push_str("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}");
    h.push_str("th{background:#f4f4f4}td.l,th.l{text-align:left}figure{margin:1em 0}code{background:#f4f4f4;padding:0 3px}");
    h.push_str("</style></head><body>\n<h1>Stress report</h1>\n");
    let _ = writeln!(
        h,
        "<p>{} scenario(s) of {} ({} grid point(s) x {} seed(s), base seed {}){}; config <code>{}</code>.</p>",
        r.rows.len(),
        r.scenarios_total,
        r.points,
        r.seeds,
        r.seed,
        r.shard
            .map(|s| format!(", shard <code>{}</code>", escape(s)))
            .unwrap_or_default(),
        escape(r.config_hash)
    );
    // Totals.
    h.push_str("<h2>Totals</h2>\n<table><tr><th class=\"l\">measure</th><th>total</th><th>mean per scenario</th></tr>");
    let names = [
        "cascades",
        "steps",
        "accounts_liquidated",
        "liquidated_notional",
        "insurance_drawdown",
        "bad_debt",
        "adl_notional",
        "socialized_loss",
        "halts",
        "setup_liquidations",
    ];
    let cols: Vec<Option<usize>> = names.iter().map(|n| r.col(n)).collect();
    // Summed in row order, from the start `Iterator::sum` uses.
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut sums: Vec<(f64, usize)> = vec![(zero, 0); names.len()];
    r.rows.for_each(|_, row| {
        for (acc, c) in sums.iter_mut().zip(&cols) {
            if let Some(v) = c.and_then(|c| row.get(c)).and_then(|s| parse_f64(s)) {
                acc.0 += v;
                acc.1 += 1;
            }
        }
    });
    for ((name, c), (total, n)) in names.iter().zip(&cols).zip(sums) {
        if c.is_none() {
            continue;
        }
        let mean = if n == 0 { 0.0 } else { total / n as f64 };
        let _ = write!(
            h,
            "<tr><td class=\"l\">{name}</td><td>{}</td><td>{}</td></tr>",
            tick_label(total),
            tick_label(mean)
        );
    }
    h.push_str("</table>\n<p>Exact totals are in <code>summary.json</code>; every scenario in <code>scenarios.csv</code>, every cascade step in <code>steps.csv</code>.</p>\n");
    // Charts.
    h.push_str("<h2>Amplification and liquidations against shock size</h2>\n");
    if g.omitted {
        let n =
            mitigation_count(r).map_or_else(|| "more than 10^38".to_string(), |n| n.to_string());
        let _ = writeln!(
            h,
            "<p>The charts and the table show the first {MAX_SERIES} of the grid's {n} mitigations; every scenario is in <code>scenarios.csv</code>.</p>"
        );
    }
    h.push_str("<p>Amplification is the final move of the shocked instrument's mark over the move the same shock makes with no accounts (the exogenous move); 1 means liquidations added nothing.</p>\n");
    for (k, title, y) in [
        (
            0,
            "Amplification against shock size",
            "amplification (final / exogenous move)",
        ),
        (
            1,
            "Liquidated notional against shock size",
            "liquidated notional",
        ),
        (2, "Socialized loss against shock size", "socialized loss"),
    ] {
        let _ = writeln!(h, "<figure>{}</figure>", render(&g.chart(k, title, y)));
    }
    h.push_str("<h2>Insurance fund</h2>\n");
    let _ = writeln!(h, "<figure>{}</figure>", render(&insurance_chart(r, &g)));
    // Side by side.
    h.push_str("<h2>Mitigations side by side</h2>\n<p>Means over seeds: amplification, liquidated notional, socialized loss, accounts liquidated.</p>\n<table><tr><th class=\"l\">shock size</th>");
    for s in &g.series {
        let _ = write!(h, "<th class=\"l\">{}</th>", escape(s));
    }
    h.push_str("</tr>");
    for (_, size) in &g.sizes {
        let _ = write!(h, "<tr><td>{}</td>", escape(size));
        for i in 0..g.series.len() {
            let f = |k: usize, amp: bool| match g.mean(i, size, k) {
                Some(v) if amp => format!("{v:.3}x"),
                Some(v) => tick_label(v),
                None => "-".into(),
            };
            let _ = write!(
                h,
                "<td>{}<br>{}<br>{}<br>{}</td>",
                f(0, true),
                f(1, false),
                f(2, false),
                f(3, false)
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>\n");
    // Grid.
    h.push_str("<h2>Grid</h2>\n");
    if r.axes.is_empty() {
        h.push_str("<p>No grid lists: one point.</p>\n");
    } else {
        h.push_str("<table><tr><th class=\"l\">axis</th><th class=\"l\">role</th><th class=\"l\">values</th></tr>");
        for a in &r.axes {
            let _ = write!(
                h,
                "<tr><td class=\"l\"><code>{}</code></td><td class=\"l\">{}</td><td class=\"l\">{}</td></tr>",
                escape(&a.key),
                if a.shock { "shock" } else { "mitigation" },
                escape(&a.values.join(" | "))
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</body></html>\n");
    h.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::{AxisMeta, Rows};

    #[test]
    fn groups_by_mitigation_and_shock() {
        let columns: Vec<String> = [
            "scenario",
            "rep",
            "m",
            "shock_size",
            "amplification",
            "liquidated_notional",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows: Vec<Vec<String>> = [
            ["0", "0", "a", "0.05", "1.5", "10"],
            ["1", "1", "a", "0.05", "2.5", "30"],
            ["2", "0", "b", "0.05", "1", "0"],
            ["3", "0", "a", "0.1", "", "50"],
        ]
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect();
        let r = Results {
            config_hash: "h",
            shard: None,
            scenarios_total: 4,
            points: 3,
            seeds: 2,
            seed: 0,
            columns: &columns,
            rows: rows.iter().map(|r| r.as_slice()).collect(),
            step_columns: &[],
            steps: Rows::Memory(vec![]),
            axes: vec![AxisMeta {
                key: "m".into(),
                shock: false,
                values: vec!["a".into(), "b".into()],
            }],
            markets: vec![],
            about: "",
        };
        let g = group(&r, &["amplification", "liquidated_notional"]);
        assert_eq!(g.series, ["m=a", "m=b"]);
        assert_eq!(g.mean(0, "0.05", 0), Some(2.0));
        assert_eq!(g.mean(0, "0.05", 1), Some(20.0));
        assert_eq!(g.mean(0, "0.1", 0), None);
        let page = String::from_utf8(report_html(&r)).unwrap();
        assert!(page.contains("<svg") && page.ends_with("</html>\n"));
        assert_eq!(page.as_bytes(), report_html(&r).as_slice());
        assert_eq!(
            short_keys(&[
                "market[0].instrument.breaker",
                "market[0].insurance",
                "market[1].insurance"
            ]),
            ["breaker", "market[0].insurance", "market[1].insurance"]
        );
    }
}
