//! The error every reader returns: what went wrong, in which file, at
//! which line.
//!
//! Owns: `ReplayError` and its constructors.
//! Must not: decide policy (skip or stop); the reader's options do.

use std::fmt;
use std::sync::Arc;

/// A replay input error, naming the file and the 1-based line where it
/// applies (0 when it concerns the file as a whole, e.g. it cannot be
/// opened).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", Location { file: file, line: *line })]
pub struct ReplayError {
    /// The file's name as given to the reader.
    pub file: Arc<str>,
    /// 1-based line number; 0 for the file as a whole.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

struct Location<'a> {
    file: &'a str,
    line: u64,
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

impl ReplayError {
    /// An error at `file:line`.
    pub fn new(file: &Arc<str>, line: u64, message: impl Into<String>) -> ReplayError {
        ReplayError {
            file: Arc::clone(file),
            line,
            message: message.into(),
        }
    }

    /// An error about a whole file (cannot open, unknown format).
    pub fn file(file: &str, message: impl Into<String>) -> ReplayError {
        ReplayError {
            file: Arc::from(file),
            line: 0,
            message: message.into(),
        }
    }
}

/// Why one row was refused, before the reader adds file and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RowError {
    /// What is wrong with the row.
    pub message: String,
    /// True when the file cannot be read on at all (a bad header): such an
    /// error is never skipped.
    pub fatal: bool,
}

impl RowError {
    /// A row-level (skippable) error.
    pub fn row(message: impl Into<String>) -> RowError {
        RowError {
            message: message.into(),
            fatal: false,
        }
    }

    /// An error that ends the file even with `skip_bad_rows`.
    pub fn fatal(message: impl Into<String>) -> RowError {
        RowError {
            message: message.into(),
            fatal: true,
        }
    }
}

impl From<String> for RowError {
    fn from(message: String) -> RowError {
        RowError::row(message)
    }
}

impl From<&str> for RowError {
    fn from(message: &str) -> RowError {
        RowError::row(message)
    }
}
