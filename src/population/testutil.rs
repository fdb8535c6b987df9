//! Tests' population files: `[[market]]` tables (instrument, price,
//! open interest) and a `[population]`, checked and ready to build.

use serde::Deserialize;

use super::config::PopulationConfig;
use super::plan::{AccountPlan, GeneratorPlan, Market};
use super::{check_population, Population};
use crate::command::Command;
use crate::instrument::{Instrument, InstrumentSpec};
use crate::tomlgrid::{discover, Doc};
use crate::types::{Decimal, Money};

#[derive(Deserialize)]
struct TestFile {
    market: Vec<TestMarket>,
    population: PopulationConfig,
}

#[derive(Deserialize)]
struct TestMarket {
    instrument: InstrumentSpec,
    price: Decimal,
    open_interest: Option<Decimal>,
}

/// A checked test population with its markets.
pub(crate) struct Loaded {
    pub markets: Vec<Market>,
    pub accounts: Vec<AccountPlan>,
    pub generator: Option<GeneratorPlan>,
}

impl Loaded {
    /// The population for `seed`.
    pub fn population(&self, seed: u64) -> Population<'_, Market> {
        Population::new(&self.accounts, self.generator.as_ref(), &self.markets, seed)
            .expect("test population converts")
    }

    /// The population for `seed`, as commands.
    pub fn build(&self, seed: u64) -> Vec<Command> {
        self.population(seed).commands()
    }
}

/// Reads and checks a test file (panics on a bad one: tests only).
pub(crate) fn load(text: &str) -> Loaded {
    let doc = Doc::parse(text).expect("test file parses");
    let (f, _axes): (TestFile, _) = discover(&doc).expect("test file deserializes");
    let markets: Vec<Market> = f
        .market
        .into_iter()
        .map(|m| {
            let inst = Instrument::new(&m.instrument).expect("test instrument");
            Market {
                price: inst.price(m.price).expect("test price"),
                open_interest: m
                    .open_interest
                    .map(|d| Money::from_decimal(d).expect("test open interest")),
                symbol: m.instrument.symbol.clone(),
                inst,
            }
        })
        .collect();
    let (accounts, generator) =
        check_population(&f.population, &markets).expect("test population checks");
    Loaded {
        markets,
        accounts,
        generator,
    }
}
