//! The parallel sweep: scenarios on crossbeam threads, one engine per
//! scenario, nothing shared but read-only inputs and memo tables.
//!
//! Owns: scheduling. Scenarios are taken in id order a window at a time,
//! so that a grid of millions of scenarios costs the memory of a window;
//! each scenario streams its population straight into its own engine
//! (`population::Population`), so no population is held beside the
//! engines. It also owns the memos of starting books (per market
//! definition) and baselines (the no-population run of each market/shock
//! definition, whose end mark is the exogenous move), and handing each
//! finished record to the caller on the calling thread.
//!
//! Must not: let the number of threads or their timing change a record:
//! every record depends only on its scenario id and the plan. The order in
//! which records reach the caller does vary; callers sort by id.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use super::book_profile::{starting_book, StartingBook};
use super::error::StressError;
use super::grid::{Plan, ScenarioRef};
use super::point::Point;
use super::record::{record, Record};
use super::scenario::run;
use crate::population::Population;
use crate::types::Price;

/// Scenarios per window and thread.
const WINDOW_PER_THREAD: usize = 64;
/// Fewest scenarios per window.
const MIN_WINDOW: usize = 256;
/// Most memoized baselines and books kept from one window to the next.
const MEMO_LIMIT: usize = 4096;

type Baseline = Result<Option<Price>, String>;

/// One scenario of a window, with everything it shares.
struct Job {
    s: ScenarioRef,
    point: Arc<Point>,
    books: Arc<Vec<StartingBook>>,
    baseline: usize,
}

/// One window of scenarios, ready to run.
struct Window {
    jobs: Vec<Job>,
    baselines: Vec<String>,
}

/// What outlives a window.
#[derive(Default)]
struct Memo {
    books: BTreeMap<String, StartingBook>,
    baselines: BTreeMap<String, Baseline>,
}

/// Resolves the next window of scenarios from `ids`.
fn next_window(
    plan: &Plan,
    ids: &mut dyn Iterator<Item = u64>,
    size: usize,
    memo: &mut Memo,
    config_dir: &Path,
) -> Result<Window, StressError> {
    if memo.books.len() > MEMO_LIMIT {
        memo.books.clear();
    }
    let mut w = Window {
        jobs: Vec::with_capacity(size),
        baselines: Vec::new(),
    };
    let mut baseline_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut last: Option<(u64, Arc<Point>, Arc<Vec<StartingBook>>)> = None;
    for id in ids.take(size) {
        let s = plan.scenario(id);
        let (point, books) = match &last {
            Some((p, point, books)) if *p == s.point => (point.clone(), books.clone()),
            _ => {
                let point = Arc::new(plan.point(s.point)?);
                let mut books = Vec::with_capacity(point.markets.len());
                for m in &point.markets {
                    let key = format!(
                        "{:?}",
                        (&m.book, m.price, &m.spec.tick, &m.spec.lot, &m.spec.kind)
                    );
                    if let Some(b) = memo.books.get(&key) {
                        books.push(b.clone());
                        continue;
                    }
                    let b = starting_book(m, config_dir).map_err(|e| StressError::Config {
                        line: e.line,
                        message: e.message,
                    })?;
                    memo.books.insert(key, b.clone());
                    books.push(b);
                }
                let books = Arc::new(books);
                last = Some((s.point, point.clone(), books.clone()));
                (point, books)
            }
        };
        let bkey = point.baseline_key();
        let nb = baseline_of.len();
        let baseline = *baseline_of.entry(bkey.clone()).or_insert_with(|| {
            w.baselines.push(bkey);
            nb
        });
        w.jobs.push(Job {
            s,
            point,
            books,
            baseline,
        });
    }
    Ok(w)
}

/// Runs the scenarios `ids` (ascending) of `plan` on `threads` threads and
/// hands each record to `on_record` (on this thread, in completion order).
/// Stops at the first error (of a scenario or of `on_record`) and returns
/// it.
pub fn run_sweep(
    plan: &Plan,
    ids: &mut dyn Iterator<Item = u64>,
    threads: usize,
    config_dir: &Path,
    on_record: &mut dyn FnMut(Record) -> Result<(), StressError>,
) -> Result<(), StressError> {
    let threads = threads.max(1);
    let size = (threads * WINDOW_PER_THREAD).max(MIN_WINDOW);
    let mut memo = Memo::default();
    loop {
        let window = next_window(plan, ids, size, &mut memo, config_dir)?;
        if window.jobs.is_empty() {
            return Ok(());
        }
        run_window(plan, &window, threads, &mut memo, on_record)?;
    }
}

/// Runs one window.
fn run_window(
    plan: &Plan,
    w: &Window,
    threads: usize,
    memo: &mut Memo,
    on_record: &mut dyn FnMut(Record) -> Result<(), StressError>,
) -> Result<(), StressError> {
    if memo.baselines.len() > MEMO_LIMIT {
        memo.baselines.clear();
    }
    let base_cells: Vec<OnceLock<Baseline>> = w
        .baselines
        .iter()
        .map(|k| {
            let cell = OnceLock::new();
            if let Some(b) = memo.baselines.get(k) {
                let _ = cell.set(b.clone());
            }
            cell
        })
        .collect();
    let threads = threads.clamp(1, w.jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = crossbeam::channel::bounded::<Result<Record, StressError>>(threads * 4);

    let worker = |tx: crossbeam::channel::Sender<Result<Record, StressError>>| loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = w.jobs.get(k) else {
            break;
        };
        // The scenario first, its baseline after: the first thread done
        // computes the shared baseline while the others still run theirs.
        let outcome = match job.point.population(job.s.seed) {
            Ok(pop) => run(&job.point, &job.books, &pop).map_err(|e| e.0),
            Err(e) => Err(format!("population: {e}")),
        };
        let base = base_cells[job.baseline].get_or_init(|| {
            let none = Population::empty(&job.point.markets);
            run(&job.point, &job.books, &none)
                .map(|o| o.mark_end)
                .map_err(|e| e.0)
        });
        let id = job.s.id;
        let result = match (base, outcome) {
            (Err(e), _) => Err(StressError::Scenario {
                id,
                message: format!("baseline run: {e}"),
            }),
            (Ok(_), Err(e)) => Err(StressError::Scenario { id, message: e }),
            (Ok(base_end), Ok(out)) => Ok(record(plan, job.s, &job.point, &out, *base_end)),
        };
        if tx.send(result).is_err() {
            break;
        }
    };

    let mut first_err: Option<StressError> = None;
    let scoped = crossbeam::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            scope.spawn(move |_| worker(tx));
        }
        drop(tx);
        for msg in rx.iter() {
            let r = msg.and_then(&mut *on_record);
            if let Err(e) = r {
                stop.store(true, Ordering::Relaxed);
                if first_err.is_none() {
                    first_err = Some(e);
                }
            }
        }
    });
    if scoped.is_err() {
        return Err(StressError::Scenario {
            id: 0,
            message: "a worker thread panicked (a bug: please report it)".into(),
        });
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    for (k, cell) in w.baselines.iter().zip(base_cells) {
        if let Some(b) = cell.into_inner() {
            memo.baselines.insert(k.clone(), b);
        }
    }
    Ok(())
}
