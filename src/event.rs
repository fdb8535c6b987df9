//! What the engine emits: one typed `Event` per thing that happened, and the
//! `EventSink` that receives them.
//!
//! Owns: the event types of `spec/scenario.md` (plus the documented
//! extensions), the rejection reasons, and rendering an event as one JSON
//! line with the spec's field names and number formats.
//!
//! Must not: decide anything. Events carry integers (ticks, lots, money
//! units, exact ratios); the instrument table turns them into decimal text
//! only when a sink renders them, so the engine's hot path never formats.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::book::CancelReason;
use crate::instrument::Instrument;
use crate::types::{AccountId, Money, OrderId, Price, Qty, Ratio, Side};

/// Index of an instrument in the engine's table (order of definition).
pub type InstrumentIdx = u32;

/// Why an order (or another request) was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// Equity minus initial margin would fall below zero.
    InsufficientMargin,
    /// A post-only order would have taken liquidity.
    PostOnlyWouldCross,
    /// A fill-or-kill order could not fill in full.
    FokUnfillable,
    /// A reduce-only order would not reduce a position.
    ReduceOnly,
    /// The price is outside the instrument's band around the mark.
    PriceBand,
    /// A price is not a positive multiple of the tick.
    BadTick,
    /// A quantity is not a positive multiple of the lot.
    BadLot,
    /// The id is already in use by a live order.
    DuplicateId,
    /// No instrument has this symbol.
    UnknownSymbol,
    /// No account has this id.
    UnknownAccount,
    /// No live order has this id.
    UnknownOrder,
    /// The instrument is halted.
    Halted,
    /// A stop order whose trigger condition already holds.
    WouldTrigger,
    /// The order would take the position past the engine's size limit.
    TooLarge,
    /// Ids from 2^62 up are reserved for the engine's own orders.
    ReservedId,
}

impl RejectReason {
    /// The name used in `rejected` events.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::InsufficientMargin => "insufficient_margin",
            RejectReason::PostOnlyWouldCross => "post_only_would_cross",
            RejectReason::FokUnfillable => "fok_unfillable",
            RejectReason::ReduceOnly => "reduce_only",
            RejectReason::PriceBand => "price_band",
            RejectReason::BadTick => "bad_tick",
            RejectReason::BadLot => "bad_lot",
            RejectReason::DuplicateId => "duplicate_id",
            RejectReason::UnknownSymbol => "unknown_symbol",
            RejectReason::UnknownAccount => "unknown_account",
            RejectReason::UnknownOrder => "unknown_order",
            RejectReason::Halted => "halted",
            RejectReason::WouldTrigger => "would_trigger",
            RejectReason::TooLarge => "too_large",
            RejectReason::ReservedId => "reserved_id",
        }
    }
}

impl From<crate::book::BookReject> for RejectReason {
    fn from(r: crate::book::BookReject) -> Self {
        use crate::book::BookReject as B;
        match r {
            B::PostOnlyWouldCross => RejectReason::PostOnlyWouldCross,
            B::FokUnfillable => RejectReason::FokUnfillable,
            B::DuplicateId => RejectReason::DuplicateId,
            B::UnknownOrder => RejectReason::UnknownOrder,
            B::BadQty => RejectReason::BadLot,
            B::WouldTrigger => RejectReason::WouldTrigger,
        }
    }
}

/// A `liquidation` event: one account's liquidation of one position.
#[derive(Clone, Debug, PartialEq)]
pub struct LiquidationReport {
    /// Cascade number (from 1).
    pub cascade: u32,
    /// Step within the cascade (from 1).
    pub step: u32,
    /// Liquidated account.
    pub account: AccountId,
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Side of the liquidation order (`sell` for a long).
    pub side: Side,
    /// Position size it set out to close.
    pub qty: Qty,
    /// What the book took.
    pub filled: Qty,
    /// Volume-weighted price of the book fills, in ticks (absent if none).
    pub vwap: Option<Ratio>,
    /// The mark that triggered it.
    pub mark: Price,
    /// Bankruptcy price at the start of the liquidation, in ticks.
    pub bankruptcy: Option<Ratio>,
    /// The unit's equity when its liquidation started.
    pub equity: Money,
    /// The unit's maintenance margin when its liquidation started.
    pub maint_margin: Money,
    /// The one price at which the backstop and ADL closed what the book did
    /// not take (absent when the book took everything).
    pub close_price: Option<Price>,
    /// Liquidation fee paid to the insurance fund.
    pub fee: Money,
    /// Net change of the insurance fund caused by this liquidation.
    pub insurance_delta: Money,
    /// Loss beyond the account's equity (covered by the fund, then socialized).
    pub bad_debt: Money,
    /// Quantity taken by the backstop (extension).
    pub backstop_qty: Qty,
    /// Quantity closed by auto-deleveraging (extension).
    pub adl_qty: Qty,
}

