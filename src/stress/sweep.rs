//! The parallel sweep: scenarios on crossbeam threads, one engine per
//! scenario, nothing shared but read-only inputs and memo tables.
//!
//! Owns: scheduling. Scenarios are taken in id order a window at a time
//! (so that a grid of millions of scenarios costs the memory of a window);
//! within a window, scenarios that share a population run one after the
//! other, so that each population is built once and dropped after its last
//! use, unless the next window needs it too. It also owns the memos of
//! starting books (per market definition), populations (per population
//! inputs and seed) and baselines (the no-population run of each
//! market/shock definition, whose end mark is the exogenous move), and
//! handing each finished record to the caller on the calling thread.
//!
//! Must not: let the number of threads or their timing change a record:
//! every record depends only on its scenario id and the plan. The order in
//! which records reach the caller does vary; callers sort by id.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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
type PopKey = (String, u64);

/// One scenario of a window, with everything it shares.
struct Job {
    s: ScenarioRef,
    point: Arc<Point>,
    books: Arc<Vec<StartingBook>>,
    group: usize,
    baseline: usize,
}

/// One window of scenarios, ready to run.
struct Window {
    jobs: Vec<Job>,
    groups: Vec<PopKey>,
    baselines: Vec<String>,
}

/// What outlives a window.
#[derive(Default)]
struct Memo {
    books: BTreeMap<String, StartingBook>,
    baselines: BTreeMap<String, Baseline>,
    populations: BTreeMap<PopKey, Arc<Population>>,
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
        groups: Vec::new(),
        baselines: Vec::new(),
    };
    let mut group_of: BTreeMap<PopKey, usize> = BTreeMap::new();
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
        let key = (point.population_key(), s.seed);
        let n = group_of.len();
        let group = *group_of.entry(key.clone()).or_insert_with(|| {
            w.groups.push(key);
            n
        });
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
            group,
            baseline,
        });
    }
    Ok(w)
}

/// One shared population: built by the first scenario that needs it,
/// dropped after the last (unless kept for the next window).
struct PopSlot {
    pop: Mutex<Option<Arc<Population>>>,
    remaining: AtomicUsize,
    keep: bool,
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
    let mut window = next_window(plan, ids, size, &mut memo, config_dir)?;
    while !window.jobs.is_empty() {
        let next = next_window(plan, ids, size, &mut memo, config_dir)?;
        let wanted: BTreeSet<&PopKey> = next.groups.iter().collect();
        run_window(plan, &window, threads, &wanted, &mut memo, on_record)?;
        window = next;
    }
    Ok(())
}

/// Runs one window; keeps in `memo` the populations `wanted` next.
fn run_window(
    plan: &Plan,
    w: &Window,
    threads: usize,
    wanted: &BTreeSet<&PopKey>,
    memo: &mut Memo,
    on_record: &mut dyn FnMut(Record) -> Result<(), StressError>,
) -> Result<(), StressError> {
    // Scenarios of one group together, groups interleaved a window of
    // `threads` at a time, so that the threads build different
    // populations side by side instead of waiting on one another, while
    // at most about `threads` populations are alive.
    let mut order: Vec<usize> = (0..w.jobs.len()).collect();
    order.sort_by_key(|&i| (w.jobs[i].group, w.jobs[i].s.id));
    let mut in_group = vec![0usize; w.groups.len()];
    let rank: Vec<usize> = order
        .iter()
        .map(|&i| {
            let g = w.jobs[i].group;
            in_group[g] += 1;
            in_group[g] - 1
        })
        .collect();
    let mut by_rank: Vec<(usize, usize)> = order.into_iter().zip(rank).collect();
    by_rank.sort_by_key(|&(i, r)| {
        let g = w.jobs[i].group;
        (g / threads, r, g)
    });
    let work: Vec<usize> = by_rank.into_iter().map(|(i, _)| i).collect();
    let slots: Vec<PopSlot> = w
        .groups
        .iter()
        .map(|k| PopSlot {
            pop: Mutex::new(memo.populations.remove(k)),
            remaining: AtomicUsize::new(0),
            keep: wanted.contains(k),
        })
        .collect();
    memo.populations.clear();
    for j in &w.jobs {
        slots[j.group].remaining.fetch_add(1, Ordering::Relaxed);
    }
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
    let threads = threads.clamp(1, work.len().max(1));
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = crossbeam::channel::bounded::<Result<Record, StressError>>(threads * 4);

    let worker = |tx: crossbeam::channel::Sender<Result<Record, StressError>>| loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(job) = work.get(k).map(|&i| &w.jobs[i]) else {
            break;
        };
        let slot = &slots[job.group];
        let pop = {
            let mut p = slot.pop.lock().unwrap_or_else(|e| e.into_inner());
            p.get_or_insert_with(|| Arc::new(job.point.population(job.s.seed)))
                .clone()
        };
        // The scenario first, its baseline after: the first thread done
        // computes the shared baseline while the others still run theirs.
        let outcome = run(&job.point, &job.books, &pop);
        let base = base_cells[job.baseline].get_or_init(|| {
            run(&job.point, &job.books, &Population::default())
                .map(|o| o.mark_end)
                .map_err(|e| e.0)
        });
        let id = job.s.id;
        let result = match (base, outcome) {
            (Err(e), _) => Err(StressError::Scenario {
                id,
                message: format!("baseline run: {e}"),
            }),
            (Ok(_), Err(e)) => Err(StressError::Scenario { id, message: e.0 }),
            (Ok(base_end), Ok(out)) => Ok(record(plan, job.s, &job.point, &out, *base_end)),
        };
        drop(pop);
        if slot.remaining.fetch_sub(1, Ordering::AcqRel) == 1 && !slot.keep {
            slot.pop.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
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
    for (k, slot) in w.groups.iter().zip(slots) {
        if slot.keep {
            if let Some(p) = slot.pop.into_inner().unwrap_or_else(|e| e.into_inner()) {
                memo.populations.insert(k.clone(), p);
            }
        }
    }
    Ok(())
}
