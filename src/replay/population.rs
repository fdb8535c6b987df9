//! The synthetic account population a replay margins against the replayed
//! marks (`--accounts POP.toml`), and the street market orders ("shocks")
//! it may add.
//!
//! The file reuses the stress config's population types (`[population]`
//! with `[[population.account]]` and `[population.generate]`, checked by
//! the stress checker against the replayed instrument) and adds:
//! `seed` (generator seed, default 0), `start` (how long after the book is
//! first complete the population is placed, default `0`), `open_interest`
//! (what the generator calibrates to: the notional of all generated
//! positions at the start price), `insurance` (the instrument's insurance
//! fund) and `[[shock]]` tables (`at`, a duration after the placement;
//! `side`; `qty`): street market orders sent into the replayed book.
//!
//! Owns: reading and checking that file, and turning it into engine
//! commands once the start price is known.
//! Must not: run anything; the driver applies the commands.

use std::path::Path;

use serde::Deserialize;

use super::overlay::parse_duration_ns;
use crate::command::{
    Command, OrderCommand, OrderType, SelfTradePrevention, TimeInForce, TriggerSource,
};
use crate::instrument::{Instrument, InstrumentSpec};
use crate::population::config::PopulationConfig;
use crate::population::{check_population, AccountPlan, GeneratorPlan, Market, Population};
use crate::tomlgrid::{discover, At, Doc};
use crate::types::{Decimal, Money, OrderId, Price, Qty, Side, STREET};

/// Ids of shock orders start here.
pub const SHOCK_ORDER_IDS: OrderId = 1 << 61;

/// A population file error with the line it concerns (0: the whole file).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PopulationError {
    /// 1-based line, 0 when unknown.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The file as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PopulationFile {
    #[serde(default)]
    seed: Option<At<u64>>,
    #[serde(default)]
    start: Option<At<String>>,
    #[serde(default)]
    open_interest: Option<At<Decimal>>,
    #[serde(default)]
    insurance: Option<At<Decimal>>,
    #[serde(default)]
    population: PopulationConfig,
    #[serde(default)]
    shock: Vec<At<ShockFile>>,
}

/// A `[[shock]]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShockFile {
    at: At<String>,
    side: At<Side>,
    qty: At<Decimal>,
}

/// A street market order into the replayed book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shock {
    /// ns after the population is placed.
    pub at: i64,
    /// Side of the order.
    pub side: Side,
    /// Lots.
    pub qty: Qty,
}

/// A checked population, waiting for its start price.
#[derive(Clone, Debug)]
pub struct PopulationPlan {
    /// Generator seed.
    pub seed: u64,
    /// ns after the book is first complete.
    pub start: i64,
    /// The instrument's insurance fund.
    pub insurance: Option<Decimal>,
    /// Shocks, in time order.
    pub shocks: Vec<Shock>,
    market: Market,
    accounts: Vec<AccountPlan>,
    generator: Option<GeneratorPlan>,
}

fn err(line: usize, message: impl Into<String>) -> PopulationError {
    PopulationError {
        line,
        message: message.into(),
    }
}

fn at_err<T>(a: &At<T>, what: impl std::fmt::Display) -> PopulationError {
    err(a.line, format!("{}: {what}", a.key))
}

impl PopulationPlan {
    /// Reads and checks a population file for the replayed instrument.
    pub fn load(path: &Path, spec: &InstrumentSpec) -> Result<PopulationPlan, PopulationError> {
        let text = std::fs::read_to_string(path).map_err(|e| err(0, e.to_string()))?;
        PopulationPlan::parse(&text, spec)
    }

    /// Checks the text of a population file.
    pub fn parse(text: &str, spec: &InstrumentSpec) -> Result<PopulationPlan, PopulationError> {
        let doc = Doc::parse(text).map_err(|e| err(e.line, e.message))?;
        let (f, axes): (PopulationFile, _) = discover(&doc)
            .map_err(|e| err(e.offset.map(|o| doc.line(o)).unwrap_or(1), e.to_string()))?;
        if let Some(a) = axes.first() {
            return Err(err(
                a.line,
                format!("{}: a population file takes one value, not a list", a.key),
            ));
        }
        let inst = Instrument::new(spec).map_err(|e| err(0, format!("instrument: {e}")))?;
        let open_interest = match &f.open_interest {
            Some(a) => {
                let m = Money::from_decimal(a.value).map_err(|e| at_err(a, e))?;
                if m <= Money::ZERO {
                    return Err(at_err(a, "must be positive"));
                }
                Some(m)
            }
            None => None,
        };
        if let (Some(g), None) = (&f.population.generate, &open_interest) {
            return Err(err(
                g.line,
                "the generator calibrates to open_interest: give open_interest (the notional of all positions at the start price)",
            ));
        }
        if let Some(a) = &f.insurance {
            match Money::from_decimal(a.value) {
                Ok(m) if m >= Money::ZERO => {}
                Ok(_) => return Err(at_err(a, "must not be negative")),
                Err(e) => return Err(at_err(a, e)),
            }
        }
        let start = match &f.start {
            Some(a) => parse_duration_ns(&a.value).map_err(|e| at_err(a, e))?,
            None => 0,
        };
        let market = Market {
            symbol: spec.symbol.clone(),
            inst: inst.clone(),
            price: Price(1),
            open_interest,
        };
        let (accounts, generator) = check_population(&f.population, std::slice::from_ref(&market))
            .map_err(|e| err(e.line, e.message))?;
        let mut shocks = Vec::with_capacity(f.shock.len());
        for s in &f.shock {
            let at = parse_duration_ns(&s.value.at.value).map_err(|e| at_err(&s.value.at, e))?;
            let qty = inst
                .qty(s.value.qty.value)
                .map_err(|e| at_err(&s.value.qty, e))?;
            if qty.0 <= 0 {
                return Err(at_err(&s.value.qty, "must be positive"));
            }
            shocks.push(Shock {
                at,
                side: s.value.side.value,
                qty,
            });
        }
        shocks.sort_by_key(|s| s.at);
        Ok(PopulationPlan {
            seed: f.seed.map_or(0, |s| s.value),
            start,
            insurance: f.insurance.map(|a| a.value),
            shocks,
            market,
            accounts,
            generator,
        })
    }

