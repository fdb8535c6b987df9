//! Integer newtypes for everything the engine counts, and exact decimal
//! text in and out.
//!
//! Owns: `Price` (ticks), `Qty` (lots), `Money` (fixed point, 10^-12 of the
//! settlement asset), `Rate` (fixed point, 10^-12), `Side`, the id aliases,
//! `Decimal` (an exact parsed decimal string), rounding helpers and the
//! output formatting rules of `spec/scenario.md` (exact, no trailing zeros;
//! inexact values rounded half away from zero to 8 places).
//!
//! Must not: know about instruments (tick and lot are passed in), books or
//! accounts. No floating point here except `to_f64` helpers for statistics.

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use crate::muldiv::Rounding;

/// Identifier of an order, unique per engine (the script's `id`).
pub type OrderId = u64;
/// Identifier of an account (the script's `account`); `0` is the street.
pub type AccountId = u64;
/// The reserved street account: anonymous counterparty, never liquidated.
pub const STREET: AccountId = 0;

/// Decimal places of `Money`: one unit is 10^-12 of the settlement asset.
pub const MONEY_DECIMALS: u32 = 12;
/// Decimal places of `Rate`: one unit is 10^-12.
pub const RATE_DECIMALS: u32 = 12;
/// Decimal places printed for values that are not exact.
pub const PRINT_DECIMALS: u32 = 8;

/// A price in ticks of its instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(pub i64);

/// A quantity in lots of its instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Qty(pub i64);

/// An amount of the settlement asset in units of 10^-12 (quote currency for
/// linear contracts, the base coin for inverse ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i128);

/// A dimensionless fixed-point rate (margin ratio, fee, funding) in units of
/// 10^-12: `Rate(4_000_000_000)` is 0.004.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(pub i64);

/// Side of an order or of a fill's aggressor.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy (bid).
    Buy,
    /// Sell (ask).
    Sell,
}

impl Side {
    /// The other side.
    #[inline]
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// +1 for buy, -1 for sell.
    #[inline]
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }

    /// The name used in scripts and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! int_newtype_ops {
    ($t:ident, $inner:ty) => {
        impl $t {
            /// Zero.
            pub const ZERO: $t = $t(0);
            /// True when zero.
            #[inline]
            pub fn is_zero(self) -> bool {
                self.0 == 0
            }
            /// Absolute value.
            #[inline]
            pub fn abs(self) -> $t {
                $t(self.0.abs())
            }
            /// Checked addition.
            #[inline]
            pub fn checked_add(self, o: $t) -> Option<$t> {
                self.0.checked_add(o.0).map($t)
            }
            /// Checked subtraction.
            #[inline]
            pub fn checked_sub(self, o: $t) -> Option<$t> {
                self.0.checked_sub(o.0).map($t)
            }
        }
        impl Add for $t {
            type Output = $t;
            #[inline]
            fn add(self, o: $t) -> $t {
                $t(self.0 + o.0)
            }
        }
        impl Sub for $t {
            type Output = $t;
            #[inline]
            fn sub(self, o: $t) -> $t {
                $t(self.0 - o.0)
            }
        }
        impl AddAssign for $t {
            #[inline]
            fn add_assign(&mut self, o: $t) {
                self.0 += o.0;
            }
        }
        impl SubAssign for $t {
            #[inline]
            fn sub_assign(&mut self, o: $t) {
                self.0 -= o.0;
            }
        }
        impl Neg for $t {
            type Output = $t;
            #[inline]
            fn neg(self) -> $t {
                $t(-self.0)
            }
        }
        impl std::iter::Sum for $t {
            fn sum<I: Iterator<Item = $t>>(iter: I) -> $t {
                $t(iter.map(|x| x.0).sum::<$inner>())
            }
        }
    };
}
int_newtype_ops!(Price, i64);
int_newtype_ops!(Qty, i64);
int_newtype_ops!(Money, i128);
int_newtype_ops!(Rate, i64);

impl Money {
    /// Parses a decimal string as an amount (at most 12 decimals).
    pub fn parse(s: &str) -> Result<Money, DecimalError> {
        Money::from_decimal(Decimal::parse(s)?)
    }
    /// An exact decimal as an amount (at most 12 decimals).
    pub fn from_decimal(d: Decimal) -> Result<Money, DecimalError> {
        d.to_scaled(MONEY_DECIMALS).map(Money)
    }
    /// The exact decimal value.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, MONEY_DECIMALS)
    }
    /// Approximate value as f64 (statistics only).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 1e12
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_decimal().fmt(f)
    }
}

