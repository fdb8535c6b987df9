//! Property tests: random sequences of every book operation (all order
//! types, time in force and self-trade prevention modes, several accounts,
//! a narrow price band so orders cross and ids collide, plus extreme values)
//! run through the fast `OrderBook` (both ladder layouts) and the
//! `ReferenceBook` oracle. `check_ops` compares results, events, invariants,
//! depth, queues and every order's view after every operation, and keeps a
//! per-order ledger (submitted = filled + resting + canceled).

use cascade::book::fuzzing::{check_ops, run_ops, Op};
use cascade::book::{OrderRequest, SelfTradePrevention, StopRequest, TimeInForce, TriggerSource};
use cascade::types::{Price, Qty, Side};
use proptest::prelude::*;

fn id() -> impl Strategy<Value = u64> {
    prop_oneof![30 => 0u64..16, 1 => Just(u64::MAX), 1 => Just(1u64 << 63)]
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

fn order() -> impl Strategy<Value = OrderRequest> {
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

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => order().prop_map(Op::Submit),
        2 => id().prop_map(Op::Cancel),
        4 => (id(), prop::option::of(price()), prop::option::of(qty()))
            .prop_map(|(id, price, qty)| Op::Modify { id, price, qty }),
        2 => (id(), prop_oneof![3 => qty(), 1 => Just(Qty(0))])
            .prop_map(|(id, remaining)| Op::Resize { id, remaining }),
        1 => (order(), price(), source()).prop_map(|(order, trigger, trigger_by)| {
            Op::AddStop(StopRequest { order, trigger, trigger_by })
        }),
        1 => (source(), price()).prop_map(|(source, price)| Op::Trigger { source, price }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8000, ..ProptestConfig::default() })]

    #[test]
    fn fast_book_equals_reference(ops in prop::collection::vec(op(), 1..160)) {
        if let Err(e) = check_ops(&ops) {
            prop_assert!(false, "{}", e);
        }
    }

    #[test]
    fn any_bytes_are_a_valid_program(data in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Err(e) = run_ops(&data) {
            prop_assert!(false, "{}", e);
        }
    }
}
