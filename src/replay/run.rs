//! One replay from inputs to a results folder: detect the instrument,
//! read the population file, open the readers, drive every event through
//! the engine (with a progress spinner on a terminal), write the outputs.
//!
//! Owns: `ReplayArgs`, `RunError` (with its exit status: 2 for bad input
//! or usage, 1 for anything else) and the event loop, which gives every
//! data error the file and line of the event it concerns.
//! Must not: parse command lines (main.rs does) or format results
//! (outputs.rs does).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::driver::{DriveError, DriveOutcome, Driver, DriverConfig};
use super::outputs::{write_all, RunMeta};
use super::overlay::Resilience;
use super::population::PopulationPlan;
use super::presets::{detect, instrument_spec, Detected, Overrides};
use super::{open, EventSource, Format, ReplayError, ReplayOptions, ReplayStats};
use crate::instrument::{InstrumentSpec, MarkPolicy};

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input data or a bad population file: names file and line.
    #[error("{0}")]
    Input(ReplayError),
    /// Bad usage (missing steps for an unknown symbol, ...).
    #[error("{0}")]
    Usage(String),
    /// Writing an output failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// Something that should not happen.
    #[error("{0}")]
    Internal(String),
}

impl RunError {
    /// The exit status `spec/cli.md` gives it.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Input(_) | RunError::Usage(_) => 2,
            RunError::Io { .. } | RunError::Internal(_) => 1,
        }
    }
}

impl From<ReplayError> for RunError {
    fn from(e: ReplayError) -> Self {
        RunError::Input(e)
    }
}

/// What `cascade replay` was asked to do.
#[derive(Clone, Debug)]
pub struct ReplayArgs {
    /// Input format.
    pub format: Format,
    /// Input files.
    pub files: Vec<PathBuf>,
    /// Population file.
    pub accounts: Option<PathBuf>,
    /// Results folder.
    pub out: PathBuf,
    /// Depth resilience.
    pub resilience: Resilience,
    /// Skip (and count) bad rows instead of stopping.
    pub skip_bad_rows: bool,
    /// Instrument overrides.
    pub overrides: Overrides,
    /// No progress spinner.
    pub quiet: bool,
}

/// A finished replay.
#[derive(Debug)]
pub struct ReplayReport {
    /// What the driver produced.
    pub outcome: DriveOutcome,
    /// What the readers counted.
    pub stats: ReplayStats,
    /// Names and policies.
    pub meta: RunMeta,
}

/// Everything a run needs besides its event source.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Driver configuration.
    pub driver: DriverConfig,
    /// Names for the outputs.
    pub meta: RunMeta,
    /// No progress spinner.
    pub quiet: bool,
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

fn policy_name(p: MarkPolicy) -> &'static str {
    match p {
        MarkPolicy::Last => "last",
        MarkPolicy::Mid => "mid",
        MarkPolicy::Index => "index",
        MarkPolicy::External => "external",
        MarkPolicy::Median => "median",
    }
}

/// Builds the setup of a replay: instrument (from what the input's first
/// lines said and the overrides), population (`accounts`: its name and
/// text), names for the outputs.
pub fn setup(
    args: &ReplayArgs,
    detected: &Detected,
    accounts: Option<(&str, &str)>,
) -> Result<Setup, RunError> {
    let spec: InstrumentSpec =
        instrument_spec(args.format, detected, &args.overrides).map_err(RunError::Usage)?;
    let population = match accounts {
        Some((name, text)) => Some(PopulationPlan::parse(text, &spec).map_err(|e| {
            RunError::Input(ReplayError {
                file: std::sync::Arc::from(name),
                line: e.line as u64,
                message: e.message,
            })
        })?),
        None => None,
    };
    let mark = spec.mark.map(|m| m.policy).unwrap_or_default();
    Ok(Setup {
        meta: RunMeta {
            format: args.format.as_str().into(),
            files: args.files.iter().map(|p| file_name(p)).collect(),
            population: args.accounts.as_deref().map(file_name),
            mark_policy: policy_name(mark).into(),
        },
        driver: DriverConfig {
            format: args.format,
            spec,
            resilience: args.resilience,
            population,
            skip_bad_rows: args.skip_bad_rows,
            quotes_as_book: !detected.l2,
        },
        quiet: args.quiet,
    })
}

/// A spinner counting events, on a terminal only.
fn spinner(quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{spinner} {human_pos} events  {per_sec}  {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// Events between two spinner updates.
const TICK: u64 = 1 << 16;

/// Drives every event of `src` through a new driver; data errors get the
/// file and line of their event.
pub fn run(setup: &Setup, src: &mut dyn EventSource) -> Result<DriveOutcome, RunError> {
    let mut driver =
        Driver::new(setup.driver.clone()).map_err(|e| RunError::Usage(e.to_string()))?;
    let bar = spinner(setup.quiet);
    let mut n: u64 = 0;
    while let Some(ev) = src.next_event() {
        let ev = ev?;
        if let Err(e) = driver.on_event(&ev) {
            return Err(match e {
                DriveError::Data(m) | DriveError::Population(m) => {
                    let (file, line) = src
                        .origin()
                        .unwrap_or_else(|| (std::sync::Arc::from("(input)"), 0));
                    RunError::Input(ReplayError::new(&file, line, m))
                }
                DriveError::Internal(m) => RunError::Internal(m),
            });
        }
        n += 1;
        if n.is_multiple_of(TICK) {
            if let Some(b) = &bar {
                b.set_position(n);
            }
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    driver
        .finish()
        .map_err(|e| RunError::Internal(e.to_string()))
}

/// `cascade replay`: reads the files, writes the results folder.
pub fn replay(args: &ReplayArgs) -> Result<ReplayReport, RunError> {
    let detected = detect(args.format, &args.files)?;
    let text = match &args.accounts {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
            RunError::Input(ReplayError::file(&p.display().to_string(), e.to_string()))
        })?),
        None => None,
    };
    let name = args.accounts.as_ref().map(|p| p.display().to_string());
    let s = setup(args, &detected, name.as_deref().zip(text.as_deref()))?;
    let opts = ReplayOptions {
        skip_bad_rows: args.skip_bad_rows,
        check_crossed: false,
        ..ReplayOptions::default()
    };
    let mut stream = open(args.format, &args.files, &opts)?;
    let outcome = run(&s, &mut stream)?;
    let stats = stream.stats();
    write_all(&args.out, &outcome, &stats, &s.meta)
        .map_err(|(path, source)| RunError::Io { path, source })?;
    Ok(ReplayReport {
        outcome,
        stats,
        meta: s.meta,
    })
}
