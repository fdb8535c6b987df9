//! Street liquidity: historical L2 depth as anonymous orders of account 0,
//! one per (instrument, side, price), and historical trade prints that
//! move the last price and the mark without matching in our book.
//!
//! Owns: the street-level ids (a bijection of instrument, side and price
//! into ids at or above 2^63, so the level -> id lookup costs no map: the
//! book's own id index holds the order), setting a level in place (the
//! order keeps its time priority while its size changes), the crossing
//! policy for new levels, and the batch end (`flush_street`) that refreshes
//! the mark from the book and runs what the batch triggered.
//!
//! Crossing policy, for a new street level that would cross the other side:
//! street levels on the other side that it crosses are stale (the data has
//! moved on) and are removed first, counted in `StreetOutcome::uncrossed`;
//! simulated (user) orders it still crosses are filled by it through the
//! engine's normal fill path (positions, fees, marks and triggers as for
//! any fill), the street level being the taker; what it does not trade
//! rests. On a halted instrument such a level is not placed (`blocked`).
//!
//! Must not: run the step loop per level (a batch of levels ends with
//! `flush_street`), keep any map of its own, or know where the levels come
//! from (the replay driver and its depletion overlay decide the sizes).

use smallvec::SmallVec;

use super::fills::MarkInput;
use super::{Engine, EngineError};
use crate::book::{OrderRequest, SelfTradePrevention, TimeInForce};
use crate::event::{EventSink, InstrumentIdx};
use crate::instrument::MAX_PRICE_TICKS;
use crate::types::{OrderId, Price, Qty, Side, STREET};

/// Bit set in every street-level order id.
const LEVEL_FLAG: u64 = 1 << 63;
/// Bit giving the side (set: ask).
const SIDE_BIT: u64 = 1 << 50;
/// Bits holding the price in ticks.
const PRICE_MASK: u64 = SIDE_BIT - 1;
/// Position of the instrument index.
const INST_SHIFT: u32 = 51;
/// Street levels exist for instruments below this index.
pub const MAX_STREET_INSTRUMENTS: InstrumentIdx = 1 << 12;

// Every valid price fits in the price bits.
const _: () = assert!(MAX_PRICE_TICKS as u64 <= PRICE_MASK);

/// The order id of the street level of `inst` at (`side`, `price`); `None`
/// when the instrument index or the price is out of range.
#[inline]
pub fn street_level_id(inst: InstrumentIdx, side: Side, price: Price) -> Option<OrderId> {
    if inst >= MAX_STREET_INSTRUMENTS || price.0 <= 0 || price.0 > MAX_PRICE_TICKS {
        return None;
    }
    let side_bit = match side {
        Side::Buy => 0,
        Side::Sell => SIDE_BIT,
    };
    Some(LEVEL_FLAG | (inst as u64) << INST_SHIFT | side_bit | price.0 as u64)
}

/// The (instrument, side, price) of a street-level id; `None` for any
/// other id.
#[inline]
pub fn decode_street_level(id: OrderId) -> Option<(InstrumentIdx, Side, Price)> {
    if id & LEVEL_FLAG == 0 {
        return None;
    }
    let inst = ((id & !LEVEL_FLAG) >> INST_SHIFT) as InstrumentIdx;
    let side = if id & SIDE_BIT != 0 {
        Side::Sell
    } else {
        Side::Buy
    };
    let price = Price((id & PRICE_MASK) as i64);
    (price.0 > 0).then_some((inst, side, price))
}

/// What one `set_street_level` call did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreetOutcome {
    /// Stale street levels of the other side that the new level crossed
    /// and that were removed.
    pub uncrossed: u32,
    /// Simulated liquidity the new level took (user orders it crossed).
    pub filled: Qty,
    /// True when the level crossed user orders on a halted instrument and
    /// was not placed.
    pub blocked: bool,
}

/// Would a `side` order at `limit` trade with a resting order at `maker`?
#[inline]
fn crosses(side: Side, limit: Price, maker: Price) -> bool {
    match side {
        Side::Buy => maker <= limit,
        Side::Sell => maker >= limit,
    }
}

