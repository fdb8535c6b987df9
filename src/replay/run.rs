//! One replay from inputs to a results folder: read the population file,
//! open the inputs (each read once), route every event to the book of its
//! symbol (with a progress bar on a terminal: bytes of the input read,
//! of its total, with an estimate of the time left), write the outputs.
//! `--resilience measured` first measures the refill of depth on the same
//! inputs (a pass of its own, so the inputs must be files).
//!
//! Owns: `ReplayArgs` (the typed options of a replay), `RunError` (with
//! its exit status: 2 for bad input or usage, 1 for anything else),
//! the passes, and the results folder's layout (one folder, or one per
//! symbol under `--symbol all` with an index `summary.json`).
//! Must not: parse command lines (main.rs does) or format results
//! (outputs.rs does).

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::driver::DriveOutcome;
use super::outputs::{write_rest, RunMeta};
use super::overlay::Resilience;
use super::presets::Overrides;
use super::progress::Progress;
use super::refill::{RefillFit, RefillReport};
pub use super::router::SymbolChoice;
use super::router::{Finished, Plan, Router};
use super::EventSource;
use super::{open_inputs, Format, Input, ReplayError, ReplayOptions, ReplayStats, ReplayStream};
use crate::instrument::MarkPolicy;
use crate::report::atomic::write_atomic;

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

/// How depleted depth comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResilienceChoice {
    /// A given half-life (or never, or at once).
    Given(Resilience),
    /// The half-lives measured on the data itself, per side of the book.
    Measured,
}

impl ResilienceChoice {
    /// Parses `--resilience`: `measured`, or what [`Resilience::parse`]
    /// takes.
    pub fn parse(s: &str) -> Result<ResilienceChoice, String> {
        if s.trim() == "measured" {
            Ok(ResilienceChoice::Measured)
        } else {
            Resilience::parse(s).map(ResilienceChoice::Given)
        }
    }
}

/// What `cascade replay` was asked to do.
#[derive(Clone, Debug)]
pub struct ReplayArgs {
    /// Input format.
    pub format: Format,
    /// Input files (`-`: standard input), each with what it holds where
    /// given.
    pub inputs: Vec<Input>,
    /// Population file.
    pub accounts: Option<PathBuf>,
    /// Results folder.
    pub out: PathBuf,
    /// Depth resilience.
    pub resilience: ResilienceChoice,
    /// Measure how depth refills after large takers, and report it.
    pub measure_resilience: bool,
    /// Skip (and count) bad rows instead of stopping.
    pub skip_bad_rows: bool,
    /// Which symbols to replay.
    pub symbol: SymbolChoice,
    /// Instrument overrides.
    pub overrides: Overrides,
    /// No progress bar, no note of the chosen symbol.
    pub quiet: bool,
}

impl ReplayArgs {
    /// A replay of `inputs` as `format` into `out`, with every other
    /// option at its default (the first symbol, a 2 s half-life).
    pub fn new(format: Format, inputs: Vec<Input>, out: impl AsRef<Path>) -> ReplayArgs {
        ReplayArgs {
            format,
            inputs,
            accounts: None,
            out: out.as_ref().to_path_buf(),
            resilience: ResilienceChoice::Given(Resilience::HalfLife(2_000_000_000)),
            measure_resilience: false,
            skip_bad_rows: false,
            symbol: SymbolChoice::First,
            overrides: Overrides::default(),
            quiet: true,
        }
    }
}

/// One replayed symbol.
#[derive(Debug)]
pub struct SymbolReport {
    /// What the driver produced.
    pub outcome: DriveOutcome,
    /// Names and policies.
    pub meta: RunMeta,
    /// Its results folder.
    pub folder: PathBuf,
}

