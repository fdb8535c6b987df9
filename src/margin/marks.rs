//! Mark prices: per instrument the inputs (last trade, best bid and ask,
//! index, forced mark) and the mark its policy makes of them.
//!
//! Owns: `Marks`, one `MarkState` per instrument index. Each input method
//! returns `Some(new_mark)` only when the mark changed, so the engine runs
//! the trigger index exactly once per change. Must not: value positions or
//! know about accounts.
//!
//! Policies: `last`; `mid` = (bid + ask) / 2 rounded half up to a tick
//! (both sides needed); `index`; `external` (only `force` moves it);
//! `median` of whichever of index, mid and last exist (two values: their
//! mean rounded half up to a tick). `force` (the `mark` command) sets the
//! mark under every policy; the next input the policy uses recomputes it
//! (inputs it does not use leave a forced mark alone).
//! While the policy has no input yet, the mark stays where it was.

use crate::instrument::MarkPolicy;
use crate::types::Price;

use super::InstIdx;

/// The inputs and the current mark of one instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarkState {
    /// The policy.
    pub policy: MarkPolicy,
    /// Last trade price.
    pub last: Option<Price>,
    /// Best bid.
    pub bid: Option<Price>,
    /// Best ask.
    pub ask: Option<Price>,
    /// External index.
    pub index: Option<Price>,
    /// Last forced mark.
    pub forced: Option<Price>,
    /// The current mark.
    pub mark: Option<Price>,
}

/// `(a + b) / 2` rounded half up, without overflow.
fn mean_half_up(a: Price, b: Price) -> Price {
    let s = a.0 as i128 + b.0 as i128;
    // Floor of (s + 1) / 2: half up for any sign.
    Price(((s + 1).div_euclid(2)) as i64)
}

impl MarkState {
    /// A state with no inputs.
    pub fn new(policy: MarkPolicy) -> MarkState {
        MarkState {
            policy,
            ..MarkState::default()
        }
    }

    /// The book mid, when both sides exist.
    pub fn mid(&self) -> Option<Price> {
        Some(mean_half_up(self.bid?, self.ask?))
    }

    /// What the policy makes of the current inputs (`None`: no input yet).
    pub fn by_policy(&self) -> Option<Price> {
        match self.policy {
            MarkPolicy::Last => self.last,
            MarkPolicy::Mid => self.mid(),
            MarkPolicy::Index => self.index,
            MarkPolicy::External => self.forced,
            MarkPolicy::Median => {
                let mut v: [Price; 3] = [Price(0); 3];
                let mut n = 0;
                for p in [self.index, self.mid(), self.last].into_iter().flatten() {
                    v[n] = p;
                    n += 1;
                }
                v[..n].sort_unstable();
                match n {
                    0 => None,
                    1 => Some(v[0]),
                    2 => Some(mean_half_up(v[0], v[1])),
                    _ => Some(v[1]),
                }
            }
        }
    }

    fn recompute(&mut self) -> Option<Price> {
        let new = self.by_policy()?;
        self.set(new)
    }

    fn set(&mut self, new: Price) -> Option<Price> {
        if self.mark == Some(new) {
            None
        } else {
            self.mark = Some(new);
            Some(new)
        }
    }
}

/// The marks of all instruments, by instrument index.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    states: Vec<MarkState>,
}

impl Marks {
    /// No instruments.
    pub fn new() -> Marks {
        Marks::default()
    }

    /// Adds an instrument with `policy`; returns its index.
    pub fn push(&mut self, policy: MarkPolicy) -> InstIdx {
        self.states.push(MarkState::new(policy));
        (self.states.len() - 1) as InstIdx
    }

    /// Number of instruments.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// True when there are no instruments.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// The current mark of `i` (`None`: no mark yet, or no such instrument).
    #[inline]
    pub fn mark(&self, i: InstIdx) -> Option<Price> {
        self.states.get(i as usize).and_then(|s| s.mark)
    }

    /// The full state of `i`.
    pub fn state(&self, i: InstIdx) -> Option<&MarkState> {
        self.states.get(i as usize)
    }

    /// A trade at `price`. Returns the new mark if it changed.
    pub fn on_trade(&mut self, i: InstIdx, price: Price) -> Option<Price> {
        let s = self.states.get_mut(i as usize)?;
        s.last = Some(price);
        match s.policy {
            MarkPolicy::Last | MarkPolicy::Median => s.recompute(),
            _ => None,
        }
    }

