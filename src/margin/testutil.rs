//! Instruments and helpers shared by the margin unit tests.

use crate::instrument::{Instrument, InstrumentSpec};
use crate::types::{Decimal, Money, Price, Qty};

/// An instrument from its JSON text.
pub fn inst(json: &str) -> Instrument {
    let spec: InstrumentSpec = serde_json::from_str(json).expect("test spec parses");
    Instrument::new(&spec).expect("test spec is valid")
}

/// Binance BTCUSDT USDⓈ-M brackets (2021 table: cum 0, 50, 1300, 16300, ...).
pub fn btcusdt() -> Instrument {
    inst(
        r#"{"symbol":"BTCUSDT","kind":"linear","tick":"0.01","lot":"0.001",
        "tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},
                 {"notional_max":"250000","mmr":"0.005","imr":"0.01"},
                 {"notional_max":"1000000","mmr":"0.01","imr":"0.02"},
                 {"notional_max":"10000000","mmr":"0.025","imr":"0.05"},
                 {"notional_max":"20000000","mmr":"0.05","imr":"0.1"},
                 {"notional_max":"50000000","mmr":"0.1","imr":"0.2"},
                 {"notional_max":"100000000","mmr":"0.125","imr":"0.25"},
                 {"notional_max":"200000000","mmr":"0.15","imr":"0.25"},
                 {"notional_max":"300000000","mmr":"0.25","imr":"0.5"},
                 {"mmr":"0.5","imr":"1"}]}"#,
    )
}

/// Binance ETHUSDT USDⓈ-M brackets (2021 table: cum 0, 15, 365, 5365,
/// 35365, 135365, ...).
pub fn ethusdt() -> Instrument {
    inst(
        r#"{"symbol":"ETHUSDT","kind":"linear","tick":"0.01","lot":"0.001",
        "tiers":[{"notional_max":"10000","mmr":"0.005","imr":"0.01"},
                 {"notional_max":"100000","mmr":"0.0065","imr":"0.013"},
                 {"notional_max":"500000","mmr":"0.01","imr":"0.02"},
                 {"notional_max":"1000000","mmr":"0.02","imr":"0.04"},
                 {"notional_max":"2000000","mmr":"0.05","imr":"0.1"},
                 {"notional_max":"5000000","mmr":"0.1","imr":"0.2"},
                 {"notional_max":"10000000","mmr":"0.125","imr":"0.25"},
                 {"notional_max":"20000000","mmr":"0.15","imr":"0.333333333333"},
                 {"mmr":"0.25","imr":"0.5"}]}"#,
    )
}

/// A COIN-M BTCUSD perpetual: 100 USD contracts, tiers in BTC.
pub fn btcusd() -> Instrument {
    inst(
        r#"{"symbol":"BTCUSD_PERP","kind":"inverse","tick":"0.1","lot":"1","contract_size":"100",
        "tiers":[{"notional_max":"5","mmr":"0.004","imr":"0.008"},
                 {"notional_max":"10","mmr":"0.005","imr":"0.01"},
                 {"notional_max":"20","mmr":"0.01","imr":"0.02"},
                 {"notional_max":"50","mmr":"0.025","imr":"0.05"},
                 {"notional_max":"100","mmr":"0.05","imr":"0.1"},
                 {"notional_max":"200","mmr":"0.1","imr":"0.2"},
                 {"notional_max":"400","mmr":"0.125","imr":"0.25"},
                 {"notional_max":"1000","mmr":"0.15","imr":"0.333333333333"},
                 {"mmr":"0.25","imr":"0.5"}]}"#,
    )
}

/// Money from text.
pub fn m(s: &str) -> Money {
    Money::parse(s).expect("test money parses")
}

/// A price in ticks from text.
pub fn px(i: &Instrument, s: &str) -> Price {
    i.price(Decimal::parse(s).expect("test price parses"))
        .expect("test price on tick")
}

/// A quantity in lots from text.
pub fn qty(i: &Instrument, s: &str) -> Qty {
    i.qty(Decimal::parse(s).expect("test qty parses"))
        .expect("test qty on lot")
}
