//! Adding a whole population at once: accounts with their positions, as
//! typed values, with the checks of the `account` and `position` commands,
//! the tables sized up front and the trigger index built once at the end
//! (sorted keys, full B-tree nodes) instead of one insert per account.
//!
//! Owns: [`NewAccount`], [`NewPosition`], [`PopulationError`] and
//! [`Engine::add_accounts`]. Must not: parse text (callers convert
//! decimals with the instrument's `qty` and `price`), or place orders
//! (stop-loss orders of a population go through `apply` as usual).

use smallvec::SmallVec;

use super::{Engine, EngineError};
use crate::event::{EventSink, InstrumentIdx};
use crate::margin::{self, AccountIdx, MarginMode};
use crate::types::{AccountId, Money, Price, Qty};

/// One position of a [`NewAccount`]: what the `position` command gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewPosition {
    /// Instrument index (definition order).
    pub inst: InstrumentIdx,
    /// Signed lots (+ long).
    pub qty: Qty,
    /// Entry price, ticks.
    pub entry: Price,
    /// Isolated margin moved from the balance into the position.
    pub margin: Option<Money>,
}

/// One account to add in bulk: what an `account` command and its
/// `position` commands give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// Account id (not 0, not taken).
    pub id: AccountId,
    /// Collateral deposited.
    pub deposit: Money,
    /// Cross or isolated.
    pub mode: MarginMode,
    /// Its positions, given in this order against the street.
    pub positions: SmallVec<[NewPosition; 1]>,
}

/// Why a bulk add stopped: the account at `position` (0-based, in the
/// order given) failed the check its commands would have failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("account {account} (number {position} of the population): {error}")]
pub struct PopulationError {
    /// Where in the given sequence.
    pub position: usize,
    /// Its id.
    pub account: AccountId,
    /// What the command would have reported.
    pub error: EngineError,
}

/// Below this share of the accounts being new, they are keyed one by one
/// instead of rebuilding the whole index.
const REBUILD_SHARE: usize = 8;

impl Engine {
    /// Makes room for `additional` more accounts.
    pub fn reserve_accounts(&mut self, additional: usize) {
        self.accounts.reserve(additional);
    }

    /// Adds accounts with their positions in bulk. Each account is what
    /// an `account` command followed by its `position` commands would
    /// make, with the same checks and the same ledger movements; the
    /// difference is in the work around them: the tables are sized from
    /// the iterator's size hint, and the trigger index is built once at
    /// the end (or, when the new accounts are few next to the existing
    /// ones, keyed one by one). When marks already exist, the accounts
    /// they put under maintenance are queued and liquidated after the
    /// whole population is in, in one round (most underwater first),
    /// where separate commands would liquidate each as it arrives; with
    /// no mark yet (the usual set-up) the two paths give the same state.
    ///
    /// Returns the number of accounts added. A failed check stops it
    /// there: what came before the check stays, as separate commands
    /// would leave it (the failing account itself, when it was created,
    /// with the positions given before the failing one), and is indexed
    /// and settled; nothing after it is added.
    pub fn add_accounts<I>(
        &mut self,
        accounts: I,
        sink: &mut dyn EventSink,
    ) -> Result<usize, PopulationError>
    where
        I: IntoIterator<Item = NewAccount>,
    {
        let iter = accounts.into_iter();
        let first = self.accounts.len();
        self.accounts.reserve(iter.size_hint().0);
        let mut added = 0;
        let mut failed = None;
        for (position, a) in iter.enumerate() {
            if let Err(error) = self.add_one(&a) {
                failed = Some(PopulationError {
                    position,
                    account: a.id,
                    error,
                });
                break;
            }
            added += 1;
        }
        self.index_new_accounts(first as AccountIdx);
        self.settle(sink);
        match failed {
            Some(e) => Err(e),
            None => Ok(added),
        }
    }

    /// One account and its positions, not keyed.
    fn add_one(&mut self, a: &NewAccount) -> Result<(), EngineError> {
        let idx = self.create_account(a.id, a.deposit, a.mode)?;
        for p in &a.positions {
            self.place_position(idx, p.inst, p.qty, p.entry, p.margin)?;
        }
        Ok(())
    }

    /// Keys the accounts from index `first` on (building the index anew
    /// when they are many), then queues those the current marks put under
    /// maintenance, as `rekey` would have.
    fn index_new_accounts(&mut self, first: AccountIdx) {
        let total = self.accounts.len() as AccountIdx;
        if first >= total {
            return;
        }
        let view = margin::Market::new(&self.instruments, &self.marks);
        if ((total - first) as usize) * REBUILD_SHARE < total as usize {
            for idx in first..total {
                self.index.update(&mut self.accounts, &view, idx);
            }
        } else {
            self.index = margin::TriggerIndex::build(&mut self.accounts, &view);
        }
        if (0..self.markets.len() as InstrumentIdx).all(|i| self.marks.mark(i).is_none()) {
            return;
        }
        for idx in first..total {
            self.queue_at_marks(idx);
        }
    }
}
