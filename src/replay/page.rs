//! `report.html` of a replay: one self-contained page (inline CSS and SVG,
//! no script): what was replayed, the measurement's accuracy on real
//! takers, the population's cascades, and charts of the mid and mark with
//! liquidations marked, slippage against order size, the measurement
//! error against taker size, and the cost of every cascade step.
//!
//! Must not: read anything but the outcome, or format a number in a way
//! that depends on the platform (the charts fix their decimals).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::driver::{DriveOutcome, MeasureRow, RowKind};
use super::outputs::{accuracy, cascade_totals, fixed, row_diff_bps, RunMeta};
use super::stats::ReplayStats;
use crate::report::svg::{escape, render, render_with_points, tick_label, Chart, Kind, Series};

/// The points of one series.
type Points = Vec<(f64, f64)>;

/// Most points drawn per scatter series (every k-th row beyond it).
const MAX_POINTS: usize = 1500;

/// Every k-th element so that at most `MAX_POINTS` remain.
fn thin<T: Copy>(v: &[T]) -> (Vec<T>, usize) {
    let k = v.len().div_ceil(MAX_POINTS).max(1);
    (v.iter().step_by(k).copied().collect(), k)
}

fn secs(o: &DriveOutcome, ts: i64) -> f64 {
    (ts - o.first_ts.unwrap_or(ts)) as f64 / 1e9
}

/// The price chart: mid and mark in bps from the first mid, with
/// historical and simulated liquidations marked.
fn price_chart(o: &DriveOutcome) -> String {
    let base = o
        .samples
        .iter()
        .find_map(|s| s.mid2)
        .map(|m| m as f64 / 2.0);
    let Some(base) = base.filter(|b| *b > 0.0) else {
        return render(&Chart {
            title: "Mid and mark".into(),
            x_label: "seconds".into(),
            y_label: "bps from the first mid".into(),
            kind: Kind::Line,
            series: Vec::new(),
        });
    };
    let bp = |ticks: f64| 10_000.0 * (ticks - base) / base;
    let mid: Vec<(f64, f64)> = o
        .samples
        .iter()
        .filter_map(|s| Some((secs(o, s.ts), bp(s.mid2? as f64 / 2.0))))
        .collect();
    let mark: Vec<(f64, f64)> = o
        .samples
        .iter()
        .filter_map(|s| Some((secs(o, s.ts), bp(s.mark?.0 as f64))))
        .collect();
    let hist: Vec<(f64, f64)> = o
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Liquidation)
        .filter_map(|r| Some((secs(o, r.ts), bp(r.reported?.to_f64()))))
        .collect();
    let sim: Vec<(f64, f64)> = o
        .liquidations
        .iter()
        .filter_map(|(ts, l)| Some((secs(o, *ts), bp(l.vwap?.to_f64()))))
        .collect();
    let mut points = Vec::new();
    if !hist.is_empty() {
        points.push(Series {
            name: "historical liquidations (reported price)".into(),
            points: thin(&hist).0,
        });
    }
    if !sim.is_empty() {
        points.push(Series {
            name: "population liquidations (VWAP)".into(),
            points: thin(&sim).0,
        });
    }
    render_with_points(
        &Chart {
            title: "Mid and mark".into(),
            x_label: "seconds since the first event".into(),
            y_label: format!(
                "bps from the first mid ({})",
                tick_label(base * o.spec.tick.to_f64())
            ),
            kind: Kind::Line,
            series: vec![
                Series {
                    name: "mid".into(),
                    points: mid,
                },
                Series {
                    name: "mark".into(),
                    points: mark,
                },
            ],
        },
        &points,
    )
}

fn qty_f(o: &DriveOutcome, lots: i64) -> f64 {
    lots as f64 * o.spec.lot.to_f64()
}

