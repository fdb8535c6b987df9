//! The step loop: after a command has moved prices, run what those moves
//! triggered (liquidations, then stop orders), round after round, until
//! nothing more is triggered. The first round that liquidates someone
//! starts a cascade; every later round with a liquidation is one of its
//! steps. Circuit breakers are applied between steps, and the optional
//! `StepHook` (liquidity response in stress runs) runs there too.
//!
//! Must not: match orders or value accounts itself; it sequences the work
//! of the book, the margin checker and the waterfall, and measures it.

use std::collections::BTreeMap;

use super::metrics::{CascadeMetrics, StepMetrics};
use super::{Engine, PendingLiqs, Trigger, Unit};
use crate::book::{StopRequest, TriggerSource};
use crate::command::Command;
use crate::event::{Event, EventSink, InstrumentIdx};
use crate::margin;
use crate::types::{Money, Price, Qty, Side};

/// Most rounds one command may trigger before the loop is declared stuck.
const MAX_ROUNDS: u64 = 10_000_000;

/// What a `StepHook` sees of one instrument between steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepMarket {
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Best bid.
    pub best_bid: Option<Price>,
    /// Best ask.
    pub best_ask: Option<Price>,
    /// Mark.
    pub mark: Option<Price>,
    /// Halted (by command or breaker).
    pub halted: bool,
}

/// What a `StepHook` sees between two steps of a cascade.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepView {
    /// Cascade number.
    pub cascade: u32,
    /// The step that just ended.
    pub step: u32,
    /// Every instrument, in index order.
    pub markets: Vec<StepMarket>,
}

/// Called between the steps of a cascade; the commands it returns (for
/// example post-only limit orders of the street refilling depth) are run
/// before the next step.
pub trait StepHook: Send {
    /// The step `view.step` of cascade `view.cascade` just ended.
    fn after_step(&mut self, view: &StepView) -> Vec<Command>;
}

/// A cascade under way.
#[derive(Debug)]
pub(super) struct CascadeState {
    /// Cascade number.
    pub number: u32,
    /// Current step.
    pub step: u32,
    /// True once the current round has liquidated someone.
    pub in_step: bool,
    /// Totals per instrument.
    pub insts: BTreeMap<InstrumentIdx, CascadeMetrics>,
    /// The current step, per instrument.
    pub current: BTreeMap<InstrumentIdx, StepMetrics>,
}

impl CascadeState {
    /// Counts a liquidation fill.
    pub fn record_fill(
        &mut self,
        inst: InstrumentIdx,
        side: Side,
        price: Price,
        qty: Qty,
        notional: Money,
    ) {
        if let Some(m) = self.current.get_mut(&inst) {
            m.record_fill(side, price, qty, notional);
        }
    }
}

impl Engine {
    /// Moves the stops of `source` that `price` triggers on `inst` into the
    /// queue of the next round.
    pub(super) fn collect_stops(
        &mut self,
        inst: InstrumentIdx,
        source: TriggerSource,
        price: Price,
    ) {
        if self.markets[inst as usize].halted {
            return;
        }
        let mut buf: Vec<StopRequest> = std::mem::take(&mut self.stop_buf);
        buf.clear();
        self.markets[inst as usize]
            .book
            .trigger_stops(source, price, &mut buf);
        self.pending_stops.extend(buf.drain(..).map(|s| (inst, s)));
        self.stop_buf = buf;
    }

    /// Makes sure the current step measures `inst`, starting the cascade
    /// (and the step) at the first liquidation.
    pub(super) fn ensure_step_metrics(&mut self, inst: InstrumentIdx) {
        let book = &self.markets[inst as usize].book;
        let (bid, ask) = (book.best_bid(), book.best_ask());
        let mark = self.marks.mark(inst);
        let fund = self.funds.insurance(inst);
        let c = self.cascade.get_or_insert_with(|| {
            self.cascades += 1;
            CascadeState {
                number: self.cascades,
                step: 0,
                in_step: false,
                insts: BTreeMap::new(),
                current: BTreeMap::new(),
            }
        });
        if !c.in_step {
            c.in_step = true;
            c.step += 1;
        }
        c.insts
            .entry(inst)
            .or_insert_with(|| CascadeMetrics::new(inst, mark, fund));
        c.current
            .entry(inst)
            .or_insert_with(|| StepMetrics::new(inst, bid, ask, mark, fund));
    }

    /// Liquidation notional filled on `inst` in the current step.
    pub(super) fn step_notional(&self, inst: InstrumentIdx) -> Money {
        self.cascade
            .as_ref()
            .and_then(|c| c.current.get(&inst))
            .map_or(Money::ZERO, |m| m.notional)
    }

