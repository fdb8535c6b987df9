//! LOBSTER files (NASDAQ TotalView-ITCH reconstructions): the message file
//! (6 columns: time, type, order id, size, price, direction) becomes L3
//! order events; the orderbook file (4 columns per level: ask price, ask
//! size, bid price, bid size) is read row by row for verification and for
//! seeding the book that was resting before the first message.
//!
//! Owns: both layouts, LOBSTER's units (prices are USD x 10000 integers,
//! emitted as decimals with scale 4; times are seconds after midnight with
//! up to 9 decimals, emitted in ns plus a configurable day start) and the
//! seeding rule.
//! Must not: keep an order book (the L3 replay does).

pub mod clock;
mod message;
mod orderbook;
mod seed;

pub(crate) use message::MessageParser;
pub use message::{parse_message, LobsterMessage};
pub use orderbook::{parse_book_row, BookRow, OrderbookReader};
pub use seed::{seed_book, Seed};

use crate::types::Decimal;

/// LOBSTER prices are integers in units of 10^-4 USD.
pub const PRICE_SCALE: u32 = 4;

/// A LOBSTER integer price as a decimal.
pub fn price(raw: i64) -> Decimal {
    Decimal::new(raw as i128, PRICE_SCALE)
}

/// The two files LOBSTER writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LobsterFile {
    /// The message file: 6 fields a row.
    Messages,
    /// The orderbook file: 4 fields per level.
    Orderbook,
}

/// Which LOBSTER file a row comes from: 6 numeric fields a message, a
/// multiple of 4 an orderbook row; `None` when it is neither.
pub fn line_kind(line: &[u8]) -> Option<LobsterFile> {
    let mut n = 0;
    for f in line.split(|&c| c == b',') {
        let digits = f.strip_prefix(b"-").unwrap_or(f);
        if digits.is_empty() || !digits.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
            return None;
        }
        n += 1;
    }
    match n {
        6 => Some(LobsterFile::Messages),
        n if n % 4 == 0 => Some(LobsterFile::Orderbook),
        _ => None,
    }
}

/// True when a line of a LOBSTER file looks like a message row.
pub fn is_message_line(line: &[u8]) -> bool {
    line_kind(line) == Some(LobsterFile::Messages)
}
