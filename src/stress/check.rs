//! Checking one grid point and converting it into a `Point`: every
//! value against its range and against the other sections (a shock on an
//! unknown symbol, a book that would reach zero, a leverage that starts
//! accounts under maintenance margin), each error naming the key and the
//! line where it was written.
//!
//! Must not: draw random numbers or talk to the engine.

use super::config::{
    AccountConfig, BookConfig, Config, DistConfig, DistKind, GeneratorConfig, MarketConfig,
    PopulationConfig, ReplayConfig, ShockConfig, ShockKind,
};
use super::de::At;
use super::point::{
    AccountPlan, BookProfile, BookSource, Bounded, ConfigError, Dist, GeneratorPlan, Liquidity,
    MarketPlan, Point, ReplaySource, ShockPlan, MAX_ACCOUNTS, MAX_AMOUNT, MAX_LEVELS, MAX_LEVERAGE,
    MAX_STEPS, RESERVED_ACCOUNTS,
};
use crate::instrument::Instrument;
use crate::script::MarginMode;
use crate::types::{Decimal, Money, Price, Rate};

fn bad<T>(at: &At<T>, what: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        line: at.line,
        message: if at.key.is_empty() {
            what.to_string()
        } else {
            format!("{}: {what}", at.key)
        },
    }
}

fn bad_at(line: usize, key: &str, what: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        line,
        message: format!("{key}: {what}"),
    }
}

/// Checks a config point and converts it.
pub fn check(cfg: &Config) -> Result<Point, ConfigError> {
    if cfg.seeds.value == 0 || cfg.seeds.value > 1_000_000 {
        return Err(bad(&cfg.seeds, "must be between 1 and 1000000"));
    }
    if cfg.settle_steps.value > MAX_STEPS {
        return Err(bad(
            &cfg.settle_steps,
            format!("must be at most {MAX_STEPS}"),
        ));
    }
    if cfg.market.is_empty() {
        return Err(ConfigError {
            line: 1,
            message: "market: at least one [[market]] is needed".into(),
        });
    }
    let mut markets = Vec::with_capacity(cfg.market.len());
    for m in &cfg.market {
        let plan = check_market(m)?;
        if markets
            .iter()
            .any(|o: &MarketPlan| o.spec.symbol == plan.spec.symbol)
        {
            return Err(bad(
                &m.instrument,
                format!("symbol {} is defined twice", plan.spec.symbol),
            ));
        }
        markets.push(plan);
    }
    let inverse = cfg
        .market
        .iter()
        .zip(&markets)
        .find(|(_, p)| p.inst.is_inverse())
        .filter(|_| markets.len() > 1);
    if let Some((m, _)) = inverse {
        return Err(bad(
            &m.instrument,
            "an inverse instrument settles in its own coin: several markets in one run must all be linear (one settlement asset)",
        ));
    }
    let insurance = cfg
        .insurance
        .as_ref()
        .map(|a| non_negative_money(a).map(|_| a.value))
        .transpose()?;
    let find = |s: &At<String>| -> Result<usize, ConfigError> {
        markets
            .iter()
            .position(|m| m.spec.symbol == s.value)
            .ok_or_else(|| bad(s, format!("no market has symbol {:?}", s.value)))
    };
    let (accounts, generator) = check_population(&cfg.population, &markets)?;
    if cfg.shock.is_empty() {
        return Err(ConfigError {
            line: 1,
            message: "shock: at least one [[shock]] is needed".into(),
        });
    }
    let shocks = cfg
        .shock
        .iter()
        .map(|s| check_shock(s, &markets, &find))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Point {
        markets,
        insurance,
        accounts,
        generator,
        shocks,
        settle_steps: cfg.settle_steps.value,
    })
}