impl Engine {
    fn street_inst(&self, inst: InstrumentIdx) -> Result<(), EngineError> {
        if (inst as usize) < self.markets.len() && inst < MAX_STREET_INSTRUMENTS {
            Ok(())
        } else {
            Err(EngineError::Invalid(format!(
                "no instrument with index {inst}"
            )))
        }
    }

    /// Sets the street's size at (`side`, `price`) of `inst` to `qty` lots
    /// (zero removes the level). An existing level changes in place and
    /// keeps its time priority; a new one joins the back of its price and
    /// may cross (see the module documentation). Fills it causes are
    /// applied at once; the step loop waits for [`Engine::flush_street`].
    pub fn set_street_level(
        &mut self,
        inst: InstrumentIdx,
        side: Side,
        price: Price,
        qty: Qty,
        sink: &mut dyn EventSink,
    ) -> Result<StreetOutcome, EngineError> {
        self.street_inst(inst)?;
        let id = street_level_id(inst, side, price)
            .ok_or_else(|| EngineError::Invalid(format!("price {} out of range", price.0)))?;
        if qty.0 < 0 {
            return Err(EngineError::Invalid("negative street level".into()));
        }
        let book = &mut self.markets[inst as usize].book;
        if let Some(view) = book.order(id) {
            if view.account != STREET {
                return Err(EngineError::Invalid(format!("order id {id} is taken")));
            }
            if view.remaining != qty {
                // Cannot fail: the order rests, qty >= 0, and its filled part
                // is bounded by the lots it ever held.
                book.resize(id, qty)
                    .map_err(|e| EngineError::Invalid(e.as_str().into()))?;
            }
            return Ok(StreetOutcome::default());
        }
        if qty.0 == 0 {
            return Ok(StreetOutcome::default());
        }
        let mut outcome = StreetOutcome::default();
        let opposite = side.opposite();
        if book
            .levels(opposite)
            .next()
            .is_some_and(|(p, _)| crosses(side, price, p))
        {
            let crossed: SmallVec<[Price; 8]> = book
                .levels(opposite)
                .map(|(p, _)| p)
                .take_while(|&p| crosses(side, price, p))
                .collect();
            for p in crossed {
                let Some(stale) = street_level_id(inst, opposite, p) else {
                    continue;
                };
                if book.order(stale).is_some_and(|o| o.account == STREET)
                    && book.cancel(stale).is_ok()
                {
                    outcome.uncrossed += 1;
                }
            }
            let still = book
                .levels(opposite)
                .next()
                .is_some_and(|(p, _)| crosses(side, price, p));
            if still && self.markets[inst as usize].halted {
                outcome.blocked = true;
                return Ok(outcome);
            }
        }
        let req = OrderRequest {
            id,
            account: STREET,
            side,
            qty,
            price: Some(price),
            tif: TimeInForce::Gtc,
            stp: SelfTradePrevention::None,
        };
        let mut out = std::mem::take(&mut self.book_out);
        out.clear();
        let placed = self.markets[inst as usize].book.submit(&req, &mut out);
        if let Ok(p) = placed {
            outcome.filled = p.filled;
            if !out.is_empty() {
                self.apply_book_events(inst, &out, 0, false, sink);
            }
        }
        self.book_out = out;
        placed.map_err(|e| EngineError::Invalid(e.as_str().into()))?;
        Ok(outcome)
    }

    /// The street's size at (`side`, `price`) of `inst` (zero when none).
    pub fn street_level(&self, inst: InstrumentIdx, side: Side, price: Price) -> Qty {
        let Some(id) = street_level_id(inst, side, price) else {
            return Qty::ZERO;
        };
        self.markets
            .get(inst as usize)
            .and_then(|m| m.book.order(id))
            .filter(|o| o.account == STREET)
            .map_or(Qty::ZERO, |o| o.remaining)
    }

