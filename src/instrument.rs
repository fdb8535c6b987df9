//! The contract specification of one perpetual instrument.
//!
//! Owns: tick and lot, linear/inverse valuation (`value`, `fill_cash`,
//! `notional`), the maintenance/initial margin tiers with their derived
//! maintenance amounts ("cum"), fees, the mark-price policy, the liquidation
//! policy and circuit-breaker settings, and the text form (`InstrumentSpec`)
//! that scripts and stress configs deserialize.
//!
//! Must not: hold any state that changes while the engine runs (marks,
//! positions, orders live elsewhere).

use serde::{Deserialize, Serialize};

use crate::types::{div_round_half_away, Decimal, DecimalError, Money, Price, Qty, Rate};
use crate::types::{MONEY_DECIMALS, RATE_DECIMALS};

/// Largest price, in ticks, the engine accepts.
pub const MAX_PRICE_TICKS: i64 = 1_000_000_000_000_000;
/// Largest order or position quantity, in lots, the engine accepts.
pub const MAX_QTY_LOTS: i64 = 1_000_000_000_000_000;

/// Largest notional of one order or position the engine accepts: 10^18
/// units of the settlement asset (10^30 money units). Every fill is bounded
/// by its maker's order, so all money arithmetic stays far inside i128.
pub const MAX_NOTIONAL: Money = Money(1_000_000_000_000_000_000_000_000_000_000);

/// Why an instrument definition was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstrumentError {
    /// A field holds an unusable number.
    #[error("{field}: {source}")]
    Decimal {
        /// The field name.
        field: &'static str,
        /// What is wrong with it.
        source: DecimalError,
    },
    /// The definition is inconsistent.
    #[error("{0}")]
    Invalid(String),
}

fn field<T>(name: &'static str, r: Result<T, DecimalError>) -> Result<T, InstrumentError> {
    r.map_err(|source| InstrumentError::Decimal {
        field: name,
        source,
    })
}

/// Linear (quote-margined) or inverse (coin-margined) contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractKind {
    /// Quantity in base units, PnL and collateral in the quote currency.
    Linear,
    /// Quantity in contracts of `contract_size` quote units each; PnL and
    /// collateral in the base coin.
    Inverse,
}

/// One row of the margin tier table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    /// Upper bound of notional (inclusive) for this tier; `None` for the last.
    pub notional_max: Option<Money>,
    /// Maintenance margin rate.
    pub mmr: Rate,
    /// Initial margin rate.
    pub imr: Rate,
    /// Maintenance amount: `cum_n = cum_{n-1} + floor_n * (mmr_n - mmr_{n-1})`.
    pub cum: Money,
}

/// How the mark price is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MarkPolicy {
    /// The last trade price.
    #[default]
    Last,
    /// The book mid (best bid + best ask) / 2, rounded to a tick.
    Mid,
    /// The external index.
    Index,
    /// Only `mark` commands move it.
    External,
    /// Median of index, mid and last trade.
    Median,
}

/// Full or partial liquidation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LiquidationMode {
    /// Close the whole position.
    #[default]
    Full,
    /// Close only what restores maintenance margin, at most `max_fraction`.
    Partial,
}

/// How far a liquidation order may walk the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceLimit {
    /// Not beyond the bankruptcy price.
    Bankruptcy,
    /// No limit.
    None,
    /// Not beyond this fraction from the mark at trigger.
    Band(Rate),
}

/// Who takes what the book cannot absorb within the price limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Backstop {
    /// The insurance fund takes the position over at the bankruptcy price
    /// (auto-deleveraging takes over once the fund cannot pay).
    #[default]
    Insurance,
    /// Straight to auto-deleveraging at the bankruptcy price.
    Adl,
}

/// The liquidation policy of an instrument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidationPolicy {
    /// Full or partial.
    pub mode: LiquidationMode,
    /// Most of the position closed per step in partial mode.
    pub max_fraction: Rate,
    /// Price limit of liquidation orders.
    pub price_limit: PriceLimit,
    /// Who takes the remainder.
    pub backstop: Backstop,
    /// Whether auto-deleveraging is allowed.
    pub adl: bool,
}

