//! Amounts as people read them: money with its settlement asset
//! (`4.34 M USDT`, `0.52 BTC`), quantities with their unit, three
//! significant digits, and the settlement asset and quantity unit of an
//! instrument named from its symbol.
//!
//! Must not: be used for what programs read (CSV and JSON cells stay exact
//! decimals), or print a number in a way that depends on the platform
//! (no logarithms: powers of ten by exact steps).

/// Quote assets a symbol may end in, longest first where one ends another.
const QUOTES: [&str; 6] = ["FDUSD", "USDT", "USDC", "BUSD", "USD", "EUR"];
/// Contract suffixes that are not part of the pair.
const SUFFIXES: [&str; 5] = ["-PERPETUAL", "_PERP", "-PERP", "-SWAP", "PERP"];
/// Where a settlement asset cannot be told from the symbol.
pub const QUOTE_UNITS: &str = "quote units";

/// The symbol without its contract suffix, split at its separator
/// (`BTC-USD` gives `("BTC", Some("USD"))`).
fn pair(symbol: &str) -> (String, Option<String>) {
    let mut s = symbol.to_ascii_uppercase();
    for suffix in SUFFIXES {
        if let Some(stripped) = s.strip_suffix(suffix) {
            s = stripped.to_string();
            break;
        }
    }
    match s.split_once(['-', '_', '/']) {
        Some((base, quote)) => (base.to_string(), Some(quote.to_string())),
        None => match QUOTES.iter().find(|q| s.len() > q.len() && s.ends_with(*q)) {
            Some(q) => (s[..s.len() - q.len()].to_string(), Some(q.to_string())),
            None => (s, None),
        },
    }
}

/// The asset money is settled in: the quote of a linear contract
/// (`BTCUSDT` gives `USDT`), the coin of an inverse one (`BTCUSD_PERP`,
/// `BTC-PERPETUAL` and `XBTUSD` give `BTC`, `BTC`, `XBT`); `quote units`
/// (linear) or the symbol (inverse) where the symbol does not say.
pub fn settlement_asset(symbol: &str, inverse: bool) -> String {
    let (base, quote) = pair(symbol);
    if inverse {
        base
    } else {
        quote.unwrap_or_else(|| QUOTE_UNITS.to_string())
    }
}

/// The unit of a quantity: the base asset of a linear contract
/// (`BTCUSDT` gives `BTC`; a bare `AAPL` gives `AAPL`), contracts of an
/// inverse one.
pub fn quantity_unit(symbol: &str, inverse: bool) -> String {
    if inverse {
        "contracts".to_string()
    } else {
        pair(symbol).0
    }
}

/// `v` to three significant digits with a `k`, `M` or `G` multiplier
/// (`4.34 M`, `20 k`, `0.52`, `-3.6`, `0`).
pub fn amount(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    const SCALES: [(f64, &str); 4] = [(1e9, " G"), (1e6, " M"), (1e3, " k"), (1.0, "")];
    let a = v.abs();
    for (i, &(scale, suffix)) in SCALES.iter().enumerate() {
        if a < scale && scale > 1.0 {
            continue;
        }
        let text = significant(v / scale, 3);
        // Rounding up to 1000 moves to the next multiplier (999,999 is 1 M).
        if i > 0 && text.trim_start_matches('-').starts_with("1000") {
            return format!("{}{}", significant(v / SCALES[i - 1].0, 3), SCALES[i - 1].1);
        }
        return format!("{text}{suffix}");
    }
    significant(v, 3)
}

/// `v` rounded to `digits` significant digits, trailing zeros dropped.
fn significant(v: f64, digits: u32) -> String {
    let a = v.abs();
    // Decimals so that `digits` digits show: count the powers of ten.
    let mut decimals: i32 = digits as i32 - 1;
    let mut p = 1.0f64;
    while a >= p * 10.0 && decimals > 0 {
        p *= 10.0;
        decimals -= 1;
    }
    let mut q = 1.0f64;
    while a < q && a > 0.0 && decimals < 18 {
        q /= 10.0;
        decimals += 1;
    }
    let s = format!("{v:.prec$}", prec = decimals.max(0) as usize);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

/// Money for people: `4.34 M USDT`.
pub fn money(v: f64, asset: &str) -> String {
    format!("{} {asset}", amount(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_assets_from_symbols() {
        assert_eq!(settlement_asset("BTCUSDT", false), "USDT");
        assert_eq!(settlement_asset("ETHUSDC", false), "USDC");
        assert_eq!(settlement_asset("BTCFDUSD", false), "FDUSD");
        assert_eq!(settlement_asset("ETH-USDT-SWAP", false), "USDT");
        assert_eq!(settlement_asset("BTCUSD_PERP", true), "BTC");
        assert_eq!(settlement_asset("BTC-PERPETUAL", true), "BTC");
        assert_eq!(settlement_asset("XBTUSD", true), "XBT");
        assert_eq!(settlement_asset("BTC-USD", true), "BTC");
        assert_eq!(settlement_asset("X", false), QUOTE_UNITS);
        assert_eq!(settlement_asset("USDT", false), QUOTE_UNITS);
        assert_eq!(quantity_unit("BTCUSDT", false), "BTC");
        assert_eq!(quantity_unit("AAPL", false), "AAPL");
        assert_eq!(quantity_unit("BTCUSD_PERP", true), "contracts");
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(money(4_344_123.0, "USDT"), "4.34 M USDT");
        assert_eq!(money(0.52, "BTC"), "0.52 BTC");
        assert_eq!(amount(0.0), "0");
        assert_eq!(amount(20_000.0), "20 k");
        assert_eq!(amount(2_373.4), "2.37 k");
        assert_eq!(amount(999.96), "1 k");
        assert_eq!(amount(999_999.0), "1 M");
        assert_eq!(amount(6.789), "6.79");
        assert_eq!(amount(-3.6), "-3.6");
        assert_eq!(amount(0.000_123_4), "0.000123");
        assert_eq!(amount(-0.000_000_000_000_000_000_1), "0");
        assert_eq!(amount(123.4), "123");
        assert_eq!(amount(2.5e12), "2500 G");
        assert_eq!(amount(f64::NAN), "-");
    }
}
