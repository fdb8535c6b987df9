//! The engine: one deterministic, single-threaded state machine that takes
//! commands (from scripts, replays or stress runs) and emits events.
//!
//! Owns: the markets (instrument + book), order routing (which instrument
//! and account an order id belongs to), the step loop of liquidation
//! cascades, the loss waterfall (liquidation fee, insurance fund, backstop,
//! auto-deleveraging, socialized loss), circuit breakers, and per-step and
//! per-cascade metrics.
//!
//! Must not: read or write files, or know where commands come from. It
//! talks to the outside only through `apply` and the `EventSink`.

pub mod audit;
mod bulk;
mod cascade;
mod collateral;
mod fills;
mod funds;
pub mod fuzzing;
mod market;
mod metrics;
mod order_list;
mod orders;
mod query;
mod street;
mod waterfall;

pub use bulk::{NewAccount, NewPosition, PopulationError};
pub use cascade::{StepHook, StepView};
pub use funds::Funds;
pub use market::Market;
pub use metrics::{CascadeMetrics, StepMetrics};
pub use street::{decode_street_level, street_level_id, StreetOutcome, MAX_STREET_INSTRUMENTS};

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;

use crate::book::{BookEvent, StopRequest};
use crate::command::Command;
use crate::event::{Event, EventSink, InstrumentIdx};
use crate::instrument::{Instrument, InstrumentError};
use crate::margin::{self, AccountIdx, Accounts, IdHasher, MarginError, Marks};
use crate::types::{AccountId, Money, OrderId, Price, Qty, Side};

/// Why a command could not be run (an `error` event); nothing changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The instrument definition is invalid.
    #[error("instrument: {0}")]
    Instrument(#[from] InstrumentError),
    /// A symbol is defined twice.
    #[error("instrument {0} is already defined")]
    DuplicateSymbol(String),
    /// No instrument has this symbol.
    #[error("unknown symbol {0}")]
    UnknownSymbol(String),
    /// No account has this id.
    #[error("unknown account {0}")]
    UnknownAccount(AccountId),
    /// An account id is used twice.
    #[error("account {0} already exists")]
    DuplicateAccount(AccountId),
    /// A field is missing, malformed, or does not fit the command.
    #[error("{0}")]
    Invalid(String),
    /// The margin ledger refused (overflow, wrong mode, ...).
    #[error("{0}")]
    Margin(#[from] MarginError),
}

/// What the engine remembers about a live order (resting or pending stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LiveOrder {
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Owner.
    pub account: AccountId,
    /// The owner's dense index (carried so that a fill finds the account
    /// without looking its id up).
    pub idx: AccountIdx,
    /// Placement number (the order of the owner's order list).
    pub seq: u64,
    /// Side.
    pub side: Side,
    /// Reduce-only flag.
    pub reduce_only: bool,
    /// Quantity when placed (a stop's whole quantity).
    pub qty: Qty,
    /// Limit price (`None`: market or stop-market).
    pub price: Option<Price>,
    /// True while it is a pending stop.
    pub stop: bool,
}

/// A margin unit to liquidate: a cross account (`isolated: None`) or one
/// isolated position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Unit {
    /// Dense account index.
    pub account: AccountIdx,
    /// The isolated position's instrument, for isolated units.
    pub isolated: Option<InstrumentIdx>,
}

impl std::hash::Hash for Unit {
    /// One `u64` (account, then instrument + 1 or 0), so that the id
    /// hasher mixes once.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let inst = self.isolated.map_or(0, |i| i as u64 + 1);
        state.write_u64(self.account as u64 | inst << 32);
    }
}

/// Units queued for the next round, with the mark change that queued each
/// (the first one wins). A hash map: the round orders its units itself
/// (`round_order`, a total order), and nothing else depends on the order
/// of iteration (moving halted units aside does not).
pub(crate) type PendingLiqs = HashMap<Unit, Trigger, BuildHasherDefault<IdHasher>>;

/// The mark change that made a unit liquidatable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trigger {
    /// Instrument whose mark moved.
    pub inst: InstrumentIdx,
    /// The mark it moved to.
    pub mark: Price,
}

