//! Differential checking of the book: the same operations through the fast
//! `OrderBook` (with each ladder layout) and the `ReferenceBook` oracle,
//! with every result, event and observable state compared after every
//! operation. Used by the fuzz target (`fuzz/`), the corpus replay test and
//! the property tests.
//!
//! Owns: [`Op`], the byte decoder [`decode`], and the checker
//! [`check_ops`]. Must not: be used by the engine; it exists to find bugs.

use std::collections::BTreeMap;

use super::ladder::{BTreeLadder, DenseLadder, Ladder};
use super::{
    BookEvent, BookReject, Cancel, OrderBook, OrderRequest, OrderView, Placed, ReferenceBook,
    SelfTradePrevention, StopRequest, TimeInForce, TriggerSource,
};
use crate::types::{OrderId, Price, Qty, Side};

/// One operation on a book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `submit`.
    Submit(OrderRequest),
    /// `cancel`.
    Cancel(OrderId),
    /// `modify`.
    Modify {
        /// Order.
        id: OrderId,
        /// New price.
        price: Option<Price>,
        /// New total quantity.
        qty: Option<Qty>,
    },
    /// `resize`.
    Resize {
        /// Order.
        id: OrderId,
        /// New remaining quantity.
        remaining: Qty,
    },
    /// `add_stop`.
    AddStop(StopRequest),
    /// `trigger_stops`, then submit every triggered stop's order (as the
    /// engine would).
    Trigger {
        /// Watched price.
        source: TriggerSource,
        /// Its new value.
        price: Price,
    },
}

/// The operations every book under test offers.
trait Book {
    fn submit(&mut self, o: &OrderRequest, out: &mut Vec<BookEvent>) -> Result<Placed, BookReject>;
    fn cancel(&mut self, id: OrderId) -> Result<Cancel, BookReject>;
    fn modify(
        &mut self,
        id: OrderId,
        price: Option<Price>,
        qty: Option<Qty>,
        out: &mut Vec<BookEvent>,
    ) -> Result<Placed, BookReject>;
    fn resize(&mut self, id: OrderId, remaining: Qty) -> Result<(), BookReject>;
    fn add_stop(&mut self, s: StopRequest) -> Result<(), BookReject>;
    fn trigger_stops(&mut self, src: TriggerSource, p: Price, out: &mut Vec<StopRequest>);
    fn check_invariants(&self) -> Result<(), String>;
    fn snapshot(&self, ids: &[OrderId]) -> Snapshot;
}

/// Everything observable about a book.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    best: (Option<Price>, Option<Price>),
    depth: [Vec<(Price, Qty)>; 2],
    queue: [Vec<OrderId>; 2],
    len: usize,
    stops: usize,
    orders: Vec<Option<OrderView>>,
    stop_views: Vec<Option<StopRequest>>,
}

macro_rules! impl_book {
    ($t:ty, $($gen:tt)*) => {
        impl $($gen)* Book for $t {
            fn submit(&mut self, o: &OrderRequest, out: &mut Vec<BookEvent>)
                -> Result<Placed, BookReject> {
                <$t>::submit(self, o, out)
            }
            fn cancel(&mut self, id: OrderId) -> Result<Cancel, BookReject> {
                <$t>::cancel(self, id)
            }
            fn modify(&mut self, id: OrderId, price: Option<Price>, qty: Option<Qty>,
                out: &mut Vec<BookEvent>) -> Result<Placed, BookReject> {
                <$t>::modify(self, id, price, qty, out)
            }
            fn resize(&mut self, id: OrderId, remaining: Qty) -> Result<(), BookReject> {
                <$t>::resize(self, id, remaining)
            }
            fn add_stop(&mut self, s: StopRequest) -> Result<(), BookReject> {
                <$t>::add_stop(self, s)
            }
            fn trigger_stops(&mut self, src: TriggerSource, p: Price, out: &mut Vec<StopRequest>) {
                <$t>::trigger_stops(self, src, p, out)
            }
            fn check_invariants(&self) -> Result<(), String> {
                <$t>::check_invariants(self)
            }
            fn snapshot(&self, ids: &[OrderId]) -> Snapshot {
                Snapshot {
                    best: (self.best_bid(), self.best_ask()),
                    depth: [self.depth(Side::Buy, usize::MAX), self.depth(Side::Sell, usize::MAX)],
                    queue: [self.queue(Side::Buy), self.queue(Side::Sell)],
                    len: self.len(),
                    stops: self.stop_count(),
                    orders: ids.iter().map(|&id| self.order(id)).collect(),
                    stop_views: ids.iter().map(|&id| self.stop(id)).collect(),
                }
            }
        }
    };
}

