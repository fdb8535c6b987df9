//! What a caller can choose when opening replay inputs.
//!
//! Owns: `Format` (the vendor family, as the CLI names it) and
//! `ReplayOptions`.
//! Must not: open files (see `open`).

use super::tardis::TardisKind;
use std::fmt;
use std::str::FromStr;

/// The vendor family of the input files (`--format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Tardis.dev downloadable CSV (any supported data type).
    Tardis,
    /// Binance futures raw websocket capture (`<local_ns> <json>` lines).
    Binance,
    /// Hyperliquid websocket capture (`<local_ns> <json>` lines).
    Hyperliquid,
    /// LOBSTER message file, optionally with its orderbook file.
    Lobster,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [
        Format::Tardis,
        Format::Binance,
        Format::Hyperliquid,
        Format::Lobster,
    ];

    /// The name the CLI uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Tardis => "tardis",
            Format::Binance => "binance",
            Format::Hyperliquid => "hyperliquid",
            Format::Lobster => "lobster",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown format {s:?} (tardis, binance, hyperliquid, lobster)"))
    }
}

/// Options for [`crate::replay::open`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Skip and count rows that do not parse, instead of stopping at the
    /// first with an error. Truncated or corrupt compressed input and bad
    /// headers always stop.
    pub skip_bad_rows: bool,
    /// Track a shadow L2 book and count crossed books
    /// ([`crate::replay::CrossCheck`]). Costs a map update per level.
    pub check_crossed: bool,
    /// Tardis: read every file as this data type instead of detecting it
    /// from the header (e.g. `Liquidations` for a file not named so).
    pub tardis_kind: Option<TardisKind>,
    /// Binance: most depth diffs held while waiting for a snapshot; older
    /// ones are dropped (and counted) beyond it.
    pub max_buffered_diffs: usize,
    /// LOBSTER: ns added to every time (LOBSTER times are seconds after
    /// midnight, New York time, with no date).
    pub lobster_day_start_ns: i64,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            skip_bad_rows: false,
            check_crossed: true,
            tardis_kind: None,
            max_buffered_diffs: 100_000,
            lobster_day_start_ns: 0,
        }
    }
}