/// A finished replay.
#[derive(Debug)]
pub struct ReplayReport {
    /// What the driver produced (the first replayed symbol).
    pub outcome: DriveOutcome,
    /// What the readers counted (every symbol).
    pub stats: ReplayStats,
    /// Names and policies.
    pub meta: RunMeta,
    /// The other symbols (`--symbol all`).
    pub others: Vec<SymbolReport>,
    /// Symbols `--symbol all` could not replay, and why.
    pub skipped: Vec<(String, String)>,
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

/// Events between two progress updates.
const TICK: u64 = 1 << 14;

/// What one pass over the inputs produced.
struct Pass {
    done: Vec<Finished>,
    skipped: Vec<(String, String)>,
    stats: ReplayStats,
    per_file: Vec<(String, ReplayStats)>,
}

/// Reads `stream` to its end through a router.
fn pass(
    plan: Plan,
    mut stream: ReplayStream,
    first_file: &str,
    bar: &Progress,
) -> Result<Pass, RunError> {
    let mut router = Router::new(plan, stream.symbols().clone());
    let mut n: u64 = 0;
    while let Some(ev) = stream.next_event() {
        let ev = match ev {
            Ok(ev) => ev,
            // Events held before a read error come first: an error in
            // them is earlier in the data.
            Err(e) => return Err(router.flush().err().unwrap_or(RunError::Input(e))),
        };
        let origin = || {
            stream
                .origin()
                .unwrap_or_else(|| (std::sync::Arc::from(first_file), 0))
        };
        router.on_event(&ev, &origin)?;
        n += 1;
        if n.is_multiple_of(TICK) {
            bar.set(stream.progress().0);
        }
    }
    let (done, skipped) = router.finish(first_file)?;
    Ok(Pass {
        done,
        skipped,
        stats: stream.stats(),
        per_file: stream.per_file(),
    })
}

fn options(args: &ReplayArgs) -> ReplayOptions {
    ReplayOptions {
        skip_bad_rows: args.skip_bad_rows,
        check_crossed: false,
        ..ReplayOptions::default()
    }
}

/// The half-lives to use from a measurement (a side with no fit takes the
/// other side's).
fn measured_resilience(symbol: &str, r: &RefillReport) -> Result<Resilience, RunError> {
    let h = |f: &RefillFit| f.half_life_ns.filter(|h| *h > 0);
    match (h(&r.bids), h(&r.asks)) {
        (Some(b), Some(a)) => Ok(Resilience::Sides { bids: b, asks: a }),
        (Some(x), None) | (None, Some(x)) => Ok(Resilience::Sides { bids: x, asks: x }),
        (None, None) => Err(RunError::Usage(format!(
            "--resilience measured: {symbol} has no taker that emptied a level and whose take \
             the data shows ({} bid, {} ask events): give a half-life",
            r.bids.events + r.bids.unseen,
            r.asks.events + r.asks.unseen
        ))),
    }
}

/// `cascade replay`: reads the inputs, writes the results folder.
pub fn replay(args: &ReplayArgs) -> Result<ReplayReport, RunError> {
    let population = match &args.accounts {
        Some(p) => Some((
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| {
                RunError::Input(ReplayError::file(&p.display().to_string(), e.to_string()))
            })?,
        )),
        None => None,
    };
    let measured = if args.resilience == ResilienceChoice::Measured {
        if let Some(i) = args.inputs.iter().find(|i| i.is_stdin()) {
            return Err(RunError::Usage(format!(
                "--resilience measured reads the input twice (once to measure, once to replay): \
                 give files, not {}",
                i.name()
            )));
        }
        let stream = open_inputs(args.format, &args.inputs, &options(args))?;
        let plan = Plan {
            format: args.format,
            overrides: args.overrides.clone(),
            choice: args.symbol.clone(),
            resilience: Resilience::HalfLife(0),
            per_symbol_resilience: Vec::new(),
            measure_refill: true,
            population: None,
            skip_bad_rows: args.skip_bad_rows,
            out: None,
            announce: false,
        };
        let bar = Progress::new(args.quiet, "measuring refill", stream.progress().1);
        let p = pass(plan, stream, &first_name(args), &bar)?;
        bar.finish();
        Some(
            p.done
                .into_iter()
                .map(|f| (f.id, f.outcome.refill))
                .collect::<Vec<_>>(),
        )
    } else {
        None
    };
    let stream = open_inputs(args.format, &args.inputs, &options(args))?;
    replay_stream(args, stream, population, measured)
}

fn first_name(args: &ReplayArgs) -> String {
    args.inputs.first().map(Input::name).unwrap_or_default()
}

/// The refill measured by an earlier pass, per symbol id.
pub type Measurements = Vec<(u32, Option<RefillReport>)>;

