//! The population sections of a config as written (`[population]` with
//! `[[population.account]]` and `[population.generate]`), exactly as
//! `docs/stress.md` documents them. Every struct denies unknown keys;
//! decimals are strings (`"0.05"`), counts are integers.
//!
//! Owns: the serde shape of those tables and the defaults of optional keys.
//!
//! Must not: check values (`check.rs` does).

use serde::Deserialize;

use crate::command::MarginMode;
use crate::tomlgrid::At;
use crate::types::Decimal;

/// Who holds positions: explicit accounts, generated ones, or both.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationConfig {
    /// Explicit accounts.
    #[serde(default)]
    pub account: Vec<AccountConfig>,
    /// A generated population.
    #[serde(default)]
    pub generate: Option<At<GeneratorConfig>>,
}

/// One explicit account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Account id (from 1).
    pub id: At<u64>,
    /// Collateral.
    pub deposit: At<Decimal>,
    /// Margin mode.
    #[serde(default)]
    pub mode: MarginMode,
    /// Positions.
    #[serde(default)]
    pub position: Vec<PositionConfig>,
    /// Stop-loss orders.
    #[serde(default)]
    pub stop: Vec<StopConfig>,
}

/// A position of an explicit account (against the street).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionConfig {
    /// Instrument.
    pub symbol: At<String>,
    /// Signed quantity (+ long, - short).
    pub qty: At<Decimal>,
    /// Entry price.
    pub entry: At<Decimal>,
    /// Isolated margin (isolated accounts only).
    #[serde(default)]
    pub margin: Option<At<Decimal>>,
}

/// A stop-loss of an explicit account: a reduce-only stop-market order
/// closing the position when the mark crosses `trigger`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopConfig {
    /// Instrument (the account must hold a position there).
    pub symbol: At<String>,
    /// Trigger price.
    pub trigger: At<Decimal>,
}

/// A population generator calibrated by open interest.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorConfig {
    /// Number of accounts.
    pub accounts: At<u32>,
    /// Distribution of position sizes (relative; scaled to open interest).
    pub size: At<DistConfig>,
    /// Distribution of leverage (notional / equity at the starting price).
    pub leverage: At<DistConfig>,
    /// Share of long positions.
    #[serde(default)]
    pub long_share: Option<At<Decimal>>,
    /// Share of isolated-margin accounts.
    #[serde(default)]
    pub isolated_share: Option<At<Decimal>>,
    /// Share of accounts with stop-loss orders.
    #[serde(default)]
    pub stop_loss_share: Option<At<Decimal>>,
    /// Distance of a stop-loss trigger from the starting price.
    #[serde(default)]
    pub stop_loss_distance: Option<At<Decimal>>,
    /// Share of cross accounts that also hold a second instrument.
    #[serde(default)]
    pub multi_share: Option<At<Decimal>>,
    /// Entry prices spread uniformly within this fraction of the price.
    #[serde(default)]
    pub entry_spread: Option<At<Decimal>>,
}

/// Names of the distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistKind {
    /// `exp(ln(median) + sigma * z)`, z standard normal (Box-Muller).
    Lognormal,
    /// `min / u^(1/alpha)`, u uniform in (0, 1] (inverse CDF).
    Pareto,
    /// Uniform in `[min, max]`.
    Uniform,
    /// Always `value`.
    Fixed,
}

/// A distribution and its parameters (which apply depends on `dist`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistConfig {
    /// Which distribution.
    pub dist: DistKind,
    /// Lognormal: median (default 1).
    #[serde(default)]
    pub median: Option<At<Decimal>>,
    /// Lognormal: shape.
    #[serde(default)]
    pub sigma: Option<At<Decimal>>,
    /// Pareto: tail index.
    #[serde(default)]
    pub alpha: Option<At<Decimal>>,
    /// Lower bound (uniform; Pareto scale; clamp for the others).
    #[serde(default)]
    pub min: Option<At<Decimal>>,
    /// Upper bound (uniform; clamp for the others).
    #[serde(default)]
    pub max: Option<At<Decimal>>,
    /// Fixed: the value.
    #[serde(default)]
    pub value: Option<At<Decimal>>,
}
