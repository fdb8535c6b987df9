//! Stress and merge outputs that cannot lie, as an operator meets them
//! through the CLI: one run at a time per folder (a second is refused with
//! status 2, naming the holder; a killed holder releases the folder and
//! its stale temporaries are removed), merges that refuse another run's
//! folder as `--out`, and bad folders refused with status 2.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A run that takes a few seconds (so that another can start meanwhile).
const SLOW: &str = r#"seeds = 100
[[market]]
price = "60000"
open_interest = "300000000"
[market.instrument]
symbol = "BTCUSDT"
kind = "linear"
tick = "0.1"
lot = "0.001"
tiers = [{ mmr = "0.005", imr = "0.01" }]
[market.book]
levels = 100
half_spread_ticks = 5
gap_ticks = 100
size = "0.5"
[population.generate]
accounts = 20000
size = { dist = "lognormal", sigma = "1.2" }
leverage = { dist = "uniform", min = "2", max = "50" }
[[shock]]
kind = "index"
symbol = "BTCUSDT"
move = "-0.05"
steps = 5
"#;

/// A small run.
const SMALL: &str = r#"[[market]]
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

/// A market whose starting book is a replay sample (`SAMPLE`, at `AT`).
const REPLAY: &str = r#"
[[market]]
price = "100"
[market.instrument]
symbol = "X"
kind = "linear"
tick = "1"
lot = "1"
tiers = [{ mmr = "0.01", imr = "0.02" }]
[market.replay]
format = "tardis"
files = ["SAMPLE"]
at = AT

[[shock]]
kind = "market_order"
symbol = "X"
side = "sell"
qty = "3"
"#;

struct Tmp(PathBuf);

