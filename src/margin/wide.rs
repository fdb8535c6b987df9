//! Exact comparisons of products of `i128`s, without overflow.
//!
//! Owns: the 256- and 512-bit magnitude arithmetic the solvers and the ADL
//! ranking need to compare fractions by cross-multiplication (`a/b < c/d`
//! with positive denominators is `a*d < c*b`). Magnitudes are little-endian
//! `u64` limbs; signs are carried separately.
//!
//! Must not: allocate, or be used where a plain `checked_mul` suffices on
//! the hot path.

use std::cmp::Ordering;

/// Relative gap beyond which two float renderings of exact quantities are
/// ordered by the floats alone. A rendering built from at most four
/// `i128 -> f64` conversions and three products or quotients is within
/// 7 x 2^-53 (< 1e-15) of its exact value; 1e-12 leaves a wide margin.
const APPROX_GAP: f64 = 1e-12;

/// Orders two exact quantities by their float renderings `a` and `b`
/// (each within a relative 1e-15 of its exact value, or an infinity that
/// stands for itself): `Some` when the floats are far enough apart that
/// the exact values are certainly in the same order, `None` when they
/// are too close to call (the caller then compares exactly). Used to keep
/// exact orders cheap: most comparisons never reach the wide arithmetic.
#[inline]
pub fn approx_cmp(a: f64, b: f64) -> Option<Ordering> {
    // An infinity is never "far" from another (inf - inf is NaN, and
    // inf > inf is false), so equal infinities fall to the exact test.
    if (a - b).abs() > APPROX_GAP * (a.abs() + b.abs()) {
        a.partial_cmp(&b)
    } else {
        None
    }
}

