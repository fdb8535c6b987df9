//! `Engine::add_accounts` against the commands it stands for: on random
//! worlds (the engine property tests' decoder), a population added in
//! bulk gives the same events, byte for byte, and the same accounts as
//! the same population given as `account` and `position` commands; a
//! failed check stops the bulk add where the commands would fail; with a
//! mark already set, accounts under maintenance are liquidated after the
//! population is in, and the engine's invariants hold.

use cascade::command::Command;
use cascade::event::{CollectSink, JsonLinesSink, NullSink};
use cascade::liquidation::fuzzing::decode;
use cascade::liquidation::{Engine, EngineError, NewAccount, NewPosition};
use cascade::margin::MarginMode;
use cascade::script::parse_line;
use cascade::types::Money;
use proptest::prelude::*;
use smallvec::SmallVec;

/// Turns the `account` / `position` commands of a population into bulk
/// rows (the engine must know the symbols already).
fn rows(engine: &Engine, cmds: &[Command]) -> Vec<NewAccount> {
    let mut out: Vec<NewAccount> = Vec::new();
    for c in cmds {
        match c {
            Command::Account { id, deposit, mode } => out.push(NewAccount {
                id: *id,
                deposit: Money::from_decimal(*deposit).unwrap(),
                mode: *mode,
                positions: SmallVec::new(),
            }),
            Command::Position {
                account,
                symbol,
                qty,
                entry,
                margin,
            } => {
                let inst = engine.symbol(symbol).unwrap();
                let spec = &engine.instruments()[inst as usize];
                let row = out.last_mut().unwrap();
                assert_eq!(row.id, *account, "positions follow their account");
                row.positions.push(NewPosition {
                    inst,
                    qty: spec.qty(*qty).unwrap(),
                    entry: spec.price(*entry).unwrap(),
                    margin: margin.map(|m| Money::from_decimal(m).unwrap()),
                });
            }
            other => panic!("not a population command: {other:?}"),
        }
    }
    out
}

