//! Replays every checked-in fuzz corpus (`fuzz/corpus/<target>/`) through
//! the same library entry point its cargo-fuzz target calls, so that the
//! normal test run on stable re-checks every input the fuzzers kept:
//! `book_ops` (fast book against the reference book), `engine_script`
//! (the engine's invariants after every command) and the market-data
//! parsers (no panic, the reader contract holds).

use std::path::{Path, PathBuf};

use cascade::replay::fuzzing::parse_bytes;
use cascade::replay::Format;

/// The corpus files of a target, sorted.
fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{target}: corpus has only {} files",
        files.len()
    );
    files
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, data)
        })
        .collect()
}

fn check_all(target: &str, check: impl Fn(&[u8]) -> Result<(), String>) {
    for (path, data) in corpus(target) {
        if let Err(e) = check(&data) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn book_ops() {
    check_all("book_ops", cascade::book::fuzzing::run_ops);
}

#[test]
fn engine_script() {
    check_all("engine_script", cascade::liquidation::fuzzing::run_bytes);
}

fn parser(target: &str, format: Format) {
    let (mut with_events, mut with_errors) = (0, 0);
    for (_, data) in corpus(target) {
        let out = parse_bytes(format, &data);
        with_events += usize::from(out.events > 0);
        with_errors += usize::from(out.error.is_some());
    }
    // The corpus exercises both the good path and the error paths.
    assert!(with_events > 0, "{target}: no entry produced events");
    assert!(with_errors > 0, "{target}: no entry produced an error");
}

#[test]
fn parse_tardis() {
    parser("parse_tardis", Format::Tardis);
}

#[test]
fn parse_binance() {
    parser("parse_binance", Format::Binance);
}

#[test]
fn parse_hyperliquid() {
    parser("parse_hyperliquid", Format::Hyperliquid);
}

#[test]
fn parse_lobster() {
    parser("parse_lobster", Format::Lobster);
}
