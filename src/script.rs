//! The scenario script format of `spec/scenario.md`: one JSON command per
//! line, parsed into [`Command`]s, and the runner behind `cascade sim`.
//!
//! Owns: line handling (bytes, a byte-order mark, blank and `#` lines
//! skipped, bounded line length), parsing a line into a command (the
//! command types themselves are `crate::command`'s), and turning bad lines
//! into `error` events with their line number.
//!
//! Must not: define or interpret a command (`command` and the engine do).

use std::io::BufRead;

use crate::command::Command;
use crate::event::{Event, EventSink};
use crate::lines::BoundedLines;
use crate::liquidation::Engine;

/// Parses one script line: `Ok(None)` for blank and `#` lines.
pub fn parse_line(line: &str) -> Result<Option<Command>, String> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return Ok(None);
    }
    serde_json::from_str::<Command>(t).map(Some).map_err(|e| {
        let m = clean_serde_message(&e.to_string());
        match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("not a valid JSON object: {m}")
            }
            _ => m,
        }
    })
}

/// serde_json appends " at line 1 column N": the line is the script's, and
/// we report that ourselves.
fn clean_serde_message(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m.to_string(),
    }
}

/// What a script run ended with.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScriptOutcome {
    /// Commands run.
    pub commands: usize,
    /// Lines that gave an `error` event.
    pub errors: usize,
}

/// Longest script line accepted, in bytes (a longer one ends the run with
/// an input error naming it).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Runs a whole script through `engine`, emitting events into `sink`. A bad
/// line (malformed, or not UTF-8) emits `{"ev":"error","line":N,...}` and
/// the run goes on, unless `strict`, which stops at the first one. A UTF-8
/// byte-order mark at the start is skipped. I/O errors reading the script,
/// and a line longer than `MAX_LINE_BYTES`, are returned as errors naming
/// the line.
pub fn run_script<R: BufRead>(
    input: R,
    engine: &mut Engine,
    sink: &mut dyn EventSink,
    strict: bool,
) -> std::io::Result<ScriptOutcome> {
    let mut outcome = ScriptOutcome::default();
    let mut lines = BoundedLines::new(input, MAX_LINE_BYTES);
    let mut lineno = 0;
    loop {
        let bytes = match lines.next_line() {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                let line = e.line().map_or(String::new(), |l| format!("line {l}: "));
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{line}{e}"),
                ));
            }
        };
        lineno += 1;
        let bytes = match lineno {
            1 => bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes),
            _ => bytes,
        };
        let result = match std::str::from_utf8(bytes) {
            Err(e) => Err(format!(
                "not UTF-8 text (invalid byte at column {})",
                e.valid_up_to() + 1
            )),
            Ok(line) => match parse_line(line) {
                Ok(None) => continue,
                Ok(Some(cmd)) => {
                    outcome.commands += 1;
                    engine.apply(&cmd, sink).map_err(|e| e.to_string())
                }
                Err(message) => Err(message),
            },
        };
        if let Err(message) = result {
            outcome.errors += 1;
            engine.emit(
                sink,
                Event::Error {
                    line: lineno,
                    message,
                },
            );
            if strict {
                break;
            }
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{OrderType, TimeInForce, TriggerSource};
    use crate::types::{Decimal, Side};

    #[test]
    fn parses_the_spec_example() {
        let c = parse_line(r#"{"cmd":"order","account":1,"id":1,"symbol":"BTCUSDT","side":"sell","type":"limit","price":"100","qty":"5"}"#)
            .unwrap()
            .unwrap();
        match c {
            Command::Order(o) => {
                assert_eq!(o.side, Side::Sell);
                assert_eq!(o.order_type, OrderType::Limit);
                assert_eq!(o.price, Some(Decimal::parse("100").unwrap()));
                assert_eq!(o.tif, TimeInForce::Gtc);
                assert_eq!(o.trigger_by, TriggerSource::Mark);
            }
            other => panic!("wrong command {other:?}"),
        }
        let c = parse_line(r#"{"cmd":"instrument","symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001","tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},{"mmr":"0.005","imr":"0.01"}]}"#).unwrap().unwrap();
        assert!(
            matches!(c, Command::Instrument(ref s) if s.symbol == "BTCUSDT" && s.tiers.len() == 2)
        );
    }

    #[test]
    fn parses_the_funds_command() {
        assert_eq!(
            parse_line(r#"{"cmd":"funds"}"#),
            Ok(Some(Command::Funds {}))
        );
        assert!(parse_line(r#"{"cmd":"funds","symbol":"X"}"#).is_err());
    }

    fn run(bytes: &[u8]) -> (ScriptOutcome, Vec<Event>) {
        let mut engine = Engine::new();
        let mut sink = crate::event::CollectSink::default();
        let outcome = run_script(bytes, &mut engine, &mut sink, false).unwrap();
        (outcome, sink.events)
    }

    #[test]
    fn a_line_that_is_not_utf8_is_an_error_and_the_script_goes_on() {
        let script = b"\xEF\xBB\xBF{\"cmd\":\"account\",\"id\":1,\"deposit\":\"5\"}\r\n\
            {\"cmd\":\"query\",\"account\":\xFF1}\n\
            {\"cmd\":\"query\",\"account\":1}\n";
        let (outcome, events) = run(script);
        assert_eq!(
            outcome,
            ScriptOutcome {
                commands: 2,
                errors: 1
            }
        );
        assert!(matches!(
            &events[0],
            Event::Error { line: 2, message } if message.contains("UTF-8") && message.contains("column 26")
        ));
        assert!(matches!(&events[1], Event::Account(a) if a.account == 1));
        // A byte-order mark anywhere but the start is an error like any
        // other stray character.
        let (outcome, _) = run(b"\n\xEF\xBB\xBF{\"cmd\":\"funds\"}\n");
        assert_eq!(outcome.errors, 1);
    }

    #[test]
    fn skips_blank_and_comment_lines() {
        assert_eq!(parse_line("   "), Ok(None));
        assert_eq!(parse_line("# a comment"), Ok(None));
    }

    #[test]
    fn refuses_numbers_unknown_fields_and_garbage() {
        let e = parse_line(r#"{"cmd":"deposit","account":1,"amount":5}"#).unwrap_err();
        assert!(e.contains("decimal string"), "{e}");
        let e = parse_line(r#"{"cmd":"deposit","account":1,"amount":"5","x":1}"#).unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        let e = parse_line(r#"{"cmd":"teleport"}"#).unwrap_err();
        assert!(e.contains("unknown variant"), "{e}");
        assert!(parse_line("{not json").is_err());
        let e = parse_line(r#"{"cmd":"cancel","id":-1}"#).unwrap_err();
        assert!(e.contains("invalid value"), "{e}");
        let e = parse_line(r#"{"cmd":"instrument","symbol":"X","kind":"linear","tick":"0.1","lot":"1","tiers":[],"bogus":1}"#).unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        assert!(!e.contains("at line"), "{e}");
    }
}
