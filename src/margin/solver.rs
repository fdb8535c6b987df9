//! Liquidation and bankruptcy prices, solved exactly per tier.
//!
//! Owns: the closed forms. For the position of a margin unit (the account
//! if cross, the position if isolated) in one instrument, with every other
//! mark held fixed, the unit's equity is `e + s * N` and its maintenance
//! `mm_other + N * mmr_t - cum_t`, where `N` is the position's notional at
//! the varied mark and `s` is +1 when equity grows with `N` (linear long,
//! inverse short) and -1 otherwise. Both are linear in `N` within a tier,
//! so each tier has one root; the tier whose range holds its root gives the
//! answer. `N` is `|qty| * a * P` (linear, exact) or `|qty| * a / (b * P)`
//! (inverse, unrounded), so prices come out as exact ratios in ticks. For
//! one cross position this is Binance's closed form
//! `(balance + cum - side*|qty|*entry) / (|qty| * (mmr - side))`.
//!
//! Must not: round a price (callers print the exact ratio), or be used for
//! the liquidatable decision itself (that is always `valuation`'s exact
//! test); the trigger index only uses the solver for its float keys.

use std::cmp::Ordering;

use crate::instrument::Instrument;
use crate::types::{Ratio, STREET};

use super::accounts::{Account, MarginMode};
use super::valuation::{cross_totals, Market};
use super::wide::{cmp_prod, gcd};
use super::{InstIdx, MarginError, WIDE};

/// Where the margin unit holding a position becomes liquidatable as that
/// instrument's mark moves (other marks fixed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiqBound {
    /// No positive mark liquidates it.
    Never,
    /// Every positive mark liquidates it.
    Always,
    /// Liquidatable exactly when the mark is below this price (in ticks):
    /// long positions.
    Below(Ratio),
    /// Liquidatable exactly when the mark is above this price (in ticks):
    /// short positions.
    Above(Ratio),
}

/// The unit's equity and maintenance as functions of the varied position's
/// notional `N` (money units): equity `e + s*N`, maintenance (wide)
/// `mm_other + N*mmr_t - cum_t*10^12`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    /// Equity without the position's value, money units.
    pub e: i128,
    /// Maintenance of the unit's other positions, wide units.
    pub mm_other: i128,
    /// +1 or -1.
    pub s: i128,
    /// `|qty|` in lots.
    pub qabs: i128,
    /// Long position.
    pub long: bool,
    /// Inverse instrument.
    pub inverse: bool,
    /// Value factor a.
    pub a: i128,
    /// Value factor b.
    pub b: i128,
}

/// The bound in notional space (money units), `num/den` with `den > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NBound {
    Never,
    Always,
    /// Liquidatable iff `N < num/den`.
    Sup(i128, i128),
    /// Liquidatable iff `N > num/den`.
    Inf(i128, i128),
}

/// The line of the unit holding `acct`'s position in `inst`; `None` when
/// there is no position (or for the street).
pub(crate) fn line(
    acct: &Account,
    inst: InstIdx,
    market: &Market,
) -> Result<Option<Line>, MarginError> {
    if acct.id() == STREET {
        return Ok(None);
    }
    let Some(pos) = acct.position(inst) else {
        return Ok(None);
    };
    if pos.qty.0 == 0 {
        return Ok(None);
    }
    let instrument = market.instrument(inst)?;
    let (base, mm_other) = match acct.mode() {
        MarginMode::Cross => cross_totals(acct, market, Some(inst))?,
        MarginMode::Isolated => (pos.margin.0, 0),
    };
    let e = base.checked_add(pos.cash.0).ok_or(MarginError::Overflow)?;
    let long = pos.qty.0 > 0;
    let inverse = instrument.is_inverse();
    let (a, b) = instrument.value_factors();
    Ok(Some(Line {
        e,
        mm_other,
        s: if long != inverse { 1 } else { -1 },
        qabs: pos.qty.0.unsigned_abs() as i128,
        long,
        inverse,
        a,
        b,
    }))
}

