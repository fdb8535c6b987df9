//! Valuation of accounts and positions at the current marks: equity,
//! maintenance margin (exact "wide" and rounded), initial margin of
//! positions and open orders, the liquidatable test and the margin ratio
//! used to order liquidations.
//!
//! Owns: the exact definitions of `spec/scenario.md` "Margin definitions".
//! Maintenance margin is kept in units of 10^-24 (money x rate) and is
//! never rounded before a comparison; `equity * 10^12 < maint_wide` is the
//! liquidatable test. Positions in an instrument with no mark yet are
//! skipped entirely (no PnL, no margin) in every sum here.
//!
//! Must not: mutate anything, or use floating point.

use std::cmp::Ordering;

use crate::instrument::Instrument;
use crate::types::{div_floor, div_round_half_away, Money, Price, Qty, Side, STREET};

use super::accounts::{Account, MarginMode};
use super::marks::Marks;
use super::position::Position;
use super::wide::cmp_prod;
use super::{InstIdx, MarginError, WIDE};

/// What valuation reads besides an account: the instrument table and the
/// marks, both indexed by [`InstIdx`].
#[derive(Clone, Copy)]
pub struct Market<'a> {
    /// The instruments, by index.
    pub instruments: &'a [Instrument],
    /// The marks, by the same index.
    pub marks: &'a Marks,
}

impl<'a> Market<'a> {
    /// A view of instruments and marks.
    pub fn new(instruments: &'a [Instrument], marks: &'a Marks) -> Market<'a> {
        Market { instruments, marks }
    }

    /// The instrument at `i`.
    #[inline]
    pub fn instrument(&self, i: InstIdx) -> Result<&'a Instrument, MarginError> {
        self.instruments
            .get(i as usize)
            .ok_or(MarginError::UnknownInstrument(i))
    }

    /// The current mark of `i`, if it has one.
    #[inline]
    pub fn mark(&self, i: InstIdx) -> Option<Price> {
        self.marks.mark(i)
    }
}

/// An open order as initial margin sees it: not reduce-only, `qty` the
/// unfilled remainder (positive), `price` its limit price (`None` for stop
/// and market orders: valued at the mark).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenOrder {
    /// Instrument.
    pub inst: InstIdx,
    /// Buy or sell.
    pub side: Side,
    /// Remaining quantity, positive.
    pub qty: Qty,
    /// Limit price, or `None` to value it at the mark.
    pub price: Option<Price>,
}

/// `inst.value(qty, price)` with every step checked: linear
/// `qty * price * a`, inverse `-round_half_away(qty * a / (price * b))`.
/// Identical to [`Instrument::value`] wherever that does not overflow.
#[inline]
pub fn checked_value(inst: &Instrument, qty: Qty, price: Price) -> Result<Money, MarginError> {
    if price.0 <= 0 {
        return Err(MarginError::BadPrice);
    }
    let (a, b) = inst.value_factors();
    let q = qty.0 as i128;
    if inst.is_inverse() {
        let n = q.checked_mul(a).ok_or(MarginError::Overflow)?;
        let d = (price.0 as i128)
            .checked_mul(b)
            .ok_or(MarginError::Overflow)?;
        Ok(Money(-div_round_half_away(n, d)))
    } else {
        q.checked_mul(price.0 as i128)
            .and_then(|v| v.checked_mul(a))
            .map(Money)
            .ok_or(MarginError::Overflow)
    }
}

/// Unsigned notional of `qty` at `price`, as the tiers measure it.
#[inline]
pub fn notional_at(inst: &Instrument, qty: Qty, price: Price) -> Result<Money, MarginError> {
    abs(checked_value(inst, qty, price)?)
}

/// `|v|`, refusing `i128::MIN`.
#[inline]
pub(crate) fn abs(v: Money) -> Result<Money, MarginError> {
    v.0.checked_abs().map(Money).ok_or(MarginError::Overflow)
}

/// `notional * rate - cum * 10^12` style product, checked.
#[inline]
fn times_rate(notional: Money, rate: i64) -> Result<i128, MarginError> {
    notional
        .0
        .checked_mul(rate as i128)
        .ok_or(MarginError::Overflow)
}

