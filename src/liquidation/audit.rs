//! An outside check of the money, from a script's own commands and the
//! events alone (`spec/scenario.md` 1.1, "Events for outside checks").
//!
//! Owns: a second ledger rebuilt without looking at the engine: what each
//! command brought in from outside (deposits, insurance top-ups), the
//! `position` set-ups and funding payments (computed from the positions
//! and mark the events showed, by the spec's formula), and then every
//! event that moves money: fills and their fees, liquidation fees, backstop
//! closes, ADL, bad debt, socialized shares. For every account it keeps
//! its money (balance, isolated margins and position cash flows together:
//! moves between them are internal) and its positions; for the engine, the
//! insurance funds and fee pools. It checks them against every `account`
//! event (money and sizes) and every `funds` event (funds, fee pools,
//! socialized total), and that money is conserved to the unit there.
//!
//! Must not: read the engine's state, or be used outside tests and fuzzing.

use std::collections::BTreeMap;

use super::Engine;
use crate::command::Command;
use crate::event::{AccountReport, CollectSink, Event, FundsReport, RejectReason};
use crate::instrument::Instrument;
use crate::muldiv::{mul_div, Rounding};
use crate::script::parse_line;
use crate::types::{AccountId, Money, Price, Qty, Rate, Ratio, Side, STREET};

/// One account as the events show it.
#[derive(Clone, Debug, Default)]
struct Holding {
    /// Balance, isolated margins and position cash flows together.
    money: Money,
    /// Net position per instrument, in lots (flat ones removed).
    qty: BTreeMap<usize, i64>,
}

/// The rebuilt ledger.
#[derive(Debug, Default)]
pub struct Audit {
    instruments: Vec<Instrument>,
    marks: Vec<Option<Price>>,
    accounts: BTreeMap<AccountId, Holding>,
    /// Insurance funds: `None` the shared one, `Some(i)` instrument i's own.
    insurance: BTreeMap<Option<usize>, Money>,
    fee_pool: Vec<Money>,
    socialized: Money,
    /// Deposits (less withdrawals) and insurance top-ups.
    brought_in: Money,
    /// `funds` events checked so far.
    pub funds_checked: usize,
    /// `account` events checked so far.
    pub accounts_checked: usize,
}

impl Audit {
    /// An empty ledger with only the street.
    pub fn new() -> Audit {
        let mut a = Audit::default();
        a.accounts.insert(STREET, Holding::default());
        a.insurance.insert(None, Money::ZERO);
        a
    }

    fn holding(&mut self, id: AccountId) -> &mut Holding {
        self.accounts.entry(id).or_default()
    }

    /// Moves `delta` lots of `inst` at `price` into account `id`: its money
    /// changes by the fill's cash flow, `-value(delta, price)`.
    fn trade(&mut self, id: AccountId, inst: usize, delta: i64, price: Price) {
        let cash = -self.instruments[inst].value(Qty(delta), price);
        let h = self.holding(id);
        h.money += cash;
        let q = h.qty.entry(inst).or_insert(0);
        *q += delta;
        if *q == 0 {
            h.qty.remove(&inst);
        }
    }

    fn qty(&self, id: AccountId, inst: usize) -> i64 {
        self.accounts
            .get(&id)
            .and_then(|h| h.qty.get(&inst))
            .copied()
            .unwrap_or(0)
    }

    /// The fund that backs `inst`: its own if it has one, else the shared.
    fn fund(&mut self, inst: usize) -> &mut Money {
        let key = if self.insurance.contains_key(&Some(inst)) {
            Some(inst)
        } else {
            None
        };
        self.insurance.entry(key).or_default()
    }

    /// Takes in one command that ran (`ok`), with the events it emitted.
    pub fn command(&mut self, cmd: &Command, ok: bool, events: &[Event]) -> Result<(), String> {
        if ok {
            self.input(cmd, events);
        }
        for e in events {
            self.event(e)?;
        }
        Ok(())
    }

