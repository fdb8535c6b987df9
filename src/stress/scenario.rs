//! One scenario: a fresh engine, the markets, funds, starting books and
//! population of a grid point set up, then the shock path run step by step
//! with the liquidity response between steps (and, through the engine's
//! `StepHook`, between the steps of a cascade), and what happened measured.
//!
//! Setup order: instruments, insurance funds, the
//! starting books, the population, then index and mark at the starting
//! price (the first mark checks every position: accounts already under
//! maintenance margin are liquidated there and counted apart, as
//! `setup_liquidations`, never as part of the shock).
//!
//! Owns: the setup and path loop, and `Outcome`, the raw measurements.
//!
//! Must not: format results for files (`record.rs` does), share anything
//! with another scenario, or read a clock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::book_profile::StartingBook;
use super::liquidity::{Maker, MakerMarket, Quote};
use super::point::{MarketPlan, Point};
use super::shock::{actions_at, Action};
use crate::command::Command;
use crate::event::{Event, EventSink, InstrumentIdx};
use crate::instrument::Instrument;
use crate::liquidation::{Engine, StepHook, StepView};
use crate::population::Population;
use crate::types::{AccountId, Money, Price};

/// A scenario that could not run: the engine refused a setup or shock
/// command (a bug or a config the checks let through), or broke.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScenarioError(pub String);

/// What one scenario did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Liquidations at setup (accounts under maintenance at the start).
    pub setup_liquidations: u32,
    /// Cascades during the path.
    pub cascades: u32,
    /// Cascade steps during the path (summed over cascades).
    pub steps: u32,
    /// Distinct accounts liquidated (at least partly) during the path.
    pub accounts_liquidated: u32,
    /// Liquidation events during the path.
    pub liquidations: u32,
    /// Liquidation events on instruments no shock hit.
    pub unshocked_liquidations: u32,
    /// Notional the liquidation orders filled in the book.
    pub liquidated_notional: Money,
    /// Starting price of the primary (first shocked) market.
    pub mark_start: Price,
    /// Its mark after the last path step.
    pub mark_end: Option<Price>,
    /// Insurance funds in total after setup.
    pub insurance_start: Money,
    /// Lowest total seen during the path.
    pub insurance_low: Money,
    /// Bad debt.
    pub bad_debt: Money,
    /// Notional auto-deleveraged (at the ADL prices).
    pub adl_notional: Money,
    /// Socialized loss.
    pub socialized_loss: Money,
    /// Path steps up to the last one with a liquidation (0: none).
    pub stabilise_steps: u32,
    /// Breaker halts.
    pub halts: u32,
    /// The engine's conservation residual at the end.
    pub conservation_residual: Money,
    /// One row per cascade step (see `record::step_columns`, without the
    /// scenario id).
    pub step_rows: Vec<Vec<String>>,
}

pub use crate::report::steps::money_text;

/// Locks the maker; a poisoned lock (a panic elsewhere while it was held)
/// still holds a consistent ledger, since no method panics midway.
fn lock(m: &Mutex<Maker>) -> MutexGuard<'_, Maker> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Collects what the engine reports.
struct Sink {
    maker: Arc<Mutex<Maker>>,
    /// `None` during setup, else the path step.
    step: Option<u32>,
    shocked: Vec<bool>,
    own_fund: Vec<bool>,
    funds: Vec<Money>,
    shared_fund: Money,
    out: Outcome,
    liquidated: BTreeSet<AccountId>,
    cascade_steps: BTreeMap<u32, u32>,
    errors: Vec<String>,
}

impl Sink {
    fn fund_total(&self) -> Money {
        let own: Money = self
            .funds
            .iter()
            .zip(&self.own_fund)
            .filter(|(_, o)| **o)
            .map(|(m, _)| *m)
            .sum();
        own + self.shared_fund
    }
}

