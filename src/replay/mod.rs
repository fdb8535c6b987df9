//! (replay: lands with its issue.)
