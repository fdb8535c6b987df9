//! Decimals to whole steps (ticks, lots), fast and exact: the vendor's
//! text becomes an integer count of the instrument's step, or is refused
//! when it is off the step; prices the exchange computes (mark, index)
//! are rounded to the nearest step instead.
//!
//! Owns: `Steps`.
//! Must not: know which fields are prices or sizes (the driver does).

use crate::types::{Decimal, Ratio};

/// A step (tick or lot) as mantissa and scale.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Steps {
    mantissa: i64,
    scale: u32,
}

const POW10: [i64; 19] = {
    let mut t = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

impl Steps {
    /// The step `step`; `None` when it is not positive or has more than
    /// 18 digits.
    pub fn new(step: Decimal) -> Option<Steps> {
        Some(Steps {
            mantissa: i64::try_from(step.mantissa()).ok().filter(|m| *m > 0)?,
            scale: step.scale(),
        })
    }

    /// `d` in whole steps, `None` when off the step or out of range.
    #[inline]
    pub fn of(self, d: Decimal) -> Option<i64> {
        let m = i64::try_from(d.mantissa()).ok()?;
        let s = d.scale();
        if s <= self.scale {
            let v = m.checked_mul(*POW10.get((self.scale - s) as usize)?)?;
            (v % self.mantissa == 0).then(|| v / self.mantissa)
        } else {
            let st = self
                .mantissa
                .checked_mul(*POW10.get((s - self.scale) as usize)?)?;
            (m % st == 0).then(|| m / st)
        }
    }

    /// `d` in steps exactly, as a ratio (it may be off the step).
    pub fn ratio(self, d: Decimal) -> Option<Ratio> {
        let scale = d.scale().max(self.scale);
        let num = d
            .mantissa()
            .checked_mul(10i128.checked_pow(scale - d.scale())?)?;
        let den = (self.mantissa as i128).checked_mul(10i128.checked_pow(scale - self.scale)?)?;
        (den > 0).then(|| Ratio::new(num, den))
    }

    /// `d` rounded to the nearest whole step, halves up (away from zero
    /// for positive `d`).
    pub fn nearest(self, d: Decimal) -> Option<i64> {
        let r = self.ratio(d)?;
        let (num, den) = (r.num, r.den);
        let q = num.div_euclid(den);
        let rem = num.rem_euclid(den);
        let q = if 2 * rem >= den { q + 1 } else { q };
        i64::try_from(q).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn steps_convert_exactly_or_refuse() {
        let t = Steps::new(d("0.1")).unwrap();
        assert_eq!(t.of(d("61800.2")), Some(618_002));
        assert_eq!(t.of(d("61800")), Some(618_000));
        assert_eq!(t.of(d("61800.25")), None);
        let h = Steps::new(d("0.5")).unwrap();
        assert_eq!(h.of(d("6421.5")), Some(12_843));
        assert_eq!(h.of(d("6421.25")), None);
        let ten = Steps::new(d("10")).unwrap();
        assert_eq!(ten.of(d("18640")), Some(1864));
        assert_eq!(ten.of(d("5")), None);
        assert_eq!(t.of(d("0")), Some(0));
    }

    #[test]
    fn off_grid_prices_round_to_the_nearest_step() {
        let t = Steps::new(d("0.1")).unwrap();
        assert_eq!(t.nearest(d("28147.27373413")), Some(281_473));
        assert_eq!(t.nearest(d("28147.25")), Some(281_473));
        assert_eq!(t.nearest(d("28147.2499")), Some(281_472));
        assert_eq!(t.nearest(d("28147.2")), Some(281_472));
        let h = Steps::new(d("0.5")).unwrap();
        assert_eq!(h.nearest(d("6421.74")), Some(12_843));
        assert_eq!(h.nearest(d("6421.75")), Some(12_844));
        assert_eq!(t.ratio(d("28722.5")), Some(Ratio::new(287_225, 1)));
    }
}
