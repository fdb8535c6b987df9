//! The street's liquidity: the starting books it posts, what of them still
//! rests (followed through the engine's events), how makers refill depth
//! between steps and widen the spread under stress, and the arbitrage flow
//! that drags a book to a moved index.
//!
//! Owns: `Maker`, the one source of the order ids the stress run uses for
//! the street and the shock trader, and its ledger of resting street
//! orders (in a stress run the book holds nothing else: population orders
//! are stops, liquidation and shock orders never rest).
//!
//! Must not: apply commands itself (it returns them), or see anything but
//! events, marks and best prices (what `StepView` offers between steps).

use std::collections::BTreeMap;

use super::book_profile::{Levels, Profile};
use crate::command::{
    Command, OrderCommand, OrderType, SelfTradePrevention, TimeInForce, TriggerSource,
};
use crate::event::{Event, InstrumentIdx};
use crate::instrument::Instrument;
use crate::types::{AccountId, OrderId, Price, Qty, Rate, Side, STREET};

/// The account that sends shock orders and arbitrage flow: the street
/// itself (unlimited collateral, never liquidated, and never a party to
/// socialized losses or auto-deleveraging), so that the shock takes no
/// position that would shift how losses are shared in the population.
/// Its orders may trade against its own resting depth; the street's net
/// position is unaffected by that.
pub const SHOCK_ACCOUNT: AccountId = STREET;
/// First order id of the street and shock orders (population stop orders
/// count from 1; the engine's own liquidation orders start at 2^62).
pub const FIRST_STREET_ORDER: OrderId = crate::population::plan::FIRST_FREE_ORDER_ID;

/// Best prices and mark of one market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quote {
    /// Best bid.
    pub bid: Option<Price>,
    /// Best ask.
    pub ask: Option<Price>,
    /// Mark.
    pub mark: Option<Price>,
    /// Halted.
    pub halted: bool,
}

/// One market as the maker sees it.
#[derive(Clone, Debug)]
pub struct MakerMarket {
    /// The instrument (for decimal text).
    pub inst: Instrument,
    /// Starting price: the centre of the profile and of "how far it moved".
    pub start: Price,
    /// Target depth around the mark.
    pub profile: Profile,
    /// Share of missing depth restored per step.
    pub refill: Rate,
    /// Spread widening per 1% of move, in half spreads.
    pub widen: Rate,
    /// Index shocks drag the book to the index.
    pub arbitrage: bool,
}

#[derive(Clone, Copy, Debug)]
struct Resting {
    inst: InstrumentIdx,
    side: Side,
    price: Price,
    qty: i64,
}

/// The street's makers and the ledger of what they have resting.
#[derive(Clone, Debug)]
pub struct Maker {
    markets: Vec<MakerMarket>,
    orders: BTreeMap<OrderId, Resting>,
    /// Resting size per (instrument, bid side?, price).
    levels: BTreeMap<(InstrumentIdx, bool, Price), i64>,
    next_id: OrderId,
}

impl Maker {
    /// Makers for these markets (in instrument order).
    pub fn new(markets: Vec<MakerMarket>) -> Maker {
        Maker {
            markets,
            orders: BTreeMap::new(),
            levels: BTreeMap::new(),
            next_id: FIRST_STREET_ORDER,
        }
    }

    /// A fresh order id.
    pub fn next_id(&mut self) -> OrderId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// True when some market refills depth.
    pub fn refills(&self) -> bool {
        self.markets.iter().any(|m| m.refill > Rate::ZERO)
    }

    /// The street's resting size at one price.
    pub fn depth_at(&self, inst: InstrumentIdx, side: Side, price: Price) -> i64 {
        self.levels
            .get(&(inst, side == Side::Buy, price))
            .copied()
            .unwrap_or(0)
    }

    /// Street bids at or above `price` (side Buy), or asks at or below it
    /// (side Sell): what an order limited at `price` could take.
    pub fn depth_through(&self, inst: InstrumentIdx, side: Side, price: Price) -> i64 {
        let bid = side == Side::Buy;
        let range = if bid {
            self.levels
                .range((inst, true, price)..=(inst, true, Price(i64::MAX)))
        } else {
            self.levels
                .range((inst, false, Price(i64::MIN))..=(inst, false, price))
        };
        range.fold(0i64, |a, (_, q)| a.saturating_add(*q))
    }

    fn post(&mut self, inst: InstrumentIdx, side: Side, price: Price, qty: Qty) -> Command {
        let id = self.next_id();
        self.orders.insert(
            id,
            Resting {
                inst,
                side,
                price,
                qty: qty.0,
            },
        );
        *self
            .levels
            .entry((inst, side == Side::Buy, price))
            .or_insert(0) += qty.0;
        let m = &self.markets[inst as usize];
        Command::Order(OrderCommand {
            account: STREET,
            id,
            symbol: m.inst.symbol.clone(),
            side,
            order_type: OrderType::Limit,
            qty: m.inst.qty_decimal(qty),
            price: Some(m.inst.price_decimal(price)),
            trigger: None,
            tif: TimeInForce::PostOnly,
            reduce_only: false,
            stp: SelfTradePrevention::None,
            trigger_by: TriggerSource::Mark,
        })
    }

