//! An L3 replay as a benchmark stream: LOBSTER messages (new order, partial
//! cancel, delete, execution) turned into book operations, the whole file
//! replayed as many times as it takes to reach the number of operations
//! asked for.
//!
//! Each pass starts from an empty book and only knows the orders it saw
//! arrive: an add rests a limit order; a partial cancel of a known order
//! becomes a cancel and a new order of what is left (the same in every
//! engine: not all have an in-place reduce); a delete becomes a cancel; an
//! execution of a known order becomes an IOC from the other side of the
//! executed size at its price, which meets exactly that order (the book
//! holds a subset of the exchange's orders, so its best level is the
//! executed order's, and the orders ahead of it there are the exchange's
//! orders ahead of it that this book knows, executed first). Messages on
//! orders from before the file began, hidden executions, crosses and halts
//! change nothing here and are left out. A pass ends with cancels of what
//! it left resting; ids differ from pass to pass.
//!
//! Owns: the message parser and the conversion. Must not: read files (the
//! caller passes the text).

use std::collections::HashSet;

use super::sim::Sim;
use super::{Mix, WorkOp, Workload};
use crate::types::{OrderId, Side};

/// One LOBSTER message, prices in ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L3Message {
    /// LOBSTER event type: 1 add, 2 partial cancel, 3 delete, 4 visible
    /// execution, 5 hidden execution, 6 cross, 7 halt.
    pub kind: u8,
    /// The exchange's order id.
    pub id: u64,
    /// Shares.
    pub qty: i64,
    /// Price in ticks.
    pub price: i64,
    /// Side of the (resting) order.
    pub side: Side,
}

/// Parses a LOBSTER message file (`time,type,order_id,size,price,direction`
/// per line, prices in units of `tick`, e.g. 100 for cents of a dollar at
/// LOBSTER's 1/10,000). Errors name the line.
pub fn parse_lobster(text: &str, tick: i64) -> Result<Vec<L3Message>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| format!("line {}: {what}: {line:?}", n + 1);
        let f: Vec<&str> = line.trim().split(',').collect();
        if f.len() != 6 {
            return Err(bad("expected 6 fields"));
        }
        let int = |s: &str| s.trim().parse::<i64>().map_err(|_| bad("not an integer"));
        let (kind, id, qty, price, dir) =
            (int(f[1])?, int(f[2])?, int(f[3])?, int(f[4])?, int(f[5])?);
        if !(1..=7).contains(&kind) {
            return Err(bad("unknown event type"));
        }
        let side = match dir {
            1 => Side::Buy,
            -1 => Side::Sell,
            _ => return Err(bad("direction is not 1 or -1")),
        };
        let price = if (1..=5).contains(&kind) {
            if price <= 0 || price % tick != 0 {
                return Err(bad("price is not a positive multiple of the tick"));
            }
            price / tick
        } else {
            0
        };
        out.push(L3Message {
            kind: kind as u8,
            id: id.max(0) as u64,
            qty,
            price,
            side,
        });
    }
    Ok(out)
}

/// Ids of pass `pass` (ids from `Sim::new_id`, used by the IOCs, stay far
/// below).
fn pass_id(pass: u64, id: u64) -> OrderId {
    (1 << 40) + (pass << 32) + (id & 0xFFFF_FFFF)
}

/// Whole passes over `messages` until the stream holds at least `n`
/// operations.
pub fn l3_replay(messages: &[L3Message], n: usize) -> Workload {
    let mut s = Sim::new(0);
    let mut pass = 0;
    let mut ids = HashSet::new();
    while s.ops.len() < n {
        let before = s.ops.len();
        for m in messages {
            replay_one(&mut s, pass, m, &mut ids);
        }
        let mut left: Vec<OrderId> = ids.drain().collect();
        left.sort_unstable();
        for id in left {
            if let Some(o) = s.book.order(id) {
                s.push(WorkOp::Cancel { id, side: o.side });
            }
        }
        if s.ops.len() == before {
            break;
        }
        pass += 1;
    }
    s.finish(Mix::LobsterL3.name())
}

/// The operations of one message (none when it concerns nothing this pass
/// knows). `ids` holds the ids this pass added.
fn replay_one(s: &mut Sim, pass: u64, m: &L3Message, ids: &mut HashSet<OrderId>) {
    let id = pass_id(pass, m.id);
    let resting = s.book.order(id).filter(|o| o.side == m.side);
    match (m.kind, resting) {
        (1, None) if m.qty > 0 && !ids.contains(&id) => {
            let crosses = match m.side {
                Side::Buy => s.book.best_ask().is_some_and(|a| a.0 <= m.price),
                Side::Sell => s.book.best_bid().is_some_and(|b| b.0 >= m.price),
            };
            if !crosses {
                ids.insert(id);
                s.push(WorkOp::Limit {
                    id,
                    side: m.side,
                    price: m.price,
                    qty: m.qty,
                });
            }
        }
        (2, Some(o)) if m.qty > 0 => {
            s.push(WorkOp::Cancel { id, side: o.side });
            let rest = o.remaining.0 - m.qty;
            if rest > 0 {
                s.push(WorkOp::Limit {
                    id,
                    side: o.side,
                    price: o.price.0,
                    qty: rest,
                });
            }
        }
        (3, Some(o)) => s.push(WorkOp::Cancel { id, side: o.side }),
        (4, Some(o)) if o.price.0 == m.price && m.qty > 0 => {
            let qty = m.qty.min(o.remaining.0);
            let taker = s.new_id();
            s.push(WorkOp::Ioc {
                id: taker,
                side: o.side.opposite(),
                price: m.price,
                qty,
            });
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_replays_a_small_file() {
        let text = "1.0,1,7,10,5853300,1\n\
                    1.1,1,8,5,5853400,-1\n\
                    1.2,4,7,4,5853300,1\n\
                    1.3,3,99,4,5853300,1\n\
                    1.4,5,0,4,5853300,1\n\
                    1.5,2,8,2,5853400,-1\n";
        let m = parse_lobster(text, 100).unwrap();
        assert_eq!(m.len(), 6);
        assert_eq!(
            (m[0].price, m[0].side, m[1].side),
            (58533, Side::Buy, Side::Sell)
        );
        let w = l3_replay(&m, 1);
        // add, add, IOC (execution of 7), partial cancel of 8 (cancel +
        // new of 3), then the end-of-pass cancels of 7 and 8; the delete of
        // an unknown order and the hidden execution change nothing.
        assert_eq!(w.ops.len(), 7, "{:?}", w.ops);
        assert!(matches!(
            w.ops[2],
            WorkOp::Ioc {
                side: Side::Sell,
                price: 58533,
                qty: 4,
                ..
            }
        ));
        assert!(matches!(w.ops[4], WorkOp::Limit { qty: 3, .. }));
        assert_eq!(w.filled, 4);
        assert_eq!(w.final_orders, 0);
        assert!(parse_lobster("1,1,7,10,5853350,1", 100)
            .unwrap_err()
            .contains("line 1"));
        assert!(parse_lobster("1,1,7,10", 100).is_err());
    }
}
