//! The `stress` command: load and check the config, open (or resume) the
//! results folder, run what is not done yet on the sweep, journal each
//! record as it arrives, and write the final files.
//!
//! Resume: a folder whose manifest matches this plan and shard is resumed
//! (its journal's records are kept and not recomputed); a folder of
//! another config, seed or shard is refused rather than overwritten.
//!
//! Must not: print (the caller reports), or depend on `threads` for any
//! byte it writes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::StressError;
use super::grid::Plan;
use super::journal::{self, Journal, JOURNAL};
use super::manifest::{Manifest, MANIFEST};
use super::outputs::write_all;
use super::progress::Progress;
use super::record::Record;
use super::shard::Shard;
use super::sweep::run_sweep;
use crate::report::atomic::{remove_stale_temporaries, write_atomic};
use crate::report::lock::FolderLock;

/// What to run.
#[derive(Clone, Debug)]
pub struct StressOptions {
    /// The config file.
    pub config: PathBuf,
    /// The results folder.
    pub out: PathBuf,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// The slice to run.
    pub shard: Shard,
    /// Overrides the config's `seed`.
    pub seed: Option<u64>,
    /// No progress bar.
    pub quiet: bool,
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressReport {
    /// Scenarios of this shard.
    pub scenarios: usize,
    /// Of which taken from the journal of an earlier, interrupted run.
    pub resumed: usize,
    /// The results folder.
    pub out: PathBuf,
    /// The closing lines: the worst scenario and where the report is.
    pub headline: String,
}

/// Loads the plan of a config file.
pub fn load_plan(config: &Path, seed: Option<u64>) -> Result<Plan, StressError> {
    let text = std::fs::read_to_string(config)
        .map_err(|e| StressError::input(config, None, format!("cannot read the config: {e}")))?;
    Ok(Plan::load(&text, seed)?)
}

/// Creates the output folder `out` (of `command`) if need be, takes its
/// lock and removes the temporaries a killed run left in it.
pub fn lock_out(out: &Path, command: &str) -> Result<FolderLock, StressError> {
    if out.exists() && !out.is_dir() {
        return Err(StressError::input(
            out,
            None,
            "not a folder: --out names the results folder",
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| StressError::io(out, e))?;
    let lock = FolderLock::exclusive(out, command).map_err(|e| (out.to_path_buf(), e))?;
    remove_stale_temporaries(out).map_err(|e| StressError::io(out, e))?;
    Ok(lock)
}

/// Opens a results folder for `manifest`: creates and locks it, or checks
/// that it holds the same run, and returns the lock and the records
/// already done.
fn open_out(
    out: &Path,
    manifest: &Manifest,
    ids: &[u64],
) -> Result<(FolderLock, BTreeMap<u64, Record>), StressError> {
    let lock = lock_out(out, "stress")?;
    let journal_path = out.join(JOURNAL);
    match Manifest::read(out)? {
        Some(m) if m == *manifest => {}
        Some(m) => {
            return Err(StressError::input(
                out.join(MANIFEST),
                None,
                format!(
                    "this folder holds another run (config {}, shard {}); this one is config {}, shard {}: choose another --out or remove the folder",
                    m.config_hash,
                    m.shard.as_deref().unwrap_or("whole"),
                    manifest.config_hash,
                    manifest.shard.as_deref().unwrap_or("whole"),
                ),
            ))
        }
        None if journal_path.exists() => {
            return Err(StressError::input(
                &journal_path,
                None,
                "a results journal without its manifest: choose another --out or remove the folder",
            ))
        }
        None => {
            let path = out.join(MANIFEST);
            write_atomic(&path, &manifest.to_json()).map_err(|e| StressError::io(path, e))?;
        }
    }
    let mut done = journal::read(&journal_path, manifest.columns.len())?;
    let wanted: std::collections::BTreeSet<u64> = ids.iter().copied().collect();
    done.retain(|id, _| wanted.contains(id));
    // Drop a torn tail before appending after it.
    journal::rewrite(&journal_path, &done)?;
    Ok((lock, done))
}

/// Runs (or resumes) a stress config into its results folder.
pub fn stress(opts: &StressOptions) -> Result<StressReport, StressError> {
    let plan = load_plan(&opts.config, opts.seed)?;
    let config_dir = opts
        .config
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let ids = opts.shard.ids(plan.scenario_count());
    let manifest = Manifest::new(&plan, opts.shard);
    let (lock, mut done) = open_out(&opts.out, &manifest, &ids)?;
    let resumed = done.len();
    let pending: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| !done.contains_key(id))
        .collect();
    let mut journal = Journal::append_to(&opts.out.join(JOURNAL))?;
    let progress = Progress::new(ids.len() as u64, resumed as u64, opts.quiet);
    let result = run_sweep(&plan, &pending, opts.threads, &config_dir, &mut |rec| {
        journal.append(&rec)?;
        done.insert(rec.id, rec);
        progress.inc();
        Ok(())
    });
    progress.finish();
    result?;
    let headline = write_all(&opts.out, &manifest, &done)?;
    drop(lock);
    Ok(StressReport {
        scenarios: ids.len(),
        resumed,
        out: opts.out.clone(),
        headline,
    })
}