impl Default for LiquidationPolicy {
    fn default() -> Self {
        LiquidationPolicy {
            mode: LiquidationMode::Full,
            max_fraction: Rate::ONE,
            price_limit: PriceLimit::Bankruptcy,
            backstop: Backstop::Insurance,
            adl: true,
        }
    }
}

/// Circuit breakers beyond the order price band (an extension of the spec).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CircuitBreaker {
    /// Halt the instrument when the mark moves more than this fraction from
    /// where it stood when a cascade began.
    pub halt_move: Option<Rate>,
    /// Most liquidation notional per step; the rest waits for the next step.
    pub step_notional_cap: Option<Money>,
}

/// A validated instrument, with everything derived from its text form.
#[derive(Clone, Debug)]
pub struct Instrument {
    /// Symbol, unique per engine.
    pub symbol: String,
    /// Linear or inverse.
    pub kind: ContractKind,
    /// Price step.
    pub tick: Decimal,
    /// Quantity step.
    pub lot: Decimal,
    /// Quote units per contract (inverse only; 1 for linear).
    pub contract_size: Decimal,
    /// Margin tiers, ascending by `notional_max`, each with its `cum`.
    pub tiers: Vec<Tier>,
    /// Liquidation fee rate (to the insurance fund).
    pub liquidation_fee: Rate,
    /// Taker fee rate.
    pub taker_fee: Rate,
    /// Maker fee rate (negative for a rebate).
    pub maker_fee: Rate,
    /// Mark-price policy.
    pub mark: MarkPolicy,
    /// Orders priced further than this fraction from the mark are rejected.
    pub price_band: Option<Rate>,
    /// Liquidation policy.
    pub liquidation: LiquidationPolicy,
    /// Circuit breakers.
    pub breaker: CircuitBreaker,
    /// Linear: money units per (lot x tick). Inverse: numerator factor A in
    /// `value = -qty * A / (price * B)`.
    factor_a: i128,
    /// Inverse: denominator factor B (1 for linear).
    factor_b: i128,
}

