//! The engine's own ledgers: insurance funds (one shared, and one per
//! instrument when a script gives it one), the fee pool, the running total
//! of money put in from outside, and the socialized-loss counter.
//!
//! Must not: hold account money (that is `margin::Accounts`). Every amount
//! that lands here was taken from an account in the same operation.

use crate::event::InstrumentIdx;
use crate::types::Money;

/// Insurance funds, fee pool and the outside-money total.
#[derive(Clone, Debug, Default)]
pub struct Funds {
    /// The shared insurance fund.
    shared: Money,
    /// Per-instrument funds, once an `insurance` command names the symbol.
    own: Vec<Option<Money>>,
    /// Trading and funding fees collected.
    pub fee_pool: Money,
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

    /// Sum of all insurance funds and the fee pool.
    pub fn total(&self) -> Money {
        self.shared + self.own.iter().flatten().copied().sum::<Money>() + self.fee_pool
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
        f.fee_pool += Money(3);
        assert_eq!(f.total(), Money(107));
        assert_eq!(f.deposited, Money(107));
        *f.insurance_mut(1) -= Money(9);
        *f.insurance_mut(0) -= Money(100);
        assert_eq!(f.take_deficits(), Money(5));
        assert_eq!((f.insurance(0), f.insurance(1)), (Money(0), Money(0)));
    }
}
