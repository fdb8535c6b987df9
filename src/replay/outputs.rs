//! The files of a replay folder: `events.csv` (one row per measured order,
//! in time order, written as it is measured by [`EventsCsv`]),
//! `steps.csv` (one row per cascade step of the population),
//! `summary.json` and `report.html`, each published atomically (an
//! interrupted or failed run leaves the old files, never half of one).
//!
//! Owns: the column lists, how each value is printed (prices and sizes
//! exactly; VWAPs, mids and bps rounded half away from zero to 8
//! decimals; money exactly; an empty cell where a value does not exist),
//! the accuracy figures, and the totals of the summary.
//! Must not: compute anything the outcome does not hold, or read a clock:
//! the same outcome gives the same bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::accuracy::QUANTILE_METHOD;
use super::collector::{money_text, step_cells};
use super::driver::{DriveOutcome, MeasureRow, RowKind};
use super::refill::{RefillFit, RefillReport};
use super::rows::RowSink;
use super::stats::ReplayStats;
use crate::instrument::Instrument;
use crate::report::atomic::{write_atomic, AtomicWriter};
use crate::report::csv::to_csv;
use crate::types::{Decimal, Money, Qty, Ratio};

pub use super::time::iso_time;

/// The columns of `events.csv`.
pub const EVENT_COLUMNS: [&str; 20] = [
    "kind",
    "time",
    "time_ns",
    "symbol",
    "side",
    "qty",
    "trades",
    "reported_price",
    "mid",
    "mark",
    "sim_vwap",
    "sim_filled",
    "levels_walked",
    "slippage_bps_mid",
    "slippage_bps_mark",
    "depth_1pct",
    "depth_share_1pct",
    "vwap_diff",
    "vwap_diff_bps",
    "unfilled",
];

/// The columns of `steps.csv`: time, then the `step` event's fields.
pub fn step_columns() -> Vec<String> {
    ["time", "time_ns"]
        .into_iter()
        .chain(crate::report::steps::STEP_CELL_COLUMNS)
        .map(str::to_string)
        .collect()
}

/// What the caller knows about the run that the outcome does not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunMeta {
    /// Input format.
    pub format: String,
    /// Input file names (without folders, so that outputs do not depend
    /// on where the data lies).
    pub files: Vec<String>,
    /// Population file name, if any.
    pub population: Option<String>,
    /// The mark policy in force.
    pub mark_policy: String,
    /// How the replayed symbol was chosen (`first seen`, `--symbol`,
    /// `--symbol all`).
    pub symbol_choice: String,
    /// Rows of the symbols not replayed, by symbol.
    pub ignored_by_symbol: Vec<(String, u64)>,
    /// Where the resilience came from (`--resilience`, `measured`).
    pub resilience_source: String,
    /// What each file was read as, where the reader had to decide.
    pub file_kinds: Vec<(String, String)>,
}

fn bps(r: Option<Ratio>) -> String {
    r.map(|r| r.format_in(Decimal::new(1, 0)))
        .unwrap_or_default()
}

/// `vwap - reported` in bps of the mid, for a row that has all three.
pub fn row_diff_bps(r: &MeasureRow) -> Option<Ratio> {
    r.diff_bps()
}

/// The cells of one `events.csv` row.
pub fn event_cells(r: &MeasureRow, i: &Instrument) -> Vec<String> {
    let px = |x: Option<Ratio>| x.map(|x| x.format_in(i.tick)).unwrap_or_default();
    let vwap = r.walk.vwap();
    vec![
        r.kind.as_str().into(),
        iso_time(r.ts),
        r.ts.to_string(),
        i.symbol.clone(),
        r.side.as_str().into(),
        i.qty_decimal(r.qty).to_string(),
        if r.kind == RowKind::Liquidation {
            String::new()
        } else {
            r.trades.to_string()
        },
        px(r.reported),
        px(r.mid2.map(|m| Ratio::new(m, 2))),
        r.mark
            .map(|m| i.price_decimal(m).to_string())
            .unwrap_or_default(),
        px(vwap),
        i.qty_decimal(r.walk.filled).to_string(),
        r.walk.levels.to_string(),
        bps(r.mid2.and_then(|m| r.walk.slippage_bps(r.side, m))),
        bps(r
            .mark
            .and_then(|m| r.walk.slippage_bps(r.side, 2 * m.0 as i128))),
        i.qty_decimal(Qty(r.walk.depth_1pct.min(i64::MAX as i128) as i64))
            .to_string(),
        r.walk
            .depth_share()
            .map(|s| s.format_in(Decimal::new(1, 0)))
            .unwrap_or_default(),
        match (vwap, r.reported) {
            (Some(v), Some(rep)) => super::measure::ratio_sub(v, rep)
                .map(|d| d.format_in(i.tick))
                .unwrap_or_default(),
            _ => String::new(),
        },
        bps(row_diff_bps(r)),
        i.qty_decimal(r.qty - r.walk.filled).to_string(),
    ]
}