impl Tmp {
    fn new(name: &str) -> Tmp {
        let d = std::env::temp_dir().join(format!("cascade-integ-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        Tmp(d)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn cascade(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn spawn(args: &[&str], dir: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn status(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Waits until `path` exists (a run has started writing), at most 60 s.
fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the first run ended before writing {}",
            path.display()
        );
        assert!(start.elapsed() < Duration::from_secs(60), "timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Before the lock, a second run into a busy folder resumed it (status 0)
/// and both appended to one journal.
#[test]
fn a_second_run_into_a_busy_folder_is_refused_naming_the_holder() {
    let t = Tmp::new("lock");
    fs::write(t.path().join("slow.toml"), SLOW).unwrap();
    fs::create_dir_all(t.path().join("out")).unwrap();
    // A temporary left by a run killed long ago.
    fs::write(t.path().join("out/.results.jsonl.tmp-4194301"), b"{").unwrap();
    let args = ["stress", "slow.toml", "--out", "out", "--threads", "1"];
    let mut first = spawn(&args, t.path());
    wait_for(&t.path().join("out/manifest.json"), &mut first);
    let second = cascade(&args, t.path());
    let first_still_running = first.try_wait().unwrap().is_none();
    assert_eq!(status(&second), 2, "{}", stderr(&second));
    let msg = stderr(&second);
    assert!(
        msg.contains("in use by another cascade run")
            && msg.contains(&format!("process {}", first.id()))
            && msg.contains("cascade stress"),
        "{msg}"
    );
    assert!(first_still_running, "the check needs the first run alive");
    // Merging into the busy folder is refused too.
    let merge = cascade(&["merge", "out", "--out", "out"], t.path());
    assert_eq!(status(&merge), 2, "{}", stderr(&merge));
    // Killed, the holder releases the folder; the stale temporary is gone
    // once the next run takes the lock, and that run resumes.
    first.kill().unwrap();
    first.wait().unwrap();
    let again = cascade(
        &["stress", "slow.toml", "--out", "out", "--quiet"],
        t.path(),
    );
    assert_eq!(status(&again), 0, "{}", stderr(&again));
    let names: Vec<String> = fs::read_dir(t.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains(".tmp") || n.contains("cascade-tmp")),
        "{names:?}"
    );
    assert_eq!(fs::read(t.path().join("out/.cascade.lock")).unwrap(), b"");
}

/// Before, `merge` wrote over a folder holding another run.
#[test]
fn merge_refuses_another_runs_folder_as_out() {
    let t = Tmp::new("mergeout");
    fs::write(t.path().join("a.toml"), SMALL).unwrap();
    fs::write(
        t.path().join("b.toml"),
        SMALL.replace("\"-0.06\"", "\"-0.07\""),
    )
    .unwrap();
    for (args, what) in [
        (vec!["stress", "a.toml", "--out", "a", "--quiet"], "a"),
        (
            vec![
                "stress", "b.toml", "--out", "b0", "--shard", "0/2", "--quiet",
            ],
            "b0",
        ),
        (
            vec![
                "stress", "b.toml", "--out", "b1", "--shard", "1/2", "--quiet",
            ],
            "b1",
        ),
    ] {
        let o = cascade(&args, t.path());
        assert_eq!(status(&o), 0, "{what}: {}", stderr(&o));
    }
    let before = fs::read(t.path().join("a/scenarios.csv")).unwrap();
    let o = cascade(&["merge", "b0", "b1", "--out", "a"], t.path());
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("another run"), "{}", stderr(&o));
    assert_eq!(fs::read(t.path().join("a/scenarios.csv")).unwrap(), before);
    // Into a fresh folder, or again into the same merged folder, it works.
    for _ in 0..2 {
        let o = cascade(&["merge", "b0", "b1", "--out", "m"], t.path());
        assert_eq!(status(&o), 0, "{}", stderr(&o));
    }
}

/// Before, these exited 1 (an I/O error) instead of 2 (bad input).
#[test]
fn a_file_for_a_folder_and_a_binary_manifest_are_bad_input() {
    let t = Tmp::new("badfolders");
    fs::write(t.path().join("a.toml"), SMALL).unwrap();
    let o = cascade(&["stress", "a.toml", "--out", "a", "--quiet"], t.path());
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let o = cascade(&["merge", "a/scenarios.csv", "--out", "m"], t.path());
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("not a folder"), "{}", stderr(&o));
    let o = cascade(&["merge", "nowhere", "--out", "m"], t.path());
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    let o = cascade(
        &["stress", "a.toml", "--out", "a.toml", "--quiet"],
        t.path(),
    );
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    let mut manifest = fs::read(t.path().join("a/manifest.json")).unwrap();
    manifest.splice(20..20, [b'\n', 0xff, 0xfe]);
    fs::write(t.path().join("a/manifest.json"), &manifest).unwrap();
    for args in [
        vec!["merge", "a", "--out", "m"],
        vec!["stress", "a.toml", "--out", "a", "--quiet"],
    ] {
        let o = cascade(&args, t.path());
        assert_eq!(status(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("manifest.json:3:") && stderr(&o).contains("UTF-8"),
            "{}",
            stderr(&o)
        );
    }
}

/// Rewrites the journal of `dir` line by line through `edit` (JSON values).
fn edit_journal(dir: &Path, edit: impl Fn(&mut Vec<serde_json::Value>)) {
    let path = dir.join("results.jsonl");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    edit(&mut lines);
    let out: String = lines.iter().map(|v| format!("{v}\n")).collect();
    fs::write(&path, out).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Before digests, merge took swapped ids, a changed row id, a changed
/// value and a duplicated line with status 0, and a resume took them too.
#[test]
fn tampered_journals_are_refused_naming_file_and_line() {
    let t = Tmp::new("tamper");
    let config = format!("seeds = 2\n{SMALL}");
    fs::write(t.path().join("c.toml"), config).unwrap();
    for i in 0..2 {
        let shard = format!("{i}/2");
        let out = format!("s{i}");
        let o = cascade(
            &[
                "stress", "c.toml", "--shard", &shard, "--out", &out, "--quiet",
            ],
            t.path(),
        );
        assert_eq!(status(&o), 0, "{}", stderr(&o));
    }
    let o = cascade(&["merge", "s0", "s1", "--out", "good"], t.path());
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    type Edit = fn(&mut Vec<serde_json::Value>);
    let cases: [(&str, Edit, usize); 4] = [
        ("a changed value", |l| l[1]["row"][13] = "7".into(), 2),
        (
            "swapped ids",
            |l| {
                let a = l[0]["id"].clone();
                l[0]["id"] = l[1]["id"].clone();
                l[1]["id"] = a;
            },
            1,
        ),
        ("a changed row id", |l| l[0]["row"][0] = "9".into(), 1),
        ("a line given twice", |l| l.push(l[0].clone()), 0),
    ];
    for (what, edit, line) in cases {
        let bad = t.path().join("bad");
        copy_dir(&t.path().join("s0"), &bad);
        edit_journal(&bad, edit);
        let o = cascade(&["merge", "bad", "s1", "--out", "m"], t.path());
        let msg = stderr(&o);
        assert_eq!(status(&o), 2, "{what}: {msg}");
        let place = if line > 0 {
            format!("results.jsonl:{line}:")
        } else {
            "results.jsonl:".to_string()
        };
        assert!(msg.contains(&place), "{what}: {msg}");
        assert!(!t.path().join("m/scenarios.csv").exists(), "{what}");
    }
    // A resume checks the records it keeps: an unfinished folder whose
    // journal was edited is refused, naming the line.
    let bad = t.path().join("bad");
    copy_dir(&t.path().join("s0"), &bad);
    let manifest = bad.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&manifest).unwrap()).unwrap();
    m.as_object_mut().unwrap().remove("journal");
    fs::write(&manifest, m.to_string()).unwrap();
    edit_journal(&bad, |l| l[1]["row"][13] = "7".into());
    let o = cascade(
        &[
            "stress", "c.toml", "--shard", "0/2", "--out", "bad", "--quiet",
        ],
        t.path(),
    );
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("results.jsonl:2:"), "{}", stderr(&o));
}

