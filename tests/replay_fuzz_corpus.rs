//! Replays the checked-in fuzz corpus (`fuzz/corpus/parse_*/`) through the
//! same library entry point the cargo-fuzz targets call, so that every
//! normal test run (on stable) re-checks the inputs the fuzzers found
//! interesting: no panic, and the reader contract holds.

use cascade::replay::fuzzing::parse_bytes;
use cascade::replay::Format;
use std::path::Path;

fn replay(target: &str, format: Format) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 10, "{target}: corpus too small");
    let mut with_events = 0;
    let mut with_errors = 0;
    for p in &entries {
        let data = std::fs::read(p).unwrap();
        let out = parse_bytes(format, &data);
        if out.events > 0 {
            with_events += 1;
        }
        if out.error.is_some() {
            with_errors += 1;
        }
    }
    // The corpus exercises both the good path and the error paths.
    assert!(with_events > 0, "{target}: no entry produced events");
    assert!(with_errors > 0, "{target}: no entry produced an error");
}

#[test]
fn corpus_parse_tardis() {
    replay("parse_tardis", Format::Tardis);
}

#[test]
fn corpus_parse_binance() {
    replay("parse_binance", Format::Binance);
}

#[test]
fn corpus_parse_hyperliquid() {
    replay("parse_hyperliquid", Format::Hyperliquid);
}

#[test]
fn corpus_parse_lobster() {
    replay("parse_lobster", Format::Lobster);
}
