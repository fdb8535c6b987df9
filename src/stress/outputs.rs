//! The files of a results folder, all made from the manifest and the
//! records alone: `scenarios.csv`, `steps.csv`, `summary.json`,
//! `report.html`, the sorted `results.jsonl` and `manifest.json`. Each is
//! written to a temporary first, and none is renamed to its final name
//! before all are written. A run, a resumed run and a merge of shards
//! call this with the same inputs and so write the same bytes.
//!
//! Must not: compute results.

use std::collections::BTreeMap;
use std::path::Path;

use super::error::StressError;
use super::journal::{self, JOURNAL};
use super::manifest::{Manifest, MANIFEST};
use super::record::{step_columns, Record};
use crate::report::atomic::{commit_all, AtomicWriter};
use crate::report::csv::to_csv;
use crate::report::headline::headline;
use crate::report::html::report_html;
use crate::report::results::{AxisMeta, Results};
use crate::report::summary::summary_json;
use std::io::Write;

/// The files `write_all` writes, in order.
pub const FILES: [&str; 6] = [
    "scenarios.csv",
    "steps.csv",
    "summary.json",
    "report.html",
    JOURNAL,
    MANIFEST,
];

/// Writes every output file of a results folder; returns the closing
/// lines for the terminal (`report::headline`).
pub fn write_all(
    dir: &Path,
    manifest: &Manifest,
    records: &BTreeMap<u64, Record>,
) -> Result<String, StressError> {
    let rows: Vec<&[String]> = records.values().map(|r| r.row.as_slice()).collect();
    let steps: Vec<&[String]> = records
        .values()
        .flat_map(|r| r.steps.iter().map(|s| s.as_slice()))
        .collect();
    let step_cols = step_columns();
    let step_header: Vec<String> = step_cols.iter().map(|s| s.to_string()).collect();
    let results = Results {
        config_hash: &manifest.config_hash,
        shard: manifest.shard.as_deref(),
        scenarios_total: manifest.scenarios,
        points: manifest.points,
        seeds: manifest.seeds,
        seed: manifest.seed,
        columns: &manifest.columns,
        rows: rows.clone(),
        step_columns: &step_cols,
        steps: steps.clone(),
        axes: manifest
            .axes
            .iter()
            .map(|a| AxisMeta {
                key: a.key.clone(),
                shock: a.role == "shock",
                values: a.values.clone(),
            })
            .collect(),
        markets: manifest
            .markets
            .iter()
            .map(|m| (m.symbol.clone(), m.settlement.clone()))
            .collect(),
        about: &manifest.about,
    };
    let mut staged = Vec::with_capacity(FILES.len());
    let mut stage = |name: &str, bytes: &[u8]| -> Result<(), StressError> {
        let path = dir.join(name);
        let mut f = AtomicWriter::create(&path).map_err(|e| StressError::io(&path, e))?;
        f.write_all(bytes).map_err(|e| StressError::io(&path, e))?;
        staged.push(f);
        Ok(())
    };
    stage("scenarios.csv", &to_csv(&manifest.columns, rows))?;
    stage("steps.csv", &to_csv(&step_header, steps))?;
    stage("summary.json", &summary_json(&results))?;
    stage("report.html", &report_html(&results))?;
    stage(JOURNAL, &journal::to_text(records.values()))?;
    stage(MANIFEST, &manifest.to_json())?;
    commit_all(staged).map_err(|(path, e)| StressError::io(path, e))?;
    Ok(headline(&results, dir))
}