/// The liquidation engine.
pub struct Engine {
    /// Markets in definition order.
    markets: Vec<Market>,
    /// Symbol to market index.
    symbols: BTreeMap<String, InstrumentIdx>,
    /// Instrument specifications, parallel to `markets`.
    instruments: Vec<Instrument>,
    /// Mark prices, parallel to `markets`.
    marks: Marks,
    /// Accounts, positions and collateral.
    accounts: Accounts,
    /// Liquidation-price index.
    index: margin::TriggerIndex,
    /// The auto-deleveraging queues, kept between ADL events.
    adl: margin::AdlRanking,
    /// Insurance funds, fee pool, outside money.
    funds: Funds,
    /// Live orders by id.
    orders: HashMap<OrderId, LiveOrder, BuildHasherDefault<IdHasher>>,
    /// Live order ids per account, in placement order.
    account_orders: HashMap<AccountId, order_list::OrderList, BuildHasherDefault<IdHasher>>,
    /// Placements so far (numbers the live orders).
    placements: u64,
    /// Reused buffer for book output.
    book_out: Vec<BookEvent>,
    /// Reused buffer for triggered stops.
    stop_buf: Vec<StopRequest>,
    /// Stops triggered in this round, to run in the next.
    pending_stops: Vec<(InstrumentIdx, StopRequest)>,
    /// Units made liquidatable in this round, to liquidate in the next.
    pending_liqs: PendingLiqs,
    /// Units that wait for a halted instrument to resume.
    parked: BTreeMap<Unit, Trigger>,
    /// The cascade under way, if any.
    cascade: Option<cascade::CascadeState>,
    /// Cascades started so far.
    cascades: u32,
    /// Next id for engine-made (liquidation) orders.
    next_engine_order: OrderId,
    /// Called between cascade steps (stress liquidity response).
    step_hook: Option<Box<dyn StepHook>>,
    /// Reused buffer for trigger-index hits.
    hits_buf: Vec<AccountIdx>,
    /// Internal arithmetic faults (overflow in a ledger update); always 0
    /// unless something is broken. Tests assert it.
    faults: u64,
    /// The account whose unit is being liquidated, while its liquidation
    /// order, backstop and ADL run.
    liquidating: Option<AccountIdx>,
    /// Bad debt of isolated positions closed while they were `liquidating`
    /// (a running total; each liquidation reports its difference).
    liquidated_shortfall: Money,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("instruments", &self.instruments.len())
            .field("accounts", &self.accounts.len())
            .field("orders", &self.orders.len())
            .field("cascades", &self.cascades)
            .finish()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

/// Ids of engine-made liquidation orders start here (2^62), far above any
/// script id in practice.
pub const ENGINE_ORDER_IDS: OrderId = 1 << 62;

impl Engine {
    /// An engine with no instruments and only the street account.
    pub fn new() -> Engine {
        Engine {
            markets: Vec::new(),
            symbols: BTreeMap::new(),
            instruments: Vec::new(),
            marks: Marks::new(),
            accounts: Accounts::new(),
            index: margin::TriggerIndex::new(),
            adl: margin::AdlRanking::new(),
            funds: Funds::default(),
            orders: HashMap::default(),
            account_orders: HashMap::default(),
            placements: 0,
            book_out: Vec::new(),
            stop_buf: Vec::new(),
            pending_stops: Vec::new(),
            pending_liqs: PendingLiqs::default(),
            parked: BTreeMap::new(),
            cascade: None,
            cascades: 0,
            next_engine_order: ENGINE_ORDER_IDS,
            step_hook: None,
            hits_buf: Vec::new(),
            faults: 0,
            liquidating: None,
            liquidated_shortfall: Money::ZERO,
        }
    }

    /// Internal arithmetic faults so far (0 unless something is broken).
    pub fn faults(&self) -> u64 {
        self.faults
    }

    /// The instrument table, indexed by `InstrumentIdx`.
    pub fn instruments(&self) -> &[Instrument] {
        &self.instruments
    }

    /// The market of an instrument.
    pub fn market(&self, inst: InstrumentIdx) -> &Market {
        &self.markets[inst as usize]
    }

