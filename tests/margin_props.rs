//! Property tests of the margin module: random populations (cross and
//! isolated, long and short, linear and inverse, several instruments),
//! random fills (flips included), deposits, funding and mark paths. After
//! every step:
//!  (a) money and quantity are conserved exactly;
//!  (b) the trigger index's `on_mark` equals a brute-force scan for every
//!      marked instrument;
//!  (c) at the reported liquidation price (the ticks either side) the
//!      exact liquidatable test flips as the bound says.
//!
//! And the ADL ranking kept between events (`AdlRanking`) against a fresh
//! full sort (`adl_queue`) on the same random paths, with marks nudged
//! within and beyond its windows: after every step, for every marked
//! instrument and both sides, each queried prefix is the full sort's.

use cascade::instrument::{Instrument, InstrumentSpec, MarkPolicy};
use cascade::margin::{
    adl_queue, brute_force_liquidatable, liq_bound, unit_liquidatable, Accounts, AdlRanking,
    LiqBound, MarginMode, Market, Marks, TriggerIndex,
};
use cascade::types::{Money, Price, Qty, Rate, Ratio, Side};
use proptest::prelude::*;

fn inst(json: &str) -> Instrument {
    let spec: InstrumentSpec = serde_json::from_str(json).unwrap();
    Instrument::new(&spec).unwrap()
}

/// Small tier bounds so that random positions cross tiers.
fn instruments() -> Vec<Instrument> {
    vec![
        inst(
            r#"{"symbol":"BTCUSDT","kind":"linear","tick":"0.1","lot":"0.001",
            "tiers":[{"notional_max":"20000","mmr":"0.004","imr":"0.008"},
                     {"notional_max":"60000","mmr":"0.01","imr":"0.02"},
                     {"notional_max":"100000","mmr":"0.025","imr":"0.05"},
                     {"mmr":"0.05","imr":"0.1"}]}"#,
        ),
        inst(
            r#"{"symbol":"ETHUSDT","kind":"linear","tick":"0.01","lot":"0.01",
            "tiers":[{"notional_max":"5000","mmr":"0.005","imr":"0.01"},
                     {"mmr":"0.02","imr":"0.04"}]}"#,
        ),
        inst(
            r#"{"symbol":"BTCUSD_PERP","kind":"inverse","tick":"0.1","lot":"1","contract_size":"100",
            "tiers":[{"notional_max":"0.2","mmr":"0.004","imr":"0.008"},
                     {"notional_max":"0.5","mmr":"0.01","imr":"0.02"},
                     {"notional_max":"1","mmr":"0.025","imr":"0.05"},
                     {"mmr":"0.05","imr":"0.1"}]}"#,
        ),
    ]
}

/// Base price of each instrument, in ticks.
const BASE: [i64; 3] = [500_000, 300_000, 500_000];
/// Largest |qty| of one fill, in lots.
const QMAX: [i64; 3] = [2_000, 1_000, 400];

fn price(inst: usize, permille: i64) -> Price {
    Price(BASE[inst] * permille / 1000)
}

#[derive(Clone, Debug)]
enum Op {
    Fill {
        a: usize,
        b: usize,
        inst: usize,
        q: i64,
        p: i64,
    },
    Deposit {
        a: usize,
        amount: i64,
    },
    Funding {
        inst: usize,
        rate: i64,
    },
    Mark {
        inst: usize,
        p: i64,
    },
}

fn op(n: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..n, 0..n, 0..3usize, -1000i64..1000, 700i64..1300).prop_map(|(a, b, inst, q, p)| Op::Fill {
            a,
            b,
            inst,
            q: q * QMAX[inst] / 1000,
            p
        }),
        1 => (0..n, -2000i64..5000).prop_map(|(a, amount)| Op::Deposit { a, amount }),
        1 => (0..3usize, -1_000_000_000i64..1_000_000_000).prop_map(|(inst, rate)| Op::Funding { inst, rate }),
        5 => (0..3usize, 600i64..1400).prop_map(|(inst, p)| Op::Mark { inst, p }),
    ]
}

#[derive(Clone, Debug)]
struct AccountSpec {
    isolated: bool,
    deposit: i64,
    positions: Vec<(usize, i64, i64)>,
}

fn account() -> impl Strategy<Value = AccountSpec> {
    (
        any::<bool>(),
        50i64..20_000,
        prop::collection::vec((0..3usize, -1000i64..1000, 800i64..1200), 0..3),
    )
        .prop_map(|(isolated, deposit, positions)| AccountSpec {
            isolated,
            deposit,
            positions,
        })
}

struct World {
    insts: Vec<Instrument>,
    marks: Marks,
    accts: Accounts,
    index: TriggerIndex,
    deposited: Money,
}

/// Money from whole units (inverse instruments count the same integer in
/// coin; the ledgers do not care which asset a unit is).
fn money(units: i64, inst: usize) -> Money {
    let scale = if inst == 2 {
        1_000_000_000
    } else {
        1_000_000_000_000
    };
    Money(units as i128 * scale)
}