/// Slippage against size: the measured rows (liquidations, or takers when
/// the data has none) and the population's cascade steps.
fn slippage_chart(o: &DriveOutcome) -> String {
    let kind = if o.rows.iter().any(|r| r.kind == RowKind::Liquidation) {
        RowKind::Liquidation
    } else {
        RowKind::Taker
    };
    let rows: Vec<(f64, f64)> = o
        .rows
        .iter()
        .filter(|r| r.kind == kind)
        .filter_map(|r| {
            let s = r.walk.slippage_bps(r.side, r.mid2?)?;
            Some((qty_f(o, r.qty.0), s.to_f64()))
        })
        .collect();
    let (shown, k) = thin(&rows);
    let mut series = vec![Series {
        name: format!(
            "{} orders{}",
            kind.as_str(),
            if k > 1 {
                format!(" (every {k}th of {})", rows.len())
            } else {
                String::new()
            }
        ),
        points: shown,
    }];
    let steps: Vec<(f64, f64)> = o
        .steps
        .iter()
        .filter_map(|s| Some((qty_f(o, s.step.qty.0), s.step.slippage_bps?.to_f64())))
        .collect();
    if !steps.is_empty() {
        series.push(Series {
            name: "population cascade steps".into(),
            points: thin(&steps).0,
        });
    }
    render(&Chart {
        title: "Slippage against order size".into(),
        x_label: format!("quantity ({})", o.spec.symbol),
        y_label: "slippage, bps of the mid (cost > 0)".into(),
        kind: Kind::Scatter,
        series,
    })
}

/// Simulated minus actual VWAP of every taker, against its size.
fn error_chart(o: &DriveOutcome) -> String {
    let rows: Vec<(f64, f64)> = o
        .rows
        .iter()
        .filter(|r| r.kind == RowKind::Taker)
        .filter_map(|r: &MeasureRow| Some((qty_f(o, r.qty.0), row_diff_bps(r)?.to_f64())))
        .collect();
    let (shown, k) = thin(&rows);
    render(&Chart {
        title: "Measurement error on real takers".into(),
        x_label: format!("taker quantity ({})", o.spec.symbol),
        y_label: "simulated - actual VWAP, bps".into(),
        kind: Kind::Scatter,
        series: vec![Series {
            name: if k > 1 {
                format!("takers (every {k}th of {})", rows.len())
            } else {
                "takers".into()
            },
            points: shown,
        }],
    })
}

/// Cost of each cascade step (notional x slippage), one line per cascade
/// (the eight costliest).
fn cost_chart(o: &DriveOutcome) -> String {
    let mut by: BTreeMap<u32, Vec<(f64, f64)>> = BTreeMap::new();
    for s in &o.steps {
        let cost = s
            .step
            .slippage_bps
            .map_or(0.0, |b| b.to_f64() * s.step.notional.to_f64() / 10_000.0);
        by.entry(s.step.cascade)
            .or_default()
            .push((s.step.step as f64, cost));
    }
    let mut cascades: Vec<(u32, f64, Points)> = by
        .into_iter()
        .map(|(c, v)| (c, v.iter().map(|p| p.1).sum::<f64>(), v))
        .collect();
    cascades.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let series = cascades
        .into_iter()
        .take(8)
        .map(|(c, total, points)| Series {
            name: format!("cascade {c} (total {})", tick_label(total)),
            points,
        })
        .collect();
    render(&Chart {
        title: "Cost per cascade step".into(),
        x_label: "step".into(),
        y_label: "cost: notional x slippage (settlement units)".into(),
        kind: Kind::Line,
        series,
    })
}

fn row(h: &mut String, k: &str, v: impl std::fmt::Display) {
    let _ = write!(
        h,
        "<tr><td class=\"l\">{}</td><td>{}</td></tr>",
        escape(k),
        escape(&v.to_string())
    );
}