    /// What a command that ran brought in or set up.
    fn input(&mut self, cmd: &Command, events: &[Event]) {
        let amount = |d: crate::types::Decimal| Money::from_decimal(d).unwrap_or(Money::ZERO);
        match cmd {
            Command::Instrument(spec) => {
                if let Ok(i) = Instrument::new(spec) {
                    self.instruments.push(i);
                    self.marks.push(None);
                    self.fee_pool.push(Money::ZERO);
                }
            }
            Command::Account { id, deposit, .. } => {
                let m = amount(*deposit);
                self.holding(*id).money += m;
                self.brought_in += m;
            }
            Command::Deposit { account, amount: a } => {
                let refused = events.iter().any(|e| {
                    matches!(e, Event::RequestRejected { cmd: "deposit", reason, .. }
                        if *reason == RejectReason::InsufficientMargin)
                });
                if !refused {
                    let m = amount(*a);
                    self.holding(*account).money += m;
                    self.brought_in += m;
                }
            }
            Command::Insurance { amount: a, symbol } => {
                let key = symbol.as_ref().and_then(|s| self.index_of(s));
                let m = amount(*a);
                *self.insurance.entry(key).or_default() += m;
                self.brought_in += m;
            }
            Command::Position {
                account,
                symbol,
                qty,
                entry,
                ..
            } => {
                let Some(i) = self.index_of(symbol) else {
                    return;
                };
                let spec = &self.instruments[i];
                let (Ok(q), Ok(p)) = (spec.qty(*qty), spec.price(*entry)) else {
                    return;
                };
                self.trade(*account, i, q.0, p);
                self.trade(STREET, i, -q.0, p);
            }
            Command::Funding { symbol, rate } => {
                let Some(i) = self.index_of(symbol) else {
                    return;
                };
                let (Some(mark), Ok(rate)) = (self.marks[i], Rate::from_decimal(*rate)) else {
                    return;
                };
                self.funding(i, rate, mark);
            }
            _ => {}
        }
    }

    /// The spec's funding: every real position pays `rate x value at the
    /// mark` (longs pay when the rate is positive; an inverse position's
    /// value has the opposite sign), rounded half away from zero; the
    /// street pays the sum of the others' payments, negated.
    fn funding(&mut self, inst: usize, rate: Rate, mark: Price) {
        let spec = &self.instruments[inst];
        let mut pays = Vec::new();
        for (id, h) in &self.accounts {
            let Some(&q) = h.qty.get(&inst) else { continue };
            if *id == STREET {
                continue;
            }
            let mut exposure = spec.value(Qty(q), mark);
            if spec.is_inverse() {
                exposure = -exposure;
            }
            let pay = mul_div(
                exposure.0,
                rate.0 as i128,
                Rate::ONE.0 as i128,
                Rounding::HalfAway,
            )
            .map_or(Money::ZERO, Money);
            pays.push((*id, pay));
        }
        let mut total = Money::ZERO;
        for (id, pay) in pays {
            self.holding(id).money -= pay;
            total += pay;
        }
        self.holding(STREET).money += total;
    }

    fn index_of(&self, symbol: &str) -> Option<usize> {
        self.instruments.iter().position(|i| i.symbol == symbol)
    }

    /// Takes in one event.
    fn event(&mut self, e: &Event) -> Result<(), String> {
        match e {
            Event::Mark { inst, price } => self.marks[*inst as usize] = Some(*price),
            Event::Fill {
                inst,
                price,
                qty,
                maker_account,
                taker_account,
                aggressor,
                taker_fee,
                maker_fee,
                ..
            } => {
                let i = *inst as usize;
                let d = if *aggressor == Side::Buy {
                    qty.0
                } else {
                    -qty.0
                };
                self.trade(*taker_account, i, d, *price);
                self.trade(*maker_account, i, -d, *price);
                self.holding(*taker_account).money -= *taker_fee;
                self.holding(*maker_account).money -= *maker_fee;
                self.fee_pool[i] += *taker_fee + *maker_fee;
            }
            Event::Adl(a) => {
                let i = a.inst as usize;
                // The liquidated position closes: its sign gives the side.
                let d = -self.qty(a.counterparty, i).signum() * a.qty.0;
                self.trade(a.counterparty, i, d, a.price);
                self.trade(a.account, i, -d, a.price);
            }
            Event::Liquidation(l) => {
                let i = l.inst as usize;
                self.holding(l.account).money -= l.fee;
                *self.fund(i) += l.fee;
                if l.backstop_qty.0 > 0 {
                    let (Some(close), Some(mark)) = (l.close_price, self.marks[i]) else {
                        return Err(format!(
                            "liquidation of account {} with a backstop but no close price or mark",
                            l.account
                        ));
                    };
                    // The fund takes the lots at the close price and passes
                    // them to the street at the mark, keeping the difference.
                    let d = match l.side {
                        Side::Sell => -l.backstop_qty.0,
                        Side::Buy => l.backstop_qty.0,
                    };
                    let spec = &self.instruments[i];
                    let kept = spec.value(Qty(d), close) - spec.value(Qty(d), mark);
                    self.trade(l.account, i, d, close);
                    self.trade(STREET, i, -d, mark);
                    *self.fund(i) += kept;
                }
                self.holding(l.account).money += l.bad_debt;
                *self.fund(i) -= l.bad_debt;
            }
            Event::BadDebt {
                account,
                inst,
                amount,
            } => {
                self.holding(*account).money += *amount;
                *self.fund(*inst as usize) -= *amount;
            }
            Event::Socialized {
                account, amount, ..
            } => {
                // A deficit is socialized: the funds in deficit are reset.
                for f in self.insurance.values_mut() {
                    if *f < Money::ZERO {
                        *f = Money::ZERO;
                    }
                }
                self.holding(*account).money -= *amount;
                self.socialized += *amount;
            }
            Event::Funds(f) => self.check_funds(f)?,
            Event::Account(a) => self.check_account(a)?,
            _ => {}
        }
        Ok(())
    }