/// Checks a population (explicit accounts and a generator) against the
/// markets it trades: the part of `check` that replays reuse with their
/// own market.
pub fn check_population(
    population: &PopulationConfig,
    markets: &[MarketPlan],
) -> Result<(Vec<AccountPlan>, Option<GeneratorPlan>), ConfigError> {
    let find = |s: &At<String>| -> Result<usize, ConfigError> {
        markets
            .iter()
            .position(|m| m.spec.symbol == s.value)
            .ok_or_else(|| bad(s, format!("no market has symbol {:?}", s.value)))
    };
    let mut accounts: Vec<AccountPlan> = Vec::new();
    for a in &population.account {
        let plan = check_account(a, markets, &find)?;
        if accounts.iter().any(|o| o.id == plan.id) {
            return Err(bad(&a.id, format!("account {} is defined twice", plan.id)));
        }
        accounts.push(plan);
    }
    let first_id = accounts.iter().map(|a| a.id).max().unwrap_or(0) + 1;
    let generator = population
        .generate
        .as_ref()
        .map(|g| check_generator(g, first_id, markets))
        .transpose()?;
    Ok((accounts, generator))
}

fn positive(a: &At<Decimal>) -> Result<(), ConfigError> {
    if a.value.mantissa() <= 0 {
        return Err(bad(a, "must be positive"));
    }
    Ok(())
}

