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
    // One pass over the rows: the sums and the largest values.
    let summed: Vec<(&str, u32)> = std::iter::once(("conservation_residual", 12))
        .chain(COUNTS.iter().map(|n| (*n, 0)))
        .chain(AMOUNTS.iter().map(|n| (*n, 12)))
        .collect();
    let sum_cols: Vec<Option<usize>> = summed.iter().map(|(n, _)| r.col(n)).collect();
    let mut sums = vec![0i128; summed.len()];
    let worst_cols: Vec<Option<usize>> = WORST.iter().map(|(n, _)| r.col(n)).collect();
    // Largest value and its scenario; ties go to the lowest scenario id
    // (rows are in id order and only a strictly larger value replaces the
    // best).
    let mut best: Vec<Option<(i128, Option<u64>)>> = vec![None; WORST.len()];
    let id_col = r.col("scenario");
    r.rows.for_each(|_, row| {
        for ((total, c), (_, scale)) in sums.iter_mut().zip(&sum_cols).zip(&summed) {
            if let Some(v) = c.and_then(|c| parse_scaled(row.get(c)?, *scale)) {
                *total = total.saturating_add(v);
            }
        }
        for ((b, c), (_, scale)) in best.iter_mut().zip(&worst_cols).zip(WORST) {
            if let Some(v) = c.and_then(|c| parse_scaled(row.get(c)?, scale)) {
                if b.is_none_or(|(x, _)| v > x) {
                    let scenario = id_col
                        .and_then(|k| row.get(k))
                        .and_then(|s| s.parse::<u64>().ok());
                    *b = Some((v, scenario));
                }
            }
        }
    });
    let sum = |name: &str| -> i128 {
        summed
            .iter()
            .position(|(n, _)| *n == name)
            .map_or(0, |i| sums[i])
    };
    root.insert(
        "conservation_residual".into(),
        json!(format_fixed(sum("conservation_residual"), 12)),
    );
    let mut totals = Map::new();
    for name in COUNTS {
        totals.insert(name.into(), json!(sum(name) as i64));
    }
    for name in AMOUNTS {
        totals.insert(name.into(), json!(format_fixed(sum(name), 12)));
    }
    root.insert("totals".into(), Value::Object(totals));
    let mut worst = Map::new();
    for ((name, scale), b) in WORST.iter().zip(best) {
        if let Some((v, scenario)) = b {
            worst.insert(
                (*name).into(),
                json!({"value": format_fixed(v, *scale), "scenario": scenario}),
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
    use crate::report::results::Rows;

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
            steps: Rows::Memory(vec![]),
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
