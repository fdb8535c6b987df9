//! One net position in one instrument: quantity, the cash flow of its open
//! part, and (isolated mode) the margin set aside for it.
//!
//! Owns: the arithmetic of a fill against a position (grow, shrink, close,
//! flip) with its single rounding, and the entry price implied by the cash
//! flow. Must not: touch an account's balance (it returns the amounts for
//! the caller to move) or know about marks.

use crate::instrument::Instrument;
use crate::muldiv::{mul_div, Rounding};
use crate::types::{Money, Price, Qty, Ratio};

use super::valuation::checked_value;
use super::wide::reduce;
use super::MarginError;

/// A net position. Its equity contribution at mark `m` is
/// `cash + inst.value(qty, m)` (the unrealized PnL), plus `margin` when it
/// is isolated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Signed quantity in lots (+ long, - short).
    pub qty: Qty,
    /// Signed cash flow of the open part: the sum of `fill_cash` of the
    /// fills that opened it, less the share already realized.
    pub cash: Money,
    /// Isolated margin held by the position (zero for cross positions).
    pub margin: Money,
}

/// What one fill did to one position; the caller moves `to_balance` into
/// the account balance, and covers `shortfall` from outside the account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FillMath {
    /// The position after the fill.
    pub after: Position,
    /// Realized PnL of the closed part: to the balance for a cross
    /// position, to the position's margin for an isolated one.
    pub realized: Money,
    /// Isolated margin released by the closed part (to the balance).
    pub released: Money,
    /// What the balance receives: `realized` (cross) or `released`
    /// (isolated).
    pub to_balance: Money,
    /// An isolated position closed with a negative margin: what the margin
    /// could not pay (positive), left for the caller to cover (bad debt).
    pub shortfall: Money,
    /// Lots closed (unsigned).
    pub closed: Qty,
    /// Lots opened or added (unsigned).
    pub opened: Qty,
}

/// `value * c / of`, rounded half away from zero once, exact for any
/// amount (`c <= of`).
fn share(value: Money, c: i128, of: i128) -> Result<Money, MarginError> {
    mul_div(value.0, c, of, Rounding::HalfAway)
        .map(Money)
        .ok_or(MarginError::Overflow)
}

impl Position {
    /// True when long.
    pub fn is_long(&self) -> bool {
        self.qty.0 > 0
    }

    /// Applies a fill of `delta` lots (+ bought) at `price`, rounding once:
    /// the closed share of cash is `round_half_away(cash * c / |qty|)`.
    /// `isolated`: the position holds its own margin, and pays its losses
    /// from it alone (`spec/scenario.md` 1.1): the realized PnL goes to the
    /// margin; a partial close releases `round_half_away(margin * c /
    /// |qty|)` of the margin so updated, only if it is positive; a full
    /// close releases all of it if positive, and reports a negative rest
    /// as `shortfall`.
    pub(crate) fn fill(
        &self,
        inst: &Instrument,
        delta: Qty,
        price: Price,
        isolated: bool,
    ) -> Result<FillMath, MarginError> {
        let q = self.qty.0 as i128;
        let d = delta.0 as i128;
        let mut out = FillMath {
            after: *self,
            ..FillMath::default()
        };
        if d == 0 {
            return Ok(out);
        }
        if d.unsigned_abs() > crate::instrument::MAX_QTY_LOTS as u128 {
            return Err(MarginError::QtyLimit);
        }
        if q == 0 || (q > 0) == (d > 0) {
            let cash = checked_value(inst, delta, price)?;
            out.after.cash = self.cash.checked_sub(cash).ok_or(MarginError::Overflow)?;
            out.after.qty = add_qty(self.qty, delta)?;
            out.opened = delta.abs();
            return Ok(out);
        }
        // Shrinks: close c lots, then open the remainder the other way.
        let c = d.abs().min(q.abs());
        let full = c == q.abs();
        let close = Qty((c * d.signum()) as i64);
        let portion = if full {
            self.cash
        } else {
            share(self.cash, c, q.abs())?
        };
        let close_cash = -checked_value(inst, close, price)?;
        out.realized = portion
            .checked_add(close_cash)
            .ok_or(MarginError::Overflow)?;
        out.after.cash = self.cash - portion;
        if isolated {
            let left = self
                .margin
                .checked_add(out.realized)
                .ok_or(MarginError::Overflow)?;
            out.released = if full {
                left.max(Money::ZERO)
            } else if left > Money::ZERO {
                share(left, c, q.abs())?
            } else {
                Money::ZERO
            };
            out.shortfall = if full {
                (-left).max(Money::ZERO)
            } else {
                Money::ZERO
            };
            out.after.margin = if full {
                Money::ZERO
            } else {
                left - out.released
            };
            out.to_balance = out.released;
        } else {
            // A cross position holds no margin.
            out.to_balance = out.realized;
        }
        out.after.qty = add_qty(self.qty, close)?;
        out.closed = Qty(c as i64);
        let rest = d - close.0 as i128;
        if rest != 0 {
            // Only reachable after a full close: cash and margin are zero.
            // The opening part gets what is left of the whole fill's cash,
            // so that this side's cash flow is `fill_cash(delta)` exactly
            // (inverse values round: two parts need not add up).
            let open = Qty(rest as i64);
            let total = -checked_value(inst, delta, price)?;
            out.after.cash = total.checked_sub(close_cash).ok_or(MarginError::Overflow)?;
            out.after.qty = open;
            out.opened = open.abs();
        }
        Ok(out)
    }
}

