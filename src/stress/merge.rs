//! The `merge` command: joins the results folders of the shards of one
//! run into exactly the folder one unsharded run would have written.
//!
//! Checks: every input is a folder with a manifest of the same run (config
//! hash, build, columns, seeds), not being written (a shared lock on
//! each), finished, with the journal its manifest vouches for (record
//! count and digest) and every record matching its own digest; every
//! scenario id of the run is present; the output folder is none of the
//! inputs, holds no other run, and is locked while the merge writes it.
//! Records stream from the shards' sorted journals to the outputs.
//!
//! Must not: recompute anything.

use std::path::{Path, PathBuf};

use super::error::StressError;
use super::journal::{Tail, JOURNAL};
use super::manifest::{Manifest, MANIFEST};
use super::outputs::write_all;
use super::record::RecordCheck;
use super::run::{check_out, lock_out};
use super::shard::Shard;
use super::sorted::{scan, Sorted};
use crate::report::lock::FolderLock;

/// What a merge did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeReport {
    /// Folders merged.
    pub inputs: usize,
    /// Scenarios in the merged run.
    pub scenarios: u64,
    /// The output folder.
    pub out: PathBuf,
    /// The closing lines: the worst scenario and where the report is.
    pub headline: String,
}

fn same_place(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Merges shard folders `dirs` into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<MergeReport, StressError> {
    let Some(first_dir) = dirs.first() else {
        return Err(StressError::input(
            out,
            None,
            "give at least one results folder to merge",
        ));
    };
    if let Some(d) = dirs.iter().find(|d| same_place(d, out)) {
        return Err(StressError::input(
            d,
            None,
            "the output folder must not be one of the inputs",
        ));
    }
    let mut whole: Option<Manifest> = None;
    let mut shards: Vec<Shard> = Vec::new();
    let mut input_locks: Vec<FolderLock> = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(StressError::input(
                dir,
                None,
                if dir.exists() {
                    "not a folder: merge takes the results folders of stress runs"
                } else {
                    "no such folder"
                },
            ));
        }
        if let Some(l) = FolderLock::shared(dir).map_err(|e| (dir.clone(), e))? {
            input_locks.push(l);
        }
        let m = Manifest::read(dir)?.ok_or_else(|| {
            StressError::input(
                dir.join(MANIFEST),
                None,
                "no manifest: not a stress results folder",
            )
        })?;
        let shard = m
            .shard()
            .map_err(|e| StressError::input(dir.join(MANIFEST), None, e))?;
        match &whole {
            None => whole = Some(m.whole()),
            Some(w) if *w == m.whole() => {}
            Some(w) => {
                return Err(StressError::input(
                    dir.join(MANIFEST),
                    None,
                    format!(
                        "another run than {} (config {} vs {}): merge only the shards of one run",
                        first_dir.display(),
                        m.config_hash,
                        w.config_hash
                    ),
                ))
            }
        }
        let Some(entry) = &m.journal else {
            return Err(StressError::input(
                dir,
                None,
                format!("shard {shard} is unfinished (rerun its stress command to finish it)"),
            ));
        };
        let journal = dir.join(JOURNAL);
        let check = RecordCheck::new(&m);
        let scanned = scan(&journal, &check, Tail::Refuse, &mut |id| {
            if shard.holds(id) {
                Ok(())
            } else {
                Err(StressError::input(
                    &journal,
                    None,
                    format!("scenario {id} is not of shard {shard}"),
                ))
            }
        })?;
        let expected = shard.len(m.scenarios);
        match scanned {
            Some(s) if s.digest == entry.digest && s.records == entry.records => {
                if s.records != expected {
                    return Err(StressError::input(
                        dir,
                        None,
                        format!(
                            "shard {shard} is incomplete: {} of {expected} scenarios missing (rerun its stress command to finish it)",
                            expected.saturating_sub(s.records)
                        ),
                    ));
                }
            }
            _ => {
                return Err(StressError::input(
                    &journal,
                    None,
                    "this journal is not the one its manifest vouches for (edited, truncated or replaced)",
                ))
            }
        }
        shards.push(shard);
    }
    // `dirs` is not empty, so the first manifest was read.
    let Some(manifest) = whole else {
        return Err(StressError::input(out, None, "nothing to merge"));
    };
    let missing: Vec<u64> = (0..manifest.scenarios)
        .filter(|&id| !shards.iter().any(|s| s.holds(id)))
        .take(5)
        .collect();
    if !missing.is_empty() {
        return Err(StressError::input(
            first_dir,
            None,
            format!(
                "scenarios {:?}{} are in none of the folders: is a shard missing?",
                missing,
                if missing.len() == 5 {
                    " (and more)"
                } else {
                    ""
                }
            ),
        ));
    }
    let lock = lock_out(out, "merge")?;
    check_out(out, &manifest)?;
    let journals: Vec<PathBuf> = dirs.iter().map(|d| d.join(JOURNAL)).collect();
    let check = RecordCheck::new(&manifest);
    let mut sorted = Sorted::new(&journals, &check, Tail::Refuse, out)?;
    let (_, headline) = write_all(
        out,
        &manifest,
        &mut || sorted.next_record(),
        &mut (0..manifest.scenarios),
    )?;
    drop(lock);
    drop(input_locks);
    Ok(MergeReport {
        inputs: dirs.len(),
        scenarios: manifest.scenarios,
        out: out.to_path_buf(),
        headline,
    })
}
