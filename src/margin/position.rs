//! One net position in one instrument: quantity, the cash flow of its open
//! part, and (isolated mode) the margin set aside for it.
//!
//! Owns: the arithmetic of a fill against a position (grow, shrink, close,
//! flip) with its single rounding, and the entry price implied by the cash
//! flow. Must not: touch an account's balance (it returns the amounts for
//! the caller to move) or know about marks.

use crate::instrument::Instrument;
use crate::types::{div_round_half_away, Money, Price, Qty, Ratio};

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

/// What one fill did to one position; the caller moves `realized +
/// released` into the account balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FillMath {
    /// The position after the fill.
    pub after: Position,
    /// Realized PnL of the closed part (to the balance).
    pub realized: Money,
    /// Isolated margin released by the closed part (to the balance).
    pub released: Money,
    /// Lots closed (unsigned).
    pub closed: Qty,
    /// Lots opened or added (unsigned).
    pub opened: Qty,
}

impl Position {
    /// True when long.
    pub fn is_long(&self) -> bool {
        self.qty.0 > 0
    }

    /// Applies a fill of `delta` lots (+ bought) at `price`, rounding once:
    /// the closed share of cash is `round_half_away(cash * c / |qty|)`.
    pub(crate) fn fill(
        &self,
        inst: &Instrument,
        delta: Qty,
        price: Price,
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
        if q == 0 || (q > 0) == (d > 0) {
            let cash = checked_value(inst, delta, price)?;
            out.after.cash = self.cash.checked_sub(cash).ok_or(MarginError::Overflow)?;
            out.after.qty = add_qty(self.qty, delta)?;
            out.opened = delta.abs();
            return Ok(out);
        }
        // Shrinks: close c lots, then open the remainder the other way.
        let c = d.abs().min(q.abs());
        let close = Qty((c * d.signum()) as i64);
        let portion = if c == q.abs() {
            self.cash
        } else {
            let n = self.cash.0.checked_mul(c).ok_or(MarginError::Overflow)?;
            Money(div_round_half_away(n, q.abs()))
        };
        let close_cash = -checked_value(inst, close, price)?;
        out.realized = portion
            .checked_add(close_cash)
            .ok_or(MarginError::Overflow)?;
        out.released = if c == q.abs() {
            self.margin
        } else {
            let n = self.margin.0.checked_mul(c).ok_or(MarginError::Overflow)?;
            Money(div_round_half_away(n, q.abs()))
        };
        out.after.cash = self.cash - portion;
        out.after.margin = self.margin - out.released;
        out.after.qty = add_qty(self.qty, close)?;
        out.closed = Qty(c as i64);
        let rest = d - close.0 as i128;
        if rest != 0 {
            // Only reachable after a full close: cash and margin are zero.
            let open = Qty(rest as i64);
            out.after.cash = -checked_value(inst, open, price)?;
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
        let m = p.fill(&i, Qty(3000), Price(1000)).unwrap();
        let m = m.after.fill(&i, Qty(1000), Price(1040)).unwrap();
        assert_eq!(m.after.qty, Qty(4000));
        assert_eq!(m.after.cash.to_string(), "-404");
        assert_eq!(entry_price(&i, &m.after), Some(Ratio::new(1010, 1)));
        // Sell 1 at 110: closes a quarter of the cash (101) for 110.
        let s = m.after.fill(&i, Qty(-1000), Price(1100)).unwrap();
        assert_eq!(s.realized.to_string(), "9");
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
        let f = p.fill(&i, Qty(-5000), Price(900)).unwrap();
        assert_eq!(f.realized.to_string(), "-20");
        assert_eq!(f.released.to_string(), "30");
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
            margin: Money(5),
        };
        let f = p.fill(&i, Qty(-1), Price(1)).unwrap();
        // portion = round(-10/3) = -3; released = round(5/3) = 2.
        assert_eq!(f.after.cash, Money(-7));
        assert_eq!(f.released, Money(2));
        assert_eq!(f.after.margin, Money(3));
    }

    #[test]
    fn inverse_entry_price_is_exact() {
        let i = inverse();
        let p = Position::default();
        let m = p.fill(&i, Qty(3), Price(600000)).unwrap();
        // 3 contracts of 100 USD at 60000 cost 0.005 BTC.
        assert_eq!(m.after.cash.to_string(), "0.005");
        let e = entry_price(&i, &m.after).unwrap();
        assert_eq!(e.num / e.den, 600000);
        assert_eq!(e.num % e.den, 0);
    }
}
