//! The instruments a stream holds: every reader names the symbol of each
//! row (Tardis `exchange` and `symbol`, Binance `s`, Hyperliquid `coin`,
//! the LOBSTER file name), and events carry a small [`SymbolId`] into one
//! table shared by all the files of a stream.
//!
//! Owns: the table (`Symbols`, interned once per symbol, in order of first
//! appearance) and the per-reader cache that makes naming the symbol of a
//! row one comparison of a few bytes in steady state.
//! Must not: decide which symbols are replayed (the run does).

use std::sync::{Arc, Mutex};

/// Index of a symbol in a stream's [`Symbols`] table.
pub type SymbolId = u32;

/// The symbol of a row that names none, until a later stage attributes
/// it (a Binance USD-M REST snapshot); never leaves `open`.
pub const UNATTRIBUTED: SymbolId = SymbolId::MAX;

/// One instrument as the data names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SymbolKey {
    /// The venue: the Tardis `exchange` column, else the format's name.
    pub venue: String,
    /// The symbol as the data writes it.
    pub symbol: String,
}

/// The symbols of one stream, shared by its readers (cheap to clone).
#[derive(Clone, Debug, Default)]
pub struct Symbols(Arc<Mutex<Vec<SymbolKey>>>);

impl Symbols {
    /// An empty table.
    pub fn new() -> Symbols {
        Symbols::default()
    }

    /// The id of (`venue`, `symbol`), added when new.
    pub fn intern(&self, venue: &str, symbol: &str) -> SymbolId {
        // A poisoned lock only means another reader panicked mid-insert of
        // a whole key; the table itself is still a valid list.
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = t
            .iter()
            .position(|k| k.venue == venue && k.symbol == symbol)
        {
            return i as SymbolId;
        }
        t.push(SymbolKey {
            venue: venue.to_string(),
            symbol: symbol.to_string(),
        });
        (t.len() - 1) as SymbolId
    }

    /// The key of `id` (`None` for an id this table never gave).
    pub fn get(&self, id: SymbolId) -> Option<SymbolKey> {
        let t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        t.get(id as usize).cloned()
    }

    /// Every key, in id order.
    pub fn all(&self) -> Vec<SymbolKey> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The id of `symbol` (on any venue), if the stream has seen it.
    pub fn find(&self, symbol: &str) -> Option<SymbolId> {
        let t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        t.iter()
            .position(|k| k.symbol == symbol)
            .map(|i| i as SymbolId)
    }
}

/// A reader's cache of the last symbol it named: rows of one symbol in a
/// row cost one byte comparison, not a table lookup.
#[derive(Debug)]
pub(crate) struct SymbolCache {
    symbols: Symbols,
    venue: Vec<u8>,
    symbol: Vec<u8>,
    id: Option<SymbolId>,
}

impl SymbolCache {
    /// A cache over `symbols`.
    pub fn new(symbols: Symbols) -> SymbolCache {
        SymbolCache {
            symbols,
            venue: Vec::new(),
            symbol: Vec::new(),
            id: None,
        }
    }

    /// The id of (`venue`, `symbol`).
    #[inline]
    pub fn id(&mut self, venue: &[u8], symbol: &[u8]) -> SymbolId {
        match self.id {
            Some(id) if self.symbol == symbol && self.venue == venue => id,
            _ => self.slow(venue, symbol),
        }
    }

    #[cold]
    fn slow(&mut self, venue: &[u8], symbol: &[u8]) -> SymbolId {
        let id = self.symbols.intern(
            &String::from_utf8_lossy(venue),
            &String::from_utf8_lossy(symbol),
        );
        self.venue.clear();
        self.venue.extend_from_slice(venue);
        self.symbol.clear();
        self.symbol.extend_from_slice(symbol);
        self.id = Some(id);
        id
    }
}

/// Per-symbol state of a reader (a snapshot run, a depth synchroniser),
/// found by a short scan: a file holds few symbols, and the last one used
/// is checked first.
#[derive(Debug)]
pub(crate) struct PerSymbol<T> {
    items: Vec<(SymbolId, T)>,
    last: usize,
}

impl<T> Default for PerSymbol<T> {
    fn default() -> Self {
        PerSymbol {
            items: Vec::new(),
            last: 0,
        }
    }
}

impl<T: Default> PerSymbol<T> {
    /// The state of `id`, created empty on first use.
    #[inline]
    pub fn get(&mut self, id: SymbolId) -> &mut T {
        self.get_with(id, T::default)
    }
}

impl<T> PerSymbol<T> {
    /// The state of `id`, made by `new` on first use.
    #[inline]
    pub fn get_with(&mut self, id: SymbolId, new: impl FnOnce() -> T) -> &mut T {
        if self.items.get(self.last).is_none_or(|(k, _)| *k != id) {
            self.last = match self.items.iter().position(|(k, _)| *k == id) {
                Some(i) => i,
                None => {
                    self.items.push((id, new()));
                    self.items.len() - 1
                }
            };
        }
        // `last` indexes an item: it was just found or pushed.
        &mut self.items[self.last].1
    }

    /// The state of `id`, if it has any.
    pub fn find(&self, id: SymbolId) -> Option<&T> {
        self.items.iter().find(|(k, _)| *k == id).map(|(_, v)| v)
    }

    /// Every symbol's state, in order of first use.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (SymbolId, &mut T)> {
        self.items.iter_mut().map(|(k, v)| (*k, v))
    }

    /// The symbols with state, in order of first use.
    pub fn ids(&self) -> impl Iterator<Item = SymbolId> + '_ {
        self.items.iter().map(|(k, _)| *k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_first_appearance_and_readers_share_them() {
        let s = Symbols::new();
        let mut a = SymbolCache::new(s.clone());
        let mut b = SymbolCache::new(s.clone());
        assert_eq!(a.id(b"binance", b"BTCUSDT"), 0);
        assert_eq!(b.id(b"binance", b"ETHUSDT"), 1);
        assert_eq!(b.id(b"binance", b"BTCUSDT"), 0);
        assert_eq!(a.id(b"bybit", b"BTCUSDT"), 2);
        assert_eq!(s.get(1).unwrap().symbol, "ETHUSDT");
        assert_eq!(s.find("ETHUSDT"), Some(1));
        assert_eq!(s.all().len(), 3);
    }
}