impl Rate {
    /// One (100%).
    pub const ONE: Rate = Rate(1_000_000_000_000);
    /// Parses a decimal string as a rate (at most 12 decimals).
    pub fn parse(s: &str) -> Result<Rate, DecimalError> {
        Rate::from_decimal(Decimal::parse(s)?)
    }
    /// An exact decimal as a rate (at most 12 decimals).
    pub fn from_decimal(d: Decimal) -> Result<Rate, DecimalError> {
        let v = d.to_scaled(RATE_DECIMALS)?;
        i64::try_from(v)
            .map(Rate)
            .map_err(|_| DecimalError::TooLarge)
    }
    /// The exact decimal value.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0 as i128, RATE_DECIMALS)
    }
    /// `money * rate`, rounded half away from zero to a whole `Money` unit,
    /// exact for any amount (the product is formed in 256 bits when it
    /// must be); saturates only where the result itself leaves `i128`.
    #[inline]
    pub fn apply(self, money: Money) -> Money {
        let one = 10i128.pow(RATE_DECIMALS);
        let r = crate::muldiv::mul_div(money.0, self.0 as i128, one, Rounding::HalfAway);
        // |rate| < 2^63 / 10^12 < 10^7: only an amount near the end of
        // i128 can give a result beyond it.
        Money(r.unwrap_or(if (money.0 < 0) != (self.0 < 0) {
            i128::MIN
        } else {
            i128::MAX
        }))
    }
    /// Approximate value as f64 (statistics only).
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 1e12
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.to_decimal().fmt(f)
    }
}

/// An exact ratio of two integers, `num / den`, in whatever unit the
/// context says (ticks for prices, 1 for bps). Printed rounded half away
/// from zero to 8 decimal places; `den` is positive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ratio {
    /// Numerator.
    pub num: i128,
    /// Denominator, positive.
    pub den: i128,
}

impl Ratio {
    /// `num / den`; normalises the sign onto the numerator.
    pub fn new(num: i128, den: i128) -> Ratio {
        debug_assert!(den != 0, "Ratio with zero denominator");
        if den < 0 {
            Ratio {
                num: -num,
                den: -den,
            }
        } else {
            Ratio { num, den }
        }
    }
    /// A whole number.
    pub fn int(v: i128) -> Ratio {
        Ratio { num: v, den: 1 }
    }
    /// Approximate value (statistics and index keys only).
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
    /// Text of the value times `step` (a tick, for a price in ticks).
    pub fn format_in(self, step: Decimal) -> String {
        match self.num.checked_mul(step.mantissa()) {
            Some(n) => format_ratio(n, self.den, step.scale()),
            None => format_ratio(self.num, self.den, 0),
        }
    }
}

/// Why a decimal string was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not of the form `-?digits(.digits)?`.
    #[error("not a decimal number: {0:?}")]
    Syntax(String),
    /// More digits than the engine carries exactly.
    #[error("number too large or too precise")]
    TooLarge,
    /// More decimal places than the target unit holds.
    #[error("too many decimal places (at most {0})")]
    TooPrecise(u32),
    /// Not a whole multiple of the step (tick or lot).
    #[error("{value} is not a multiple of {step}")]
    OffStep {
        /// The value given.
        value: String,
        /// The step it must be a multiple of.
        step: String,
    },
    /// A step (tick, lot, contract size) must be positive.
    #[error("step must be positive")]
    NonPositiveStep,
}

/// An exact decimal number: `mantissa * 10^-scale`. Produced by parsing
/// script and data text; converted to ticks, lots, money or rates with
/// exact checks, never by way of binary floating point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// Most decimal places a parsed number may carry.
const MAX_SCALE: u32 = 18;
/// Most significant digits a parsed number may carry (keeps every product
/// of two parsed values inside i128).
const MAX_DIGITS: usize = 19;

impl Decimal {
    /// `mantissa * 10^-scale`.
    pub const fn new(mantissa: i128, scale: u32) -> Decimal {
        Decimal { mantissa, scale }
    }

    /// The integer mantissa.
    pub fn mantissa(self) -> i128 {
        self.mantissa
    }

    /// The number of decimal places of the mantissa.
    pub fn scale(self) -> u32 {
        self.scale
    }

