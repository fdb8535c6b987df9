//! Hand-written book scenarios with exact expected events, run against both
//! the fast `OrderBook` and the `ReferenceBook` oracle.

use cascade::book::{
    BookEvent, BookReject, Cancel, CancelReason, Fill, OrderRequest, Placed, Reduce,
    SelfTradePrevention, StopRequest, TimeInForce, TriggerSource,
};
use cascade::types::{Price, Qty, Side};

use SelfTradePrevention as Stp;
use Side::{Buy, Sell};

fn lim(id: u64, account: u64, side: Side, price: i64, qty: i64) -> OrderRequest {
    OrderRequest {
        id,
        account,
        side,
        qty: Qty(qty),
        price: Some(Price(price)),
        tif: TimeInForce::Gtc,
        stp: Stp::None,
    }
}

fn mkt(id: u64, account: u64, side: Side, qty: i64) -> OrderRequest {
    OrderRequest {
        price: None,
        ..lim(id, account, side, 0, qty)
    }
}

fn tif(o: OrderRequest, tif: TimeInForce) -> OrderRequest {
    OrderRequest { tif, ..o }
}

fn stp(o: OrderRequest, stp: Stp) -> OrderRequest {
    OrderRequest { stp, ..o }
}

/// A fill with both accounts equal to the ids' "owner" given explicitly.
#[allow(clippy::too_many_arguments)]
fn fill(
    maker: u64,
    maker_account: u64,
    taker: u64,
    taker_account: u64,
    price: i64,
    qty: i64,
    aggressor: Side,
    maker_remaining: i64,
) -> BookEvent {
    BookEvent::Fill(Fill {
        maker,
        maker_account,
        taker,
        taker_account,
        price: Price(price),
        qty: Qty(qty),
        aggressor,
        maker_remaining: Qty(maker_remaining),
    })
}

fn canceled(id: u64, account: u64, remaining: i64, reason: CancelReason) -> BookEvent {
    BookEvent::Canceled(Cancel {
        id,
        account,
        remaining: Qty(remaining),
        reason,
    })
}

/// Self-trade prevention took `qty` off order `id`, which stays open with
/// `remaining`.
fn reduced(id: u64, account: u64, qty: i64, remaining: i64) -> BookEvent {
    BookEvent::Reduced(Reduce {
        id,
        account,
        qty: Qty(qty),
        remaining: Qty(remaining),
        reason: CancelReason::Stp,
    })
}

fn placed(filled: i64, resting: i64) -> Placed {
    Placed {
        filled: Qty(filled),
        resting: Qty(resting),
    }
}

