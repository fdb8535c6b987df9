//! Account populations: the explicit accounts of a config and the
//! generated ones, made straight into what the engine stores (`NewAccount`
//! with its positions, for `Engine::add_accounts`) one account at a time,
//! and the stop-loss orders some of them hold. No population is ever held
//! whole: a scenario streams it into its engine.
//!
//! Owns: the generator. Per account it always draws the same numbers in
//! the same order (market, isolated, multi, second market, leverage,
//! stop-loss, then size, side and entry for two positions), so that two
//! configs differing only in a share (isolated, multi, stop-loss, long)
//! give the same accounts the same sizes. Sizes are then scaled per market
//! so that the notionals at the starting price add up to its
//! `open_interest` (each rounded to whole lots, at least one): a first
//! pass over the draws sums the raw sizes, a second pass (the same draws
//! again) makes the accounts. Leverage is notional / equity at the
//! starting price: an account's collateral is `sum(notional) / leverage -
//! unrealized PnL at the start` (rounded up to 1e-8), so that entry
//! spreads do not start anyone below its leverage.
//!
//! Must not: depend on anything but the population inputs and the seed,
//! so that every mitigation of a grid gets the same population.

use smallvec::SmallVec;

use super::plan::{AccountPlan, GeneratorPlan, PopulationMarket, FIRST_FREE_ORDER_ID};
use super::rng::{derive_seed, Rng};
use crate::command::{
    Command, MarginMode, OrderCommand, OrderType, SelfTradePrevention, TimeInForce, TriggerSource,
};
use crate::event::InstrumentIdx;
use crate::liquidation::{NewAccount, NewPosition};
use crate::types::{AccountId, Decimal, Money, OrderId, Price, Qty, Side};

/// Stream of the population within a scenario seed.
const POPULATION_STREAM: u64 = 1;

/// A reduce-only stop-market order closing a position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StopOrder {
    /// The account.
    pub account: AccountId,
    /// Order id.
    pub id: OrderId,
    /// Market index.
    pub market: usize,
    /// Side (against the position).
    pub side: Side,
    /// Lots.
    pub qty: Qty,
    /// Trigger, ticks.
    pub trigger: Price,
}

/// One account of a population: the account with its positions, and its
/// stop-loss orders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetUp {
    /// The account and its positions.
    pub account: NewAccount,
    /// Its stop-loss orders.
    pub stops: SmallVec<[StopOrder; 2]>,
}

/// A population: a recipe (the inputs and the seed) that makes its
/// accounts on demand, each time the same.
#[derive(Debug)]
pub struct Population<'a, M> {
    explicit: Vec<SetUp>,
    generator: Option<&'a GeneratorPlan>,
    markets: &'a [M],
    seed: u64,
    next_order: OrderId,
}

impl<'a, M: PopulationMarket> Population<'a, M> {
    /// The population of explicit `accounts` and a `generator` trading
    /// `markets`, for `seed`. Fails only on values the population check
    /// refuses (`check_population`).
    pub fn new(
        accounts: &[AccountPlan],
        generator: Option<&'a GeneratorPlan>,
        markets: &'a [M],
        seed: u64,
    ) -> Result<Population<'a, M>, String> {
        let mut next_order: OrderId = 1;
        let mut explicit = Vec::with_capacity(accounts.len());
        for a in accounts {
            explicit.push(explicit_account(a, markets, &mut next_order)?);
        }
        Ok(Population {
            explicit,
            generator,
            markets,
            seed,
            next_order,
        })
    }

    /// No accounts at all.
    pub fn empty(markets: &'a [M]) -> Population<'a, M> {
        Population {
            explicit: Vec::new(),
            generator: None,
            markets,
            seed: 0,
            next_order: 1,
        }
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.explicit.len() + self.generator.map_or(0, |g| g.accounts as usize)
    }

    /// Whether it has no accounts.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every account, explicit ones first, made one at a time.
    pub fn accounts(&self) -> impl Iterator<Item = SetUp> + '_ {
        let generated = self
            .generator
            .map(|g| Generated::new(g, self.markets, self.seed, self.next_order));
        self.explicit
            .iter()
            .cloned()
            .chain(generated.into_iter().flatten())
    }

    /// The stop-loss order `s` as a command.
    pub fn stop_command(&self, s: &StopOrder) -> Command {
        let m = &self.markets[s.market];
        Command::Order(OrderCommand {
            account: s.account,
            id: s.id,
            symbol: m.symbol().to_string(),
            side: s.side,
            order_type: OrderType::StopMarket,
            qty: m.inst().qty_decimal(s.qty),
            price: None,
            trigger: Some(m.inst().price_decimal(s.trigger)),
            tif: TimeInForce::Gtc,
            reduce_only: true,
            stp: SelfTradePrevention::None,
            trigger_by: TriggerSource::Mark,
        })
    }

    /// The population as script commands, account by account (`account`,
    /// its `position`s, its stop-loss orders).
    pub fn commands(&self) -> Vec<Command> {
        let mut out = Vec::new();
        for s in self.accounts() {
            let a = &s.account;
            out.push(Command::Account {
                id: a.id,
                deposit: Decimal::new(a.deposit.0, crate::types::MONEY_DECIMALS),
                mode: a.mode,
            });
            for p in &a.positions {
                let m = &self.markets[p.inst as usize];
                out.push(Command::Position {
                    account: a.id,
                    symbol: m.symbol().to_string(),
                    qty: m.inst().qty_decimal(p.qty),
                    entry: m.inst().price_decimal(p.entry),
                    margin: p
                        .margin
                        .map(|x| Decimal::new(x.0, crate::types::MONEY_DECIMALS)),
                });
            }
            out.extend(s.stops.iter().map(|st| self.stop_command(st)));
        }
        out
    }
}

