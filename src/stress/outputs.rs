//! The files of a results folder, all made from the manifest and the
//! records alone: `scenarios.csv`, `steps.csv`, `summary.json`,
//! `report.html`, the sorted `results.jsonl` and `manifest.json` (which
//! then vouches for the journal: its record count and digest). Records
//! arrive in id order one at a time and go straight to the files; the
//! summary, the page and the headline read the tables back from the
//! written files, so no table is ever held whole. Each file is written to
//! a temporary first, and none is renamed to its final name before all
//! are written. A run, a resumed run and a merge of shards call this with
//! the same inputs and so write the same bytes.
//!
//! Must not: compute results.

use std::io::Write;
use std::path::Path;

use super::digest::Digest;
use super::error::StressError;
use super::journal::{to_line, JOURNAL};
use super::manifest::{JournalEntry, Manifest, MANIFEST};
use super::record::{step_columns, Record};
use crate::report::atomic::{commit_all, AtomicWriter};
use crate::report::headline::headline;
use crate::report::html::report_html;
use crate::report::results::{AxisMeta, Results, Rows};
use crate::report::summary::summary_json;

/// The files `write_all` writes, in order.
pub const FILES: [&str; 6] = [
    "scenarios.csv",
    "steps.csv",
    "summary.json",
    "report.html",
    JOURNAL,
    MANIFEST,
];

/// A CSV file being written row by row.
struct CsvOut {
    csv: csv::Writer<AtomicWriter>,
    rows: usize,
}

impl CsvOut {
    fn create(path: &Path, header: &[String]) -> Result<CsvOut, StressError> {
        let file = AtomicWriter::create(path).map_err(|e| StressError::io(path, e))?;
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(file);
        csv.write_record(header)
            .map_err(|e| StressError::io(path, e.into()))?;
        Ok(CsvOut { csv, rows: 0 })
    }

    fn row(&mut self, path: &Path, row: &[String]) -> Result<(), StressError> {
        self.rows += 1;
        self.csv
            .write_record(row)
            .map_err(|e| StressError::io(path, e.into()))
    }

    fn finish(self, path: &Path) -> Result<(AtomicWriter, usize), StressError> {
        let file = self
            .csv
            .into_inner()
            .map_err(|e| StressError::io(path, e.into_error()))?;
        Ok((file, self.rows))
    }
}

/// Writes every output file of a results folder from `next` (records in
/// strictly ascending id order, each already checked), which must give
/// exactly the ids `expected`. Returns the manifest as written (with its
/// journal entry) and the closing lines for the terminal
/// (`report::headline`).
pub fn write_all(
    dir: &Path,
    manifest: &Manifest,
    next: &mut dyn FnMut() -> Result<Option<Record>, StressError>,
    expected: &mut dyn Iterator<Item = u64>,
) -> Result<(Manifest, String), StressError> {
    let scen_path = dir.join("scenarios.csv");
    let steps_path = dir.join("steps.csv");
    let journal_path = dir.join(JOURNAL);
    let step_cols = step_columns();
    let step_header: Vec<String> = step_cols.iter().map(|s| s.to_string()).collect();
    let mut scenarios = CsvOut::create(&scen_path, &manifest.columns)?;
    let mut steps = CsvOut::create(&steps_path, &step_header)?;
    let mut journal =
        AtomicWriter::create(&journal_path).map_err(|e| StressError::io(&journal_path, e))?;
    let mut digest = Digest::new();
    let mut records = 0u64;
    while let Some(r) = next()? {
        match expected.next() {
            Some(id) if id == r.id => {}
            Some(id) if id < r.id => {
                return Err(StressError::input(
                    dir,
                    None,
                    format!("scenario {id} is missing from the results"),
                ))
            }
            _ => {
                return Err(StressError::input(
                    dir,
                    None,
                    format!("scenario {} does not belong to these results", r.id),
                ))
            }
        }
        if r.row.len() != manifest.columns.len() {
            return Err(StressError::input(
                dir,
                None,
                format!(
                    "scenario {}: {} columns, expected {}",
                    r.id,
                    r.row.len(),
                    manifest.columns.len()
                ),
            ));
        }
        scenarios.row(&scen_path, &r.row)?;
        for s in &r.steps {
            steps.row(&steps_path, s)?;
        }
        let line = to_line(&r);
        digest.raw(&line);
        journal
            .write_all(&line)
            .map_err(|e| StressError::io(&journal_path, e))?;
        records += 1;
    }
    if let Some(id) = expected.next() {
        return Err(StressError::input(
            dir,
            None,
            format!("scenario {id} is missing from the results"),
        ));
    }
    let (mut scenarios, n_rows) = scenarios.finish(&scen_path)?;
    let (mut steps, n_steps) = steps.finish(&steps_path)?;
    let rows_at = scenarios
        .written_path()
        .map_err(|e| StressError::io(&scen_path, e))?
        .to_path_buf();
    let steps_at = steps
        .written_path()
        .map_err(|e| StressError::io(&steps_path, e))?
        .to_path_buf();
    let results = Results {
        config_hash: &manifest.config_hash,
        shard: manifest.shard.as_deref(),
        scenarios_total: manifest.scenarios,
        points: manifest.points,
        seeds: manifest.seeds,
        seed: manifest.seed,
        columns: &manifest.columns,
        rows: Rows::file(&rows_at, n_rows),
        step_columns: &step_cols,
        steps: Rows::file(&steps_at, n_steps),
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
    let summary = summary_json(&results);
    let page = report_html(&results);
    let lines = headline(&results, dir);
    if let Some(e) = results.rows.error().or_else(|| results.steps.error()) {
        return Err(StressError::io(dir, std::io::Error::other(e)));
    }
    let finished = Manifest {
        journal: Some(JournalEntry {
            records,
            digest: digest.hex(),
        }),
        ..manifest.unfinished()
    };
    let mut files = vec![scenarios, steps];
    for (name, bytes) in [
        ("summary.json", summary),
        ("report.html", page),
        (MANIFEST, finished.to_json()),
    ] {
        let path = dir.join(name);
        let mut f = AtomicWriter::create(&path).map_err(|e| StressError::io(&path, e))?;
        f.write_all(&bytes).map_err(|e| StressError::io(&path, e))?;
        files.push(f);
    }
    // The journal before the manifest that vouches for it.
    files.insert(4, journal);
    commit_all(files).map_err(|(path, e)| StressError::io(path, e))?;
    Ok((finished, lines))
}
