//! Golden scenario scripts: every `tests/golden/NAME.jsonl` is run through
//! the engine and its events must equal `tests/golden/NAME.out` byte for
//! byte. The numbers in the `.out` files are checked by hand; the comment
//! lines at the top of each script show the arithmetic. To rewrite the
//! `.out` files after a deliberate change, run with `CASCADE_BLESS=1` and
//! review the diff line by line.

use std::fs;
use std::io::BufReader;
use std::path::Path;

use cascade::event::JsonLinesSink;
use cascade::liquidation::audit::audit_script;
use cascade::liquidation::Engine;
use cascade::script::run_script;

fn run(script: &Path) -> Vec<u8> {
    let file = fs::File::open(script).unwrap();
    let mut engine = Engine::new();
    let mut sink = JsonLinesSink::new(Vec::new());
    run_script(BufReader::new(file), &mut engine, &mut sink, false).unwrap();
    sink.finish().unwrap()
}

#[test]
fn golden_scripts_produce_their_expected_events() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("CASCADE_BLESS").is_some();
    let mut scripts: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    scripts.sort();
    assert!(
        !scripts.is_empty(),
        "no golden scripts in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for script in &scripts {
        let got = run(script);
        let expected_path = script.with_extension("out");
        if bless {
            fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = fs::read(&expected_path)
            .unwrap_or_else(|_| panic!("missing {}", expected_path.display()));
        if got != expected {
            let got = String::from_utf8_lossy(&got);
            let expected = String::from_utf8_lossy(&expected);
            let first = got
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| got.lines().count().min(expected.lines().count()));
            failures.push(format!(
                "{}: first difference at event {}\n  got:      {}\n  expected: {}",
                script.display(),
                first + 1,
                got.lines().nth(first).unwrap_or("<end>"),
                expected.lines().nth(first).unwrap_or("<end>")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_same_script_gives_byte_identical_output_twice() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "jsonl") {
            assert_eq!(run(&p), run(&p), "{}", p.display());
        }
    }
}

#[test]
fn every_golden_scripts_money_rebuilds_from_its_events() {
    // An outside check (spec 1.1): each account's money and the funds,
    // rebuilt from the script's commands and the events alone, agree with
    // every `account` and `funds` event, and money is conserved to the unit
    // at each `funds` event (one after every cascade, and one at the end).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut checked = 0;
    for e in fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|e| e == "jsonl") {
            let text = fs::read_to_string(&p).unwrap();
            let audit = audit_script(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            // At least the final `funds` event and the street's `account`.
            assert!(
                audit.funds_checked >= 1 && audit.accounts_checked >= 1,
                "{}",
                p.display()
            );
            checked += audit.funds_checked;
        }
    }
    assert!(checked > 20, "only {checked} funds events checked");
}