    /// (cascade, step) numbers for events.
    pub(super) fn cascade_step(&self) -> (u32, u32) {
        self.cascade.as_ref().map_or((0, 0), |c| (c.number, c.step))
    }

    /// Adds bad debt to the current step.
    pub(super) fn record_bad_debt(&mut self, inst: InstrumentIdx, bad: Money) {
        if let Some(m) = self.cascade.as_mut().and_then(|c| c.current.get_mut(&inst)) {
            m.bad_debt += bad;
        }
    }

    /// Re-keys an account in the trigger index without queuing it.
    pub(super) fn rekey_quiet(&mut self, idx: margin::AccountIdx) {
        let view = margin::Market::new(&self.instruments, &self.marks);
        self.index.update(&mut self.accounts, &view, idx);
    }

    /// Runs rounds of triggered work until none is left, closing each
    /// cascade as it ends (socializing what the funds could not pay, which
    /// may start the next one).
    pub(super) fn settle(&mut self, sink: &mut dyn EventSink) {
        loop {
            self.run_rounds(sink);
            if !self.close_cascade(sink) {
                // A deficit outside any cascade (an isolated position closed
                // by its owner beyond its margin) is socialized at once.
                let deficit = self.funds.take_deficits();
                if deficit > Money::ZERO {
                    self.socialize_deficit(deficit, 0, sink);
                    self.emit_funds(sink);
                }
            }
            if self.pending_liqs.is_empty() && self.pending_stops.is_empty() {
                break;
            }
        }
    }

    /// Runs rounds until nothing is triggered any more.
    fn run_rounds(&mut self, sink: &mut dyn EventSink) {
        let mut rounds = 0u64;
        loop {
            rounds += 1;
            if rounds > MAX_ROUNDS {
                // Every round closes at least a lot or runs a stop once, so
                // this is unreachable unless something is broken; count it
                // (tests assert no faults) rather than spin.
                self.faults += 1;
                self.pending_liqs.clear();
                self.pending_stops.clear();
                break;
            }
            let liqs = std::mem::take(&mut self.pending_liqs);
            let stops = std::mem::take(&mut self.pending_stops);
            if liqs.is_empty() && stops.is_empty() {
                break;
            }
            if let Some(c) = self.cascade.as_mut() {
                c.in_step = false;
                c.current.clear();
            }
            for (unit, trig) in self.round_order(liqs) {
                self.liquidate(unit, trig, sink);
            }
            for (inst, stop) in stops {
                let Some(live) = self.orders.get(&stop.order.id).copied() else {
                    continue;
                };
                self.forget_order(stop.order.id);
                self.emit(sink, Event::Triggered { id: stop.order.id });
                self.submit(inst, &stop.order, live, false, sink);
            }
            self.end_step(sink);
        }
    }