impl Instrument {
    /// Validates a text specification and derives tier amounts.
    pub fn new(spec: &InstrumentSpec) -> Result<Instrument, InstrumentError> {
        let tick = field("tick", Decimal::parse(&spec.tick))?;
        let lot = field("lot", Decimal::parse(&spec.lot))?;
        if tick.mantissa() <= 0 {
            return Err(InstrumentError::Invalid("tick must be positive".into()));
        }
        if lot.mantissa() <= 0 {
            return Err(InstrumentError::Invalid("lot must be positive".into()));
        }
        let kind = match spec.kind.as_str() {
            "linear" => ContractKind::Linear,
            "inverse" => ContractKind::Inverse,
            other => {
                return Err(InstrumentError::Invalid(format!(
                    "kind must be linear or inverse, not {other:?}"
                )))
            }
        };
        let contract_size = match (kind, &spec.contract_size) {
            (ContractKind::Inverse, Some(cs)) => field("contract_size", Decimal::parse(cs))?,
            (ContractKind::Inverse, None) => {
                return Err(InstrumentError::Invalid(
                    "an inverse instrument needs contract_size".into(),
                ))
            }
            (ContractKind::Linear, Some(_)) => {
                return Err(InstrumentError::Invalid(
                    "contract_size applies to inverse instruments only".into(),
                ))
            }
            (ContractKind::Linear, None) => Decimal::new(1, 0),
        };
        if contract_size.mantissa() <= 0 {
            return Err(InstrumentError::Invalid(
                "contract_size must be positive".into(),
            ));
        }
        let (factor_a, factor_b) = match kind {
            ContractKind::Linear => {
                let places = tick.scale() + lot.scale();
                if places > MONEY_DECIMALS {
                    return Err(InstrumentError::Invalid(format!(
                        "tick x lot has {places} decimal places; at most {MONEY_DECIMALS} are carried exactly"
                    )));
                }
                let unit = tick.mantissa() * lot.mantissa() * 10i128.pow(MONEY_DECIMALS - places);
                (unit, 1)
            }
            ContractKind::Inverse => {
                // coin = qty*lot*cs / (price*tick); in money units x 10^12.
                let e = MONEY_DECIMALS as i64 + tick.scale() as i64
                    - lot.scale() as i64
                    - contract_size.scale() as i64;
                let a = lot.mantissa() * contract_size.mantissa();
                let b = tick.mantissa();
                if e >= 0 {
                    (a * 10i128.pow(e as u32), b)
                } else {
                    (a, b * 10i128.pow((-e) as u32))
                }
            }
        };
        let tiers = derive_tiers(&spec.tiers)?;
        let rate = |name: &'static str, v: &Option<String>| -> Result<Rate, InstrumentError> {
            match v {
                None => Ok(Rate::ZERO),
                Some(s) => field(name, Rate::parse(s)),
            }
        };
        let liquidation_fee = rate("liquidation_fee", &spec.liquidation_fee)?;
        let taker_fee = rate("taker_fee", &spec.taker_fee)?;
        let maker_fee = rate("maker_fee", &spec.maker_fee)?;
        if liquidation_fee < Rate::ZERO {
            return Err(InstrumentError::Invalid(
                "liquidation_fee must not be negative".into(),
            ));
        }
        let price_band = match &spec.price_band {
            None => None,
            Some(s) => {
                let r = field("price_band", Rate::parse(s))?;
                if r <= Rate::ZERO {
                    return Err(InstrumentError::Invalid(
                        "price_band must be positive".into(),
                    ));
                }
                Some(r)
            }
        };
        let liquidation = spec.liquidation.clone().unwrap_or_default().validate()?;
        let breaker = spec.breaker.clone().unwrap_or_default().validate()?;
        Ok(Instrument {
            symbol: spec.symbol.clone(),
            kind,
            tick,
            lot,
            contract_size,
            tiers,
            liquidation_fee,
            taker_fee,
            maker_fee,
            mark: spec.mark.map(|m| m.policy).unwrap_or_default(),
            price_band,
            liquidation,
            breaker,
            factor_a,
            factor_b,
        })
    }

    /// Converts a decimal price to ticks (must be on the tick and positive).
    pub fn price(&self, d: Decimal) -> Result<Price, DecimalError> {
        let t = d.to_steps(self.tick)?;
        if t <= 0 || t > MAX_PRICE_TICKS {
            return Err(DecimalError::TooLarge);
        }
        Ok(Price(t))
    }

    /// Converts a decimal quantity to lots (must be on the lot; sign kept).
    pub fn qty(&self, d: Decimal) -> Result<Qty, DecimalError> {
        let l = d.to_steps(self.lot)?;
        if l.abs() > MAX_QTY_LOTS {
            return Err(DecimalError::TooLarge);
        }
        Ok(Qty(l))
    }

    /// The exact decimal value of a price.
    pub fn price_decimal(&self, p: Price) -> Decimal {
        Decimal::from_steps(p.0, self.tick)
    }

    /// The exact decimal value of a quantity.
    pub fn qty_decimal(&self, q: Qty) -> Decimal {
        Decimal::from_steps(q.0, self.lot)
    }

    /// Signed value of a position of `qty` at `price`: linear `qty * price`;
    /// inverse `-qty * contract_size / price` (in coin, rounded half away
    /// from zero once). Equity of a position is its cash plus this value.
    #[inline]
    pub fn value(&self, qty: Qty, price: Price) -> Money {
        match self.kind {
            ContractKind::Linear => Money(qty.0 as i128 * price.0 as i128 * self.factor_a),
            ContractKind::Inverse => Money(-div_round_half_away(
                qty.0 as i128 * self.factor_a,
                price.0 as i128 * self.factor_b,
            )),
        }
    }

    /// Cash flow of a fill that changes a position by `qty` at `price`
    /// (the negative of `value`): what the buyer pays is what the seller
    /// receives, to the unit.
    #[inline]
    pub fn fill_cash(&self, qty: Qty, price: Price) -> Money {
        -self.value(qty, price)
    }

    /// Unsigned notional of `qty` at `price` (quote for linear, coin for
    /// inverse), as the margin tiers measure it.
    #[inline]
    pub fn notional(&self, qty: Qty, price: Price) -> Money {
        self.value(qty, price).abs()
    }

    /// `notional(qty, price)` when it is at most `MAX_NOTIONAL`; `None`
    /// when larger (or when the product would overflow).
    pub fn bounded_notional(&self, qty: Qty, price: Price) -> Option<Money> {
        let q = (qty.0 as i128).checked_abs()?;
        let n = match self.kind {
            ContractKind::Linear => q.checked_mul(price.0 as i128)?.checked_mul(self.factor_a)?,
            ContractKind::Inverse => {
                let den = (price.0 as i128).checked_mul(self.factor_b)?;
                if den <= 0 {
                    return None;
                }
                q.checked_mul(self.factor_a)? / den
            }
        };
        (n <= MAX_NOTIONAL.0).then_some(Money(n))
    }

    /// The tier whose range holds `notional` (bounds inclusive).
    pub fn tier_for(&self, notional: Money) -> &Tier {
        self.tiers
            .iter()
            .find(|t| t.notional_max.is_none_or(|max| notional <= max))
            // The last tier may be bounded; beyond it the last tier applies.
            .unwrap_or_else(|| self.tiers.last().expect("validated: at least one tier"))
    }

    /// Maintenance margin of a position of this notional, in units of
    /// 10^-24 (money x rate, unrounded): `notional * mmr - cum`.
    #[inline]
    pub fn maint_wide(&self, notional: Money) -> i128 {
        let t = self.tier_for(notional);
        notional.0 * t.mmr.0 as i128 - t.cum.0 * 10i128.pow(RATE_DECIMALS)
    }

    /// True for inverse (coin-margined) instruments.
    pub fn is_inverse(&self) -> bool {
        self.kind == ContractKind::Inverse
    }

    /// The factors of `value`: linear `value = qty * price * a`; inverse
    /// `value = -round(qty * a / (price * b))`. For closed-form solvers.
    pub fn value_factors(&self) -> (i128, i128) {
        (self.factor_a, self.factor_b)
    }
}

