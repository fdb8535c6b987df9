//! The replay driver: applies a stream of [`MarketEvent`]s to the engine,
//! one instrument, with the depletion overlay between history and the
//! book, and measures every historical liquidation and every aggressive
//! order against the book as it stood just before it.
//!
//! Flow per event: book changes (L2 levels, L3 messages folded into level
//! sizes) are applied as street levels, grouped into batches (same
//! exchange and local time); a batch ends at the first event of another
//! time or kind, and then the overlay's recovering levels are refreshed,
//! the book feeds the mark and the engine runs what the batch triggered
//! (`Engine::flush_street`). Trades of one taker (consecutive prints with
//! the same exchange time and aggressor side; LOBSTER executions too) are
//! held until the group ends, measured by a dry-run walk, then applied
//! (prints move last price and mark; executions change levels).
//!
//! Policies: crossed data (a new level at or through the other side):
//! the stale street levels are removed (`uncrossed_levels`); the batch
//! counts as a crossed book (`crossed_books`) when it ends with such a
//! removal that none of its later updates explains (history itself was
//! crossed). Exchange times that go backwards never move the replay
//! clock back (it is the largest exchange time seen); the readers count
//! them (`out_of_order`). A gap removes the street book until the next
//! snapshot; nothing is measured while there is no book. Prices off the
//! tick and sizes off the lot are input errors (or, with `skip_bad_rows`,
//! skipped and counted in `off_grid`).
//!
//! Must not: read files or write outputs; it takes events and returns an
//! outcome.

use smallvec::SmallVec;

use super::accuracy::KindStats;
use super::collector::Collector;
use super::event::{MarketEvent, Payload, TradeKind};
use super::l3::L3Book;
use super::measure::walk;
use super::options::Format;
use super::overlay::{Overlay, Resilience};
use super::population::PopulationPlan;
use super::refill::{RefillReport, RefillTracker};
pub use super::rows::{MeasureRow, RowKind};
use super::rows::{Measured, NoRows, RowSink};
use super::steps::Steps;
use crate::command::Command;
use crate::event::InstrumentIdx;
use crate::instrument::{Instrument, InstrumentSpec, MAX_PRICE_TICKS, MAX_QTY_LOTS};
use crate::liquidation::{Engine, EngineError};
use crate::types::{Decimal, Price, Qty, Ratio, Side};

/// Why the driver stopped: the message (the caller adds file and line).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DriveError {
    /// The data does not fit the instrument (a price off the tick, ...).
    #[error("{0}")]
    Data(String),
    /// The population could not be set up.
    #[error("population: {0}")]
    Population(String),
    /// The engine refused something it should not (a bug).
    #[error("internal: {0}")]
    Internal(String),
    /// A row sink could not take a row (writing `events.csv` failed).
    #[error("writing a row: {0}")]
    Output(String),
}

impl From<EngineError> for DriveError {
    fn from(e: EngineError) -> Self {
        DriveError::Internal(e.to_string())
    }
}

/// What the driver needs to start.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// The input format (LOBSTER folds L3 messages; the others are L2).
    pub format: Format,
    /// The instrument.
    pub spec: InstrumentSpec,
    /// The overlay's resilience.
    pub resilience: Resilience,
    /// The population, if any.
    pub population: Option<PopulationPlan>,
    /// Skip events off the tick or lot instead of stopping.
    pub skip_bad_rows: bool,
    /// Apply top-of-book quotes as a one-level book (inputs with no L2).
    pub quotes_as_book: bool,
    /// Follow how the depth large takers take comes back
    /// (`--measure-resilience`; see `refill`).
    pub measure_refill: bool,
}

/// Data-quality and activity counters of the driver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DriveCounters {
    /// Events applied.
    pub events: u64,
    /// L2 level updates applied (L3 messages count as the level they set).
    pub book_updates: u64,
    /// Historical trade prints.
    pub prints: u64,
    /// Batches that ended crossed in the data itself.
    pub crossed_books: u64,
    /// Stale street levels removed because a new level crossed them.
    pub uncrossed_levels: u64,
    /// New levels that crossed simulated orders on a halted instrument.
    pub blocked_levels: u64,
    /// Events skipped because a price or size was off the tick or lot.
    pub off_grid: u64,
    /// Exchange backstop prints (insurance fund, ADL): measured, never
    /// applied as trades of the book.
    pub backstop_prints: u64,
    /// Orders not measured because there was no book.
    pub unmeasured: u64,
    /// Snapshots applied.
    pub snapshots: u64,
    /// Gaps seen.
    pub gaps: u64,
    /// Events the driver does not use (funding, open interest, quotes
    /// when there is an L2 book, ...).
    pub ignored: u64,
}