/// An `adl` event: one counterparty's position reduced at the bankruptcy price.
#[derive(Clone, Debug, PartialEq)]
pub struct AdlReport {
    /// Cascade number.
    pub cascade: u32,
    /// Step.
    pub step: u32,
    /// The deleveraged account.
    pub account: AccountId,
    /// The liquidated account.
    pub counterparty: AccountId,
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Quantity closed.
    pub qty: Qty,
    /// Price (the bankruptcy price rounded to a tick).
    pub price: Price,
}

/// A `step` event: one cascade step on one instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// Cascade number.
    pub cascade: u32,
    /// Step number.
    pub step: u32,
    /// Instrument (extension field `symbol`).
    pub inst: InstrumentIdx,
    /// Accounts liquidated in this step on this instrument.
    pub accounts: u32,
    /// Quantity the liquidation orders filled in the book.
    pub qty: Qty,
    /// Notional of those fills.
    pub notional: Money,
    /// Their volume-weighted price, in ticks.
    pub vwap: Option<Ratio>,
    /// Book mid when the step started, in ticks.
    pub mid_before: Option<Ratio>,
    /// Mark that triggered the step.
    pub mark_before: Option<Price>,
    /// Mark when the step ended.
    pub mark_after: Option<Price>,
    /// Signed slippage in bps (positive = cost to the liquidated).
    pub slippage_bps: Option<Ratio>,
    /// Distinct price levels that gave at least one liquidation fill.
    pub levels_walked: u32,
    /// Insurance fund before the step.
    pub insurance_before: Money,
    /// Insurance fund after the step.
    pub insurance_after: Money,
    /// Bad debt of the step.
    pub bad_debt: Money,
    /// Quantity auto-deleveraged in the step.
    pub adl_qty: Qty,
}

/// A `cascade` event (extension): the summary of a finished cascade on one
/// instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct CascadeReport {
    /// Cascade number.
    pub cascade: u32,
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Steps with liquidations on this instrument.
    pub steps: u32,
    /// Liquidations on this instrument.
    pub accounts: u32,
    /// Total quantity filled by liquidation orders.
    pub qty: Qty,
    /// Total notional of those fills.
    pub notional: Money,
    /// Mark before the cascade.
    pub mark_start: Option<Price>,
    /// Mark after the cascade.
    pub mark_end: Option<Price>,
    /// Price move the cascade caused, in bps of the starting mark (signed).
    pub price_move_bps: Option<Ratio>,
    /// Insurance fund drawdown: the start minus the lowest point, the
    /// lowest counted at zero (a deficit below it is socialized instead).
    pub insurance_drawdown: Money,
    /// Total bad debt.
    pub bad_debt: Money,
    /// Total auto-deleveraged quantity.
    pub adl_qty: Qty,
    /// Insurance deficit charged to the accounts pro rata when the cascade
    /// ended (across all funds).
    pub socialized: Money,
    /// True when a circuit breaker halted the instrument during the cascade.
    pub halted: bool,
}

/// A `funds` event: every insurance fund, the fee pools and the
/// socialized-loss total.
#[derive(Clone, Debug, PartialEq)]
pub struct FundsReport {
    /// Insurance fund balances: the shared fund (`None`) first, then each
    /// instrument's own fund, in instrument order.
    pub insurance: Vec<(Option<InstrumentIdx>, Money)>,
    /// Trading fees collected, per instrument, in instrument order.
    pub fee_pool: Vec<(InstrumentIdx, Money)>,
    /// Losses charged to the accounts pro rata so far.
    pub socialized_total: Money,
}

