//! What a caller can choose when opening replay inputs.
//!
//! Owns: `Format` (the vendor family, as the CLI names it), `DataKind`
//! (what one file holds, as `--kind` names it), `Input` (a file and what
//! it holds) and `ReplayOptions`.
//! Must not: open files (see `open`).

use super::lobster::LobsterFile;
use super::tardis::TardisKind;
use std::fmt;
use std::path::{Path, PathBuf};
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

/// What one input file holds, where the reader cannot tell (or should not
/// guess): `--kind` before the files it applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    /// A Tardis data type.
    Tardis(TardisKind),
    /// A LOBSTER message or orderbook file.
    Lobster(LobsterFile),
}

impl DataKind {
    /// The names `--kind` takes.
    pub const NAMES: &'static str = "incremental_book_L2, book_snapshot, trades, liquidations, \
         quotes, derivative_ticker (Tardis); messages, orderbook (LOBSTER); auto";

    /// The format this kind belongs to.
    pub fn format(self) -> Format {
        match self {
            DataKind::Tardis(_) => Format::Tardis,
            DataKind::Lobster(_) => Format::Lobster,
        }
    }
}

impl fmt::Display for DataKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataKind::Tardis(k) => f.write_str(k.as_str()),
            DataKind::Lobster(LobsterFile::Messages) => f.write_str("messages"),
            DataKind::Lobster(LobsterFile::Orderbook) => f.write_str("orderbook"),
        }
    }
}

impl FromStr for DataKind {
    type Err = String;
    fn from_str(s: &str) -> Result<DataKind, String> {
        match s {
            "messages" | "message" => Ok(DataKind::Lobster(LobsterFile::Messages)),
            "orderbook" => Ok(DataKind::Lobster(LobsterFile::Orderbook)),
            _ => TardisKind::parse(s)
                .map(DataKind::Tardis)
                .ok_or_else(|| format!("unknown kind {s:?} ({})", DataKind::NAMES)),
        }
    }
}

/// One input: a file (or `-`, standard input) and, where given, what it
/// holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The file; `-` reads standard input.
    pub path: PathBuf,
    /// What it holds (`None`: told by its header, name or content).
    pub kind: Option<DataKind>,
}

impl Input {
    /// A file whose kind the reader tells.
    pub fn new(path: impl AsRef<Path>) -> Input {
        Input {
            path: path.as_ref().to_path_buf(),
            kind: None,
        }
    }

    /// A file that holds `kind`.
    pub fn of_kind(path: impl AsRef<Path>, kind: DataKind) -> Input {
        Input {
            path: path.as_ref().to_path_buf(),
            kind: Some(kind),
        }
    }

    /// The name errors and outputs print.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// True for standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == super::input::STDIN
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
    /// from the header (e.g. `Liquidations` for a file not named so); a
    /// kind given with an [`Input`] wins.
    pub tardis_kind: Option<TardisKind>,
    /// Binance: most depth diffs held while waiting for a snapshot; older
    /// ones are dropped (and counted) beyond it.
    pub max_buffered_diffs: usize,
    /// LOBSTER: ns added to every time (LOBSTER times are seconds after
    /// midnight, New York time). `None`: the UTC start of the trading day
    /// named in the file name (`AAPL_2012-06-21_...`), and a file whose
    /// name has no date is an error.
    pub lobster_day_start_ns: Option<i64>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            skip_bad_rows: false,
            check_crossed: true,
            tardis_kind: None,
            max_buffered_diffs: 100_000,
            lobster_day_start_ns: None,
        }
    }
}