/// `events.csv` as a row sink: each row is written as it is measured to a
/// temporary file, published under its name by [`EventsCsv::commit`].
#[derive(Debug)]
pub struct EventsCsv {
    out: Option<AtomicWriter>,
}

impl EventsCsv {
    /// Starts `DIR/events.csv` (creating the folder) with its header.
    pub fn create(dir: &Path) -> Result<EventsCsv, (PathBuf, std::io::Error)> {
        let path = dir.join("events.csv");
        std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
        let mut out = AtomicWriter::create(&path).map_err(|e| (path.clone(), e))?;
        let header: Vec<String> = EVENT_COLUMNS.iter().map(|s| s.to_string()).collect();
        out.write_all(&to_csv(&header, std::iter::empty::<&[String]>()))
            .map_err(|e| (path.clone(), e))?;
        Ok(EventsCsv { out: Some(out) })
    }
}

impl RowSink for EventsCsv {
    fn row(&mut self, row: &MeasureRow, instrument: &Instrument) -> std::io::Result<()> {
        let cells = event_cells(row, instrument);
        let text = to_csv(&cells, std::iter::empty::<&[String]>());
        match &mut self.out {
            Some(o) => o.write_all(&text),
            None => Err(std::io::Error::other("events.csv is already published")),
        }
    }

    fn close(&mut self) -> std::io::Result<()> {
        match self.out.take() {
            Some(o) => o.commit(),
            None => Ok(()),
        }
    }
}

/// `steps.csv`.
pub fn steps_csv(o: &DriveOutcome) -> Vec<u8> {
    let header = step_columns();
    let rows: Vec<Vec<String>> = o
        .steps
        .iter()
        .map(|s| {
            let mut v = vec![iso_time(s.ts), s.ts.to_string()];
            v.extend(step_cells(&s.step, &o.spec));
            v
        })
        .collect();
    to_csv(&header, rows.iter().map(|r| r.as_slice()))
}

/// Distribution of |simulated VWAP - actual VWAP| in bps of the mid (see
/// [`super::accuracy`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accuracy {
    /// Rows measured with a full VWAP comparison.
    pub rows: usize,
    /// Median (nearest rank, streaming sketch).
    pub median: f64,
    /// 90th percentile (nearest rank, streaming sketch).
    pub p90: f64,
    /// Mean.
    pub mean: f64,
    /// Share of rows within 1 bp.
    pub within_1bp: f64,
}

/// The accuracy of the measurement over the rows of `kind`.
pub fn accuracy(o: &DriveOutcome, kind: RowKind) -> Accuracy {
    let a = &o.kind(kind).accuracy;
    Accuracy {
        rows: a.rows as usize,
        median: a.median(),
        p90: a.p90(),
        mean: a.mean(),
        within_1bp: a.within_1bp(),
    }
}

/// Totals of the population's cascades.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CascadeTotals {
    /// Cascades.
    pub cascades: usize,
    /// Steps.
    pub steps: usize,
    /// Liquidations.
    pub liquidations: usize,
    /// Distinct accounts liquidated.
    pub accounts: usize,
    /// Notional filled in the book by liquidation orders.
    pub notional: Money,
    /// Quantity filled in the book, lots.
    pub qty: i64,
    /// Notional-weighted slippage in bps against the mid before each step.
    pub slippage_bps: Option<f64>,
    /// Insurance fund drawdowns, summed over cascades.
    pub insurance_drawdown: Money,
    /// Bad debt.
    pub bad_debt: Money,
    /// The largest price move of a cascade, bps (signed).
    pub max_move_bps: Option<f64>,
    /// Lots closed by auto-deleveraging.
    pub adl_qty: i64,
    /// Lots taken by the backstop (insurance fund or ADL).
    pub backstop_qty: i64,
}

