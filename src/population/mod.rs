//! Account populations, shared by stress sweeps and by replays run with
//! `--accounts`: the `[population]` tables as written (`config`), checked
//! against the markets they trade (`check`, into the types of `plan`), and
//! the deterministic generator (`generate`, drawing from `rng`) that turns
//! them into the engine commands setting the accounts up.
//!
//! Owns: everything about who holds which positions at the start.
//!
//! Must not: know of grids, shocks, starting books or replayed files, or
//! run the engine. Stress and replay each read their own file and hand
//! the population part here.

pub mod check;
pub mod config;
pub mod generate;
pub mod plan;
pub mod rng;
#[cfg(test)]
pub(crate) mod testutil;

pub use check::check_population;
pub use generate::{Population, SetUp, StopOrder};
pub use plan::{AccountPlan, GeneratorPlan, Market, PopulationMarket};