/// Maintenance margin of a notional in units of 10^-24: `notional * mmr -
/// cum`, tier chosen by the notional (bounds inclusive).
#[inline]
pub(crate) fn maint_wide_of(inst: &Instrument, notional: Money) -> Result<i128, MarginError> {
    let t = inst.tier_for(notional);
    let cum = t.cum.0.checked_mul(WIDE).ok_or(MarginError::Overflow)?;
    times_rate(notional, t.mmr.0)?
        .checked_sub(cum)
        .ok_or(MarginError::Overflow)
}

/// Maintenance margin of a position of `qty` at `mark`, in units of 10^-24.
pub fn position_maint_wide(inst: &Instrument, qty: Qty, mark: Price) -> Result<i128, MarginError> {
    maint_wide_of(inst, notional_at(inst, qty, mark)?)
}

/// Unrealized PnL of a position at `mark`: `cash + value(qty, mark)`.
#[inline]
pub fn upnl(inst: &Instrument, pos: &Position, mark: Price) -> Result<Money, MarginError> {
    pos.cash
        .checked_add(checked_value(inst, pos.qty, mark)?)
        .ok_or(MarginError::Overflow)
}

fn add(a: i128, b: i128) -> Result<i128, MarginError> {
    a.checked_add(b).ok_or(MarginError::Overflow)
}

/// Equity (money units) and maintenance (wide units) of the cross part of
/// an account: balance plus each marked position's PnL, skipping the
/// instrument `skip` (the solvers vary it).
pub(crate) fn cross_totals(
    acct: &Account,
    market: &Market,
    skip: Option<InstIdx>,
) -> Result<(i128, i128), MarginError> {
    let mut eq = acct.balance().0;
    let mut mm: i128 = 0;
    for &(i, ref p) in acct.positions() {
        if Some(i) == skip || p.qty.0 == 0 {
            continue;
        }
        let Some(m) = market.mark(i) else { continue };
        let inst = market.instrument(i)?;
        let v = checked_value(inst, p.qty, m)?;
        eq = add(add(eq, p.cash.0)?, v.0)?;
        mm = add(mm, maint_wide_of(inst, abs(v)?)?)?;
    }
    Ok((eq, mm))
}

/// Equity of an isolated position (margin + PnL, PnL only when marked) and
/// its maintenance in wide units.
fn isolated_totals(
    inst: &Instrument,
    pos: &Position,
    mark: Option<Price>,
) -> Result<(i128, i128), MarginError> {
    match mark {
        None => Ok((pos.margin.0, 0)),
        Some(m) => {
            let v = checked_value(inst, pos.qty, m)?;
            let eq = add(add(pos.margin.0, pos.cash.0)?, v.0)?;
            Ok((eq, maint_wide_of(inst, abs(v)?)?))
        }
    }
}

/// Total equity of an account: cross: balance + PnL of its marked
/// positions; isolated mode: balance + every position's margin + PnL of its
/// marked positions.
pub fn account_equity(acct: &Account, market: &Market) -> Result<Money, MarginError> {
    match acct.mode() {
        MarginMode::Cross => Ok(Money(cross_totals(acct, market, None)?.0)),
        MarginMode::Isolated => {
            let mut eq = acct.balance().0;
            for &(i, ref p) in acct.positions() {
                let inst = market.instrument(i)?;
                eq = add(eq, isolated_totals(inst, p, market.mark(i))?.0)?;
            }
            Ok(Money(eq))
        }
    }
}

/// Sum of the maintenance margins of an account's marked positions, in
/// units of 10^-24 (exact).
pub fn maint_margin_wide(acct: &Account, market: &Market) -> Result<i128, MarginError> {
    let mut mm: i128 = 0;
    for &(i, ref p) in acct.positions() {
        let Some(m) = market.mark(i) else { continue };
        if p.qty.0 != 0 {
            mm = add(mm, position_maint_wide(market.instrument(i)?, p.qty, m)?)?;
        }
    }
    Ok(mm)
}

/// Maintenance margin as reported: `round_half_away(maint_wide / 10^12)`.
pub fn maint_margin(acct: &Account, market: &Market) -> Result<Money, MarginError> {
    Ok(Money(div_round_half_away(
        maint_margin_wide(acct, market)?,
        WIDE,
    )))
}

