//! `cascade replay --format lobster --messages M --orderbook O --verify`:
//! rebuilds the book from a LOBSTER message file through the same path a
//! replay takes (L3 messages folded into levels, street levels in the
//! engine's book; the book resting before the file starts seeded from the
//! first orderbook row as anonymous liquidity per level), and after every
//! message compares the book's top levels, price and size, with the
//! matching orderbook row.
//!
//! The depth window: a LOBSTER level-N extract carries only the messages
//! that touch the top N price levels, so a level beyond them is out of the
//! file's sight (the sample shows one vanish while out of view). The check
//! therefore keeps the book to the row's N levels after each comparison,
//! and a level that comes into view from below (a level above it left) is
//! seeded from that row, exactly like the starting book. Every level that
//! was in view, and every change a message makes, is checked.
//!
//! Owns: the row-by-row comparison and its report.
//! Must not: change how the book is rebuilt (that is the driver's job).

use std::path::Path;

use super::driver::{Driver, DriverConfig};
use super::lobster::OrderbookReader;
use super::overlay::Resilience;
use super::presets::{detect, instrument_spec, Overrides};
use super::run::RunError;
use super::{open, EventSource, Format, Payload, PriceQty, ReplayError, ReplayOptions};
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

/// Compares one side of the book with the row's levels (`want`, best
/// first) within the file's depth `n`, then keeps the book to what the file
/// can follow: levels beyond the row's are forgotten, levels the row shows
/// below the book's worst known one (come into view from beyond the depth)
/// are seeded from it. Returns true when the side matched.
fn check_side(
    driver: &mut Driver,
    spec: &Instrument,
    side: Side,
    want: &[PriceQty],
    n: usize,
) -> Result<bool, RunError> {
    let want: Vec<(Option<Price>, Option<Qty>)> = want
        .iter()
        .map(|w| (spec.price(w.price).ok(), spec.qty(w.qty).ok()))
        .collect();
    let ours: Vec<(Price, Qty)> = driver.engine().market(0).book.levels(side).collect();
    let shown = ours.len().min(n);
    let ok = (0..shown).all(|j| want.get(j) == Some(&(Some(ours[j].0), Some(ours[j].1))));
    let internal = |e: super::driver::DriveError| RunError::Internal(e.to_string());
    for &(p, _) in ours.iter().skip(want.len()) {
        driver.forget_level(side, p).map_err(internal)?;
    }
    for &(p, q) in want.iter().skip(shown) {
        if let (Some(p), Some(q)) = (p, q) {
            driver.seed_level(side, p, q).map_err(internal)?;
        }
    }
    Ok(ok)
}

/// Rebuilds the book from `messages` and checks it against `orderbook`.
pub fn verify(
    messages: &Path,
    orderbook: &Path,
    overrides: &Overrides,
) -> Result<VerifyReport, RunError> {
    let paths = [messages.to_path_buf(), orderbook.to_path_buf()];
    let detected = detect(Format::Lobster, &paths[..1])?;
    let spec = instrument_spec(Format::Lobster, &detected, overrides).map_err(RunError::Usage)?;
    let inst = Instrument::new(&spec).map_err(|e| RunError::Usage(e.to_string()))?;
    let mut driver = Driver::new(DriverConfig {
        format: Format::Lobster,
        spec,
        resilience: Resilience::HalfLife(0),
        population: None,
        skip_bad_rows: false,
        quotes_as_book: false,
    })
    .map_err(|e| RunError::Usage(e.to_string()))?;
    let opts = ReplayOptions {
        check_crossed: false,
        ..ReplayOptions::default()
    };
    let mut stream = open(Format::Lobster, &paths, &opts)?;
    let mut rows = OrderbookReader::open(orderbook)?;
    let mut report = VerifyReport::default();
    let data_error = |src: &dyn EventSource, m: String| {
        let (file, line) = src
            .origin()
            .unwrap_or_else(|| (std::sync::Arc::from(messages.display().to_string()), 0));
        RunError::Input(ReplayError::new(&file, line, m))
    };
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
                &orderbook.display().to_string(),
                format!("has {} rows, the message file more", report.rows),
            )));
        };
        let row = row?;
        report.rows += 1;
        let asks = check_side(&mut driver, &inst, Side::Sell, &row.asks, row.depth)?;
        let bids = check_side(&mut driver, &inst, Side::Buy, &row.bids, row.depth)?;
        if !(asks && bids) {
            report.mismatches += 1;
            if report.first_mismatch == 0 {
                report.first_mismatch = report.rows;
            }
        }
    }
    if rows.next_row().is_some() {
        return Err(RunError::Input(ReplayError::file(
            &messages.display().to_string(),
            format!("has {} messages, the orderbook file more rows", report.rows),
        )));
    }
    Ok(report)
}
