//! Number parsing straight from bytes, without allocation: exact decimals
//! (into `crate::types::Decimal`), integers, and decimal seconds to ns.
//!
//! Owns: the byte-level grammar of numbers in vendor files and the
//! `decimal_key` total order on decimals.
//! Must not: allocate on success, or accept anything `Decimal` cannot hold
//! exactly (at most 19 significant digits and 18 decimal places).

use crate::types::Decimal;

/// Most significant digits a decimal may carry (as `Decimal::parse`).
const MAX_DIGITS: u32 = 19;
/// Most decimal places a decimal may carry (as `Decimal::parse`).
const MAX_SCALE: u32 = 18;

/// Why a number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// Not a number of the expected form.
    Syntax,
    /// More digits or decimal places than the type holds exactly.
    TooLarge,
}

impl NumError {
    /// A short phrase for error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            NumError::Syntax => "not a number",
            NumError::TooLarge => {
                "number too large or too precise (at most 19 digits, 18 decimals)"
            }
        }
    }
}

/// Parses `-?digits(.digits)?([eE][+-]?digits)?` exactly, with the same
/// normal form as `Decimal::parse` (no trailing fractional zeros, so equal
/// values compare equal). The exponent form, which `Decimal::parse` does
/// not take, is accepted because some vendors print tiny rates as `1e-7`.
pub fn parse_decimal(b: &[u8]) -> Result<Decimal, NumError> {
    let (neg, mut i) = match b.first() {
        Some(b'-') => (true, 1),
        _ => (false, 0),
    };
    let mut m: u64 = 0;
    let mut digits: u32 = 0;
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        let d = (b[i] - b'0') as u64;
        if m != 0 || d != 0 {
            digits += 1;
            if digits > MAX_DIGITS {
                return Err(NumError::TooLarge);
            }
            m = m * 10 + d;
        }
        i += 1;
    }
    if i == int_start {
        return Err(NumError::Syntax);
    }
    let mut scale: u32 = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        let mut zeros: u32 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            let d = (b[i] - b'0') as u64;
            if d == 0 {
                zeros += 1;
            } else {
                for _ in 0..zeros {
                    if m != 0 {
                        digits += 1;
                        if digits > MAX_DIGITS {
                            return Err(NumError::TooLarge);
                        }
                    }
                    m *= 10;
                }
                scale += zeros + 1;
                zeros = 0;
                digits += 1;
                if digits > MAX_DIGITS || scale > MAX_SCALE {
                    return Err(NumError::TooLarge);
                }
                m = m * 10 + d;
            }
            i += 1;
        }
        if i == frac_start {
            return Err(NumError::Syntax);
        }
    }
    let mut exp: i32 = 0;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let e_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            exp = exp * 10 + (b[i] - b'0') as i32;
            if exp > 1000 {
                return Err(NumError::TooLarge);
            }
            i += 1;
        }
        if i == e_start {
            return Err(NumError::Syntax);
        }
        if eneg {
            exp = -exp;
        }
    }
    if i != b.len() {
        return Err(NumError::Syntax);
    }
    if m == 0 {
        return Ok(Decimal::new(0, 0));
    }
    let mut s = scale as i32 - exp;
    while s < 0 {
        digits += 1;
        if digits > MAX_DIGITS {
            return Err(NumError::TooLarge);
        }
        m *= 10;
        s += 1;
    }
    if exp != 0 {
        while s > 0 && m.is_multiple_of(10) {
            m /= 10;
            s -= 1;
        }
    }
    if s as u32 > MAX_SCALE {
        return Err(NumError::TooLarge);
    }
    let v = m as i128;
    Ok(Decimal::new(if neg { -v } else { v }, s as u32))
}

/// Parses a non-negative decimal integer (`digits`, no sign) as `u64`.
pub fn parse_u64(b: &[u8]) -> Result<u64, NumError> {
    if b.is_empty() {
        return Err(NumError::Syntax);
    }
    let mut v: u64 = 0;
    if b.len() <= 19 {
        // At most 19 digits cannot overflow u64 (10^19 - 1 < 2^64).
        for &c in b {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return Err(NumError::Syntax);
            }
            v = v * 10 + d as u64;
        }
        return Ok(v);
    }
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(NumError::Syntax);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add((c - b'0') as u64))
            .ok_or(NumError::TooLarge)?;
    }
    Ok(v)
}

/// Parses `-?digits` as `i64`.
pub fn parse_i64(b: &[u8]) -> Result<i64, NumError> {
    let (neg, body) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        _ => (false, b),
    };
    let v = parse_u64(body)?;
    if neg {
        if v <= i64::MAX as u64 + 1 {
            Ok((v as i64).wrapping_neg())
        } else {
            Err(NumError::TooLarge)
        }
    } else {
        i64::try_from(v).map_err(|_| NumError::TooLarge)
    }
}

