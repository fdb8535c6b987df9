//! Words for what a stress grid varies, as a risk researcher reads them:
//! a mitigation value such as `breaker={}` becomes "no breaker",
//! `liquidation={mode=partial, max_fraction=0.5}` becomes "partial
//! liquidation, at most 50% per step"; the shock axis gets its quantity
//! and unit ("index move, % of the price").
//!
//! Owns: short names of dotted keys and these phrasings.
//! Must not: read anything but the key and the value as written.

use super::units;

/// Short names for axis keys: the fewest trailing segments that still
/// tell the keys apart (`market[0].instrument.breaker` gives `breaker`,
/// unless another key also ends in `breaker`).
pub fn short_keys(keys: &[&str]) -> Vec<String> {
    let split: Vec<Vec<&str>> = keys.iter().map(|k| k.split('.').collect()).collect();
    let tail = |parts: &[&str], n: usize| parts[parts.len().saturating_sub(n)..].join(".");
    split
        .iter()
        .map(|parts| {
            (1..=parts.len())
                .map(|n| tail(parts, n))
                .find(|t| {
                    split
                        .iter()
                        .filter(|o| tail(o, t.split('.').count()) == *t)
                        .count()
                        == 1
                })
                .unwrap_or_else(|| parts.join("."))
        })
        .collect()
}

/// The `name=value` pairs of an inline table as written (`{a=1, b=x}`);
/// `None` when `v` is not one.
fn table_pairs(v: &str) -> Option<Vec<(&str, &str)>> {
    let inner = v.trim().strip_prefix('{')?.strip_suffix('}')?.trim();
    if inner.is_empty() {
        return Some(Vec::new());
    }
    inner
        .split(',')
        .map(|p| p.split_once('=').map(|(k, v)| (k.trim(), v.trim())))
        .collect()
}

/// A fraction as a percentage (`0.02` gives `2%`).
fn percent(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(f) => format!("{}%", units::amount(f * 100.0)),
        Err(_) => v.to_string(),
    }
}

/// The last segment of a dotted key, without an index (`market[0].insurance`
/// gives `insurance`).
fn leaf(key: &str) -> &str {
    let last = key.rsplit('.').next().unwrap_or(key);
    last.split('[').next().unwrap_or(last)
}

/// One mitigation value in words. `short` is the key as the page names it;
/// `money` is the settlement asset for amounts of money.
pub fn value_words(short: &str, value: &str, money: &str) -> String {
    let pairs = table_pairs(value);
    match (leaf(short), pairs) {
        ("breaker", Some(p)) if p.is_empty() => "no breaker".to_string(),
        ("breaker", Some(p)) => {
            let parts: Vec<String> = p
                .iter()
                .map(|(k, v)| match *k {
                    "halt_move" => format!("halt beyond a {} move", percent(v)),
                    "step_notional_cap" => format!(
                        "at most {} liquidated per step",
                        units::money(v.parse().unwrap_or(f64::NAN), money)
                    ),
                    _ => format!("{k} {v}"),
                })
                .collect();
            format!("breaker: {}", parts.join(", "))
        }
        ("liquidation", Some(p)) => {
            let mode = p.iter().find(|(k, _)| *k == "mode").map_or("full", |m| m.1);
            let mut parts = vec![format!("{mode} liquidation")];
            for (k, v) in &p {
                match *k {
                    "mode" => {}
                    "max_fraction" => parts.push(format!("at most {} per step", percent(v))),
                    "price_limit" if *v == "none" => parts.push("no price limit".into()),
                    "price_limit" if *v == "bankruptcy" => {
                        parts.push("down to the bankruptcy price".into())
                    }
                    "price_limit" => parts.push(format!("within {} of the mark", percent(v))),
                    _ => parts.push(format!("{k} {v}")),
                }
            }
            parts.join(", ")
        }
        ("insurance", _) => match value.parse::<f64>() {
            Ok(v) => format!("{} {}", words_of(short), units::money(v, money)),
            Err(_) => format!("{} {value}", words_of(short)),
        },
        (l, _) if l.ends_with("_share") => format!("{} {}", words_of(short), percent(value)),
        ("move", _) => format!("{} move {}", shock_name(short), percent(value)),
        ("halt_move", _) => format!("breaker: halt beyond a {} move", percent(value)),
        ("step_notional_cap", _) => format!(
            "breaker: at most {} liquidated per step",
            units::money(value.parse().unwrap_or(f64::NAN), money)
        ),
        ("max_fraction", _) => format!("partial liquidation, at most {} per step", percent(value)),
        ("mode", _) => format!("{value} liquidation"),
        _ => format!("{} {value}", words_of(short)),
    }
}