    /// The commands that set the population up with entries around
    /// `price` (the insurance fund first).
    pub fn commands(&self, price: Price) -> Vec<Command> {
        let mut market = self.market.clone();
        market.price = price;
        let mut cmds = Vec::new();
        if let Some(amount) = self.insurance.filter(|a| !a.is_zero()) {
            cmds.push(Command::Insurance {
                amount,
                symbol: Some(self.market.symbol.clone()),
            });
        }
        let markets = std::slice::from_ref(&market);
        // `parse` checked every value with `check_population` against this
        // instrument, the only check `Population::new` repeats.
        let pop = Population::new(&self.accounts, self.generator.as_ref(), markets, self.seed)
            .expect("a checked population converts");
        cmds.extend(pop.commands());
        cmds
    }

    /// The street market order of shock number `n`.
    pub fn shock_order(&self, n: usize) -> Option<Command> {
        let s = self.shocks.get(n)?;
        Some(Command::Order(OrderCommand {
            account: STREET,
            id: SHOCK_ORDER_IDS + n as u64,
            symbol: self.market.symbol.clone(),
            side: s.side,
            order_type: OrderType::Market,
            qty: self.market.inst.qty_decimal(s.qty),
            price: None,
            trigger: None,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            stp: SelfTradePrevention::None,
            trigger_by: TriggerSource::Mark,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::options::Format;
    use crate::replay::presets::{instrument_spec, Detected, Overrides};

    fn spec() -> InstrumentSpec {
        let d = Detected {
            symbol: Some("BTCUSDT".into()),
            ..Detected::default()
        };
        instrument_spec(Format::Binance, &d, &Overrides::default()).unwrap()
    }

    const FILE: &str = r#"
seed = 3
start = "2s"
open_interest = "1000000"
insurance = "5000"

[population.generate]
accounts = 50
size = { dist = "lognormal", median = "1", sigma = "0.5" }
leverage = { dist = "uniform", min = "50", max = "100" }
long_share = "0.9"

[[population.account]]
id = 1
deposit = "1000"
position = [{ symbol = "BTCUSDT", qty = "0.5", entry = "60000" }]

[[shock]]
at = "10s"
side = "sell"
qty = "12.5"
"#;

    #[test]
    fn a_file_becomes_commands_at_the_start_price() {
        let p = PopulationPlan::parse(FILE, &spec()).unwrap();
        assert_eq!((p.seed, p.start), (3, 2_000_000_000));
        assert_eq!(p.shocks[0].qty, Qty(12_500));
        let cmds = p.commands(Price(600_000));
        assert!(matches!(cmds[0], Command::Insurance { .. }));
        let accounts = cmds
            .iter()
            .filter(|c| matches!(c, Command::Account { .. }))
            .count();
        assert_eq!(accounts, 51);
        assert_eq!(cmds, p.commands(Price(600_000)), "deterministic");
        assert!(matches!(
            p.shock_order(0),
            Some(Command::Order(OrderCommand { account: 0, .. }))
        ));
    }

    #[test]
    fn errors_name_the_line() {
        let e = PopulationPlan::parse("seed = 1\nopen_interest = \"-5\"\n", &spec()).unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        let bad_symbol = FILE.replace("symbol = \"BTCUSDT\"", "symbol = \"ETHUSDT\"");
        let e = PopulationPlan::parse(&bad_symbol, &spec()).unwrap_err();
        assert_eq!(e.line, 16, "{e:?}");
        let e = PopulationPlan::parse("[population.generate]\naccounts = 5\nsize = { dist = \"fixed\", value = \"1\" }\nleverage = { dist = \"fixed\", value = \"10\" }\n", &spec()).unwrap_err();
        assert!(e.message.contains("open_interest"), "{e:?}");
        let e = PopulationPlan::parse("seed = [1, 2]\n", &spec()).unwrap_err();
        assert_eq!(e.line, 1);
        let e = PopulationPlan::parse("sede = 1\n", &spec()).unwrap_err();
        assert_eq!(e.line, 1, "{e:?}");
    }
}