/// `f_t(x) < 0` where `f_t(x) = c + m*x`: `m*x < -c`, exactly.
#[inline]
fn negative_at(c: i128, m: i128, x: i128) -> bool {
    match m.checked_mul(x).and_then(|p| p.checked_add(c)) {
        Some(v) => v < 0,
        None => cmp_prod(m, x, -1, c) == Ordering::Less,
    }
}

/// Solves the line in notional space across the instrument's tiers. In
/// tier t (notional range `(lo_t, hi_t]`, the last unbounded) the excess
/// `equity*10^12 - maintenance` is `c_t + m_t*N` with `c_t = e*10^12 -
/// mm_other + cum_t*10^12` and `m_t = s*10^12 - mmr_t`. With `s = +1` it
/// rises with `N`: each tier's liquidatable part is a prefix, and the bound
/// is the supremum over tiers (searched from the top). With `s = -1` it
/// falls: a suffix per tier, the bound the infimum (searched from the
/// bottom). When the tier amounts are exact the excess is continuous and
/// this is the one tier whose range holds its root; a rounded amount can
/// leave a jump at a bound, and the bound is then taken there (the outer
/// edge of the liquidatable set).
pub(crate) fn solve_n(l: &Line, inst: &Instrument) -> Result<NBound, MarginError> {
    let base =
        l.e.checked_mul(WIDE)
            .and_then(|v| v.checked_sub(l.mm_other))
            .ok_or(MarginError::Overflow)?;
    let tiers = &inst.tiers;
    let n = tiers.len();
    let bounds = |t: usize| -> (i128, Option<i128>) {
        let lo = if t == 0 {
            0
        } else {
            tiers[t - 1].notional_max.map(|m| m.0).unwrap_or(0)
        };
        let hi = if t + 1 == n {
            None
        } else {
            tiers[t].notional_max.map(|m| m.0)
        };
        (lo, hi)
    };
    let coeffs = |t: usize| -> Result<(i128, i128), MarginError> {
        let cum = tiers[t]
            .cum
            .0
            .checked_mul(WIDE)
            .ok_or(MarginError::Overflow)?;
        let c = base.checked_add(cum).ok_or(MarginError::Overflow)?;
        let m = l.s * WIDE - tiers[t].mmr.0 as i128;
        Ok((c, m))
    };
    if l.s > 0 {
        for t in (0..n).rev() {
            let (lo, hi) = bounds(t);
            let (c, m) = coeffs(t)?;
            if !negative_at(c, m, lo) {
                continue;
            }
            if let Some(h) = hi {
                if negative_at(c, m, h) {
                    return Ok(NBound::Sup(h, 1));
                }
            }
            // m > 0 (mmr < 1): root -c/m.
            let c = c.checked_neg().ok_or(MarginError::Overflow)?;
            return Ok(NBound::Sup(c, m));
        }
        Ok(NBound::Never)
    } else {
        for t in 0..n {
            let (lo, hi) = bounds(t);
            let (c, m) = coeffs(t)?;
            if let Some(h) = hi {
                if !negative_at(c, m, h) {
                    continue;
                }
            }
            if negative_at(c, m, lo) || (t == 0 && c <= 0) {
                return Ok(if t == 0 {
                    NBound::Always
                } else {
                    NBound::Inf(lo, 1)
                });
            }
            // m < 0: root -c/m = c/(-m).
            return Ok(NBound::Inf(c, -m));
        }
        // Unreachable: the last tier is unbounded and its slope negative.
        Ok(NBound::Always)
    }
}

/// `x[0]*x[1] / (y[0]*y[1])` as a reduced ratio with a positive
/// denominator, or `Overflow`.
fn ratio_of(mut x: [i128; 2], mut y: [i128; 2]) -> Result<Ratio, MarginError> {
    let mut neg = false;
    for v in x.iter_mut().chain(y.iter_mut()) {
        if *v < 0 {
            neg = !neg;
            *v = v.checked_neg().ok_or(MarginError::Overflow)?;
        }
    }
    if y[0] == 0 || y[1] == 0 {
        return Err(MarginError::Overflow);
    }
    for xi in x.iter_mut() {
        for yj in y.iter_mut() {
            let g = gcd(*xi as u128, *yj as u128) as i128;
            if g > 1 {
                *xi /= g;
                *yj /= g;
            }
        }
    }
    let n = x[0].checked_mul(x[1]).ok_or(MarginError::Overflow)?;
    let d = y[0].checked_mul(y[1]).ok_or(MarginError::Overflow)?;
    Ok(Ratio::new(if neg { -n } else { n }, d))
}