/// An explicit account in engine units.
fn explicit_account<M: PopulationMarket>(
    a: &AccountPlan,
    markets: &[M],
    next_order: &mut OrderId,
) -> Result<SetUp, String> {
    let err = |what: &str, e: &dyn std::fmt::Display| format!("account {}: {what}: {e}", a.id);
    let money = |d: Decimal, what: &str| Money::from_decimal(d).map_err(|e| err(what, &e));
    let mut positions = SmallVec::new();
    for &(m, qty, entry, margin) in &a.positions {
        let inst = markets[m].inst();
        positions.push(NewPosition {
            inst: m as InstrumentIdx,
            qty: inst.qty(qty).map_err(|e| err("qty", &e))?,
            entry: inst.price(entry).map_err(|e| err("entry", &e))?,
            margin: margin.map(|x| money(x, "margin")).transpose()?,
        });
    }
    let mut stops = SmallVec::new();
    for &(m, trigger) in &a.stops {
        let Some(p) = positions
            .iter()
            .find(|p: &&NewPosition| p.inst as usize == m)
        else {
            continue;
        };
        stops.push(StopOrder {
            account: a.id,
            id: *next_order,
            market: m,
            side: if p.qty.0 < 0 { Side::Buy } else { Side::Sell },
            qty: Qty(p.qty.0.abs()),
            trigger: markets[m]
                .inst()
                .price(trigger)
                .map_err(|e| err("trigger", &e))?,
        });
        *next_order += 1;
    }
    Ok(SetUp {
        account: NewAccount {
            id: a.id,
            deposit: money(a.deposit, "deposit")?,
            mode: a.mode,
            positions,
        },
        stops,
    })
}

/// One position before it is sized.
#[derive(Clone, Copy, Debug)]
struct Draft {
    market: usize,
    raw: f64,
    long: bool,
    entry_u: f64,
}

/// One account's draws.
#[derive(Clone, Debug)]
struct AccountDraft {
    isolated: bool,
    leverage: f64,
    stop: bool,
    positions: SmallVec<[Draft; 2]>,
}

/// Which markets the generator trades and with what weight.
#[derive(Clone, Debug)]
struct Weights {
    with_oi: Vec<usize>,
    weights: Vec<f64>,
    total: f64,
}

impl Weights {
    fn new<M: PopulationMarket>(markets: &[M]) -> Weights {
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
        let total = weights.iter().sum();
        Weights {
            with_oi,
            weights,
            total,
        }
    }

    fn pick(&self, u: f64) -> usize {
        let mut acc = 0.0;
        for (k, w) in self.weights.iter().enumerate() {
            acc += w / self.total;
            if u < acc {
                return k;
            }
        }
        self.with_oi.len() - 1
    }
}

/// The next account's draws, always the same numbers in the same order.
fn draw(g: &GeneratorPlan, w: &Weights, rng: &mut Rng) -> AccountDraft {
    let primary = w.pick(rng.uniform());
    let isolated = rng.chance(g.isolated_share);
    let multi_u = rng.uniform();
    let second_u = rng.below(w.with_oi.len().max(2) as u64 - 1) as usize;
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
    two[0].market = w.with_oi[primary];
    let multi = !isolated && w.with_oi.len() > 1 && multi_u < g.multi_share;
    let mut positions: SmallVec<[Draft; 2]> = SmallVec::new();
    positions.push(two[0]);
    if multi {
        // Any other market with open interest, uniformly.
        let k = if second_u >= primary {
            second_u + 1
        } else {
            second_u
        };
        two[1].market = w.with_oi[k.min(w.with_oi.len() - 1)];
        positions.push(two[1]);
    }
    AccountDraft {
        isolated,
        leverage,
        stop,
        positions,
    }
}

