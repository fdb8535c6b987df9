//! Checking a population against the markets it trades: explicit
//! accounts (ids, positions, stop-losses) and the generator (its
//! distributions, shares, and a leverage that must not start accounts
//! under maintenance margin), each error naming the key and the line.
//!
//! Must not: draw random numbers or talk to the engine.

use super::config::{AccountConfig, DistConfig, DistKind, GeneratorConfig, PopulationConfig};
use super::plan::{
    AccountPlan, Bounded, Dist, GeneratorPlan, PopulationMarket, MAX_ACCOUNTS, MAX_LEVERAGE,
    RESERVED_ACCOUNTS,
};
use crate::command::MarginMode;
use crate::tomlgrid::error::{bad, bad_at};
use crate::tomlgrid::values::non_negative_money;
use crate::tomlgrid::{At, ConfigError};
use crate::types::Decimal;

/// Checks a population (explicit accounts and a generator) against the
/// markets it trades (a stress config's, or a replay's one market).
pub fn check_population<M: PopulationMarket>(
    population: &PopulationConfig,
    markets: &[M],
) -> Result<(Vec<AccountPlan>, Option<GeneratorPlan>), ConfigError> {
    let find = |s: &At<String>| -> Result<usize, ConfigError> {
        markets
            .iter()
            .position(|m| m.symbol() == s.value)
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

fn check_account<M: PopulationMarket>(
    a: &AccountConfig,
    markets: &[M],
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
        let inst = markets[m].inst();
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
            .inst()
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

fn check_generator<M: PopulationMarket>(
    g: &At<GeneratorConfig>,
    first_id: u64,
    markets: &[M],
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
    let with_oi: Vec<&M> = markets
        .iter()
        .filter(|m| m.open_interest().is_some())
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
        let mmr = m.inst().tiers[0].mmr;
        // Leverage L starts an account at equity = notional / L; it is under
        // maintenance when 1/L < mmr.
        if mmr.0 > 0 && leverage.hi * mmr.to_f64() >= 1.0 {
            return Err(bad(
                &c.leverage,
                format!(
                    "leverage up to {}x starts accounts under maintenance margin on {} (first tier mmr {}): keep it below {}x",
                    leverage.hi,
                    m.symbol(),
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
