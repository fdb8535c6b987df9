//! The replay driver on hand-made event streams with known answers: the
//! depletion overlay end to end (resilience 0, a half-life, infinite),
//! the taker measurement computed by hand, crossed data, out-of-order
//! times, gaps, L3 folding, and conservation after every scenario.

use cascade::instrument::{LiquidationSpec, MarkPolicy, MarkSpec};
use cascade::replay::driver::{DriveOutcome, Driver, DriverConfig, RowKind};
use cascade::replay::overlay::Resilience;
use cascade::replay::population::PopulationPlan;
use cascade::replay::presets::{instrument_spec, Detected, Overrides};
use cascade::replay::{Format, MarketEvent, Payload};
use cascade::types::{Decimal, Price, Qty, Ratio, Side};

const S: i64 = 1_000_000_000;

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

fn overrides() -> Overrides {
    Overrides {
        tick: Some("1".into()),
        lot: Some("1".into()),
        ..Overrides::default()
    }
}

fn detected() -> Detected {
    Detected {
        symbol: Some("X".into()),
        ..Detected::default()
    }
}

fn driver(resilience: Resilience, population: Option<&str>) -> Driver {
    let spec = instrument_spec(Format::Tardis, &detected(), &overrides()).unwrap();
    let population = population.map(|t| PopulationPlan::parse(t, &spec).unwrap());
    Driver::new(DriverConfig {
        format: Format::Tardis,
        spec,
        resilience,
        population,
        skip_bad_rows: false,
        quotes_as_book: false,
        measure_refill: false,
    })
    .unwrap()
}

fn ev(ts: i64, payload: Payload) -> MarketEvent {
    MarketEvent::new(ts, Some(ts), payload)
}

fn lvl(ts: i64, side: Side, p: &str, q: &str) -> MarketEvent {
    ev(
        ts,
        Payload::BookLevel {
            side,
            price: d(p),
            qty: d(q),
        },
    )
}

fn trade(ts: i64, aggressor: Side, p: &str, q: &str) -> MarketEvent {
    ev(
        ts,
        Payload::Trade {
            aggressor: Some(aggressor),
            price: d(p),
            qty: d(q),
            id: None,
            kind: cascade::replay::TradeKind::Regular,
        },
    )
}

/// A tick: an event the driver does not use, which lets time pass.
fn tick(ts: i64) -> MarketEvent {
    ev(ts, Payload::OpenInterest { qty: d("1") })
}

/// Bids 99 x 5, 98 x 5; asks 101 x 2, 102 x 3 (mid 100), at time 0.
fn snapshot() -> Vec<MarketEvent> {
    vec![
        ev(0, Payload::BookClear),
        lvl(0, Side::Buy, "99", "5"),
        lvl(0, Side::Buy, "98", "5"),
        lvl(0, Side::Sell, "101", "2"),
        lvl(0, Side::Sell, "102", "3"),
        ev(0, Payload::SnapshotEnd),
    ]
}

fn run(d: &mut Driver, evs: &[MarketEvent]) {
    for e in evs {
        d.on_event(e).unwrap();
    }
}

fn finish(d: Driver) -> DriveOutcome {
    let o = d.finish().unwrap();
    assert_eq!(o.consistency, None);
    assert_eq!(o.residual, cascade::types::Money::ZERO);
    o
}

