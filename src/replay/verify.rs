//! `cascade replay --format lobster --messages M --orderbook O --verify`:
//! rebuilds the book from a LOBSTER message file through the same path a
//! replay takes (L3 messages folded into levels, street levels in the
//! engine's book; the book resting before the file starts seeded from the
//! first orderbook row as anonymous liquidity per level), and after every
//! message compares every level of the matching orderbook row, price and
//! size, with the book.
//!
//! The depth window: a LOBSTER level-N extract carries only the messages
//! that touch the top N price levels, so a level beyond them is out of the
//! file's sight (the sample shows one vanish while out of view). The book
//! is therefore kept to the row's levels after each comparison, and a
//! level the book does not have may appear in a row only where it can
//! have come into view from beyond the depth: below every level the
//! previous row showed, when that row showed all N levels of its side.
//! Anywhere else it is a mismatch (a level no message created), as is a
//! level the book has within the depth that the row lacks, and any level
//! whose price or size differs.
//!
//! Owns: the row-by-row comparison and its report.
//! Must not: change how the book is rebuilt (that is the driver's job).

use std::path::Path;

use super::driver::{Driver, DriverConfig};
use super::open::open_lobster_pair;
use super::overlay::Resilience;
use super::presets::{instrument_spec, Detected, Overrides};
use super::run::RunError;
use super::{EventSource, Format, Payload, PriceQty, ReplayError, ReplayOptions};
use crate::instrument::Instrument;
use crate::types::{Price, Qty, Side};

/// The result of a verification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Orderbook rows compared.
    pub rows: u64,
    /// Rows where the rebuilt book differs.
    pub mismatches: u64,
    /// The first such row (1-based; 0 when there is none).
    pub first_mismatch: u64,
}

impl std::fmt::Display for VerifyReport {
    /// `rows=N mismatches=M first_mismatch=ROW` (`ROW` 0 when none).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rows={} mismatches={} first_mismatch={}",
            self.rows, self.mismatches, self.first_mismatch
        )
    }
}

/// What the previous row showed of one side.
#[derive(Clone, Copy, Debug)]
struct Seen {
    /// It showed all N levels.
    full: bool,
    /// Its worst price.
    worst: Option<Price>,
}

/// True when `p` is worse than `q` on `side`.
fn worse(side: Side, p: Price, q: Price) -> bool {
    match side {
        Side::Buy => p < q,
        Side::Sell => p > q,
    }
}

/// Compares one side of the book with the row's levels (`want`, best
/// first) of a file of depth `n`, then keeps the book to what the file can
/// follow. Returns true when the side matched.
fn check_side(
    driver: &mut Driver,
    spec: &Instrument,
    side: Side,
    want: &[PriceQty],
    n: usize,
    seen: &mut Seen,
) -> Result<bool, RunError> {
    let internal = |e: super::driver::DriveError| RunError::Internal(e.to_string());
    let want: Vec<Option<(Price, Qty)>> = want
        .iter()
        .map(|w| Some((spec.price(w.price).ok()?, spec.qty(w.qty).ok()?)))
        .collect();
    let ours: Vec<(Price, Qty)> = driver.engine().market(0).book.levels(side).collect();
    let mut ok = true;
    for j in 0..n {
        ok &= match (want.get(j), ours.get(j)) {
            (None, None) => true,
            (Some(Some(w)), Some(o)) => w == o,
            // A level the book lacks: only from beyond the depth.
            (Some(Some((p, _))), None) => {
                seen.full && seen.worst.is_none_or(|q| worse(side, *p, q))
            }
            _ => false,
        };
    }
    // Keep the book to what the file follows: levels the row does not
    // show go, levels it shows beyond the book's come in (a level that
    // came from nowhere is counted above, once).
    for &(p, _) in ours.iter().skip(want.len()) {
        driver.forget_level(side, p).map_err(internal)?;
    }
    for w in want.iter().skip(ours.len()).flatten() {
        driver.seed_level(side, w.0, w.1).map_err(internal)?;
    }
    *seen = Seen {
        full: want.len() >= n,
        worst: want.last().copied().flatten().map(|(p, _)| p),
    };
    Ok(ok)
}

/// Rebuilds the book from `messages` and checks it against `orderbook`.
/// Verifying nothing (an empty file, a file without rows) is an error.
pub fn verify(
    messages: &Path,
    orderbook: &Path,
    overrides: &Overrides,
) -> Result<VerifyReport, RunError> {
    let opts = ReplayOptions {
        check_crossed: false,
        // The check compares sizes, not times: a file named without a
        // date is fine here.
        lobster_day_start_ns: Some(0),
        ..ReplayOptions::default()
    };
    let (mut stream, mut rows) = open_lobster_pair(messages, orderbook, &opts)?;
    let symbol = stream.symbols().get(0).map(|k| k.symbol);
    let detected = Detected {
        symbol,
        l2: true,
        ..Detected::default()
    };
    let spec = instrument_spec(Format::Lobster, &detected, overrides).map_err(RunError::Usage)?;
    let inst = Instrument::new(&spec).map_err(|e| RunError::Usage(e.to_string()))?;
    let mut driver = Driver::new(DriverConfig {
        format: Format::Lobster,
        spec,
        resilience: Resilience::HalfLife(0),
        population: None,
        skip_bad_rows: false,
        quotes_as_book: false,
        measure_refill: false,
    })
    .map_err(|e| RunError::Usage(e.to_string()))?;
    let mut report = VerifyReport::default();
    let data_error = |src: &dyn EventSource, m: String| {
        let (file, line) = src
            .origin()
            .unwrap_or_else(|| (std::sync::Arc::from(messages.display().to_string()), 0));
        RunError::Input(ReplayError::new(&file, line, m))
    };
    let mut seen = [Seen {
        full: true,
        worst: None,
    }; 2];
    while let Some(ev) = stream.next_event() {
        let ev = ev?;
        let seed = matches!(
            ev.payload,
            Payload::BookClear | Payload::SnapshotEnd | Payload::BookLevel { .. }
        );
        driver
            .on_event(&ev)
            .map_err(|e| data_error(&stream, e.to_string()))?;
        if seed {
            continue;
        }
        driver
            .settle_pending()
            .map_err(|e| data_error(&stream, e.to_string()))?;
        let Some(row) = rows.next_row() else {
            return Err(RunError::Input(ReplayError::file(
                rows.name(),
                format!(
                    "has {} rows, the message file more (each message needs its row)",
                    report.rows
                ),
            )));
        };
        let row = row?;
        report.rows += 1;
        let asks = check_side(
            &mut driver,
            &inst,
            Side::Sell,
            &row.asks,
            row.depth,
            &mut seen[1],
        )?;
        let bids = check_side(
            &mut driver,
            &inst,
            Side::Buy,
            &row.bids,
            row.depth,
            &mut seen[0],
        )?;
        if !(asks && bids) {
            report.mismatches += 1;
            if report.first_mismatch == 0 {
                report.first_mismatch = report.rows;
            }
        }
    }
    if let Some(extra) = rows.next_row() {
        extra?;
        let at = rows.line_no();
        return Err(RunError::Input(ReplayError::new(
            rows.name(),
            at,
            format!(
                "the message file has {} messages, the orderbook file more rows",
                report.rows
            ),
        )));
    }
    if report.rows == 0 {
        return Err(RunError::Input(ReplayError::file(
            &messages.display().to_string(),
            "holds no messages: nothing to verify",
        )));
    }
    Ok(report)
}
