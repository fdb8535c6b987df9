//! Which events go to which book: the run's choice of symbol (the first
//! seen, a named one, or every one into its own book), the short
//! look-ahead that learns what the data carries for a symbol before its
//! book starts (a mark stream, an L2 book), and one driver per replayed
//! symbol. Rows of the symbols not replayed are counted by the readers
//! (per symbol) and reported, never applied.
//!
//! Owns: the symbol choice, the look-ahead buffers, the per-symbol
//! drivers and their `events.csv` sinks.
//! Must not: read files or write anything but `events.csv` (through its
//! sink).
//!
//! The look-ahead: a symbol's first events are held until it shows a mark
//! price (then the exchange's mark drives the instrument), or 20,000 of
//! its events, or 5 s of its exchange time have passed, or 50,000 events
//! are held in all, or the input ends. They are then replayed in order, so
//! the book sees exactly what it would have seen.

use std::path::PathBuf;
use std::sync::Arc;

use super::driver::{DriveError, DriveOutcome, Driver, DriverConfig};
use super::event::{MarketEvent, Payload};
use super::options::Format;
use super::outputs::EventsCsv;
use super::overlay::Resilience;
use super::population::PopulationPlan;
use super::presets::{instrument_spec, Detected, Overrides};
use super::rows::{NoRows, RowSink};
use super::run::RunError;
use super::symbols::{SymbolId, SymbolKey, Symbols};
use super::ReplayError;
use crate::instrument::MarkPolicy;

/// Events of one symbol held before its book starts.
const LOOKAHEAD_EVENTS: usize = 20_000;
/// Exchange time of one symbol held before its book starts.
const LOOKAHEAD_NS: i64 = 5_000_000_000;
/// Events held in all symbols' look-aheads.
const LOOKAHEAD_TOTAL: usize = 50_000;

/// Which symbols a replay replays.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymbolChoice {
    /// The first symbol in the data (said on stderr).
    First,
    /// This symbol (LOBSTER: the instrument to replay the file as).
    Named(String),
    /// Every symbol, each into its own book and results folder.
    All,
}

impl SymbolChoice {
    /// `--symbol S` (`all` for every symbol); `None`: the first seen.
    pub fn from_flag(s: Option<&str>) -> SymbolChoice {
        match s {
            None => SymbolChoice::First,
            Some("all") => SymbolChoice::All,
            Some(s) => SymbolChoice::Named(s.to_string()),
        }
    }

    /// How summary.json names the choice.
    pub fn describe(&self) -> &'static str {
        match self {
            SymbolChoice::First => "first seen",
            SymbolChoice::Named(_) => "--symbol",
            SymbolChoice::All => "--symbol all",
        }
    }
}

/// Symbols `--symbol all` could not replay, and why.
pub(crate) type Skipped = Vec<(String, String)>;

/// Where an event came from: file and line.
pub(crate) type Origin = (Arc<str>, u64);

/// What every symbol's run shares.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub format: Format,
    pub overrides: Overrides,
    pub choice: SymbolChoice,
    pub resilience: Resilience,
    /// Symbols with a resilience of their own (measured).
    pub per_symbol_resilience: Vec<(SymbolId, Resilience)>,
    pub measure_refill: bool,
    /// The population file: its name and text.
    pub population: Option<(String, String)>,
    pub skip_bad_rows: bool,
    /// The results folder; `None`: no `events.csv` (a measuring pass).
    pub out: Option<PathBuf>,
    /// Say the chosen symbol on stderr.
    pub announce: bool,
}

/// One symbol's finished replay.
#[derive(Debug)]
pub(crate) struct Finished {
    pub id: SymbolId,
    pub outcome: DriveOutcome,
    pub folder: Option<PathBuf>,
    pub mark: MarkPolicy,
}

/// A symbol replaying.
struct Live {
    driver: Driver,
    folder: Option<PathBuf>,
    mark: MarkPolicy,
}

/// What the look-ahead learnt.
struct Lookahead {
    events: Vec<(MarketEvent, Origin)>,
    first_ts: i64,
    mark: bool,
    l2: bool,
}

enum Slot {
    Unseen,
    Pending(Lookahead),
    Live(Box<Live>),
    Ignored,
    /// `--symbol all` only: a symbol that cannot be replayed, and why.
    Skipped(String),
}

/// Routes a stream's events to per-symbol drivers.
pub(crate) struct Router {
    plan: Plan,
    symbols: Symbols,
    slots: Vec<Slot>,
    selected: Option<SymbolId>,
    held: usize,
    folders: Vec<PathBuf>,
}

