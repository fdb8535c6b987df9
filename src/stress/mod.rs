//! Stress testing: a TOML config describing markets, an account
//! population, shocks and mitigations, any field of which may be a list
//! (a grid axis); the cartesian product of the axes, each point run with
//! several seeds, in parallel, sharded across machines if need be, with
//! resumable results and deterministic reports.
//!
//! Owns: the config and its grid, populations, book profiles, the liquidity
//! response, shock paths, running one scenario through the engine, the
//! parallel sweep, shards, the results journal and merging.
//!
//! Flow: `grid::Plan::load` (text → `tree` → `de` → `config` → `check` →
//! `point`), then `sweep::run_sweep` (per scenario: `book_profile`,
//! `population`, `scenario` with `liquidity` and `shock`, → `record`),
//! then `run` or `merge` (`journal`, `manifest`, `outputs`).
//!
//! Must not: change how the engine works (it only drives
//! `liquidation::Engine` through `apply` and reads its public views), or
//! let thread timing, clocks or hash order reach an output.

pub mod book_profile;
pub mod check;
pub mod config;
pub mod de;
pub mod error;
pub mod grid;
pub mod journal;
pub mod liquidity;
pub mod manifest;
pub mod merge;
pub mod outputs;
pub mod point;
pub mod population;
pub mod progress;
pub mod record;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod shock;
pub mod sweep;
pub mod tree;

pub use error::StressError;
pub use merge::{merge, MergeReport};
pub use run::{stress, StressOptions, StressReport};
pub use shard::Shard;
