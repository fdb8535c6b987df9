//! Fuzz target: arbitrary bytes decoded into a world (two instruments,
//! linear and inverse, random liquidation policies, a population with
//! positions, a street book) and a run of arbitrary commands
//! (`cascade::liquidation::fuzzing::run_bytes`). After every command money
//! must be conserved, the books sound, the trigger index in agreement with
//! a scan of all accounts, and no account left liquidatable. Any failed
//! check or panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = cascade::liquidation::fuzzing::run_bytes(data) {
        panic!("{e}");
    }
});