    /// The top of the book changed. Returns the new mark if it changed.
    pub fn on_book(&mut self, i: InstIdx, bid: Option<Price>, ask: Option<Price>) -> Option<Price> {
        let s = self.states.get_mut(i as usize)?;
        s.bid = bid;
        s.ask = ask;
        match s.policy {
            MarkPolicy::Mid | MarkPolicy::Median => s.recompute(),
            _ => None,
        }
    }

    /// A new index price. Returns the new mark if it changed.
    pub fn on_index(&mut self, i: InstIdx, price: Price) -> Option<Price> {
        let s = self.states.get_mut(i as usize)?;
        s.index = Some(price);
        match s.policy {
            MarkPolicy::Index | MarkPolicy::Median => s.recompute(),
            _ => None,
        }
    }

    /// Forces the mark (any policy). Returns it if it changed.
    pub fn force(&mut self, i: InstIdx, price: Price) -> Option<Price> {
        let s = self.states.get_mut(i as usize)?;
        s.forced = Some(price);
        s.set(price)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_policy_follows_trades_and_reports_changes_only() {
        let mut m = Marks::new();
        let i = m.push(MarkPolicy::Last);
        assert_eq!(m.mark(i), None);
        assert_eq!(m.on_book(i, Some(Price(99)), Some(Price(101))), None);
        assert_eq!(m.on_trade(i, Price(100)), Some(Price(100)));
        assert_eq!(m.on_trade(i, Price(100)), None);
        assert_eq!(m.force(i, Price(90)), Some(Price(90)));
        assert_eq!(m.on_index(i, Price(95)), None);
        assert_eq!(m.mark(i), Some(Price(90)));
        assert_eq!(m.on_trade(i, Price(100)), Some(Price(100)));
    }

    #[test]
    fn mid_rounds_half_up_and_needs_both_sides() {
        let mut m = Marks::new();
        let i = m.push(MarkPolicy::Mid);
        assert_eq!(m.on_book(i, Some(Price(100)), None), None);
        assert_eq!(
            m.on_book(i, Some(Price(100)), Some(Price(103))),
            Some(Price(102))
        );
        assert_eq!(
            m.on_book(i, Some(Price(100)), Some(Price(102))),
            Some(Price(101))
        );
        assert_eq!(m.on_trade(i, Price(500)), None);
        // One side gone: the mark stays.
        assert_eq!(m.on_book(i, None, Some(Price(102))), None);
        assert_eq!(m.mark(i), Some(Price(101)));
    }

    #[test]
    fn index_and_external() {
        let mut m = Marks::new();
        let i = m.push(MarkPolicy::Index);
        let e = m.push(MarkPolicy::External);
        assert_eq!(m.on_trade(i, Price(7)), None);
        assert_eq!(m.on_index(i, Price(8)), Some(Price(8)));
        assert_eq!(m.on_trade(e, Price(7)), None);
        assert_eq!(m.on_index(e, Price(7)), None);
        assert_eq!(m.force(e, Price(9)), Some(Price(9)));
        assert_eq!(m.force(e, Price(9)), None);
        assert_eq!(m.on_trade(e, Price(1)), None);
        assert_eq!(m.mark(e), Some(Price(9)));
        assert_eq!(m.on_trade(9, Price(1)), None, "unknown instrument");
    }

    #[test]
    fn median_of_what_exists() {
        let mut m = Marks::new();
        let i = m.push(MarkPolicy::Median);
        assert_eq!(m.on_trade(i, Price(100)), Some(Price(100)));
        // index 103, last 100: mean 101.5 -> 102 (half up).
        assert_eq!(m.on_index(i, Price(103)), Some(Price(102)));
        // mid 110: median(103, 110, 100) = 103.
        assert_eq!(
            m.on_book(i, Some(Price(109)), Some(Price(111))),
            Some(Price(103))
        );
        assert_eq!(m.on_trade(i, Price(120)), Some(Price(110)));
    }

    #[test]
    fn mean_rounds_half_up_for_large_values() {
        assert_eq!(
            mean_half_up(Price(i64::MAX), Price(i64::MAX)),
            Price(i64::MAX)
        );
        assert_eq!(mean_half_up(Price(1), Price(2)), Price(2));
    }
}
