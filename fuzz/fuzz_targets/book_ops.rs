//! Fuzz target: arbitrary bytes decoded into book operations, run through
//! the fast `OrderBook` and the `ReferenceBook` oracle with every result,
//! event and state compared after each operation
//! (`cascade::book::fuzzing::run_ops`). Any discrepancy or panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = cascade::book::fuzzing::run_ops(data) {
        panic!("{e}");
    }
});
