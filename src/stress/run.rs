//! The `stress` command: load and check the config (every point this run
//! uses), lock and open (or resume) the results folder, run what is not
//! done yet on the sweep, journal each record as it arrives, and write the
//! final files from the journal.
//!
//! Resume: a folder whose manifest matches this plan and shard is resumed:
//! its journal's records are checked against their digests (and, in a
//! finished folder, the journal against the manifest's digest), kept and
//! not recomputed; only a set of done ids is held. A folder of another
//! config, input file, build, seed or shard is refused rather than
//! overwritten.
//!
//! Must not: print (the caller reports), or depend on `threads` for any
//! byte it writes.

use std::path::{Path, PathBuf};

use super::error::StressError;
use super::grid::Plan;
use super::journal::{Journal, Tail, JOURNAL};
use super::manifest::{Manifest, MANIFEST};
use super::memory::{self, Footprint};
use super::outputs::write_all;
use super::progress::Progress;
use super::record::RecordCheck;
use super::shard::Shard;
use super::sorted::{scan, Sorted};
use super::sweep::run_sweep;
use crate::lines::{read_capped, utf8, LineError};
use crate::report::atomic::{remove_stale_temporaries, write_atomic};
use crate::report::lock::FolderLock;

/// Largest config file.
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
/// Longest line of a config file.
pub const MAX_CONFIG_LINE: usize = 4 << 20;

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