    /// Looks up a symbol.
    pub fn symbol(&self, symbol: &str) -> Option<InstrumentIdx> {
        self.symbols.get(symbol).copied()
    }

    /// The accounts ledger (read only).
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The insurance funds, fee pool and outside-money total.
    pub fn funds(&self) -> &Funds {
        &self.funds
    }

    /// The current mark of an instrument (none before the first price).
    pub fn mark_of(&self, inst: InstrumentIdx) -> Option<Price> {
        self.marks.mark(inst)
    }

    /// The insurance fund backing `inst`.
    pub fn insurance_fund(&self, inst: InstrumentIdx) -> Money {
        self.funds.insurance(inst)
    }

    /// Losses charged to other accounts pro rata so far.
    pub fn socialized_loss(&self) -> Money {
        self.funds.socialized
    }

    /// Cascades started so far.
    pub fn cascade_count(&self) -> u32 {
        self.cascades
    }

    /// All money held (accounts, insurance funds, fee pool) minus all money
    /// brought in from outside. Zero unless something is broken.
    pub fn conservation_residual(&self) -> Money {
        let held = self.accounts.total_money().unwrap_or(Money(i128::MAX));
        held + self.funds.total() - self.funds.deposited
    }

    /// Net position of every instrument across all accounts (the street
    /// included): zero unless something is broken.
    pub fn net_positions(&self) -> Vec<i128> {
        (0..self.markets.len() as InstrumentIdx)
            .map(|i| self.accounts.net_qty(i))
            .collect()
    }

