//! Account populations: the explicit accounts of a config and the
//! generated ones, as the engine commands that set them up (`account`,
//! `position` against the street, stop-loss orders).
//!
//! Owns: the generator. Per account it always draws the same numbers in
//! the same order (market, isolated, multi, second market, leverage,
//! stop-loss, then size, side and entry for two positions), so that two
//! configs differing only in a share (isolated, multi, stop-loss, long)
//! give the same accounts the same sizes. Sizes are then scaled per market
//! so that the notionals at the starting price add up to its
//! `open_interest` (each rounded to whole lots, at least one). Leverage
//! is notional / equity at the starting price: an account's collateral is
//! `sum(notional) / leverage - unrealized PnL at the start` (rounded up to
//! 1e-8), so that entry spreads do not start anyone below its leverage.
//!
//! Must not: depend on anything but the population inputs and the seed
//! (a stress grid's `Point::population_key`), so that one population
//! serves every mitigation of a grid.

use super::plan::{AccountPlan, GeneratorPlan, PopulationMarket, FIRST_FREE_ORDER_ID};
use super::rng::{derive_seed, Rng};
use crate::script::{Command, MarginMode, OrderCommand, OrderType, Stp, Tif, TriggerBy};
use crate::types::{Decimal, Money, Price, Qty, Side};

/// Stream of the population within a scenario seed.
const POPULATION_STREAM: u64 = 1;

/// A population ready to be set up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Population {
    /// The setup commands, account by account.
    pub commands: Vec<Command>,
    /// Number of accounts.
    pub accounts: usize,
    /// Number of positions.
    pub positions: usize,
    /// Number of stop-loss orders.
    pub stops: usize,
}

/// One position before it becomes a command.
#[derive(Clone, Copy, Debug)]
struct Draft {
    market: usize,
    raw: f64,
    long: bool,
    entry_u: f64,
}

/// One account before it becomes commands.
#[derive(Clone, Debug)]
struct AccountDraft {
    isolated: bool,
    leverage: f64,
    stop: bool,
    positions: Vec<Draft>,
}

/// Builds a population (explicit `accounts`, then the generated ones)
/// trading `markets`, for a seed.
pub fn build<M: PopulationMarket>(
    accounts: &[AccountPlan],
    generator: Option<&GeneratorPlan>,
    markets: &[M],
    seed: u64,
) -> Population {
    let mut pop = Population::default();
    let mut next_order: u64 = 1;
    for a in accounts {
        pop.accounts += 1;
        pop.commands.push(Command::Account {
            id: a.id,
            deposit: a.deposit,
            mode: a.mode,
        });
        for &(m, qty, entry, margin) in &a.positions {
            pop.positions += 1;
            pop.commands.push(Command::Position {
                account: a.id,
                symbol: markets[m].symbol().to_string(),
                qty,
                entry,
                margin,
            });
        }
        for &(m, trigger) in &a.stops {
            let Some(&(_, qty, _, _)) = a.positions.iter().find(|p| p.0 == m) else {
                continue;
            };
            let side = if qty.is_negative() {
                Side::Buy
            } else {
                Side::Sell
            };
            let abs = Decimal::new(qty.mantissa().abs(), qty.scale());
            pop.stops += 1;
            pop.commands.push(stop_order(
                a.id,
                next_order,
                &markets[m],
                side,
                abs,
                trigger,
            ));
            next_order += 1;
        }
    }
    if let Some(g) = generator {
        generate(g, markets, seed, &mut pop, &mut next_order);
    }
    pop
}

fn stop_order<M: PopulationMarket>(
    account: u64,
    id: u64,
    m: &M,
    side: Side,
    qty: Decimal,
    trigger: Decimal,
) -> Command {
    Command::Order(OrderCommand {
        account,
        id,
        symbol: m.symbol().to_string(),
        side,
        order_type: OrderType::StopMarket,
        qty,
        price: None,
        trigger: Some(trigger),
        tif: Tif::Gtc,
        reduce_only: true,
        stp: Stp::None,
        trigger_by: TriggerBy::Mark,
    })
}