/// Runs a script, the population block (the first run of `account` and
/// `position` commands) in bulk when `bulk`; returns the output bytes and
/// every account's report.
fn run(cmds: &[Command], bulk: bool) -> (Vec<u8>, String) {
    let is_pop = |c: &Command| matches!(c, Command::Account { .. } | Command::Position { .. });
    let start = cmds.iter().position(is_pop).unwrap_or(cmds.len());
    let end = start + cmds[start..].iter().take_while(|c| is_pop(c)).count();
    let mut engine = Engine::new();
    let mut sink = JsonLinesSink::new(Vec::new());
    for c in &cmds[..start] {
        let _ = engine.apply(c, &mut sink);
    }
    if bulk {
        let pop = rows(&engine, &cmds[start..end]);
        engine.add_accounts(pop, &mut sink).unwrap();
    } else {
        for c in &cmds[start..end] {
            engine.apply(c, &mut sink).unwrap();
        }
    }
    for c in &cmds[end..] {
        let _ = engine.apply(c, &mut sink);
    }
    engine.check_consistency().unwrap();
    let accounts = engine
        .accounts()
        .iter()
        .map(|(_, a)| format!("{:?} {:?} {:?}\n", a.id(), a.balance(), a.positions()))
        .collect();
    (sink.finish().unwrap(), accounts)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(debug_assertions) { 60 } else { 600 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn bulk_population_matches_commands(data in proptest::collection::vec(any::<u8>(), 16..400)) {
        let cmds = decode(&data);
        let (bytes_cmds, accts_cmds) = run(&cmds, false);
        let (bytes_bulk, accts_bulk) = run(&cmds, true);
        prop_assert_eq!(String::from_utf8(bytes_cmds).unwrap(), String::from_utf8(bytes_bulk).unwrap());
        prop_assert_eq!(accts_cmds, accts_bulk);
    }
}

fn line(s: &str) -> Command {
    parse_line(s).unwrap().unwrap()
}

fn one_instrument() -> Engine {
    let mut e = Engine::new();
    e.apply(
        &line(
            r#"{"cmd":"instrument","symbol":"X","kind":"linear","tick":"1","lot":"1","tiers":[{"mmr":"0.01","imr":"0.02"}]}"#,
        ),
        &mut NullSink,
    )
    .unwrap();
    e
}

fn account(id: u64, deposit: i128, qty: i64, entry: i64) -> NewAccount {
    NewAccount {
        id,
        deposit: Money(deposit * 1_000_000_000_000),
        mode: MarginMode::Cross,
        positions: [NewPosition {
            inst: 0,
            qty: cascade::types::Qty(qty),
            entry: cascade::types::Price(entry),
            margin: None,
        }]
        .into_iter()
        .collect(),
    }
}

#[test]
fn a_failed_check_stops_where_the_commands_would() {
    let mut e = one_instrument();
    let pop = vec![
        account(1, 100, 5, 100),
        account(2, 100, -5, 100),
        account(1, 100, 5, 100),
        account(3, 100, 5, 100),
    ];
    let err = e.add_accounts(pop, &mut NullSink).unwrap_err();
    assert_eq!(err.position, 2);
    assert_eq!(err.account, 1);
    assert_eq!(err.error, EngineError::DuplicateAccount(1));
    assert_eq!(e.accounts().len(), 3, "the street and accounts 1 and 2");
    assert!(e.accounts().by_id(3).is_err());
    // The two added accounts are indexed: a mark at which account 1 (long 5
    // at 100, balance 100: liquidated below about 80.8) is liquidatable
    // finds it.
    let mut sink = CollectSink::default();
    e.apply(
        &line(r#"{"cmd":"mark","symbol":"X","price":"80"}"#),
        &mut sink,
    )
    .unwrap();
    assert!(sink
        .events
        .iter()
        .any(|ev| matches!(ev, cascade::event::Event::Liquidation(l) if l.account == 1)));
    e.check_consistency().unwrap();

    // A bad position (no such instrument) stops at its account, which
    // stays created with no position, as the commands would leave it.
    let mut e = one_instrument();
    let mut bad = account(7, 10, 1, 100);
    bad.positions[0].inst = 3;
    let err = e
        .add_accounts(vec![account(6, 10, 1, 100), bad], &mut NullSink)
        .unwrap_err();
    assert_eq!((err.position, err.account), (1, 7));
    assert!(e.accounts().by_id(7).unwrap().positions().is_empty());
    e.check_consistency().unwrap();
}

#[test]
fn accounts_under_maintenance_at_the_marks_are_liquidated_after_the_population() {
    let mut e = one_instrument();
    e.apply(
        &line(r#"{"cmd":"mark","symbol":"X","price":"100"}"#),
        &mut NullSink,
    )
    .unwrap();
    // A street bid for the liquidation orders to hit.
    e.apply(
        &line(r#"{"cmd":"order","account":0,"id":1,"symbol":"X","side":"buy","type":"limit","price":"99","qty":"100"}"#),
        &mut NullSink,
    )
    .unwrap();
    // Account 2 holds 1 of equity against 10 x 100 x 0.01 = 10 of
    // maintenance: under it from the start; 1 and 3 are healthy.
    let pop = vec![
        account(1, 100, 10, 100),
        account(2, 1, 10, 100),
        account(3, 100, -10, 100),
    ];
    let mut sink = CollectSink::default();
    assert_eq!(e.add_accounts(pop, &mut sink).unwrap(), 3);
    let liquidated: Vec<u64> = sink
        .events
        .iter()
        .filter_map(|ev| match ev {
            cascade::event::Event::Liquidation(l) => Some(l.account),
            _ => None,
        })
        .collect();
    assert_eq!(liquidated, vec![2]);
    e.check_consistency().unwrap();
}
