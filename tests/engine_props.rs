//! Property tests of the whole engine: random worlds (two instruments,
//! linear and inverse, random liquidation policies and breakers, a
//! population of cross and isolated accounts with positions, a street
//! book) driven by random commands (orders of every kind, marks, index,
//! funding, deposits and withdrawals, halts). After every command: money
//! is conserved to the unit, positions sum to zero, the books are sound,
//! the trigger index agrees with a scan of all accounts, and every account
//! is healthy or flat once its cascade is over. Every account's money and
//! the funds rebuild from the commands and events alone, and conserve to
//! the unit at every `funds` event. The same script gives byte-identical
//! output twice.

use cascade::command::Command;
use cascade::event::JsonLinesSink;
use cascade::liquidation::audit::audit_commands;
use cascade::liquidation::fuzzing::{check_script, decode};
use cascade::liquidation::Engine;
use proptest::prelude::*;

fn render(cmds: &[Command]) -> Vec<u8> {
    let mut engine = Engine::new();
    let mut sink = JsonLinesSink::new(Vec::new());
    for c in cmds {
        let _ = engine.apply(c, &mut sink);
    }
    sink.finish().unwrap()
}

proptest! {
    // 3,000 worlds in a release build (about a second); fewer in a debug
    // build, which is some 30 times slower.
    #![proptest_config(ProptestConfig {
        cases: if cfg!(debug_assertions) { 150 } else { 3000 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn invariants_hold_after_every_command(data in proptest::collection::vec(any::<u8>(), 16..600)) {
        let cmds = decode(&data);
        if let Err(e) = check_script(&cmds) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn money_rebuilds_from_the_events(data in proptest::collection::vec(any::<u8>(), 16..600)) {
        // A `funds` command after every command: the funds and every
        // account's money rebuilt from the commands and events alone agree
        // with the engine, and money is conserved to the unit, each time.
        let cmds = decode(&data)
            .into_iter()
            .flat_map(|c| [c, Command::Funds {}])
            .enumerate();
        if let Err(e) = audit_commands(cmds) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn same_script_same_bytes(data in proptest::collection::vec(any::<u8>(), 16..300)) {
        let cmds = decode(&data);
        prop_assert_eq!(render(&cmds), render(&cmds));
    }
}

#[test]
fn decoded_worlds_do_liquidate() {
    // Guard against a decoder that never produces a cascade: over a fixed
    // set of seeds, some runs must liquidate someone.
    let mut cascades = 0;
    for seed in 0u64..200 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let data: Vec<u8> = (0..400)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let mut engine = Engine::new();
        for c in decode(&data) {
            let _ = engine.apply(&c, &mut cascade::event::NullSink);
        }
        cascades += engine.cascade_count();
    }
    assert!(
        cascades > 50,
        "only {cascades} cascades in 200 random worlds"
    );
}