/// The mark (ticks) at which the position's notional is `num/den` money
/// units: linear `N / (|qty|*a)`, inverse `|qty|*a / (b*N)`.
fn price_of(l: &Line, num: i128, den: i128) -> Result<Ratio, MarginError> {
    let qa = l.qabs.checked_mul(l.a).ok_or(MarginError::Overflow)?;
    if l.inverse {
        ratio_of([qa, den], [l.b, num])
    } else {
        ratio_of([num, 1], [den, qa])
    }
}

/// [`LiqBound`] of the unit holding `acct`'s position in `inst` (`Never`
/// when there is no position, and for the street).
pub fn liq_bound(acct: &Account, inst: InstIdx, market: &Market) -> Result<LiqBound, MarginError> {
    let Some(l) = line(acct, inst, market)? else {
        return Ok(LiqBound::Never);
    };
    let instrument = market.instrument(inst)?;
    Ok(match solve_n(&l, instrument)? {
        NBound::Never => LiqBound::Never,
        NBound::Always => LiqBound::Always,
        NBound::Sup(n, d) | NBound::Inf(n, d) => {
            let p = price_of(&l, n, d)?;
            if l.long {
                LiqBound::Below(p)
            } else {
                LiqBound::Above(p)
            }
        }
    })
}

/// The liquidation price in ticks: the mark of `inst` at which the unit's
/// equity equals its maintenance margin (maintenance at that price, its
/// tier included), other marks fixed. `None` when no positive price
/// liquidates the position, and also when every positive price does (no
/// price separates the two).
pub fn liq_price(
    acct: &Account,
    inst: InstIdx,
    market: &Market,
) -> Result<Option<Ratio>, MarginError> {
    Ok(match liq_bound(acct, inst, market)? {
        LiqBound::Below(p) | LiqBound::Above(p) => Some(p),
        LiqBound::Never | LiqBound::Always => None,
    })
}

/// The bankruptcy price in ticks: the mark of `inst` at which the unit's
/// equity is exactly zero, other marks fixed (inverse: unrounded). `None`
/// when no positive price makes it zero (already bankrupt at every price,
/// or never).
pub fn bankruptcy_price(
    acct: &Account,
    inst: InstIdx,
    market: &Market,
) -> Result<Option<Ratio>, MarginError> {
    let Some(l) = line(acct, inst, market)? else {
        return Ok(None);
    };
    // e + s*N = 0  =>  N = -s*e.
    let n = if l.s > 0 {
        l.e.checked_neg().ok_or(MarginError::Overflow)?
    } else {
        l.e
    };
    if n <= 0 {
        return Ok(None);
    }
    price_of(&l, n, 1).map(Some)
}

/// A trigger-index key: which tree and where.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum TriggerKey {
    /// Never liquidatable: no entry.
    None,
    /// Liquidatable when the mark is below (about) this many ticks.
    Below(f64),
    /// Liquidatable when the mark is above (about) this many ticks.
    Above(f64),
}