    /// A `funds` event agrees with the rebuilt funds, and money is
    /// conserved: everything held equals what came in, to the unit.
    fn check_funds(&mut self, f: &FundsReport) -> Result<(), String> {
        let insurance: BTreeMap<Option<usize>, Money> = f
            .insurance
            .iter()
            .map(|(i, m)| (i.map(|i| i as usize), *m))
            .collect();
        if insurance != self.insurance {
            return Err(format!(
                "funds event: insurance {insurance:?}, rebuilt {:?}",
                self.insurance
            ));
        }
        let fees: Vec<Money> = f.fee_pool.iter().map(|(_, m)| *m).collect();
        if fees != self.fee_pool {
            return Err(format!(
                "funds event: fee pools {fees:?}, rebuilt {:?}",
                self.fee_pool
            ));
        }
        if f.socialized_total != self.socialized {
            return Err(format!(
                "funds event: socialized {}, rebuilt {}",
                f.socialized_total, self.socialized
            ));
        }
        let held: Money = self.accounts.values().map(|h| h.money).sum::<Money>()
            + self.insurance.values().copied().sum::<Money>()
            + self.fee_pool.iter().copied().sum::<Money>();
        if held != self.brought_in {
            return Err(format!(
                "funds event: {} units held, {} brought in",
                held.0, self.brought_in.0
            ));
        }
        self.funds_checked += 1;
        Ok(())
    }

    /// An `account` event agrees with the rebuilt account: the same
    /// positions, and balance + isolated margins + the positions' cash
    /// flows (exactly what their entry prices imply) equal its money.
    fn check_account(&mut self, a: &AccountReport) -> Result<(), String> {
        let want = self.accounts.get(&a.account).cloned().unwrap_or_default();
        let got: BTreeMap<usize, i64> = a
            .positions
            .iter()
            .map(|p| (p.inst as usize, p.qty.0))
            .collect();
        if got != want.qty {
            return Err(format!(
                "account {}: positions {got:?}, rebuilt {:?}",
                a.account, want.qty
            ));
        }
        let mut money = a.balance;
        for p in &a.positions {
            money += p.margin.unwrap_or(Money::ZERO);
            money +=
                cash_of(&self.instruments[p.inst as usize], p.qty, p.entry).ok_or_else(|| {
                    format!(
                        "account {}: entry {:?} does not give a cash flow",
                        a.account, p.entry
                    )
                })?;
        }
        if money != want.money {
            return Err(format!(
                "account {}: money {} units reported, {} rebuilt",
                a.account, money.0, want.money.0
            ));
        }
        self.accounts_checked += 1;
        Ok(())
    }
}

