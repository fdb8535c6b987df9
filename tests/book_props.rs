//! Property tests: random sequences of every book operation (all order
//! types, time in force and self-trade prevention modes, several accounts,
//! a narrow price band so orders cross and ids collide, plus extreme values)
//! run through the fast `OrderBook` (both ladder layouts) and the
//! `ReferenceBook` oracle. `check_ops` compares results, events, invariants,
//! depth, queues and every order's view after every operation, and keeps a
//! per-order ledger (submitted = filled + resting + canceled).
//!
//! A second price distribution puts orders in clusters far apart (600,000
//! ticks, and right at the dense ladder's outlier distance of 2^19 ticks
//! and its largest window of 2^20), so that the dense ladder moves its
//! window, sends outliers to its far map and brings them back, both with
//! the whole book and with the ladder alone against the `BTreeMap` ladder.
//! A third id distribution puts ids in clusters 700 apart and far out, so
//! that the id index's window grows, slides past live ids and jumps.

use cascade::book::fuzzing::{check_ops, run_ops, Op};
use cascade::book::ladder::{BTreeLadder, DenseLadder, Ladder};
use cascade::book::{OrderRequest, SelfTradePrevention, StopRequest, TimeInForce, TriggerSource};
use cascade::types::{Price, Qty, Side};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = u64> {
    prop_oneof![30 => 0u64..16, 1 => Just(u64::MAX), 1 => Just(1u64 << 63)]
}

/// Ids in clusters about a window of the id index apart (1,024 and more),
/// so that its window grows, slides past live ids and jumps.
fn spread_id() -> impl Strategy<Value = u64> {
    prop_oneof![
        30 => (0u64..12, 0u64..4).prop_map(|(k, d)| k * 700 + d),
        2 => (0u64..4).prop_map(|d| (1 << 62) + d),
        1 => Just(u64::MAX),
        1 => Just(u64::MAX - 1500),
    ]
}

fn price() -> impl Strategy<Value = Price> {
    prop_oneof![
        40 => 96i64..=104,
        1 => Just(i64::MIN),
        1 => Just(i64::MAX),
        1 => Just(0i64),
    ]
    .prop_map(Price)
}

/// Prices in clusters: the market near 100, and clusters 600,000 ticks
/// away and around the dense ladder's outlier distance (2^19) and largest
/// window (2^20) on both sides of it.
fn far_price() -> impl Strategy<Value = Price> {
    const HALF: i64 = 1 << 19;
    prop_oneof![
        12 => 96i64..=104,
        3 => (-3i64..=3).prop_map(|d| 100 - 600_000 + d),
        3 => (-3i64..=3).prop_map(|d| 100 + 600_000 + d),
        2 => (-3i64..=3).prop_map(|d| 100 - HALF + d),
        2 => (-3i64..=3).prop_map(|d| 100 + HALF + d),
        1 => (-3i64..=3).prop_map(|d| 100 - 2 * HALF + d),
        1 => (-3i64..=3).prop_map(|d| 100 + 2 * HALF + d),
        1 => (-3i64..=3).prop_map(|d| 100 + 4 * HALF + d),
        1 => Just(i64::MIN),
        1 => Just(i64::MAX),
    ]
    .prop_map(Price)
}

fn qty() -> impl Strategy<Value = Qty> {
    prop_oneof![
        40 => 1i64..=8,
        1 => Just(0i64),
        1 => Just(-1i64),
        1 => Just(i64::MAX),
        1 => Just(i64::MAX - 2),
        1 => Just(1i64 << 62),
    ]
    .prop_map(Qty)
}

fn side() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn tif() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![
        4 => Just(TimeInForce::Gtc),
        1 => Just(TimeInForce::Ioc),
        1 => Just(TimeInForce::Fok),
        1 => Just(TimeInForce::PostOnly),
    ]
}

fn stp() -> impl Strategy<Value = SelfTradePrevention> {
    prop_oneof![
        4 => Just(SelfTradePrevention::None),
        1 => Just(SelfTradePrevention::CancelTaker),
        1 => Just(SelfTradePrevention::CancelMaker),
        1 => Just(SelfTradePrevention::CancelBoth),
        1 => Just(SelfTradePrevention::Decrement),
    ]
}