impl EventSink for Sink {
    fn emit(&mut self, event: &Event, instruments: &[Instrument]) {
        if matches!(
            event,
            Event::Fill { .. } | Event::Canceled { .. } | Event::Rejected { .. }
        ) {
            lock(&self.maker).on_event(event);
        }
        let Some(t) = self.step else {
            if matches!(event, Event::Liquidation(_)) {
                self.out.setup_liquidations += 1;
            }
            if let Event::Error { message, .. } = event {
                self.errors.push(message.clone());
            }
            return;
        };
        match event {
            Event::Liquidation(l) => {
                self.out.liquidations += 1;
                if !self.shocked.get(l.inst as usize).copied().unwrap_or(true) {
                    self.out.unshocked_liquidations += 1;
                }
                self.liquidated.insert(l.account);
                self.out.bad_debt += l.bad_debt;
                self.out.stabilise_steps = t + 1;
            }
            Event::Adl(a) => {
                if let Some(inst) = instruments.get(a.inst as usize) {
                    self.out.adl_notional += inst.notional(a.qty, a.price);
                }
            }
            Event::Step(s) => {
                let e = self.cascade_steps.entry(s.cascade).or_insert(0);
                *e = (*e).max(s.step);
                self.out.liquidated_notional += s.notional;
                let i = s.inst as usize;
                if self.own_fund.get(i).copied().unwrap_or(false) {
                    self.funds[i] = s.insurance_after;
                } else {
                    self.shared_fund = s.insurance_after;
                }
                let total = self.fund_total();
                self.out.insurance_low = self.out.insurance_low.min(total);
                if let Some(inst) = instruments.get(i) {
                    self.out.step_rows.push(step_row(t, s, inst));
                }
            }
            Event::Halt {
                halted: true,
                reason: "breaker",
                ..
            } => self.out.halts += 1,
            Event::Error { message, .. } => self.errors.push(message.clone()),
            _ => {}
        }
    }
}

/// A `steps.csv` row (without the scenario id) from a `step` event.
fn step_row(t: u32, s: &crate::event::StepReport, inst: &Instrument) -> Vec<String> {
    let mut row = vec![t.to_string()];
    row.extend(crate::report::steps::step_cells(s, inst));
    row
}

/// The liquidity response between cascade steps.
struct Hook {
    maker: Arc<Mutex<Maker>>,
}

impl StepHook for Hook {
    fn after_step(&mut self, view: &StepView) -> Vec<Command> {
        let quotes: Vec<Quote> = view
            .markets
            .iter()
            .map(|m| Quote {
                bid: m.best_bid,
                ask: m.best_ask,
                mark: m.mark,
                halted: m.halted,
            })
            .collect();
        lock(&self.maker).refill(&quotes)
    }
}

fn describe(cmd: &Command) -> String {
    match cmd {
        Command::Instrument(s) => format!("instrument {}", s.symbol),
        Command::Account { id, .. } => format!("account {id}"),
        Command::Position {
            account, symbol, ..
        } => format!("position of account {account} on {symbol}"),
        Command::Order(o) => format!("order {} of account {}", o.id, o.account),
        Command::Insurance { .. } => "insurance".into(),
        Command::Index { symbol, .. } => format!("index of {symbol}"),
        Command::Mark { symbol, .. } => format!("mark of {symbol}"),
        Command::Funding { symbol, .. } => format!("funding of {symbol}"),
        other => format!("{other:?}"),
    }
}

fn apply(engine: &mut Engine, cmd: &Command, sink: &mut Sink) -> Result<(), ScenarioError> {
    engine
        .apply(cmd, sink)
        .map_err(|e| ScenarioError(format!("the engine refused the {}: {e}", describe(cmd))))?;
    if let Some(e) = sink.errors.pop() {
        return Err(ScenarioError(format!("the engine reported: {e}")));
    }
    Ok(())
}

fn quotes(engine: &Engine, n: usize) -> Vec<Quote> {
    (0..n)
        .map(|i| {
            let m = engine.market(i as InstrumentIdx);
            Quote {
                bid: m.book.best_bid(),
                ask: m.book.best_ask(),
                mark: engine.mark_of(i as InstrumentIdx),
                halted: m.halted,
            }
        })
        .collect()
}