/// `shock`, or `shock 2` for the second shock of a config (`shock[1].move`).
fn shock_name(key: &str) -> String {
    match key
        .strip_prefix("shock[")
        .and_then(|r| r.split(']').next())
        .and_then(|i| i.parse::<u32>().ok())
    {
        Some(i) if i > 0 => format!("shock {}", i + 1),
        _ => "shock".to_string(),
    }
}

/// A grid point in words: its values joined (`no breaker, full
/// liquidation`); `pairs` are (short key, value as written).
pub fn point_words(pairs: &[(String, &str)], money: &str) -> String {
    pairs
        .iter()
        .map(|(k, v)| value_words(k, v, money))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A key in words: underscores become spaces, the population prefix goes
/// (`population.generate.isolated_share` gives `isolated share`).
fn words_of(short: &str) -> String {
    let s = short
        .strip_prefix("population.generate.")
        .unwrap_or(short)
        .replace('_', " ");
    match s.as_str() {
        "insurance" => "insurance fund".to_string(),
        _ => s,
    }
}

/// What the shock axis measures and its unit, from the key of the shock
/// column (`shock[0].move`), and the factor from a `shock_size` value to
/// the number on that axis.
pub fn shock_axis(keys: &[&str]) -> (String, f64) {
    let shock_keys: Vec<&&str> = keys.iter().filter(|k| k.starts_with("shock")).collect();
    let leafs: Vec<&str> = shock_keys.iter().map(|k| leaf(k)).collect();
    if !leafs.is_empty() && leafs.iter().all(|l| *l == "move") {
        (
            "shock: |index or mark move|, % of the price".to_string(),
            100.0,
        )
    } else if !leafs.is_empty() && leafs.iter().all(|l| *l == "qty") {
        (
            "shock: market order size, lots of the instrument".to_string(),
            1.0,
        )
    } else if !leafs.is_empty() && leafs.iter().all(|l| *l == "rate") {
        ("shock: |funding rate|, %".to_string(), 100.0)
    } else {
        (
            "shock size (|move| as a fraction, order quantity or |funding rate|)".to_string(),
            1.0,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mitigations_in_words() {
        assert_eq!(value_words("breaker", "{}", "USDT"), "no breaker");
        assert_eq!(
            value_words("breaker", "{halt_move=0.02}", "USDT"),
            "breaker: halt beyond a 2% move"
        );
        assert_eq!(
            value_words(
                "breaker",
                "{halt_move=0.015, step_notional_cap=1000000}",
                "USDT"
            ),
            "breaker: halt beyond a 1.5% move, at most 1 M USDT liquidated per step"
        );
        assert_eq!(
            value_words("liquidation", "{mode=full}", "USDT"),
            "full liquidation"
        );
        assert_eq!(
            value_words("liquidation", "{mode=partial, max_fraction=0.5}", "USDT"),
            "partial liquidation, at most 50% per step"
        );
        assert_eq!(
            value_words("insurance", "5000000", "USDT"),
            "insurance fund 5 M USDT"
        );
        assert_eq!(
            value_words("isolated_share", "0.5", "USDT"),
            "isolated share 50%"
        );
        assert_eq!(value_words("refill", "0.3", "USDT"), "refill 0.3");
        assert_eq!(
            value_words("halt_move", "0.015", "USDT"),
            "breaker: halt beyond a 1.5% move"
        );
        assert_eq!(
            value_words("shock[0].move", "-0.1", "USDT"),
            "shock move -10%"
        );
        assert_eq!(
            value_words("shock[1].move", "0.05", "USDT"),
            "shock 2 move 5%"
        );
        assert_eq!(
            short_keys(&[
                "market[0].instrument.breaker",
                "market[0].insurance",
                "market[1].insurance"
            ]),
            ["breaker", "market[0].insurance", "market[1].insurance"]
        );
        assert_eq!(
            value_words("market[1].insurance", "0", "USDT"),
            "market[1].insurance 0 USDT"
        );
    }

    #[test]
    fn shock_axes_have_units() {
        assert_eq!(shock_axis(&["shock[0].move"]).1, 100.0);
        assert!(shock_axis(&["shock[0].move"]).0.contains('%'));
        assert!(shock_axis(&["shock[1].qty"]).0.contains("lots"));
        assert!(shock_axis(&[]).0.contains("fraction"));
    }
}