#[test]
fn a_taker_is_measured_against_the_book_before_it() {
    let mut dr = driver(Resilience::Never, None);
    run(&mut dr, &snapshot());
    // One taker sells 7: 5 at 99, 2 at 98 (two prints, same time and side).
    run(
        &mut dr,
        &[
            trade(S, Side::Sell, "99", "5"),
            trade(S, Side::Sell, "98", "2"),
            // The depth diff that follows: our book must not have moved yet.
            lvl(2 * S, Side::Buy, "99", "0"),
            lvl(2 * S, Side::Buy, "98", "3"),
            // Another taker: buys 4 (2 at 101, 2 at 102).
            trade(3 * S, Side::Buy, "101", "2"),
            trade(3 * S, Side::Buy, "102", "2"),
        ],
    );
    let o = finish(dr);
    assert_eq!(o.rows.len(), 2);
    let r = o.rows[0];
    assert_eq!(
        (r.kind, r.ts, r.side, r.qty, r.trades),
        (RowKind::Taker, S, Side::Sell, Qty(7), 2)
    );
    assert_eq!(r.mid2, Some(200));
    assert_eq!(r.mark, Some(Price(100)), "median of the mid alone");
    assert_eq!(r.walk.filled, Qty(7));
    assert_eq!(r.walk.px_qty, 5 * 99 + 2 * 98);
    assert_eq!(r.walk.levels, 2);
    // The 1% band of the bids reaches down to 99: 5 lots, all taken.
    assert_eq!((r.walk.depth_1pct, r.walk.within_1pct), (5, 5));
    assert_eq!(r.reported, Some(Ratio::new(691, 7)));
    // 10000 * (100 - 691/7) / 100 = 128.57 bps.
    let s = r.walk.slippage_bps(Side::Sell, 200).unwrap().to_f64();
    assert!((s - 128.571_428_57).abs() < 1e-6, "{s}");
    // The buyer: book after the diff has bids 98 x 3 only (mid 99.5).
    let b = o.rows[1];
    assert_eq!((b.side, b.qty, b.walk.levels), (Side::Buy, Qty(4), 2));
    assert_eq!(b.mid2, Some(98 + 101));
    assert_eq!(b.walk.px_qty, 2 * 101 + 2 * 102);
    assert_eq!(o.counters.prints, 4);
}

/// A population with no accounts and a street sell of 7 lots at 1 s: it
/// takes bid 99 x 5 and 2 lots of bid 98.
const SHOCK: &str = "[[shock]]\nat = \"1s\"\nside = \"sell\"\nqty = \"7\"\n";

/// The overlay end to end: the shock takes depth at 1 s; history restates
/// bid 99 x 5 and bid 98 x 5 at 3 s.
fn depleted(res: Resilience) -> (Qty, Qty, DriveOutcome) {
    let mut dr = driver(res, Some(SHOCK));
    run(&mut dr, &snapshot());
    run(&mut dr, &[tick(S)]);
    let eng = dr.engine();
    assert_eq!(eng.street_level(0, Side::Buy, Price(99)), Qty(0));
    assert_eq!(eng.street_level(0, Side::Buy, Price(98)), Qty(3));
    run(
        &mut dr,
        &[
            lvl(3 * S, Side::Buy, "99", "5"),
            lvl(3 * S, Side::Buy, "98", "5"),
        ],
    );
    dr.settle_pending().unwrap();
    let eng = dr.engine();
    let (a, b) = (
        eng.street_level(0, Side::Buy, Price(99)),
        eng.street_level(0, Side::Buy, Price(98)),
    );
    (a, b, finish(dr))
}

#[test]
fn resilience_zero_gives_depth_back() {
    let (a, b, o) = depleted(Resilience::HalfLife(0));
    assert_eq!((a, b), (Qty(5), Qty(5)));
    assert_eq!(o.depth_taken, 7);
    assert_eq!(o.shocks.len(), 1);
    assert_eq!((o.shocks[0].ts, o.shocks[0].qty), (S, Qty(7)));
}

#[test]
fn a_half_life_gives_back_half_per_half_life() {
    // 2 s after the shock with a 1 s half-life: a quarter still missing
    // (5 -> 1.25, shown 4; 2 -> 0.5, rounds to 1, shown 4).
    let (a, b, _) = depleted(Resilience::HalfLife(S));
    assert_eq!((a, b), (Qty(4), Qty(4)));
    // With a 2 s half-life: half missing (2.5 -> 3 rounded half up, 1).
    let (a, b, _) = depleted(Resilience::HalfLife(2 * S));
    assert_eq!((a, b), (Qty(2), Qty(4)));
}

#[test]
fn infinite_resilience_never_gives_back() {
    let (a, b, _) = depleted(Resilience::Never);
    assert_eq!((a, b), (Qty(0), Qty(3)));
}

