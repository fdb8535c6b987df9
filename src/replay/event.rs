//! The one event type every reader produces: `MarketEvent`, a time header
//! plus a `Payload` saying what happened in the market.
//!
//! Owns: the vocabulary of market data (book levels, trades, quotes, marks,
//! funding, liquidations, L3 order messages, stream markers).
//! Must not: know about ticks, lots, instruments or the book; prices and
//! quantities stay exact decimals as the vendor wrote them.

use super::symbols::SymbolId;
use crate::types::{Decimal, Side};

/// One price level or quote side: an exact price and an exact quantity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PriceQty {
    /// Price as the vendor wrote it.
    pub price: Decimal,
    /// Quantity (size, amount) as the vendor wrote it.
    pub qty: Decimal,
}

/// How a trade came about, where the vendor says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeKind {
    /// An ordinary trade (Binance `X = "MARKET"`, every Tardis and
    /// Hyperliquid trade).
    Regular,
    /// A fill of a liquidation order (Binance `X = "LIQUIDATION"`).
    Liquidation,
    /// A fill by the insurance fund (Binance `X = "INSURANCE_FUND"`).
    InsuranceFund,
    /// An auto-deleveraging fill (Binance `X = "ADL"`).
    Adl,
}

/// What happened. Prices and quantities are exact decimals; the replay
/// driver converts them to ticks and lots with the instrument's steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A fresh full snapshot begins: forget every L2 level on both sides.
    BookClear,
    /// The snapshot that began with `BookClear` is complete: the book is
    /// now whole (every level of the snapshot has been sent).
    SnapshotEnd,
    /// Absolute size at one level; `qty` zero deletes the level.
    BookLevel {
        /// Bid (`Buy`) or ask (`Sell`) side of the book.
        side: Side,
        /// The level's price.
        price: Decimal,
        /// The new absolute quantity at that price (zero: remove).
        qty: Decimal,
    },
    /// A trade print.
    Trade {
        /// The taker's side (`Buy`: the buyer lifted an ask); `None` when
        /// the vendor does not know.
        aggressor: Option<Side>,
        /// Trade price.
        price: Decimal,
        /// Trade quantity.
        qty: Decimal,
        /// The vendor's numeric trade id, where it is an integer.
        id: Option<u64>,
        /// How the trade came about.
        kind: TradeKind,
    },
    /// Top of book (best bid and offer); a side is `None` when empty.
    Quote {
        /// Best bid price and size.
        bid: Option<PriceQty>,
        /// Best ask price and size.
        ask: Option<PriceQty>,
    },
    /// The exchange's mark price.
    Mark {
        /// Mark price.
        price: Decimal,
    },
    /// The exchange's index (spot reference) price.
    Index {
        /// Index price.
        price: Decimal,
    },
    /// The current funding rate (a fraction per funding interval).
    Funding {
        /// Funding rate, e.g. 0.0001 for 1 bp; may be negative.
        rate: Decimal,
        /// When this rate is (next) applied, ns since the Unix epoch.
        funding_ts: Option<i64>,
    },
    /// Open interest of the instrument.
    OpenInterest {
        /// Open interest, in the vendor's unit (contracts or coins).
        qty: Decimal,
    },
    /// A liquidation order published by the exchange.
    Liquidation {
        /// Side of the liquidation order itself (`Sell` liquidates a long).
        side: Side,
        /// The order's price (Binance `p`; Tardis `price`).
        price: Decimal,
        /// The order's quantity (Binance `q`, original; Tardis `amount`).
        qty: Decimal,
        /// Average fill price, where published (Binance `ap`).
        avg_price: Option<Decimal>,
        /// Quantity filled so far, where published (Binance `z`).
        filled_qty: Option<Decimal>,
    },
    /// L3: a new visible limit order rests in the book (LOBSTER type 1).
    OrderAdd {
        /// Order id.
        id: u64,
        /// Side of the order.
        side: Side,
        /// Limit price.
        price: Decimal,
        /// Visible size.
        qty: Decimal,
    },
    /// L3: part of a resting order is cancelled (LOBSTER type 2). Side and
    /// price let the replay draw from the anonymous level when the id was
    /// resting before the file began.
    OrderReduce {
        /// Order id.
        id: u64,
        /// Side of the resting order.
        side: Side,
        /// Its price.
        price: Decimal,
        /// Quantity cancelled (not the remainder).
        qty: Decimal,
    },
    /// L3: a resting order is deleted in full (LOBSTER type 3).
    OrderDelete {
        /// Order id.
        id: u64,
        /// Side of the resting order.
        side: Side,
        /// Its price.
        price: Decimal,
        /// The quantity that was still resting and is now removed.
        qty: Decimal,
    },
    /// L3: a visible resting order is executed (LOBSTER type 4).
    OrderExecute {
        /// Order id of the resting (maker) order.
        id: u64,
        /// Side of the resting order (`Sell`: a buyer took it).
        side: Side,
        /// Execution price.
        price: Decimal,
        /// Quantity executed.
        qty: Decimal,
    },
    /// L3: a hidden order is executed (LOBSTER type 5); no visible level
    /// changes.
    HiddenExecute {
        /// Side of the hidden resting order.
        side: Side,
        /// Execution price.
        price: Decimal,
        /// Quantity executed.
        qty: Decimal,
    },
    /// L3: an auction (cross) trade, redundant for the book (LOBSTER type 6).
    Cross {
        /// Cross price.
        price: Decimal,
        /// Cross quantity.
        qty: Decimal,
        /// LOBSTER's pseudo order id: -1 opening, -2 closing, other
        /// negative values for other crosses.
        kind: i64,
    },
    /// Trading halts (LOBSTER type 7, price -1).
    Halt,
    /// Quoting resumes during a halt (LOBSTER type 7, price 0).
    QuoteResume,
    /// Trading resumes (LOBSTER type 7, price 1).
    Resume,
    /// Book continuity is lost (a missing diff): the L2 book is unknown
    /// until the next `BookClear`; no level updates come before it.
    Gap,
    /// Binance: a depth diff's update ids; its `levels` level updates
    /// follow. Reader output only: the depth synchroniser turns it into
    /// level updates (or a gap) before the stream leaves `open`.
    DepthDiff {
        /// `U`: first update id.
        first: i64,
        /// `u`: last update id.
        last: i64,
        /// `pu`: the previous diff's `u`, where the stream has it.
        prev: Option<i64>,
        /// Level updates that follow (bids, then asks).
        levels: u32,
    },
    /// Binance: a REST depth snapshot's `lastUpdateId`; its `levels`
    /// levels follow (bids, then asks). Reader output only, like
    /// `DepthDiff`.
    DepthSnapshot {
        /// `lastUpdateId`.
        last_update_id: i64,
        /// Levels that follow.
        levels: u32,
    },
}

