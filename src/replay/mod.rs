//! Streaming readers that turn vendor market-data files into
//! [`MarketEvent`]s: Tardis.dev CSV, Binance futures websocket captures,
//! Hyperliquid captures and LOBSTER message/orderbook files, plain or
//! gzip, one line in memory at a time.
//!
//! Owns: the event vocabulary ([`MarketEvent`], [`Payload`]), the readers,
//! their data-quality counters ([`ReplayStats`]), the stable k-way merge of
//! several files, and the [`open`] entry point. The readers must not apply
//! events to a book or convert prices to ticks; the replay driver does.
//!
//! The replay proper (`cascade replay`, `cascade demo`; docs/replay.md)
//! sits on top of the readers, one concept per file: [`presets`] (the
//! instrument), [`driver`] (events into the engine as street liquidity,
//! batches, taker groups), [`overlay`] (depleted depth and its
//! resilience), [`l3`] (L3 messages as level sizes), [`measure`] (the
//! dry-run walk), [`collector`] (the engine's events), [`population`]
//! (`--accounts`), [`outputs`] and [`page`] (the results folder), [`run`]
//! (the event loop and its errors), [`verify`] (the LOBSTER check) and
//! [`demo`]. Data flows one way: reader -> driver -> engine -> collector
//! -> outputs.
//!
//! Policies (every one counted in [`ReplayStats`], never a panic):
//! - a row that does not parse is an error naming file and line, or with
//!   `skip_bad_rows` is skipped and counted; a truncated or corrupt .gz is
//!   an error at the line where the stream breaks;
//! - negative prices or sizes, and numbers beyond 19 digits or 18 decimal
//!   places, are bad rows;
//! - rows out of time order are counted and kept in file order (never
//!   reordered within one file); files are merged by time, ties in file
//!   order;
//! - book gaps emit [`Payload::Gap`] and no levels until the next snapshot;
//! - crossed books are counted by [`CrossCheck`]; the driver decides.
//!
//! ```no_run
//! use cascade::replay::{open, Format, Payload, ReplayOptions};
//! let mut stream = open(
//!     Format::Tardis,
//!     &["incremental_book_L2.csv.gz", "trades.csv.gz"],
//!     &ReplayOptions::default(),
//! )?;
//! for ev in &mut stream {
//!     if let Payload::Trade { price, qty, .. } = ev?.payload {
//!         let _ = (price, qty);
//!     }
//! }
//! eprintln!("{}", stream.stats());
//! # Ok::<(), cascade::replay::ReplayError>(())
//! ```

pub mod accuracy;
mod binance;
pub mod collector;
pub mod costs;
mod cross_check;
pub mod demo;
pub mod driver;
mod error;
mod event;
mod fields;
pub mod fuzzing;
mod hyperliquid;
mod input;
mod json;
pub mod l3;
pub mod lobster;
pub mod measure;
mod merge;
mod num;
mod open;
mod options;
pub mod outputs;
pub mod overlay;
pub mod page;
pub mod population;
pub mod presets;
mod progress;
mod reader;
pub mod refill;
pub mod router;
pub mod rows;
pub mod run;
mod snapshot_diff;
mod sniff;
mod stats;
mod steps;
pub mod symbols;
pub mod tardis;
pub mod time;
pub mod verify;

pub use cross_check::{CrossCheck, CrossChecked};
pub use error::ReplayError;
pub use event::{MarketEvent, Payload, PayloadKind, PriceQty, TradeKind};
pub use input::{is_gzip, ByteCounter, LineSource, MAX_LINE};
pub use merge::Merged;
pub use num::{decimal_key, parse_decimal, NumError};
pub use open::{open, open_bytes, open_file, open_inputs, ReplayStream};
pub use options::{DataKind, Format, Input, ReplayOptions};
pub use reader::{EventSource, Events, RowPolicy};
pub use stats::{EventCounts, ReplayStats};
pub use symbols::{SymbolId, SymbolKey, Symbols};
