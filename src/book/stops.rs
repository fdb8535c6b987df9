//! Pending stop orders, per trigger source and side, ordered by trigger
//! price so that a price update finds the triggered ones in O(log n + k).
//!
//! Owns: the pending stops and their id map. Must not: trigger anything by
//! itself (the engine calls `trigger`), or check ids against resting
//! orders (the book does).

use std::collections::BTreeMap;

use super::index::IdMap;
use super::{StopRequest, TriggerSource};
use crate::types::{OrderId, Price, Side};

/// Where a pending stop is filed: (source, side, trigger, sequence).
type StopKey = (usize, usize, Price, u64);

/// Stops ordered by (trigger, sequence).
type ByTrigger = BTreeMap<(Price, u64), StopRequest>;

/// The pending stops of a book.
#[derive(Clone, Debug, Default)]
pub struct StopBook {
    /// `[source][side]`: source 0 = last, 1 = mark; side 0 = buy, 1 = sell.
    books: [[ByTrigger; 2]; 2],
    /// id -> where it is filed.
    ids: IdMap<StopKey>,
    /// Insertion counter (2^64 insertions are out of reach).
    seq: u64,
    /// Reused buffer for the triggered stops of one call.
    scratch: Vec<(u64, StopRequest)>,
}

fn source_ix(s: TriggerSource) -> usize {
    match s {
        TriggerSource::Last => 0,
        TriggerSource::Mark => 1,
    }
}

fn side_ix(s: Side) -> usize {
    match s {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

impl StopBook {
    /// True when `id` is pending here.
    #[inline]
    pub fn contains(&self, id: OrderId) -> bool {
        !self.ids.is_empty() && self.ids.contains_key(&id)
    }

    /// Files a stop; the caller has checked its id and quantity.
    pub fn add(&mut self, stop: StopRequest) {
        let key = (
            source_ix(stop.trigger_by),
            side_ix(stop.order.side),
            stop.trigger,
            self.seq,
        );
        self.seq += 1;
        self.books[key.0][key.1].insert((key.2, key.3), stop);
        self.ids.insert(stop.order.id, key);
    }

    /// Removes a pending stop.
    pub fn remove(&mut self, id: OrderId) -> Option<StopRequest> {
        let (src, side, trigger, seq) = self.ids.remove(&id)?;
        self.books[src][side].remove(&(trigger, seq))
    }

    /// A pending stop.
    pub fn get(&self, id: OrderId) -> Option<StopRequest> {
        let &(src, side, trigger, seq) = self.ids.get(&id)?;
        self.books[src][side].get(&(trigger, seq)).copied()
    }

    /// Number of pending stops.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Removes the stops of `source` that `price` triggers (buy: price >=
    /// trigger; sell: price <= trigger) and appends them to `out` in
    /// insertion order.
    pub fn trigger(&mut self, source: TriggerSource, price: Price, out: &mut Vec<StopRequest>) {
        let src = source_ix(source);
        let [buys, sells] = &mut self.books[src];
        // Buy stops with trigger <= price: a prefix of the buy map.
        if buys.first_key_value().is_some_and(|(k, _)| k.0 <= price) {
            let fired = match price.0.checked_add(1) {
                Some(next) => {
                    let keep = buys.split_off(&(Price(next), 0));
                    std::mem::replace(buys, keep)
                }
                None => std::mem::take(buys),
            };
            self.scratch
                .extend(fired.into_iter().map(|((_, seq), s)| (seq, s)));
        }
        // Sell stops with trigger >= price: a suffix of the sell map.
        if sells.last_key_value().is_some_and(|(k, _)| k.0 >= price) {
            let fired = sells.split_off(&(price, 0));
            self.scratch
                .extend(fired.into_iter().map(|((_, seq), s)| (seq, s)));
        }
        if self.scratch.is_empty() {
            return;
        }
        self.scratch.sort_unstable_by_key(|&(seq, _)| seq);
        for (_, s) in self.scratch.drain(..) {
            self.ids.remove(&s.order.id);
            out.push(s);
        }
    }

    /// Checks that the id map and the trigger maps agree.
    pub fn check(&self) -> Result<(), String> {
        let mut n = 0;
        for (src, sides) in self.books.iter().enumerate() {
            for (side, book) in sides.iter().enumerate() {
                for (&(trigger, seq), s) in book {
                    n += 1;
                    if self.ids.get(&s.order.id) != Some(&(src, side, trigger, seq)) {
                        return Err(format!("stop {} not indexed right", s.order.id));
                    }
                    if source_ix(s.trigger_by) != src
                        || side_ix(s.order.side) != side
                        || s.trigger != trigger
                    {
                        return Err(format!("stop {} filed wrong", s.order.id));
                    }
                }
            }
        }
        if n != self.ids.len() {
            return Err(format!("{} stops filed, {} indexed", n, self.ids.len()));
        }
        Ok(())
    }
}