/// One market event: when it happened and what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketEvent {
    /// Exchange time, ns since the Unix epoch (LOBSTER: ns after midnight
    /// plus the configured day start).
    pub exchange_ts: i64,
    /// Local receive time, ns since the Unix epoch, where the file has it.
    pub local_ts: Option<i64>,
    /// The instrument, an index into the stream's
    /// [`crate::replay::Symbols`].
    pub symbol: SymbolId,
    /// What happened.
    pub payload: Payload,
}

impl MarketEvent {
    /// An event of symbol 0 with the given times and payload.
    #[inline]
    pub fn new(exchange_ts: i64, local_ts: Option<i64>, payload: Payload) -> MarketEvent {
        MarketEvent {
            exchange_ts,
            local_ts,
            symbol: 0,
            payload,
        }
    }

    /// The same event for another symbol.
    #[inline]
    pub fn with_symbol(self, symbol: SymbolId) -> MarketEvent {
        MarketEvent { symbol, ..self }
    }

    /// The time used to order events across files: the local receive time
    /// where present, else the exchange time.
    #[inline]
    pub fn order_ts(&self) -> i64 {
        self.local_ts.unwrap_or(self.exchange_ts)
    }
}

/// Index of a payload kind in [`crate::replay::EventCounts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PayloadKind {
    /// [`Payload::BookClear`].
    BookClear,
    /// [`Payload::SnapshotEnd`].
    SnapshotEnd,
    /// [`Payload::BookLevel`].
    BookLevel,
    /// [`Payload::Trade`].
    Trade,
    /// [`Payload::Quote`].
    Quote,
    /// [`Payload::Mark`].
    Mark,
    /// [`Payload::Index`].
    Index,
    /// [`Payload::Funding`].
    Funding,
    /// [`Payload::OpenInterest`].
    OpenInterest,
    /// [`Payload::Liquidation`].
    Liquidation,
    /// [`Payload::OrderAdd`].
    OrderAdd,
    /// [`Payload::OrderReduce`].
    OrderReduce,
    /// [`Payload::OrderDelete`].
    OrderDelete,
    /// [`Payload::OrderExecute`].
    OrderExecute,
    /// [`Payload::HiddenExecute`].
    HiddenExecute,
    /// [`Payload::Cross`].
    Cross,
    /// [`Payload::Halt`], [`Payload::QuoteResume`] and [`Payload::Resume`].
    Status,
    /// [`Payload::Gap`].
    Gap,
    /// [`Payload::DepthDiff`].
    DepthDiff,
    /// [`Payload::DepthSnapshot`].
    DepthSnapshot,
}