#[test]
fn depth_recovers_between_historical_updates() {
    let mut dr = driver(Resilience::HalfLife(S), Some(SHOCK));
    run(&mut dr, &snapshot());
    run(&mut dr, &[tick(S)]);
    // No update of those levels, only time: 10 s later all is back.
    run(&mut dr, &[tick(11 * S)]);
    let eng = dr.engine();
    assert_eq!(eng.street_level(0, Side::Buy, Price(99)), Qty(5));
    assert_eq!(eng.street_level(0, Side::Buy, Price(98)), Qty(5));
    finish(dr);
}

#[test]
fn crossed_data_is_counted_and_the_stale_side_removed() {
    let mut dr = driver(Resilience::Never, None);
    run(&mut dr, &snapshot());
    // A bid at 101 through the ask at 101 that the batch never removes:
    // history itself is crossed.
    run(&mut dr, &[lvl(S, Side::Buy, "101", "1"), tick(2 * S)]);
    assert_eq!(dr.counters().crossed_books, 1);
    assert_eq!(dr.counters().uncrossed_levels, 1);
    assert_eq!(dr.engine().street_level(0, Side::Sell, Price(101)), Qty(0));
    // The market moves up one tick: the new bid at 102 arrives before the
    // delete of the ask at 102 in the same batch: not a crossed book.
    run(
        &mut dr,
        &[
            lvl(3 * S, Side::Buy, "102", "1"),
            lvl(3 * S, Side::Sell, "102", "0"),
            lvl(3 * S, Side::Sell, "103", "4"),
            tick(4 * S),
        ],
    );
    assert_eq!(dr.counters().crossed_books, 1);
    assert_eq!(dr.counters().uncrossed_levels, 2);
    let book = &dr.engine().market(0).book;
    assert_eq!(
        (book.best_bid(), book.best_ask()),
        (Some(Price(102)), Some(Price(103)))
    );
    finish(dr);
}

#[test]
fn out_of_order_times_never_move_the_clock_back() {
    let mut dr = driver(Resilience::Never, None);
    run(&mut dr, &snapshot());
    run(&mut dr, &[tick(5 * S), lvl(2 * S, Side::Buy, "97", "1")]);
    assert_eq!(dr.clock(), 5 * S);
    dr.settle_pending().unwrap();
    assert_eq!(dr.engine().street_level(0, Side::Buy, Price(97)), Qty(1));
    finish(dr);
}

#[test]
fn a_gap_empties_the_street_book_until_the_next_snapshot() {
    let mut dr = driver(Resilience::Never, None);
    run(&mut dr, &snapshot());
    run(
        &mut dr,
        &[
            ev(S, Payload::Gap),
            // Nothing to measure against while the book is unknown.
            trade(2 * S, Side::Buy, "101", "1"),
            tick(3 * S),
        ],
    );
    assert_eq!(dr.engine().market(0).book.len(), 0);
    let mut again = snapshot();
    for e in &mut again {
        e.exchange_ts = 4 * S;
        e.local_ts = Some(4 * S);
    }
    run(&mut dr, &again);
    run(&mut dr, &[trade(5 * S, Side::Buy, "101", "1"), tick(6 * S)]);
    let o = finish(dr);
    assert_eq!(o.counters.gaps, 1);
    assert_eq!(o.counters.unmeasured, 1);
    assert_eq!(o.rows.len(), 1);
    assert_eq!(o.counters.snapshots, 2);
}

