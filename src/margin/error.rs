//! Errors of the margin module.
//!
//! Owns: `MarginError`. Must not: carry file or line information (the
//! caller that read the input adds it).

use crate::types::AccountId;

use super::InstIdx;

/// Why a margin operation was refused. An operation that returns an error
/// has changed nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarginError {
    /// No account with this id.
    #[error("unknown account {0}")]
    UnknownAccount(AccountId),
    /// No account at this dense index.
    #[error("unknown account index {0}")]
    UnknownIndex(u32),
    /// An account with this id exists already (or the id is the street's).
    #[error("account {0} exists already")]
    DuplicateAccount(AccountId),
    /// The instrument index is outside the instrument table.
    #[error("unknown instrument index {0}")]
    UnknownInstrument(InstIdx),
    /// The instrument has no mark yet and the operation needs one.
    #[error("instrument {0} has no mark price yet")]
    NoMark(InstIdx),
    /// Prices must be positive.
    #[error("price must be positive")]
    BadPrice,
    /// A quantity beyond the engine's limit.
    #[error("quantity beyond the engine's limit")]
    QtyLimit,
    /// Isolated margin was asked of a cross account (or the position is missing).
    #[error("account {0} holds no isolated position in instrument {1}")]
    NotIsolated(AccountId, InstIdx),
    /// The operation is not allowed on the street account.
    #[error("operation not allowed on the street account")]
    Street,
    /// An intermediate value left the exact integer range.
    #[error("arithmetic overflow in margin computation")]
    Overflow,
}
