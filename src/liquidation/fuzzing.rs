//! Arbitrary command streams for the engine's property tests and its
//! cargo-fuzz target `engine_script`: bytes decode into a small world (two
//! instruments, a population with positions, a street book) and a run of
//! commands; after every command the engine must keep its invariants.
//!
//! Owns: the byte decoder and the invariant checks. Must not: be used on
//! the hot path; it exists for tests.

use crate::command::Command;
use crate::event::{Event, EventSink, NullSink};
use crate::instrument::InstrumentSpec;
use crate::script::parse_line;

use super::Engine;

/// Reads bytes as small numbers; past the end it reads zeros.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.byte() as u32) % n.max(1)
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
}

fn cmd(json: String) -> Command {
    // The decoder writes only well-formed commands.
    match parse_line(&json) {
        Ok(Some(c)) => c,
        other => panic!("decoder wrote a bad line {json}: {other:?}"),
    }
}

/// `lots` of `sym` as decimal text (LIN has a lot of 0.01, INV of 1).
fn qty_text(sym: &str, lots: i64) -> String {
    if sym == "INV" {
        return lots.to_string();
    }
    let sign = if lots < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", lots.abs() / 100, lots.abs() % 100)
}

/// Decodes bytes into a script: a setup chosen by the first bytes, then
/// one command per few bytes.
pub fn decode(data: &[u8]) -> Vec<Command> {
    let mut c = Cursor { data, pos: 0 };
    let mut out = Vec::new();
    let modes = ["full", "partial"];
    let limits = ["bankruptcy", "none", "0.05"];
    let backstops = ["insurance", "adl"];
    let marks = ["last", "mid", "median", "index"];
    let policy = format!(
        r#"{{"mode":"{}","max_fraction":"{}","price_limit":"{}","backstop":"{}","adl":{}}}"#,
        modes[c.below(2) as usize],
        ["1", "0.5", "0.25"][c.below(3) as usize],
        limits[c.below(3) as usize],
        backstops[c.below(2) as usize],
        c.below(4) != 0
    );
    let breaker = match c.below(4) {
        0 => r#","breaker":{"halt_move":"0.05"}"#.to_string(),
        1 => r#","breaker":{"step_notional_cap":"500"}"#.to_string(),
        _ => String::new(),
    };
    let fee = ["0", "0.005", "0.02"][c.below(3) as usize];
    let mark = marks[c.below(4) as usize];
    out.push(cmd(format!(
        r#"{{"cmd":"instrument","symbol":"LIN","kind":"linear","tick":"0.5","lot":"0.01","liquidation_fee":"{fee}","taker_fee":"0.0005","maker_fee":"-0.0001","mark":{{"policy":"{mark}"}},"liquidation":{policy}{breaker},"tiers":[{{"notional_max":"2000","mmr":"0.01","imr":"0.02"}},{{"notional_max":"10000","mmr":"0.025","imr":"0.05"}},{{"mmr":"0.05","imr":"0.1"}}]}}"#
    )));
    out.push(cmd(format!(
        r#"{{"cmd":"instrument","symbol":"INV","kind":"inverse","tick":"0.5","lot":"1","contract_size":"10","liquidation_fee":"{fee}","mark":{{"policy":"{mark}"}},"liquidation":{policy},"tiers":[{{"notional_max":"1","mmr":"0.01","imr":"0.02"}},{{"mmr":"0.05","imr":"0.1"}}]}}"#
    )));
    if c.below(2) == 0 {
        out.push(cmd(r#"{"cmd":"insurance","amount":"50"}"#.into()));
    }
    let n_accounts = 2 + c.below(6);
    for a in 1..=n_accounts {
        let mode = if c.below(4) == 0 { "isolated" } else { "cross" };
        let deposit = [20, 50, 100, 400][c.below(4) as usize];
        out.push(cmd(format!(
            r#"{{"cmd":"account","id":{a},"deposit":"{deposit}","mode":"{mode}"}}"#
        )));
        for sym in ["LIN", "INV"] {
            let q = c.below(9) as i64 - 4;
            if q != 0 {
                let qty = qty_text(sym, q * (1 + c.below(5)) as i64);
                let entry = 900 + 50 * c.below(5);
                let margin = if mode == "isolated" {
                    format!(r#","margin":"{}""#, deposit / 4)
                } else {
                    String::new()
                };
                out.push(cmd(format!(
                    r#"{{"cmd":"position","account":{a},"symbol":"{sym}","qty":"{qty}","entry":"{entry}"{margin}}}"#
                )));
            }
        }
    }
    let mut next_id = 1000u64;
    // A street book around 1000.
    for sym in ["LIN", "INV"] {
        for k in 0..(2 + c.below(6)) {
            for (side, sign) in [("buy", -1i64), ("sell", 1)] {
                let price = 1000 + sign * (1 + k as i64) * (1 + c.below(20) as i64);
                let qty = qty_text(sym, (1 + c.below(30)) as i64);
                next_id += 1;
                out.push(cmd(format!(
                    r#"{{"cmd":"order","account":0,"id":{next_id},"symbol":"{sym}","side":"{side}","type":"limit","price":"{price}","qty":"{qty}"}}"#
                )));
            }
        }
    }
    while !c.done() && out.len() < 400 {
        let sym = ["LIN", "INV"][c.below(2) as usize];
        let account = c.below(n_accounts + 1);
        let side = ["buy", "sell"][c.below(2) as usize];
        let price = 700 + 5 * c.below(120);
        let qty = qty_text(sym, (1 + c.below(40)) as i64);
        let line = match c.below(16) {
            0 | 1 => {
                next_id += 1;
                let tif = ["gtc", "ioc", "fok", "post_only"][c.below(4) as usize];
                let stp = [
                    "none",
                    "cancel_taker",
                    "cancel_maker",
                    "cancel_both",
                    "decrement",
                ][c.below(5) as usize];
                format!(
                    r#"{{"cmd":"order","account":{account},"id":{next_id},"symbol":"{sym}","side":"{side}","type":"limit","price":"{price}","qty":"{qty}","tif":"{tif}","stp":"{stp}"}}"#
                )
            }
            2 => {
                next_id += 1;
                let ro = c.below(2) == 0;
                format!(
                    r#"{{"cmd":"order","account":{account},"id":{next_id},"symbol":"{sym}","side":"{side}","type":"market","qty":"{qty}","reduce_only":{ro}}}"#
                )
            }
            3 => {
                next_id += 1;
                let by = ["mark", "last"][c.below(2) as usize];
                format!(
                    r#"{{"cmd":"order","account":{account},"id":{next_id},"symbol":"{sym}","side":"{side}","type":"stop_market","trigger":"{price}","qty":"{qty}","trigger_by":"{by}"}}"#
                )
            }
            4 => format!(
                r#"{{"cmd":"cancel","id":{}}}"#,
                1000 + c.below((next_id - 999) as u32) as u64
            ),
            5 => format!(
                r#"{{"cmd":"modify","id":{},"price":"{price}","qty":"{qty}"}}"#,
                1000 + c.below((next_id - 999) as u32) as u64
            ),
            6..=8 => format!(r#"{{"cmd":"mark","symbol":"{sym}","price":"{price}"}}"#),
            9 => format!(r#"{{"cmd":"index","symbol":"{sym}","price":"{price}"}}"#),
            10 => format!(
                r#"{{"cmd":"funding","symbol":"{sym}","rate":"{}"}}"#,
                ["0.01", "-0.01", "0.05"][c.below(3) as usize]
            ),
            11 => format!(
                r#"{{"cmd":"deposit","account":{},"amount":"{}"}}"#,
                1 + c.below(n_accounts),
                [-50, -5, 5, 50][c.below(4) as usize]
            ),
            12 => format!(r#"{{"cmd":"query","account":{account}}}"#),
            13 => format!(r#"{{"cmd":"halt","symbol":"{sym}"}}"#),
            14 => format!(r#"{{"cmd":"resume","symbol":"{sym}"}}"#),
            _ => {
                next_id += 1;
                let p2 = 1000 + (c.below(40) as i64 - 20) * 5;
                format!(
                    r#"{{"cmd":"order","account":0,"id":{next_id},"symbol":"{sym}","side":"{side}","type":"limit","price":"{p2}","qty":"{qty}"}}"#
                )
            }
        };
        out.push(cmd(line));
    }
    out
}

/// Counts events that must never appear in a decoded run.
#[derive(Default)]
struct Watch {
    errors: Vec<String>,
}

impl EventSink for Watch {
    fn emit(&mut self, event: &Event, _: &[crate::instrument::Instrument]) {
        if let Event::Error { message, .. } = event {
            self.errors.push(message.clone());
        }
    }
}

/// Runs a script and checks the engine's invariants after every command:
/// money and positions conserved exactly, no internal fault, the books
/// structurally sound, the trigger index in agreement with a brute-force
/// scan, and no unit left liquidatable (unless its instrument is halted).
pub fn check_script(cmds: &[Command]) -> Result<(), String> {
    let mut engine = Engine::new();
    let mut sink = Watch::default();
    for (n, cmd) in cmds.iter().enumerate() {
        // Errors (e.g. funding before any mark) are fine; panics are not.
        let _ = engine.apply(cmd, &mut sink);
        engine
            .check_consistency()
            .map_err(|e| format!("after command {} ({cmd:?}): {e}", n + 1))?;
    }
    if let Some(e) = sink.errors.iter().find(|e| e.starts_with("step hook")) {
        return Err(e.clone());
    }
    Ok(())
}

/// Decodes and checks (the fuzz target's body).
pub fn run_bytes(data: &[u8]) -> Result<(), String> {
    check_script(&decode(data))
}

/// A spec for tests that need one linear instrument quickly.
pub fn linear_spec(symbol: &str) -> InstrumentSpec {
    // A fixed literal: it parses.
    serde_json::from_str(&format!(
        r#"{{"symbol":"{symbol}","kind":"linear","tick":"0.1","lot":"0.001","tiers":[{{"notional_max":"50000","mmr":"0.004","imr":"0.008"}},{{"mmr":"0.005","imr":"0.01"}}]}}"#
    ))
    .expect("fixed instrument literal parses")
}

/// Runs a script into a null sink (for benchmarks of decoding cost).
pub fn run_quiet(cmds: &[Command]) -> Engine {
    let mut e = Engine::new();
    for c in cmds {
        let _ = e.apply(c, &mut NullSink);
    }
    e
}
