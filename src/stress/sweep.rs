//! The parallel sweep: scenarios on crossbeam threads, one engine per
//! scenario, nothing shared but read-only inputs and two memo tables.
//!
//! Owns: scheduling (scenarios that share a population run one after the
//! other, so that each population is built once and dropped after its last
//! use), the memo of starting books (per market definition), populations
//! (per population inputs and seed) and baselines (the no-population run
//! of each market/shock definition, whose end mark is the exogenous move),
//! and handing each finished record to the caller on the calling thread.
//!
//! Must not: let the number of threads or their timing change a record:
//! every record depends only on its scenario id and the plan. The order in
//! which records reach the caller does vary; callers sort by id.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use super::book_profile::{starting_book, StartingBook};
use super::error::StressError;
use super::grid::Plan;
use super::record::{record, Record};
use super::scenario::run;
use crate::population::Population;
use crate::types::Price;

/// Starting books of every market of every point, built once per distinct
/// market definition. `None` for points that no scenario of `ids` uses.
fn books_for(
    plan: &Plan,
    ids: &[u64],
    config_dir: &Path,
) -> Result<Vec<Option<Arc<Vec<StartingBook>>>>, StressError> {
    let mut used = vec![false; plan.points.len()];
    for &id in ids {
        used[plan.scenario(id).point] = true;
    }
    let mut memo: BTreeMap<String, StartingBook> = BTreeMap::new();
    let mut out = Vec::with_capacity(plan.points.len());
    for (p, point) in plan.points.iter().enumerate() {
        if !used[p] {
            out.push(None);
            continue;
        }
        let mut books = Vec::with_capacity(point.markets.len());
        for m in &point.markets {
            let key = format!(
                "{:?}",
                (&m.book, m.price, &m.spec.tick, &m.spec.lot, &m.spec.kind)
            );
            if let Some(b) = memo.get(&key) {
                books.push(b.clone());
                continue;
            }
            let b = starting_book(m, config_dir).map_err(|e| StressError::Config {
                line: e.line,
                message: e.message,
            })?;
            memo.insert(key, b.clone());
            books.push(b);
        }
        out.push(Some(Arc::new(books)));
    }
    Ok(out)
}

/// One shared population: built by the first scenario that needs it,
/// dropped after the last.
struct PopSlot {
    pop: Mutex<Option<Arc<Population>>>,
    remaining: AtomicUsize,
}

/// Runs the scenarios `ids` of `plan` on `threads` threads and hands each
/// record to `on_record` (on this thread, in completion order). Stops at
/// the first error (of a scenario or of `on_record`) and returns it.
pub fn run_sweep(
    plan: &Plan,
    ids: &[u64],
    threads: usize,
    config_dir: &Path,
    on_record: &mut dyn FnMut(Record) -> Result<(), StressError>,
) -> Result<(), StressError> {
    if ids.is_empty() {
        return Ok(());
    }
    let books = books_for(plan, ids, config_dir)?;
    // Population groups and baseline keys, numbered in id order.
    let mut groups: BTreeMap<(String, u64), usize> = BTreeMap::new();
    let mut baselines: BTreeMap<String, usize> = BTreeMap::new();
    let mut point_baseline: BTreeMap<usize, usize> = BTreeMap::new();
    let mut work: Vec<(usize, u64)> = Vec::with_capacity(ids.len());
    for &id in ids {
        let s = plan.scenario(id);
        let point = &plan.points[s.point];
        let n = groups.len();
        let g = *groups.entry((point.population_key(), s.seed)).or_insert(n);
        let nb = baselines.len();
        let b = *baselines.entry(point.baseline_key()).or_insert(nb);
        point_baseline.insert(s.point, b);
        work.push((g, id));
    }
    work.sort();
    let threads = threads.clamp(1, work.len());
    // Interleave the groups a window of `threads` at a time, so that the
    // threads build different populations side by side instead of waiting
    // on one another, while at most about `threads` populations are alive.
    let mut in_group = vec![0usize; groups.len()];
    let rank: Vec<usize> = work
        .iter()
        .map(|&(g, _)| {
            in_group[g] += 1;
            in_group[g] - 1
        })
        .collect();
    let mut order: Vec<usize> = (0..work.len()).collect();
    order.sort_unstable_by_key(|&i| {
        let g = work[i].0;
        (g / threads, rank[i], g)
    });
    let work: Vec<(usize, u64)> = order.into_iter().map(|i| work[i]).collect();
    let slots: Vec<PopSlot> = (0..groups.len())
        .map(|_| PopSlot {
            pop: Mutex::new(None),
            remaining: AtomicUsize::new(0),
        })
        .collect();
    for &(g, _) in &work {
        slots[g].remaining.fetch_add(1, Ordering::Relaxed);
    }
    type Baseline = Result<Option<Price>, String>;
    let base_cells: Vec<OnceLock<Baseline>> =
        (0..baselines.len()).map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = crossbeam::channel::bounded::<Result<Record, StressError>>(threads * 4);

    let worker = |tx: crossbeam::channel::Sender<Result<Record, StressError>>| loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let k = next.fetch_add(1, Ordering::Relaxed);
        let Some(&(g, id)) = work.get(k) else { break };
        let s = plan.scenario(id);
        let point = &plan.points[s.point];
        let Some(Some(book)) = books.get(s.point) else {
            // `books_for` built every point that `ids` uses.
            let _ = tx.send(Err(StressError::Scenario {
                id,
                message: "internal: no starting book".into(),
            }));
            break;
        };
        let pop = {
            let mut slot = slots[g].pop.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert_with(|| Arc::new(point.population(s.seed)))
                .clone()
        };
        // The scenario first, its baseline after: the first thread done
        // computes the shared baseline while the others still run theirs.
        let outcome = run(point, book, &pop);
        let b = point_baseline.get(&s.point).copied().unwrap_or(0);
        let base = base_cells[b].get_or_init(|| {
            run(point, book, &Population::default())
                .map(|o| o.mark_end)
                .map_err(|e| e.0)
        });
        let result = match (base, outcome) {
            (Err(e), _) => Err(StressError::Scenario {
                id,
                message: format!("baseline run: {e}"),
            }),
            (Ok(_), Err(e)) => Err(StressError::Scenario { id, message: e.0 }),
            (Ok(base_end), Ok(out)) => Ok(record(plan, s, &out, *base_end)),
        };
        drop(pop);
        if slots[g].remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            slots[g]
                .pop
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
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
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