    /// Removes every street level of `inst` (a new snapshot starts, or the
    /// book is lost in a gap); simulated orders stay. Returns how many.
    pub fn clear_street(&mut self, inst: InstrumentIdx) -> Result<usize, EngineError> {
        self.street_inst(inst)?;
        let book = &mut self.markets[inst as usize].book;
        let mut removed = 0;
        for side in [Side::Buy, Side::Sell] {
            let ids: Vec<OrderId> = book
                .queue(side)
                .into_iter()
                .filter(|id| decode_street_level(*id).is_some_and(|(i, _, _)| i == inst))
                .collect();
            for id in ids {
                if book.cancel(id).is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// Ends a batch of street changes on `inst`: the book's top feeds the
    /// mark (under the `mid` and `median` policies), and whatever the batch
    /// and that mark triggered (liquidations, stops) runs to the end.
    pub fn flush_street(
        &mut self,
        inst: InstrumentIdx,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        self.street_inst(inst)?;
        self.refresh_book_mark(inst, sink);
        self.settle(sink);
        Ok(())
    }

    /// A historical trade print at `price` on `inst`: it sets the last
    /// trade price, feeds the mark policy and the last-price stops, and
    /// runs what they trigger. Nothing matches in our book (the depth it
    /// took arrives as street level changes).
    pub fn external_trade(
        &mut self,
        inst: InstrumentIdx,
        price: Price,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        self.external_price(inst, MarkInput::Trade, price, sink)
    }

    /// A historical mark price (a vendor's mark stream): forces the mark
    /// and runs what it triggers, as the `mark` command does.
    pub fn external_mark(
        &mut self,
        inst: InstrumentIdx,
        price: Price,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        self.external_price(inst, MarkInput::Force, price, sink)
    }

    /// A historical index price: feeds the `index` and `median` mark
    /// policies and runs what a mark change triggers.
    pub fn external_index(
        &mut self,
        inst: InstrumentIdx,
        price: Price,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        self.external_price(inst, MarkInput::Index, price, sink)
    }

    fn external_price(
        &mut self,
        inst: InstrumentIdx,
        input: MarkInput,
        price: Price,
        sink: &mut dyn EventSink,
    ) -> Result<(), EngineError> {
        self.street_inst(inst)?;
        if price.0 <= 0 {
            return Err(EngineError::Invalid("price must be positive".into()));
        }
        self.feed_mark(inst, input, price, sink);
        self.settle(sink);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{CollectSink, Event};
    use crate::script::parse_line;

    fn engine() -> (Engine, CollectSink) {
        let mut e = Engine::new();
        let mut sink = CollectSink::default();
        for line in [
            r#"{"cmd":"instrument","symbol":"X","kind":"linear","tick":"1","lot":"1","tiers":[{"mmr":"0.01","imr":"0.02"}],"mark":{"policy":"mid"}}"#,
            r#"{"cmd":"account","id":1,"deposit":"100000"}"#,
        ] {
            let cmd = parse_line(line).unwrap().unwrap();
            e.apply(&cmd, &mut sink).unwrap();
        }
        (e, sink)
    }

    fn order(e: &mut Engine, sink: &mut CollectSink, line: &str) {
        let cmd = parse_line(line).unwrap().unwrap();
        e.apply(&cmd, sink).unwrap();
    }

    #[test]
    fn ids_round_trip() {
        for (inst, side, p) in [
            (0, Side::Buy, 1),
            (4095, Side::Sell, MAX_PRICE_TICKS),
            (7, Side::Sell, 617_000),
        ] {
            let id = street_level_id(inst, side, Price(p)).unwrap();
            assert!(id >= 1 << 63);
            assert_eq!(decode_street_level(id), Some((inst, side, Price(p))));
        }
        assert_eq!(street_level_id(4096, Side::Buy, Price(1)), None);
        assert_eq!(street_level_id(0, Side::Buy, Price(0)), None);
        assert_eq!(decode_street_level(12345), None);
    }

    #[test]
    fn levels_change_in_place_and_keep_priority() {
        let (mut e, mut sink) = engine();
        e.set_street_level(0, Side::Buy, Price(99), Qty(5), &mut sink)
            .unwrap();
        order(
            &mut e,
            &mut sink,
            r#"{"cmd":"order","account":1,"id":7,"symbol":"X","side":"buy","type":"limit","price":"99","qty":"2"}"#,
        );
        // The street level grows in place: still ahead of order 7.
        e.set_street_level(0, Side::Buy, Price(99), Qty(9), &mut sink)
            .unwrap();
        let q = e.market(0).book.queue(Side::Buy);
        assert_eq!(decode_street_level(q[0]), Some((0, Side::Buy, Price(99))));
        assert_eq!(q[1], 7);
        assert_eq!(e.street_level(0, Side::Buy, Price(99)), Qty(9));
        e.set_street_level(0, Side::Buy, Price(99), Qty(0), &mut sink)
            .unwrap();
        assert_eq!(e.market(0).book.queue(Side::Buy), vec![7]);
        e.check_consistency().unwrap();
    }

    #[test]
    fn stale_street_levels_are_removed_and_user_orders_filled() {
        let (mut e, mut sink) = engine();
        e.set_street_level(0, Side::Sell, Price(101), Qty(5), &mut sink)
            .unwrap();
        e.set_street_level(0, Side::Sell, Price(103), Qty(5), &mut sink)
            .unwrap();
        order(
            &mut e,
            &mut sink,
            r#"{"cmd":"order","account":1,"id":7,"symbol":"X","side":"sell","type":"limit","price":"102","qty":"2"}"#,
        );
        sink.events.clear();
        // A historical bid at 102: the street ask at 101 is stale; user
        // order 7 at 102 is filled by it; 3 lots rest at 102.
        let o = e
            .set_street_level(0, Side::Buy, Price(102), Qty(5), &mut sink)
            .unwrap();
        assert_eq!(o.uncrossed, 1);
        assert_eq!(o.filled, Qty(2));
        assert_eq!(e.street_level(0, Side::Buy, Price(102)), Qty(3));
        assert_eq!(e.street_level(0, Side::Sell, Price(101)), Qty::ZERO);
        assert!(sink.events.iter().any(|ev| matches!(
            ev,
            Event::Fill {
                maker: 7,
                taker_account: 0,
                price: Price(102),
                ..
            }
        )));
        e.flush_street(0, &mut sink).unwrap();
        assert_eq!(e.mark_of(0), Some(Price(103)), "mid of 102 / 103, half up");
        let acct = e.account_report(1).unwrap();
        assert_eq!(acct.positions[0].qty, Qty(-2));
        e.check_consistency().unwrap();
    }

    #[test]
    fn external_prints_move_last_and_mark_without_matching() {
        let (mut e, mut sink) = engine();
        order(
            &mut e,
            &mut sink,
            r#"{"cmd":"instrument","symbol":"Y","kind":"linear","tick":"1","lot":"1","tiers":[{"mmr":"0.01","imr":"0.02"}]}"#,
        );
        e.set_street_level(1, Side::Sell, Price(101), Qty(5), &mut sink)
            .unwrap();
        e.external_trade(1, Price(100), &mut sink).unwrap();
        assert_eq!(e.mark_of(1), Some(Price(100)));
        assert_eq!(e.market(1).last, Some(Price(100)));
        assert_eq!(e.street_level(1, Side::Sell, Price(101)), Qty(5));
        e.external_mark(1, Price(90), &mut sink).unwrap();
        assert_eq!(e.mark_of(1), Some(Price(90)));
        assert!(e.external_trade(9, Price(1), &mut sink).is_err());
        e.check_consistency().unwrap();
    }

    #[test]
    fn clearing_keeps_user_orders() {
        let (mut e, mut sink) = engine();
        for p in [95, 96, 97] {
            e.set_street_level(0, Side::Buy, Price(p), Qty(1), &mut sink)
                .unwrap();
        }
        order(
            &mut e,
            &mut sink,
            r#"{"cmd":"order","account":1,"id":3,"symbol":"X","side":"buy","type":"limit","price":"96","qty":"1"}"#,
        );
        assert_eq!(e.clear_street(0).unwrap(), 3);
        assert_eq!(e.market(0).book.queue(Side::Buy), vec![3]);
        e.check_consistency().unwrap();
    }
}