/// Equity (money) and maintenance (wide) of the margin unit holding the
/// account's position in `inst`: the whole account when it is cross, the
/// position when isolated. `None` when it holds no position there.
pub fn unit_equity_maint(
    acct: &Account,
    inst: InstIdx,
    market: &Market,
) -> Result<Option<(Money, i128)>, MarginError> {
    let Some(pos) = acct.position(inst) else {
        return Ok(None);
    };
    let (eq, mm) = match acct.mode() {
        MarginMode::Cross => cross_totals(acct, market, None)?,
        MarginMode::Isolated => isolated_totals(market.instrument(inst)?, pos, market.mark(inst))?,
    };
    Ok(Some((Money(eq), mm)))
}

/// The exact test: `equity * 10^12 < maint_wide`.
#[inline]
pub(crate) fn below_maintenance(equity: i128, maint_wide: i128) -> bool {
    match equity.checked_mul(WIDE) {
        Some(e) => e < maint_wide,
        None => cmp_prod(equity, WIDE, maint_wide, 1) == Ordering::Less,
    }
}

/// True when the margin unit holding the account's position in `inst` (the
/// account if cross, the position if isolated) is liquidatable. False for
/// the street, when there is no position in `inst`, or `inst` has no mark.
pub fn unit_liquidatable(
    acct: &Account,
    inst: InstIdx,
    market: &Market,
) -> Result<bool, MarginError> {
    if acct.id() == STREET || market.mark(inst).is_none() {
        return Ok(false);
    }
    match unit_equity_maint(acct, inst, market)? {
        None => Ok(false),
        Some((eq, mm)) => Ok(below_maintenance(eq.0, mm)),
    }
}