fn generate<M: PopulationMarket>(
    g: &GeneratorPlan,
    markets: &[M],
    seed: u64,
    pop: &mut Population,
    next_order: &mut u64,
) {
    let mut rng = Rng::new(derive_seed(seed, POPULATION_STREAM));
    let with_oi: Vec<usize> = (0..markets.len())
        .filter(|&i| markets[i].open_interest().is_some())
        .collect();
    let weights: Vec<f64> = with_oi
        .iter()
        .map(|&i| {
            markets[i]
                .open_interest()
                .map(|m| m.to_f64())
                .unwrap_or(0.0)
        })
        .collect();
    let total_w: f64 = weights.iter().sum();
    let pick = |u: f64| -> usize {
        let mut acc = 0.0;
        for (k, w) in weights.iter().enumerate() {
            acc += w / total_w;
            if u < acc {
                return k;
            }
        }
        with_oi.len() - 1
    };
    let mut drafts: Vec<AccountDraft> = Vec::with_capacity(g.accounts as usize);
    for _ in 0..g.accounts {
        let primary = pick(rng.uniform());
        let isolated = rng.chance(g.isolated_share);
        let multi_u = rng.uniform();
        let second_u = rng.below(with_oi.len().max(2) as u64 - 1) as usize;
        let leverage = rng.draw(&g.leverage);
        let stop = rng.chance(g.stop_loss_share);
        let mut two = [Draft {
            market: 0,
            raw: 0.0,
            long: true,
            entry_u: 0.0,
        }; 2];
        for d in &mut two {
            d.raw = rng.draw(&g.size);
            d.long = rng.chance(g.long_share);
            d.entry_u = rng.uniform();
        }
        two[0].market = with_oi[primary];
        let multi = !isolated && with_oi.len() > 1 && multi_u < g.multi_share;
        let mut positions = vec![two[0]];
        if multi {
            // Any other market with open interest, uniformly.
            let k = if second_u >= primary {
                second_u + 1
            } else {
                second_u
            };
            two[1].market = with_oi[k.min(with_oi.len() - 1)];
            positions.push(two[1]);
        }
        drafts.push(AccountDraft {
            isolated,
            leverage,
            stop,
            positions,
        });
    }
    // Scale sizes to each market's open interest.
    let mut raw_total = vec![0.0f64; markets.len()];
    for d in &drafts {
        for p in &d.positions {
            raw_total[p.market] += p.raw;
        }
    }
    let lots_of = |p: &Draft| -> i64 {
        let m = &markets[p.market];
        let oi = m.open_interest().map(|o| o.to_f64()).unwrap_or(0.0);
        let unit = m.inst().notional(Qty(1), m.price()).to_f64();
        if unit <= 0.0 || raw_total[p.market] <= 0.0 {
            return 1;
        }
        let lots = (p.raw / raw_total[p.market] * oi / unit).round();
        (lots as i64).clamp(1, crate::instrument::MAX_QTY_LOTS / 1000)
    };
    for (n, d) in drafts.iter().enumerate() {
        let id = g.first_id + n as u64;
        let mut sized: Vec<(usize, Qty, Price)> = Vec::with_capacity(d.positions.len());
        let mut notional = Money::ZERO;
        let mut upnl = Money::ZERO;
        for p in &d.positions {
            let m = &markets[p.market];
            let lots = lots_of(p);
            let qty = Qty(if p.long { lots } else { -lots });
            let off = (2.0 * p.entry_u - 1.0) * g.entry_spread;
            let entry = Price(((m.price().0 as f64) * (1.0 + off)).round().max(1.0) as i64);
            let now = m.inst().value(qty, m.price());
            notional += now.abs();
            upnl += now - m.inst().value(qty, entry);
            sized.push((p.market, qty, entry));
        }
        // Collateral: equity at the start = notional / leverage.
        let lev = ((d.leverage * 1e4).round() as i128).max(10_000);
        let equity = crate::types::div_ceil(notional.0 * 10_000, lev);
        let collateral = round_up_1e8((equity - upnl.0).max(0));
        let mode = if d.isolated {
            MarginMode::Isolated
        } else {
            MarginMode::Cross
        };
        pop.accounts += 1;
        pop.commands.push(Command::Account {
            id,
            deposit: Decimal::new(collateral, 12),
            mode,
        });
        for &(mi, qty, entry) in &sized {
            let m = &markets[mi];
            pop.positions += 1;
            pop.commands.push(Command::Position {
                account: id,
                symbol: m.symbol().to_string(),
                qty: m.inst().qty_decimal(qty),
                entry: m.inst().price_decimal(entry),
                margin: d.isolated.then(|| Decimal::new(collateral, 12)),
            });
        }
        if d.stop {
            for &(mi, qty, _) in &sized {
                let m = &markets[mi];
                let dist = g.stop_loss_distance;
                let (side, trigger) = if qty.0 > 0 {
                    (
                        Side::Sell,
                        ((m.price().0 as f64) * (1.0 - dist)).floor().max(1.0) as i64,
                    )
                } else {
                    (
                        Side::Buy,
                        ((m.price().0 as f64) * (1.0 + dist)).ceil() as i64,
                    )
                };
                pop.stops += 1;
                pop.commands.push(stop_order(
                    id,
                    *next_order,
                    m,
                    side,
                    m.inst().qty_decimal(Qty(qty.0.abs())),
                    m.inst().price_decimal(Price(trigger)),
                ));
                *next_order += 1;
                debug_assert!(*next_order < FIRST_FREE_ORDER_ID);
            }
        }
    }
}