impl PayloadKind {
    /// Number of kinds.
    pub const COUNT: usize = 20;
    /// Every kind, in index order.
    pub const ALL: [PayloadKind; PayloadKind::COUNT] = [
        PayloadKind::BookClear,
        PayloadKind::SnapshotEnd,
        PayloadKind::BookLevel,
        PayloadKind::Trade,
        PayloadKind::Quote,
        PayloadKind::Mark,
        PayloadKind::Index,
        PayloadKind::Funding,
        PayloadKind::OpenInterest,
        PayloadKind::Liquidation,
        PayloadKind::OrderAdd,
        PayloadKind::OrderReduce,
        PayloadKind::OrderDelete,
        PayloadKind::OrderExecute,
        PayloadKind::HiddenExecute,
        PayloadKind::Cross,
        PayloadKind::Status,
        PayloadKind::Gap,
        PayloadKind::DepthDiff,
        PayloadKind::DepthSnapshot,
    ];

    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadKind::BookClear => "book_clear",
            PayloadKind::SnapshotEnd => "snapshot_end",
            PayloadKind::BookLevel => "book_level",
            PayloadKind::Trade => "trade",
            PayloadKind::Quote => "quote",
            PayloadKind::Mark => "mark",
            PayloadKind::Index => "index",
            PayloadKind::Funding => "funding",
            PayloadKind::OpenInterest => "open_interest",
            PayloadKind::Liquidation => "liquidation",
            PayloadKind::OrderAdd => "order_add",
            PayloadKind::OrderReduce => "order_reduce",
            PayloadKind::OrderDelete => "order_delete",
            PayloadKind::OrderExecute => "order_execute",
            PayloadKind::HiddenExecute => "hidden_execute",
            PayloadKind::Cross => "cross",
            PayloadKind::Status => "status",
            PayloadKind::Gap => "gap",
            PayloadKind::DepthDiff => "depth_diff",
            PayloadKind::DepthSnapshot => "depth_snapshot",
        }
    }
}

impl Payload {
    /// The kind of this payload.
    pub fn kind(&self) -> PayloadKind {
        match self {
            Payload::BookClear => PayloadKind::BookClear,
            Payload::SnapshotEnd => PayloadKind::SnapshotEnd,
            Payload::BookLevel { .. } => PayloadKind::BookLevel,
            Payload::Trade { .. } => PayloadKind::Trade,
            Payload::Quote { .. } => PayloadKind::Quote,
            Payload::Mark { .. } => PayloadKind::Mark,
            Payload::Index { .. } => PayloadKind::Index,
            Payload::Funding { .. } => PayloadKind::Funding,
            Payload::OpenInterest { .. } => PayloadKind::OpenInterest,
            Payload::Liquidation { .. } => PayloadKind::Liquidation,
            Payload::OrderAdd { .. } => PayloadKind::OrderAdd,
            Payload::OrderReduce { .. } => PayloadKind::OrderReduce,
            Payload::OrderDelete { .. } => PayloadKind::OrderDelete,
            Payload::OrderExecute { .. } => PayloadKind::OrderExecute,
            Payload::HiddenExecute { .. } => PayloadKind::HiddenExecute,
            Payload::Cross { .. } => PayloadKind::Cross,
            Payload::Halt | Payload::QuoteResume | Payload::Resume => PayloadKind::Status,
            Payload::Gap => PayloadKind::Gap,
            Payload::DepthDiff { .. } => PayloadKind::DepthDiff,
            Payload::DepthSnapshot { .. } => PayloadKind::DepthSnapshot,
        }
    }
}
