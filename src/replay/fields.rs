//! Field access for delimited rows and the checked conversions every
//! reader applies to a field: exact decimals (refusing negative prices and
//! sizes), integers and timestamps, with error messages that name the
//! field and quote the offending text.
//!
//! Owns: `Fields` (separator positions of one row, reused) and the
//! `field_*` conversion helpers.
//! Must not: know any vendor's columns.

use super::error::RowError;
use super::num::{parse_decimal, parse_i64, parse_u64, scale_ts};
use crate::types::Decimal;

/// The fields of one delimited row, as ranges into the line (reused from
/// row to row, so no allocation in steady state).
#[derive(Debug, Default)]
pub(crate) struct Fields {
    ranges: Vec<(usize, usize)>,
}

impl Fields {
    /// Splits `line` on `sep` (no quoting: none of the vendor formats
    /// quotes fields).
    pub fn split(&mut self, line: &[u8], sep: u8) {
        self.ranges.clear();
        let mut start = 0;
        for (i, &c) in line.iter().enumerate() {
            if c == sep {
                self.ranges.push((start, i));
                start = i + 1;
            }
        }
        self.ranges.push((start, line.len()));
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Field `i` of `line` (empty when out of range).
    #[inline]
    pub fn get<'a>(&self, line: &'a [u8], i: usize) -> &'a [u8] {
        match self.ranges.get(i) {
            Some(&(a, b)) => line.get(a..b).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// The text of a field for an error message (at most 40 characters).
pub(crate) fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(&b[..b.len().min(40)]).into_owned();
    if b.len() > 40 {
        format!("{s}...")
    } else {
        s
    }
}

/// An exact decimal of either sign (rates).
pub(crate) fn field_decimal(b: &[u8], what: &str) -> Result<Decimal, RowError> {
    parse_decimal(b).map_err(|e| RowError::row(format!("{what}: {} ({:?})", e.as_str(), show(b))))
}

/// An exact decimal that must not be negative (prices and sizes).
#[inline]
pub(crate) fn field_nonneg(b: &[u8], what: &str) -> Result<Decimal, RowError> {
    let d = field_decimal(b, what)?;
    if d.is_negative() {
        return Err(RowError::row(format!("{what}: negative ({:?})", show(b))));
    }
    Ok(d)
}

/// An optional non-negative decimal: an empty field means absent.
pub(crate) fn field_opt_nonneg(b: &[u8], what: &str) -> Result<Option<Decimal>, RowError> {
    if b.is_empty() {
        Ok(None)
    } else {
        field_nonneg(b, what).map(Some)
    }
}

/// A signed integer.
pub(crate) fn field_i64(b: &[u8], what: &str) -> Result<i64, RowError> {
    parse_i64(b).map_err(|e| RowError::row(format!("{what}: {} ({:?})", e.as_str(), show(b))))
}

/// A non-negative integer timestamp in units of `mult` ns (1000 for µs,
/// 1_000_000 for ms), converted to ns.
#[inline]
pub(crate) fn field_ts(b: &[u8], mult: i64, what: &str) -> Result<i64, RowError> {
    let v = parse_u64(b)
        .ok()
        .and_then(|v| i64::try_from(v).ok())
        .ok_or_else(|| RowError::row(format!("{what}: not a timestamp ({:?})", show(b))))?;
    scale_ts(v, mult)
        .map_err(|_| RowError::row(format!("{what}: timestamp out of range ({:?})", show(b))))
}
