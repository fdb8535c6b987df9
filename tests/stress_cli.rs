//! The `stress` and `merge` subcommands as a user meets them: exit
//! statuses (0 success, 2 bad input, 1 anything else), errors as
//! `error: FILE:LINE: key: what is wrong` on standard error, never a
//! panic, and no progress bar when standard error is not a terminal.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GOOD: &str = r#"[[market]]
price = "100"
[market.instrument]
symbol = "X"
kind = "linear"
tick = "1"
lot = "1"
tiers = [{ mmr = "0.01", imr = "0.02" }]
[market.book]
levels = 20
size = "1"

[[population.account]]
id = 1
deposit = "6"
position = [{ symbol = "X", qty = "1", entry = "100" }]

[[shock]]
kind = "index"
symbol = "X"
move = ["-0.03", "-0.06"]
"#;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cascade-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn cascade(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `stress` on `config` and returns (status, stderr).
fn stress_with(name: &str, config: &str) -> (i32, String) {
    let d = tmp(name);
    fs::write(d.join("c.toml"), config).unwrap();
    let o = cascade(&["stress", "c.toml", "--out", "out"], &d);
    let r = (o.status.code().unwrap_or(-1), stderr(&o));
    let _ = fs::remove_dir_all(&d);
    r
}

#[test]
fn a_good_run_writes_its_folder_quietly() {
    let d = tmp("good");
    fs::write(d.join("c.toml"), GOOD).unwrap();
    let o = cascade(
        &[
            "stress",
            "c.toml",
            "--out",
            "out",
            "--threads",
            "2",
            "--seed",
            "3",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Not a terminal: no progress bar; the closing lines on stdout name
    // the worst scenario and the report.
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("Worst of "), "{stdout}");
    assert!(stdout.contains("amplification "), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("Report: out/report.html (scenarios.csv, steps.csv, summary.json)"),
        "{stdout}"
    );
    for f in [
        "scenarios.csv",
        "steps.csv",
        "summary.json",
        "report.html",
        "results.jsonl",
        "manifest.json",
    ] {
        assert!(d.join("out").join(f).is_file(), "{f}");
    }
    let o = cascade(
        &[
            "stress", "c.toml", "--out", "s0", "--shard", "0/2", "--quiet",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stderr.is_empty(), "--quiet: {}", stderr(&o));
    let o = cascade(
        &[
            "stress", "c.toml", "--out", "s1", "--shard", "1/2", "--quiet",
        ],
        &d,
    );
    assert_eq!(o.status.code(), Some(0));
    let o = cascade(&["stress", "c.toml", "--out", "whole", "--quiet"], &d);
    assert_eq!(o.status.code(), Some(0));
    let o = cascade(&["merge", "s0", "s1", "--out", "merged"], &d);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        fs::read(d.join("merged/scenarios.csv")).unwrap(),
        fs::read(d.join("whole/scenarios.csv")).unwrap()
    );
    fs::remove_dir_all(&d).unwrap();
}

#[test]
fn unknown_keys_wrong_types_and_impossible_values_name_key_and_line() {
    let cases: [(&str, &str, &str, &str); 9] = [
        // (name, replace this, with this, expected in the message)
        (
            "unknown",
            "levels = 20",
            "levels = 20\ndepth = 3",
            "c.toml:11: market[0].book.depth: unknown field `depth`",
        ),
        (
            "type",
            "levels = 20",
            "levels = \"twenty\"",
            "c.toml:10: market[0].book.levels: invalid type: string \"twenty\"",
        ),
        (
            "float",
            "size = \"1\"",
            "size = 1.5",
            "c.toml:11: market[0].book.size: invalid type: floating point",
        ),
        (
            "zero",
            "levels = 20",
            "levels = 0",
            "c.toml:10: market[0].book.levels: must be between 1",
        ),
        (
            "symbol",
            "symbol = \"X\"\nmove",
            "symbol = \"Y\"\nmove",
            "c.toml:20: shock[0].symbol: no market has symbol \"Y\"",
        ),
        (
            "move",
            "\"-0.06\"]",
            "\"-1.5\"]",
            "c.toml:21: shock[0].move: must be a non-zero fraction",
        ),
        (
            "tick",
            "price = \"100\"",
            "price = \"100.5\"",
            "c.toml:2: market[0].price:",
        ),
        (
            "tier",
            "mmr = \"0.01\"",
            "mmr = \"0.5\"",
            "c.toml:3: market[0].instrument: tier 1: imr must be in [mmr, 1]",
        ),
        ("syntax", "[[shock]]", "[[shock]", "c.toml:18:"),
    ];
    for (name, from, to, want) in cases {
        assert!(GOOD.contains(from), "{name}: {from}");
        let (code, err) = stress_with(name, &GOOD.replacen(from, to, 1));
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.starts_with("error: "), "{name}: {err}");
        assert!(err.contains(want), "{name}: expected {want:?} in {err:?}");
        assert!(
            !err.contains("panicked") && err.lines().count() == 1,
            "{name}: {err}"
        );
    }
}

#[test]
fn bad_usage_is_status_two_and_never_a_panic() {
    let d = tmp("usage");
    fs::write(d.join("c.toml"), GOOD).unwrap();
    for args in [
        vec!["stress", "missing.toml"],
        vec!["stress", "c.toml", "--threads", "0"],
        vec!["stress", "c.toml", "--shard", "2/2"],
        vec!["stress", "c.toml", "--shard", "x"],
        vec!["merge", "nowhere", "--out", "m"],
        vec!["merge"],
    ] {
        let o = cascade(&args, &d);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
    // A folder holding another run is refused, not overwritten.
    assert_eq!(
        cascade(&["stress", "c.toml", "--out", "o", "--quiet"], &d)
            .status
            .code(),
        Some(0)
    );
    let o = cascade(
        &["stress", "c.toml", "--out", "o", "--seed", "9", "--quiet"],
        &d,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("manifest.json: this folder holds another run"),
        "{}",
        stderr(&o)
    );
    fs::remove_dir_all(&d).unwrap();
}