fn derive_tiers(specs: &[TierSpec]) -> Result<Vec<Tier>, InstrumentError> {
    if specs.is_empty() {
        return Err(InstrumentError::Invalid("tiers must not be empty".into()));
    }
    let mut tiers: Vec<Tier> = Vec::with_capacity(specs.len());
    for (i, t) in specs.iter().enumerate() {
        let notional_max = match &t.notional_max {
            Some(s) => Some(field("notional_max", Money::parse(s))?),
            None if i + 1 == specs.len() => None,
            None => {
                return Err(InstrumentError::Invalid(format!(
                    "tier {} needs notional_max (only the last may omit it)",
                    i + 1
                )))
            }
        };
        let mmr = field("mmr", Rate::parse(&t.mmr))?;
        let imr = field("imr", Rate::parse(&t.imr))?;
        if mmr < Rate::ZERO || mmr >= Rate::ONE {
            return Err(InstrumentError::Invalid(format!(
                "tier {}: mmr must be in [0, 1)",
                i + 1
            )));
        }
        if imr < mmr || imr > Rate::ONE {
            return Err(InstrumentError::Invalid(format!(
                "tier {}: imr must be in [mmr, 1]",
                i + 1
            )));
        }
        let cum = match tiers.last() {
            None => Money::ZERO,
            Some(prev) => {
                // validated above: every tier but the last has a bound.
                let floor = prev.notional_max.expect("previous tier is bounded");
                if let Some(max) = notional_max {
                    if max <= floor {
                        return Err(InstrumentError::Invalid(format!(
                            "tier {}: notional_max must increase",
                            i + 1
                        )));
                    }
                }
                if mmr < prev.mmr {
                    return Err(InstrumentError::Invalid(format!(
                        "tier {}: mmr must not decrease",
                        i + 1
                    )));
                }
                prev.cum + Rate(mmr.0 - prev.mmr.0).apply(floor)
            }
        };
        if let Some(max) = notional_max {
            if max <= Money::ZERO {
                return Err(InstrumentError::Invalid(format!(
                    "tier {}: notional_max must be positive",
                    i + 1
                )));
            }
        }
        tiers.push(Tier {
            notional_max,
            mmr,
            imr,
            cum,
        });
    }
    Ok(tiers)
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// One tier as written in a script or config.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TierSpec {
    /// Upper notional bound (decimal string); omitted on the last tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notional_max: Option<String>,
    /// Maintenance margin rate.
    pub mmr: String,
    /// Initial margin rate.
    pub imr: String,
}

