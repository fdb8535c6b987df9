//! Instruments for replays: presets for the sample symbols, and the
//! user's overrides. What the data says of a symbol (its venue, whether it
//! carries a mark stream or an L2 book) is learnt by the run while it
//! reads the data (see `router`).
//!
//! Presets: Binance USD-M BTCUSDT (tick 0.1, lot 0.001) and ETHUSDT (0.01,
//! 0.001), Binance COIN-M BTCUSD_PERP (inverse, tick 0.1, 1 contract of 100
//! USD), Hyperliquid BTC (tick 1, lot 0.00001), LOBSTER AAPL (tick 0.0001,
//! 1 share), and the Tardis samples: binance-futures BTCUSDT (2020: tick
//! 0.01), bitmex XBTUSD (inverse, tick 0.5, contracts of 1 USD), deribit
//! BTC-PERPETUAL (inverse, tick 0.5, lot 10 USD) and huobi-dm-swap BTC-USD
//! (inverse, tick 0.1, contracts of 100 USD). All get Binance-like margin
//! tiers (linear in quote units, inverse in coin), taker 0.05%, maker
//! 0.02%, liquidation fee 0.5%, and the `median` mark policy (the median
//! of index, book mid and last trade; with no index in the data, the mean
//! of mid and last trade) unless the input carries a mark stream, which
//! then drives the mark (`external`).
//!
//! Must not: read files.

use super::options::Format;
use crate::instrument::{InstrumentSpec, MarkPolicy, MarkSpec, TierSpec};

/// A preset contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Format, or for Tardis the `exchange` column.
    pub venue: &'static str,
    /// Symbol as the data writes it.
    pub symbol: &'static str,
    /// Inverse (coin-margined) contract.
    pub inverse: bool,
    /// Price step.
    pub tick: &'static str,
    /// Quantity step.
    pub lot: &'static str,
    /// Quote units per contract (inverse only).
    pub contract_size: Option<&'static str>,
}

/// The presets.
pub const PRESETS: [Preset; 9] = [
    linear("binance", "BTCUSDT", "0.1", "0.001"),
    linear("binance", "ETHUSDT", "0.01", "0.001"),
    inverse("binance", "BTCUSD_PERP", "0.1", "1", "100"),
    linear("hyperliquid", "BTC", "1", "0.00001"),
    linear("lobster", "AAPL", "0.0001", "1"),
    linear("binance-futures", "BTCUSDT", "0.01", "0.001"),
    inverse("bitmex", "XBTUSD", "0.5", "1", "1"),
    inverse("deribit", "BTC-PERPETUAL", "0.5", "10", "10"),
    inverse("huobi-dm-swap", "BTC-USD", "0.1", "1", "100"),
];

const fn linear(
    venue: &'static str,
    symbol: &'static str,
    tick: &'static str,
    lot: &'static str,
) -> Preset {
    Preset {
        venue,
        symbol,
        inverse: false,
        tick,
        lot,
        contract_size: None,
    }
}

const fn inverse(
    venue: &'static str,
    symbol: &'static str,
    tick: &'static str,
    lot: &'static str,
    contract_size: &'static str,
) -> Preset {
    Preset {
        venue,
        symbol,
        inverse: true,
        tick,
        lot,
        contract_size: Some(contract_size),
    }
}

/// Binance-like tiers: (notional_max, mmr, imr), the last unbounded.
const LINEAR_TIERS: [(Option<&str>, &str, &str); 7] = [
    (Some("50000"), "0.004", "0.008"),
    (Some("250000"), "0.005", "0.01"),
    (Some("1000000"), "0.01", "0.02"),
    (Some("10000000"), "0.025", "0.05"),
    (Some("20000000"), "0.05", "0.1"),
    (Some("50000000"), "0.1", "0.2"),
    (None, "0.125", "0.25"),
];

/// Binance COIN-M-like tiers, in coin.
const INVERSE_TIERS: [(Option<&str>, &str, &str); 6] = [
    (Some("5"), "0.004", "0.008"),
    (Some("10"), "0.005", "0.01"),
    (Some("20"), "0.01", "0.02"),
    (Some("50"), "0.025", "0.05"),
    (Some("100"), "0.05", "0.1"),
    (None, "0.1", "0.2"),
];

/// What the data says of the symbol to replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detected {
    /// The symbol.
    pub symbol: Option<String>,
    /// Tardis: the `exchange` column.
    pub exchange: Option<String>,
    /// True when a file carries the exchange's mark price.
    pub mark_stream: bool,
    /// True when the input has an L2 (or L3) book; without one, top-of-book
    /// quotes make a one-level book.
    pub l2: bool,
}