fn non_negative_money(a: &At<Decimal>) -> Result<Money, ConfigError> {
    let m = Money::parse(&a.value.to_string_exact()).map_err(|e| bad(a, e))?;
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
trait ExactText {
    fn to_string_exact(&self) -> String;
}

impl ExactText for Decimal {
    fn to_string_exact(&self) -> String {
        crate::types::format_fixed(self.mantissa(), self.scale())
    }
}

fn rate(a: &At<Decimal>, lo: Rate, hi: Rate, what: &str) -> Result<Rate, ConfigError> {
    let r = Rate::parse(&a.value.to_string_exact()).map_err(|e| bad(a, e))?;
    if r < lo || r > hi {
        return Err(bad(a, what));
    }
    Ok(r)
}

fn check_market(m: &MarketConfig) -> Result<MarketPlan, ConfigError> {
    let inst = Instrument::new(&m.instrument.value).map_err(|e| bad(&m.instrument, e))?;
    let price = inst
        .price(m.price.value)
        .map_err(|e| bad(&m.price, format!("{e} (a positive multiple of the tick)")))?;
    let open_interest = m
        .open_interest
        .as_ref()
        .map(|a| {
            positive(a)?;
            non_negative_money(a)
        })
        .transpose()?;
    let insurance = m
        .insurance
        .as_ref()
        .map(|a| non_negative_money(a).map(|_| a.value))
        .transpose()?;
    let book = match (&m.book, &m.replay) {
        (Some(b), None) => BookSource::Profile(check_book(b, &inst, price)?),
        (None, Some(r)) => BookSource::Replay(check_replay(r)?),
        (Some(_), Some(r)) => {
            return Err(bad(r, "give either a book or a replay sample, not both"))
        }
        (None, None) => return Err(bad(
            &m.price,
            "the market needs a starting book: a [market.book] profile or a [market.replay] sample",
        )),
    };
    let l = &m.liquidity;
    let liquidity = Liquidity {
        refill: l
            .refill
            .as_ref()
            .map(|a| rate(a, Rate::ZERO, Rate::ONE, "must be between 0 and 1"))
            .transpose()?
            .unwrap_or(Rate::ZERO),
        widen: l
            .widen
            .as_ref()
            .map(|a| {
                rate(
                    a,
                    Rate::ZERO,
                    Rate(100 * Rate::ONE.0),
                    "must be between 0 and 100",
                )
            })
            .transpose()?
            .unwrap_or(Rate::ZERO),
        arbitrage: l.arbitrage.unwrap_or(true),
    };
    Ok(MarketPlan {
        spec: m.instrument.value.clone(),
        inst,
        price,
        open_interest,
        insurance,
        book,
        liquidity,
    })
}

fn check_replay(r: &At<ReplayConfig>) -> Result<ReplaySource, ConfigError> {
    let c = &r.value;
    let format: crate::replay::Format = c.format.value.parse().map_err(|e| bad(&c.format, e))?;
    if c.files.value.is_empty() {
        return Err(bad(&c.files, "give at least one file"));
    }
    if c.at.value < 0 {
        return Err(bad(&c.at, "must not be negative (ns since the Unix epoch)"));
    }
    let depth = match &c.depth {
        Some(d) if d.value == 0 || d.value > MAX_LEVELS => {
            return Err(bad(d, format!("must be between 1 and {MAX_LEVELS}")))
        }
        Some(d) => d.value,
        None => 50,
    };
    Ok(ReplaySource {
        format,
        files: c.files.value.clone(),
        at: c.at.value,
        depth,
        line: r.line,
    })
}

fn check_book(
    b: &At<BookConfig>,
    inst: &Instrument,
    price: Price,
) -> Result<BookProfile, ConfigError> {
    let c = &b.value;
    if c.levels.value == 0 || c.levels.value > MAX_LEVELS {
        return Err(bad(
            &c.levels,
            format!("must be between 1 and {MAX_LEVELS}"),
        ));
    }
    let half = c.half_spread_ticks.value as i64;
    let gap = c.gap_ticks.value as i64;
    if half == 0 {
        return Err(bad_at(
            b.line,
            &format!("{}.half_spread_ticks", b.key),
            "must be at least 1",
        ));
    }
    if gap == 0 {
        return Err(bad_at(
            b.line,
            &format!("{}.gap_ticks", b.key),
            "must be at least 1",
        ));
    }
    let size = inst
        .qty(c.size.value)
        .map_err(|e| bad(&c.size, format!("{e} (a multiple of the lot)")))?;
    if size.0 <= 0 {
        return Err(bad(&c.size, "must be positive"));
    }
    let growth = c
        .growth
        .as_ref()
        .map(|a| {
            rate(
                a,
                Rate::ZERO,
                Rate(1000 * Rate::ONE.0),
                "must be between 0 and 1000",
            )
        })
        .transpose()?
        .unwrap_or(Rate::ZERO);
    let deepest = price.0 - half - gap * (c.levels.value as i64 - 1);
    if deepest <= 0 {
        return Err(bad(
            &c.levels,
            format!(
                "the deepest bid would be at {} ticks: lower levels, gap_ticks or half_spread_ticks",
                deepest
            ),
        ));
    }
    let profile = BookProfile {
        levels: c.levels.value,
        half_spread: half,
        gap,
        size,
        growth,
    };
    if profile.level_size(profile.levels - 1).0 >= crate::instrument::MAX_QTY_LOTS / 1000 {
        return Err(bad(&c.size, "the deepest level would be too large"));
    }
    Ok(profile)
}

fn check_account(
    a: &AccountConfig,
    markets: &[MarketPlan],
    find: &dyn Fn(&At<String>) -> Result<usize, ConfigError>,
) -> Result<AccountPlan, ConfigError> {
    if a.id.value == 0 || a.id.value >= RESERVED_ACCOUNTS {
        return Err(bad(
            &a.id,
            format!(
                "must be between 1 and {} (0 is the street)",
                RESERVED_ACCOUNTS - 1
            ),
        ));
    }
    non_negative_money(&a.deposit)?;
    let mut positions: Vec<(usize, Decimal, Decimal, Option<Decimal>)> = Vec::new();
    for p in &a.position {
        let m = find(&p.symbol)?;
        let inst = &markets[m].inst;
        let q = inst.qty(p.qty.value).map_err(|e| bad(&p.qty, e))?;
        if q.0 == 0 {
            return Err(bad(&p.qty, "must not be zero"));
        }
        inst.price(p.entry.value).map_err(|e| bad(&p.entry, e))?;
        if positions.iter().any(|&(o, ..)| o == m) {
            return Err(bad(&p.symbol, "the account already has a position there"));
        }
        let margin = match (&p.margin, a.mode) {
            (Some(mg), MarginMode::Isolated) => {
                non_negative_money(mg)?;
                Some(mg.value)
            }
            (Some(mg), MarginMode::Cross) => {
                return Err(bad(mg, "margin applies to isolated accounts only"))
            }
            (None, MarginMode::Isolated) => {
                return Err(bad(&p.symbol, "an isolated position needs its margin"))
            }
            (None, MarginMode::Cross) => None,
        };
        positions.push((m, p.qty.value, p.entry.value, margin));
    }
    let mut stops = Vec::new();
    for s in &a.stop {
        let m = find(&s.symbol)?;
        if !positions.iter().any(|&(o, ..)| o == m) {
            return Err(bad(
                &s.symbol,
                "a stop-loss needs a position on its instrument",
            ));
        }
        markets[m]
            .inst
            .price(s.trigger.value)
            .map_err(|e| bad(&s.trigger, e))?;
        stops.push((m, s.trigger.value));
    }
    Ok(AccountPlan {
        id: a.id.value,
        deposit: a.deposit.value,
        mode: a.mode,
        positions,
        stops,
    })
}

fn share(a: &Option<At<Decimal>>, default: f64, open: bool) -> Result<f64, ConfigError> {
    let Some(a) = a else { return Ok(default) };
    let v = a.value.to_f64();
    let ok = if open {
        v > 0.0 && v < 1.0
    } else {
        (0.0..=1.0).contains(&v)
    };
    if !ok {
        return Err(bad(
            a,
            if open {
                "must be strictly between 0 and 1"
            } else {
                "must be between 0 and 1"
            },
        ));
    }
    Ok(v)
}

fn check_dist(d: &At<DistConfig>, leverage: bool) -> Result<Bounded, ConfigError> {
    let c = &d.value;
    let missing = |name: &str| {
        bad_at(
            d.line,
            &d.key,
            format!("{} needs `{name}`", kind_name(c.dist)),
        )
    };
    let num = |a: &Option<At<Decimal>>, name: &str| -> Result<Option<f64>, ConfigError> {
        match a {
            None => Ok(None),
            Some(a) => {
                let v = a.value.to_f64();
                if v <= 0.0 || !v.is_finite() {
                    return Err(bad(a, format!("{name} must be positive")));
                }
                if leverage && ["min", "max", "value", "median"].contains(&name) && v < 1.0 {
                    return Err(bad(a, "leverage must be at least 1"));
                }
                if leverage && v > MAX_LEVERAGE {
                    return Err(bad(a, format!("leverage must be at most {MAX_LEVERAGE}")));
                }
                Ok(Some(v))
            }
        }
    };
    let median = num(&c.median, "median")?;
    let sigma = num(&c.sigma, "sigma")?;
    let alpha = num(&c.alpha, "alpha")?;
    let min = num(&c.min, "min")?;
    let max = num(&c.max, "max")?;
    let value = num(&c.value, "value")?;
    let unused = |present: bool, name: &str| -> Result<(), ConfigError> {
        if present {
            Err(bad_at(
                d.line,
                &d.key,
                format!("`{name}` does not apply to {}", kind_name(c.dist)),
            ))
        } else {
            Ok(())
        }
    };
    if let (Some(s), Some(a)) = (sigma, &c.sigma) {
        if s > 10.0 {
            return Err(bad(a, "sigma must be at most 10"));
        }
    }
    let (default_lo, default_hi) = if leverage {
        (1.0, 100.0)
    } else {
        (0.0, f64::MAX)
    };
    let lo = min.unwrap_or(default_lo);
    let hi = max.unwrap_or(default_hi);
    if lo > hi {
        return Err(bad_at(d.line, &d.key, "min must not exceed max"));
    }
    let dist = match c.dist {
        DistKind::Lognormal => {
            unused(alpha.is_some(), "alpha")?;
            unused(value.is_some(), "value")?;
            Dist::Lognormal {
                median: median.unwrap_or(1.0),
                sigma: sigma.ok_or_else(|| missing("sigma"))?,
            }
        }
        DistKind::Pareto => {
            unused(sigma.is_some(), "sigma")?;
            unused(median.is_some(), "median")?;
            unused(value.is_some(), "value")?;
            Dist::Pareto {
                min: min.unwrap_or(1.0),
                alpha: alpha.ok_or_else(|| missing("alpha"))?,
            }
        }
        DistKind::Uniform => {
            unused(sigma.is_some(), "sigma")?;
            unused(median.is_some(), "median")?;
            unused(alpha.is_some(), "alpha")?;
            unused(value.is_some(), "value")?;
            Dist::Uniform {
                min: min.ok_or_else(|| missing("min"))?,
                max: max.ok_or_else(|| missing("max"))?,
            }
        }
        DistKind::Fixed => {
            unused(sigma.is_some(), "sigma")?;
            unused(median.is_some(), "median")?;
            unused(alpha.is_some(), "alpha")?;
            unused(min.is_some(), "min")?;
            unused(max.is_some(), "max")?;
            let v = value.ok_or_else(|| missing("value"))?;
            Dist::Fixed(v)
        }
    };
    let (lo, hi) = match dist {
        Dist::Fixed(v) => (v, v),
        _ => (lo, hi),
    };
    Ok(Bounded { dist, lo, hi })
}

fn kind_name(k: DistKind) -> &'static str {
    match k {
        DistKind::Lognormal => "a lognormal distribution",
        DistKind::Pareto => "a Pareto distribution",
        DistKind::Uniform => "a uniform distribution",
        DistKind::Fixed => "a fixed value",
    }
}