/// One position inside an `account` event.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionReport {
    /// Instrument.
    pub inst: InstrumentIdx,
    /// Signed quantity.
    pub qty: Qty,
    /// Average entry price, in ticks.
    pub entry: Ratio,
    /// Unrealized PnL at the mark (0 when no mark yet).
    pub upnl: Money,
    /// Liquidation price, in ticks, when a positive price liquidates it.
    pub liq_price: Option<Ratio>,
    /// Isolated margin (extension; isolated positions only).
    pub margin: Option<Money>,
}

/// An `account` event.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountReport {
    /// Account id.
    pub account: AccountId,
    /// Balance (deposits plus realized PnL, fees and funding).
    pub balance: Money,
    /// Equity (cross: balance plus unrealized PnL; isolated margins added).
    pub equity: Money,
    /// Maintenance margin.
    pub maint_margin: Money,
    /// Initial margin of positions and open orders.
    pub initial_margin: Money,
    /// Open positions.
    pub positions: Vec<PositionReport>,
}

/// One thing the engine reports.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// An order (or an amendment) was accepted.
    Accepted {
        /// Order id.
        id: OrderId,
    },
    /// An order was refused.
    Rejected {
        /// Order id.
        id: OrderId,
        /// Why.
        reason: RejectReason,
    },
    /// A request without an order id was refused (extension: withdrawals).
    RequestRejected {
        /// The command (`deposit`).
        cmd: &'static str,
        /// Account concerned.
        account: AccountId,
        /// Why.
        reason: RejectReason,
    },
    /// A trade.
    Fill {
        /// Instrument.
        inst: InstrumentIdx,
        /// Price.
        price: Price,
        /// Quantity.
        qty: Qty,
        /// Resting order.
        maker: OrderId,
        /// Incoming order.
        taker: OrderId,
        /// Owner of the resting order.
        maker_account: AccountId,
        /// Owner of the incoming order.
        taker_account: AccountId,
        /// Side of the taker.
        aggressor: Side,
        /// True when the taker is a liquidation order.
        liquidation: bool,
        /// Fee charged to the taker (negative: a rebate).
        taker_fee: Money,
        /// Fee charged to the maker (negative: a rebate).
        maker_fee: Money,
    },
    /// An order or part of one was removed without trading.
    Canceled {
        /// Instrument (for formatting `remaining`).
        inst: InstrumentIdx,
        /// Order id.
        id: OrderId,
        /// Quantity removed.
        remaining: Qty,
        /// Why.
        reason: CancelReason,
    },
    /// Self-trade prevention (`decrement`) shrank an order that stays alive.
    Reduced {
        /// Instrument (for formatting quantities).
        inst: InstrumentIdx,
        /// Order id.
        id: OrderId,
        /// Quantity removed.
        qty: Qty,
        /// Quantity still open.
        remaining: Qty,
        /// Why (`stp`).
        reason: CancelReason,
    },
    /// A stop order became active.
    Triggered {
        /// Order id.
        id: OrderId,
    },
    /// The mark price changed.
    Mark {
        /// Instrument.
        inst: InstrumentIdx,
        /// New mark.
        price: Price,
    },
    /// An instrument was halted or resumed (extension; by command or breaker).
    Halt {
        /// Instrument.
        inst: InstrumentIdx,
        /// True for a halt, false for a resume.
        halted: bool,
        /// `command` or `breaker`.
        reason: &'static str,
    },
    /// A liquidation.
    Liquidation(LiquidationReport),
    /// An auto-deleveraging.
    Adl(AdlReport),
    /// A cascade step.
    Step(StepReport),
    /// A cascade summary (extension).
    Cascade(CascadeReport),
    /// An account snapshot (answer to `query`).
    Account(AccountReport),
    /// An account charged its share of an insurance deficit when a cascade
    /// ended (`cascade` 0: a deficit left outside any cascade).
    Socialized {
        /// Cascade number.
        cascade: u32,
        /// The account charged (0: the street, for what no account could
        /// pay).
        account: AccountId,
        /// The amount charged.
        amount: Money,
    },
    /// The engine's own ledgers.
    Funds(FundsReport),
    /// An isolated position closed (outside its own liquidation) with a
    /// margin it could not pay: the insurance fund paid `amount`
    /// (extension).
    BadDebt {
        /// The account.
        account: AccountId,
        /// Instrument.
        inst: InstrumentIdx,
        /// What the fund paid.
        amount: Money,
    },
    /// A book snapshot (answer to `book`).
    Book {
        /// Instrument.
        inst: InstrumentIdx,
        /// Bids, best first.
        bids: Vec<(Price, Qty)>,
        /// Asks, best first.
        asks: Vec<(Price, Qty)>,
    },
    /// A script line that could not be run.
    Error {
        /// 1-based line number in the script.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Receives events as the engine emits them.
pub trait EventSink {
    /// Called once per event, in order. `instruments` is the engine's table,
    /// indexed by `InstrumentIdx`, for rendering.
    fn emit(&mut self, event: &Event, instruments: &[Instrument]);
}

/// Collects events in memory (tests, library users).
#[derive(Debug, Default)]
pub struct CollectSink {
    /// Everything emitted so far.
    pub events: Vec<Event>,
}

impl EventSink for CollectSink {
    fn emit(&mut self, event: &Event, _instruments: &[Instrument]) {
        self.events.push(event.clone());
    }
}

/// Discards events (benchmarks).
#[derive(Debug, Default)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&mut self, _event: &Event, _instruments: &[Instrument]) {}
}