/// The user's choices that override a preset (`--tick`, `--lot`, ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `linear` or `inverse`.
    pub contract: Option<String>,
    /// Price step.
    pub tick: Option<String>,
    /// Quantity step.
    pub lot: Option<String>,
    /// Contract size (inverse).
    pub contract_size: Option<String>,
    /// Mark policy.
    pub mark: Option<MarkPolicy>,
}

/// The preset for a symbol in a format (Tardis: on an exchange).
pub fn preset(format: Format, exchange: Option<&str>, symbol: &str) -> Option<Preset> {
    let venue = match format {
        Format::Tardis => exchange?,
        f => f.as_str(),
    };
    PRESETS
        .iter()
        .find(|p| p.venue == venue && p.symbol == symbol)
        .copied()
}

/// The instrument to replay: the preset of the detected (or given) symbol
/// with the overrides applied. An unknown symbol needs `--tick` and
/// `--lot`.
pub fn instrument_spec(
    format: Format,
    detected: &Detected,
    o: &Overrides,
) -> Result<InstrumentSpec, String> {
    let symbol = detected
        .symbol
        .clone()
        .unwrap_or_else(|| "REPLAY".to_string());
    let p = preset(format, detected.exchange.as_deref(), &symbol);
    let inverse = match o.contract.as_deref() {
        Some("linear") => false,
        Some("inverse") => true,
        Some(k) => return Err(format!("--contract: expected linear or inverse, not {k:?}")),
        None => p.is_some_and(|p| p.inverse),
    };
    let venue = match (format, detected.exchange.as_deref()) {
        (Format::Tardis, Some(e)) => format!("{format}, exchange {e}"),
        _ => format.to_string(),
    };
    let need = |v: &Option<String>, preset: Option<&str>, flag: &str| {
        v.clone().or(preset.map(str::to_string)).ok_or_else(|| {
            format!(
                "no preset for symbol {symbol} ({venue}): give {flag} (and --tick, --lot; \
                 presets: docs/replay.md)"
            )
        })
    };
    let tick = need(&o.tick, p.map(|p| p.tick), "--tick")?;
    let lot = need(&o.lot, p.map(|p| p.lot), "--lot")?;
    let contract_size = if inverse {
        Some(need(
            &o.contract_size,
            p.and_then(|p| p.contract_size),
            "--contract-size",
        )?)
    } else {
        None
    };
    let tiers: Vec<TierSpec> = if inverse {
        INVERSE_TIERS.iter()
    } else {
        LINEAR_TIERS.iter()
    }
    .map(|&(max, mmr, imr)| TierSpec {
        notional_max: max.map(str::to_string),
        mmr: mmr.into(),
        imr: imr.into(),
    })
    .collect();
    let mark = o.mark.unwrap_or(if detected.mark_stream {
        MarkPolicy::External
    } else {
        MarkPolicy::Median
    });
    Ok(InstrumentSpec {
        symbol,
        kind: if inverse { "inverse" } else { "linear" }.into(),
        tick,
        lot,
        tiers,
        contract_size,
        liquidation_fee: Some("0.005".into()),
        taker_fee: Some("0.0005".into()),
        maker_fee: Some("0.0002".into()),
        mark: Some(MarkSpec { policy: mark }),
        price_band: None,
        liquidation: None,
        breaker: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::Instrument;

    #[test]
    fn every_preset_makes_a_valid_instrument() {
        for p in PRESETS {
            let format = match p.venue {
                "binance" => Format::Binance,
                "hyperliquid" => Format::Hyperliquid,
                "lobster" => Format::Lobster,
                _ => Format::Tardis,
            };
            let d = Detected {
                symbol: Some(p.symbol.into()),
                exchange: Some(p.venue.into()),
                ..Detected::default()
            };
            let spec = instrument_spec(format, &d, &Overrides::default()).unwrap();
            let i = Instrument::new(&spec).unwrap();
            assert_eq!(i.is_inverse(), p.inverse, "{}", p.symbol);
            assert_eq!(i.mark, MarkPolicy::Median);
        }
    }

    #[test]
    fn unknown_symbols_need_steps_and_overrides_win() {
        let d = Detected {
            symbol: Some("DOGEUSDT".into()),
            ..Detected::default()
        };
        let e = instrument_spec(Format::Binance, &d, &Overrides::default()).unwrap_err();
        assert!(e.contains("--tick"), "{e}");
        let o = Overrides {
            tick: Some("0.00001".into()),
            lot: Some("1".into()),
            ..Overrides::default()
        };
        let spec = instrument_spec(Format::Binance, &d, &o).unwrap();
        assert_eq!((spec.tick.as_str(), spec.lot.as_str()), ("0.00001", "1"));
        let d = Detected {
            symbol: Some("BTCUSDT".into()),
            mark_stream: true,
            ..Detected::default()
        };
        let spec = instrument_spec(Format::Binance, &d, &Overrides::default()).unwrap();
        assert_eq!(spec.mark.unwrap().policy, MarkPolicy::External);
    }
}
