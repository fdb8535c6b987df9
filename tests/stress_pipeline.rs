//! The stress pipeline end to end, through the library: the results
//! folder is byte-identical whatever the thread count, the merge of its
//! shards equals the unsharded run byte for byte, an interrupted run
//! resumes without recomputing what it finished, and a folder of another
//! run is refused.

use std::fs;
use std::path::{Path, PathBuf};

use cascade::stress::outputs::FILES;
use cascade::stress::{merge, stress, Shard, StressError, StressOptions};

const CONFIG: &str = r#"
seeds = 2
seed = 5

[[market]]
price = "1000"
open_interest = "2000000"
insurance = ["0", "20000"]
[market.instrument]
symbol = "AAA"
kind = "linear"
tick = "0.1"
lot = "0.01"
liquidation_fee = "0.005"
tiers = [{ notional_max = "100000", mmr = "0.01", imr = "0.02" }, { mmr = "0.02", imr = "0.04" }]
[market.book]
levels = 30
half_spread_ticks = 2
gap_ticks = 10
size = "5"
growth = "0.3"
[market.liquidity]
refill = "0.4"
widen = "0.5"

[[market]]
price = "50"
open_interest = "800000"
[market.instrument]
symbol = "BBB"
kind = "linear"
tick = "0.01"
lot = "0.1"
tiers = [{ mmr = "0.02", imr = "0.04" }]
[market.book]
levels = 20
gap_ticks = 5
size = "50"

[population.generate]
accounts = 300
size = { dist = "pareto", alpha = "1.8" }
leverage = { dist = "uniform", min = "3", max = "30" }
long_share = "0.7"
isolated_share = "0.2"
stop_loss_share = "0.2"
multi_share = "0.4"
entry_spread = "0.01"

[[shock]]
kind = "index"
symbol = "AAA"
move = ["-0.03", "-0.08"]
steps = 3
"#;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("cascade-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn options(config: &Path, out: &Path, threads: usize, shard: Shard) -> StressOptions {
    StressOptions {
        config: config.to_path_buf(),
        out: out.to_path_buf(),
        threads,
        shard,
        seed: None,
        quiet: true,
    }
}

fn assert_same_files(a: &Path, b: &Path) {
    for f in FILES {
        let x = fs::read(a.join(f)).unwrap_or_else(|e| panic!("{}: {e}", a.join(f).display()));
        let y = fs::read(b.join(f)).unwrap_or_else(|e| panic!("{}: {e}", b.join(f).display()));
        assert!(
            x == y,
            "{f} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn outputs_do_not_depend_on_threads_and_shards_merge_into_the_whole() {
    let tmp = TempDir::new("pipeline");
    let config = tmp.path().join("c.toml");
    fs::write(&config, CONFIG).unwrap();
    let one = tmp.path().join("one");
    let three = tmp.path().join("three");
    let r = stress(&options(&config, &one, 1, Shard::WHOLE)).unwrap();
    assert_eq!((r.scenarios, r.resumed), (8, 0));
    stress(&options(&config, &three, 3, Shard::WHOLE)).unwrap();
    assert_same_files(&one, &three);

    // Something happened, and money balanced in every scenario.
    let csv = fs::read_to_string(one.join("scenarios.csv")).unwrap();
    assert_eq!(csv.lines().count(), 9);
    let summary: serde_json::Value =
        serde_json::from_slice(&fs::read(one.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["conservation_residual"], "0");
    assert!(
        summary["totals"]["liquidations"].as_i64().unwrap() > 0,
        "{summary}"
    );
    let report = fs::read_to_string(one.join("report.html")).unwrap();
    assert!(report.contains("<svg") && report.contains("insurance="));

    // Three shards, one of them on two threads, merged.
    let mut dirs = Vec::new();
    for i in 0..3 {
        let d = tmp.path().join(format!("shard{i}"));
        let shard = Shard { index: i, count: 3 };
        stress(&options(&config, &d, 1 + i as usize % 2, shard)).unwrap();
        dirs.push(d);
    }
    let merged = tmp.path().join("merged");
    let m = merge(&dirs, &merged).unwrap();
    assert_eq!(m.scenarios, 8);
    assert_same_files(&one, &merged);

    // A missing shard is named.
    let e = merge(&dirs[..2], &tmp.path().join("bad")).unwrap_err();
    assert!(matches!(e, StressError::Input { .. }), "{e}");
    assert!(e.to_string().contains("missing"), "{e}");
    // The output may not be an input.
    assert!(merge(&dirs, &dirs[0]).is_err());
}

#[test]
fn an_interrupted_run_resumes_without_recomputing() {
    let tmp = TempDir::new("resume");
    let config = tmp.path().join("c.toml");
    fs::write(&config, CONFIG).unwrap();
    let whole = tmp.path().join("whole");
    stress(&options(&config, &whole, 2, Shard::WHOLE)).unwrap();

    // Simulate a crash: three records journaled (out of order), a torn
    // fourth line, no final files.
    let part = tmp.path().join("part");
    fs::create_dir_all(&part).unwrap();
    let journal = fs::read_to_string(whole.join("results.jsonl")).unwrap();
    let lines: Vec<&str> = journal.lines().collect();
    let mut torn = format!("{}\n{}\n{}\n", lines[5], lines[0], lines[2]);
    torn.push_str(&lines[3][..lines[3].len() / 2]);
    fs::write(part.join("results.jsonl"), torn).unwrap();
    // The manifest of an unfinished run: no journal entry yet.
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(whole.join("manifest.json")).unwrap()).unwrap();
    manifest.as_object_mut().unwrap().remove("journal").unwrap();
    fs::write(
        part.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let r = stress(&options(&config, &part, 2, Shard::WHOLE)).unwrap();
    assert_eq!((r.scenarios, r.resumed), (8, 3));
    assert_same_files(&whole, &part);

    // Rerunning a finished run recomputes nothing and rewrites the same bytes.
    let r = stress(&options(&config, &part, 1, Shard::WHOLE)).unwrap();
    assert_eq!(r.resumed, 8);
    assert_same_files(&whole, &part);

    // Another seed is another run: its folder is refused, not overwritten.
    let mut other = options(&config, &part, 1, Shard::WHOLE);
    other.seed = Some(99);
    let e = stress(&other).unwrap_err();
    assert!(e.is_input(), "{e}");
    assert!(e.to_string().contains("another run"), "{e}");
}
