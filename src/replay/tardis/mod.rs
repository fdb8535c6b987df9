//! Tardis.dev downloadable CSV files: the data type is detected from the
//! header row, then each row becomes events.
//!
//! Owns: header detection (`TardisKind`) and the dispatch to one parser
//! per data type (`incremental_book_L2`, `book_snapshot_N`, `trades`,
//! `liquidations`, `quotes`, `derivative_ticker`).
//! Must not: merge files (see `merge`) or reorder rows.
//!
//! Timestamps: `timestamp` (exchange) and `local_timestamp` (Tardis'
//! receive time) are integer microseconds; events carry them in ns.
//! Symbols: every row names its `exchange` and `symbol` (grouped-symbol
//! files interleave many); per-symbol state (snapshot runs, previous
//! snapshots) is kept apart.
//!
//! `trades` and `liquidations` share one header. A file is read as
//! liquidations when the caller says so ([`TardisKind::Liquidations`],
//! `--kind liquidations`), when its name says so (Tardis names its files
//! `EXCHANGE_liquidations_DATE_SYMBOL.csv.gz`; any name containing
//! `liquidation`), or by content: on the venues whose trades always carry
//! an exchange trade id, a first row with an empty `id` came from the
//! liquidation feed (Binance futures `forceOrder` and the like have none).
//! How the kind was decided is kept in the reader's counters.

mod incremental;
mod quotes;
mod snapshot;
mod ticker;
mod trades;

use super::error::RowError;
use super::fields::{field_ts, show, Fields};
use super::reader::{Out, RowParser};
use super::symbols::{SymbolCache, Symbols};

/// The Tardis data types this reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TardisKind {
    /// `incremental_book_L2`: level updates, with `is_snapshot` runs.
    IncrementalBookL2,
    /// `book_snapshot_N`: top-N snapshots, N from the header.
    BookSnapshot,
    /// `trades`.
    Trades,
    /// `liquidations` (same columns as trades).
    Liquidations,
    /// `quotes`: top of book.
    Quotes,
    /// `derivative_ticker`: mark, index, funding, open interest.
    DerivativeTicker,
}

impl TardisKind {
    /// Every kind.
    pub const ALL: [TardisKind; 6] = [
        TardisKind::IncrementalBookL2,
        TardisKind::BookSnapshot,
        TardisKind::Trades,
        TardisKind::Liquidations,
        TardisKind::Quotes,
        TardisKind::DerivativeTicker,
    ];

