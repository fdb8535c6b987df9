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

mod cascade;
mod funds;
mod market;
mod metrics;
mod orders;

pub use market::Market;

use std::collections::{BTreeMap, HashMap};

use crate::event::{Event, EventSink, InstrumentIdx};
use crate::instrument::{Instrument, InstrumentError};
use crate::script::Command;
use crate::types::{AccountId, OrderId, Price, Side};

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
    /// A field is missing or does not fit the command.
    #[error("{0}")]
    Invalid(String),
}

/// What the engine remembers about a live order (resting or pending stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LiveOrder {
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Owner.
    pub account: AccountId,
    /// Side.
    pub side: Side,
    /// Reduce-only flag.
    pub reduce_only: bool,
}

/// The liquidation engine.
#[derive(Debug, Default)]
pub struct Engine {
    /// Markets in definition order.
    markets: Vec<Market>,
    /// Symbol to market index.
    symbols: BTreeMap<String, InstrumentIdx>,
    /// Instrument specifications, parallel to `markets` (for rendering).
    instruments: Vec<Instrument>,
    /// Live orders by id.
    orders: HashMap<OrderId, LiveOrder>,
    /// Accounts that exist (the street, 0, always does).
    accounts: BTreeMap<AccountId, ()>,
    /// Reused buffer for book output.
    book_out: Vec<crate::book::BookEvent>,
    /// Reused buffer for triggered stops.
    stop_buf: Vec<crate::book::StopRequest>,
    /// Stops triggered by this round, to run in the next.
    pending_stops: Vec<(InstrumentIdx, crate::book::StopRequest)>,
}

impl Engine {
    /// An engine with no instruments and only the street account.
    pub fn new() -> Engine {
        let mut e = Engine::default();
        e.accounts.insert(crate::types::STREET, ());
        e
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

    /// Emits an event into `sink` with this engine's instrument table.
    pub fn emit(&self, sink: &mut dyn EventSink, event: Event) {
        sink.emit(&event, &self.instruments);
    }

    /// The current mark of an instrument (none before the first price).
    pub fn mark_of(&self, _inst: InstrumentIdx) -> Option<Price> {
        None
    }

    fn market_of(&self, symbol: &str) -> Result<InstrumentIdx, EngineError> {
        self.symbol(symbol)
            .ok_or_else(|| EngineError::UnknownSymbol(symbol.to_string()))
    }

    /// Runs one command. Events go to `sink`; an `Err` means the command
    /// was not run at all and should be reported as an `error` event.
    pub fn apply(&mut self, cmd: &Command, sink: &mut dyn EventSink) -> Result<(), EngineError> {
        match cmd {
            Command::Instrument(spec) => {
                if self.symbols.contains_key(&spec.symbol) {
                    return Err(EngineError::DuplicateSymbol(spec.symbol.clone()));
                }
                let inst = Instrument::new(spec)?;
                let idx = self.markets.len() as InstrumentIdx;
                self.symbols.insert(spec.symbol.clone(), idx);
                self.instruments.push(inst.clone());
                self.markets.push(Market::new(inst));
                Ok(())
            }
            Command::Account { id, .. } => {
                if self.accounts.contains_key(id) {
                    return Err(EngineError::DuplicateAccount(*id));
                }
                self.accounts.insert(*id, ());
                Ok(())
            }
            Command::Order(o) => self.place_order(o, sink),
            Command::Cancel { id } => self.cancel_order(*id, sink),
            Command::Modify { id, price, qty } => self.modify_order(*id, *price, *qty, sink),
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
                self.markets[inst as usize].halted = false;
                Ok(())
            }
            other => Err(EngineError::Invalid(format!(
                "command not supported yet: {other:?}"
            ))),
        }
    }
}
