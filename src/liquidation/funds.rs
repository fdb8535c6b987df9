//! The engine's own ledgers: insurance funds (one shared, and one per
//! instrument when a script gives it one), the fee pool of each
//! instrument, the running total of money put in from outside, and the
//! socialized-loss counter.
//!
//! Must not: hold account money (that is `margin::Accounts`). Every amount
//! that lands here was taken from an account in the same operation.

use super::Engine;
use crate::event::{Event, EventSink, FundsReport, InstrumentIdx};
use crate::types::Money;

/// Insurance funds, fee pool and the outside-money total.
#[derive(Clone, Debug, Default)]
pub struct Funds {
    /// The shared insurance fund.
    shared: Money,
    /// Per-instrument funds, once an `insurance` command names the symbol.
    own: Vec<Option<Money>>,
    /// Trading fees collected, per instrument.
    fee_pool: Vec<Money>,
    /// Money brought in from outside: deposits, minus withdrawals, plus
    /// insurance top-ups.
    pub deposited: Money,
    /// Losses charged to other accounts pro rata (a counter, not a ledger:
    /// the money itself moved between accounts).
    pub socialized: Money,
}

impl Funds {
    /// Makes room for instrument `inst` (called when it is defined).
    pub fn add_instrument(&mut self, inst: InstrumentIdx) {
        let i = inst as usize;
        if self.own.len() <= i {
            self.own.resize(i + 1, None);
        }
        if self.fee_pool.len() <= i {
            self.fee_pool.resize(i + 1, Money::ZERO);
        }
    }

    /// Adds a trading fee charged on `inst` to the fee pool.
    pub fn collect_fee(&mut self, inst: InstrumentIdx, fee: Money) {
        self.add_instrument(inst);
        self.fee_pool[inst as usize] += fee;
    }

    /// Trading fees collected on `inst`.
    pub fn fee_pool(&self, inst: InstrumentIdx) -> Money {
        self.fee_pool
            .get(inst as usize)
            .copied()
            .unwrap_or(Money::ZERO)
    }

    /// The per-instrument fund of `inst`, if a script gave it one.
    pub fn own_fund(&self, inst: InstrumentIdx) -> Option<Money> {
        self.own.get(inst as usize).copied().flatten()
    }

    /// Adds `amount` from outside to the fund of `inst`, or to the shared
    /// fund when `inst` is `None`.
    pub fn top_up(&mut self, inst: Option<InstrumentIdx>, amount: Money) {
        self.deposited += amount;
        match inst {
            None => self.shared += amount,
            Some(i) => {
                self.add_instrument(i);
                *self.own[i as usize].get_or_insert(Money::ZERO) += amount;
            }
        }
    }

    /// The fund that backs `inst`: its own if it has one, else the shared one.
    pub fn insurance(&self, inst: InstrumentIdx) -> Money {
        match self.own.get(inst as usize).copied().flatten() {
            Some(m) => m,
            None => self.shared,
        }
    }

    /// The shared fund.
    pub fn shared(&self) -> Money {
        self.shared
    }

    /// Mutable access to the fund that backs `inst`.
    pub fn insurance_mut(&mut self, inst: InstrumentIdx) -> &mut Money {
        match self.own.get_mut(inst as usize) {
            Some(Some(m)) => m,
            _ => &mut self.shared,
        }
    }

    /// Sets every fund in deficit back to zero and returns the total
    /// deficit (what must now be socialized).
    pub fn take_deficits(&mut self) -> Money {
        let mut total = Money::ZERO;
        for f in std::iter::once(&mut self.shared).chain(self.own.iter_mut().flatten()) {
            if *f < Money::ZERO {
                total -= *f;
                *f = Money::ZERO;
            }
        }
        total
    }

    /// Sum of all insurance funds.
    pub fn insurance_total(&self) -> Money {
        self.shared + self.own.iter().flatten().copied().sum::<Money>()
    }

    /// Sum of all insurance funds and the fee pools.
    pub fn total(&self) -> Money {
        self.insurance_total() + self.fee_pool.iter().copied().sum::<Money>()
    }
}

impl Engine {
    /// The `funds` event's content: the shared fund, each instrument's own
    /// fund, each instrument's fee pool, the socialized total.
    pub fn funds_report(&self) -> FundsReport {
        let n = self.instruments().len() as InstrumentIdx;
        let f = &self.funds;
        FundsReport {
            insurance: std::iter::once((None, f.shared))
                .chain((0..n).filter_map(|i| f.own_fund(i).map(|m| (Some(i), m))))
                .collect(),
            fee_pool: (0..n).map(|i| (i, f.fee_pool(i))).collect(),
            socialized_total: f.socialized,
        }
    }

    /// Emits a `funds` event.
    pub(super) fn emit_funds(&self, sink: &mut dyn EventSink) {
        self.emit(sink, Event::Funds(self.funds_report()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_fund_shadows_the_shared_one() {
        let mut f = Funds::default();
        f.add_instrument(1);
        f.top_up(None, Money(100));
        assert_eq!(f.insurance(0), Money(100));
        f.top_up(Some(1), Money(7));
        assert_eq!(f.insurance(1), Money(7));
        assert_eq!(f.insurance(0), Money(100));
        *f.insurance_mut(1) -= Money(2);
        *f.insurance_mut(0) -= Money(1);
        assert_eq!((f.insurance(0), f.insurance(1)), (Money(99), Money(5)));
        f.collect_fee(1, Money(3));
        assert_eq!(f.fee_pool(1), Money(3));
        assert_eq!(f.fee_pool(0), Money::ZERO);
        assert_eq!(f.insurance_total(), Money(104));
        assert_eq!(f.total(), Money(107));
        assert_eq!(f.deposited, Money(107));
        *f.insurance_mut(1) -= Money(9);
        *f.insurance_mut(0) -= Money(100);
        assert_eq!(f.take_deficits(), Money(5));
        assert_eq!((f.insurance(0), f.insurance(1)), (Money(0), Money(0)));
    }
}
