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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::book::{OrderRequest, SelfTradePrevention, TimeInForce};
    use crate::types::Qty;

    fn stop(id: OrderId, side: Side, trigger: i64, by: TriggerSource) -> StopRequest {
        StopRequest {
            order: OrderRequest {
                id,
                account: 1,
                side,
                qty: Qty(1),
                price: None,
                tif: TimeInForce::Gtc,
                stp: SelfTradePrevention::None,
            },
            trigger: Price(trigger),
            trigger_by: by,
        }
    }

    fn ids(v: &[StopRequest]) -> Vec<OrderId> {
        v.iter().map(|s| s.order.id).collect()
    }

    #[test]
    fn triggers_by_source_and_side_in_insertion_order() {
        let mut b = StopBook::default();
        b.add(stop(1, Side::Buy, 110, TriggerSource::Last));
        b.add(stop(2, Side::Sell, 90, TriggerSource::Last));
        b.add(stop(3, Side::Buy, 105, TriggerSource::Last));
        b.add(stop(4, Side::Buy, 105, TriggerSource::Mark));
        b.add(stop(5, Side::Sell, 95, TriggerSource::Last));
        b.add(stop(6, Side::Buy, i64::MAX, TriggerSource::Last));
        b.check().unwrap();
        assert!(b.contains(4) && !b.contains(7));
        let mut out = Vec::new();
        b.trigger(TriggerSource::Last, Price(100), &mut out);
        assert!(out.is_empty());
        b.trigger(TriggerSource::Last, Price(110), &mut out);
        assert_eq!(ids(&out), vec![1, 3]);
        out.clear();
        b.trigger(TriggerSource::Last, Price(i64::MIN), &mut out);
        assert_eq!(ids(&out), vec![2, 5]);
        out.clear();
        b.trigger(TriggerSource::Last, Price(i64::MAX), &mut out);
        assert_eq!(ids(&out), vec![6]);
        assert_eq!(b.len(), 1);
        assert_eq!(b.get(4).map(|s| s.trigger), Some(Price(105)));
        assert_eq!(b.remove(4).map(|s| s.order.id), Some(4));
        assert_eq!((b.remove(4), b.len()), (None, 0));
        b.check().unwrap();
    }

    #[test]
    fn both_sides_firing_at_once_merge_by_insertion() {
        let mut b = StopBook::default();
        b.add(stop(1, Side::Sell, 120, TriggerSource::Mark));
        b.add(stop(2, Side::Buy, 80, TriggerSource::Mark));
        b.add(stop(3, Side::Sell, 101, TriggerSource::Mark));
        let mut out = Vec::new();
        b.trigger(TriggerSource::Mark, Price(100), &mut out);
        assert_eq!(ids(&out), vec![1, 2, 3]);
        b.check().unwrap();
    }
}
