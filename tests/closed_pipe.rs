//! A closed pipe ends a command quietly (`cascade demo | head -1`,
//! `cascade sim x | head -1`, `cascade replay ... | true`): exit status 0,
//! no panic, and the results folder still written. The pipe's reading end
//! is closed before the command starts, so every write to it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_cascade");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Which stream reads into a closed pipe.
#[derive(Clone, Copy)]
enum Closed {
    Stdout,
    Stderr,
}

/// The writing end of a pipe whose reading end is already closed: every
/// write to it fails with `EPIPE`, from the first. (A named pipe: opened
/// for reading without blocking, then for writing, then the reader closed.)
fn closed_pipe(dir: &Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    /// `O_NONBLOCK` on Linux.
    const O_NONBLOCK: i32 = 0o4000;
    let fifo = dir.join("fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", fifo.display());
    let reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(&fifo)
        .expect("open the pipe for reading");
    let writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("open the pipe for writing");
    drop(reader);
    writer
}

fn run_closed(args: &[&str], closed: Closed) -> Output {
    let dir = out_dir(&format!("fifo-{}", args.join("-").replace('/', "_")));
    std::fs::create_dir_all(&dir).expect("a folder for the pipe");
    let pipe = closed_pipe(&dir);
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(ROOT)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    match closed {
        Closed::Stdout => cmd.stdout(pipe).stderr(Stdio::piped()),
        Closed::Stderr => cmd.stdout(Stdio::piped()).stderr(pipe),
    };
    let out = cmd.output().expect("the binary runs");
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cascade-pipe-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn assert_quiet(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{what}: {:?}\nstderr: {stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
}

fn assert_written(dir: &Path, files: &[&str]) {
    for f in files {
        assert!(dir.join(f).is_file(), "{} missing", dir.join(f).display());
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn demo_into_a_closed_pipe() {
    let d = out_dir("demo");
    let out = run_closed(
        &["demo", "--out", d.to_str().expect("UTF-8 temp path")],
        Closed::Stdout,
    );
    assert_quiet("demo | head -1", &out);
    assert_written(&d, &["report.html", "steps.csv", "summary.json"]);
}

#[test]
fn sim_into_a_closed_pipe() {
    let out = run_closed(
        &["sim", "tests/golden/cascade_two_steps.jsonl"],
        Closed::Stdout,
    );
    assert_quiet("sim | head -1", &out);
}

#[test]
fn replay_into_a_closed_pipe() {
    let d = out_dir("replay");
    let out = run_closed(
        &[
            "replay",
            "--format",
            "binance",
            "data/binance-usdm-btcusdt-20240808-head20000.gz",
            "--out",
            d.to_str().expect("UTF-8 temp path"),
        ],
        Closed::Stdout,
    );
    assert_quiet("replay | true", &out);
    assert_written(&d, &["report.html", "events.csv", "summary.json"]);
}

#[test]
fn stress_and_merge_with_a_closed_stderr() {
    let d = out_dir("stress");
    let m = out_dir("merged");
    let (ds, ms) = (
        d.to_str().expect("UTF-8 temp path"),
        m.to_str().expect("UTF-8 temp path"),
    );
    let out = run_closed(
        &["stress", "examples/stress/breaker_golden.toml", "--out", ds],
        Closed::Stdout,
    );
    assert_quiet("stress | true", &out);
    let out = run_closed(&["merge", ds, "--out", ms], Closed::Stderr);
    assert_quiet("merge 2>&1 | true", &out);
    assert_written(&m, &["report.html", "scenarios.csv"]);
    assert_written(&d, &["report.html", "scenarios.csv"]);
}

#[test]
fn an_error_into_a_closed_stderr_keeps_its_status() {
    let out = run_closed(&["sim", "no-such-script.jsonl"], Closed::Stderr);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
