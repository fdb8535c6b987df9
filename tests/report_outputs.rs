//! The report writers on a small hand-made result table: the summary's
//! exact totals, the HTML page's sections, charts and side-by-side table,
//! and that the same input gives the same bytes.

use cascade::report::html::report_html;
use cascade::report::results::{AxisMeta, Results};
use cascade::report::summary::summary_json;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn summary_and_page_from_a_two_by_two_grid() {
    let columns = strings(&[
        "scenario",
        "point",
        "rep",
        "seed",
        "market[0].instrument.breaker",
        "shock[0].move",
        "shock_size",
        "amplification",
        "liquidated_notional",
        "socialized_loss",
        "accounts_liquidated",
        "conservation_residual",
        "steps",
    ]);
    let rows: Vec<Vec<String>> = [
        [
            "0",
            "0",
            "0",
            "11",
            "{}",
            "-0.02",
            "0.02",
            "1.1",
            "1000.000000000001",
            "0",
            "3",
            "0",
            "2",
        ],
        [
            "1", "1", "0", "11", "{}", "-0.05", "0.05", "1.5", "5000", "12.5", "9", "0", "4",
        ],
        [
            "2",
            "2",
            "0",
            "11",
            "{halt_move=0.02}",
            "-0.02",
            "0.02",
            "1.1",
            "1000",
            "0",
            "3",
            "0",
            "2",
        ],
        [
            "3",
            "3",
            "0",
            "11",
            "{halt_move=0.02}",
            "-0.05",
            "0.05",
            "0.8",
            "2500",
            "0",
            "5",
            "0",
            "2",
        ],
    ]
    .iter()
    .map(|r| strings(r))
    .collect();
    let step_columns = ["scenario", "insurance_before", "insurance_after"];
    let steps: Vec<Vec<String>> = [["1", "100", "90"], ["1", "90", "70"], ["3", "100", "95"]]
        .iter()
        .map(|r| strings(r))
        .collect();
    let r = Results {
        config_hash: "abc",
        shard: None,
        scenarios_total: 4,
        points: 4,
        seeds: 1,
        seed: 11,
        columns: &columns,
        rows: rows.iter().map(|r| r.as_slice()).collect(),
        step_columns: &step_columns,
        steps: steps.iter().map(|r| r.as_slice()).collect(),
        axes: vec![
            AxisMeta {
                key: "market[0].instrument.breaker".into(),
                shock: false,
                values: strings(&["{}", "{halt_move=0.02}"]),
            },
            AxisMeta {
                key: "shock[0].move".into(),
                shock: true,
                values: strings(&["-0.02", "-0.05"]),
            },
        ],
        markets: vec![("BTCUSDT".into(), "USDT".into())],
        about: "What does a breaker change?",
    };

    let summary: serde_json::Value = serde_json::from_slice(&summary_json(&r)).unwrap();
    assert_eq!(summary["conservation_residual"], "0");
    assert_eq!(
        summary["totals"]["liquidated_notional"],
        "9500.000000000001"
    );
    assert_eq!(summary["totals"]["socialized_loss"], "12.5");
    assert_eq!(summary["totals"]["steps"], 10);
    assert_eq!(summary["max"]["amplification"]["scenario"], 1);
    assert_eq!(summary["scenarios"], 4);
    assert!(summary.get("shard").is_none());

    let page = String::from_utf8(report_html(&r)).unwrap();
    assert_eq!(
        page.matches("<svg").count(),
        4,
        "three charts against shock size and the fund"
    );
    assert_eq!(page.matches("</svg>").count(), 4);
    for section in [
        "Totals",
        "Amplification",
        "Insurance fund",
        "Mitigations side by side",
        "Grid",
    ] {
        assert!(page.contains(section), "{section}");
    }
    // One line (and one table column) per mitigation, named by the short key.
    assert!(page.contains("<th class=\"l\">breaker={}</th>"));
    assert!(page.contains("<th class=\"l\">breaker={halt_move=0.02}</th>"));
    // The side-by-side cell of the 5% shock without a breaker.
    assert!(
        page.contains("<td>1.500x<br>5000<br>12.5<br>9</td>"),
        "{page}"
    );
    // The fund chart of the largest shock starts at 100 and falls to 70.
    assert!(page.contains("(0, 100)") && page.contains("(2, 70)"));
    assert!(!page.contains("NaN") && !page.contains("inf"));
    assert_eq!(page.as_bytes(), report_html(&r).as_slice());
}