fn order(
    price: fn() -> BoxedStrategy<Price>,
    id: fn() -> BoxedStrategy<u64>,
) -> impl Strategy<Value = OrderRequest> {
    (
        id(),
        0u64..3,
        side(),
        qty(),
        prop::option::weighted(0.9, price()),
        tif(),
        stp(),
    )
        .prop_map(|(id, account, side, qty, price, tif, stp)| OrderRequest {
            id,
            account,
            side,
            qty,
            price,
            tif,
            stp,
        })
}

fn source() -> impl Strategy<Value = TriggerSource> {
    prop_oneof![Just(TriggerSource::Last), Just(TriggerSource::Mark)]
}

/// Any operation, its prices drawn from `price` and its ids from `id`.
fn op(
    price: fn() -> BoxedStrategy<Price>,
    id: fn() -> BoxedStrategy<u64>,
) -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => order(price, id).prop_map(Op::Submit),
        2 => id().prop_map(Op::Cancel),
        4 => (id(), prop::option::of(price()), prop::option::of(qty()))
            .prop_map(|(id, price, qty)| Op::Modify { id, price, qty }),
        2 => (id(), prop_oneof![3 => qty(), 1 => Just(Qty(0))])
            .prop_map(|(id, remaining)| Op::Resize { id, remaining }),
        1 => (order(price, id), price(), source()).prop_map(|(order, trigger, trigger_by)| {
            Op::AddStop(StopRequest { order, trigger, trigger_by })
        }),
        1 => (source(), price()).prop_map(|(source, price)| Op::Trigger { source, price }),
    ]
}

fn near() -> BoxedStrategy<Price> {
    price().boxed()
}

fn few() -> BoxedStrategy<u64> {
    id().boxed()
}

fn spread() -> BoxedStrategy<u64> {
    spread_id().boxed()
}

fn far() -> BoxedStrategy<Price> {
    far_price().boxed()
}

/// One operation on a lone ladder.
#[derive(Clone, Copy, Debug)]
enum LadderOp {
    Insert(Price),
    Remove(Price),
    RemoveBest,
}

fn ladder_op() -> impl Strategy<Value = LadderOp> {
    prop_oneof![
        6 => far_price().prop_map(LadderOp::Insert),
        3 => far_price().prop_map(LadderOp::Remove),
        2 => Just(LadderOp::RemoveBest),
    ]
}

/// Cases per property: 4000 in release builds (about 10 s), fewer in
/// debug builds; `PROPTEST_CASES` overrides both (e.g. for a long soak).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) { 400 } else { 4000 })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn fast_book_equals_reference(ops in prop::collection::vec(op(near, few), 1..160)) {
        if let Err(e) = check_ops(&ops) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn fast_book_equals_reference_with_far_prices(
        ops in prop::collection::vec(op(far, few), 1..160)
    ) {
        if let Err(e) = check_ops(&ops) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn fast_book_equals_reference_with_spread_ids(
        ops in prop::collection::vec(op(near, spread), 1..200)
    ) {
        if let Err(e) = check_ops(&ops) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn dense_ladder_equals_btree_ladder_with_far_prices(
        ops in prop::collection::vec(ladder_op(), 1..300),
        buy in any::<bool>(),
    ) {
        let side = if buy { Side::Buy } else { Side::Sell };
        let mut dense = DenseLadder::new(side);
        let mut btree = BTreeLadder::new(side);
        for (n, op) in ops.iter().enumerate() {
            match *op {
                LadderOp::Insert(p) => {
                    let a = dense.get_or_insert_with(p, || n as u32);
                    let b = btree.get_or_insert_with(p, || n as u32);
                    prop_assert_eq!(a, b);
                }
                LadderOp::Remove(p) => {
                    dense.remove(p);
                    btree.remove(p);
                }
                LadderOp::RemoveBest => {
                    dense.remove_best();
                    btree.remove_best();
                }
            }
            if let Err(e) = dense.check() {
                prop_assert!(false, "op #{} {:?}: {}", n, op, e);
            }
            prop_assert_eq!(dense.best(), btree.best());
            prop_assert_eq!(dense.len(), btree.len());
            prop_assert!(dense.iter().eq(btree.iter()), "op #{} {:?}", n, op);
            if let LadderOp::Insert(p) | LadderOp::Remove(p) = *op {
                prop_assert_eq!(dense.get(p), btree.get(p));
            }
        }
    }

    #[test]
    fn any_bytes_are_a_valid_program(data in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Err(e) = run_ops(&data) {
            prop_assert!(false, "{}", e);
        }
    }
}