    /// The order a round liquidates its units in: most underwater first
    /// (lowest equity / maintenance, exactly), ties by account id, then by
    /// unit. Sorted by a float key, refined exactly where two keys are too
    /// close to call (`MarginRatio::cmp_keyed`), so the order is the exact
    /// one at a fraction of the cost. Units no longer liquidatable are
    /// skipped later, by `liquidate`.
    fn round_order(&self, liqs: PendingLiqs) -> Vec<(Unit, Trigger)> {
        let view = self.view();
        let mut ranked: Vec<(margin::MarginRatio, u64, Unit, Trigger)> =
            Vec::with_capacity(liqs.len());
        let mut keys: Vec<f64> = Vec::with_capacity(liqs.len());
        for (unit, trig) in liqs {
            let Ok(acct) = self.accounts.account(unit.account) else {
                continue;
            };
            let inst = unit.isolated.unwrap_or(trig.inst);
            let Ok(ratio) = margin::margin_ratio(acct, inst, &view) else {
                continue;
            };
            keys.push(ratio.approx());
            ranked.push((ratio, acct.id(), unit, trig));
        }
        margin::exact_order_by_keys(&keys, |a, b| {
            let (x, y) = (&ranked[a], &ranked[b]);
            x.0.cmp_ratio(&y.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2))
        })
        .into_iter()
        .map(|k| (ranked[k as usize].2, ranked[k as usize].3))
        .collect()
    }

    /// Ends the cascade under way, if any: what the funds could not pay is
    /// charged to the accounts pro rata now, once, whatever the path (paying
    /// may put accounts under maintenance: that is the next cascade), and
    /// the `cascade` events are emitted. False when no cascade ran.
    fn close_cascade(&mut self, sink: &mut dyn EventSink) -> bool {
        let Some(c) = self.cascade.take() else {
            return false;
        };
        let deficit = self.funds.take_deficits();
        if deficit > Money::ZERO {
            self.socialize_deficit(deficit, c.number, sink);
        }
        for (inst, m) in &c.insts {
            let mut report = m.report(c.number, self.marks.mark(*inst));
            report.socialized = deficit;
            self.emit(sink, Event::Cascade(report));
            self.emit_funds(sink);
        }
        true
    }

    /// Charges a fund deficit to the accounts pro rata (`socialize`) and
    /// emits one `socialized` event per account charged.
    fn socialize_deficit(&mut self, deficit: Money, cascade: u32, sink: &mut dyn EventSink) {
        for (account, amount) in self.socialize(deficit) {
            self.emit(
                sink,
                Event::Socialized {
                    cascade,
                    account,
                    amount,
                },
            );
        }
    }

    /// Emits the step events of the round that just ran, applies circuit
    /// breakers, and runs the step hook.
    fn end_step(&mut self, sink: &mut dyn EventSink) {
        let Some(c) = self.cascade.as_mut() else {
            return;
        };
        if !c.in_step {
            return;
        }
        let (number, step) = (c.number, c.step);
        let current = std::mem::take(&mut c.current);
        let mut halts = Vec::new();
        for (inst, m) in &current {
            let mark_after = self.marks.mark(*inst);
            let fund = self.funds.insurance(*inst);
            let report = m.report(number, step, mark_after, fund);
            let c = self.cascade.as_mut().expect("cascade checked above");
            let totals = c
                .insts
                .get_mut(inst)
                .expect("created with the step metrics");
            totals.add_step(m, fund);
            let breaker = self.instruments[*inst as usize].breaker;
            if let (Some(limit), Some(start), Some(now)) =
                (breaker.halt_move, totals.mark_start, mark_after)
            {
                // |now - start| > limit x start, exactly.
                let moved =
                    (now.0 as i128 - start.0 as i128).abs() * crate::types::Rate::ONE.0 as i128;
                if moved > limit.0 as i128 * start.0 as i128 && !self.markets[*inst as usize].halted
                {
                    totals.halted = true;
                    halts.push(*inst);
                }
            }
            self.emit(sink, Event::Step(report));
        }
        for inst in halts {
            self.markets[inst as usize].halted = true;
            self.emit(
                sink,
                Event::Halt {
                    inst,
                    halted: true,
                    reason: "breaker",
                },
            );
            // Liquidations waiting on this instrument wait for `resume`.
            let waiting: Vec<(Unit, Trigger)> = self
                .pending_liqs
                .iter()
                .filter(|(u, t)| u.isolated.unwrap_or(t.inst) == inst)
                .map(|(u, t)| (*u, *t))
                .collect();
            for (u, t) in waiting {
                self.pending_liqs.remove(&u);
                self.parked.insert(u, t);
            }
        }
        if let Some(mut hook) = self.step_hook.take() {
            let view = StepView {
                cascade: number,
                step,
                markets: (0..self.markets.len())
                    .map(|i| {
                        let m = &self.markets[i];
                        StepMarket {
                            inst: i as InstrumentIdx,
                            best_bid: m.book.best_bid(),
                            best_ask: m.book.best_ask(),
                            mark: self.marks.mark(i as InstrumentIdx),
                            halted: m.halted,
                        }
                    })
                    .collect(),
            };
            for cmd in hook.after_step(&view) {
                if let Err(e) = self.apply_inner(&cmd, sink) {
                    self.emit(
                        sink,
                        Event::Error {
                            line: 0,
                            message: format!("step hook: {e}"),
                        },
                    );
                }
            }
            self.step_hook = Some(hook);
        }
    }

    /// `resume`: matching restarts, and liquidations that waited on the
    /// instrument (or that its current mark now triggers) are queued.
    pub(super) fn resume(&mut self, inst: InstrumentIdx) {
        self.markets[inst as usize].halted = false;
        let parked = std::mem::take(&mut self.parked);
        for (u, t) in parked {
            self.pending_liqs.entry(u).or_insert(t);
        }
        if let Some(mark) = self.marks.mark(inst) {
            self.scan_index(inst, mark, None);
            let last = self.markets[inst as usize].last;
            self.collect_stops(inst, TriggerSource::Mark, mark);
            if let Some(p) = last {
                self.collect_stops(inst, TriggerSource::Last, p);
            }
        }
    }
}
