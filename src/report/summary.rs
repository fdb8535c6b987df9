//! `summary.json`: counts and exact totals over the scenario table, the
//! conservation residual (the sum of every scenario's, which must be
//! `"0"`), and the worst scenario for the headline measures.
//!
//! Must not: use floating point for a total: sums of money are exact sums
//! of the exact cells.

use serde_json::{json, Map, Value};

use super::results::{parse_scaled, Results};
use crate::types::format_fixed;

/// Integer columns summed into `totals`.
const COUNTS: [&str; 7] = [
    "cascades",
    "steps",
    "accounts_liquidated",
    "liquidations",
    "halts",
    "setup_liquidations",
    "stabilise_steps",
];

/// Money columns summed exactly into `totals`.
const AMOUNTS: [&str; 5] = [
    "liquidated_notional",
    "insurance_drawdown",
    "bad_debt",
    "adl_notional",
    "socialized_loss",
];

/// Columns whose largest value (and its scenario) is reported.
const WORST: [(&str, u32); 5] = [
    ("amplification", 8),
    ("liquidated_notional", 12),
    ("socialized_loss", 12),
    ("bad_debt", 12),
    ("steps", 0),
];

/// The summary as pretty JSON with a final newline. Unparsable cells
/// (which a run never writes) count as missing.
pub fn summary_json(r: &Results) -> Vec<u8> {
    let mut root = Map::new();
    root.insert("format".into(), json!("cascade-stress-summary/1"));
    root.insert("config_hash".into(), json!(r.config_hash));
    if let Some(s) = r.shard {
        root.insert("shard".into(), json!(s));
    }
    root.insert("scenarios".into(), json!(r.rows.len()));
    root.insert("scenarios_total".into(), json!(r.scenarios_total));
    root.insert("grid_points".into(), json!(r.points));
    root.insert("seeds".into(), json!(r.seeds));
    root.insert("seed".into(), json!(r.seed));
    root.insert("steps_rows".into(), json!(r.steps.len()));
    let sum = |name: &str, scale: u32| -> i128 {
        r.col(name)
            .map(|c| {
                r.rows
                    .iter()
                    .filter_map(|row| parse_scaled(row.get(c)?, scale))
                    .fold(0i128, |a, v| a.saturating_add(v))
            })
            .unwrap_or(0)
    };
    root.insert(
        "conservation_residual".into(),
        json!(format_fixed(sum("conservation_residual", 12), 12)),
    );
    let mut totals = Map::new();
    for name in COUNTS {
        totals.insert(name.into(), json!(sum(name, 0) as i64));
    }
    for name in AMOUNTS {
        totals.insert(name.into(), json!(format_fixed(sum(name, 12), 12)));
    }
    root.insert("totals".into(), Value::Object(totals));
    let mut worst = Map::new();
    let id_col = r.col("scenario");
    for (name, scale) in WORST {
        let Some(c) = r.col(name) else { continue };
        // Largest value; ties go to the lowest scenario id (rows are in id
        // order and only a strictly larger value replaces the best).
        let mut best: Option<(i128, usize)> = None;
        for (i, row) in r.rows.iter().enumerate() {
            if let Some(v) = row.get(c).and_then(|s| parse_scaled(s, scale)) {
                if best.is_none_or(|(b, _)| v > b) {
                    best = Some((v, i));
                }
            }
        }
        if let Some((v, i)) = best {
            let scenario = id_col
                .and_then(|k| r.rows[i].get(k))
                .and_then(|s| s.parse::<u64>().ok());
            worst.insert(
                name.into(),
                json!({"value": format_fixed(v, scale), "scenario": scenario}),
            );
        }
    }
    root.insert("max".into(), Value::Object(worst));
    // Serializing a tree of strings and numbers cannot fail.
    let mut s = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_exact_and_the_residual_is_summed() {
        let columns: Vec<String> = [
            "scenario",
            "steps",
            "liquidated_notional",
            "conservation_residual",
            "amplification",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows = [
            vec!["0", "2", "0.1", "0", "1.5"],
            vec!["1", "3", "0.2", "0", ""],
        ]
        .map(|r| r.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let r = Results {
            config_hash: "h",
            shard: None,
            scenarios_total: 2,
            points: 1,
            seeds: 2,
            seed: 0,
            columns: &columns,
            rows: rows.iter().map(|r| r.as_slice()).collect(),
            step_columns: &[],
            steps: vec![],
            axes: vec![],
            markets: vec![],
            about: "",
        };
        let v: Value = serde_json::from_slice(&summary_json(&r)).unwrap();
        assert_eq!(v["conservation_residual"], "0");
        assert_eq!(v["totals"]["liquidated_notional"], "0.3");
        assert_eq!(v["totals"]["steps"], 5);
        assert_eq!(v["max"]["amplification"]["value"], "1.5");
        assert_eq!(v["max"]["steps"]["scenario"], 1);
    }
}
