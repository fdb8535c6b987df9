//! Errors of a stress run, sorted by whose fault they are: the input
//! (config, data, output folder of another run: exit status 2) or the run
//! itself (I/O, an engine refusal: exit status 1).
//!
//! Must not: print anything; `main.rs` renders them as
//! `error: FILE:LINE: what is wrong`.

use std::path::PathBuf;

/// Why a stress or merge run stopped.
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// A config value (or a replay sample it names) is wrong.
    #[error("{message}")]
    Config {
        /// 1-based line in the config file.
        line: usize,
        /// The key and what is wrong.
        message: String,
    },
    /// An input file or folder is not what it should be (a results
    /// folder of another config, a shard missing from a merge).
    #[error("{message}")]
    Input {
        /// The file or folder.
        path: PathBuf,
        /// 1-based line, where it applies.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing failed.
    #[error("{source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A scenario could not run.
    #[error("scenario {id}: {message}")]
    Scenario {
        /// Scenario id.
        id: u64,
        /// What happened.
        message: String,
    },
}

/// Longest message an error carries: anything quoted from an input (a
/// key, a value, a line) is cut well before it.
const MAX_MESSAGE_CHARS: usize = 1000;

fn bounded(message: String) -> String {
    if message.len() <= MAX_MESSAGE_CHARS {
        message
    } else {
        crate::report::excerpt::excerpt(&message, MAX_MESSAGE_CHARS)
    }
}

impl StressError {
    /// True for errors of the input (exit status 2), false for the rest
    /// (exit status 1).
    pub fn is_input(&self) -> bool {
        matches!(self, StressError::Config { .. } | StressError::Input { .. })
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> StressError {
        StressError::Io {
            path: path.into(),
            source,
        }
    }

    /// A bad input file or folder.
    pub fn input(
        path: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> StressError {
        StressError::Input {
            path: path.into(),
            line,
            message: bounded(message.into()),
        }
    }
}

impl From<(PathBuf, crate::report::lock::LockError)> for StressError {
    fn from((dir, e): (PathBuf, crate::report::lock::LockError)) -> StressError {
        match e {
            crate::report::lock::LockError::Io(source) => StressError::Io { path: dir, source },
            held => StressError::input(dir, None, held.to_string()),
        }
    }
}

impl From<super::point::ConfigError> for StressError {
    fn from(e: super::point::ConfigError) -> StressError {
        StressError::Config {
            line: e.line,
            message: bounded(e.message),
        }
    }
}
