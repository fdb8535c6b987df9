//! The matching loop of the fast book: an incoming order against the
//! opposite side, price-time priority, self-trade prevention, and the
//! fill-or-kill dry run.
//!
//! Owns: what happens between a taker's arrival and its remainder. Must
//! not: rest or cancel the taker's remainder (`orderbook.rs` does), or
//! allocate (events go to the caller's buffer).

use super::arena::NIL;
use super::ladder::Ladder;
use super::{
    BookEvent, Cancel, CancelReason, Fill, OrderBook, OrderRequest, Reduce, SelfTradePrevention,
};
use crate::types::{AccountId, OrderId, Price, Qty, Side};

/// True when a taker on `side` limited at `limit` (None: market) may trade
/// with a maker at `maker_price`.
#[inline(always)]
pub(super) fn crosses(side: Side, limit: Option<Price>, maker_price: Price) -> bool {
    match (side, limit) {
        (_, None) => true,
        (Side::Buy, Some(l)) => maker_price <= l,
        (Side::Sell, Some(l)) => maker_price >= l,
    }
}

/// What self-trade prevention's `decrement` of `qty` reports for one
/// order: `Reduced` while `left` lots remain open, `Canceled` when it is
/// done.
pub(super) fn stp_decrement(id: OrderId, account: AccountId, qty: i64, left: i64) -> BookEvent {
    if left > 0 {
        BookEvent::Reduced(Reduce {
            id,
            account,
            qty: Qty(qty),
            remaining: Qty(left),
            reason: CancelReason::Stp,
        })
    } else {
        BookEvent::Canceled(Cancel {
            id,
            account,
            remaining: Qty(qty),
            reason: CancelReason::Stp,
        })
    }
}

impl<L: Ladder> OrderBook<L> {
    /// Trades `req` (quantity `req.qty`) against the opposite side while it
    /// crosses. Returns (filled, remaining); remaining is 0 when self-trade
    /// prevention canceled the taker.
    pub(super) fn take(&mut self, req: &OrderRequest, out: &mut Vec<BookEvent>) -> (i64, i64) {
        let OrderBook {
            orders,
            levels,
            bids,
            asks,
            index,
            ..
        } = self;
        let ladder = match req.side {
            Side::Buy => asks,
            Side::Sell => bids,
        };
        let mut rem = req.qty.0;
        let mut filled = 0i64;
        let stp = req.stp;
        let stp_on = stp != SelfTradePrevention::None;
        let taker_cancel = |out: &mut Vec<BookEvent>, q: i64| {
            out.push(BookEvent::Canceled(Cancel {
                id: req.id,
                account: req.account,
                remaining: Qty(q),
                reason: CancelReason::Stp,
            }))
        };
        'levels: while rem > 0 {
            let Some((price, lvl)) = ladder.best() else {
                break;
            };
            if !crosses(req.side, req.price, price) {
                break;
            }
            let level = &mut levels[lvl];
            loop {
                // Invariant: levels in a ladder are never empty.
                let slot = level.head;
                let maker = &mut orders[slot];
                let mut stop = false;
                if stp_on && maker.account == req.account {
                    let maker_cancel = |out: &mut Vec<BookEvent>, q: i64| {
                        out.push(BookEvent::Canceled(Cancel {
                            id: maker.id,
                            account: maker.account,
                            remaining: Qty(q),
                            reason: CancelReason::Stp,
                        }))
                    };
                    match stp {
                        SelfTradePrevention::CancelTaker => {
                            taker_cancel(out, rem);
                            rem = 0;
                            break 'levels;
                        }
                        SelfTradePrevention::CancelMaker => {
                            maker_cancel(out, maker.remaining);
                        }
                        SelfTradePrevention::CancelBoth => {
                            maker_cancel(out, maker.remaining);
                            taker_cancel(out, rem);
                            rem = 0;
                            stop = true;
                        }
                        // `None` never gets here (`stp_on`).
                        SelfTradePrevention::Decrement | SelfTradePrevention::None => {
                            let d = rem.min(maker.remaining);
                            maker.remaining -= d;
                            level.total -= d as i128;
                            rem -= d;
                            out.push(stp_decrement(maker.id, maker.account, d, maker.remaining));
                            out.push(stp_decrement(req.id, req.account, d, rem));
                            if maker.remaining > 0 {
                                // Only when the taker is used up.
                                break 'levels;
                            }
                        }
                    }
                } else {
                    let q = rem.min(maker.remaining);
                    maker.remaining -= q;
                    maker.filled += q;
                    level.total -= q as i128;
                    rem -= q;
                    filled += q;
                    out.push(BookEvent::Fill(Fill {
                        maker: maker.id,
                        maker_account: maker.account,
                        taker: req.id,
                        taker_account: req.account,
                        price,
                        qty: Qty(q),
                        aggressor: req.side,
                        maker_remaining: Qty(maker.remaining),
                    }));
                    if maker.remaining > 0 {
                        // The taker is used up; the maker keeps its place.
                        break 'levels;
                    }
                }
                // The maker leaves (filled, or canceled by STP).
                let maker_id = maker.id;
                level.unlink(orders, slot);
                index.remove(maker_id);
                orders.release(slot);
                if level.head == NIL {
                    ladder.remove_best();
                    levels.release(lvl);
                    if stop {
                        break 'levels;
                    }
                    continue 'levels;
                }
                if stop || rem == 0 {
                    break 'levels;
                }
            }
        }
        (filled, rem)
    }

    /// Would `req` fill in full, self-trade prevention applied exactly as
    /// `take` applies it? Changes nothing.
    pub(super) fn fok_fillable(&self, req: &OrderRequest) -> bool {
        let mut need = req.qty.0 as i128;
        let stp_on = req.stp != SelfTradePrevention::None;
        for (price, lvl) in self.ladder(req.side.opposite()).iter() {
            if !crosses(req.side, req.price, price) {
                return false;
            }
            let level = &self.levels[lvl];
            if !stp_on {
                need -= level.total;
                if need <= 0 {
                    return true;
                }
                continue;
            }
            let mut s = level.head;
            while s != NIL {
                let m = &self.orders[s];
                if m.account == req.account {
                    if req.stp != SelfTradePrevention::CancelMaker {
                        return false;
                    }
                } else {
                    need -= m.remaining as i128;
                    if need <= 0 {
                        return true;
                    }
                }
                s = m.next;
            }
        }
        false
    }
}