impl World {
    fn new(specs: &[AccountSpec]) -> World {
        let insts = instruments();
        let mut marks = Marks::new();
        for _ in &insts {
            marks.push(MarkPolicy::Last);
        }
        let mut w = World {
            insts,
            marks,
            accts: Accounts::new(),
            index: TriggerIndex::new(),
            deposited: Money::ZERO,
        };
        for (k, s) in specs.iter().enumerate() {
            let mode = if s.isolated {
                MarginMode::Isolated
            } else {
                MarginMode::Cross
            };
            let dep = money(s.deposit, 0) + money(s.deposit, 2);
            let idx = w.accts.create(k as u64 + 1, dep, mode).unwrap();
            w.deposited += dep;
            for &(i, q, p) in &s.positions {
                let q = q * QMAX[i] / 1000;
                if q == 0 || w.accts.get(idx).unwrap().position(i as u32).is_some() {
                    continue;
                }
                let entry = price(i, p);
                let notional = w.insts[i].notional(Qty(q), entry);
                // Isolated: a margin of 5% to 20% of the notional.
                let margin = s
                    .isolated
                    .then(|| Money(notional.0 / (5 + (s.deposit % 16) as i128)));
                w.accts
                    .open_position(idx, i as u32, &w.insts[i], Qty(q), entry, margin)
                    .unwrap();
            }
        }
        let mk = Market::new(&w.insts, &w.marks);
        w.index = TriggerIndex::build(&mut w.accts, &mk);
        w
    }

    fn update(&mut self, idx: u32) {
        let mk = Market::new(&self.insts, &self.marks);
        self.index.update(&mut self.accts, &mk, idx);
    }

    fn apply(&mut self, op: &Op) {
        let n = self.accts.len();
        match *op {
            Op::Fill { a, b, inst, q, p } => {
                // Account indices 0..n (0 is the street).
                let (a, b) = ((a % n) as u32, (b % n) as u32);
                if a == b || q == 0 {
                    return;
                }
                let i = &self.insts[inst];
                let pr = price(inst, p);
                for (idx, d) in [(a, q), (b, -q)] {
                    let r = self
                        .accts
                        .apply_fill(idx, inst as u32, i, Qty(d), pr)
                        .unwrap();
                    // An isolated position closed below zero margin leaves
                    // its shortfall to the caller (the engine's fund): the
                    // account's money rises by it, as if paid from outside.
                    self.deposited += r.shortfall;
                    if r.opened.0 > 0 {
                        self.accts
                            .fund_isolated_increase(idx, inst as u32, i, r.opened, pr)
                            .unwrap();
                    }
                }
                self.update(a);
                self.update(b);
            }
            Op::Deposit { a, amount } => {
                let a = (a % n) as u32;
                let amt = money(amount, 0);
                self.accts.credit(a, amt).unwrap();
                self.deposited += amt;
                self.update(a);
            }
            Op::Funding { inst, rate } => {
                let Some(mark) = self.marks.mark(inst as u32) else {
                    return;
                };
                let r = self
                    .accts
                    .funding(inst as u32, &self.insts[inst], Rate(rate), mark)
                    .unwrap();
                for &t in &r.touched {
                    self.update(t);
                }
                self.update(0);
            }
            Op::Mark { inst, p } => {
                let pr = price(inst, p);
                if self.marks.force(inst as u32, pr).is_some() {
                    let mk = Market::new(&self.insts, &self.marks);
                    let mut got = Vec::new();
                    self.index
                        .on_mark(&mut self.accts, &mk, inst as u32, &mut got);
                    let want = brute_force_liquidatable(&self.accts, &mk, Some(inst as u32));
                    assert_eq!(got, want, "on_mark({inst}) at {pr:?}");
                }
            }
        }
    }