/// Writes each event as one JSON line.
#[derive(Debug)]
pub struct JsonLinesSink<W: Write> {
    out: W,
    line: String,
    /// First write error, if any (later writes are skipped).
    pub error: Option<io::Error>,
}

impl<W: Write> JsonLinesSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesSink {
            out,
            line: String::with_capacity(256),
            error: None,
        }
    }

    /// Flushes and returns the writer, or the first write error.
    pub fn finish(mut self) -> io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> EventSink for JsonLinesSink<W> {
    fn emit(&mut self, event: &Event, instruments: &[Instrument]) {
        if self.error.is_some() {
            return;
        }
        self.line.clear();
        render_json(event, instruments, &mut self.line);
        self.line.push('\n');
        if let Err(e) = self.out.write_all(self.line.as_bytes()) {
            self.error = Some(e);
        }
    }
}

/// Builds one JSON object with fields in insertion order; absent values
/// are left out, never `null`.
struct Obj<'a> {
    out: &'a mut String,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String, ev: &str) -> Self {
        out.push_str("{\"ev\":\"");
        out.push_str(ev);
        out.push('"');
        Obj { out }
    }
    fn key(&mut self, k: &str) {
        self.out.push_str(",\"");
        self.out.push_str(k);
        self.out.push_str("\":");
    }
    fn int(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        self.key(k);
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{v}");
        self
    }
    fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        push_json_string(self.out, v);
        self
    }
    fn opt_str(&mut self, k: &str, v: Option<String>) -> &mut Self {
        if let Some(v) = v {
            self.str(k, &v);
        }
        self
    }
    fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k);
        self.out.push_str(if v { "true" } else { "false" });
        self
    }
    fn raw(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        self.out.push_str(v);
        self
    }
    fn end(&mut self) {
        self.out.push('}');
    }
}

