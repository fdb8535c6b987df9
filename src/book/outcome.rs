//! What comes out of the book: fills, cancellations and refusals, in the
//! order they happened.
//!
//! Must not: carry anything the book does not know (positions, fees, mark).

use crate::types::{AccountId, OrderId, Price, Qty, Side};

/// One trade between a resting (maker) order and an incoming (taker) one.
/// It happens at the maker's price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    /// Resting order.
    pub maker: OrderId,
    /// Owner of the resting order.
    pub maker_account: AccountId,
    /// Incoming order.
    pub taker: OrderId,
    /// Owner of the incoming order.
    pub taker_account: AccountId,
    /// Trade price (the maker's limit price).
    pub price: Price,
    /// Traded quantity, positive.
    pub qty: Qty,
    /// Side of the taker.
    pub aggressor: Side,
    /// What remains of the maker after this fill (0: it left the book).
    pub maker_remaining: Qty,
}

/// Why an order (or part of one) left the book without trading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelReason {
    /// Canceled by its owner (or modified to at most its filled quantity).
    User,
    /// Remainder of an immediate-or-cancel order.
    Ioc,
    /// Fill-or-kill that could not fill (used by the engine's liquidation
    /// path; the book itself rejects unfillable FOK orders).
    Fok,
    /// Self-trade prevention.
    Stp,
    /// Canceled because its account is being liquidated (engine).
    Liquidation,
    /// Reduce-only order that would no longer reduce (engine).
    ReduceOnly,
    /// Remainder of a market order for which the book had no more depth.
    NoLiquidity,
}

impl CancelReason {
    /// The name used in events.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReason::User => "user",
            CancelReason::Ioc => "ioc",
            CancelReason::Fok => "fok",
            CancelReason::Stp => "stp",
            CancelReason::Liquidation => "liquidation",
            CancelReason::ReduceOnly => "reduce_only",
            CancelReason::NoLiquidity => "no_liquidity",
        }
    }
}

/// An order (or the unfilled part of one) removed without trading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancel {
    /// The order.
    pub id: OrderId,
    /// Its owner.
    pub account: AccountId,
    /// The quantity removed (unfilled remainder), in lots.
    pub remaining: Qty,
    /// Why.
    pub reason: CancelReason,
}

/// An order that self-trade prevention (`decrement`) shrank but left
/// alive: a resting maker, or a taker that goes on matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reduce {
    /// The order.
    pub id: OrderId,
    /// Its owner.
    pub account: AccountId,
    /// The quantity removed, in lots.
    pub qty: Qty,
    /// The quantity still open after it, in lots.
    pub remaining: Qty,
    /// Why (always `Stp` today).
    pub reason: CancelReason,
}

/// One thing that happened in the book, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookEvent {
    /// A trade.
    Fill(Fill),
    /// A cancellation (taker remainder or resting order): the order is
    /// done.
    Canceled(Cancel),
    /// An order shrunk by self-trade prevention that stays alive.
    Reduced(Reduce),
}

/// Why the book refused a request; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BookReject {
    /// A post-only order would have taken liquidity.
    PostOnlyWouldCross,
    /// A fill-or-kill order could not be filled in full.
    FokUnfillable,
    /// The id is already resting or pending.
    DuplicateId,
    /// No resting order or pending stop has this id.
    UnknownOrder,
    /// Quantity not positive.
    BadQty,
    /// A stop whose trigger condition already holds.
    WouldTrigger,
}

impl BookReject {
    /// The name used in `rejected` events.
    pub fn as_str(self) -> &'static str {
        match self {
            BookReject::PostOnlyWouldCross => "post_only_would_cross",
            BookReject::FokUnfillable => "fok_unfillable",
            BookReject::DuplicateId => "duplicate_id",
            BookReject::UnknownOrder => "unknown_order",
            BookReject::BadQty => "bad_lot",
            BookReject::WouldTrigger => "would_trigger",
        }
    }
}

/// The result of a submit or modify that the book accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Placed {
    /// Quantity traded by this request.
    pub filled: Qty,
    /// Quantity left resting in the book.
    pub resting: Qty,
}