    /// The Tardis data type's name (`--kind` takes it).
    pub fn as_str(self) -> &'static str {
        match self {
            TardisKind::IncrementalBookL2 => "incremental_book_L2",
            TardisKind::BookSnapshot => "book_snapshot",
            TardisKind::Trades => "trades",
            TardisKind::Liquidations => "liquidations",
            TardisKind::Quotes => "quotes",
            TardisKind::DerivativeTicker => "derivative_ticker",
        }
    }

    /// Parses a data type's name (`book_snapshot_25` and the like too).
    pub fn parse(s: &str) -> Option<TardisKind> {
        let s = s.trim();
        if s.starts_with("book_snapshot") {
            return Some(TardisKind::BookSnapshot);
        }
        TardisKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

/// Venues whose Tardis `trades` rows always carry the exchange's trade id,
/// while their liquidation feeds give none: there an empty `id` marks a
/// liquidations file.
const VENUES_WITH_TRADE_IDS: [&str; 8] = [
    "binance-futures",
    "binance-delivery",
    "bybit",
    "okex-swap",
    "okex-futures",
    "huobi-dm",
    "huobi-dm-swap",
    "huobi-dm-linear-swap",
];

/// Microseconds to ns.
const US: i64 = 1_000;

/// Index of the column named `name`.
fn col(header: &[&[u8]], name: &str) -> Option<usize> {
    header.iter().position(|h| *h == name.as_bytes())
}

/// Index of a required column.
fn need(header: &[&[u8]], name: &str) -> Result<usize, RowError> {
    col(header, name).ok_or_else(|| RowError::fatal(format!("header has no `{name}` column")))
}

/// The two time columns every Tardis file has.
#[derive(Clone, Copy, Debug)]
struct TimeCols {
    ts: usize,
    local: usize,
}

impl TimeCols {
    fn from_header(h: &[&[u8]]) -> Result<TimeCols, RowError> {
        Ok(TimeCols {
            ts: need(h, "timestamp")?,
            local: need(h, "local_timestamp")?,
        })
    }

    /// (exchange ns, local ns) of a row; records the row time in `out`.
    #[inline]
    fn read(&self, f: &Fields, line: &[u8]) -> Result<(i64, i64), RowError> {
        let ts = field_ts(f.get(line, self.ts), US, "timestamp")?;
        let local = field_ts(f.get(line, self.local), US, "local_timestamp")?;
        Ok((ts, local))
    }
}

/// Detects the data type from the header fields (`trades` for the layout
/// `trades` and `liquidations` share; the parser then looks at the name
/// and the first row).
pub fn detect(header: &[&[u8]]) -> Option<TardisKind> {
    let has = |n: &str| col(header, n).is_some();
    if has("is_snapshot") && has("side") && has("price") && has("amount") {
        Some(TardisKind::IncrementalBookL2)
    } else if has("asks[0].price") || has("bids[0].price") {
        Some(TardisKind::BookSnapshot)
    } else if has("funding_rate") || has("mark_price") || has("open_interest") {
        Some(TardisKind::DerivativeTicker)
    } else if has("ask_price") && has("bid_price") {
        Some(TardisKind::Quotes)
    } else if has("side") && has("price") && has("amount") {
        Some(TardisKind::Trades)
    } else {
        None
    }
}

enum State {
    Header,
    /// A `trades`-layout file whose kind its first row decides.
    Undecided(Vec<Vec<u8>>),
    Incremental(incremental::Incremental),
    Snapshot(Box<snapshot::Snapshot>),
    Trades(trades::Trades),
    Quotes(quotes::Quotes),
    Ticker(ticker::Ticker),
}

/// The row parser for one Tardis CSV file.
pub(crate) struct TardisParser {
    fields: Fields,
    state: State,
    name_hint: String,
    forced: Option<TardisKind>,
    kind: Option<TardisKind>,
    exchange_col: Option<usize>,
    symbol_col: usize,
    symbols: SymbolCache,
}

/// True when a file name says it holds liquidations.
fn named_liquidations(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let file = n.rsplit(['/', '\\']).next().unwrap_or(&n);
    file.contains("liquidation")
}

impl TardisParser {
    /// A parser for a file called `name_hint` (used only to tell
    /// liquidations from trades); `forced` overrides header detection.
    /// Symbols are named in `symbols`.
    pub fn new(name_hint: &str, forced: Option<TardisKind>, symbols: Symbols) -> TardisParser {
        TardisParser {
            fields: Fields::default(),
            state: State::Header,
            name_hint: name_hint.to_string(),
            forced,
            kind: None,
            exchange_col: None,
            symbol_col: 0,
            symbols: SymbolCache::new(symbols),
        }
    }

    /// The detected data type (after the header row).
    #[allow(dead_code)]
    pub fn kind(&self) -> Option<TardisKind> {
        self.kind
    }

    fn header(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        self.fields.split(line, b',');
        let h: Vec<&[u8]> = (0..self.fields.len())
            .map(|i| self.fields.get(line, i))
            .collect();
        let (kind, how) = match (self.forced, detect(&h)) {
            (Some(k), _) => (k, "--kind"),
            (None, Some(TardisKind::Trades)) if named_liquidations(&self.name_hint) => {
                (TardisKind::Liquidations, "file name")
            }
            (None, Some(k)) => (k, "header"),
            (None, None) => {
                return Err(RowError::fatal(format!(
                    "not a Tardis CSV header (unknown columns): {:?}",
                    show(line)
                )))
            }
        };
        let t = TimeCols::from_header(&h)?;
        self.symbol_col = need(&h, "symbol")?;
        self.exchange_col = col(&h, "exchange");
        out.stats.data_kind = Some(format!("{} ({how})", kind.as_str()));
        if kind == TardisKind::Trades && how == "header" {
            // The first row decides between trades and liquidations.
            self.kind = Some(kind);
            self.state = State::Undecided(h.iter().map(|c| c.to_vec()).collect());
            return Ok(());
        }
        self.start(kind, &h, t)
    }

    fn start(&mut self, kind: TardisKind, h: &[&[u8]], t: TimeCols) -> Result<(), RowError> {
        self.state = match kind {
            TardisKind::IncrementalBookL2 => {
                State::Incremental(incremental::Incremental::from_header(h, t)?)
            }
            TardisKind::BookSnapshot => {
                State::Snapshot(Box::new(snapshot::Snapshot::from_header(h, t)?))
            }
            TardisKind::Trades => State::Trades(trades::Trades::from_header(h, t, false)?),
            TardisKind::Liquidations => State::Trades(trades::Trades::from_header(h, t, true)?),
            TardisKind::Quotes => State::Quotes(quotes::Quotes::from_header(h, t)?),
            TardisKind::DerivativeTicker => State::Ticker(ticker::Ticker::from_header(h, t)?),
        };
        self.kind = Some(kind);
        Ok(())
    }

    /// Decides a `trades`-layout file's kind from its first row (see the
    /// module notes).
    fn decide(&mut self, header: Vec<Vec<u8>>, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        let h: Vec<&[u8]> = header.iter().map(Vec::as_slice).collect();
        let venue = self
            .exchange_col
            .map_or(&b""[..], |c| self.fields.get(line, c));
        let id_empty = col(&h, "id").is_some_and(|c| self.fields.get(line, c).is_empty());
        let by_venue = VENUES_WITH_TRADE_IDS.iter().any(|v| v.as_bytes() == venue);
        let kind = if id_empty && by_venue {
            out.stats.data_kind = Some("liquidations (content: rows without a trade id)".into());
            TardisKind::Liquidations
        } else {
            TardisKind::Trades
        };
        self.start(kind, &h, TimeCols::from_header(&h)?)
    }
}

impl RowParser for TardisParser {
    #[inline]
    fn parse_row(&mut self, line: &[u8], out: &mut Out) -> Result<(), RowError> {
        if let State::Header = self.state {
            return self.header(line, out);
        }
        let f = &mut self.fields;
        f.split(line, b',');
        let venue = self.exchange_col.map_or(&b"tardis"[..], |c| f.get(line, c));
        out.symbol = self.symbols.id(venue, f.get(line, self.symbol_col));
        if let State::Undecided(h) = &mut self.state {
            check_width(f, h.len())?;
            let h = std::mem::take(h);
            self.decide(h, line, out)?;
        }
        let f = &self.fields;
        match &mut self.state {
            State::Header | State::Undecided(_) => Ok(()),
            State::Incremental(p) => p.row(f, line, out),
            State::Snapshot(p) => p.row(f, line, out),
            State::Trades(p) => p.row(f, line, out),
            State::Quotes(p) => p.row(f, line, out),
            State::Ticker(p) => p.row(f, line, out),
        }
    }

    fn finish(&mut self, out: &mut Out) {
        if let State::Incremental(p) = &mut self.state {
            p.finish(out);
        }
    }
}

/// Checks that a row has as many fields as the header.
#[inline]
fn check_width(f: &Fields, width: usize) -> Result<(), RowError> {
    if f.len() != width {
        return Err(RowError::row(format!(
            "expected {width} fields, found {}",
            f.len()
        )));
    }
    Ok(())
}