    /// Parses `-?digits(.digits)?` exactly. Leading zeros are fine; an
    /// exponent, a leading `+`, a bare `.5` or `5.` are not.
    pub fn parse(s: &str) -> Result<Decimal, DecimalError> {
        let err = || DecimalError::Syntax(s.chars().take(40).collect());
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (body.contains('.') && frac.is_empty())
        {
            return Err(err());
        }
        let frac = frac.trim_end_matches('0');
        let int = int.trim_start_matches('0');
        if frac.len() as u32 > MAX_SCALE || int.len() + frac.len() > MAX_DIGITS {
            return Err(DecimalError::TooLarge);
        }
        let mut m: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            m = m * 10 + (b - b'0') as i128;
        }
        Ok(Decimal {
            mantissa: if neg { -m } else { m },
            scale: frac.len() as u32,
        })
    }

    /// True when the value is negative.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }

    /// True when the value is zero.
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// The value as an integer count of `10^-decimals` units; refuses values
    /// with more decimal places than that.
    pub fn to_scaled(self, decimals: u32) -> Result<i128, DecimalError> {
        if self.scale > decimals {
            return Err(DecimalError::TooPrecise(decimals));
        }
        self.mantissa
            .checked_mul(10i128.pow(decimals - self.scale))
            .ok_or(DecimalError::TooLarge)
    }

    /// The value as a whole number of `step`s (ticks, lots), refusing values
    /// that are off the step.
    pub fn to_steps(self, step: Decimal) -> Result<i64, DecimalError> {
        if step.mantissa <= 0 {
            return Err(DecimalError::NonPositiveStep);
        }
        let s = self.scale.max(step.scale);
        let v = self.to_scaled(s)?;
        let st = step.to_scaled(s)?;
        if v % st != 0 {
            return Err(DecimalError::OffStep {
                value: self.to_string(),
                step: step.to_string(),
            });
        }
        i64::try_from(v / st).map_err(|_| DecimalError::TooLarge)
    }

    /// `n * step` exactly (for printing ticks and lots).
    pub fn from_steps(n: i64, step: Decimal) -> Decimal {
        Decimal {
            mantissa: n as i128 * step.mantissa,
            scale: step.scale,
        }
    }

    /// The exact product.
    pub fn checked_mul(self, o: Decimal) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(o.mantissa)?,
            scale: self.scale + o.scale,
        })
    }

    /// Approximate value as f64 (statistics and index keys only).
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }
}

impl fmt::Display for Decimal {
    /// Exact when the value has at most 8 decimal places, otherwise rounded
    /// half away from zero to 8; never trailing zeros.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, s) = if self.scale > PRINT_DECIMALS {
            let d = 10i128.pow(self.scale - PRINT_DECIMALS);
            (div_round_half_away(self.mantissa, d), PRINT_DECIMALS)
        } else {
            (self.mantissa, self.scale)
        };
        f.write_str(&format_fixed(m, s))
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    /// Accepts only a JSON/TOML string holding a decimal number, so that no
    /// value passes through binary floating point.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal string such as \"60000.5\"")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Decimal, E> {
                Decimal::parse(s).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl Decimal {
    /// The exact number as text, every decimal place kept (where
    /// `Display` rounds to 8): parsing it gives back the same `Decimal`.
    pub fn written(self) -> String {
        format_fixed(self.mantissa, self.scale)
    }
}

impl serde::Serialize for Decimal {
    /// A decimal string, as written ([`Decimal::written`]).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.written())
    }
}