fn folder_name(s: &str) -> String {
    let n: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if n.is_empty() || n.starts_with('.') {
        format!("_{n}")
    } else {
        n
    }
}

impl Router {
    /// A router over the symbols of one stream.
    pub fn new(plan: Plan, symbols: Symbols) -> Router {
        Router {
            plan,
            symbols,
            slots: Vec::new(),
            selected: None,
            held: 0,
            folders: Vec::new(),
        }
    }

    fn key(&self, id: SymbolId) -> SymbolKey {
        self.symbols.get(id).unwrap_or(SymbolKey {
            venue: String::new(),
            symbol: format!("#{id}"),
        })
    }

    /// True when `id` is to be replayed (deciding the choice on the first
    /// event of each symbol).
    fn wanted(&mut self, id: SymbolId) -> bool {
        match &self.plan.choice {
            SymbolChoice::All => true,
            SymbolChoice::First => match self.selected {
                Some(s) => s == id,
                None => {
                    self.selected = Some(id);
                    if self.plan.announce {
                        let k = self.key(id);
                        eprintln!(
                            "replaying {} (the first symbol in the data; --symbol S picks another, \
                             --symbol all replays each)",
                            k.symbol
                        );
                    }
                    true
                }
            },
            SymbolChoice::Named(name) => {
                let k = self.key(id);
                let hit = if self.plan.format == Format::Lobster {
                    self.selected.is_none()
                } else {
                    &k.symbol == name
                };
                if hit && self.selected.is_none() {
                    self.selected = Some(id);
                }
                self.selected == Some(id)
            }
        }
    }