    fn check(&mut self) {
        // (a) conservation.
        assert_eq!(self.accts.total_money().unwrap(), self.deposited);
        for i in 0..self.insts.len() {
            assert_eq!(self.accts.net_qty(i as u32), 0);
        }
        // (b) the index agrees with a full scan for every marked instrument.
        for i in 0..self.insts.len() as u32 {
            if self.marks.mark(i).is_none() {
                continue;
            }
            let mk = Market::new(&self.insts, &self.marks);
            let mut got = Vec::new();
            self.index.on_mark(&mut self.accts, &mk, i, &mut got);
            let want = brute_force_liquidatable(&self.accts, &mk, Some(i));
            assert_eq!(got, want, "index vs scan, instrument {i}");
        }
        // (c) the exact test flips at the liquidation price.
        let mk = Market::new(&self.insts, &self.marks);
        for (idx, acct) in self.accts.iter().skip(1) {
            for &(i, _) in acct.positions() {
                let bound = liq_bound(acct, i, &mk).unwrap();
                let inverse = self.insts[i as usize].is_inverse();
                // Inverse values are rounded to a money unit in the exact
                // test: allow the index's own pad around the root.
                let pad = match (inverse, self.index.key_of(&self.accts, idx, i)) {
                    (false, _) => 0.0,
                    (true, Some((k, _))) if k.is_finite() => {
                        let r = match bound {
                            LiqBound::Below(r) | LiqBound::Above(r) => r.to_f64(),
                            _ => continue,
                        };
                        (k - r).abs()
                    }
                    _ => continue,
                };
                let at = |p: i64| -> Option<bool> {
                    if p <= 0 {
                        return None;
                    }
                    let mut marks = self.marks.clone();
                    marks.force(i, Price(p));
                    let m2 = Market::new(&self.insts, &marks);
                    Some(unit_liquidatable(acct, i, &m2).unwrap())
                };
                let ticks = |r: Ratio| -> (i64, i64) {
                    let floor = r.num.div_euclid(r.den);
                    let ceil = floor + i128::from(r.num.rem_euclid(r.den) != 0);
                    (floor as i64, ceil as i64)
                };
                let slack = pad.ceil() as i64 + i64::from(inverse);
                match bound {
                    LiqBound::Below(r) => {
                        let (_, ceil) = ticks(r);
                        if let Some(v) = at(ceil - 1 - slack) {
                            assert!(v, "long {idx}/{i} not liquidatable below {r:?}");
                        }
                        if let Some(v) = at(ceil + slack) {
                            assert!(!v, "long {idx}/{i} liquidatable at/above {r:?}");
                        }
                    }
                    LiqBound::Above(r) => {
                        let (floor, _) = ticks(r);
                        if let Some(v) = at(floor - slack) {
                            assert!(!v, "short {idx}/{i} liquidatable at/below {r:?}");
                        }
                        if let Some(v) = at(floor + 1 + slack) {
                            assert!(v, "short {idx}/{i} not liquidatable above {r:?}");
                        }
                    }
                    LiqBound::Never | LiqBound::Always => {
                        let want = bound == LiqBound::Always;
                        let base = BASE[i as usize];
                        for p in [base / 4, base, base * 4] {
                            assert_eq!(at(p), Some(want), "{bound:?} {idx}/{i} at {p}");
                        }
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn margin_invariants_hold_on_random_paths(
        specs in prop::collection::vec(account(), 1..12),
        ops in prop::collection::vec(op(13), 1..60),
    ) {
        let mut w = World::new(&specs);
        w.check();
        for op in &ops {
            w.apply(op);
            w.check();
        }
    }
}

impl World {
    /// Moves the mark of `inst` by `tenths` of a per mille (small moves
    /// stay inside the ADL ranking's windows).
    fn nudge(&mut self, inst: usize, tenths: i64) {
        let Some(m) = self.marks.mark(inst as u32) else {
            return;
        };
        let p = Price((m.0 + m.0 * tenths / 10_000).max(1));
        if self.marks.force(inst as u32, p).is_some() {
            let mk = Market::new(&self.insts, &self.marks);
            let mut got = Vec::new();
            self.index
                .on_mark(&mut self.accts, &mk, inst as u32, &mut got);
        }
    }

    /// The ranking's prefixes against a full sort, every marked
    /// instrument and side.
    fn check_adl(&mut self, adl: &mut AdlRanking, qty: i64) {
        for i in 0..self.insts.len() as u32 {
            if self.marks.mark(i).is_none() {
                continue;
            }
            for side in [Side::Buy, Side::Sell] {
                let mk = Market::new(&self.insts, &self.marks);
                let want = adl_queue(&self.accts, &mk, i, side, 0).unwrap();
                for q in [1, qty, i64::MAX] {
                    let got = adl.queue(&mut self.accts, &mk, i, side, 0, Qty(q)).unwrap();
                    assert!(
                        want.starts_with(&got),
                        "prefix for {q} lots of {i}/{side:?}: {got:?} vs {want:?}"
                    );
                    let covered: i64 = got.iter().map(|e| e.qty.0).sum();
                    assert!(
                        covered >= q || got.len() == want.len(),
                        "{q} lots of {i}/{side:?} not covered by {got:?}"
                    );
                    if q == i64::MAX {
                        assert_eq!(got, want);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn adl_ranking_matches_a_full_sort(
        specs in prop::collection::vec(account(), 1..14),
        ops in prop::collection::vec((op(15), 0..3usize, -60i64..60, 1i64..3000), 1..60),
    ) {
        let mut w = World::new(&specs);
        for (k, i) in [(0usize, 1000i64), (1, 1000), (2, 1000)] {
            w.apply(&Op::Mark { inst: k, p: i });
        }
        let mut adl = AdlRanking::new();
        w.check_adl(&mut adl, 10);
        for (op, inst, tenths, qty) in &ops {
            // Half of the steps nudge a mark (mostly within the windows),
            // the others are the margin test's operations.
            if tenths % 2 == 0 {
                w.nudge(*inst, *tenths);
            } else {
                w.apply(op);
            }
            w.check_adl(&mut adl, *qty);
        }
    }
}
