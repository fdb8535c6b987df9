//! The step loop: after a command has moved prices, run what those moves
//! triggered (stop orders, liquidations), round after round, until nothing
//! more is triggered. Once a round holds a liquidation, a cascade is under
//! way and every round is one of its steps.
//!
//! Must not: match orders or value accounts itself; it sequences the work
//! of the book, the margin checker and the waterfall, and measures it.

use super::Engine;
use crate::book::{StopRequest, TriggerSource};
use crate::event::{Event, EventSink, InstrumentIdx};
use crate::types::Price;

impl Engine {
    /// Moves the stops of `source` that `price` triggers on `inst` into the
    /// queue of the next round.
    pub(super) fn collect_stops(
        &mut self,
        inst: InstrumentIdx,
        source: TriggerSource,
        price: Price,
    ) {
        let mut buf: Vec<StopRequest> = std::mem::take(&mut self.stop_buf);
        buf.clear();
        self.markets[inst as usize]
            .book
            .trigger_stops(source, price, &mut buf);
        self.pending_stops.extend(buf.drain(..).map(|s| (inst, s)));
        self.stop_buf = buf;
    }

    /// Runs rounds of triggered work until none is left.
    pub(super) fn settle(&mut self, sink: &mut dyn EventSink) {
        loop {
            let stops = std::mem::take(&mut self.pending_stops);
            if stops.is_empty() {
                break;
            }
            for (inst, stop) in stops {
                let Some(live) = self.orders.get(&stop.order.id).copied() else {
                    continue;
                };
                self.orders.remove(&stop.order.id);
                self.emit(sink, Event::Triggered { id: stop.order.id });
                self.submit(inst, &stop.order, live, false, sink);
            }
        }
    }
}