/// The `mark` field of an instrument.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MarkSpec {
    /// The policy.
    pub policy: MarkPolicy,
}

/// The `liquidation` field of an instrument.
#[derive(Clone, Debug, Serialize, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LiquidationSpec {
    /// `full` or `partial`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub mode: LiquidationMode,
    /// Decimal string in (0, 1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fraction: Option<String>,
    /// `bankruptcy`, `none` or a band such as `"0.05"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_limit: Option<String>,
    /// `insurance` or `adl`.
    #[serde(default, skip_serializing_if = "is_default")]
    pub backstop: Backstop,
    /// Whether auto-deleveraging is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adl: Option<bool>,
}

impl LiquidationSpec {
    fn validate(self) -> Result<LiquidationPolicy, InstrumentError> {
        let max_fraction = match &self.max_fraction {
            None => Rate::ONE,
            Some(s) => field("max_fraction", Rate::parse(s))?,
        };
        if max_fraction <= Rate::ZERO || max_fraction > Rate::ONE {
            return Err(InstrumentError::Invalid(
                "liquidation.max_fraction must be in (0, 1]".into(),
            ));
        }
        let price_limit = match self.price_limit.as_deref() {
            None | Some("bankruptcy") => PriceLimit::Bankruptcy,
            Some("none") => PriceLimit::None,
            Some(band) => {
                let r = field("price_limit", Rate::parse(band))?;
                if r <= Rate::ZERO || r >= Rate::ONE {
                    return Err(InstrumentError::Invalid(
                        "liquidation.price_limit band must be in (0, 1)".into(),
                    ));
                }
                PriceLimit::Band(r)
            }
        };
        Ok(LiquidationPolicy {
            mode: self.mode,
            max_fraction,
            price_limit,
            backstop: self.backstop,
            adl: self.adl.unwrap_or(true),
        })
    }
}

/// The `breaker` field of an instrument (an extension of the spec).
#[derive(Clone, Debug, Serialize, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    /// Fraction of mark move within one cascade that halts the instrument.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halt_move: Option<String>,
    /// Most liquidation notional per cascade step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_notional_cap: Option<String>,
}

impl BreakerSpec {
    fn validate(self) -> Result<CircuitBreaker, InstrumentError> {
        let halt_move = match &self.halt_move {
            None => None,
            Some(s) => {
                let r = field("breaker.halt_move", Rate::parse(s))?;
                if r <= Rate::ZERO {
                    return Err(InstrumentError::Invalid(
                        "breaker.halt_move must be positive".into(),
                    ));
                }
                Some(r)
            }
        };
        let step_notional_cap = match &self.step_notional_cap {
            None => None,
            Some(s) => {
                let m = field("breaker.step_notional_cap", Money::parse(s))?;
                if m <= Money::ZERO {
                    return Err(InstrumentError::Invalid(
                        "breaker.step_notional_cap must be positive".into(),
                    ));
                }
                Some(m)
            }
        };
        Ok(CircuitBreaker {
            halt_move,
            step_notional_cap,
        })
    }
}