/// True when the account (cross) or any of its marked isolated positions is
/// liquidatable. An account without a marked position is never
/// liquidatable (there is nothing to close); the street never is.
pub fn account_liquidatable(acct: &Account, market: &Market) -> Result<bool, MarginError> {
    if acct.id() == STREET {
        return Ok(false);
    }
    match acct.mode() {
        MarginMode::Cross => {
            let any = acct
                .positions()
                .iter()
                .any(|(i, p)| p.qty.0 != 0 && market.mark(*i).is_some());
            if !any {
                return Ok(false);
            }
            let (eq, mm) = cross_totals(acct, market, None)?;
            Ok(below_maintenance(eq, mm))
        }
        MarginMode::Isolated => {
            for &(i, _) in acct.positions() {
                if unit_liquidatable(acct, i, market)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

/// Equity over maintenance of a margin unit, compared exactly by
/// cross-multiplication; the lowest is the most underwater. A unit with
/// zero maintenance ranks above every other (an infinite ratio).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarginRatio {
    /// Equity, money units.
    pub equity: Money,
    /// Maintenance margin, units of 10^-24.
    pub maint_wide: i128,
}

impl MarginRatio {
    /// Exact comparison of `equity / maint` (a total order: zero
    /// maintenance is +infinity and equal to itself).
    pub fn cmp_ratio(&self, other: &MarginRatio) -> Ordering {
        match (self.maint_wide > 0, other.maint_wide > 0) {
            (false, false) => Ordering::Equal,
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (true, true) => cmp_prod(
                self.equity.0,
                other.maint_wide,
                other.equity.0,
                self.maint_wide,
            ),
        }
    }
}

impl MarginRatio {
    /// `equity / maint` as a float (+infinity for zero maintenance), within
    /// a relative 1e-15 of the exact ratio: a sort key that
    /// [`MarginRatio::cmp_keyed`] refines exactly where it is too close to
    /// call.
    pub fn approx(&self) -> f64 {
        if self.maint_wide > 0 {
            self.equity.0 as f64 / self.maint_wide as f64
        } else {
            f64::INFINITY
        }
    }

    /// The same order as [`MarginRatio::cmp_ratio`], given both ratios'
    /// [`MarginRatio::approx`] keys: the floats decide when they are far
    /// apart, the exact cross-multiplication otherwise.
    #[inline]
    pub fn cmp_keyed(&self, key: f64, other: &MarginRatio, other_key: f64) -> Ordering {
        super::wide::approx_cmp(key, other_key).unwrap_or_else(|| self.cmp_ratio(other))
    }
}

/// The margin ratio of the unit holding the account's position in `inst`.
pub fn margin_ratio(
    acct: &Account,
    inst: InstIdx,
    market: &Market,
) -> Result<MarginRatio, MarginError> {
    let (equity, maint_wide) = unit_equity_maint(acct, inst, market)?.unwrap_or((Money::ZERO, 0));
    Ok(MarginRatio { equity, maint_wide })
}

/// Initial margin of a notional: `notional * imr` of the tier the notional
/// `tier_by` falls in, wide units.
fn im_wide(inst: &Instrument, notional: Money, tier_by: Money) -> Result<i128, MarginError> {
    times_rate(notional, inst.tier_for(tier_by).imr.0)
}

/// Initial margin of the account's marked positions and of its open orders,
/// in units of 10^-24 (exact). A position: `notional * imr` (tier by the
/// notional at the mark). An order: its own notional at its price (at the
/// mark when `price` is `None`) times the `imr` of the tier the resulting
/// position (current qty + the order's signed qty, at the order's price)
/// falls in. Errors with `NoMark` for an unpriced order on an unmarked
/// instrument.
pub fn initial_margin_wide(
    acct: &Account,
    market: &Market,
    orders: &[OpenOrder],
) -> Result<i128, MarginError> {
    let mut im = positions_im_wide(acct, market)?;
    for o in orders {
        im = add(im, order_im_wide(acct, market, o)?)?;
    }
    Ok(im)
}

fn positions_im_wide(acct: &Account, market: &Market) -> Result<i128, MarginError> {
    let mut im: i128 = 0;
    for &(i, ref p) in acct.positions() {
        let Some(m) = market.mark(i) else { continue };
        if p.qty.0 == 0 {
            continue;
        }
        let inst = market.instrument(i)?;
        let n = notional_at(inst, p.qty, m)?;
        im = add(im, im_wide(inst, n, n)?)?;
    }
    Ok(im)
}

fn order_im_wide(acct: &Account, market: &Market, o: &OpenOrder) -> Result<i128, MarginError> {
    let inst = market.instrument(o.inst)?;
    let price = match o.price {
        Some(p) => p,
        None => market.mark(o.inst).ok_or(MarginError::NoMark(o.inst))?,
    };
    let signed = Qty(o
        .qty
        .0
        .checked_mul(o.side.sign())
        .ok_or(MarginError::QtyLimit)?);
    let cur = acct.position(o.inst).map(|p| p.qty).unwrap_or_default();
    let after = cur.checked_add(signed).ok_or(MarginError::QtyLimit)?;
    let own_qty = Qty(o.qty.0.checked_abs().ok_or(MarginError::QtyLimit)?);
    let own = notional_at(inst, own_qty, price)?;
    let res = notional_at(inst, after, price)?;
    im_wide(inst, own, res)
}

/// Initial margin as reported: `round_half_away(initial_margin_wide / 10^12)`.
pub fn initial_margin(
    acct: &Account,
    market: &Market,
    orders: &[OpenOrder],
) -> Result<Money, MarginError> {
    Ok(Money(div_round_half_away(
        initial_margin_wide(acct, market, orders)?,
        WIDE,
    )))
}

/// What the account can still commit, wide units: cross: `equity - IM of
/// positions and orders`; isolated mode: `balance - IM of orders` (each
/// isolated position already holds its own margin).
fn free_wide(acct: &Account, market: &Market, orders: &[OpenOrder]) -> Result<i128, MarginError> {
    let (base, im) = match acct.mode() {
        MarginMode::Cross => (
            cross_totals(acct, market, None)?.0,
            initial_margin_wide(acct, market, orders)?,
        ),
        MarginMode::Isolated => {
            let mut im: i128 = 0;
            for o in orders {
                im = add(im, order_im_wide(acct, market, o)?)?;
            }
            (acct.balance().0, im)
        }
    };
    base.checked_mul(WIDE)
        .and_then(|b| b.checked_sub(im))
        .ok_or(MarginError::Overflow)
}

/// True when the account may add `new` to its open `orders`: equity minus
/// the initial margin of all positions and orders, `new` included, stays at
/// or above zero (isolated mode: balance minus the orders' margin). The
/// street can always afford.
pub fn can_afford(
    acct: &Account,
    market: &Market,
    orders: &[OpenOrder],
    new: &OpenOrder,
) -> Result<bool, MarginError> {
    if acct.id() == STREET {
        return Ok(true);
    }
    let free = free_wide(acct, market, orders)?;
    let need = order_im_wide(acct, market, new)?;
    Ok(free >= need)
}

/// Collateral that could be withdrawn without breaching initial margin,
/// rounded down to a money unit (may be negative).
pub fn available_balance(
    acct: &Account,
    market: &Market,
    orders: &[OpenOrder],
) -> Result<Money, MarginError> {
    Ok(Money(div_floor(free_wide(acct, market, orders)?, WIDE)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::{Instrument, MarkPolicy};
    use crate::margin::testutil::*;
    use crate::margin::Accounts;

    #[test]
    fn checked_value_matches_instrument_value() {
        for i in [btcusdt(), btcusd()] {
            for (q, p) in [(1i64, 1i64), (-7, 612345), (123456, 999), (-3, 600000)] {
                assert_eq!(
                    checked_value(&i, Qty(q), Price(p)).unwrap(),
                    i.value(Qty(q), Price(p))
                );
            }
        }
        assert_eq!(
            checked_value(&btcusd(), Qty(1), Price(0)),
            Err(MarginError::BadPrice)
        );
    }

    #[test]
    fn usdm_maintenance_uses_the_tier_amount() {
        // Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures
        // Contracts" (binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93):
        // a BTCUSDT position of 500,000 USDT has maintenance amount 1,300
        // USDT (= 250,000 x (1% - 0.5%) + 50) at rate 1%.
        let i = btcusdt();
        assert_eq!(i.tiers[2].cum, m("1300"));
        let w = position_maint_wide(&i, qty(&i, "10"), px(&i, "50000")).unwrap();
        assert_eq!(Money(div_round_half_away(w, WIDE)), m("3700"));
    }

    #[test]
    fn coinm_maintenance_example() {
        // Binance FAQ "How to Calculate Liquidation Price of COIN-M Futures
        // Contracts" (binance.com/en/support/faq/ceccfcfb4e3a45e3b48b0b1bb1a8ae46):
        // 100 contracts (100 USD each) at mark 25,000 are 0.4 BTC of
        // notional, level 1 (0.4%): maintenance 0.0016 BTC.
        let i = btcusd();
        let q = qty(&i, "100");
        let p = px(&i, "25000");
        assert_eq!(notional_at(&i, q, p).unwrap(), m("0.4"));
        let w = position_maint_wide(&i, q, p).unwrap();
        assert_eq!(w, m("0.0016").0 * WIDE);
    }

    fn one_long(balance: &str, q: &str, entry: &str) -> (Accounts, Instrument) {
        let i = btcusdt();
        let mut a = Accounts::new();
        let x = a.create(1, m(balance), MarginMode::Cross).unwrap();
        a.open_position(x, 0, &i, qty(&i, q), px(&i, entry), None)
            .unwrap();
        (a, i)
    }

    fn marks_at(p: Option<Price>) -> Marks {
        let mut marks = Marks::new();
        marks.push(MarkPolicy::Last);
        if let Some(p) = p {
            marks.force(0, p);
        }
        marks
    }

    #[test]
    fn liquidatable_is_strict() {
        // 1 BTC long from 10000 with balance 9004: at mark 1000 the equity
        // is 9004 - 9000 = 4 and maintenance 1000 x 0.004 = 4: not
        // liquidatable; one tick lower it is.
        let (a, i) = one_long("9004", "1", "10000");
        let insts = [i];
        let marks = marks_at(Some(px(&insts[0], "1000")));
        let mk = Market::new(&insts, &marks);
        let acct = a.get(1).unwrap();
        assert_eq!(account_equity(acct, &mk).unwrap(), m("4"));
        assert_eq!(maint_margin(acct, &mk).unwrap(), m("4"));
        assert!(!unit_liquidatable(acct, 0, &mk).unwrap());
        let marks = marks_at(Some(px(&insts[0], "999.99")));
        let mk = Market::new(&insts, &marks);
        assert!(unit_liquidatable(acct, 0, &mk).unwrap());
        assert!(account_liquidatable(acct, &mk).unwrap());
        // The street is never liquidatable.
        assert!(!unit_liquidatable(a.get(0).unwrap(), 0, &mk).unwrap());
    }

    #[test]
    fn unmarked_positions_are_skipped() {
        let (a, i) = one_long("100", "1", "10000");
        let insts = [i];
        let marks = marks_at(None);
        let mk = Market::new(&insts, &marks);
        let acct = a.get(1).unwrap();
        assert_eq!(account_equity(acct, &mk).unwrap(), m("100"));
        assert_eq!(maint_margin_wide(acct, &mk).unwrap(), 0);
        assert!(!account_liquidatable(acct, &mk).unwrap());
    }

    #[test]
    fn initial_margin_of_positions_and_orders() {
        let (a, i) = one_long("1000", "1", "10000");
        let insts = [i];
        let marks = marks_at(Some(px(&insts[0], "10000")));
        let mk = Market::new(&insts, &marks);
        let acct = a.get(1).unwrap();
        // Position: 10000 notional x 0.008 = 80.
        assert_eq!(initial_margin(acct, &mk, &[]).unwrap(), m("80"));
        // A buy of 6 at 9000: own notional 54000; the resulting 7 BTC at
        // 9000 = 63000 fall in tier 2 (imr 0.01): 540.
        let o = OpenOrder {
            inst: 0,
            side: Side::Buy,
            qty: qty(&insts[0], "6"),
            price: Some(px(&insts[0], "9000")),
        };
        assert_eq!(initial_margin(acct, &mk, &[o]).unwrap(), m("620"));
        assert!(can_afford(acct, &mk, &[], &o).unwrap());
        assert!(!can_afford(acct, &mk, &[o], &o).unwrap());
        // A sell of 1 at market: own notional at the mark, tier of the
        // flat result (tier 1): 80.
        let s = OpenOrder {
            inst: 0,
            side: Side::Sell,
            qty: qty(&insts[0], "1"),
            price: None,
        };
        assert_eq!(initial_margin(acct, &mk, &[s]).unwrap(), m("160"));
        assert_eq!(available_balance(acct, &mk, &[]).unwrap(), m("920"));
    }

    #[test]
    fn isolated_equity_is_per_position() {
        let i = btcusdt();
        let mut a = Accounts::new();
        let x = a.create(1, m("1000"), MarginMode::Isolated).unwrap();
        a.open_position(x, 0, &i, qty(&i, "1"), px(&i, "10000"), Some(m("100")))
            .unwrap();
        let insts = [i];
        let marks = marks_at(Some(px(&insts[0], "9950")));
        let mk = Market::new(&insts, &marks);
        let acct = a.get(x).unwrap();
        // Unit: margin 100 - 50 = 50 against 39.8 maintenance.
        let (eq, mm) = unit_equity_maint(acct, 0, &mk).unwrap().unwrap();
        assert_eq!(eq, m("50"));
        assert_eq!(mm, m("39.8").0 * WIDE);
        assert_eq!(account_equity(acct, &mk).unwrap(), m("950"));
        assert!(!unit_liquidatable(acct, 0, &mk).unwrap());
        let marks = marks_at(Some(px(&insts[0], "9930")));
        let mk = Market::new(&insts, &marks);
        // 30 < 39.72.
        assert!(unit_liquidatable(acct, 0, &mk).unwrap());
    }

    #[test]
    fn margin_ratio_orders_exactly() {
        let a = MarginRatio {
            equity: Money(1),
            maint_wide: 3,
        };
        let b = MarginRatio {
            equity: Money(2),
            maint_wide: 5,
        };
        let z = MarginRatio {
            equity: Money(-5),
            maint_wide: 0,
        };
        assert_eq!(a.cmp_ratio(&b), Ordering::Less);
        assert_eq!(b.cmp_ratio(&a), Ordering::Greater);
        assert_eq!(z.cmp_ratio(&a), Ordering::Greater);
        assert_eq!(z.cmp_ratio(&z), Ordering::Equal);
    }
}
