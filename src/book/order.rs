//! What goes into the book: order requests, their time in force,
//! self-trade prevention mode, and stop (conditional) orders.
//!
//! Must not: know about margin, reduce-only or liquidation; those are the
//! engine's business. The book sees an order as an id, an owner, a side,
//! a quantity and an optional limit price.

use serde::{Deserialize, Serialize};

use crate::types::{AccountId, OrderId, Price, Qty, Side};

/// Time in force of a limit order (serde: `gtc`, `ioc`, `fok`,
/// `post_only`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeInForce {
    /// Good till canceled: the remainder rests.
    #[default]
    Gtc,
    /// Immediate or cancel: the remainder is canceled (`CancelReason::Ioc`).
    Ioc,
    /// Fill or kill: all at once or rejected (`BookReject::FokUnfillable`).
    Fok,
    /// Maker only: rejected (`BookReject::PostOnlyWouldCross`) if it would
    /// take liquidity.
    PostOnly,
}

/// Self-trade prevention mode of the incoming (taker) order; it applies
/// when the taker meets a resting order of the same account (serde: `none`,
/// `cancel_taker`, `cancel_maker`, `cancel_both`, `decrement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfTradePrevention {
    /// Self trades are allowed.
    #[default]
    None,
    /// The taker's remainder is canceled (`CancelReason::Stp`); the maker stays.
    CancelTaker,
    /// The resting order is canceled (`CancelReason::Stp`); the taker goes on.
    CancelMaker,
    /// Both are canceled.
    CancelBoth,
    /// Both are reduced by the smaller remaining quantity without a trade;
    /// an order reduced to zero is canceled (`CancelReason::Stp`).
    Decrement,
}

/// A limit or market order as the book sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderRequest {
    /// Unique id (unique across resting orders and pending stops).
    pub id: OrderId,
    /// Owner, used only for self-trade prevention.
    pub account: AccountId,
    /// Buy or sell.
    pub side: Side,
    /// Quantity in lots, positive.
    pub qty: Qty,
    /// Limit price; `None` for a market order (which never rests: its
    /// remainder is canceled with `CancelReason::NoLiquidity`).
    pub price: Option<Price>,
    /// Time in force (ignored for market orders, which behave as IOC).
    pub tif: TimeInForce,
    /// Self-trade prevention mode.
    pub stp: SelfTradePrevention,
}

/// Which price a stop order watches (serde: `mark`, `last`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerSource {
    /// The last trade price.
    Last,
    /// The mark price (fed by the engine).
    #[default]
    Mark,
}

/// A stop-market or stop-limit order waiting for its trigger. A buy stop
/// triggers when the watched price rises to `trigger` or above; a sell stop
/// when it falls to `trigger` or below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopRequest {
    /// The order submitted when triggered (price `None` = stop-market).
    pub order: OrderRequest,
    /// Trigger price.
    pub trigger: Price,
    /// Which price it watches.
    pub trigger_by: TriggerSource,
}