fn check_generator(
    g: &At<GeneratorConfig>,
    first_id: u64,
    markets: &[MarketPlan],
) -> Result<GeneratorPlan, ConfigError> {
    let c: &GeneratorConfig = &g.value;
    if c.accounts.value == 0 || c.accounts.value > MAX_ACCOUNTS {
        return Err(bad(
            &c.accounts,
            format!("must be between 1 and {MAX_ACCOUNTS}"),
        ));
    }
    if first_id + c.accounts.value as u64 >= RESERVED_ACCOUNTS {
        return Err(bad(
            &c.accounts,
            "account ids would run into the reserved range",
        ));
    }
    let with_oi: Vec<&MarketPlan> = markets
        .iter()
        .filter(|m| m.open_interest.is_some())
        .collect();
    if with_oi.is_empty() {
        return Err(bad_at(
            g.line,
            &g.key,
            "the generator calibrates to open interest: give at least one market an open_interest",
        ));
    }
    let size = check_dist(&c.size, false)?;
    let leverage = check_dist(&c.leverage, true)?;
    for m in &with_oi {
        let mmr = m.inst.tiers[0].mmr;
        // Leverage L starts an account at equity = notional / L; it is under
        // maintenance when 1/L < mmr.
        if mmr.0 > 0 && leverage.hi * mmr.to_f64() >= 1.0 {
            return Err(bad(
                &c.leverage,
                format!(
                    "leverage up to {}x starts accounts under maintenance margin on {} (first tier mmr {}): keep it below {}x",
                    leverage.hi,
                    m.spec.symbol,
                    mmr,
                    1.0 / mmr.to_f64()
                ),
            ));
        }
    }
    let multi_share = share(&c.multi_share, 0.0, false)?;
    if let Some(a) = c
        .multi_share
        .as_ref()
        .filter(|_| multi_share > 0.0 && with_oi.len() < 2)
    {
        return Err(bad(a, "needs at least two markets with open_interest"));
    }
    let entry_spread = share(&c.entry_spread, 0.0, false)?;
    if let Some(a) = c.entry_spread.as_ref().filter(|_| entry_spread >= 0.5) {
        return Err(bad(a, "must be below 0.5"));
    }
    Ok(GeneratorPlan {
        accounts: c.accounts.value,
        first_id,
        size,
        leverage,
        long_share: share(&c.long_share, 0.5, false)?,
        isolated_share: share(&c.isolated_share, 0.0, false)?,
        stop_loss_share: share(&c.stop_loss_share, 0.0, false)?,
        stop_loss_distance: share(&c.stop_loss_distance, 0.05, true)?,
        multi_share,
        entry_spread,
    })
}

