//! A checked population: explicit accounts and a generator, in the
//! instruments' own units, and what a population needs to know of the
//! markets it trades (`PopulationMarket`).
//!
//! Owns: the checked types and the limits of a population.
//!
//! Must not: draw random numbers or talk to the engine.

use crate::command::MarginMode;
use crate::instrument::Instrument;
use crate::types::{Decimal, Money, OrderId, Price};

/// Largest number of accounts a generator may create.
pub const MAX_ACCOUNTS: u32 = 2_000_000;
/// Account ids at or above this are reserved for the stress run itself
/// (the shock trader).
pub const RESERVED_ACCOUNTS: u64 = 1 << 40;
/// Order ids of a population's stop-loss orders count from 1 and stay
/// below this; whoever drives the engine may use the ids from here up.
pub const FIRST_FREE_ORDER_ID: OrderId = 1 << 50;
/// Highest leverage a generator may draw.
pub const MAX_LEVERAGE: f64 = 1000.0;

/// What a population needs to know of a market it trades: a stress
/// config's market, or the instrument a replay reads.
pub trait PopulationMarket {
    /// The instrument's symbol.
    fn symbol(&self) -> &str;
    /// The instrument, validated.
    fn inst(&self) -> &Instrument;
    /// The starting price (generated entries and sizes are around it).
    fn price(&self) -> Price;
    /// The open interest the generator calibrates to, if any.
    fn open_interest(&self) -> Option<Money>;
}

/// A market of a population file: an instrument at a price.
#[derive(Clone, Debug)]
pub struct Market {
    /// The instrument, validated.
    pub inst: Instrument,
    /// The instrument's symbol.
    pub symbol: String,
    /// The starting price.
    pub price: Price,
    /// The open interest the generator calibrates to.
    pub open_interest: Option<Money>,
}

impl PopulationMarket for Market {
    fn symbol(&self) -> &str {
        &self.symbol
    }
    fn inst(&self) -> &Instrument {
        &self.inst
    }
    fn price(&self) -> Price {
        self.price
    }
    fn open_interest(&self) -> Option<Money> {
        self.open_interest
    }
}

/// An explicit account.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountPlan {
    /// Id.
    pub id: u64,
    /// Collateral.
    pub deposit: Decimal,
    /// Margin mode.
    pub mode: MarginMode,
    /// Positions: market index, signed qty, entry, isolated margin.
    pub positions: Vec<(usize, Decimal, Decimal, Option<Decimal>)>,
    /// Stop-losses: market index, trigger.
    pub stops: Vec<(usize, Decimal)>,
}

/// A distribution, checked, with its clamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
    /// `exp(ln(median) + sigma * z)`.
    Lognormal {
        /// Median.
        median: f64,
        /// Shape.
        sigma: f64,
    },
    /// `min / u^(1/alpha)`.
    Pareto {
        /// Scale (the smallest value).
        min: f64,
        /// Tail index.
        alpha: f64,
    },
    /// Uniform in `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// A constant.
    Fixed(f64),
}

/// A distribution with the bounds its draws are clamped to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounded {
    /// The distribution.
    pub dist: Dist,
    /// Draws below are raised to this.
    pub lo: f64,
    /// Draws above are lowered to this.
    pub hi: f64,
}

/// A checked generator.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorPlan {
    /// Number of accounts.
    pub accounts: u32,
    /// First generated id.
    pub first_id: u64,
    /// Relative position size.
    pub size: Bounded,
    /// Leverage.
    pub leverage: Bounded,
    /// Share of longs.
    pub long_share: f64,
    /// Share of isolated accounts.
    pub isolated_share: f64,
    /// Share of accounts with stop-losses.
    pub stop_loss_share: f64,
    /// Stop distance from the price.
    pub stop_loss_distance: f64,
    /// Share of cross accounts with a second instrument.
    pub multi_share: f64,
    /// Entry spread.
    pub entry_spread: f64,
}