/// Appends `s` as a JSON string literal.
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Renders one event as a JSON object (no trailing newline) into `out`.
pub fn render_json(event: &Event, instruments: &[Instrument], out: &mut String) {
    let ins = |i: InstrumentIdx| &instruments[i as usize];
    let px = |i: InstrumentIdx, p: Price| ins(i).price_decimal(p).to_string();
    let qt = |i: InstrumentIdx, q: Qty| ins(i).qty_decimal(q).to_string();
    let ratio_px = |i: InstrumentIdx, r: Ratio| r.format_in(ins(i).tick);
    let bps = |r: Ratio| r.format_in(crate::types::Decimal::new(1, 0));
    // Money is printed to the unit (10^-12), so that outside checks can
    // add it up exactly (spec 1.1, "Events for outside checks").
    let money = |m: Money| crate::types::format_fixed(m.0, crate::types::MONEY_DECIMALS);
    match event {
        Event::Accepted { id } => Obj::new(out, "accepted").int("id", id).end(),
        Event::Rejected { id, reason } => Obj::new(out, "rejected")
            .int("id", id)
            .str("reason", reason.as_str())
            .end(),
        Event::RequestRejected {
            cmd,
            account,
            reason,
        } => Obj::new(out, "rejected")
            .str("cmd", cmd)
            .int("account", account)
            .str("reason", reason.as_str())
            .end(),
        Event::Fill {
            inst,
            price,
            qty,
            maker,
            taker,
            maker_account,
            taker_account,
            aggressor,
            liquidation,
            taker_fee,
            maker_fee,
        } => Obj::new(out, "fill")
            .str("symbol", &ins(*inst).symbol)
            .str("price", &px(*inst, *price))
            .str("qty", &qt(*inst, *qty))
            .int("maker", maker)
            .int("taker", taker)
            .int("maker_account", maker_account)
            .int("taker_account", taker_account)
            .str("aggressor", aggressor.as_str())
            .bool("liquidation", *liquidation)
            .str("taker_fee", &money(*taker_fee))
            .str("maker_fee", &money(*maker_fee))
            .end(),
        Event::Canceled {
            inst,
            id,
            remaining,
            reason,
        } => Obj::new(out, "canceled")
            .int("id", id)
            .str("remaining", &qt(*inst, *remaining))
            .str("reason", reason.as_str())
            .end(),
        Event::Reduced {
            inst,
            id,
            qty,
            remaining,
            reason,
        } => Obj::new(out, "reduced")
            .int("id", id)
            .str("qty", &qt(*inst, *qty))
            .str("remaining", &qt(*inst, *remaining))
            .str("reason", reason.as_str())
            .end(),
        Event::Triggered { id } => Obj::new(out, "triggered").int("id", id).end(),
        Event::Mark { inst, price } => Obj::new(out, "mark")
            .str("symbol", &ins(*inst).symbol)
            .str("price", &px(*inst, *price))
            .end(),
        Event::Halt {
            inst,
            halted,
            reason,
        } => Obj::new(out, if *halted { "halt" } else { "resume" })
            .str("symbol", &ins(*inst).symbol)
            .str("reason", reason)
            .end(),
        Event::Liquidation(l) => {
            let i = l.inst;
            Obj::new(out, "liquidation")
                .int("cascade", l.cascade)
                .int("step", l.step)
                .int("account", l.account)
                .str("symbol", &ins(i).symbol)
                .str("side", l.side.as_str())
                .str("qty", &qt(i, l.qty))
                .str("filled", &qt(i, l.filled))
                .opt_str("vwap", l.vwap.map(|r| ratio_px(i, r)))
                .str("mark", &px(i, l.mark))
                .opt_str("bankruptcy", l.bankruptcy.map(|r| ratio_px(i, r)))
                .str("equity", &money(l.equity))
                .str("maint_margin", &money(l.maint_margin))
                .opt_str("close_price", l.close_price.map(|p| px(i, p)))
                .str("fee", &money(l.fee))
                .str("insurance_delta", &money(l.insurance_delta))
                .str("bad_debt", &money(l.bad_debt))
                .str("backstop_qty", &qt(i, l.backstop_qty))
                .str("adl_qty", &qt(i, l.adl_qty))
                .end()
        }
        Event::Adl(a) => Obj::new(out, "adl")
            .int("cascade", a.cascade)
            .int("step", a.step)
            .int("account", a.account)
            .int("counterparty", a.counterparty)
            .str("symbol", &ins(a.inst).symbol)
            .str("qty", &qt(a.inst, a.qty))
            .str("price", &px(a.inst, a.price))
            .end(),
        Event::Step(s) => {
            let i = s.inst;
            Obj::new(out, "step")
                .int("cascade", s.cascade)
                .int("step", s.step)
                .str("symbol", &ins(i).symbol)
                .int("accounts", s.accounts)
                .str("qty", &qt(i, s.qty))
                .str("notional", &money(s.notional))
                .opt_str("vwap", s.vwap.map(|r| ratio_px(i, r)))
                .opt_str("mid_before", s.mid_before.map(|r| ratio_px(i, r)))
                .opt_str("mark_before", s.mark_before.map(|p| px(i, p)))
                .opt_str("mark_after", s.mark_after.map(|p| px(i, p)))
                .opt_str("slippage_bps", s.slippage_bps.map(bps))
                .int("levels_walked", s.levels_walked)
                .str("insurance_before", &money(s.insurance_before))
                .str("insurance_after", &money(s.insurance_after))
                .str("bad_debt", &money(s.bad_debt))
                .str("adl_qty", &qt(i, s.adl_qty))
                .end()
        }
        Event::Cascade(c) => {
            let i = c.inst;
            Obj::new(out, "cascade")
                .int("cascade", c.cascade)
                .str("symbol", &ins(i).symbol)
                .int("steps", c.steps)
                .int("accounts", c.accounts)
                .str("qty", &qt(i, c.qty))
                .str("notional", &money(c.notional))
                .opt_str("mark_start", c.mark_start.map(|p| px(i, p)))
                .opt_str("mark_end", c.mark_end.map(|p| px(i, p)))
                .opt_str("price_move_bps", c.price_move_bps.map(bps))
                .str("insurance_drawdown", &money(c.insurance_drawdown))
                .str("bad_debt", &money(c.bad_debt))
                .str("adl_qty", &qt(i, c.adl_qty))
                .str("socialized", &money(c.socialized))
                .bool("halted", c.halted)
                .end()
        }
        Event::Account(a) => {
            let mut positions = String::from("[");
            for (n, p) in a.positions.iter().enumerate() {
                if n > 0 {
                    positions.push(',');
                }
                let i = p.inst;
                let mut o = Obj {
                    out: &mut positions,
                };
                o.out.push_str("{\"symbol\":");
                push_json_string(o.out, &ins(i).symbol);
                o.str("qty", &qt(i, p.qty))
                    .str("entry", &ratio_px(i, p.entry))
                    .str("upnl", &money(p.upnl))
                    .opt_str("liq_price", p.liq_price.map(|r| ratio_px(i, r)))
                    .opt_str("margin", p.margin.map(money))
                    .end();
            }
            positions.push(']');
            Obj::new(out, "account")
                .int("account", a.account)
                .str("balance", &money(a.balance))
                .str("equity", &money(a.equity))
                .str("maint_margin", &money(a.maint_margin))
                .str("initial_margin", &money(a.initial_margin))
                .raw("positions", &positions)
                .end()
        }
        Event::Socialized {
            cascade,
            account,
            amount,
        } => Obj::new(out, "socialized")
            .int("cascade", cascade)
            .int("account", account)
            .str("amount", &money(*amount))
            .end(),
        Event::Funds(f) => {
            let object = |entries: &mut dyn Iterator<Item = (&str, Money)>| {
                let mut s = String::from("{");
                for (n, (key, m)) in entries.enumerate() {
                    if n > 0 {
                        s.push(',');
                    }
                    push_json_string(&mut s, key);
                    s.push(':');
                    push_json_string(&mut s, &money(m));
                }
                s.push('}');
                s
            };
            let insurance = object(
                &mut f
                    .insurance
                    .iter()
                    .map(|(i, m)| (i.map_or("", |i| ins(i).symbol.as_str()), *m)),
            );
            let fees = object(
                &mut f
                    .fee_pool
                    .iter()
                    .map(|(i, m)| (ins(*i).symbol.as_str(), *m)),
            );
            Obj::new(out, "funds")
                .raw("insurance", &insurance)
                .raw("fee_pool", &fees)
                .str("socialized_total", &money(f.socialized_total))
                .end()
        }
        Event::BadDebt {
            account,
            inst,
            amount,
        } => Obj::new(out, "bad_debt")
            .int("account", account)
            .str("symbol", &ins(*inst).symbol)
            .str("amount", &money(*amount))
            .end(),
        Event::Book { inst, bids, asks } => {
            let levels = |side: &[(Price, Qty)]| {
                let mut s = String::from("[");
                for (n, (p, q)) in side.iter().enumerate() {
                    if n > 0 {
                        s.push(',');
                    }
                    s.push('[');
                    push_json_string(&mut s, &px(*inst, *p));
                    s.push(',');
                    push_json_string(&mut s, &qt(*inst, *q));
                    s.push(']');
                }
                s.push(']');
                s
            };
            Obj::new(out, "book")
                .str("symbol", &ins(*inst).symbol)
                .raw("bids", &levels(bids))
                .raw("asks", &levels(asks))
                .end()
        }
        Event::Error { line, message } => Obj::new(out, "error")
            .int("line", line)
            .str("message", message)
            .end(),
    }
}