/// A mid/mark sample for the charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Replay clock, ns.
    pub ts: i64,
    /// Best bid + best ask.
    pub mid2: Option<i128>,
    /// Mark.
    pub mark: Option<Price>,
}

/// One deferred action of a taker group.
#[derive(Clone, Copy, Debug)]
enum Deferred {
    /// A print at this price.
    Print(Price),
    /// An L3 execution: lots leave order `id` at (side, price).
    Execute(u64, Side, Price, Qty),
    /// An event that does not change the book (a quote, a mark, funding)
    /// between two prints of one taker: applied in its place once the
    /// taker is measured.
    Event(MarketEvent),
}

/// The prints of one taker so far.
#[derive(Debug, Default)]
struct Group {
    key: Option<(i64, Side)>,
    qty: i64,
    px_qty: i128,
    trades: u32,
    actions: Vec<Deferred>,
}

/// Most mid/mark samples kept (halved, by dropping every other one and
/// doubling the interval, when exceeded).
const MAX_SAMPLES: usize = 4096;

/// The replay driver of one instrument.
pub struct Driver {
    engine: Engine,
    inst: InstrumentIdx,
    spec: Instrument,
    tick: Steps,
    lot: Steps,
    format: Format,
    skip_bad_rows: bool,
    quotes_as_book: bool,
    sink: Collector,
    rows: Box<dyn RowSink>,
    measured: Measured,
    refill: Option<RefillTracker>,
    group: Group,
    batch: Option<(i64, Option<i64>)>,
    clock: i64,
    in_snapshot: bool,
    ready: bool,
    stale: SmallVec<[(Side, Price); 4]>,
    l3: L3Book,
    quote: [Option<Price>; 2],
    counters: DriveCounters,
    samples: Vec<Sample>,
    sample_every: i64,
    population: Option<PopulationPlan>,
    first_ready: Option<i64>,
    placed_at: Option<i64>,
    placed_price: Option<Price>,
    shocks_sent: Vec<SentShock>,
    first_ts: Option<i64>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("symbol", &self.spec.symbol)
            .field("clock", &self.clock)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

/// Index of a side in two-element arrays.
fn si(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

impl Driver {
    /// A driver with a fresh engine holding the instrument; measured rows
    /// are only summed (see [`Driver::with_rows`]).
    pub fn new(cfg: DriverConfig) -> Result<Driver, DriveError> {
        Driver::with_rows(cfg, Box::new(NoRows))
    }

    /// A driver that hands every measured row to `rows` as it is measured.
    pub fn with_rows(cfg: DriverConfig, rows: Box<dyn RowSink>) -> Result<Driver, DriveError> {
        let spec =
            Instrument::new(&cfg.spec).map_err(|e| DriveError::Data(format!("instrument: {e}")))?;
        let (Some(tick), Some(lot)) = (Steps::new(spec.tick), Steps::new(spec.lot)) else {
            return Err(DriveError::Data("tick and lot must fit 18 digits".into()));
        };
        let mut engine = Engine::new();
        let mut sink = Collector::new(Overlay::new(cfg.resilience));
        engine.apply(&Command::Instrument(cfg.spec.clone()), &mut sink)?;
        Ok(Driver {
            engine,
            inst: 0,
            spec,
            tick,
            lot,
            format: cfg.format,
            skip_bad_rows: cfg.skip_bad_rows,
            quotes_as_book: cfg.quotes_as_book,
            sink,
            rows,
            measured: Measured::default(),
            refill: cfg.measure_refill.then(RefillTracker::new),
            group: Group::default(),
            batch: None,
            clock: i64::MIN,
            in_snapshot: false,
            ready: false,
            stale: SmallVec::new(),
            l3: L3Book::new(),
            quote: [None, None],
            counters: DriveCounters::default(),
            samples: Vec::new(),
            sample_every: 100_000_000,
            population: cfg.population,
            first_ready: None,
            placed_at: None,
            placed_price: None,
            shocks_sent: Vec::new(),
            first_ts: None,
        })
    }

    /// The engine (read only).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The instrument.
    pub fn instrument(&self) -> &Instrument {
        &self.spec
    }

    /// The counters so far.
    pub fn counters(&self) -> DriveCounters {
        self.counters
    }

    /// The replay clock (largest exchange time seen), ns.
    pub fn clock(&self) -> i64 {
        self.clock
    }

    fn price(&self, d: Decimal) -> Result<Option<Price>, DriveError> {
        match self.tick.of(d) {
            Some(t) if t > 0 && t <= MAX_PRICE_TICKS => Ok(Some(Price(t))),
            _ if self.skip_bad_rows => Ok(None),
            _ => Err(DriveError::Data(format!(
                "price {d} is not a positive multiple of the tick {} (give --tick)",
                self.spec.tick
            ))),
        }
    }

    /// A price the exchange computes (mark, index): rounded to the nearest
    /// tick, halves up, since it is not on the tick grid.
    fn computed_price(&self, d: Decimal) -> Result<Option<Price>, DriveError> {
        match self.tick.nearest(d) {
            Some(t) if t > 0 && t <= MAX_PRICE_TICKS => Ok(Some(Price(t))),
            _ if self.skip_bad_rows => Ok(None),
            _ => Err(DriveError::Data(format!(
                "price {d} is not positive or too large for the tick {}",
                self.spec.tick
            ))),
        }
    }

    fn qty(&self, d: Decimal) -> Result<Option<Qty>, DriveError> {
        match self.lot.of(d) {
            Some(l) if (0..=MAX_QTY_LOTS).contains(&l) => Ok(Some(Qty(l))),
            _ if self.skip_bad_rows => Ok(None),
            _ => Err(DriveError::Data(format!(
                "size {d} is not a multiple of the lot {} (give --lot)",
                self.spec.lot
            ))),
        }
    }

    /// Both converted, or `None` (counted) when skipping bad rows.
    #[inline]
    fn price_qty(&mut self, p: Decimal, q: Decimal) -> Result<Option<(Price, Qty)>, DriveError> {
        match (self.price(p)?, self.qty(q)?) {
            (Some(p), Some(q)) => Ok(Some((p, q))),
            _ => {
                self.counters.off_grid += 1;
                Ok(None)
            }
        }
    }

    /// Applies one market event.
    pub fn on_event(&mut self, ev: &MarketEvent) -> Result<(), DriveError> {
        self.counters.events += 1;
        let ts = ev.exchange_ts;
        if ts > self.clock {
            self.clock = ts;
            if let Some(r) = &mut self.refill {
                if !r.is_idle() {
                    r.advance(ts);
                }
            }
        }
        self.first_ts.get_or_insert(ts);
        match ev.payload {
            Payload::BookLevel { side, price, qty } => {
                self.book_change(ev)?;
                if let Some((p, q)) = self.price_qty(price, qty)? {
                    let q = if self.format == Format::Lobster {
                        self.l3.seed(side, p, q)
                    } else {
                        q
                    };
                    self.level(side, p, q)?;
                }
            }
            Payload::OrderAdd {
                id,
                side,
                price,
                qty,
            } => {
                self.book_change(ev)?;
                self.l3_message();
                if let Some((p, q)) = self.price_qty(price, qty)? {
                    let ((s, lp, total), old) = self.l3.add(id, side, p, q);
                    if let Some((os, op, oq)) = old {
                        self.level(os, op, oq)?;
                    }
                    self.level(s, lp, total)?;
                }
            }
            Payload::OrderReduce {
                id,
                side,
                price,
                qty,
            }
            | Payload::OrderDelete {
                id,
                side,
                price,
                qty,
            } => {
                self.book_change(ev)?;
                self.l3_message();
                let delete = matches!(ev.payload, Payload::OrderDelete { .. });
                if let Some((p, q)) = self.price_qty(price, qty)? {
                    let (s, lp, total) = self.l3.remove(id, side, p, q, delete);
                    self.level(s, lp, total)?;
                }
            }
            Payload::Trade {
                aggressor,
                price,
                qty,
                kind: TradeKind::InsuranceFund | TradeKind::Adl,
                ..
            } => {
                self.settle_pending()?;
                self.backstop(ev, aggressor, price, qty)?;
            }
            Payload::Trade {
                aggressor,
                price,
                qty,
                ..
            } => {
                self.close_batch()?;
                if let Some((p, q)) = self.price_qty(price, qty)? {
                    self.print(ts, aggressor, p, q, None)?;
                }
            }
            Payload::OrderExecute {
                id,
                side,
                price,
                qty,
            } => {
                self.close_batch()?;
                self.l3_message();
                if let Some((p, q)) = self.price_qty(price, qty)? {
                    self.print(ts, Some(side.opposite()), p, q, Some((id, side)))?;
                }
            }
            Payload::HiddenExecute { side, price, qty } => {
                self.close_batch()?;
                if let Some((p, q)) = self.price_qty(price, qty)? {
                    self.print(ts, Some(side.opposite()), p, q, None)?;
                }
            }
            _ if self.group.key.is_some() && self.book_neutral(&ev.payload) => {
                self.group.actions.push(Deferred::Event(*ev));
            }
            _ => {
                self.settle_pending()?;
                self.recover()?;
                self.other(ev)?;
                self.due()?;
            }
        }
        Ok(())
    }

    /// True for events that do not change the book: they may come between
    /// the prints of one taker without ending it.
    fn book_neutral(&self, p: &Payload) -> bool {
        match p {
            Payload::Quote { .. } => !self.quotes_as_book,
            Payload::Mark { .. }
            | Payload::Index { .. }
            | Payload::Funding { .. }
            | Payload::OpenInterest { .. } => true,
            _ => false,
        }
    }

    /// An exchange backstop print (insurance fund, ADL): measured as a row
    /// of its own kind against the book as it stands, never applied as a
    /// trade (it did not happen in the book). Its side is the close it
    /// made: a buy when above the mid (a short taken over), a sell below;
    /// with no mid, the side the data gives.
    fn backstop(
        &mut self,
        ev: &MarketEvent,
        aggressor: Option<Side>,
        price: Decimal,
        qty: Decimal,
    ) -> Result<(), DriveError> {
        let kind = match ev.payload {
            Payload::Trade {
                kind: TradeKind::Adl,
                ..
            } => RowKind::Adl,
            _ => RowKind::InsuranceFund,
        };
        self.counters.backstop_prints += 1;
        let (Some(q), Some(rep)) = (self.qty(qty)?, self.tick.ratio(price)) else {
            self.counters.off_grid += 1;
            return Ok(());
        };
        let book = &self.engine.market(self.inst).book;
        let side = match (book.best_bid(), book.best_ask()) {
            (Some(b), Some(a)) => {
                // price > mid  <=>  2 num > (b + a) den
                if 2 * rep.num > (b.0 as i128 + a.0 as i128) * rep.den {
                    Side::Buy
                } else {
                    Side::Sell
                }
            }
            _ => aggressor.unwrap_or(Side::Buy),
        };
        self.measure(kind, ev.exchange_ts, side, q, 1, Some(rep))
    }

    /// Seeds `qty` lots of anonymous liquidity at (`side`, `price`) (a
    /// LOBSTER level coming into view from beyond the file's depth).
    pub fn seed_level(&mut self, side: Side, price: Price, qty: Qty) -> Result<(), DriveError> {
        let total = self.l3.seed(side, price, qty);
        self.level(side, price, total)
    }

    /// Forgets the level at (`side`, `price`): the book and the L3 orders
    /// there (a LOBSTER level that left the file's depth, where its
    /// messages stop).
    pub fn forget_level(&mut self, side: Side, price: Price) -> Result<(), DriveError> {
        self.l3.forget(side, price);
        self.level(side, price, Qty::ZERO)
    }

    /// Ends whatever is open (taker group, batch): after it the engine
    /// reflects every event so far.
    pub fn settle_pending(&mut self) -> Result<(), DriveError> {
        self.close_group()?;
        self.close_batch()
    }

    /// An L3 message: a message file read without its starting book
    /// builds the book from empty, which is then all there is to know.
    #[inline]
    fn l3_message(&mut self) {
        if !self.ready && !self.in_snapshot && self.counters.snapshots == 0 {
            self.ready = true;
        }
    }

    /// A book change is coming: the taker group ends, and a new batch
    /// starts when the time changed.
    #[inline]
    fn book_change(&mut self, ev: &MarketEvent) -> Result<(), DriveError> {
        if self.group.key.is_some() {
            self.close_group()?;
        }
        let key = (ev.exchange_ts, ev.local_ts);
        if self.batch != Some(key) {
            self.close_batch()?;
            self.batch = Some(key);
        }
        Ok(())
    }

    /// History sets the level at (`side`, `price`) to `hist` lots.
    #[inline]
    fn level(&mut self, side: Side, price: Price, hist: Qty) -> Result<(), DriveError> {
        self.counters.book_updates += 1;
        if let Some(r) = &mut self.refill {
            if !r.is_idle() {
                r.on_level(side, price, hist.0, self.clock);
            }
        }
        if !self.stale.is_empty() {
            self.stale.retain(|s| *s != (side, price));
        }
        let book = &self.engine.market(self.inst).book;
        let opposite = side.opposite();
        let best = match opposite {
            Side::Buy => book.best_bid(),
            Side::Sell => book.best_ask(),
        };
        let crosses = |p: Price| match side {
            Side::Buy => p <= price,
            Side::Sell => p >= price,
        };
        let shown = self.sink.overlay.historical(side, price, hist, self.clock);
        if shown.0 > 0 && best.is_some_and(crosses) {
            let crossed: SmallVec<[Price; 8]> = book
                .levels(opposite)
                .map(|(p, _)| p)
                .take_while(|&p| crosses(p))
                .collect();
            for p in crossed {
                if self.engine.street_level(self.inst, opposite, p).0 > 0 {
                    self.stale.push((opposite, p));
                }
            }
        }
        self.sink.now = self.clock;
        let out = self
            .engine
            .set_street_level(self.inst, side, price, shown, &mut self.sink)?;
        self.counters.uncrossed_levels += out.uncrossed as u64;
        self.counters.blocked_levels += out.blocked as u64;
        Ok(())
    }

    /// A trade print (or L3 execution `exec`: order id and its side).
    fn print(
        &mut self,
        ts: i64,
        aggressor: Option<Side>,
        price: Price,
        qty: Qty,
        exec: Option<(u64, Side)>,
    ) -> Result<(), DriveError> {
        self.counters.prints += 1;
        let Some(side) = aggressor else {
            self.close_group()?;
            self.group.actions.push(Deferred::Print(price));
            return self.close_group();
        };
        if self.group.key != Some((ts, side)) {
            self.close_group()?;
            self.recover()?;
            self.group.key = Some((ts, side));
        }
        let g = &mut self.group;
        g.qty = g.qty.saturating_add(qty.0);
        g.px_qty = g.px_qty.saturating_add(price.0 as i128 * qty.0 as i128);
        g.trades += 1;
        if let Some((id, s)) = exec {
            g.actions.push(Deferred::Execute(id, s, price, qty));
        }
        g.actions.push(Deferred::Print(price));
        Ok(())
    }

    /// Measures an order of `side` and `qty` against the book as it is.
    fn measure(
        &mut self,
        kind: RowKind,
        ts: i64,
        side: Side,
        qty: Qty,
        trades: u32,
        reported: Option<Ratio>,
    ) -> Result<(), DriveError> {
        let book = &self.engine.market(self.inst).book;
        let (bid, ask) = (book.best_bid(), book.best_ask());
        let opposite_empty = match side {
            Side::Buy => ask.is_none(),
            Side::Sell => bid.is_none(),
        };
        if !self.ready || opposite_empty || qty.0 <= 0 {
            self.counters.unmeasured += 1;
            return Ok(());
        }
        let mid2 = match (bid, ask) {
            (Some(b), Some(a)) => Some(b.0 as i128 + a.0 as i128),
            _ => None,
        };
        let row = MeasureRow {
            kind,
            ts,
            side,
            qty,
            trades,
            reported,
            mid2,
            mark: self.engine.mark_of(self.inst),
            walk: walk(book, side, qty, mid2),
        };
        if kind == RowKind::Taker {
            if let Some(r) = &mut self.refill {
                refill_start(r, book, side, qty, ts);
            }
        }
        self.measured.add(&row);
        self.rows
            .row(&row, &self.spec)
            .map_err(|e| DriveError::Output(e.to_string()))
    }

    /// Ends the taker group: measures it, then applies its prints and
    /// executions.
    fn close_group(&mut self) -> Result<(), DriveError> {
        if self.group.actions.is_empty() && self.group.key.is_none() {
            return Ok(());
        }
        if let Some((ts, side)) = self.group.key {
            let g = &self.group;
            let reported = (g.qty > 0).then(|| Ratio::new(g.px_qty, g.qty as i128));
            let (qty, trades) = (Qty(g.qty), g.trades);
            self.measure(RowKind::Taker, ts, side, qty, trades, reported)?;
        }
        let actions = std::mem::take(&mut self.group.actions);
        let mut levels = false;
        self.sink.now = self.clock;
        for a in &actions {
            match *a {
                Deferred::Execute(id, side, price, qty) => {
                    let (s, p, total) = self.l3.remove(id, side, price, qty, false);
                    self.level(s, p, total)?;
                    levels = true;
                }
                Deferred::Print(price) => {
                    if levels {
                        self.engine.flush_street(self.inst, &mut self.sink)?;
                        levels = false;
                    }
                    self.engine
                        .external_trade(self.inst, price, &mut self.sink)?;
                }
                Deferred::Event(ev) => {
                    if levels {
                        self.engine.flush_street(self.inst, &mut self.sink)?;
                        levels = false;
                    }
                    self.recover()?;
                    self.other(&ev)?;
                    self.sink.now = self.clock;
                }
            }
        }
        if levels {
            self.engine.flush_street(self.inst, &mut self.sink)?;
        }
        self.group = Group {
            actions,
            ..Group::default()
        };
        self.group.actions.clear();
        self.absorb();
        self.due()
    }

    /// Ends the batch of book changes.
    fn close_batch(&mut self) -> Result<(), DriveError> {
        if self.batch.take().is_none() || self.in_snapshot {
            return Ok(());
        }
        if !self.stale.is_empty() {
            self.counters.crossed_books += 1;
            self.stale.clear();
        }
        self.sink.now = self.clock;
        self.refresh_overlay()?;
        self.engine.flush_street(self.inst, &mut self.sink)?;
        self.absorb();
        self.sample(false);
        self.due()
    }

    /// Outside a batch: depleted depth that recovered by now comes back,
    /// and the engine runs what that triggers.
    #[inline]
    fn recover(&mut self) -> Result<(), DriveError> {
        if !self.sink.overlay.recovers() || self.in_snapshot {
            return Ok(());
        }
        self.sink.now = self.clock;
        self.refresh_overlay()?;
        self.engine.flush_street(self.inst, &mut self.sink)?;
        self.absorb();
        Ok(())
    }

    /// Restores what recovered of depleted levels.
    fn refresh_overlay(&mut self) -> Result<(), DriveError> {
        if !self.sink.overlay.recovers() {
            return Ok(());
        }
        let mut set: SmallVec<[(Side, Price, Qty); 16]> = SmallVec::new();
        self.sink
            .overlay
            .refresh(self.clock, |s, p, q| set.push((s, p, q)));
        for (s, p, q) in set {
            let out = self
                .engine
                .set_street_level(self.inst, s, p, q, &mut self.sink)?;
            self.counters.uncrossed_levels += out.uncrossed as u64;
        }
        Ok(())
    }

    /// Turns fills against street levels into depletion (and samples the
    /// book they moved).
    #[inline]
    fn absorb(&mut self) {
        if self.sink.overlay.has_pending() {
            self.sample(true);
            let (engine, inst) = (&self.engine, self.inst);
            self.sink
                .overlay
                .absorb(self.clock, |s, p| engine.street_level(inst, s, p));
        }
    }

    /// Records a mid/mark sample when the interval has passed, or at once
    /// when `force` (after simulated activity, so the charts show it).
    fn sample(&mut self, force: bool) {
        if let Some(last) = self.samples.last() {
            if !force && self.clock < last.ts.saturating_add(self.sample_every) {
                return;
            }
        }
        let book = &self.engine.market(self.inst).book;
        let mid2 = match (book.best_bid(), book.best_ask()) {
            (Some(b), Some(a)) => Some(b.0 as i128 + a.0 as i128),
            _ => None,
        };
        self.samples.push(Sample {
            ts: self.clock,
            mid2,
            mark: self.engine.mark_of(self.inst),
        });
        if self.samples.len() > MAX_SAMPLES {
            let kept: Vec<Sample> = self.samples.iter().step_by(2).copied().collect();
            self.samples = kept;
            self.sample_every = self.sample_every.saturating_mul(2);
        }
    }

    /// Events that are neither book changes nor prints.
    fn other(&mut self, ev: &MarketEvent) -> Result<(), DriveError> {
        self.sink.now = self.clock;
        match ev.payload {
            Payload::BookClear => {
                self.engine.clear_street(self.inst)?;
                self.sink.overlay.begin_snapshot();
                self.l3.clear();
                self.in_snapshot = true;
                self.ready = false;
                self.quote = [None, None];
            }
            Payload::SnapshotEnd => {
                self.in_snapshot = false;
                self.sink.overlay.end_snapshot();
                self.counters.snapshots += 1;
                self.ready = true;
                self.batch = Some((ev.exchange_ts, ev.local_ts));
                self.close_batch()?;
            }
            Payload::Gap => {
                self.engine.clear_street(self.inst)?;
                self.counters.gaps += 1;
                self.ready = false;
                self.in_snapshot = false;
            }
            Payload::Quote { bid, ask } if self.quotes_as_book => {
                for (side, pq) in [(Side::Buy, bid), (Side::Sell, ask)] {
                    let new = match pq {
                        Some(pq) => self.price_qty(pq.price, pq.qty)?,
                        None => None,
                    };
                    if let Some(old) = self.quote[si(side)] {
                        if new.is_none_or(|(p, _)| p != old) {
                            self.level(side, old, Qty::ZERO)?;
                        }
                    }
                    if let Some((p, q)) = new {
                        self.level(side, p, q)?;
                    }
                    self.quote[si(side)] = new.map(|(p, _)| p);
                }
                self.ready = self.quote[0].is_some() && self.quote[1].is_some();
                self.batch = Some((ev.exchange_ts, ev.local_ts));
                self.close_batch()?;
            }
            Payload::Mark { price } => {
                if let Some(p) = self.computed_price(price)? {
                    self.engine.external_mark(self.inst, p, &mut self.sink)?;
                }
            }
            Payload::Index { price } => {
                if let Some(p) = self.computed_price(price)? {
                    self.engine.external_index(self.inst, p, &mut self.sink)?;
                }
            }
            Payload::Liquidation {
                side,
                price,
                qty,
                avg_price,
                filled_qty,
            } => {
                // The exchange's average fill price and filled quantity
                // where it publishes them (Binance `ap`, `z`), else the
                // order's price and quantity.
                let reported = avg_price.filter(|a| !a.is_zero()).unwrap_or(price);
                let qty = filled_qty.filter(|q| !q.is_zero()).unwrap_or(qty);
                if let Some(q) = self.qty(qty)? {
                    // The reported price in ticks, exactly (it may be off the tick).
                    let rep = self.tick.ratio(reported);
                    self.measure(RowKind::Liquidation, ev.exchange_ts, side, q, 0, rep)?;
                } else {
                    self.counters.off_grid += 1;
                }
            }
            Payload::Cross { price, .. } => {
                if let Some(p) = self.price(price)? {
                    self.counters.prints += 1;
                    self.engine.external_trade(self.inst, p, &mut self.sink)?;
                }
            }
            Payload::Halt => {
                self.engine.apply(
                    &Command::Halt {
                        symbol: self.spec.symbol.clone(),
                    },
                    &mut self.sink,
                )?;
            }
            Payload::Resume => {
                self.engine.apply(
                    &Command::Resume {
                        symbol: self.spec.symbol.clone(),
                    },
                    &mut self.sink,
                )?;
            }
            _ => self.counters.ignored += 1,
        }
        self.absorb();
        Ok(())
    }

    /// Places the population and sends shocks when their time has come.
    fn due(&mut self) -> Result<(), DriveError> {
        let Some(plan) = &self.population else {
            return Ok(());
        };
        if self.batch.is_some() || self.group.key.is_some() || self.in_snapshot {
            return Ok(());
        }
        if self.ready && self.first_ready.is_none() {
            self.first_ready = Some(self.clock);
        }
        let book = &self.engine.market(self.inst).book;
        if self.placed_at.is_none() {
            let Some(first) = self.first_ready else {
                return Ok(());
            };
            let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) else {
                return Ok(());
            };
            if !self.ready || self.clock < first.saturating_add(plan.start) {
                return Ok(());
            }
            // The mid, half up to a tick.
            let price = Price(((b.0 as i128 + a.0 as i128 + 1) / 2) as i64);
            let cmds = plan.commands(price);
            self.sink.now = self.clock;
            for c in &cmds {
                self.engine
                    .apply(c, &mut self.sink)
                    .map_err(|e| DriveError::Population(e.to_string()))?;
            }
            self.placed_at = Some(self.clock);
            self.placed_price = Some(price);
            self.absorb();
            self.sample(true);
        }
        while let Some(placed) = self.placed_at {
            let Some(plan) = &self.population else { break };
            let Some(shock) = plan.shocks.get(self.shocks_sent.len()) else {
                break;
            };
            if self.clock < placed.saturating_add(shock.at) {
                break;
            }
            let Some(cmd) = plan.shock_order(self.shocks_sent.len()) else {
                break;
            };
            self.shocks_sent.push(SentShock {
                ts: self.clock,
                side: shock.side,
                qty: shock.qty,
            });
            self.sink.now = self.clock;
            self.engine
                .apply(&cmd, &mut self.sink)
                .map_err(|e| DriveError::Population(e.to_string()))?;
            self.absorb();
            self.sample(true);
        }
        Ok(())
    }

    /// Ends the replay: closes what is open and returns what happened.
    pub fn finish(mut self) -> Result<DriveOutcome, DriveError> {
        self.settle_pending()?;
        self.rows
            .close()
            .map_err(|e| DriveError::Output(e.to_string()))?;
        self.sample(false);
        let consistency = self.engine.check_consistency().err();
        let residual = self.engine.conservation_residual();
        let kinds = RowKind::ALL.map(|k| self.measured.kind(k).clone());
        Ok(DriveOutcome {
            spec: self.spec,
            rows: self.measured.into_sample(),
            kinds,
            refill: self.refill.map(RefillTracker::finish),
            steps: self.sink.steps,
            liquidations: self.sink.liquidations,
            cascades: self.sink.cascades,
            simulated_fills: self.sink.simulated_fills,
            adl_events: self.sink.adl,
            rejected: self.sink.rejected,
            depth_taken: self.sink.overlay.taken(),
            resilience: self.sink.overlay.resilience(),
            counters: self.counters,
            samples: self.samples,
            first_ts: self.first_ts,
            last_ts: (self.clock != i64::MIN).then_some(self.clock),
            placed_at: self.placed_at,
            placed_price: self.placed_price,
            shocks: self.shocks_sent,
            accounts: self.engine.accounts().len().saturating_sub(1),
            insurance_end: self.engine.insurance_fund(self.inst),
            socialized_loss: self.engine.socialized_loss(),
            residual,
            consistency,
            l3: self.l3.anomalies(),
        })
    }
}

impl DriveOutcome {
    /// The totals of one row kind.
    pub fn kind(&self, k: RowKind) -> &KindStats {
        &self.kinds[RowKind::ALL.iter().position(|x| *x == k).unwrap_or(0)]
    }
}

/// Starts a refill event when a taker of `qty` lots on `side` empties at
/// least the best level it meets: the levels it takes from, with their
/// sizes before and what it takes.
fn refill_start(
    r: &mut RefillTracker,
    book: &crate::book::OrderBook,
    side: Side,
    qty: Qty,
    ts: i64,
) {
    let mut left = qty.0;
    let mut takes: SmallVec<[(Price, i64, i64); 8]> = SmallVec::new();
    for (p, q) in book.levels(side.opposite()) {
        if left <= 0 {
            break;
        }
        let take = left.min(q.0);
        takes.push((p, q.0, take));
        left -= take;
    }
    if takes
        .first()
        .is_some_and(|&(_, before, taken)| taken >= before)
    {
        r.start(side.opposite(), ts, &takes);
    }
}

/// A street market order the population file sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentShock {
    /// When, ns.
    pub ts: i64,
    /// Its side.
    pub side: Side,
    /// Its quantity, lots.
    pub qty: Qty,
}

