//! The stress config as written: one grid point of it, field by field,
//! exactly as `docs/stress.md` documents it. Every struct denies unknown
//! keys; decimals are strings (`"0.05"`), counts are integers.
//!
//! Owns: the serde shape of the TOML file and the defaults of optional
//! keys.
//!
//! Must not: check values against each other (`point.rs` does, with the
//! positions `At` keeps), or know that a field may be a grid list (the
//! deserializer in `de.rs` resolves lists before these types see a value).

use serde::Deserialize;

use crate::instrument::InstrumentSpec;
use crate::population::config::PopulationConfig;
use crate::tomlgrid::At;
use crate::types::{Decimal, Side};

/// The whole config (one grid point of it).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Repetitions of every grid point, each with its own seed.
    #[serde(default = "one_seed")]
    pub seeds: At<u32>,
    /// Base seed of the run (`--seed` overrides it).
    #[serde(default)]
    pub seed: At<u64>,
    /// Quiet path steps after the last shock step (the liquidity response
    /// keeps acting; late liquidations still count).
    #[serde(default = "default_settle_steps")]
    pub settle_steps: At<u32>,
    /// Shared insurance fund (in the settlement asset).
    #[serde(default)]
    pub insurance: Option<At<Decimal>>,
    /// The instruments.
    #[serde(default)]
    pub market: Vec<MarketConfig>,
    /// Who holds positions.
    #[serde(default)]
    pub population: PopulationConfig,
    /// What hits the market.
    #[serde(default)]
    pub shock: Vec<At<ShockConfig>>,
}

fn one_seed() -> At<u32> {
    At::new(1, 0, "seeds")
}

fn default_settle_steps() -> At<u32> {
    At::new(3, 0, "settle_steps")
}

/// One instrument with its starting book and liquidity response.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    /// The contract, as in the script's `instrument` command.
    pub instrument: At<InstrumentSpec>,
    /// Starting price: index, mark and the centre of the book.
    pub price: At<Decimal>,
    /// Open interest the population generator calibrates to (sum of the
    /// notionals of all generated positions on this instrument, at `price`).
    #[serde(default)]
    pub open_interest: Option<At<Decimal>>,
    /// This instrument's own insurance fund.
    #[serde(default)]
    pub insurance: Option<At<Decimal>>,
    /// Synthetic starting book.
    #[serde(default)]
    pub book: Option<At<BookConfig>>,
    /// Starting book from a replay sample (the hook for `src/replay`).
    #[serde(default)]
    pub replay: Option<At<ReplayConfig>>,
    /// How makers respond between steps.
    #[serde(default)]
    pub liquidity: LiquidityConfig,
}

/// A synthetic depth profile, symmetric around the starting price.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BookConfig {
    /// Price levels per side.
    pub levels: At<u32>,
    /// Ticks from the price to the best bid and to the best ask.
    #[serde(default = "one_tick")]
    pub half_spread_ticks: At<u32>,
    /// Ticks between adjacent levels.
    #[serde(default = "one_tick")]
    pub gap_ticks: At<u32>,
    /// Size of the best level (a multiple of the lot).
    pub size: At<Decimal>,
    /// Size of level k (from 0) is `size * (1 + growth * k)`, rounded down
    /// to the lot.
    #[serde(default)]
    pub growth: Option<At<Decimal>>,
}

fn one_tick() -> At<u32> {
    At::new(1, 0, "")
}

/// A starting book taken from a replay sample at a chosen time: the L2
/// book the replay readers (`crate::replay`) rebuild from the files, as it
/// stood after the last event at or before `at`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    /// `tardis`, `binance`, `hyperliquid` or `lobster`.
    pub format: At<String>,
    /// The files to read (relative paths: from the config file's folder).
    pub files: At<Vec<String>>,
    /// The moment, in nanoseconds since the Unix epoch (exchange time).
    pub at: At<i64>,
    /// Levels per side to keep (default 50).
    #[serde(default)]
    pub depth: Option<At<u32>>,
}

/// The liquidity response between steps.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidityConfig {
    /// Share of the missing depth (against the profile, around the mark)
    /// that makers restore after each step; `"0"` (default) is off.
    #[serde(default)]
    pub refill: Option<At<Decimal>>,
    /// How much makers widen the spread under stress: the half spread grows
    /// by `widen` times its base for each 1% the mark has moved.
    #[serde(default)]
    pub widen: Option<At<Decimal>>,
    /// Index shocks: an arbitrageur trades the book to the new index
    /// (default true). Off, an index move reaches the book only through
    /// the mark policy.
    #[serde(default)]
    pub arbitrage: Option<bool>,
}

/// Kinds of shock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShockKind {
    /// The index moves by `move` over `steps` path steps.
    Index,
    /// The mark is forced along the same path (mark commands).
    Mark,
    /// An aggressive market order of `qty` on `side`, split over `steps`.
    MarketOrder,
    /// One funding payment at `rate`.
    Funding,
}

impl ShockKind {
    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ShockKind::Index => "index",
            ShockKind::Mark => "mark",
            ShockKind::MarketOrder => "market_order",
            ShockKind::Funding => "funding",
        }
    }
}

/// One shock.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShockConfig {
    /// Kind.
    pub kind: ShockKind,
    /// Instrument.
    pub symbol: At<String>,
    /// First path step (from 0).
    #[serde(default)]
    pub start: Option<At<u32>>,
    /// Path steps it lasts (index, mark, market_order; default 1).
    #[serde(default)]
    pub steps: Option<At<u32>>,
    /// Relative move (index, mark): `"-0.05"` is a 5% drop.
    #[serde(default, rename = "move")]
    pub move_: Option<At<Decimal>>,
    /// Side (market_order).
    #[serde(default)]
    pub side: Option<At<Side>>,
    /// Quantity (market_order).
    #[serde(default)]
    pub qty: Option<At<Decimal>>,
    /// Funding rate (funding): longs pay shorts when positive.
    #[serde(default)]
    pub rate: Option<At<Decimal>>,
}
