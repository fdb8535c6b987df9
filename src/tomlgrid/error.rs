//! The error of a config value that does not hold, with the line where it
//! was written, and the two ways checks build one.
//!
//! Must not: know any config's fields.

use super::de::At;

/// A config value that does not hold, with the line where it was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// 1-based line (0 when the document gives no position).
    pub line: usize,
    /// The key and what is wrong with it.
    pub message: String,
}

/// The error of value `at`: its key (when it has one), then `what`.
pub fn bad<T>(at: &At<T>, what: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        line: at.line,
        message: if at.key.is_empty() {
            what.to_string()
        } else {
            format!("{}: {what}", at.key)
        },
    }
}

/// The error of key `key` written on `line`.
pub fn bad_at(line: usize, key: &str, what: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        line,
        message: format!("{key}: {what}"),
    }
}