/// Prints `m * 10^-s` exactly, without trailing zeros (`"-0.5"`, `"3"`).
pub fn format_fixed(m: i128, s: u32) -> String {
    let neg = m < 0;
    let digits = m.unsigned_abs().to_string();
    let s = s as usize;
    let (int, frac) = if digits.len() > s {
        let (a, b) = digits.split_at(digits.len() - s);
        (a.to_string(), b.to_string())
    } else {
        ("0".to_string(), format!("{:0>width$}", digits, width = s))
    };
    let frac = frac.trim_end_matches('0');
    let mut out = String::with_capacity(int.len() + frac.len() + 2);
    if neg && (int != "0" || !frac.is_empty()) {
        out.push('-');
    }
    out.push_str(&int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// Formats the exact quotient `num / den` scaled by `10^-scale` (that is,
/// the value `num / (den * 10^scale)`), rounded half away from zero to 8
/// decimal places. Used for VWAPs, liquidation prices and bps figures,
/// which are ratios of exact integers.
pub fn format_ratio(num: i128, den: i128, scale: u32) -> String {
    assert_ne!(den, 0, "format_ratio: zero denominator");
    // value = num / den / 10^scale; want round(value * 10^8).
    let (orig_num, orig_den) = (num, den);
    let (num, den) = if scale <= PRINT_DECIMALS {
        (
            num.checked_mul(10i128.pow(PRINT_DECIMALS - scale)),
            Some(den),
        )
    } else {
        (
            Some(num),
            den.checked_mul(10i128.pow(scale - PRINT_DECIMALS)),
        )
    };
    match (num, den) {
        (Some(n), Some(d)) => format_fixed(div_round_half_away(n, d), PRINT_DECIMALS),
        // Out of i128 range: fall back to binary floating point, which is
        // only reachable for absurd magnitudes.
        _ => {
            let v = orig_num as f64 / orig_den as f64 / 10f64.powi(scale as i32);
            format_fixed((v * 1e8).round() as i128, PRINT_DECIMALS)
        }
    }
}

/// `n / d` rounded half away from zero. `d` must not be zero.
#[inline]
pub fn div_round_half_away(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d.abs() {
        if (n < 0) == (d < 0) {
            q + 1
        } else {
            q - 1
        }
    } else {
        q
    }
}

/// `n / d` rounded toward negative infinity. `d` must be positive.
#[inline]
pub fn div_floor(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d != 0 && (n < 0) != (d < 0) {
        q - 1
    } else {
        q
    }
}

/// `n / d` rounded toward positive infinity. `d` must be positive.
#[inline]
pub fn div_ceil(n: i128, d: i128) -> i128 {
    -div_floor(-n, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn parses_exactly() {
        assert_eq!(d("60000.5"), Decimal::new(600005, 1));
        assert_eq!(d("0.00100"), Decimal::new(1, 3));
        assert_eq!(d("-3"), Decimal::new(-3, 0));
        assert_eq!(d("007.250"), Decimal::new(725, 2));
        assert_eq!(d("0"), Decimal::new(0, 0));
    }

    #[test]
    fn rejects_bad_syntax() {
        for s in [
            "", "-", ".5", "5.", "1e5", "+1", "1.2.3", " 1", "1,5", "NaN", "--1",
        ] {
            assert!(Decimal::parse(s).is_err(), "{s:?} should be rejected");
        }
        assert_eq!(
            Decimal::parse("12345678901234567890"),
            Err(DecimalError::TooLarge)
        );
    }

    #[test]
    fn converts_to_ticks_and_rejects_off_tick() {
        assert_eq!(d("60000.5").to_steps(d("0.1")), Ok(600005));
        assert_eq!(d("60000.5").to_steps(d("0.5")), Ok(120001));
        assert_eq!(d("100").to_steps(d("25")), Ok(4));
        assert!(matches!(
            d("60000.55").to_steps(d("0.1")),
            Err(DecimalError::OffStep { .. })
        ));
        assert!(matches!(
            d("110").to_steps(d("25")),
            Err(DecimalError::OffStep { .. })
        ));
        assert_eq!(d("1").to_steps(d("0")), Err(DecimalError::NonPositiveStep));
    }

    #[test]
    fn prints_without_trailing_zeros() {
        assert_eq!(
            Decimal::from_steps(542211100, d("0.0001")).to_string(),
            "54221.11"
        );
        assert_eq!(Decimal::from_steps(30, d("0.1")).to_string(), "3");
        assert_eq!(Decimal::from_steps(-5, d("0.1")).to_string(), "-0.5");
        assert_eq!(Decimal::from_steps(0, d("0.1")).to_string(), "0");
        assert_eq!(Money::parse("10000").unwrap().to_string(), "10000");
    }

    #[test]
    fn rounds_inexact_values_half_away_from_zero() {
        assert_eq!(Decimal::new(123456789, 9).to_string(), "0.12345679");
        assert_eq!(Decimal::new(-123456785, 9).to_string(), "-0.12345679");
        assert_eq!(Decimal::new(5, 9).to_string(), "0.00000001");
        assert_eq!(Decimal::new(-4, 9).to_string(), "0");
        assert_eq!(format_ratio(1, 3, 0), "0.33333333");
        assert_eq!(format_ratio(2, 3, 0), "0.66666667");
        assert_eq!(format_ratio(-2, 3, 0), "-0.66666667");
        assert_eq!(format_ratio(600005, 1, 1), "60000.5");
    }

    #[test]
    fn rate_applies_with_one_rounding() {
        let r = Rate::parse("0.0004").unwrap();
        assert_eq!(
            r.apply(Money::parse("300").unwrap()),
            Money::parse("0.12").unwrap()
        );
        let third = Rate(333_333_333_333);
        assert_eq!(third.apply(Money(3)), Money(1));
        assert_eq!(Rate::parse("1").unwrap(), Rate::ONE);
        // The largest notional the engine accepts (10^18 units, 10^30
        // money units) times a 2% fee: 2 x 10^40 overflowed i128 before.
        let n = Money(10i128.pow(30));
        assert_eq!(
            Rate::parse("0.02").unwrap().apply(n),
            Money(2 * 10i128.pow(28))
        );
        assert_eq!(
            Rate::parse("-0.0001").unwrap().apply(-n),
            Money(10i128.pow(26))
        );
    }

    #[test]
    fn integer_division_helpers() {
        assert_eq!(div_round_half_away(5, 2), 3);
        assert_eq!(div_round_half_away(-5, 2), -3);
        assert_eq!(div_round_half_away(4, 3), 1);
        assert_eq!(div_floor(-5, 2), -3);
        assert_eq!(div_ceil(5, 2), 3);
        assert_eq!(div_ceil(-5, 2), -2);
    }
}
