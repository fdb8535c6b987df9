//! Checking one grid point and converting it into a `Point`: every
//! value against its range and against the other sections (a shock on an
//! unknown symbol, a book that would reach zero, a leverage that starts
//! accounts under maintenance margin), each error naming the key and the
//! line where it was written.
//!
//! Must not: draw random numbers or talk to the engine.

use super::config::{BookConfig, Config, MarketConfig, ReplayConfig, ShockConfig, ShockKind};
use super::point::{
    BookProfile, BookSource, ConfigError, Liquidity, MarketPlan, Point, ReplaySource, ShockPlan,
    MAX_LEVELS, MAX_STEPS,
};
use crate::instrument::Instrument;
use crate::population::check_population;
use crate::tomlgrid::error::{bad, bad_at};
use crate::tomlgrid::values::{non_negative_money, positive, rate};
use crate::tomlgrid::At;
use crate::types::{Price, Rate};

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
    use crate::tomlgrid::{discover, Doc};
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