fn add_qty(a: Qty, b: Qty) -> Result<Qty, MarginError> {
    let q = a.checked_add(b).ok_or(MarginError::QtyLimit)?;
    if q.0.unsigned_abs() > crate::instrument::MAX_QTY_LOTS as u64 {
        return Err(MarginError::QtyLimit);
    }
    Ok(q)
}

/// The entry price of a position, in ticks, exactly: the price at which
/// `value(qty, entry) == -cash`. Linear: `-cash / (qty * a)`; inverse:
/// `qty * a / (cash * b)` (with `inst.value_factors() = (a, b)`). `None`
/// for a flat position, a zero cash flow, or a result beyond `i128`.
pub fn entry_price(inst: &Instrument, pos: &Position) -> Option<Ratio> {
    if pos.qty.0 == 0 || pos.cash.0 == 0 {
        return None;
    }
    let (a, b) = inst.value_factors();
    let q = pos.qty.0 as i128;
    let (num, den) = if inst.is_inverse() {
        (q.checked_mul(a)?, pos.cash.0.checked_mul(b)?)
    } else {
        (-pos.cash.0, q.checked_mul(a)?)
    };
    let (n, d) = reduce(num, den)?;
    Some(Ratio::new(n, d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::InstrumentSpec;

    fn linear() -> Instrument {
        let spec: InstrumentSpec = serde_json::from_str(
            r#"{"symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001",
                "tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},{"mmr":"0.005","imr":"0.01"}]}"#,
        )
        .unwrap();
        Instrument::new(&spec).unwrap()
    }

    fn inverse() -> Instrument {
        let spec: InstrumentSpec = serde_json::from_str(
            r#"{"symbol":"BTCUSD_PERP","kind":"inverse","tick":"0.1","lot":"1","contract_size":"100",
                "tiers":[{"mmr":"0.005","imr":"0.01"}]}"#,
        )
        .unwrap();
        Instrument::new(&spec).unwrap()
    }

    #[test]
    fn grows_then_realizes_with_one_rounding() {
        let i = linear();
        let p = Position::default();
        // Buy 3 at 100.0, then 1 at 104.0: average entry 101.
        let m = p.fill(&i, Qty(3000), Price(1000), false).unwrap();
        let m = m.after.fill(&i, Qty(1000), Price(1040), false).unwrap();
        assert_eq!(m.after.qty, Qty(4000));
        assert_eq!(m.after.cash.to_string(), "-404");
        assert_eq!(entry_price(&i, &m.after), Some(Ratio::new(1010, 1)));
        // Sell 1 at 110: closes a quarter of the cash (101) for 110.
        let s = m.after.fill(&i, Qty(-1000), Price(1100), false).unwrap();
        assert_eq!(s.realized.to_string(), "9");
        assert_eq!(s.to_balance, s.realized);
        assert_eq!(s.after.cash.to_string(), "-303");
        assert_eq!(s.closed, Qty(1000));
        assert_eq!(s.opened, Qty(0));
    }

    #[test]
    fn flips_through_zero() {
        let i = linear();
        let p = Position {
            qty: Qty(2000),
            cash: Money::parse("-200").unwrap(),
            margin: Money::parse("30").unwrap(),
        };
        let f = p.fill(&i, Qty(-5000), Price(900), true).unwrap();
        // The loss of 20 is paid from the margin of 30; 10 is released.
        assert_eq!(f.realized.to_string(), "-20");
        assert_eq!(f.released.to_string(), "10");
        assert_eq!(f.to_balance, f.released);
        assert_eq!(f.after.qty, Qty(-3000));
        assert_eq!(f.after.cash.to_string(), "270");
        assert_eq!(f.after.margin, Money::ZERO);
        assert_eq!(f.closed, Qty(2000));
        assert_eq!(f.opened, Qty(3000));
    }

    #[test]
    fn partial_close_rounds_half_away_once() {
        let i = linear();
        let p = Position {
            qty: Qty(3),
            cash: Money(-10),
            margin: Money::ZERO,
        };
        // One lot at one tick is worth 10^8 units (0.1 x 0.001).
        let f = p.fill(&i, Qty(-1), Price(1), false).unwrap();
        // portion = round(-10/3) = -3.
        assert_eq!(f.after.cash, Money(-7));
        assert_eq!(f.realized, Money(100_000_000 - 3));
        assert_eq!(f.to_balance, f.realized);
        // Isolated with a margin of 5: the margin becomes 5 + 99999997 =
        // 100000002 and a third of it, round(33333334), is released.
        let p = Position {
            margin: Money(5),
            ..p
        };
        let f = p.fill(&i, Qty(-1), Price(1), true).unwrap();
        assert_eq!(f.released, Money(33_333_334));
        assert_eq!(f.to_balance, f.released);
        assert_eq!(f.after.margin, Money(66_666_668));
    }

    #[test]
    fn partial_close_of_the_largest_position_is_exact() {
        // 10^15 lots at 10^7 ticks: 10^18 of notional, 10^30 money units,
        // the engine's limit. Closing all but one lot took cash x c =
        // 10^30 x (10^15 - 1) before, beyond i128.
        let i = linear();
        let q = crate::instrument::MAX_QTY_LOTS;
        let p = Position::default()
            .fill(&i, Qty(q), Price(10_000_000), false)
            .unwrap()
            .after;
        assert_eq!(p.cash, Money(-(10i128.pow(30))));
        let f = p.fill(&i, Qty(-(q - 1)), Price(10_000_000), false).unwrap();
        assert_eq!(f.realized, Money::ZERO);
        assert_eq!(f.after.cash, Money(-(10i128.pow(15))));
        let iso = Position {
            margin: Money(10i128.pow(29)),
            ..p
        };
        let f = iso
            .fill(&i, Qty(-(q - 1)), Price(10_000_000), true)
            .unwrap();
        assert_eq!(f.released, Money(10i128.pow(29) - 10i128.pow(14)));
    }

    #[test]
    fn isolated_losses_stay_in_the_margin() {
        let i = linear();
        let m = |s: &str| Money::parse(s).unwrap();
        // Long 10 at 100 with a margin of 50.
        let p = Position {
            qty: Qty(10_000),
            cash: m("-1000"),
            margin: m("50"),
        };
        // A profitable half: +50 to the margin (100), half of it released.
        let f = p.fill(&i, Qty(-5000), Price(1100), true).unwrap();
        assert_eq!((f.realized, f.released), (m("50"), m("50")));
        assert_eq!(f.after.margin, m("50"));
        // Sell 5 at 90: -50 takes the margin to 0, nothing released.
        let f = p.fill(&i, Qty(-5000), Price(900), true).unwrap();
        assert_eq!(
            (f.realized, f.released, f.to_balance),
            (m("-50"), m("0"), m("0"))
        );
        assert_eq!(f.after.margin, m("0"));
        // Then 3 at 90: -30, the margin goes negative, nothing released.
        let f = f.after.fill(&i, Qty(-3000), Price(900), true).unwrap();
        assert_eq!((f.released, f.shortfall), (m("0"), m("0")));
        assert_eq!(f.after.margin, m("-30"));
        // The last 2 at 110: +20, the margin closes at -10: a shortfall.
        let f = f.after.fill(&i, Qty(-2000), Price(1100), true).unwrap();
        assert_eq!((f.released, f.shortfall), (m("0"), m("10")));
        assert_eq!(f.after, Position::default());
        // A cross position with the same fills realizes into the balance.
        let c = Position {
            margin: Money::ZERO,
            ..p
        };
        let f = c.fill(&i, Qty(-10_000), Price(900), false).unwrap();
        assert_eq!((f.to_balance, f.shortfall), (m("-100"), m("0")));
    }

    #[test]
    fn inverse_entry_price_is_exact() {
        let i = inverse();
        let p = Position::default();
        let m = p.fill(&i, Qty(3), Price(600000), false).unwrap();
        // 3 contracts of 100 USD at 60000 cost 0.005 BTC.
        assert_eq!(m.after.cash.to_string(), "0.005");
        let e = entry_price(&i, &m.after).unwrap();
        assert_eq!(e.num / e.den, 600000);
        assert_eq!(e.num % e.den, 0);
    }
}