/// Adds up the cascades.
pub fn cascade_totals(o: &DriveOutcome) -> CascadeTotals {
    let mut t = CascadeTotals {
        cascades: o.cascades.len(),
        steps: o.steps.len(),
        liquidations: o.liquidations.len(),
        ..CascadeTotals::default()
    };
    let mut accounts: Vec<u64> = o.liquidations.iter().map(|(_, l)| l.account).collect();
    accounts.sort_unstable();
    accounts.dedup();
    t.accounts = accounts.len();
    let mut cost = 0.0;
    let mut weight = 0.0;
    for s in &o.steps {
        t.notional += s.step.notional;
        t.qty += s.step.qty.0;
        t.bad_debt += s.step.bad_debt;
        t.adl_qty += s.step.adl_qty.0;
        if let Some(b) = s.step.slippage_bps {
            let n = s.step.notional.to_f64();
            cost += b.to_f64() * n;
            weight += n;
        }
    }
    for (_, l) in &o.liquidations {
        t.backstop_qty += l.backstop_qty.0;
    }
    t.slippage_bps = (weight > 0.0).then(|| cost / weight);
    for (_, c) in &o.cascades {
        t.insurance_drawdown += c.insurance_drawdown;
        if let Some(m) = c.price_move_bps.map(|m| m.to_f64()) {
            if t.max_move_bps.is_none_or(|x: f64| m.abs() > x.abs()) {
                t.max_move_bps = Some(m);
            }
        }
    }
    t
}