impl_book!(ReferenceBook,);
impl_book!(OrderBook<L>, <L: Ladder>);

/// What one operation returned, for comparison across books.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Placed(Result<Placed, BookReject>),
    Cancel(Result<Cancel, BookReject>),
    Unit(Result<(), BookReject>),
    Triggered(Vec<StopRequest>, Vec<Result<Placed, BookReject>>),
}

/// Applies `op` to `b`, appending events to `out`.
fn apply(b: &mut dyn Book, op: &Op, out: &mut Vec<BookEvent>) -> Outcome {
    match *op {
        Op::Submit(o) => Outcome::Placed(b.submit(&o, out)),
        Op::Cancel(id) => Outcome::Cancel(b.cancel(id)),
        Op::Modify { id, price, qty } => Outcome::Placed(b.modify(id, price, qty, out)),
        Op::Resize { id, remaining } => Outcome::Unit(b.resize(id, remaining)),
        Op::AddStop(s) => Outcome::Unit(b.add_stop(s)),
        Op::Trigger { source, price } => {
            let mut fired = Vec::new();
            b.trigger_stops(source, price, &mut fired);
            let results = fired.iter().map(|s| b.submit(&s.order, out)).collect();
            Outcome::Triggered(fired, results)
        }
    }
}

/// Per-order quantity ledger built from results and events only: what the
/// book should still hold for each order, and what it has filled.
#[derive(Default)]
struct Ledger {
    open: BTreeMap<OrderId, i128>,
    filled: BTreeMap<OrderId, i128>,
}

impl Ledger {
    fn take(&mut self, id: OrderId, q: i64, what: &str) -> Result<(), String> {
        let e = self.open.entry(id).or_insert(0);
        *e -= q as i128;
        if *e < 0 || q <= 0 {
            return Err(format!("{what} of {q} takes order {id} below zero"));
        }
        Ok(())
    }