/// The generated accounts, one at a time (the second pass).
struct Generated<'a, M> {
    g: &'a GeneratorPlan,
    markets: &'a [M],
    weights: Weights,
    raw_total: Vec<f64>,
    rng: Rng,
    n: u32,
    next_order: OrderId,
}

impl<'a, M: PopulationMarket> Generated<'a, M> {
    fn new(g: &'a GeneratorPlan, markets: &'a [M], seed: u64, next_order: OrderId) -> Self {
        let weights = Weights::new(markets);
        let start = Rng::new(derive_seed(seed, POPULATION_STREAM));
        // First pass: the raw sizes per market, to scale them to the open
        // interest.
        let mut rng = start.clone();
        let mut raw_total = vec![0.0f64; markets.len()];
        for _ in 0..g.accounts {
            for p in &draw(g, &weights, &mut rng).positions {
                raw_total[p.market] += p.raw;
            }
        }
        Generated {
            g,
            markets,
            weights,
            raw_total,
            rng: start,
            n: 0,
            next_order,
        }
    }

    fn lots(&self, p: &Draft) -> i64 {
        let m = &self.markets[p.market];
        let oi = m.open_interest().map(|o| o.to_f64()).unwrap_or(0.0);
        let unit = m.inst().notional(Qty(1), m.price()).to_f64();
        if unit <= 0.0 || self.raw_total[p.market] <= 0.0 {
            return 1;
        }
        let lots = (p.raw / self.raw_total[p.market] * oi / unit).round();
        (lots as i64).clamp(1, crate::instrument::MAX_QTY_LOTS / 1000)
    }
}

impl<M: PopulationMarket> Iterator for Generated<'_, M> {
    type Item = SetUp;

    fn next(&mut self) -> Option<SetUp> {
        if self.n >= self.g.accounts {
            return None;
        }
        let g = self.g;
        let d = draw(g, &self.weights, &mut self.rng);
        let id = g.first_id + self.n as u64;
        self.n += 1;
        let mut sized: SmallVec<[(usize, Qty, Price); 2]> = SmallVec::new();
        let mut notional = Money::ZERO;
        let mut upnl = Money::ZERO;
        for p in &d.positions {
            let m = &self.markets[p.market];
            let lots = self.lots(p);
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
        let collateral = Money(round_up_1e8((equity - upnl.0).max(0)));
        let positions = sized
            .iter()
            .map(|&(mi, qty, entry)| NewPosition {
                inst: mi as InstrumentIdx,
                qty,
                entry,
                margin: d.isolated.then_some(collateral),
            })
            .collect();
        let mut stops = SmallVec::new();
        if d.stop {
            for &(mi, qty, _) in &sized {
                let price = self.markets[mi].price().0 as f64;
                let dist = g.stop_loss_distance;
                let (side, trigger) = if qty.0 > 0 {
                    (Side::Sell, (price * (1.0 - dist)).floor().max(1.0) as i64)
                } else {
                    (Side::Buy, (price * (1.0 + dist)).ceil() as i64)
                };
                stops.push(StopOrder {
                    account: id,
                    id: self.next_order,
                    market: mi,
                    side,
                    qty: Qty(qty.0.abs()),
                    trigger: Price(trigger),
                });
                self.next_order += 1;
                debug_assert!(self.next_order < FIRST_FREE_ORDER_ID);
            }
        }
        Some(SetUp {
            account: NewAccount {
                id,
                deposit: collateral,
                mode: if d.isolated {
                    MarginMode::Isolated
                } else {
                    MarginMode::Cross
                },
                positions,
            },
            stops,
        })
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

    fn notional_by_symbol(pop: &[Command]) -> (f64, f64) {
        let mut out = (0.0, 0.0);
        for c in pop {
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
        let count = |f: fn(&Command) -> bool| a.iter().filter(|c| f(c)).count();
        assert_eq!(count(|c| matches!(c, Command::Account { .. })), 2000);
        let positions = count(|c| matches!(c, Command::Position { .. }));
        assert!(positions > 2000 && positions < 2700, "{positions}");
        let stops = count(|c| matches!(c, Command::Order(_)));
        assert!(stops > 100 && stops < 400, "{stops}");
        // The stream of accounts is the same population.
        let n = p.population(11).accounts().count();
        assert_eq!(n, 2000);
        assert_eq!(p.population(11).len(), 2000);
        let (x, y) = notional_by_symbol(&a);
        // Calibrated to within lot rounding.
        assert!((x / 1_000_000.0 - 1.0).abs() < 0.01, "{x}");
        assert!((y / 500_000.0 - 1.0).abs() < 0.01, "{y}");
        // Every account starts at its leverage or lower: equity >= notional / 20.
        let mut deposits = std::collections::BTreeMap::new();
        for c in &a {
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
        let first_qty = |pop: &[Command]| {
            let sizes: Vec<i128> = pop
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