/// Loads the plan of a config file: at most `MAX_CONFIG_BYTES`, lines of
/// at most `MAX_CONFIG_LINE`, UTF-8; every file it names is read for the
/// config hash. Only its first point is checked (`Plan::check_points`).
pub fn load_plan(config: &Path, seed: Option<u64>) -> Result<Plan, StressError> {
    let bytes = read_capped(config, MAX_CONFIG_BYTES).map_err(|e| match e {
        LineError::Io { source, .. } => {
            StressError::input(config, None, format!("cannot read the config: {source}"))
        }
        other => StressError::input(config, None, other.to_string()),
    })?;
    for (line, l) in (1..).zip(bytes.split(|&b| b == b'\n')) {
        if l.len() > MAX_CONFIG_LINE {
            return Err(StressError::Config {
                line,
                message: format!(
                    "line longer than {MAX_CONFIG_LINE} bytes (the limit of one config line)"
                ),
            });
        }
    }
    let text = utf8(&bytes).map_err(|e| StressError::Config {
        line: e.line().unwrap_or(1),
        message: e.to_string(),
    })?;
    let mut plan = Plan::parse(text, seed)?;
    let config_dir = config.parent().unwrap_or(Path::new("."));
    plan.hash_inputs(config_dir)?;
    Ok(plan)
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

/// Refuses `out` when it holds another run than `manifest`'s; returns its
/// manifest when it holds this one.
pub fn check_out(out: &Path, manifest: &Manifest) -> Result<Option<Manifest>, StressError> {
    match Manifest::read(out)? {
        Some(m) if m.same_run(manifest) => Ok(Some(m)),
        Some(m) => Err(StressError::input(
            out.join(MANIFEST),
            None,
            format!(
                "this folder holds another run (config {}, shard {}); this one is config {}, shard {}: choose another --out or remove the folder",
                m.config_hash,
                m.shard.as_deref().unwrap_or("whole"),
                manifest.config_hash,
                manifest.shard.as_deref().unwrap_or("whole"),
            ),
        )),
        None if out.join(JOURNAL).exists() => Err(StressError::input(
            out.join(JOURNAL),
            None,
            "a results journal without its manifest: choose another --out or remove the folder",
        )),
        None => Ok(None),
    }
}

/// The scenarios of a shard already done, one bit each.
#[derive(Debug)]
struct DoneSet {
    bits: Vec<u64>,
    count: u64,
}

impl DoneSet {
    fn new(n: u64) -> DoneSet {
        DoneSet {
            bits: vec![0; n.div_ceil(64) as usize],
            count: 0,
        }
    }

    fn insert(&mut self, k: u64) {
        let (w, b) = ((k / 64) as usize, 1u64 << (k % 64));
        if let Some(word) = self.bits.get_mut(w) {
            if *word & b == 0 {
                *word |= b;
                self.count += 1;
            }
        }
    }

    fn contains(&self, k: u64) -> bool {
        self.bits
            .get((k / 64) as usize)
            .is_some_and(|w| w & (1u64 << (k % 64)) != 0)
    }
}

/// Opens the results folder for `manifest`: locks it, checks that it
/// holds this run (or nothing), reads back and checks its journal, and
/// returns the lock and the scenarios already done.
fn open_out(
    out: &Path,
    manifest: &Manifest,
    shard: Shard,
) -> Result<(FolderLock, DoneSet), StressError> {
    let lock = lock_out(out, "stress")?;
    let journal_path = out.join(JOURNAL);
    let found = check_out(out, manifest)?;
    if found.is_none() {
        let path = out.join(MANIFEST);
        write_atomic(&path, &manifest.to_json()).map_err(|e| StressError::io(path, e))?;
    }
    let check = RecordCheck::new(manifest);
    let mut done = DoneSet::new(shard.len(manifest.scenarios));
    let scanned = scan(&journal_path, &check, Tail::Drop, &mut |id| {
        if !shard.holds(id) {
            return Err(StressError::input(
                &journal_path,
                None,
                format!("scenario {id} is not of shard {shard}"),
            ));
        }
        done.insert(shard.rank(id));
        Ok(())
    })?;
    if let (Some(s), Some(entry)) = (&scanned, found.and_then(|m| m.journal)) {
        if s.torn || s.records != entry.records || s.digest != entry.digest {
            return Err(StressError::input(
                &journal_path,
                None,
                "this journal is not the one its manifest vouches for (edited, truncated or replaced): remove the folder and run again",
            ));
        }
    }
    if let Some(s) = scanned.filter(|s| s.torn) {
        // Drop the torn tail before appending after it.
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&journal_path)
            .map_err(|e| StressError::io(&journal_path, e))?;
        f.set_len(s.complete_bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| StressError::io(&journal_path, e))?;
    }
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
    let total = plan.scenario_count();
    let shard = opts.shard;
    let seeds = plan.seeds.max(1) as u64;
    // Every point this shard runs, checked before anything runs, and the
    // memory its largest scenario needs.
    let mut largest = Footprint::default();
    plan.visit_points(shard.ids(total).map(|id| id / seeds), &mut |p| {
        largest = largest.max(Footprint::of(p));
    })?;
    memory::check(opts.threads, largest, memory::available_bytes())
        .map_err(|e| StressError::input(&opts.config, None, e))?;
    let manifest = Manifest::new(&plan, shard);
    let (lock, done) = open_out(&opts.out, &manifest, shard)?;
    let scenarios = shard.len(total);
    let resumed = done.count;
    let mut pending = shard
        .ids(total)
        .filter(|&id| !done.contains(shard.rank(id)));
    let journal_path = opts.out.join(JOURNAL);
    let mut journal = Journal::append_to(&journal_path)?;
    let progress = Progress::new(scenarios, resumed, opts.quiet);
    let result = run_sweep(&plan, &mut pending, opts.threads, &config_dir, &mut |rec| {
        journal.append(&rec)?;
        progress.inc();
        Ok(())
    });
    progress.finish();
    journal.sync()?;
    result?;
    drop(journal);
    drop(done);
    let check = RecordCheck::new(&manifest);
    let mut sorted = Sorted::new(&[journal_path], &check, Tail::Refuse, &opts.out)?;
    let (_, headline) = write_all(
        &opts.out,
        &manifest,
        &mut || sorted.next_record(),
        &mut shard.ids(total),
    )?;
    drop(lock);
    Ok(StressReport {
        scenarios: scenarios as usize,
        resumed: resumed as usize,
        out: opts.out.clone(),
        headline,
    })
}