/// How a scenario's population gets into its engine.
enum SetUpWith<'a, 'b> {
    /// Streamed into the engine's tables (`Engine::add_accounts`).
    Bulk(&'a Population<'b, MarketPlan>),
    /// As script commands, one by one (the reference the tests compare
    /// the bulk path with).
    #[cfg(test)]
    Commands(&'a [Command]),
}

/// Runs one scenario. `books` are the markets' starting books (in market
/// order).
pub fn run(
    point: &Point,
    books: &[StartingBook],
    population: &Population<'_, MarketPlan>,
) -> Result<Outcome, ScenarioError> {
    run_with(point, books, SetUpWith::Bulk(population))
}

fn run_with(
    point: &Point,
    books: &[StartingBook],
    population: SetUpWith,
) -> Result<Outcome, ScenarioError> {
    let n = point.markets.len();
    let maker = Arc::new(Mutex::new(Maker::new(
        point
            .markets
            .iter()
            .zip(books)
            .map(|(m, b)| MakerMarket {
                inst: m.inst.clone(),
                start: m.price,
                profile: b.profile.clone(),
                refill: m.liquidity.refill,
                widen: m.liquidity.widen,
                arbitrage: m.liquidity.arbitrage,
            })
            .collect(),
    )));
    let mut shocked = vec![false; n];
    for s in &point.shocks {
        shocked[s.market] = true;
    }
    let mut sink = Sink {
        maker: maker.clone(),
        step: None,
        shocked,
        own_fund: point
            .markets
            .iter()
            .map(|m| m.insurance.is_some())
            .collect(),
        funds: vec![Money::ZERO; n],
        shared_fund: Money::ZERO,
        out: Outcome::default(),
        liquidated: BTreeSet::new(),
        cascade_steps: BTreeMap::new(),
        errors: Vec::new(),
    };
    let mut engine = Engine::new();
    for m in &point.markets {
        apply(&mut engine, &Command::Instrument(m.spec.clone()), &mut sink)?;
    }
    if let Some(amount) = point.insurance {
        apply(
            &mut engine,
            &Command::Insurance {
                amount,
                symbol: None,
            },
            &mut sink,
        )?;
    }
    for m in &point.markets {
        if let Some(amount) = m.insurance {
            apply(
                &mut engine,
                &Command::Insurance {
                    amount,
                    symbol: Some(m.spec.symbol.clone()),
                },
                &mut sink,
            )?;
        }
    }
    let levels: Vec<_> = books
        .iter()
        .map(|b| (b.bids.clone(), b.asks.clone()))
        .collect();
    let orders = lock(&maker).starting_orders(&levels);
    for cmd in &orders {
        apply(&mut engine, cmd, &mut sink)?;
    }
    match population {
        // The population straight into the engine's tables, then its
        // stops.
        SetUpWith::Bulk(population) => {
            let mut stops = Vec::new();
            engine
                .add_accounts(
                    population.accounts().map(|s| {
                        stops.extend(s.stops);
                        s.account
                    }),
                    &mut sink,
                )
                .map_err(|e| ScenarioError(format!("population: {e}")))?;
            for s in &stops {
                apply(&mut engine, &population.stop_command(s), &mut sink)?;
            }
        }
        #[cfg(test)]
        SetUpWith::Commands(cmds) => {
            for cmd in cmds {
                apply(&mut engine, cmd, &mut sink)?;
            }
        }
    }
    for m in &point.markets {
        let price = m.inst.price_decimal(m.price);
        let symbol = m.spec.symbol.clone();
        apply(
            &mut engine,
            &Command::Index {
                symbol: symbol.clone(),
                price,
            },
            &mut sink,
        )?;
        apply(&mut engine, &Command::Mark { symbol, price }, &mut sink)?;
    }
    if lock(&maker).refills() {
        engine.set_step_hook(Box::new(Hook {
            maker: maker.clone(),
        }));
    }
    for (i, fund) in sink.funds.iter_mut().enumerate() {
        *fund = engine.insurance_fund(i as InstrumentIdx);
    }
    sink.shared_fund = engine.funds().shared();
    let start_total = insurance_total(&engine);
    sink.out.insurance_start = start_total;
    sink.out.insurance_low = start_total;
    for t in 0..point.path_steps() {
        sink.step = Some(t);
        for action in actions_at(t, &point.shocks, &point.markets) {
            let cmd = match action {
                Action::Apply(cmd) => Some(*cmd),
                Action::Arbitrage { market, index } => lock(&maker).arbitrage(market, index),
                Action::MarketOrder { market, side, qty } => {
                    lock(&maker).market_order(market, side, qty)
                }
            };
            if let Some(cmd) = cmd {
                apply(&mut engine, &cmd, &mut sink)?;
            }
        }
        let refill = lock(&maker).refill(&quotes(&engine, n));
        for cmd in &refill {
            apply(&mut engine, cmd, &mut sink)?;
        }
        let total = insurance_total(&engine);
        sink.out.insurance_low = sink.out.insurance_low.min(total);
    }
    if engine.faults() > 0 {
        return Err(ScenarioError(format!(
            "the engine counted {} internal arithmetic fault(s)",
            engine.faults()
        )));
    }
    let primary = point.primary_market();
    let mut out = sink.out;
    out.cascades = sink.cascade_steps.len() as u32;
    out.steps = sink.cascade_steps.values().sum();
    out.accounts_liquidated = sink.liquidated.len() as u32;
    out.mark_start = point.markets[primary].price;
    out.mark_end = engine.mark_of(primary as InstrumentIdx);
    out.socialized_loss = engine.socialized_loss();
    out.conservation_residual = engine.conservation_residual();
    Ok(out)
}

/// All insurance funds together (the engine's funds minus its fee pool).
fn insurance_total(engine: &Engine) -> Money {
    engine.funds().insurance_total()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::book_profile::starting_book;
    use crate::stress::grid::Plan;

    const CFG: &str = r#"
[[market]]
price = "100"
open_interest = "2000000"
[market.instrument]
symbol = "AAA"
kind = "linear"
tick = "0.1"
lot = "0.01"
tiers = [{ notional_max = "100000", mmr = "0.01", imr = "0.02" }, { mmr = "0.02", imr = "0.04" }]
[market.book]
levels = 30
gap_ticks = 10
size = "5"

[[market]]
price = "50"
open_interest = "800000"
[market.instrument]
symbol = "BBB"
kind = "linear"
tick = "0.01"
lot = "0.1"
tiers = [{ mmr = "0.02", imr = "0.04" }]
[market.book]
levels = 20
gap_ticks = 5
size = "50"

[[population.account]]
id = 1
deposit = "300"
mode = "isolated"
position = [{ symbol = "AAA", qty = "-2.5", entry = "101", margin = "200" }]
stop = [{ symbol = "AAA", trigger = "104" }]

[population.generate]
accounts = 3000
size = { dist = "pareto", alpha = "1.8" }
leverage = { dist = "uniform", min = "3", max = "30" }
long_share = "0.7"
isolated_share = "0.2"
stop_loss_share = "0.3"
multi_share = "0.4"
entry_spread = "0.01"

[[shock]]
kind = "index"
symbol = "AAA"
move = "-0.08"
steps = 3
"#;

    #[test]
    fn the_bulk_set_up_equals_the_commands() {
        let plan = Plan::load(CFG, None).unwrap();
        let point = plan.point(0).unwrap();
        let books: Vec<StartingBook> = point
            .markets
            .iter()
            .map(|m| starting_book(m, std::path::Path::new(".")).unwrap())
            .collect();
        for seed in [1, 2] {
            let pop = point.population(seed).unwrap();
            let bulk = run(&point, &books, &pop).unwrap();
            let cmds = pop.commands();
            let one_by_one = run_with(&point, &books, SetUpWith::Commands(&cmds)).unwrap();
            assert!(bulk.liquidations > 0, "the shock liquidates someone");
            assert_eq!(bulk, one_by_one);
        }
    }
}