    /// Checks every invariant the engine keeps (for tests and fuzzing):
    /// no internal fault, money conserved to the unit, every instrument's
    /// positions summing to zero, each book structurally sound, the trigger
    /// index agreeing with a brute-force scan of all accounts, the ADL
    /// queues it keeps agreeing with a full sort, and no margin unit left
    /// liquidatable unless its instrument is halted.
    pub fn check_consistency(&mut self) -> Result<(), String> {
        if self.faults != 0 {
            return Err(format!("{} internal faults", self.faults));
        }
        let residual = self.conservation_residual();
        if residual != Money::ZERO {
            return Err(format!("conservation residual {residual}"));
        }
        for (i, q) in self.net_positions().into_iter().enumerate() {
            if q != 0 {
                return Err(format!("instrument {i}: positions sum to {q}"));
            }
        }
        for m in &self.markets {
            m.book
                .check_invariants()
                .map_err(|e| format!("{}: book: {e}", m.spec.symbol))?;
        }
        let view = margin::Market::new(&self.instruments, &self.marks);
        self.adl.check(&mut self.accounts, &view)?;
        for inst in 0..self.markets.len() as InstrumentIdx {
            if self.marks.mark(inst).is_none() {
                continue;
            }
            let view = margin::Market::new(&self.instruments, &self.marks);
            let mut hits = Vec::new();
            self.index
                .on_mark_move(&mut self.accounts, &view, inst, None, &mut hits);
            let brute = margin::brute_force_liquidatable(&self.accounts, &view, Some(inst));
            if hits != brute {
                return Err(format!(
                    "{}: index finds {hits:?}, a scan of all accounts {brute:?}",
                    self.instruments[inst as usize].symbol
                ));
            }
            for idx in brute {
                let acct = self.accounts.account(idx).map_err(|e| e.to_string())?;
                let waits = acct
                    .positions()
                    .iter()
                    .any(|(i, p)| p.qty.0 != 0 && self.markets[*i as usize].halted);
                if !waits {
                    return Err(format!(
                        "account {} is still liquidatable after the cascade",
                        acct.id()
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every liquidatable account found by scanning all accounts (what the
    /// trigger index avoids; for tests and the benchmark's comparison).
    pub fn brute_force_liquidatable(&self) -> Vec<AccountIdx> {
        margin::brute_force_liquidatable(&self.accounts, &self.view(), None)
    }

    /// Installs a hook called between cascade steps.
    pub fn set_step_hook(&mut self, hook: Box<dyn StepHook>) {
        self.step_hook = Some(hook);
    }

    /// Emits an event into `sink` with this engine's instrument table.
    pub fn emit(&self, sink: &mut dyn EventSink, event: Event) {
        sink.emit(&event, &self.instruments);
    }

    fn market_of(&self, symbol: &str) -> Result<InstrumentIdx, EngineError> {
        self.symbol(symbol)
            .ok_or_else(|| EngineError::UnknownSymbol(symbol.to_string()))
    }

    fn view(&self) -> margin::Market<'_> {
        margin::Market::new(&self.instruments, &self.marks)
    }

    /// Runs one command. Events go to `sink`; an `Err` means the command
    /// was not run and should be reported as an `error` event.
    pub fn apply(&mut self, cmd: &Command, sink: &mut dyn EventSink) -> Result<(), EngineError> {
        self.apply_inner(cmd, sink)?;
        self.settle(sink);
        Ok(())
    }

    /// Runs one command without running what it triggers (the caller
    /// settles).
    fn apply_inner(&mut self, cmd: &Command, sink: &mut dyn EventSink) -> Result<(), EngineError> {
        match cmd {
            Command::Instrument(spec) => self.define_instrument(spec),
            Command::Account { id, deposit, mode } => self.open_account(*id, *deposit, *mode),
            Command::Deposit { account, amount } => self.deposit(*account, *amount, sink),
            Command::Insurance { amount, symbol } => {
                self.top_up_insurance(*amount, symbol.as_deref())
            }
            Command::Position {
                account,
                symbol,
                qty,
                entry,
                margin,
            } => self.give_position(*account, symbol, *qty, *entry, *margin),
            Command::Order(o) => self.place_order(o, sink),
            Command::Cancel { id } => self.cancel_order(*id, sink),
            Command::Modify { id, price, qty } => self.modify_order(*id, *price, *qty, sink),
            Command::Index { symbol, price } | Command::Mark { symbol, price } => {
                let inst = self.market_of(symbol)?;
                let p = self.price_of(inst, *price, "price")?;
                let input = match cmd {
                    Command::Index { .. } => fills::MarkInput::Index,
                    _ => fills::MarkInput::Force,
                };
                self.feed_mark(inst, input, p, sink);
                Ok(())
            }
            Command::Funding { symbol, rate } => self.settle_funding(symbol, *rate),
            Command::Query { account } => self.query(*account, sink),
            Command::Funds {} => {
                self.emit_funds(sink);
                Ok(())
            }
            Command::Book { symbol, depth } => {
                let inst = self.market_of(symbol)?;
                let n = depth.unwrap_or(10);
                let book = &self.markets[inst as usize].book;
                let bids = book.depth(Side::Buy, n);
                let asks = book.depth(Side::Sell, n);
                self.emit(sink, Event::Book { inst, bids, asks });
                Ok(())
            }
            Command::Halt { symbol } => {
                let inst = self.market_of(symbol)?;
                self.markets[inst as usize].halted = true;
                Ok(())
            }
            Command::Resume { symbol } => {
                let inst = self.market_of(symbol)?;
                self.resume(inst);
                Ok(())
            }
        }
    }

    fn define_instrument(
        &mut self,
        spec: &crate::instrument::InstrumentSpec,
    ) -> Result<(), EngineError> {
        if self.symbols.contains_key(&spec.symbol) {
            return Err(EngineError::DuplicateSymbol(spec.symbol.clone()));
        }
        let inst = Instrument::new(spec)?;
        let idx = self.markets.len() as InstrumentIdx;
        self.symbols.insert(spec.symbol.clone(), idx);
        self.marks.push(inst.mark);
        self.funds.add_instrument(idx);
        self.instruments.push(inst.clone());
        self.markets.push(Market::new(inst));
        Ok(())
    }

    /// Converts a script price to ticks, as an error (not a rejection).
    fn price_of(
        &self,
        inst: InstrumentIdx,
        d: crate::types::Decimal,
        field: &str,
    ) -> Result<Price, EngineError> {
        self.instruments[inst as usize]
            .price(d)
            .map_err(|e| EngineError::Invalid(format!("{field}: {e}")))
    }

    /// The dense index of an account id.
    fn idx(&self, id: AccountId) -> Result<AccountIdx, EngineError> {
        self.accounts
            .idx_of(id)
            .ok_or(EngineError::UnknownAccount(id))
    }
}