    fn take(&mut self, id: OrderId, qty: i64) {
        let Some(r) = self.orders.get_mut(&id) else {
            return;
        };
        let q = qty.min(r.qty);
        r.qty -= q;
        let key = (r.inst, r.side == Side::Buy, r.price);
        let gone = r.qty == 0;
        if gone {
            self.orders.remove(&id);
        }
        if let Some(l) = self.levels.get_mut(&key) {
            *l -= q;
            if *l <= 0 {
                self.levels.remove(&key);
            }
        }
    }

    /// Follows one engine event: fills against street orders, their
    /// cancellations and refusals.
    pub fn on_event(&mut self, ev: &Event) {
        match ev {
            Event::Fill { maker, qty, .. } => self.take(*maker, qty.0),
            Event::Canceled { id, remaining, .. } => self.take(*id, remaining.0),
            Event::Rejected { id, .. } => self.take(*id, i64::MAX),
            _ => {}
        }
    }

    /// Post-only orders of the starting books, bids then asks per market.
    pub fn starting_orders(&mut self, books: &[Levels]) -> Vec<Command> {
        let mut out = Vec::new();
        for (i, (bids, asks)) in books.iter().enumerate() {
            for &(p, q) in bids {
                out.push(self.post(i as InstrumentIdx, Side::Buy, p, q));
            }
            for &(p, q) in asks {
                out.push(self.post(i as InstrumentIdx, Side::Sell, p, q));
            }
        }
        out
    }

    /// The refill after a step: around each market's mark, every level of
    /// its profile, pushed out by the stress widening, is topped up by
    /// `refill` times what it misses (at least one lot), with post-only
    /// orders that would not cross the other side.
    ///
    /// Widening: with a base half spread `h` (the profile's best distance)
    /// and the mark `x`% away from the starting price, every level moves
    /// `floor(h * widen * x)` ticks further out.
    pub fn refill(&mut self, quotes: &[Quote]) -> Vec<Command> {
        let mut out = Vec::new();
        for (i, &q) in quotes.iter().enumerate().take(self.markets.len()) {
            let m = &self.markets[i];
            if m.refill <= Rate::ZERO || q.halted {
                continue;
            }
            let anchor = q.mark.unwrap_or(m.start);
            let start = m.start.0.max(1) as i128;
            let moved = (anchor.0 as i128 - start).abs();
            let (refill, widen) = (m.refill, m.widen);
            let mut wanted: Vec<(Side, Price, Qty)> = Vec::new();
            for side in [Side::Buy, Side::Sell] {
                let half = m.profile.half_spread(side).unwrap_or(1) as i128;
                // h * widen * (100 * moved / start), in ticks, rounded down.
                let extra = (half * widen.0 as i128 * 100 * moved) / (start * Rate::ONE.0 as i128);
                let extra = i64::try_from(extra).unwrap_or(i64::MAX / 4);
                for &(dist, size) in m.profile.side(side) {
                    let d = dist.saturating_add(extra);
                    let price = match side {
                        Side::Buy => anchor.0.saturating_sub(d),
                        Side::Sell => anchor.0.saturating_add(d),
                    };
                    if price <= 0 || price > crate::instrument::MAX_PRICE_TICKS {
                        break;
                    }
                    let price = Price(price);
                    let crosses = match side {
                        Side::Buy => q.ask.is_some_and(|a| price >= a),
                        Side::Sell => q.bid.is_some_and(|b| price <= b),
                    };
                    if crosses {
                        continue;
                    }
                    wanted.push((side, price, size));
                }
            }
            for (side, price, size) in wanted {
                let missing = size.0 - self.depth_at(i as InstrumentIdx, side, price);
                if missing <= 0 {
                    continue;
                }
                let add =
                    crate::types::div_ceil(missing as i128 * refill.0 as i128, Rate::ONE.0 as i128);
                let add = (add as i64).clamp(1, missing);
                out.push(self.post(i as InstrumentIdx, side, price, Qty(add)));
            }
        }
        out
    }