/// Everything a replay produced, for the outputs.
#[derive(Clone, Debug)]
pub struct DriveOutcome {
    /// The instrument.
    pub spec: Instrument,
    /// Measured orders, in time order: every row while there are at most
    /// [`super::rows::CHART_ROWS`] of a kind, else an even sample of them
    /// (the row sink got them all; [`DriveOutcome::kind`] has the totals).
    pub rows: Vec<MeasureRow>,
    /// Totals per row kind, in [`RowKind::ALL`] order.
    pub kinds: [KindStats; 4],
    /// The refill measurement (`--measure-resilience`).
    pub refill: Option<RefillReport>,
    /// Cascade steps of the population.
    pub steps: Vec<super::collector::TimedStep>,
    /// Liquidations of the population.
    pub liquidations: Vec<(i64, crate::event::LiquidationReport)>,
    /// Finished cascades.
    pub cascades: Vec<(i64, crate::event::CascadeReport)>,
    /// Fills involving a simulated account.
    pub simulated_fills: u64,
    /// Auto-deleveraging events.
    pub adl_events: u64,
    /// Refused orders.
    pub rejected: u64,
    /// Lots simulated orders took from historical depth.
    pub depth_taken: i128,
    /// The overlay's resilience.
    pub resilience: Resilience,
    /// The driver's counters.
    pub counters: DriveCounters,
    /// Mid/mark samples.
    pub samples: Vec<Sample>,
    /// First exchange time, ns.
    pub first_ts: Option<i64>,
    /// Last replay clock, ns.
    pub last_ts: Option<i64>,
    /// When the population was placed.
    pub placed_at: Option<i64>,
    /// The price its entries were drawn around.
    pub placed_price: Option<Price>,
    /// Shock orders sent.
    pub shocks: Vec<SentShock>,
    /// Accounts in the engine (the street left out).
    pub accounts: usize,
    /// Insurance fund at the end.
    pub insurance_end: crate::types::Money,
    /// Losses socialized.
    pub socialized_loss: crate::types::Money,
    /// The conservation residual (zero unless something is broken).
    pub residual: crate::types::Money,
    /// The first broken engine invariant, if any.
    pub consistency: Option<String>,
    /// L3 messages the data did not explain.
    pub l3: super::l3::L3Anomalies,
}