/// A `u64` whose unsigned order is the numeric order of `f` (for any
/// `f` but NaN): the sign bit flipped for positives, every bit flipped
/// for negatives. Keys compared this way cost one integer comparison.
#[inline]
pub fn float_order_bits(f: f64) -> u64 {
    let b = f.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// The permutation that puts items in an exact order, found through float
/// keys: `key[i]` renders item `i`'s exact value within a relative 1e-15
/// (or is an infinity standing for itself), and `exact` is the total
/// order to produce, which must agree with the numeric order of the
/// exact values. The keys are sorted as integers; then each run of
/// neighbours too close to call ([`approx_cmp`]) is re-sorted with
/// `exact`. Items in different runs are ordered correctly by their keys:
/// if `x <= y` are the keys at a run boundary (far apart) and `a <= x`,
/// `y <= b`, then `b - a >= (y - x) + (x - a) + (b - y)` exceeds the
/// error of both keys, so the exact values are in the same order.
pub fn exact_order_by_keys(
    keys: &[f64],
    mut exact: impl FnMut(usize, usize) -> Ordering,
) -> Vec<u32> {
    let mut order: Vec<(u64, u32)> = keys
        .iter()
        .enumerate()
        .map(|(i, &k)| (float_order_bits(k), i as u32))
        .collect();
    order.sort_unstable();
    let mut out: Vec<u32> = order.iter().map(|&(_, i)| i).collect();
    let mut start = 0;
    while start < out.len() {
        let mut end = start + 1;
        while end < out.len()
            && approx_cmp(keys[out[end - 1] as usize], keys[out[end] as usize]).is_none()
        {
            end += 1;
        }
        if end - start > 1 {
            out[start..end].sort_unstable_by(|&a, &b| exact(a as usize, b as usize));
        }
        start = end;
    }
    out
}

/// Sign of an `i128` as -1, 0 or 1.
#[inline]
fn sign(v: i128) -> i8 {
    v.signum() as i8
}

/// Limbs of a `u128`.
#[inline]
fn limbs(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

/// Schoolbook product of two magnitudes; `out` must be zeroed and at least
/// `a.len() + b.len()` long.
fn mag_mul(a: &[u64], b: &[u64], out: &mut [u64]) {
    for (i, &x) in a.iter().enumerate() {
        let mut carry: u128 = 0;
        for (j, &y) in b.iter().enumerate() {
            let t = x as u128 * y as u128 + out[i + j] as u128 + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        let mut k = i + b.len();
        while carry != 0 && k < out.len() {
            let t = out[k] as u128 + carry;
            out[k] = t as u64;
            carry = t >> 64;
            k += 1;
        }
    }
}

/// Compares two magnitudes of equal length, most significant limb last.
fn mag_cmp(a: &[u64], b: &[u64]) -> Ordering {
    for i in (0..a.len()).rev() {
        match a[i].cmp(&b[i]) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

/// Compares two signed values given as (sign, magnitude).
fn signed_cmp(s1: i8, m1: &[u64], s2: i8, m2: &[u64]) -> Ordering {
    if s1 != s2 {
        return s1.cmp(&s2);
    }
    match s1 {
        0 => Ordering::Equal,
        1 => mag_cmp(m1, m2),
        _ => mag_cmp(m2, m1),
    }
}

/// The magnitude of `a * b` as four limbs.
fn prod2(a: i128, b: i128) -> [u64; 4] {
    let mut out = [0u64; 4];
    mag_mul(&limbs(a.unsigned_abs()), &limbs(b.unsigned_abs()), &mut out);
    out
}

/// Compares `a * b` with `c * d` exactly.
pub fn cmp_prod(a: i128, b: i128, c: i128, d: i128) -> Ordering {
    let s1 = sign(a) * sign(b);
    let s2 = sign(c) * sign(d);
    if s1 != s2 || s1 == 0 {
        return s1.cmp(&s2);
    }
    signed_cmp(s1, &prod2(a, b), s2, &prod2(c, d))
}

/// Compares `a[0]*a[1]*a[2]*a[3]` with `b[0]*b[1]*b[2]*b[3]` exactly.
pub fn cmp_prod4(a: [i128; 4], b: [i128; 4]) -> Ordering {
    let s = |v: [i128; 4]| v.iter().map(|&x| sign(x)).product::<i8>();
    let (s1, s2) = (s(a), s(b));
    if s1 != s2 || s1 == 0 {
        return s1.cmp(&s2);
    }
    let mag = |v: [i128; 4]| {
        let (l, r) = (prod2(v[0], v[1]), prod2(v[2], v[3]));
        let mut out = [0u64; 8];
        mag_mul(&l, &r, &mut out);
        out
    };
    signed_cmp(s1, &mag(a), s2, &mag(b))
}

/// Greatest common divisor of two magnitudes (`gcd(0, 0) = 0`).
pub fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// `a * b / c` as a reduced fraction `(num, den)` with `den > 0`, or `None`
/// when it does not fit `i128` even after reduction (or `c == 0`).
pub fn reduced_fraction(a: i128, b: i128, c: i128) -> Option<(i128, i128)> {
    if c == 0 {
        return None;
    }
    let neg = (a < 0) ^ (b < 0) ^ (c < 0) && a != 0 && b != 0;
    let (mut a, mut b, mut c) = (a.unsigned_abs(), b.unsigned_abs(), c.unsigned_abs());
    let g = gcd(a, c);
    if g > 1 {
        a /= g;
        c /= g;
    }
    let g = gcd(b, c);
    if g > 1 {
        b /= g;
        c /= g;
    }
    let n = i128::try_from(a.checked_mul(b)?).ok()?;
    let d = i128::try_from(c).ok()?;
    Some((if neg { -n } else { n }, d))
}

/// Reduces `num / den` (den nonzero) to lowest terms with a positive
/// denominator.
pub fn reduce(num: i128, den: i128) -> Option<(i128, i128)> {
    reduced_fraction(num, 1, den)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_products_beyond_i128() {
        let big = i128::MAX / 3;
        assert_eq!(cmp_prod(big, big, big, big - 1), Ordering::Greater);
        assert_eq!(cmp_prod(-big, big, big, -big), Ordering::Equal);
        assert_eq!(cmp_prod(-big, big, 1, 1), Ordering::Less);
        assert_eq!(cmp_prod(0, big, 0, -5), Ordering::Equal);
        assert_eq!(cmp_prod(i128::MIN, 1, i128::MAX, 1), Ordering::Less);
        assert_eq!(cmp_prod(i128::MIN, -1, i128::MAX, 1), Ordering::Greater);
        assert_eq!(cmp_prod(6, 7, 42, 1), Ordering::Equal);
        assert_eq!(cmp_prod(-6, 7, -43, 1), Ordering::Greater);
    }

    #[test]
    fn compares_four_products() {
        let b = i128::MAX / 7;
        assert_eq!(cmp_prod4([b, b, b, b], [b, b, b, b - 1]), Ordering::Greater);
        assert_eq!(cmp_prod4([b, -b, b, b], [b, b, b, b]), Ordering::Less);
        assert_eq!(cmp_prod4([2, 3, 4, 5], [1, 1, 1, 120]), Ordering::Equal);
        assert_eq!(cmp_prod4([-2, 3, 4, 5], [1, 1, -1, 119]), Ordering::Less);
        assert_eq!(cmp_prod4([0, 3, 4, 5], [1, 1, -1, 1]), Ordering::Greater);
    }

    #[test]
    fn reduces_fractions() {
        assert_eq!(reduced_fraction(6, 10, -4), Some((-15, 1)));
        assert_eq!(reduced_fraction(-3, 5, 9), Some((-5, 3)));
        assert_eq!(reduce(0, -7), Some((0, 1)));
        assert_eq!(reduced_fraction(i128::MAX, 2, 2), Some((i128::MAX, 1)));
        assert_eq!(reduced_fraction(i128::MAX, 3, 2), None);
        assert_eq!(reduced_fraction(1, 1, 0), None);
    }
}