/// Rounds money units up to a multiple of 1e-8 (10^4 units).
fn round_up_1e8(units: i128) -> i128 {
    crate::types::div_ceil(units, 10_000) * 10_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::population::testutil::{load, Loaded};

    const CFG: &str = r#"
[[market]]
price = "100"
open_interest = "1000000"
[market.instrument]
symbol = "X"
kind = "linear"
tick = "0.1"
lot = "0.01"
tiers = [{ mmr = "0.01", imr = "0.02" }]

[[market]]
price = "10"
open_interest = "500000"
[market.instrument]
symbol = "Y"
kind = "linear"
tick = "0.01"
lot = "0.1"
tiers = [{ mmr = "0.01", imr = "0.02" }]

[population.generate]
accounts = 2000
size = { dist = "pareto", alpha = "1.5" }
leverage = { dist = "uniform", min = "2", max = "20" }
long_share = "0.7"
isolated_share = "0.2"
stop_loss_share = "0.1"
multi_share = "0.3"
entry_spread = "0.01"
"#;

    fn notional_by_symbol(pop: &Population) -> (f64, f64) {
        let mut out = (0.0, 0.0);
        for c in &pop.commands {
            if let Command::Position { symbol, qty, .. } = c {
                let price = if symbol == "X" { 100.0 } else { 10.0 };
                let n = qty.to_f64().abs() * price;
                if symbol == "X" {
                    out.0 += n
                } else {
                    out.1 += n
                }
            }
        }
        out
    }

    #[test]
    fn the_generator_is_calibrated_and_deterministic() {
        let p = load(CFG);
        let a = p.build(11);
        let b = p.build(11);
        assert_eq!(a, b);
        assert_ne!(a, p.build(12));
        assert_eq!(a.accounts, 2000);
        assert!(a.positions > 2000 && a.positions < 2700, "{}", a.positions);
        assert!(a.stops > 100 && a.stops < 400, "{}", a.stops);
        let (x, y) = notional_by_symbol(&a);
        // Calibrated to within lot rounding.
        assert!((x / 1_000_000.0 - 1.0).abs() < 0.01, "{x}");
        assert!((y / 500_000.0 - 1.0).abs() < 0.01, "{y}");
        // Every account starts at its leverage or lower: equity >= notional / 20.
        let mut deposits = std::collections::BTreeMap::new();
        for c in &a.commands {
            if let Command::Account { id, deposit, .. } = c {
                deposits.insert(*id, deposit.to_f64());
            }
        }
        assert!(deposits.values().all(|d| *d >= 0.0));
    }

    #[test]
    fn shares_do_not_change_sizes() {
        let plan: Loaded = load(CFG);
        let other = CFG
            .replace("long_share = \"0.7\"", "long_share = \"0.2\"")
            .replace("stop_loss_share = \"0.1\"", "stop_loss_share = \"0.6\"");
        let iso = load(&other);
        let first_qty = |pop: &Population| {
            let sizes: Vec<i128> = pop
                .commands
                .iter()
                .filter_map(|c| match c {
                    Command::Position { qty, .. } => Some(qty.mantissa().abs()),
                    _ => None,
                })
                .collect();
            sizes
        };
        let a = plan.build(3);
        let b = iso.build(3);
        assert_eq!(first_qty(&a), first_qty(&b));
    }
}
