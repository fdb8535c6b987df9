//! `cascade demo`: the bundled real sample (the first 20,000 lines of
//! hftbacktest's Binance USD-M BTCUSDT capture of 2024-08-08, about 83 s,
//! see `data/README.md`) replayed with the bundled population
//! (`data/demo_population.toml`), written to a results folder like any
//! replay, and told in a few human lines.
//!
//! Both files are compiled into the binary, so the demo runs from any
//! folder and needs nothing but the binary.
//! Must not: differ from `cascade replay` in anything but where its inputs
//! come from.

use std::path::{Path, PathBuf};

use super::outputs::{accuracy, cascade_totals, fixed, iso_time, write_all};
use super::overlay::Resilience;
use super::presets::{Detected, Overrides};
use super::run::{run, setup, ReplayArgs, ReplayReport, RunError};
use super::{open_bytes, Format, ReplayOptions};
use crate::report::svg::tick_label;

/// The bundled sample's file name.
pub const SAMPLE_NAME: &str = "binance-usdm-btcusdt-20240808-head20000.gz";
/// The bundled sample.
const SAMPLE: &[u8] = include_bytes!("../../data/binance-usdm-btcusdt-20240808-head20000.gz");
/// The bundled population's file name.
pub const POPULATION_NAME: &str = "demo_population.toml";
/// The bundled population.
pub const POPULATION: &str = include_str!("../../data/demo_population.toml");
/// The demo's depth resilience.
pub const RESILIENCE: Resilience = Resilience::HalfLife(2_000_000_000);

/// Runs the demo into `out`.
pub fn demo(out: &Path, quiet: bool) -> Result<ReplayReport, RunError> {
    let args = ReplayArgs {
        format: Format::Binance,
        files: vec![PathBuf::from(SAMPLE_NAME)],
        accounts: Some(PathBuf::from(POPULATION_NAME)),
        out: out.to_path_buf(),
        resilience: RESILIENCE,
        skip_bad_rows: false,
        overrides: Overrides::default(),
        quiet,
    };
    let detected = Detected {
        symbol: Some("BTCUSDT".into()),
        exchange: None,
        mark_stream: false,
        l2: true,
    };
    let s = setup(&args, &detected, Some((POPULATION_NAME, POPULATION)))?;
    let opts = ReplayOptions {
        check_crossed: false,
        ..ReplayOptions::default()
    };
    let mut src = open_bytes(Format::Binance, SAMPLE_NAME, SAMPLE.to_vec(), &opts)?;
    let outcome = run(&s, &mut *src)?;
    let stats = src.stats();
    write_all(out, &outcome, &stats, &s.meta)
        .map_err(|(path, source)| RunError::Io { path, source })?;
    Ok(ReplayReport {
        outcome,
        stats,
        meta: s.meta,
    })
}

impl ReplayReport {
    /// A few lines for a human: what was replayed, how well the book
    /// measurement matches real takers, and what the population's
    /// cascades did.
    pub fn text(&self, out: &Path) -> String {
        let o = &self.outcome;
        let c = &o.counters;
        let span = match (o.first_ts, o.last_ts) {
            (Some(a), Some(b)) => format!(
                "{} to {} ({:.0} s)",
                iso_time(a),
                iso_time(b),
                (b - a) as f64 / 1e9
            ),
            _ => "no events".into(),
        };
        let mut t = format!(
            "Replayed {} {} ({}): {}\n  {} rows, {} snapshot(s), {} book updates, {} trades, {} gap(s), {} crossed book(s).\n",
            o.spec.symbol,
            self.meta.format,
            self.meta.files.join(", "),
            span,
            self.stats.rows,
            c.snapshots,
            c.book_updates,
            c.prints,
            c.gaps,
            c.crossed_books,
        );
        let a = accuracy(o, super::driver::RowKind::Taker);
        t.push_str(&format!(
            "Measurement check on {} real takers (the book walked just before each, against what it really paid):\n  |simulated - actual VWAP| median {} bps, p90 {} bps, {}% within 1 bp.\n",
            a.rows,
            fixed(a.median, 3),
            fixed(a.p90, 3),
            fixed(100.0 * a.within_1bp, 1)
        ));
        let liq = o
            .rows
            .iter()
            .filter(|r| r.kind == super::driver::RowKind::Liquidation)
            .count();
        if liq > 0 {
            t.push_str(&format!(
                "Historical liquidations measured: {liq} (events.csv).\n"
            ));
        }
        if let Some(p) = &self.meta.population {
            let tot = cascade_totals(o);
            t.push_str(&format!(
                "Population ({p}): {} accounts placed at {} around {}.\n",
                o.accounts,
                o.placed_at.map(iso_time).unwrap_or_else(|| "never".into()),
                o.placed_price
                    .map(|x| o.spec.price_decimal(x).to_string())
                    .unwrap_or_default()
            ));
            for sh in &o.shocks {
                t.push_str(&format!(
                    "  Shock: a street market {} of {} {} at {} (the sample's own moves are too small to liquidate anyone).\n",
                    sh.side.as_str(),
                    o.spec.qty_decimal(sh.qty),
                    o.spec.symbol,
                    iso_time(sh.ts)
                ));
            }
            t.push_str(&format!(
                "Cascades: {} cascade(s), {} step(s), {} liquidation(s) of {} account(s); {} {} filled in the book for {} notional,\n  slippage {} bps (notional-weighted, vs the mid before each step), largest price move {} bps,\n  insurance drawdown {}, bad debt {}, ADL events {}.\n",
                tot.cascades,
                tot.steps,
                tot.liquidations,
                tot.accounts,
                o.spec.qty_decimal(crate::types::Qty(tot.qty)),
                o.spec.symbol,
                tick_label(tot.notional.to_f64()),
                tot.slippage_bps.map(|s| fixed(s, 2)).unwrap_or_else(|| "-".into()),
                tot.max_move_bps.map(|s| fixed(s, 1)).unwrap_or_else(|| "-".into()),
                tick_label(tot.insurance_drawdown.to_f64()),
                tick_label(tot.bad_debt.to_f64()),
                o.adl_events,
            ));
        }
        t.push_str(&format!(
            "Conservation residual: {}{}\nReport: {} (events.csv, steps.csv, summary.json)",
            super::collector::money_text(o.residual),
            o.consistency
                .as_ref()
                .map(|e| format!(" (engine check failed: {e})"))
                .unwrap_or_default(),
            out.join("report.html").display()
        ));
        t
    }
}
