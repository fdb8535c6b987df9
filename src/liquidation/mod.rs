//! (liquidation: lands with its issue.)
