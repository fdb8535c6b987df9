//! One instrument's live state inside the engine: its specification, its
//! order book, whether it is halted, and the stop orders it holds.
//!
//! Must not: touch accounts or money; the engine moves those.

use crate::book::OrderBook;
use crate::instrument::Instrument;
use crate::types::{Price, Ratio};

/// An instrument and its book.
#[derive(Debug)]
pub struct Market {
    /// The contract.
    pub spec: Instrument,
    /// Its order book.
    pub book: OrderBook,
    /// True while matching is stopped.
    pub halted: bool,
    /// The last trade price.
    pub last: Option<Price>,
    /// The mark at which the trigger index was last scanned.
    pub scanned: Option<Price>,
}

impl Market {
    /// A market with an empty book.
    pub fn new(spec: Instrument) -> Market {
        Market {
            spec,
            book: OrderBook::new(),
            halted: false,
            last: None,
            scanned: None,
        }
    }

    /// The book mid in ticks, when both sides have orders.
    pub fn mid(&self) -> Option<Ratio> {
        match (self.book.best_bid(), self.book.best_ask()) {
            (Some(b), Some(a)) => Some(Ratio::new(b.0 as i128 + a.0 as i128, 2)),
            _ => None,
        }
    }
}
