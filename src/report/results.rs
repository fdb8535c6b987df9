//! The results of a stress run as the report writers see them: the
//! scenario table, the step table and what the grid was, all as text
//! exactly as the CSV files hold it.
//!
//! Owns: column lookup, exact parsing of decimal cells, and `Rows`: a
//! table held in memory or read again from its CSV file for each pass, so
//! that a run of millions of scenarios is reported without holding them.
//!
//! Must not: know how the results were produced.

/// One grid axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisMeta {
    /// Dotted key (the column name).
    pub key: String,
    /// True for a shock axis (the charts' x axis), false for a mitigation.
    pub shock: bool,
    /// Its values as written.
    pub values: Vec<String>,
}

/// Everything a report is made from.
#[derive(Clone, Debug)]
pub struct Results<'a> {
    /// Hash of the config.
    pub config_hash: &'a str,
    /// `I/N` for a shard.
    pub shard: Option<&'a str>,
    /// Scenarios in the whole run.
    pub scenarios_total: u64,
    /// Grid points.
    pub points: u64,
    /// Seeds per point.
    pub seeds: u32,
    /// Base seed.
    pub seed: u64,
    /// Columns of the scenario table.
    pub columns: &'a [String],
    /// Scenario rows, by scenario id.
    pub rows: Rows<'a>,
    /// Columns of the step table.
    pub step_columns: &'a [&'a str],
    /// Step rows, by scenario id then step order.
    pub steps: Rows<'a>,
    /// The grid's axes.
    pub axes: Vec<AxisMeta>,
    /// The markets: (symbol, settlement asset), in config order.
    pub markets: Vec<(String, String)>,
    /// The question the config asks (its opening comment; may be empty).
    pub about: &'a str,
}

impl Results<'_> {
    /// Index of a scenario column.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The asset the money columns are in: the markets' settlement asset,
    /// or `quote units` when none is known or the markets differ.
    pub fn settlement(&self) -> String {
        match self.markets.split_first() {
            Some(((_, first), rest)) if rest.iter().all(|(_, s)| s == first) => first.clone(),
            _ => super::units::QUOTE_UNITS.to_string(),
        }
    }

    /// Index of a step column.
    pub fn step_col(&self, name: &str) -> Option<usize> {
        self.step_columns.iter().position(|c| *c == name)
    }
}

/// The rows of a table.
#[derive(Debug)]
pub enum Rows<'a> {
    /// Held in memory.
    Memory(Vec<&'a [String]>),
    /// A CSV file with a header line, read again for each pass.
    File {
        /// The file.
        path: std::path::PathBuf,
        /// Its rows (without the header).
        count: usize,
        /// The first error met reading it (the passes stop there).
        error: std::cell::RefCell<Option<String>>,
    },
}

impl Clone for Rows<'_> {
    fn clone(&self) -> Self {
        match self {
            Rows::Memory(v) => Rows::Memory(v.clone()),
            Rows::File { path, count, error } => Rows::File {
                path: path.clone(),
                count: *count,
                error: std::cell::RefCell::new(error.borrow().clone()),
            },
        }
    }
}

impl<'a> FromIterator<&'a [String]> for Rows<'a> {
    fn from_iter<I: IntoIterator<Item = &'a [String]>>(rows: I) -> Rows<'a> {
        Rows::Memory(rows.into_iter().collect())
    }
}

impl<'a> Rows<'a> {
    /// Rows of a CSV file with a header line; `count` of them.
    pub fn file(path: &std::path::Path, count: usize) -> Rows<'a> {
        Rows::File {
            path: path.to_path_buf(),
            count,
            error: std::cell::RefCell::new(None),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Rows::Memory(v) => v.len(),
            Rows::File { count, .. } => *count,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with each row and its index, in order.
    pub fn for_each(&self, mut f: impl FnMut(usize, &[String])) {
        match self {
            Rows::Memory(v) => {
                for (i, r) in v.iter().enumerate() {
                    f(i, r);
                }
            }
            Rows::File { path, error, .. } => {
                let fail = |e: String| {
                    error.borrow_mut().get_or_insert(e);
                };
                let mut reader = match csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(true)
                    .from_path(path)
                {
                    Ok(r) => r,
                    Err(e) => return fail(e.to_string()),
                };
                let mut record = csv::StringRecord::new();
                let mut row: Vec<String> = Vec::new();
                let mut i = 0;
                loop {
                    match reader.read_record(&mut record) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => return fail(e.to_string()),
                    }
                    row.clear();
                    row.extend(record.iter().map(str::to_string));
                    f(i, &row);
                    i += 1;
                }
            }
        }
    }

    /// Row `i` (a pass over the file when the rows are not in memory).
    pub fn get(&self, i: usize) -> Option<Vec<String>> {
        match self {
            Rows::Memory(v) => v.get(i).map(|r| r.to_vec()),
            Rows::File { .. } => {
                let mut out = None;
                self.for_each(|k, r| {
                    if k == i {
                        out = Some(r.to_vec());
                    }
                });
                out
            }
        }
    }

    /// The first error met reading the rows back, if any.
    pub fn error(&self) -> Option<String> {
        match self {
            Rows::Memory(_) => None,
            Rows::File { error, .. } => error.borrow().clone(),
        }
    }
}

/// Parses a decimal cell exactly into units of `10^-scale` (`None` when
/// empty, malformed, more precise than `scale`, or beyond i128).
pub fn parse_scaled(s: &str, scale: u32) -> Option<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > scale as usize
    {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes() {
        v = v.checked_mul(10)?.checked_add((b - b'0') as i128)?;
    }
    for i in 0..scale as usize {
        let d = frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i128);
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    Some(if neg { -v } else { v })
}

/// A cell as a number (statistics and charts only).
pub fn parse_f64(s: &str) -> Option<f64> {
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_scaled("12.5", 2), Some(1250));
        assert_eq!(parse_scaled("-0.000000000001", 12), Some(-1));
        assert_eq!(parse_scaled("3", 0), Some(3));
        assert_eq!(parse_scaled("1.234", 2), None);
        assert_eq!(parse_scaled("", 2), None);
        assert_eq!(parse_scaled("1e5", 2), None);
        assert_eq!(
            parse_scaled("123456789012345678901.123456789012", 12),
            Some(123456789012345678901123456789012)
        );
    }
}
