//! Value checks shared by the configs: positive decimals, amounts of money
//! within the configs' limit, rates within a range.
//!
//! Must not: know any config's fields.

use super::de::At;
use super::error::{bad, ConfigError};
use crate::types::{Decimal, Money, Rate};

/// Largest open interest (and insurance fund, deposit), in units of the
/// settlement asset: far beyond any market, small enough that no
/// valuation of a position overflows.
pub const MAX_AMOUNT: i128 = 1_000_000_000_000_000;

/// Refuses a decimal that is not positive.
pub fn positive(a: &At<Decimal>) -> Result<(), ConfigError> {
    if a.value.mantissa() <= 0 {
        return Err(bad(a, "must be positive"));
    }
    Ok(())
}

/// The amount of money `a`, refused when negative or beyond `MAX_AMOUNT`.
pub fn non_negative_money(a: &At<Decimal>) -> Result<Money, ConfigError> {
    let m = Money::parse(&exact_text(a.value)).map_err(|e| bad(a, e))?;
    if m < Money::ZERO {
        return Err(bad(a, "must not be negative"));
    }
    if m.0 > MAX_AMOUNT * 10i128.pow(crate::types::MONEY_DECIMALS) {
        return Err(bad(a, format!("must be at most {MAX_AMOUNT}")));
    }
    Ok(m)
}

/// Exact text of a decimal (the `Display` of `Decimal` rounds past 8
/// places; money may carry 12).
fn exact_text(d: Decimal) -> String {
    crate::types::format_fixed(d.mantissa(), d.scale())
}

/// The rate `a`, refused with `what` outside `[lo, hi]`.
pub fn rate(a: &At<Decimal>, lo: Rate, hi: Rate, what: &str) -> Result<Rate, ConfigError> {
    let r = Rate::parse(&exact_text(a.value)).map_err(|e| bad(a, e))?;
    if r < lo || r > hi {
        return Err(bad(a, what));
    }
    Ok(r)
}