macro_rules! scenarios {
    ($modname:ident, $book:ty) => {
        mod $modname {
            use super::*;

            type Book = $book;

            /// Submits, checks invariants, returns (result, events).
            fn sub(b: &mut Book, o: OrderRequest) -> (Result<Placed, BookReject>, Vec<BookEvent>) {
                let mut out = Vec::new();
                let r = b.submit(&o, &mut out);
                b.check_invariants().unwrap();
                (r, out)
            }

            fn modi(
                b: &mut Book,
                id: u64,
                price: Option<i64>,
                qty: Option<i64>,
            ) -> (Result<Placed, BookReject>, Vec<BookEvent>) {
                let mut out = Vec::new();
                let r = b.modify(id, price.map(Price), qty.map(Qty), &mut out);
                b.check_invariants().unwrap();
                (r, out)
            }

            fn depth(b: &Book, side: Side) -> Vec<(i64, i64)> {
                b.depth(side, 100).iter().map(|(p, q)| (p.0, q.0)).collect()
            }

            #[test]
            fn fifo_is_kept_after_partial_fill() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Sell, 100, 5)).0.unwrap();
                sub(&mut b, lim(2, 2, Sell, 100, 5)).0.unwrap();
                let (r, ev) = sub(&mut b, lim(3, 3, Buy, 100, 3));
                assert_eq!(r, Ok(placed(3, 0)));
                assert_eq!(ev, vec![fill(1, 1, 3, 3, 100, 3, Buy, 2)]);
                // Order 1 keeps its place ahead of 2 after the partial fill.
                let (r, ev) = sub(&mut b, lim(4, 3, Buy, 100, 4));
                assert_eq!(r, Ok(placed(4, 0)));
                assert_eq!(
                    ev,
                    vec![
                        fill(1, 1, 4, 3, 100, 2, Buy, 0),
                        fill(2, 2, 4, 3, 100, 2, Buy, 3)
                    ]
                );
                assert_eq!(b.order(1), None);
                let o2 = b.order(2).unwrap();
                assert_eq!((o2.remaining, o2.filled), (Qty(3), Qty(2)));
                assert_eq!(depth(&b, Sell), vec![(100, 3)]);
            }

            #[test]
            fn price_priority_and_trades_at_maker_price() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Sell, 102, 1)).0.unwrap();
                sub(&mut b, lim(2, 1, Sell, 101, 1)).0.unwrap();
                sub(&mut b, lim(3, 1, Sell, 103, 1)).0.unwrap();
                let (r, ev) = sub(&mut b, lim(4, 2, Buy, 102, 5));
                assert_eq!(r, Ok(placed(2, 3)));
                assert_eq!(
                    ev,
                    vec![
                        fill(2, 1, 4, 2, 101, 1, Buy, 0),
                        fill(1, 1, 4, 2, 102, 1, Buy, 0)
                    ]
                );
                assert_eq!(b.best_bid(), Some(Price(102)));
                assert_eq!(b.best_ask(), Some(Price(103)));
                let o4 = b.order(4).unwrap();
                assert_eq!((o4.remaining, o4.filled), (Qty(3), Qty(2)));
            }

            #[test]
            fn market_remainder_is_no_liquidity_and_ioc_remainder_is_ioc() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Buy, 99, 2)).0.unwrap();
                sub(&mut b, lim(2, 1, Buy, 98, 2)).0.unwrap();
                let (r, ev) = sub(&mut b, mkt(3, 2, Sell, 5));
                assert_eq!(r, Ok(placed(4, 0)));
                assert_eq!(
                    ev,
                    vec![
                        fill(1, 1, 3, 2, 99, 2, Sell, 0),
                        fill(2, 1, 3, 2, 98, 2, Sell, 0),
                        canceled(3, 2, 1, CancelReason::NoLiquidity),
                    ]
                );
                assert!(b.is_empty());
                sub(&mut b, lim(4, 1, Buy, 99, 2)).0.unwrap();
                let (r, ev) = sub(&mut b, tif(lim(5, 2, Sell, 99, 3), TimeInForce::Ioc));
                assert_eq!(r, Ok(placed(2, 0)));
                assert_eq!(
                    ev,
                    vec![
                        fill(4, 1, 5, 2, 99, 2, Sell, 0),
                        canceled(5, 2, 1, CancelReason::Ioc)
                    ]
                );
                // An IOC that fills completely emits no cancel.
                sub(&mut b, lim(6, 1, Buy, 99, 2)).0.unwrap();
                let (r, ev) = sub(&mut b, tif(lim(7, 2, Sell, 99, 2), TimeInForce::Ioc));
                assert_eq!(r, Ok(placed(2, 0)));
                assert_eq!(ev, vec![fill(6, 1, 7, 2, 99, 2, Sell, 0)]);
                // A market order into an empty book.
                let (r, ev) = sub(&mut b, mkt(8, 2, Buy, 1));
                assert_eq!(r, Ok(placed(0, 0)));
                assert_eq!(ev, vec![canceled(8, 2, 1, CancelReason::NoLiquidity)]);
            }

            #[test]
            fn stp_cancel_taker() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 2, Sell, 100, 1)).0.unwrap();
                sub(&mut b, lim(2, 1, Sell, 100, 5)).0.unwrap();
                sub(&mut b, lim(3, 2, Sell, 100, 1)).0.unwrap();
                let (r, ev) = sub(&mut b, stp(lim(4, 1, Buy, 100, 4), Stp::CancelTaker));
                assert_eq!(r, Ok(placed(1, 0)));
                assert_eq!(
                    ev,
                    vec![
                        fill(1, 2, 4, 1, 100, 1, Buy, 0),
                        canceled(4, 1, 3, CancelReason::Stp)
                    ]
                );
                assert_eq!(b.order(2).unwrap().remaining, Qty(5));
                assert_eq!(b.order(4), None);
            }

            #[test]
            fn stp_cancel_maker() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Sell, 100, 5)).0.unwrap();
                sub(&mut b, lim(2, 2, Sell, 100, 2)).0.unwrap();
                sub(&mut b, lim(3, 1, Sell, 101, 1)).0.unwrap();
                let (r, ev) = sub(&mut b, stp(lim(4, 1, Buy, 101, 4), Stp::CancelMaker));
                assert_eq!(r, Ok(placed(2, 2)));
                assert_eq!(
                    ev,
                    vec![
                        canceled(1, 1, 5, CancelReason::Stp),
                        fill(2, 2, 4, 1, 100, 2, Buy, 0),
                        canceled(3, 1, 1, CancelReason::Stp),
                    ]
                );
                assert!(depth(&b, Sell).is_empty());
                assert_eq!(depth(&b, Buy), vec![(101, 2)]);
            }

            #[test]
            fn stp_cancel_both() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 2, Sell, 100, 1)).0.unwrap();
                sub(&mut b, lim(2, 1, Sell, 100, 5)).0.unwrap();
                sub(&mut b, lim(3, 2, Sell, 100, 1)).0.unwrap();
                let (r, ev) = sub(&mut b, stp(lim(4, 1, Buy, 100, 4), Stp::CancelBoth));
                assert_eq!(r, Ok(placed(1, 0)));
                assert_eq!(
                    ev,
                    vec![
                        fill(1, 2, 4, 1, 100, 1, Buy, 0),
                        canceled(2, 1, 5, CancelReason::Stp),
                        canceled(4, 1, 3, CancelReason::Stp),
                    ]
                );
                assert_eq!(depth(&b, Sell), vec![(100, 1)]);
                assert!(depth(&b, Buy).is_empty());
            }

            #[test]
            fn stp_decrement() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Sell, 100, 2)).0.unwrap();
                sub(&mut b, lim(2, 2, Sell, 100, 3)).0.unwrap();
                sub(&mut b, lim(3, 1, Sell, 100, 10)).0.unwrap();
                // Taker 6: decremented by 2 against 1 (which leaves: canceled;
                // the taker goes on with 4: reduced), fills 3 against 2, then
                // decremented by its last 1 against 3 (the taker is done:
                // canceled), which lives on with 9 (reduced).
                let (r, ev) = sub(&mut b, stp(lim(4, 1, Buy, 100, 6), Stp::Decrement));
                assert_eq!(r, Ok(placed(3, 0)));
                assert_eq!(
                    ev,
                    vec![
                        canceled(1, 1, 2, CancelReason::Stp),
                        reduced(4, 1, 2, 4),
                        fill(2, 2, 4, 1, 100, 3, Buy, 0),
                        reduced(3, 1, 1, 9),
                        canceled(4, 1, 1, CancelReason::Stp),
                    ]
                );
                let o3 = b.order(3).unwrap();
                assert_eq!((o3.remaining, o3.filled), (Qty(9), Qty(0)));
                assert_eq!(depth(&b, Sell), vec![(100, 9)]);
                // A bigger taker outlives the maker and rests.
                let (r, ev) = sub(&mut b, stp(lim(5, 1, Buy, 100, 12), Stp::Decrement));
                assert_eq!(r, Ok(placed(0, 3)));
                assert_eq!(
                    ev,
                    vec![canceled(3, 1, 9, CancelReason::Stp), reduced(5, 1, 9, 3)]
                );
                assert_eq!(depth(&b, Buy), vec![(100, 3)]);
                assert!(depth(&b, Sell).is_empty());
            }

            #[test]
            fn stp_none_or_other_account_trades() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Sell, 100, 2)).0.unwrap();
                let (r, ev) = sub(&mut b, lim(2, 1, Buy, 100, 1));
                assert_eq!(r, Ok(placed(1, 0)));
                assert_eq!(ev, vec![fill(1, 1, 2, 1, 100, 1, Buy, 1)]);
                let (r, _) = sub(&mut b, stp(lim(3, 2, Buy, 100, 1), Stp::CancelBoth));
                assert_eq!(r, Ok(placed(1, 0)));
            }

            #[test]
            fn fok_dry_run_honours_stp() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 2, Sell, 100, 2)).0.unwrap();
                sub(&mut b, lim(2, 1, Sell, 100, 3)).0.unwrap();
                sub(&mut b, lim(3, 2, Sell, 101, 2)).0.unwrap();
                let before = depth(&b, Sell);
                // 5 is available only if the own order 2 could trade.
                for mode in [
                    Stp::CancelMaker,
                    Stp::CancelTaker,
                    Stp::CancelBoth,
                    Stp::Decrement,
                ] {
                    let o = tif(stp(lim(4, 1, Buy, 101, 5), mode), TimeInForce::Fok);
                    let (r, ev) = sub(&mut b, o);
                    assert_eq!(r, Err(BookReject::FokUnfillable), "{mode:?}");
                    assert!(ev.is_empty());
                    assert_eq!(depth(&b, Sell), before);
                }
                // CancelTaker fails even when enough sits behind the own order.
                let o = tif(
                    stp(lim(4, 1, Buy, 101, 4), Stp::CancelTaker),
                    TimeInForce::Fok,
                );
                assert_eq!(sub(&mut b, o).0, Err(BookReject::FokUnfillable));
                // CancelMaker skips the own order: 4 fills, the own order goes.
                let o = tif(
                    stp(lim(4, 1, Buy, 101, 4), Stp::CancelMaker),
                    TimeInForce::Fok,
                );
                let (r, ev) = sub(&mut b, o);
                assert_eq!(r, Ok(placed(4, 0)));
                assert_eq!(
                    ev,
                    vec![
                        fill(1, 2, 4, 1, 100, 2, Buy, 0),
                        canceled(2, 1, 3, CancelReason::Stp),
                        fill(3, 2, 4, 1, 101, 2, Buy, 0),
                    ]
                );
                assert!(b.is_empty());
                // Without STP the own order trades.
                sub(&mut b, lim(5, 1, Sell, 100, 3)).0.unwrap();
                let (r, _) = sub(&mut b, tif(lim(6, 1, Buy, 100, 3), TimeInForce::Fok));
                assert_eq!(r, Ok(placed(3, 0)));
                // Limit respected by the dry run.
                sub(&mut b, lim(7, 1, Sell, 100, 3)).0.unwrap();
                sub(&mut b, lim(8, 1, Sell, 102, 3)).0.unwrap();
                let (r, _) = sub(&mut b, tif(lim(9, 2, Buy, 101, 4), TimeInForce::Fok));
                assert_eq!(r, Err(BookReject::FokUnfillable));
            }

            #[test]
            fn post_only() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Sell, 100, 2)).0.unwrap();
                let (r, ev) = sub(&mut b, tif(lim(2, 2, Buy, 100, 1), TimeInForce::PostOnly));
                assert_eq!(r, Err(BookReject::PostOnlyWouldCross));
                assert!(ev.is_empty());
                let (r, ev) = sub(&mut b, tif(lim(2, 2, Buy, 99, 1), TimeInForce::PostOnly));
                assert_eq!(r, Ok(placed(0, 1)));
                assert!(ev.is_empty());
                // A post-only modify that would cross is refused, unchanged.
                let (r, ev) = modi(&mut b, 2, Some(100), None);
                assert_eq!(r, Err(BookReject::PostOnlyWouldCross));
                assert!(ev.is_empty());
                assert_eq!(b.order(2).unwrap().price, Price(99));
            }

            #[test]
            fn modify_priority_rules() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Buy, 100, 5)).0.unwrap();
                sub(&mut b, lim(2, 2, Buy, 100, 5)).0.unwrap();
                // Reducing keeps priority: 1 is still first.
                assert_eq!(modi(&mut b, 1, None, Some(4)), (Ok(placed(0, 4)), vec![]));
                // Same quantity at the same price: no-op.
                assert_eq!(
                    modi(&mut b, 1, Some(100), Some(4)),
                    (Ok(placed(0, 4)), vec![])
                );
                let (_, ev) = sub(&mut b, lim(3, 3, Sell, 100, 1));
                assert_eq!(ev, vec![fill(1, 1, 3, 3, 100, 1, Sell, 3)]);
                // Order 1 has filled 1, remaining 3; total 4. Raising the
                // total to 5 loses priority: 2 is now first.
                assert_eq!(modi(&mut b, 1, None, Some(5)), (Ok(placed(0, 4)), vec![]));
                let o1 = b.order(1).unwrap();
                assert_eq!((o1.remaining, o1.filled), (Qty(4), Qty(1)));
                let (_, ev) = sub(&mut b, lim(4, 3, Sell, 100, 1));
                assert_eq!(ev, vec![fill(2, 2, 4, 3, 100, 1, Sell, 4)]);
                // A price change loses priority and may trade.
                sub(&mut b, lim(5, 3, Sell, 101, 2)).0.unwrap();
                let (r, ev) = modi(&mut b, 2, Some(101), None);
                assert_eq!(r, Ok(placed(2, 2)));
                assert_eq!(ev, vec![fill(5, 3, 2, 2, 101, 2, Buy, 0)]);
                let o2 = b.order(2).unwrap();
                assert_eq!(
                    (o2.price, o2.remaining, o2.filled),
                    (Price(101), Qty(2), Qty(3))
                );
                assert_eq!(depth(&b, Buy), vec![(101, 2), (100, 4)]);
                // A total at or below the filled quantity cancels.
                let (r, ev) = modi(&mut b, 2, None, Some(3));
                assert_eq!(r, Ok(placed(0, 0)));
                assert_eq!(ev, vec![canceled(2, 2, 2, CancelReason::User)]);
                assert_eq!(b.order(2), None);
                // Errors.
                assert_eq!(
                    modi(&mut b, 2, None, Some(3)).0,
                    Err(BookReject::UnknownOrder)
                );
                assert_eq!(modi(&mut b, 1, None, Some(-1)).0, Err(BookReject::BadQty));
                // Zero is at or below any filled quantity: it cancels too
                // (order 1: filled 1, remaining 4).
                let (r, ev) = modi(&mut b, 1, None, Some(0));
                assert_eq!(r, Ok(placed(0, 0)));
                assert_eq!(ev, vec![canceled(1, 1, 4, CancelReason::User)]);
                assert_eq!(b.order(1), None);
            }

            #[test]
            fn cancel_resize_and_rejects() {
                let mut b = Book::new();
                sub(&mut b, lim(1, 1, Buy, 100, 5)).0.unwrap();
                sub(&mut b, lim(2, 2, Buy, 100, 5)).0.unwrap();
                assert_eq!(
                    sub(&mut b, lim(1, 1, Sell, 200, 1)).0,
                    Err(BookReject::DuplicateId)
                );
                assert_eq!(
                    sub(&mut b, lim(9, 1, Sell, 200, 0)).0,
                    Err(BookReject::BadQty)
                );
                assert_eq!(
                    sub(&mut b, lim(9, 1, Sell, 200, -3)).0,
                    Err(BookReject::BadQty)
                );
                // Growing in place keeps priority.
                b.resize(1, Qty(50)).unwrap();
                b.check_invariants().unwrap();
                assert_eq!(depth(&b, Buy), vec![(100, 55)]);
                let (_, ev) = sub(&mut b, lim(3, 3, Sell, 100, 1));
                assert_eq!(ev, vec![fill(1, 1, 3, 3, 100, 1, Sell, 49)]);
                assert_eq!(b.resize(1, Qty(-1)), Err(BookReject::BadQty));
                b.resize(1, Qty(0)).unwrap();
                assert_eq!(b.order(1), None);
                assert_eq!(b.resize(1, Qty(3)), Err(BookReject::UnknownOrder));
                let c = b.cancel(2).unwrap();
                assert_eq!(
                    c,
                    Cancel {
                        id: 2,
                        account: 2,
                        remaining: Qty(5),
                        reason: CancelReason::User
                    }
                );
                assert_eq!(b.cancel(2), Err(BookReject::UnknownOrder));
                assert!(b.is_empty());
                b.check_invariants().unwrap();
            }

            #[test]
            fn stops() {
                let mut b = Book::new();
                let stop = |id, side, trigger, by| StopRequest {
                    order: mkt(id, 1, side, 1),
                    trigger: Price(trigger),
                    trigger_by: by,
                };
                b.add_stop(stop(1, Buy, 105, TriggerSource::Last)).unwrap();
                b.add_stop(stop(2, Buy, 101, TriggerSource::Last)).unwrap();
                b.add_stop(stop(3, Sell, 95, TriggerSource::Last)).unwrap();
                b.add_stop(stop(4, Buy, 100, TriggerSource::Mark)).unwrap();
                b.add_stop(stop(5, Sell, 99, TriggerSource::Last)).unwrap();
                assert_eq!(
                    b.add_stop(stop(5, Sell, 1, TriggerSource::Mark)),
                    Err(BookReject::DuplicateId)
                );
                assert_eq!(
                    sub(&mut b, lim(5, 1, Sell, 1, 1)).0,
                    Err(BookReject::DuplicateId)
                );
                let mut bad = stop(6, Sell, 1, TriggerSource::Mark);
                bad.order.qty = Qty(0);
                assert_eq!(b.add_stop(bad), Err(BookReject::BadQty));
                b.check_invariants().unwrap();
                let mut out = Vec::new();
                b.trigger_stops(TriggerSource::Last, Price(100), &mut out);
                assert!(out.is_empty());
                b.trigger_stops(TriggerSource::Last, Price(105), &mut out);
                // Insertion order, not trigger order.
                assert_eq!(
                    out.iter().map(|s| s.order.id).collect::<Vec<_>>(),
                    vec![1, 2]
                );
                assert_eq!(out[0], stop(1, Buy, 105, TriggerSource::Last));
                out.clear();
                b.trigger_stops(TriggerSource::Last, Price(95), &mut out);
                assert_eq!(
                    out.iter().map(|s| s.order.id).collect::<Vec<_>>(),
                    vec![3, 5]
                );
                assert_eq!(b.stop_count(), 1);
                assert_eq!(b.cancel(4).unwrap().remaining, Qty(1));
                assert_eq!(b.stop_count(), 0);
                b.check_invariants().unwrap();
            }

            #[test]
            fn extreme_values_do_not_panic() {
                let mut b = Book::new();
                let max = i64::MAX;
                sub(&mut b, lim(u64::MAX, 1, Sell, max, max)).0.unwrap();
                sub(&mut b, lim(2, 2, Sell, max, max)).0.unwrap();
                sub(&mut b, lim(3, 2, Buy, i64::MIN, max)).0.unwrap();
                assert_eq!(depth(&b, Sell), vec![(max, max)]);
                let (r, _) = sub(&mut b, mkt(4, 3, Buy, max));
                assert_eq!(r, Ok(placed(max, 0)));
                let (r, _) = sub(&mut b, mkt(5, 3, Buy, 5));
                assert_eq!(r, Ok(placed(5, 0)));
                // filled (5) + remaining must stay within i64.
                assert_eq!(b.resize(2, Qty(max)), Err(BookReject::BadQty));
                b.resize(2, Qty(max - 5)).unwrap();
                let (r, ev) = sub(&mut b, mkt(6, 3, Sell, max));
                assert_eq!(r, Ok(placed(max, 0)));
                assert_eq!(ev, vec![fill(3, 2, 6, 3, i64::MIN, max, Sell, 0)]);
                b.check_invariants().unwrap();
            }
        }
    };
}

scenarios!(fast, cascade::book::OrderBook);
scenarios!(reference, cascade::book::ReferenceBook);