fn check_shock(
    s: &At<ShockConfig>,
    markets: &[MarketPlan],
    find: &dyn Fn(&At<String>) -> Result<usize, ConfigError>,
) -> Result<ShockPlan, ConfigError> {
    let c = &s.value;
    let market = find(&c.symbol)?;
    let inst = &markets[market].inst;
    let kind = c.kind.as_str();
    let not_for = |present: bool, name: &str| -> Result<(), ConfigError> {
        if present {
            Err(bad_at(
                s.line,
                &s.key,
                format!("`{name}` does not apply to a {kind} shock"),
            ))
        } else {
            Ok(())
        }
    };
    let need = |name: &str| bad_at(s.line, &s.key, format!("a {kind} shock needs `{name}`"));
    let start = c.start.as_ref().map(|a| a.value).unwrap_or(0);
    if let Some(a) = c.start.as_ref().filter(|a| a.value > MAX_STEPS) {
        return Err(bad(a, format!("must be at most {MAX_STEPS}")));
    }
    let steps = match &c.steps {
        Some(a) if a.value == 0 || a.value > MAX_STEPS => {
            return Err(bad(a, format!("must be between 1 and {MAX_STEPS}")))
        }
        Some(a) => a.value,
        None => 1,
    };
    let mut plan = ShockPlan {
        kind: c.kind,
        market,
        start,
        steps,
        move_: None,
        side: None,
        qty: None,
        rate: None,
    };
    match c.kind {
        ShockKind::Index | ShockKind::Mark => {
            not_for(c.side.is_some(), "side")?;
            not_for(c.qty.is_some(), "qty")?;
            not_for(c.rate.is_some(), "rate")?;
            let m = c.move_.as_ref().ok_or_else(|| need("move"))?;
            let v = m.value.to_f64();
            if v <= -1.0 || v == 0.0 || v > 10.0 {
                return Err(bad(
                    m,
                    "must be a non-zero fraction above -1 (\"-0.05\" is a 5% drop)",
                ));
            }
            plan.move_ = Some(m.value);
        }
        ShockKind::MarketOrder => {
            not_for(c.move_.is_some(), "move")?;
            not_for(c.rate.is_some(), "rate")?;
            let side = c.side.as_ref().ok_or_else(|| need("side"))?;
            let q = c.qty.as_ref().ok_or_else(|| need("qty"))?;
            let lots = inst.qty(q.value).map_err(|e| bad(q, e))?;
            if lots.0 <= 0 {
                return Err(bad(q, "must be positive"));
            }
            if lots.0 < steps as i64 {
                return Err(bad(q, "must be at least one lot per step"));
            }
            plan.side = Some(side.value);
            plan.qty = Some(lots);
        }
        ShockKind::Funding => {
            not_for(c.move_.is_some(), "move")?;
            not_for(c.side.is_some(), "side")?;
            not_for(c.qty.is_some(), "qty")?;
            not_for(c.steps.is_some(), "steps")?;
            let r = c.rate.as_ref().ok_or_else(|| need("rate"))?;
            let v = r.value.to_f64();
            if v == 0.0 || v.abs() >= 1.0 {
                return Err(bad(r, "must be a non-zero fraction between -1 and 1"));
            }
            plan.rate = Some(r.value);
        }
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stress::de::discover;
    use crate::stress::tree::Doc;
    use crate::types::Qty;

    pub(crate) const BASE: &str = r#"
[[market]]
price = "100"
open_interest = "100000"
[market.instrument]
symbol = "X"
kind = "linear"
tick = "0.1"
lot = "0.01"
tiers = [{ mmr = "0.01", imr = "0.02" }]
[market.book]
levels = 10
size = "5"

[[shock]]
kind = "index"
symbol = "X"
move = "-0.05"
"#;

    fn point(extra: &str) -> Result<Point, ConfigError> {
        let text = format!("{BASE}{extra}");
        let doc = Doc::parse(&text).unwrap();
        let (cfg, _axes) = discover::<Config>(&doc).unwrap();
        check(&cfg)
    }

    #[test]
    fn a_minimal_config_checks() {
        let p = point("").unwrap();
        assert_eq!(p.markets[0].price, Price(1000));
        assert_eq!(p.shocks[0].steps, 1);
        assert_eq!(p.path_steps(), 4);
        let BookSource::Profile(b) = p.markets[0].book else {
            panic!("profile")
        };
        assert_eq!(b.level_size(3), Qty(500));
    }

    #[test]
    fn impossible_values_name_key_and_line() {
        let e =
            point("[[shock]]\nkind = \"index\"\nsymbol = \"Y\"\nmove = \"-0.1\"\n").unwrap_err();
        assert!(e.message.starts_with("shock[1].symbol:"), "{}", e.message);
        assert_eq!(e.line, 21);
        let e =
            point("[[shock]]\nkind = \"funding\"\nsymbol = \"X\"\nrate = \"0.01\"\nsteps = 2\n")
                .unwrap_err();
        assert!(
            e.message.contains("`steps` does not apply"),
            "{}",
            e.message
        );
        let e = point(
            "[population.generate]\naccounts = 5\nsize = { dist = \"lognormal\", sigma = \"1\" }\nleverage = { dist = \"fixed\", value = \"150\" }\n",
        )
        .unwrap_err();
        assert!(e.message.contains("under maintenance"), "{}", e.message);
        assert_eq!(e.line, 22);
    }
}
