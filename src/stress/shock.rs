//! Shock paths: what each shock does at each path step.
//!
//! Owns: the price path of index and mark shocks (linear from the starting
//! price to `price * (1 + move)` over `steps` path steps, rounded half away
//! from zero to the tick), the split of a market order over its steps, the
//! single funding payment, and the order of actions within a step.
//!
//! Must not: touch the engine or the book (the scenario runner applies the
//! actions; the maker turns an arbitrage action into an order).

use super::config::ShockKind;
use super::point::{MarketPlan, ShockPlan};
use crate::command::Command;
use crate::types::{div_round_half_away, Decimal, Price, Qty, Rate, Side};

/// One thing to do at a path step.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Apply this command.
    Apply(Box<Command>),
    /// Let the arbitrageur drag market `market`'s book to `index`.
    Arbitrage {
        /// Market index.
        market: usize,
        /// The new index price.
        index: Price,
    },
    /// The shock trader sends a market order.
    MarketOrder {
        /// Market index.
        market: usize,
        /// Side.
        side: Side,
        /// Quantity.
        qty: Qty,
    },
}

/// The price of a moving shock after `j` of its `steps` steps (1-based):
/// `start * (1 + move * j / steps)`, in ticks, rounded half away from
/// zero, at least one tick.
pub fn path_price(start: Price, move_: Decimal, j: u32, steps: u32) -> Price {
    // `move_` was checked to lie in (-1, 10]; 12 decimals carry it exactly
    // or round it once (to 1e-12, far below a tick).
    let m = Rate::parse(&crate::types::format_fixed(
        move_.mantissa(),
        move_.scale().min(12),
    ))
    .map(|r| r.0 as i128)
    .unwrap_or_else(|_| (move_.to_f64() * 1e12) as i128);
    let delta = div_round_half_away(
        start.0 as i128 * m * j as i128,
        steps.max(1) as i128 * Rate::ONE.0 as i128,
    );
    Price((start.0 as i128 + delta).clamp(1, crate::instrument::MAX_PRICE_TICKS as i128) as i64)
}

/// The actions of path step `t`, shocks in config order.
pub fn actions_at(t: u32, shocks: &[ShockPlan], markets: &[MarketPlan]) -> Vec<Action> {
    let mut out = Vec::new();
    for s in shocks {
        if t < s.start || t >= s.end() {
            continue;
        }
        let j = t - s.start + 1;
        let m = &markets[s.market];
        let symbol = m.spec.symbol.clone();
        match s.kind {
            ShockKind::Index | ShockKind::Mark => {
                let Some(mv) = s.move_ else { continue };
                let p = path_price(m.price, mv, j, s.steps);
                let price = m.inst.price_decimal(p);
                if s.kind == ShockKind::Index {
                    out.push(Action::Apply(Box::new(Command::Index { symbol, price })));
                    out.push(Action::Arbitrage {
                        market: s.market,
                        index: p,
                    });
                } else {
                    out.push(Action::Apply(Box::new(Command::Mark { symbol, price })));
                }
            }
            ShockKind::MarketOrder => {
                let (Some(side), Some(qty)) = (s.side, s.qty) else {
                    continue;
                };
                // Equal parts, the remainder with the last step.
                let n = s.steps.max(1) as i64;
                let part = qty.0 / n;
                let q = if j == s.steps {
                    qty.0 - part * (n - 1)
                } else {
                    part
                };
                if q > 0 {
                    out.push(Action::MarketOrder {
                        market: s.market,
                        side,
                        qty: Qty(q),
                    });
                }
            }
            ShockKind::Funding => {
                if let Some(rate) = s.rate {
                    out.push(Action::Apply(Box::new(Command::Funding { symbol, rate })));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drop_is_linear_and_rounded_to_the_tick() {
        let d = Decimal::parse("-0.05").unwrap();
        assert_eq!(path_price(Price(600000), d, 1, 1), Price(570000));
        assert_eq!(path_price(Price(600000), d, 1, 4), Price(592500));
        assert_eq!(path_price(Price(600000), d, 4, 4), Price(570000));
        // 1001 ticks x -0.05 / 3 = -16.683: rounds to -17.
        assert_eq!(path_price(Price(1001), d, 1, 3), Price(984));
        let up = Decimal::parse("0.5").unwrap();
        assert_eq!(path_price(Price(10), up, 1, 1), Price(15));
    }
}
