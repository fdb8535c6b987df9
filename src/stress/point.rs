//! One grid point, checked and converted into what a scenario run needs:
//! validated instruments, prices in ticks, sizes in lots, money in exact
//! units, distributions with their parameters (`check.rs` makes it).
//!
//! Owns: the checked types, the key that decides which points share a
//! baseline, and the limits of a config.
//!
//! Must not: draw random numbers or talk to the engine.

use super::config::ShockKind;
use crate::instrument::{Instrument, InstrumentSpec};
use crate::population::{AccountPlan, GeneratorPlan, Population, PopulationMarket};
use crate::types::{Decimal, Money, Price, Qty, Rate, Side};

pub use super::check::check;
pub use crate::tomlgrid::ConfigError;

/// Most book levels per side.
pub const MAX_LEVELS: u32 = 10_000;
/// Most path steps of a shock, and most settle steps.
pub const MAX_STEPS: u32 = 100_000;
/// A checked grid point.
#[derive(Clone, Debug)]
pub struct Point {
    /// Markets in config order (the engine's instrument order).
    pub markets: Vec<MarketPlan>,
    /// Shared insurance fund.
    pub insurance: Option<Decimal>,
    /// Explicit accounts.
    pub accounts: Vec<AccountPlan>,
    /// Generated population.
    pub generator: Option<GeneratorPlan>,
    /// Shocks in config order.
    pub shocks: Vec<ShockPlan>,
    /// Quiet path steps after the last shock step.
    pub settle_steps: u32,
}

/// One checked market.
#[derive(Clone, Debug)]
pub struct MarketPlan {
    /// The instrument as written (sent to the engine).
    pub spec: InstrumentSpec,
    /// The instrument, validated.
    pub inst: Instrument,
    /// Starting price.
    pub price: Price,
    /// Open interest to calibrate the generator to.
    pub open_interest: Option<Money>,
    /// The instrument's insurance fund.
    pub insurance: Option<Decimal>,
    /// Where the starting book comes from.
    pub book: BookSource,
    /// Liquidity response.
    pub liquidity: Liquidity,
}

impl PopulationMarket for MarketPlan {
    fn symbol(&self) -> &str {
        &self.spec.symbol
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

/// Where a market's starting book comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookSource {
    /// A synthetic profile.
    Profile(BookProfile),
    /// A replay sample (see `book_profile::replay_levels`).
    Replay(ReplaySource),
}

/// A checked replay sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplaySource {
    /// The vendor format.
    pub format: crate::replay::Format,
    /// The files, as written (relative to the config's folder).
    pub files: Vec<String>,
    /// The moment, ns since the Unix epoch.
    pub at: i64,
    /// Levels per side kept.
    pub depth: u32,
    /// Line of the `replay` table (for errors reading the sample).
    pub line: usize,
}

/// A synthetic depth profile in ticks and lots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookProfile {
    /// Levels per side.
    pub levels: u32,
    /// Ticks from the centre to each best price.
    pub half_spread: i64,
    /// Ticks between levels.
    pub gap: i64,
    /// Size of the best level, in lots.
    pub size: Qty,
    /// Growth of size per level.
    pub growth: Rate,
}

impl BookProfile {
    /// Size of level `k` (from 0): `size * (1 + growth * k)`, rounded down
    /// to whole lots, at least one lot.
    pub fn level_size(&self, k: u32) -> Qty {
        let extra = self.growth.apply(Money(self.size.0 as i128 * k as i128));
        let size =
            (self.size.0 as i128 + extra.0).clamp(1, crate::instrument::MAX_QTY_LOTS as i128);
        Qty(size as i64)
    }
}

/// How makers respond between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Liquidity {
    /// Share of missing depth restored per step (0 = off).
    pub refill: Rate,
    /// Spread widening per 1% of mark move, in half spreads.
    pub widen: Rate,
    /// Index shocks drag the book to the index.
    pub arbitrage: bool,
}

/// A checked shock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShockPlan {
    /// Kind.
    pub kind: ShockKind,
    /// Market index.
    pub market: usize,
    /// First path step.
    pub start: u32,
    /// Path steps.
    pub steps: u32,
    /// Relative move (index, mark).
    pub move_: Option<Decimal>,
    /// Side (market order).
    pub side: Option<Side>,
    /// Quantity in lots (market order).
    pub qty: Option<Qty>,
    /// Funding rate.
    pub rate: Option<Decimal>,
}

impl ShockPlan {
    /// Path steps up to and including this shock's last one.
    pub fn end(&self) -> u32 {
        self.start + self.steps
    }

    /// The shock's size as a number for charts: |move|, qty (in lots) or
    /// |rate|.
    pub fn size_text(&self, market: &MarketPlan) -> String {
        match self.kind {
            ShockKind::Index | ShockKind::Mark => self
                .move_
                .map(|m| Decimal::new(m.mantissa().abs(), m.scale()).to_string())
                .unwrap_or_default(),
            ShockKind::MarketOrder => self
                .qty
                .map(|q| market.inst.qty_decimal(q).to_string())
                .unwrap_or_default(),
            ShockKind::Funding => self
                .rate
                .map(|r| Decimal::new(r.mantissa().abs(), r.scale()).to_string())
                .unwrap_or_default(),
        }
    }
}

impl Point {
    /// Path steps of the run: the last shock step plus the settle steps.
    pub fn path_steps(&self) -> u32 {
        self.shocks.iter().map(ShockPlan::end).max().unwrap_or(0) + self.settle_steps
    }

    /// The population of this point for a scenario seed (made one account
    /// at a time as the scenario sets it up).
    pub fn population(&self, seed: u64) -> Result<Population<'_, MarketPlan>, String> {
        Population::new(&self.accounts, self.generator.as_ref(), &self.markets, seed)
    }

    /// What the no-population baseline run depends on, as text.
    pub fn baseline_key(&self) -> String {
        let markets: Vec<_> = self
            .markets
            .iter()
            .map(|m| (&m.spec, m.price, &m.insurance, &m.book, m.liquidity))
            .collect();
        format!(
            "{:?}",
            (markets, &self.insurance, &self.shocks, self.settle_steps)
        )
    }

    /// Index of the market the first shock hits (the one whose move is
    /// reported).
    pub fn primary_market(&self) -> usize {
        self.shocks.first().map(|s| s.market).unwrap_or(0)
    }
}