/// A float rounded to `n` decimals as text (statistics only).
pub fn fixed(v: f64, n: usize) -> String {
    let s = format!("{v:.n$}");
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn seconds(ns: i64) -> String {
    fixed(ns as f64 / 1e9, 3)
}

fn refill_json(f: &RefillFit) -> Value {
    json!({
        "events": f.events,
        "events_unseen": f.unseen,
        "half_life_s": f.half_life_ns.map(seconds),
        "half_life_spread_s": f.spread_ns.map(|(a, b)| vec![seconds(a), seconds(b)]),
        "refilling_share": f.refilling_share.map(|v| fixed(v, 4)),
        "not_refilled_within_window": f.never_refilled.map(|v| fixed(v, 4)),
    })
}

/// The `resilience_measured` section.
pub fn refill_section(r: &RefillReport) -> Value {
    json!({
        "method": "large takers (emptying at least the best level): refill of the levels taken, fitted R(t) = A (1 - 2^(-t/h)); spread: interquartile range over 10 interleaved subsets",
        "window_s": seconds(r.window_ns),
        "bids": refill_json(&r.bids),
        "asks": refill_json(&r.asks),
    })
}

/// `summary.json`.
pub fn summary_json(o: &DriveOutcome, stats: &ReplayStats, meta: &RunMeta) -> Vec<u8> {
    let c = &o.counters;
    let mut root = Map::new();
    root.insert("format".into(), json!("cascade-replay-summary/1"));
    root.insert("input_format".into(), json!(meta.format));
    root.insert("files".into(), json!(meta.files));
    if !meta.file_kinds.is_empty() {
        let kinds: Map<String, Value> = meta
            .file_kinds
            .iter()
            .map(|(f, k)| (f.clone(), json!(k)))
            .collect();
        root.insert("file_kinds".into(), Value::Object(kinds));
    }
    root.insert("symbol".into(), json!(o.spec.symbol));
    root.insert("symbol_choice".into(), json!(meta.symbol_choice));
    root.insert("mark_policy".into(), json!(meta.mark_policy));
    root.insert("resilience".into(), json!(o.resilience.to_string()));
    root.insert("resilience_source".into(), json!(meta.resilience_source));
    root.insert("first_time".into(), json!(o.first_ts.map(iso_time)));
    root.insert("last_time".into(), json!(o.last_ts.map(iso_time)));
    let mut counts = Map::new();
    for (k, v) in [
        ("rows", stats.rows),
        ("events", stats.events.total()),
        ("book_updates", c.book_updates),
        ("prints", c.prints),
        ("backstop_prints", c.backstop_prints),
        ("snapshots", stats.snapshots),
        ("gaps", stats.gaps),
        ("resyncs", stats.resyncs),
        ("bad_rows_skipped", stats.bad_rows_skipped),
        ("off_grid_skipped", c.off_grid),
        ("rows_ignored", stats.rows_ignored),
        ("diffs_dropped", stats.diffs_dropped),
        ("crossed_books", c.crossed_books),
        ("uncrossed_levels", c.uncrossed_levels),
        ("out_of_order", stats.out_of_order),
        ("exchange_ts_regressions", stats.exchange_ts_regressions),
        ("unmeasured_no_book", c.unmeasured),
        ("events_unused", c.ignored),
    ] {
        counts.insert(k.into(), json!(v));
    }
    let ignored: Map<String, Value> = meta
        .ignored_by_symbol
        .iter()
        .map(|(s, n)| (s.clone(), json!(n)))
        .collect();
    counts.insert("ignored_by_symbol".into(), Value::Object(ignored));
    root.insert("counts".into(), Value::Object(counts));
    let mut measured = Map::new();
    measured.insert("quantiles".into(), json!(QUANTILE_METHOD));
    for k in RowKind::ALL {
        let t = o.kind(k);
        if t.rows == 0 && !matches!(k, RowKind::Liquidation | RowKind::Taker) {
            continue;
        }
        let a = accuracy(o, k);
        measured.insert(
            k.as_str().into(),
            json!({
                "rows": t.rows,
                "qty": o.spec.qty_decimal(Qty(t.qty.clamp(0, i64::MAX as i128) as i64)).to_string(),
                "compared": a.rows,
                "vwap_error_bps_median": fixed(a.median, 4),
                "vwap_error_bps_p90": fixed(a.p90, 4),
                "vwap_error_bps_mean": fixed(a.mean, 4),
                "within_1bp": fixed(a.within_1bp, 4),
            }),
        );
    }
    root.insert("measured".into(), Value::Object(measured));
    if let Some(r) = &o.refill {
        root.insert("resilience_measured".into(), refill_section(r));
    }
    if let Some(p) = &meta.population {
        let t = cascade_totals(o);
        root.insert(
            "population".into(),
            json!({
                "file": p,
                "accounts": o.accounts,
                "placed_at": o.placed_at.map(iso_time),
                "start_price": o.placed_price.map(|p| o.spec.price_decimal(p).to_string()),
                "shocks": o.shocks.iter().map(|s| json!({
                    "time": iso_time(s.ts),
                    "side": s.side.as_str(),
                    "qty": o.spec.qty_decimal(s.qty).to_string(),
                })).collect::<Vec<_>>(),
                "cascades": t.cascades,
                "steps": t.steps,
                "liquidations": t.liquidations,
                "accounts_liquidated": t.accounts,
                "liquidated_qty": o.spec.qty_decimal(crate::types::Qty(t.qty)).to_string(),
                "liquidated_notional": money_text(t.notional),
                "slippage_bps": t.slippage_bps.map(|s| fixed(s, 4)),
                "max_price_move_bps": t.max_move_bps.map(|s| fixed(s, 4)),
                "insurance_drawdown": money_text(t.insurance_drawdown),
                "insurance_end": money_text(o.insurance_end),
                "bad_debt": money_text(t.bad_debt),
                "socialized_loss": money_text(o.socialized_loss),
                "adl_events": o.adl_events,
                "backstop_qty": o.spec.qty_decimal(crate::types::Qty(t.backstop_qty)).to_string(),
                "depth_taken": o.spec.qty_decimal(crate::types::Qty(o.depth_taken.min(i64::MAX as i128) as i64)).to_string(),
                "simulated_fills": o.simulated_fills,
                "orders_rejected": o.rejected,
            }),
        );
    }
    if o.l3 != Default::default() {
        root.insert(
            "l3".into(),
            json!({"duplicate_ids": o.l3.duplicate_ids, "unexplained": o.l3.unexplained}),
        );
    }
    root.insert(
        "consistency".into(),
        json!(o.consistency.as_deref().unwrap_or("ok")),
    );
    root.insert(
        "conservation_residual".into(),
        json!(money_text(o.residual)),
    );
    // Serializing a tree of strings and numbers cannot fail.
    let mut s = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// The files a replay writes, in order.
pub const FILES: [&str; 4] = ["events.csv", "steps.csv", "summary.json", "report.html"];

/// Writes the files of a replay folder after `events.csv` (which its
/// sink wrote while the replay ran): steps, summary and report.
pub fn write_rest(
    dir: &Path,
    o: &DriveOutcome,
    stats: &ReplayStats,
    meta: &RunMeta,
) -> Result<(), (PathBuf, std::io::Error)> {
    std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
    let files: [(&str, Vec<u8>); 3] = [
        ("steps.csv", steps_csv(o)),
        ("summary.json", summary_json(o, stats, meta)),
        ("report.html", super::page::report_html(o, stats, meta)),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(&path, &bytes).map_err(|e| (path, e))?;
    }
    Ok(())
}

/// Writes every file of a replay folder from an outcome whose rows are all
/// in `o.rows` (a run with fewer than [`super::rows::CHART_ROWS`] rows
/// of each kind, e.g. tests).
pub fn write_all(
    dir: &Path,
    o: &DriveOutcome,
    stats: &ReplayStats,
    meta: &RunMeta,
) -> Result<(), (PathBuf, std::io::Error)> {
    let mut csv = EventsCsv::create(dir)?;
    for r in &o.rows {
        csv.row(r, &o.spec)
            .map_err(|e| (dir.join("events.csv"), e))?;
    }
    csv.close().map_err(|e| (dir.join("events.csv"), e))?;
    write_rest(dir, o, stats, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_has_no_negative_zero() {
        assert_eq!(fixed(-0.00001, 4), "0.0000");
        assert_eq!(fixed(1.23456, 2), "1.23");
        assert_eq!(fixed(-1.5, 1), "-1.5");
    }
}