    /// Routes one event; `origin` says where it came from (asked for only
    /// when needed).
    pub fn on_event(
        &mut self,
        ev: &MarketEvent,
        origin: &dyn Fn() -> Origin,
    ) -> Result<(), RunError> {
        let id = ev.symbol;
        let i = id as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || Slot::Unseen);
        }
        if let Slot::Live(l) = &mut self.slots[i] {
            return l
                .driver
                .on_event(ev)
                .map_err(|e| drive_error(e, origin(), l));
        }
        if matches!(self.slots[i], Slot::Unseen) {
            self.slots[i] = if self.wanted(id) {
                Slot::Pending(Lookahead {
                    events: Vec::new(),
                    first_ts: ev.exchange_ts,
                    mark: false,
                    l2: false,
                })
            } else {
                Slot::Ignored
            };
        }
        let Slot::Pending(la) = &mut self.slots[i] else {
            return Ok(());
        };
        la.mark |= matches!(ev.payload, Payload::Mark { .. });
        la.l2 |= matches!(
            ev.payload,
            Payload::BookLevel { .. } | Payload::BookClear | Payload::OrderAdd { .. }
        );
        la.events.push((*ev, origin()));
        self.held += 1;
        let ready = la.mark
            || la.events.len() >= LOOKAHEAD_EVENTS
            || ev.exchange_ts.saturating_sub(la.first_ts) >= LOOKAHEAD_NS;
        if ready {
            self.start(id)?;
        }
        if self.held >= LOOKAHEAD_TOTAL {
            self.start_all()?;
        }
        Ok(())
    }

    /// Starts every held symbol (replaying what was held).
    pub fn flush(&mut self) -> Result<(), RunError> {
        self.start_all()
    }

    fn start_all(&mut self) -> Result<(), RunError> {
        for i in 0..self.slots.len() {
            if matches!(self.slots[i], Slot::Pending(_)) {
                self.start(i as SymbolId)?;
            }
        }
        Ok(())
    }

    /// Starts the book of a held symbol and replays what was held.
    fn start(&mut self, id: SymbolId) -> Result<(), RunError> {
        let i = id as usize;
        let Slot::Pending(la) = std::mem::replace(&mut self.slots[i], Slot::Ignored) else {
            return Ok(());
        };
        self.held -= la.events.len();
        let key = self.key(id);
        let p = &self.plan;
        let name = match (&p.choice, p.format) {
            (SymbolChoice::Named(n), Format::Lobster) => n.clone(),
            _ => key.symbol.clone(),
        };
        let detected = Detected {
            symbol: Some(name),
            exchange: (p.format == Format::Tardis).then(|| key.venue.clone()),
            mark_stream: la.mark,
            l2: p.format != Format::Tardis || la.l2,
        };
        let spec = match instrument_spec(p.format, &detected, &p.overrides) {
            Ok(s) => s,
            Err(m) if p.choice == SymbolChoice::All => {
                self.slots[i] = Slot::Skipped(m);
                return Ok(());
            }
            Err(m) => return Err(RunError::Usage(m)),
        };
        let population = match &p.population {
            Some((file, text)) => Some(PopulationPlan::parse(text, &spec).map_err(|e| {
                RunError::Input(ReplayError {
                    file: Arc::from(file.as_str()),
                    line: e.line as u64,
                    message: e.message,
                })
            })?),
            None => None,
        };
        let mark = spec.mark.map(|m| m.policy).unwrap_or_default();
        let folder = match (&p.out, &p.choice) {
            (None, _) => None,
            (Some(out), SymbolChoice::All) => {
                let mut f = out.join(folder_name(&key.symbol));
                if self.folders.contains(&f) {
                    f = out.join(folder_name(&format!("{}_{}", key.venue, key.symbol)));
                }
                self.folders.push(f.clone());
                Some(f)
            }
            (Some(out), _) => Some(out.clone()),
        };
        let rows: Box<dyn RowSink> = match &folder {
            Some(f) => Box::new(
                EventsCsv::create(f).map_err(|(path, source)| RunError::Io { path, source })?,
            ),
            None => Box::new(NoRows),
        };
        let cfg = DriverConfig {
            format: p.format,
            spec,
            resilience: p
                .per_symbol_resilience
                .iter()
                .find(|(s, _)| *s == id)
                .map_or(p.resilience, |(_, r)| *r),
            population,
            skip_bad_rows: p.skip_bad_rows,
            quotes_as_book: !detected.l2,
            measure_refill: p.measure_refill,
        };
        let driver = Driver::with_rows(cfg, rows).map_err(|e| RunError::Usage(e.to_string()))?;
        let mut live = Box::new(Live {
            driver,
            folder,
            mark,
        });
        for (ev, origin) in &la.events {
            live.driver
                .on_event(ev)
                .map_err(|e| drive_error(e, origin.clone(), &live))?;
        }
        self.slots[i] = Slot::Live(live);
        Ok(())
    }

    /// Ends the stream: starts what is still held, finishes every book.
    /// `first_file` names the input for "no data" errors.
    pub fn finish(mut self, first_file: &str) -> Result<(Vec<Finished>, Skipped), RunError> {
        self.start_all()?;
        let mut done = Vec::new();
        let mut skipped = Vec::new();
        let slots = std::mem::take(&mut self.slots);
        for (i, slot) in slots.into_iter().enumerate() {
            match slot {
                Slot::Live(l) => {
                    let Live {
                        driver,
                        folder,
                        mark,
                    } = *l;
                    let events = folder.as_ref().map(|f| f.join("events.csv"));
                    let outcome = driver.finish().map_err(|e| match e {
                        DriveError::Output(m) => RunError::Io {
                            path: events.unwrap_or_default(),
                            source: std::io::Error::other(m),
                        },
                        e => RunError::Internal(e.to_string()),
                    })?;
                    done.push(Finished {
                        id: i as SymbolId,
                        outcome,
                        folder,
                        mark,
                    });
                }
                Slot::Skipped(why) => skipped.push((self.key(i as SymbolId).symbol, why)),
                _ => {}
            }
        }
        if done.is_empty() {
            let seen: Vec<String> = self.symbols.all().into_iter().map(|k| k.symbol).collect();
            return Err(match &self.plan.choice {
                SymbolChoice::Named(n) if !seen.is_empty() => RunError::Usage(format!(
                    "--symbol {n}: the input has no rows of it (it holds {})",
                    seen.join(", ")
                )),
                _ if !skipped.is_empty() => RunError::Usage(
                    skipped
                        .iter()
                        .map(|(s, why)| format!("{s}: {why}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                _ => RunError::Input(ReplayError::file(
                    first_file,
                    "holds no market data (no rows besides a header)",
                )),
            });
        }
        Ok((done, skipped))
    }
}

/// A driver error with the file and line of its event.
fn drive_error(e: DriveError, (file, line): Origin, live: &Live) -> RunError {
    match e {
        DriveError::Data(m) | DriveError::Population(m) => {
            RunError::Input(ReplayError::new(&file, line, m))
        }
        DriveError::Output(m) => RunError::Io {
            path: live
                .folder
                .as_ref()
                .map(|f| f.join("events.csv"))
                .unwrap_or_default(),
            source: std::io::Error::other(m),
        },
        DriveError::Internal(m) => RunError::Internal(m),
    }
}
