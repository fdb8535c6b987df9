//! A small deterministic random number generator and the distributions
//! the population generator draws from.
//!
//! Owns: `splitmix64` (seed derivation), `Rng` (xoshiro256**), uniform
//! draws, the standard normal (polar form of Box-Muller), lognormal,
//! Pareto (inverse CDF) and uniform distributions, and `ln`/`exp` written
//! with nothing but IEEE-754 `+ - * /` (each correctly rounded), so that a
//! population is bit-for-bit the same on every platform and libm, and
//! shards run on different machines agree.
//!
//! Must not: read a clock or the OS entropy pool. Every stream starts from
//! a seed the config (or `--seed`) gives.

use super::plan::{Bounded, Dist};

/// One step of splitmix64: a good 64-bit mixer, used to derive seeds.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of stream `stream` under base seed `base` (for example the
/// seed of repetition r of every grid point).
pub fn derive_seed(base: u64, stream: u64) -> u64 {
    let mut s = base ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
    splitmix64(&mut s)
}

/// xoshiro256**, seeded through splitmix64.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1].
    pub fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.uniform() < p
    }

    /// Uniform integer in `0..n` (n > 0), by rejection (no modulo bias).
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// A standard normal draw: the polar form of Box-Muller (Marsaglia),
    /// which needs only `ln` and `sqrt`. The second value of the pair is
    /// thrown away, so that every draw consumes a whole number of pairs
    /// and streams stay aligned whatever the caller does.
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * ln(s) / s).sqrt();
            }
        }
    }

    /// A draw from `d`, clamped to its bounds.
    pub fn draw(&mut self, d: &Bounded) -> f64 {
        let x = match d.dist {
            Dist::Lognormal { median, sigma } => exp(ln(median) + sigma * self.normal()),
            Dist::Pareto { min, alpha } => min * exp(-ln(self.uniform_open0()) / alpha),
            Dist::Uniform { min, max } => min + (max - min) * self.uniform(),
            Dist::Fixed(v) => v,
        };
        x.max(d.lo).min(d.hi)
    }
}

const LN2: f64 = std::f64::consts::LN_2;

/// Natural logarithm of a positive finite number, from `+ - * /` only:
/// `x = m * 2^e` with m in [sqrt(1/2), sqrt(2)), and
/// `ln(m) = 2 atanh((m-1)/(m+1))` by its series. Within a few ulps of the
/// true value; `ln(x)` of a non-positive x is negative infinity.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    let mut x = x;
    let mut e: i64 = 0;
    // Subnormals: scale into the normal range first (exact).
    if x < f64::MIN_POSITIVE {
        x *= (1u64 << 54) as f64;
        e -= 54;
    }
    let bits = x.to_bits();
    e += ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    // |s| <= 0.1716: 2 s (1 + s^2/3 + s^4/5 + ...) to 1e-18 in 12 terms.
    let mut term = s;
    let mut sum = 0.0;
    let mut k = 1.0;
    for _ in 0..14 {
        sum += term / k;
        term *= s2;
        k += 2.0;
    }
    e as f64 * LN2 + 2.0 * sum
}

/// `e^x` from `+ - * /` only: `x = k ln2 + r` with |r| <= ln2/2, `e^r`
/// by its Taylor series, times 2^k built from bits. Saturates to 0 below
/// -700 and to infinity above 709.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.0 {
        return f64::INFINITY;
    }
    if x < -700.0 {
        return 0.0;
    }
    let k = (x / LN2).round();
    let r = x - k * LN2;
    // |r| <= 0.347: 22 terms leave an error far below one ulp.
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=22 {
        term = term * r / i as f64;
        sum += term;
    }
    let k = k as i64;
    sum * f64::from_bits(((k + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_and_exp_agree_with_the_platform_to_a_few_ulps() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            let x = exp(40.0 * r.uniform() - 20.0);
            let rel = (ln(x) - x.ln()).abs() / x.ln().abs().max(1e-300);
            assert!(rel < 1e-14 || (ln(x) - x.ln()).abs() < 1e-15, "ln({x})");
            let y = 60.0 * r.uniform() - 30.0;
            let rel = (exp(y) - y.exp()).abs() / y.exp();
            assert!(rel < 1e-14, "exp({y})");
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(exp(0.0), 1.0);
        assert!((ln(5e-320) - 5e-320f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::new(7).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
        assert_ne!(derive_seed(1, 0), derive_seed(1, 1));
        // A pinned value: the generator must not change under our feet
        // (populations, and so every golden output, depend on it).
        let mut r = Rng::new(0);
        assert_eq!(r.next_u64(), 0x99EC_5F36_CB75_F2B4);
    }

    #[test]
    fn distributions_have_the_documented_shape() {
        let mut r = Rng::new(42);
        let n = 200_000;
        let normal: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = normal.iter().sum::<f64>() / n as f64;
        let var = normal.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.02,
            "{mean} {var}"
        );

        let pareto = Bounded {
            dist: Dist::Pareto {
                min: 1.0,
                alpha: 3.0,
            },
            lo: 0.0,
            hi: f64::MAX,
        };
        let m = (0..n).map(|_| r.draw(&pareto)).sum::<f64>() / n as f64;
        assert!((m - 1.5).abs() < 0.03, "pareto mean {m}");

        let logn = Bounded {
            dist: Dist::Lognormal {
                median: 10.0,
                sigma: 0.5,
            },
            lo: 1.0,
            hi: 20.0,
        };
        let mut draws: Vec<f64> = (0..n).map(|_| r.draw(&logn)).collect();
        draws.sort_by(f64::total_cmp);
        let median = draws[n / 2];
        assert!((median - 10.0).abs() < 0.1, "lognormal median {median}");
        assert!(draws[0] >= 1.0 && draws[n - 1] <= 20.0);

        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
