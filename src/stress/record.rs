//! The result of one scenario as text: its `scenarios.csv` row and its
//! `steps.csv` rows, and the JSON line that carries both in the results
//! journal. Every output file is made from these records alone, so that a
//! run, a resumed run and a merge of shards write the same bytes.
//!
//! Owns: the column lists and how each value is printed (money exactly,
//! up to 12 decimals without trailing zeros; moves, ratios and
//! amplification rounded half away from zero to 8 decimals; an empty cell
//! where a value does not exist).
//!
//! Must not: compute anything the outcome does not hold.

use serde::{Deserialize, Serialize};

use super::digest::Digest;
use super::grid::{mixed_radix, Plan, ScenarioRef};
use super::manifest::Manifest;
use super::point::Point;
use super::scenario::{money_text, Outcome};
use crate::types::{Decimal, Price, Ratio};

/// The first columns of `scenarios.csv`.
pub const SCENARIO_PREFIX: [&str; 4] = ["scenario", "point", "rep", "seed"];

/// The measured columns of `scenarios.csv`, after the grid parameters
/// and `shock_size`.
pub const METRICS: [&str; 17] = [
    "cascades",
    "steps",
    "accounts_liquidated",
    "liquidations",
    "liquidated_notional",
    "exogenous_move",
    "final_move",
    "amplification",
    "insurance_drawdown",
    "bad_debt",
    "adl_notional",
    "socialized_loss",
    "stabilise_steps",
    "contagion",
    "halts",
    "setup_liquidations",
    "conservation_residual",
];

/// The columns of `steps.csv`: the scenario and its path step, then the
/// `step` event's fields.
pub fn step_columns() -> Vec<&'static str> {
    ["scenario", "path_step"]
        .into_iter()
        .chain(crate::report::steps::STEP_CELL_COLUMNS)
        .collect()
}

/// The header of `scenarios.csv` for a plan.
pub fn scenario_header(plan: &Plan) -> Vec<String> {
    let mut h: Vec<String> = SCENARIO_PREFIX.iter().map(|s| s.to_string()).collect();
    h.extend(plan.axes.iter().map(|a| a.info.key.clone()));
    h.push("shock_size".into());
    h.extend(METRICS.iter().map(|s| s.to_string()));
    h
}

/// One scenario's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Scenario id.
    pub id: u64,
    /// Its `scenarios.csv` row.
    pub row: Vec<String>,
    /// Its `steps.csv` rows.
    pub steps: Vec<Vec<String>>,
    /// The digest of all of the above, of its grid point (index and axis
    /// values) and of the run's config hash (`record_digest`).
    pub digest: String,
}

/// The digest a record carries: of the run (`config_hash`), the scenario
/// id, its grid point and the point's axis values, its row and its step
/// rows. A record edited, given another id, or moved from another run or
/// another point no longer matches it.
pub fn record_digest(
    config_hash: &str,
    id: u64,
    point: u64,
    labels: &[&str],
    row: &[String],
    steps: &[Vec<String>],
) -> String {
    let mut d = Digest::new();
    d.field(b"cascade stress record");
    d.field(config_hash.as_bytes());
    d.number(id);
    d.number(point);
    d.number(labels.len() as u64);
    for l in labels {
        d.field(l.as_bytes());
    }
    d.number(row.len() as u64);
    for c in row {
        d.field(c.as_bytes());
    }
    d.number(steps.len() as u64);
    for s in steps {
        d.number(s.len() as u64);
        for c in s {
            d.field(c.as_bytes());
        }
    }
    d.hex()
}

/// What checking a record's digest needs to know of its run: the config
/// hash and the grid (from the manifest).
#[derive(Clone, Debug)]
pub struct RecordCheck {
    config_hash: String,
    seeds: u64,
    scenarios: u64,
    axes: Vec<Vec<String>>,
}

impl RecordCheck {
    /// The check for the run a manifest describes.
    pub fn new(m: &Manifest) -> RecordCheck {
        RecordCheck {
            config_hash: m.config_hash.clone(),
            seeds: m.seeds.max(1) as u64,
            scenarios: m.scenarios,
            axes: m.axes.iter().map(|a| a.values.clone()).collect(),
        }
    }

