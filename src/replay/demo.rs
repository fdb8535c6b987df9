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

use super::costs::{cascade_costs, totals, units, Units};
use super::driver::RowKind;
use super::outputs::{accuracy, cascade_totals, fixed, iso_time};
use super::overlay::Resilience;
use super::run::{
    replay_stream, ReplayArgs, ReplayReport, ResilienceChoice, RunError, SymbolChoice,
};
use super::{open_bytes, Format, Input, ReplayOptions};
use crate::report::units;

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
    let mut args = ReplayArgs::new(Format::Binance, vec![Input::new(SAMPLE_NAME)], out);
    args.accounts = Some(PathBuf::from(POPULATION_NAME));
    args.resilience = ResilienceChoice::Given(RESILIENCE);
    args.quiet = quiet;
    args.symbol = SymbolChoice::Named("BTCUSDT".into());
    let opts = ReplayOptions {
        check_crossed: false,
        ..ReplayOptions::default()
    };
    let stream = open_bytes(Format::Binance, SAMPLE_NAME, SAMPLE.to_vec(), &opts)?;
    replay_stream(
        &args,
        stream,
        Some((POPULATION_NAME.to_string(), POPULATION.to_string())),
        None,
    )
}

impl ReplayReport {
    /// A few lines for a human: what was replayed, how well the book
    /// measurement matches real takers, and what the population's
    /// cascades cost, in the settlement asset. Every sentence states a
    /// count or a sum of this run; none is fixed text about the data.
    pub fn text(&self, out: &Path) -> String {
        let o = &self.outcome;
        let c = &o.counters;
        let u = units(o, &self.meta);
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
        let a = accuracy(o, RowKind::Taker);
        if a.rows > 0 {
            t.push_str(&format!(
                "Measurement check on {} real takers (the book walked just before each, against what it really paid):\n  |simulated - actual VWAP| median {} bps, p90 {} bps, {}% within 1 bp.\n",
                a.rows,
                fixed(a.median, 3),
                fixed(a.p90, 3),
                fixed(100.0 * a.within_1bp, 1)
            ));
        } else {
            t.push_str(
                "Measurement check: none (the data has no trades to compare the book walk with).\n",
            );
        }
        let liq = o.kind(RowKind::Liquidation).rows;
        if liq > 0 {
            t.push_str(&format!(
                "Historical liquidations measured: {liq} (events.csv).\n"
            ));
        }
        if let Some(p) = &self.meta.population {
            t.push_str(&self.population_text(p, &u));
        }
        t.push_str(&format!(
            "Conservation residual: {} {}{}\nReport: {} (events.csv, steps.csv, summary.json)",
            super::collector::money_text(o.residual),
            u.money,
            o.consistency
                .as_ref()
                .map(|e| format!(" (engine check failed: {e})"))
                .unwrap_or_default(),
            out.join("report.html").display()
        ));
        t
    }

    /// The population's lines: where it was placed, the shocks, what
    /// started the cascades, and their cost.
    fn population_text(&self, file: &str, u: &Units) -> String {
        let o = &self.outcome;
        let tot = cascade_totals(o);
        let cascades = cascade_costs(o);
        let cost = totals(&cascades);
        let money = |v: f64| units::money(v, &u.money);
        let mut t = format!(
            "Population ({file}): {} accounts placed at {} around {}.\n",
            o.accounts,
            o.placed_at.map(iso_time).unwrap_or_else(|| "never".into()),
            o.placed_price
                .map(|x| o.spec.price_decimal(x).to_string())
                .unwrap_or_default()
        );
        for sh in &o.shocks {
            t.push_str(&format!(
                "  Shock: a street market {} of {} {} at {}.\n",
                sh.side.as_str(),
                o.spec.qty_decimal(sh.qty),
                u.qty,
                iso_time(sh.ts)
            ));
        }
        if cascades.is_empty() {
            t.push_str(
                "Cascades: none (no account of the population went under maintenance margin).\n",
            );
            return t;
        }
        t.push_str(&format!(
            "Cascades: {} ({} started at the time of a shock, {} by the replayed prices alone), {} step(s), {} liquidation(s) of {} account(s).\n",
            tot.cascades,
            cost.by_shock,
            cost.by_market,
            tot.steps,
            tot.liquidations,
            tot.accounts,
        ));
        t.push_str(&format!(
            "  Cost: {} {} filled in the book for {}, slippage {} bps of the mid = {} paid beyond the mid;\n  insurance drawdown {}, bad debt {}, socialized loss {}, auto-deleveraged {} {} ({} ADL event(s));\n  largest price move of a cascade {} bps.\n",
            o.spec.qty_decimal(crate::types::Qty(tot.qty)),
            u.qty,
            money(tot.notional.to_f64()),
            tot.slippage_bps.map(|s| fixed(s, 2)).unwrap_or_else(|| "-".into()),
            money(cost.slippage_cost),
            money(cost.insurance_drawdown),
            money(cost.bad_debt),
            money(cost.socialized),
            units::amount(cost.adl_qty),
            u.qty,
            o.adl_events,
            tot.max_move_bps.map(|s| fixed(s, 1)).unwrap_or_else(|| "-".into()),
        ));
        if let Some(worst) = cascades.iter().max_by(|a, b| {
            a.slippage_cost
                .total_cmp(&b.slippage_cost)
                .then(b.cascade.cmp(&a.cascade))
        }) {
            t.push_str(&format!(
                "  Costliest cascade: #{} at {} ({}), {} step(s), {} account(s), {} of slippage cost.\n",
                worst.cascade,
                iso_time(worst.start),
                if worst.by_shock { "at a shock" } else { "replayed prices" },
                worst.steps,
                worst.accounts,
                money(worst.slippage_cost),
            ));
        }
        t
    }
}