/// An instrument as written in a script (`cmd: instrument`) or a stress
/// config: every number a decimal string.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstrumentSpec {
    /// Symbol.
    pub symbol: String,
    /// `linear` or `inverse`.
    pub kind: String,
    /// Price step.
    pub tick: String,
    /// Quantity step.
    pub lot: String,
    /// Margin tiers.
    pub tiers: Vec<TierSpec>,
    /// Quote units per contract (inverse only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_size: Option<String>,
    /// Liquidation fee rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquidation_fee: Option<String>,
    /// Taker fee rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taker_fee: Option<String>,
    /// Maker fee rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maker_fee: Option<String>,
    /// Mark-price policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<MarkSpec>,
    /// Order price band around the mark.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_band: Option<String>,
    /// Liquidation policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liquidation: Option<LiquidationSpec>,
    /// Circuit breakers (extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<BreakerSpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btc_spec() -> InstrumentSpec {
        serde_json::from_str(
            r#"{"symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001",
            "tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},
                     {"notional_max":"250000","mmr":"0.005","imr":"0.01"},
                     {"notional_max":"3000000","mmr":"0.01","imr":"0.02"},
                     {"mmr":"0.025","imr":"0.05"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn derives_binance_cum_amounts() {
        // Binance BTCUSDT bracket table (2021 docs): cum 0, 50, 1300, 46300.
        let i = Instrument::new(&btc_spec()).unwrap();
        let cums: Vec<String> = i.tiers.iter().map(|t| t.cum.to_string()).collect();
        assert_eq!(cums, ["0", "50", "1300", "46300"]);
    }

    #[test]
    fn tier_bounds_are_inclusive() {
        let i = Instrument::new(&btc_spec()).unwrap();
        let m = |s: &str| Money::parse(s).unwrap();
        assert_eq!(i.tier_for(m("50000")).mmr, Rate::parse("0.004").unwrap());
        assert_eq!(
            i.tier_for(m("50000.0001")).mmr,
            Rate::parse("0.005").unwrap()
        );
        assert_eq!(
            i.tier_for(m("1000000000")).mmr,
            Rate::parse("0.025").unwrap()
        );
    }

    #[test]
    fn linear_value_is_exact() {
        let i = Instrument::new(&btc_spec()).unwrap();
        let v = i.value(Qty(1500), Price(600005)); // 1.5 BTC at 60000.5
        assert_eq!(v.to_string(), "90000.75");
        assert_eq!(i.fill_cash(Qty(1500), Price(600005)), -v);
    }

    #[test]
    fn inverse_value_rounds_once_and_is_antisymmetric() {
        let spec: InstrumentSpec = serde_json::from_str(
            r#"{"symbol":"BTCUSD_PERP","kind":"inverse","tick":"0.1","lot":"1","contract_size":"100",
                "tiers":[{"mmr":"0.005","imr":"0.01"}]}"#,
        )
        .unwrap();
        let i = Instrument::new(&spec).unwrap();
        // 3 contracts of 100 USD at 60000 = 0.005 BTC, short value positive.
        assert_eq!(i.value(Qty(-3), Price(600000)).to_string(), "0.005");
        let a = i.value(Qty(7), Price(612345));
        assert_eq!(i.value(Qty(-7), Price(612345)), -a);
        assert_eq!(a.to_string(), "-0.01143146");
    }

    #[test]
    fn rejects_bad_definitions() {
        let mut s = btc_spec();
        s.tiers[1].notional_max = Some("40000".into());
        assert!(Instrument::new(&s).is_err());
        let mut s = btc_spec();
        s.tiers[0].notional_max = None;
        assert!(Instrument::new(&s).is_err());
        let mut s = btc_spec();
        s.kind = "quanto".into();
        assert!(Instrument::new(&s).is_err());
        let mut s = btc_spec();
        s.tick = "0.0000001".into();
        s.lot = "0.000001".into();
        assert!(
            Instrument::new(&s).is_err(),
            "13 decimal places of tick x lot"
        );
    }

    #[test]
    fn parses_prices_and_quantities_on_step() {
        let i = Instrument::new(&btc_spec()).unwrap();
        let d = |s: &str| Decimal::parse(s).unwrap();
        assert_eq!(i.price(d("60000.5")), Ok(Price(600005)));
        assert!(i.price(d("60000.55")).is_err());
        assert!(i.price(d("0")).is_err());
        assert_eq!(i.qty(d("-0.002")), Ok(Qty(-2)));
        assert!(i.qty(d("0.0015")).is_err());
        assert_eq!(i.price_decimal(Price(600005)).to_string(), "60000.5");
    }
}