/// The cash flow of a position of `qty` whose entry price (in ticks, as
/// reported: exact) is `entry`: `-value(qty, entry)` unrounded, which is
/// exactly the position's cash flow (the entry price is defined from it).
fn cash_of(inst: &Instrument, qty: Qty, entry: Ratio) -> Option<Money> {
    if entry.num == 0 {
        return Some(Money::ZERO);
    }
    let (a, b) = inst.value_factors();
    let q = qty.0 as i128;
    let (num, den) = if inst.is_inverse() {
        // value = -q a / (P b): cash = q a den / (num b).
        (
            q.checked_mul(a)?.checked_mul(entry.den)?,
            entry.num.checked_mul(b)?,
        )
    } else {
        // value = q P a: cash = -q a num / den.
        (-q.checked_mul(a)?.checked_mul(entry.num)?, entry.den)
    };
    (num % den == 0).then(|| Money(num / den))
}

/// Runs a script (its text) through a fresh engine and the audit, command
/// by command; after the last line, queries every account (the street
/// included) and asks for the funds. Returns the audit, or the first
/// disagreement with the line it came from.
pub fn audit_script(text: &str) -> Result<Audit, String> {
    let mut cmds = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if let Ok(Some(c)) = parse_line(line) {
            cmds.push((n + 1, c));
        }
    }
    audit_commands(cmds.into_iter())
}

/// `audit_script` for commands already parsed, each with its line number.
pub fn audit_commands(cmds: impl Iterator<Item = (usize, Command)>) -> Result<Audit, String> {
    let mut engine = Engine::new();
    let mut audit = Audit::new();
    let mut sink = CollectSink::default();
    let mut reports = Vec::new();
    let mut run = |engine: &mut Engine, audit: &mut Audit, line: usize, cmd: &Command| {
        sink.events.clear();
        let ok = engine.apply(cmd, &mut sink).is_ok();
        for e in &sink.events {
            if let Event::Account(a) = e {
                reports.push(a.clone());
            }
        }
        audit
            .command(cmd, ok, &sink.events)
            .map_err(|e| format!("line {line} ({cmd:?}): {e}"))
    };
    let mut last = 0;
    for (line, cmd) in cmds {
        run(&mut engine, &mut audit, line, &cmd)?;
        last = line;
    }
    let ids: Vec<AccountId> = engine.accounts().iter().map(|(_, a)| a.id()).collect();
    let n = ids.len();
    for account in ids {
        run(&mut engine, &mut audit, last, &Command::Query { account })?;
    }
    run(&mut engine, &mut audit, last, &Command::Funds {})?;
    audit.check_reported_sum(&reports[reports.len() - n..])?;
    Ok(audit)
}

impl Audit {
    /// The spec's identity on what the events report: over every account
    /// (the street included), balances + isolated margins + unrealized PnL,
    /// plus the funds and fee pools, equal what came in, to the unit. It
    /// holds while every instrument with open positions has a mark (an
    /// unmarked position reports no PnL though it holds a cash flow). For
    /// an inverse contract in which the street holds nothing, the other
    /// positions' values (each rounded to a unit) need not cancel: that
    /// residue, computed exactly, is allowed for.
    fn check_reported_sum(&self, everyone: &[AccountReport]) -> Result<(), String> {
        let unmarked = everyone.iter().any(|a| {
            a.positions
                .iter()
                .any(|p| self.marks[p.inst as usize].is_none())
        });
        if unmarked {
            return Ok(());
        }
        let reported: Money = everyone
            .iter()
            .map(|a| {
                a.balance
                    + a.positions
                        .iter()
                        .map(|p| p.margin.unwrap_or(Money::ZERO) + p.upnl)
                        .sum::<Money>()
            })
            .sum::<Money>()
            + self.insurance.values().copied().sum::<Money>()
            + self.fee_pool.iter().copied().sum::<Money>();
        // The street's reported PnL is the counterpart of all others (so
        // that inverse values, each rounded on its own, still sum to zero);
        // where the street is flat, the others' rounded values remain.
        let mut residue = Money::ZERO;
        for (i, spec) in self.instruments.iter().enumerate() {
            let (Some(mark), 0) = (self.marks[i], self.qty(STREET, i)) else {
                continue;
            };
            for h in self.accounts.values() {
                if let Some(&q) = h.qty.get(&i) {
                    residue += spec.value(Qty(q), mark);
                }
            }
        }
        if reported != self.brought_in + residue {
            return Err(format!(
                "reported balances, margins and PnL with the funds: {} units, brought in {}",
                reported.0, self.brought_in.0
            ));
        }
        Ok(())
    }
}