/// A replay of an opened stream (`cascade replay`, `cascade demo`):
/// `population` is the population file's name and text; `measured` the
/// refill measured by an earlier pass over the same inputs (symbol ids
/// are the same in both: they follow the order of first appearance).
pub fn replay_stream(
    args: &ReplayArgs,
    stream: ReplayStream,
    population: Option<(String, String)>,
    measured: Option<Measurements>,
) -> Result<ReplayReport, RunError> {
    let symbols = stream.symbols().clone();
    let name = |id: u32| symbols.get(id).map(|k| k.symbol).unwrap_or_default();
    let report_of = |id: u32| {
        measured
            .as_ref()
            .and_then(|m| m.iter().find(|(i, _)| *i == id))
            .and_then(|(_, r)| *r)
    };
    let mut per_symbol = Vec::new();
    if let Some(m) = &measured {
        for (id, r) in m {
            let r = r.unwrap_or_default();
            per_symbol.push((*id, measured_resilience(&name(*id), &r)?));
        }
    }
    let plan = Plan {
        format: args.format,
        overrides: args.overrides.clone(),
        choice: args.symbol.clone(),
        resilience: match args.resilience {
            ResilienceChoice::Given(r) => r,
            ResilienceChoice::Measured => Resilience::HalfLife(2_000_000_000),
        },
        per_symbol_resilience: per_symbol,
        measure_refill: args.measure_resilience && measured.is_none(),
        population,
        skip_bad_rows: args.skip_bad_rows,
        out: Some(args.out.clone()),
        announce: !args.quiet,
    };
    let bar = Progress::new(args.quiet, "replaying", stream.progress().1);
    let p = pass(plan, stream, &first_name(args), &bar)?;
    bar.finish();
    let files: Vec<String> = args.inputs.iter().map(|i| file_name(&i.path)).collect();
    let file_kinds: Vec<(String, String)> = p
        .per_file
        .iter()
        .filter_map(|(f, s)| Some((file_name(Path::new(f)), s.data_kind.clone()?)))
        .collect();
    let live: Vec<u32> = p.done.iter().map(|f| f.id).collect();
    let ignored: Vec<(String, u64)> = p
        .stats
        .rows_by_symbol
        .iter()
        .enumerate()
        .filter(|&(i, n)| *n > 0 && !live.contains(&(i as u32)))
        .map(|(i, n)| (name(i as u32), *n))
        .collect();
    let mut reports = Vec::new();
    for f in p.done {
        let mut outcome = f.outcome;
        if let Some(r) = report_of(f.id) {
            outcome.refill = Some(r);
        }
        let meta = RunMeta {
            format: args.format.as_str().into(),
            files: files.clone(),
            population: args.accounts.as_deref().map(file_name),
            mark_policy: policy_name(f.mark).into(),
            symbol_choice: args.symbol.describe().into(),
            ignored_by_symbol: ignored.clone(),
            resilience_source: match args.resilience {
                ResilienceChoice::Given(_) => "--resilience".into(),
                ResilienceChoice::Measured => {
                    "measured (refill of depth after large takers in this data)".into()
                }
            },
            file_kinds: file_kinds.clone(),
        };
        let folder = f.folder.unwrap_or_else(|| args.out.clone());
        write_rest(&folder, &outcome, &p.stats, &meta)
            .map_err(|(path, source)| RunError::Io { path, source })?;
        reports.push(SymbolReport {
            outcome,
            meta,
            folder,
        });
    }
    if args.symbol == SymbolChoice::All {
        write_index(&args.out, &reports, &p.skipped, &p.stats)?;
    }
    let mut it = reports.into_iter();
    let first = it
        .next()
        .ok_or_else(|| RunError::Internal("a replay ended with no symbol".into()))?;
    Ok(ReplayReport {
        outcome: first.outcome,
        stats: p.stats,
        meta: first.meta,
        others: it.collect(),
        skipped: p.skipped,
    })
}

/// `DIR/summary.json` of `--symbol all`: one entry per symbol and its
/// folder.
fn write_index(
    out: &Path,
    reports: &[SymbolReport],
    skipped: &[(String, String)],
    stats: &ReplayStats,
) -> Result<(), RunError> {
    let mut symbols = Map::new();
    for r in reports {
        let folder = r
            .folder
            .strip_prefix(out)
            .unwrap_or(&r.folder)
            .display()
            .to_string();
        symbols.insert(
            r.outcome.spec.symbol.clone(),
            json!({
                "folder": folder,
                "taker_rows": r.outcome.kind(super::rows::RowKind::Taker).rows,
                "liquidation_rows": r.outcome.kind(super::rows::RowKind::Liquidation).rows,
            }),
        );
    }
    let skipped: Map<String, Value> = skipped
        .iter()
        .map(|(s, why)| (s.clone(), json!(why)))
        .collect();
    let root = json!({
        "format": "cascade-replay-index/1",
        "rows": stats.rows,
        "symbols": symbols,
        "skipped": skipped,
    });
    let mut s = serde_json::to_string_pretty(&root).unwrap_or_default();
    s.push('\n');
    std::fs::create_dir_all(out).map_err(|e| RunError::Io {
        path: out.to_path_buf(),
        source: e,
    })?;
    let path = out.join("summary.json");
    write_atomic(&path, s.as_bytes()).map_err(|source| RunError::Io { path, source })
}