/// The float key of the unit holding `acct`'s position in `inst`, widened
/// so that the exact test can never flip outside it: for inverse contracts
/// the exact test rounds the position's value (and so its notional) to a
/// money unit while the solver does not; that moves the excess by at most
/// one money unit, i.e. the notional root by `dn = 2*10^12/(10^12 -
/// mmr_max)` units, and the key is pushed outward by twice that, relative.
/// Any overflow makes the key "always" (the exact re-check decides).
pub(crate) fn trigger_key(acct: &Account, inst: InstIdx, market: &Market) -> TriggerKey {
    let always = |long: bool| {
        if long {
            TriggerKey::Below(f64::INFINITY)
        } else {
            TriggerKey::Above(f64::NEG_INFINITY)
        }
    };
    let long = acct.position(inst).is_some_and(|p| p.qty.0 > 0);
    let l = match line(acct, inst, market) {
        Ok(Some(l)) => l,
        Ok(None) => return TriggerKey::None,
        Err(_) => return always(long),
    };
    let Ok(instrument) = market.instrument(inst) else {
        return always(long);
    };
    let (n, d) = match solve_n(&l, instrument) {
        Ok(NBound::Never) => {
            // Inverse: the exact test's rounding (at most one money unit)
            // could still go negative when the unit's margin is that thin.
            let thin = l.inverse
                && l.e
                    .checked_mul(WIDE)
                    .and_then(|v| v.checked_sub(l.mm_other))
                    .is_none_or(|c| c < 2 * WIDE);
            return if thin { always(long) } else { TriggerKey::None };
        }
        Ok(NBound::Sup(n, d)) | Ok(NBound::Inf(n, d)) => (n, d),
        Ok(NBound::Always) | Err(_) => return always(long),
    };
    let nf = n as f64 / d as f64;
    let qa = l.qabs as f64 * l.a as f64;
    let mut p = if l.inverse {
        qa / (l.b as f64 * nf)
    } else {
        nf / qa
    };
    if l.inverse {
        let mmr_max = instrument.tiers.last().map(|t| t.mmr.0).unwrap_or(0) as f64;
        let dn = 2.0 * WIDE as f64 / (WIDE as f64 - mmr_max) + 1.0;
        let x = dn / nf;
        if x.is_nan() || x >= 0.25 {
            return always(long);
        }
        p *= if l.long { 1.0 + 2.0 * x } else { 1.0 - 2.0 * x };
    }
    if !p.is_finite() {
        return always(long);
    }
    if l.long {
        TriggerKey::Below(p)
    } else {
        TriggerKey::Above(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::MarkPolicy;
    use crate::margin::testutil::*;
    use crate::margin::valuation::unit_liquidatable;
    use crate::margin::{Accounts, Marks};
    use crate::types::{div_round_half_away, Price};

    struct World {
        insts: Vec<Instrument>,
        marks: Marks,
        accts: Accounts,
    }

    impl World {
        fn new(insts: Vec<Instrument>) -> World {
            let mut marks = Marks::new();
            for _ in &insts {
                marks.push(MarkPolicy::Last);
            }
            World {
                insts,
                marks,
                accts: Accounts::new(),
            }
        }
        fn market(&self) -> Market<'_> {
            Market::new(&self.insts, &self.marks)
        }
        fn open(&mut self, idx: u32, inst: u32, q: &str, entry: &str, margin: Option<&str>) {
            let i = &self.insts[inst as usize];
            self.accts
                .open_position(idx, inst, i, qty(i, q), px(i, entry), margin.map(m))
                .unwrap();
        }
        fn mark(&mut self, inst: u32, p: &str) {
            let p = px(&self.insts[inst as usize], p);
            self.marks.force(inst, p);
        }
        fn liq(&self, idx: u32, inst: u32) -> Ratio {
            liq_price(self.accts.get(idx).unwrap(), inst, &self.market())
                .unwrap()
                .unwrap()
        }
        /// Checks that the exact test flips at `r`: a long is liquidatable
        /// strictly below it, a short strictly above, each `slack` ticks
        /// away from the nearest tick on either side (0 for linear).
        fn flips_at(&mut self, idx: u32, inst: u32, r: Ratio, long: bool, slack: i64) {
            let floor = r.num.div_euclid(r.den) as i64;
            let ceil = floor + i64::from(r.num % r.den != 0);
            let (lo, hi) = if long {
                (ceil - 1 - slack, ceil + slack)
            } else {
                (floor - slack, floor + 1 + slack)
            };
            for (p, expect) in [(Price(lo), long), (Price(hi), !long)] {
                self.marks.force(inst, p);
                let a = self.accts.get(idx).unwrap();
                assert_eq!(
                    unit_liquidatable(a, inst, &self.market()).unwrap(),
                    expect,
                    "at {p:?}"
                );
            }
        }
    }

    /// Rounds ticks of 0.01 to cents.
    fn cents(r: Ratio) -> i128 {
        div_round_half_away(r.num, r.den)
    }

    fn same(r: Ratio, num: i128, den: i128) -> bool {
        r.num * den == num * r.den
    }

    #[test]
    fn binance_faq_cross_long_example() {
        // Binance FAQ "How to avoid liquidation"
        // (binance.com/en/support/faq/25edcd7fe0e544839d0847b8cbb2e400):
        // wallet 500 USDT, long BTCUSDT worth 1,000 USDT at 50,000:
        // liquidation price 25,100.40. Exactly 500 / 0.01992.
        let mut w = World::new(vec![btcusdt()]);
        let x = w.accts.create(1, m("500"), MarginMode::Cross).unwrap();
        w.open(x, 0, "0.02", "50000", None);
        let r = w.liq(x, 0);
        assert!(same(r, 625_000_000, 249), "{r:?}");
        assert_eq!(cents(r), 2_510_040);
        assert_eq!(r.format_in(w.insts[0].tick), "25100.40160643");
        w.mark(0, "50000");
        w.flips_at(x, 0, r, true, 0);
        // Bankruptcy: 500 + 0.02 (P - 50000) = 0 at 25,000.
        let b = bankruptcy_price(w.accts.get(x).unwrap(), 0, &w.market())
            .unwrap()
            .unwrap();
        assert!(same(b, 2_500_000, 1));
    }

    #[test]
    fn binance_faq_isolated_examples() {
        // Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures
        // Contracts" worked example (the numbers as reproduced in
        // freqtrade's test suite, tests/exchange/test_binance.py): isolated
        // wallet 1,535,443.01; ETHUSDT long 3,683.979 at 1,456.84 (tier
        // 10%, cum 135,365) -> 1,114.78; BTCUSDT long 109.488 at 32,481.98
        // (tier 2.5%, cum 16,300) -> 18,778.73.
        let mut w = World::new(vec![ethusdt(), btcusdt()]);
        let e = w
            .accts
            .create(1, m("1535443.01"), MarginMode::Isolated)
            .unwrap();
        w.open(e, 0, "3683.979", "1456.84", Some("1535443.01"));
        let b = w
            .accts
            .create(2, m("1535443.01"), MarginMode::Isolated)
            .unwrap();
        w.open(b, 1, "109.488", "32481.98", Some("1535443.01"));
        let re = w.liq(e, 0);
        let rb = w.liq(b, 1);
        assert_eq!(cents(re), 111_478);
        assert_eq!(cents(rb), 1_877_873);
        w.mark(0, "1456.84");
        w.mark(1, "32481.98");
        w.flips_at(e, 0, re, true, 0);
        w.flips_at(b, 1, rb, true, 0);
    }

    #[test]
    fn binance_faq_cross_two_positions() {
        // The same FAQ example in cross mode: wallet 1,535,443.01 holding
        // both positions, marks BTC 31,967.27 and ETH 1,335.18 (TMM1 of BTC
        // 71,200.81144, UPNL1 -56,354.57): ETH liquidates at 1,153.26 and
        // BTC at 26,316.89.
        let mut w = World::new(vec![ethusdt(), btcusdt()]);
        let x = w
            .accts
            .create(1, m("1535443.01"), MarginMode::Cross)
            .unwrap();
        w.open(x, 0, "3683.979", "1456.84", None);
        w.open(x, 1, "109.488", "32481.98", None);
        w.mark(0, "1335.18");
        w.mark(1, "31967.27");
        let acct = w.accts.get(x).unwrap();
        let mm = crate::margin::position_maint_wide(
            &w.insts[1],
            qty(&w.insts[1], "109.488"),
            px(&w.insts[1], "31967.27"),
        )
        .unwrap();
        // (The FAQ shows it truncated: 71,200.81144.)
        assert_eq!(mm, m("71200.811444").0 * WIDE);
        assert_eq!(
            crate::margin::upnl(
                &w.insts[1],
                acct.position(1).unwrap(),
                px(&w.insts[1], "31967.27")
            )
            .unwrap(),
            m("-56354.56848")
        );
        let re = w.liq(x, 0);
        let rb = w.liq(x, 1);
        assert_eq!(cents(re), 115_326);
        assert_eq!(cents(rb), 2_631_689);
        w.flips_at(x, 0, re, true, 0);
        w.mark(0, "1335.18");
        w.flips_at(x, 1, rb, true, 0);
    }

    #[test]
    fn coinm_closed_form_and_tier_amounts() {
        // Binance FAQ "How to Calculate Liquidation Price of COIN-M Futures
        // Contracts": a 300 BTC BTCUSD position has rate 12.5% and
        // maintenance amount 11.605 BTC; the liquidation price of one
        // position is (|q|*mmr*cs + side*|q|*cs) / (WB + cum +
        // side*|q|*cs/EP).
        let i = btcusd();
        assert_eq!(
            i.tier_for(m("300")).mmr,
            crate::types::Rate::parse("0.125").unwrap()
        );
        assert_eq!(i.tier_for(m("300")).cum, m("11.605"));
        let mut w = World::new(vec![i]);
        // Long 1,000 contracts at 50,000 with 0.5 BTC: tier 1, cum 0:
        // 100,000 x 1.004 / (0.5 + 2) = 40,160.
        let a = w.accts.create(1, m("0.5"), MarginMode::Cross).unwrap();
        w.open(a, 0, "1000", "50000", None);
        assert!(same(w.liq(a, 0), 401_600, 1));
        // Short: 100,000 x (0.004 - 1) / (0.5 - 2) = 66,400.
        let s = w.accts.create(2, m("0.5"), MarginMode::Cross).unwrap();
        w.open(s, 0, "-1000", "50000", None);
        assert!(same(w.liq(s, 0), 664_000, 1));
        // Long 30,000 contracts (60 BTC) at 50,000 with 10 BTC: the root
        // falls in level 5 (5%, cum 1.605): 3,000,000 x 1.05 / 71.605.
        let t = w.accts.create(3, m("10"), MarginMode::Cross).unwrap();
        w.open(t, 0, "30000", "50000", None);
        assert!(same(w.liq(t, 0), 31_500_000_000, 71_605));
        w.mark(0, "50000");
        let r = w.liq(t, 0);
        w.flips_at(t, 0, r, true, 1);
        let r = w.liq(s, 0);
        w.flips_at(s, 0, r, false, 1);
    }

    #[test]
    fn bybit_isolated_bankruptcy_example() {
        // Bybit "Bankruptcy Price (USDT Contract)": long 1 BTC at 10,000
        // with 50x (margin 200): bankruptcy 10,000 x (1 - 2%) = 9,800.
        let mut w = World::new(vec![btcusdt()]);
        let x = w.accts.create(1, m("1000"), MarginMode::Isolated).unwrap();
        w.open(x, 0, "1", "10000", Some("200"));
        let b = bankruptcy_price(w.accts.get(x).unwrap(), 0, &w.market())
            .unwrap()
            .unwrap();
        assert!(same(b, 980_000, 1));
        // Short: 10,000 x (1 + 2%) = 10,200.
        let y = w.accts.create(2, m("1000"), MarginMode::Isolated).unwrap();
        w.open(y, 0, "-1", "10000", Some("200"));
        let b = bankruptcy_price(w.accts.get(y).unwrap(), 0, &w.market())
            .unwrap()
            .unwrap();
        assert!(same(b, 1_020_000, 1));
    }

    #[test]
    fn never_and_always() {
        let mut w = World::new(vec![btcusdt()]);
        // Fully funded long: no positive price liquidates it.
        let x = w.accts.create(1, m("100000"), MarginMode::Cross).unwrap();
        w.open(x, 0, "1", "10000", None);
        assert_eq!(
            liq_bound(w.accts.get(x).unwrap(), 0, &w.market()),
            Ok(LiqBound::Never)
        );
        // A short whose account is already negative: every price does.
        let y = w.accts.create(2, m("-10000.5"), MarginMode::Cross).unwrap();
        w.open(y, 0, "-1", "10000", None);
        assert_eq!(
            liq_bound(w.accts.get(y).unwrap(), 0, &w.market()),
            Ok(LiqBound::Always)
        );
        assert_eq!(liq_price(w.accts.get(y).unwrap(), 0, &w.market()), Ok(None));
        assert_eq!(liq_price(w.accts.get(0).unwrap(), 0, &w.market()), Ok(None));
    }
}
