//! The command vocabulary's serde form both ways: every command line of
//! every golden script, parsed, written back with `Command::to_json` and
//! parsed again, is the same command (so a command can be stored, sent to
//! another process or a Python caller, and read back unchanged).

use cascade::command::Command;
use cascade::script::parse_line;

#[test]
fn every_golden_command_round_trips() {
    let mut seen = 0;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let Ok(Some(cmd)) = parse_line(line) else {
                continue;
            };
            let json = cmd.to_json();
            let back: Command = parse_line(&json)
                .unwrap_or_else(|e| panic!("{}:{}: {json}: {e}", path.display(), n + 1))
                .expect("not blank");
            assert_eq!(back, cmd, "{}:{}", path.display(), n + 1);
            seen += 1;
        }
    }
    assert!(seen > 300, "only {seen} commands read");
}
