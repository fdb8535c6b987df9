//! Memory budget of the margin state: at most 256 bytes per account,
//! trigger-index entries included, for 1,000,000 accounts holding one
//! position each. Measured with a counting global allocator (live heap
//! bytes after building minus before), plus the inline size of the tables
//! themselves.

use std::sync::atomic::Ordering;

use cascade::instrument::{Instrument, InstrumentSpec, MarkPolicy};
use cascade::margin::{Accounts, MarginMode, Market, Marks, TriggerIndex};
use cascade::types::{Money, Price, Qty};

#[path = "../benches/support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::LIVE;

const N: u64 = 1_000_000;
const BUDGET: f64 = 256.0;

#[test]
fn one_million_accounts_fit_256_bytes_each() {
    let spec: InstrumentSpec = serde_json::from_str(
        r#"{"symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001",
            "tiers":[{"notional_max":"50000","mmr":"0.004","imr":"0.008"},
                     {"notional_max":"250000","mmr":"0.005","imr":"0.01"},
                     {"mmr":"0.01","imr":"0.02"}]}"#,
    )
    .unwrap();
    let insts = vec![Instrument::new(&spec).unwrap()];
    let mut marks = Marks::new();
    marks.push(MarkPolicy::Last);
    marks.force(0, Price(500_000));

    let before = LIVE.load(Ordering::Relaxed);
    let mut accts = Accounts::with_capacity(N as usize + 1);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for id in 1..=N {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let lev = 2 + (seed >> 33) % 50; // 2x..51x
        let q: i64 = if id % 2 == 0 { 100 } else { -100 }; // 0.1 BTC
        let entry = Price(450_000 + ((seed >> 13) % 100_000) as i64);
        let notional = insts[0].notional(Qty(q), entry);
        let deposit = Money(notional.0 / lev as i128);
        let mode = if id % 10 == 0 {
            MarginMode::Isolated
        } else {
            MarginMode::Cross
        };
        let x = accts.create(id, deposit, mode).unwrap();
        // What `open_position` does, without its copies: a fill against
        // the street, then the isolated margin.
        accts.apply_fill(x, 0, &insts[0], Qty(q), entry).unwrap();
        accts.apply_fill(0, 0, &insts[0], Qty(-q), entry).unwrap();
        if mode == MarginMode::Isolated {
            accts.move_to_isolated(x, 0, deposit).unwrap();
        }
    }
    let index = TriggerIndex::build(&mut accts, &Market::new(&insts, &marks));
    let after = LIVE.load(Ordering::Relaxed);

    let heap = (after - before) as f64;
    let inline = (std::mem::size_of::<Accounts>() + std::mem::size_of::<TriggerIndex>()) as f64;
    let per_account = (heap + inline) / N as f64;
    println!(
        "margin footprint: {per_account:.1} bytes/account ({} accounts, {} index keys; \
         estimate from sizes: accounts {:.1}, index {:.1})",
        N,
        index.len(),
        accts.heap_bytes() as f64 / N as f64,
        index.heap_bytes() as f64 / N as f64,
    );
    assert!(index.len() as u64 > N / 2, "most accounts are keyed");
    assert!(
        per_account < BUDGET,
        "{per_account:.1} bytes per account exceeds {BUDGET}"
    );
}