#[test]
fn a_population_cascades_through_the_replayed_book() {
    // Mark = last trade, liquidations without a price limit. Two longs of
    // 1 lot at 10000: A (deposit 300) is liquidatable below 9738.9, B
    // (deposit 400) below 9638.6. The shock sells 11 lots at 1 s: the last
    // trade is at 9730, A's liquidation sells into 9600, which takes B.
    let pop = r#"
[[population.account]]
id = 1
deposit = "300"
position = [{ symbol = "X", qty = "1", entry = "10000" }]
[[population.account]]
id = 2
deposit = "400"
position = [{ symbol = "X", qty = "1", entry = "10000" }]
[[shock]]
at = "1s"
side = "sell"
qty = "11"
"#;
    let mut spec = instrument_spec(Format::Tardis, &detected(), &overrides()).unwrap();
    spec.mark = Some(MarkSpec {
        policy: MarkPolicy::Last,
    });
    spec.liquidation = Some(LiquidationSpec {
        price_limit: Some("none".into()),
        ..LiquidationSpec::default()
    });
    let population = Some(PopulationPlan::parse(pop, &spec).unwrap());
    let mut dr = Driver::new(DriverConfig {
        format: Format::Tardis,
        spec,
        resilience: Resilience::Never,
        population,
        skip_bad_rows: false,
        quotes_as_book: false,
        measure_refill: false,
    })
    .unwrap();
    run(
        &mut dr,
        &[
            ev(0, Payload::BookClear),
            lvl(0, Side::Buy, "10000", "5"),
            lvl(0, Side::Buy, "9990", "5"),
            lvl(0, Side::Buy, "9730", "1"),
            lvl(0, Side::Buy, "9600", "1"),
            lvl(0, Side::Buy, "9000", "1000"),
            lvl(0, Side::Sell, "10010", "1000"),
            ev(0, Payload::SnapshotEnd),
            tick(S),
            tick(2 * S),
        ],
    );
    let o = finish(dr);
    let liq: Vec<(u64, u32)> = o
        .liquidations
        .iter()
        .map(|(_, l)| (l.account, l.step))
        .collect();
    assert_eq!(liq, vec![(1, 1), (2, 2)]);
    assert_eq!(o.steps.len(), 2);
    assert_eq!(o.steps[0].step.vwap, Some(Ratio::int(9600)));
    assert_eq!(o.steps[1].step.vwap, Some(Ratio::int(9000)));
    assert!(o.steps.iter().all(|s| s.ts == S));
    assert_eq!(o.cascades.len(), 1);
    assert_eq!(o.accounts, 2);
    // The shock and both liquidations took historical depth.
    assert_eq!(o.depth_taken, 13);
}

#[test]
fn lobster_messages_fold_into_levels() {
    let spec = instrument_spec(
        Format::Lobster,
        &Detected {
            symbol: Some("AAPL".into()),
            ..Detected::default()
        },
        &Overrides::default(),
    )
    .unwrap();
    let mut dr = Driver::new(DriverConfig {
        format: Format::Lobster,
        spec,
        resilience: Resilience::HalfLife(0),
        population: None,
        skip_bad_rows: false,
        quotes_as_book: false,
        measure_refill: false,
    })
    .unwrap();
    let p = |s: &str| d(s);
    run(
        &mut dr,
        &[
            ev(0, Payload::BookClear),
            lvl(0, Side::Sell, "10.01", "100"),
            lvl(0, Side::Buy, "9.99", "50"),
            ev(0, Payload::SnapshotEnd),
            ev(
                1,
                Payload::OrderAdd {
                    id: 7,
                    side: Side::Sell,
                    price: p("10.01"),
                    qty: p("20"),
                },
            ),
            // An execution of an order resting before the file: anonymous.
            ev(
                2,
                Payload::OrderExecute {
                    id: 3,
                    side: Side::Sell,
                    price: p("10.01"),
                    qty: p("30"),
                },
            ),
            ev(
                3,
                Payload::OrderReduce {
                    id: 7,
                    side: Side::Sell,
                    price: p("10.01"),
                    qty: p("5"),
                },
            ),
            ev(
                4,
                Payload::OrderDelete {
                    id: 99,
                    side: Side::Buy,
                    price: p("9.99"),
                    qty: p("50"),
                },
            ),
            ev(
                5,
                Payload::HiddenExecute {
                    side: Side::Buy,
                    price: p("10"),
                    qty: p("10"),
                },
            ),
        ],
    );
    dr.settle_pending().unwrap();
    let book = &dr.engine().market(0).book;
    assert_eq!(book.depth(Side::Sell, 5), vec![(Price(100_100), Qty(85))]);
    assert_eq!(book.depth(Side::Buy, 5), vec![]);
    let o = finish(dr);
    // The execution and the hidden one are two takers (different times).
    assert_eq!(o.counters.prints, 2);
}