    fn events(&mut self, events: &[BookEvent]) -> Result<(), String> {
        for e in events {
            match e {
                BookEvent::Fill(f) => {
                    self.take(f.maker, f.qty.0, "fill")?;
                    self.take(f.taker, f.qty.0, "fill")?;
                    *self.filled.entry(f.maker).or_insert(0) += f.qty.0 as i128;
                    *self.filled.entry(f.taker).or_insert(0) += f.qty.0 as i128;
                    if self.open.get(&f.maker).copied() != Some(f.maker_remaining.0 as i128) {
                        return Err(format!("fill reports maker {} remaining wrong", f.maker));
                    }
                }
                BookEvent::Canceled(c) => self.take(c.id, c.remaining.0, "cancel")?,
                BookEvent::Reduced(r) => {
                    self.take(r.id, r.qty.0, "reduce")?;
                    if self.open.get(&r.id).copied() != Some(r.remaining.0 as i128) {
                        return Err(format!("reduce reports order {} remaining wrong", r.id));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Runs `ops` through the reference book and the fast book (both ladder
/// layouts). After every operation: identical results and events, every
/// book passes `check_invariants`, identical best prices, depth, queues,
/// counts and views of every id seen, and the per-order ledger (submitted
/// = filled + resting + canceled, tracked from results and events) agrees
/// with the books. Returns the first discrepancy.
pub fn check_ops(ops: &[Op]) -> Result<(), String> {
    let mut reference = ReferenceBook::new();
    let mut fast = OrderBook::new();
    let mut btree = OrderBook::<BTreeLadder>::empty();
    let mut dense = OrderBook::<DenseLadder>::empty();
    let mut ledger = Ledger::default();
    let mut ids: Vec<OrderId> = Vec::new();
    let mut out_ref = Vec::new();
    let mut out = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        let ctx = |m: String| format!("op #{step} {op:?}: {m}");
        let id = match op {
            Op::Submit(o) => o.id,
            Op::AddStop(s) => s.order.id,
            Op::Cancel(id) | Op::Modify { id, .. } | Op::Resize { id, .. } => *id,
            Op::Trigger { .. } => 0,
        };
        if let Err(i) = ids.binary_search(&id) {
            ids.insert(i, id);
        }
        let before = reference.order(id);
        out_ref.clear();
        let expected = apply(&mut reference, op, &mut out_ref);
        for (name, book) in [
            ("fast", &mut fast as &mut dyn Book),
            ("btree", &mut btree),
            ("dense", &mut dense),
        ] {
            out.clear();
            let got = apply(book, op, &mut out);
            if got != expected {
                return Err(ctx(format!(
                    "{name} returned {got:?}, reference {expected:?}"
                )));
            }
            if out != out_ref {
                return Err(ctx(format!("{name} events {out:?}, reference {out_ref:?}")));
            }
        }
        // Ledger: credit what the operation added, then debit the events.
        match (op, &expected) {
            (Op::Submit(o), Outcome::Placed(Ok(_))) => {
                ledger.open.insert(o.id, o.qty.0 as i128);
                ledger.filled.insert(o.id, 0);
            }
            (Op::Modify { qty, .. }, Outcome::Placed(Ok(_))) => {
                let b = before.ok_or_else(|| ctx("modify accepted for no order".into()))?;
                let canceled = qty.is_some_and(|q| q.0 <= b.filled.0);
                if !canceled {
                    let new_rem = qty.map_or(b.remaining.0, |q| q.0 - b.filled.0);
                    *ledger.open.entry(id).or_insert(0) += (new_rem - b.remaining.0) as i128;
                }
            }
            (Op::Cancel(_), Outcome::Cancel(Ok(c))) if before.is_some() => {
                ledger.take(id, c.remaining.0, "user cancel").map_err(ctx)?;
            }
            (Op::Resize { remaining, .. }, Outcome::Unit(Ok(()))) => {
                ledger.open.insert(id, remaining.0 as i128);
            }
            (Op::Trigger { .. }, Outcome::Triggered(fired, results)) => {
                for (s, r) in fired.iter().zip(results) {
                    if r.is_ok() {
                        ledger.open.insert(s.order.id, s.order.qty.0 as i128);
                        ledger.filled.insert(s.order.id, 0);
                    }
                    if let Err(i) = ids.binary_search(&s.order.id) {
                        ids.insert(i, s.order.id);
                    }
                }
            }
            _ => {}
        }
        ledger.events(&out_ref).map_err(ctx)?;
        if let Outcome::Placed(Ok(p)) = &expected {
            if !matches!(op, Op::Trigger { .. }) {
                let resting = reference.order(id).map_or(0, |o| o.remaining.0);
                if p.resting.0 != resting {
                    return Err(ctx(format!(
                        "Placed says {} resting, book {resting}",
                        p.resting.0
                    )));
                }
            }
        }
        // State.
        for (name, book) in [
            ("reference", &reference as &dyn Book),
            ("fast", &fast),
            ("btree", &btree),
            ("dense", &dense),
        ] {
            book.check_invariants()
                .map_err(|e| ctx(format!("{name}: {e}")))?;
        }
        let want = reference.snapshot(&ids);
        for (name, book) in [
            ("fast", &fast as &dyn Book),
            ("btree", &btree),
            ("dense", &dense),
        ] {
            let got = book.snapshot(&ids);
            if got != want {
                return Err(ctx(format!("{name} state {got:?}\nreference {want:?}")));
            }
        }
        for ((&oid, view), stop) in ids.iter().zip(&want.orders).zip(&want.stop_views) {
            if stop.is_some() {
                continue;
            }
            let open = ledger.open.get(&oid).copied().unwrap_or(0);
            let resting = view.map_or(0, |v| v.remaining.0 as i128);
            if open != resting {
                return Err(ctx(format!(
                    "order {oid}: ledger {open}, resting {resting}"
                )));
            }
            if let Some(v) = view {
                let f = ledger.filled.get(&oid).copied().unwrap_or(0);
                if f != v.filled.0 as i128 {
                    return Err(ctx(format!(
                        "order {oid}: ledger filled {f}, view {}",
                        v.filled.0
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Reads bytes as a stream of small choices; past the end it reads zeros.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Mostly a small id (so ids collide), sometimes an extreme one.
    fn id(&mut self) -> OrderId {
        match self.u8() {
            b @ 0..=249 => (b % 24) as u64,
            250 => u64::MAX,
            251 => u64::MAX - 1,
            252 => 1 << 63,
            253 => 1 << 32,
            _ => 2 << 32,
        }
    }

    /// Mostly a price in a narrow band (so orders cross), sometimes extreme.
    fn price(&mut self) -> Price {
        Price(match self.u8() {
            b @ 0..=239 => 100 + (b % 9) as i64 - 4,
            240 => i64::MIN,
            241 => i64::MIN + 1,
            242 => i64::MAX,
            243 => i64::MAX - 1,
            244 => 0,
            245 => -1,
            246 => -100,
            b => 100 + (b as i64 - 250) * 1000,
        })
    }

    /// Mostly a small quantity, sometimes zero, negative or huge.
    fn qty(&mut self) -> Qty {
        Qty(match self.u8() {
            b @ 0..=229 => 1 + (b % 8) as i64,
            230 => 0,
            231 => -1,
            232 => i64::MIN,
            233 => i64::MAX,
            234 => i64::MAX - 1,
            235 => i64::MAX / 2,
            236 => 1 << 40,
            b => 10 + b as i64,
        })
    }

    fn side(&mut self) -> Side {
        if self.u8() & 1 == 0 {
            Side::Buy
        } else {
            Side::Sell
        }
    }

    fn order(&mut self) -> OrderRequest {
        let id = self.id();
        let account = (self.u8() % 4) as u64;
        let side = self.side();
        let qty = self.qty();
        let kind = self.u8();
        let price = if kind.is_multiple_of(8) {
            None
        } else {
            Some(self.price())
        };
        let tif = match (kind >> 3) % 6 {
            0..=2 => TimeInForce::Gtc,
            3 => TimeInForce::Ioc,
            4 => TimeInForce::Fok,
            _ => TimeInForce::PostOnly,
        };
        let stp = match self.u8() % 8 {
            0 => SelfTradePrevention::CancelTaker,
            1 => SelfTradePrevention::CancelMaker,
            2 => SelfTradePrevention::CancelBoth,
            3 => SelfTradePrevention::Decrement,
            _ => SelfTradePrevention::None,
        };
        OrderRequest {
            id,
            account,
            side,
            qty,
            price,
            tif,
            stp,
        }
    }

    fn source(&mut self) -> TriggerSource {
        if self.u8() & 1 == 0 {
            TriggerSource::Last
        } else {
            TriggerSource::Mark
        }
    }

    fn op(&mut self) -> Op {
        match self.u8() % 16 {
            0..=5 => Op::Submit(self.order()),
            6 | 7 => Op::Cancel(self.id()),
            8..=10 => {
                let id = self.id();
                let which = self.u8();
                let price = (which & 1 != 0).then(|| self.price());
                let qty = (which & 2 != 0).then(|| self.qty());
                Op::Modify { id, price, qty }
            }
            11 | 12 => Op::Resize {
                id: self.id(),
                remaining: self.qty(),
            },
            13 | 14 => Op::AddStop(StopRequest {
                order: self.order(),
                trigger: self.price(),
                trigger_by: self.source(),
            }),
            _ => Op::Trigger {
                source: self.source(),
                price: self.price(),
            },
        }
    }
}

/// Decodes arbitrary bytes into operations (at most 512): every byte string
/// is a valid program.
pub fn decode(data: &[u8]) -> Vec<Op> {
    let mut b = Bytes { data, pos: 0 };
    let mut ops = Vec::new();
    while !b.done() && ops.len() < 512 {
        ops.push(b.op());
    }
    ops
}

/// The fuzz target's body: decode `data` and check the books on it.
pub fn run_ops(data: &[u8]) -> Result<(), String> {
    check_ops(&decode(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_bytes_decode_and_pass() {
        let mut x = 0x1234_5678_9abc_def0u64;
        for len in [0usize, 1, 7, 64, 400] {
            for _ in 0..20 {
                let data: Vec<u8> = (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect();
                run_ops(&data).unwrap();
            }
        }
    }
}