/// Before, the config hash covered the config's text only: a replay
/// sample changed after a run was resumed into the same folder, mixing
/// results of both samples.
#[test]
fn a_changed_input_file_makes_another_run() {
    let t = Tmp::new("inputs");
    fs::create_dir_all(t.path().join("data")).unwrap();
    let sample = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount\n\
         x,X,1,1,true,bid,99,5\n\
         x,X,1,1,true,bid,98,5\n\
         x,X,1,1,true,ask,101,5\n";
    fs::write(t.path().join("data/l2.csv"), sample).unwrap();
    fs::write(
        t.path().join("c.toml"),
        REPLAY
            .replace("SAMPLE", "data/l2.csv")
            .replace("AT", "[2000, 5000]"),
    )
    .unwrap();
    let run = || cascade(&["stress", "c.toml", "--out", "out", "--quiet"], t.path());
    let o = run();
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let o = run();
    assert_eq!(status(&o), 0, "the same inputs resume: {}", stderr(&o));
    fs::write(
        t.path().join("data/l2.csv"),
        sample.replace("bid,99,5", "bid,99,2"),
    )
    .unwrap();
    let o = run();
    assert_eq!(status(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("another run"), "{}", stderr(&o));
    let manifest = fs::read_to_string(t.path().join("out/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"file\": \"data/l2.csv\"") && manifest.contains("\"build\""),
        "{manifest}"
    );
}

/// Before, outputs were renamed one by one: a merge that could not write
/// its report (a full disk; here a file size limit) left a lone
/// `scenarios.csv`. Now nothing is renamed until every output is written.
#[cfg(unix)]
#[test]
fn a_merge_that_cannot_write_everything_leaves_nothing_behind() {
    let t = Tmp::new("fulldisk");
    fs::write(t.path().join("c.toml"), format!("seeds = 2\n{SMALL}")).unwrap();
    for i in 0..2 {
        let (shard, out) = (format!("{i}/2"), format!("s{i}"));
        let o = cascade(
            &[
                "stress", "c.toml", "--shard", &shard, "--out", &out, "--quiet",
            ],
            t.path(),
        );
        assert_eq!(status(&o), 0, "{}", stderr(&o));
    }
    let report = fs::metadata(t.path().join("s0/report.html")).unwrap().len();
    let csv = fs::metadata(t.path().join("s0/scenarios.csv"))
        .unwrap()
        .len();
    assert!(report > 8192 && csv < 4096, "{report} {csv}");
    // Files may grow to 8 KiB: the tables fit, the page does not.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -f 16; exec '{}' merge s0 s1 --out m",
            env!("CARGO_BIN_EXE_cascade")
        ))
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_ne!(status(&o), 0, "{}", stderr(&o));
    let finals: Vec<String> = fs::read_dir(t.path().join("m"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert!(finals.is_empty(), "{finals:?}");
    // The next merge removes the temporaries and writes everything.
    let o = cascade(&["merge", "s0", "s1", "--out", "m"], t.path());
    assert_eq!(status(&o), 0, "{}", stderr(&o));
    let hidden: Vec<String> = fs::read_dir(t.path().join("m"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".cascade.lock")
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

/// Hostile configs: exit 2 with a bounded message naming the line.
#[test]
fn hostile_configs_are_refused_with_short_errors_naming_the_line() {
    let t = Tmp::new("hostile");
    let huge_key = format!("{}\n{} = 1\n", SMALL, "k".repeat(3_000_000));
    let long_line = format!("{SMALL}# {}\n", "x".repeat(5 << 20));
    let mut binary = SMALL.as_bytes().to_vec();
    binary.splice(30..30, [b'\n', b'#', 0xff, 0xfe, b'\n']);
    for (name, bytes, line) in [
        ("key", huge_key.into_bytes(), 23),
        ("long", long_line.into_bytes(), 22),
        ("binary", binary, 4),
    ] {
        let file = format!("{name}.toml");
        fs::write(t.path().join(&file), bytes).unwrap();
        let o = cascade(&["stress", &file, "--out", "out", "--quiet"], t.path());
        let msg = stderr(&o);
        assert_eq!(status(&o), 2, "{name}: {}", &msg[..msg.len().min(300)]);
        assert!(msg.len() < 2000, "{name}: {} bytes of error", msg.len());
        assert!(msg.contains(&format!("{file}:{line}:")), "{name}: {msg}");
    }
}

/// Before, a replay sample's first line was echoed whole in the error:
/// any file a config names (`/etc/passwd`, a huge line) reached the
/// terminal.
#[test]
fn a_foreign_file_reaches_errors_only_as_a_short_escaped_excerpt() {
    let t = Tmp::new("foreign");
    let line = format!("\u{1b}[2J{}", "secret,".repeat(200_000));
    fs::write(t.path().join("f.csv"), format!("{line}\nmore\n")).unwrap();
    fs::write(
        t.path().join("c.toml"),
        REPLAY.replace("SAMPLE", "f.csv").replace("AT", "2000"),
    )
    .unwrap();
    let o = cascade(&["stress", "c.toml", "--out", "out", "--quiet"], t.path());
    let msg = stderr(&o);
    assert_eq!(status(&o), 2, "{}", &msg[..msg.len().min(400)]);
    assert!(msg.len() < 400, "{} bytes of error", msg.len());
    assert!(
        !msg.contains('\u{1b}'),
        "control characters are escaped: {msg}"
    );
    assert!(msg.contains("c.toml:10:"), "{msg}");
}
