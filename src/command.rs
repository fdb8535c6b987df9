//! The engine's input vocabulary: one [`Command`] per thing a caller can
//! ask of [`crate::liquidation::Engine::apply`], whoever the caller is (a
//! scenario script, a replay, a stress run, a library user).
//!
//! Owns: the command types, built on the book's and the margin module's own
//! types (time in force, self-trade prevention, trigger source, margin
//! mode), with the serde form of `spec/scenario.md` (`{"cmd": ...}`, every
//! number a decimal string) both ways, so that a command can be written,
//! read back and sent elsewhere unchanged. Amounts stay `Decimal` here:
//! turning them into ticks and lots needs the instrument, which is the
//! engine's job.
//!
//! Must not: read files or lines (`script` does), or interpret a command
//! (the engine does).

use serde::{Deserialize, Serialize};

pub use crate::book::{SelfTradePrevention, TimeInForce, TriggerSource};
use crate::instrument::InstrumentSpec;
pub use crate::margin::MarginMode;
use crate::types::{AccountId, Decimal, OrderId, Side};

/// Order type of an `order` command: what the book gets (a limit or market
/// order) and whether it waits for a trigger first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderType {
    /// Limit order (needs `price`).
    Limit,
    /// Market order.
    Market,
    /// Stop-market (needs `trigger`).
    StopMarket,
    /// Stop-limit (needs `trigger` and `price`).
    StopLimit,
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// The `order` command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCommand {
    /// Owner.
    pub account: AccountId,
    /// Order id.
    pub id: OrderId,
    /// Instrument symbol.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Order type.
    #[serde(rename = "type")]
    pub order_type: OrderType,
    /// Quantity.
    pub qty: Decimal,
    /// Limit price (limit types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Decimal>,
    /// Trigger price (stop types).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Decimal>,
    /// Time in force (market types behave as IOC whatever it says).
    #[serde(default, skip_serializing_if = "is_default")]
    pub tif: TimeInForce,
    /// Reduce only.
    #[serde(default, skip_serializing_if = "is_default")]
    pub reduce_only: bool,
    /// Self-trade prevention.
    #[serde(default, skip_serializing_if = "is_default")]
    pub stp: SelfTradePrevention,
    /// Trigger source of stop orders.
    #[serde(default, skip_serializing_if = "is_default")]
    pub trigger_by: TriggerSource,
}

/// One command to the engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Define an instrument.
    Instrument(InstrumentSpec),
    /// Create an account.
    Account {
        /// Account id.
        id: AccountId,
        /// Initial collateral.
        deposit: Decimal,
        /// Margin mode.
        #[serde(default, skip_serializing_if = "is_default")]
        mode: MarginMode,
    },
    /// Add (or withdraw) collateral.
    Deposit {
        /// Account id.
        account: AccountId,
        /// Amount (negative: withdrawal).
        amount: Decimal,
    },
    /// Add to an insurance fund.
    Insurance {
        /// Amount.
        amount: Decimal,
        /// The instrument's own fund; the shared fund when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        symbol: Option<String>,
    },
    /// Give an account a position against the street (test setup).
    Position {
        /// Account id.
        account: AccountId,
        /// Instrument.
        symbol: String,
        /// Signed quantity.
        qty: Decimal,
        /// Entry price.
        entry: Decimal,
        /// Isolated margin.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        margin: Option<Decimal>,
    },
    /// Submit an order.
    Order(OrderCommand),
    /// Cancel an order.
    Cancel {
        /// Order id.
        id: OrderId,
    },
    /// Amend an order.
    Modify {
        /// Order id.
        id: OrderId,
        /// New price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        price: Option<Decimal>,
        /// New total quantity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        qty: Option<Decimal>,
    },
    /// Set the index price.
    Index {
        /// Instrument.
        symbol: String,
        /// Price.
        price: Decimal,
    },
    /// Force the mark price.
    Mark {
        /// Instrument.
        symbol: String,
        /// Price.
        price: Decimal,
    },
    /// Settle one funding payment.
    Funding {
        /// Instrument.
        symbol: String,
        /// Rate (longs pay shorts when positive).
        rate: Decimal,
    },
    /// Emit an `account` event.
    Query {
        /// Account id.
        account: AccountId,
    },
    /// Emit a `funds` event.
    Funds {},
    /// Emit a `book` event.
    Book {
        /// Instrument.
        symbol: String,
        /// Levels per side (default 10).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        depth: Option<usize>,
    },
    /// Stop matching.
    Halt {
        /// Instrument.
        symbol: String,
    },
    /// Restart matching.
    Resume {
        /// Instrument.
        symbol: String,
    },
}

impl Command {
    /// The command as one line of a scenario script (`spec/scenario.md`):
    /// what [`crate::script::parse_line`] reads back as the same command.
    pub fn to_json(&self) -> String {
        // Every field is a string, an integer, a bool or a nested struct of
        // those: serializing cannot fail.
        serde_json::to_string(self).expect("a command always serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_left_out_and_read_back() {
        let c: Command = serde_json::from_str(
            r#"{"cmd":"order","account":1,"id":7,"symbol":"X","side":"buy","type":"limit","price":"100.50","qty":"2"}"#,
        )
        .unwrap();
        match &c {
            Command::Order(o) => {
                assert_eq!(o.tif, TimeInForce::Gtc);
                assert_eq!(o.stp, SelfTradePrevention::None);
                assert_eq!(o.trigger_by, TriggerSource::Mark);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            c.to_json(),
            r#"{"cmd":"order","account":1,"id":7,"symbol":"X","side":"buy","type":"limit","qty":"2","price":"100.5"}"#
        );
        let back: Command = serde_json::from_str(&c.to_json()).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn every_variant_round_trips() {
        let lines = [
            r#"{"cmd":"account","id":3,"deposit":"10","mode":"isolated"}"#,
            r#"{"cmd":"deposit","account":3,"amount":"-2.5"}"#,
            r#"{"cmd":"insurance","amount":"5","symbol":"X"}"#,
            r#"{"cmd":"position","account":3,"symbol":"X","qty":"-1","entry":"99","margin":"4"}"#,
            r#"{"cmd":"order","account":1,"id":2,"symbol":"X","side":"sell","type":"stop_limit","qty":"1","price":"90","trigger":"91","tif":"post_only","reduce_only":true,"stp":"cancel_both","trigger_by":"last"}"#,
            r#"{"cmd":"cancel","id":2}"#,
            r#"{"cmd":"modify","id":2,"qty":"3"}"#,
            r#"{"cmd":"index","symbol":"X","price":"1"}"#,
            r#"{"cmd":"mark","symbol":"X","price":"1"}"#,
            r#"{"cmd":"funding","symbol":"X","rate":"0.000000000000000001"}"#,
            r#"{"cmd":"query","account":0}"#,
            r#"{"cmd":"funds"}"#,
            r#"{"cmd":"book","symbol":"X","depth":3}"#,
            r#"{"cmd":"halt","symbol":"X"}"#,
            r#"{"cmd":"resume","symbol":"X"}"#,
        ];
        for line in lines {
            let c: Command = serde_json::from_str(line).unwrap();
            assert_eq!(c.to_json(), line);
        }
    }
}
