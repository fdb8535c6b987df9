//! The `merge` command: joins the results folders of the shards of one
//! run into exactly the folder one unsharded run would have written.
//!
//! Checks: every input is a folder with a manifest of the same run (config
//! hash, columns, seeds), not being written (a shared lock on each); every
//! scenario id of the run is present, each shard complete; the output
//! folder is none of the inputs, holds no other run, and is locked while
//! the merge writes it.
//!
//! Must not: recompute anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::StressError;
use super::journal::{self, JOURNAL};
use super::manifest::{Manifest, MANIFEST};
use super::outputs::write_all;
use super::record::Record;
use super::run::lock_out;
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
    let mut records: BTreeMap<u64, Record> = BTreeMap::new();
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
        let recs = journal::read(&dir.join(JOURNAL), m.columns.len())?;
        let expected = shard.ids(m.scenarios);
        let missing = expected.iter().filter(|id| !recs.contains_key(id)).count();
        if missing > 0 {
            return Err(StressError::input(
                dir,
                None,
                format!(
                    "shard {shard} is incomplete: {missing} of {} scenarios missing (rerun its stress command to finish it)",
                    expected.len()
                ),
            ));
        }
        for (id, r) in recs {
            if !shard.holds(id) {
                continue;
            }
            if let Some(prev) = records.get(&id) {
                if *prev != r {
                    return Err(StressError::input(
                        dir,
                        None,
                        format!("scenario {id} differs from another folder's"),
                    ));
                }
            }
            records.insert(id, r);
        }
    }
    // `dirs` is not empty, so the first manifest was read.
    let Some(manifest) = whole else {
        return Err(StressError::input(out, None, "nothing to merge"));
    };
    let missing: Vec<u64> = (0..manifest.scenarios)
        .filter(|id| !records.contains_key(id))
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
    match Manifest::read(out)? {
        Some(m) if m == manifest => {}
        Some(m) => {
            return Err(StressError::input(
                out.join(MANIFEST),
                None,
                format!(
                    "this folder holds another run (config {}, shard {}): choose another --out or remove the folder",
                    m.config_hash,
                    m.shard.as_deref().unwrap_or("whole"),
                ),
            ))
        }
        None if out.join(JOURNAL).exists() => {
            return Err(StressError::input(
                out.join(JOURNAL),
                None,
                "a results journal without its manifest: choose another --out or remove the folder",
            ))
        }
        None => {}
    }
    let headline = write_all(out, &manifest, &records)?;
    drop(lock);
    drop(input_locks);
    Ok(MergeReport {
        inputs: dirs.len(),
        scenarios: manifest.scenarios,
        out: out.to_path_buf(),
        headline,
    })
}