/// Parses `digits(.digits)?` seconds (at most 9 decimals) into ns.
pub fn parse_seconds_ns(b: &[u8]) -> Result<i64, NumError> {
    let (int, frac) = match b.iter().position(|&c| c == b'.') {
        Some(p) => (&b[..p], &b[p + 1..]),
        None => (b, &b[..0]),
    };
    let secs = i64::try_from(parse_u64(int)?).map_err(|_| NumError::TooLarge)?;
    if b.len() > int.len() && frac.is_empty() {
        return Err(NumError::Syntax);
    }
    if frac.len() > 9 {
        return Err(NumError::TooLarge);
    }
    let mut ns: u64 = 0;
    for &c in frac {
        if !c.is_ascii_digit() {
            return Err(NumError::Syntax);
        }
        ns = ns * 10 + (c - b'0') as u64;
    }
    for _ in frac.len()..9 {
        ns *= 10;
    }
    secs.checked_mul(1_000_000_000)
        .and_then(|s| s.checked_add(ns as i64))
        .ok_or(NumError::TooLarge)
}

/// `v * mult`, refusing overflow (timestamps from µs or ms to ns).
pub fn scale_ts(v: i64, mult: i64) -> Result<i64, NumError> {
    v.checked_mul(mult).ok_or(NumError::TooLarge)
}

/// A key that orders decimals by value: the value in units of 10^-18.
/// Every decimal the parsers produce (at most 19 digits, 18 places) fits
/// exactly; anything larger saturates, which only merges absurd values.
#[inline]
pub fn decimal_key(d: Decimal) -> i128 {
    let s = d.scale().min(MAX_SCALE);
    d.mantissa().saturating_mul(10i128.pow(MAX_SCALE - s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        parse_decimal(s.as_bytes()).unwrap()
    }

    #[test]
    fn agrees_with_decimal_parse() {
        for s in [
            "0",
            "-0",
            "1",
            "10",
            "100",
            "0.5",
            "0.50",
            "61800.20",
            "0.014",
            "0.000",
            "007.250",
            "-3",
            "1234567890123456789",
            "0.000000000000000001",
            "9999999999",
            "-9999999999",
            "58710.20",
            "1.0000000000000000000",
        ] {
            assert_eq!(
                parse_decimal(s.as_bytes()).ok(),
                Decimal::parse(s).ok(),
                "{s}"
            );
        }
    }

    #[test]
    fn rejects_what_decimal_rejects() {
        for s in [
            "", "-", ".5", "5.", "+1", "1.2.3", " 1", "1,5", "NaN", "--1", "1e", "1e+",
        ] {
            assert!(parse_decimal(s.as_bytes()).is_err(), "{s:?}");
        }
        assert_eq!(
            parse_decimal(b"12345678901234567890"),
            Err(NumError::TooLarge)
        );
        assert_eq!(
            parse_decimal(b"0.0000000000000000001"),
            Err(NumError::TooLarge)
        );
        assert_eq!(parse_decimal(b"1e999999"), Err(NumError::TooLarge));
    }

    #[test]
    fn exponent_form() {
        assert_eq!(d("1e-7"), Decimal::new(1, 7));
        assert_eq!(d("1.5E+2"), Decimal::new(150, 0));
        assert_eq!(d("10e-1"), Decimal::new(1, 0));
        assert_eq!(d("-2.5e-3"), Decimal::new(-25, 4));
    }

    #[test]
    fn integers_and_seconds() {
        assert_eq!(parse_u64(b"5123107852948"), Ok(5123107852948));
        assert_eq!(parse_u64(b"99999999999999999999"), Err(NumError::TooLarge));
        assert_eq!(parse_i64(b"-9999999999"), Ok(-9999999999));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
        assert!(parse_i64(b"9223372036854775808").is_err());
        assert_eq!(parse_seconds_ns(b"34200.004241176"), Ok(34_200_004_241_176));
        assert_eq!(parse_seconds_ns(b"34200.00426064"), Ok(34_200_004_260_640));
        assert_eq!(parse_seconds_ns(b"1"), Ok(1_000_000_000));
        assert!(parse_seconds_ns(b"1.").is_err());
        assert!(parse_seconds_ns(b"1.0000000001").is_err());
        assert!(parse_seconds_ns(b"99999999999999999999").is_err());
    }

    #[test]
    fn key_orders_by_value() {
        assert!(decimal_key(d("61800.2")) > decimal_key(d("61800.19")));
        assert_eq!(decimal_key(d("1.0")), decimal_key(d("1")));
        assert!(decimal_key(d("-1")) < decimal_key(d("0")));
    }
}
