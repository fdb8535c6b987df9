//! The `cascade sim` command line: exit status 0 for a clean script, 2 for
//! bad lines (after running to the end, or at once with `--strict`) and for
//! a missing file, errors on stderr as `error: FILE: ...`, and no panic on
//! hostile input (this runs the debug build, where an arithmetic overflow
//! would panic).

use std::io::Write;
use std::process::{Command, Output};

fn sim(script: &str, extra: &[&str]) -> Output {
    sim_bytes(script.as_bytes(), extra)
}

fn sim_bytes(script: &[u8], extra: &[&str]) -> Output {
    let mut f = tempfile();
    f.1.write_all(script).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .arg("sim")
        .arg(&f.0)
        .args(extra)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&f.0);
    out
}

fn tempfile() -> (std::path::PathBuf, std::fs::File) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let p = std::env::temp_dir().join(format!(
        "cascade-cli-sim-{}-{}.jsonl",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let f = std::fs::File::create(&p).unwrap();
    (p, f)
}

const INST: &str = r#"{"cmd":"instrument","symbol":"X","kind":"linear","tick":"1","lot":"1","tiers":[{"mmr":"0.01","imr":"0.02"}]}"#;

#[test]
fn a_clean_script_exits_zero() {
    let out = sim(
        &format!("{INST}\n{{\"cmd\":\"book\",\"symbol\":\"X\"}}\n"),
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"ev\":\"book\",\"symbol\":\"X\",\"bids\":[],\"asks\":[]}\n"
    );
}

#[test]
fn bad_lines_run_to_the_end_then_exit_two() {
    let script = format!("{INST}\nnonsense\n{{\"cmd\":\"book\",\"symbol\":\"X\"}}\n");
    let out = sim(&script, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("{\"ev\":\"error\",\"line\":2,"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("{\"ev\":\"book\""), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}

#[test]
fn strict_stops_at_the_first_bad_line() {
    let script = format!("{INST}\nnonsense\n{{\"cmd\":\"book\",\"symbol\":\"X\"}}\n");
    let out = sim(&script, &["--strict"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn a_missing_file_is_exit_two_with_its_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_cascade"))
        .args(["sim", "/no/such/script.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: /no/such/script.jsonl"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn hostile_numbers_give_errors_not_panics() {
    let script = format!(
        "{INST}\n{}",
        [
            r#"{"cmd":"account","id":1,"deposit":"99999999999999"}"#,
            r#"{"cmd":"account","id":2,"deposit":"99999999999999"}"#,
            r#"{"cmd":"account","id":3,"deposit":"99999999999999999999"}"#,
            r#"{"cmd":"book","symbol":"X","depth":18446744073709551615}"#,
            r#"{"cmd":"position","account":1,"symbol":"X","qty":"999999999999999","entry":"999999999999999"}"#,
            r#"{"cmd":"position","account":2,"symbol":"X","qty":"-999999999999","entry":"1"}"#,
            r#"{"cmd":"mark","symbol":"X","price":"999999999999999"}"#,
            r#"{"cmd":"query","account":2}"#,
            r#"{"cmd":"order","account":1,"id":1,"symbol":"X","side":"sell","type":"limit","price":"999999999999999","qty":"999999999999999"}"#,
            r#"{"cmd":"order","account":0,"id":2,"symbol":"X","side":"buy","type":"limit","price":"999999999999999","qty":"999999999"}"#,
            r#"{"cmd":"funding","symbol":"X","rate":"9999999"}"#,
            r#"{"cmd":"funding","symbol":"X","rate":"-0.999999999999"}"#,
            r#"{"cmd":"mark","symbol":"X","price":"1"}"#,
            r#"{"cmd":"insurance","amount":"99999999999999"}"#,
            r#"{"cmd":"deposit","account":1,"amount":"-99999999999999"}"#,
            r#"{"cmd":"modify","id":2,"price":"1","qty":"999999999999999999"}"#,
            r#"{"cmd":"order","account":1,"id":18446744073709551615,"symbol":"X","side":"buy","type":"market","qty":"1"}"#,
            r#"{"cmd":"order","account":1,"id":5,"symbol":"X","side":"buy","type":"limit","price":"-5","qty":"1"}"#,
            r#"{"cmd":"order","account":1,"id":6,"symbol":"X","side":"buy","type":"limit","price":"1.5","qty":"1"}"#,
            "{\"cmd\":\"instrument\",\"symbol\":\"Y\",\"kind\":\"linear\",\"tick\":\"0.000001\",\"lot\":\"0.000001\",\"tiers\":[{\"mmr\":\"0.01\",\"imr\":\"0.02\"}]}",
            "{\"cmd\":\"instrument\",\"symbol\":\"Z\",\"kind\":\"inverse\",\"tick\":\"0.5\",\"lot\":\"1\",\"contract_size\":\"0\",\"tiers\":[{\"mmr\":\"0.01\",\"imr\":\"0.02\"}]}",
        ]
        .join("\n")
    );
    let out = sim(&script, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
}

#[test]
fn a_line_that_is_not_utf8_is_an_error_event_and_the_run_goes_on() {
    // Spec 1.1: a byte-order mark at the start is skipped; a line that is
    // not UTF-8 is an `error` event for that line, the later lines run, and
    // the exit status is 2.
    let mut script = b"\xEF\xBB\xBF".to_vec();
    script.extend_from_slice(INST.as_bytes());
    script.extend_from_slice(b"\n{\"cmd\":\"book\",\"symbol\":\"\xC0X\"}\n");
    script.extend_from_slice(b"{\"cmd\":\"book\",\"symbol\":\"X\"}\n");
    let out = sim_bytes(&script, &[]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with("{\"ev\":\"error\",\"line\":2,") && lines[0].contains("UTF-8"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("{\"ev\":\"book\""), "{stdout}");
}