    /// The arbitrage order after the index of market `i` moved to
    /// `index`: the shock trader takes every street bid at or above the
    /// index (or every ask at or below it) with an immediate-or-cancel
    /// order limited at the index. `None` when the book is already there
    /// or arbitrage is off.
    pub fn arbitrage(&mut self, i: usize, index: Price) -> Option<Command> {
        let m = self.markets.get(i)?;
        if !m.arbitrage {
            return None;
        }
        let inst = i as InstrumentIdx;
        let (side, qty) = match self.depth_through(inst, Side::Buy, index) {
            q if q > 0 => (Side::Sell, q),
            _ => (Side::Buy, self.depth_through(inst, Side::Sell, index)),
        };
        if qty <= 0 {
            return None;
        }
        let qty = qty.min(crate::instrument::MAX_QTY_LOTS);
        let id = self.next_id();
        let m = &self.markets[i];
        Some(Command::Order(OrderCommand {
            account: SHOCK_ACCOUNT,
            id,
            symbol: m.inst.symbol.clone(),
            side,
            order_type: OrderType::Limit,
            qty: m.inst.qty_decimal(Qty(qty)),
            price: Some(m.inst.price_decimal(index)),
            trigger: None,
            tif: TimeInForce::Ioc,
            reduce_only: false,
            stp: SelfTradePrevention::None,
            trigger_by: TriggerSource::Mark,
        }))
    }

    /// A market order of the shock trader.
    pub fn market_order(&mut self, i: usize, side: Side, qty: Qty) -> Option<Command> {
        let id = self.next_id();
        let m = self.markets.get(i)?;
        Some(Command::Order(OrderCommand {
            account: SHOCK_ACCOUNT,
            id,
            symbol: m.inst.symbol.clone(),
            side,
            order_type: OrderType::Market,
            qty: m.inst.qty_decimal(qty),
            price: None,
            trigger: None,
            tif: TimeInForce::Ioc,
            reduce_only: false,
            stp: SelfTradePrevention::None,
            trigger_by: TriggerSource::Mark,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::InstrumentSpec;
    use crate::types::Money;

    fn maker(refill: &str, widen: &str) -> Maker {
        let spec: InstrumentSpec = serde_json::from_str(
            r#"{"symbol":"X","kind":"linear","tick":"1","lot":"1","tiers":[{"mmr":"0.01","imr":"0.02"}]}"#,
        )
        .unwrap();
        Maker::new(vec![MakerMarket {
            inst: Instrument::new(&spec).unwrap(),
            start: Price(1000),
            profile: Profile {
                bids: vec![(1, Qty(10)), (2, Qty(10))],
                asks: vec![(1, Qty(10)), (2, Qty(10))],
            },
            refill: Rate::parse(refill).unwrap(),
            widen: Rate::parse(widen).unwrap(),
            arbitrage: true,
        }])
    }

    #[test]
    fn the_ledger_follows_fills_and_cancels() {
        let mut m = maker("0.5", "0");
        let cmds =
            m.starting_orders(&[(vec![(Price(999), Qty(10))], vec![(Price(1001), Qty(10))])]);
        assert_eq!(cmds.len(), 2);
        let bid_id = FIRST_STREET_ORDER;
        m.on_event(&Event::Fill {
            inst: 0,
            price: Price(999),
            qty: Qty(4),
            maker: bid_id,
            taker: 7,
            maker_account: 0,
            taker_account: 3,
            aggressor: Side::Sell,
            liquidation: true,
            taker_fee: Money::ZERO,
            maker_fee: Money::ZERO,
        });
        assert_eq!(m.depth_at(0, Side::Buy, Price(999)), 6);
        assert_eq!(m.depth_through(0, Side::Buy, Price(990)), 6);
        assert_eq!(m.depth_through(0, Side::Sell, Price(1001)), 10);
        assert_eq!(m.depth_through(0, Side::Sell, Price(1000)), 0);
        // Arbitrage to an index of 995 sells the 6 bids at or above it.
        let Some(Command::Order(o)) = m.arbitrage(0, Price(995)) else {
            panic!("an arbitrage order")
        };
        assert_eq!((o.side, o.qty.to_string().as_str()), (Side::Sell, "6"));
    }

    #[test]
    fn refill_restores_a_share_of_missing_depth_and_widens() {
        let mut m = maker("0.5", "0");
        let q = Quote {
            bid: None,
            ask: None,
            mark: Some(Price(1000)),
            halted: false,
        };
        let cmds = m.refill(&[q]);
        // Four levels, each missing 10: five lots each.
        assert_eq!(cmds.len(), 4);
        assert_eq!(m.depth_at(0, Side::Buy, Price(999)), 5);
        let cmds = m.refill(&[q]);
        assert_eq!(cmds.len(), 4);
        assert_eq!(m.depth_at(0, Side::Buy, Price(999)), 8, "5 + ceil(2.5)");

        // Mark 10% below the start with widen 1: levels 1 x 1 x 10 = 10
        // ticks further out.
        let mut m = maker("1", "1");
        let q = Quote {
            mark: Some(Price(900)),
            ..q
        };
        m.refill(&[q]);
        assert_eq!(m.depth_at(0, Side::Buy, Price(889)), 10);
        assert_eq!(m.depth_at(0, Side::Sell, Price(911)), 10);
    }
}
