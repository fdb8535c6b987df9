//! Exact `a * b / d` for `i128` operands, rounded once, without overflow.
//!
//! Owns: the one place where a pro-rata share (a socialized loss split by
//! balance, the closed part of a position's cash flow, a fee or funding
//! payment as money x rate) is computed. The product is formed in 256 bits
//! when it does not fit `i128`, so the share is exact for every operand the
//! engine can hold; only a quotient beyond `i128` is refused.
//!
//! Must not: be used where the caller can prove a plain `checked_mul`
//! suffices on a hot path without falling back here.

use crate::types::{div_floor, div_round_half_away};

/// How a quotient is rounded to an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward negative infinity.
    Floor,
    /// To the nearest integer, halves away from zero.
    HalfAway,
}

/// `a * b / d` rounded as asked; `None` when `d` is zero or the quotient
/// does not fit `i128`.
pub fn mul_div(a: i128, b: i128, d: i128, rounding: Rounding) -> Option<i128> {
    if d == 0 {
        return None;
    }
    if let Some(p) = a.checked_mul(b) {
        return match rounding {
            Rounding::HalfAway => Some(div_round_half_away_checked(p, d)?),
            // div_floor needs a positive divisor: move the sign up.
            Rounding::Floor if d > 0 => Some(div_floor(p, d)),
            Rounding::Floor => Some(div_floor(p.checked_neg()?, d.checked_neg()?)),
        };
    }
    let negative = (a < 0) ^ (b < 0) ^ (d < 0);
    let (q, r) = divmod_256(
        mul_128(a.unsigned_abs(), b.unsigned_abs()),
        d.unsigned_abs(),
    );
    let bump = match rounding {
        // 2r < 2^128: r < |d| <= 2^127.
        Rounding::HalfAway => 2 * r >= d.unsigned_abs(),
        Rounding::Floor => negative && r != 0,
    };
    let q = q.checked_add(bump as u128)?;
    if negative {
        0i128.checked_sub_unsigned(q)
    } else {
        i128::try_from(q).ok()
    }
}

/// `div_round_half_away` that refuses the one overflowing case
/// (`i128::MIN / -1`).
fn div_round_half_away_checked(n: i128, d: i128) -> Option<i128> {
    n.checked_div(d)?;
    Some(div_round_half_away(n, d))
}

/// The 256-bit product of two magnitudes as (low, high) halves.
fn mul_128(a: u128, b: u128) -> (u128, u128) {
    let mask = u64::MAX as u128;
    let (a0, a1) = (a & mask, a >> 64);
    let (b0, b1) = (b & mask, b >> 64);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    // The middle column: at most three 64-bit halves and a carry.
    let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
    let low = (p00 & mask) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (low, high)
}

/// Quotient (if it fits `u128`, else saturated: callers then refuse it
/// through the `i128` conversion) and remainder of a 256-bit magnitude
/// divided by `d` (nonzero, at most 2^127), by shift and subtract.
fn divmod_256((low, high): (u128, u128), d: u128) -> (u128, u128) {
    if high >= d {
        // The quotient needs more than 128 bits.
        return (u128::MAX, 0);
    }
    let mut r = high;
    let mut q: u128 = 0;
    for bit in (0..128).rev() {
        // r < d <= 2^127, so 2r + 1 fits.
        r = (r << 1) | ((low >> bit) & 1);
        q <<= 1;
        if r >= d {
            r -= d;
            q |= 1;
        }
    }
    (q, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same computation on big integers built from decimal strings is
    /// not available without a crate; check against identities instead.
    #[test]
    fn small_operands_match_plain_arithmetic() {
        for (a, b, d) in [
            (7i128, 3i128, 2i128),
            (-7, 3, 2),
            (7, -3, 2),
            (-7, -3, -2),
            (5, 1, -2),
            (1, 1, 3),
            (-1, 1, 3),
            (0, 5, 7),
        ] {
            assert_eq!(
                mul_div(a, b, d, Rounding::HalfAway),
                Some(div_round_half_away(a * b, d)),
                "{a}*{b}/{d}"
            );
            let f = (a * b) as f64 / d as f64;
            assert_eq!(mul_div(a, b, d, Rounding::Floor), Some(f.floor() as i128));
        }
        assert_eq!(mul_div(1, 1, 0, Rounding::Floor), None);
        assert_eq!(mul_div(i128::MIN, 1, -1, Rounding::HalfAway), None);
    }

    #[test]
    fn products_beyond_i128_are_exact() {
        // The socialized-loss case: 1e22 x 1e17 / 2e22 = 5e16.
        let b = 10i128.pow(22);
        let due = 10i128.pow(17);
        assert!(b.checked_mul(due).is_none());
        assert_eq!(
            mul_div(b, due, 2 * b, Rounding::Floor),
            Some(5 * 10i128.pow(16))
        );
        // (2^127 - 1) x (2^127 - 1) / (2^127 - 1) = 2^127 - 1.
        let m = i128::MAX;
        assert_eq!(mul_div(m, m, m, Rounding::Floor), Some(m));
        assert_eq!(mul_div(-m, m, m, Rounding::Floor), Some(-m));
        // m x 3 / 2 does not fit.
        assert_eq!(mul_div(m, 3, 2, Rounding::Floor), None);
        // Rounding of a product beyond i128: (10^20 x 10^20 + ...) / 3.
        let x = 10i128.pow(20);
        // 10^40 / 3 = 3333...3.33: floor and half-away agree.
        let third = mul_div(x, x, 3 * 10i128.pow(10), Rounding::Floor).unwrap();
        assert_eq!(third, 333_333_333_333_333_333_333_333_333_333);
        assert_eq!(
            mul_div(x, x, 3 * 10i128.pow(10), Rounding::HalfAway),
            Some(third)
        );
        // 10^40 x 2 / 3 = 6666...6.67: half-away rounds up, floor down.
        let two_thirds = mul_div(2 * x, x, 3 * 10i128.pow(10), Rounding::Floor).unwrap();
        assert_eq!(
            mul_div(2 * x, x, 3 * 10i128.pow(10), Rounding::HalfAway),
            Some(two_thirds + 1)
        );
        assert_eq!(
            mul_div(-2 * x, x, 3 * 10i128.pow(10), Rounding::Floor),
            Some(-two_thirds - 1)
        );
        assert_eq!(
            mul_div(-2 * x, x, 3 * 10i128.pow(10), Rounding::HalfAway),
            Some(-two_thirds - 1)
        );
    }

    #[test]
    fn wide_product_halves_are_right() {
        let (lo, hi) = mul_128(u128::MAX, u128::MAX);
        // (2^128 - 1)^2 = 2^256 - 2^129 + 1.
        assert_eq!(lo, 1);
        assert_eq!(hi, u128::MAX - 1);
        assert_eq!(mul_128(1 << 64, 1 << 64), (0, 1));
    }
}