    /// Whether `r` is a record of this run, unchanged.
    pub fn verify(&self, r: &Record) -> Result<(), String> {
        if r.id >= self.scenarios {
            return Err(format!(
                "scenario {} is not in this run (it has {} scenarios)",
                r.id, self.scenarios
            ));
        }
        let point = r.id / self.seeds;
        let choice = mixed_radix(point, self.axes.iter().map(Vec::len));
        let labels: Vec<&str> = self
            .axes
            .iter()
            .zip(choice)
            .map(|(a, c)| a.get(c).map_or("", String::as_str))
            .collect();
        let want = record_digest(&self.config_hash, r.id, point, &labels, &r.row, &r.steps);
        if want != r.digest {
            return Err(format!(
                "the record of scenario {} does not match its digest (edited, given another id, or taken from another run)",
                r.id
            ));
        }
        Ok(())
    }
}

/// A relative move `(end - start) / start`, 8 decimals.
fn move_text(start: Price, end: Option<Price>) -> String {
    match end {
        Some(e) if start.0 > 0 => {
            Ratio::new(e.0 as i128 - start.0 as i128, start.0 as i128).format_in(Decimal::new(1, 0))
        }
        _ => String::new(),
    }
}

/// Builds the record of a scenario from its outcome and the end mark of
/// its no-population baseline (the exogenous move).
pub fn record(
    plan: &Plan,
    s: ScenarioRef,
    point: &Point,
    out: &Outcome,
    baseline_end: Option<Price>,
) -> Record {
    let mut row = vec![
        s.id.to_string(),
        s.point.to_string(),
        s.rep.to_string(),
        s.seed.to_string(),
    ];
    row.extend(plan.labels(s.point));
    row.push(
        point
            .shocks
            .first()
            .map(|sh| sh.size_text(&point.markets[sh.market]))
            .unwrap_or_default(),
    );
    let start = out.mark_start;
    let exo = baseline_end.map(|e| e.0 as i128 - start.0 as i128);
    let fin = out.mark_end.map(|e| e.0 as i128 - start.0 as i128);
    let amplification = match (exo, fin) {
        (Some(x), Some(f)) if x != 0 => Ratio::new(f, x).format_in(Decimal::new(1, 0)),
        _ => String::new(),
    };
    let contagion = if point.markets.len() > 1 && out.liquidations > 0 {
        Ratio::new(out.unshocked_liquidations as i128, out.liquidations as i128)
            .format_in(Decimal::new(1, 0))
    } else {
        String::new()
    };
    let drawdown = (out.insurance_start - out.insurance_low.max(crate::types::Money::ZERO))
        .max(crate::types::Money::ZERO);
    row.extend([
        out.cascades.to_string(),
        out.steps.to_string(),
        out.accounts_liquidated.to_string(),
        out.liquidations.to_string(),
        money_text(out.liquidated_notional),
        move_text(start, baseline_end),
        move_text(start, out.mark_end),
        amplification,
        money_text(drawdown),
        money_text(out.bad_debt),
        money_text(out.adl_notional),
        money_text(out.socialized_loss),
        out.stabilise_steps.to_string(),
        contagion,
        out.halts.to_string(),
        out.setup_liquidations.to_string(),
        money_text(out.conservation_residual),
    ]);
    let steps: Vec<Vec<String>> = out
        .step_rows
        .iter()
        .map(|r| {
            let mut v = Vec::with_capacity(r.len() + 1);
            v.push(s.id.to_string());
            v.extend(r.iter().cloned());
            v
        })
        .collect();
    let labels = plan.labels(s.point);
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let digest = record_digest(&plan.config_hash, s.id, s.point, &labels, &row, &steps);
    Record {
        id: s.id,
        row,
        steps,
        digest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_are_relative_and_rounded() {
        assert_eq!(move_text(Price(600000), Some(Price(570000))), "-0.05");
        assert_eq!(move_text(Price(3), Some(Price(4))), "0.33333333");
        assert_eq!(move_text(Price(3), None), "");
    }
}
