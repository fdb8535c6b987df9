//! Stress testing: a TOML config describing markets, an account
//! population, shocks and mitigations, any field of which may be a list
//! (a grid axis); the cartesian product of the axes, each point run with
//! several seeds, in parallel, sharded across machines if need be, with
//! resumable results and deterministic reports.
//!
//! Owns: the config and its grid, book profiles, the liquidity response,
//! shock paths, running one scenario through the engine, the parallel
//! sweep, shards, the results journal and merging. Populations are
//! `crate::population`'s; the TOML reading is `crate::tomlgrid`'s.
//!
//! Flow: `grid::Plan::load` (text → `tomlgrid` → `config` → `check` →
//! `point`), then `sweep::run_sweep` (per scenario: `book_profile`,
//! `population::build`, `scenario` with `liquidity` and `shock`, → `record`),
//! then `run` or `merge` (`journal`, `manifest`, `outputs`).
//!
//! Must not: change how the engine works (it only drives
//! `liquidation::Engine` through `apply` and reads its public views), or
//! let thread timing, clocks or hash order reach an output.

pub mod book_profile;
pub mod check;
pub mod config;
pub mod digest;
pub mod error;
pub mod grid;
pub mod journal;
pub mod liquidity;
pub mod manifest;
pub mod memory;
pub mod merge;
pub mod outputs;
pub mod point;
pub mod progress;
pub mod record;
pub mod run;
pub mod scenario;
pub mod shard;
pub mod shock;
pub mod sorted;
pub mod sweep;

pub use error::StressError;
pub use merge::{merge, MergeReport};
pub use run::{stress, StressOptions, StressReport};
pub use shard::Shard;