/// The page.
pub fn report_html(o: &DriveOutcome, stats: &ReplayStats, meta: &RunMeta) -> Vec<u8> {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    h.push_str("<title>cascade replay report</title><style>");
    h.push_str("body{font-family:sans-serif;margin:2em;max-width:72em;color:#222}");
    h.push_str("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}");
    h.push_str("th{background:#f4f4f4}td.l,th.l{text-align:left}figure{margin:1em 0}code{background:#f4f4f4;padding:0 3px}");
    h.push_str("</style></head><body>\n<h1>Replay report</h1>\n");
    let _ = writeln!(
        h,
        "<p>{} ({}) from <code>{}</code>, {} to {}; mark policy <code>{}</code>, depth resilience <code>{}</code>.</p>",
        escape(&o.spec.symbol),
        escape(&meta.format),
        escape(&meta.files.join(", ")),
        escape(&o.first_ts.map(super::outputs::iso_time).unwrap_or_default()),
        escape(&o.last_ts.map(super::outputs::iso_time).unwrap_or_default()),
        escape(&meta.mark_policy),
        o.resilience
    );
    h.push_str("<h2>Data</h2>\n<table>");
    let c = &o.counters;
    row(&mut h, "rows read", stats.rows);
    row(&mut h, "book updates applied", c.book_updates);
    row(&mut h, "trade prints", c.prints);
    row(
        &mut h,
        "snapshots / gaps / resyncs",
        format!("{} / {} / {}", stats.snapshots, stats.gaps, stats.resyncs),
    );
    row(
        &mut h,
        "crossed books / stale levels removed",
        format!("{} / {}", c.crossed_books, c.uncrossed_levels),
    );
    row(
        &mut h,
        "rows out of order / bad rows skipped",
        format!(
            "{} / {}",
            stats.out_of_order,
            stats.bad_rows_skipped + c.off_grid
        ),
    );
    h.push_str("</table>\n<h2>Measurement</h2>\n");
    h.push_str("<p>Every historical liquidation, and every real aggressive order (the prints of one taker: same exchange time and side), is walked through the book as it stood just before it. On takers the simulated VWAP can be compared with the VWAP that really happened: that is how the replay proves itself.</p>\n<table><tr><th class=\"l\">rows</th><th>count</th><th>compared</th><th>|sim - actual| median bps</th><th>p90 bps</th><th>within 1 bp</th></tr>");
    for k in [RowKind::Liquidation, RowKind::Taker] {
        let a = accuracy(o, k);
        let n = o.rows.iter().filter(|r| r.kind == k).count();
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td>{n}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            k.as_str(),
            a.rows,
            fixed(a.median, 4),
            fixed(a.p90, 4),
            fixed(a.within_1bp, 4)
        );
    }
    h.push_str("</table>\n");
    if meta.population.is_some() {
        let t = cascade_totals(o);
        h.push_str("<h2>Population</h2>\n<table>");
        row(&mut h, "accounts", o.accounts);
        row(
            &mut h,
            "cascades / steps",
            format!("{} / {}", t.cascades, t.steps),
        );
        row(
            &mut h,
            "liquidations (accounts)",
            format!("{} ({})", t.liquidations, t.accounts),
        );
        row(
            &mut h,
            "liquidated notional",
            tick_label(t.notional.to_f64()),
        );
        row(
            &mut h,
            "slippage, notional-weighted (bps)",
            t.slippage_bps.map(|s| fixed(s, 2)).unwrap_or_default(),
        );
        row(
            &mut h,
            "largest cascade price move (bps)",
            t.max_move_bps.map(|s| fixed(s, 2)).unwrap_or_default(),
        );
        row(
            &mut h,
            "insurance drawdown",
            tick_label(t.insurance_drawdown.to_f64()),
        );
        row(&mut h, "bad debt", tick_label(t.bad_debt.to_f64()));
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Charts</h2>\n");
    for svg in [
        price_chart(o),
        slippage_chart(o),
        error_chart(o),
        cost_chart(o),
    ] {
        let _ = writeln!(h, "<figure>{svg}</figure>");
    }
    h.push_str("<p>Every measured order is in <code>events.csv</code>, every cascade step in <code>steps.csv</code>, exact totals in <code>summary.json</code>.</p>\n</body></html>\n");
    h.into_bytes()
}
