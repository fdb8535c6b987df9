//! Fuzzes the hyperliquid reader: arbitrary bytes, read strictly and with
//! skip_bad_rows, must never panic or break the reader's contract (the
//! checks live in `cascade::replay::fuzzing::parse_bytes`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cascade::replay::fuzzing::parse_bytes(cascade::replay::Format::Hyperliquid, data);
});
