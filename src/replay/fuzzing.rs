//! Entry points for the fuzz targets (`fuzz/fuzz_targets/parse_*.rs`)
//! and for the test that replays their checked-in corpus on stable: feed
//! arbitrary bytes to a reader and drain it, in strict mode and with
//! `skip_bad_rows`, checking that nothing panics and that the reader's
//! contract holds.
//!
//! Owns: `parse_bytes` and the invariants it checks.
//! Must not: be used for real input (it reads from memory).

use super::lobster::{parse_book_row, parse_message, seed_book, BookRow};
use super::open::open_bytes;
use super::options::{Format, ReplayOptions};
use super::reader::EventSource;
use super::stats::ReplayStats;
use super::{CrossCheck, ReplayError};

/// What one pass over the bytes produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseOutcome {
    /// Events yielded in strict mode before the end or the first error.
    pub events: u64,
    /// The strict mode's error, if any.
    pub error: Option<ReplayError>,
    /// Counters with `skip_bad_rows`.
    pub skipping: ReplayStats,
}

fn drain(format: Format, data: &[u8], skip: bool) -> (u64, Option<ReplayError>, ReplayStats) {
    let opts = ReplayOptions {
        skip_bad_rows: skip,
        max_buffered_diffs: 64,
        lobster_day_start_ns: Some(0),
        ..ReplayOptions::default()
    };
    let mut src = match open_bytes(format, "fuzz", data.to_vec(), &opts) {
        Ok(s) => s,
        Err(e) => return (0, Some(e), ReplayStats::default()),
    };
    let mut check = CrossCheck::new();
    let mut n = 0;
    let mut err = None;
    while let Some(r) = src.next_event() {
        match r {
            Ok(ev) => {
                check.observe(&ev);
                n += 1;
            }
            Err(e) => {
                assert!(err.is_none(), "a reader yielded two errors");
                err = Some(e);
            }
        }
    }
    check.finish();
    assert!(
        src.next_event().is_none(),
        "a finished reader yielded again"
    );
    let stats = src.stats();
    assert_eq!(stats.events.total(), n, "event counts disagree");
    (n, err, stats)
}

/// Runs `format`'s reader over `data` (strict, then skipping bad rows).
/// Panics only if a reader breaks its contract, which is what the fuzzer
/// looks for.
pub fn parse_bytes(format: Format, data: &[u8]) -> ParseOutcome {
    let (events, error, _) = drain(format, data, false);
    let (_, skip_err, skipping) = drain(format, data, true);
    if let Some(e) = &error {
        assert!(e.line >= 1, "row errors name a line: {e}");
    }
    if let Some(e) = &skip_err {
        // Only unskippable errors survive skip mode: broken compression or
        // a bad header.
        assert!(
            error.is_some(),
            "skip mode failed where strict did not: {e}"
        );
    }
    if format == Format::Lobster {
        let mut row = BookRow::default();
        let text = data.split(|&c| c == b'\n');
        let mut first_msg = None;
        for line in text {
            if parse_book_row(line, &mut row).is_ok() {
                if let Some(m) = first_msg {
                    let _ = seed_book(&row, &m);
                }
            } else if let Ok(m) = parse_message(line) {
                first_msg.get_or_insert(m);
            }
        }
    }
    ParseOutcome {
        events,
        error,
        skipping,
    }
}
